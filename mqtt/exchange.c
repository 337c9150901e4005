/* exchange.c -- one request through an MQTT broker (Paho MQTTClient): connect, subscribe, publish, wait for the acknowledgement and the answer
 *
 * Paho's synchronous client, used without callbacks (MQTTClient_setCallbacks
 * starts a thread that costs 100 ms sleeps at connect and at disconnect)
 * and without its waiting calls (MQTTClient_waitForCompletion and
 * MQTTClient_yield always run their full 100 ms): this file waits itself,
 * with poll() on the client's socket until the deadline, and lets Paho
 * handle what came with MQTTClient_receive(..., 0), one non-blocking
 * cycle that reads a packet, answers it and calls the published callback
 * (the MQTT 5 reason code of a PUBACK or PUBCOMP). The socket is the one
 * interpose.c's connect() saw Paho connect; when it did not engage, the wait is
 * MQTTClient_receive's own (up to 100 ms late). Messages that arrive while
 * Paho waits for a SUBACK or UNSUBACK are queued by Paho and handed over
 * by the next MQTTClient_receive, first. */
#include "exchange.h"

#include <MQTTClient.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interpose.h"
#include "mqtterr.h"
#include "mqttprops.h"
#include "mqtturi.h"
#include "netprobe.h"
#include "nodelay.h"
#include "tlsctx.h"
#include "vtime.h"

#define KEEPALIVE_S 60
#define MAX_INFLIGHT 65535   /* never make MQTTClient_publish block for a free slot */
#define RETRY_FIRST_MS 1000  /* republish: publish again after this long without an answer */
#define RETRY_MAX_MS 4000    /* ... doubling up to this */
#define CYCLE_MAX_MS 1000    /* let Paho run at least this often (keep-alive) */
#define SLOW_WAIT_MS 100     /* the wait without the socket (the connect wrapper not engaged) */
#define PROBE_MAX_MS 1000    /* the TCP probe that explains a failed connect */
#define COMMAND_MIN_MS 5000  /* the shortest wait for a SUBACK Paho accepts */
#define SUBS_MAX 8
#define WHAT_MAX 320       /* "subscribe to <topic>" */

struct xchg {
	const struct xchg_conn *conn;
	const struct conn_opts *to;  /* conn->opts: where and as whom */
	xchg_on_message on_message;
	void *ctx;
	MQTTClient client;
	bool connected;
	int64_t deadline;        /* vtime_mono_ms */
	int fd;                  /* Paho's socket, -1: unknown */
	/* the request under way (xchg_request) */
	const struct xchg_pub *pub;
	int awaiting;            /* publications at QoS > 0 so far */
	bool sent;               /* Paho took a publication: the broker may have it */
	bool acked;              /* the broker acknowledged a publication */
	int reason;              /* MQTT 5: reason code of the last acknowledgement */
	bool answered;           /* on_message said a message was the answer */
	int64_t retry_at;        /* republish: when to publish again (0: not yet published) */
	int64_t retry_ms;
	char *err;
	size_t errlen;
};

static const char *trace_prog = "voter"; /* Paho's trace callback has no context */

/* fail: writes the cause into x->err. Returns -1. */
static int fail(struct xchg *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct xchg *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* paho_words: Paho's return code rc in words (an MQTT reason code >= 0x80
 * as its name; with connack, 3.1.1 CONNACK codes 1..5 too), into buf. */
static const char *paho_words(int rc, int connack, char *buf, size_t size)
{
	return mqtterr_describe(rc, MQTTClient_strerror(rc), 0, NULL, connack, buf, size);
}

/* on_trace: -d: Paho's protocol trace, a "<prog>: " line each. */
static void on_trace(enum MQTTCLIENT_TRACE_LEVELS level, char *message)
{
	size_t len = strlen(message);

	(void)level;
	while (len > 0 && (message[len - 1] == '\n' || message[len - 1] == '\r'))
		len--;
	fprintf(stderr, "%s: %.*s\n", trace_prog, (int)len, message);
}

/* on_published: MQTT 5 only: a PUBACK, a PUBCOMP or a refusing PUBREC. */
static void on_published(void *context, int token, int packet_type, MQTTProperties *props,
			 enum MQTTReasonCodes reason)
{
	struct xchg *x = context;

	(void)token;
	(void)packet_type;
	(void)props;
	if (x->reason < 0x80) /* a refusal stays */
		x->reason = (int)reason;
}

static int64_t left_ms(const struct xchg *x)
{
	return x->deadline - vtime_mono_ms();
}

static bool use_tls(const struct xchg_conn *c)
{
	return tlsopts_on(&c->opts->tls);
}

/* open_client: Paho set up and the client created. Returns 0, or -1 with x->err. */
static int open_client(struct xchg *x)
{
	const struct xchg_conn *c = x->conn;
	const struct conn_opts *to = x->to;
	MQTTClient_init_options init = MQTTClient_init_options_initializer;
	MQTTClient_createOptions create = MQTTClient_createOptions_initializer;
	char uri[320], why[160];
	int rc;

	init.do_openssl_init = 0; /* OpenSSL initialises itself when TLS is used: 2.4 ms saved */
	MQTTClient_global_init(&init);
	if (c->debug) {
		trace_prog = c->prog;
		MQTTClient_setTraceCallback(on_trace);
		MQTTClient_setTraceLevel(MQTTCLIENT_TRACE_PROTOCOL);
	} else {
		MQTTClient_setTraceLevel(MQTTCLIENT_TRACE_ERROR); /* no in-memory trace ring of every packet */
	}
	if (mqtturi_make(to->host, to->port, use_tls(c), uri, sizeof(uri)) != 0)
		return fail(x, "cannot connect to %s:%d: host name too long", to->host, to->port);
	create.MQTTVersion = to->mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
	rc = MQTTClient_createWithOptions(&x->client, uri, to->client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL,
					  &create);
	if (rc != MQTTCLIENT_SUCCESS)
		return fail(x, "cannot create an MQTT client for %s: %s", uri, paho_words(rc, 0, why, sizeof(why)));
	if (to->mqtt_version == 5 &&
	    (rc = MQTTClient_setPublished(x->client, x, on_published)) != MQTTCLIENT_SUCCESS)
		return fail(x, "cannot set up the MQTT client: %s", paho_words(rc, 0, why, sizeof(why)));
	return 0;
}

/* connect_failed: the cause of a failed MQTTClient_connect (rc) into x->err. Returns -1. */
static int connect_failed(struct xchg *x, int rc, const struct connwrap_seen *seen)
{
	const struct xchg_conn *c = x->conn;
	const struct conn_opts *to = x->to;
	int64_t left = left_ms(x);
	char why[192];

	if (mqtterr_refused(rc, 0))
		return fail(x, "connection to %s:%d refused by the broker: %s", to->host, to->port,
			    paho_words(rc, 1, why, sizeof(why)));
	if (use_tls(c) && tlsctx_failure(&to->tls, to->host, to->port, x->err, x->errlen))
		return -1;
	if (seen->expired || left <= 0) {
		if (seen->tcp_up)
			return fail(x, "timed out after %g s waiting for the broker's answer to CONNECT", c->timeout);
		return fail(x, "timed out after %g s waiting for a connection to %s:%d", c->timeout, to->host, to->port);
	}
	/* Paho says only "failure": a TCP connection of our own tells why */
	if (netprobe_tcp(to->host, to->port, left < PROBE_MAX_MS ? (int)left : PROBE_MAX_MS, why, sizeof(why)) == 0) {
		if (use_tls(c) && interpose_tls_state() != INTERPOSE_ON) /* or Paho's host name check, after it */
			return fail(x, "TLS: handshake with %s:%d failed (is that port a TLS listener, with a "
				    "certificate that names %s?)", to->host, to->port, to->host);
		if (use_tls(c)) /* TCP is fine: TLS is not, and OpenSSL gave no reason */
			return fail(x, "TLS: handshake with %s:%d failed (is that port a TLS listener?)", to->host,
				    to->port);
		paho_words(rc, 1, why, sizeof(why)); /* TCP is fine: MQTT is not */
	}
	return fail(x, "cannot connect to %s:%d: %s", to->host, to->port, why);
}

/* say_interposed: -d: whether interpose.c's functions engaged in the connect, one line each. */
static void say_interposed(const struct xchg *x, const struct connwrap_seen *seen)
{
	const struct xchg_conn *c = x->conn;
	char why[160];

	if (seen->fd >= 0)
		fprintf(stderr, "%s: connect wrapper engaged: %s\n", c->prog,
			seen->tcp_up ? "the TCP connection was up before Paho waited for it"
				     : "the TCP connection failed or timed out");
	else if (seen->off == INTERPOSE_OFF_ENV)
		fprintf(stderr, "%s: connect wrapper not engaged: Paho waited for the TCP connection itself\n", c->prog);
	else
		fprintf(stderr, "%s: connect wrapper not engaged: Paho waited for the TCP connection itself (%s)\n",
			c->prog, seen->off == INTERPOSE_ON ? "Paho did not call it"
							   : interpose_off_words(seen->off, "MQTTVOTE_NO_CONNWRAP", why, sizeof(why)));
	if (!use_tls(c))
		return;
	if (tlsctx_fallback(why, sizeof(why)))
		fprintf(stderr, "%s: %s\n", c->prog, why);
	else if (!interpose_tls_engaged())
		fprintf(stderr, "%s: TLS context not completed: Paho did not call SSL_CTX_new (Paho's checks only)\n",
			c->prog);
	else
		fprintf(stderr, "%s: TLS context completed: TLS version floor, host name and the verification error in "
			"words\n", c->prog);
}

/* connect_client: the MQTT connection, within the deadline. Returns 0, or -1 with x->err. */
static int connect_client(struct xchg *x)
{
	const struct xchg_conn *c = x->conn;
	const struct conn_opts *to = x->to;
	MQTTClient_connectOptions v311 = MQTTClient_connectOptions_initializer;
	MQTTClient_connectOptions v5 = MQTTClient_connectOptions_initializer5;
	MQTTClient_connectOptions *co = to->mqtt_version == 5 ? &v5 : &v311;
	MQTTClient_SSLOptions ssl = MQTTClient_SSLOptions_initializer;
	MQTTResponse resp = MQTTResponse_initializer;
	struct connwrap_seen seen;
	int64_t left = left_ms(x);
	int rc;

	co->keepAliveInterval = KEEPALIVE_S;
	co->cleansession = to->mqtt_version != 5; /* a client of one request keeps no session */
	co->cleanstart = to->mqtt_version == 5;
	co->reliable = 0;
	co->maxInflightMessages = MAX_INFLIGHT;
	co->username = to->username;
	co->password = to->password;
	/* Paho counts whole seconds; interpose.c keeps the deadline itself */
	co->connectTimeout = left > 1000 ? (int)((left + 999) / 1000) : 1;
	if (use_tls(c)) { /* Paho copies these at connect */
		TLSCTX_PAHO_FILL(&ssl, &to->tls);
		tlsctx_arm(&to->tls, to->host);
		co->ssl = &ssl;
	}
	/* Paho would go through an HTTP proxy named there: we never did, nor does mosquitto_pub */
	if (unsetenv("http_proxy") != 0 || unsetenv("https_proxy") != 0)
		return fail(x, "cannot clear http_proxy: %s", strerror(errno));
	connwrap_begin(x->deadline);
	if (to->mqtt_version == 5)
		resp = MQTTClient_connect5(x->client, co, NULL, NULL);
	else
		resp.reasonCode = MQTTClient_connect(x->client, co);
	seen = connwrap_end();
	rc = resp.reasonCode;
	MQTTResponse_free(resp);
	if (c->debug)
		say_interposed(x, &seen);
	if (rc != MQTTCLIENT_SUCCESS)
		return connect_failed(x, rc, &seen);
	x->fd = seen.fd;
	x->connected = true;
	(void)nodelay_all(); /* small packets leave at once; failing only costs time */
	return 0;
}

struct xchg *xchg_open(const struct xchg_conn *conn, xchg_on_message on_message, void *ctx, char *err,
		       size_t errlen)
{
	struct xchg *x = calloc(1, sizeof(*x));

	if (!x) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	x->conn = conn;
	x->to = conn->opts;
	x->on_message = on_message;
	x->ctx = ctx;
	x->fd = -1;
	x->err = err;
	x->errlen = errlen;
	x->deadline = vtime_mono_ms() + (int64_t)(conn->timeout * 1000);
	if (open_client(x) != 0 || connect_client(x) != 0) {
		xchg_close(x);
		return NULL;
	}
	return x;
}

/* command_timeout: Paho's wait for a SUBACK or UNSUBACK: what is left,
 * but at least the 5 s Paho accepts (src/MQTTClient.c:2969: below that,
 * a broker that never answers holds us up to 5 s). Returns 0, or -1 with
 * x->err when the deadline passed. */
static int command_timeout(struct xchg *x, const char *what)
{
	int64_t left = left_ms(x);
	char why[160];
	int rc;

	if (left <= 0)
		return fail(x, "timed out after %g s waiting for the broker's answer to CONNECT", x->conn->timeout);
	rc = MQTTClient_setCommandTimeout(x->client, (unsigned long)(left > COMMAND_MIN_MS ? left : COMMAND_MIN_MS));
	if (rc != MQTTCLIENT_SUCCESS)
		return fail(x, "cannot %s: %s", what, paho_words(rc, 0, why, sizeof(why)));
	return 0;
}

int xchg_subscribe(struct xchg *x, const char *const *topics, const int *qos, size_t n, int *reasons, char *err,
		   size_t errlen)
{
	MQTTResponse resp = MQTTResponse_initializer;
	int granted[SUBS_MAX];
	char why[160], what[WHAT_MAX];
	size_t i;
	int rc = -1;

	x->err = err;
	x->errlen = errlen;
	if (n == 0 || n > SUBS_MAX) {
		fail(x, "cannot subscribe to %zu topics at once", n);
		goto out;
	}
	snprintf(what, sizeof(what), "subscribe to %s", topics[0]);
	if (command_timeout(x, what) != 0)
		goto out;
	memcpy(granted, qos, n * sizeof(*qos));
	resp = MQTTClient_subscribeMany5(x->client, (int)n, (char *const *)topics, granted, NULL, NULL);
	if (resp.reasonCode != MQTTCLIENT_SUCCESS && (resp.reasonCode < 0 || resp.reasonCode > 2) &&
	    resp.reasonCode < 0x80) {
		if (left_ms(x) <= 0)
			fail(x, "timed out after %g s waiting for the broker's answer to SUBSCRIBE", x->conn->timeout);
		else
			fail(x, "cannot %s: %s", what, paho_words(resp.reasonCode, 0, why, sizeof(why)));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (x->to->mqtt_version != 5)
			reasons[i] = granted[i]; /* 3.1.1: the granted QoS, 0x80 for a refusal */
		else if (resp.reasonCodes && (int)i < resp.reasonCodeCount)
			reasons[i] = (int)resp.reasonCodes[i];
		else
			reasons[i] = i == 0 ? resp.reasonCode : 0x80;
	}
	rc = 0;
out:
	MQTTResponse_free(resp);
	return rc;
}

/* take_message: a message Paho received, to on_message. Frees the message and its topic. */
static void take_message(struct xchg *x, char *topic, int topiclen, MQTTClient_message *msg)
{
	size_t tlen = topiclen > 0 ? (size_t)topiclen : strlen(topic);

	if (msg->payloadlen >= 0 && x->on_message(x->ctx, topic, tlen, msg->payload, (size_t)msg->payloadlen) &&
	    x->pub && x->pub->await_answer)
		x->answered = true;
	MQTTClient_freeMessage(&msg);
	MQTTClient_free(topic);
}

/* check_acked: sets x->acked once a publication at QoS > 0 is no longer
 * awaiting its acknowledgement. Returns 0, or -1 with x->err. */
static int check_acked(struct xchg *x)
{
	MQTTClient_deliveryToken *tokens = NULL;
	char why[160];
	int rc, pending = 0;

	if (x->acked || x->awaiting == 0)
		return 0;
	rc = MQTTClient_getPendingDeliveryTokens(x->client, &tokens);
	if (rc != MQTTCLIENT_SUCCESS)
		return fail(x, "cannot read the state of the publication: %s", paho_words(rc, 0, why, sizeof(why)));
	if (tokens) {
		while (tokens[pending] != -1)
			pending++;
		MQTTClient_free(tokens);
	}
	x->acked = pending < x->awaiting;
	return 0;
}

/* lost: the connection was lost: the cause into x->err. Returns -1. */
static int lost(struct xchg *x)
{
	const struct xchg_pub *p = x->pub;

	if (!p)
		return fail(x, "connection to %s:%d lost", x->to->host, x->to->port);
	if (x->acked && p->await_answer)
		return fail(x, "connection to %s:%d lost while waiting for %s (the broker had accepted the %s)",
			    x->to->host, x->to->port, p->answer, p->what);
	return fail(x, "connection to %s:%d lost before the broker acknowledged the %s", x->to->host,
		    x->to->port, p->what);
}

/* cycle: one cycle of Paho, waiting up to wait_ms for the socket when it
 * is known (else in MQTTClient_receive, up to SLOW_WAIT_MS). Returns 1
 * when a message was taken (call again without waiting), 0, or -1 with
 * x->err when the connection was lost. */
static int cycle(struct xchg *x, int64_t wait_ms)
{
	struct pollfd p = { .fd = x->fd, .events = POLLIN };
	MQTTClient_message *msg = NULL;
	unsigned long paho_wait = 0;
	char *topic = NULL;
	int topiclen = 0, rc;

	if (wait_ms > 0 && x->fd >= 0)
		(void)poll(&p, 1, (int)wait_ms); /* ready, timed out or interrupted: Paho looks in any case */
	else if (wait_ms > 0)
		paho_wait = (unsigned long)(wait_ms < SLOW_WAIT_MS ? wait_ms : SLOW_WAIT_MS);
	rc = MQTTClient_receive(x->client, &topic, &topiclen, &msg, paho_wait);
	if (msg)
		take_message(x, topic, topiclen, msg);
	else if (topic)
		MQTTClient_free(topic);
	if (rc != MQTTCLIENT_SUCCESS && rc != MQTTCLIENT_TOPICNAME_TRUNCATED)
		return lost(x);
	if (check_acked(x) != 0)
		return -1;
	return msg ? 1 : 0;
}

int xchg_drain(struct xchg *x, char *err, size_t errlen)
{
	struct pollfd p = { .fd = x->fd, .events = POLLIN };
	int rc;

	x->err = err;
	x->errlen = errlen;
	/* Paho's queue first, then what the socket holds; nothing waited for */
	do {
		rc = cycle(x, 0);
	} while (rc == 1 || (rc == 0 && x->fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN)));
	return rc < 0 ? -1 : 0;
}

int xchg_unsubscribe(struct xchg *x, const char *topic, char *err, size_t errlen)
{
	MQTTResponse resp;
	char why[160], what[WHAT_MAX];
	int rc;

	x->err = err;
	x->errlen = errlen;
	snprintf(what, sizeof(what), "unsubscribe from %s", topic);
	if (command_timeout(x, what) != 0)
		return -1;
	resp = MQTTClient_unsubscribe5(x->client, topic, NULL);
	rc = resp.reasonCode;
	MQTTResponse_free(resp);
	if (rc == MQTTCLIENT_SUCCESS || rc >= 0x80) /* a refusal is an answer too */
		return 0;
	if (left_ms(x) <= 0)
		return fail(x, "timed out after %g s waiting for the broker's answer to UNSUBSCRIBE", x->conn->timeout);
	return fail(x, "cannot %s: %s", what, paho_words(rc, 0, why, sizeof(why)));
}

/* publish: p (again, for a retry), with MQTT 5 properties saying it is
 * JSON and, with a response topic, where the answer goes (Response Topic)
 * and what it answers (Correlation Data). Returns 0, or -1 with x->err. A
 * first publication that fails was not sent whole (Paho 1.3.12 fails
 * MQTTClient_publish5 before writing, or when the socket fails before the
 * packet is written out), so the broker cannot have it; x->sent says
 * whether one was. */
static int publish(struct xchg *x)
{
	const struct xchg_pub *p = x->pub;
	MQTTClient_message msg = MQTTClient_message_initializer;
	MQTTResponse resp;
	MQTTClient_deliveryToken token = 0;
	char why[160];
	int rc = -1;

	msg.payload = (void *)p->payload; /* copied by Paho */
	msg.payloadlen = (int)p->len;
	msg.qos = p->qos;
	msg.retained = 0;
	if (x->to->mqtt_version == 5 &&
	    (mqttprops_json(&msg.properties) != 0 ||
	     (p->response_topic && mqttprops_request(&msg.properties, p->response_topic, p->corr, p->corrlen) != 0))) {
		fail(x, "out of memory building the message properties");
		goto out;
	}
	resp = MQTTClient_publishMessage5(x->client, p->topic, &msg, &token);
	rc = resp.reasonCode;
	MQTTResponse_free(resp);
	if (rc != MQTTCLIENT_SUCCESS) {
		rc = x->sent ? fail(x, "cannot publish the %s again: %s", p->what, paho_words(rc, 0, why, sizeof(why)))
			     : fail(x, "%s not delivered: %s", p->what, paho_words(rc, 0, why, sizeof(why)));
		goto out;
	}
	x->sent = true;
	if (p->qos > 0)
		x->awaiting++;
	else
		x->acked = true; /* QoS 0: sent is all there is */
	if (p->await_answer && p->republish) {
		x->retry_ms = x->retry_ms ? (x->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : x->retry_ms * 2)
					  : RETRY_FIRST_MS;
		x->retry_at = vtime_mono_ms() + x->retry_ms;
	}
out:
	MQTTProperties_free(&msg.properties);
	return rc;
}

/* wait_outcome: runs the request after the first publication until it
 * has an outcome or the deadline passes. It was sent: a failure is
 * OUTCOME_UNCERTAIN (the broker may have it), except the broker's refusal. */
static enum outcome wait_outcome(struct xchg *x)
{
	const struct xchg_pub *p = x->pub;
	int64_t now, wait = 0;
	char why[160];
	int rc;

	for (;;) {
		rc = cycle(x, wait);
		if (rc < 0)
			return OUTCOME_UNCERTAIN;
		if (x->reason >= 0x80) {
			fail(x, "%s refused by the broker: %s", p->what, mqtterr_reason(x->reason, why, sizeof(why)));
			return OUTCOME_FAILED;
		}
		if (x->answered)
			return OUTCOME_RECEIPT;
		if (!p->await_answer && x->acked)
			return x->reason == MQTTREASONCODE_NO_MATCHING_SUBSCRIBERS ? OUTCOME_NO_SUBSCRIBERS
										   : OUTCOME_ACKED;
		now = vtime_mono_ms();
		if (now >= x->deadline) {
			if (x->acked) {
				x->err[0] = '\0';
				return OUTCOME_UNCONFIRMED;
			}
			fail(x, "timed out after %g s waiting for the broker's acknowledgement", x->conn->timeout);
			return OUTCOME_UNCERTAIN;
		}
		if (x->retry_at && now >= x->retry_at) {
			if (x->conn->debug)
				fprintf(stderr, "%s: no answer yet: publishing the %s again\n", x->conn->prog, p->what);
			if (publish(x) != 0)
				return OUTCOME_UNCERTAIN;
			now = vtime_mono_ms();
		}
		wait = rc == 1 ? 0 : x->deadline - now;
		if (x->retry_at && x->retry_at - now < wait)
			wait = x->retry_at - now;
		if (wait > CYCLE_MAX_MS)
			wait = CYCLE_MAX_MS;
	}
}

enum outcome xchg_request(struct xchg *x, const struct xchg_pub *p, char *err, size_t errlen)
{
	enum outcome res = OUTCOME_FAILED;

	x->err = err;
	x->errlen = errlen;
	x->pub = p;
	x->awaiting = 0;
	x->sent = x->acked = x->answered = false;
	x->reason = 0;
	x->retry_at = x->retry_ms = 0;
	if (publish(x) == 0)
		res = wait_outcome(x);
	x->pub = NULL;
	return res;
}

int xchg_await(struct xchg *x, char *err, size_t errlen)
{
	struct xchg_pub none = { .await_answer = true, .what = "request", .answer = "an answer" };
	int64_t wait = 0;
	int rc;

	x->err = err;
	x->errlen = errlen;
	x->pub = &none;
	x->answered = false;
	for (;;) {
		rc = cycle(x, wait);
		if (rc < 0 || x->answered || vtime_mono_ms() >= x->deadline)
			break;
		wait = rc == 1 ? 0 : left_ms(x);
		if (wait > CYCLE_MAX_MS)
			wait = CYCLE_MAX_MS;
	}
	x->pub = NULL;
	if (rc < 0)
		return fail(x, "connection to %s:%d lost", x->to->host, x->to->port);
	return x->answered ? 1 : 0;
}

void xchg_close(struct xchg *x)
{
	if (!x)
		return;
	/* DISCONNECT written at once, no wait for anything in flight (timeout 0);
	 * the outcome is known, so a failure here changes nothing */
	if (x->connected && MQTTClient_isConnected(x->client))
		(void)(x->to->mqtt_version == 5 ? MQTTClient_disconnect5(x->client, 0, MQTTREASONCODE_SUCCESS, NULL)
						  : MQTTClient_disconnect(x->client, 0));
	if (x->client)
		MQTTClient_destroy(&x->client);
	free(x);
}
