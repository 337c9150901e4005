/* tcpserver.c -- the direct TCP transport: newline-delimited JSON, served from the tallier's one loop */
#include "tcpserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core.h"
#include "log.h"
#include "request.h"
#include "receipt.h"
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

/* Owned by the loop's thread. */
struct tcpserver {
	struct core *core;
	struct loop *loop;
	int lfd[MAX_LISTEN];
	int nlfd;
	struct client **c;
	size_t n;
	size_t polled;        /* clients whose descriptors the last prepare added */
	int idle_ms, max_clients;
	bool quiet, verbose;
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
static void reply_error(struct tcpserver *s, struct client *c, const char *msg)
{
	char *json = request_error_json(msg);

	if (!s->quiet)
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

/* answer: the reply to one request line (no newline), as a malloc'd
 * string: a ballot's receipt, a poll's result, or an {"error":..}. Returns
 * NULL when the tallier cannot go on (the core failed: logged; the loop is
 * stopped with status 1). */
static char *answer_line(struct tcpserver *s, const char *line, size_t len, const char *peer)
{
	struct request req;
	struct verdict v;
	struct core_input in;
	char err[160], from[96];
	char *json = NULL;

	if (request_parse(line, len, &req, err, sizeof(err)) != 0) {
		if (!s->quiet)
			log_line("bad request from tcp %s: %s", peer, err);
		return request_error_json(err);
	}
	if (req.kind == REQUEST_RESULT) {
		json = core_result_json(s->core, req.poll, err, sizeof(err));
		return json ? json : request_error_json(err);
	}
	snprintf(from, sizeof(from), " (tcp %s)", peer);
	in = (struct core_input){ req.poll, line, len, from, true };
	if (core_ballot(s->core, &in, &v) == CORE_OK)
		json = receipt_to_json(v.id, req.poll, v.status, v.reason, v.result, err, sizeof(err));
	else
		loop_stop(s->loop, 1);
	verdict_free(&v);
	return json;
}

/* lines: answers every complete line in c's input, in order. */
static void lines(struct tcpserver *s, struct client *c)
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
			answer = answer_line(s, c->in, len, c->peer);
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
static void readable(struct tcpserver *s, struct client *c)
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

static void drop(struct tcpserver *s, size_t i)
{
	struct client *c = s->c[i];

	if (s->verbose)
		log_line("tcp %s: closed", c->peer);
	close(c->fd);
	free(c->out);
	free(c);
	s->c[i] = s->c[--s->n];
}

static void accept_all(struct tcpserver *s, int lfd)
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
			if (!s->quiet)
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
		if (s->verbose)
			log_line("tcp %s: connected", peer);
	}
}

static int prepare(void *ctx, struct loop_fds *set, int64_t now, int64_t *deadline)
{
	struct tcpserver *s = ctx;
	size_t i;
	int k;

	(void)now;
	for (k = 0; k < s->nlfd; k++)
		if (loop_fds_add(set, s->lfd[k], POLLIN) != 0)
			return -1;
	for (i = 0; i < s->n; i++) {
		struct client *c = s->c[i];
		short ev = 0;

		if (c->lingering || (!c->eof && !c->closing && c->outlen - c->outoff < OUT_HIGH))
			ev |= POLLIN;
		if (c->outoff < c->outlen)
			ev |= POLLOUT;
		if (loop_fds_add(set, c->fd, ev) != 0)
			return -1;
		if (c->last_ms + s->idle_ms < *deadline)
			*deadline = c->last_ms + s->idle_ms;
		if (c->lingering && c->linger_end < *deadline)
			*deadline = c->linger_end;
	}
	s->polled = s->n;
	return 0;
}

static void dispatch(void *ctx, const struct pollfd *p, size_t n, int64_t now)
{
	struct tcpserver *s = ctx;
	size_t i, base = (size_t)s->nlfd;
	int k;

	(void)n;
	/* clients first, by their poll slots: accepting appends to s->c */
	for (i = s->polled; i-- > 0;) {
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
	s->polled = 0;
	for (k = 0; k < s->nlfd; k++)
		if (p[k].revents & POLLIN)
			accept_all(s, s->lfd[k]);
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

static int listen_on(struct tcpserver *s, const struct sockaddr *sa, socklen_t len, bool dual, char *err,
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

struct tcpserver *tcpserver_new(const struct tcpserver_config *cfg, struct core *core, struct loop *loop,
				char *err, size_t errlen)
{
	struct tcpserver *s = calloc(1, sizeof(*s));
	struct addrinfo hints, *res = NULL, *ai;
	struct loop_source src;
	char host[256] = "", port[16] = "";
	bool any;
	int rc;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->core = core;
	s->loop = loop;
	s->idle_ms = cfg->idle_ms;
	s->max_clients = cfg->max_clients;
	s->quiet = cfg->quiet;
	s->verbose = cfg->verbose;
	if (split_spec(cfg->spec, host, sizeof(host), port, sizeof(port), &any) != 0) {
		snprintf(err, errlen, "invalid --listen '%s' (want [ADDR:]PORT)", cfg->spec);
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
		snprintf(err, errlen, "invalid --listen '%s': %s", cfg->spec, gai_strerror(rc));
		goto fail;
	}
	for (ai = res; ai && s->nlfd < MAX_LISTEN; ai = ai->ai_next)
		if (listen_on(s, ai->ai_addr, ai->ai_addrlen, any && ai->ai_family == AF_INET6, err, errlen) != 0)
			goto fail;
	src = (struct loop_source){ prepare, dispatch, s };
	if (loop_add(loop, &src) != 0) {
		snprintf(err, errlen, "too many event sources");
		goto fail;
	}
	freeaddrinfo(res);
	return s;
fail:
	if (res)
		freeaddrinfo(res);
	tcpserver_free(s);
	return NULL;
}

void tcpserver_free(struct tcpserver *s)
{
	int k;

	if (!s)
		return;
	while (s->n > 0)
		drop(s, s->n - 1);
	free(s->c);
	for (k = 0; k < s->nlfd; k++)
		close(s->lfd[k]);
	free(s);
}
