/* server.c -- the direct TCP server: newline-delimited JSON, one poll() loop, no thread per client */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "intake.h"
#include "log.h"
#include "request.h"
#include "tallier.h"
#include "vtime.h"

#define MAX_LISTEN 4
#define IN_SIZE (REQUEST_LINE_MAX + 2) /* a longest line and its "\r\n" */
#define OUT_HIGH (64 * 1024)           /* stop reading from a client that does not read its replies */
#define LINGER_MS 1000                 /* after an error line: how long to drain the client's input */

struct client {
	int fd;
	char peer[64];
	char in[IN_SIZE];
	size_t inlen;
	char *out;            /* replies not written yet: out[outoff..outlen) */
	size_t outlen, outoff, outcap;
	int64_t last_ms;      /* last activity (monotonic) */
	bool eof;             /* the peer closed its side: read no more */
	bool closing;         /* close once out is written */
	bool lingering;       /* written and shut down: input read and dropped until EOF */
	int64_t linger_end;
};

struct server {
	struct tallier *t;
	int lfd[MAX_LISTEN];
	int nlfd;
	int wake[2];          /* a byte here stops the thread */
	pthread_t thread;
	bool running;
	struct client **c;
	size_t n;
	int idle_ms, max_clients;
};

static void addr_text(const struct sockaddr *sa, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(buf, size, "%s:%d", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(buf, size, "[%s]:%d", host, port);
	} else {
		snprintf(buf, size, "?");
	}
}

/* queue: appends data[0..len) to c's replies. Returns 0, or -1. */
static int queue(struct client *c, const char *data, size_t len)
{
	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + len > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 1024;
		char *grown;

		while (cap < c->outlen + len)
			cap *= 2;
		grown = realloc(c->out, cap);
		if (!grown)
			return -1;
		c->out = grown;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
	return 0;
}

/* reply_error: queues {"error":msg}, logs it, and closes c once written. */
static void reply_error(struct server *s, struct client *c, const char *msg)
{
	char *json = request_error_json(msg);

	if (!s->t->opts.quiet)
		log_line("tcp %s: %s: closing", c->peer, msg);
	if (!json || queue(c, json, strlen(json)) != 0 || queue(c, "\n", 1) != 0)
		c->outoff = c->outlen = 0; /* out of memory: close without it */
	free(json);
	c->closing = true;
}

/* flush: writes what it can of c's replies. Returns 0, or -1 when the
 * connection is broken. */
static int flush(struct client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		c->outoff += (size_t)n;
	}
	return 0;
}

/* lines: answers every complete line in c's input, in order. */
static void lines(struct server *s, struct client *c)
{
	char *nl;

	while (!c->closing && (nl = memchr(c->in, '\n', c->inlen))) {
		size_t len = (size_t)(nl - c->in), rest;
		char *answer;

		if (len > 0 && c->in[len - 1] == '\r')
			len--;
		if (len > REQUEST_LINE_MAX) {
			reply_error(s, c, "line too long (at most 4096 bytes)");
			return;
		}
		if (len > 0) { /* empty lines are allowed, and ignored */
			answer = intake_line(s->t, c->in, len, c->peer);
			if (!answer || queue(c, answer, strlen(answer)) != 0 || queue(c, "\n", 1) != 0) {
				free(answer);
				c->closing = true;
				c->outoff = c->outlen = 0;
				return;
			}
			free(answer);
		}
		rest = c->inlen - (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, rest);
		c->inlen = rest;
	}
	if (!c->closing && c->inlen == sizeof(c->in))
		reply_error(s, c, "line too long (at most 4096 bytes)");
}

/* readable: reads what c sent and answers its complete lines. */
static void readable(struct server *s, struct client *c)
{
	ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);

	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			c->eof = c->closing = true, c->outoff = c->outlen = 0;
		return;
	}
	if (n == 0) {
		c->eof = true; /* a half-close: answer what came, then close */
		return;
	}
	c->inlen += (size_t)n;
	lines(s, c);
}

/* linger: drops what a closing client still sends. Returns false once it
 * is time to close it (its EOF, an error, or LINGER_MS passed). */
static bool linger(struct client *c, short rev, int64_t now)
{
	char sink[4096];
	ssize_t n;

	if (rev & (POLLIN | POLLHUP | POLLERR)) {
		do
			n = recv(c->fd, sink, sizeof(sink), 0);
		while (n > 0);
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return false;
	}
	return now < c->linger_end;
}

static void drop(struct server *s, size_t i)
{
	struct client *c = s->c[i];

	if (s->t->opts.verbose)
		log_line("tcp %s: closed", c->peer);
	close(c->fd);
	free(c->out);
	free(c);
	s->c[i] = s->c[--s->n];
}

static void accept_all(struct server *s, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct client *c, **grown;
	char peer[64];
	int fd;

	for (;;) {
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a connection that died in the queue */
		addr_text((struct sockaddr *)&ss, peer, sizeof(peer));
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int)); /* replies go at once */
		if (s->n >= (size_t)s->max_clients) {
			static const char full[] = "{\"error\":\"too many connections\"}\n";

			if (send(fd, full, sizeof(full) - 1, MSG_NOSIGNAL) < 0) {
				/* nothing more to do for it */
			}
			close(fd);
			if (!s->t->opts.quiet)
				log_line("tcp %s: too many connections (at most %d): refused", peer, s->max_clients);
			continue;
		}
		c = calloc(1, sizeof(*c));
		grown = c ? realloc(s->c, (s->n + 1) * sizeof(*s->c)) : NULL;
		if (!grown) {
			free(c);
			close(fd);
			log_line("tcp %s: out of memory: refused", peer);
			continue;
		}
		s->c = grown;
		c->fd = fd;
		snprintf(c->peer, sizeof(c->peer), "%s", peer);
		c->last_ms = vtime_mono_ms();
		s->c[s->n++] = c;
		if (s->t->opts.verbose)
			log_line("tcp %s: connected", peer);
	}
}

static void *loop(void *arg)
{
	struct server *s = arg;
	struct pollfd *p = NULL;
	size_t cap = 0, i, base = 1 + (size_t)s->nlfd;

	for (;;) {
		int64_t now = vtime_mono_ms(), next = now + 60000;
		int timeout, k;

		if (cap < base + s->n) {
			struct pollfd *grown = realloc(p, (base + s->n) * sizeof(*p));

			if (!grown) {
				log_line("tcp: out of memory");
				tallier_fail(s->t);
				break;
			}
			p = grown;
			cap = base + s->n;
		}
		p[0] = (struct pollfd){ .fd = s->wake[0], .events = POLLIN };
		for (k = 0; k < s->nlfd; k++)
			p[1 + k] = (struct pollfd){ .fd = s->lfd[k], .events = POLLIN };
		for (i = 0; i < s->n; i++) {
			struct client *c = s->c[i];
			short ev = 0;

			if (c->lingering || (!c->eof && !c->closing && c->outlen - c->outoff < OUT_HIGH))
				ev |= POLLIN;
			if (c->outoff < c->outlen)
				ev |= POLLOUT;
			p[base + i] = (struct pollfd){ .fd = c->fd, .events = ev };
			if (c->last_ms + s->idle_ms < next)
				next = c->last_ms + s->idle_ms;
			if (c->lingering && c->linger_end < next)
				next = c->linger_end;
		}
		timeout = next > now ? (int)(next - now) : 0;
		if (poll(p, base + s->n, timeout) < 0 && errno != EINTR) {
			log_line("tcp: poll: %s", strerror(errno));
			tallier_fail(s->t);
			break;
		}
		if (p[0].revents)
			break;
		now = vtime_mono_ms();
		/* clients first, by their poll slots: accepting appends to s->c */
		for (i = s->n; i-- > 0;) {
			struct client *c = s->c[i];
			short rev = p[base + i].revents;

			if (c->lingering) {
				if (!linger(c, rev, now))
					drop(s, i);
				continue;
			}
			if (rev & (POLLIN | POLLHUP | POLLERR))
				readable(s, c);
			if ((rev & (POLLIN | POLLOUT | POLLHUP)) != 0)
				c->last_ms = now;
			if (flush(c) != 0) {
				drop(s, i);
				continue;
			}
			if (c->outoff == c->outlen && c->closing && !c->eof) {
				/* a close with unread input would send a reset, which can
				 * destroy the error line in flight: shut down our side and
				 * drain theirs first */
				shutdown(c->fd, SHUT_WR);
				c->lingering = true;
				c->linger_end = now + LINGER_MS;
				continue;
			}
			if (c->outoff == c->outlen && (c->closing || c->eof)) {
				drop(s, i);
				continue;
			}
			if (now - c->last_ms >= s->idle_ms) {
				char msg[64];

				snprintf(msg, sizeof(msg), "idle for %d s", s->idle_ms / 1000);
				reply_error(s, c, msg);
				(void)flush(c);
				drop(s, i);
			}
		}
		for (k = 0; k < s->nlfd; k++)
			if (p[1 + k].revents & POLLIN)
				accept_all(s, s->lfd[k]);
	}
	free(p);
	return NULL;
}

/* split_spec: "[ADDR:]PORT" into host (NULL for every interface) and port. */
static int split_spec(const char *spec, char *host, size_t hsize, char *port, size_t psize, bool *any)
{
	const char *colon = strrchr(spec, ':');

	*any = colon == NULL;
	if (!colon) {
		snprintf(port, psize, "%s", spec);
		return 0;
	}
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (!end || end + 1 != colon)
			return -1;
		snprintf(host, hsize, "%.*s", (int)(end - spec - 1), spec + 1);
	} else {
		snprintf(host, hsize, "%.*s", (int)(colon - spec), spec);
	}
	snprintf(port, psize, "%s", colon + 1);
	return host[0] ? 0 : -1;
}

static int listen_on(struct server *s, const struct sockaddr *sa, socklen_t len, bool dual, char *err,
		     size_t errlen)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	char text[80];
	int fd, one = 1, zero = 0;

	addr_text(sa, text, sizeof(text));
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (dual && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) != 0) ||
	    bind(fd, sa, len) != 0 || listen(fd, 512) != 0 ||
	    getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
		snprintf(err, errlen, "cannot listen on tcp %s: %s", text, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	addr_text((struct sockaddr *)&bound, text, sizeof(text));
	log_line("listening on tcp %s", text);
	s->lfd[s->nlfd++] = fd;
	return 0;
}

struct server *server_start(struct tallier *t, const char *spec, int idle_ms, int max_clients, char *err,
			    size_t errlen)
{
	struct server *s = calloc(1, sizeof(*s));
	struct addrinfo hints, *res = NULL, *ai;
	char host[256] = "", port[16] = "";
	bool any;
	int rc;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->t = t;
	s->idle_ms = idle_ms;
	s->max_clients = max_clients;
	s->wake[0] = s->wake[1] = -1;
	if (split_spec(spec, host, sizeof(host), port, sizeof(port), &any) != 0) {
		snprintf(err, errlen, "invalid --listen '%s' (want [ADDR:]PORT)", spec);
		goto fail;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	hints.ai_family = any ? AF_INET6 : AF_UNSPEC;
	rc = getaddrinfo(any ? NULL : host, port, &hints, &res);
	if (rc != 0 && any) { /* no IPv6 here: IPv4 alone */
		hints.ai_family = AF_INET;
		rc = getaddrinfo(NULL, port, &hints, &res);
	}
	if (rc != 0) {
		snprintf(err, errlen, "invalid --listen '%s': %s", spec, gai_strerror(rc));
		goto fail;
	}
	for (ai = res; ai && s->nlfd < MAX_LISTEN; ai = ai->ai_next)
		if (listen_on(s, ai->ai_addr, ai->ai_addrlen, any && ai->ai_family == AF_INET6, err, errlen) != 0)
			goto fail;
	if (pipe2(s->wake, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&s->thread, NULL, loop, s) != 0) {
		snprintf(err, errlen, "cannot start the TCP server thread");
		goto fail;
	}
	s->running = true;
	freeaddrinfo(res);
	return s;
fail:
	if (res)
		freeaddrinfo(res);
	server_stop(s);
	return NULL;
}

void server_stop(struct server *s)
{
	int k;

	if (!s)
		return;
	if (s->running) {
		if (write(s->wake[1], "x", 1) != 1)
			log_line("tcp: cannot stop the server thread");
		else
			pthread_join(s->thread, NULL);
	}
	while (s->n > 0)
		drop(s, s->n - 1);
	free(s->c);
	for (k = 0; k < s->nlfd; k++)
		close(s->lfd[k]);
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	free(s);
}
