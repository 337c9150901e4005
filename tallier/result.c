/* result.c -- a poll's result: the value copied out of the tally, and its JSON published on vote/<poll>/result */
#include "result.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ranked.h"
#include "scale.h"
#include "vtime.h"

/* What the choices of a result take: how many, and their names' bytes. */
struct measure {
	size_t n, bytes;
};

static int measure_choice(void *ctx, const char *choice, uint64_t votes)
{
	struct measure *m = ctx;

	(void)votes;
	m->n++;
	m->bytes += strlen(choice) + 1;
	return 0;
}

/* Where the next choice goes. */
struct fill {
	struct result_value *r;
	char *at;                   /* in r->text */
};

static int fill_choice(void *ctx, const char *choice, uint64_t votes)
{
	struct fill *f = ctx;
	size_t len = strlen(choice) + 1;

	memcpy(f->at, choice, len);
	f->r->counts[f->r->ncounts++] = (struct result_count){ f->at, votes };
	f->at += len;
	return 0;
}

/* What the answers of a multiple or scale poll add up to. */
struct kind_sum {
	const struct polldef *d;
	uint64_t count[POLLDEF_CHOICES_MAX > SCALE_VALUES_MAX ? POLLDEF_CHOICES_MAX : SCALE_VALUES_MAX];
};

/* sum_answer: adds the voters of one answer (its key, answer.h) to the
 * choices it picks or the value it gives. */
static int sum_answer(void *ctx, const char *key, uint64_t voters)
{
	struct kind_sum *k = ctx;
	const struct polldef *d = k->d;
	const char *nl;
	size_t len, c;
	long long v;

	if (d->kind == POLLDEF_SCALE) {
		v = strtoll(key, NULL, 10);
		if (v >= d->low && v <= d->high)
			k->count[v - d->low] += voters;
		return 0;
	}
	for (; *key; key = nl ? nl + 1 : "") {
		nl = strchr(key, '\n');
		len = nl ? (size_t)(nl - key) : strlen(key);
		for (c = 0; c < d->nchoices; c++)
			if (strlen(d->choices[c]) == len && memcmp(d->choices[c], key, len) == 0)
				k->count[c] += voters;
	}
	return 0;
}

/* The distinct rankings of a ranked poll, as ranked_count takes them. */
struct profile {
	const struct polldef *d;
	struct ranked_ranking *ranking;
	uint8_t (*order)[POLLDEF_CHOICES_MAX];
	size_t n, cap;
};

/* add_ranking: one distinct ranking (its key, answer.h: the names in
 * order, one per line) and its voters, its names as the poll's choice
 * numbers (a name the poll has not: left out). Counts only when
 * p->ranking is NULL. */
static int add_ranking(void *ctx, const char *key, uint64_t voters)
{
	struct profile *p = ctx;
	struct ranked_ranking *r;
	const char *nl;
	size_t len, c;

	if (!p->ranking) {
		p->cap++;
		return 0;
	}
	if (p->n == p->cap)
		return 0;
	r = &p->ranking[p->n];
	r->order = p->order[p->n];
	r->len = 0;
	r->count = voters;
	for (; *key; key = nl ? nl + 1 : "") {
		nl = strchr(key, '\n');
		len = nl ? (size_t)(nl - key) : strlen(key);
		for (c = 0; c < p->d->nchoices && r->len < POLLDEF_CHOICES_MAX; c++)
			if (strlen(p->d->choices[c]) == len && memcmp(p->d->choices[c], key, len) == 0)
				p->order[p->n][r->len++] = (uint8_t)c;
	}
	p->n++;
	return 0;
}

/* ranked_value: the runoff and Schulze result of ranked poll i of t (d's)
 * into out->ranked. Returns 0, or -1 with err set. */
static int ranked_value(const struct tally *t, size_t i, const struct polldef *d, struct result_value *out,
			char *err, size_t errlen)
{
	struct profile p = { .d = d };
	int rc = -1, counted;

	(void)tally_poll_each_answer(t, i, add_ranking, &p); /* how many: add_ranking never stops it */
	p.ranking = calloc(p.cap ? p.cap : 1, sizeof(*p.ranking));
	p.order = calloc(p.cap ? p.cap : 1, sizeof(*p.order));
	out->ranked = calloc(1, sizeof(*out->ranked));
	if (!p.ranking || !p.order || !out->ranked)
		goto oom;
	(void)tally_poll_each_answer(t, i, add_ranking, &p);
	counted = ranked_count(d->nchoices, p.ranking, p.n, out->ranked);
	if (counted == -2)
		goto oom;
	if (counted != 0) {
		snprintf(err, errlen, "cannot count the rankings of poll %s", d->poll);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory counting the rankings");
out:
	free(p.ranking);
	free(p.order);
	return rc;
}

/* kind_value: the counts of poll i of t, of d's kind (multiple or scale),
 * into out (its poll, text and the rest of it set by the caller): the
 * counts and, for a scale, its statistics. Returns 0, or -1 with err set. */
static int kind_value(const struct tally *t, size_t i, const struct polldef *d, struct result_value *out,
		      char *err, size_t errlen)
{
	struct kind_sum sum = { .d = d };
	struct scale_stats st;
	size_t n = d->kind == POLLDEF_SCALE ? (size_t)(d->high - d->low + 1) : d->nchoices, k, used, len;
	char *grown;

	if (d->kind == POLLDEF_RANKED) {
		if (ranked_value(t, i, d, out, err, errlen) != 0)
			return -1;
		for (k = 0; k < n; k++) /* "counts": the first preferences, round 1's */
			sum.count[k] = out->ranked->round[0].count[k];
	} else {
		(void)tally_poll_each_answer(t, i, sum_answer, &sum); /* sum_answer never stops it */
	}
	used = strlen(out->text) + 1;
	grown = realloc(out->text, used + n * (BALLOT_TEXT_MAX + 1));
	out->counts = n ? calloc(n, sizeof(*out->counts)) : NULL;
	if (grown)
		out->text = grown;
	if (!grown || (n && !out->counts)) {
		snprintf(err, errlen, "out of memory copying the result");
		return -1;
	}
	out->poll = out->text;
	for (k = 0; k < n; k++) {
		if (d->kind == POLLDEF_SCALE)
			len = (size_t)snprintf(out->text + used, BALLOT_TEXT_MAX + 1, "%lld", (long long)(d->low + (int64_t)k));
		else
			len = (size_t)snprintf(out->text + used, BALLOT_TEXT_MAX + 1, "%s", d->choices[k]);
		out->counts[k] = (struct result_count){ out->text + used, sum.count[k] };
		used += len + 1;
	}
	out->ncounts = n;
	if (d->kind == POLLDEF_SCALE && scale_stats((int)d->low, (int)d->high, sum.count, &st) == 0 && st.any) {
		out->has_stats = true;
		out->mean_milli = st.mean_milli;
		out->median_halves = st.median_halves;
		out->grade = st.grade;
	}
	return 0;
}

int result_value_of(const struct tally *t, size_t i, const struct result_view *view, struct result_value *out,
		    char *err, size_t errlen)
{
	const struct polldef *d = view ? view->def : NULL;
	enum polldef_kind kind = d ? d->kind : POLLDEF_SINGLE;
	const char *name = tally_poll_name(t, i);
	struct measure m = { 0, strlen(name) + 1 };
	struct fill f = { out, NULL };
	bool hide = view && view->hide_counts;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!hide && kind == POLLDEF_SINGLE)
		(void)tally_poll_each_choice(t, i, measure_choice, &m); /* measure_choice never stops it */
	out->text = malloc(m.bytes);
	out->counts = m.n ? calloc(m.n, sizeof(*out->counts)) : NULL;
	if (!out->text || (m.n && !out->counts)) {
		snprintf(err, errlen, "out of memory copying the result");
		goto out;
	}
	memcpy(out->text, name, strlen(name) + 1);
	out->poll = out->text;
	f.at = out->text + strlen(name) + 1;
	if (!hide && kind == POLLDEF_SINGLE)
		(void)tally_poll_each_choice(t, i, fill_choice, &f); /* nor fill_choice */
	out->kind = kind;
	if (!hide && kind != POLLDEF_SINGLE && kind_value(t, i, d, out, err, errlen) != 0)
		goto out;
	out->status = view ? view->status : NULL;
	out->hide_counts = hide;
	out->total = tally_poll_total(t, i);
	out->rejected = tally_poll_rejected(t, i);
	out->updated_ms = tally_poll_updated(t, i);
	out->version = tally_poll_version(t, i);
	rc = 0;
out:
	if (rc != 0)
		result_value_free(out);
	return rc;
}

void result_value_free(struct result_value *r)
{
	ranked_result_free(r->ranked);
	free(r->ranked);
	free(r->counts);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

/* add_stats: a scale's "mean" (a string, from thousandths: "3.250",
 * "-0.063"), "median" (a number: 3.5) and "grade", or null each when it
 * has no voter. Returns 0, or -1 when memory runs out. */
static int add_stats(cJSON *root, const struct result_value *r)
{
	char mean[32];
	uint64_t a;

	if (!r->has_stats)
		return cJSON_AddNullToObject(root, "mean") && cJSON_AddNullToObject(root, "median") &&
			       cJSON_AddNullToObject(root, "grade")
		       ? 0
		       : -1;
	a = r->mean_milli < 0 ? (uint64_t)0 - (uint64_t)r->mean_milli : (uint64_t)r->mean_milli;
	snprintf(mean, sizeof(mean), "%s%llu.%03llu", r->mean_milli < 0 ? "-" : "", (unsigned long long)(a / 1000),
		 (unsigned long long)(a % 1000));
	return cJSON_AddStringToObject(root, "mean", mean) &&
		       cJSON_AddNumberToObject(root, "median", (double)r->median_halves / 2) &&
		       cJSON_AddNumberToObject(root, "grade", r->grade)
	       ? 0
	       : -1;
}

/* choice_or_null: the name of choice k of r (a ranked result's), or null
 * for RANKED_NONE. */
static cJSON *choice_or_null(const struct result_value *r, int k)
{
	return k == RANKED_NONE ? cJSON_CreateNull() : cJSON_CreateString(r->counts[k].choice);
}

/* add_matrix: m (n x n) as an object of objects, {"a":{"b":3,...},...},
 * the diagonal left out. Returns 0, or -1 when memory runs out. */
static int add_matrix(cJSON *o, const char *name, const struct result_value *r, const uint64_t *m)
{
	size_t n = r->ranked->n, a, b;
	cJSON *all = cJSON_AddObjectToObject(o, name), *row;

	for (a = 0; all && a < n; a++) {
		if (!(row = cJSON_AddObjectToObject(all, r->counts[a].choice)))
			return -1;
		for (b = 0; b < n; b++)
			if (a != b && !cJSON_AddNumberToObject(row, r->counts[b].choice, (double)m[a * n + b]))
				return -1;
	}
	return all ? 0 : -1;
}

/* add_ranked: a ranked result's "irv" (its rounds: each continuing
 * choice's ballots, the continuing and exhausted ballots, the choice
 * eliminated and whether by lot; the winner), "schulze" (pairwise and
 * strongest paths, the ranking, the Condorcet winner) and "lot" (null
 * when no tie drew it). Returns 0, or -1 when memory runs out. */
static int add_ranked(cJSON *root, const struct result_value *r)
{
	const struct ranked_result *rr = r->ranked;
	cJSON *irv = cJSON_AddObjectToObject(root, "irv"), *rounds, *round, *counts, *schulze, *list;
	size_t k, c;

	if (!irv || !(rounds = cJSON_AddArrayToObject(irv, "rounds")))
		return -1;
	for (k = 0; k < rr->nrounds; k++) {
		if (!(round = cJSON_CreateObject()) || !cJSON_AddItemToArray(rounds, round) ||
		    !(counts = cJSON_AddObjectToObject(round, "counts")))
			return -1;
		for (c = 0; c < rr->n; c++)
			if ((rr->round[k].in >> c & 1) &&
			    !cJSON_AddNumberToObject(counts, r->counts[c].choice, (double)rr->round[k].count[c]))
				return -1;
		if (!cJSON_AddNumberToObject(round, "continuing", (double)rr->round[k].continuing) ||
		    !cJSON_AddNumberToObject(round, "exhausted", (double)rr->round[k].exhausted) ||
		    !cJSON_AddItemToObject(round, "eliminated", choice_or_null(r, rr->round[k].eliminated)) ||
		    !cJSON_AddBoolToObject(round, "by_lot", rr->round[k].by_lot))
			return -1;
	}
	if (!cJSON_AddItemToObject(irv, "winner", choice_or_null(r, rr->irv_winner)) ||
	    !(schulze = cJSON_AddObjectToObject(root, "schulze")) || add_matrix(schulze, "pairwise", r, rr->d) != 0 ||
	    add_matrix(schulze, "strongest", r, rr->p) != 0 || !(list = cJSON_AddArrayToObject(schulze, "ranking")))
		return -1;
	for (k = 0; k < rr->n; k++)
		if (!cJSON_AddItemToArray(list, cJSON_CreateString(r->counts[rr->ranking[k]].choice)))
			return -1;
	if (!cJSON_AddItemToObject(schulze, "condorcet", choice_or_null(r, rr->condorcet)))
		return -1;
	if (!rr->lot_drawn)
		return cJSON_AddNullToObject(root, "lot") ? 0 : -1;
	if (!(list = cJSON_AddArrayToObject(root, "lot")))
		return -1;
	for (k = 0; k < rr->n; k++)
		if (!cJSON_AddItemToArray(list, cJSON_CreateString(r->counts[rr->lot[k]].choice)))
			return -1;
	return 0;
}

char *result_json(const struct result_value *r, char *err, size_t errlen)
{
	char updated[VTIME_ISO_LEN];
	cJSON *root = cJSON_CreateObject(), *counts;
	char *json = NULL;
	size_t k;

	if (!root || !cJSON_AddStringToObject(root, "poll", r->poll))
		goto out;
	if (r->kind != POLLDEF_SINGLE && !cJSON_AddStringToObject(root, "kind", polldef_kind_word(r->kind)))
		goto out;
	if (!r->hide_counts) {
		counts = cJSON_AddObjectToObject(root, "counts");
		if (!counts)
			goto out;
		for (k = 0; k < r->ncounts; k++)
			if (!cJSON_AddNumberToObject(counts, r->counts[k].choice, (double)r->counts[k].votes))
				goto out;
	}
	if (r->kind != POLLDEF_SINGLE && !cJSON_AddNumberToObject(root, "voters", (double)r->total))
		goto out;
	if (r->kind == POLLDEF_SCALE && !r->hide_counts && add_stats(root, r) != 0)
		goto out;
	if (r->kind == POLLDEF_RANKED && r->ranked && add_ranked(root, r) != 0)
		goto out;
	if (vtime_format_iso(r->updated_ms, updated, sizeof(updated)) != 0)
		snprintf(updated, sizeof(updated), "1970-01-01T00:00:00.000Z");
	if (!cJSON_AddNumberToObject(root, "total", (double)r->total) ||
	    !cJSON_AddNumberToObject(root, "rejected", (double)r->rejected) ||
	    !cJSON_AddStringToObject(root, "updated", updated))
		goto out;
	if (r->status && !cJSON_AddStringToObject(root, "status", r->status))
		goto out;
	if (r->hide_counts && !cJSON_AddStringToObject(root, "results", "after-close"))
		goto out;
	json = cJSON_PrintUnformatted(root);
out:
	if (!json)
		snprintf(err, errlen, "out of memory building the result JSON");
	cJSON_Delete(root);
	return json;
}
