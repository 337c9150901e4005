/* test_receipt.c -- unit tests of receipt: receipt topics, the receipt JSON the tallier writes and the voter reads */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ballot.h"
#include "receipt.h"
#include "result.h"
#include "tally.h"

#define ID_A "0123456789abcdef0123456789abcdef"
#define ERR_OBJECT "a receipt is a JSON object"
#define ERR_STATUS "a receipt has a status: counted, duplicate or rejected"
#define RESULT "{\"poll\":\"p1\",\"counts\":{\"yes\":3,\"no\":1},\"total\":4,\"rejected\":2," \
	       "\"updated\":\"2023-11-14T22:13:20.123Z\"}"
#define R16 "abcdefghijklmnop"
#define R128 R16 R16 R16 R16 R16 R16 R16 R16
#define E64 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"

/* topic_valid: receipt_topic_valid on an exact-size heap copy of
 * topic[0..len) (no NUL after it), so AddressSanitizer reports any read
 * past len. */
static bool topic_valid(const char *poll, const char *topic, size_t len)
{
	char *copy = malloc(len ? len : 1);
	bool valid;

	assert_non_null(copy);
	if (len)
		memcpy(copy, topic, len);
	valid = receipt_topic_valid(poll, copy, len);
	free(copy);
	return valid;
}

/* parse: receipt_parse on an exact-size heap copy of payload[0..len). */
static int parse(const char *payload, size_t len, struct receipt *out, char *err, size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	if (len)
		memcpy(copy, payload, len);
	rc = receipt_parse(copy, len, out, err, errlen);
	free(copy);
	return rc;
}

/* to_json: receipt_to_json, which must succeed; malloc'd. */
static char *to_json(const char *id, const char *poll, enum receipt_status status, const char *reason,
		     const char *result)
{
	char err[256] = "";
	char *json = receipt_to_json(id, poll, status, reason, result, err, sizeof(err));

	if (!json)
		fail_msg("receipt_to_json: %s", err);
	return json;
}

/* ---- receipt_topic_valid ---- */

struct topic_case {
	const char *name;
	const char *poll;
	const char *topic;
	bool valid;
};

static const struct topic_case topic_cases[] = {
	/* good */
	{ "a short rest", "p1", "vote/p1/receipt/abc", true },
	{ "a rest of 1 byte", "p1", "vote/p1/receipt/x", true },
	{ "a rest of 128 bytes", "p1", "vote/p1/receipt/" R128, true },
	{ "a rest of 128 bytes of e-acute", "p1", "vote/p1/receipt/" E64, true },
	{ "a rest of several levels", "p1", "vote/p1/receipt/alice/3f2a", true },
	{ "a rest with a space and a dot", "p1", "vote/p1/receipt/bob smith.1", true },
	{ "a poll with dot and dash", "budget.2026-a", "vote/budget.2026-a/receipt/x_1", true },
	/* wrong poll or place */
	{ "another poll", "p1", "vote/p2/receipt/abc", false },
	{ "a longer poll", "p1", "vote/p10/receipt/abc", false },
	{ "a shorter poll", "p10", "vote/p1/receipt/abc", false },
	{ "poll in another case", "p1", "vote/P1/receipt/abc", false },
	{ "the result topic", "p1", "vote/p1/result", false },
	{ "the ballot topic", "p1", "vote/p1", false },
	{ "receipts, not receipt", "p1", "vote/p1/receipts/abc", false },
	{ "another prefix", "p1", "VOTE/p1/receipt/abc", false },
	{ "a leading slash", "p1", "/vote/p1/receipt/abc", false },
	{ "empty topic", "p1", "", false },
	{ "the prefix without its slash", "p1", "vote/p1/receipt", false },
	{ "the prefix only (empty rest)", "p1", "vote/p1/receipt/", false },
	/* wildcards */
	{ "a + level", "p1", "vote/p1/receipt/+", false },
	{ "a # level", "p1", "vote/p1/receipt/#", false },
	{ "a + inside", "p1", "vote/p1/receipt/a+b", false },
	{ "a # at the end", "p1", "vote/p1/receipt/a/#", false },
	{ "a + in the poll", "p1", "vote/+/receipt/abc", false },
	/* too long */
	{ "a rest of 129 bytes", "p1", "vote/p1/receipt/" R128 "x", false },
	{ "a rest of 130 bytes of e-acute", "p1", "vote/p1/receipt/" E64 "\xc3\xa9", false },
	/* control characters */
	{ "a control byte", "p1", "vote/p1/receipt/a\x01" "b", false },
	{ "a newline", "p1", "vote/p1/receipt/a\nb", false },
	{ "a tab", "p1", "vote/p1/receipt/\t", false },
	{ "DEL", "p1", "vote/p1/receipt/a\x7f", false },
	{ "U+0085", "p1", "vote/p1/receipt/a\xc2\x85", false },
};

static void receipt_topic_valid_should_follow_the_table(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(topic_cases) / sizeof(topic_cases[0]); i++) {
		const struct topic_case *c = &topic_cases[i];

		if (topic_valid(c->poll, c->topic, strlen(c->topic)) != c->valid) {
			print_error("case '%s': poll '%s' topic '%s' (%zu bytes): expected %s\n", c->name, c->poll,
				    c->topic, strlen(c->topic), c->valid ? "valid" : "invalid");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void receipt_topic_valid_should_read_only_len_bytes(void **state)
{
	static const char topic[] = "vote/p1/receipt/abc+#";
	static const char nul[] = "vote/p1/receipt/a\0b";

	(void)state;
	assert_true(topic_valid("p1", topic, sizeof(topic) - 1 - 2));
	assert_false(topic_valid("p1", topic, sizeof(topic) - 1));
	/* the prefix cut short */
	assert_false(topic_valid("p1", topic, 10));
	assert_false(topic_valid("p1", topic, 0));
	/* a NUL inside the topic is a control character */
	assert_false(topic_valid("p1", nul, sizeof(nul) - 1));
}

/* ---- receipt_to_json ---- */

static void receipt_to_json_should_write_id_status_and_the_counts_of_the_result(void **state)
{
	char *json;

	(void)state;
	json = to_json(ID_A, "p1", RECEIPT_COUNTED, NULL, RESULT);
	assert_string_equal(json, "{\"id\":\"" ID_A "\",\"poll\":\"p1\",\"status\":\"counted\","
				  "\"counts\":{\"yes\":3,\"no\":1}}");
	free(json);
}

static void receipt_to_json_should_leave_out_an_absent_id_and_write_the_reason(void **state)
{
	char *json;

	(void)state;
	json = to_json(NULL, "p1", RECEIPT_REJECTED, "unknown choice 'x'", RESULT);
	assert_string_equal(json, "{\"poll\":\"p1\",\"status\":\"rejected\",\"reason\":\"unknown choice 'x'\","
				  "\"counts\":{\"yes\":3,\"no\":1}}");
	free(json);
	json = to_json("", "p1", RECEIPT_DUPLICATE, "", RESULT);
	assert_string_equal(json, "{\"poll\":\"p1\",\"status\":\"duplicate\",\"counts\":{\"yes\":3,\"no\":1}}");
	free(json);
	json = to_json(ID_A, "p1", RECEIPT_DUPLICATE, "a later ballot of this voter counts", RESULT);
	assert_string_equal(json, "{\"id\":\"" ID_A "\",\"poll\":\"p1\",\"status\":\"duplicate\","
				  "\"reason\":\"a later ballot of this voter counts\","
				  "\"counts\":{\"yes\":3,\"no\":1}}");
	free(json);
}

static void receipt_to_json_should_escape_the_reason(void **state)
{
	char *json;

	(void)state;
	json = to_json(NULL, "p1", RECEIPT_REJECTED, "bad \"x\" \\ y\n", "{\"counts\":{}}");
	assert_string_equal(json, "{\"poll\":\"p1\",\"status\":\"rejected\",\"reason\":\"bad \\\"x\\\" \\\\ y\\n\","
				  "\"counts\":{}}");
	free(json);
}

static void receipt_to_json_should_copy_the_counts_of_a_tally_result(void **state)
{
	static const char *const choices[] = { "yes", "no", "caf\xc3\xa9" };
	struct tally_config cfg = { choices, 3, true };
	static const char *const voters[] = { "a", "b", "c", "d" };
	static const char *const votes[] = { "yes", "no", "yes", "yes" };
	char err[256] = "", *result, *json;
	struct tally *t = tally_new(&cfg, err, sizeof(err));
	size_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 4; i++) {
		struct ballot b;
		struct tally_outcome out;

		memset(&b, 0, sizeof(b));
		strcpy(b.poll, "p1");
		strcpy(b.voter, voters[i]);
		strcpy(b.choice, votes[i]);
		assert_int_equal(tally_apply(t, &b, 1700000000123LL, &out, err, sizeof(err)), 0);
	}
	result = result_json(t, 0, err, sizeof(err));
	assert_non_null(result);
	json = to_json(ID_A, "p1", RECEIPT_COUNTED, NULL, result);
	assert_string_equal(json, "{\"id\":\"" ID_A "\",\"poll\":\"p1\",\"status\":\"counted\","
				  "\"counts\":{\"yes\":3,\"no\":1,\"caf\xc3\xa9\":0}}");
	free(json);
	free(result);
	tally_free(t);
}

static void receipt_to_json_should_fail_without_a_result_to_copy_counts_from(void **state)
{
	static const char *const bad[] = { "", "not json", "{\"poll\":\"p1\",\"total\":0}", "[]" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";
		char *json = receipt_to_json(ID_A, "p1", RECEIPT_COUNTED, NULL, bad[i], err, sizeof(err));

		if (json)
			fail_msg("result '%s' gave %s", bad[i], json);
		assert_string_equal(err, "cannot build the receipt JSON");
	}
}

/* ---- receipt_parse ---- */

static void receipt_parse_should_read_back_each_status(void **state)
{
	static const struct {
		const char *id, *reason;
		enum receipt_status status;
	} cases[] = {
		{ ID_A, NULL, RECEIPT_COUNTED },
		{ NULL, NULL, RECEIPT_COUNTED },
		{ ID_A, NULL, RECEIPT_DUPLICATE },
		{ ID_A, "a later ballot of this voter counts", RECEIPT_DUPLICATE },
		{ ID_A, "already voted", RECEIPT_REJECTED },
		{ NULL, "malformed JSON", RECEIPT_REJECTED },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *json = to_json(cases[i].id, "budget.2026", cases[i].status, cases[i].reason, RESULT);
		struct receipt r;
		char err[256] = "";

		memset(&r, 0x5a, sizeof(r));
		if (parse(json, strlen(json), &r, err, sizeof(err)) != 0)
			fail_msg("case %zu: %s refused: %s", i, json, err);
		assert_int_equal(r.status, cases[i].status);
		assert_string_equal(r.id, cases[i].id ? cases[i].id : "");
		assert_string_equal(r.poll, "budget.2026");
		assert_string_equal(r.reason, cases[i].reason ? cases[i].reason : "");
		assert_string_equal(r.counts, "yes 3, no 1");
		free(json);
	}
}

static void receipt_parse_should_write_the_counts_as_text(void **state)
{
	static const struct {
		const char *json, *counts;
	} cases[] = {
		{ "{\"status\":\"counted\",\"counts\":{\"yes\":3,\"no\":1}}", "yes 3, no 1" },
		{ "{\"status\":\"counted\",\"counts\":{\"a\":0}}", "a 0" },
		{ "{\"status\":\"counted\",\"counts\":{\"caf\xc3\xa9\":12,\"x y\":100000}}", "caf\xc3\xa9 12, x y 100000" },
		{ "{\"status\":\"counted\",\"counts\":{}}", "" },
		{ "{\"status\":\"counted\"}", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct receipt r;
		char err[256] = "";

		if (parse(cases[i].json, strlen(cases[i].json), &r, err, sizeof(err)) != 0)
			fail_msg("%s refused: %s", cases[i].json, err);
		assert_string_equal(r.counts, cases[i].counts);
		assert_string_equal(r.id, "");
		assert_string_equal(r.poll, "");
		assert_string_equal(r.reason, "");
	}
}

static void receipt_parse_should_cut_long_counts_short_to_fit(void **state)
{
	char json[8192], name[65];
	size_t used, k;
	struct receipt r;
	char err[256] = "";

	(void)state;
	used = (size_t)snprintf(json, sizeof(json), "{\"status\":\"counted\",\"counts\":{");
	for (k = 0; k < 40; k++) {
		snprintf(name, sizeof(name), "%02zu%s", k, "-choice-with-a-long-name-padding-it-out-to-sixty");
		used += (size_t)snprintf(json + used, sizeof(json) - used, "%s\"%s\":%zu", k ? "," : "", name, k);
	}
	used += (size_t)snprintf(json + used, sizeof(json) - used, "}}");
	assert_true(used < sizeof(json));
	assert_int_equal(parse(json, used, &r, err, sizeof(err)), 0);
	assert_true(strlen(r.counts) < sizeof(r.counts));
	assert_true(strlen(r.counts) > 400);
	assert_memory_equal(r.counts, "00-choice-with-a-long-name-padding-it-out-to-sixty 0, 01-", 57);
}

struct parse_case {
	const char *name;
	const char *payload;
	const char *err;
};

static const struct parse_case bad_cases[] = {
	{ "empty", "", ERR_OBJECT },
	{ "not JSON", "counted", ERR_OBJECT },
	{ "unterminated", "{\"status\":\"counted\"", ERR_OBJECT },
	{ "array", "[{\"status\":\"counted\"}]", ERR_OBJECT },
	{ "string", "\"counted\"", ERR_OBJECT },
	{ "number", "1", ERR_OBJECT },
	{ "null", "null", ERR_OBJECT },
	{ "no status", "{\"poll\":\"p1\",\"counts\":{}}", ERR_STATUS },
	{ "empty object", "{}", ERR_STATUS },
	{ "unknown status", "{\"status\":\"lost\"}", ERR_STATUS },
	{ "status in capitals", "{\"status\":\"Counted\"}", ERR_STATUS },
	{ "status as a number", "{\"status\":0}", ERR_STATUS },
	{ "status null", "{\"status\":null}", ERR_STATUS },
	{ "empty status", "{\"status\":\"\"}", ERR_STATUS },
	{ "status of a result", "{\"poll\":\"p1\",\"counts\":{},\"total\":0,\"rejected\":0}", ERR_STATUS },
};

static void receipt_parse_should_refuse_what_is_not_a_receipt(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct parse_case *c = &bad_cases[i];
		struct receipt r;
		char err[256] = "";
		int rc = parse(c->payload, strlen(c->payload), &r, err, sizeof(err));

		if (rc != -1 || strcmp(err, c->err) != 0) {
			print_error("case '%s': expected -1 \"%s\", got %d \"%s\"\n", c->name, c->err, rc,
				    rc ? err : "");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void receipt_parse_should_read_only_len_bytes(void **state)
{
	static const char buf[] = "{\"status\":\"rejected\",\"reason\":\"x\"}{\"status\":\"counted\"}";
	size_t first = (size_t)(strchr(buf, '}') - buf) + 1;
	struct receipt r;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(buf, first, &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, RECEIPT_REJECTED);
	assert_string_equal(r.reason, "x");
	assert_int_equal(parse(buf, 20, &r, err, sizeof(err)), -1);
	assert_string_equal(err, ERR_OBJECT);
}

/* ---- receipt_status_word ---- */

static void receipt_status_word_should_name_each_status(void **state)
{
	(void)state;
	assert_string_equal(receipt_status_word(RECEIPT_COUNTED), "counted");
	assert_string_equal(receipt_status_word(RECEIPT_DUPLICATE), "duplicate");
	assert_string_equal(receipt_status_word(RECEIPT_REJECTED), "rejected");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(receipt_topic_valid_should_follow_the_table),
		cmocka_unit_test(receipt_topic_valid_should_read_only_len_bytes),
		cmocka_unit_test(receipt_to_json_should_write_id_status_and_the_counts_of_the_result),
		cmocka_unit_test(receipt_to_json_should_leave_out_an_absent_id_and_write_the_reason),
		cmocka_unit_test(receipt_to_json_should_escape_the_reason),
		cmocka_unit_test(receipt_to_json_should_copy_the_counts_of_a_tally_result),
		cmocka_unit_test(receipt_to_json_should_fail_without_a_result_to_copy_counts_from),
		cmocka_unit_test(receipt_parse_should_read_back_each_status),
		cmocka_unit_test(receipt_parse_should_write_the_counts_as_text),
		cmocka_unit_test(receipt_parse_should_cut_long_counts_short_to_fit),
		cmocka_unit_test(receipt_parse_should_refuse_what_is_not_a_receipt),
		cmocka_unit_test(receipt_parse_should_read_only_len_bytes),
		cmocka_unit_test(receipt_status_word_should_name_each_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
