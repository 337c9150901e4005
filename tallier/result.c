/* result.c -- a poll's result: the value copied out of the tally, and its JSON published on vote/<poll>/result */
#include "result.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int result_value_of(const struct tally *t, size_t i, const struct result_view *view, struct result_value *out,
		    char *err, size_t errlen)
{
	const char *name = tally_poll_name(t, i);
	struct measure m = { 0, strlen(name) + 1 };
	struct fill f = { out, NULL };
	bool hide = view && view->hide_counts;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!hide)
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
	if (!hide)
		(void)tally_poll_each_choice(t, i, fill_choice, &f); /* nor fill_choice */
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

char *result_json(const struct result_value *r, char *err, size_t errlen)
{
	char updated[VTIME_ISO_LEN];
	cJSON *root = cJSON_CreateObject(), *counts;
	char *json = NULL;
	size_t k;

	if (!root || !cJSON_AddStringToObject(root, "poll", r->poll))
		goto out;
	if (!r->hide_counts) {
		counts = cJSON_AddObjectToObject(root, "counts");
		if (!counts)
			goto out;
		for (k = 0; k < r->ncounts; k++)
			if (!cJSON_AddNumberToObject(counts, r->counts[k].choice, (double)r->counts[k].votes))
				goto out;
	}
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
