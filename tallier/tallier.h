/* tallier.h -- the tallier's shared state: tally, publication schedule, wake-up */
#ifndef MQTTVOTE_TALLIER_H
#define MQTTVOTE_TALLIER_H

#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>

#include "options.h"
#include "pubsched.h"
#include "tally.h"

#define RESULT_INTERVAL_MS 100  /* at most 10 results per second per poll */
#define RESULT_TIMEOUT_MS 5000  /* an unconfirmed result is published again */

struct link;
struct store;

/* Shared by the main thread and Paho's callback threads. lock guards
 * tally, sched, store and fatal; wake is posted when the main loop has work. */
struct tallier {
	struct client_opts opts;
	struct tally *tally;
	struct pubsched *sched;
	struct store *store;       /* every change is committed here before it is acknowledged */
	struct link *link;
	pthread_mutex_t lock;
	sem_t wake;
	int wake_pending;          /* 1 while a post of wake is unconsumed (atomic) */
	int64_t next_wake_ms;      /* when the main loop wakes by itself (monotonic; lock) */
	volatile sig_atomic_t stop; /* SIGINT or SIGTERM received */
	int fatal;                 /* a callback hit an error we cannot go on from */
};

/* tallier_changed: poll i's result changed: wakes the main loop if that
 * makes a publication due before it would wake by itself. Call with
 * t->lock held; returns whether to call tallier_wake after releasing it
 * (a wake-up per ballot would cost more than the ballot). */
bool tallier_changed(struct tallier *t, size_t i);

/* tallier_wake: asks the main loop to look at the schedule again.
 * Async-signal-safe; cheap when a wake-up is already pending. */
void tallier_wake(struct tallier *t);

/* tallier_fail: records a fatal error (logged by the caller): the main
 * loop stops and the tallier exits 1. */
void tallier_fail(struct tallier *t);

#endif
