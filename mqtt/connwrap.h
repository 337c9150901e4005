/* connwrap.h -- finishes Paho's non-blocking TCP connect itself, so MQTTClient_connect does not sleep 100 ms */
#ifndef MQTTVOTE_CONNWRAP_H
#define MQTTVOTE_CONNWRAP_H

#include <stdbool.h>
#include <stdint.h>

/* What the wrapper saw while it was armed. */
struct connwrap_seen {
	int fd;       /* the socket Paho connected (still Paho's: never close it), -1: it did not engage */
	bool tcp_up;  /* the TCP connection was established */
	bool expired; /* the deadline passed during the connect, and the socket was shut down */
};

/* connwrap_begin: arms the wrapper on this thread for the
 * MQTTClient_connect that follows: Paho's first TCP connect is completed
 * (or seen to fail) before Paho waits for it, and nothing of the connect
 * may outlast deadline (vtime_mono_ms clock). Not armed when the
 * environment variable MQTTVOTE_NO_CONNWRAP is set and not empty (for
 * tests of the path without it). Always pair with connwrap_end. */
void connwrap_begin(int64_t deadline);

/* connwrap_end: disarms the wrapper and returns what it saw. */
struct connwrap_seen connwrap_end(void);

#endif
