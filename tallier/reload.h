/* reload.h -- a tally rebuilt from the store, as the tallier does at start: for the core and for --recount */
#ifndef MQTTVOTE_RELOAD_H
#define MQTTVOTE_RELOAD_H

#include <stddef.h>

#include "check.h"
#include "store.h"
#include "tally.h"

/* reload_tally: reads the poll definitions stored in s into polls (when
 * not NULL: rules->polls should be it) and defines them in t, counts every
 * ballot stored in s into t (which should be empty), leaving out those
 * that the check steps under rules refuse now (a choice --choices no
 * longer offers: *skipped says how many), then restores each poll's
 * rejected count and last update. Returns the number of stored ballots
 * read, or -1 with err set. */
long reload_tally(struct store *s, struct tally *t, const struct check_rules *rules, struct polls *polls,
		  long *skipped, char *err, size_t errlen);

#endif
