/* test_ranked.c -- unit tests of ranked: instant runoff and Schulze against published examples and a naive second count */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ranked.h"

#define MAXN RANKED_CHOICES_MAX

/* A ranking spelt with letters: "ACB" is choices 0, 2, 1. */
struct spelt {
	uint64_t count;
	const char *order;
};

/* A profile built from spelt rankings (its own storage). */
struct prof {
	size_t n;
	struct ranked_ranking *g;
	uint8_t (*order)[MAXN];
};

static void prof_free(struct prof *p)
{
	free(p->g);
	free(p->order);
}

static struct prof prof_of(const struct spelt *s, size_t ns)
{
	struct prof p = { .n = ns };
	size_t r, k;

	p.g = calloc(ns ? ns : 1, sizeof(*p.g));
	p.order = calloc(ns ? ns : 1, sizeof(*p.order));
	assert_non_null(p.g);
	assert_non_null(p.order);
	for (r = 0; r < ns; r++) {
		for (k = 0; s[r].order[k]; k++)
			p.order[r][k] = (uint8_t)(s[r].order[k] - 'A');
		p.g[r] = (struct ranked_ranking){ .order = p.order[r], .len = k, .count = s[r].count };
	}
	return p;
}

static void count_spelt(size_t n, const struct spelt *s, size_t ns, struct ranked_result *out)
{
	struct prof p = prof_of(s, ns);

	assert_int_equal(ranked_count(n, p.g, p.n, out), 0);
	prof_free(&p);
}

static void assert_round(const struct ranked_result *r, size_t k, const uint64_t *count, uint64_t exhausted,
			 int eliminated)
{
	size_t i;

	assert_true(k < r->nrounds);
	for (i = 0; i < r->n; i++)
		assert_int_equal(r->round[k].count[i], count[i]);
	assert_int_equal(r->round[k].exhausted, exhausted);
	assert_int_equal(r->round[k].continuing, r->voters - exhausted);
	assert_int_equal(r->round[k].eliminated, eliminated);
}

/* ---- published examples ---- */

enum { MEM, NASH, CHAT, KNOX };

/* Wikipedia's "Tennessee capital" example (percentages as voters): instant
 * runoff elects Knoxville, Schulze Nashville, the Condorcet winner. */
static const struct spelt tennessee[] = {
	{ 42, "ABCD" }, /* Memphis, Nashville, Chattanooga, Knoxville */
	{ 26, "BCDA" }, /* Nashville, Chattanooga, Knoxville, Memphis */
	{ 15, "CDBA" }, /* Chattanooga, Knoxville, Nashville, Memphis */
	{ 17, "DCBA" }, /* Knoxville, Chattanooga, Nashville, Memphis */
};

static void tennessee_should_elect_knoxville_by_runoff_in_three_rounds(void **state)
{
	struct ranked_result r;

	(void)state;
	count_spelt(4, tennessee, 4, &r);
	assert_int_equal(r.voters, 100);
	assert_int_equal(r.nrounds, 3);
	assert_round(&r, 0, (uint64_t[]){ 42, 26, 15, 17 }, 0, CHAT);
	assert_round(&r, 1, (uint64_t[]){ 42, 26, 0, 32 }, 0, NASH);
	assert_round(&r, 2, (uint64_t[]){ 42, 0, 0, 58 }, 0, RANKED_NONE);
	assert_int_equal(r.round[0].in, 0xf);
	assert_int_equal(r.round[1].in, 0xb);
	assert_int_equal(r.round[2].in, 0x9);
	assert_int_equal(r.irv_winner, KNOX);
	assert_int_equal(r.irv_why, RANKED_MAJORITY);
	assert_false(r.lot_drawn);
	ranked_result_free(&r);
}

static void tennessee_should_rank_nashville_first_by_schulze_as_condorcet_winner(void **state)
{
	static const uint64_t d[16] = {
		0, 42, 42, 42,
		58, 0, 68, 68,
		58, 32, 0, 83,
		58, 32, 17, 0,
	};
	static const uint64_t p[16] = {
		0, 0, 0, 0,
		58, 0, 68, 68,
		58, 0, 0, 83,
		58, 0, 0, 0,
	};
	struct ranked_result r;
	size_t k;

	(void)state;
	count_spelt(4, tennessee, 4, &r);
	for (k = 0; k < 16; k++) {
		assert_int_equal(r.d[k], d[k]);
		assert_int_equal(r.p[k], p[k]);
	}
	assert_int_equal(r.condorcet, NASH);
	assert_memory_equal(r.ranking, ((uint8_t[]){ NASH, CHAT, KNOX, MEM }), 4);
	for (k = 0; k < 4; k++)
		assert_false(r.by_lot[k]);
	ranked_result_free(&r);
}

/* Wikipedia's "Schulze method" example: 45 voters, 5 candidates A..E. */
static const struct spelt schulze45[] = {
	{ 5, "ACBED" }, { 5, "ADECB" }, { 8, "BEDAC" }, { 3, "CABED" },
	{ 7, "CAEBD" }, { 2, "CBADE" }, { 7, "DCEBA" }, { 8, "EBADC" },
};

static void schulze_example_should_give_its_published_matrices_and_ranking(void **state)
{
	static const uint64_t d[25] = {
		0, 20, 26, 30, 22,
		25, 0, 16, 33, 18,
		19, 29, 0, 17, 24,
		15, 12, 28, 0, 14,
		23, 27, 21, 31, 0,
	};
	static const uint64_t p[25] = {
		0, 28, 28, 30, 24,
		25, 0, 28, 33, 24,
		25, 29, 0, 29, 24,
		25, 28, 28, 0, 24,
		25, 28, 28, 31, 0,
	};
	struct ranked_result r;
	size_t k;

	(void)state;
	count_spelt(5, schulze45, 8, &r);
	assert_int_equal(r.voters, 45);
	for (k = 0; k < 25; k++) {
		assert_int_equal(r.d[k], d[k]);
		assert_int_equal(r.p[k], p[k]);
	}
	assert_memory_equal(r.ranking, ((uint8_t[]){ 4, 0, 2, 1, 3 }), 5); /* E > A > C > B > D */
	for (k = 0; k < 5; k++)
		assert_false(r.by_lot[k]);
	assert_int_equal(r.condorcet, RANKED_NONE); /* E's strongest paths win, not every duel */
	ranked_result_free(&r);
}

/* Its runoff ties B and E at 8 in the second round: the lot (A B E C D,
 * drawn by the Python of ranked.h) eliminates E, the later of the two. */
static void schulze_example_runoff_should_settle_its_tie_by_the_lot(void **state)
{
	struct ranked_result r;
	uint8_t lot[MAXN];
	struct prof p = prof_of(schulze45, 8);

	(void)state;
	assert_int_equal(ranked_lot(5, p.g, p.n, lot), 0);
	assert_memory_equal(lot, ((uint8_t[]){ 0, 1, 4, 2, 3 }), 5);
	assert_int_equal(ranked_count(5, p.g, p.n, &r), 0);
	assert_int_equal(r.nrounds, 4);
	assert_round(&r, 0, (uint64_t[]){ 10, 8, 12, 7, 8 }, 0, 3);
	assert_false(r.round[0].by_lot);
	assert_round(&r, 1, (uint64_t[]){ 10, 8, 19, 0, 8 }, 0, 4);
	assert_true(r.round[1].by_lot);
	assert_round(&r, 2, (uint64_t[]){ 10, 16, 19, 0, 0 }, 0, 0);
	assert_round(&r, 3, (uint64_t[]){ 0, 16, 29, 0, 0 }, 0, RANKED_NONE);
	assert_int_equal(r.irv_winner, 2);
	assert_int_equal(r.irv_why, RANKED_MAJORITY);
	assert_true(r.lot_drawn);
	assert_memory_equal(r.lot, lot, 5);
	ranked_result_free(&r);
	prof_free(&p);
}

/* The lot's bytes are the contract's: the Python of ranked.h gives these. */
static void lot_should_be_the_one_the_contract_python_draws(void **state)
{
	uint8_t lot[MAXN];
	struct prof p = prof_of(tennessee, 4);

	(void)state;
	assert_int_equal(ranked_lot(4, p.g, p.n, lot), 0);
	assert_memory_equal(lot, ((uint8_t[]){ 2, 0, 3, 1 }), 4);
	assert_int_equal(ranked_lot(3, NULL, 0, lot), 0);
	assert_memory_equal(lot, ((uint8_t[]){ 1, 2, 0 }), 3);
	prof_free(&p);
}

/* ---- partial rankings, exhausted ballots, edge cases ---- */

/* 4 rank A only, 3 B only, 2 C only: C goes, its 2 ballots are exhausted,
 * and A's 4 of the 7 continuing are a majority (not of the 9 voters). */
static void runoff_should_win_by_a_majority_of_the_continuing_ballots(void **state)
{
	static const struct spelt s[] = { { 4, "A" }, { 3, "B" }, { 2, "C" } };
	struct ranked_result r;

	(void)state;
	count_spelt(3, s, 3, &r);
	assert_int_equal(r.nrounds, 2);
	assert_round(&r, 0, (uint64_t[]){ 4, 3, 2 }, 0, 2);
	assert_round(&r, 1, (uint64_t[]){ 4, 3, 0 }, 2, RANKED_NONE);
	assert_int_equal(r.irv_winner, 0);
	assert_int_equal(r.irv_why, RANKED_MAJORITY);
	/* unranked choices come after the ranked, equal among themselves */
	assert_int_equal(r.d[0 * 3 + 1], 4);
	assert_int_equal(r.d[1 * 3 + 0], 3);
	assert_int_equal(r.d[2 * 3 + 0], 2);
	assert_int_equal(r.d[2 * 3 + 1], 2);
	assert_int_equal(r.d[1 * 3 + 2], 3);
	assert_int_equal(r.condorcet, 0);
	assert_memory_equal(r.ranking, ((uint8_t[]){ 0, 1, 2 }), 3);
	ranked_result_free(&r);
}

/* A partial ranking moves to its next choice when its first goes, and
 * is exhausted when none of its choices continues. */
static void runoff_should_move_partial_rankings_then_exhaust_them(void **state)
{
	static const struct spelt s[] = { { 5, "A" }, { 4, "B" }, { 2, "CB" }, { 1, "D" } };
	struct ranked_result r;

	(void)state;
	count_spelt(4, s, 4, &r);
	assert_int_equal(r.nrounds, 3);
	assert_round(&r, 0, (uint64_t[]){ 5, 4, 2, 1 }, 0, 3);
	assert_round(&r, 1, (uint64_t[]){ 5, 4, 2, 0 }, 1, 2);
	assert_round(&r, 2, (uint64_t[]){ 5, 6, 0, 0 }, 1, RANKED_NONE);
	assert_int_equal(r.irv_winner, 1);
	ranked_result_free(&r);
}

static void equal_ballots_should_elect_their_first_at_once_and_rank_as_they_do(void **state)
{
	static const struct spelt s[] = { { 7, "CADB" } };
	struct ranked_result r;

	(void)state;
	count_spelt(4, s, 1, &r);
	assert_int_equal(r.nrounds, 1);
	assert_int_equal(r.irv_winner, 2);
	assert_int_equal(r.irv_why, RANKED_MAJORITY);
	assert_memory_equal(r.ranking, ((uint8_t[]){ 2, 0, 3, 1 }), 4);
	assert_int_equal(r.condorcet, 2);
	assert_false(r.lot_drawn);
	ranked_result_free(&r);
}

/* Ballots that each name a single choice: the runoff is a plurality with
 * eliminations, Schulze ranks by the counts. */
static void single_choice_ballots_should_count_as_first_preferences(void **state)
{
	static const struct spelt s[] = { { 3, "B" }, { 5, "A" }, { 4, "C" } };
	struct ranked_result r;

	(void)state;
	count_spelt(3, s, 3, &r);
	assert_int_equal(r.nrounds, 2);
	assert_round(&r, 0, (uint64_t[]){ 5, 3, 4 }, 0, 1);
	assert_round(&r, 1, (uint64_t[]){ 5, 0, 4 }, 3, RANKED_NONE);
	assert_int_equal(r.irv_winner, 0);
	assert_memory_equal(r.ranking, ((uint8_t[]){ 0, 2, 1 }), 3);
	assert_int_equal(r.condorcet, 0);
	ranked_result_free(&r);
}

/* One voter for each of two choices: the lot eliminates its later one, the
 * other is the last one left; Schulze ties them and places by the lot. */
static void tie_should_be_settled_by_the_lot(void **state)
{
	static const struct spelt s[] = { { 1, "A" }, { 1, "B" } };
	struct ranked_result r;

	(void)state;
	count_spelt(2, s, 2, &r);
	assert_true(r.lot_drawn);
	assert_memory_equal(r.lot, ((uint8_t[]){ 1, 0 }), 2); /* the Python of ranked.h */
	assert_int_equal(r.nrounds, 1);
	assert_round(&r, 0, (uint64_t[]){ 1, 1 }, 0, 0);
	assert_true(r.round[0].by_lot);
	assert_int_equal(r.irv_winner, 1);
	assert_int_equal(r.irv_why, RANKED_LAST_LEFT);
	assert_memory_equal(r.ranking, ((uint8_t[]){ 1, 0 }), 2);
	assert_true(r.by_lot[0]);
	assert_false(r.by_lot[1]); /* the last place has no one to tie with */
	assert_int_equal(r.condorcet, RANKED_NONE);
	ranked_result_free(&r);
}

static void no_ballot_should_elect_no_one(void **state)
{
	static const struct spelt s[] = { { 0, "AB" }, { 3, "" } };
	struct ranked_result r;

	(void)state;
	assert_int_equal(ranked_count(3, NULL, 0, &r), 0);
	assert_int_equal(r.nrounds, 1);
	assert_round(&r, 0, (uint64_t[]){ 0, 0, 0 }, 0, RANKED_NONE);
	assert_int_equal(r.irv_winner, RANKED_NONE);
	assert_int_equal(r.irv_why, RANKED_NO_WINNER);
	assert_int_equal(r.condorcet, RANKED_NONE);
	assert_memory_equal(r.ranking, ((uint8_t[]){ 1, 2, 0 }), 3); /* the lot of nothing */
	ranked_result_free(&r);

	count_spelt(3, s, 2, &r); /* rankings of no voter, and empty ones: exhausted */
	assert_int_equal(r.voters, 3);
	assert_round(&r, 0, (uint64_t[]){ 0, 0, 0 }, 3, RANKED_NONE);
	assert_int_equal(r.irv_winner, RANKED_NONE);
	ranked_result_free(&r);
}

static void invalid_profiles_should_be_refused(void **state)
{
	static const uint8_t twice[] = { 0, 1, 0 }, out_of_range[] = { 0, 3 };
	struct ranked_ranking g[2] = { { twice, 3, 1 }, { out_of_range, 2, 1 } };
	struct ranked_ranking big[2] = { { out_of_range, 1, UINT64_MAX }, { out_of_range, 1, 1 } };
	struct ranked_result r;
	uint8_t lot[MAXN];

	(void)state;
	assert_int_equal(ranked_count(3, &g[0], 1, &r), -1);
	assert_null(r.round);
	assert_int_equal(ranked_count(3, &g[1], 1, &r), -1);
	assert_int_equal(ranked_count(4, &g[1], 1, &r), 0);
	ranked_result_free(&r);
	assert_int_equal(ranked_count(2, &g[0], 1, &r), -1); /* longer than n */
	assert_int_equal(ranked_count(1, NULL, 0, &r), -1);
	assert_int_equal(ranked_count(RANKED_CHOICES_MAX + 1, NULL, 0, &r), -1);
	assert_int_equal(ranked_count(3, big, 2, &r), -1); /* counts beyond UINT64_MAX */
	assert_int_equal(ranked_lot(3, &g[0], 1, lot), -1);
	ranked_result_free(&r);
	ranked_result_free(NULL);
}

/* ---- a second, naive count from the definitions ---- */

/* splitmix64: the tests' seeded PRNG. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t below(uint64_t *s, size_t n)
{
	return (size_t)(rnd(s) % n);
}

/* One voter's ballot. */
struct ballot {
	size_t len;
	uint8_t order[MAXN];
};

static int cmp_ballot(const void *a, const void *b)
{
	const struct ballot *x = a, *y = b;
	size_t k;

	for (k = 0; k < x->len && k < y->len; k++)
		if (x->order[k] != y->order[k])
			return x->order[k] < y->order[k] ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int cmp_ranking(const void *a, const void *b)
{
	const struct ranked_ranking *x = a, *y = b;
	struct ballot bx = { .len = x->len }, by = { .len = y->len };

	memcpy(bx.order, x->order, x->len);
	memcpy(by.order, y->order, y->len);
	return cmp_ballot(&bx, &by);
}

/* naive_lot: the lot from the definition: the voters' ballots sorted,
 * equal ones counted, the bytes written out, hashed, keys sorted. */
static void naive_lot(size_t n, const struct ballot *bs, size_t nb, uint8_t *lot)
{
	struct ballot *sorted = malloc((nb ? nb : 1) * sizeof(*sorted));
	unsigned char *bytes = malloc(1 + nb * (1 + MAXN + 8)), seed[32], in[33], key[MAXN][32];
	size_t len = 0, i, j, k;

	assert_non_null(sorted);
	assert_non_null(bytes);
	memcpy(sorted, bs, nb * sizeof(*sorted));
	qsort(sorted, nb, sizeof(*sorted), cmp_ballot);
	bytes[len++] = (unsigned char)n;
	for (i = 0; i < nb; i = j) {
		uint64_t c = 0;

		for (j = i; j < nb && cmp_ballot(&sorted[i], &sorted[j]) == 0; j++)
			c++;
		bytes[len++] = (unsigned char)sorted[i].len;
		memcpy(bytes + len, sorted[i].order, sorted[i].len);
		len += sorted[i].len;
		for (k = 0; k < 8; k++)
			bytes[len++] = (unsigned char)(c >> (56 - 8 * k));
	}
	assert_int_equal(EVP_Digest(bytes, len, seed, NULL, EVP_sha256(), NULL), 1);
	memcpy(in, seed, 32);
	for (i = 0; i < n; i++) {
		in[32] = (unsigned char)i;
		assert_int_equal(EVP_Digest(in, 33, key[i], NULL, EVP_sha256(), NULL), 1);
		lot[i] = (uint8_t)i;
	}
	for (i = 0; i < n; i++) /* selection sort on the keys */
		for (j = i + 1; j < n; j++)
			if (memcmp(key[lot[j]], key[lot[i]], 32) < 0) {
				uint8_t t = lot[i];

				lot[i] = lot[j];
				lot[j] = t;
			}
	free(bytes);
	free(sorted);
}

static size_t lot_place(const uint8_t *lot, size_t n, size_t c)
{
	size_t k;

	for (k = 0; k < n && lot[k] != c; k++)
		;
	return k;
}

/* naive_check: ranked_count's result against a recount of every ballot. */
static void naive_check(size_t n, const struct ballot *bs, size_t nb, const struct ranked_result *r)
{
	bool in[MAXN], placed[MAXN], tie_seen = false;
	uint64_t d[MAXN][MAXN] = { { 0 } }, p[MAXN][MAXN], cnt[MAXN];
	uint8_t lot[MAXN];
	size_t i, j, k, b, round = 0, left = n;
	int winner = RANKED_NONE;

	naive_lot(n, bs, nb, lot);
	assert_int_equal(r->voters, nb);
	/* instant runoff: every ballot recounted each round */
	for (i = 0; i < n; i++)
		in[i] = true;
	for (;; round++) {
		uint64_t exhausted = 0, total = 0, fewest = UINT64_MAX;
		size_t nfewest = 0, out = 0;

		memset(cnt, 0, sizeof(cnt));
		for (b = 0; b < nb; b++) {
			for (k = 0; k < bs[b].len && !in[bs[b].order[k]]; k++)
				;
			if (k < bs[b].len)
				cnt[bs[b].order[k]]++;
			else
				exhausted++;
		}
		assert_true(round < r->nrounds);
		for (i = 0; i < n; i++) {
			assert_int_equal(r->round[round].count[i], cnt[i]);
			assert_int_equal(!!(r->round[round].in & ((uint64_t)1 << i)), in[i]);
			total += cnt[i];
		}
		assert_int_equal(r->round[round].exhausted, exhausted);
		if (total == 0)
			break;
		for (i = 0; i < n; i++)
			if (in[i] && 2 * cnt[i] > total)
				winner = (int)i;
		if (winner != RANKED_NONE) {
			assert_int_equal(r->irv_why, RANKED_MAJORITY);
			break;
		}
		for (i = 0; i < n; i++)
			if (in[i] && cnt[i] < fewest)
				fewest = cnt[i];
		for (i = 0; i < n; i++) /* of those with the fewest, the last in the lot */
			if (in[i] && cnt[i] == fewest) {
				nfewest++;
				if (nfewest == 1 || lot_place(lot, n, i) > lot_place(lot, n, out))
					out = i;
			}
		tie_seen |= nfewest > 1;
		assert_int_equal(r->round[round].eliminated, (int)out);
		assert_int_equal(r->round[round].by_lot, nfewest > 1);
		in[out] = false;
		if (--left == 1) {
			for (i = 0; !in[i]; i++)
				;
			winner = (int)i;
			assert_int_equal(r->irv_why, RANKED_LAST_LEFT);
			break;
		}
	}
	assert_int_equal(r->nrounds, round + 1);
	assert_int_equal(r->irv_winner, winner);
	if (left > 1) /* won by a majority, or no one: the last round eliminates no one */
		assert_int_equal(r->round[round].eliminated, RANKED_NONE);

	/* Schulze: d from every voter's positions, p by widening paths one link
	 * at a time until nothing changes (Bellman-Ford style) */
	for (b = 0; b < nb; b++) {
		size_t pos[MAXN];

		for (i = 0; i < n; i++)
			pos[i] = bs[b].len;
		for (k = 0; k < bs[b].len; k++)
			pos[bs[b].order[k]] = k;
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				if (pos[i] < pos[j])
					d[i][j]++;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			p[i][j] = i != j && d[i][j] > d[j][i] ? d[i][j] : 0;
	for (bool changed = true; changed;) {
		changed = false;
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				for (k = 0; k < n; k++) {
					uint64_t link = k != j && d[k][j] > d[j][k] ? d[k][j] : 0;
					uint64_t w = p[i][k] < link ? p[i][k] : link;

					if (i != j && w > p[i][j]) {
						p[i][j] = w;
						changed = true;
					}
				}
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			assert_int_equal(r->d[i * n + j], d[i][j]);
			assert_int_equal(r->p[i * n + j], p[i][j]);
		}
	memset(placed, 0, sizeof(placed));
	for (k = 0; k < n; k++) { /* each place: the first in the lot no unplaced choice beats */
		size_t unbeaten = 0, first = n;

		for (size_t at = 0; at < n; at++) {
			bool beaten = false;

			i = lot[at];
			if (placed[i])
				continue;
			for (j = 0; j < n; j++)
				beaten |= !placed[j] && p[j][i] > p[i][j];
			if (!beaten && unbeaten++ == 0)
				first = i;
		}
		assert_true(first < n);
		assert_int_equal(r->ranking[k], first);
		assert_int_equal(r->by_lot[k], unbeaten > 1);
		tie_seen |= unbeaten > 1;
		placed[first] = true;
	}
	winner = RANKED_NONE;
	for (i = 0; i < n; i++) {
		for (j = 0; j < n && (j == i || d[i][j] > d[j][i]); j++)
			;
		if (j == n)
			winner = (int)i;
	}
	assert_int_equal(r->condorcet, winner);
	assert_int_equal(r->lot_drawn, tie_seen);
	if (tie_seen)
		assert_memory_equal(r->lot, lot, n);
}

static void assert_same_result(const struct ranked_result *a, const struct ranked_result *b)
{
	size_t n = a->n, k;

	assert_int_equal(a->n, b->n);
	assert_int_equal(a->voters, b->voters);
	assert_int_equal(a->nrounds, b->nrounds);
	for (k = 0; k < a->nrounds; k++) {
		assert_memory_equal(a->round[k].count, b->round[k].count, n * sizeof(uint64_t));
		assert_int_equal(a->round[k].in, b->round[k].in);
		assert_int_equal(a->round[k].continuing, b->round[k].continuing);
		assert_int_equal(a->round[k].exhausted, b->round[k].exhausted);
		assert_int_equal(a->round[k].eliminated, b->round[k].eliminated);
		assert_int_equal(a->round[k].by_lot, b->round[k].by_lot);
	}
	assert_int_equal(a->irv_winner, b->irv_winner);
	assert_int_equal(a->irv_why, b->irv_why);
	assert_memory_equal(a->d, b->d, n * n * sizeof(uint64_t));
	assert_memory_equal(a->p, b->p, n * n * sizeof(uint64_t));
	assert_memory_equal(a->ranking, b->ranking, n);
	assert_memory_equal(a->by_lot, b->by_lot, n * sizeof(bool));
	assert_int_equal(a->condorcet, b->condorcet);
	assert_int_equal(a->lot_drawn, b->lot_drawn);
	if (a->lot_drawn)
		assert_memory_equal(a->lot, b->lot, n);
}

static void random_ranking(uint64_t *s, size_t n, struct ballot *b)
{
	size_t k;

	for (k = 0; k < n; k++)
		b->order[k] = (uint8_t)k;
	for (k = n - 1; k > 0; k--) {
		size_t j = below(s, k + 1);
		uint8_t t = b->order[k];

		b->order[k] = b->order[j];
		b->order[j] = t;
	}
	b->len = below(s, 4) == 0 ? below(s, n + 1) : n; /* a quarter partial, a few empty */
}

/* Random profiles (a fixed seed): some drawn from a few popular rankings,
 * so that ties come up, some from everything. Each is counted from one
 * entry per voter, from the merged profile, from that profile shuffled and
 * from it in ascending order: the four results are the same, and the
 * naive count's. */
static void random_profiles_should_match_a_naive_count_whatever_their_order(void **state)
{
	uint64_t seed = 20240521;
	size_t trial, lots = 0;

	(void)state;
	for (trial = 0; trial < 300; trial++) {
		size_t n = 2 + below(&seed, 11), nb, npop = 1 + below(&seed, 6), b, m = 0, k;
		struct ballot pop[6], *bs;
		struct ranked_ranking *each, *merged;
		struct ranked_result r1, r2, r3;

		nb = below(&seed, 3) == 0 ? below(&seed, 12) : 1 + below(&seed, 4000);
		bs = malloc((nb ? nb : 1) * sizeof(*bs));
		each = malloc((nb ? nb : 1) * sizeof(*each));
		merged = malloc((nb ? nb : 1) * sizeof(*merged));
		assert_non_null(bs);
		assert_non_null(each);
		assert_non_null(merged);
		for (k = 0; k < npop; k++)
			random_ranking(&seed, n, &pop[k]);
		for (b = 0; b < nb; b++) {
			if (below(&seed, 2) == 0)
				bs[b] = pop[below(&seed, npop)];
			else
				random_ranking(&seed, n, &bs[b]);
			each[b] = (struct ranked_ranking){ .order = bs[b].order, .len = bs[b].len, .count = 1 };
		}
		assert_int_equal(ranked_count(n, each, nb, &r1), 0);
		naive_check(n, bs, nb, &r1);
		lots += r1.lot_drawn;

		/* merged: equal rankings once, with their count */
		for (b = 0; b < nb; b++) {
			for (k = 0; k < m; k++)
				if (merged[k].len == bs[b].len && memcmp(merged[k].order, bs[b].order, bs[b].len) == 0)
					break;
			if (k < m)
				merged[k].count++;
			else
				merged[m++] = each[b];
		}
		assert_int_equal(ranked_count(n, merged, m, &r2), 0);
		assert_same_result(&r1, &r2);
		for (k = m; k > 1; k--) { /* shuffled */
			size_t j = below(&seed, k);
			struct ranked_ranking t = merged[k - 1];

			merged[k - 1] = merged[j];
			merged[j] = t;
		}
		assert_int_equal(ranked_count(n, merged, m, &r3), 0);
		assert_same_result(&r1, &r3);
		ranked_result_free(&r3);
		qsort(merged, m, sizeof(*merged), cmp_ranking); /* in order: the lot needs no sort */
		assert_int_equal(ranked_count(n, merged, m, &r3), 0);
		assert_same_result(&r1, &r3);
		ranked_result_free(&r1);
		ranked_result_free(&r2);
		ranked_result_free(&r3);
		free(merged);
		free(each);
		free(bs);
	}
	assert_true(lots >= 20); /* the lot was exercised, not only the clear cases */
}

/* The largest question: 64 choices, every set of choices a full word. */
static void largest_question_should_count(void **state)
{
	struct ballot bs[50];
	struct ranked_ranking g[50];
	struct ranked_result r;
	uint64_t seed = 7;
	size_t b;

	(void)state;
	for (b = 0; b < 50; b++) {
		random_ranking(&seed, RANKED_CHOICES_MAX, &bs[b]);
		g[b] = (struct ranked_ranking){ .order = bs[b].order, .len = bs[b].len, .count = 1 + b };
	}
	assert_int_equal(ranked_count(RANKED_CHOICES_MAX, g, 50, &r), 0);
	assert_int_equal(r.round[0].in, UINT64_MAX);
	assert_true(r.irv_winner != RANKED_NONE);
	assert_true(r.nrounds <= RANKED_CHOICES_MAX - 1);
	ranked_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tennessee_should_elect_knoxville_by_runoff_in_three_rounds),
		cmocka_unit_test(tennessee_should_rank_nashville_first_by_schulze_as_condorcet_winner),
		cmocka_unit_test(schulze_example_should_give_its_published_matrices_and_ranking),
		cmocka_unit_test(schulze_example_runoff_should_settle_its_tie_by_the_lot),
		cmocka_unit_test(lot_should_be_the_one_the_contract_python_draws),
		cmocka_unit_test(runoff_should_win_by_a_majority_of_the_continuing_ballots),
		cmocka_unit_test(runoff_should_move_partial_rankings_then_exhaust_them),
		cmocka_unit_test(equal_ballots_should_elect_their_first_at_once_and_rank_as_they_do),
		cmocka_unit_test(single_choice_ballots_should_count_as_first_preferences),
		cmocka_unit_test(tie_should_be_settled_by_the_lot),
		cmocka_unit_test(no_ballot_should_elect_no_one),
		cmocka_unit_test(invalid_profiles_should_be_refused),
		cmocka_unit_test(random_profiles_should_match_a_naive_count_whatever_their_order),
		cmocka_unit_test(largest_question_should_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
