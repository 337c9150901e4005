/* test_polldef.c -- unit tests of polldef: the times a poll's command, information and stored definition can hold, and the kinds of question */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "polldef.h"
#include "pollinfo.h"
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

/* A command refused: its head and tail, and the reason. */
struct refusal {
	const char *tail, *err;
};

/* assert_refused: each command head + table[k].tail refused with table[k].err. */
static void assert_refused(const char *head, const struct refusal *table, size_t n)
{
	struct polldef_cmd cmd;
	char json[512], err[256];
	size_t k;

	for (k = 0; k < n; k++) {
		snprintf(json, sizeof(json), "%s%s", head, table[k].tail);
		err[0] = '\0';
		if (parse_cmd(json, &cmd, err, sizeof(err)) == 0)
			fail_msg("%s: taken", json);
		if (strcmp(err, table[k].err) != 0)
			fail_msg("%s: '%s', want '%s'", json, err, table[k].err);
	}
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
	static const struct refusal table[] = {
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

	(void)state;
	assert_refused(OPEN_CMD, table, sizeof(table) / sizeof(table[0]));
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

/* ---- the kinds of question (issue 21) ---- */

#define OPEN_Y2 "{\"cmd\":\"open\",\"poll\":\"y2\",\"question\":\"Q?\""
#define ABC ",\"choices\":[\"a\",\"b\",\"c\"]"

/* parse_ok: the command json, which must be taken. */
static struct polldef parse_ok(const char *json)
{
	struct polldef_cmd cmd;
	char err[256] = "";

	if (parse_cmd(json, &cmd, err, sizeof(err)) != 0)
		fail_msg("%s: refused: %s", json, err);
	return cmd.def;
}

/* polldef_cmd_parse_should_take_each_kind_and_fill_its_defaults */
static void polldef_cmd_parse_should_take_each_kind_and_fill_its_defaults(void **state)
{
	struct polldef d;

	(void)state;
	d = parse_ok(OPEN_Y2 ABC "}");
	assert_int_equal(d.kind, POLLDEF_SINGLE);
	d = parse_ok(OPEN_Y2 ABC ",\"kind\":\"single\"}");
	assert_int_equal(d.kind, POLLDEF_SINGLE);
	d = parse_ok(OPEN_Y2 ABC ",\"kind\":\"multiple\"}");
	assert_int_equal(d.kind, POLLDEF_MULTIPLE);
	assert_int_equal(d.min_picks, 1);
	assert_int_equal(d.max_picks, 3);
	d = parse_ok(OPEN_Y2 ABC ",\"kind\":\"multiple\",\"min_picks\":0,\"max_picks\":2}");
	assert_int_equal(d.min_picks, 0);
	assert_int_equal(d.max_picks, 2);
	d = parse_ok(OPEN_Y2 ABC ",\"kind\":\"multiple\",\"min_picks\":2,\"max_picks\":2}");
	assert_int_equal(d.min_picks, 2);
	d = parse_ok(OPEN_Y2 ABC ",\"kind\":\"ranked\"}");
	assert_int_equal(d.kind, POLLDEF_RANKED);
	assert_false(d.full);
	d = parse_ok(OPEN_Y2 ABC ",\"kind\":\"ranked\",\"full\":true}");
	assert_true(d.full);
	d = parse_ok(OPEN_Y2 ",\"kind\":\"scale\",\"low\":1,\"high\":5}");
	assert_int_equal(d.kind, POLLDEF_SCALE);
	assert_int_equal(d.nchoices, 0);
	assert_int_equal(d.low, 1);
	assert_int_equal(d.high, 5);
	assert_string_equal(d.low_label, "");
	d = parse_ok(OPEN_Y2 ",\"kind\":\"scale\",\"low\":-1000000,\"high\":-999900,\"low_label\":\"Cafe\\u0301\","
			     "\"high_label\":\"good\"}");
	assert_int_equal(d.low, -1000000);
	assert_int_equal(d.high, -999900);
	assert_string_equal(d.low_label, "Caf\xc3\xa9"); /* in NFC */
	assert_string_equal(d.high_label, "good");
	d = parse_ok(OPEN_Y2 ",\"kind\":\"scale\",\"low\":0,\"high\":1,\"low_label\":null}");
	assert_int_equal(d.high, 1);
}

/* polldef_cmd_parse_should_refuse_each_kind_rule_with_its_text */
static void polldef_cmd_parse_should_refuse_each_kind_rule_with_its_text(void **state)
{
	static const struct refusal table[] = {
		{ ABC ",\"kind\":\"approval\"}", "'kind' must be \"single\", \"multiple\", \"ranked\" or \"scale\"" },
		{ ABC ",\"kind\":3}", "'kind' must be \"single\", \"multiple\", \"ranked\" or \"scale\"" },
		{ ABC ",\"min_picks\":1}", "'min_picks' is a parameter of a multiple poll, not of a single one" },
		{ ABC ",\"kind\":\"ranked\",\"max_picks\":1}",
		  "'max_picks' is a parameter of a multiple poll, not of a ranked one" },
		{ ABC ",\"kind\":\"multiple\",\"full\":true}", "'full' is a parameter of a ranked poll, not of a multiple one" },
		{ ABC ",\"low\":1}", "'low' is a parameter of a scale poll, not of a single one" },
		{ ABC ",\"kind\":\"multiple\",\"max_picks\":4}",
		  "'max_picks' must be an integer from 1 to the number of choices (3)" },
		{ ABC ",\"kind\":\"multiple\",\"max_picks\":0}",
		  "'max_picks' must be an integer from 1 to the number of choices (3)" },
		{ ABC ",\"kind\":\"multiple\",\"max_picks\":1.5}",
		  "'max_picks' must be an integer from 1 to the number of choices (3)" },
		{ ABC ",\"kind\":\"multiple\",\"max_picks\":2,\"min_picks\":3}",
		  "'min_picks' must be an integer from 0 to 'max_picks' (2)" },
		{ ABC ",\"kind\":\"multiple\",\"min_picks\":-1}", "'min_picks' must be an integer from 0 to 'max_picks' (3)" },
		{ ABC ",\"kind\":\"multiple\",\"min_picks\":\"1\"}",
		  "'min_picks' must be an integer from 0 to 'max_picks' (3)" },
		{ ",\"kind\":\"multiple\"}", "'choices' must be a list of 1 to 32 choices" },
		{ ",\"choices\":[\"a\"],\"kind\":\"ranked\"}", "'choices' of a ranked poll must be a list of 2 to 32 choices" },
		{ ",\"kind\":\"ranked\"}", "'choices' of a ranked poll must be a list of 2 to 32 choices" },
		{ ABC ",\"kind\":\"ranked\",\"full\":1}", "'full' must be true or false" },
		{ ABC ",\"kind\":\"scale\",\"low\":1,\"high\":5}",
		  "a scale poll takes no 'choices' (its voters give a value from 'low' to 'high')" },
		{ ",\"kind\":\"scale\",\"high\":5}",
		  "'low' must be an integer from -1000000 to 1000000 (a scale poll needs 'low' and 'high')" },
		{ ",\"kind\":\"scale\",\"low\":1}",
		  "'high' must be an integer from -1000000 to 1000000 (a scale poll needs 'low' and 'high')" },
		{ ",\"kind\":\"scale\",\"low\":1,\"high\":1000001}",
		  "'high' must be an integer from -1000000 to 1000000 (a scale poll needs 'low' and 'high')" },
		{ ",\"kind\":\"scale\",\"low\":0.5,\"high\":5}",
		  "'low' must be an integer from -1000000 to 1000000 (a scale poll needs 'low' and 'high')" },
		{ ",\"kind\":\"scale\",\"low\":5,\"high\":5}", "'high' must be 1 to 100 more than 'low' (a scale of 2 to 101 values)" },
		{ ",\"kind\":\"scale\",\"low\":5,\"high\":1}", "'high' must be 1 to 100 more than 'low' (a scale of 2 to 101 values)" },
		{ ",\"kind\":\"scale\",\"low\":0,\"high\":101}",
		  "'high' must be 1 to 100 more than 'low' (a scale of 2 to 101 values)" },
		{ ",\"kind\":\"scale\",\"low\":1,\"high\":5,\"low_label\":\"\"}",
		  "'low_label' must be 1 to 64 bytes of UTF-8 without control characters" },
		{ ",\"kind\":\"scale\",\"low\":1,\"high\":5,\"high_label\":7}",
		  "'high_label' must be 1 to 64 bytes of UTF-8 without control characters" },
		{ ",\"kind\":\"scale\",\"low\":1,\"high\":5,\"high_label\":\"a\\u200bb\"}",
		  "'high_label' contains an invisible or format character U+200B" },
	};

	(void)state;
	assert_refused(OPEN_Y2, table, sizeof(table) / sizeof(table[0]));
}

/* round_trip: d's information, which must be want exactly, parsed back
 * into what d is. */
static void round_trip(const struct polldef *d, const char *want)
{
	struct polldef back;
	char err[256] = "", *json = polldef_info_json(d, err, sizeof(err));

	if (!json)
		fail_msg("polldef_info_json: %s", err);
	if (strcmp(json, want) != 0)
		fail_msg("info\n  %s\nwant\n  %s", json, want);
	if (polldef_info_parse(json, strlen(json), &back, err, sizeof(err)) != 0)
		fail_msg("polldef_info_parse: %s", err);
	free(json);
	assert_int_equal(back.kind, d->kind);
	assert_int_equal(back.nchoices, d->nchoices);
	assert_int_equal(back.min_picks, d->min_picks);
	assert_int_equal(back.max_picks, d->max_picks);
	assert_int_equal(back.full, d->full);
	assert_int_equal(back.low, d->low);
	assert_int_equal(back.high, d->high);
	assert_string_equal(back.low_label, d->low_label);
	assert_string_equal(back.high_label, d->high_label);
}

#define INFO_HEAD "{\"poll\":\"y1\",\"question\":\"Q?\","
#define INFO_TAIL                                                                                              \
	"\"status\":\"open\",\"opens\":\"1970-01-01T00:00:00.000Z\",\"closes\":null,\"closed\":null,"       \
	"\"results\":\"live\",\"revote\":true,\"defined\":true,\"signed\":false"

/* polldef_info_json_should_write_the_kind_but_for_a_single_poll: a single
 * poll's information as it was before kinds, byte for byte; the others
 * with every parameter, defaults written out; each parsed back. */
static void polldef_info_json_should_write_the_kind_but_for_a_single_poll(void **state)
{
	struct polldef d = defined_poll();

	(void)state;
	round_trip(&d, INFO_HEAD "\"choices\":[\"a\",\"b\"]," INFO_TAIL "}");
	d.kind = POLLDEF_MULTIPLE;
	d.min_picks = 1;
	d.max_picks = 2;
	round_trip(&d, INFO_HEAD "\"choices\":[\"a\",\"b\"]," INFO_TAIL
				 ",\"kind\":\"multiple\",\"min_picks\":1,\"max_picks\":2}");
	d = defined_poll();
	d.kind = POLLDEF_RANKED;
	round_trip(&d, INFO_HEAD "\"choices\":[\"a\",\"b\"]," INFO_TAIL ",\"kind\":\"ranked\",\"full\":false}");
	d.full = true;
	round_trip(&d, INFO_HEAD "\"choices\":[\"a\",\"b\"]," INFO_TAIL ",\"kind\":\"ranked\",\"full\":true}");
	d = defined_poll();
	d.kind = POLLDEF_SCALE;
	d.nchoices = 0;
	d.low = -2;
	d.high = 2;
	round_trip(&d, INFO_HEAD "\"choices\":null," INFO_TAIL
				 ",\"kind\":\"scale\",\"low\":-2,\"high\":2,\"low_label\":null,\"high_label\":null}");
	strcpy(d.low_label, "bad");
	strcpy(d.high_label, "tr\xc3\xa8s bien");
	round_trip(&d, INFO_HEAD "\"choices\":null," INFO_TAIL
				 ",\"kind\":\"scale\",\"low\":-2,\"high\":2,\"low_label\":\"bad\",\"high_label\":\"tr\xc3\xa8s bien\"}");
}

/* polldef_cmd_json_should_carry_the_kind_to_the_tallier: what pollctl
 * sends, parsed as the tallier does; a single poll's command unchanged. */
static void polldef_cmd_json_should_carry_the_kind_to_the_tallier(void **state)
{
	struct polldef_cmd cmd = { .kind = POLLDEF_CMD_OPEN, .def = defined_poll() }, back;
	char err[256] = "", *json;

	(void)state;
	json = polldef_cmd_json(&cmd, err, sizeof(err));
	assert_non_null(json);
	assert_string_equal(json, "{\"cmd\":\"open\",\"poll\":\"y1\",\"question\":\"Q?\",\"choices\":[\"a\",\"b\"],"
				  "\"results\":\"live\",\"revote\":true}");
	free(json);
	cmd.def.kind = POLLDEF_MULTIPLE;
	cmd.def.min_picks = 0; /* max_picks 0: the number of choices */
	json = polldef_cmd_json(&cmd, err, sizeof(err));
	assert_non_null(json);
	assert_int_equal(parse_cmd(json, &back, err, sizeof(err)), 0);
	free(json);
	assert_int_equal(back.def.kind, POLLDEF_MULTIPLE);
	assert_int_equal(back.def.min_picks, 0);
	assert_int_equal(back.def.max_picks, 2);
	cmd.def = defined_poll();
	cmd.def.kind = POLLDEF_SCALE;
	cmd.def.nchoices = 0;
	cmd.def.low = 0;
	cmd.def.high = 10;
	strcpy(cmd.def.high_label, "great");
	json = polldef_cmd_json(&cmd, err, sizeof(err));
	assert_non_null(json);
	assert_string_equal(json, "{\"cmd\":\"open\",\"poll\":\"y1\",\"question\":\"Q?\",\"kind\":\"scale\",\"low\":0,"
				  "\"high\":10,\"high_label\":\"great\",\"results\":\"live\",\"revote\":true}");
	assert_int_equal(parse_cmd(json, &back, err, sizeof(err)), 0);
	free(json);
	assert_int_equal(back.def.high, 10);
	assert_string_equal(back.def.high_label, "great");
	assert_string_equal(back.def.low_label, "");
}

/* pollinfo_kind_and_describe_should_say_each_kind_in_words: what voter
 * --info and pollctl print; a single poll's lines as before kinds. */
static void pollinfo_kind_and_describe_should_say_each_kind_in_words(void **state)
{
	struct polldef d = defined_poll();
	char buf[POLLINFO_TEXT_MAX], kind[256];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	d.opens_ms = 1000;
	assert_string_equal(pollinfo_kind(&d, kind, sizeof(kind)), "single");
	assert_string_equal(pollinfo_describe(&d, 2000, buf, sizeof(buf)),
			    "y1: Q?\n  choices: a, b\n  status:  open\n  opens:   1970-01-01 00:00:01 UTC\n"
			    "  closes:  by hand\n  results: live, revote yes\n");
	d.kind = POLLDEF_MULTIPLE;
	d.min_picks = 1;
	d.max_picks = 2;
	assert_string_equal(pollinfo_kind(&d, kind, sizeof(kind)), "multiple, 1 to 2 picks");
	assert_string_equal(pollinfo_describe(&d, 2000, buf, sizeof(buf)),
			    "y1: Q?\n  choices: a, b\n  kind:    multiple, 1 to 2 picks\n  status:  open\n"
			    "  opens:   1970-01-01 00:00:01 UTC\n  closes:  by hand\n  results: live, revote yes\n");
	d.min_picks = 2;
	assert_string_equal(pollinfo_kind(&d, kind, sizeof(kind)), "multiple, 2 picks");
	d.min_picks = d.max_picks = 1;
	assert_string_equal(pollinfo_kind(&d, kind, sizeof(kind)), "multiple, 1 pick");
	d.kind = POLLDEF_RANKED;
	assert_string_equal(pollinfo_kind(&d, kind, sizeof(kind)), "ranked (1 to 2 choices)");
	d.full = true;
	assert_string_equal(pollinfo_kind(&d, kind, sizeof(kind)), "ranked (full)");
	d = defined_poll();
	d.opens_ms = 1000;
	d.kind = POLLDEF_SCALE;
	d.nchoices = 0;
	d.low = 1;
	d.high = 5;
	assert_string_equal(pollinfo_kind(&d, kind, sizeof(kind)), "scale: 1 to 5");
	strcpy(d.low_label, "bad");
	strcpy(d.high_label, "good");
	assert_string_equal(pollinfo_kind(&d, kind, sizeof(kind)), "scale: 1 (bad) to 5 (good)");
	assert_string_equal(pollinfo_describe(&d, 2000, buf, sizeof(buf)),
			    "y1: Q?\n  scale:   1 (bad) to 5 (good)\n  status:  open\n"
			    "  opens:   1970-01-01 00:00:01 UTC\n  closes:  by hand\n  results: live, revote yes\n");
	d.low = -10;
	d.low_label[0] = '\0';
	assert_string_equal(pollinfo_kind(&d, kind, sizeof(kind)), "scale: -10 to 5 (good)");
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
		cmocka_unit_test(polldef_cmd_parse_should_take_each_kind_and_fill_its_defaults),
		cmocka_unit_test(polldef_cmd_parse_should_refuse_each_kind_rule_with_its_text),
		cmocka_unit_test(polldef_info_json_should_write_the_kind_but_for_a_single_poll),
		cmocka_unit_test(polldef_cmd_json_should_carry_the_kind_to_the_tallier),
		cmocka_unit_test(pollinfo_kind_and_describe_should_say_each_kind_in_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
