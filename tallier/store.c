/* store.c -- the tallier's durable state in SQLite: the ballot that counts per (poll, voter) */
#include "store.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "answer.h"
#include "polldef.h"

/* Counts are never stored: they are derived from the ballot rows when the
 * store is loaded, so they cannot drift from them. */
static const char schema[] =
	"CREATE TABLE IF NOT EXISTS polls ("
	" poll TEXT PRIMARY KEY,"
	" rejected INTEGER NOT NULL DEFAULT 0,"
	" updated_ms INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS ballots ("
	" poll TEXT NOT NULL,"
	" voter TEXT NOT NULL,"
	" choice TEXT NOT NULL,"
	" id TEXT,"          /* NULL when the ballot had none */
	" ts INTEGER,"       /* NULL when the ballot had none */
	" at_ms INTEGER,"    /* its poll's last update when it was stored (schema 3; NULL before) */
	" PRIMARY KEY (poll, voter)"
	") WITHOUT ROWID;";

/* Schema 2: polls an organiser defined (or closed), and their state. An
 * older database gets this table, and nothing else changes. Schema 3:
 * each ballot row carries its poll's last update (at_ms), so that a
 * ballot that changes no other count writes one row, not two: the polls
 * row is written only when the rejected count changes, and a poll's last
 * update is the latest of its row's and its ballots'. */
static const char polldefs_sql[] =
	"CREATE TABLE IF NOT EXISTS polldefs ("
	" poll TEXT PRIMARY KEY,"
	" defined INTEGER NOT NULL,"
	" question TEXT NOT NULL,"
	" choices TEXT NOT NULL,"    /* one per line (a choice holds no control character) */
	" opens_ms INTEGER NOT NULL,"
	" closes_ms INTEGER NOT NULL," /* 0: by hand only */
	" results TEXT NOT NULL,"
	" revote INTEGER NOT NULL,"
	" roll TEXT NOT NULL,"         /* its roll file's path, '' when none */
	" status TEXT NOT NULL,"
	" closed_ms INTEGER NOT NULL"
	") WITHOUT ROWID;";

static const char at_ms_sql[] = "ALTER TABLE ballots ADD COLUMN at_ms INTEGER";

/* Schema 4: each poll's instance, which signed ballots bind (sign.h): 32
 * hex digits of getrandom, made by the tallier when the poll comes to
 * exist (defined, or at the first start that finds it without one, which
 * is how the polls of an upgraded database get theirs). */
static const char instances_sql[] =
	"CREATE TABLE IF NOT EXISTS instances ("
	" poll TEXT PRIMARY KEY,"
	" instance TEXT NOT NULL"
	") WITHOUT ROWID;";

/* Schema 5: the question kinds (pollkind.h). A poll's definition keeps
 * its kind and parameters (an older row: single, and the parameters of
 * no other kind); a ballot row its kind (NULL: single, as every older
 * row) and, in choice, its answer's key (answer.h): the choice of a
 * single one, as before; the picks of a multiple one, in byte order, one
 * per line; a scale's value in decimal. */
static const char kinds_sql[] =
	"ALTER TABLE ballots ADD COLUMN kind TEXT;"
	"ALTER TABLE polldefs ADD COLUMN kind TEXT NOT NULL DEFAULT 'single';"
	"ALTER TABLE polldefs ADD COLUMN min_picks INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE polldefs ADD COLUMN max_picks INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE polldefs ADD COLUMN full INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE polldefs ADD COLUMN low INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE polldefs ADD COLUMN high INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE polldefs ADD COLUMN low_label TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE polldefs ADD COLUMN high_label TEXT NOT NULL DEFAULT '';";

static const char put_ballot_sql[] =
	"INSERT INTO ballots (poll, voter, choice, id, ts, at_ms, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	" ON CONFLICT (poll, voter) DO UPDATE SET choice = ?3, id = ?4, ts = ?5, at_ms = ?6, kind = ?7";

static const char put_poll_sql[] =
	"INSERT INTO polls (poll, rejected, updated_ms) VALUES (?1, ?2, ?3)"
	" ON CONFLICT (poll) DO UPDATE SET rejected = ?2, updated_ms = ?3";

/* Checkpoints: copying the WAL's pages into the database, with an fsync
 * of the WAL before and of the database after. SQLite's own automatic
 * checkpoint runs them on the writer's thread, inside the commit that
 * crossed 1,000 frames: that commit took 6 ms instead of 0.03 (measured
 * with this schema), and the ballots behind it waited: that made the
 * receipts' p99. Here they run on the caller's other thread
 * (store_checkpoint), asked for once the WAL holds STORE_WAL_CHECKPOINT
 * frames: a passive checkpoint copies the bulk while the writer goes on
 * (the writer's next transaction starts the WAL again when all was
 * copied); when the WAL has grown past twice that (the writer kept adding:
 * a passive checkpoint cannot end the WAL then), a restart checkpoint
 * copies the frames added meanwhile and has the writer's next transaction
 * start the WAL again, holding the writer for that moment only. The WAL
 * file keeps its size, so the writer overwrites it rather than extending
 * it (as after a truncating checkpoint); STORE_WAL_KEEP bounds what it
 * keeps after a burst. Past STORE_WAL_HARD (the other thread not keeping
 * up) the writer checkpoints itself, as SQLite would. */
#define STORE_WAL_CHECKPOINT 1000
#define STORE_WAL_HARD 20000
#define STORE_WAL_KEEP "16777216" /* bytes (journal_size_limit); a steady stream needs about 10 MB */
/* The writer's waits for a lock the checkpointer holds: STORE_BUSY_FINE of
 * 50 us, then STORE_BUSY_MS of 1 ms. */
#define STORE_BUSY_FINE 2000
#define STORE_BUSY_MS 10000
#define STORE_CKPT_TRIES 20   /* the checkpointer's, 100 us apart, for the writer's lock or a reader */

struct store {
	sqlite3 *db;
	sqlite3_stmt *put_ballot, *put_poll, *begin, *commit, *rollback;
	int schema;            /* the database's schema (a reader's may be older) */
	int wal_frames;        /* the WAL's frames after the last commit; the writer's thread's */
	int asked_at;          /* wal_frames when store_checkpoint_due last said yes; the writer's thread's */
	sqlite3 *ckpt;         /* the checkpointer's connection; store_checkpoint's thread's */
	bool full_sync;
	int lock_fd;
	dev_t dev;             /* the database file's identity, taken when it was locked */
	ino_t ino;
	char path[4096];
};

static void db_err(struct store *s, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s %s: %s", what, s->path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
}

/* take_lock: an exclusive flock on the database file itself (created
 * empty if absent, which SQLite takes for a new database), kept while the
 * store is open: a second tallier on the same file, by whatever path or
 * link, is refused, while readers (export, recount) may read. flock and
 * SQLite's fcntl locks do not interfere; the descriptor is closed only
 * after SQLite has closed the database, since closing any descriptor of a
 * file drops the process's fcntl locks on it. */
static int take_lock(struct store *s, char *err, size_t errlen)
{
	struct stat st;

	/* 0600: the ballots, and the client id that guards the tallier's
	 * session, are the tallier's alone (SQLite gives its -wal and -shm
	 * files the database's mode) */
	s->lock_fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", s->path, strerror(errno));
		return -1;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			snprintf(err, errlen, "%s is in use by another tallier", s->path);
		else
			snprintf(err, errlen, "cannot lock %s: %s", s->path, strerror(errno));
		return -1;
	}
	if (fstat(s->lock_fd, &st) != 0) {
		snprintf(err, errlen, "cannot read %s: %s", s->path, strerror(errno));
		return -1;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return 0;
}

/* still_there: whether path still names the file the store locked. A
 * database deleted or replaced while the tallier runs would take commits
 * into a file that the next start never sees: every earlier voter
 * forgotten. One stat(2) per commit. Returns 0, or -1 with err set. */
static int still_there(struct store *s, char *err, size_t errlen)
{
	struct stat st;

	if (stat(s->path, &st) != 0) {
		snprintf(err, errlen, "the database %s is gone (%s): it was deleted or moved while the tallier ran",
			 s->path, strerror(errno));
		return -1;
	}
	if (st.st_dev != s->dev || st.st_ino != s->ino) {
		snprintf(err, errlen, "the database %s was replaced by another file while the tallier ran",
			 s->path);
		return -1;
	}
	return 0;
}

static int exec(struct store *s, const char *sql, const char *what, char *err, size_t errlen)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		db_err(s, what, err, errlen);
		return -1;
	}
	return 0;
}

/* migrate: in one transaction, brings a database of schema from (0: a new,
 * empty one) to STORE_SCHEMA: the tables a schema lacks, the at_ms column
 * that schemas 1 and 2 lack, the kinds' columns that schemas 1 to 4 lack,
 * then the version. Returns 0, or -1 with err
 * set (rolled back). */
static int migrate(struct store *s, int from, char *err, size_t errlen)
{
	const char *what = from == 0 ? "cannot create the tables in" : "cannot upgrade";
	char version_sql[40];

	assert(from >= 0 && from < STORE_SCHEMA);
	snprintf(version_sql, sizeof(version_sql), "PRAGMA user_version = %d", STORE_SCHEMA);
	if (exec(s, "BEGIN IMMEDIATE", "cannot write", err, errlen) != 0)
		return -1;
	if ((from == 0 && exec(s, schema, what, err, errlen) != 0) ||
	    (from <= 1 && exec(s, polldefs_sql, what, err, errlen) != 0) ||
	    ((from == 1 || from == 2) && exec(s, at_ms_sql, what, err, errlen) != 0) ||
	    (from <= 3 && exec(s, instances_sql, what, err, errlen) != 0) ||
	    (from <= 4 && exec(s, kinds_sql, what, err, errlen) != 0) ||
	    exec(s, version_sql, "cannot write", err, errlen) != 0 ||
	    exec(s, "COMMIT", "cannot write", err, errlen) != 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	s->schema = STORE_SCHEMA;
	return 0;
}

/* check_schema: refuses a newer schema; creates ours in an empty database. */
static int check_schema(struct store *s, enum store_mode mode, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int version = -1, rc = -1;

	/* the first read: this is where a file that is no database fails */
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		db_err(s, "cannot read", err, errlen);
		goto out;
	}
	version = sqlite3_column_int(st, 0);
	if (version > STORE_SCHEMA) {
		snprintf(err, errlen, "%s was written by a newer mqtt-vote (schema %d; this one knows %d): "
				      "left untouched", s->path, version, STORE_SCHEMA);
		goto out;
	}
	if (version == STORE_SCHEMA || (version >= 1 && version < STORE_SCHEMA && mode == STORE_READER)) {
		/* a reader of schema 1 finds no definitions, of 1 and 2 no at_ms, of 1 to 3 no instances,
		 * of 1 to 4 no kinds (every poll single) */
		s->schema = version;
		rc = 0;
		goto out;
	}
	if (version >= 1 && version < STORE_SCHEMA) {
		/* upgrade in place: the ballots stay as they are (at_ms NULL) */
		rc = migrate(s, version, err, errlen);
		goto out;
	}
	if (mode == STORE_READER) {
		snprintf(err, errlen, "%s holds no tally (schema %d)", s->path, version);
		goto out;
	}
	if (version == 0) {
		sqlite3_stmt *tables = NULL;
		int n = -1;

		/* version 0 and no tables is a new database; with tables, someone else's */
		if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master", -1, &tables, NULL) ==
			    SQLITE_OK &&
		    sqlite3_step(tables) == SQLITE_ROW)
			n = sqlite3_column_int(tables, 0);
		sqlite3_finalize(tables);
		if (n != 0) {
			snprintf(err, errlen, "%s is an SQLite database but not a tally: left untouched", s->path);
			goto out;
		}
	}
	rc = migrate(s, 0, err, errlen);
out:
	sqlite3_finalize(st);
	return rc;
}

static int prepare(struct store *s, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
		db_err(s, "cannot prepare a statement on", err, errlen);
		return -1;
	}
	return 0;
}

/* sync_sql: the synchronous setting for full (--sync full) or not; the
 * writer's and the checkpointer's connections both take it (a checkpoint
 * syncs as the commits do). */
static const char *sync_sql(bool full)
{
	return full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
}

/* wal_hook: after each commit, on the writer's thread, with the WAL's
 * frame count. Checkpoints only past STORE_WAL_HARD. */
static int wal_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
	struct store *s = ctx;

	s->wal_frames = frames;
	/* a failure leaves the frames in the WAL, where they are safe: the
	 * next checkpoint copies them */
	if (frames >= STORE_WAL_HARD)
		(void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/* writer_busy: the writer's busy handler: waits 50 us at a time for
 * STORE_BUSY_FINE tries (the checkpointer holds the writer's lock for a
 * millisecond or two: SQLite's own busy timeout would sleep 1, then 2,
 * then 5 ms), then 1 ms at a time, STORE_BUSY_MS in all. */
static int writer_busy(void *ctx, int tries)
{
	(void)ctx;
	if (tries >= STORE_BUSY_FINE + STORE_BUSY_MS)
		return 0;
	usleep(tries < STORE_BUSY_FINE ? 50 : 1000);
	return 1;
}

/* ckpt_busy: the checkpointer's busy handler: a few short waits, for the
 * writer's lock between two commits or for a reader to finish, then
 * gives up (the next checkpoint tries again). It holds the writer's lock
 * while it waits for a reader: this bounds that too. */
static int ckpt_busy(void *ctx, int tries)
{
	(void)ctx;
	if (tries >= STORE_CKPT_TRIES)
		return 0;
	usleep(100);
	return 1;
}

/* finalize_statements: s's prepared statements (NULL ones too: a no-op). */
static void finalize_statements(struct store *s)
{
	sqlite3_stmt *stmts[] = { s->put_ballot, s->put_poll, s->begin, s->commit, s->rollback };
	size_t k;

	for (k = 0; k < sizeof(stmts) / sizeof(stmts[0]); k++)
		sqlite3_finalize(stmts[k]);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	sqlite3_close(s->ckpt);
	finalize_statements(s);
	sqlite3_close(s->db);
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* releases the flock */
	free(s);
}

struct store *store_open(const char *path, enum store_mode mode, enum store_sync sync, char *err,
			 size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	int flags = mode == STORE_WRITER ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->lock_fd = -1;
	if (snprintf(s->path, sizeof(s->path), "%s", path) >= (int)sizeof(s->path)) {
		snprintf(err, errlen, "database path too long");
		goto fail;
	}
	if (mode == STORE_WRITER && take_lock(s, err, errlen) != 0)
		goto fail;
	if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		db_err(s, "cannot open", err, errlen);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* the checkpointer's connection (store_checkpoint) holds some of the
	 * WAL's locks for moments: the writer waits for them rather than
	 * failing a commit */
	sqlite3_busy_handler(s->db, writer_busy, NULL);
	if (check_schema(s, mode, err, errlen) != 0)
		goto fail;
	if (mode == STORE_READER)
		return s;
	s->full_sync = sync == STORE_SYNC_FULL;
	if (exec(s, "PRAGMA journal_mode = WAL", "cannot set WAL mode on", err, errlen) != 0 ||
	    exec(s, sync_sql(s->full_sync), "cannot set synchronous on", err, errlen) != 0 ||
	    exec(s, "PRAGMA journal_size_limit = " STORE_WAL_KEEP, "cannot limit the WAL of", err, errlen) != 0 ||
	    prepare(s, put_ballot_sql, &s->put_ballot, err, errlen) != 0 ||
	    prepare(s, put_poll_sql, &s->put_poll, err, errlen) != 0 ||
	    prepare(s, "BEGIN IMMEDIATE", &s->begin, err, errlen) != 0 ||
	    prepare(s, "COMMIT", &s->commit, err, errlen) != 0 ||
	    prepare(s, "ROLLBACK", &s->rollback, err, errlen) != 0)
		goto fail;
	sqlite3_wal_hook(s->db, wal_hook, s); /* replaces SQLite's automatic checkpoint */
	return s;
fail:
	store_close(s);
	return NULL;
}

/* The settings table came after schema 1 was fixed; older databases get
 * it at the first call, and older talliers ignore it. */
static const char settings_sql[] =
	"CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID";

int store_client_id(struct store *s, const char *prefix, char *buf, size_t size, char *err, size_t errlen)
{
	char fresh[BALLOT_ID_HEX + 1], id[TOPIC_MAX];
	sqlite3_stmt *st = NULL;
	const unsigned char *got;
	int rc = -1;

	if (still_there(s, err, errlen) != 0 || ballot_new_id(fresh, err, errlen) != 0)
		goto out;
	snprintf(id, sizeof(id), "%s%s", prefix, fresh);
	if (exec(s, settings_sql, "cannot write", err, errlen) != 0)
		goto out;
	if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO settings (name, value) VALUES ('client_id', ?1)", -1,
			       &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		db_err(s, "cannot write", err, errlen);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM settings WHERE name = 'client_id'", -1, &st, NULL) !=
		    SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || !(got = sqlite3_column_text(st, 0))) {
		db_err(s, "cannot read", err, errlen);
		goto out;
	}
	if (snprintf(buf, size, "%s", (const char *)got) >= (int)size) {
		snprintf(err, errlen, "the client id stored in %s is too long", s->path);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

bool store_checkpoint_due(struct store *s)
{
	/* once asked, again only when half as many frames more have come, or
	 * the WAL started again (a checkpoint the writer or a reader held up
	 * is not retried at every commit) */
	if (s->wal_frames < STORE_WAL_CHECKPOINT ||
	    (s->wal_frames >= s->asked_at && s->wal_frames - s->asked_at < STORE_WAL_CHECKPOINT / 2))
		return false;
	s->asked_at = s->wal_frames;
	return true;
}

int store_checkpoint(struct store *s, char *err, size_t errlen)
{
	int rc = -1, got, log = 0;

	if (!s->ckpt) {
		if (sqlite3_open_v2(s->path, &s->ckpt, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
		    sqlite3_exec(s->ckpt, sync_sql(s->full_sync), NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "cannot open %s to checkpoint it: %s", s->path,
				 s->ckpt ? sqlite3_errmsg(s->ckpt) : "out of memory");
			goto out;
		}
		sqlite3_busy_handler(s->ckpt, ckpt_busy, NULL);
	}
	/* passive: copies what no reader still needs, never waits, never
	 * holds up the writer */
	got = sqlite3_wal_checkpoint_v2(s->ckpt, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, NULL);
	/* a WAL past twice the threshold is one that earlier checkpoints did
	 * not end (at a light load the writer's next transaction starts it
	 * again; a steady stream never lets it): copy the frames added
	 * meanwhile and make the writer start it again (busy: the writer's
	 * lock or a reader's snapshot was not free within the tries; a later
	 * checkpoint does it) */
	if (got == SQLITE_OK && log >= 2 * STORE_WAL_CHECKPOINT)
		got = sqlite3_wal_checkpoint_v2(s->ckpt, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
	if (got != SQLITE_OK && (got & 0xff) != SQLITE_BUSY) {
		snprintf(err, errlen, "cannot checkpoint %s: %s", s->path, sqlite3_errmsg(s->ckpt));
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		sqlite3_close(s->ckpt);
		s->ckpt = NULL;
	}
	return rc;
}

/* run: steps a statement that returns no rows, then resets it. */
static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_save(struct store *s, const struct ballot *b, const char *poll, bool poll_row, uint64_t rejected,
	       int64_t updated_ms, char *err, size_t errlen)
{
	char key[ANSWER_KEY_MAX];

	if (!b && !poll_row)
		return 0;
	if (still_there(s, err, errlen) != 0)
		return -1;
	if (run(s->begin) != 0) {
		db_err(s, "cannot write to", err, errlen);
		return -1;
	}
	if (b) {
		answer_key(b, key);
		if (sqlite3_bind_text(s->put_ballot, 1, b->poll, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(s->put_ballot, 2, b->voter, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(s->put_ballot, 3, key, -1, SQLITE_STATIC) != SQLITE_OK ||
		    (b->kind == POLLDEF_SINGLE ? sqlite3_bind_null(s->put_ballot, 7)
					       : sqlite3_bind_text(s->put_ballot, 7, polldef_kind_word(b->kind), -1,
								   SQLITE_STATIC)) != SQLITE_OK ||
		    (b->has_id ? sqlite3_bind_text(s->put_ballot, 4, b->id, -1, SQLITE_STATIC)
			       : sqlite3_bind_null(s->put_ballot, 4)) != SQLITE_OK ||
		    (b->has_ts ? sqlite3_bind_int64(s->put_ballot, 5, b->ts)
			       : sqlite3_bind_null(s->put_ballot, 5)) != SQLITE_OK ||
		    sqlite3_bind_int64(s->put_ballot, 6, updated_ms) != SQLITE_OK || run(s->put_ballot) != 0)
			goto fail;
	}
	if (poll_row && (sqlite3_bind_text(s->put_poll, 1, poll, -1, SQLITE_STATIC) != SQLITE_OK ||
			 sqlite3_bind_int64(s->put_poll, 2, (sqlite3_int64)rejected) != SQLITE_OK ||
			 sqlite3_bind_int64(s->put_poll, 3, updated_ms) != SQLITE_OK || run(s->put_poll) != 0))
		goto fail;
	if (run(s->commit) != 0)
		goto fail;
	return 0;
fail:
	db_err(s, "cannot write to", err, errlen);
	(void)run(s->rollback);
	return -1;
}

/* column_text: column col of st's row into buf (size bytes), cut to fit
 * (memcpy, not snprintf: this runs for every ballot loaded at start). */
static void column_text(sqlite3_stmt *st, int col, char *buf, size_t size)
{
	const unsigned char *text = sqlite3_column_text(st, col);
	size_t len = text ? (size_t)sqlite3_column_bytes(st, col) : 0;

	if (len >= size)
		len = size - 1;
	if (len)
		memcpy(buf, text, len);
	buf[len] = '\0';
}

/* row_ballot: the ballot of a row (poll, voter, choice, id, ts, at_ms,
 * kind). Returns 0, or -1 when its kind or answer is none this tallier
 * knows (a damaged row). */
static int row_ballot(sqlite3_stmt *st, struct ballot *b)
{
	enum polldef_kind kind = POLLDEF_SINGLE;
	const char *word = (const char *)sqlite3_column_text(st, 6);
	const char *key = (const char *)sqlite3_column_text(st, 2);

	memset(b, 0, sizeof(*b));
	column_text(st, 0, b->poll, sizeof(b->poll));
	column_text(st, 1, b->voter, sizeof(b->voter));
	if ((word && polldef_parse_kind(word, &kind) != 0) || answer_from_key(b, kind, key ? key : "") != 0)
		return -1;
	if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
		column_text(st, 3, b->id, sizeof(b->id));
		b->has_id = true;
	}
	if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
		b->ts = sqlite3_column_int64(st, 4);
		b->has_ts = true;
	}
	return 0;
}

/* each_row: steps st (prepared from sql with its first parameter bound to
 * param when not NULL) and calls row for each row; stops early returning
 * row's non-zero value. Finalizes st. Returns 0, or -1 with err set. */
static int each_row(struct store *s, const char *sql, const char *param,
		   int (*row)(void *ctx, sqlite3_stmt *st), void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = -1, step;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    (param && sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC) != SQLITE_OK)) {
		db_err(s, "cannot read", err, errlen);
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = row(ctx, st)) != 0)
			goto out;
	if (step != SQLITE_DONE) {
		db_err(s, "cannot read", err, errlen);
		rc = -1;
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

struct ballot_fn {
	int (*fn)(void *ctx, const struct ballot *b, int64_t at_ms);
	void *ctx;
	char *err;
	size_t errlen;
};

static int ballot_row(void *ctx, sqlite3_stmt *st)
{
	struct ballot_fn *f = ctx;
	struct ballot b;

	if (row_ballot(st, &b) != 0) {
		snprintf(f->err, f->errlen, "the ballot of '%s' on poll '%s' is damaged", b.voter, b.poll);
		return -1;
	}
	return f->fn(f->ctx, &b, sqlite3_column_int64(st, 5)); /* NULL: 0 */
}

int store_each_ballot(struct store *s, const char *poll, int (*fn)(void *ctx, const struct ballot *b, int64_t at_ms),
		      void *ctx, char *err, size_t errlen)
{
	struct ballot_fn f = { fn, ctx, err, errlen };
	char sql[160];

	/* at_ms since schema 3, kind since schema 5: NULL before */
	snprintf(sql, sizeof(sql), "SELECT poll, voter, choice, id, ts, %s, %s FROM ballots%s", s->schema >= 3 ? "at_ms" : "NULL",
		 s->schema >= 5 ? "kind" : "NULL", poll ? " WHERE poll = ?1 ORDER BY voter" : " ORDER BY poll, voter");
	return each_row(s, sql, poll, ballot_row, &f, err, errlen);
}

struct poll_fn {
	int (*fn)(void *ctx, const char *poll, uint64_t rejected, int64_t updated_ms);
	void *ctx;
};

static int poll_row(void *ctx, sqlite3_stmt *st)
{
	struct poll_fn *f = ctx;

	return f->fn(f->ctx, (const char *)sqlite3_column_text(st, 0), (uint64_t)sqlite3_column_int64(st, 1),
		     sqlite3_column_int64(st, 2));
}

int store_each_poll(struct store *s, int (*fn)(void *ctx, const char *poll, uint64_t rejected, int64_t updated_ms),
		    void *ctx, char *err, size_t errlen)
{
	struct poll_fn f = { fn, ctx };

	return each_row(s, "SELECT poll, rejected, updated_ms FROM polls ORDER BY poll", NULL, poll_row, &f, err,
			errlen);
}

struct count_fn {
	int (*fn)(void *ctx, const char *poll, const char *choice, uint64_t votes);
	void *ctx;
};

static int count_row(void *ctx, sqlite3_stmt *st)
{
	struct count_fn *f = ctx;

	return f->fn(f->ctx, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
		     (uint64_t)sqlite3_column_int64(st, 2));
}

int store_each_count(struct store *s, int (*fn)(void *ctx, const char *poll, const char *choice,
						 uint64_t votes),
		     void *ctx, char *err, size_t errlen)
{
	struct count_fn f = { fn, ctx };

	return each_row(s,
			"SELECT poll, choice, count(*) FROM ballots GROUP BY poll, choice"
			" UNION ALL SELECT poll, NULL, rejected FROM polls"
			" UNION ALL SELECT DISTINCT poll, NULL, 0 FROM ballots WHERE poll NOT IN (SELECT poll FROM polls)"
			" ORDER BY 1, 2",
			NULL, count_row, &f, err, errlen);
}

/* put_instance: stores poll's instance unless it has one (an instance
 * never changes). Returns 0, or -1 with err set. */
static int put_instance(struct store *s, const char *poll, const char *instance, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO instances (poll, instance) VALUES (?1, ?2)", -1, &st,
			       NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, poll, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, instance, -1, SQLITE_STATIC) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		db_err(s, "cannot write to", err, errlen);
	else
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

struct instance_fn {
	int (*fn)(void *ctx, const char *poll, const char *instance);
	void *ctx;
};

int store_save_def(struct store *s, const struct polldef *d, char *err, size_t errlen)
{
	char choices[POLLDEF_CHOICES_MAX * (BALLOT_TEXT_MAX + 1) + 1] = "";
	size_t used = 0, k;
	sqlite3_stmt *st = NULL;
	bool begun = false;
	int rc = -1;

	for (k = 0; k < d->nchoices; k++)
		used += (size_t)snprintf(choices + used, sizeof(choices) - used, "%s%s", k ? "\n" : "", d->choices[k]);
	if (still_there(s, err, errlen) != 0 || exec(s, "BEGIN IMMEDIATE", "cannot write to", err, errlen) != 0)
		goto out;
	begun = true;
	if (d->instance[0] && put_instance(s, d->poll, d->instance, err, errlen) != 0)
		goto out;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT OR REPLACE INTO polldefs (poll, defined, question, choices, opens_ms, closes_ms,"
			       " results, revote, status, closed_ms, roll, kind, min_picks, max_picks, full, low, high,"
			       " low_label, high_label) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
			       " ?14, ?15, ?16, ?17, ?18, ?19)",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, d->poll, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, d->defined) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, d->question, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, choices, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, d->opens_ms) != SQLITE_OK || sqlite3_bind_int64(st, 6, d->closes_ms) != SQLITE_OK ||
	    sqlite3_bind_text(st, 7, polldef_results_word(d->results), -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, 8, d->revote) != SQLITE_OK ||
	    sqlite3_bind_text(st, 9, polldef_status_word(d->status), -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 10, d->closed_ms) != SQLITE_OK ||
	    sqlite3_bind_text(st, 11, d->roll, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 12, polldef_kind_word(d->kind), -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 13, (sqlite3_int64)d->min_picks) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 14, (sqlite3_int64)d->max_picks) != SQLITE_OK ||
	    sqlite3_bind_int(st, 15, d->full) != SQLITE_OK || sqlite3_bind_int64(st, 16, d->low) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 17, d->high) != SQLITE_OK ||
	    sqlite3_bind_text(st, 18, d->low_label, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 19, d->high_label, -1, SQLITE_STATIC) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		db_err(s, "cannot write to", err, errlen);
		goto out;
	}
	if (exec(s, "COMMIT", "cannot write to", err, errlen) != 0)
		goto out;
	begun = false;
	rc = 0;
out:
	sqlite3_finalize(st);
	if (begun)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int store_put_instance(struct store *s, const char *poll, const char *instance, char *err, size_t errlen)
{
	if (still_there(s, err, errlen) != 0)
		return -1;
	return put_instance(s, poll, instance, err, errlen);
}

static int instance_row(void *ctx, sqlite3_stmt *st)
{
	struct instance_fn *f = ctx;
	char poll[TOPIC_POLL_MAX + 1], instance[BALLOT_ID_HEX + 1];

	column_text(st, 0, poll, sizeof(poll));
	column_text(st, 1, instance, sizeof(instance));
	return f->fn(f->ctx, poll, instance);
}

int store_each_instance(struct store *s, int (*fn)(void *ctx, const char *poll, const char *instance), void *ctx,
			char *err, size_t errlen)
{
	struct instance_fn f = { fn, ctx };

	if (s->schema < 4)
		return 0; /* a reader of an older database: none */
	return each_row(s, "SELECT poll, instance FROM instances ORDER BY poll", NULL, instance_row, &f, err, errlen);
}

/* row_def: a polldefs row into *d. Returns 0, or -1 when a word is unknown. */
static int row_def(sqlite3_stmt *st, struct polldef *d)
{
	const char *choices = (const char *)sqlite3_column_text(st, 3), *nl;

	memset(d, 0, sizeof(*d));
	column_text(st, 0, d->poll, sizeof(d->poll));
	d->defined = sqlite3_column_int(st, 1) != 0;
	column_text(st, 2, d->question, sizeof(d->question));
	while (choices && *choices && d->nchoices < POLLDEF_CHOICES_MAX) {
		nl = strchr(choices, '\n');
		snprintf(d->choices[d->nchoices++], sizeof(d->choices[0]), "%.*s",
			 (int)(nl ? (size_t)(nl - choices) : strlen(choices)), choices);
		choices = nl ? nl + 1 : "";
	}
	d->opens_ms = sqlite3_column_int64(st, 4);
	d->closes_ms = sqlite3_column_int64(st, 5);
	d->revote = sqlite3_column_int(st, 7) != 0;
	d->closed_ms = sqlite3_column_int64(st, 9);
	column_text(st, 10, d->roll, sizeof(d->roll));
	d->min_picks = (size_t)sqlite3_column_int64(st, 12);
	d->max_picks = (size_t)sqlite3_column_int64(st, 13);
	d->full = sqlite3_column_int(st, 14) != 0;
	d->low = sqlite3_column_int64(st, 15);
	d->high = sqlite3_column_int64(st, 16);
	column_text(st, 17, d->low_label, sizeof(d->low_label));
	column_text(st, 18, d->high_label, sizeof(d->high_label));
	if (polldef_parse_kind((const char *)sqlite3_column_text(st, 11), &d->kind) != 0 ||
	    polldef_parse_results((const char *)sqlite3_column_text(st, 6), &d->results) != 0 ||
	    polldef_parse_status((const char *)sqlite3_column_text(st, 8), &d->status) != 0)
		return -1;
	return 0;
}

struct def_fn {
	int (*fn)(void *ctx, const struct polldef *d);
	void *ctx;
	char *err;
	size_t errlen;
};

static int def_row(void *ctx, sqlite3_stmt *st)
{
	struct def_fn *f = ctx;
	struct polldef d;

	if (row_def(st, &d) != 0) {
		snprintf(f->err, f->errlen, "poll definition of '%s' is damaged", d.poll);
		return -1;
	}
	return f->fn(f->ctx, &d);
}

int store_each_def(struct store *s, int (*fn)(void *ctx, const struct polldef *d), void *ctx, char *err,
		   size_t errlen)
{
	struct def_fn f = { fn, ctx, err, errlen };
	sqlite3_stmt *st = NULL;
	bool table;

	/* a schema 1 database (read only) has none */
	table = sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE name = 'polldefs'", -1, &st, NULL) ==
			SQLITE_OK &&
		sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!table)
		return 0;
	/* the kinds since schema 5: before, every poll is single */
	return each_row(s,
			s->schema >= 5 ? "SELECT poll, defined, question, choices, opens_ms, closes_ms, results, revote, status,"
					 " closed_ms, roll, kind, min_picks, max_picks, full, low, high, low_label,"
					 " high_label FROM polldefs ORDER BY poll"
				       : "SELECT poll, defined, question, choices, opens_ms, closes_ms, results, revote, status,"
					 " closed_ms, roll, 'single', 0, 0, 0, 0, 0, '', '' FROM polldefs ORDER BY poll",
			NULL, def_row, &f, err, errlen);
}
