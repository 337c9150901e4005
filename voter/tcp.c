/* tcp.c -- a ballot sent straight to a tallier over TCP (tallier --listen), its receipt read back */
#include "tcp.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errtext.h"
#include "request.h"
#include "vtime.h"

/* wait_fd: polls fd for events until deadline. Returns 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int rc;

	for (;;) {
		left = deadline - vtime_mono_ms();
		if (left <= 0)
			return 0;
		rc = poll(&p, 1, (int)left);
		if (rc >= 0)
			return rc;
		if (errno != EINTR)
			return -1;
	}
}

/* dial: a connected non-blocking socket to host:port, or -1 with err set. */
static int dial(const struct publish_req *req, int64_t deadline, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	char service[16], why[128] = "no address";
	socklen_t len = sizeof(int);
	int fd = -1, rc, soerr = 0;

	snprintf(service, sizeof(service), "%d", req->port);
	rc = getaddrinfo(req->host, service, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot connect to %s:%d: cannot resolve host '%s': %s", req->host, req->port,
			 req->host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			rc = wait_fd(fd, POLLOUT, deadline);
			if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0)
				break;
			snprintf(why, sizeof(why), "%s", rc == 0 ? "timed out" : strerror(rc < 0 ? errno : soerr));
		} else {
			snprintf(why, sizeof(why), "%s", strerror(errno));
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "cannot connect to %s:%d: %s", req->host, req->port, errtext_tidy(why));
	return fd;
}

/* answer_error: the "error" of an {"error":..} line, into err. */
static void answer_error(const char *line, size_t len, char *err, size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(line, len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");

	snprintf(err, errlen, "the tallier answered: %s",
		 cJSON_IsString(e) && e->valuestring ? e->valuestring : "something that is not a receipt");
	cJSON_Delete(root);
}

enum publish_status tcp_send(const struct publish_req *req, struct receipt *receipt, char *err, size_t errlen)
{
	int64_t deadline = vtime_mono_ms() + (int64_t)(req->timeout * 1000);
	enum publish_status st = PUBLISH_FAILED;
	char line[REQUEST_LINE_MAX + 2], why[128];
	size_t sent = 0, got = 0;
	char *nl = NULL;
	int fd, rc;

	fd = dial(req, deadline, err, errlen);
	if (fd < 0)
		return PUBLISH_FAILED;
	if (req->debug)
		fprintf(stderr, "voter: connected to %s:%d; sending %.*s\n", req->host, req->port, (int)req->len,
			req->payload);
	snprintf(line, sizeof(line), "%.*s\n", (int)req->len, req->payload);
	while (sent < req->len + 1) {
		ssize_t n = send(fd, line + sent, req->len + 1 - sent, MSG_NOSIGNAL);

		if (n >= 0) {
			sent += (size_t)n;
			continue;
		}
		if ((errno != EAGAIN && errno != EINTR) || wait_fd(fd, POLLOUT, deadline) != 1) {
			snprintf(err, errlen, "cannot send the ballot to %s:%d: %s", req->host, req->port,
				 errno == EAGAIN ? "timed out" : strerror(errno));
			goto out;
		}
	}
	while (!(nl = memchr(line, '\n', got))) {
		ssize_t n;

		if (got == sizeof(line) - 1) {
			snprintf(err, errlen, "the tallier's answer is too long");
			goto out;
		}
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc != 1) {
			snprintf(err, errlen, "%s after %g s waiting for the tallier's receipt",
				 rc == 0 ? "timed out" : strerror(errno), req->timeout);
			goto out;
		}
		n = recv(fd, line + got, sizeof(line) - 1 - got, 0);
		if (n == 0) {
			snprintf(err, errlen, "the tallier closed the connection without a receipt");
			goto out;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(err, errlen, "cannot read the receipt: %s", strerror(errno));
			goto out;
		}
		if (n > 0)
			got += (size_t)n;
	}
	if (req->debug)
		fprintf(stderr, "voter: received %.*s\n", (int)(nl - line), line);
	if (receipt_parse(line, (size_t)(nl - line), receipt, why, sizeof(why)) == 0)
		st = PUBLISH_RECEIPT;
	else
		answer_error(line, (size_t)(nl - line), err, errlen);
out:
	close(fd);
	return st;
}
