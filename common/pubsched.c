/* pubsched.c -- when to publish each poll's result: coalesced, one in flight, retried */
#include "pubsched.h"

#include <stdbool.h>
#include <stdlib.h>

/* Every poll whose result needs work (a version not acknowledged yet) is
 * in a binary min-heap keyed by when that work is due: the next start of
 * its publication, or, while one is in flight, when it is taken as lost.
 * So pubsched_next costs O(log n) whatever the number of polls, and a
 * poll with nothing to publish costs nothing. */

struct entry {
	uint64_t want;      /* newest version of the result */
	uint64_t acked;     /* newest version the broker acknowledged (since the last reset) */
	uint64_t flying;    /* version in flight, when inflight */
	uint64_t epoch;     /* s->epoch when the one in flight started */
	int64_t started;    /* when the last publication started */
	int64_t key;        /* when its work is due (its place in the heap) */
	size_t pos;         /* its index in s->heap, or NOT_IN_HEAP */
	bool inflight;
	bool ever;          /* started at least once */
};

#define NOT_IN_HEAP ((size_t)-1)
#define STALE_EPOCH UINT64_MAX /* an entry's epoch that s->epoch never reaches */

struct pubsched {
	struct entry *e;
	size_t n;
	size_t *heap;       /* poll numbers, a min-heap on e[].key */
	size_t nheap;
	size_t pending;     /* entries whose want != acked */
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
	free(s->heap);
	free(s);
}

static bool pending(const struct entry *e)
{
	return e->want != 0 && e->want != e->acked;
}

static void heap_place(struct pubsched *s, size_t at, size_t i)
{
	s->heap[at] = i;
	s->e[i].pos = at;
}

static void sift_up(struct pubsched *s, size_t at)
{
	size_t i = s->heap[at];

	while (at > 0) {
		size_t up = (at - 1) / 2;

		if (s->e[s->heap[up]].key <= s->e[i].key)
			break;
		heap_place(s, at, s->heap[up]);
		at = up;
	}
	heap_place(s, at, i);
}

static void sift_down(struct pubsched *s, size_t at)
{
	size_t i = s->heap[at];

	for (;;) {
		size_t kid = 2 * at + 1;

		if (kid >= s->nheap)
			break;
		if (kid + 1 < s->nheap && s->e[s->heap[kid + 1]].key < s->e[s->heap[kid]].key)
			kid++;
		if (s->e[i].key <= s->e[s->heap[kid]].key)
			break;
		heap_place(s, at, s->heap[kid]);
		at = kid;
	}
	heap_place(s, at, i);
}

static void heap_remove(struct pubsched *s, size_t i)
{
	size_t at = s->e[i].pos, last;

	if (at == NOT_IN_HEAP)
		return;
	s->e[i].pos = NOT_IN_HEAP;
	last = s->heap[--s->nheap];
	if (at == s->nheap)
		return;
	heap_place(s, at, last);
	sift_down(s, at);
	sift_up(s, s->e[last].pos);
}

/* heap_set: poll i's work is due at key (it joins the heap if absent).
 * The heap has room for every poll (grown with s->e). */
static void heap_set(struct pubsched *s, size_t i, int64_t key)
{
	struct entry *e = &s->e[i];

	e->key = key;
	if (e->pos == NOT_IN_HEAP) {
		e->pos = s->nheap++;
		s->heap[e->pos] = i;
	}
	sift_up(s, e->pos);
	sift_down(s, e->pos);
}

/* update: puts poll i where its state says: out of the heap when nothing
 * is pending, else keyed by its timeout (in flight) or its next start. */
static void update(struct pubsched *s, size_t i)
{
	struct entry *e = &s->e[i];

	if (!pending(e))
		heap_remove(s, i);
	else if (e->inflight)
		heap_set(s, i, e->started + s->timeout_ms);
	else
		heap_set(s, i, e->ever ? e->started + s->interval_ms : INT64_MIN);
}

/* set_acked, set_want: change an entry, keeping s->pending right. */
static void set_acked(struct pubsched *s, struct entry *e, uint64_t v)
{
	s->pending -= pending(e);
	e->acked = v;
	s->pending += pending(e);
}

static void set_want(struct pubsched *s, struct entry *e, uint64_t v)
{
	s->pending -= pending(e);
	e->want = v;
	s->pending += pending(e);
}

static int grow(struct pubsched *s, size_t i)
{
	size_t n = i + 1 > 2 * s->n ? i + 1 : 2 * s->n, k;
	struct entry *grown = realloc(s->e, n * sizeof(*grown));
	size_t *heap;

	if (!grown)
		return -1;
	s->e = grown;
	heap = realloc(s->heap, n * sizeof(*heap));
	if (!heap)
		return -1; /* s->e is larger than s->n says: harmless */
	s->heap = heap;
	for (k = s->n; k < n; k++)
		grown[k] = (struct entry){ .pos = NOT_IN_HEAP };
	s->n = n;
	return 0;
}

int pubsched_changed(struct pubsched *s, size_t i, uint64_t v)
{
	if (i >= s->n && grow(s, i) != 0)
		return -1;
	if (v > s->e[i].want) {
		set_want(s, &s->e[i], v);
		update(s, i);
	}
	return 0;
}

void pubsched_reset(struct pubsched *s)
{
	size_t i;

	s->epoch++;
	for (i = 0; i < s->n; i++) {
		if (s->e[i].acked == 0)
			continue;
		set_acked(s, &s->e[i], 0);
		update(s, i);
	}
}

void pubsched_again(struct pubsched *s, size_t i)
{
	struct entry *e;

	if (i >= s->n || s->e[i].want == 0)
		return;
	e = &s->e[i];
	if (e->inflight)
		e->epoch = STALE_EPOCH; /* its acknowledgement no longer counts */
	set_acked(s, e, 0);
	update(s, i);
}

long pubsched_next(struct pubsched *s, int64_t now_ms, int64_t *wake_ms)
{
	size_t i;
	struct entry *e;

	for (;;) {
		if (s->nheap == 0) {
			*wake_ms = INT64_MAX;
			return -1;
		}
		i = s->heap[0];
		e = &s->e[i];
		if (e->key > now_ms) {
			*wake_ms = e->key;
			return -1;
		}
		if (!e->inflight)
			break;
		e->inflight = false; /* taken as lost: retried */
		update(s, i);
	}
	*wake_ms = now_ms;
	return (long)i;
}

int64_t pubsched_due(const struct pubsched *s, size_t i, int64_t now_ms)
{
	const struct entry *e;

	if (i >= s->n || s->e[i].pos == NOT_IN_HEAP)
		return INT64_MAX;
	e = &s->e[i];
	if (e->inflight && now_ms < e->key)
		return INT64_MAX; /* its end will say */
	return e->key > now_ms ? e->key : now_ms;
}

void pubsched_sent(struct pubsched *s, size_t i, uint64_t v, int64_t now_ms)
{
	struct entry *e = &s->e[i];

	e->inflight = true;
	e->flying = v;
	e->epoch = s->epoch;
	e->started = now_ms;
	e->ever = true;
	update(s, i);
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
		set_acked(s, e, v);
	update(s, i);
}

size_t pubsched_pending(const struct pubsched *s)
{
	return s->pending;
}
