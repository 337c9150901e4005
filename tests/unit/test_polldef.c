/* test_polldef.c -- unit tests of polldef: the times a poll's command, information and stored definition can hold */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "polldef.h"
#include "vtime.h"

#define LAST 253402300799999LL /* 9999-12-31T23:59:59.999Z */
#define OPEN_CMD "{\"cmd\":\"open\",\"poll\":\"y1\",\"question\":\"Q?\",\"choices\":[\"a\",\"b\"]"
#define MS_RULE(name) \
	"'" name "' must be a time in ms since the epoch, 0 to 253402300799999 " \
	"(1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)"

static int parse_cmd(const char *json, struct polldef_cmd *cmd, char *err, size_t errlen)
{
	return polldef_cmd_parse(json, strlen(json), cmd, err, errlen);
}

/* polldef_cmd_parse_should_take_times_from_1970_to_9999: both ends of
 * the range, 0 included (issue 19: "opens":0 was refused). */
static void polldef_cmd_parse_should_take_times_from_1970_to_9999(void **state)
{
	struct polldef_cmd cmd;
	char err[256] = "";

	(void)state;
	if (parse_cmd(OPEN_CMD ",\"opens\":0,\"closes\":253402300799999}", &cmd, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	assert_true(cmd.has_opens);
	assert_int_equal(cmd.def.opens_ms, 0);
	assert_int_equal(cmd.def.closes_ms, LAST);
	if (parse_cmd(OPEN_CMD ",\"closes\":1}", &cmd, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	assert_false(cmd.has_opens);
	assert_int_equal(cmd.def.closes_ms, 1);
}

/* polldef_cmd_parse_should_refuse_times_out_of_range: what a hostile
 * client could send in place of pollctl, each with the rule. */
static void polldef_cmd_parse_should_refuse_times_out_of_range(void **state)
{
	static const struct {
		const char *tail, *err;
	} table[] = {
		{ ",\"closes\":253402351199000}", MS_RULE("closes") }, /* 10000-01-01T13:59:59Z: issue 19 */
		{ ",\"closes\":253402300800000}", MS_RULE("closes") },
		{ ",\"opens\":9007199254740991}", MS_RULE("opens") },  /* 2^53 - 1: taken before */
		{ ",\"opens\":1e300}", MS_RULE("opens") },
		{ ",\"opens\":-1}", MS_RULE("opens") },
		{ ",\"opens\":-0.5}", MS_RULE("opens") },
		{ ",\"opens\":1.5}", MS_RULE("opens") },
		{ ",\"opens\":\"0\"}", MS_RULE("opens") },
		{ ",\"opens\":true}", MS_RULE("opens") },
		/* 0 is a time, long past: never "by hand only" */
		{ ",\"closes\":0}", "'closes' must come after 'opens'" },
		{ ",\"opens\":0,\"closes\":0}", "'closes' must come after 'opens'" },
	};
	struct polldef_cmd cmd;
	char json[256], err[256];
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(table) / sizeof(table[0]); k++) {
		snprintf(json, sizeof(json), OPEN_CMD "%s", table[k].tail);
		err[0] = '\0';
		if (parse_cmd(json, &cmd, err, sizeof(err)) == 0)
			fail_msg("%s: taken", json);
		if (strcmp(err, table[k].err) != 0)
			fail_msg("%s: '%s', want '%s'", json, err, table[k].err);
	}
}

static struct polldef defined_poll(void)
{
	struct polldef d = { .poll = "y1", .defined = true, .question = "Q?", .choices = { "a", "b" },
			     .nchoices = 2, .revote = true, .status = POLLDEF_OPEN };

	return d;
}

/* polldef_info_json_should_write_1970_for_a_defined_poll: "opens" is null
 * only for a poll nobody defined; a defined one opening at 0 says so. */
static void polldef_info_json_should_write_1970_for_a_defined_poll(void **state)
{
	struct polldef d = defined_poll(), back;
	char err[256] = "", *json;

	(void)state;
	d.closes_ms = LAST;
	json = polldef_info_json(&d, err, sizeof(err));
	assert_non_null(json);
	assert_non_null(strstr(json, "\"opens\":\"1970-01-01T00:00:00.000Z\",\"closes\":\"9999-12-31T23:59:59.999Z\""));
	assert_int_equal(polldef_info_parse(json, strlen(json), &back, err, sizeof(err)), 0);
	assert_int_equal(back.opens_ms, 0);
	assert_int_equal(back.closes_ms, LAST);
	free(json);
	d.defined = false;
	d.closes_ms = 0;
	json = polldef_info_json(&d, err, sizeof(err));
	assert_non_null(json);
	assert_non_null(strstr(json, "\"opens\":null,\"closes\":null"));
	free(json);
}

/* polldef_info_json_should_name_a_time_it_cannot_write: the cause, not
 * "out of memory" (issue 19: a closing time in the year 10000 did not fit
 * the ISO buffer, and the failure was reported as memory). */
static void polldef_info_json_should_name_a_time_it_cannot_write(void **state)
{
	struct polldef d = defined_poll();
	char err[256] = "";

	(void)state;
	d.opens_ms = 1000;
	d.closes_ms = 253402351199000LL;
	assert_null(polldef_info_json(&d, err, sizeof(err)));
	assert_string_equal(err, "poll y1: 'closes' (253402351199000 ms) cannot be written as a time: the time must be "
				 "from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z");
}

/* polldef_info_parse_should_refuse_a_time_out_of_range: what a voter or
 * pollctl reads back from the broker. */
static void polldef_info_parse_should_refuse_a_time_out_of_range(void **state)
{
	static const char *const times[] = { "1969-12-31T23:59:59.999Z", "-001-01-01T00:00:00.000Z",
					     "+9999-12-31T23:59:59.999Z" };
	struct polldef d;
	char json[256], err[256];
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(times) / sizeof(times[0]); k++) {
		snprintf(json, sizeof(json), "{\"poll\":\"y1\",\"status\":\"open\",\"opens\":\"%s\"}", times[k]);
		err[0] = '\0';
		assert_int_equal(polldef_info_parse(json, strlen(json), &d, err, sizeof(err)), -1);
		assert_string_equal(err, "'opens' is not a time of the form 2026-11-30T10:05:00.000Z");
	}
}

/* polldef_clamp_times_should_bring_stored_times_into_range: a stored
 * definition from an older version (issue 19's y1) or a hand. */
static void polldef_clamp_times_should_bring_stored_times_into_range(void **state)
{
	struct polldef d = defined_poll(), same;
	char err[512] = "";

	(void)state;
	d.opens_ms = 1000;
	d.closes_ms = 253402351199000LL;
	assert_int_equal(polldef_clamp_times(&d, err, sizeof(err)), 1);
	assert_string_equal(err, "'closes' 253402351199000 ms is out of range (1970-01-01T00:00:00Z to "
				 "9999-12-31T23:59:59.999Z): taken as 9999-12-31T23:59:59.999Z");
	assert_int_equal(d.opens_ms, 1000);
	assert_int_equal(d.closes_ms, LAST);

	d = defined_poll();
	d.opens_ms = INT64_MAX;
	d.closes_ms = -5;
	d.closed_ms = INT64_MIN;
	assert_int_equal(polldef_clamp_times(&d, err, sizeof(err)), 1);
	assert_string_equal(err, "'opens' 9223372036854775807 ms is out of range (1970-01-01T00:00:00Z to "
				 "9999-12-31T23:59:59.999Z): taken as 9999-12-31T23:59:59.999Z; "
				 "'closes' -5 ms is out of range (1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z): "
				 "taken as 1970-01-01T00:00:00.001Z; "
				 "'closed' -9223372036854775808 ms is out of range (1970-01-01T00:00:00Z to "
				 "9999-12-31T23:59:59.999Z): taken as 1970-01-01T00:00:00.000Z");
	assert_int_equal(d.opens_ms, LAST);
	assert_int_equal(d.closes_ms, 1); /* 0 would read as "by hand only" */
	assert_int_equal(d.closed_ms, 0);

	/* in range: untouched, and no word said; a short buffer is no harm */
	d = defined_poll();
	d.closes_ms = LAST;
	same = d;
	strcpy(err, "untouched");
	assert_int_equal(polldef_clamp_times(&d, err, sizeof(err)), 0);
	assert_string_equal(err, "untouched");
	assert_memory_equal(&d, &same, sizeof(d));
	d.closes_ms = LAST + 1;
	assert_int_equal(polldef_clamp_times(&d, err, 8), 1);
	assert_string_equal(err, "'closes");
	assert_int_equal(d.closes_ms, LAST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(polldef_cmd_parse_should_take_times_from_1970_to_9999),
		cmocka_unit_test(polldef_cmd_parse_should_refuse_times_out_of_range),
		cmocka_unit_test(polldef_info_json_should_write_1970_for_a_defined_poll),
		cmocka_unit_test(polldef_info_json_should_name_a_time_it_cannot_write),
		cmocka_unit_test(polldef_info_parse_should_refuse_a_time_out_of_range),
		cmocka_unit_test(polldef_clamp_times_should_bring_stored_times_into_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
