/* mqtturi.c -- the server URI Paho connects to, from a host and a port */
#include "mqtturi.h"

#include <stdio.h>
#include <string.h>

int mqtturi_make(const char *host, int port, bool tls, char *buf, size_t size)
{
	const char *scheme = tls ? "ssl" : "tcp";
	int n = strchr(host, ':') ? snprintf(buf, size, "%s://[%s]:%d", scheme, host, port)
				  : snprintf(buf, size, "%s://%s:%d", scheme, host, port);

	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}
