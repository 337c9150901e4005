/* answer.h -- the tallier's answer to an organiser's command, read and printed */
#ifndef MQTTVOTE_ANSWER_H
#define MQTTVOTE_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pollctlopts.h"

enum answer_kind {
	ANSWER_DONE = 0,     /* ok: printed (unless quiet) */
	ANSWER_REFUSED = 1,  /* the tallier refused the command: its reason in err */
	ANSWER_INVALID = -1, /* not an answer: err says why */
};

/* answer_print: reads the answer payload[0..len) (not NUL-terminated) to
 * command cmd and, when it is ok and quiet is false, prints it on out:
 * the poll's information (open, close, show; show adds its result's
 * counts), or one line per poll (list: name, status, question, closing
 * time), times in local time and counted from now_ms. Returns an
 * answer_kind, with err set for ANSWER_REFUSED and ANSWER_INVALID. */
enum answer_kind answer_print(enum opts_cmd cmd, const void *payload, size_t len, bool quiet, int64_t now_ms,
			      FILE *out, char *err, size_t errlen);

#endif
