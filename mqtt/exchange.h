/* exchange.h -- one request through an MQTT broker (Paho MQTTClient): connect, subscribe, publish, wait for the acknowledgement and the answer */
#ifndef MQTTVOTE_EXCHANGE_H
#define MQTTVOTE_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"
#include "outcome.h"

/* Where and how to connect: the program's own connection options, as
 * parsed, and how long and how loudly the exchange runs. Every pointer is
 * borrowed and must stay valid until xchg_close. */
struct xchg_conn {
	const char *prog;             /* "voter", "pollctl": starts each -d line */
	const struct conn_opts *opts; /* host, port, account, protocol version and TLS (options.h;
				       * TLS when tlsopts_on(&opts->tls), its files checked by the
				       * caller, see tlsctx_check_files); client_id not NULL
				       * (conn_opts_own_id) */
	double timeout;               /* seconds for the whole exchange, from xchg_open */
	bool debug;                   /* Paho's protocol trace and each step on stderr */
};

/* xchg_on_message: a message that arrived on a subscribed topic:
 * topic[0..topiclen) and payload[0..len), neither NUL-terminated, both
 * borrowed for the call. Returns true when it is the answer the exchange
 * waits for (see xchg_request). */
typedef bool (*xchg_on_message)(void *ctx, const char *topic, size_t topiclen, const void *payload, size_t len);

/* What to publish and what to wait for. Pointers borrowed for the call. */
struct xchg_pub {
	const char *topic;
	const void *payload;
	size_t len;
	int qos;
	const char *response_topic; /* MQTT 5 Response Topic; NULL: none */
	const void *corr;           /* MQTT 5 Correlation Data (with response_topic); NULL: none */
	size_t corrlen;
	bool await_answer;          /* after the acknowledgement, wait until on_message returns true */
	bool republish;             /* await_answer: publish again after 1, 2, 4, 4... s while no answer
				     * comes (only for what may be received twice: a ballot, never a command) */
	const char *what;           /* "ballot", "command": in the error texts */
	const char *answer;         /* "the tallier's receipt": in the error texts */
};

struct xchg;

/* xchg_open: sets Paho up and connects to conn->opts->host:port (over
 * TLS with conn->opts->tls: only its CA trusted, the broker's certificate and,
 * unless --insecure, its host name checked in the handshake; see
 * tlsctx.h), within conn->timeout seconds from now (the deadline of the
 * whole exchange). Messages of the subscriptions go to on_message with
 * ctx. Returns the exchange, to end with xchg_close, or NULL with the
 * cause in err ("cannot connect to 127.0.0.1:1883: connection refused",
 * "connection to 127.0.0.1:1883 refused by the broker: not authorized",
 * "TLS: the broker's certificate did not verify against --cafile ca.crt:
 * certificate has expired"). */
struct xchg *xchg_open(const struct xchg_conn *conn, xchg_on_message on_message, void *ctx, char *err,
		       size_t errlen);

/* xchg_subscribe: one SUBSCRIBE of topics[0..n) (n >= 1), each at qos[i];
 * returns once the broker answered, with each topic's reason code in
 * reasons[i] (0 to 2: granted; 0x80 or more: refused, mqtterr_reason
 * names it). Returns 0, or -1 with the cause in err (timed out, connection
 * lost). The retained messages of the topics come after it returns: see
 * xchg_drain and xchg_unsubscribe. */
int xchg_subscribe(struct xchg *x, const char *const *topics, const int *qos, size_t n, int *reasons, char *err,
		   size_t errlen);

/* xchg_drain: hands to on_message every message that has already arrived,
 * without waiting for more. Returns 0, or -1 with err when the connection
 * was lost. */
int xchg_drain(struct xchg *x, char *err, size_t errlen);

/* xchg_unsubscribe: one UNSUBSCRIBE of topic, and its answer: every
 * message the broker sent before it (the retained ones of an earlier
 * SUBSCRIBE) has then arrived (xchg_drain hands them over). Returns 0, or
 * -1 with err. */
int xchg_unsubscribe(struct xchg *x, const char *topic, char *err, size_t errlen);

/* xchg_request: publishes p, waits for the broker's acknowledgement and,
 * with p->await_answer, for an answer (on_message returning true), until
 * the deadline. Returns OUTCOME_ACKED (or OUTCOME_NO_SUBSCRIBERS: MQTT 5
 * said no subscription matched) without await_answer; OUTCOME_RECEIPT when
 * the answer came; OUTCOME_UNCONFIRMED when acknowledged and no answer
 * came in time (err left ""); OUTCOME_FAILED, not sent or refused by the
 * broker ("ballot refused by the broker: not authorized"); or
 * OUTCOME_UNCERTAIN, sent and then the connection was lost or the time ran
 * out before the acknowledgement (err says which). */
enum outcome xchg_request(struct xchg *x, const struct xchg_pub *p, char *err, size_t errlen);

/* xchg_await: waits, publishing nothing, until on_message returns true
 * or the deadline passes. Returns 1 (it did), 0 (the deadline passed), or
 * -1 with err when the connection was lost. */
int xchg_await(struct xchg *x, char *err, size_t errlen);

/* xchg_close: disconnects (at once, nothing waited for) and frees x. x may be NULL. */
void xchg_close(struct xchg *x);

#endif
