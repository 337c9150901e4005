/* result.h -- a poll's result as the JSON published on vote/<poll>/result */
#ifndef MQTTVOTE_RESULT_H
#define MQTTVOTE_RESULT_H

#include <stddef.h>

#include "tally.h"

/* result_json: the result JSON of poll i (< tally_poll_count) of t:
 * {"poll":..,"counts":{..},"total":N,"rejected":N,"updated":"<ISO 8601>"},
 * counts in the tally's result order. Returns a malloc'd string the caller
 * frees with free(), or NULL with err set when memory runs out. */
char *result_json(const struct tally *t, size_t i, char *err, size_t errlen);

#endif
