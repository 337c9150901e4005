/* clock.c -- the changes of status the clock brings to defined polls (opening, closing), run from the loop's timer */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>

#include "coreint.h"
#include "log.h"
#include "vtime.h"

int core_transitions(struct core *c, int64_t now_ms, char *err, size_t errlen)
{
	char when[VTIME_ISO_LEN];
	struct polldef next;
	size_t k;
	int changed = 0;

	if (now_ms < c->next_change_ms)
		return 0; /* nothing to change yet: no scan of the definitions */
	for (k = 0; k < polls_count(c->polls); k++) {
		struct polldef *d = polls_at(c->polls, k);
		enum polldef_status st = polls_status(d, now_ms);

		if (st == d->status)
			continue;
		next = *d;
		next.status = st;
		if (st == POLLDEF_CLOSED && !next.closed_ms)
			next.closed_ms = next.closes_ms ? next.closes_ms : now_ms;
		if (core_commit_def(c, &next, err, errlen) != 0)
			return -1;
		*d = next;
		if (core_announce(c, d, now_ms, err, errlen) < 0) {
			c->failed = true;
			return -1;
		}
		if (vtime_format_iso(st == POLLDEF_CLOSED ? d->closed_ms : d->opens_ms, when, sizeof(when)) != 0)
			snprintf(when, sizeof(when), "?");
		if (!c->quiet)
			log_line("poll %s %s at %s", d->poll, st == POLLDEF_CLOSED ? "closed" : "opened", when);
		changed++;
	}
	c->next_change_ms = polls_next_change(c->polls, now_ms);
	return changed;
}

int64_t core_clock_next(struct core *c)
{
	int64_t next;

	pthread_mutex_lock(&c->lock);
	next = c->failed ? INT64_MAX : c->next_change_ms;
	pthread_mutex_unlock(&c->lock);
	return next;
}

int core_clock(struct core *c, int64_t now_ms)
{
	char err[256];
	int changed = 0;

	pthread_mutex_lock(&c->lock);
	if (!c->failed)
		changed = core_transitions(c, now_ms, err, sizeof(err)); /* a failure is logged */
	pthread_mutex_unlock(&c->lock);
	if (changed > 0 && c->wake) /* their information and results are due */
		c->wake(c->wake_arg);
	return changed < 0 ? -1 : 0;
}

/* The loop's source: when the next change is due (monotonic), as its
 * last prepare found. The loop's thread's. */
struct clocksrc {
	struct core *core;
	int64_t due_ms;
};

static int prepare(void *ctx, struct loop_fds *set, int64_t now, int64_t *deadline)
{
	struct clocksrc *k = ctx;
	int64_t next = core_clock_next(k->core), wall = vtime_now_ms();

	(void)set;
	if (next == INT64_MAX)
		k->due_ms = INT64_MAX;
	else if (next <= wall)
		k->due_ms = now; /* due, or to be found (INT64_MIN) */
	else
		k->due_ms = next - wall > INT64_MAX - now ? INT64_MAX : now + (next - wall);
	if (k->due_ms < *deadline)
		*deadline = k->due_ms;
	return 0;
}

static void dispatch(void *ctx, const struct pollfd *fds, size_t n, int64_t now)
{
	struct clocksrc *k = ctx;

	(void)fds;
	(void)n;
	if (now >= k->due_ms)
		(void)core_clock(k->core, vtime_now_ms()); /* a failure is logged, and the core refuses ballots */
}

struct clocksrc *clock_add(struct loop *loop, struct core *core, char *err, size_t errlen)
{
	struct clocksrc *k = calloc(1, sizeof(*k));
	struct loop_source src;

	if (!k) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*k = (struct clocksrc){ core, INT64_MAX };
	src = (struct loop_source){ prepare, dispatch, k };
	if (loop_add(loop, &src) != 0) {
		snprintf(err, errlen, "too many event sources");
		free(k);
		return NULL;
	}
	return k;
}

void clock_free(struct clocksrc *k)
{
	free(k);
}
