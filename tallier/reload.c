/* reload.c -- a tally rebuilt from the store, as the tallier does at start: for the core and for --recount */
#include "reload.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

/* What reloading found. */
struct reload {
	struct tally *t;
	const struct check_rules *rules;
	struct polls *polls;
	long n, skipped;
	char poll[TOPIC_POLL_MAX + 1];  /* the poll whose ballots come now (they come poll by poll) */
	int64_t latest_ms;              /* the latest at_ms of its ballots counted so far */
	char *err;
	size_t errlen;
};

/* flush_latest: poll r->poll's last update is at least its ballots' latest. */
static int flush_latest(struct reload *r)
{
	if (!r->poll[0])
		return 0;
	return tally_restore_updated(r->t, r->poll, r->latest_ms, r->err, r->errlen);
}

static int reload_ballot(void *ctx, const struct ballot *b, int64_t at_ms)
{
	struct reload *r = ctx;
	struct tally_outcome outcome;
	char reason[160];

	r->n++;
	if (check_ballot(r->rules, b, CHECK_RELOAD, reason, sizeof(reason)) != 0) {
		r->skipped++;
		return 0;
	}
	if (strcmp(b->poll, r->poll) != 0) {
		if (flush_latest(r) != 0)
			return -1;
		snprintf(r->poll, sizeof(r->poll), "%s", b->poll);
		r->latest_ms = 0;
	}
	if (at_ms > r->latest_ms)
		r->latest_ms = at_ms;
	return tally_apply(r->t, b, 0, &outcome, r->err, r->errlen);
}

static int reload_poll(void *ctx, const char *poll, uint64_t rejected, int64_t updated_ms)
{
	struct reload *r = ctx;

	return tally_restore_poll(r->t, poll, rejected, updated_ms, r->err, r->errlen);
}

static int reload_def(void *ctx, const struct polldef *stored)
{
	struct reload *r = ctx;
	struct polldef fixed = *stored, *put;
	const struct polldef *d = &fixed;
	char why[512];

	/* a time no poll can have (stored by an older version, or by hand)
	 * is said and brought into range: the poll is kept, and its
	 * information can be written */
	if (polldef_clamp_times(&fixed, why, sizeof(why)) != 0)
		log_line("poll %s in the store: %s", fixed.poll, why);
	put = polls_put(r->polls, d);
	if (!put) {
		snprintf(r->err, r->errlen, "out of memory");
		return -1;
	}
	/* a poll that counts only signed ballots never counts others: no roll,
	 * no start */
	if (polls_load_roll(r->polls, put, why, sizeof(why)) != 0) {
		snprintf(r->err, r->errlen, "cannot read the roll of poll %s: %s", d->poll, why);
		return -1;
	}
	return polls_define(r->t, d, d->opens_ms, r->err, r->errlen);
}

long reload_tally(struct store *s, struct tally *t, const struct check_rules *rules, struct polls *polls,
		  long *skipped, char *err, size_t errlen)
{
	struct reload r = { .t = t, .rules = rules, .polls = polls, .err = err, .errlen = errlen };

	if ((polls && store_each_def(s, reload_def, &r, err, errlen) != 0) ||
	    store_each_ballot(s, NULL, reload_ballot, &r, err, errlen) != 0 || flush_latest(&r) != 0 ||
	    store_each_poll(s, reload_poll, &r, err, errlen) != 0)
		return -1;
	*skipped = r.skipped;
	return r.n;
}
