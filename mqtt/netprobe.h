/* netprobe.h -- TCP connections with a deadline, and why they fail, in words */
#ifndef MQTTVOTE_NETPROBE_H
#define MQTTVOTE_NETPROBE_H

#include <stddef.h>

/* netprobe_tcp: resolves host and tries a TCP connection to it on port,
 * giving up after timeout_ms. Returns 0 when some address accepted the
 * connection (closed again at once), or -1 with the cause in why, lower
 * case ("connection refused", "cannot resolve host 'x': name or service
 * not known", "timed out"). */
int netprobe_tcp(const char *host, int port, int timeout_ms, char *why, size_t size);

/* netprobe_connect: as netprobe_tcp, but keeps the connection: returns the
 * connected socket (non-blocking, close-on-exec; the caller closes it),
 * or -1 with the cause in why. */
int netprobe_connect(const char *host, int port, int timeout_ms, char *why, size_t size);

#endif
