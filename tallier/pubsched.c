/* pubsched.c -- when to publish each poll's result: coalesced, one in flight, retried */
#include "pubsched.h"

#include <stdbool.h>
#include <stdlib.h>

/* Every poll whose result needs work (a version not acknowledged yet) is
 * in one of two binary min-heaps: waiting ones keyed by when their next
 * publication may start, those in flight keyed by when they are taken as
 * lost. So pubsched_next costs O(log n) whatever the number of polls, a
 * poll with nothing to publish costs nothing, and a start held back by the
 * budget (in flight, rate) still lets the timeouts of those in flight run. */

enum where { NOWHERE, WAITING, FLYING };

struct entry {
	uint64_t want;      /* newest version of the result */
	uint64_t acked;     /* newest version the broker acknowledged (since the last reset) */
	uint64_t flying;    /* version in flight, when inflight */
	uint64_t epoch;     /* s->epoch when the one in flight started */
	int64_t started;    /* when the last publication started */
	int64_t key;        /* when its work is due (its place in its heap) */
	uint64_t seq;       /* ties between equal keys: the order it joined its heap */
	size_t pos;         /* its index in its heap, when where != NOWHERE */
	enum where where;   /* WAITING or FLYING: in that heap; NOWHERE: in none */
	bool inflight;
	bool ever;          /* started at least once */
};

#define STALE_EPOCH UINT64_MAX /* an entry's epoch that s->epoch never reaches */
#define MILLI 1000             /* the rate's tokens are counted in thousandths */

/* A min-heap of poll numbers on e[].key; room for every poll. */
struct heap {
	size_t *at;
	size_t n;
};

struct pubsched {
	struct entry *e;
	size_t n;
	struct heap wait, fly; /* indexed by enum where - 1 */
	size_t pending;     /* entries whose want != acked */
	int64_t interval_ms, timeout_ms;
	uint64_t epoch;     /* grows at each pubsched_reset */
	uint64_t seq;       /* the last entry's seq */
	/* the budget (pubsched_budget): in flight at once, starts per second */
	size_t max_flying;  /* SIZE_MAX: no limit */
	size_t nflying;     /* entries in flight */
	int64_t rate, burst; /* tokens a second, most held (in MILLI); rate 0: no limit */
	int64_t tokens;     /* held, in MILLI, at tokens_ms */
	int64_t tokens_ms;
};

struct pubsched *pubsched_new(int64_t interval_ms, int64_t timeout_ms)
{
	struct pubsched *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->interval_ms = interval_ms;
	s->timeout_ms = timeout_ms;
	s->max_flying = SIZE_MAX;
	return s;
}

void pubsched_budget(struct pubsched *s, size_t max_inflight, int64_t per_second, int64_t burst, int64_t now_ms)
{
	s->max_flying = max_inflight ? max_inflight : SIZE_MAX;
	s->rate = per_second > 0 ? per_second : 0;
	s->burst = (burst > 0 ? burst : 1) * MILLI;
	s->tokens = s->burst;
	s->tokens_ms = now_ms;
}

void pubsched_free(struct pubsched *s)
{
	if (!s)
		return;
	free(s->e);
	free(s->wait.at);
	free(s->fly.at);
	free(s);
}

static bool pending(const struct entry *e)
{
	return e->want != 0 && e->want != e->acked;
}

static struct heap *heap_of(struct pubsched *s, enum where w)
{
	return w == FLYING ? &s->fly : &s->wait;
}

/* before: whether entry a comes before entry b in a heap. */
static bool before(const struct pubsched *s, size_t a, size_t b)
{
	return s->e[a].key < s->e[b].key || (s->e[a].key == s->e[b].key && s->e[a].seq < s->e[b].seq);
}

static void heap_place(struct pubsched *s, struct heap *h, size_t at, size_t i)
{
	h->at[at] = i;
	s->e[i].pos = at;
}

static void sift_up(struct pubsched *s, struct heap *h, size_t at)
{
	size_t i = h->at[at];

	while (at > 0) {
		size_t up = (at - 1) / 2;

		if (!before(s, i, h->at[up]))
			break;
		heap_place(s, h, at, h->at[up]);
		at = up;
	}
	heap_place(s, h, at, i);
}

static void sift_down(struct pubsched *s, struct heap *h, size_t at)
{
	size_t i = h->at[at];

	for (;;) {
		size_t kid = 2 * at + 1;

		if (kid >= h->n)
			break;
		if (kid + 1 < h->n && before(s, h->at[kid + 1], h->at[kid]))
			kid++;
		if (!before(s, h->at[kid], i))
			break;
		heap_place(s, h, at, h->at[kid]);
		at = kid;
	}
	heap_place(s, h, at, i);
}

static void heap_remove(struct pubsched *s, size_t i)
{
	struct heap *h;
	size_t at = s->e[i].pos, last;

	if (s->e[i].where == NOWHERE)
		return;
	h = heap_of(s, s->e[i].where);
	s->e[i].where = NOWHERE;
	last = h->at[--h->n];
	if (at == h->n)
		return;
	heap_place(s, h, at, last);
	sift_down(s, h, at);
	sift_up(s, h, s->e[last].pos);
}

/* heap_set: poll i's work is due at key, in heap w (it leaves the other). */
static void heap_set(struct pubsched *s, size_t i, enum where w, int64_t key)
{
	struct entry *e = &s->e[i];
	struct heap *h = heap_of(s, w);

	if (e->where != w)
		heap_remove(s, i);
	e->key = key;
	if (e->where == NOWHERE) {
		e->seq = ++s->seq;
		e->where = w;
		e->pos = h->n++;
		h->at[e->pos] = i;
	}
	sift_up(s, h, e->pos);
	sift_down(s, h, e->pos);
}

/* update: puts poll i where its state says: in no heap when nothing is
 * pending, else in flight keyed by its timeout, or waiting keyed by its
 * next start. */
static void update(struct pubsched *s, size_t i)
{
	struct entry *e = &s->e[i];

	if (!pending(e))
		heap_remove(s, i);
	else if (e->inflight)
		heap_set(s, i, FLYING, e->started + s->timeout_ms);
	else
		heap_set(s, i, WAITING, e->ever ? e->started + s->interval_ms : INT64_MIN);
}

/* set_inflight: e's inflight flag, keeping s->nflying right. */
static void set_inflight(struct pubsched *s, struct entry *e, bool on)
{
	s->nflying += (size_t)on - (size_t)e->inflight;
	e->inflight = on;
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
	size_t *wait, *fly;

	if (!grown)
		return -1;
	s->e = grown;
	wait = realloc(s->wait.at, n * sizeof(*wait));
	if (!wait)
		return -1; /* s->e is larger than s->n says: harmless */
	s->wait.at = wait;
	fly = realloc(s->fly.at, n * sizeof(*fly));
	if (!fly)
		return -1; /* the same */
	s->fly.at = fly;
	for (k = s->n; k < n; k++)
		grown[k] = (struct entry){ .where = NOWHERE };
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

void pubsched_held(struct pubsched *s, size_t i)
{
	struct entry *e;

	if (i >= s->n || s->e[i].want == 0 || s->e[i].inflight)
		return;
	e = &s->e[i];
	set_acked(s, e, e->want);
	update(s, i);
}

/* refill: the rate's tokens at now_ms. */
static void refill(struct pubsched *s, int64_t now_ms)
{
	if (now_ms <= s->tokens_ms)
		return;
	if ((now_ms - s->tokens_ms) >= s->burst / s->rate + 1)
		s->tokens = s->burst;
	else if ((s->tokens += (now_ms - s->tokens_ms) * s->rate) > s->burst)
		s->tokens = s->burst;
	s->tokens_ms = now_ms;
}

static int64_t earlier(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

long pubsched_next(struct pubsched *s, int64_t now_ms, int64_t *wake_ms)
{
	int64_t lost = INT64_MAX, start;
	size_t i;

	/* those in flight past their timeout are taken as lost: retried */
	while (s->fly.n > 0 && s->e[s->fly.at[0]].key <= now_ms) {
		i = s->fly.at[0];
		set_inflight(s, &s->e[i], false);
		update(s, i);
	}
	if (s->fly.n > 0)
		lost = s->e[s->fly.at[0]].key;
	if (s->wait.n == 0 || s->nflying >= s->max_flying) {
		*wake_ms = lost; /* or a publication's end, which wakes the caller */
		return -1;
	}
	start = s->e[s->wait.at[0]].key;
	if (start > now_ms) {
		*wake_ms = earlier(start, lost);
		return -1;
	}
	if (s->rate) {
		refill(s, now_ms);
		if (s->tokens < MILLI) {
			*wake_ms = earlier(now_ms + (MILLI - s->tokens + s->rate - 1) / s->rate, lost);
			return -1;
		}
	}
	*wake_ms = now_ms;
	return (long)s->wait.at[0];
}

int64_t pubsched_due(const struct pubsched *s, size_t i, int64_t now_ms)
{
	const struct entry *e;

	if (i >= s->n || s->e[i].where == NOWHERE)
		return INT64_MAX;
	e = &s->e[i];
	if (e->inflight && now_ms < e->key)
		return INT64_MAX; /* its end will say */
	return e->key > now_ms ? e->key : now_ms;
}

void pubsched_sent(struct pubsched *s, size_t i, uint64_t v, int64_t now_ms)
{
	struct entry *e = &s->e[i];

	set_inflight(s, e, true);
	e->flying = v;
	e->epoch = s->epoch;
	e->started = now_ms;
	e->ever = true;
	if (s->rate) {
		refill(s, now_ms);
		s->tokens -= MILLI; /* may go below 0 when the caller did not ask pubsched_next */
	}
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
	set_inflight(s, e, false);
	if (ok && e->epoch == s->epoch && v > e->acked)
		set_acked(s, e, v);
	update(s, i);
}

size_t pubsched_pending(const struct pubsched *s)
{
	return s->pending;
}
