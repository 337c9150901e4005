/* tally.h -- the counting rules: one vote per voter per poll, revotes, duplicates */
#ifndef MQTTVOTE_TALLY_H
#define MQTTVOTE_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"

struct tally;

/* How a tally counts. choices/nchoices: when nchoices > 0, results list
 * all of them, in this order, with zero votes too, and any other choice
 * after them in byte order when it has votes; otherwise results list the
 * choices with votes in byte order. Which choices a ballot may name is not
 * the tally's rule: the tallier refuses the others before counting.
 * revote: true lets a later ballot replace a voter's earlier one; false
 * keeps the first and refuses later different ones. */
struct tally_config {
	const char *const *choices;
	size_t nchoices;
	bool revote;
};

/* What tally_apply did with a ballot. "Later" and "earlier" are the
 * voter's order of ballots (see tally_apply). */
enum tally_status {
	TALLY_COUNTED,   /* the voter's first ballot on the poll: counted */
	TALLY_REPLACED,  /* it took the place of the voter's ballot: revote on, a later one; off, an earlier one */
	TALLY_DUPLICATE, /* the held ballot again (same ts, id and choice): no change */
	TALLY_STALE,     /* earlier than the ballot held (revote on): superseded, no change */
	TALLY_REJECTED,  /* refused (revote off, a later one, whatever its choice: already voted): counted
			  * in rejected */
};

struct tally_outcome {
	enum tally_status status;
	char reason[96]; /* for TALLY_REJECTED: "already voted" */
};

/* tally_config_check: checks cfg's choices: each valid ballot text
 * (ballot_text_valid), none twice. Returns 0, or -1 with the reason in err
 * ("choice 'yes' given twice"). */
int tally_config_check(const struct tally_config *cfg, char *err, size_t errlen);

/* tally_new: an empty tally counting by *cfg (copied: cfg and its strings
 * may go once this returns). Returns NULL with the reason in err when the
 * configuration is invalid (tally_config_check) or memory runs out. Free
 * with tally_free. */
struct tally *tally_new(const struct tally_config *cfg, char *err, size_t errlen);

/* tally_free: frees t and everything in it. NULL is allowed. */
void tally_free(struct tally *t);

/* tally_apply: counts the validated ballot b at time now_ms (ms since the
 * epoch, recorded as the poll's "updated" when its result changes) and
 * says in *out what it did. The ballot that counts for a voter is, with
 * revote on, the greatest of their ballots and, with revote off, the
 * least, in this order: by ts when both carry ts; for equal ts, when both
 * carry id, by id then choice (bytes), and a ballot equal to the held one
 * in ts, id and choice is the same ballot again (a duplicate); a ballot
 * with id but no ts equal to the held one in id and choice (and without
 * ts too) is a duplicate as well; any other pair is ordered by arrival
 * (the ballot arriving now comes after). So for ballots that all carry ts
 * and id the counts and total are a pure function of the set received,
 * whatever the order and the redeliveries. rejected counts refused
 * deliveries: with revote off, how many depends on the order and on
 * redeliveries of a refused ballot. With revote off every ballot of a
 * voter after the held one, and the held one when an earlier one displaces
 * it, is refused (counted in rejected) whatever its choice: no outcome,
 * count of rejected, version or update time depends on whether its choice
 * is the held ballot's, so that its sender learns nothing of the held
 * choice beyond what the counts show (with revote on, replacing the held
 * ballot changes the version and update time whatever the choices too). The held ballot is what a store
 * keeps (its choice, id and ts): applied alone to a fresh tally, it
 * orders the ballots that follow as before.
 * Returns 0, or -1 with err set when memory runs out (t is then unchanged). */
int tally_apply(struct tally *t, const struct ballot *b, int64_t now_ms, struct tally_outcome *out,
		char *err, size_t errlen);

/* tally_reject: records one refused ballot (bad JSON, bad field, too large)
 * on poll, a valid poll name, creating the poll if needed. Returns 0, or -1
 * with err set when memory runs out. */
int tally_reject(struct tally *t, const char *poll, int64_t now_ms, char *err, size_t errlen);

/* tally_restore_poll: sets poll's rejected count, and its last update (ms
 * since the epoch) to updated_ms when that is later, creating the poll if
 * needed: for state loaded from a store, after its ballots. Returns 0, or
 * -1 with err set when memory runs out. */
int tally_restore_poll(struct tally *t, const char *poll, uint64_t rejected, int64_t updated_ms,
		       char *err, size_t errlen);

/* tally_restore_updated: sets poll's last update to updated_ms when that
 * is later, creating the poll if needed: for state loaded from a store
 * (the latest update recorded with its ballots). Returns 0, or -1 with err
 * set when memory runs out. */
int tally_restore_updated(struct tally *t, const char *poll, int64_t updated_ms, char *err, size_t errlen);

/* tally_poll_each_answer: calls fn(ctx, key, voters) for each answer of
 * poll i that some voters' ballots give now, by its key (answer.h: for a
 * single choice the choice), in byte order of the keys; stops early,
 * returning fn's value, when fn returns non-zero. Returns 0 otherwise.
 * Which choices a multiple poll's voters picked, or which values a
 * scale's voters gave, are counted from these (result.c). */
int tally_poll_each_answer(const struct tally *t, size_t i,
			   int (*fn)(void *ctx, const char *key, uint64_t voters), void *ctx);

/* tally_poll_define: poll (created when absent, with no voter) counts by
 * its own *cfg from now on: its results list cfg's choices (none: the
 * tally's), and cfg->revote is its rule, whatever the tally's. Ballots
 * already counted stay. Returns 0, or -1 with err set (invalid choices,
 * out of memory: then the poll may exist, with its earlier rules). */
int tally_poll_define(struct tally *t, const char *poll, const struct tally_config *cfg, int64_t now_ms,
		      char *err, size_t errlen);

/* tally_poll_count: the number of polls seen. Polls are numbered 0..n-1 in
 * the order they were first seen, and keep their number. */
size_t tally_poll_count(const struct tally *t);

/* tally_poll_find: the number of poll, or -1 when it was never seen. */
long tally_poll_find(const struct tally *t, const char *poll);

/* tally_poll_name: the name of poll i (< tally_poll_count), owned by t. */
const char *tally_poll_name(const struct tally *t, size_t i);

/* tally_poll_version: a number that grows each time poll i's result
 * (counts, total, rejected) changes; starts at 1 when the poll is created. */
uint64_t tally_poll_version(const struct tally *t, size_t i);

/* tally_poll_total: voters counted on poll i. */
uint64_t tally_poll_total(const struct tally *t, size_t i);

/* tally_poll_rejected: ballots refused on poll i. */
uint64_t tally_poll_rejected(const struct tally *t, size_t i);

/* tally_poll_updated: when poll i's result last changed (ms since the epoch). */
int64_t tally_poll_updated(const struct tally *t, size_t i);

/* tally_poll_has_choice: true when poll i has seen choice (even if its
 * votes have moved away since). */
bool tally_poll_has_choice(const struct tally *t, size_t i, const char *choice);

/* tally_poll_confusable: the choice of poll i (seen, as for
 * tally_poll_has_choice) that choice is confusable with (equal TR 39
 * skeletons, textrule_skeleton) without being it, into *like (owned by t,
 * valid until t changes), or NULL when there is none. Each choice's
 * skeleton is made once and kept. Returns 0, or -1 with err set when ICU
 * or memory fails. */
int tally_poll_confusable(struct tally *t, size_t i, const char *choice, const char **like, char *err,
			  size_t errlen);

/* tally_poll_nchoices: how many different choices poll i has seen. */
size_t tally_poll_nchoices(const struct tally *t, size_t i);

/* tally_poll_choice: votes for choice on poll i (0 when never seen). */
uint64_t tally_poll_choice(const struct tally *t, size_t i, const char *choice);

/* tally_poll_each_choice: calls fn(ctx, choice, votes) for each choice
 * of poll i in result order (see struct tally_config); stops early,
 * returning fn's value, when fn returns non-zero. Returns 0 otherwise. */
int tally_poll_each_choice(const struct tally *t, size_t i,
			   int (*fn)(void *ctx, const char *choice, uint64_t votes), void *ctx);

#endif
