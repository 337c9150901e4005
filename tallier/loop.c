/* loop.c -- the tallier's one event loop: poll() over the transports' sockets, their timers, and a wake-up from other threads */
#include "loop.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "vtime.h"

/* The set of descriptors of one round: the wake-up eventfd first, then
 * each source's, in order. */
struct loop_fds {
	struct pollfd *fds;
	size_t n, cap;
};

/* The loop's thread owns sources and set. The other fields are atomics,
 * written by any thread or a signal handler. */
struct loop {
	int wake_fd;                 /* an eventfd: a write wakes poll() (as libuv's async handles do) */
	struct loop_source src[LOOP_MAX_SOURCES];
	size_t nsrc;
	struct loop_fds set;
	int stopped;                 /* atomic: 0 while running, then 1 + the status given to loop_stop */
	int signalled;               /* atomic: loop_signal was called */
};

int loop_fds_add(struct loop_fds *set, int fd, short events)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 64;
		struct pollfd *grown = realloc(set->fds, cap * sizeof(*grown));

		if (!grown)
			return -1;
		set->fds = grown;
		set->cap = cap;
	}
	set->fds[set->n++] = (struct pollfd){ .fd = fd, .events = events };
	return 0;
}

struct loop *loop_new(char *err, size_t errlen)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wake_fd < 0) {
		snprintf(err, errlen, "cannot create an eventfd: %s", strerror(errno));
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	close(l->wake_fd);
	free(l->set.fds);
	free(l);
}

int loop_add(struct loop *l, const struct loop_source *src, char *err, size_t errlen)
{
	if (l->nsrc == LOOP_MAX_SOURCES) {
		snprintf(err, errlen, "too many event sources");
		return -1;
	}
	l->src[l->nsrc++] = *src;
	return 0;
}

void loop_wake(struct loop *l)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is full: a wake-up is pending anyway */
	if (write(l->wake_fd, &one, sizeof(one)) < 0) {
	}
}

void loop_signal(struct loop *l)
{
	__atomic_store_n(&l->signalled, 1, __ATOMIC_RELEASE);
	loop_wake(l);
}

bool loop_signalled(struct loop *l)
{
	return __atomic_load_n(&l->signalled, __ATOMIC_ACQUIRE) != 0;
}

void loop_stop(struct loop *l, int rc)
{
	int running = 0;

	/* the first caller's status stands */
	(void)__atomic_compare_exchange_n(&l->stopped, &running, 1 + (rc & 0xff), false, __ATOMIC_ACQ_REL,
					  __ATOMIC_ACQUIRE);
	loop_wake(l);
}

static bool stopped(struct loop *l)
{
	return __atomic_load_n(&l->stopped, __ATOMIC_ACQUIRE) != 0;
}

int loop_run(struct loop *l)
{
	size_t first[LOOP_MAX_SOURCES], count[LOOP_MAX_SOURCES], k;
	uint64_t drained;

	while (!stopped(l)) {
		int64_t now = vtime_mono_ms(), deadline = INT64_MAX, wait;

		l->set.n = 0;
		if (loop_fds_add(&l->set, l->wake_fd, POLLIN) != 0)
			goto oom;
		for (k = 0; k < l->nsrc; k++) {
			first[k] = l->set.n;
			if (l->src[k].prepare(l->src[k].ctx, &l->set, now, &deadline) != 0)
				goto oom;
			count[k] = l->set.n - first[k];
		}
		wait = deadline == INT64_MAX ? -1 : deadline <= now ? 0 : deadline - now;
		if (wait > INT_MAX)
			wait = INT_MAX;
		if (poll(l->set.fds, l->set.n, (int)wait) < 0 && errno != EINTR) {
			log_line("poll: %s", strerror(errno));
			loop_stop(l, 1);
			break;
		}
		if (l->set.fds[0].revents & POLLIN) {
			if (read(l->wake_fd, &drained, sizeof(drained)) < 0) {
				/* EAGAIN: drained by an earlier round */
			}
		}
		if (stopped(l))
			break;
		now = vtime_mono_ms();
		for (k = 0; k < l->nsrc; k++)
			l->src[k].dispatch(l->src[k].ctx, l->set.fds + first[k], count[k], now);
	}
	goto out;
oom:
	log_line("out of memory");
	loop_stop(l, 1);
out:
	return __atomic_load_n(&l->stopped, __ATOMIC_ACQUIRE) - 1;
}
