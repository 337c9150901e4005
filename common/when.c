/* when.c -- time arguments: a duration from now (+1h30m) or an ISO 8601 time, and durations in words */
#include "when.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vtime.h"

#define FORM_RULE "want a duration from now (+90s, +5m, +1h30m, +2d) or an ISO 8601 time " \
		  "(2026-11-30T10:05:00Z, 2026-11-30T10:05:00+01:00, or 2026-11-30T10:05 in local time)"
#define DAY_MS 86400000LL

/* digits: the n decimal digits at s as a number, or -1 when one is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* days_from_civil: days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* parse_duration: s after the '+'. */
static int parse_duration(const char *s, int64_t now_ms, int64_t *out, char *err, size_t errlen)
{
	static const char units[] = "dhms";
	static const int64_t unit_ms[] = { DAY_MS, 3600000LL, 60000LL, 1000LL };
	int64_t total = 0;
	int last = -1;

	if (!*s) {
		snprintf(err, errlen, FORM_RULE);
		return -1;
	}
	while (*s) {
		int64_t n = 0;
		size_t len = strspn(s, "0123456789");
		const char *unit;

		if (len == 0 || !s[len] || !(unit = strchr(units, s[len]))) {
			snprintf(err, errlen, FORM_RULE);
			return -1;
		}
		if (unit - units <= last) {
			snprintf(err, errlen, "a duration takes d, h, m and s in that order, each at most once (+1h30m)");
			return -1;
		}
		last = (int)(unit - units);
		for (size_t i = 0; i < len; i++) {
			n = n * 10 + (s[i] - '0');
			if (n > WHEN_MAX_DAYS * 86400LL) { /* past any bound in any unit: no overflow */
				snprintf(err, errlen, "a duration must be at most %d days", WHEN_MAX_DAYS);
				return -1;
			}
		}
		total += n * unit_ms[last];
		if (total > WHEN_MAX_DAYS * DAY_MS) {
			snprintf(err, errlen, "a duration must be at most %d days", WHEN_MAX_DAYS);
			return -1;
		}
		s += len + 1;
	}
	if (total == 0) {
		snprintf(err, errlen, "a duration must be more than 0");
		return -1;
	}
	*out = now_ms + total;
	return 0;
}

/* local_ms: the local time y-m-d h:mi:sec as ms since the epoch. */
static int local_ms(int y, int m, int d, int h, int mi, int sec, int64_t *out, char *err, size_t errlen)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
			 .tm_sec = sec, .tm_isdst = -1 };
	time_t t;

	errno = 0;
	t = mktime(&tm); /* -1 is also 1969-12-31T23:59:59Z: an error only with errno */
	/* a time that a clock change skips comes back moved */
	if ((t == (time_t)-1 && errno != 0) || tm.tm_hour != h || tm.tm_min != mi || tm.tm_mday != d) {
		snprintf(err, errlen, "no such local time: %04d-%02d-%02dT%02d:%02d (skipped by a clock change)", y, m,
			 d, h, mi);
		return -1;
	}
	*out = (int64_t)t * 1000;
	return 0;
}

/* parse_iso: YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM|-HH:MM]. */
static int parse_iso(const char *s, int64_t *out, char *err, size_t errlen)
{
	int y, m, d, h, mi, sec = 0, off = 0;
	const char *rest = s + 16;

	if (strlen(s) < 16 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    (y = digits(s, 4)) < 0 || (m = digits(s + 5, 2)) < 0 || (d = digits(s + 8, 2)) < 0 ||
	    (h = digits(s + 11, 2)) < 0 || (mi = digits(s + 14, 2)) < 0) {
		snprintf(err, errlen, FORM_RULE);
		return -1;
	}
	if (rest[0] == ':') {
		if ((sec = digits(rest + 1, 2)) < 0) {
			snprintf(err, errlen, FORM_RULE);
			return -1;
		}
		rest += 3;
	}
	if (y < 1970) {
		snprintf(err, errlen, VTIME_RANGE_RULE);
		return -1;
	}
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
		snprintf(err, errlen, "no such date: %.10s", s);
		return -1;
	}
	if (h > 23 || mi > 59 || sec > 59) {
		snprintf(err, errlen, "no such time of day: %.*s", (int)(rest - (s + 11)), s + 11);
		return -1;
	}
	if (!*rest)
		return local_ms(y, m, d, h, mi, sec, out, err, errlen);
	if (strcmp(rest, "Z") != 0) {
		int oh, om;

		if ((rest[0] != '+' && rest[0] != '-') || strlen(rest) != 6 || rest[3] != ':' ||
		    (oh = digits(rest + 1, 2)) < 0 || (om = digits(rest + 4, 2)) < 0) {
			snprintf(err, errlen, FORM_RULE);
			return -1;
		}
		if (oh > 23 || om > 59) {
			snprintf(err, errlen, "no such UTC offset: %s (want -23:59 to +23:59)", rest);
			return -1;
		}
		off = (oh * 60 + om) * (rest[0] == '-' ? -1 : 1);
	}
	*out = ((days_from_civil(y, m, d) * 86400LL) + h * 3600LL + mi * 60LL + sec - off * 60LL) * 1000;
	return 0;
}

int when_parse(const char *s, int64_t now_ms, int64_t *out, char *err, size_t errlen)
{
	int64_t ms;

	if ((s[0] == '+' ? parse_duration(s + 1, now_ms, &ms, err, errlen) : parse_iso(s, &ms, err, errlen)) != 0)
		return -1;
	/* an offset or the local zone can take a time past either end */
	if (!vtime_in_range(ms)) {
		snprintf(err, errlen, VTIME_RANGE_RULE);
		return -1;
	}
	*out = ms;
	return 0;
}

const char *when_format_left(int64_t ms, char *buf, size_t size)
{
	static const char names[] = "dhms";
	static const int64_t unit_s[] = { 86400, 3600, 60, 1 };
	int64_t secs = ms > 0 ? ms / 1000 : 0, next;
	int i = 0;

	while (i < 3 && secs < unit_s[i])
		i++;
	next = i < 3 ? secs % unit_s[i] / unit_s[i + 1] : 0;
	if (next > 0)
		snprintf(buf, size, "%lld%c %lld%c", (long long)(secs / unit_s[i]), names[i], (long long)next,
			 names[i + 1]);
	else
		snprintf(buf, size, "%lld%c", (long long)(secs / unit_s[i]), names[i]);
	return buf;
}
