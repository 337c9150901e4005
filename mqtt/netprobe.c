/* netprobe.c -- TCP connections with a deadline, and why they fail, in words */
#include "netprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errtext.h"

/* try_one: a non-blocking connect to ai within timeout_ms. Returns the
 * connected socket, or -1 with *err the errno that stopped it (ETIMEDOUT
 * on timeout). */
static int try_one(const struct addrinfo *ai, int timeout_ms, int *err)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, rc;

	*err = 0;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		*err = errno;
		goto fail;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		rc = poll(&pfd, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		*err = ETIMEDOUT;
	else if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) != 0)
		*err = errno;
	if (*err == 0)
		return fd;
fail:
	close(fd);
	return -1;
}

int netprobe_connect(const char *host, int port, int timeout_ms, char *why, size_t size)
{
	struct addrinfo hints, *res = NULL, *ai;
	char service[16];
	int rc, err = 0, fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%d", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0) {
		snprintf(why, size, "cannot resolve host '%s': %s", host,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		errtext_tidy(why);
		return -1;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = try_one(ai, timeout_ms, &err);
	freeaddrinfo(res);
	if (fd >= 0)
		return fd;
	if (err == ETIMEDOUT)
		snprintf(why, size, "timed out");
	else
		errtext_errno(err, why, size);
	return -1;
}

int netprobe_tcp(const char *host, int port, int timeout_ms, char *why, size_t size)
{
	int fd = netprobe_connect(host, port, timeout_ms, why, size);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}
