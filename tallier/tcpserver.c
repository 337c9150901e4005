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
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core.h"
#include "log.h"
#include "request.h"
#include "render.h"
#include "vtime.h"

#define MAX_LISTEN 4
#define IN_SIZE (REQUEST_LINE_MAX + 2) /* a longest line and its "\r\n" */
#define OUT_HIGH (64 * 1024)           /* a client's unsent reply bytes at which none of its lines is
					* answered (nor read) until they drain: its memory is at most
					* this plus one reply */
#define OUT_KEEP (16 * 1024)           /* a drained reply buffer larger than this is freed */
#define LINGER_MS 1000                 /* after an error line: how long to drain the client's input */
#define ACCEPT_BACKOFF_MS 100          /* out of descriptors: the listening sockets rest this long */
/* Descriptors kept for the rest of the tallier when --max-clients is
 * lowered to the descriptor limit: stdin, stdout and stderr (the log) 3,
 * the loop's eventfd 1, the listening sockets up to 4, the database 4 (its
 * lock, the file, -wal, -shm), the broker connection 1, and for a moment
 * the resolver's sockets and files at a reconnection (about 3) and a
 * client accepted only to be refused past the limit (1): 17, kept at
 * twice that, rounded down, for what the libraries may open besides. */
#define FD_HEADROOM 32

#define STR_(x) #x
#define STR(x) STR_(x)
/* The limits' texts, each the error line's message and its log line's. */
#define LINE_TOO_LONG "line too long (at most " STR(REQUEST_LINE_MAX) " bytes)"
#define TOO_MANY "too many connections"
#define TOO_MANY_HERE "too many connections from this address"

/* An address, for the count of connections per address: IPv6, or IPv4 as
 * ::ffff:a.b.c.d (so a dual-stack socket's IPv4 clients count as IPv4). */
struct addr_key {
	unsigned char b[16];
};

/* A slot of the table of addresses (open addressing, linear probing). */
struct addr_count {
	struct addr_key key;
	int n;                /* its connections; 0: an empty slot */
};

struct client {
	int fd;
	char peer[64];
	struct addr_key addr;
	char in[IN_SIZE];
	size_t inlen;
	char *out;            /* replies not written yet: out[outoff..outlen) */
	size_t outlen, outoff, outcap;
	int64_t last_ms;      /* last activity (monotonic) */
	int64_t line_since;   /* when we began to wait for the rest of a partial line; -1: none */
	bool held;            /* a complete line waits in `in` for the replies to drain */
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
	struct addr_count *addrs; /* addrmask + 1 slots, at least twice max_clients: never full */
	size_t addrmask;
	int idle_ms, line_ms, max_clients, max_per_address;
	char idle_msg[48], line_msg[64];
	int64_t resume_ms;    /* the listening sockets rest until then (out of descriptors) */
	bool starved;         /* accept ran out of descriptors and has not accepted since */
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

static void addr_key_of(const struct sockaddr *sa, struct addr_key *k)
{
	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		k->b[10] = k->b[11] = 0xff;
		memcpy(k->b + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(k->b, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	}
}

static size_t addr_home(const struct tcpserver *s, const struct addr_key *k)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */
	size_t i;

	for (i = 0; i < sizeof(k->b); i++)
		h = (h ^ k->b[i]) * 1099511628211u;
	return (size_t)(h ^ (h >> 32)) & s->addrmask;
}

/* addr_slot: k's slot, or the empty slot where it would go. */
static struct addr_count *addr_slot(struct tcpserver *s, const struct addr_key *k)
{
	size_t i = addr_home(s, k);

	while (s->addrs[i].n > 0 && memcmp(&s->addrs[i].key, k, sizeof(*k)) != 0)
		i = (i + 1) & s->addrmask;
	return &s->addrs[i];
}

/* addr_forget: one connection from k fewer; the slot is emptied at 0 and
 * the slots after it shifted back (deletion without tombstones). */
static void addr_forget(struct tcpserver *s, const struct addr_key *k)
{
	struct addr_count *a = addr_slot(s, k);
	size_t i = (size_t)(a - s->addrs), j = i, home;

	if (a->n == 0 || --a->n > 0)
		return;
	for (;;) {
		j = (j + 1) & s->addrmask;
		if (s->addrs[j].n == 0)
			break;
		home = addr_home(s, &s->addrs[j].key);
		/* j stays when its home is cyclically in (i, j] */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		s->addrs[i] = s->addrs[j];
		i = j;
	}
	s->addrs[i].n = 0;
}

/* seconds_text: ms as seconds for a message: "10", "0.5", "0.25". */
static void seconds_text(int ms, char *buf, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%d", ms / 1000);
	else if (ms % 100 == 0)
		snprintf(buf, size, "%d.%d", ms / 1000, ms % 1000 / 100);
	else if (ms % 10 == 0)
		snprintf(buf, size, "%d.%02d", ms / 1000, ms % 1000 / 10);
	else
		snprintf(buf, size, "%d.%03d", ms / 1000, ms % 1000);
}

/* queue: appends data[0..len) to c's replies, moving the unsent ones to
 * the front of the buffer first when it would grow or is half sent (so
 * that a client that reads slowly but never catches up does not make it
 * grow with everything ever sent). Returns 0, or -1. */
static int queue(struct client *c, const char *data, size_t len)
{
	size_t pending = c->outlen - c->outoff;

	if (c->outoff > 0 && (pending == 0 || c->outlen + len > c->outcap || c->outoff >= c->outcap / 2)) {
		memmove(c->out, c->out + c->outoff, pending);
		c->outoff = 0;
		c->outlen = pending;
	}
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

/* flush: writes what it can of c's replies; a buffer emptied that had
 * grown past OUT_KEEP is freed. Returns 0, or -1 when the connection is
 * broken. */
static int flush(struct client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
	if (c->outcap > OUT_KEEP) {
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
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
	if (req.kind == REQUEST_RESULT || req.kind == REQUEST_INFO) {
		json = req.kind == REQUEST_RESULT ? render_result(s->core, req.poll, err, sizeof(err))
						  : render_info(s->core, req.poll, err, sizeof(err));
		return json ? json : request_error_json(err);
	}
	snprintf(from, sizeof(from), " (tcp %s)", peer);
	in = (struct core_input){ req.poll, line, len, from, true, NULL };
	if (core_ballot(s->core, &in, &v) == CORE_OK)
		json = render_receipt(req.poll, &v, err, sizeof(err));
	else
		loop_stop(s->loop, 1);
	verdict_free(&v);
	return json;
}

/* lines: answers c's complete lines, in order, while fewer than OUT_HIGH
 * bytes of its replies wait (a larger reply still goes whole); the other
 * lines stay in its input (held) until the replies drain. Starts the
 * clock of a partial line left in the input (now) unless it runs already.
 * Returns how many lines it took from the input. */
static size_t lines(struct tcpserver *s, struct client *c, int64_t now)
{
	size_t taken = 0;
	char *nl;

	while (!c->closing && c->outlen - c->outoff < OUT_HIGH && (nl = memchr(c->in, '\n', c->inlen))) {
		size_t len = (size_t)(nl - c->in), rest;
		char *answer;

		if (len > 0 && c->in[len - 1] == '\r')
			len--;
		if (len > REQUEST_LINE_MAX) {
			reply_error(s, c, LINE_TOO_LONG);
			return taken;
		}
		if (len > 0) { /* empty lines are allowed, and ignored */
			answer = answer_line(s, c->in, len, c->peer);
			if (!answer || queue(c, answer, strlen(answer)) != 0 || queue(c, "\n", 1) != 0) {
				free(answer);
				c->closing = true;
				c->outoff = c->outlen = 0;
				return taken;
			}
			free(answer);
		}
		rest = c->inlen - (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, rest);
		c->inlen = rest;
		c->line_since = -1;
		taken++;
	}
	if (c->closing)
		return taken;
	c->held = memchr(c->in, '\n', c->inlen) != NULL;
	if (!c->held && c->inlen == sizeof(c->in)) {
		reply_error(s, c, LINE_TOO_LONG);
		return taken;
	}
	if (c->held || c->inlen == 0)
		c->line_since = -1;
	else if (c->line_since < 0)
		c->line_since = now;
	return taken;
}

/* serve: answers c's lines and writes its replies, in turns, until
 * neither can go on. Returns 0, or -1 when the connection is broken. */
static int serve(struct tcpserver *s, struct client *c, int64_t now)
{
	do
		if (flush(c) != 0)
			return -1;
	while (lines(s, c, now) > 0);
	return 0;
}

/* readable: reads what c sent into its input (lines answers it). */
static void readable(struct client *c)
{
	ssize_t n;

	if (c->inlen == sizeof(c->in))
		return; /* full of held lines: woken by a hang-up or an error, which flush meets */
	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
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
	addr_forget(s, &c->addr);
	close(c->fd);
	free(c->out);
	free(c);
	s->c[i] = s->c[--s->n];
}

/* refuse: sends {"error":msg} to a client not taken on (limit is the
 * limit it met), closes it, and logs it. */
static void refuse(struct tcpserver *s, int fd, const char *peer, const char *msg, int limit)
{
	char line[128];
	int len = snprintf(line, sizeof(line), "{\"error\":\"%s\"}\n", msg);

	if (len > 0 && (size_t)len < sizeof(line) && send(fd, line, (size_t)len, MSG_NOSIGNAL) < 0) {
		/* nothing more to do for it */
	}
	close(fd);
	if (!s->quiet)
		log_line("tcp %s: %s (at most %d): refused", peer, msg, limit);
}

/* starve: accept found no descriptor (or no memory) for a connection: the
 * listening sockets rest ACCEPT_BACKOFF_MS (left in the poll set, they
 * would wake it at once, again and again), and it is logged once until a
 * connection is accepted again. */
static void starve(struct tcpserver *s, int err, int64_t now)
{
	s->resume_ms = now + ACCEPT_BACKOFF_MS;
	if (!s->starved && !s->quiet)
		log_line("tcp: cannot accept new connections: %s (clients connected: %zu); retrying every %d ms",
			 strerror(err), s->n, ACCEPT_BACKOFF_MS);
	s->starved = true;
}

static void accept_all(struct tcpserver *s, int lfd, int64_t now)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct client *c, **grown;
	struct addr_count *a;
	struct addr_key key;
	char peer[64];
	int fd;

	for (;;) {
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				starve(s, errno, now);
			else if (errno == ECONNABORTED || errno == EINTR)
				continue; /* one that died in the queue: the next */
			return; /* EAGAIN: no more */
		}
		if (s->starved && !s->quiet)
			log_line("tcp: accepting new connections again");
		s->starved = false;
		addr_text((struct sockaddr *)&ss, peer, sizeof(peer));
		addr_key_of((struct sockaddr *)&ss, &key);
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int)); /* replies go at once */
		if (s->n >= (size_t)s->max_clients) {
			refuse(s, fd, peer, TOO_MANY, s->max_clients);
			continue;
		}
		a = addr_slot(s, &key);
		if (a->n >= s->max_per_address) {
			refuse(s, fd, peer, TOO_MANY_HERE, s->max_per_address);
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
		c->addr = key;
		a->key = key;
		a->n++;
		c->last_ms = vtime_mono_ms();
		c->line_since = -1;
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

	/* resting (out of descriptors): watched for nothing, so that their
	 * slots stay where dispatch looks for them */
	for (k = 0; k < s->nlfd; k++)
		if (loop_fds_add(set, s->lfd[k], now < s->resume_ms ? 0 : POLLIN) != 0)
			return -1;
	if (now < s->resume_ms && s->resume_ms < *deadline)
		*deadline = s->resume_ms;
	for (i = 0; i < s->n; i++) {
		struct client *c = s->c[i];
		short ev = 0;

		if (c->lingering || (!c->eof && !c->closing && !c->held && c->outlen - c->outoff < OUT_HIGH))
			ev |= POLLIN;
		if (c->outoff < c->outlen)
			ev |= POLLOUT;
		if (loop_fds_add(set, c->fd, ev) != 0)
			return -1;
		if (c->last_ms + s->idle_ms < *deadline)
			*deadline = c->last_ms + s->idle_ms;
		if (c->line_since >= 0 && !c->closing && !c->eof && c->line_since + s->line_ms < *deadline)
			*deadline = c->line_since + s->line_ms;
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
			readable(c);
		if ((rev & (POLLIN | POLLOUT | POLLHUP)) != 0)
			c->last_ms = now;
		/* only input read or output written can let its lines go on */
		if (rev != 0 && serve(s, c, now) != 0) {
			drop(s, i);
			continue;
		}
		if (!c->closing && !c->eof && c->line_since >= 0 && now - c->line_since >= s->line_ms) {
			reply_error(s, c, s->line_msg);
			if (flush(c) != 0) {
				drop(s, i);
				continue;
			}
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
			reply_error(s, c, s->idle_msg);
			(void)flush(c);
			drop(s, i);
		}
	}
	s->polled = 0;
	for (k = 0; k < s->nlfd; k++)
		if (p[k].revents & POLLIN)
			accept_all(s, s->lfd[k], now);
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

/* clamp_clients: wanted, or fewer when the descriptor limit leaves room
 * for fewer (said in one log line unless quiet). Returns the number, or -1
 * with the reason in err. */
static int clamp_clients(int wanted, bool quiet, char *err, size_t errlen)
{
	struct rlimit rl;
	int allowed;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		snprintf(err, errlen, "cannot read the descriptor limit: %s", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)wanted + FD_HEADROOM)
		return wanted;
	if (rl.rlim_cur <= FD_HEADROOM) {
		snprintf(err, errlen,
			 "the descriptor limit (ulimit -n) is %llu: too low to serve TCP clients (more than %d needed)",
			 (unsigned long long)rl.rlim_cur, FD_HEADROOM);
		return -1;
	}
	allowed = (int)(rl.rlim_cur - FD_HEADROOM);
	if (!quiet)
		log_line("tcp: --max-clients %d lowered to %d: the descriptor limit (ulimit -n) is %llu, "
			 "%d of them kept for the database, the broker and the log",
			 wanted, allowed, (unsigned long long)rl.rlim_cur, FD_HEADROOM);
	return allowed;
}

struct tcpserver *tcpserver_new(const struct tcpserver_config *cfg, struct core *core, struct loop *loop,
				char *err, size_t errlen)
{
	struct tcpserver *s = calloc(1, sizeof(*s));
	struct addrinfo hints, *res = NULL, *ai;
	struct loop_source src;
	char host[256] = "", port[16] = "", secs[32];
	size_t slots = 16;
	bool any;
	int rc;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->core = core;
	s->loop = loop;
	s->idle_ms = cfg->idle_ms;
	s->line_ms = cfg->line_ms;
	s->max_per_address = cfg->max_per_address;
	s->quiet = cfg->quiet;
	s->verbose = cfg->verbose;
	seconds_text(cfg->idle_ms, secs, sizeof(secs));
	snprintf(s->idle_msg, sizeof(s->idle_msg), "idle for %s s", secs);
	seconds_text(cfg->line_ms, secs, sizeof(secs));
	snprintf(s->line_msg, sizeof(s->line_msg), "line not complete within %s s", secs);
	s->max_clients = clamp_clients(cfg->max_clients, cfg->quiet, err, errlen);
	if (s->max_clients < 0)
		goto fail;
	while (slots < 2 * (size_t)s->max_clients)
		slots *= 2;
	s->addrs = calloc(slots, sizeof(*s->addrs));
	if (!s->addrs) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->addrmask = slots - 1;
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
	if (loop_add(loop, &src, err, errlen) != 0)
		goto fail;
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
	free(s->addrs);
	for (k = 0; k < s->nlfd; k++)
		close(s->lfd[k]);
	free(s);
}
