/* pubsched.c -- when to publish each poll's result: coalesced, one in flight, retried */
#include "pubsched.h"

#include <stdbool.h>
#include <stdlib.h>

struct entry {
	uint64_t want;      /* newest version of the result */
	uint64_t acked;     /* newest version the broker acknowledged (since the last reset) */
	uint64_t flying;    /* version in flight, when inflight */
	uint64_t epoch;     /* s->epoch when the one in flight started */
	int64_t started;    /* when the last publication started */
	bool inflight;
	bool ever;          /* started at least once */
};

struct pubsched {
	struct entry *e;
	size_t n;
	int64_t interval_ms, timeout_ms;
	uint64_t epoch;     /* grows at each pubsched_reset */
};

struct pubsched *pubsched_new(int64_t interval_ms, int64_t timeout_ms)
{
	struct pubsched *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->interval_ms = interval_ms;
	s->timeout_ms = timeout_ms;
	return s;
}

void pubsched_free(struct pubsched *s)
{
	if (!s)
		return;
	free(s->e);
	free(s);
}

int pubsched_changed(struct pubsched *s, size_t i, uint64_t v)
{
	if (i >= s->n) {
		size_t n = i + 1 > 2 * s->n ? i + 1 : 2 * s->n;
		struct entry *grown = realloc(s->e, n * sizeof(*grown));

		if (!grown)
			return -1;
		for (size_t k = s->n; k < n; k++)
			grown[k] = (struct entry){ 0 };
		s->e = grown;
		s->n = n;
	}
	if (v > s->e[i].want)
		s->e[i].want = v;
	return 0;
}

void pubsched_reset(struct pubsched *s)
{
	size_t i;

	s->epoch++;
	for (i = 0; i < s->n; i++)
		s->e[i].acked = 0;
}

static bool pending(const struct entry *e)
{
	return e->want != 0 && e->want != e->acked;
}

long pubsched_next(struct pubsched *s, int64_t now_ms, int64_t *wake_ms)
{
	int64_t wake = INT64_MAX, due;
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct entry *e = &s->e[i];

		if (!pending(e))
			continue;
		if (e->inflight) {
			if (now_ms - e->started < s->timeout_ms) {
				if (e->started + s->timeout_ms < wake)
					wake = e->started + s->timeout_ms;
				continue;
			}
			e->inflight = false; /* taken as lost: retried below */
		}
		due = e->ever ? e->started + s->interval_ms : now_ms;
		if (now_ms >= due) {
			*wake_ms = now_ms;
			return (long)i;
		}
		if (due < wake)
			wake = due;
	}
	*wake_ms = wake;
	return -1;
}

int64_t pubsched_due(const struct pubsched *s, size_t i, int64_t now_ms)
{
	const struct entry *e;
	int64_t due;

	if (i >= s->n || !pending(&s->e[i]))
		return INT64_MAX;
	e = &s->e[i];
	if (e->inflight && now_ms - e->started < s->timeout_ms)
		return INT64_MAX;
	due = e->ever ? e->started + s->interval_ms : now_ms;
	return due > now_ms ? due : now_ms;
}

void pubsched_sent(struct pubsched *s, size_t i, uint64_t v, int64_t now_ms)
{
	struct entry *e = &s->e[i];

	e->inflight = true;
	e->flying = v;
	e->epoch = s->epoch;
	e->started = now_ms;
	e->ever = true;
}

void pubsched_done(struct pubsched *s, size_t i, uint64_t v, int ok)
{
	struct entry *e;

	if (i >= s->n)
		return;
	e = &s->e[i];
	if (!e->inflight || e->flying != v)
		return;
	e->inflight = false;
	if (ok && e->epoch == s->epoch && v > e->acked)
		e->acked = v;
}

size_t pubsched_pending(const struct pubsched *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		if (pending(&s->e[i]))
			n++;
	return n;
}
