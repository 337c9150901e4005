/* scale.c -- a scale question's statistics: counts, mean, median, majority-judgment grade */
#include "scale.h"

#include <string.h>

/* value_at: the value of the k-th voter (1-based) in ascending order. */
static int value_at(const struct scale_stats *s, uint64_t k)
{
	uint64_t seen = 0;
	int v;

	for (v = s->lo; v < s->hi; v++) {
		seen += s->count[v - s->lo];
		if (seen >= k)
			break;
	}
	return v;
}

/* mean_milli: lo * 1000 + 1000 * sum / n rounded half away from zero,
 * sum being the values' offsets from lo added up (sum <= 100 n). */
static int64_t mean_milli(int lo, uint64_t sum, uint64_t n)
{
	uint64_t whole = sum / n, rest = sum % n, frac = 0;
	int64_t floor_milli;
	int k;

	for (k = 0; k < 3; k++) { /* long division, so that nothing overflows */
		rest *= 10;
		frac = frac * 10 + rest / n;
		rest %= n;
	}
	floor_milli = (int64_t)lo * 1000 + (int64_t)(whole * 1000 + frac);
	/* the exact value is floor_milli + rest / n, 0 <= rest < n */
	if (rest > n - rest || (rest != 0 && rest == n - rest && floor_milli >= 0))
		floor_milli++;
	return floor_milli;
}

int scale_stats(int lo, int hi, const uint64_t *count, struct scale_stats *out)
{
	uint64_t sum = 0;
	int v;

	memset(out, 0, sizeof(*out));
	if (lo >= hi || lo < -SCALE_VALUE_LIMIT || hi > SCALE_VALUE_LIMIT || hi - lo + 1 > SCALE_VALUES_MAX || !count)
		return -1;
	for (v = lo; v <= hi; v++) {
		uint64_t c = count[v - lo];

		if (c > SCALE_VOTERS_MAX - out->voters) {
			memset(out, 0, sizeof(*out));
			return -1;
		}
		out->count[v - lo] = c;
		out->voters += c;
		sum += c * (uint64_t)(v - lo); /* at most 100 * 2^56 */
	}
	out->lo = lo;
	out->hi = hi;
	if (out->voters == 0)
		return 0;
	out->any = true;
	out->mean_milli = mean_milli(lo, sum, out->voters);
	out->lower_median = value_at(out, (out->voters + 1) / 2);
	out->upper_median = value_at(out, out->voters / 2 + 1);
	out->median_halves = (int64_t)out->lower_median + out->upper_median;
	out->grade = out->lower_median;
	return 0;
}
