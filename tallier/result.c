/* result.c -- a poll's result: the value copied out of the tally, and its JSON published on vote/<poll>/result */
#include "result.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

	(void)tally_poll_each_answer(t, i, sum_answer, &sum); /* sum_answer never stops it */
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
