/* loadsign.h -- the benchmark's signed ballots: a key per voter derived from its name, the roll of them */
#ifndef MQTTVOTE_LOADSIGN_H
#define MQTTVOTE_LOADSIGN_H

#include <stdint.h>

#include "ballot.h"

/* The benchmark's keys are derived from the voter's name (the seed is
 * SHA-256 of "mqtt-vote bench key " and the name), so that the roll
 * written before a run and the ballots signed during it agree without
 * key files. Never for real polls: anyone can derive them. */

/* loadsign_roll: writes the roll of the voters <prefix>0 .. <prefix>n-1
 * to path ("<name> <public key>" lines). Returns 0, or -1 said on stderr. */
int loadsign_roll(const char *path, const char *prefix, uint64_t n);

/* loadsign_ballot: signs b (with id, ts and instance: the poll's, from
 * its information) with its voter's key. Returns
 * 0, or -1 said on stderr. */
int loadsign_ballot(struct ballot *b);

#endif
