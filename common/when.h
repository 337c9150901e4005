/* when.h -- time arguments: a duration from now (+1h30m) or an ISO 8601 time, and durations in words */
#ifndef MQTTVOTE_WHEN_H
#define MQTTVOTE_WHEN_H

#include <stddef.h>
#include <stdint.h>

#define WHEN_MAX_DAYS 3650 /* the longest duration from now: ten years */

/* when_parse: reads the time argument s into *out (ms since the epoch),
 * relative to now_ms (ms since the epoch). s is either
 *   a duration from now: '+' then one or more of <digits>d <digits>h
 *   <digits>m <digits>s, in that order, each at most once (+90s, +5m,
 *   +1h30m, +2d), more than 0 and at most WHEN_MAX_DAYS days; or
 *   an ISO 8601 time YYYY-MM-DDTHH:MM[:SS] followed by Z (UTC), +HH:MM or
 *   -HH:MM (that offset), or nothing (local time, the TZ of the process).
 * The time must be vtime_in_range (1970-01-01T00:00:00Z to
 * 9999-12-31T23:59:59.999Z, whatever the offset: VTIME_RANGE_RULE).
 * Pure but for local time (mktime). Returns 0, or -1 with the reason in
 * err, without s ("no such date: 2026-02-30"). */
int when_parse(const char *s, int64_t now_ms, int64_t *out, char *err, size_t errlen);

/* when_format_left: a duration in words into buf: "2d 3h", "1h 30m",
 * "4m 59s", "12s", "0s" (the two largest units, rounded down to whole
 * seconds; negative counts as 0). Returns buf. */
const char *when_format_left(int64_t ms, char *buf, size_t size);

#endif
