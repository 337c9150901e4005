/* mqtturi.h -- the server URI Paho connects to, from a host and a port */
#ifndef MQTTVOTE_MQTTURI_H
#define MQTTVOTE_MQTTURI_H

#include <stdbool.h>
#include <stddef.h>

/* mqtturi_make: writes the Paho server URI "tcp://host:port" ("ssl://"
 * with tls; IPv6 literals in brackets) into buf. Returns 0, or -1 when it
 * does not fit. */
int mqtturi_make(const char *host, int port, bool tls, char *buf, size_t size);

#endif
