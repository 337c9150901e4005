/* store.h -- the tallier's durable state in SQLite: the ballot that counts per (poll, voter) */
#ifndef MQTTVOTE_STORE_H
#define MQTTVOTE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"

#define STORE_SCHEMA 5 /* the schema this code writes (PRAGMA user_version); 1 to 4 are upgraded */

struct polldef;

struct store;

/* How hard a commit is pushed to disk. NORMAL (WAL, synchronous=NORMAL):
 * a commit survives the process being killed; FULL (synchronous=FULL): it
 * survives power loss too, at an fsync per commit. */
enum store_sync { STORE_SYNC_NORMAL, STORE_SYNC_FULL };

/* What store_open is for. */
enum store_mode {
	STORE_WRITER, /* the tallier: creates the database, locks it */
	STORE_READER, /* export and recount: read only, no lock, never creates */
};

/* store_open: opens the database at path (creating it, schema
 * STORE_SCHEMA, for STORE_WRITER; a writer upgrades a database of schema
 * 1 to 4 in place, a reader reads it as it is). A writer holds an
 * exclusive lock (flock) on the file until store_close, so a second
 * tallier on the same database, by any path or link, gets an error.
 * Refuses, leaving the file untouched, a database of a newer schema or
 * one that is not an SQLite database. A writer does not checkpoint its
 * WAL in its commits unless it grows past a hard limit: its owner calls
 * store_checkpoint from another thread when store_checkpoint_due says.
 * Returns the store, or NULL with the reason in err. */
struct store *store_open(const char *path, enum store_mode mode, enum store_sync sync, char *err,
			 size_t errlen);

/* store_close: closes s (and releases its lock). NULL is allowed. */
void store_close(struct store *s);

/* store_save: in one transaction, makes b (when not NULL) the ballot that
 * counts for (b->poll, b->voter), recording updated_ms (poll's last
 * update) with it, and, when poll_row, records poll's rejected count and
 * last update in its own row. The caller passes poll_row when the
 * rejected count changed or b is NULL: a poll's last update, when loaded,
 * is the latest of its row's and its ballots' (with neither b nor
 * poll_row nothing is written). Refuses to write when the database's path
 * no longer names the file the store opened (deleted, moved or replaced).
 * Returns 0 once committed, or -1 with err set (then nothing of it is
 * stored). The writer's connection is used by one thread at a time (the
 * tallier's core serialises it). */
int store_save(struct store *s, const struct ballot *b, const char *poll, bool poll_row, uint64_t rejected,
	       int64_t updated_ms, char *err, size_t errlen);

/* store_checkpoint_due: whether the WAL has grown enough for
 * store_checkpoint to be called: once it holds STORE_WAL_CHECKPOINT frames,
 * and, while it does not start again, once per half as many more (so a
 * checkpoint that could not end it is not asked for at every commit). On
 * the thread that calls store_save (it reads what the last commit left). */
bool store_checkpoint_due(struct store *s);

/* store_checkpoint: copies the WAL's pages into the database (a passive
 * checkpoint: it copies what no reader still needs and never waits; and
 * when the WAL has grown past twice the threshold, a restart checkpoint
 * that makes the writer's next commit start it again, waiting a moment
 * for the writer's lock), on a connection of its own, opened at the first
 * call. Called from one thread only, which may run alongside another's
 * store_save. Returns 0, or -1 with err set (the next call tries again). */
int store_checkpoint(struct store *s, char *err, size_t errlen);

/* store_client_id: the MQTT client id kept in the database (table
 * settings): prefix and 32 random hex digits, made and committed at the
 * first call on a database, the same ever after. Writes it into buf.
 * Returns 0, or -1 with err set (also when buf is too small). */
int store_client_id(struct store *s, const char *prefix, char *buf, size_t size, char *err, size_t errlen);

/* store_save_def: commits d, the definition and state of d->poll
 * (replacing what was stored), and in the same transaction d->instance
 * when the poll has no instance stored yet (an instance never changes).
 * Returns 0 once committed, or -1 with err set. */
int store_save_def(struct store *s, const struct polldef *d, char *err, size_t errlen);

/* store_put_instance: commits instance (32 lower-case hex) as poll's
 * instance, unless it has one already (kept: an instance never changes).
 * Returns 0 once committed, or -1 with err set. */
int store_put_instance(struct store *s, const char *poll, const char *instance, char *err, size_t errlen);

/* store_each_instance: calls fn with each stored (poll, instance), ordered
 * by poll (none for a reader of a database older than schema 4); stops
 * early, returning fn's value, when fn returns non-zero. Returns 0, or -1
 * with err set. */
int store_each_instance(struct store *s, int (*fn)(void *ctx, const char *poll, const char *instance), void *ctx,
			char *err, size_t errlen);

/* store_each_def: calls fn with each stored definition, ordered by poll;
 * stops early, returning fn's value, when fn returns non-zero. Returns 0,
 * or -1 with err set (a damaged row too). */
int store_each_def(struct store *s, int (*fn)(void *ctx, const struct polldef *d), void *ctx, char *err,
		   size_t errlen);

/* store_each_poll: calls fn with each stored poll row's rejected count
 * and last update (ms since the epoch), ordered by poll; stops early,
 * returning fn's value, when fn returns non-zero. A poll whose rejected
 * count never changed has no row: its ballots make it. Returns 0, or -1
 * with err set. */
int store_each_poll(struct store *s, int (*fn)(void *ctx, const char *poll, uint64_t rejected, int64_t updated_ms),
		    void *ctx, char *err, size_t errlen);

/* store_each_ballot: calls fn for each stored ballot of poll (every poll
 * when NULL), ordered by poll then voter, with the poll's last update
 * recorded with it (0 for rows stored before schema 3); stops early,
 * returning fn's value, when fn returns non-zero. Returns 0, or -1 with err
 * set. */
int store_each_ballot(struct store *s, const char *poll,
		      int (*fn)(void *ctx, const struct ballot *b, int64_t at_ms), void *ctx, char *err,
		      size_t errlen);

/* store_each_count: calls fn with each (poll, choice, votes) counted
 * directly by SQL (GROUP BY), an independent path for audits, and once
 * per poll, before its choices, with choice NULL and votes the poll's
 * rejected count; ordered by poll then choice. Same return rules as
 * store_each_ballot. */
int store_each_count(struct store *s, int (*fn)(void *ctx, const char *poll, const char *choice,
						 uint64_t votes),
		     void *ctx, char *err, size_t errlen);

#endif
