/* scale.h -- a scale question's statistics: counts, mean, median, majority-judgment grade */
#ifndef MQTTVOTE_SCALE_H
#define MQTTVOTE_SCALE_H

#include <stdbool.h>
#include <stdint.h>

/* A scale question asks for a whole number from lo to hi (lo < hi, at most
 * SCALE_VALUES_MAX values, each within -SCALE_VALUE_LIMIT..
 * SCALE_VALUE_LIMIT), e.g. 1..5 or 0..10. Its statistics are a pure
 * function of the count of each value: they cost the same for ten voters
 * or a million, and two talliers given the same counts give the same
 * bytes (integers only, no floating point).
 *
 * With N voters (at most SCALE_VOTERS_MAX) and their values in ascending
 * order v1 <= v2 <= ... <= vN:
 * - the mean is given in thousandths, as an integer: the sum of the values
 *   times 1000 divided by N, rounded to the nearest integer, halves away
 *   from zero (7/8 = 0.875 -> 875, 1/16 = 0.0625 -> 63, -1/16 -> -63,
 *   2/3 -> 667);
 * - the median is given in halves, as an integer: the lower middle value
 *   plus the upper one, v(floor((N+1)/2)) + v(floor(N/2)+1), so twice the
 *   median (for an odd N both are the middle value; for an even N the
 *   median is the mean of the two middle values, e.g. 3 and 4 -> 7, 3.5);
 * - the majority-judgment grade is the lower median, v(floor((N+1)/2)):
 *   the highest value that more than half the voters give or exceed
 *   (Balinski and Laraki's majority grade).
 * With no voter there is no mean, median or grade (any is false). */

#define SCALE_VALUES_MAX 101          /* e.g. 0..100: a percentage */
#define SCALE_VALUE_LIMIT 1000000     /* |lo| and |hi| at most */
#define SCALE_VOTERS_MAX ((uint64_t)1 << 56) /* so that sums in thousandths stay within 64 bits */

/* A scale question's statistics: a value, nothing to free. */
struct scale_stats {
	int lo, hi;
	uint64_t count[SCALE_VALUES_MAX]; /* count[v - lo]: voters who gave v; 0 past hi */
	uint64_t voters;                  /* N */
	bool any;                         /* N > 0: what follows is set (else all 0) */
	int64_t mean_milli;               /* the mean times 1000, rounded half away from zero */
	int64_t median_halves;            /* the median times 2: lower + upper middle value */
	int lower_median, upper_median;   /* v(floor((N+1)/2)), v(floor(N/2)+1) */
	int grade;                        /* majority judgment: the lower median */
};

/* scale_stats: the statistics of count[0..hi-lo] (count[k]: voters who
 * gave lo + k) into *out. Returns 0, or -1 when the range is not valid
 * (lo >= hi, more than SCALE_VALUES_MAX values, beyond SCALE_VALUE_LIMIT)
 * or the counts add up beyond SCALE_VOTERS_MAX (*out is then all 0). */
int scale_stats(int lo, int hi, const uint64_t *count, struct scale_stats *out);

#endif
