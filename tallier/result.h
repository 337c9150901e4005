/* result.h -- a poll's result as the JSON published on vote/<poll>/result */
#ifndef MQTTVOTE_RESULT_H
#define MQTTVOTE_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "tally.h"

/* How a result is shown: its poll's status, and whether the counts per
 * choice are held back (results after the poll closes, while it is open). */
struct result_view {
	const char *status;   /* "open", "closed"...: the "status" field; NULL: none */
	bool hide_counts;     /* no "counts" (the total stays), and "results":"after-close" */
};

/* result_json: the result JSON of poll i (< tally_poll_count) of t:
 * {"poll":..,"counts":{..},"total":N,"rejected":N,"updated":"<ISO 8601>","status":..},
 * counts in the tally's result order; view NULL: no status, counts shown.
 * Returns a malloc'd string the caller frees with free(), or NULL with err
 * set when memory runs out. */
char *result_json(const struct tally *t, size_t i, const struct result_view *view, char *err, size_t errlen);

#endif
