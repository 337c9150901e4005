/* vtime.c -- wall-clock and monotonic time in milliseconds, ISO 8601 format */
#include "vtime.h"

#include <stdio.h>
#include <time.h>

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0; /* cannot happen for these clocks on Linux */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vtime_now_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t vtime_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

bool vtime_in_range(int64_t ms)
{
	return ms >= VTIME_MS_MIN && ms <= VTIME_MS_MAX;
}

int vtime_format_iso(int64_t ms, char *buf, size_t size)
{
	time_t secs;
	struct tm tm;
	int n;

	if (!vtime_in_range(ms))
		return -1;
	secs = (time_t)(ms / 1000);
	if (!gmtime_r(&secs, &tm))
		return -1;
	n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}
