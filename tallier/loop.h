/* loop.h -- the tallier's one event loop: poll() over the transports' sockets, their timers, and a wake-up from other threads */
#ifndef MQTTVOTE_LOOP_H
#define MQTTVOTE_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOOP_MAX_SOURCES 4

struct loop;
struct loop_fds;

/* A source of work for the loop (the TCP server, the result publisher).
 * Both functions run on the loop's thread only. */
struct loop_source {
	/* prepare: adds the descriptors to watch with loop_fds_add and lowers
	 * *deadline_ms (monotonic ms, INT64_MAX when none) to when dispatch
	 * must run at the latest. Returns 0, or -1 when memory runs out (the
	 * loop then stops with status 1). */
	int (*prepare)(void *ctx, struct loop_fds *set, int64_t now_ms, int64_t *deadline_ms);
	/* dispatch: runs after every wake of the loop, whatever woke it: fds
	 * (n of them) are the descriptors prepare added, in its order, with
	 * their revents. */
	void (*dispatch)(void *ctx, const struct pollfd *fds, size_t n, int64_t now_ms);
	void *ctx;
};

/* loop_fds_add: watches fd for events in this round. Returns 0, or -1
 * when memory runs out. */
int loop_fds_add(struct loop_fds *set, int fd, short events);

/* loop_new: a loop with no sources. Returns it, or NULL with the reason in
 * err. Free with loop_free. */
struct loop *loop_new(char *err, size_t errlen);

/* loop_free: frees l. NULL is allowed. */
void loop_free(struct loop *l);

/* loop_add: adds a source (copied), before loop_run. Returns 0, or -1
 * with err set ("too many event sources") when LOOP_MAX_SOURCES are there
 * already. */
int loop_add(struct loop *l, const struct loop_source *src, char *err, size_t errlen);

/* loop_wake: makes the loop run its sources' dispatch soon. Any thread;
 * async-signal-safe; cheap (one eventfd write). */
void loop_wake(struct loop *l);

/* loop_signal: a stop was asked for (SIGINT, SIGTERM): sets what
 * loop_signalled says and wakes the loop. Async-signal-safe. */
void loop_signal(struct loop *l);

/* loop_signalled: true once loop_signal was called. Any thread. */
bool loop_signalled(struct loop *l);

/* loop_stop: ends loop_run, which returns rc (the first rc given wins).
 * Any thread. */
void loop_stop(struct loop *l, int rc);

/* loop_run: runs the loop on the calling thread until loop_stop. Returns
 * the rc given to loop_stop. */
int loop_run(struct loop *l);

#endif
