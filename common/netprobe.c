/* netprobe.c -- why a TCP connection fails, in words, when a library did not say */
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

/* try_one: a non-blocking connect to ai within timeout_ms. Returns 0, or
 * the errno that stopped it (ETIMEDOUT on timeout). */
static int try_one(const struct addrinfo *ai, int timeout_ms)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, err = 0, rc;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		goto out;
	if (errno != EINPROGRESS) {
		err = errno;
		goto out;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		rc = poll(&pfd, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc == 0) {
		err = ETIMEDOUT;
		goto out;
	}
	if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
out:
	close(fd);
	return err;
}

int netprobe_tcp(const char *host, int port, int timeout_ms, char *why, size_t size)
{
	struct addrinfo hints, *res = NULL, *ai;
	char service[16];
	int rc, err = 0;

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
	for (ai = res; ai; ai = ai->ai_next) {
		err = try_one(ai, timeout_ms);
		if (err == 0)
			break;
	}
	freeaddrinfo(res);
	if (err == 0)
		return 0;
	if (err == ETIMEDOUT)
		snprintf(why, size, "timed out");
	else
		errtext_errno(err, why, size);
	return -1;
}
