/* ranked.h -- counting ranked ballots: instant runoff and Schulze, a pure function of the set of rankings */
#ifndef MQTTVOTE_RANKED_H
#define MQTTVOTE_RANKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A ranked question offers n choices, numbered 0..n-1 (2 <= n <=
 * RANKED_CHOICES_MAX). A voter's ballot is a ranking: distinct choices,
 * most preferred first; a partial ranking is allowed, the choices it
 * leaves out coming after every one it names, equal among themselves.
 *
 * What is counted is a profile: each distinct ranking once, with the
 * number of voters who gave it. So the cost of a result does not grow with
 * the number of ballots, only with the number of distinct rankings (at
 * most the number of voters, and for full rankings of 10 choices at most
 * 10! whatever the number of voters); and the result is the same whatever
 * the order the rankings are given in, and whether equal rankings are
 * given once or several times (their counts add up).
 *
 * The bound, RANKED_CHOICES_MAX = 64: a set of choices is one 64-bit word
 * (the continuing choices of a runoff, the choices a ranking names), a
 * choice is one byte in the lot's bytes below, the Schulze matrices are
 * 64 x 64 counts (32 KiB each) and their strongest paths 64^3 = 262,144
 * steps, a runoff has at most 63 rounds; and it is twice what a defined
 * poll offers today (POLLDEF_CHOICES_MAX, 32), far more than a voter
 * orders by hand.
 *
 * Instant runoff. Each round, every ballot counts for the choice it ranks
 * highest among the continuing ones (at first all n); a ballot ranking
 * none of them is exhausted. A choice whose count is more than half the
 * ballots counting for a continuing choice wins (a majority of the
 * continuing ballots). Otherwise the continuing choice with the fewest
 * ballots is eliminated, the one of them that comes last in the lot when
 * several have that fewest, and the next round is counted; when one
 * choice is left it wins (the last one left), no further round counted.
 * When no ballot ranks any choice there is no winner (one round, all 0).
 *
 * Schulze. d[i][j] is the number of voters who prefer i to j (rank i above
 * j, or rank i and leave j out). A link i -> j has strength d[i][j] when
 * d[i][j] > d[j][i], else none (0); p[i][j] is the strength of the
 * strongest path from i to j, a path's strength being that of its weakest
 * link (widest paths, computed Floyd-Warshall style). i beats j in the
 * Schulze relation when p[i][j] > p[j][i]. The ranking is built place by
 * place: the next place goes to, of the choices not placed yet, those no
 * other unplaced choice beats, the first in the lot when there are several
 * (they are then tied in the Schulze relation and the place is by lot).
 * The Condorcet winner, when there is one, is the choice i with d[i][j] >
 * d[j][i] for every other j; it is then first in the ranking.
 *
 * The lot: an order of the n choices drawn from the ballots themselves,
 * never from the clock or the arrival order, so that the same set of
 * ballots always draws the same lot. Its bytes are: one byte n; then each
 * distinct ranking with a nonzero count, equal rankings merged (counts
 * added), in ascending order of their sequence of choices (compared choice
 * by choice, a ranking before every longer one it begins): one byte, its
 * length; one byte per choice, most preferred first; its count, 8 bytes
 * big-endian. seed = SHA-256(those bytes); choice i's key is
 * SHA-256(seed || one byte i); the lot orders the choices by their keys,
 * compared as byte strings, smallest first. In Python:
 *     seed = sha256(bytes([n]) + b"".join(bytes([len(r)]) + bytes(r) +
 *            c.to_bytes(8, "big") for r, c in sorted(profile.items()))).digest()
 *     lot = sorted(range(n), key=lambda i: sha256(seed + bytes([i])).digest())
 * (profile: a dict from a ranking, a tuple of choice numbers, to its count,
 * rankings of count 0 left out). Earlier in the lot is favoured: a tie for
 * elimination removes the choice last in the lot, a tie for a Schulze place
 * gives it to the choice first in the lot; one rule for both methods, which
 * depends on no earlier round, and a reader checks it with the lot alone.
 * The lot is drawn only when a tie needs it: drawing it sorts a copy of
 * the profile, unless the rankings are given in that ascending order
 * already (one pass then). */

#define RANKED_CHOICES_MAX 64
#define RANKED_NONE (-1) /* no choice: no winner, no Condorcet winner, nothing eliminated */

/* One distinct ranking and how many voters gave it. */
struct ranked_ranking {
	const uint8_t *order; /* len choices, each < n, distinct, most preferred first */
	size_t len;           /* 0..n; 0 ranks nothing (exhausted from the first round) */
	uint64_t count;       /* voters who gave it; 0 counts for nothing */
};

/* Why the runoff's winner won. */
enum ranked_why {
	RANKED_NO_WINNER,  /* no ballot ranks any choice */
	RANKED_MAJORITY,   /* more than half the ballots continuing in the last round */
	RANKED_LAST_LEFT,  /* every other choice was eliminated */
};

/* One round of the runoff. */
struct ranked_round {
	const uint64_t *count; /* n: each choice's ballots this round (0 for one out) */
	uint64_t in;           /* bit i set: choice i is continuing this round */
	uint64_t continuing;   /* ballots counting for a continuing choice */
	uint64_t exhausted;    /* ballots ranking no continuing choice */
	int eliminated;        /* the choice eliminated after this round, or RANKED_NONE */
	bool by_lot;           /* eliminated by the lot among several with the fewest */
};

/* A ranked question's result: a value the caller owns (ranked_result_free). */
struct ranked_result {
	size_t n;                 /* choices */
	uint64_t voters;          /* the counts added up */
	/* instant runoff */
	size_t nrounds;           /* at least 1 */
	struct ranked_round *round;
	uint64_t *counts;         /* what the rounds' count point into */
	int irv_winner;           /* or RANKED_NONE */
	enum ranked_why irv_why;
	/* Schulze: matrices n x n, row i column j at [i * n + j], 0 on the diagonal */
	uint64_t *d;              /* voters preferring i to j */
	uint64_t *p;              /* strongest path from i to j */
	uint8_t *ranking;         /* n: the choices, first place first */
	bool *by_lot;             /* n: place k went by the lot (tied in the Schulze relation) */
	int condorcet;            /* the Condorcet winner, or RANKED_NONE */
	/* the lot, when a tie needed it */
	bool lot_drawn;
	uint8_t lot[RANKED_CHOICES_MAX]; /* n: first in the lot first, when lot_drawn */
};

/* ranked_count: counts the profile (nprofile distinct rankings, NULL
 * allowed when nprofile is 0) over n choices into *out, which the caller
 * frees with ranked_result_free (also after a failure: *out is then
 * empty). Returns 0; -1 when the input is not valid (n out of 2..
 * RANKED_CHOICES_MAX, a choice out of range or named twice in a ranking,
 * a ranking longer than n, counts adding up beyond UINT64_MAX); -2 when
 * memory runs out or SHA-256 fails. */
int ranked_count(size_t n, const struct ranked_ranking *profile, size_t nprofile, struct ranked_result *out);

/* ranked_result_free: frees what ranked_count allocated in *r and empties
 * it. NULL is allowed. */
void ranked_result_free(struct ranked_result *r);

/* ranked_lot: draws the lot of a valid profile (as ranked_count would
 * check it) into lot[0..n-1], first in the lot first. Returns 0, -1 when
 * the input is not valid, -2 when memory runs out or SHA-256 fails. */
int ranked_lot(size_t n, const struct ranked_ranking *profile, size_t nprofile, uint8_t lot[RANKED_CHOICES_MAX]);

#endif
