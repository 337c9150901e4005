/* nodelay.h -- TCP_NODELAY on the sockets Paho opens, which Paho cannot be asked for */
#ifndef MQTTVOTE_NODELAY_H
#define MQTTVOTE_NODELAY_H

/* nodelay_all: sets TCP_NODELAY on every connected TCP socket of this
 * process (found through /proc/self/fd), so that small packets (PUBACKs,
 * receipts, results) leave at once instead of waiting, with Nagle's
 * algorithm, for the peer's delayed ACK (about 40 ms, 12 ms p50 per
 * receipt on loopback). Returns the number of sockets set, or -1 when
 * /proc/self/fd cannot be read. */
int nodelay_all(void);

#endif
