/* vtime.h -- wall-clock and monotonic time in milliseconds, ISO 8601 format */
#ifndef MQTTVOTE_VTIME_H
#define MQTTVOTE_VTIME_H

#include <stddef.h>
#include <stdint.h>

#define VTIME_ISO_LEN 25 /* "2026-11-22T10:00:00.123Z" and its NUL */

/* vtime_now_ms: milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t vtime_now_ms(void);

/* vtime_mono_ms: milliseconds from an arbitrary fixed point
 * (CLOCK_MONOTONIC): for deadlines and intervals, never for stamps. */
int64_t vtime_mono_ms(void);

/* vtime_format_iso: writes ms (since the epoch) as UTC
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (at least VTIME_ISO_LEN bytes).
 * Returns 0, or -1 when the time cannot be represented. */
int vtime_format_iso(int64_t ms, char *buf, size_t size);

#endif
