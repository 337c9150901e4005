/* corestate.c -- the core's state: opened from the store (its ballots counted again, every poll scheduled), grown per poll, freed */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreint.h"
#include "log.h"
#include "reload.h"
#include "sign.h"
#include "vtime.h"

static void free_choices(struct core *c)
{
	size_t k;

	for (k = 0; k < c->rules.nchoices; k++)
		free(c->choices[k]);
	free(c->choices);
}

/* free_tracked: what core_track grew, per poll. */
static void free_tracked(struct core *c)
{
	free(c->committing);
	free(c->infover);
	free(c->instances);
}

/* destroy_locks: what init_locks made. */
static void destroy_locks(struct core *c)
{
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->store_lock);
	pthread_cond_destroy(&c->settled);
}

void core_free(struct core *c)
{
	if (!c)
		return;
	store_close(c->store);
	pubsched_free(c->sched);
	tally_free(c->tally);
	free_tracked(c);
	polls_free(c->polls);
	free_choices(c);
	if (c->locks)
		destroy_locks(c);
	free(c);
}

/* core_track: coreint.h. */
int core_track(struct core *c, size_t i)
{
	size_t n, k;
	unsigned *grown;
	uint64_t *vers;
	char(*inst)[BALLOT_ID_HEX + 1];

	core_assert_locked(c);
	if (i < c->ncommitting)
		return 0;
	n = i + 1 > 2 * c->ncommitting ? i + 1 : 2 * c->ncommitting;
	grown = realloc(c->committing, n * sizeof(*grown));
	if (!grown)
		return -1;
	c->committing = grown;
	vers = realloc(c->infover, n * sizeof(*vers));
	if (!vers)
		return -1; /* committing is larger than ncommitting says: harmless */
	c->infover = vers;
	inst = realloc(c->instances, n * sizeof(*inst));
	if (!inst)
		return -1; /* as above */
	c->instances = inst;
	for (k = c->ncommitting; k < n; k++) {
		grown[k] = 0;
		vers[k] = 0;
		inst[k][0] = '\0';
	}
	c->ncommitting = n;
	return 0;
}

/* What instance_loaded needs. */
struct instance_load {
	struct core *c;
	char *err;
	size_t errlen;
};

/* instance_loaded: a stored instance into c->instances (store_each_instance's fn). */
static int instance_loaded(void *ctx, const char *poll, const char *instance)
{
	struct instance_load *l = ctx;
	long i = tally_poll_find(l->c->tally, poll);

	if (!sign_instance_valid(instance)) {
		snprintf(l->err, l->errlen, "the instance of poll '%s' is damaged", poll);
		return -1;
	}
	if (i >= 0 && (size_t)i < l->c->ncommitting)
		snprintf(l->c->instances[i], sizeof(l->c->instances[i]), "%s", instance);
	return 0;
}

/* load_instances: every poll's instance from the store; a poll without one
 * (a database of an older schema, or a poll opened by a ballot) gets one,
 * stored. Returns 0, or -1 with err set. */
static int load_instances(struct core *c, char *err, size_t errlen)
{
	struct instance_load l = { c, err, errlen };
	size_t i;

	if (store_each_instance(c->store, instance_loaded, &l, err, errlen) != 0)
		return -1;
	for (i = 0; i < tally_poll_count(c->tally); i++) {
		if (c->instances[i][0])
			continue;
		if (ballot_new_id(c->instances[i], err, errlen) != 0 ||
		    store_put_instance(c->store, tally_poll_name(c->tally, i), c->instances[i], err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* load: counts what the store holds and schedules every poll's result. */
static int load(struct core *c, const char *db, char *err, size_t errlen)
{
	long n, skipped = 0;
	size_t i;

	n = reload_tally(c->store, c->tally, &c->rules, c->polls, &skipped, err, errlen);
	if (n < 0)
		return -1;
	for (i = 0; i < tally_poll_count(c->tally); i++) {
		if (core_track(c, i) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (load_instances(c, err, errlen) != 0)
		return -1;
	for (i = 0; i < tally_poll_count(c->tally); i++) {
		/* with --roll a poll nobody defined takes signed ballots: its
		 * information gives voters its instance */
		c->infover[i] = polls_get(c->polls, tally_poll_name(c->tally, i)) || c->rules.roll ? 1 : 0;
		if (core_schedule_slots(c, i) != 0) {
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

/* init_locks: c's two mutexes and its condition variable, all or none
 * (c->locks says). Returns 0, or -1 with err set. */
static int init_locks(struct core *c, char *err, size_t errlen)
{
	bool lock = false, store_lock = false;

	if (!(lock = pthread_mutex_init(&c->lock, NULL) == 0) ||
	    !(store_lock = pthread_mutex_init(&c->store_lock, NULL) == 0)) {
		snprintf(err, errlen, "cannot create a mutex");
		goto out;
	}
	if (pthread_cond_init(&c->settled, NULL) != 0) {
		snprintf(err, errlen, "cannot create a condition variable");
		goto out;
	}
	c->locks = true;
out:
	if (!c->locks && store_lock)
		pthread_mutex_destroy(&c->store_lock);
	if (!c->locks && lock)
		pthread_mutex_destroy(&c->lock);
	return c->locks ? 0 : -1;
}

struct core *core_open(const struct core_config *cfg, char *err, size_t errlen)
{
	struct tally_config tc = { cfg->choices, cfg->nchoices, cfg->revote };
	struct core *c = calloc(1, sizeof(*c));
	size_t k;
	int rc;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->quiet = cfg->quiet;
	c->revote = cfg->revote;
	c->rules.defined_only = cfg->defined_only;
	c->max_polls = cfg->max_polls ? cfg->max_polls : SIZE_MAX;
	c->max_choices = cfg->max_choices ? cfg->max_choices : SIZE_MAX;
	c->rules.max_skew_ms = cfg->max_skew_ms > 0 ? cfg->max_skew_ms : INT64_MAX;
	c->rules.roll = cfg->roll;
	c->verbose = cfg->verbose;
	c->wake = cfg->wake;
	c->wake_arg = cfg->wake_arg;
	c->armed_ms = INT64_MAX;
	c->next_change_ms = INT64_MIN;
	if (init_locks(c, err, errlen) != 0)
		goto fail;
	c->tally = tally_new(&tc, err, errlen);
	if (!c->tally)
		goto fail;
	c->sched = pubsched_new(CORE_RESULT_INTERVAL_MS, CORE_RESULT_TIMEOUT_MS);
	if (c->sched)
		pubsched_budget(c->sched, CORE_RESULTS_INFLIGHT, CORE_RESULTS_PER_S, CORE_RESULTS_BURST,
				vtime_mono_ms());
	c->polls = polls_new();
	c->rules.polls = c->polls;
	c->choices = cfg->nchoices ? calloc(cfg->nchoices, sizeof(*c->choices)) : NULL;
	if (!c->sched || !c->polls || (cfg->nchoices && !c->choices)) {
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
	if (!c->store)
		goto fail;
	core_lock(c); /* no other thread yet: taken for what the debug checks say */
	rc = load(c, cfg->db, err, errlen) != 0 || core_transitions(c, vtime_now_ms(), err, errlen) < 0 ? -1 : 0;
	core_unlock(c);
	if (rc != 0)
		goto fail;
	return c;
fail:
	core_free(c);
	return NULL;
}
