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
#include "testkit.h"

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

/* topic_valid: whether receipt_topic_check accepts an exact-size heap copy of
 * topic[0..len) (no NUL after it), so AddressSanitizer reports any read
 * past len. */
static bool topic_valid(const char *poll, const char *topic, size_t len)
{
	char *copy = malloc(len ? len : 1);
	char why[160];
	bool valid;

	assert_non_null(copy);
	if (len)
		memcpy(copy, topic, len);
	valid = receipt_topic_check(poll, copy, len, why, sizeof(why)) == 0;
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

/* ---- receipt_topic_check ---- */

struct topic_case {
	const char *name;
	const char *poll;
	const char *topic;
	bool valid;
	const char *why; /* receipt_topic_check's reason when not valid */
};

#define NOT_UNDER "not a topic under vote/p1/receipt/"
#define TOO_LONG "longer than 128 bytes after vote/p1/receipt/"
#define WILDCARD "a topic with '+' or '#'"
#define CONTROL "not UTF-8 text without control characters"

static const struct topic_case topic_cases[] = {
	/* good */
	{ "a short rest", "p1", "vote/p1/receipt/abc", true, NULL },
	{ "a rest of 1 byte", "p1", "vote/p1/receipt/x", true, NULL },
	{ "a rest of 128 bytes", "p1", "vote/p1/receipt/" R128, true, NULL },
	{ "a rest of 128 bytes of e-acute", "p1", "vote/p1/receipt/" E64, true, NULL },
	{ "a rest of several levels", "p1", "vote/p1/receipt/alice/3f2a", true, NULL },
	{ "a rest with a space and a dot", "p1", "vote/p1/receipt/bob smith.1", true, NULL },
	{ "a poll with dot and dash", "budget.2026-a", "vote/budget.2026-a/receipt/x_1", true, NULL },
	/* wrong poll or place */
	{ "another poll", "p1", "vote/p2/receipt/abc", false, NOT_UNDER },
	{ "a longer poll", "p1", "vote/p10/receipt/abc", false, NOT_UNDER },
	{ "a shorter poll", "p10", "vote/p1/receipt/abc", false, "not a topic under vote/p10/receipt/" },
	{ "poll in another case", "p1", "vote/P1/receipt/abc", false, NOT_UNDER },
	{ "the result topic", "p1", "vote/p1/result", false, NOT_UNDER },
	{ "the ballot topic", "p1", "vote/p1", false, NOT_UNDER },
	{ "receipts, not receipt", "p1", "vote/p1/receipts/abc", false, NOT_UNDER },
	{ "another prefix", "p1", "VOTE/p1/receipt/abc", false, NOT_UNDER },
	{ "a leading slash", "p1", "/vote/p1/receipt/abc", false, NOT_UNDER },
	{ "empty topic", "p1", "", false, NOT_UNDER },
	{ "the prefix without its slash", "p1", "vote/p1/receipt", false, NOT_UNDER },
	{ "the prefix only (empty rest)", "p1", "vote/p1/receipt/", false, NOT_UNDER },
	/* wildcards */
	{ "a + level", "p1", "vote/p1/receipt/+", false, WILDCARD },
	{ "a # level", "p1", "vote/p1/receipt/#", false, WILDCARD },
	{ "a + inside", "p1", "vote/p1/receipt/a+b", false, WILDCARD },
	{ "a # at the end", "p1", "vote/p1/receipt/a/#", false, WILDCARD },
	{ "a + in the poll", "p1", "vote/+/receipt/abc", false, NOT_UNDER },
	/* too long */
	{ "a rest of 129 bytes", "p1", "vote/p1/receipt/" R128 "x", false, TOO_LONG },
	{ "a rest of 130 bytes of e-acute", "p1", "vote/p1/receipt/" E64 "\xc3\xa9", false, TOO_LONG },
	/* control characters */
	{ "a control byte", "p1", "vote/p1/receipt/a\x01" "b", false, CONTROL },
	{ "a newline", "p1", "vote/p1/receipt/a\nb", false, CONTROL },
	{ "a tab", "p1", "vote/p1/receipt/\t", false, CONTROL },
	{ "DEL", "p1", "vote/p1/receipt/a\x7f", false, CONTROL },
	{ "U+0085", "p1", "vote/p1/receipt/a\xc2\x85", false, CONTROL },
};

/* receipt_topic_check on every row, through topic_valid too: the same
 * verdict, and the reason that says which rule. (receipt_topic_check
 * came with 0d40e6c: before, a rest of 129 bytes was "not a topic under
 * vote/p1/receipt/" in the tallier's words, the reason now TOO_LONG.) */
static void receipt_topic_check_should_follow_the_table_with_its_reason(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(topic_cases) / sizeof(topic_cases[0]); i++) {
		const struct topic_case *c = &topic_cases[i];
		size_t len = strlen(c->topic);
		char *copy = malloc(len ? len : 1), why[160] = "";
		int rc;

		assert_non_null(copy);
		memcpy(copy, c->topic, len); /* exact size, no NUL: AddressSanitizer sees a read past len */
		rc = receipt_topic_check(c->poll, copy, len, why, sizeof(why));
		free(copy);
		if (topic_valid(c->poll, c->topic, len) != c->valid) {
			print_error("case '%s': poll '%s' topic '%s' (%zu bytes): expected %s\n", c->name, c->poll,
				    c->topic, len, c->valid ? "valid" : "invalid");
			failures++;
		} else if (c->valid ? rc != 0 : (rc != -1 || strcmp(why, c->why) != 0)) {
			print_error("case '%s': receipt_topic_check %d \"%s\", expected %d \"%s\"\n", c->name, rc, why,
				    c->valid ? 0 : -1, c->valid ? "" : c->why);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void receipt_topic_check_should_name_the_poll_and_cut_its_reason_to_the_buffer(void **state)
{
	static const char longer[] = "vote/budget.2026/receipt/" R128 "x";
	char why[160] = "", *small = malloc(10);

	(void)state;
	assert_int_equal(receipt_topic_check("budget.2026", longer, sizeof(longer) - 1, why, sizeof(why)), -1);
	assert_string_equal(why, "longer than 128 bytes after vote/budget.2026/receipt/");
	assert_int_equal(receipt_topic_check("budget.2026", "vote/p1/receipt/x", 17, why, sizeof(why)), -1);
	assert_string_equal(why, "not a topic under vote/budget.2026/receipt/");
	assert_non_null(small); /* exact size: AddressSanitizer sees a write past it */
	assert_int_equal(receipt_topic_check("p1", longer, sizeof(longer) - 1, small, 10), -1);
	assert_string_equal(small, "not a top");
	free(small);
}

static void receipt_topic_check_should_read_only_len_bytes(void **state)
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
				  "\"counts\":{\"yes\":3,\"no\":1},\"total\":4}");
	free(json);
}

static void receipt_to_json_should_leave_out_an_absent_id_and_write_the_reason(void **state)
{
	char *json;

	(void)state;
	json = to_json(NULL, "p1", RECEIPT_REJECTED, "unknown choice 'x'", RESULT);
	assert_string_equal(json, "{\"poll\":\"p1\",\"status\":\"rejected\",\"reason\":\"unknown choice 'x'\","
				  "\"counts\":{\"yes\":3,\"no\":1},\"total\":4}");
	free(json);
	json = to_json("", "p1", RECEIPT_DUPLICATE, "", RESULT);
	assert_string_equal(json, "{\"poll\":\"p1\",\"status\":\"duplicate\",\"counts\":{\"yes\":3,\"no\":1},\"total\":4}");
	free(json);
	json = to_json(ID_A, "p1", RECEIPT_DUPLICATE, "a later ballot of this voter counts", RESULT);
	assert_string_equal(json, "{\"id\":\"" ID_A "\",\"poll\":\"p1\",\"status\":\"duplicate\","
				  "\"reason\":\"a later ballot of this voter counts\","
				  "\"counts\":{\"yes\":3,\"no\":1},\"total\":4}");
	free(json);
}

static void receipt_to_json_should_escape_the_reason(void **state)
{
	char *json;

	(void)state;
	json = to_json(NULL, "p1", RECEIPT_REJECTED, "bad \"x\" \\ y\n", "{\"counts\":{},\"total\":0}");
	assert_string_equal(json, "{\"poll\":\"p1\",\"status\":\"rejected\",\"reason\":\"bad \\\"x\\\" \\\\ y\\n\","
				  "\"counts\":{},\"total\":0}");
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
	result = tally_result_json(t, 0, NULL, err, sizeof(err));
	assert_non_null(result);
	json = to_json(ID_A, "p1", RECEIPT_COUNTED, NULL, result);
	assert_string_equal(json, "{\"id\":\"" ID_A "\",\"poll\":\"p1\",\"status\":\"counted\","
				  "\"counts\":{\"yes\":3,\"no\":1,\"caf\xc3\xa9\":0},\"total\":4}");
	free(json);
	free(result);
	tally_free(t);
}

static void receipt_to_json_should_fail_on_a_result_that_is_not_one(void **state)
{
	/* NULL is no result (below); a result without total is a bug (one
	 * without counts is a poll that shows them after it closes: below) */
	static const char *const bad[] = { "", "not json", "[]", "{\"poll\":\"p1\",\"counts\":{\"yes\":1}}" };
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

/* A poll that shows its results after it closes: the receipt, like the
 * result, has the total and no counts while it is open. */
static void receipt_to_json_should_give_the_total_alone_when_the_result_hides_the_counts(void **state)
{
	char err[256] = "";
	char *json = receipt_to_json(ID_A, "p1", RECEIPT_COUNTED, NULL,
				     "{\"poll\":\"p1\",\"total\":2,\"rejected\":0,\"status\":\"open\","
				     "\"results\":\"after-close\"}",
				     err, sizeof(err));

	(void)state;
	assert_non_null(json);
	assert_string_equal(json, "{\"id\":\"" ID_A "\",\"poll\":\"p1\",\"status\":\"counted\",\"total\":2}");
	free(json);
}

/* A refusal on a poll that does not exist creates none (0d40e6c): its
 * receipt has no result to copy, and carries neither counts nor total.
 * Before 0d40e6c receipt_to_json(.., NULL, ..) returned NULL ("cannot
 * build the receipt JSON"): to_json's fail_msg fires. */
static void receipt_to_json_should_write_a_receipt_without_counts_or_total_when_there_is_no_result(void **state)
{
	char *json;

	(void)state;
	json = to_json(ID_A, "p9", RECEIPT_REJECTED, "too many polls: this tallier keeps at most 3 (--max-polls)",
		       NULL);
	assert_string_equal(json, "{\"id\":\"" ID_A "\",\"poll\":\"p9\",\"status\":\"rejected\","
				  "\"reason\":\"too many polls: this tallier keeps at most 3 (--max-polls)\"}");
	free(json);
	json = to_json(NULL, "p9", RECEIPT_REJECTED, "malformed JSON", NULL);
	assert_string_equal(json, "{\"poll\":\"p9\",\"status\":\"rejected\",\"reason\":\"malformed JSON\"}");
	free(json);
}

/* result_of: the result JSON of one poll p1 with n choices c00..c<n-1>,
 * choice k holding k votes (voters v<k>-<j>); malloc'd. */
static char *result_of(size_t n, size_t *total)
{
	struct tally_config cfg = { NULL, 0, true };
	char err[256] = "", *json;
	struct tally *t = tally_new(&cfg, err, sizeof(err));
	size_t k, j;

	assert_non_null(t);
	*total = 0;
	for (k = 0; k < n; k++) {
		for (j = 0; j <= k; j++) { /* k + 1 votes: every choice seen, none at 0 */
			struct ballot b;
			struct tally_outcome out;

			memset(&b, 0, sizeof(b));
			strcpy(b.poll, "p1");
			snprintf(b.voter, sizeof(b.voter), "v%zu-%zu", k, j);
			snprintf(b.choice, sizeof(b.choice), "c%02zu", k);
			assert_int_equal(tally_apply(t, &b, 1700000000123LL, &out, err, sizeof(err)), 0);
			(*total)++;
		}
	}
	json = tally_result_json(t, 0, NULL, err, sizeof(err));
	assert_non_null(json);
	tally_free(t);
	return json;
}

/* Receipts stay small (issue 10: 20,000 choices made a 1.38 MB result
 * in every receipt): the counts only up to RECEIPT_COUNTS_MAX (16)
 * choices, the total always. Before 0d40e6c the 17 and 20 rows had
 * "counts", and no row had "total". */
static void receipt_to_json_should_carry_the_counts_of_at_most_16_choices_and_always_the_total(void **state)
{
	static const struct {
		size_t choices;
		bool counts;
	} cases[] = { { 1, true }, { 15, true }, { RECEIPT_COUNTS_MAX, true }, { RECEIPT_COUNTS_MAX + 1, false },
		      { 20, false }, { 100, false } };
	size_t i, failures = 0;

	(void)state;
	assert_int_equal(RECEIPT_COUNTS_MAX, 16);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t total;
		char *result = result_of(cases[i].choices, &total);
		char *json = to_json(ID_A, "p1", RECEIPT_COUNTED, NULL, result);
		cJSON *root = cJSON_Parse(json);
		const cJSON *counts = cJSON_GetObjectItemCaseSensitive(root, "counts");
		const cJSON *tot = cJSON_GetObjectItemCaseSensitive(root, "total");

		assert_non_null(root);
		if (cases[i].counts != (counts != NULL) ||
		    (counts && (size_t)cJSON_GetArraySize(counts) != cases[i].choices)) {
			print_error("%zu choices: counts %s (%d of them)\n", cases[i].choices,
				    counts ? "present" : "absent", counts ? cJSON_GetArraySize(counts) : 0);
			failures++;
		}
		if (!cJSON_IsNumber(tot) || (size_t)tot->valuedouble != total) {
			print_error("%zu choices: total %s, expected %zu\n", cases[i].choices,
				    tot ? cJSON_PrintUnformatted(tot) : "absent", total);
			failures++;
		}
		/* nothing else of the result: no "rejected", no "updated" */
		if (cJSON_GetArraySize(root) != (cases[i].counts ? 5 : 4)) {
			print_error("%zu choices: %s has other fields\n", cases[i].choices, json);
			failures++;
		}
		cJSON_Delete(root);
		free(json);
		free(result);
	}
	assert_int_equal(failures, 0);
}

static void receipt_parse_should_read_a_receipt_without_counts(void **state)
{
	static const char json[] = "{\"id\":\"" ID_A "\",\"poll\":\"p1\",\"status\":\"counted\",\"total\":210}";
	struct receipt r;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(json, sizeof(json) - 1, &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, RECEIPT_COUNTED);
	assert_string_equal(r.counts, "total 210"); /* what the voter prints for a large poll */
	assert_string_equal(r.id, ID_A);
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
		{ "{\"status\":\"counted\",\"counts\":{\"yes\":3,\"no\":1},\"total\":4}", "yes 3, no 1" },
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

static void receipt_topic_make_should_name_the_client_id_or_refuse_it(void **state)
{
	char buf[TOPIC_MAX], err[256];
	char *long_id = malloc(130);

	(void)state;
	assert_non_null(long_id);
	assert_int_equal(receipt_topic_make("p1", "voter-0123abcd", buf, sizeof(buf), err, sizeof(err)), 0);
	assert_string_equal(buf, "vote/p1/receipt/voter-0123abcd");
	assert_int_equal(receipt_topic_check("p1", buf, strlen(buf), err, sizeof(err)), 0);
	memset(long_id, 'a', 128);
	long_id[128] = '\0';
	assert_int_equal(receipt_topic_make("p1", long_id, buf, sizeof(buf), err, sizeof(err)), 0);
	long_id[128] = 'a';
	long_id[129] = '\0';
	assert_int_equal(receipt_topic_make("p1", long_id, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_int_equal(receipt_topic_make("p1", "a/b", buf, sizeof(buf), err, sizeof(err)), -1);
	assert_string_equal(err, "client id 'a/b' cannot name a receipt topic: it must be 1 to 128 bytes without "
				 "'/', '+', '#' or control characters");
	assert_string_equal(buf, "");
	assert_int_equal(receipt_topic_make("p1", "a+", buf, sizeof(buf), err, sizeof(err)), -1);
	assert_int_equal(receipt_topic_make("p1", "#", buf, sizeof(buf), err, sizeof(err)), -1);
	assert_int_equal(receipt_topic_make("p1", "", buf, sizeof(buf), err, sizeof(err)), -1);
	assert_int_equal(receipt_topic_make("p1", "a\nb", buf, sizeof(buf), err, sizeof(err)), -1);
	free(long_id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(receipt_topic_make_should_name_the_client_id_or_refuse_it),
		cmocka_unit_test(receipt_to_json_should_give_the_total_alone_when_the_result_hides_the_counts),
		cmocka_unit_test(receipt_topic_check_should_follow_the_table_with_its_reason),
		cmocka_unit_test(receipt_topic_check_should_name_the_poll_and_cut_its_reason_to_the_buffer),
		cmocka_unit_test(receipt_topic_check_should_read_only_len_bytes),
		cmocka_unit_test(receipt_to_json_should_write_id_status_and_the_counts_of_the_result),
		cmocka_unit_test(receipt_to_json_should_leave_out_an_absent_id_and_write_the_reason),
		cmocka_unit_test(receipt_to_json_should_escape_the_reason),
		cmocka_unit_test(receipt_to_json_should_copy_the_counts_of_a_tally_result),
		cmocka_unit_test(receipt_to_json_should_fail_on_a_result_that_is_not_one),
		cmocka_unit_test(receipt_to_json_should_write_a_receipt_without_counts_or_total_when_there_is_no_result),
		cmocka_unit_test(receipt_to_json_should_carry_the_counts_of_at_most_16_choices_and_always_the_total),
		cmocka_unit_test(receipt_parse_should_read_a_receipt_without_counts),
		cmocka_unit_test(receipt_parse_should_read_back_each_status),
		cmocka_unit_test(receipt_parse_should_write_the_counts_as_text),
		cmocka_unit_test(receipt_parse_should_cut_long_counts_short_to_fit),
		cmocka_unit_test(receipt_parse_should_refuse_what_is_not_a_receipt),
		cmocka_unit_test(receipt_parse_should_read_only_len_bytes),
		cmocka_unit_test(receipt_status_word_should_name_each_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
