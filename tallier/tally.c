/* tally.c -- the counting rules: one vote per voter per poll, revotes, duplicates */
#include "tally.h"

#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "arena.h"
#include "textrule.h"

#define ID_BYTES (BALLOT_ID_HEX / 2)

/* One choice of a poll and its votes. */
struct choice {
	uint64_t count;
	char *skeleton; /* its TR 39 skeleton (textrule_skeleton), made when first needed; or NULL */
	char name[];
};

/* The ballot that currently counts for one voter. */
struct vote {
	const struct choice *choice;
	int64_t ts;
	unsigned char id[ID_BYTES];
	bool has_id;
	bool has_ts;
	char voter[]; /* the key of the poll's voter tree */
};

struct poll {
	struct choice **choices; /* sorted by name */
	char **own;              /* tally_poll_define's choices, in result order; NULL: the tally's */
	size_t nown;
	int revote;              /* tally_poll_define's rule: 1 or 0; -1: the tally's */
	size_t nchoices, cap;
	void *voters;            /* tsearch tree of vote->voter */
	uint64_t total, rejected, version;
	int64_t updated_ms;
	size_t index;
	char name[];             /* the key of the tally's poll tree */
};

struct tally {
	struct arena *votes;     /* every poll's struct vote: never freed one by one */
	struct poll **polls;     /* in order of first sight */
	size_t npolls, cap;
	void *index;             /* tsearch tree of poll->name */
	char **choices;          /* configured choices, in order; NULL when any */
	size_t nchoices;
	bool revote;
};

#define CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void noop_free(void *key)
{
	(void)key;
}

/* free_list: frees list's n strings (NULL ones too) and list. */
static void free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; list && i < n; i++)
		free(list[i]);
	free(list);
}

/* grow: the list at listp (the address of its pointer), of *cap entries
 * of size bytes, given twice the room, or first entries when it has none.
 * Returns 0, or -1 when memory runs out (the list and *cap unchanged). */
static int grow(void *listp, size_t *cap, size_t first, size_t size)
{
	size_t more = *cap ? 2 * *cap : first;
	void *list, *grown;

	memcpy(&list, listp, sizeof(list));
	grown = realloc(list, more * size);
	if (!grown)
		return -1;
	memcpy(listp, &grown, sizeof(grown));
	*cap = more;
	return 0;
}

static void poll_free(struct poll *p)
{
	size_t i;

	if (!p)
		return;
	tdestroy(p->voters, noop_free); /* the votes are the arena's */
	for (i = 0; i < p->nchoices; i++) {
		free(p->choices[i]->skeleton);
		free(p->choices[i]);
	}
	free(p->choices);
	free_list(p->own, p->nown);
	free(p);
}

void tally_free(struct tally *t)
{
	size_t i;

	if (!t)
		return;
	tdestroy(t->index, noop_free);
	for (i = 0; i < t->npolls; i++)
		poll_free(t->polls[i]);
	free(t->polls);
	arena_free(t->votes);
	free_list(t->choices, t->nchoices);
	free(t);
}

int tally_config_check(const struct tally_config *cfg, char *err, size_t errlen)
{
	size_t i, j;

	for (i = 0; i < cfg->nchoices; i++) {
		if (!ballot_text_valid(cfg->choices[i])) {
			snprintf(err, errlen, "invalid choice '%s'", cfg->choices[i]);
			return -1;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(cfg->choices[i], cfg->choices[j]) == 0) {
				snprintf(err, errlen, "choice '%s' given twice", cfg->choices[i]);
				return -1;
			}
		}
	}
	return 0;
}

struct tally *tally_new(const struct tally_config *cfg, char *err, size_t errlen)
{
	struct tally *t = NULL;
	size_t i;

	if (tally_config_check(cfg, err, errlen) != 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t || !(t->votes = arena_new()))
		goto oom;
	t->revote = cfg->revote;
	if (cfg->nchoices == 0)
		return t;
	t->choices = calloc(cfg->nchoices, sizeof(*t->choices));
	if (!t->choices)
		goto oom;
	for (i = 0; i < cfg->nchoices; i++) {
		t->choices[i] = strdup(cfg->choices[i]);
		if (!t->choices[i])
			goto oom;
		t->nchoices++;
	}
	return t;
oom:
	snprintf(err, errlen, "out of memory");
	tally_free(t);
	return NULL;
}

/* choice_find: the index of name in p's sorted choices, or, when absent,
 * -1 - (the index where it would go). */
static long choice_find(const struct poll *p, const char *name)
{
	size_t lo = 0, hi = p->nchoices;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, p->choices[mid]->name);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1 - (long)lo;
}

/* choice_add: adds name (absent) to p's choices. Returns it, or NULL. */
static struct choice *choice_add(struct poll *p, const char *name)
{
	long at = -1 - choice_find(p, name);
	size_t len = strlen(name);
	struct choice *c;

	if (p->nchoices == p->cap && grow(&p->choices, &p->cap, 4, sizeof(*p->choices)) != 0)
		return NULL;
	c = malloc(sizeof(*c) + len + 1);
	if (!c)
		return NULL;
	c->count = 0;
	c->skeleton = NULL;
	memcpy(c->name, name, len + 1);
	memmove(p->choices + at + 1, p->choices + at, (p->nchoices - (size_t)at) * sizeof(*p->choices));
	p->choices[at] = c;
	p->nchoices++;
	return c;
}

/* poll_get: the poll named name, created (with the configured choices)
 * when absent. Returns NULL when memory runs out. */
static struct poll *poll_get(struct tally *t, const char *name, int64_t now_ms)
{
	void *found = tfind(name, &t->index, cmp_str);
	size_t len = strlen(name), i;
	struct poll *p;

	if (found)
		return CONTAINER(*(char **)found, struct poll, name);
	if (t->npolls == t->cap && grow(&t->polls, &t->cap, 8, sizeof(*t->polls)) != 0)
		return NULL;
	p = calloc(1, sizeof(*p) + len + 1);
	if (!p)
		return NULL;
	memcpy(p->name, name, len + 1);
	p->revote = -1;
	for (i = 0; i < t->nchoices; i++)
		if (!choice_add(p, t->choices[i]))
			goto fail;
	if (!tsearch(p->name, &t->index, cmp_str))
		goto fail;
	p->version = 1;
	p->updated_ms = now_ms;
	p->index = t->npolls;
	t->polls[t->npolls++] = p;
	return p;
fail:
	poll_free(p);
	return NULL;
}

static void changed(struct poll *p, int64_t now_ms)
{
	p->version++;
	p->updated_ms = now_ms;
}

/* hex_digit: the value of a hex digit (either case); 0 for any other
 * character (ballot_parse lets none through). */
static unsigned hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	return 0;
}

/* id_to_bytes: an id's 32 hex digits as 16 bytes (not strtoul, pair by pair:
 * this runs for every ballot of a store loaded at start). */
static void id_to_bytes(const char *hex, unsigned char *out)
{
	size_t i;

	for (i = 0; i < ID_BYTES; i++)
		out[i] = (unsigned char)(hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1]));
}

/* order: where ballot b (id bytes bid, choice c) stands against the held
 * vote v in its voter's order of ballots, the order tally_apply's contract
 * states (tally.h): > 0 after it, < 0 before it, 0 when b is the held
 * ballot again (a duplicate). */
static int order(const struct ballot *b, const unsigned char *bid, const struct choice *c,
		 const struct vote *v)
{
	int d;

	if (b->has_ts && v->has_ts && b->ts != v->ts)
		return b->ts > v->ts ? 1 : -1;
	if (b->has_ts == v->has_ts && b->has_id && v->has_id) {
		d = memcmp(bid, v->id, ID_BYTES);
		if (d == 0)
			d = strcmp(c->name, v->choice->name);
		if (d == 0)
			return 0;
		if (b->has_ts)
			return d > 0 ? 1 : -1;
	}
	return 1;
}

static void vote_set(struct vote *v, const struct ballot *b, const unsigned char *bid,
		     struct choice *c)
{
	v->choice = c;
	v->has_ts = b->has_ts;
	v->ts = b->has_ts ? b->ts : 0;
	v->has_id = b->has_id;
	if (b->has_id)
		memcpy(v->id, bid, ID_BYTES);
	else
		memset(v->id, 0, ID_BYTES);
}

/* move: v now votes c (from b), moving the counts. The poll's result
 * changes (version, updated) whether or not the choice did: what a
 * result that hides its counts shows must not tell whether the ballot
 * replaced had the same choice. */
static void move(struct poll *p, struct vote *v, const struct ballot *b, const unsigned char *bid,
		 struct choice *c, int64_t now_ms)
{
	struct choice *old = (struct choice *)v->choice;

	vote_set(v, b, bid, c);
	old->count--;
	c->count++;
	changed(p, now_ms);
}

static void set_outcome(struct tally_outcome *out, enum tally_status status, const char *reason)
{
	out->status = status;
	snprintf(out->reason, sizeof(out->reason), "%s", reason);
}

int tally_apply(struct tally *t, const struct ballot *b, int64_t now_ms, struct tally_outcome *out,
		char *err, size_t errlen)
{
	unsigned char bid[ID_BYTES] = { 0 };
	char key[ANSWER_KEY_MAX];
	struct poll *p = poll_get(t, b->poll, now_ms);
	struct choice *c;
	struct vote *v;
	void *found;
	long ci;
	size_t len;
	int d;

	if (!p)
		goto oom;
	if (b->has_id)
		id_to_bytes(b->id, bid);
	/* the answer's key (answer.h): a single choice's is the choice */
	answer_key(b, key);
	ci = choice_find(p, key);
	c = ci >= 0 ? p->choices[ci] : choice_add(p, key);
	if (!c)
		goto oom;

	/* one descent of the tree: a new voter's node is made with the
	 * ballot's own text as its key, then given the vote's (equal, so the
	 * tree's order holds) */
	found = tsearch(b->voter, &p->voters, cmp_str);
	if (!found)
		goto oom;
	if (*(const char **)found == b->voter) {
		len = strlen(b->voter);
		v = arena_alloc(t->votes, sizeof(*v) + len + 1);
		if (!v) {
			tdelete(b->voter, &p->voters, cmp_str);
			goto oom;
		}
		memcpy(v->voter, b->voter, len + 1);
		*(char **)found = v->voter;
		vote_set(v, b, bid, c);
		c->count++;
		p->total++;
		changed(p, now_ms);
		set_outcome(out, TALLY_COUNTED, "");
		return 0;
	}
	v = CONTAINER(*(char **)found, struct vote, voter);
	d = order(b, bid, c, v);
	if (d == 0) {
		set_outcome(out, TALLY_DUPLICATE, "");
		return 0;
	}
	if (p->revote >= 0 ? p->revote : t->revote) {
		if (d < 0) {
			set_outcome(out, TALLY_STALE, "");
			return 0;
		}
		move(p, v, b, bid, c, now_ms);
		set_outcome(out, TALLY_REPLACED, "");
		return 0;
	}
	/* revote off: the least ballot stands, and every other ballot of the
	 * voter is refused alike, whatever its choice and the held one's:
	 * nothing shown to its sender (status, reason, rejected, version,
	 * updated) may tell whether the choices match */
	if (d < 0) {
		p->rejected++; /* the displaced ballot is now a later one: refused */
		move(p, v, b, bid, c, now_ms);
		set_outcome(out, TALLY_REPLACED, "");
		return 0;
	}
	p->rejected++;
	changed(p, now_ms);
	set_outcome(out, TALLY_REJECTED, "already voted");
	return 0;
oom:
	snprintf(err, errlen, "out of memory counting a ballot");
	return -1;
}

int tally_reject(struct tally *t, const char *poll, int64_t now_ms, char *err, size_t errlen)
{
	struct poll *p = poll_get(t, poll, now_ms);

	if (!p) {
		snprintf(err, errlen, "out of memory counting a refused ballot");
		return -1;
	}
	p->rejected++;
	changed(p, now_ms);
	return 0;
}

/* restoring: poll, created if needed, for state loaded from a store.
 * Returns it, or NULL with err set when memory runs out. */
static struct poll *restoring(struct tally *t, const char *poll, int64_t updated_ms, char *err, size_t errlen)
{
	struct poll *p = poll_get(t, poll, updated_ms);

	if (!p)
		snprintf(err, errlen, "out of memory restoring a poll");
	return p;
}

int tally_restore_poll(struct tally *t, const char *poll, uint64_t rejected, int64_t updated_ms,
		       char *err, size_t errlen)
{
	struct poll *p = restoring(t, poll, updated_ms, err, errlen);

	if (!p)
		return -1;
	p->rejected = rejected;
	changed(p, updated_ms > p->updated_ms ? updated_ms : p->updated_ms);
	return 0;
}

int tally_restore_updated(struct tally *t, const char *poll, int64_t updated_ms, char *err, size_t errlen)
{
	struct poll *p = restoring(t, poll, updated_ms, err, errlen);

	if (!p)
		return -1;
	if (updated_ms > p->updated_ms)
		changed(p, updated_ms);
	return 0;
}

size_t tally_poll_count(const struct tally *t)
{
	return t->npolls;
}

long tally_poll_find(const struct tally *t, const char *poll)
{
	void *found = tfind(poll, (void *const *)&t->index, cmp_str);

	return found ? (long)CONTAINER(*(char **)found, struct poll, name)->index : -1;
}

const char *tally_poll_name(const struct tally *t, size_t i)
{
	return t->polls[i]->name;
}

uint64_t tally_poll_version(const struct tally *t, size_t i)
{
	return t->polls[i]->version;
}

int64_t tally_poll_updated(const struct tally *t, size_t i)
{
	return t->polls[i]->updated_ms;
}

uint64_t tally_poll_total(const struct tally *t, size_t i)
{
	return t->polls[i]->total;
}

uint64_t tally_poll_rejected(const struct tally *t, size_t i)
{
	return t->polls[i]->rejected;
}

bool tally_poll_has_choice(const struct tally *t, size_t i, const char *choice)
{
	return choice_find(t->polls[i], choice) >= 0;
}

int tally_poll_confusable(struct tally *t, size_t i, const char *choice, const char **like, char *err,
			  size_t errlen)
{
	struct poll *p = t->polls[i];
	char *sk = textrule_skeleton(choice, err, errlen);
	struct choice *c;
	size_t k;
	int rc = -1;

	*like = NULL;
	if (!sk)
		return -1;
	for (k = 0; k < p->nchoices; k++) {
		c = p->choices[k];
		if (!c->skeleton && !(c->skeleton = textrule_skeleton(c->name, err, errlen)))
			goto out;
		if (strcmp(c->skeleton, sk) == 0 && strcmp(c->name, choice) != 0) {
			*like = c->name;
			break;
		}
	}
	rc = 0;
out:
	free(sk);
	return rc;
}

size_t tally_poll_nchoices(const struct tally *t, size_t i)
{
	return t->polls[i]->nchoices;
}

uint64_t tally_poll_choice(const struct tally *t, size_t i, const char *choice)
{
	long ci = choice_find(t->polls[i], choice);

	return ci >= 0 ? t->polls[i]->choices[ci]->count : 0;
}

/* listed: true when name is one of list[0..n). */
static bool listed(char *const *list, size_t n, const char *name)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (strcmp(list[k], name) == 0)
			return true;
	return false;
}

int tally_poll_each_choice(const struct tally *t, size_t i,
			   int (*fn)(void *ctx, const char *choice, uint64_t votes), void *ctx)
{
	const struct poll *p = t->polls[i];
	char *const *order = p->own ? p->own : t->choices;
	size_t n = p->own ? p->nown : t->nchoices, k;
	int rc;

	for (k = 0; k < n; k++)
		if ((rc = fn(ctx, order[k], tally_poll_choice(t, i, order[k]))) != 0)
			return rc;
	for (k = 0; k < p->nchoices; k++)
		if (p->choices[k]->count > 0 && (n == 0 || !listed(order, n, p->choices[k]->name)) &&
		    (rc = fn(ctx, p->choices[k]->name, p->choices[k]->count)) != 0)
			return rc;
	return 0;
}

int tally_poll_each_answer(const struct tally *t, size_t i,
			   int (*fn)(void *ctx, const char *key, uint64_t voters), void *ctx)
{
	const struct poll *p = t->polls[i];
	size_t k;
	int rc;

	for (k = 0; k < p->nchoices; k++)
		if (p->choices[k]->count > 0 && (rc = fn(ctx, p->choices[k]->name, p->choices[k]->count)) != 0)
			return rc;
	return 0;
}

int tally_poll_define(struct tally *t, const char *poll, const struct tally_config *cfg, int64_t now_ms,
		      char *err, size_t errlen)
{
	struct poll *p;
	char **own = NULL;
	size_t n = 0;

	if (tally_config_check(cfg, err, errlen) != 0)
		return -1;
	p = poll_get(t, poll, now_ms);
	own = cfg->nchoices ? calloc(cfg->nchoices, sizeof(*own)) : NULL;
	if (!p || (cfg->nchoices && !own))
		goto oom;
	for (n = 0; n < cfg->nchoices; n++) {
		own[n] = strdup(cfg->choices[n]);
		if (!own[n] || (choice_find(p, own[n]) < 0 && !choice_add(p, own[n])))
			goto oom;
	}
	free_list(p->own, p->nown);
	p->own = own;
	p->nown = n;
	p->revote = cfg->revote;
	changed(p, now_ms);
	return 0;
oom:
	free_list(own, cfg->nchoices); /* calloc'd: those not made yet are NULL */
	snprintf(err, errlen, "out of memory defining a poll");
	return -1;
}
