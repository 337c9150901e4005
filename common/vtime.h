/* vtime.h -- wall-clock and monotonic time in milliseconds, ISO 8601 format */
#ifndef MQTTVOTE_VTIME_H
#define MQTTVOTE_VTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VTIME_ISO_LEN 25 /* "2026-11-22T10:00:00.123Z" and its NUL */

/* The times a poll can have, the one place they are spelt: every ms from
 * 1970-01-01T00:00:00.000Z (0) to 9999-12-31T23:59:59.999Z: each formats
 * as ISO 8601 UTC with a four-digit year (VTIME_ISO_LEN) and is exact in a
 * JSON number (below 2^53). */
#define VTIME_MS_MIN 0LL
#define VTIME_MS_MAX 253402300799999LL
#define VTIME_RANGE_TEXT "1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z"
#define VTIME_RANGE_RULE "the time must be from " VTIME_RANGE_TEXT

/* vtime_now_ms: milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t vtime_now_ms(void);

/* vtime_mono_ms: milliseconds from an arbitrary fixed point
 * (CLOCK_MONOTONIC): for deadlines and intervals, never for stamps. */
int64_t vtime_mono_ms(void);

/* vtime_in_range: whether ms is one of the times a poll can have
 * (VTIME_MS_MIN to VTIME_MS_MAX, both included). */
bool vtime_in_range(int64_t ms);

/* vtime_format_iso: writes ms (since the epoch) as UTC
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (at least VTIME_ISO_LEN bytes).
 * Returns 0, or -1 when ms is not vtime_in_range (or buf is too small). */
int vtime_format_iso(int64_t ms, char *buf, size_t size);

#endif
