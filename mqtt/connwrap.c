/* connwrap.c -- finishes Paho's non-blocking TCP connect itself, so MQTTClient_connect does not sleep 100 ms
 *
 * Why: Paho C 1.3.12 (Debian 12's libpaho-mqtt3cs, reporting 1.3.11)
 * spends about 100 ms in every synchronous connect, for nothing:
 *  - src/Socket.c:1166-1185 (Socket_new): connect() on a non-blocking
 *    socket; EINPROGRESS puts it on the connect_pending list and
 *    MQTTProtocol_connect (src/MQTTProtocolOut.c:303) marks the client
 *    TCP_IN_PROGRESS;
 *  - src/MQTTClient.c:1261-1264 then waits in MQTTClient_waitfor, which
 *    runs MQTTClient_cycle(&sock, 100L, rc) (src/MQTTClient.c:2697);
 *  - src/Socket.c:538 (Socket_getReadySocket) checks writability with
 *    timeout 0 -- the connect is seldom done at that instant -- and
 *    src/Socket.c:547 then waits for *readability* for the whole 100 ms:
 *    the broker sends nothing before CONNECT, so the completed connect is
 *    only seen once that poll times out (or, when it was done already,
 *    still after the 100 ms read poll).
 *
 * What: this file defines connect() and poll() in the executable. The
 * dynamic linker resolves libpaho's calls to them here first
 * (interposition; `-Wl,--wrap` would not reach a shared library), and each
 * passes through to the next definition (libc, or a sanitizer's
 * interceptor) found with dlsym(RTLD_NEXT). Only between connwrap_begin()
 * and connwrap_end(), on the thread that called connwrap_begin, do they do
 * more:
 *  - connect(): on the first TCP connect that is in progress, wait (poll
 *    POLLOUT) until it completes or fails, up to the deadline; then
 *    return -1 with errno EINPROGRESS whatever happened, so that Paho takes
 *    its usual in-progress path (even a connect done at once is reported in
 *    progress: Paho's MQTTProtocol_connect mishandles a TLS handshake that
 *    succeeds on the first try). Paho reads SO_ERROR itself
 *    (src/MQTTClient.c:2709): the error is left for it.
 *  - poll(): Paho's next waiting poll (the read poll of src/Socket.c:547)
 *    is made with timeout 0: the write poll before it has seen the socket
 *    writable, so Paho takes it as connected at once. Past the deadline
 *    the socket is shut down, so that Paho's wait for the CONNACK (which
 *    counts only whole seconds) ends with an error at the deadline.
 *
 * Fail-safe: if the wrapper does not engage (not armed, disabled with the
 * environment variable MQTTVOTE_NO_CONNWRAP, a future Paho that connects
 * otherwise), Paho connects as it always did, 100 ms slower, and
 * --timeout is kept to the next whole second. */
#include "connwrap.h"

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "vtime.h"

typedef int connect_fn(int, const struct sockaddr *, socklen_t);
typedef int poll_fn(struct pollfd *, nfds_t, int);

/* glibc's own exported names of the same functions: used only if dlsym
 * cannot find the next definition (it always can in a dynamic program). */
extern int __connect(int, const struct sockaddr *, socklen_t);
extern int __poll(struct pollfd *, nfds_t, int);

static connect_fn *next_connect;
static poll_fn *next_poll;
static pthread_once_t resolved = PTHREAD_ONCE_INIT;

/* The state of this thread's wrapper: armed only around MQTTClient_connect. */
static _Thread_local struct {
	bool armed;
	int64_t deadline;  /* vtime_mono_ms */
	bool skip_wait;    /* make Paho's next waiting poll not wait */
	struct connwrap_seen seen;
} w = { .seen = { .fd = -1 } };

static void resolve(void)
{
	next_connect = (connect_fn *)dlsym(RTLD_NEXT, "connect");
	next_poll = (poll_fn *)dlsym(RTLD_NEXT, "poll");
	if (!next_connect)
		next_connect = __connect;
	if (!next_poll)
		next_poll = __poll;
}

/* real_poll: poll() as if this file did not exist. */
static int real_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	(void)pthread_once(&resolved, resolve);
	return next_poll(fds, n, timeout);
}

/* wait_connected: waits until fd's connect completes, fails, or the
 * deadline passes; records which in w.seen. */
static void wait_connected(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int64_t left;
	int rc;

	for (;;) {
		left = w.deadline - vtime_mono_ms();
		rc = real_poll(&p, 1, left > 0 ? (int)left : 0);
		if (rc >= 0 || errno != EINTR)
			break;
	}
	if (rc == 1) {
		w.seen.tcp_up = !(p.revents & (POLLERR | POLLHUP));
		w.skip_wait = true;
	}
}

/* connect: libc's connect(2) (the same arguments, result and errno),
 * except armed, for the first TCP connect in progress: waits for it to
 * complete up to the deadline, then returns -1 with errno EINPROGRESS. */
int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int rc;

	(void)pthread_once(&resolved, resolve);
	rc = next_connect(fd, addr, len);
	if (!w.armed || w.seen.fd >= 0 || (rc != 0 && errno != EINPROGRESS) || !addr ||
	    (addr->sa_family != AF_INET && addr->sa_family != AF_INET6))
		return rc;
	w.seen.fd = fd;
	if (rc == 0) {
		w.seen.tcp_up = true;
		w.skip_wait = true;
	} else {
		wait_connected(fd);
	}
	errno = EINPROGRESS; /* Paho's in-progress path, whatever happened */
	return -1;
}

/* watches: true when fds asks for input on fd (Paho's read set). */
static bool watches(const struct pollfd *fds, nfds_t n, int fd)
{
	nfds_t k;

	for (k = 0; k < n; k++)
		if (fds[k].fd == fd && (fds[k].events & POLLIN))
			return true;
	return false;
}

/* glibc declares poll's fds write-only (__attr_access), which it is not
 * (poll reads each events field): reading them here is no use of
 * uninitialised memory. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
/* poll: libc's poll(2), except armed, for a wait on the socket connect()
 * saw: the first one after the connect completed does not wait, none
 * waits past the deadline, and past it the socket is shut down. */
int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int64_t left;

	if (!w.armed || w.seen.fd < 0 || timeout == 0 || !watches(fds, n, w.seen.fd))
		return real_poll(fds, n, timeout);
	if (w.skip_wait) {
		w.skip_wait = false;
		return real_poll(fds, n, 0);
	}
	left = w.deadline - vtime_mono_ms();
	if (left <= 0 && !w.seen.expired) {
		w.seen.expired = true;
		(void)shutdown(w.seen.fd, SHUT_RDWR); /* Paho reads an error, and stops waiting */
	}
	if (left <= 0)
		return real_poll(fds, n, 0);
	return real_poll(fds, n, timeout < 0 || timeout > left ? (int)left : timeout);
}
#pragma GCC diagnostic pop

void connwrap_begin(int64_t deadline)
{
	const char *off = getenv("MQTTVOTE_NO_CONNWRAP");

	w.seen = (struct connwrap_seen){ .fd = -1 };
	w.skip_wait = false;
	w.deadline = deadline;
	w.armed = !(off && *off);
}

struct connwrap_seen connwrap_end(void)
{
	w.armed = false;
	w.skip_wait = false;
	return w.seen;
}
