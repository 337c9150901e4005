/* core.c -- the tallier's core: a ballot in, a verdict out; owns the tally, the store and the result schedule */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "coreint.h"
#include "log.h"
#include "result.h"
#include "textrule.h"
#include "vtime.h"

/* info_of: poll i's information at now_ms (wall clock): its definition,
 * with the status the clock gives, or, for a poll nobody defined, what the
 * tallier's own rules make of it. Under c->lock. */
void core_info_of(const struct core *c, size_t i, int64_t now_ms, struct polldef *out)
{
	const char *name = tally_poll_name(c->tally, i);
	const struct polldef *d = polls_get(c->polls, name);
	size_t k;

	core_assert_locked(c);
	if (d) {
		*out = *d;
		out->status = polls_status(d, now_ms);
		out->signed_only = d->roll[0] || c->rules.roll;
		snprintf(out->instance, sizeof(out->instance), "%s", i < c->ncommitting ? c->instances[i] : "");
		return;
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->poll, sizeof(out->poll), "%s", name);
	out->status = POLLDEF_OPEN;
	out->revote = c->revote;
	out->signed_only = c->rules.roll != NULL;
	snprintf(out->instance, sizeof(out->instance), "%s", i < c->ncommitting ? c->instances[i] : "");
	if (c->rules.nchoices <= POLLDEF_CHOICES_MAX)
		for (k = 0; k < c->rules.nchoices; k++)
			snprintf(out->choices[out->nchoices++], sizeof(out->choices[0]), "%s", c->rules.choices[k]);
}

/* core_value: coreint.h. */
int core_value(const struct core *c, size_t i, int64_t now_ms, struct result_value *out, char *err,
	       size_t errlen)
{
	const struct polldef *d = polls_get(c->polls, tally_poll_name(c->tally, i));
	enum polldef_status st = polls_status(d, now_ms);
	struct result_view view = { polldef_status_word(st),
				    d && d->results == POLLDEF_AFTER_CLOSE && st != POLLDEF_CLOSED, d };

	core_assert_locked(c);
	return result_value_of(c->tally, i, &view, out, err, errlen);
}

/* core_schedule_slots: coreint.h. */
int core_schedule_slots(struct core *c, size_t i)
{
	core_assert_locked(c);
	if (pubsched_changed(c->sched, 2 * i, tally_poll_version(c->tally, i)) != 0 ||
	    pubsched_changed(c->sched, 2 * i + 1, c->infover[i]) != 0)
		return -1;
	return 0;
}

/* commit_def: stores d (under c->lock: store_lock after it). Returns 0,
 * or -1 with err set, the core then failed (nothing more is counted). */
int core_commit_def(struct core *c, const struct polldef *d, char *err, size_t errlen)
{
	int rc;

	core_assert_locked(c);
	core_store_lock(c);
	rc = store_save_def(c->store, d, err, errlen);
	core_store_unlock(c);
	if (rc != 0) {
		c->failed = true;
		pthread_cond_broadcast(&c->settled);
		log_line("cannot store the definition of poll %s: %s; stopping", d->poll, err);
	}
	return rc;
}

/* announce: d (stored) is now its poll's rules: the tally counts by them,
 * and the poll's information and result are due. Under c->lock. Returns
 * the poll's number, or -1 with err set when memory runs out. */
long core_announce(struct core *c, const struct polldef *d, int64_t now_ms, char *err, size_t errlen)
{
	long i;

	core_assert_locked(c);
	if (polls_define(c->tally, d, now_ms, err, errlen) != 0)
		return -1;
	i = tally_poll_find(c->tally, d->poll);
	if (i < 0 || core_track(c, (size_t)i) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (d->instance[0])
		snprintf(c->instances[i], sizeof(c->instances[i]), "%s", d->instance);
	c->infover[i]++;
	if (c->committing[i] == 0 && core_schedule_slots(c, (size_t)i) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return i;
}

void verdict_free(struct verdict *v)
{
	if (v->result)
		result_value_free(v->result);
	free(v->result);
	v->result = NULL;
}

void due_result_free(struct due_result *r)
{
	if (r->kind == DUE_RESULT)
		result_value_free(&r->result);
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
	bool poll_row;             /* the poll's row too (its rejected count changed, or no ballot) */
	uint64_t rejected;
	int64_t updated_ms;
};

/* undefined_polls: how many of the tally's polls no organiser defined
 * (every definition is one of the tally's polls). Under c->lock. */
static size_t undefined_polls(const struct core *c)
{
	size_t all = tally_poll_count(c->tally), defined = polls_count(c->polls);

	core_assert_locked(c);
	return all > defined ? all - defined : 0;
}

/* limits: refuses a valid ballot that would grow the tally past its
 * limits: one more poll nobody defined (found < 0: a defined poll is
 * always in the tally), or one more choice on a poll nobody defined (a
 * defined poll takes only its own choices, which check_ballot_poll
 * enforced). So polls an organiser defines are never refused because
 * strangers made up poll names or choices. Returns 0, or -1 with the
 * reason. */
static int limits(struct core *c, const struct ballot *b, long found, char *reason, size_t size)
{
	char why[96]; /* an ICU or memory failure */
	const char *like;

	core_assert_locked(c);
	if (found < 0 && undefined_polls(c) >= c->max_polls) {
		snprintf(reason, size,
			 "too many polls nobody defined: this tallier keeps at most %zu (--max-polls); the organiser "
			 "can define the poll with pollctl open", c->max_polls);
		return -1;
	}
	if (b->kind != POLLDEF_SINGLE)
		return 0; /* a poll of another kind is defined, with its own choices or values */
	if (found >= 0 && !polls_get(c->polls, b->poll) &&
	    !tally_poll_has_choice(c->tally, (size_t)found, b->choice) &&
	    tally_poll_nchoices(c->tally, (size_t)found) >= c->max_choices) {
		snprintf(reason, size,
			 "too many choices on this poll: at most %zu (--max-choices); the organiser can define the "
			 "poll's choices with pollctl open", c->max_choices);
		return -1;
	}
	/* a new choice may not look like one the poll has (docs/contract.md, "Topics and formats") */
	if (found >= 0 && !tally_poll_has_choice(c->tally, (size_t)found, b->choice)) {
		if (tally_poll_confusable(c->tally, (size_t)found, b->choice, &like, why, sizeof(why)) != 0) {
			snprintf(reason, size, "cannot compare the choice with this poll's: %s", why);
			return -1;
		}
		if (like) {
			snprintf(reason, size, "choice " TEXTRULE_CONFUSABLE, b->choice, like);
			return -1;
		}
	}
	return 0;
}

/* judge: parses the ballot and runs the check steps that need neither
 * the tally nor the polls' state, nor so the lock (check_ballot_alone: the
 * signature check is the costliest step of all: it runs outside the lock,
 * so that other threads are not held up).
 * Fills *b and v's id, reply, answer and, when refused, reason. Returns
 * true when the ballot is refused. */
static bool judge(struct core *c, const struct core_input *in, struct ballot *b, struct verdict *v)
{
	struct check_rules rules = c->rules;
	struct ballot_reply reply;
	const struct roll *own;
	const struct polldef *d;
	enum polldef_kind kind;
	char instance[BALLOT_ID_HEX + 1] = "";
	bool refused;
	long i;

	/* a poll with a roll of its own: that one (kept while the core lives);
	 * and with a roll, the poll's instance, which signatures bind */
	core_lock(c);
	d = polls_get(c->polls, in->poll);
	kind = d ? d->kind : POLLDEF_SINGLE; /* a poll nobody defined is single */
	own = polls_roll(c->polls, in->poll);
	if (own || c->rules.roll) {
		i = tally_poll_find(c->tally, in->poll);
		if (i >= 0 && (size_t)i < c->ncommitting)
			snprintf(instance, sizeof(instance), "%s", c->instances[i]);
	}
	core_unlock(c);
	if (own)
		rules.roll = own;
	rules.instance = instance;

	refused = ballot_parse(in->poll, in->payload, in->len, b, &reply, v->reason, sizeof(v->reason)) != 0;
	/* the answer the poll's kind takes (its kind never changes once the poll exists) */
	if (!refused)
		refused = ballot_answers(b, kind, v->reason, sizeof(v->reason)) != 0;
	/* a refused ballot's "reply" and id too: answered as over MQTT 5 */
	snprintf(v->reply, sizeof(v->reply), "%s", reply.topic);
	snprintf(v->id, sizeof(v->id), "%s", b->id);
	if (reply.problem[0] && !c->quiet) /* it costs no vote */
		log_line("no receipt for a ballot on vote/%s%s: its %s", in->poll, in->from, reply.problem);
	if (!refused) {
		if (in->account)
			snprintf(b->account, sizeof(b->account), "%s", in->account);
		refused = check_ballot_alone(&rules, b, vtime_now_ms(), v->reason, sizeof(v->reason)) != 0;
	}
	v->answer = in->want_result || v->reply[0];
	return refused;
}

/* count: counts the ballot judged (refused or not) into the tally, under
 * c->lock, after the steps that read the polls (check_ballot_poll) and the
 * limits. Fills *v (status and reason), *cm and *i
 * (the poll's number, or -1 when there is no such poll: a refusal that
 * created none). Returns 0, or -1 with err set when memory runs out. */
static int count(struct core *c, const struct core_input *in, bool refused, const struct ballot *b,
		 struct verdict *v, struct commit *cm, long *i, char *err, size_t errlen)
{
	struct tally_outcome o = { TALLY_COUNTED, "" };
	int64_t now = vtime_now_ms();
	long found = tally_poll_find(c->tally, in->poll);
	uint64_t rejected = found >= 0 ? tally_poll_rejected(c->tally, (size_t)found) : 0;

	core_assert_locked(c);
	/* the steps that read the polls' state, which lock guards */
	if (!refused)
		refused = check_ballot_poll(&c->rules, b, now, v->reason, sizeof(v->reason)) != 0 ||
			  limits(c, b, found, v->reason, sizeof(v->reason)) != 0;
	if (refused) {
		v->status = RECEIPT_REJECTED;
		/* a closed poll's final result never changes: its refusals are not counted */
		if (found >= 0 && polls_status(polls_get(c->polls, in->poll), now) != POLLDEF_CLOSED &&
		    tally_reject(c->tally, in->poll, now, err, errlen) != 0)
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
		char answer[512]; /* cut to fit: a log line */

		log_line("vote/%s%s: %s -> %s: %s", in->poll, in->from, b->voter, answer_text(b, answer, sizeof(answer)),
			 status_word(o.status));
	}
	if (found < 0)
		return 0; /* refused, and no poll to record it in */
	if (core_track(c, (size_t)found) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cm->write = refused || o.status == TALLY_REJECTED || o.status == TALLY_COUNTED ||
		    o.status == TALLY_REPLACED;
	cm->has_ballot = !refused && (o.status == TALLY_COUNTED || o.status == TALLY_REPLACED);
	cm->rejected = tally_poll_rejected(c->tally, (size_t)found);
	cm->poll_row = !cm->has_ballot || cm->rejected != rejected;
	cm->updated_ms = tally_poll_updated(c->tally, (size_t)found);
	return 0;
}

/* settle: waits, under c->lock, until no commit of poll i is in
 * progress (at most the other thread's one). Returns false when the core
 * has failed: its tally may then hold a ballot that is not stored, and no
 * result may be shown. */
bool core_settle(struct core *c, size_t i)
{
	core_assert_locked(c);
	while (c->committing[i] > 0 && !c->failed)
		core_wait_settled(c);
	return !c->failed;
}

/* scheduled: poll i's result may go out (no commit of it in progress).
 * Under c->lock. Returns whether the publisher must be woken, or -1 when
 * memory runs out. */
int core_scheduled(struct core *c, size_t i)
{
	int64_t due, now = vtime_mono_ms(), info;

	core_assert_locked(c);
	if (c->committing[i] > 0)
		return 0;
	if (core_schedule_slots(c, i) != 0)
		return -1;
	due = pubsched_due(c->sched, 2 * i, now);
	info = pubsched_due(c->sched, 2 * i + 1, now);
	if (info < due)
		due = info;
	if (due >= c->armed_ms)
		return 0;
	c->armed_ms = due;
	return 1;
}

/* core_value_new: coreint.h. */
struct result_value *core_value_new(const struct core *c, size_t i, int64_t now_ms, char *err, size_t errlen)
{
	struct result_value *r = malloc(sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "out of memory");
	} else if (core_value(c, i, now_ms, r, err, errlen) != 0) {
		free(r);
		r = NULL;
	}
	return r;
}

enum core_rc core_ballot(struct core *c, const struct core_input *in, struct verdict *v)
{
	struct ballot b;
	struct commit cm = { 0 };
	char err[512] = "";
	long i = -1;
	int saved = 0, wake = 0;
	bool refused, checkpoint = false;

	memset(v, 0, sizeof(*v));
	refused = judge(c, in, &b, v);
	core_lock(c);
	if (c->failed) {
		core_unlock(c);
		return CORE_FAILED;
	}
	if (count(c, in, refused, &b, v, &cm, &i, err, sizeof(err)) != 0) {
		c->failed = true;
		pthread_cond_broadcast(&c->settled);
		core_unlock(c);
		log_line("cannot count a ballot on vote/%s: %s", in->poll, err);
		return CORE_FAILED;
	}
	if (cm.write) {
		c->committing[i]++;
		core_store_lock(c); /* before unlocking: commits in counting order */
		core_unlock(c);
		saved = store_save(c->store, cm.has_ballot ? &b : NULL, in->poll, cm.poll_row, cm.rejected,
				   cm.updated_ms, err, sizeof(err));
		checkpoint = saved == 0 && store_checkpoint_due(c->store);
		core_store_unlock(c);
		core_lock(c);
		if (--c->committing[i] == 0)
			pthread_cond_broadcast(&c->settled);
		if (checkpoint && !c->checkpoint_asked)
			c->checkpoint_asked = true;
		else
			checkpoint = false; /* asked already */
	}
	if (saved != 0) {
		c->failed = true;
		pthread_cond_broadcast(&c->settled);
		core_unlock(c);
		log_line("cannot store a ballot: %s; stopping without acknowledging it, so that the broker "
			 "delivers it again", err);
		return CORE_FAILED;
	}
	if (i < 0) { /* no poll: nothing stored, nothing to publish, a receipt without counts */
		core_unlock(c);
		return CORE_OK;
	}
	wake = core_scheduled(c, (size_t)i);
	if (wake >= 0 && v->answer && !core_settle(c, (size_t)i)) {
		core_unlock(c); /* another thread's commit failed: it said so */
		return CORE_FAILED;
	}
	if (wake >= 0 && v->answer)
		v->result = core_value_new(c, (size_t)i, vtime_now_ms(), err, sizeof(err));
	if (wake < 0 || (v->answer && !v->result)) {
		c->failed = true;
		pthread_cond_broadcast(&c->settled);
		core_unlock(c);
		log_line("cannot count a ballot on vote/%s: %s", in->poll, wake < 0 ? "out of memory" : err);
		return CORE_FAILED;
	}
	core_unlock(c);
	if ((wake > 0 || checkpoint) && c->wake)
		c->wake(c->wake_arg);
	return CORE_OK;
}

void core_checkpoint(struct core *c)
{
	char err[512];
	bool asked;
	int rc;

	core_assert_loop_thread(c);
	core_lock(c);
	asked = c->checkpoint_asked;
	c->checkpoint_asked = false;
	core_unlock(c);
	if (!asked)
		return;
	/* no lock: the checkpointer's connection is this thread's alone, and
	 * SQLite's WAL lets it copy pages while the writer commits */
	rc = store_checkpoint(c->store, err, sizeof(err));
	if (rc != 0 && !c->checkpoint_failing)
		log_line("%s (the database's WAL grows until a checkpoint succeeds; ballots are still stored)",
			 err);
	else if (rc == 0 && c->checkpoint_failing)
		log_line("the database's WAL was checkpointed again");
	c->checkpoint_failing = rc != 0;
}

int core_result(struct core *c, const char *poll, struct result_value *out, char *err, size_t errlen)
{
	int rc = -1;
	long i;

	core_lock(c);
	i = tally_poll_find(c->tally, poll);
	if (i >= 0 && !core_settle(c, (size_t)i))
		snprintf(err, errlen, "the tallier is stopping");
	else if (i >= 0)
		rc = core_value(c, (size_t)i, vtime_now_ms(), out, err, errlen);
	else
		snprintf(err, errlen, "no poll '%s'", poll);
	core_unlock(c);
	return rc;
}

int core_next_result(struct core *c, int64_t now_ms, struct due_result *out, int64_t *wake_ms)
{
	int64_t wall = vtime_now_ms();
	char err[256];
	int rc = 0;
	long slot;
	size_t i;

	core_lock(c);
	if (c->failed) {
		/* the tally may hold a ballot whose commit failed: never publish it */
		*wake_ms = INT64_MAX;
		goto out;
	}
	slot = pubsched_next(c->sched, now_ms, wake_ms);
	if (slot < 0) {
		c->armed_ms = *wake_ms;
		goto out;
	}
	i = (size_t)slot / 2;
	if (!core_settle(c, i)) {
		*wake_ms = INT64_MAX;
		goto out;
	}
	out->slot = (size_t)slot;
	rc = 1;
	if (slot % 2) {
		out->kind = DUE_INFO;
		out->version = c->infover[i];
		snprintf(out->topic, sizeof(out->topic), TOPIC_PREFIX "%s/info", tally_poll_name(c->tally, i));
		core_info_of(c, i, wall, &out->info);
	} else {
		out->kind = DUE_RESULT;
		out->version = tally_poll_version(c->tally, i);
		if (topic_result(tally_poll_name(c->tally, i), out->topic, sizeof(out->topic)) != 0)
			snprintf(out->topic, sizeof(out->topic), "vote/?/result");
		if (core_value(c, i, wall, &out->result, err, sizeof(err)) != 0)
			rc = -1;
	}
	/* sent even on failure: the schedule's timeout retries it, no busy loop */
	pubsched_sent(c->sched, (size_t)slot, out->version, now_ms);
	*wake_ms = now_ms;
out:
	core_unlock(c);
	if (rc < 0)
		log_line("cannot build %s: %s", out->topic, err);
	return rc;
}

int core_info(struct core *c, const char *poll, struct polldef *out, char *err, size_t errlen)
{
	long i;

	core_lock(c);
	i = tally_poll_find(c->tally, poll);
	if (i >= 0)
		core_info_of(c, (size_t)i, vtime_now_ms(), out);
	else
		snprintf(err, errlen, "no poll '%s'", poll);
	core_unlock(c);
	return i >= 0 ? 0 : -1;
}

void core_result_done(struct core *c, size_t slot, uint64_t version, bool ok)
{
	core_lock(c);
	pubsched_done(c->sched, slot, version, ok);
	core_unlock(c);
}

void core_results_reset(struct core *c)
{
	core_lock(c);
	pubsched_reset(c->sched);
	core_unlock(c);
}

enum core_seen core_result_seen(struct core *c, const char *poll, uint64_t version, bool same)
{
	enum core_seen seen = CORE_SEEN_UNKNOWN;
	int64_t due;
	bool wake = false;
	long i;

	core_lock(c);
	i = tally_poll_find(c->tally, poll);
	if (i < 0)
		goto out;
	seen = CORE_SEEN_OTHER;
	if (c->failed)
		goto out; /* nothing is published any more */
	if (same) {
		/* the broker holds it (at a start, after a reconnection): no need
		 * to publish it again; a ballot counted since goes out anyway */
		if (version == tally_poll_version(c->tally, (size_t)i))
			pubsched_held(c->sched, 2 * (size_t)i);
		seen = CORE_SEEN_SAME;
		goto out;
	}
	/* out of memory rendering it: publish again all the same */
	pubsched_again(c->sched, 2 * (size_t)i);
	due = pubsched_due(c->sched, 2 * (size_t)i, vtime_mono_ms());
	if (due < c->armed_ms) {
		c->armed_ms = due;
		wake = true;
	}
out:
	core_unlock(c);
	if (wake && c->wake)
		c->wake(c->wake_arg);
	return seen;
}

int core_client_id(struct core *c, char *buf, size_t size, char *err, size_t errlen)
{
	int rc;

	core_store_lock(c);
	rc = store_client_id(c->store, "tallier-", buf, size, err, errlen);
	core_store_unlock(c);
	return rc;
}

size_t core_results_pending(struct core *c)
{
	size_t n;

	core_lock(c);
	n = pubsched_pending(c->sched);
	core_unlock(c);
	return n;
}
