/* roll.h -- the roll: the voters a tallier counts, each with the public key that signs their ballots */
#ifndef MQTTVOTE_ROLL_H
#define MQTTVOTE_ROLL_H

#include <stddef.h>

#include "sign.h"

/* The largest roll file, in bytes: a roll line is at most 110 bytes (a
 * 64-byte name, a blank, a 44-character key, a newline), so 1,000,000
 * voters take at most 110 MB; this leaves room for comments and blanks. */
#define ROLL_MAX_BYTES 268435456 /* 256 MiB */

struct roll;

/* roll_load: reads the roll file at path: one voter a line, "<voter name>
 * <public key>" as voter --keygen prints it (the key is the last
 * whitespace-separated token, the name everything before it with the
 * blanks around it trimmed, and it must be valid ballot text); blank
 * lines and lines whose first non-blank character is '#' are skipped. The
 * file must be a regular file of at most ROLL_MAX_BYTES ("roll 'p' is not
 * a regular file", "roll 'p' is larger than 268435456 bytes"): it is
 * opened without blocking, so a FIFO or a device never holds the caller
 * up, and never read past that size. A
 * bad name, a bad key, a name given twice or a roll with no voter is an
 * error naming the file and the line ("roll 'r.txt' line 3: voter 'ann'
 * is already on the roll (line 1)"). Every key is made ready to verify
 * with at load. Returns the roll (free with roll_free), or NULL with the
 * reason in err. */
struct roll *roll_load(const char *path, char *err, size_t errlen);

/* roll_free: frees r. NULL allowed. */
void roll_free(struct roll *r);

/* roll_count: how many voters r holds. */
size_t roll_count(const struct roll *r);

/* roll_find: the public key of voter on r (a hash lookup), or NULL when
 * voter is not on it. The key belongs to r. Safe from several threads. */
const struct sign_pub *roll_find(const struct roll *r, const char *voter);

#endif
