/* test_tally.c -- unit tests of tally: one vote per voter, revotes, duplicates, stale ballots, results, order independence */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ballot.h"
#include "result.h"
#include "tally.h"
#include "testkit.h"

/* ---- helpers ---- */

static uint64_t votes(const struct tally *t, const char *poll, const char *choice)
{
	return tally_poll_choice(t, poll_of(t, poll), choice);
}

static uint64_t total(const struct tally *t, const char *poll)
{
	return tally_poll_total(t, poll_of(t, poll));
}

static uint64_t rejected(const struct tally *t, const char *poll)
{
	return tally_poll_rejected(t, poll_of(t, poll));
}

static uint64_t version(const struct tally *t, const char *poll)
{
	return tally_poll_version(t, poll_of(t, poll));
}

/* ---- first ballot, revotes, stale, duplicates ---- */

static void tally_apply_should_count_a_first_ballot(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot b = mk("p1", "bob", "yes", id_of(1), 100);

	(void)state;
	assert_int_equal(tally_poll_count(t), 0);
	assert_int_equal(tally_poll_find(t, "p1"), -1);
	assert_int_equal(apply(t, &b), TALLY_COUNTED);
	assert_int_equal(tally_poll_count(t), 1);
	assert_int_equal(tally_poll_find(t, "p1"), 0);
	assert_string_equal(tally_poll_name(t, 0), "p1");
	assert_int_equal(votes(t, "p1", "yes"), 1);
	assert_int_equal(total(t, "p1"), 1);
	assert_int_equal(rejected(t, "p1"), 0);
	tally_free(t);
}

static void tally_apply_should_count_each_voter_once(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot a = mk("p1", "alice", "yes", NULL, -1);
	struct ballot b = mk("p1", "bob", "yes", NULL, -1);
	struct ballot c = mk("p1", "Bob", "no", NULL, -1);

	(void)state;
	assert_int_equal(apply(t, &a), TALLY_COUNTED);
	assert_int_equal(apply(t, &b), TALLY_COUNTED);
	assert_int_equal(apply(t, &c), TALLY_COUNTED); /* voter names are case-sensitive */
	assert_int_equal(votes(t, "p1", "yes"), 2);
	assert_int_equal(votes(t, "p1", "no"), 1);
	assert_int_equal(total(t, "p1"), 3);
	tally_free(t);
}

static void tally_apply_should_replace_a_ballot_with_a_later_ts_and_move_the_counts(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot b1 = mk("p1", "bob", "yes", id_of(1), 100);
	struct ballot b2 = mk("p1", "bob", "no", id_of(2), 200);
	struct ballot b3 = mk("p1", "bob", "maybe", id_of(3), 300);

	(void)state;
	assert_int_equal(apply(t, &b1), TALLY_COUNTED);
	assert_int_equal(apply(t, &b2), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "yes"), 0);
	assert_int_equal(votes(t, "p1", "no"), 1);
	assert_int_equal(total(t, "p1"), 1);
	assert_int_equal(apply(t, &b3), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "no"), 0);
	assert_int_equal(votes(t, "p1", "maybe"), 1);
	assert_int_equal(total(t, "p1"), 1);
	assert_int_equal(rejected(t, "p1"), 0);
	tally_free(t);
}

static void tally_apply_should_ignore_a_stale_ballot_with_an_older_ts(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot newer = mk("p1", "bob", "no", id_of(1), 200);
	struct ballot older = mk("p1", "bob", "yes", id_of(2), 100);
	uint64_t v;

	(void)state;
	assert_int_equal(apply(t, &newer), TALLY_COUNTED);
	v = version(t, "p1");
	assert_int_equal(apply(t, &older), TALLY_STALE);
	assert_int_equal(votes(t, "p1", "no"), 1);
	assert_int_equal(votes(t, "p1", "yes"), 0);
	assert_int_equal(total(t, "p1"), 1);
	assert_int_equal(rejected(t, "p1"), 0);
	assert_int_equal(version(t, "p1"), v);
	tally_free(t);
}

static void tally_apply_should_treat_the_same_id_again_as_a_duplicate(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot b = mk("p1", "bob", "yes", id_of(7), 100);
	struct ballot b_no_ts = mk("p1", "eve", "yes", id_of(8), -1);
	uint64_t v;

	(void)state;
	assert_int_equal(apply(t, &b), TALLY_COUNTED);
	assert_int_equal(apply(t, &b_no_ts), TALLY_COUNTED);
	v = version(t, "p1");
	assert_int_equal(apply(t, &b), TALLY_DUPLICATE);
	assert_int_equal(apply(t, &b), TALLY_DUPLICATE);
	assert_int_equal(apply(t, &b_no_ts), TALLY_DUPLICATE);
	assert_int_equal(votes(t, "p1", "yes"), 2);
	assert_int_equal(total(t, "p1"), 2);
	assert_int_equal(rejected(t, "p1"), 0);
	assert_int_equal(version(t, "p1"), v);
	tally_free(t);
}

static void tally_apply_should_find_a_replaced_ballot_stale_when_it_comes_again(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot b1 = mk("p1", "bob", "yes", id_of(1), 100);
	struct ballot b2 = mk("p1", "bob", "no", id_of(2), 200);

	(void)state;
	assert_int_equal(apply(t, &b1), TALLY_COUNTED);
	assert_int_equal(apply(t, &b2), TALLY_REPLACED);
	assert_int_equal(apply(t, &b1), TALLY_STALE);
	assert_int_equal(votes(t, "p1", "no"), 1);
	assert_int_equal(votes(t, "p1", "yes"), 0);
	tally_free(t);
}

static void tally_apply_should_break_an_equal_ts_tie_by_the_greater_id(void **state)
{
	struct ballot lo = mk("p1", "bob", "yes", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 100);
	struct ballot hi = mk("p1", "bob", "no", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 100);
	struct ballot lowest = mk("p1", "bob", "maybe", "11111111111111111111111111111111", 100);
	struct tally *t;

	(void)state;
	/* lower id first: the greater one replaces it */
	t = new_tally(NULL, 0, true);
	assert_int_equal(apply(t, &lo), TALLY_COUNTED);
	assert_int_equal(apply(t, &hi), TALLY_REPLACED);
	assert_int_equal(apply(t, &lowest), TALLY_STALE);
	assert_int_equal(votes(t, "p1", "no"), 1);
	assert_int_equal(votes(t, "p1", "yes"), 0);
	assert_int_equal(votes(t, "p1", "maybe"), 0);
	tally_free(t);
	/* greater id first: the lower one is stale */
	t = new_tally(NULL, 0, true);
	assert_int_equal(apply(t, &hi), TALLY_COUNTED);
	assert_int_equal(apply(t, &lo), TALLY_STALE);
	assert_int_equal(votes(t, "p1", "no"), 1);
	assert_int_equal(votes(t, "p1", "yes"), 0);
	tally_free(t);
}

static void tally_apply_should_follow_arrival_order_for_an_equal_ts_without_ids(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot first = mk("p1", "bob", "yes", NULL, 100);
	struct ballot second = mk("p1", "bob", "no", NULL, 100);
	struct ballot third_with_id = mk("p1", "bob", "maybe", id_of(0), 100);

	(void)state;
	assert_int_equal(apply(t, &first), TALLY_COUNTED);
	assert_int_equal(apply(t, &second), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "no"), 1);
	assert_int_equal(votes(t, "p1", "yes"), 0);
	/* the held one has no id: no tie-break by id, arrival order */
	assert_int_equal(apply(t, &third_with_id), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "maybe"), 1);
	assert_int_equal(votes(t, "p1", "no"), 0);
	tally_free(t);
}

static void tally_apply_should_compare_ids_as_hex_digits_not_as_text_case(void **state)
{
	/* "a" > "9" as a hex digit and as a lower-case byte: ids are stored
	 * lower case by ballot_parse, so "f..." beats "9...". */
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot nine = mk("p1", "bob", "yes", "99999999999999999999999999999999", 100);
	struct ballot eff = mk("p1", "bob", "no", "f0000000000000000000000000000000", 100);

	(void)state;
	assert_int_equal(apply(t, &eff), TALLY_COUNTED);
	assert_int_equal(apply(t, &nine), TALLY_STALE);
	assert_int_equal(votes(t, "p1", "no"), 1);
	tally_free(t);
}

/* A later ballot with the same choice moves no count, but the result's
 * version and update time change all the same: a result whose counts are
 * hidden until the close must not show whether the ballot replaced had
 * the same choice (issue 19). Before: the version stayed, and "updated"
 * with it, only when the choices matched. */
static void tally_apply_should_change_the_version_for_a_later_ballot_whatever_its_choice(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot b10 = mk("p1", "bob", "yes", id_of(1), 10);
	struct ballot b30 = mk("p1", "bob", "yes", id_of(3), 30);
	struct ballot b20 = mk("p1", "bob", "no", id_of(2), 20);
	struct tally_outcome out;
	uint64_t v;

	(void)state;
	assert_int_equal(apply(t, &b10), TALLY_COUNTED);
	v = version(t, "p1");
	out = apply_at(t, &b30, NOW + 1000);
	assert_int_equal(out.status, TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "yes"), 1);
	assert_int_equal(total(t, "p1"), 1);
	assert_true(version(t, "p1") > v);
	assert_int_equal(tally_poll_updated(t, poll_of(t, "p1")), NOW + 1000);
	/* but ts 30 is now the held one: ts 20 is older */
	assert_int_equal(apply(t, &b20), TALLY_STALE);
	assert_int_equal(votes(t, "p1", "yes"), 1);
	assert_int_equal(votes(t, "p1", "no"), 0);
	tally_free(t);
}

static void tally_apply_should_follow_arrival_order_for_ballots_without_ts(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot yes = mk("p1", "bob", "yes", NULL, -1);
	struct ballot no = mk("p1", "bob", "no", NULL, -1);
	struct ballot no_id = mk("p1", "bob", "no", id_of(5), -1);
	struct ballot yes_id = mk("p1", "bob", "yes", id_of(1), -1);

	(void)state;
	assert_int_equal(apply(t, &yes), TALLY_COUNTED);
	assert_int_equal(apply(t, &no), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "no"), 1);
	assert_int_equal(votes(t, "p1", "yes"), 0);
	assert_int_equal(apply(t, &yes), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "yes"), 1);
	assert_int_equal(votes(t, "p1", "no"), 0);
	/* with ids but no ts, a smaller id arriving later still wins */
	assert_int_equal(apply(t, &no_id), TALLY_REPLACED);
	assert_int_equal(apply(t, &yes_id), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "yes"), 1);
	assert_int_equal(votes(t, "p1", "no"), 0);
	assert_int_equal(total(t, "p1"), 1);
	tally_free(t);
}

static void tally_apply_should_let_a_ballot_without_ts_replace_one_with_ts_and_back(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot with_ts = mk("p1", "bob", "yes", id_of(9), 1000);
	struct ballot without = mk("p1", "bob", "no", id_of(1), -1);
	struct ballot early_ts = mk("p1", "bob", "maybe", id_of(2), 1);

	(void)state;
	assert_int_equal(apply(t, &with_ts), TALLY_COUNTED);
	assert_int_equal(apply(t, &without), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "no"), 1);
	assert_int_equal(votes(t, "p1", "yes"), 0);
	/* the held one has no ts: arrival order again */
	assert_int_equal(apply(t, &early_ts), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "maybe"), 1);
	assert_int_equal(votes(t, "p1", "no"), 0);
	assert_int_equal(total(t, "p1"), 1);
	tally_free(t);
}

/* expect_winner_both_ways: a and b, two ballots of one voter with
 * different choices, applied in both orders to a fresh tally: want (a or
 * b) counts either way. The second one replaces the first when it is want,
 * else it is stale (revote on) or refused (revote off), and the displaced
 * one counts as rejected with revote off. */
static void expect_winner_both_ways(const struct ballot *a, const struct ballot *b, bool revote,
				    const struct ballot *want)
{
	const struct ballot *order[2][2] = { { a, b }, { b, a } };
	size_t k;

	for (k = 0; k < 2; k++) {
		const struct ballot *first = order[k][0], *second = order[k][1];
		struct tally *t = new_tally(NULL, 0, revote);

		assert_int_equal(apply(t, first), TALLY_COUNTED);
		assert_int_equal(apply(t, second),
				 second == want ? TALLY_REPLACED : revote ? TALLY_STALE : TALLY_REJECTED);
		assert_int_equal(apply(t, want), TALLY_DUPLICATE);
		assert_int_equal(votes(t, "p1", want->choice), 1);
		assert_int_equal(votes(t, "p1", (want == a ? b : a)->choice), 0);
		assert_int_equal(total(t, "p1"), 1);
		assert_int_equal(rejected(t, "p1"), revote ? 0 : 1);
		tally_free(t);
	}
}

/* Ballots that share an id but differ in ts or choice are different
 * ballots: the order is (ts, id, choice), whatever they arrive in. */
static void tally_apply_should_order_ballots_sharing_an_id_by_ts_then_choice(void **state)
{
	struct ballot early = mk("p1", "bob", "yes", id_of(5), 100);
	struct ballot late = mk("p1", "bob", "no", id_of(5), 200);
	struct ballot late_yes = mk("p1", "bob", "yes", id_of(5), 200);

	(void)state;
	/* same id, another ts: the greater ts counts */
	expect_winner_both_ways(&early, &late, true, &late);
	/* same id and ts, another choice: the greater choice ("yes" > "no") counts */
	expect_winner_both_ways(&late, &late_yes, true, &late_yes);
}

static void tally_apply_with_revote_off_should_keep_the_least_of_ballots_sharing_an_id(void **state)
{
	struct ballot early = mk("p1", "bob", "yes", id_of(5), 100);
	struct ballot late = mk("p1", "bob", "no", id_of(5), 200);
	struct ballot early_no = mk("p1", "bob", "no", id_of(5), 100);

	(void)state;
	/* same id, another ts: the smaller ts stands */
	expect_winner_both_ways(&early, &late, false, &early);
	/* same id and ts, another choice: the smaller choice ("no" < "yes") stands */
	expect_winner_both_ways(&early, &early_no, false, &early_no);
}

/* Without ts, ballots sharing an id follow arrival, unless they are the
 * same ballot (same id and choice): then a duplicate. */
static void tally_apply_should_follow_arrival_for_ballots_sharing_an_id_without_ts(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot yes = mk("p1", "bob", "yes", id_of(5), -1);
	struct ballot no = mk("p1", "bob", "no", id_of(5), -1);
	struct ballot no_ts = mk("p1", "bob", "no", id_of(5), 100);
	uint64_t v;

	(void)state;
	assert_int_equal(apply(t, &yes), TALLY_COUNTED);
	assert_int_equal(apply(t, &no), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "no"), 1);
	v = version(t, "p1");
	assert_int_equal(apply(t, &no), TALLY_DUPLICATE);
	assert_int_equal(version(t, "p1"), v);
	assert_int_equal(apply(t, &yes), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "yes"), 1);
	assert_int_equal(votes(t, "p1", "no"), 0);
	/* one with ts and one without: by arrival, even with the same id */
	assert_int_equal(apply(t, &no_ts), TALLY_REPLACED);
	assert_int_equal(apply(t, &no), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "no"), 1);
	assert_int_equal(total(t, "p1"), 1);
	tally_free(t);
}

static void tally_apply_should_keep_polls_apart(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot a = mk("p1", "bob", "yes", id_of(1), 200);
	struct ballot b = mk("p2", "bob", "no", id_of(2), 100);
	struct ballot c = mk("p3", "bob", "no", NULL, -1);

	(void)state;
	assert_int_equal(apply(t, &a), TALLY_COUNTED);
	assert_int_equal(apply(t, &b), TALLY_COUNTED); /* older ts, but another poll */
	assert_int_equal(apply(t, &c), TALLY_COUNTED);
	assert_int_equal(tally_poll_count(t), 3);
	assert_int_equal(tally_poll_find(t, "p1"), 0);
	assert_int_equal(tally_poll_find(t, "p2"), 1);
	assert_int_equal(tally_poll_find(t, "p3"), 2);
	assert_string_equal(tally_poll_name(t, 1), "p2");
	assert_int_equal(votes(t, "p1", "yes"), 1);
	assert_int_equal(votes(t, "p1", "no"), 0);
	assert_int_equal(votes(t, "p2", "no"), 1);
	assert_int_equal(total(t, "p3"), 1);
	tally_free(t);
}

static void tally_polls_should_keep_their_number_as_more_polls_arrive(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	char name[16];
	unsigned i;

	(void)state;
	for (i = 0; i < 100; i++) {
		struct ballot b;

		snprintf(name, sizeof(name), "poll%03u", 99 - i); /* reverse name order */
		b = mk(name, "bob", "yes", NULL, -1);
		assert_int_equal(apply(t, &b), TALLY_COUNTED);
	}
	assert_int_equal(tally_poll_count(t), 100);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "poll%03u", 99 - i);
		assert_int_equal(tally_poll_find(t, name), (long)i);
		assert_string_equal(tally_poll_name(t, i), name);
	}
	assert_int_equal(tally_poll_find(t, "poll100"), -1);
	tally_free(t);
}

static void tally_poll_choice_should_be_zero_for_a_choice_never_seen(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot b = mk("p1", "bob", "yes", NULL, -1);

	(void)state;
	assert_int_equal(apply(t, &b), TALLY_COUNTED);
	assert_int_equal(votes(t, "p1", "no"), 0);
	assert_int_equal(votes(t, "p1", "Yes"), 0);
	tally_free(t);
}

/* ---- configured choices: which are offered is the check step's rule, not the tally's ---- */

static const char *const yes_no_abstain[] = { "yes", "no", "abstain" };

static void tally_apply_should_count_a_choice_that_is_not_configured(void **state)
{
	struct tally *t = new_tally(yes_no_abstain, 3, true);
	struct ballot x = mk("p1", "bob", "x", id_of(1), 100);
	struct ballot yes = mk("p1", "bob", "yes", id_of(2), 200);

	(void)state;
	assert_int_equal(apply(t, &x), TALLY_COUNTED);
	assert_int_equal(votes(t, "p1", "x"), 1);
	assert_int_equal(total(t, "p1"), 1);
	assert_int_equal(rejected(t, "p1"), 0);
	/* and it is a ballot like any other: a later one replaces it */
	assert_int_equal(apply(t, &yes), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "x"), 0);
	assert_int_equal(votes(t, "p1", "yes"), 1);
	assert_int_equal(total(t, "p1"), 1);
	tally_free(t);
}

/* Records what tally_poll_each_choice gives: "choice=votes,..." */
struct each {
	char buf[256];
	size_t used;
	int calls, stop_at, stop_rc; /* return stop_rc on call stop_at (1-based); 0: never */
};

static int each_choice(void *ctx, const char *choice, uint64_t n)
{
	struct each *e = ctx;
	int w = snprintf(e->buf + e->used, sizeof(e->buf) - e->used, "%s%s=%" PRIu64, e->used ? "," : "", choice, n);

	assert_true(w > 0 && (size_t)w < sizeof(e->buf) - e->used);
	e->used += (size_t)w;
	e->calls++;
	return e->calls == e->stop_at ? e->stop_rc : 0;
}

static void tally_poll_each_choice_should_give_configured_choices_first_then_others_with_votes(void **state)
{
	static const char *const choices[] = { "zulu", "alpha", "mike" };
	struct tally *t = new_tally(choices, 3, true);
	static const char *const in[][2] = {
		{ "v1", "alpha" }, { "v2", "x" }, { "v3", "B" }, { "v4", "x" }, { "v5", "gone" }, { "v6", "alpha" },
	};
	struct ballot b;
	struct each e = { .used = 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		b = mk("p1", in[i][0], in[i][1], NULL, -1);
		assert_int_equal(apply(t, &b), TALLY_COUNTED);
	}
	b = mk("p1", "v5", "mike", NULL, -1); /* "gone" falls to 0 votes: left out */
	assert_int_equal(apply(t, &b), TALLY_REPLACED);
	assert_int_equal(tally_poll_each_choice(t, 0, each_choice, &e), 0);
	assert_string_equal(e.buf, "zulu=0,alpha=2,mike=1,B=1,x=2");
	assert_int_equal(e.calls, 5);
	tally_free(t);
}

static void tally_poll_each_choice_should_give_only_choices_with_votes_in_byte_order_when_none_configured(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	static const char *const in[][2] = { { "v1", "b" }, { "v2", "a" }, { "v3", "B" }, { "v4", "gone" } };
	struct ballot b;
	struct each e = { .used = 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		b = mk("p1", in[i][0], in[i][1], NULL, -1);
		assert_int_equal(apply(t, &b), TALLY_COUNTED);
	}
	b = mk("p1", "v4", "a", NULL, -1);
	assert_int_equal(apply(t, &b), TALLY_REPLACED);
	assert_int_equal(tally_poll_each_choice(t, 0, each_choice, &e), 0);
	assert_string_equal(e.buf, "B=1,a=2,b=1");
	tally_free(t);
}

static void tally_poll_each_choice_should_stop_early_with_the_callbacks_value(void **state)
{
	struct tally *t = new_tally(yes_no_abstain, 3, true);
	struct ballot b = mk("p1", "bob", "other", NULL, -1);
	struct each e = { .used = 0, .stop_at = 2, .stop_rc = 7 };

	(void)state;
	assert_int_equal(apply(t, &b), TALLY_COUNTED);
	assert_int_equal(tally_poll_each_choice(t, 0, each_choice, &e), 7);
	assert_string_equal(e.buf, "yes=0,no=0");
	/* stopping in the choices after the configured ones */
	memset(&e, 0, sizeof(e));
	e.stop_at = 4;
	e.stop_rc = -2;
	assert_int_equal(tally_poll_each_choice(t, 0, each_choice, &e), -2);
	assert_string_equal(e.buf, "yes=0,no=0,abstain=0,other=1");
	tally_free(t);
}

/* ---- revote off ---- */

static void tally_apply_with_revote_off_should_keep_the_first_ballot_and_reject_a_different_one(void **state)
{
	struct tally *t = new_tally(NULL, 0, false);
	struct ballot first = mk("p1", "bob", "yes", id_of(1), 100);
	struct ballot later = mk("p1", "bob", "no", id_of(2), 200);
	struct ballot later_no_ts = mk("p1", "bob", "no", id_of(3), -1);
	struct tally_outcome out;

	(void)state;
	assert_int_equal(apply(t, &first), TALLY_COUNTED);
	out = apply_at(t, &later, NOW);
	assert_int_equal(out.status, TALLY_REJECTED);
	assert_string_equal(out.reason, "already voted");
	assert_int_equal(rejected(t, "p1"), 1);
	out = apply_at(t, &later_no_ts, NOW);
	assert_int_equal(out.status, TALLY_REJECTED);
	assert_string_equal(out.reason, "already voted");
	assert_int_equal(rejected(t, "p1"), 2);
	assert_int_equal(votes(t, "p1", "yes"), 1);
	assert_int_equal(votes(t, "p1", "no"), 0);
	assert_int_equal(total(t, "p1"), 1);
	tally_free(t);
}

static void tally_apply_with_revote_off_should_reject_a_different_ballot_without_ts(void **state)
{
	struct tally *t = new_tally(NULL, 0, false);
	struct ballot first = mk("p1", "bob", "yes", NULL, -1);
	struct ballot second = mk("p1", "bob", "no", NULL, -1);
	struct tally_outcome out;

	(void)state;
	assert_int_equal(apply(t, &first), TALLY_COUNTED);
	out = apply_at(t, &second, NOW);
	assert_int_equal(out.status, TALLY_REJECTED);
	assert_string_equal(out.reason, "already voted");
	assert_int_equal(votes(t, "p1", "yes"), 1);
	assert_int_equal(votes(t, "p1", "no"), 0);
	assert_int_equal(rejected(t, "p1"), 1);
	tally_free(t);
}

/* revote off: only the very same ballot (ts, id and choice) is a
 * duplicate; any other later ballot is refused, with the held ballot's
 * choice as with another (issue 19: before, the same choice was a
 * duplicate and another one "already voted", which told anyone sending a
 * ballot in the voter's name how the voter had voted). */
static void tally_apply_with_revote_off_should_refuse_a_later_ballot_with_the_same_choice_too(void **state)
{
	struct tally *t = new_tally(NULL, 0, false);
	struct ballot first = mk("p1", "bob", "yes", id_of(1), 100);
	struct ballot again = mk("p1", "bob", "yes", id_of(2), 200);
	struct ballot again_no_ts = mk("p1", "bob", "yes", NULL, -1);
	struct tally_outcome out;
	uint64_t v;

	(void)state;
	assert_int_equal(apply(t, &first), TALLY_COUNTED);
	v = version(t, "p1");
	out = apply_at(t, &again, NOW);
	assert_int_equal(out.status, TALLY_REJECTED);
	assert_string_equal(out.reason, "already voted");
	assert_int_equal(rejected(t, "p1"), 1);
	assert_true(version(t, "p1") > v);
	out = apply_at(t, &again_no_ts, NOW);
	assert_int_equal(out.status, TALLY_REJECTED);
	assert_string_equal(out.reason, "already voted");
	assert_int_equal(rejected(t, "p1"), 2);
	/* the held ballot itself again (QoS 1, voter --confirm): a duplicate, nothing changes */
	v = version(t, "p1");
	assert_int_equal(apply(t, &first), TALLY_DUPLICATE);
	assert_int_equal(version(t, "p1"), v);
	assert_int_equal(votes(t, "p1", "yes"), 1);
	assert_int_equal(total(t, "p1"), 1);
	assert_int_equal(rejected(t, "p1"), 2);
	tally_free(t);
}

/* What a sender sees of one ballot: its outcome, and the poll's total,
 * rejected, version and update time after it (with counts hidden, all a
 * result or receipt shows). */
struct seen {
	enum tally_status status;
	char reason[96];
	uint64_t total, rejected, dversion;
	int64_t updated_ms;
	char *hidden; /* the result JSON as shown with counts hidden until the close */
};

static struct seen probe(struct tally *t, const struct ballot *b, int64_t now_ms)
{
	static const struct result_view hide = { "open", true, NULL };
	uint64_t v = version(t, b->poll);
	struct tally_outcome out = apply_at(t, b, now_ms);
	struct seen s = { out.status, "", 0, 0, 0, 0, NULL };
	char err[256] = "";
	size_t i = poll_of(t, b->poll);

	snprintf(s.reason, sizeof(s.reason), "%s", out.reason);
	s.total = tally_poll_total(t, i);
	s.rejected = tally_poll_rejected(t, i);
	s.dversion = tally_poll_version(t, i) - v;
	s.updated_ms = tally_poll_updated(t, i);
	s.hidden = tally_result_json(t, i, &hide, err, sizeof(err));
	assert_non_null(s.hidden);
	return s;
}

/* A ballot in alice's name, later or earlier than hers, with one choice
 * or another, on a tally where she voted "yes" and on one where she voted
 * "no": everything its sender can see is the same on both (issue 19, item
 * 4). Before: a later "yes" got duplicate where she voted "yes" and
 * "already voted" where she voted "no", and an earlier one moved
 * rejected, version and "updated" only where the choices differed. */
static void tally_apply_should_show_a_ballot_in_a_voters_name_nothing_of_the_held_choice(void **state)
{
	static const char *const held[] = { "yes", "no" };
	static const char *const probes[] = { "yes", "no", "maybe" };
	const int64_t when[] = { 50, 200 }; /* before and after alice's ts 100 */
	size_t r, w, k, h;

	(void)state;
	for (r = 0; r < 2; r++) {
		for (w = 0; w < 2; w++) {
			for (k = 0; k < 3; k++) {
				struct seen s[2];

				for (h = 0; h < 2; h++) {
					struct tally *t = new_tally(NULL, 0, r == 1);
					struct ballot alice = mk("p1", "alice", held[h], id_of(1), 100);
					struct ballot bob = mk("p1", "bob", "yes", id_of(2), 100);
					struct ballot x = mk("p1", "alice", probes[k], id_of(9), when[w]);

					assert_int_equal(apply_at(t, &alice, NOW).status, TALLY_COUNTED);
					assert_int_equal(apply_at(t, &bob, NOW).status, TALLY_COUNTED);
					s[h] = probe(t, &x, NOW + 1000);
					tally_free(t);
				}
				if (s[0].status != s[1].status || strcmp(s[0].reason, s[1].reason) != 0 ||
				    s[0].total != s[1].total || s[0].rejected != s[1].rejected ||
				    s[0].dversion != s[1].dversion || s[0].updated_ms != s[1].updated_ms ||
				    strcmp(s[0].hidden, s[1].hidden) != 0)
					fail_msg("revote %s, '%s' at ts %" PRId64 ": alice 'yes' gives %d \"%s\" rejected %" PRIu64
						 " version +%" PRIu64 " %s; alice 'no' gives %d \"%s\" rejected %" PRIu64
						 " version +%" PRIu64 " %s",
						 r ? "on" : "off", probes[k], when[w], (int)s[0].status, s[0].reason,
						 s[0].rejected, s[0].dversion, s[0].hidden, (int)s[1].status, s[1].reason,
						 s[1].rejected, s[1].dversion, s[1].hidden);
				free(s[0].hidden);
				free(s[1].hidden);
			}
		}
	}
}

static void tally_apply_with_revote_off_should_let_an_earlier_ts_replace_the_held_ballot(void **state)
{
	struct tally *t = new_tally(NULL, 0, false);
	struct ballot late = mk("p1", "bob", "no", id_of(5), 200);
	struct ballot early = mk("p1", "bob", "yes", id_of(6), 100);
	struct ballot tie_lower_id = mk("p1", "bob", "maybe", id_of(4), 100);
	struct ballot between = mk("p1", "bob", "no", id_of(7), 150);
	struct tally_outcome out;

	(void)state;
	assert_int_equal(apply(t, &late), TALLY_COUNTED);
	assert_int_equal(apply(t, &early), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "yes"), 1);
	assert_int_equal(votes(t, "p1", "no"), 0);
	assert_int_equal(total(t, "p1"), 1);
	/* equal ts: the smaller id is the earlier ballot */
	assert_int_equal(apply(t, &tie_lower_id), TALLY_REPLACED);
	assert_int_equal(votes(t, "p1", "maybe"), 1);
	assert_int_equal(votes(t, "p1", "yes"), 0);
	/* anything after the held ballot is refused */
	out = apply_at(t, &between, NOW);
	assert_int_equal(out.status, TALLY_REJECTED);
	assert_string_equal(out.reason, "already voted");
	assert_int_equal(votes(t, "p1", "maybe"), 1);
	assert_int_equal(votes(t, "p1", "no"), 0);
	assert_int_equal(total(t, "p1"), 1);
	tally_free(t);
}

/* ---- tally_reject, versions ---- */

static void tally_reject_should_create_the_poll_and_count_the_rejection(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	char err[256] = "";
	uint64_t v;

	(void)state;
	assert_int_equal(tally_reject(t, "p9", NOW, err, sizeof(err)), 0);
	assert_int_equal(tally_poll_count(t), 1);
	assert_int_equal(tally_poll_find(t, "p9"), 0);
	assert_int_equal(rejected(t, "p9"), 1);
	assert_int_equal(total(t, "p9"), 0);
	v = version(t, "p9");
	assert_true(v >= 1);
	assert_int_equal(tally_reject(t, "p9", NOW, err, sizeof(err)), 0);
	assert_int_equal(rejected(t, "p9"), 2);
	assert_true(version(t, "p9") > v);
	assert_int_equal(tally_poll_count(t), 1);
	tally_free(t);
}

static void tally_poll_version_should_grow_only_when_the_result_changes(void **state)
{
	static const char *const choices[] = { "yes", "no" };
	struct tally *t = new_tally(choices, 2, true);
	struct ballot b1 = mk("p1", "bob", "yes", id_of(1), 100);
	struct ballot b2 = mk("p1", "bob", "no", id_of(2), 200);
	struct ballot old = mk("p1", "bob", "yes", id_of(0), 50);
	struct ballot eve = mk("p1", "eve", "no", NULL, -1);
	struct ballot eve_x = mk("p1", "eve", "x", NULL, -1); /* not offered: the tally counts it all the same */
	struct ballot other = mk("p2", "bob", "yes", NULL, -1);
	char err[256] = "";
	uint64_t v, v2;

	(void)state;
	assert_int_equal(apply(t, &b1), TALLY_COUNTED);
	v = version(t, "p1");
	assert_true(v >= 1);
	assert_int_equal(apply(t, &b1), TALLY_DUPLICATE);
	assert_int_equal(version(t, "p1"), v);
	assert_int_equal(apply(t, &b2), TALLY_REPLACED);
	assert_true(version(t, "p1") > v);
	v = version(t, "p1");
	assert_int_equal(apply(t, &old), TALLY_STALE);
	assert_int_equal(version(t, "p1"), v);
	assert_int_equal(apply(t, &eve), TALLY_COUNTED);
	assert_true(version(t, "p1") > v);
	v = version(t, "p1");
	assert_int_equal(apply(t, &eve_x), TALLY_REPLACED);
	assert_true(version(t, "p1") > v);
	v = version(t, "p1");
	assert_int_equal(tally_reject(t, "p1", NOW, err, sizeof(err)), 0);
	assert_true(version(t, "p1") > v);
	v = version(t, "p1");
	/* another poll changing leaves this one alone */
	assert_int_equal(apply(t, &other), TALLY_COUNTED);
	assert_int_equal(version(t, "p1"), v);
	v2 = version(t, "p2");
	assert_true(v2 >= 1);
	tally_free(t);
}

/* ---- tally_new ---- */

static void tally_new_should_refuse_an_invalid_or_duplicate_choice(void **state)
{
	static const char *const empty[] = { "yes", "" };
	static const char *const control[] = { "a\x01" };
	static const char *const dup[] = { "yes", "no", "yes" };
	static const char *const long65[] = { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	struct tally_config cfg = { empty, 2, true };
	char err[256] = "";

	(void)state;
	assert_null(tally_new(&cfg, err, sizeof(err)));
	assert_string_equal(err, "invalid choice ''");
	cfg.choices = control;
	cfg.nchoices = 1;
	err[0] = '\0';
	assert_null(tally_new(&cfg, err, sizeof(err)));
	assert_string_equal(err, "invalid choice 'a\x01'");
	cfg.choices = dup;
	cfg.nchoices = 3;
	err[0] = '\0';
	assert_null(tally_new(&cfg, err, sizeof(err)));
	assert_string_equal(err, "choice 'yes' given twice");
	cfg.choices = long65;
	cfg.nchoices = 1;
	err[0] = '\0';
	assert_null(tally_new(&cfg, err, sizeof(err)));
	assert_true(err[0] != '\0');
}

static void tally_config_check_should_accept_valid_choices_and_refuse_invalid_or_duplicate_ones(void **state)
{
	static const char *const good[] = { "yes", "no", "caf\xc3\xa9", "a b", "Yes" };
	static const struct {
		const char *const choices[3];
		size_t n;
		const char *err; /* NULL: valid */
	} cases[] = {
		{ { NULL }, 0, NULL },
		{ { "yes", "" }, 2, "invalid choice ''" },
		{ { "a\x01" }, 1, "invalid choice 'a\x01'" },
		{ { "\xff" }, 1, "invalid choice '\xff'" },
		{ { "yes", "no", "yes" }, 3, "choice 'yes' given twice" },
		{ { "no", "no" }, 2, "choice 'no' given twice" },
	};
	struct tally_config cfg = { good, 5, true };
	char err[256] = "";
	size_t i;

	(void)state;
	assert_int_equal(tally_config_check(&cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tally_config c = { cases[i].choices, cases[i].n, false };
		int rc;

		err[0] = '\0';
		rc = tally_config_check(&c, err, sizeof(err));
		if (!cases[i].err) {
			assert_int_equal(rc, 0);
			continue;
		}
		if (rc != -1)
			fail_msg("case %zu: accepted, expected \"%s\"", i, cases[i].err);
		assert_string_equal(err, cases[i].err);
	}
}

static void tally_new_should_copy_its_configuration(void **state)
{
	char **choices = malloc(2 * sizeof(*choices));
	struct tally_config *cfg = malloc(sizeof(*cfg));
	struct tally *t;
	struct ballot b = mk("p1", "bob", "red", NULL, -1);
	char err[256] = "", keys[256];
	cJSON *root;

	(void)state;
	assert_non_null(choices);
	assert_non_null(cfg);
	choices[0] = strdup("red");
	choices[1] = strdup("blue");
	cfg->choices = (const char *const *)choices;
	cfg->nchoices = 2;
	cfg->revote = false;
	t = tally_new(cfg, err, sizeof(err));
	assert_non_null(t);
	free(choices[0]);
	free(choices[1]);
	free(choices);
	free(cfg);
	assert_int_equal(apply(t, &b), TALLY_COUNTED);
	b = mk("p1", "bob", "blue", NULL, -1);
	assert_int_equal(apply(t, &b), TALLY_REJECTED); /* revote off was copied */
	root = result(t, "p1");
	counts_keys(root, keys, sizeof(keys));
	assert_string_equal(keys, "red=1,blue=0");
	cJSON_Delete(root);
	tally_free(t);
}

static void tally_poll_version_should_grow_on_an_already_voted_refusal(void **state)
{
	struct tally *t = new_tally(NULL, 0, false);
	struct ballot first = mk("p1", "bob", "yes", id_of(1), 100);
	struct ballot later = mk("p1", "bob", "no", id_of(2), 200);
	uint64_t v;

	(void)state;
	assert_int_equal(apply(t, &first), TALLY_COUNTED);
	v = version(t, "p1");
	assert_int_equal(apply(t, &later), TALLY_REJECTED);
	assert_true(version(t, "p1") > v);
	assert_int_equal(rejected(t, "p1"), 1);
	tally_free(t);
}

static void tally_free_should_accept_null(void **state)
{
	(void)state;
	tally_free(NULL);
}

/* ---- the property: counts are a function of the set of ballots ---- */

#define P_POLLS 4
#define P_VOTERS 300
#define P_CHOICES 5
#define P_ORDERS 6

static const char *const p_choices[P_CHOICES] = { "alpha", "bravo", "charlie", "delta", "echo" };

/* generate: ballots for P_POLLS polls and P_VOTERS voters, each voter
 * casting 0 to 4 ballots per poll with ts in a small range (so ties
 * happen) and random ids, half of them taking the id of one of the voter's
 * earlier ballots on the poll (the same id with another ts or choice, or
 * now and then the same ballot again). Returns the count; *out is malloc'd. */
static size_t generate(uint64_t *rng, struct ballot **out)
{
	size_t cap = P_POLLS * P_VOTERS * 4, n = 0, p, v, k, nb;
	struct ballot *b = malloc(cap * sizeof(*b));

	assert_non_null(b);
	for (p = 0; p < P_POLLS; p++) {
		for (v = 0; v < P_VOTERS; v++) {
			nb = rng_below(rng, 5); /* 0: does not vote in this poll */
			for (k = 0; k < nb; k++) {
				char poll[16], voter[16], id[BALLOT_ID_HEX + 1];
				uint64_t hi = rng_next(rng), lo = rng_next(rng);

				snprintf(poll, sizeof(poll), "poll%zu", p);
				snprintf(voter, sizeof(voter), "voter%03zu", v);
				if (k > 0 && rng_below(rng, 2) == 0)
					snprintf(id, sizeof(id), "%s", b[n - 1 - rng_below(rng, k)].id);
				else
					snprintf(id, sizeof(id), "%016" PRIx64 "%016" PRIx64, hi, lo);
				b[n++] = mk(poll, voter, p_choices[rng_below(rng, P_CHOICES)], id,
					    (int64_t)(1700000000000LL + (int64_t)rng_below(rng, 8)));
			}
		}
	}
	*out = b;
	return n;
}

/* shared_ids: how many ballots share their poll, voter and id with an
 * earlier one of b[0..n) but differ from it in ts or choice. */
static size_t shared_ids(const struct ballot *b, size_t n)
{
	size_t i, j, shared = 0;

	for (i = 0; i < n; i++)
		for (j = i >= 4 ? i - 4 : 0; j < i; j++)
			if (strcmp(b[i].poll, b[j].poll) == 0 && strcmp(b[i].voter, b[j].voter) == 0 &&
			    strcmp(b[i].id, b[j].id) == 0 &&
			    (b[i].ts != b[j].ts || strcmp(b[i].choice, b[j].choice) != 0)) {
				shared++;
				break;
			}
	return shared;
}

/* before: true when a comes before b in (ts, id, choice) order. */
static bool before(const struct ballot *a, const struct ballot *b)
{
	int c;

	if (a->ts != b->ts)
		return a->ts < b->ts;
	c = strcmp(a->id, b->id);
	return c != 0 ? c < 0 : strcmp(a->choice, b->choice) < 0;
}

struct expected {
	uint64_t counts[P_POLLS][P_CHOICES];
	uint64_t total[P_POLLS];
};

static size_t choice_index(const char *choice)
{
	size_t i;

	for (i = 0; i < P_CHOICES; i++)
		if (strcmp(p_choices[i], choice) == 0)
			return i;
	fail_msg("unexpected choice %s", choice);
	return 0;
}

/* expect: the counts computed without tally: per poll and voter, the
 * ballot with the greatest (ts, id, choice) when revote is on, the least
 * when off. */
static void expect(const struct ballot *b, size_t n, bool revote, struct expected *e)
{
	const struct ballot *held[P_POLLS][P_VOTERS];
	size_t i, p, v;

	memset(held, 0, sizeof(held));
	memset(e, 0, sizeof(*e));
	for (i = 0; i < n; i++) {
		p = (size_t)(b[i].poll[4] - '0');
		v = (size_t)strtoul(b[i].voter + 5, NULL, 10);
		if (!held[p][v] || (revote ? before(held[p][v], &b[i]) : before(&b[i], held[p][v])))
			held[p][v] = &b[i];
	}
	for (p = 0; p < P_POLLS; p++) {
		for (v = 0; v < P_VOTERS; v++) {
			if (!held[p][v])
				continue;
			e->counts[p][choice_index(held[p][v]->choice)]++;
			e->total[p]++;
		}
	}
}

/* run: applies seq[0..n) to a fresh tally. */
static struct tally *run(const struct ballot *const *seq, size_t n, bool revote, bool configured)
{
	struct tally *t = new_tally(configured ? p_choices : NULL, configured ? P_CHOICES : 0, revote);
	size_t i;

	for (i = 0; i < n; i++) {
		enum tally_status st = apply(t, seq[i]);

		assert_true(st == TALLY_COUNTED || st == TALLY_REPLACED || st == TALLY_DUPLICATE ||
			    st == TALLY_STALE || st == TALLY_REJECTED);
	}
	return t;
}

/* check: t holds the expected counts; returns the number of mismatches. */
static size_t check_counts(const struct tally *t, const struct expected *e, const char *what)
{
	size_t p, c, bad = 0;

	if (tally_poll_count(t) != P_POLLS) {
		print_error("%s: %zu polls, expected %d\n", what, tally_poll_count(t), P_POLLS);
		return 1;
	}
	for (p = 0; p < P_POLLS; p++) {
		char poll[16];
		long i;

		snprintf(poll, sizeof(poll), "poll%zu", p);
		i = tally_poll_find(t, poll);
		if (i < 0) {
			print_error("%s: %s missing\n", what, poll);
			bad++;
			continue;
		}
		if (tally_poll_total(t, (size_t)i) != e->total[p]) {
			print_error("%s: %s total %" PRIu64 ", expected %" PRIu64 "\n", what, poll,
				    tally_poll_total(t, (size_t)i), e->total[p]);
			bad++;
		}
		for (c = 0; c < P_CHOICES; c++) {
			uint64_t got = tally_poll_choice(t, (size_t)i, p_choices[c]);

			if (got != e->counts[p][c]) {
				print_error("%s: %s %s %" PRIu64 ", expected %" PRIu64 "\n", what, poll,
					    p_choices[c], got, e->counts[p][c]);
				bad++;
			}
		}
	}
	return bad;
}

/* same_results: the "counts" and "total" of every poll's result JSON
 * are equal in a and b. */
static size_t same_results(const struct tally *a, const struct tally *b, const char *what)
{
	size_t p, bad = 0;

	for (p = 0; p < P_POLLS; p++) {
		char poll[16];
		cJSON *ra, *rb;

		snprintf(poll, sizeof(poll), "poll%zu", p);
		ra = result(a, poll);
		rb = result(b, poll);
		if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(ra, "counts"),
				   cJSON_GetObjectItemCaseSensitive(rb, "counts"), true) ||
		    !cJSON_Compare(cJSON_GetObjectItemCaseSensitive(ra, "total"),
				   cJSON_GetObjectItemCaseSensitive(rb, "total"), true)) {
			char *ja = cJSON_PrintUnformatted(ra), *jb = cJSON_PrintUnformatted(rb);

			print_error("%s: %s results differ:\n  %s\n  %s\n", what, poll, ja, jb);
			free(ja);
			free(jb);
			bad++;
		}
		cJSON_Delete(ra);
		cJSON_Delete(rb);
	}
	return bad;
}

static void check_property(bool revote, bool configured)
{
	uint64_t seed = property_seed(), rng = seed;
	struct ballot *b;
	const struct ballot **seq;
	size_t n = generate(&rng, &b), len, i, o, bad = 0;
	struct expected e;
	struct tally *ref, *t;
	char what[64];

	print_message("property (revote %s, choices %s): seed 0x%016" PRIx64
		      " (set MQTTVOTE_TEST_SEED to repeat), %zu ballots\n",
		      revote ? "on" : "off", configured ? "configured" : "free", seed, n);
	assert_true(n > 2000);
	assert_true(shared_ids(b, n) > n / 10);
	expect(b, n, revote, &e);
	seq = malloc((n + n / 4 + 1) * sizeof(*seq));
	assert_non_null(seq);

	/* the generated order */
	for (i = 0; i < n; i++)
		seq[i] = &b[i];
	ref = run(seq, n, revote, configured);
	bad += check_counts(ref, &e, "generated order");
	if (revote)
		for (i = 0; i < P_POLLS; i++)
			bad += tally_poll_rejected(ref, i) != 0;

	for (o = 0; o < P_ORDERS; o++) {
		/* all ballots, then up to n/4 duplicates, shuffled together */
		for (i = 0; i < n; i++)
			seq[i] = &b[i];
		len = n + rng_below(&rng, n / 4 + 1);
		for (i = n; i < len; i++)
			seq[i] = &b[rng_below(&rng, n)];
		if (o == 0) {
			/* reversed, duplicates at the front */
			for (i = 0; i < len / 2; i++) {
				const struct ballot *tmp = seq[i];

				seq[i] = seq[len - 1 - i];
				seq[len - 1 - i] = tmp;
			}
		} else {
			for (i = len - 1; i > 0; i--) {
				size_t j = rng_below(&rng, i + 1);
				const struct ballot *tmp = seq[i];

				seq[i] = seq[j];
				seq[j] = tmp;
			}
		}
		snprintf(what, sizeof(what), "order %zu (%zu ballots)", o, len);
		t = run(seq, len, revote, configured);
		bad += check_counts(t, &e, what);
		bad += same_results(ref, t, what);
		if (revote)
			for (i = 0; i < P_POLLS; i++)
				bad += tally_poll_rejected(t, i) != 0;
		tally_free(t);
	}
	tally_free(ref);
	free(seq);
	free(b);
	if (bad)
		fail_msg("%zu mismatches with seed 0x%016" PRIx64, bad, seed);
}

static void tally_counts_should_not_depend_on_order_or_duplicates_with_revote_on(void **state)
{
	(void)state;
	check_property(true, false);
}

static void tally_counts_should_not_depend_on_order_or_duplicates_with_revote_off(void **state)
{
	(void)state;
	check_property(false, false);
}

static void tally_counts_should_not_depend_on_order_with_configured_choices_and_revote_on(void **state)
{
	(void)state;
	check_property(true, true);
}

static void tally_counts_should_not_depend_on_order_with_configured_choices_and_revote_off(void **state)
{
	(void)state;
	check_property(false, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tally_apply_should_count_a_first_ballot),
		cmocka_unit_test(tally_apply_should_count_each_voter_once),
		cmocka_unit_test(tally_apply_should_replace_a_ballot_with_a_later_ts_and_move_the_counts),
		cmocka_unit_test(tally_apply_should_ignore_a_stale_ballot_with_an_older_ts),
		cmocka_unit_test(tally_apply_should_treat_the_same_id_again_as_a_duplicate),
		cmocka_unit_test(tally_apply_should_find_a_replaced_ballot_stale_when_it_comes_again),
		cmocka_unit_test(tally_apply_should_break_an_equal_ts_tie_by_the_greater_id),
		cmocka_unit_test(tally_apply_should_follow_arrival_order_for_an_equal_ts_without_ids),
		cmocka_unit_test(tally_apply_should_compare_ids_as_hex_digits_not_as_text_case),
		cmocka_unit_test(tally_apply_should_change_the_version_for_a_later_ballot_whatever_its_choice),
		cmocka_unit_test(tally_apply_should_follow_arrival_order_for_ballots_without_ts),
		cmocka_unit_test(tally_apply_should_let_a_ballot_without_ts_replace_one_with_ts_and_back),
		cmocka_unit_test(tally_apply_should_order_ballots_sharing_an_id_by_ts_then_choice),
		cmocka_unit_test(tally_apply_with_revote_off_should_keep_the_least_of_ballots_sharing_an_id),
		cmocka_unit_test(tally_apply_should_follow_arrival_for_ballots_sharing_an_id_without_ts),
		cmocka_unit_test(tally_apply_should_keep_polls_apart),
		cmocka_unit_test(tally_polls_should_keep_their_number_as_more_polls_arrive),
		cmocka_unit_test(tally_poll_choice_should_be_zero_for_a_choice_never_seen),
		cmocka_unit_test(tally_apply_should_count_a_choice_that_is_not_configured),
		cmocka_unit_test(tally_poll_each_choice_should_give_configured_choices_first_then_others_with_votes),
		cmocka_unit_test(tally_poll_each_choice_should_give_only_choices_with_votes_in_byte_order_when_none_configured),
		cmocka_unit_test(tally_poll_each_choice_should_stop_early_with_the_callbacks_value),
		cmocka_unit_test(tally_apply_with_revote_off_should_keep_the_first_ballot_and_reject_a_different_one),
		cmocka_unit_test(tally_apply_with_revote_off_should_reject_a_different_ballot_without_ts),
		cmocka_unit_test(tally_apply_with_revote_off_should_refuse_a_later_ballot_with_the_same_choice_too),
		cmocka_unit_test(tally_apply_should_show_a_ballot_in_a_voters_name_nothing_of_the_held_choice),
		cmocka_unit_test(tally_apply_with_revote_off_should_let_an_earlier_ts_replace_the_held_ballot),
		cmocka_unit_test(tally_reject_should_create_the_poll_and_count_the_rejection),
		cmocka_unit_test(tally_poll_version_should_grow_only_when_the_result_changes),
		cmocka_unit_test(tally_new_should_refuse_an_invalid_or_duplicate_choice),
		cmocka_unit_test(tally_config_check_should_accept_valid_choices_and_refuse_invalid_or_duplicate_ones),
		cmocka_unit_test(tally_new_should_copy_its_configuration),
		cmocka_unit_test(tally_poll_version_should_grow_on_an_already_voted_refusal),
		cmocka_unit_test(tally_free_should_accept_null),
		cmocka_unit_test(tally_counts_should_not_depend_on_order_or_duplicates_with_revote_on),
		cmocka_unit_test(tally_counts_should_not_depend_on_order_or_duplicates_with_revote_off),
		cmocka_unit_test(tally_counts_should_not_depend_on_order_with_configured_choices_and_revote_on),
		cmocka_unit_test(tally_counts_should_not_depend_on_order_with_configured_choices_and_revote_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
