/* polls.c -- the polls an organiser defined or closed: their definitions by name, and their status on the clock */
#include "polls.h"

#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One definition and its loaded roll. def is first: the tree's key is
 * def.poll, the first member of both. */
struct slot {
	struct polldef def;
	struct roll *roll;
};

/* A tsearch tree of the definitions, keyed by name, the list of them in
 * the order they came, and the rolls they no longer use (freed last). */
struct polls {
	void *tree;
	struct slot **list;
	size_t n, cap;
	struct roll **retired;
	size_t nretired;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void noop_free(void *key)
{
	(void)key;
}

struct polls *polls_new(void)
{
	return calloc(1, sizeof(struct polls));
}

void polls_free(struct polls *p)
{
	size_t k;

	if (!p)
		return;
	tdestroy(p->tree, noop_free);
	for (k = 0; k < p->n; k++) {
		roll_free(p->list[k]->roll);
		free(p->list[k]);
	}
	free(p->list);
	for (k = 0; k < p->nretired; k++)
		roll_free(p->retired[k]);
	free(p->retired);
	free(p);
}

struct polldef *polls_get(const struct polls *p, const char *poll)
{
	void *found = tfind(poll, (void *const *)&p->tree, cmp_name);

	/* the key is the definition's poll, its first member */
	return found ? (struct polldef *)(void *)*(char **)found : NULL;
}

struct polldef *polls_put(struct polls *p, const struct polldef *d)
{
	struct polldef *have = polls_get(p, d->poll);
	struct slot *made;

	if (have) {
		*have = *d;
		return have;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 8;
		struct slot **grown = realloc(p->list, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		p->list = grown;
		p->cap = cap;
	}
	made = calloc(1, sizeof(*made));
	if (!made)
		return NULL;
	made->def = *d;
	if (!tsearch(made->def.poll, &p->tree, cmp_name)) {
		free(made);
		return NULL;
	}
	p->list[p->n++] = made;
	return &made->def;
}

int polls_load_roll(struct polls *p, struct polldef *d, char *err, size_t errlen)
{
	struct roll *r;

	if (!d->roll[0])
		return 0;
	r = roll_load(d->roll, err, errlen);
	return r ? polls_set_roll(p, d, r, err, errlen) : -1;
}

int polls_set_roll(struct polls *p, struct polldef *d, struct roll *r, char *err, size_t errlen)
{
	struct slot *s = (struct slot *)(void *)d;
	struct roll **grown;

	if (s->roll) {
		grown = realloc(p->retired, (p->nretired + 1) * sizeof(*grown));
		if (!grown) {
			roll_free(r);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		p->retired = grown;
		p->retired[p->nretired++] = s->roll;
	}
	s->roll = r;
	return 0;
}

const struct roll *polls_roll(const struct polls *p, const char *poll)
{
	struct polldef *d = polls_get(p, poll);

	return d && d->roll[0] ? ((struct slot *)(void *)d)->roll : NULL;
}

size_t polls_count(const struct polls *p)
{
	return p->n;
}

struct polldef *polls_at(const struct polls *p, size_t k)
{
	return &p->list[k]->def;
}

enum polldef_status polls_status(const struct polldef *d, int64_t now_ms)
{
	if (!d)
		return POLLDEF_OPEN;
	if (d->status == POLLDEF_CLOSED || (d->closes_ms && now_ms >= d->closes_ms))
		return POLLDEF_CLOSED;
	if (now_ms < d->opens_ms)
		return POLLDEF_SCHEDULED;
	return POLLDEF_OPEN;
}

int64_t polls_next_change(const struct polls *p, int64_t now_ms)
{
	int64_t next = INT64_MAX;
	size_t k;

	for (k = 0; k < p->n; k++) {
		const struct polldef *d = &p->list[k]->def;

		if (d->status == POLLDEF_CLOSED)
			continue;
		if (d->opens_ms > now_ms && d->opens_ms < next)
			next = d->opens_ms;
		if (d->closes_ms > now_ms && d->closes_ms < next)
			next = d->closes_ms;
	}
	return next;
}

void polls_tally_config(const struct polldef *d, const char *list[POLLDEF_CHOICES_MAX], struct tally_config *cfg)
{
	size_t k;

	for (k = 0; k < d->nchoices; k++)
		list[k] = d->choices[k];
	*cfg = (struct tally_config){ list, d->nchoices, d->revote };
}

int polls_define(struct tally *t, const struct polldef *d, int64_t now_ms, char *err, size_t errlen)
{
	const char *list[POLLDEF_CHOICES_MAX];
	struct tally_config cfg;

	polls_tally_config(d, list, &cfg);
	return tally_poll_define(t, d->poll, &cfg, now_ms, err, errlen);
}
