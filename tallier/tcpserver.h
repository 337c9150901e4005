/* tcpserver.h -- the direct TCP transport: newline-delimited JSON, served from the tallier's one loop */
#ifndef MQTTVOTE_TCPSERVER_H
#define MQTTVOTE_TCPSERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "core.h"
#include "loop.h"

struct tcpserver;

struct tcpserver_config {
	const char *spec;  /* "PORT", "ADDR:PORT" or "[IPv6]:PORT"; without ADDR, every
			    * interface, IPv6 and IPv4; port 0 picks a free one */
	int idle_ms;       /* clients idle this long are closed */
	int line_ms;       /* a request line must arrive whole within this long of its first byte */
	int max_clients;   /* past this, new clients get an error line and are closed; lowered
			    * to what the descriptor limit (RLIMIT_NOFILE) leaves room for */
	int max_per_address; /* connections from one address; past it, as above */
	bool quiet, verbose;
};

/* tcpserver_new: listens as cfg says and adds itself to loop, which then
 * serves the protocol: each line is a ballot, given to core_ballot and
 * answered with its receipt, or a result or information query answered
 * from core_result or core_info, each rendered here (render.h); answers go
 * back in order. Logs "listening on tcp
 * ADDR:PORT" for each socket, and (unless quiet) one line when
 * max_clients is lowered to the descriptor limit. Enforces the limits of
 * cfg (each with an error line to the client and a log line), answers no
 * more of a client's lines while 64 KiB of its replies wait, and backs
 * off when accept runs out of descriptors. A core that fails stops the
 * loop with status 1. Returns the server, or NULL with the reason in err
 * (among them: a descriptor limit too low to serve any client). Free
 * with tcpserver_free, after the loop has stopped. */
struct tcpserver *tcpserver_new(const struct tcpserver_config *cfg, struct core *core, struct loop *loop,
				char *err, size_t errlen);

/* tcpserver_free: closes every connection and socket and frees s. NULL
 * is allowed. */
void tcpserver_free(struct tcpserver *s);

#endif
