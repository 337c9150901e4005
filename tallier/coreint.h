/* coreint.h -- the core's inside: its state and locks, and what its files (core.c, corestate.c, corelock.c, commands.c, clock.c) share; no transport includes it */
#ifndef MQTTVOTE_COREINT_H
#define MQTTVOTE_COREINT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "core.h"
#include "polldef.h"
#include "polls.h"
#include "pubsched.h"
#include "result.h"
#include "store.h"
#include "tally.h"

/* Locks. lock guards tally, sched, armed_ms, committing and failed: it is
 * held for counting and for reading results, never across a disk write.
 * store_lock guards store: it is taken while lock is still held and kept
 * for the commit, so that commits happen in the order ballots were
 * counted (a later ballot of a voter is never overwritten on disk by an
 * earlier one committed late). Order: lock, then store_lock; never the
 * other way. A poll's result goes to the schedule only when no commit of
 * that poll is in progress (committing[i] == 0), and whoever takes a
 * result (publisher, query, receipt) first waits on settled for that
 * (one commit at most: the other thread's), so a result never shows a
 * ballot that is not on disk. lock also guards polls (the definitions),
 * next_change_ms, infover, instances and checkpoint_asked. An organiser's command and a change of status by the clock
 * commit their definition while lock is held (rare, and nothing may be
 * counted for the poll in between); a poll's roll is read before it is
 * taken (core_command, commands.c), never under it.
 *
 * The schedule holds two slots per poll i: 2i its result, 2i + 1 its
 * information (vote/<poll>/info), each with its own version; a poll that
 * no organiser defined or closed has no information (version 0), unless
 * the tallier's --roll makes it take signed ballots (its instance is
 * there). */
struct core {
	pthread_mutex_t lock;
	struct tally *tally;
	struct pubsched *sched;
	int64_t armed_ms;          /* when the publisher will look again (monotonic), by its last call */
	unsigned *committing;      /* per poll: commits in progress */
	pthread_cond_t settled;    /* broadcast when a poll's committing falls to 0 */
	uint64_t *infover;         /* per poll: the version of its information */
	char (*instances)[BALLOT_ID_HEX + 1]; /* per poll: its instance (sign.h), "" until it has one */
	size_t ncommitting;        /* committing, infover and instances have this many entries */
	struct polls *polls;       /* the polls an organiser defined or closed */
	int64_t next_change_ms;    /* wall clock: the next change of status the clock brings to
				    * one of polls (INT64_MAX: none; INT64_MIN: to be found) */
	bool failed;               /* a store failure or out of memory: nothing more is counted */
	bool checkpoint_asked;     /* the loop was woken for core_checkpoint, which has not run yet */
	bool checkpoint_failing;   /* the last checkpoint failed (said once); the loop thread's */

	pthread_mutex_t store_lock;
	struct store *store;       /* its writer's connection; its checkpointer's is core_checkpoint's */

	/* set once by core_open, then read only */
	size_t max_polls, max_choices;
	char **choices;
	struct check_rules rules;
	bool quiet, verbose, revote;
	void (*wake)(void *arg);
	void *wake_arg;
	bool locks;                /* the mutexes were initialised */
	pthread_t loop_thread;     /* debug builds: the thread of the first core_checkpoint; the loop's */
	bool loop_thread_known;
};

/* core_lock, core_unlock: take and release c->lock; core_store_lock and
 * core_store_unlock: c->store_lock; core_wait_settled: waits on
 * c->settled (c->lock held). In debug builds (NDEBUG not defined) each
 * asserts, as libuv does, the order written above (lock, then store_lock;
 * never lock while holding store_lock, neither twice), from a per-thread
 * note of which core's locks the thread holds; release builds keep only
 * the pthread calls. */
void core_lock(struct core *c);
void core_unlock(struct core *c);
void core_store_lock(struct core *c);
void core_store_unlock(struct core *c);
void core_wait_settled(struct core *c);

/* core_assert_locked: in debug builds, aborts unless the calling thread
 * holds c->lock (taken with core_lock). For the functions said to run
 * "under c->lock". */
void core_assert_locked(const struct core *c);

/* core_assert_loop_thread: in debug builds, aborts unless the caller is
 * the thread that called it first (the loop's: core_checkpoint runs there
 * only). */
void core_assert_loop_thread(struct core *c);

/* core_track: makes room in committing, infover and instances for poll i
 * (version 0: no information, until an organiser defines or closes the
 * poll; no instance; corestate.c). Under c->lock. Returns 0, or -1 when
 * memory runs out. */
int core_track(struct core *c, size_t i);

/* core_schedule_slots: both of poll i's slots (its result, its
 * information) at their current versions. Under c->lock. Returns 0, or -1
 * when memory runs out. */
int core_schedule_slots(struct core *c, size_t i);

/* core_info_of: poll i's information at now_ms (wall clock): its
 * definition, with the status the clock gives, or, for a poll nobody
 * defined, what the tallier's own rules make of it. Under c->lock. */
void core_info_of(const struct core *c, size_t i, int64_t now_ms, struct polldef *out);

/* core_value: poll i's result as it shows at now_ms, into *out: with its
 * status, and without counts while a poll that shows them after closing
 * is not closed. Under c->lock. Returns 0 (result_value_free), or -1 with
 * err set when memory runs out. */
int core_value(const struct core *c, size_t i, int64_t now_ms, struct result_value *out, char *err,
	       size_t errlen);

/* core_value_new: core_value into a new value (malloc'd: result_value_free,
 * then free()). Under c->lock. Returns it, or NULL with err set when
 * memory runs out. */
struct result_value *core_value_new(const struct core *c, size_t i, int64_t now_ms, char *err, size_t errlen);

/* core_commit_def: stores d (under c->lock: store_lock after it). Returns
 * 0, or -1 with err set (logged), the core then failed (nothing more is
 * counted). */
int core_commit_def(struct core *c, const struct polldef *d, char *err, size_t errlen);

/* core_announce: d (stored) is now its poll's rules: the tally counts by
 * them, and the poll's information and result are due. Under c->lock.
 * Returns the poll's number, or -1 with err set when memory runs out. */
long core_announce(struct core *c, const struct polldef *d, int64_t now_ms, char *err, size_t errlen);

/* core_transitions: applies to every definition the change of status
 * that the clock brings at now_ms (opening, closing at its time: closed_ms
 * is then the closing time, not when this runs), each stored, then
 * announced (clock.c). Under c->lock, or before other threads exist.
 * Returns how many changed, or -1 with err set (the core has then
 * failed). */
int core_transitions(struct core *c, int64_t now_ms, char *err, size_t errlen);

/* core_settle: waits, under c->lock, until no commit of poll i is in
 * progress (at most the other thread's one). Returns false when the core
 * has failed: its tally may then hold a ballot that is not stored, and no
 * result may be shown. */
bool core_settle(struct core *c, size_t i);

/* core_scheduled: poll i's result may go out (no commit of it in
 * progress). Under c->lock. Returns 1 when the publisher must be woken
 * (call cfg->wake once the lock is released), 0 when not, or -1 when
 * memory runs out. */
int core_scheduled(struct core *c, size_t i);

#endif
