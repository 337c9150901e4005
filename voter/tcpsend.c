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
#include "pollinfo.h"
#include "polldef.h"
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

/* send_line: payload[0..len) and a newline to fd by deadline. Returns 0,
 * or -1 with err set (what names what was sent). */
static int send_line(int fd, const struct voter_opts *o, const char *payload, size_t len, const char *what,
		     int64_t deadline, char *err, size_t errlen)
{
	char line[REQUEST_LINE_MAX + 2];
	size_t sent = 0;

	if (len > REQUEST_LINE_MAX) {
		snprintf(err, errlen, "the %s is too long for a line", what);
		return -1;
	}
	snprintf(line, sizeof(line), "%.*s\n", (int)len, payload);
	while (sent < len + 1) {
		ssize_t n = send(fd, line + sent, len + 1 - sent, MSG_NOSIGNAL);

		if (n >= 0) {
			sent += (size_t)n;
			continue;
		}
		if ((errno != EAGAIN && errno != EINTR) || wait_fd(fd, POLLOUT, deadline) != 1) {
			snprintf(err, errlen, "cannot send the %s to %s:%d: %s", what, o->conn.host, o->conn.port,
				 errno == EAGAIN ? "timed out" : strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* read_line: one answer line from fd by deadline into line (size bytes),
 * without its newline. Returns its length, or -1 with err set (what and
 * a name the answer awaited: "the tallier's receipt", "a receipt"). */
static long read_line(int fd, const struct voter_opts *o, char *line, size_t size, const char *what,
		      const char *a, int64_t deadline, char *err, size_t errlen)
{
	size_t got = 0;
	char *nl;
	int rc;

	while (!(nl = memchr(line, '\n', got))) {
		ssize_t n;

		if (got == size - 1) {
			snprintf(err, errlen, "the tallier's answer is too long");
			return -1;
		}
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc != 1) {
			snprintf(err, errlen, "%s after %g s waiting for %s", rc == 0 ? "timed out" : strerror(errno),
				 o->timeout, what);
			return -1;
		}
		n = recv(fd, line + got, size - 1 - got, 0);
		if (n == 0) {
			snprintf(err, errlen, "the tallier closed the connection without %s", a);
			return -1;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(err, errlen, "cannot read %s: %s", a, strerror(errno));
			return -1;
		}
		if (n > 0)
			got += (size_t)n;
	}
	*nl = '\0';
	if (o->debug)
		fprintf(stderr, "voter: received %s\n", line);
	return nl - line;
}

/* finish_with_info: req->finish, with the poll's information asked of the
 * tallier first ({"get":"info"}: an {"error":..} answer is no
 * information). Returns OUTCOME_ACKED when *payload and *len are set, or
 * the outcome with err set (nothing of the ballot was sent). */
static enum outcome finish_with_info(int fd, const struct voter_opts *o, const struct send_req *req,
				     const char **payload, size_t *len, int64_t deadline, char *err, size_t errlen)
{
	char ask[TOPIC_POLL_MAX + 40], line[REQUEST_LINE_MAX + 2];
	struct polldef info;
	long n;
	int k = snprintf(ask, sizeof(ask), "{\"get\":\"info\",\"poll\":\"%s\"}", req->ballot->poll);
	bool has;

	if (send_line(fd, o, ask, (size_t)k, "request", deadline, err, errlen) != 0 ||
	    (n = read_line(fd, o, line, sizeof(line), "the poll's information", "its information", deadline,
			      err, errlen)) < 0)
		return OUTCOME_FAILED;
	has = polldef_info_parse(line, (size_t)n, &info, err, errlen) == 0;
	if (pollinfo_refuses(has ? &info : NULL, req->ballot, vtime_now_ms(), err, errlen))
		return OUTCOME_NOT_SENT;
	if (req->finish(req->finish_arg, has ? &info : NULL, payload, len, err, errlen) != 0)
		return OUTCOME_NOT_SENT;
	return OUTCOME_ACKED;
}

enum outcome tcpsend(const struct voter_opts *o, const struct send_req *req, struct receipt *receipt, char *err,
		     size_t errlen)
{
	int64_t deadline = vtime_mono_ms() + (int64_t)(o->timeout * 1000);
	enum outcome res = OUTCOME_FAILED;
	char line[REQUEST_LINE_MAX + 2], why[128];
	const char *payload = req->payload;
	size_t len = req->len;
	long n;
	int fd;

	fd = netprobe_connect(o->conn.host, o->conn.port, (int)(deadline - vtime_mono_ms()), why, sizeof(why));
	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to %s:%d: %s", o->conn.host, o->conn.port, why);
		goto out;
	}
	if (req->finish && (res = finish_with_info(fd, o, req, &payload, &len, deadline, err, errlen)) != OUTCOME_ACKED)
		goto out;
	res = OUTCOME_FAILED;
	if (o->debug)
		fprintf(stderr, "voter: connected to %s:%d; sending %.*s\n", o->conn.host, o->conn.port, (int)len,
			payload);
	if (send_line(fd, o, payload, len, "ballot", deadline, err, errlen) != 0)
		goto out;
	/* the whole line is out: the tallier may count it from now on */
	res = OUTCOME_UNCERTAIN;
	n = read_line(fd, o, line, sizeof(line), "the tallier's receipt", "a receipt", deadline, err, errlen);
	if (n < 0)
		goto out;
	if (receipt_parse(line, (size_t)n, receipt, why, sizeof(why)) == 0)
		res = OUTCOME_RECEIPT;
	else
		res = answer_error(line, (size_t)n, err, errlen);
out:
	if (fd >= 0)
		close(fd);
	return res;
}
