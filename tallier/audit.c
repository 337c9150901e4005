/* audit.c -- tallier --export and --recount: the stored ballots, read without a broker */
#include "audit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "log.h"
#include "reload.h"
#include "result.h"
#include "store.h"
#include "tally.h"

/* Characters that make a spreadsheet read a cell as a formula when they
 * begin it (OWASP, "CSV Injection"); a single quote is added in front of
 * such a field, and of one that begins with a single quote already. */
#define CSV_FORMULA_START "=+-@\t\r\n'"

/* csv_field: writes s as one CSV field. RFC 4180: quoted when it holds a
 * comma, a quote, a line break or a space at either end; quotes doubled.
 * Against formula injection, as OWASP recommends: a field that begins with
 * one of CSV_FORMULA_START is written with a single quote in front, and
 * quoted ("=1+1" becomes "'=1+1"). Since a field that begins with a single
 * quote gets one more as well, a reader recovers every value by dropping
 * the first character of each field that begins with a single quote. */
static void csv_field(FILE *out, const char *s)
{
	size_t n = strlen(s);
	bool formula = n && strchr(CSV_FORMULA_START, s[0]);

	if (!formula && !strpbrk(s, ",\"\r\n") && !(n && (s[0] == ' ' || s[n - 1] == ' '))) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	if (formula)
		fputc('\'', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

struct exporter {
	bool json;
	long n;
};

static int export_one(void *ctx, const struct ballot *b, int64_t at_ms)
{
	struct exporter *x = ctx;
	char err[128], *json, key[ANSWER_KEY_MAX];

	(void)at_ms;
	if (x->json) {
		json = ballot_to_json(b, NULL, err, sizeof(err));
		if (!json)
			return -1;
		printf("%s\n  %s", x->n ? "," : "", json);
		free(json);
	} else {
		csv_field(stdout, b->voter);
		fputc(',', stdout);
		/* the answer: a choice as always; the others' key (answer.h): the
		 * picks one per line (a quoted field), a scale's value */
		csv_field(stdout, answer_key(b, key));
		printf(",%s,", b->has_id ? b->id : "");
		if (b->has_ts)
			printf("%lld", (long long)b->ts);
		fputc('\n', stdout);
	}
	x->n++;
	return 0;
}

int audit_export(const struct tallier_opts *o)
{
	struct exporter x = { o->json, 0 };
	struct store *s;
	char err[512];
	int rc = 1;

	s = store_open(o->db, STORE_READER, STORE_SYNC_NORMAL, err, sizeof(err));
	if (!s) {
		log_line("%s", err);
		return 1;
	}
	if (o->json)
		fputs("[", stdout);
	else
		puts("voter,choice,id,ts");
	if (store_each_ballot(s, o->export_poll, export_one, &x, err, sizeof(err)) != 0) {
		log_line("%s", err);
		goto out;
	}
	if (o->json)
		puts(x.n ? "\n]" : "]");
	if (x.n == 0)
		log_line("no ballots for poll '%s' in %s", o->export_poll, o->db);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	store_close(s);
	return rc;
}

/* The recount compares, poll by poll, what SQL counts in the ballot rows
 * with what the tally (built from the same rows, as at start-up) holds. */
struct recount {
	const struct tally *t;
	const struct polls *polls;      /* the definitions: each poll's kind */
	char poll[TOPIC_POLL_MAX + 1];
	uint64_t sql_total;
	bool mismatch, any_mismatch;
	char why[256];
};

static void finish_poll(struct recount *r)
{
	struct result_view view = { NULL, false, polls_get(r->polls, r->poll) };
	struct result_value value;
	char err[128], *json = NULL;
	long i;

	if (!r->poll[0])
		return;
	i = tally_poll_find(r->t, r->poll);
	if (i >= 0 && !r->mismatch && tally_poll_total(r->t, (size_t)i) != r->sql_total) {
		r->mismatch = true;
		snprintf(r->why, sizeof(r->why), "total: %llu stored ballots, the tally counts %llu",
			 (unsigned long long)r->sql_total, (unsigned long long)tally_poll_total(r->t, (size_t)i));
	}
	if (i < 0 || r->mismatch) {
		printf("%s MISMATCH %s\n", r->poll, i < 0 ? "the tally has no such poll" : r->why);
		r->any_mismatch = true;
	} else {
		if (result_value_of(r->t, (size_t)i, &view, &value, err, sizeof(err)) == 0) {
			json = result_json(&value, err, sizeof(err));
			result_value_free(&value);
		}
		printf("%s OK %s\n", r->poll, json ? json : err);
		free(json);
	}
	r->poll[0] = '\0';
}

static int recount_one(void *ctx, const char *poll, const char *choice, uint64_t votes)
{
	struct recount *r = ctx;
	long i;
	uint64_t got;

	if (strcmp(poll, r->poll) != 0) {
		finish_poll(r);
		snprintf(r->poll, sizeof(r->poll), "%s", poll);
		r->sql_total = 0;
		r->mismatch = false;
	}
	i = tally_poll_find(r->t, poll);
	if (i < 0 || r->mismatch)
		return 0;
	if (!choice) {
		got = tally_poll_rejected(r->t, (size_t)i);
		if (got != votes) {
			r->mismatch = true;
			snprintf(r->why, sizeof(r->why), "rejected: stored %llu, the tally %llu",
				 (unsigned long long)votes, (unsigned long long)got);
		}
		return 0;
	}
	r->sql_total += votes;
	got = tally_poll_choice(r->t, (size_t)i, choice);
	if (got != votes) {
		r->mismatch = true;
		snprintf(r->why, sizeof(r->why), "choice '%s': %llu stored ballots, the tally counts %llu", choice,
			 (unsigned long long)votes, (unsigned long long)got);
	}
	return 0;
}

int audit_recount(const struct tallier_opts *o)
{
	struct tally_config cfg = { (const char *const *)o->choices, o->nchoices, o->revote };
	struct polls *polls = polls_new();
	struct check_rules rules = { (const char *const *)o->choices, o->nchoices, 0, NULL, polls, false, NULL };
	struct recount r = { 0 };
	struct store *s = NULL;
	struct tally *t = NULL;
	char err[512];
	long n, skipped;
	int rc = 1;

	if (!polls) {
		log_line("out of memory");
		goto out;
	}
	s = store_open(o->db, STORE_READER, STORE_SYNC_NORMAL, err, sizeof(err));
	if (!s || !(t = tally_new(&cfg, err, sizeof(err)))) {
		log_line("%s", err);
		goto out;
	}
	n = reload_tally(s, t, &rules, polls, &skipped, err, sizeof(err));
	if (n < 0) {
		log_line("%s", err);
		goto out;
	}
	r.t = t;
	r.polls = polls;
	if (store_each_count(s, recount_one, &r, err, sizeof(err)) != 0) {
		log_line("%s", err);
		goto out;
	}
	finish_poll(&r);
	log_line("recounted %ld stored ballots in %zu polls from %s: %s", n,
		tally_poll_count(t), o->db, r.any_mismatch ? "MISMATCH" : "all match");
	rc = r.any_mismatch ? 1 : 0;
out:
	tally_free(t);
	store_close(s);
	polls_free(polls);
	return rc;
}
