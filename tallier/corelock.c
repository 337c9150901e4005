/* corelock.c -- the core's two locks, and in debug builds the checks of their order and of who holds them */
#include <assert.h>
#include <pthread.h>

#include "coreint.h"

#ifndef NDEBUG
/* Which core's lock and store_lock this thread holds (NULL: none): the
 * thread's own, so that reading them is no data race. */
static _Thread_local const struct core *held_lock, *held_store;
#endif

void core_lock(struct core *c)
{
	assert(held_lock != c && "c->lock taken twice");
	assert(held_store != c && "c->lock taken while store_lock is held: the order is lock, then store_lock");
	pthread_mutex_lock(&c->lock);
#ifndef NDEBUG
	held_lock = c;
#endif
}

void core_unlock(struct core *c)
{
	assert(held_lock == c && "c->lock released by a thread that does not hold it");
#ifndef NDEBUG
	held_lock = NULL;
#endif
	pthread_mutex_unlock(&c->lock);
}

void core_store_lock(struct core *c)
{
	assert(held_store != c && "store_lock taken twice");
	pthread_mutex_lock(&c->store_lock);
#ifndef NDEBUG
	held_store = c;
#endif
}

void core_store_unlock(struct core *c)
{
	assert(held_store == c && "store_lock released by a thread that does not hold it");
#ifndef NDEBUG
	held_store = NULL;
#endif
	pthread_mutex_unlock(&c->store_lock);
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
