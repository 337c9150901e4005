/* test_check.c -- unit tests of check: the steps a ballot must pass before the core counts it */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ballot.h"
#include "check.h"
#include "roll.h"
#include "testkit.h"

#define C64 "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static const char *const yes_no_abstain[] = { "yes", "no", "abstain" };
static const char *const accented[] = { "caf\xc3\xa9", "na\xc3\xafve" };
static const char *const longest[] = { C64 };

/* One ballot's choice against one set of rules, and what the checks say. */
static const struct check_case {
	const char *const *choices; /* NULL: none configured, any choice */
	size_t nchoices;
	const char *choice;
	const char *reason; /* NULL: it passes */
} cases[] = {
	/* no --choices: every valid choice passes */
	{ NULL, 0, "yes", NULL },
	{ NULL, 0, "anything at all", NULL },
	{ NULL, 0, "caf\xc3\xa9", NULL },
	/* the configured ones pass, each of them */
	{ yes_no_abstain, 3, "yes", NULL },
	{ yes_no_abstain, 3, "no", NULL },
	{ yes_no_abstain, 3, "abstain", NULL },
	/* anything else is refused, compared byte for byte */
	{ yes_no_abstain, 3, "x", "unknown choice 'x'" },
	{ yes_no_abstain, 3, "maybe", "unknown choice 'maybe'" },
	{ yes_no_abstain, 3, "Yes", "unknown choice 'Yes'" },
	{ yes_no_abstain, 3, "yes ", "unknown choice 'yes '" },
	{ yes_no_abstain, 3, " yes", "unknown choice ' yes'" },
	{ yes_no_abstain, 3, "ye", "unknown choice 'ye'" },
	{ yes_no_abstain, 3, "yess", "unknown choice 'yess'" },
	{ yes_no_abstain, 3, "abstai", "unknown choice 'abstai'" },
	/* UTF-8 as bytes: the decomposed e + U+0301 is another choice */
	{ accented, 2, "caf\xc3\xa9", NULL },
	{ accented, 2, "na\xc3\xafve", NULL },
	{ accented, 2, "cafe\xcc\x81", "unknown choice 'cafe\xcc\x81'" },
	{ accented, 2, "CAF\xc3\x89", "unknown choice 'CAF\xc3\x89'" },
	/* the longest choice, offered and not */
	{ longest, 1, C64, NULL },
	{ yes_no_abstain, 3, C64, "unknown choice '" C64 "'" },
	/* one choice on offer */
	{ yes_no_abstain, 1, "yes", NULL },
	{ yes_no_abstain, 1, "no", "unknown choice 'no'" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

#define SKEW 300000 /* --max-skew 300 (the default before issue 19): 5 minutes, in ms */
#define DEFAULT_SKEW 5000 /* --max-skew 5, the default (common/options.c) */
/* what the reason tells the voter to do */
#define TS_ADVICE ": the voter's clock is fast or the tallier's slow; set the wrong one right and vote again"

typedef int (*step_fn)(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
		       size_t size);

/* run_cases: every case through fn, which must say what the table says. */
static void run_cases(step_fn fn, const char *name)
{
	size_t i, failures = 0;

	for (i = 0; i < NCASES; i++) {
		struct check_rules r = { cases[i].choices, cases[i].nchoices, SKEW, NULL, NULL, false, NULL };
		struct ballot b = mk("p1", "bob", cases[i].choice, id_of(1), 100);
		char reason[160] = "";
		int rc = fn(&r, &b, NOW, reason, sizeof(reason));

		if (!cases[i].reason && rc != 0) {
			print_error("%s case %zu ('%s'): refused (%d, \"%s\"), expected to pass\n", name, i,
				    cases[i].choice, rc, reason);
			failures++;
		} else if (cases[i].reason && (rc != -1 || strcmp(reason, cases[i].reason) != 0)) {
			print_error("%s case %zu ('%s'): %d \"%s\", expected -1 \"%s\"\n", name, i, cases[i].choice, rc,
				    reason, cases[i].reason);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void check_choice_offered_should_refuse_exactly_the_choices_not_on_offer(void **state)
{
	(void)state;
	run_cases(check_choice_offered, "check_choice_offered");
}

static void check_ballot_should_run_the_choice_step(void **state)
{
	(void)state;
	run_cases(check_ballot, "check_ballot");
}

static void check_ballot_should_not_look_at_anything_but_the_rules_the_choice_and_the_ts(void **state)
{
	/* voter, poll and id are not the checks' business today */
	struct check_rules r = { yes_no_abstain, 3, SKEW, NULL, NULL, false, NULL };
	static const struct ballot_like {
		const char *poll, *voter, *id;
		int64_t ts;
	} others[] = {
		{ "p1", "bob", NULL, -1 },
		{ "budget.2026", "\xc3\xa9lodie", "ffffffffffffffffffffffffffffffff", 0 },
		{ "x", "a", "00000000000000000000000000000000", NOW + SKEW },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		struct ballot ok = mk(others[i].poll, others[i].voter, "no", others[i].id, others[i].ts);
		struct ballot bad = mk(others[i].poll, others[i].voter, "nope", others[i].id, others[i].ts);
		char reason[160] = "";

		assert_int_equal(check_ballot(&r, &ok, NOW, reason, sizeof(reason)), 0);
		assert_int_equal(check_ballot(&r, &bad, NOW, reason, sizeof(reason)), -1);
		assert_string_equal(reason, "unknown choice 'nope'");
	}
}

/* One ballot's ts against the clock, and what check_ts_not_ahead says.
 * A ts held as the voter's newest would pin the vote if it were far
 * ahead: every later ballot of the voter would be older (issue 10).
 * check_ts_not_ahead came with 0d40e6c (this file cannot be built on the
 * code before it); there check_ballot passed every ts, so the rows with
 * a reason failed: rc 0 where -1 is expected. */
static const struct ts_case {
	const char *name;
	int64_t ts;         /* -1: the ballot has none */
	int64_t now_ms;     /* NOW, or CHECK_RELOAD */
	int64_t max_skew_ms;
	const char *reason; /* NULL: it passes */
} ts_cases[] = {
	{ "no ts", -1, NOW, SKEW, NULL },
	{ "ts 0", 0, NOW, SKEW, NULL },
	{ "in the past", NOW - 3600000, NOW, SKEW, NULL },
	{ "exactly now", NOW, NOW, SKEW, NULL },
	{ "1 ms ahead", NOW + 1, NOW, SKEW, NULL },
	{ "exactly at the skew", NOW + SKEW, NOW, SKEW, NULL },
	{ "just past the skew", NOW + SKEW + 1, NOW, SKEW,
	  "ts is 301 s ahead of the tallier's clock (at most 300 s)" TS_ADVICE },
	{ "an hour ahead", NOW + 3600000, NOW, SKEW, "ts is 3600 s ahead of the tallier's clock (at most 300 s)" TS_ADVICE },
	{ "the largest ts", BALLOT_TS_MAX, NOW, SKEW,
	  "ts is 9005499254741 s ahead of the tallier's clock (at most 300 s)" TS_ADVICE },
	/* another bound (--max-skew 60) */
	{ "at a skew of 60 s", NOW + 60000, NOW, 60000, NULL },
	{ "past a skew of 60 s", NOW + 60001, NOW, 60000, "ts is 61 s ahead of the tallier's clock (at most 60 s)" TS_ADVICE },
	{ "an hour ahead, skew 2 h", NOW + 3600000, NOW, 7200000, NULL },
	/* the default bound (--max-skew 5): a forged ts pins a vote for seconds at most (issue 19,
	 * item 11: under the old default of 300 s, 290 s ahead passed); no bound in the past */
	{ "5 s ahead, default", NOW + 5000, NOW, DEFAULT_SKEW, NULL },
	{ "5.001 s ahead, default", NOW + 5001, NOW, DEFAULT_SKEW,
	  "ts is 6 s ahead of the tallier's clock (at most 5 s)" TS_ADVICE },
	{ "290 s ahead, default", NOW + 290000, NOW, DEFAULT_SKEW,
	  "ts is 290 s ahead of the tallier's clock (at most 5 s)" TS_ADVICE },
	{ "a day in the past, default", NOW - 86400000, NOW, DEFAULT_SKEW, NULL },
	{ "a fraction of a second (--max-skew 0.5)", NOW + 501, NOW, 500,
	  "ts is 1 s ahead of the tallier's clock (at most 0.5 s)" TS_ADVICE },
	/* no skew at all: only now and the past */
	{ "now, skew 0", NOW, NOW, 0, NULL },
	{ "1 ms ahead, skew 0", NOW + 1, NOW, 0, "ts is 1 s ahead of the tallier's clock (at most 0 s)" TS_ADVICE },
	/* read back from the store: it passed when it came, whatever the clock says now */
	{ "reload, an hour ahead", NOW + 3600000, CHECK_RELOAD, SKEW, NULL },
	{ "reload, the largest ts", BALLOT_TS_MAX, CHECK_RELOAD, 0, NULL },
	{ "reload, no ts", -1, CHECK_RELOAD, SKEW, NULL },
};

static void check_ts_not_ahead_should_refuse_exactly_a_ts_past_the_skew(void **state)
{
	size_t i, failures = 0;
	step_fn fns[] = { check_ts_not_ahead, check_ballot };
	const char *names[] = { "check_ts_not_ahead", "check_ballot" };
	size_t k;

	(void)state;
	for (k = 0; k < 2; k++) {
		for (i = 0; i < sizeof(ts_cases) / sizeof(ts_cases[0]); i++) {
			const struct ts_case *c = &ts_cases[i];
			struct check_rules r = { yes_no_abstain, 3, c->max_skew_ms, NULL, NULL, false, NULL };
			struct ballot b = mk("p1", "bob", "yes", id_of(1), c->ts);
			char reason[160] = "";
			int rc = fns[k](&r, &b, c->now_ms, reason, sizeof(reason));

			if (!c->reason && rc != 0) {
				print_error("%s '%s': refused (%d, \"%s\"), expected to pass\n", names[k], c->name, rc,
					    reason);
				failures++;
			} else if (c->reason && (rc != -1 || strcmp(reason, c->reason) != 0)) {
				print_error("%s '%s': %d \"%s\", expected -1 \"%s\"\n", names[k], c->name, rc, reason,
					    c->reason);
				failures++;
			}
		}
	}
	assert_int_equal(failures, 0);
}

static void check_ballot_should_give_the_ts_reason_before_the_choice_reason(void **state)
{
	/* both steps would refuse: the ts step runs first */
	struct check_rules r = { yes_no_abstain, 3, SKEW, NULL, NULL, false, NULL };
	struct ballot b = mk("p1", "bob", "maybe", NULL, NOW + 3600000);
	char reason[160] = "";

	(void)state;
	assert_int_equal(check_ballot(&r, &b, NOW, reason, sizeof(reason)), -1);
	assert_string_equal(reason, "ts is 3600 s ahead of the tallier's clock (at most 300 s)" TS_ADVICE);
	/* the ts fine: the choice's reason */
	b.ts = NOW;
	assert_int_equal(check_ballot(&r, &b, NOW, reason, sizeof(reason)), -1);
	assert_string_equal(reason, "unknown choice 'maybe'");
	/* at reload the ts is not looked at, the choice is */
	b.ts = NOW + 3600000;
	assert_int_equal(check_ballot(&r, &b, CHECK_RELOAD, reason, sizeof(reason)), -1);
	assert_string_equal(reason, "unknown choice 'maybe'");
}

static void check_steps_should_cut_a_long_reason_to_the_buffer(void **state)
{
	struct check_rules r = { yes_no_abstain, 3, SKEW, NULL, NULL, false, NULL };
	struct ballot b = mk("p1", "bob", C64, NULL, -1);
	step_fn fns[] = { check_choice_offered, check_ballot };
	size_t k;

	(void)state;
	for (k = 0; k < 2; k++) {
		/* an exact-size heap buffer: AddressSanitizer sees any write past it */
		char *reason = malloc(12);

		assert_non_null(reason);
		assert_int_equal(fns[k](&r, &b, NOW, reason, 12), -1);
		assert_string_equal(reason, "unknown cho");
		free(reason);
	}
}

static void check_voter_is_account_should_refuse_a_voter_that_is_not_the_topics_account(void **state)
{
	struct check_rules r = { NULL, 0, SKEW, NULL, NULL, false, NULL };
	struct ballot b = mk("p1", "bob", "yes", NULL, -1);
	char reason[160] = "";

	(void)state;
	/* no account: anyone */
	assert_int_equal(check_voter_is_account(&r, &b, NOW, reason, sizeof(reason)), 0);
	snprintf(b.account, sizeof(b.account), "bob");
	assert_int_equal(check_voter_is_account(&r, &b, NOW, reason, sizeof(reason)), 0);
	/* compared byte for byte */
	snprintf(b.account, sizeof(b.account), "Bob");
	assert_int_equal(check_voter_is_account(&r, &b, NOW, reason, sizeof(reason)), -1);
	assert_string_equal(reason, "voter 'bob' is not the account 'Bob' that published the ballot");
	/* a step of the pipeline, the first, also at reload */
	snprintf(b.choice, sizeof(b.choice), "maybe");
	r = (struct check_rules){ yes_no_abstain, 3, SKEW, NULL, NULL, false, NULL };
	assert_int_equal(check_ballot(&r, &b, CHECK_RELOAD, reason, sizeof(reason)), -1);
	assert_string_equal(reason, "voter 'bob' is not the account 'Bob' that published the ballot");
}

/* ---- check_signed: the roll ---- */


#define KEY_A "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" /* RFC 8032's first test key */
/* its signature of p1/INST/alice/yes/ID_A/TS_A (made with Python's cryptography) */
#define SIG_A "sbr9wB6KbzFyUJbd7f5MJvXKhT/pOKubabE2HyyccnzrZ3PCyyViyLYQmDOKXjyp4BYjR0hNgv7Fjc76XMMMBA=="
#define INST "00112233445566778899aabbccddeeff"  /* p1's instance */
#define INST2 "ffeeddccbbaa99887766554433221100" /* a later p1's (a new database) */
#define ID_A "0123456789abcdef0123456789abcdef"
#define TS_A 1700000000000LL

static struct ballot signed_ballot(const char *poll, const char *voter, const char *choice, const char *id,
				   int64_t ts)
{
	struct ballot b = mk(poll, voter, choice, id, ts);

	strcpy(b.sig, SIG_A);
	b.has_sig = true;
	return b;
}

/* roll_of_alice: a roll of alice (KEY_A) alone, loaded. */
static struct roll *roll_of_alice(const struct fixture *f)
{
	char path[256], err[256] = "";
	struct roll *roll;
	FILE *out;

	snprintf(path, sizeof(path), "%s/roll.txt", f->dir);
	out = fopen(path, "w");
	assert_non_null(out);
	fputs("alice " KEY_A "\n", out);
	assert_int_equal(fclose(out), 0);
	roll = roll_load(path, err, sizeof(err));
	assert_non_null(roll);
	return roll;
}

static void check_ballot_should_count_only_ballots_signed_by_a_voter_on_the_roll(void **state)
{
	struct fixture *f = *state;
	/* what the checks say of each ballot below; NULL: it passes */
	static const char *const reasons[] = {
		NULL,
		"unsigned ballot: this tallier counts only ballots signed by a voter on its roll",
		"voter 'mallory' is not on the roll",
		"bad signature", /* published on another poll */
		"bad signature", /* another choice */
		"bad signature", /* an older ts: a replay made up */
		"signed ballot without 'id'",
		"signed ballot without 'ts'",
	};
	struct ballot bs[] = {
		signed_ballot("p1", "alice", "yes", ID_A, TS_A),
		mk("p1", "alice", "yes", ID_A, TS_A),
		signed_ballot("p1", "mallory", "yes", ID_A, TS_A),
		signed_ballot("p2", "alice", "yes", ID_A, TS_A),
		signed_ballot("p1", "alice", "no", ID_A, TS_A),
		signed_ballot("p1", "alice", "yes", ID_A, TS_A - 1),
		signed_ballot("p1", "alice", "yes", NULL, TS_A),
		signed_ballot("p1", "alice", "yes", ID_A, -1),
	};
	char reason[160];
	struct check_rules r = { NULL, 0, INT64_MAX, NULL, NULL, false, INST };
	struct roll *roll = roll_of_alice(f);

	for (size_t i = 0; i < sizeof(bs) / sizeof(bs[0]); i++) {
		/* without a roll, everything passes, signed or not */
		r.roll = NULL;
		assert_int_equal(check_ballot(&r, &bs[i], TS_A, reason, sizeof(reason)), 0);
		r.roll = roll;
		reason[0] = '\0';
		if (!reasons[i]) {
			assert_int_equal(check_ballot(&r, &bs[i], TS_A, reason, sizeof(reason)), 0);
		} else {
			assert_int_equal(check_ballot(&r, &bs[i], TS_A, reason, sizeof(reason)), -1);
			assert_string_equal(reason, reasons[i]);
		}
		/* a ballot reloaded from the store (which keeps no signature) passes */
		assert_int_equal(check_ballot(&r, &bs[i], CHECK_RELOAD, reason, sizeof(reason)), 0);
	}
	roll_free(roll);
}

static void check_signed_should_bind_a_signature_to_one_poll_instance(void **state)
{
	struct roll *roll = roll_of_alice(*state);
	struct check_rules r = { NULL, 0, INT64_MAX, roll, NULL, false, INST };
	struct ballot b = signed_ballot("p1", "alice", "yes", ID_A, TS_A);
	char reason[256] = "";

	assert_int_equal(check_signed(&r, &b, TS_A, reason, sizeof(reason)), 0);
	/* the same bytes given to a later poll p1 (another instance): the
	 * signature does not verify there */
	r.instance = INST2;
	assert_int_equal(check_signed(&r, &b, TS_A, reason, sizeof(reason)), -1);
	assert_string_equal(reason, "bad signature");
	/* a ballot that names the instance it was signed for: said plainly */
	snprintf(b.instance, sizeof(b.instance), INST);
	b.has_instance = true;
	assert_int_equal(check_signed(&r, &b, TS_A, reason, sizeof(reason)), -1);
	assert_string_equal(reason, "signature is not for this poll instance (this poll's is " INST2 ": sign again)");
	/* and where it was signed, the instance it names is the poll's: counted */
	r.instance = INST;
	assert_int_equal(check_signed(&r, &b, TS_A, reason, sizeof(reason)), 0);
	/* a ballot naming the right instance with a signature over another
	 * does not pass: the poll's own instance is what is verified */
	r.instance = INST2;
	snprintf(b.instance, sizeof(b.instance), INST2);
	assert_int_equal(check_signed(&r, &b, TS_A, reason, sizeof(reason)), -1);
	assert_string_equal(reason, "bad signature");
	/* a poll that has no instance yet (it does not exist) takes no signed ballot */
	r.instance = NULL;
	assert_int_equal(check_signed(&r, &b, TS_A, reason, sizeof(reason)), -1);
	assert_string_equal(reason, "p1 has no poll instance yet: signed ballots count once the organiser opens it "
				    "(pollctl)");
	r.instance = "";
	assert_int_equal(check_signed(&r, &b, TS_A, reason, sizeof(reason)), -1);
	/* without a roll, none of this is looked at */
	r.roll = NULL;
	assert_int_equal(check_signed(&r, &b, TS_A, reason, sizeof(reason)), 0);
	roll_free(roll);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_choice_offered_should_refuse_exactly_the_choices_not_on_offer),
		cmocka_unit_test(check_ballot_should_run_the_choice_step),
		cmocka_unit_test(check_ballot_should_not_look_at_anything_but_the_rules_the_choice_and_the_ts),
		cmocka_unit_test(check_ts_not_ahead_should_refuse_exactly_a_ts_past_the_skew),
		cmocka_unit_test(check_ballot_should_give_the_ts_reason_before_the_choice_reason),
		cmocka_unit_test(check_steps_should_cut_a_long_reason_to_the_buffer),
		cmocka_unit_test(check_voter_is_account_should_refuse_a_voter_that_is_not_the_topics_account),
		cmocka_unit_test_setup_teardown(check_ballot_should_count_only_ballots_signed_by_a_voter_on_the_roll,
						make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(check_signed_should_bind_a_signature_to_one_poll_instance, make_dir,
						remove_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
