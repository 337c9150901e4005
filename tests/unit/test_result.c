/* test_result.c -- unit tests of result: the result value, and its JSON published on vote/<poll>/result */
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
#include "result.h"
#include "tally.h"
#include "testkit.h"

/* assert_keys: poll's result lists keys ("a=1,b=0"), in order, and total. */
static void assert_keys(const struct tally *t, const char *poll, const char *keys, double total)
{
	cJSON *root = result(t, poll);
	char got[256];

	counts_keys(root, got, sizeof(got));
	assert_string_equal(got, keys);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "total")->valuedouble, total);
	cJSON_Delete(root);
}

/* json_of: result_json of poll 0 of t, which must succeed; malloc'd. */
static char *json_of(const struct tally *t)
{
	char err[256] = "";
	char *json = tally_result_json(t, 0, NULL, err, sizeof(err));

	if (!json)
		fail_msg("result_json: %s", err);
	return json;
}

static void result_json_should_list_configured_choices_in_configured_order_with_zeros(void **state)
{
	static const char *const choices[] = { "zulu", "alpha", "mike" };
	struct tally *t = new_tally(choices, 3, true);
	struct ballot b = mk("p1", "bob", "alpha", NULL, -1);
	char keys[256];
	cJSON *root;

	(void)state;
	assert_int_equal(apply(t, &b), TALLY_COUNTED);
	root = result(t, "p1");
	counts_keys(root, keys, sizeof(keys));
	assert_string_equal(keys, "zulu=0,alpha=1,mike=0");
	cJSON_Delete(root);
	tally_free(t);
}

static void result_json_should_list_configured_choices_for_a_poll_with_only_rejections(void **state)
{
	static const char *const choices[] = { "b", "a" };
	struct tally *t = new_tally(choices, 2, true);
	char err[256] = "", keys[256];
	cJSON *root;

	(void)state;
	assert_int_equal(tally_reject(t, "p1", NOW, err, sizeof(err)), 0);
	root = result(t, "p1");
	counts_keys(root, keys, sizeof(keys));
	assert_string_equal(keys, "b=0,a=0");
	cJSON_Delete(root);
	tally_free(t);
}

static void result_json_should_list_only_choices_with_votes_in_byte_order(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	static const struct {
		const char *voter, *choice;
	} in[] = {
		{ "v1", "b" }, { "v2", "\xc3\xa9t\xc3\xa9" }, { "v3", "a" }, { "v4", "B" },
		{ "v5", "c" }, { "v6", "b" }, { "v7", "aa" }, { "v8", "gone" },
	};
	struct ballot b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		b = mk("p1", in[i].voter, in[i].choice, NULL, -1);
		assert_int_equal(apply(t, &b), TALLY_COUNTED);
	}
	b = mk("p1", "v8", "c", NULL, -1); /* "gone" falls to 0 votes */
	assert_int_equal(apply(t, &b), TALLY_REPLACED);
	assert_keys(t, "p1", "B=1,a=1,aa=1,b=2,c=2,\xc3\xa9t\xc3\xa9=1", 8);
	tally_free(t);
}

static void result_json_should_have_empty_counts_for_a_poll_without_votes(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	char err[256] = "", *json;

	(void)state;
	assert_int_equal(tally_reject(t, "p1", NOW, err, sizeof(err)), 0);
	json = tally_result_json(t, 0, NULL, err, sizeof(err));
	assert_non_null(json);
	assert_string_equal(json, "{\"poll\":\"p1\",\"counts\":{},\"total\":0,\"rejected\":1,\"updated\":\"" NOW_ISO "\"}");
	free(json);
	tally_free(t);
}

static void result_json_should_hold_poll_counts_total_rejected_and_updated(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot a = mk("p1", "alice", "yes", NULL, -1);
	struct ballot b = mk("p1", "bob", "no", NULL, -1);
	char err[256] = "", *json;
	cJSON *root;

	(void)state;
	assert_int_equal(apply_at(t, &a, NOW - 5000).status, TALLY_COUNTED);
	assert_int_equal(apply_at(t, &b, NOW).status, TALLY_COUNTED);
	json = tally_result_json(t, 0, NULL, err, sizeof(err));
	assert_non_null(json);
	assert_string_equal(json, "{\"poll\":\"p1\",\"counts\":{\"no\":1,\"yes\":1},\"total\":2,"
				  "\"rejected\":0,\"updated\":\"" NOW_ISO "\"}");
	root = cJSON_Parse(json);
	assert_non_null(root);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "poll")->valuestring, "p1");
	assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "counts")));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(root, "total")));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(root, "rejected")));
	assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "updated")));
	assert_int_equal(cJSON_GetArraySize(root), 5);
	cJSON_Delete(root);
	free(json);
	tally_free(t);
}

static void result_json_updated_should_be_the_time_of_the_last_change(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot b2 = mk("p1", "bob", "no", id_of(2), 200);
	struct ballot b1 = mk("p1", "bob", "yes", id_of(1), 100);
	char err[256] = "";
	cJSON *root;

	(void)state;
	assert_int_equal(apply_at(t, &b2, NOW).status, TALLY_COUNTED);
	assert_int_equal(apply_at(t, &b1, NOW + 60000).status, TALLY_STALE);
	assert_int_equal(apply_at(t, &b2, NOW + 120000).status, TALLY_DUPLICATE);
	root = result(t, "p1");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "updated")->valuestring, NOW_ISO);
	cJSON_Delete(root);
	assert_int_equal(tally_reject(t, "p1", NOW + 3600000, err, sizeof(err)), 0);
	root = result(t, "p1");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "updated")->valuestring,
			    "2023-11-14T23:13:20.123Z");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "rejected")->valuedouble, 1);
	cJSON_Delete(root);
	tally_free(t);
}

static void result_json_should_list_other_choices_after_the_configured_ones_in_byte_order(void **state)
{
	/* which choices are offered is the check step's rule: a tally asked
	 * to count another choice (a store written with other --choices)
	 * shows it after the configured ones, when it has votes */
	static const char *const choices[] = { "yes", "no" };
	struct tally *t = new_tally(choices, 2, true);
	static const char *const in[][2] = { { "v1", "x" }, { "v2", "yes" }, { "v3", "B" }, { "v4", "gone" } };
	struct ballot b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		b = mk("p1", in[i][0], in[i][1], NULL, -1);
		assert_int_equal(apply(t, &b), TALLY_COUNTED);
	}
	b = mk("p1", "v4", "x", NULL, -1);
	assert_int_equal(apply(t, &b), TALLY_REPLACED);
	assert_keys(t, "p1", "yes=1,no=0,B=1,x=2", 4);
	tally_free(t);
}

static void result_json_should_escape_names_as_json_strings(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot b = mk("p-1.x_Y", "bob", "say \"hi\" \\ caf\xc3\xa9", NULL, -1);
	char *json;

	(void)state;
	assert_int_equal(apply_at(t, &b, NOW).status, TALLY_COUNTED);
	json = json_of(t);
	assert_string_equal(json, "{\"poll\":\"p-1.x_Y\",\"counts\":{\"say \\\"hi\\\" \\\\ caf\xc3\xa9\":1},"
				  "\"total\":1,\"rejected\":0,\"updated\":\"" NOW_ISO "\"}");
	free(json);
	tally_free(t);
}

static void result_json_should_show_a_restored_polls_counts_and_time(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot b = mk("p1", "bob", "yes", id_of(1), 5);
	char err[256] = "", *json;

	(void)state;
	/* as the core loads a store: ballots at time 0, then the poll's row */
	assert_int_equal(apply_at(t, &b, 0).status, TALLY_COUNTED);
	assert_int_equal(tally_restore_poll(t, "p1", 7, NOW, err, sizeof(err)), 0);
	json = json_of(t);
	assert_string_equal(json, "{\"poll\":\"p1\",\"counts\":{\"yes\":1},\"total\":1,\"rejected\":7,"
				  "\"updated\":\"" NOW_ISO "\"}");
	free(json);
	tally_free(t);
}

static void result_json_should_write_the_epoch_for_time_0_and_for_a_time_it_cannot_represent(void **state)
{
	static const int64_t times[] = { 0, INT64_MAX };
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(times) / sizeof(times[0]); k++) {
		struct tally *t = new_tally(NULL, 0, true);
		char err[256] = "", *json;
		cJSON *root;
		const cJSON *updated;

		assert_int_equal(tally_restore_poll(t, "p1", 0, times[k], err, sizeof(err)), 0);
		json = json_of(t);
		root = cJSON_Parse(json);
		assert_non_null(root);
		updated = cJSON_GetObjectItemCaseSensitive(root, "updated");
		assert_true(cJSON_IsString(updated));
		assert_string_equal(updated->valuestring, "1970-01-01T00:00:00.000Z");
		cJSON_Delete(root);
		free(json);
		tally_free(t);
	}
}

static void result_value_should_outlive_its_tally_and_show_as_its_view_says(void **state)
{
	static const char *const choices[] = { "yes", "no" };
	struct tally *t = new_tally(choices, 2, true);
	struct ballot b = mk("p1", "bob", "yes", NULL, -1);
	struct result_view hidden = { "open", true, NULL };
	struct result_value shown, held;
	char err[256] = "", *json;

	(void)state;
	assert_int_equal(apply_at(t, &b, NOW).status, TALLY_COUNTED);
	assert_int_equal(result_value_of(t, 0, NULL, &shown, err, sizeof(err)), 0);
	assert_int_equal(result_value_of(t, 0, &hidden, &held, err, sizeof(err)), 0);
	assert_true(shown.version == tally_poll_version(t, 0));
	tally_free(t); /* the values are copies */
	assert_int_equal(shown.ncounts, 2);
	json = result_json(&shown, err, sizeof(err));
	assert_non_null(json);
	assert_string_equal(json, "{\"poll\":\"p1\",\"counts\":{\"yes\":1,\"no\":0},\"total\":1,\"rejected\":0,"
				  "\"updated\":\"" NOW_ISO "\"}");
	free(json);
	assert_int_equal(held.ncounts, 0);
	json = result_json(&held, err, sizeof(err));
	assert_non_null(json);
	assert_string_equal(json, "{\"poll\":\"p1\",\"total\":1,\"rejected\":0,\"updated\":\"" NOW_ISO "\","
				  "\"status\":\"open\",\"results\":\"after-close\"}");
	free(json);
	result_value_free(&shown);
	result_value_free(&held);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(result_json_should_list_configured_choices_in_configured_order_with_zeros),
		cmocka_unit_test(result_json_should_list_configured_choices_for_a_poll_with_only_rejections),
		cmocka_unit_test(result_json_should_list_only_choices_with_votes_in_byte_order),
		cmocka_unit_test(result_json_should_have_empty_counts_for_a_poll_without_votes),
		cmocka_unit_test(result_json_should_hold_poll_counts_total_rejected_and_updated),
		cmocka_unit_test(result_json_updated_should_be_the_time_of_the_last_change),
		cmocka_unit_test(result_json_should_list_other_choices_after_the_configured_ones_in_byte_order),
		cmocka_unit_test(result_json_should_escape_names_as_json_strings),
		cmocka_unit_test(result_json_should_show_a_restored_polls_counts_and_time),
		cmocka_unit_test(result_json_should_write_the_epoch_for_time_0_and_for_a_time_it_cannot_represent),
		cmocka_unit_test(result_value_should_outlive_its_tally_and_show_as_its_view_says),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
