/* test_topic.c -- unit tests of topic: poll names, classifying vote/... topics, filters, result topics */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topic.h"

#define POLL_RULE "poll name must be 1 to 64 characters from A-Z a-z 0-9 _ - ."
#define A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* dup_exact: a heap copy of s[0..len) without a terminating NUL, so that
 * AddressSanitizer reports any read past len. */
static char *dup_exact(const char *s, size_t len)
{
	char *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	if (len)
		memcpy(copy, s, len);
	return copy;
}

/* ---- topic_poll_valid ---- */

struct poll_case {
	const char *poll;
	size_t len;
	bool valid;
};

#define PCASE(lit, valid) { lit, sizeof(lit) - 1, valid }

static const struct poll_case poll_cases[] = {
	PCASE("a", true),
	PCASE("poll1", true),
	PCASE("ABCXYZabcxyz0189_-.", true),
	PCASE("_", true),
	PCASE("-", true),
	PCASE(".", true),
	PCASE("2026-budget.v2_final", true),
	PCASE(A64, true),
	PCASE(A64 "a", false),
	PCASE("", false),
	PCASE("a+b", false),
	PCASE("+", false),
	PCASE("a#", false),
	PCASE("#", false),
	PCASE("a/b", false),
	PCASE("/", false),
	PCASE("$SYS", false),
	PCASE("a b", false),
	PCASE(" ", false),
	PCASE("a:b", false),
	PCASE("a*", false),
	PCASE("caf\xc3\xa9", false),
	PCASE("a\tb", false),
	PCASE("a\0b", false),
};

static void topic_poll_valid_should_follow_the_table(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(poll_cases) / sizeof(poll_cases[0]); i++) {
		char *copy = dup_exact(poll_cases[i].poll, poll_cases[i].len);
		bool got = topic_poll_valid(copy, poll_cases[i].len);

		free(copy);
		if (got != poll_cases[i].valid) {
			print_error("poll '%.*s' (%zu bytes): expected %s\n", (int)poll_cases[i].len,
				    poll_cases[i].poll, poll_cases[i].len,
				    poll_cases[i].valid ? "valid" : "invalid");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void topic_poll_valid_should_read_only_len_bytes(void **state)
{
	(void)state;
	assert_true(topic_poll_valid("poll1/result", 5));
	assert_true(topic_poll_valid("ab+", 2));
	assert_false(topic_poll_valid("ab+", 3));
	assert_false(topic_poll_valid("abc", 0));
}

/* ---- topic_classify ---- */

struct classify_case {
	const char *topic;
	enum topic_kind kind;
	const char *poll;    /* for TOPIC_BALLOT and TOPIC_RESULT */
	const char *err;     /* for TOPIC_INVALID */
	const char *account; /* for TOPIC_BALLOT: NULL means "" */
};

#define ONE_LEVEL "ballots go to vote/<poll>, one level below vote/, or vote/<poll>/by/<account>"
#define ACCOUNT_RULE "the account in vote/<poll>/by/<account> must be 1 to 64 bytes without '/', '+', '#' or control characters"

static const struct classify_case classify_cases[] = {
	{ "vote/poll1", TOPIC_BALLOT, "poll1", NULL, NULL },
	{ "vote/a", TOPIC_BALLOT, "a", NULL, NULL },
	{ "vote/Budget_2026-v1.2", TOPIC_BALLOT, "Budget_2026-v1.2", NULL, NULL },
	{ "vote/" A64, TOPIC_BALLOT, A64, NULL, NULL },
	{ "vote/poll1/result", TOPIC_RESULT, "poll1", NULL, NULL },
	{ "vote/a+b/result", TOPIC_OURS, NULL, NULL, NULL },
	{ "vote/poll1/by/alice", TOPIC_BALLOT, "poll1", NULL, "alice" },
	{ "vote/poll1/by/Zoë Dupont", TOPIC_BALLOT, "poll1", NULL, "Zoë Dupont" },
	{ "vote/poll1/by/" A64, TOPIC_BALLOT, "poll1", NULL, A64 },
	{ "vote/poll1/by/" A64 "a", TOPIC_INVALID, NULL, ACCOUNT_RULE, NULL },
	{ "vote/poll1/by/", TOPIC_INVALID, NULL, ONE_LEVEL, NULL },
	{ "vote/poll1/by/a/b", TOPIC_INVALID, NULL, ACCOUNT_RULE, NULL },
	{ "vote/poll1/by/a\tb", TOPIC_INVALID, NULL, ACCOUNT_RULE, NULL },
	{ "vote/a+b/by/alice", TOPIC_INVALID, NULL, POLL_RULE, NULL },
	{ "vote/poll1/by", TOPIC_INVALID, NULL, ONE_LEVEL, NULL },
	{ "vote/poll1/receipt/abc", TOPIC_OURS, NULL, NULL, NULL },
	{ "vote/poll1/receipt/abc/def", TOPIC_OURS, NULL, NULL, NULL },
	{ "vote/", TOPIC_INVALID, NULL, POLL_RULE, NULL },
	{ "vote/a+b", TOPIC_INVALID, NULL, POLL_RULE, NULL },
	{ "vote/+", TOPIC_INVALID, NULL, POLL_RULE, NULL },
	{ "vote/#", TOPIC_INVALID, NULL, POLL_RULE, NULL },
	{ "vote/$SYS", TOPIC_INVALID, NULL, POLL_RULE, NULL },
	{ "vote/a b", TOPIC_INVALID, NULL, POLL_RULE, NULL },
	{ "vote/" A64 "a", TOPIC_INVALID, NULL, POLL_RULE, NULL },
	{ "vote/a/b", TOPIC_INVALID, NULL, ONE_LEVEL, NULL },
	{ "vote/poll1/", TOPIC_INVALID, NULL, ONE_LEVEL, NULL },
	{ "vote/poll1/result/x", TOPIC_INVALID, NULL, ONE_LEVEL, NULL },
	{ "vote/poll1/results", TOPIC_INVALID, NULL, ONE_LEVEL, NULL },
	{ "vote/poll1/receipt/", TOPIC_INVALID, NULL, ONE_LEVEL, NULL },
	{ "other/x", TOPIC_INVALID, NULL, "ballots go to vote/<poll>", NULL },
	{ "vote", TOPIC_INVALID, NULL, "ballots go to vote/<poll>", NULL },
	{ "", TOPIC_INVALID, NULL, "ballots go to vote/<poll>", NULL },
	{ "Vote/poll1", TOPIC_INVALID, NULL, "ballots go to vote/<poll>", NULL },
	{ "votes/poll1", TOPIC_INVALID, NULL, "ballots go to vote/<poll>", NULL },
	{ "/vote/poll1", TOPIC_INVALID, NULL, "ballots go to vote/<poll>", NULL },
};

static const char *kind_name(enum topic_kind k)
{
	switch (k) {
	case TOPIC_RESULT: return "RESULT";
	case TOPIC_BALLOT: return "BALLOT";
	case TOPIC_OURS: return "OURS";
	case TOPIC_INVALID: return "INVALID";
	}
	return "?";
}

static void topic_classify_should_follow_the_table(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(classify_cases) / sizeof(classify_cases[0]); i++) {
		const struct classify_case *c = &classify_cases[i];
		size_t len = strlen(c->topic);
		char *copy = dup_exact(c->topic, len);
		struct topic_names n;
		char *poll = n.poll, err[128];
		enum topic_kind got;
		const char *want_poll = c->kind == TOPIC_BALLOT || c->kind == TOPIC_RESULT ? c->poll : "";
		const char *want_account = c->kind == TOPIC_BALLOT && c->account ? c->account : "";

		memset(&n, 'X', sizeof(n));
		memset(err, 0, sizeof(err));
		got = topic_classify(copy, len, &n, err, sizeof(err));
		free(copy);
		if (got != c->kind) {
			print_error("topic '%s': expected %s, got %s\n", c->topic, kind_name(c->kind),
				    kind_name(got));
			failures++;
			continue;
		}
		if (memchr(poll, '\0', sizeof(n.poll)) == NULL || strcmp(poll, want_poll) != 0) {
			print_error("topic '%s': expected poll '%s', got '%.*s'\n", c->topic, want_poll,
				    (int)sizeof(n.poll), poll);
			failures++;
		}
		if (memchr(n.account, '\0', sizeof(n.account)) == NULL || strcmp(n.account, want_account) != 0) {
			print_error("topic '%s': expected account '%s', got '%.*s'\n", c->topic, want_account,
				    (int)sizeof(n.account), n.account);
			failures++;
		}
		if (c->kind == TOPIC_INVALID && strcmp(err, c->err) != 0) {
			print_error("topic '%s': expected err '%s', got '%s'\n", c->topic, c->err, err);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void topic_classify_should_give_a_non_empty_reason_for_every_invalid_topic(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(classify_cases) / sizeof(classify_cases[0]); i++) {
		struct topic_names n;
		char err[128] = "";

		if (classify_cases[i].kind != TOPIC_INVALID)
			continue;
		assert_int_equal(topic_classify(classify_cases[i].topic, strlen(classify_cases[i].topic),
						&n, err, sizeof(err)),
				 TOPIC_INVALID);
		assert_true(err[0] != '\0');
	}
}

static void topic_classify_should_read_only_len_bytes(void **state)
{
	/* The topic is a slice of a longer buffer with no NUL after it. */
	static const char buf[] = "vote/poll1/result";
	char *copy = dup_exact(buf, sizeof(buf) - 1);
	struct topic_names n;
	char *poll = n.poll, err[128];

	(void)state;
	assert_int_equal(topic_classify(copy, 10, &n, err, sizeof(err)), TOPIC_BALLOT);
	assert_string_equal(poll, "poll1");
	assert_int_equal(topic_classify(copy, 8, &n, err, sizeof(err)), TOPIC_BALLOT);
	assert_string_equal(poll, "pol");
	assert_int_equal(topic_classify(copy, 17, &n, err, sizeof(err)), TOPIC_RESULT);
	assert_string_equal(poll, "poll1");
	assert_int_equal(topic_classify(copy, 11, &n, err, sizeof(err)), TOPIC_INVALID);
	assert_int_equal(topic_classify(copy, 5, &n, err, sizeof(err)), TOPIC_INVALID);
	assert_int_equal(topic_classify(copy, 4, &n, err, sizeof(err)), TOPIC_INVALID);
	assert_int_equal(topic_classify(copy, 0, &n, err, sizeof(err)), TOPIC_INVALID);
	free(copy);
}

static void topic_classify_should_stop_the_poll_at_len_even_before_a_plus(void **state)
{
	static const char buf[] = "vote/ab+cd";
	char *copy = dup_exact(buf, sizeof(buf) - 1);
	struct topic_names n;
	char *poll = n.poll;

	(void)state;
	assert_int_equal(topic_classify(copy, 7, &n, NULL, 0), TOPIC_BALLOT);
	assert_string_equal(poll, "ab");
	assert_int_equal(topic_classify(copy, 8, &n, NULL, 0), TOPIC_INVALID);
	free(copy);
}

static void topic_classify_should_accept_a_null_err(void **state)
{
	struct topic_names n;
	char *poll = n.poll;

	(void)state;
	assert_int_equal(topic_classify("vote/a/b", 8, &n, NULL, 0), TOPIC_INVALID);
	assert_string_equal(poll, "");
	assert_int_equal(topic_classify("other", 5, &n, NULL, 0), TOPIC_INVALID);
	assert_int_equal(topic_classify("vote/", 5, &n, NULL, 0), TOPIC_INVALID);
	assert_int_equal(topic_classify("vote/p", 6, &n, NULL, 0), TOPIC_BALLOT);
	assert_string_equal(poll, "p");
}

static void topic_classify_should_truncate_err_to_errlen(void **state)
{
	struct topic_names n;
	char err[8];

	(void)state;
	memset(err, 'X', sizeof(err));
	assert_int_equal(topic_classify("vote/a+b", 8, &n, err, sizeof(err)), TOPIC_INVALID);
	assert_non_null(memchr(err, '\0', sizeof(err)));
	assert_string_equal(err, "poll na");
}

/* ---- topic_ballot_poll ---- */

struct ballot_poll_case {
	const char *topic;
	const char *poll; /* NULL when refused */
	const char *err;
};

static const struct ballot_poll_case ballot_poll_cases[] = {
	{ "vote/poll1", "poll1", NULL },
	{ "vote/" A64, A64, NULL },
	{ "vote/a.b-c_D9", "a.b-c_D9", NULL },
	{ "vote/", NULL, "invalid topic 'vote/': " POLL_RULE },
	{ "vote/+", NULL, "invalid topic 'vote/+': " POLL_RULE },
	{ "vote/#", NULL, "invalid topic 'vote/#': " POLL_RULE },
	{ "vote/a b", NULL, "invalid topic 'vote/a b': " POLL_RULE },
	{ "vote/" A64 "a", NULL, "invalid topic 'vote/" A64 "a': " POLL_RULE },
	{ "vote/a/b", NULL, "invalid topic 'vote/a/b': ballots go to vote/<poll>" },
	{ "vote/p1/result", NULL, "invalid topic 'vote/p1/result': ballots go to vote/<poll>" },
	{ "vote/p1/receipt/x", NULL, "invalid topic 'vote/p1/receipt/x': ballots go to vote/<poll>" },
	{ "other/p1", NULL, "invalid topic 'other/p1': ballots go to vote/<poll>" },
	{ "vote", NULL, "invalid topic 'vote': ballots go to vote/<poll>" },
	{ "", NULL, "invalid topic '': ballots go to vote/<poll>" },
	{ "p1", NULL, "invalid topic 'p1': ballots go to vote/<poll>" },
};

static void topic_ballot_poll_should_follow_the_table(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(ballot_poll_cases) / sizeof(ballot_poll_cases[0]); i++) {
		const struct ballot_poll_case *c = &ballot_poll_cases[i];
		char poll[TOPIC_POLL_MAX + 1] = "junk", err[256] = "";
		int rc = topic_ballot_poll(c->topic, poll, err, sizeof(err));

		if (c->poll) {
			if (rc != 0 || strcmp(poll, c->poll) != 0) {
				print_error("topic '%s': expected 0 and poll '%s', got %d, '%s' (%s)\n",
					    c->topic, c->poll, rc, poll, err);
				failures++;
			}
		} else if (rc != -1 || strcmp(err, c->err) != 0) {
			print_error("topic '%s': expected -1 and err '%s', got %d, '%s'\n", c->topic,
				    c->err, rc, err);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- topic_filter_valid ---- */

struct filter_case {
	const char *filter;
	bool valid;
};

static const struct filter_case filter_cases[] = {
	{ "vote/+", true },
	{ "vote/#", true },
	{ "#", true },
	{ "+", true },
	{ "vote/p1", true },
	{ "vote/+/result", true },
	{ "+/+/#", true },
	{ "/", true },
	{ "vote//p", true },
	{ "vote/a+", false },
	{ "vote/+a", false },
	{ "vote/a+b", false },
	{ "vote/#/x", false },
	{ "vote/a#", false },
	{ "#/", false },
	{ "##", false },
	{ "++", false },
	{ "", false },
};

static void topic_filter_valid_should_follow_the_table(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(filter_cases) / sizeof(filter_cases[0]); i++) {
		if (topic_filter_valid(filter_cases[i].filter) != filter_cases[i].valid) {
			print_error("filter '%s': expected %s\n", filter_cases[i].filter,
				    filter_cases[i].valid ? "valid" : "invalid");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void topic_filter_valid_should_accept_65535_bytes_and_refuse_65536(void **state)
{
	char *f = malloc(65537);

	(void)state;
	assert_non_null(f);
	memset(f, 'a', 65536);
	f[65535] = '\0';
	assert_true(topic_filter_valid(f));
	f[65535] = 'a';
	f[65536] = '\0';
	assert_false(topic_filter_valid(f));
	free(f);
}

/* ---- topic_result ---- */

static void topic_result_should_write_the_result_topic(void **state)
{
	char buf[TOPIC_MAX];

	(void)state;
	assert_int_equal(topic_result("poll1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vote/poll1/result");
	assert_int_equal(topic_result(A64, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vote/" A64 "/result");
}

static void topic_result_should_fail_when_the_buffer_is_one_byte_short(void **state)
{
	char buf[32];

	(void)state;
	/* "vote/poll1/result" is 17 bytes and a NUL */
	assert_int_equal(topic_result("poll1", buf, 18), 0);
	assert_string_equal(buf, "vote/poll1/result");
	assert_int_equal(topic_result("poll1", buf, 17), -1);
	assert_int_equal(topic_result("poll1", buf, 1), -1);
}

static void topic_result_should_be_classified_as_a_result(void **state)
{
	char buf[TOPIC_MAX];
	struct topic_names n;

	(void)state;
	assert_int_equal(topic_result("p.1", buf, sizeof(buf)), 0);
	assert_int_equal(topic_classify(buf, strlen(buf), &n, NULL, 0), TOPIC_RESULT);
	assert_string_equal(n.poll, "p.1");
}

static void topic_account_ballot_should_build_what_classify_reads(void **state)
{
	char buf[TOPIC_MAX], err[256];
	struct topic_names n;

	(void)state;
	assert_int_equal(topic_account_ballot("p1", "alice", buf, sizeof(buf), err, sizeof(err)), 0);
	assert_string_equal(buf, "vote/p1/by/alice");
	assert_int_equal(topic_classify(buf, strlen(buf), &n, NULL, 0), TOPIC_BALLOT);
	assert_string_equal(n.poll, "p1");
	assert_string_equal(n.account, "alice");
	assert_int_equal(topic_account_ballot("p1", "a/b", buf, sizeof(buf), err, sizeof(err)), -1);
	assert_string_equal(err, "account name 'a/b' cannot be in a ballot topic: it must be 1 to 64 bytes "
				 "without '/', '+', '#' or control characters");
	assert_int_equal(topic_account_ballot("p1", "", buf, sizeof(buf), err, sizeof(err)), -1);
	assert_int_equal(topic_account_ballot("p1", "a+", buf, sizeof(buf), err, sizeof(err)), -1);
	assert_int_equal(topic_account_ballot("p1", "alice", buf, 12, err, sizeof(err)), -1);
	assert_string_equal(err, "ballot topic too long");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(topic_poll_valid_should_follow_the_table),
		cmocka_unit_test(topic_poll_valid_should_read_only_len_bytes),
		cmocka_unit_test(topic_classify_should_follow_the_table),
		cmocka_unit_test(topic_classify_should_give_a_non_empty_reason_for_every_invalid_topic),
		cmocka_unit_test(topic_classify_should_read_only_len_bytes),
		cmocka_unit_test(topic_classify_should_stop_the_poll_at_len_even_before_a_plus),
		cmocka_unit_test(topic_classify_should_accept_a_null_err),
		cmocka_unit_test(topic_classify_should_truncate_err_to_errlen),
		cmocka_unit_test(topic_ballot_poll_should_follow_the_table),
		cmocka_unit_test(topic_filter_valid_should_follow_the_table),
		cmocka_unit_test(topic_filter_valid_should_accept_65535_bytes_and_refuse_65536),
		cmocka_unit_test(topic_result_should_write_the_result_topic),
		cmocka_unit_test(topic_result_should_fail_when_the_buffer_is_one_byte_short),
		cmocka_unit_test(topic_result_should_be_classified_as_a_result),
		cmocka_unit_test(topic_account_ballot_should_build_what_classify_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
