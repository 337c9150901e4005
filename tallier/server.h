/* server.h -- the direct TCP server: newline-delimited JSON, one poll() loop, no thread per client */
#ifndef MQTTVOTE_SERVER_H
#define MQTTVOTE_SERVER_H

#include <stddef.h>

struct tallier;
struct server;

/* server_start: listens on spec ("PORT", "ADDR:PORT" or "[IPv6]:PORT";
 * without ADDR, every interface, IPv6 and IPv4; port 0 picks a free one)
 * and serves the protocol in a thread of its own: each line is handed to
 * intake_line and its answer written back, in order. Clients idle for
 * idle_ms are closed; past max_clients, new ones get an error line and
 * are closed. Logs "listening on tcp ADDR:PORT" for each socket. Returns
 * the server, or NULL with the reason in err. */
struct server *server_start(struct tallier *t, const char *spec, int idle_ms, int max_clients, char *err,
			    size_t errlen);

/* server_stop: stops the thread, closes every connection and socket,
 * frees s. NULL is allowed. */
void server_stop(struct server *s);

#endif
