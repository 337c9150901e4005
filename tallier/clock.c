/* clock.c -- the changes of status the clock brings to defined polls (opening, closing), run from the loop's timer */
#include "clock.h"

#include <stdio.h>

#include "coreint.h"
#include "log.h"
#include "vtime.h"

int core_transitions(struct core *c, int64_t now_ms, char *err, size_t errlen)
{
	char when[VTIME_ISO_LEN];
	struct polldef next;
	size_t k;
	int changed = 0;

	core_assert_locked(c);
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

	core_lock(c);
	next = c->failed ? INT64_MAX : c->next_change_ms;
	core_unlock(c);
	return next;
}

int core_clock(struct core *c, int64_t now_ms)
{
	char err[256];
	int changed = 0;

	core_lock(c);
	if (!c->failed)
		changed = core_transitions(c, now_ms, err, sizeof(err)); /* a failure is logged */
	core_unlock(c);
	if (changed > 0 && c->wake) /* their information and results are due */
		c->wake(c->wake_arg);
	return changed < 0 ? -1 : 0;
}

static int prepare(void *ctx, struct loop_fds *set, int64_t now, int64_t *deadline)
{
	int64_t next = core_clock_next(ctx), wall = vtime_now_ms(), due;

	(void)set;
	if (next == INT64_MAX)
		return 0;
	if (next <= wall)
		due = now; /* due, or to be found (INT64_MIN) */
	else
		due = next - wall > INT64_MAX - now ? INT64_MAX : now + (next - wall);
	if (due < *deadline)
		*deadline = due;
	return 0;
}

static void dispatch(void *ctx, const struct pollfd *fds, size_t n, int64_t now)
{
	(void)fds;
	(void)n;
	(void)now;
	/* cheap when nothing is due; a failure is logged, and the core refuses ballots */
	(void)core_clock(ctx, vtime_now_ms());
}

int clock_add(struct loop *loop, struct core *core, char *err, size_t errlen)
{
	struct loop_source src = { prepare, dispatch, core };

	return loop_add(loop, &src, err, errlen);
}
