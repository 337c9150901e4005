/* pubsched.h -- when to publish each poll's result: coalesced, one in flight, retried */
#ifndef MQTTVOTE_PUBSCHED_H
#define MQTTVOTE_PUBSCHED_H

#include <stddef.h>
#include <stdint.h>

/* A publication schedule for polls numbered 0..n-1. It is told which
 * version of each poll's result exists (pubsched_changed) and which went
 * out (pubsched_sent, pubsched_done), and answers which poll to publish now
 * and when to look again. Rules: at most one publication per poll in
 * flight; at most one start per poll per interval_ms; a publication not
 * confirmed within timeout_ms is taken as lost and retried; a failed one is
 * retried. A budget (pubsched_budget) bounds the publications of all polls
 * together: so many in flight at once, so many starts a second; the polls
 * it holds back wait in the order they became due, and each then goes out
 * with its newest version (a version superseded while waiting is never
 * sent). Time is passed in (monotonic ms), so the rules are testable. */
struct pubsched;

/* pubsched_new: an empty schedule. Returns NULL when memory runs out. */
struct pubsched *pubsched_new(int64_t interval_ms, int64_t timeout_ms);

/* pubsched_budget: from now_ms on, at most max_inflight publications are
 * in flight at once (0: no limit), and at most per_second start each
 * second, burst at once after a quiet spell (per_second 0: no limit).
 * Without it a schedule has no budget. */
void pubsched_budget(struct pubsched *s, size_t max_inflight, int64_t per_second, int64_t burst, int64_t now_ms);

/* pubsched_free: frees s. NULL is allowed. */
void pubsched_free(struct pubsched *s);

/* pubsched_changed: poll i now has result version v. Grows the schedule
 * as needed. Returns 0, or -1 when memory runs out. */
int pubsched_changed(struct pubsched *s, size_t i, uint64_t v);

/* pubsched_reset: every poll must be published again (after a reconnect),
 * even when its version went out already. Publications in flight stay. */
void pubsched_reset(struct pubsched *s);

/* pubsched_again: poll i's newest version must go out again (what the
 * broker holds is not it), even when acknowledged or in flight (that
 * acknowledgement then no longer counts), within the usual interval.
 * Nothing happens for a poll with no version yet. */
void pubsched_again(struct pubsched *s, size_t i);

/* pubsched_held: the broker holds poll i's newest version already (seen
 * there): it is taken as acknowledged, and not published, unless one is
 * in flight (its end will say). Nothing happens for a poll with no
 * version yet. */
void pubsched_held(struct pubsched *s, size_t i);

/* pubsched_next: the poll to publish now (the caller then calls
 * pubsched_sent), or -1 when none is due or the budget holds it back;
 * *wake_ms is then set to the time when the next one will be due, or a
 * publication in flight taken as lost (INT64_MAX when nothing is pending,
 * or when only the end of one in flight can free the budget: the caller
 * looks again then). */
long pubsched_next(struct pubsched *s, int64_t now_ms, int64_t *wake_ms);

/* pubsched_due: when poll i may be published next (monotonic ms): now_ms
 * or later when its newest version waits, INT64_MAX when nothing waits or
 * its publication is in flight (its end will say). Lets a caller wake the
 * publisher only when a change makes something due sooner. */
int64_t pubsched_due(const struct pubsched *s, size_t i, int64_t now_ms);

/* pubsched_sent: the publication of poll i's version v started at now_ms. */
void pubsched_sent(struct pubsched *s, size_t i, uint64_t v, int64_t now_ms);

/* pubsched_done: the publication of poll i's version v ended: ok != 0 if
 * the broker acknowledged it, 0 if it failed (it will be retried). A stale
 * report (for a publication already taken as lost) is ignored. */
void pubsched_done(struct pubsched *s, size_t i, uint64_t v, int ok);

/* pubsched_pending: the number of polls whose newest version has not been
 * acknowledged yet (in flight or waiting). */
size_t pubsched_pending(const struct pubsched *s);

#endif
