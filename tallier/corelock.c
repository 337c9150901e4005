/* corelock.c -- the core's two locks, and in debug builds the checks of their order and of who holds them */
#include <assert.h>
#include <pthread.h>

#include "coreint.h"

#ifndef NDEBUG
/* Which core's lock and store_lock this thread holds (NULL: none): the
 * thread's own, so that reading them is no data race. */
static _Thread_local const struct core *held_lock, *held_store;
#define NOTE(held) (&(held))
#else
#define NOTE(held) NULL /* release builds keep no note */
#endif

/* take: locks m, then notes (when note is not NULL) that this thread
 * holds c's. */
static void take(pthread_mutex_t *m, const struct core **note, const struct core *c)
{
	pthread_mutex_lock(m);
	if (note)
		*note = c;
}

/* release: notes (when note is not NULL) that this thread no longer holds
 * m, then unlocks it. */
static void release(pthread_mutex_t *m, const struct core **note)
{
	if (note)
		*note = NULL;
	pthread_mutex_unlock(m);
}

void core_lock(struct core *c)
{
	assert(held_lock != c && "c->lock taken twice");
	assert(held_store != c && "c->lock taken while store_lock is held: the order is lock, then store_lock");
	take(&c->lock, NOTE(held_lock), c);
}

void core_store_lock(struct core *c)
{
	assert(held_store != c && "store_lock taken twice");
	take(&c->store_lock, NOTE(held_store), c);
}

void core_store_unlock(struct core *c)
{
	assert(held_store == c && "store_lock released by a thread that does not hold it");
	release(&c->store_lock, NOTE(held_store));
}

void core_unlock(struct core *c)
{
	assert(held_lock == c && "c->lock released by a thread that does not hold it");
	release(&c->lock, NOTE(held_lock));
}

void core_wait_settled(struct core *c)
{
	assert(held_lock == c && held_store != c && "waiting on settled needs c->lock, and not store_lock");
	pthread_cond_wait(&c->settled, &c->lock);
}

void core_assert_locked(const struct core *c)
{
#ifndef NDEBUG
	assert(held_lock == c && "must run under c->lock");
#else
	(void)c;
#endif
}

void core_assert_loop_thread(struct core *c)
{
#ifndef NDEBUG
	if (!c->loop_thread_known) {
		c->loop_thread = pthread_self();
		c->loop_thread_known = true;
	}
	assert(pthread_equal(c->loop_thread, pthread_self()) && "loop thread only");
#else
	(void)c;
#endif
}
