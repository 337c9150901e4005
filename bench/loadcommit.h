/* loadcommit.h -- the responder's durable floor: one SQLite commit per message, as a consumer on Paho must before it acknowledges */
#ifndef MQTTVOTE_LOADCOMMIT_H
#define MQTTVOTE_LOADCOMMIT_H

#include <stddef.h>

/* loadcommit_open: a new database at path (one that has the table
 * already is refused), in the tallier's settings: WAL, synchronous=NORMAL, SQLite's
 * own checkpoints. Returns it, or NULL said on stderr. Close with
 * loadcommit_close. Used by one thread at a time. */
struct loadcommit *loadcommit_open(const char *path);

/* loadcommit_one: commits one row (a sequence number and the payload,
 * unread) in a transaction of its own. Returns 0, or -1 (the error kept
 * for loadcommit_close to say). */
int loadcommit_one(struct loadcommit *lc, const void *payload, size_t len);

/* loadcommit_close: closes lc, saying on stderr the first error of
 * loadcommit_one, if any. Returns the rows committed, or -1 after an
 * error. NULL is allowed (returns 0). */
long long loadcommit_close(struct loadcommit *lc);

#endif
