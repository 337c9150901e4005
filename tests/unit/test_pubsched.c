/* test_pubsched.c -- unit tests of pubsched: coalesced result publications, one in flight, interval, timeout, retries */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "pubsched.h"

#define INTERVAL 1000
#define TIMEOUT 5000

static int setup(void **state)
{
	struct pubsched *s = pubsched_new(INTERVAL, TIMEOUT);

	if (!s)
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	pubsched_free(*state);
	return 0;
}

/* next: pubsched_next at now; *wake gets the wake time. */
static long next(struct pubsched *s, int64_t now, int64_t *wake)
{
	int64_t w = -12345;
	long i = pubsched_next(s, now, &w);

	if (wake)
		*wake = w;
	return i;
}

/* assert_quiet_until: nothing is due at now, the wake time is when, and
 * just before when still nothing is due. */
static void assert_quiet_until(struct pubsched *s, int64_t now, int64_t when)
{
	int64_t wake;

	assert_int_equal(next(s, now, &wake), -1);
	assert_int_equal(wake, when);
	if (when != INT64_MAX && when - 1 >= now) {
		assert_int_equal(next(s, when - 1, &wake), -1);
		assert_int_equal(wake, when);
	}
}

/* pubsched_due tells, per poll, what pubsched_next would: now for a
 * change nothing holds back, the end of the interval after a publication,
 * never while one is in flight or when nothing waits. */
static void pubsched_due_should_say_when_a_change_can_go_out(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_due(s, 0, 1000), INT64_MAX); /* unknown poll */
	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	assert_int_equal(pubsched_due(s, 0, 1000), 1000);
	assert_int_equal(next(s, 1000, NULL), 0);
	pubsched_sent(s, 0, 1, 1000);
	assert_int_equal(pubsched_due(s, 0, 1010), INT64_MAX); /* in flight, nothing newer */
	assert_int_equal(pubsched_changed(s, 0, 2), 0);
	assert_int_equal(pubsched_due(s, 0, 1010), INT64_MAX); /* newer, but one is in flight */
	pubsched_done(s, 0, 1, 1);
	assert_int_equal(pubsched_due(s, 0, 1020), 1000 + INTERVAL); /* after the interval */
	assert_int_equal(pubsched_due(s, 0, 1000 + INTERVAL + 50), 1000 + INTERVAL + 50);
	assert_int_equal(next(s, 1000 + INTERVAL + 50, NULL), 0);
	pubsched_sent(s, 0, 2, 1000 + INTERVAL + 50);
	pubsched_done(s, 0, 2, 1);
	assert_int_equal(pubsched_due(s, 0, 1000 + INTERVAL + 60), INT64_MAX); /* all acknowledged */
}

static void pubsched_next_should_find_nothing_in_an_empty_schedule(void **state)
{
	struct pubsched *s = *state;
	int64_t wake;

	assert_int_equal(next(s, 0, &wake), -1);
	assert_int_equal(wake, INT64_MAX);
	assert_int_equal(pubsched_pending(s), 0);
}

static void pubsched_next_should_return_a_changed_poll_at_once(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	assert_int_equal(pubsched_pending(s), 1);
	assert_int_equal(next(s, 100, NULL), 0);
}

static void pubsched_next_should_keep_returning_a_due_poll_until_it_is_sent(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	assert_int_equal(next(s, 100, NULL), 0);
	assert_int_equal(next(s, 100, NULL), 0);
	pubsched_sent(s, 0, 1, 100);
	assert_int_equal(next(s, 100, NULL), -1);
}

static void pubsched_should_coalesce_versions_into_one_publication(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	assert_int_equal(pubsched_changed(s, 0, 2), 0);
	assert_int_equal(pubsched_changed(s, 0, 3), 0);
	assert_int_equal(pubsched_pending(s), 1);
	assert_int_equal(next(s, 0, NULL), 0);
	pubsched_sent(s, 0, 3, 0);
	assert_int_equal(next(s, 0, NULL), -1);
	pubsched_done(s, 0, 3, 1);
	assert_int_equal(pubsched_pending(s), 0);
	assert_quiet_until(s, 10, INT64_MAX);
}

static void pubsched_should_not_start_a_poll_twice_within_the_interval(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	assert_int_equal(next(s, 100, NULL), 0);
	pubsched_sent(s, 0, 1, 100);
	pubsched_done(s, 0, 1, 1);
	assert_int_equal(pubsched_pending(s), 0);
	assert_quiet_until(s, 150, INT64_MAX);
	/* a new version soon after: due interval_ms after the last start */
	assert_int_equal(pubsched_changed(s, 0, 2), 0);
	assert_int_equal(pubsched_pending(s), 1);
	assert_quiet_until(s, 200, 100 + INTERVAL);
	assert_int_equal(next(s, 100 + INTERVAL, NULL), 0);
}

static void pubsched_should_publish_at_once_when_the_interval_has_passed(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	pubsched_sent(s, 0, 1, 0);
	pubsched_done(s, 0, 1, 1);
	assert_int_equal(pubsched_changed(s, 0, 2), 0);
	assert_int_equal(next(s, 7 * INTERVAL, NULL), 0);
}

static void pubsched_should_wait_for_the_one_in_flight_even_after_the_interval(void **state)
{
	struct pubsched *s = *state;
	int64_t wake;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	assert_int_equal(next(s, 0, NULL), 0);
	pubsched_sent(s, 0, 1, 0);
	assert_int_equal(pubsched_changed(s, 0, 2), 0);
	/* the interval has passed but v1 is still in flight: at most one */
	assert_int_equal(next(s, INTERVAL + 500, &wake), -1);
	assert_int_equal(wake, TIMEOUT);
	assert_int_equal(pubsched_pending(s), 1);
	/* v1 acknowledged: v2 is due at once (the interval has passed) */
	pubsched_done(s, 0, 1, 1);
	assert_int_equal(pubsched_pending(s), 1);
	assert_int_equal(next(s, INTERVAL + 500, NULL), 0);
	pubsched_sent(s, 0, 2, INTERVAL + 500);
	pubsched_done(s, 0, 2, 1);
	assert_int_equal(pubsched_pending(s), 0);
}

static void pubsched_should_wait_for_done_and_the_interval_whichever_is_later(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	pubsched_sent(s, 0, 1, 0);
	assert_int_equal(pubsched_changed(s, 0, 2), 0);
	pubsched_done(s, 0, 1, 1); /* done quickly, at 20 */
	assert_quiet_until(s, 20, INTERVAL);
	assert_int_equal(next(s, INTERVAL, NULL), 0);
}

static void pubsched_done_with_failure_should_make_the_poll_due_again(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	assert_int_equal(next(s, 0, NULL), 0);
	pubsched_sent(s, 0, 1, 0);
	pubsched_done(s, 0, 1, 0);
	assert_int_equal(pubsched_pending(s), 1);
	/* retried, no sooner than the interval allows */
	assert_quiet_until(s, 10, INTERVAL);
	assert_int_equal(next(s, INTERVAL, NULL), 0);
	pubsched_sent(s, 0, 1, INTERVAL);
	pubsched_done(s, 0, 1, 1);
	assert_int_equal(pubsched_pending(s), 0);
}

static void pubsched_should_retry_a_publication_not_confirmed_within_the_timeout(void **state)
{
	struct pubsched *s = *state;
	int64_t wake;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	pubsched_sent(s, 0, 1, 0);
	assert_int_equal(next(s, 10, &wake), -1);
	/* the wake time is when it will be taken as lost, and it is due then */
	assert_true(wake >= TIMEOUT && wake <= TIMEOUT + 1);
	assert_int_equal(next(s, wake - 1, NULL), -1);
	assert_int_equal(pubsched_pending(s), 1);
	assert_int_equal(next(s, wake, NULL), 0);
}

static void pubsched_should_ignore_a_stale_done_after_a_retry(void **state)
{
	struct pubsched *s = *state;
	int64_t wake;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	pubsched_sent(s, 0, 1, 0);
	assert_int_equal(pubsched_changed(s, 0, 2), 0);
	/* v1 taken as lost; v2 goes out instead */
	assert_int_equal(next(s, TIMEOUT, NULL), 0);
	pubsched_sent(s, 0, 2, TIMEOUT);
	/* the late reports of v1 change nothing: v2 is still in flight */
	pubsched_done(s, 0, 1, 1);
	assert_int_equal(pubsched_pending(s), 1);
	assert_int_equal(next(s, TIMEOUT + 2 * INTERVAL, &wake), -1);
	assert_int_equal(wake, 2 * TIMEOUT);
	pubsched_done(s, 0, 1, 0);
	assert_int_equal(next(s, TIMEOUT + 2 * INTERVAL, &wake), -1);
	assert_int_equal(wake, 2 * TIMEOUT);
	/* v2's own report counts */
	pubsched_done(s, 0, 2, 1);
	assert_int_equal(pubsched_pending(s), 0);
	assert_quiet_until(s, TIMEOUT + 2 * INTERVAL, INT64_MAX);
}

static void pubsched_done_of_an_older_version_should_not_acknowledge_the_newest(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	pubsched_sent(s, 0, 1, 0);
	assert_int_equal(pubsched_changed(s, 0, 2), 0);
	pubsched_done(s, 0, 1, 1);
	/* v2 has not gone out: still pending, due after the interval */
	assert_int_equal(pubsched_pending(s), 1);
	assert_int_equal(next(s, INTERVAL, NULL), 0);
}

static void pubsched_reset_should_make_every_poll_due_again(void **state)
{
	struct pubsched *s = *state;
	size_t i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(pubsched_changed(s, i, 1), 0);
		assert_int_equal(next(s, 0, NULL), (long)i);
		pubsched_sent(s, i, 1, 0);
		pubsched_done(s, i, 1, 1);
	}
	assert_int_equal(pubsched_pending(s), 0);
	pubsched_reset(s);
	assert_int_equal(pubsched_pending(s), 3);
	for (i = 0; i < 3; i++) {
		long got = next(s, 10 * INTERVAL, NULL);

		assert_true(got >= 0 && got < 3);
		pubsched_sent(s, (size_t)got, 1, 10 * INTERVAL);
		pubsched_done(s, (size_t)got, 1, 1);
	}
	assert_int_equal(pubsched_pending(s), 0);
	assert_quiet_until(s, 10 * INTERVAL, INT64_MAX);
}

static void pubsched_reset_should_leave_a_publication_in_flight(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	pubsched_sent(s, 0, 1, 0);
	pubsched_reset(s);
	assert_int_equal(pubsched_pending(s), 1);
	/* still in flight: not started again before it ends or times out */
	assert_int_equal(next(s, 2 * INTERVAL, NULL), -1);
	assert_int_equal(next(s, TIMEOUT, NULL), 0);
}

/* pubsched_again: what the broker holds is not the poll's result (a
 * forged or deleted retained message): publish it again, once the
 * interval allows, and not take an acknowledgement in flight as enough. */
static void pubsched_again_should_make_an_acknowledged_poll_due_after_the_interval(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	assert_int_equal(next(s, 0, NULL), 0);
	pubsched_sent(s, 0, 1, 0);
	pubsched_done(s, 0, 1, 1);
	assert_int_equal(pubsched_pending(s), 0);
	pubsched_again(s, 0);
	assert_int_equal(pubsched_pending(s), 1);
	assert_quiet_until(s, 10, INTERVAL);
	assert_int_equal(next(s, INTERVAL, NULL), 0);
	pubsched_sent(s, 0, 1, INTERVAL);
	pubsched_done(s, 0, 1, 1);
	assert_int_equal(pubsched_pending(s), 0);
	assert_quiet_until(s, INTERVAL, INT64_MAX);
}

static void pubsched_again_should_not_let_the_acknowledgement_in_flight_count(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	assert_int_equal(next(s, 0, NULL), 0);
	pubsched_sent(s, 0, 1, 0);
	pubsched_again(s, 0);
	pubsched_done(s, 0, 1, 1); /* it may have reached the broker before the other one */
	assert_int_equal(pubsched_pending(s), 1);
	assert_int_equal(next(s, INTERVAL, NULL), 0);
}

static void pubsched_again_should_ignore_a_poll_with_no_version(void **state)
{
	struct pubsched *s = *state;

	pubsched_again(s, 0);
	pubsched_again(s, 1000);
	assert_int_equal(pubsched_pending(s), 0);
	assert_quiet_until(s, 0, INT64_MAX);
}

static void pubsched_reset_should_not_touch_polls_that_never_changed(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 3, 1), 0);
	pubsched_sent(s, 3, 1, 0);
	pubsched_done(s, 3, 1, 1);
	pubsched_reset(s);
	assert_int_equal(pubsched_pending(s), 1);
	assert_int_equal(next(s, INTERVAL, NULL), 3);
}

static void pubsched_pending_should_count_polls_not_yet_acknowledged(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	assert_int_equal(pubsched_changed(s, 1, 1), 0);
	assert_int_equal(pubsched_changed(s, 2, 4), 0);
	assert_int_equal(pubsched_pending(s), 3);
	pubsched_sent(s, 1, 1, 0);
	assert_int_equal(pubsched_pending(s), 3); /* in flight still pending */
	pubsched_done(s, 1, 1, 1);
	assert_int_equal(pubsched_pending(s), 2);
	pubsched_sent(s, 2, 4, 0);
	pubsched_done(s, 2, 4, 0);
	assert_int_equal(pubsched_pending(s), 2); /* failed: still pending */
	assert_int_equal(pubsched_changed(s, 1, 2), 0);
	assert_int_equal(pubsched_pending(s), 3);
}

static void pubsched_changed_with_the_acknowledged_version_should_leave_nothing_pending(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 0, 5), 0);
	pubsched_sent(s, 0, 5, 0);
	pubsched_done(s, 0, 5, 1);
	assert_int_equal(pubsched_changed(s, 0, 5), 0);
	assert_int_equal(pubsched_pending(s), 0);
	assert_quiet_until(s, 2 * INTERVAL, INT64_MAX);
}

static void pubsched_next_should_serve_every_due_poll_one_at_a_time(void **state)
{
	struct pubsched *s = *state;
	bool seen[4] = { false, false, false, false };
	long got;
	int k;

	for (k = 0; k < 4; k++)
		assert_int_equal(pubsched_changed(s, (size_t)k, 1), 0);
	for (k = 0; k < 4; k++) {
		got = next(s, 0, NULL);
		assert_true(got >= 0 && got < 4);
		assert_false(seen[got]);
		seen[got] = true;
		pubsched_sent(s, (size_t)got, 1, 0);
	}
	assert_int_equal(next(s, 0, NULL), -1);
	assert_int_equal(pubsched_pending(s), 4);
}

static void pubsched_changed_should_grow_the_schedule_for_a_far_poll(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 1000, 1), 0);
	assert_int_equal(pubsched_pending(s), 1);
	assert_int_equal(next(s, 0, NULL), 1000);
	pubsched_sent(s, 1000, 1, 0);
	assert_int_equal(next(s, 0, NULL), -1);
	assert_int_equal(pubsched_changed(s, 3, 1), 0);
	assert_int_equal(next(s, 0, NULL), 3);
}

static void pubsched_next_should_wake_at_the_earliest_due_time(void **state)
{
	struct pubsched *s = *state;

	/* poll 0: in flight since 0, lost at TIMEOUT */
	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	pubsched_sent(s, 0, 1, 0);
	/* poll 1: acknowledged at 300, a new version waits for 300 + INTERVAL */
	assert_int_equal(pubsched_changed(s, 1, 1), 0);
	pubsched_sent(s, 1, 1, 300);
	pubsched_done(s, 1, 1, 1);
	assert_int_equal(pubsched_changed(s, 1, 2), 0);
	assert_quiet_until(s, 400, 300 + INTERVAL);
	assert_int_equal(next(s, 300 + INTERVAL, NULL), 1);
	pubsched_sent(s, 1, 2, 300 + INTERVAL);
	pubsched_done(s, 1, 2, 1);
	assert_quiet_until(s, 300 + INTERVAL, TIMEOUT);
}

/* ---- the heap: many polls, few changes ---- */

#define MANY 100000

/* started_at: when poll i's first publication started in the tests below
 * (ms): 20 polls per ms, so that due times differ from poll to poll. */
static int64_t started_at(size_t i)
{
	return (int64_t)(i / 20);
}

/* publish_all: MANY polls, each with version 1 published at started_at(i)
 * and acknowledged: nothing pending. */
static void publish_all(struct pubsched *s)
{
	size_t i;

	for (i = 0; i < MANY; i++)
		assert_int_equal(pubsched_changed(s, i, 1), 0);
	assert_int_equal(pubsched_pending(s), MANY);
	for (i = 0; i < MANY; i++) {
		pubsched_sent(s, i, 1, started_at(i));
		pubsched_done(s, i, 1, 1);
	}
	assert_int_equal(pubsched_pending(s), 0);
	assert_quiet_until(s, 0, INT64_MAX);
}

static void pubsched_next_should_return_exactly_the_changed_polls_of_many_in_due_order(void **state)
{
	struct pubsched *s = *state;
	/* in due order: started_at() grows with the poll's number */
	static const size_t changed[] = { 5, 31, 12345, 50000, 64000, 77777, 99999 };
	static const size_t order[] = { 64000, 5, 99999, 31, 77777, 12345, 50000 };
	size_t k, n = sizeof(changed) / sizeof(changed[0]);
	int64_t wake;

	publish_all(s);
	for (k = 0; k < n; k++)
		assert_int_equal(pubsched_changed(s, order[k], 2), 0);
	assert_int_equal(pubsched_pending(s), n);
	for (k = 0; k < n; k++) {
		int64_t due = started_at(changed[k]) + INTERVAL;

		/* nothing before its time, and the wake time is exactly it */
		assert_quiet_until(s, k == 0 ? 0 : started_at(changed[k - 1]) + INTERVAL, due);
		assert_int_equal(next(s, due, &wake), (long)changed[k]);
		assert_int_equal(wake, due);
		pubsched_sent(s, changed[k], 2, due);
		pubsched_done(s, changed[k], 2, 1);
		assert_int_equal(pubsched_pending(s), n - k - 1);
	}
	assert_quiet_until(s, 10 * INTERVAL, INT64_MAX);
}

static void pubsched_next_should_give_due_polls_of_many_in_the_order_they_became_due(void **state)
{
	struct pubsched *s = *state;
	size_t i, got = 0;
	long prev = -1;
	int64_t now = 100 * INTERVAL, wake;

	publish_all(s);
	/* every 997th poll changes; long after, all are due at once: they come
	 * out by due time, which is by poll number here, then nothing */
	for (i = MANY - 1; i < MANY; i -= 997)
		assert_int_equal(pubsched_changed(s, i, 2), 0);
	for (;;) {
		long p = next(s, now, &wake);

		if (p < 0)
			break;
		assert_true(p % 997 == (MANY - 1) % 997);
		assert_true(p > prev || started_at((size_t)p) == started_at((size_t)prev));
		prev = p;
		pubsched_sent(s, (size_t)p, 2, now);
		got++;
	}
	assert_int_equal(got, MANY / 997 + 1);
	/* all in flight: the next wake-up is when the first is taken as lost */
	assert_int_equal(wake, now + TIMEOUT);
	assert_int_equal(pubsched_pending(s), got);
}

static void pubsched_should_take_a_poll_as_lost_after_the_timeout_among_many_and_retry_it(void **state)
{
	struct pubsched *s = *state;
	int64_t wake;
	size_t k;

	publish_all(s);
	/* three changes go out at different times; only the middle one is acknowledged */
	assert_int_equal(pubsched_changed(s, 70000, 2), 0);
	assert_int_equal(pubsched_changed(s, 10, 2), 0);
	assert_int_equal(pubsched_changed(s, 40000, 2), 0);
	assert_int_equal(next(s, 10 * INTERVAL, NULL), 10);
	pubsched_sent(s, 10, 2, 10 * INTERVAL);
	assert_int_equal(next(s, 10 * INTERVAL + 1, NULL), 40000);
	pubsched_sent(s, 40000, 2, 10 * INTERVAL + 1);
	assert_int_equal(next(s, 10 * INTERVAL + 2, NULL), 70000);
	pubsched_sent(s, 70000, 2, 10 * INTERVAL + 2);
	pubsched_done(s, 40000, 2, 1);
	assert_int_equal(pubsched_pending(s), 2);
	/* the first taken as lost is 10, then 70000, each at its own timeout */
	assert_quiet_until(s, 10 * INTERVAL + 3, 10 * INTERVAL + TIMEOUT);
	assert_int_equal(next(s, 10 * INTERVAL + TIMEOUT, &wake), 10);
	pubsched_sent(s, 10, 2, 10 * INTERVAL + TIMEOUT);
	assert_quiet_until(s, 10 * INTERVAL + TIMEOUT, 10 * INTERVAL + 2 + TIMEOUT);
	assert_int_equal(next(s, 10 * INTERVAL + 2 + TIMEOUT, NULL), 70000);
	pubsched_sent(s, 70000, 2, 10 * INTERVAL + 2 + TIMEOUT);
	/* the late report of the lost one changes nothing; the retry's does */
	for (k = 0; k < 2; k++) {
		pubsched_done(s, 10, 2, 1);
		pubsched_done(s, 70000, 2, 1);
	}
	assert_int_equal(pubsched_pending(s), 0);
	assert_quiet_until(s, 10 * INTERVAL + 2 + TIMEOUT, INT64_MAX);
}

static void pubsched_pending_should_follow_reset_done_and_changed(void **state)
{
	struct pubsched *s = *state;
	size_t i;

	/* 0 acknowledged, 1 in flight, 2 waiting, 3 failed */
	for (i = 0; i < 4; i++)
		assert_int_equal(pubsched_changed(s, i, 1), 0);
	pubsched_sent(s, 0, 1, 0);
	pubsched_done(s, 0, 1, 1);
	pubsched_sent(s, 1, 1, 0);
	pubsched_sent(s, 3, 1, 0);
	pubsched_done(s, 3, 1, 0);
	assert_int_equal(pubsched_pending(s), 3);
	/* a reset: the acknowledged one is pending again, no other counts twice */
	pubsched_reset(s);
	assert_int_equal(pubsched_pending(s), 4);
	pubsched_reset(s);
	assert_int_equal(pubsched_pending(s), 4);
	/* 1's acknowledgement, for a start before the reset, does not count */
	pubsched_done(s, 1, 1, 1);
	assert_int_equal(pubsched_pending(s), 4);
	/* a change of a pending poll adds nothing, of an acknowledged one adds one */
	assert_int_equal(pubsched_changed(s, 2, 2), 0);
	assert_int_equal(pubsched_pending(s), 4);
	for (i = 0; i < 4; i++) {
		long p = next(s, 10 * INTERVAL, NULL);

		assert_true(p >= 0 && p < 4);
		pubsched_sent(s, (size_t)p, p == 2 ? 2 : 1, 10 * INTERVAL);
		pubsched_done(s, (size_t)p, p == 2 ? 2 : 1, 1);
	}
	assert_int_equal(pubsched_pending(s), 0);
	assert_int_equal(pubsched_changed(s, 3, 2), 0);
	assert_int_equal(pubsched_pending(s), 1);
	/* an older version reported again changes nothing */
	assert_int_equal(pubsched_changed(s, 3, 1), 0);
	assert_int_equal(pubsched_pending(s), 1);
}

/* ---- the budget of all polls together (issue 19, item 5) ----
 * Before: every due poll was returned at once, whatever the number in
 * flight: 1,000 polls put 1,000 results in Paho's queue, ahead of every
 * receipt. (pubsched_budget and pubsched_held did not exist.) */

/* A table of steps, each at its time: what pubsched_next must give. */
struct step {
	int64_t now;
	long want;        /* the poll it must return, or -1 */
	int64_t wake;     /* when -1: the wake time it must give */
	int done;         /* after a start: 1 acknowledge it at once, 0 leave it in flight */
};

static void run_steps(struct pubsched *s, const struct step *t, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		int64_t wake;
		long i = next(s, t[k].now, &wake);

		if (i != t[k].want || (i < 0 && wake != t[k].wake))
			fail_msg("step %zu at %lld: poll %ld wake %lld, expected poll %ld wake %lld", k,
				 (long long)t[k].now, i, (long long)wake, t[k].want, (long long)t[k].wake);
		if (i < 0)
			continue;
		pubsched_sent(s, (size_t)i, 1, t[k].now);
		if (t[k].done)
			pubsched_done(s, (size_t)i, 1, 1);
	}
}

static void pubsched_budget_should_hold_back_starts_past_the_in_flight_limit(void **state)
{
	struct pubsched *s = *state;
	size_t i;
	static const struct step steps[] = {
		{ 0, 0, 0, 0 }, { 0, 1, 0, 0 },     /* two in flight: the limit */
		{ 0, -1, TIMEOUT, 0 },              /* held back until one ends, or is lost */
		{ 10, -1, TIMEOUT, 0 },
	};

	pubsched_budget(s, 2, 0, 0, 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(pubsched_changed(s, i, 1), 0);
	run_steps(s, steps, sizeof(steps) / sizeof(steps[0]));
	pubsched_done(s, 0, 1, 1);
	assert_int_equal(next(s, 20, NULL), 2);
	pubsched_sent(s, 2, 1, 20);
	assert_int_equal(next(s, 20, NULL), -1);
	/* a failure frees its place too */
	pubsched_done(s, 1, 1, 0);
	assert_int_equal(next(s, 30, NULL), 3);
	pubsched_sent(s, 3, 1, 30);
	pubsched_done(s, 3, 1, 1);
	pubsched_done(s, 2, 1, 1);
	/* poll 1's retry: after its interval */
	assert_quiet_until(s, 30, INTERVAL);
	assert_int_equal(next(s, INTERVAL, NULL), 1);
}

static void pubsched_budget_should_start_at_most_so_many_a_second(void **state)
{
	struct pubsched *s = *state;
	size_t i;
	/* 10 a second, 3 at once: one every 100 ms once the burst is spent */
	static const struct step steps[] = {
		{ 0, 0, 0, 1 }, { 0, 1, 0, 1 }, { 0, 2, 0, 1 },
		{ 0, -1, 100, 0 }, { 99, -1, 100, 0 },
		{ 100, 3, 0, 1 }, { 100, -1, 200, 0 },
		{ 250, 4, 0, 1 }, { 300, 5, 0, 1 }, { 300, -1, 400, 0 },
		/* a quiet spell refills the burst, no more */
		{ 5000, 6, 0, 1 }, { 5000, 7, 0, 1 }, { 5000, 8, 0, 1 }, { 5000, -1, 5100, 0 },
	};

	pubsched_budget(s, 0, 10, 3, 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(pubsched_changed(s, i, 1), 0);
	run_steps(s, steps, sizeof(steps) / sizeof(steps[0]));
	assert_int_equal(pubsched_pending(s), 1);
}

/* a poll that changes while held back goes out once, with its newest
 * version: the older one is never sent */
static void pubsched_budget_should_send_only_the_newest_version_of_a_poll_held_back(void **state)
{
	struct pubsched *s = *state;

	pubsched_budget(s, 1, 0, 0, 0);
	assert_int_equal(pubsched_changed(s, 0, 1), 0);
	assert_int_equal(pubsched_changed(s, 1, 1), 0);
	assert_int_equal(next(s, 0, NULL), 0);
	pubsched_sent(s, 0, 1, 0);
	assert_int_equal(pubsched_changed(s, 1, 2), 0);
	assert_int_equal(pubsched_changed(s, 1, 3), 0);
	assert_int_equal(next(s, 5, NULL), -1);
	pubsched_done(s, 0, 1, 1);
	assert_int_equal(next(s, 5, NULL), 1);
	pubsched_sent(s, 1, 3, 5);
	pubsched_done(s, 1, 3, 1);
	assert_int_equal(pubsched_pending(s), 0);
	assert_quiet_until(s, 5, INT64_MAX);
}

/* held back, the timeouts of those in flight still run, and the polls
 * wait in the order they became due: none is starved by a busy one */
static void pubsched_budget_should_serve_many_polls_in_turn_and_still_take_lost_ones_as_lost(void **state)
{
	struct pubsched *s = *state;
	int64_t now = 0, wake, others_at = -1;
	size_t i, others = 0, busy = 0;
	long got;

	pubsched_budget(s, 4, 200, 20, 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(pubsched_changed(s, i, 1), 0);
	/* poll 0 starts and is never answered: taken as lost at TIMEOUT */
	assert_int_equal(next(s, now, NULL), 0);
	pubsched_sent(s, 0, 1, now);
	while (pubsched_pending(s) > 0 && now < 120000) {
		got = next(s, now, &wake);
		if (got < 0) {
			assert_true(wake > now && wake != INT64_MAX);
			now = wake;
			continue;
		}
		/* poll 999 changes again at once, 50 times in all */
		pubsched_sent(s, (size_t)got, got == 999 ? 1 + busy : 1, now);
		pubsched_done(s, (size_t)got, got == 999 ? 1 + busy : 1, 1);
		if (got == 999 && ++busy < 50)
			assert_int_equal(pubsched_changed(s, 999, 1 + busy), 0);
		if (got != 999 && ++others == 999)
			others_at = now;
	}
	assert_int_equal(pubsched_pending(s), 0);
	assert_int_equal(busy, 50);
	/* the 998 others and poll 0's retry, each once: at 200 a second after a
	 * burst of 20, about 5 s, however busy poll 999 is (once an interval) */
	assert_int_equal(others, 999);
	if (others_at < 4800 || others_at > TIMEOUT + 200)
		fail_msg("the other polls all served at %lld ms", (long long)others_at);
	assert_true(now >= 49 * INTERVAL);
}

static void pubsched_held_should_take_what_the_broker_holds_as_acknowledged(void **state)
{
	struct pubsched *s = *state;

	assert_int_equal(pubsched_changed(s, 0, 2), 0);
	assert_int_equal(pubsched_changed(s, 1, 1), 0);
	pubsched_held(s, 0);
	pubsched_held(s, 7); /* no such poll: nothing */
	assert_int_equal(pubsched_pending(s), 1);
	assert_int_equal(next(s, 0, NULL), 1);
	pubsched_sent(s, 1, 1, 0);
	/* one in flight: its end will say */
	pubsched_held(s, 1);
	assert_int_equal(pubsched_pending(s), 1);
	pubsched_done(s, 1, 1, 1);
	assert_int_equal(pubsched_pending(s), 0);
	/* a newer version is due again */
	assert_int_equal(pubsched_changed(s, 0, 3), 0);
	assert_int_equal(next(s, 0, NULL), 0);
}

static void pubsched_free_should_accept_null(void **state)
{
	(void)state;
	pubsched_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pubsched_next_should_find_nothing_in_an_empty_schedule, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_next_should_return_a_changed_poll_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_next_should_keep_returning_a_due_poll_until_it_is_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_should_coalesce_versions_into_one_publication, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_should_not_start_a_poll_twice_within_the_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_should_publish_at_once_when_the_interval_has_passed, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_should_wait_for_the_one_in_flight_even_after_the_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_should_wait_for_done_and_the_interval_whichever_is_later, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_done_with_failure_should_make_the_poll_due_again, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_should_retry_a_publication_not_confirmed_within_the_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_should_ignore_a_stale_done_after_a_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_done_of_an_older_version_should_not_acknowledge_the_newest, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_reset_should_make_every_poll_due_again, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_reset_should_leave_a_publication_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_reset_should_not_touch_polls_that_never_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_again_should_make_an_acknowledged_poll_due_after_the_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_again_should_not_let_the_acknowledgement_in_flight_count, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_again_should_ignore_a_poll_with_no_version, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_pending_should_count_polls_not_yet_acknowledged, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_changed_with_the_acknowledged_version_should_leave_nothing_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_next_should_serve_every_due_poll_one_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_changed_should_grow_the_schedule_for_a_far_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_next_should_wake_at_the_earliest_due_time, setup, teardown),
		cmocka_unit_test(pubsched_free_should_accept_null),
		cmocka_unit_test_setup_teardown(pubsched_next_should_return_exactly_the_changed_polls_of_many_in_due_order, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_next_should_give_due_polls_of_many_in_the_order_they_became_due, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_should_take_a_poll_as_lost_after_the_timeout_among_many_and_retry_it, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_pending_should_follow_reset_done_and_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_due_should_say_when_a_change_can_go_out, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_budget_should_hold_back_starts_past_the_in_flight_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_budget_should_start_at_most_so_many_a_second, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_budget_should_send_only_the_newest_version_of_a_poll_held_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			pubsched_budget_should_serve_many_polls_in_turn_and_still_take_lost_ones_as_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(pubsched_held_should_take_what_the_broker_holds_as_acknowledged, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
