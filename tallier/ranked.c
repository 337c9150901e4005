/* ranked.c -- counting ranked ballots: instant runoff and Schulze, a pure function of the set of rankings */
#include "ranked.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "polldef.h"

_Static_assert(RANKED_CHOICES_MAX >= POLLDEF_CHOICES_MAX, "a ranked question can rank every choice a poll offers");
_Static_assert(RANKED_CHOICES_MAX <= 64, "a set of choices is one 64-bit word");
_Static_assert(RANKED_CHOICES_MAX <= 256, "a choice is one byte of the lot");

#define DIGEST 32 /* SHA-256 */

static uint64_t bit(size_t i)
{
	return (uint64_t)1 << i;
}

/* check: whether the profile is valid; *voters gets its counts added up. */
static int check(size_t n, const struct ranked_ranking *profile, size_t nprofile, uint64_t *voters)
{
	size_t r, k;

	*voters = 0;
	if (n < 2 || n > RANKED_CHOICES_MAX || (nprofile > 0 && !profile))
		return -1;
	for (r = 0; r < nprofile; r++) {
		const struct ranked_ranking *g = &profile[r];
		uint64_t named = 0;

		if (g->len > n || (g->len > 0 && !g->order) || g->count > UINT64_MAX - *voters)
			return -1;
		for (k = 0; k < g->len; k++) {
			if (g->order[k] >= n || (named & bit(g->order[k])))
				return -1;
			named |= bit(g->order[k]);
		}
		*voters += g->count;
	}
	return 0;
}

/* ---- the lot ---- */

/* cmp_ranking: qsort's order of rankings: choice by choice, a ranking
 * before every longer one it begins. */
static int cmp_ranking(const void *a, const void *b)
{
	const struct ranked_ranking *x = *(const struct ranked_ranking *const *)a;
	const struct ranked_ranking *y = *(const struct ranked_ranking *const *)b;
	size_t len = x->len < y->len ? x->len : y->len;
	int c = len ? memcmp(x->order, y->order, len) : 0;

	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

static int same_ranking(const struct ranked_ranking *x, const struct ranked_ranking *y)
{
	return x->len == y->len && (x->len == 0 || memcmp(x->order, y->order, x->len) == 0);
}

/* put_ranking: one distinct ranking's bytes into the digest. */
static int put_ranking(EVP_MD_CTX *ctx, const struct ranked_ranking *g, uint64_t count)
{
	unsigned char len = (unsigned char)g->len, be[8];
	size_t k;

	for (k = 0; k < 8; k++)
		be[k] = (unsigned char)(count >> (56 - 8 * k));
	if (EVP_DigestUpdate(ctx, &len, 1) != 1 || (g->len > 0 && EVP_DigestUpdate(ctx, g->order, g->len) != 1) ||
	    EVP_DigestUpdate(ctx, be, sizeof(be)) != 1)
		return -2;
	return 0;
}

/* seed_of: SHA-256 of the profile's canonical bytes (ranked.h). */
static int seed_of(size_t n, const struct ranked_ranking *profile, size_t nprofile, unsigned char seed[DIGEST])
{
	const struct ranked_ranking **sorted = NULL;
	EVP_MD_CTX *ctx = NULL;
	unsigned char nb = (unsigned char)n;
	unsigned int len = 0;
	size_t r, m = 0;
	bool ascending = true;
	int rc = -2;

	if (nprofile > 0 && !(sorted = malloc(nprofile * sizeof(*sorted))))
		goto out;
	for (r = 0; r < nprofile; r++) {
		if (profile[r].count == 0)
			continue;
		if (m > 0 && cmp_ranking(&sorted[m - 1], &(const struct ranked_ranking *){ &profile[r] }) >= 0)
			ascending = false;
		sorted[m++] = &profile[r];
	}
	if (!ascending) /* a profile given in order costs one pass */
		qsort(sorted, m, sizeof(*sorted), cmp_ranking);
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(ctx, &nb, 1) != 1)
		goto out;
	for (r = 0; r < m;) {
		uint64_t count = 0;
		size_t s = r;

		for (; r < m && same_ranking(sorted[s], sorted[r]); r++)
			count += sorted[r]->count; /* no overflow: check() bounded the sum */
		if (put_ranking(ctx, sorted[s], count) != 0)
			goto out;
	}
	if (EVP_DigestFinal_ex(ctx, seed, &len) != 1 || len != DIGEST)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(sorted);
	return rc;
}

/* lot_from_seed: the choices ordered by SHA-256(seed || i). */
static int lot_from_seed(size_t n, const unsigned char seed[DIGEST], uint8_t lot[RANKED_CHOICES_MAX])
{
	unsigned char key[RANKED_CHOICES_MAX][DIGEST], in[DIGEST + 1];
	size_t i, k;

	memcpy(in, seed, DIGEST);
	for (i = 0; i < n; i++) {
		unsigned int len = 0;

		in[DIGEST] = (unsigned char)i;
		if (EVP_Digest(in, sizeof(in), key[i], &len, EVP_sha256(), NULL) != 1 || len != DIGEST)
			return -2;
		/* insertion by key; equal keys (never seen) keep the choices' order */
		for (k = i; k > 0 && memcmp(key[lot[k - 1]], key[i], DIGEST) > 0; k--)
			lot[k] = lot[k - 1];
		lot[k] = (uint8_t)i;
	}
	return 0;
}

int ranked_lot(size_t n, const struct ranked_ranking *profile, size_t nprofile, uint8_t lot[RANKED_CHOICES_MAX])
{
	unsigned char seed[DIGEST];
	uint64_t voters;

	if (check(n, profile, nprofile, &voters) != 0)
		return -1;
	if (seed_of(n, profile, nprofile, seed) != 0)
		return -2;
	return lot_from_seed(n, seed, lot);
}

/* A lot drawn on first need. */
struct lazylot {
	size_t n;
	const struct ranked_ranking *profile;
	size_t nprofile;
	struct ranked_result *out; /* its lot, lot_drawn */
	size_t place[RANKED_CHOICES_MAX]; /* choice -> its place in the lot */
};

static int need_lot(struct lazylot *l)
{
	unsigned char seed[DIGEST];
	size_t k;

	if (l->out->lot_drawn)
		return 0;
	if (seed_of(l->n, l->profile, l->nprofile, seed) != 0 || lot_from_seed(l->n, seed, l->out->lot) != 0)
		return -2;
	for (k = 0; k < l->n; k++)
		l->place[l->out->lot[k]] = k;
	l->out->lot_drawn = true;
	return 0;
}

/* pick: of the set, the first in the lot (last when last), drawing the lot
 * only when the set has more than one choice. *by_lot says whether it did. */
static int pick(struct lazylot *l, uint64_t set, bool last, int *choice, bool *by_lot)
{
	size_t i;
	int rc;

	*choice = RANKED_NONE;
	*by_lot = (set & (set - 1)) != 0;
	if (*by_lot && (rc = need_lot(l)) != 0)
		return rc;
	for (i = 0; i < l->n; i++) {
		if (!(set & bit(i)))
			continue;
		if (*choice == RANKED_NONE || (*by_lot && (l->place[i] > l->place[*choice]) == last))
			*choice = (int)i;
	}
	return 0;
}

/* ---- instant runoff ---- */

/* Each round walks the rankings in their order (which memory serves best)
 * from where each was: a ranking's highest continuing choice only moves on. */
static int runoff(struct lazylot *l, uint64_t *counts)
{
	struct ranked_result *out = l->out;
	size_t n = l->n, r, i;
	uint8_t *at = NULL; /* per ranking: where its highest continuing choice is (it only moves on) */
	uint64_t in = n == 64 ? UINT64_MAX : bit(n) - 1;
	int rc = -2;

	if (l->nprofile > 0 && !(at = calloc(l->nprofile, sizeof(*at))))
		goto out;
	for (;;) {
		struct ranked_round *round = &out->round[out->nrounds++];
		uint64_t *count = counts + (out->nrounds - 1) * n, fewest = UINT64_MAX, most = 0, tied = 0;
		int top = RANKED_NONE;

		round->count = count;
		round->in = in;
		round->eliminated = RANKED_NONE;
		for (r = 0; r < l->nprofile; r++) {
			const struct ranked_ranking *g = &l->profile[r];

			while (at[r] < g->len && !(in & bit(g->order[at[r]])))
				at[r]++;
			if (at[r] < g->len)
				count[g->order[at[r]]] += g->count;
			else
				round->exhausted += g->count;
		}
		round->continuing = out->voters - round->exhausted;
		if (round->continuing == 0)
			break; /* no ballot ranks a choice (only in the first round) */
		for (i = 0; i < n; i++) {
			if (!(in & bit(i)))
				continue;
			if (count[i] > most) {
				most = count[i];
				top = (int)i;
			}
			if (count[i] < fewest) {
				fewest = count[i];
				tied = 0;
			}
			if (count[i] == fewest)
				tied |= bit(i);
		}
		if (most > round->continuing - most) {
			out->irv_winner = top;
			out->irv_why = RANKED_MAJORITY;
			break;
		}
		if ((rc = pick(l, tied, true, &round->eliminated, &round->by_lot)) != 0)
			goto out;
		in &= ~bit((size_t)round->eliminated);
		if ((in & (in - 1)) == 0) {
			for (i = 0; !(in & bit(i)); i++)
				;
			out->irv_winner = (int)i;
			out->irv_why = RANKED_LAST_LEFT;
			break;
		}
	}
	rc = 0;
out:
	free(at);
	return rc;
}

/* ---- Schulze ---- */

static void pairwise(const struct ranked_ranking *profile, size_t nprofile, size_t n, uint64_t *d)
{
	size_t r, a, b, u;

	for (r = 0; r < nprofile; r++) {
		const struct ranked_ranking *g = &profile[r];
		uint8_t unranked[RANKED_CHOICES_MAX];
		uint64_t named = 0;
		size_t nun = 0;

		if (g->count == 0)
			continue;
		for (a = 0; a < g->len; a++)
			named |= bit(g->order[a]);
		for (u = 0; u < n; u++)
			if (!(named & bit(u)))
				unranked[nun++] = (uint8_t)u;
		for (a = 0; a < g->len; a++) {
			uint64_t *row = d + g->order[a] * n;

			for (b = a + 1; b < g->len; b++)
				row[g->order[b]] += g->count;
			for (u = 0; u < nun; u++)
				row[unranked[u]] += g->count;
		}
	}
}

static void strongest_paths(size_t n, const uint64_t *d, uint64_t *p)
{
	size_t i, j, k;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			p[i * n + j] = i != j && d[i * n + j] > d[j * n + i] ? d[i * n + j] : 0;
	for (k = 0; k < n; k++)
		for (i = 0; i < n; i++) {
			if (i == k)
				continue;
			for (j = 0; j < n; j++) {
				uint64_t via = p[i * n + k] < p[k * n + j] ? p[i * n + k] : p[k * n + j];

				if (j != i && j != k && via > p[i * n + j])
					p[i * n + j] = via;
			}
		}
}

static int schulze(struct lazylot *l)
{
	struct ranked_result *out = l->out;
	size_t n = l->n, i, j, place;
	uint64_t left = n == 64 ? UINT64_MAX : bit(n) - 1;
	int rc;

	pairwise(l->profile, l->nprofile, n, out->d);
	strongest_paths(n, out->d, out->p);
	for (place = 0; place < n; place++) {
		uint64_t unbeaten = 0;
		int c;

		for (i = 0; i < n; i++) {
			bool beaten = false;

			if (!(left & bit(i)))
				continue;
			for (j = 0; j < n && !beaten; j++)
				beaten = (left & bit(j)) && out->p[j * n + i] > out->p[i * n + j];
			if (!beaten)
				unbeaten |= bit(i);
		}
		/* the relation is transitive (Schulze 2011, 4.1): someone is unbeaten */
		if ((rc = pick(l, unbeaten, false, &c, &out->by_lot[place])) != 0)
			return rc;
		out->ranking[place] = (uint8_t)c;
		left &= ~bit((size_t)c);
	}
	for (i = 0; i < n && out->condorcet == RANKED_NONE; i++) {
		for (j = 0; j < n; j++)
			if (j != i && out->d[i * n + j] <= out->d[j * n + i])
				break;
		if (j == n)
			out->condorcet = (int)i;
	}
	return 0;
}

int ranked_count(size_t n, const struct ranked_ranking *profile, size_t nprofile, struct ranked_result *out)
{
	struct lazylot l = { .n = n, .profile = profile, .nprofile = nprofile, .out = out };
	uint64_t *counts = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->irv_winner = RANKED_NONE;
	out->condorcet = RANKED_NONE;
	if ((rc = check(n, profile, nprofile, &out->voters)) != 0)
		goto out;
	rc = -2;
	out->n = n;
	/* every round but the last eliminates one choice, and one is left at most */
	out->round = calloc(n - 1, sizeof(*out->round));
	counts = calloc((n - 1) * n, sizeof(*counts));
	out->d = calloc(n * n, sizeof(*out->d));
	out->p = calloc(n * n, sizeof(*out->p));
	out->ranking = calloc(n, sizeof(*out->ranking));
	out->by_lot = calloc(n, sizeof(*out->by_lot));
	if (!out->round || !counts || !out->d || !out->p || !out->ranking || !out->by_lot)
		goto out;
	out->counts = counts;
	counts = NULL;
	if ((rc = runoff(&l, out->counts)) != 0 || (rc = schulze(&l)) != 0)
		goto out;
out:
	free(counts);
	if (rc != 0)
		ranked_result_free(out);
	return rc;
}

void ranked_result_free(struct ranked_result *r)
{
	if (r) {
		free(r->round);
		free(r->counts);
		free(r->d);
		free(r->p);
		free(r->ranking);
		free(r->by_lot);
		memset(r, 0, sizeof(*r));
		r->irv_winner = RANKED_NONE;
		r->condorcet = RANKED_NONE;
	}
}
