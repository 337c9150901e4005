/* result.h -- a poll's result: the value copied out of the tally, and its JSON published on vote/<poll>/result */
#ifndef MQTTVOTE_RESULT_H
#define MQTTVOTE_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally.h"

/* How a result is shown: its poll's status, and whether the counts per
 * choice are held back (results after the poll closes, while it is open). */
struct result_view {
	const char *status;   /* "open", "closed"...: the "status" field; NULL: none. A string
			       * that outlives the value (polldef_status_word's) */
	bool hide_counts;     /* no "counts" (the total stays), and "results":"after-close" */
};

/* One choice of a result and its votes. */
struct result_count {
	const char *choice;   /* in the value's text */
	uint64_t votes;
};

/* A poll's result as it shows, copied out of the tally (so that it can be
 * rendered after the tally's lock is released). */
struct result_value {
	const char *poll;             /* in text */
	const char *status;           /* as struct result_view */
	bool hide_counts;             /* as struct result_view: then ncounts is 0 */
	struct result_count *counts;  /* in the tally's result order */
	size_t ncounts;
	uint64_t total, rejected;
	int64_t updated_ms;           /* ms since the epoch */
	uint64_t version;             /* tally_poll_version when copied */
	char *text;                   /* the poll's name and the choices', owned */
};

/* result_value_of: fills *out with the result of poll i (< tally_poll_count)
 * of t as view shows it (NULL: no status, counts shown). Returns 0 (free
 * *out with result_value_free), or -1 with err set when memory runs out
 * (*out then holds nothing to free). */
int result_value_of(const struct tally *t, size_t i, const struct result_view *view, struct result_value *out,
		    char *err, size_t errlen);

/* result_value_free: frees what *r holds (not r), and empties it. */
void result_value_free(struct result_value *r);

/* result_json: the result JSON of r:
 * {"poll":..,"counts":{..},"total":N,"rejected":N,"updated":"<ISO 8601>","status":..},
 * counts in their order. Returns a malloc'd string the caller frees with
 * free(), or NULL with err set when memory runs out. */
char *result_json(const struct result_value *r, char *err, size_t errlen);

#endif
