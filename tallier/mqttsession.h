/* mqttsession.h -- the MQTT transport: the tallier's persistent session, its ballots in, results and receipts out */
#ifndef MQTTVOTE_MQTTSESSION_H
#define MQTTVOTE_MQTTSESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "core.h"
#include "loop.h"
#include "tlsopts.h"

#define MQTTSESSION_MAX_TOPICS 64

struct mqttsession;

/* The broker and the session. Strings must outlive the session. */
struct mqttsession_config {
	const char *host;
	int port;
	const char *client_id;             /* names the persistent session */
	const char *username, *password;   /* NULL: none */
	int mqtt_version;                  /* 5 or 4 (3.1.1) */
	const char *const *topics;         /* where ballots come from; ntopics 0: vote/+ */
	size_t ntopics;
	bool quiet;
	const struct tlsopts *tls;         /* TLS when tlsopts_on(tls); NULL: none */
};

/* mqttsession_new: creates the MQTT client (not connected yet). Every
 * ballot it receives goes through core_ballot on Paho's thread, and is
 * acknowledged only once committed; its receipt goes where the ballot
 * asked. A core that fails ends the process at once, unacknowledged.
 * Refusals and fatal conditions (broker refused us, session taken over)
 * are logged and stop loop with status 1. Each (re)subscription resets
 * the core's result schedule and wakes loop. Returns the session, or NULL
 * with the reason in err. */
struct mqttsession *mqttsession_new(const struct mqttsession_config *cfg, struct core *core, struct loop *loop,
				    char *err, size_t errlen);

/* mqttsession_start: starts connecting, in the background (persistent
 * session, automatic reconnection). Returns 0, or -1 with the reason. */
int mqttsession_start(struct mqttsession *s, char *err, size_t errlen);

/* mqttsession_connected: true when connected and subscribed. Any thread. */
bool mqttsession_connected(struct mqttsession *s);

/* mqttsession_publish_result: publishes payload (NUL-terminated: r
 * rendered, render_due) retained at QoS 1 on r->topic; when the broker
 * answers, core_result_done is called for r's slot and version and loop
 * woken. Returns 0 when queued, -1 when not (the schedule's timeout tries
 * again). r and payload stay the caller's. */
int mqttsession_publish_result(struct mqttsession *s, const struct due_result *r, char *payload);

/* mqttsession_free: disconnects (waiting up to timeout_ms for it),
 * destroys the client (no callback runs after this) and frees s. NULL is
 * allowed. */
void mqttsession_free(struct mqttsession *s, int timeout_ms);

#endif
