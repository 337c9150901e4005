/* loadcommit.c -- the responder's durable floor: one SQLite commit per message, as a consumer on Paho must before it acknowledges */
#include "loadcommit.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

struct loadcommit {
	sqlite3 *db;
	sqlite3_stmt *begin, *put, *commit;
	long long rows;
	char err[256]; /* the first failure; "" while none */
};

long long loadcommit_close(struct loadcommit *lc)
{
	long long rows;

	if (!lc)
		return 0;
	rows = lc->err[0] ? -1 : lc->rows;
	if (lc->err[0])
		fprintf(stderr, "loadgen: %s\n", lc->err);
	sqlite3_finalize(lc->begin);
	sqlite3_finalize(lc->put);
	sqlite3_finalize(lc->commit);
	sqlite3_close(lc->db);
	free(lc);
	return rows;
}

struct loadcommit *loadcommit_open(const char *path)
{
	struct loadcommit *lc = calloc(1, sizeof(*lc));

	if (!lc) {
		fprintf(stderr, "loadgen: out of memory\n");
		return NULL;
	}
	/* NOMUTEX, as the tallier's: only Paho's receive thread commits */
	if (sqlite3_open_v2(path, &lc->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(lc->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			 " CREATE TABLE messages (seq INTEGER PRIMARY KEY, payload BLOB NOT NULL)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(lc->db, "BEGIN IMMEDIATE", -1, &lc->begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(lc->db, "INSERT INTO messages (seq, payload) VALUES (?1, ?2)", -1, &lc->put, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(lc->db, "COMMIT", -1, &lc->commit, NULL) != SQLITE_OK) {
		fprintf(stderr, "loadgen: cannot create %s: %s\n", path,
			lc->db ? sqlite3_errmsg(lc->db) : "out of memory");
		loadcommit_close(lc);
		return NULL;
	}
	return lc;
}

int loadcommit_one(struct loadcommit *lc, const void *payload, size_t len)
{
	int rc = -1;

	if (lc->err[0])
		return -1;
	if (sqlite3_step(lc->begin) != SQLITE_DONE)
		goto out;
	if (sqlite3_bind_int64(lc->put, 1, lc->rows + 1) != SQLITE_OK ||
	    sqlite3_bind_blob(lc->put, 2, payload, (int)len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(lc->put) != SQLITE_DONE || sqlite3_step(lc->commit) != SQLITE_DONE) {
		snprintf(lc->err, sizeof(lc->err), "cannot commit message %lld: %s", lc->rows + 1,
			 sqlite3_errmsg(lc->db));
		sqlite3_exec(lc->db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	lc->rows++;
	rc = 0;
out:
	if (rc != 0 && !lc->err[0])
		snprintf(lc->err, sizeof(lc->err), "cannot begin message %lld: %s", lc->rows + 1,
			 sqlite3_errmsg(lc->db));
	sqlite3_reset(lc->begin);
	sqlite3_reset(lc->put);
	sqlite3_reset(lc->commit);
	return rc;
}
