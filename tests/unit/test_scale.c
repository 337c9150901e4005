/* test_scale.c -- unit tests of scale: counts, mean in thousandths, median in halves, majority-judgment grade */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>

#include "scale.h"

static void odd_count_should_give_the_middle_value_as_median(void **state)
{
	/* 1..5: one 1, two 3, one 4, one 5: 1 3 3 4 5 */
	static const uint64_t count[] = { 1, 0, 2, 1, 1 };
	struct scale_stats s;

	(void)state;
	assert_int_equal(scale_stats(1, 5, count, &s), 0);
	assert_true(s.any);
	assert_int_equal(s.voters, 5);
	assert_int_equal(s.count[2], 2);
	assert_int_equal(s.mean_milli, 3200); /* 16 / 5 */
	assert_int_equal(s.lower_median, 3);
	assert_int_equal(s.upper_median, 3);
	assert_int_equal(s.median_halves, 6);
	assert_int_equal(s.grade, 3);
}

static void even_count_should_give_the_mean_of_the_two_middle_values(void **state)
{
	/* 0..10: 2 5 7 9 */
	uint64_t count[11] = { 0 };
	struct scale_stats s;

	(void)state;
	count[2] = count[5] = count[7] = count[9] = 1;
	assert_int_equal(scale_stats(0, 10, count, &s), 0);
	assert_int_equal(s.voters, 4);
	assert_int_equal(s.mean_milli, 5750);
	assert_int_equal(s.lower_median, 5);
	assert_int_equal(s.upper_median, 7);
	assert_int_equal(s.median_halves, 12); /* 6 */
	assert_int_equal(s.grade, 5);          /* the lower median */
}

/* The mean in thousandths, rounded half away from zero. */
static void mean_should_round_halves_away_from_zero(void **state)
{
	uint64_t count[3] = { 0 };
	struct scale_stats s;

	(void)state;
	count[0] = 2; /* 0 0 1: 1/3 -> 333 */
	count[1] = 1;
	assert_int_equal(scale_stats(0, 2, count, &s), 0);
	assert_int_equal(s.mean_milli, 333);
	count[0] = 1; /* 0 1 1: 2/3 -> 667 */
	count[1] = 2;
	assert_int_equal(scale_stats(0, 2, count, &s), 0);
	assert_int_equal(s.mean_milli, 667);
	count[0] = 15; /* 1/16 = 0.0625 -> 63 */
	count[1] = 1;
	assert_int_equal(scale_stats(0, 2, count, &s), 0);
	assert_int_equal(s.mean_milli, 63);
	/* -1..1: fifteen 0 and one -1: -1/16 = -0.0625 -> -63 */
	assert_int_equal(scale_stats(-1, 1, (uint64_t[]){ 1, 15, 0 }, &s), 0);
	assert_int_equal(s.mean_milli, -63);
	/* -3..-1, one -2 and seven -1: -9/8 = -1.125 -> -1125, exact */
	assert_int_equal(scale_stats(-3, -1, (uint64_t[]){ 0, 1, 7 }, &s), 0);
	assert_int_equal(s.mean_milli, -1125);
	/* -1..0, five -1 and eleven 0: -5/16 = -0.3125 -> -313 */
	assert_int_equal(scale_stats(-1, 0, (uint64_t[]){ 5, 11 }, &s), 0);
	assert_int_equal(s.mean_milli, -313);
	assert_int_equal(s.lower_median, 0);
	assert_int_equal(scale_stats(-1, 0, (uint64_t[]){ 11, 5 }, &s), 0);
	assert_int_equal(s.mean_milli, -688); /* -11/16 = -0.6875 */
	assert_int_equal(s.median_halves, -2);
}

static void all_on_one_value_should_give_that_value(void **state)
{
	static const uint64_t count[] = { 0, 0, 0, 1000000, 0 };
	struct scale_stats s;

	(void)state;
	assert_int_equal(scale_stats(1, 5, count, &s), 0);
	assert_int_equal(s.voters, 1000000);
	assert_int_equal(s.mean_milli, 4000);
	assert_int_equal(s.median_halves, 8);
	assert_int_equal(s.grade, 4);
}

static void no_voter_should_give_no_mean_median_or_grade(void **state)
{
	static const uint64_t count[5];
	struct scale_stats s;

	(void)state;
	assert_int_equal(scale_stats(1, 5, count, &s), 0);
	assert_false(s.any);
	assert_int_equal(s.voters, 0);
	assert_int_equal(s.lo, 1);
	assert_int_equal(s.hi, 5);
	assert_int_equal(s.mean_milli, 0);
}

static void largest_counts_should_not_overflow(void **state)
{
	uint64_t count[SCALE_VALUES_MAX] = { 0 };
	struct scale_stats s;

	(void)state;
	count[0] = SCALE_VOTERS_MAX / 2;
	count[100] = SCALE_VOTERS_MAX / 2;
	assert_int_equal(scale_stats(-SCALE_VALUE_LIMIT, -SCALE_VALUE_LIMIT + 100, count, &s), 0);
	assert_int_equal(s.mean_milli, -(int64_t)SCALE_VALUE_LIMIT * 1000 + 50000);
	assert_int_equal(s.median_halves, 2 * -SCALE_VALUE_LIMIT + 100);
	assert_int_equal(s.grade, -SCALE_VALUE_LIMIT);
	count[1] = 1;
	assert_int_equal(scale_stats(-SCALE_VALUE_LIMIT, -SCALE_VALUE_LIMIT + 100, count, &s), -1);
	assert_int_equal(s.voters, 0);
}

static void invalid_ranges_should_be_refused(void **state)
{
	static const uint64_t count[SCALE_VALUES_MAX + 1];
	struct scale_stats s;

	(void)state;
	assert_int_equal(scale_stats(5, 5, count, &s), -1);
	assert_int_equal(scale_stats(5, 1, count, &s), -1);
	assert_int_equal(scale_stats(0, SCALE_VALUES_MAX, count, &s), -1); /* 102 values */
	assert_int_equal(scale_stats(0, SCALE_VALUES_MAX - 1, count, &s), 0);
	assert_int_equal(scale_stats(SCALE_VALUE_LIMIT, SCALE_VALUE_LIMIT + 1, count, &s), -1);
	assert_int_equal(scale_stats(0, 1, NULL, &s), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(odd_count_should_give_the_middle_value_as_median),
		cmocka_unit_test(even_count_should_give_the_mean_of_the_two_middle_values),
		cmocka_unit_test(mean_should_round_halves_away_from_zero),
		cmocka_unit_test(all_on_one_value_should_give_that_value),
		cmocka_unit_test(no_voter_should_give_no_mean_median_or_grade),
		cmocka_unit_test(largest_counts_should_not_overflow),
		cmocka_unit_test(invalid_ranges_should_be_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
