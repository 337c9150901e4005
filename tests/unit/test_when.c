/* test_when.c -- unit tests of when: durations from now, ISO 8601 times, their errors, durations in words */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "when.h"

#define NOW 1796025600000LL /* 2026-11-30T08:00:00.000Z */
#define RANGE "the time must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z"
#define FORM "want a duration from now (+90s, +5m, +1h30m, +2d) or an ISO 8601 time " \
	     "(2026-11-30T10:05:00Z, 2026-11-30T10:05:00+01:00, or 2026-11-30T10:05 in local time)"

struct good {
	const char *in;
	int64_t want; /* ms since the epoch */
};

struct bad {
	const char *in;
	const char *err;
};

static int set_tz(void **state)
{
	(void)state;
	/* local time: Paris (CET, CEST from the last Sunday of March) */
	if (setenv("TZ", "Europe/Paris", 1) != 0)
		return -1;
	tzset();
	return 0;
}

static void when_parse_should_read_durations_and_times(void **state)
{
	static const struct good table[] = {
		{ "+90s", NOW + 90000 },
		{ "+5m", NOW + 300000 },
		{ "+1h", NOW + 3600000 },
		{ "+1h30m", NOW + 5400000 },
		{ "+2d", NOW + 2 * 86400000LL },
		{ "+1d2h3m4s", NOW + 86400000LL + 2 * 3600000 + 3 * 60000 + 4000 },
		{ "+0h1s", NOW + 1000 },
		{ "+3650d", NOW + 3650 * 86400000LL },
		{ "2026-11-30T10:05:00Z", 1796033100000LL },
		{ "2026-11-30T10:05Z", 1796033100000LL },
		{ "2026-11-30T10:05:00+01:00", 1796029500000LL },
		{ "2026-11-30T10:05:00-02:30", 1796042100000LL },
		{ "2026-11-30T10:05", 1796029500000LL },         /* Paris in winter: UTC+1 */
		{ "2026-07-01T12:00:00", 1782900000000LL },      /* Paris in summer: UTC+2 */
		{ "2028-02-29T00:00:00Z", 1835395200000LL },     /* a leap day */
		{ "1970-01-01T00:00:00Z", 0 },                  /* the first time a poll can have */
		{ "1970-01-01T01:00", 0 },                      /* Paris in 1970: UTC+1 */
		{ "1970-01-01T00:00:00-01:00", 3600000LL },
		{ "9999-12-31T23:59:59Z", 253402300799000LL }, /* the last whole second */
		{ "9999-12-31T23:59:59+14:00", 253402250399000LL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		char err[256] = "";
		int64_t got = -1;

		if (when_parse(table[i].in, NOW, &got, err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", table[i].in, err);
		if (got != table[i].want)
			fail_msg("'%s': %lld, want %lld", table[i].in, (long long)got, (long long)table[i].want);
	}
}

static void when_parse_should_refuse_with_the_reason(void **state)
{
	static const struct bad table[] = {
		{ "", FORM },
		{ "+", FORM },
		{ "5m", FORM },
		{ "+5", FORM },
		{ "+5x", FORM },
		{ "+m", FORM },
		{ "+-5m", FORM },
		{ "+5m ", FORM },
		{ "+1.5h", FORM },
		{ "+30m1h", "a duration takes d, h, m and s in that order, each at most once (+1h30m)" },
		{ "+5m5m", "a duration takes d, h, m and s in that order, each at most once (+1h30m)" },
		{ "+0s", "a duration must be more than 0" },
		{ "+0d0h", "a duration must be more than 0" },
		{ "+3651d", "a duration must be at most 3650 days" },
		{ "+3650d1s", "a duration must be at most 3650 days" },
		{ "+99999999999999999999s", "a duration must be at most 3650 days" },
		{ "tomorrow", FORM },
		{ "2026-11-30", FORM },
		{ "2026-11-30 10:05", FORM },
		{ "2026-11-30t10:05Z", FORM },
		{ "2026-11-30T10:5", FORM },
		{ "2026-11-30T10:05:0Z", FORM },
		{ "2026-11-30T10:05:00.5Z", FORM },
		{ "2026-11-30T10:05:00z", FORM },
		{ "2026-11-30T10:05:00+0100", FORM },
		{ "2026-11-30T10:05:00+01", FORM },
		{ "2026-11-30T10:05:00Z ", FORM },
		{ "2026-02-30T10:05:00Z", "no such date: 2026-02-30" },
		{ "2027-02-29T10:05Z", "no such date: 2027-02-29" },
		{ "2026-13-01T10:05Z", "no such date: 2026-13-01" },
		{ "2026-11-00T10:05Z", "no such date: 2026-11-00" },
		{ "2026-11-30T24:00:00Z", "no such time of day: 24:00:00" },
		{ "2026-11-30T10:60Z", "no such time of day: 10:60" },
		{ "2026-11-30T10:05:60Z", "no such time of day: 10:05:60" },
		{ "1969-12-31T23:59:59Z", RANGE },
		/* an offset or the local zone past either end of the range */
		{ "9999-12-31T23:59:59-14:00", RANGE }, /* 10000-01-01T13:59:59Z: issue 19 */
		{ "9999-12-31T23:59:59-00:01", RANGE },
		{ "1970-01-01T00:00:00+00:01", RANGE },
		{ "1970-01-01T00:59:59", RANGE },       /* Paris: -1 s, what mktime gives for an error too */
		{ "1970-01-01T00:30", RANGE },
		{ "2026-11-30T10:05:00+24:00", "no such UTC offset: +24:00 (want -23:59 to +23:59)" },
		{ "2026-11-30T10:05:00-01:60", "no such UTC offset: -01:60 (want -23:59 to +23:59)" },
		{ "2026-03-29T02:30", "no such local time: 2026-03-29T02:30 (skipped by a clock change)" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		char err[256] = "";
		int64_t got = 12345;

		if (when_parse(table[i].in, NOW, &got, err, sizeof(err)) == 0)
			fail_msg("'%s' accepted as %lld", table[i].in, (long long)got);
		if (strcmp(err, table[i].err) != 0)
			fail_msg("'%s': '%s', want '%s'", table[i].in, err, table[i].err);
		assert_int_equal(got, 12345); /* untouched */
	}
}

/* when_parse_should_refuse_a_duration_past_the_range: now + the duration
 * is the time, and it too must be in range. */
static void when_parse_should_refuse_a_duration_past_the_range(void **state)
{
	const int64_t last = 253402300799999LL; /* 9999-12-31T23:59:59.999Z */
	char err[256] = "";
	int64_t got = 12345;

	(void)state;
	assert_int_equal(when_parse("+1s", last - 1000, &got, err, sizeof(err)), 0);
	assert_int_equal(got, last);
	got = 12345;
	assert_int_equal(when_parse("+1s", last - 999, &got, err, sizeof(err)), -1);
	assert_string_equal(err, RANGE);
	assert_int_equal(got, 12345);
}

static void when_format_left_should_give_the_two_largest_units(void **state)
{
	static const struct {
		int64_t ms;
		const char *want;
	} table[] = {
		{ -5000, "0s" },         { 0, "0s" },           { 999, "0s" },        { 12000, "12s" },
		{ 299999, "4m 59s" },    { 300000, "5m" },      { 3600000, "1h" },    { 3605000, "1h" },
		{ 5400000, "1h 30m" },   { 86400000, "1d" },    { 184000000, "2d 3h" },
		{ 90061000, "1d 1h" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		char buf[32];

		if (strcmp(when_format_left(table[i].ms, buf, sizeof(buf)), table[i].want) != 0)
			fail_msg("%lld ms: '%s', want '%s'", (long long)table[i].ms, buf, table[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(when_parse_should_read_durations_and_times),
		cmocka_unit_test(when_parse_should_refuse_with_the_reason),
		cmocka_unit_test(when_parse_should_refuse_a_duration_past_the_range),
		cmocka_unit_test(when_format_left_should_give_the_two_largest_units),
	};

	return cmocka_run_group_tests(tests, set_tz, NULL);
}
