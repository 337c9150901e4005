/* tcpsend.c -- one ballot sent straight to a tallier over TCP (tallier --listen), its receipt read back */
#include "tcpsend.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netprobe.h"
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

/* answer_error: the "error" of an {"error":..} line, into err. Returns
 * OUTCOME_FAILED for such a line (the tallier took the line for no
 * ballot), OUTCOME_UNCERTAIN for anything else that is not a receipt. */
static enum outcome answer_error(const char *line, size_t len, char *err, size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(line, len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	bool error = cJSON_IsString(e) && e->valuestring;

	snprintf(err, errlen, "the tallier answered: %s", error ? e->valuestring : "something that is not a receipt");
	cJSON_Delete(root);
	return error ? OUTCOME_FAILED : OUTCOME_UNCERTAIN;
}

enum outcome tcpsend(const struct send_req *req, struct receipt *receipt, char *err, size_t errlen)
{
	int64_t deadline = vtime_mono_ms() + (int64_t)(req->timeout * 1000);
	enum outcome res = OUTCOME_FAILED;
	char line[REQUEST_LINE_MAX + 2], why[128];
	size_t sent = 0, got = 0;
	char *nl = NULL;
	int fd, rc;

	fd = netprobe_connect(req->host, req->port, (int)(deadline - vtime_mono_ms()), why, sizeof(why));
	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to %s:%d: %s", req->host, req->port, why);
		goto out;
	}
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
	/* the whole line is out: the tallier may count it from now on */
	res = OUTCOME_UNCERTAIN;
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
		res = OUTCOME_RECEIPT;
	else
		res = answer_error(line, (size_t)(nl - line), err, errlen);
out:
	if (fd >= 0)
		close(fd);
	return res;
}
