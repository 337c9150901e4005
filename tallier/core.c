/* core.c -- the tallier's core: a ballot in, a verdict out; owns the tally, the store and the result schedule */
#include "core.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "log.h"
#include "pubsched.h"
#include "reload.h"
#include "result.h"
#include "store.h"
#include "tally.h"
#include "vtime.h"

/* Locks. lock guards tally, sched, armed_ms, committing and failed: it is
 * held for counting and for reading results, never across a disk write.
 * store_lock guards store: it is taken while lock is still held and kept
 * for the commit, so that commits happen in the order ballots were
 * counted (a later ballot of a voter is never overwritten on disk by an
 * earlier one committed late). Order: lock, then store_lock; never the
 * other way. A poll's result goes to the schedule only when no commit of
 * that poll is in progress (committing[i] == 0), and whoever renders a
 * result (publisher, query, receipt) first waits on settled for that
 * (one commit at most: the other thread's), so a result never shows a
 * ballot that is not on disk. */
struct core {
	pthread_mutex_t lock;
	struct tally *tally;
	struct pubsched *sched;
	int64_t armed_ms;          /* when the publisher will look again (monotonic), by its last call */
	unsigned *committing;      /* per poll: commits in progress */
	pthread_cond_t settled;    /* broadcast when a poll's committing falls to 0 */
	size_t ncommitting;
	bool failed;               /* a store failure or out of memory: nothing more is counted */

	pthread_mutex_t store_lock;
	struct store *store;

	/* set once by core_open, then read only */
	size_t max_polls, max_choices;
	char **choices;
	struct check_rules rules;
	bool quiet, verbose;
	void (*wake)(void *arg);
	void *wake_arg;
	bool locks;                /* the mutexes were initialised */
};

static void free_choices(struct core *c)
{
	size_t k;

	for (k = 0; k < c->rules.nchoices; k++)
		free(c->choices[k]);
	free(c->choices);
}

void core_free(struct core *c)
{
	if (!c)
		return;
	store_close(c->store);
	pubsched_free(c->sched);
	tally_free(c->tally);
	free(c->committing);
	free_choices(c);
	if (c->locks) {
		pthread_mutex_destroy(&c->lock);
		pthread_mutex_destroy(&c->store_lock);
		pthread_cond_destroy(&c->settled);
	}
	free(c);
}

/* track: makes room in committing for poll i. Returns 0, or -1. */
static int track(struct core *c, size_t i)
{
	size_t n;
	unsigned *grown;

	if (i < c->ncommitting)
		return 0;
	n = i + 1 > 2 * c->ncommitting ? i + 1 : 2 * c->ncommitting;
	grown = realloc(c->committing, n * sizeof(*grown));
	if (!grown)
		return -1;
	memset(grown + c->ncommitting, 0, (n - c->ncommitting) * sizeof(*grown));
	c->committing = grown;
	c->ncommitting = n;
	return 0;
}

/* load: counts what the store holds and schedules every poll's result. */
static int load(struct core *c, const char *db, char *err, size_t errlen)
{
	long n, skipped = 0;
	size_t i;

	n = reload_tally(c->store, c->tally, &c->rules, &skipped, err, errlen);
	if (n < 0)
		return -1;
	for (i = 0; i < tally_poll_count(c->tally); i++) {
		if (track(c, i) != 0 || pubsched_changed(c->sched, i, tally_poll_version(c->tally, i)) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (skipped)
		log_line("warning: %ld stored ballots have a choice that --choices does not allow: not counted",
			 skipped);
	if (!c->quiet)
		log_line("loaded %ld ballots in %zu polls from %s", n, tally_poll_count(c->tally), db);
	return 0;
}

struct core *core_open(const struct core_config *cfg, char *err, size_t errlen)
{
	struct tally_config tc = { cfg->choices, cfg->nchoices, cfg->revote };
	struct core *c = calloc(1, sizeof(*c));
	size_t k;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->quiet = cfg->quiet;
	c->max_polls = cfg->max_polls ? cfg->max_polls : SIZE_MAX;
	c->max_choices = cfg->max_choices ? cfg->max_choices : SIZE_MAX;
	c->rules.max_skew_ms = cfg->max_skew_ms > 0 ? cfg->max_skew_ms : INT64_MAX;
	c->verbose = cfg->verbose;
	c->wake = cfg->wake;
	c->wake_arg = cfg->wake_arg;
	c->armed_ms = INT64_MAX;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		snprintf(err, errlen, "cannot create a mutex");
		goto fail;
	}
	if (pthread_mutex_init(&c->store_lock, NULL) != 0) {
		pthread_mutex_destroy(&c->lock);
		snprintf(err, errlen, "cannot create a mutex");
		goto fail;
	}
	if (pthread_cond_init(&c->settled, NULL) != 0) {
		pthread_mutex_destroy(&c->lock);
		pthread_mutex_destroy(&c->store_lock);
		snprintf(err, errlen, "cannot create a condition variable");
		goto fail;
	}
	c->locks = true;
	c->tally = tally_new(&tc, err, errlen);
	if (!c->tally)
		goto fail;
	c->sched = pubsched_new(CORE_RESULT_INTERVAL_MS, CORE_RESULT_TIMEOUT_MS);
	c->choices = cfg->nchoices ? calloc(cfg->nchoices, sizeof(*c->choices)) : NULL;
	if (!c->sched || (cfg->nchoices && !c->choices)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (k = 0; k < cfg->nchoices; k++) {
		c->choices[k] = strdup(cfg->choices[k]);
		if (!c->choices[k]) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		c->rules.nchoices++;
	}
	c->rules.choices = (const char *const *)c->choices;
	c->store = store_open(cfg->db, STORE_WRITER, cfg->sync_full ? STORE_SYNC_FULL : STORE_SYNC_NORMAL, err,
			      errlen);
	if (!c->store || load(c, cfg->db, err, errlen) != 0)
		goto fail;
	return c;
fail:
	core_free(c);
	return NULL;
}

void verdict_free(struct verdict *v)
{
	free(v->result);
	v->result = NULL;
}

static const char *status_word(enum tally_status s)
{
	switch (s) {
	case TALLY_COUNTED:
		return "counted";
	case TALLY_REPLACED:
		return "replaced the earlier ballot";
	case TALLY_DUPLICATE:
		return "duplicate, ignored";
	case TALLY_STALE:
		return "older than the ballot held, ignored";
	case TALLY_REJECTED:
		return "rejected";
	}
	return "?";
}

/* receipt_of: what the voter is told of a counted outcome. A stale ballot
 * (older than the one held) is reported as a duplicate: it was received,
 * and the voter's later ballot is the one that counts. */
static enum receipt_status receipt_of(const struct tally_outcome *o, struct verdict *v)
{
	switch (o->status) {
	case TALLY_COUNTED:
	case TALLY_REPLACED:
		return RECEIPT_COUNTED;
	case TALLY_DUPLICATE:
		return RECEIPT_DUPLICATE;
	case TALLY_STALE:
		snprintf(v->reason, sizeof(v->reason), "a later ballot of this voter counts");
		return RECEIPT_DUPLICATE;
	case TALLY_REJECTED:
		snprintf(v->reason, sizeof(v->reason), "%s", o->reason);
		break;
	}
	return RECEIPT_REJECTED;
}

/* What one ballot must write to the store. */
struct commit {
	bool write;                /* anything to write at all */
	bool has_ballot;           /* b is the voter's ballot that now counts */
	uint64_t rejected;
	int64_t updated_ms;
};

/* limits: refuses a valid ballot that would grow the tally past its
 * limits: one more poll (found < 0), or one more choice on a poll. Returns
 * 0, or -1 with the reason. */
static int limits(struct core *c, const struct ballot *b, long found, char *reason, size_t size)
{
	if (found < 0 && tally_poll_count(c->tally) >= c->max_polls) {
		snprintf(reason, size, "too many polls: this tallier keeps at most %zu (--max-polls)", c->max_polls);
		return -1;
	}
	if (found >= 0 && !tally_poll_has_choice(c->tally, (size_t)found, b->choice) &&
	    tally_poll_nchoices(c->tally, (size_t)found) >= c->max_choices) {
		snprintf(reason, size, "too many choices on this poll: at most %zu (--max-choices)", c->max_choices);
		return -1;
	}
	return 0;
}

/* count: parses, checks and counts the ballot into the tally, under
 * c->lock. Fills *v (status and reason), *b, *cm and *i (the poll's
 * number, or -1 when there is no such poll: a refusal that created none).
 * Returns 0, or -1 with err set when memory runs out. */
static int count(struct core *c, const struct core_input *in, struct ballot *b, struct verdict *v,
		 struct commit *cm, long *i, char *err, size_t errlen)
{
	struct tally_outcome o = { TALLY_COUNTED, "" };
	struct ballot_reply reply;
	int64_t now = vtime_now_ms();
	bool refused;
	long found = tally_poll_find(c->tally, in->poll);

	refused = ballot_parse(in->poll, in->payload, in->len, b, &reply, v->reason, sizeof(v->reason)) != 0;
	if (!refused) {
		if (in->account)
			snprintf(b->account, sizeof(b->account), "%s", in->account);
		snprintf(v->id, sizeof(v->id), "%s", b->id);
		snprintf(v->reply, sizeof(v->reply), "%s", reply.topic);
		if (reply.problem[0] && !c->quiet) /* it costs no vote */
			log_line("no receipt for a ballot on vote/%s%s: its %s", in->poll, in->from, reply.problem);
		refused = check_ballot(&c->rules, b, now, v->reason, sizeof(v->reason)) != 0 ||
			  limits(c, b, found, v->reason, sizeof(v->reason)) != 0;
	}
	v->answer = in->want_result || v->reply[0];
	if (refused) {
		v->status = RECEIPT_REJECTED;
		if (found >= 0 && tally_reject(c->tally, in->poll, now, err, errlen) != 0)
			return -1;
	} else {
		if (tally_apply(c->tally, b, now, &o, err, errlen) != 0)
			return -1;
		v->status = receipt_of(&o, v);
		found = tally_poll_find(c->tally, in->poll);
	}
	*i = found;
	if (v->status == RECEIPT_REJECTED) {
		if (!c->quiet)
			log_line("rejected ballot on vote/%s%s: %s", in->poll, in->from, v->reason);
	} else if (c->verbose) {
		log_line("vote/%s%s: %s -> %s: %s", in->poll, in->from, b->voter, b->choice, status_word(o.status));
	}
	if (found < 0)
		return 0; /* refused, and no poll to record it in */
	if (track(c, (size_t)found) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cm->write = refused || o.status == TALLY_REJECTED || o.status == TALLY_COUNTED ||
		    o.status == TALLY_REPLACED;
	cm->has_ballot = !refused && (o.status == TALLY_COUNTED || o.status == TALLY_REPLACED);
	cm->rejected = tally_poll_rejected(c->tally, (size_t)found);
	cm->updated_ms = tally_poll_updated(c->tally, (size_t)found);
	return 0;
}

/* settle: waits, under c->lock, until no commit of poll i is in
 * progress (at most the other thread's one). Returns false when the core
 * has failed: its tally may then hold a ballot that is not stored, and no
 * result may be shown. */
static bool settle(struct core *c, size_t i)
{
	while (c->committing[i] > 0 && !c->failed)
		pthread_cond_wait(&c->settled, &c->lock);
	return !c->failed;
}

/* scheduled: poll i's result may go out (no commit of it in progress).
 * Under c->lock. Returns whether the publisher must be woken, or -1 when
 * memory runs out. */
static int scheduled(struct core *c, size_t i)
{
	int64_t due;

	if (c->committing[i] > 0)
		return 0;
	if (pubsched_changed(c->sched, i, tally_poll_version(c->tally, i)) != 0)
		return -1;
	due = pubsched_due(c->sched, i, vtime_mono_ms());
	if (due >= c->armed_ms)
		return 0;
	c->armed_ms = due;
	return 1;
}

enum core_rc core_ballot(struct core *c, const struct core_input *in, struct verdict *v)
{
	struct ballot b;
	struct commit cm = { 0 };
	char err[512] = "";
	long i = -1;
	int saved = 0, wake = 0;

	memset(v, 0, sizeof(*v));
	pthread_mutex_lock(&c->lock);
	if (c->failed) {
		pthread_mutex_unlock(&c->lock);
		return CORE_FAILED;
	}
	if (count(c, in, &b, v, &cm, &i, err, sizeof(err)) != 0) {
		c->failed = true;
		pthread_cond_broadcast(&c->settled);
		pthread_mutex_unlock(&c->lock);
		log_line("cannot count a ballot on vote/%s: %s", in->poll, err);
		return CORE_FAILED;
	}
	if (cm.write) {
		c->committing[i]++;
		pthread_mutex_lock(&c->store_lock); /* before unlocking: commits in counting order */
		pthread_mutex_unlock(&c->lock);
		saved = store_save(c->store, cm.has_ballot ? &b : NULL, in->poll, cm.rejected, cm.updated_ms, err,
				   sizeof(err));
		pthread_mutex_unlock(&c->store_lock);
		pthread_mutex_lock(&c->lock);
		if (--c->committing[i] == 0)
			pthread_cond_broadcast(&c->settled);
	}
	if (saved != 0) {
		c->failed = true;
		pthread_cond_broadcast(&c->settled);
		pthread_mutex_unlock(&c->lock);
		log_line("cannot store a ballot: %s; stopping without acknowledging it, so that the broker "
			 "delivers it again", err);
		return CORE_FAILED;
	}
	if (i < 0) { /* no poll: nothing stored, nothing to publish, a receipt without counts */
		pthread_mutex_unlock(&c->lock);
		return CORE_OK;
	}
	wake = scheduled(c, (size_t)i);
	if (wake >= 0 && v->answer && !settle(c, (size_t)i)) {
		pthread_mutex_unlock(&c->lock); /* another thread's commit failed: it said so */
		return CORE_FAILED;
	}
	if (wake >= 0 && v->answer)
		v->result = result_json(c->tally, (size_t)i, err, sizeof(err));
	if (wake < 0 || (v->answer && !v->result)) {
		c->failed = true;
		pthread_cond_broadcast(&c->settled);
		pthread_mutex_unlock(&c->lock);
		log_line("cannot count a ballot on vote/%s: %s", in->poll, wake < 0 ? "out of memory" : err);
		return CORE_FAILED;
	}
	pthread_mutex_unlock(&c->lock);
	if (wake > 0 && c->wake)
		c->wake(c->wake_arg);
	return CORE_OK;
}

char *core_result_json(struct core *c, const char *poll, char *err, size_t errlen)
{
	char *json = NULL;
	long i;

	pthread_mutex_lock(&c->lock);
	i = tally_poll_find(c->tally, poll);
	if (i >= 0 && !settle(c, (size_t)i))
		snprintf(err, errlen, "the tallier is stopping");
	else if (i >= 0)
		json = result_json(c->tally, (size_t)i, err, errlen);
	else
		snprintf(err, errlen, "no poll '%s'", poll);
	pthread_mutex_unlock(&c->lock);
	return json;
}

int core_next_result(struct core *c, int64_t now_ms, struct due_result *out, int64_t *wake_ms)
{
	char err[128];
	int rc = 0;
	long i;

	pthread_mutex_lock(&c->lock);
	if (c->failed) {
		/* the tally may hold a ballot whose commit failed: never publish it */
		*wake_ms = INT64_MAX;
		goto out;
	}
	i = pubsched_next(c->sched, now_ms, wake_ms);
	if (i < 0) {
		c->armed_ms = *wake_ms;
		goto out;
	}
	if (!settle(c, (size_t)i)) {
		*wake_ms = INT64_MAX;
		goto out;
	}
	out->poll = (size_t)i;
	out->version = tally_poll_version(c->tally, (size_t)i);
	if (topic_result(tally_poll_name(c->tally, (size_t)i), out->topic, sizeof(out->topic)) != 0)
		snprintf(out->topic, sizeof(out->topic), "vote/?/result");
	out->json = result_json(c->tally, (size_t)i, err, sizeof(err));
	/* sent even on failure: the schedule's timeout retries it, no busy loop */
	pubsched_sent(c->sched, (size_t)i, out->version, now_ms);
	*wake_ms = now_ms;
	rc = out->json ? 1 : -1;
out:
	pthread_mutex_unlock(&c->lock);
	if (rc < 0)
		log_line("cannot build the result of %s: %s", out->topic, err);
	return rc;
}

void core_result_done(struct core *c, size_t poll, uint64_t version, bool ok)
{
	pthread_mutex_lock(&c->lock);
	pubsched_done(c->sched, poll, version, ok);
	pthread_mutex_unlock(&c->lock);
}

void core_results_reset(struct core *c)
{
	pthread_mutex_lock(&c->lock);
	pubsched_reset(c->sched);
	pthread_mutex_unlock(&c->lock);
}

enum core_seen core_result_seen(struct core *c, const char *poll, const void *payload, size_t len)
{
	enum core_seen seen = CORE_SEEN_UNKNOWN;
	char err[128], *json = NULL;
	int64_t due;
	bool wake = false;
	long i;

	pthread_mutex_lock(&c->lock);
	i = tally_poll_find(c->tally, poll);
	if (i < 0)
		goto out;
	seen = CORE_SEEN_OTHER;
	if (!settle(c, (size_t)i))
		goto out; /* failed: nothing is published any more */
	json = result_json(c->tally, (size_t)i, err, sizeof(err));
	if (json && strlen(json) == len && memcmp(json, payload, len) == 0) {
		seen = CORE_SEEN_SAME;
		goto out;
	}
	/* out of memory for json: publish again all the same */
	pubsched_again(c->sched, (size_t)i);
	due = pubsched_due(c->sched, (size_t)i, vtime_mono_ms());
	if (due < c->armed_ms) {
		c->armed_ms = due;
		wake = true;
	}
out:
	pthread_mutex_unlock(&c->lock);
	free(json);
	if (wake && c->wake)
		c->wake(c->wake_arg);
	return seen;
}

int core_client_id(struct core *c, char *buf, size_t size, char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&c->store_lock);
	rc = store_client_id(c->store, "tallier-", buf, size, err, errlen);
	pthread_mutex_unlock(&c->store_lock);
	return rc;
}

size_t core_results_pending(struct core *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = pubsched_pending(c->sched);
	pthread_mutex_unlock(&c->lock);
	return n;
}
