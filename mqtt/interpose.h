/* interpose.h -- the libc and OpenSSL functions the programs replace under Paho: connect(), poll(), SSL_CTX_new() */
#ifndef MQTTVOTE_INTERPOSE_H
#define MQTTVOTE_INTERPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why an interposition is not used (INTERPOSE_ON: it is). */
enum interpose_off {
	INTERPOSE_ON = 0,
	INTERPOSE_OFF_ENV = 1,   /* its environment switch is set */
	INTERPOSE_OFF_PAHO = 2,  /* the Paho in use is not a version known to work with it */
	INTERPOSE_OFF_LINK = 3   /* the program's definition is not the one Paho calls (link order) */
};

/* interpose_paho_version: the version the Paho library in use reports
 * (MQTTClient_getVersionInfo or MQTTAsync_getVersionInfo, whichever the
 * program links), "unknown" if neither answers. Static storage. */
const char *interpose_paho_version(void);

/* interpose_connect_state: whether the connect()/poll() wrapper may
 * engage: INTERPOSE_OFF_ENV when MQTTVOTE_NO_CONNWRAP is set and not
 * empty, INTERPOSE_OFF_PAHO when the Paho version is not one whose
 * connect it knows, INTERPOSE_OFF_LINK when Paho's calls would not reach
 * it. Any thread. */
enum interpose_off interpose_connect_state(void);

/* interpose_tls_state: the same for SSL_CTX_new (switch:
 * MQTTVOTE_NO_TLSCTX). Any thread. */
enum interpose_off interpose_tls_state(void);

/* interpose_off_words: why in words, for a -d line ("MQTTVOTE_NO_TLSCTX
 * is set", "Paho 1.3.15 is not a version it knows", ...); switch names
 * the environment variable. Returns buf. */
const char *interpose_off_words(enum interpose_off why, const char *sw, char *buf, size_t size);

/* What the connect wrapper saw while it was armed. */
struct connwrap_seen {
	int fd;       /* the socket Paho connected (still Paho's: never close it), -1: it did not engage */
	bool tcp_up;  /* the TCP connection was established */
	bool expired; /* the deadline passed during the connect, and the socket was shut down */
	enum interpose_off off; /* why it was not armed (INTERPOSE_ON: it was) */
};

/* connwrap_begin: arms the connect()/poll() wrapper on this thread for
 * the MQTTClient_connect that follows, when interpose_connect_state()
 * allows: Paho's first TCP connect is completed (or seen to fail) before
 * Paho waits for it, and nothing of the connect may outlast deadline
 * (vtime_mono_ms clock). Always pair with connwrap_end. */
void connwrap_begin(int64_t deadline);

/* connwrap_end: disarms the wrapper and returns what it saw (fd >= 0:
 * Paho's connect went through it, the run-time proof that it engaged). */
struct connwrap_seen connwrap_end(void);

/* interpose_tls_arm: from now on every TLS context Paho creates (with
 * SSL_CTX_new) accepts no TLS version older than min_version (an OpenSSL
 * TLS1_x_VERSION), checks in the handshake that the broker's certificate
 * names host (a name or an IP address; NULL or "": no check), and keeps
 * the first certificate verification error. Clears what
 * interpose_tls_take_error reports. Does nothing but that clearing when
 * interpose_tls_state() says off. Any thread. */
void interpose_tls_arm(int min_version, const char *host);

/* interpose_tls_engaged: whether an armed SSL_CTX_new ran since
 * interpose_tls_arm: the run-time proof that it engaged. Any thread. */
bool interpose_tls_engaged(void);

/* interpose_tls_take_error: the first certificate verification error
 * (X509_V_OK: none) since interpose_tls_arm or the last call, which it
 * forgets. Any thread. */
int interpose_tls_take_error(void);

#endif
