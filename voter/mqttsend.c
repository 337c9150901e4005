/* mqttsend.c -- one ballot through an MQTT broker (Paho MQTTClient): connect, publish, wait for the answer
 *
 * Paho's synchronous client, used without callbacks (MQTTClient_setCallbacks
 * starts a thread that costs 100 ms sleeps at connect and at disconnect)
 * and without its waiting calls (MQTTClient_waitForCompletion and
 * MQTTClient_yield always run their full 100 ms): this file waits itself,
 * with poll() on the client's socket until the deadline, and lets Paho
 * handle what came with MQTTClient_receive(..., 0), one non-blocking
 * cycle that reads a packet, answers it and calls the published callback
 * (the MQTT 5 reason code of a PUBACK or PUBCOMP). The socket is the one
 * connwrap.c saw Paho connect; when it did not engage, the wait is
 * MQTTClient_receive's own (up to 100 ms late). */
#include "mqttsend.h"

#include <MQTTClient.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connwrap.h"
#include "mqtterr.h"
#include "mqttprops.h"
#include "mqtturi.h"
#include "netprobe.h"
#include "nodelay.h"
#include "tlsctx.h"
#include "vtime.h"

#define KEEPALIVE_S 60
#define MAX_INFLIGHT 65535   /* never make MQTTClient_publish block for a free slot */
#define RETRY_FIRST_MS 1000  /* --confirm: publish again after this long without a receipt */
#define RETRY_MAX_MS 4000    /* ... doubling up to this */
#define CYCLE_MAX_MS 1000    /* let Paho run at least this often (keep-alive) */
#define SLOW_WAIT_MS 100     /* the wait without the socket (connwrap not engaged) */
#define PROBE_MAX_MS 1000    /* the TCP probe that explains a failed connect */
#define COMMAND_MIN_MS 5000  /* the shortest wait for a SUBACK Paho accepts */

struct exchange {
	const struct send_req *req;
	MQTTClient client;
	int64_t deadline;        /* vtime_mono_ms */
	int fd;                  /* Paho's socket, -1: unknown */
	int awaiting;            /* publications at QoS > 0 so far */
	bool sent;               /* Paho took a publication of the ballot: the broker may have it */
	bool acked;              /* the broker acknowledged a publication of the ballot */
	int reason;              /* MQTT 5: reason code of the last acknowledgement */
	bool got_receipt;
	int64_t retry_at;        /* --confirm: when to publish again (0: not yet published) */
	int64_t retry_ms;
	struct receipt *receipt;
	char *err;
	size_t errlen;
};

/* fail: writes the cause into x->err. Returns -1. */
static int fail(struct exchange *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct exchange *x, const char *fmt, ...)
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

/* on_trace: -d: Paho's protocol trace, a "voter: " line each. */
static void on_trace(enum MQTTCLIENT_TRACE_LEVELS level, char *message)
{
	size_t len = strlen(message);

	(void)level;
	while (len > 0 && (message[len - 1] == '\n' || message[len - 1] == '\r'))
		len--;
	fprintf(stderr, "voter: %.*s\n", (int)len, message);
}

/* on_published: MQTT 5 only: a PUBACK, a PUBCOMP or a refusing PUBREC. */
static void on_published(void *context, int token, int packet_type, MQTTProperties *props,
			 enum MQTTReasonCodes reason)
{
	struct exchange *x = context;

	(void)token;
	(void)packet_type;
	(void)props;
	if (x->reason < 0x80) /* a refusal stays */
		x->reason = (int)reason;
}

static int64_t left_ms(const struct exchange *x)
{
	return x->deadline - vtime_mono_ms();
}

static bool use_tls(const struct send_req *req)
{
	return req->tls && tlsopts_on(req->tls);
}

/* open_client: Paho set up and the client created. Returns 0, or -1 with x->err. */
static int open_client(struct exchange *x)
{
	const struct send_req *req = x->req;
	MQTTClient_init_options init = MQTTClient_init_options_initializer;
	MQTTClient_createOptions create = MQTTClient_createOptions_initializer;
	char uri[320], why[160];
	int rc;

	init.do_openssl_init = 0; /* OpenSSL initialises itself when TLS is used: 2.4 ms saved */
	MQTTClient_global_init(&init);
	if (req->debug) {
		MQTTClient_setTraceCallback(on_trace);
		MQTTClient_setTraceLevel(MQTTCLIENT_TRACE_PROTOCOL);
	} else {
		MQTTClient_setTraceLevel(MQTTCLIENT_TRACE_ERROR); /* no in-memory trace ring of every packet */
	}
	if (mqtturi_make(req->host, req->port, use_tls(req), uri, sizeof(uri)) != 0)
		return fail(x, "cannot connect to %s:%d: host name too long", req->host, req->port);
	create.MQTTVersion = req->mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
	rc = MQTTClient_createWithOptions(&x->client, uri, req->client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL,
					  &create);
	if (rc != MQTTCLIENT_SUCCESS)
		return fail(x, "cannot create an MQTT client for %s: %s", uri, paho_words(rc, 0, why, sizeof(why)));
	if (req->mqtt_version == 5 &&
	    (rc = MQTTClient_setPublished(x->client, x, on_published)) != MQTTCLIENT_SUCCESS)
		return fail(x, "cannot set up the MQTT client: %s", paho_words(rc, 0, why, sizeof(why)));
	return 0;
}

/* connect_failed: the cause of a failed MQTTClient_connect (rc) into x->err. Returns -1. */
static int connect_failed(struct exchange *x, int rc, const struct connwrap_seen *seen)
{
	const struct send_req *req = x->req;
	int64_t left = left_ms(x);
	char why[192];

	if (mqtterr_refused(rc, 0))
		return fail(x, "connection to %s:%d refused by the broker: %s", req->host, req->port,
			    paho_words(rc, 1, why, sizeof(why)));
	if (use_tls(req) && tlsctx_failure(req->tls, req->host, req->port, x->err, x->errlen))
		return -1;
	if (seen->expired || left <= 0) {
		if (seen->tcp_up)
			return fail(x, "timed out after %g s waiting for the broker's answer to CONNECT", req->timeout);
		return fail(x, "timed out after %g s waiting for a connection to %s:%d", req->timeout, req->host,
			    req->port);
	}
	/* Paho says only "failure": a TCP connection of our own tells why */
	if (netprobe_tcp(req->host, req->port, left < PROBE_MAX_MS ? (int)left : PROBE_MAX_MS, why, sizeof(why)) == 0) {
		if (use_tls(req)) /* TCP is fine: TLS is not, and OpenSSL gave no reason */
			return fail(x, "TLS: handshake with %s:%d failed (is that port a TLS listener?)", req->host,
				    req->port);
		paho_words(rc, 1, why, sizeof(why)); /* TCP is fine: MQTT is not */
	}
	return fail(x, "cannot connect to %s:%d: %s", req->host, req->port, why);
}

/* connect_client: the MQTT connection, within the deadline. Returns 0, or -1 with x->err. */
static int connect_client(struct exchange *x)
{
	const struct send_req *req = x->req;
	MQTTClient_connectOptions v311 = MQTTClient_connectOptions_initializer;
	MQTTClient_connectOptions v5 = MQTTClient_connectOptions_initializer5;
	MQTTClient_connectOptions *co = req->mqtt_version == 5 ? &v5 : &v311;
	MQTTClient_SSLOptions ssl = MQTTClient_SSLOptions_initializer;
	MQTTResponse resp = MQTTResponse_initializer;
	struct connwrap_seen seen;
	int64_t left = left_ms(x);
	int rc;

	co->keepAliveInterval = KEEPALIVE_S;
	co->cleansession = req->mqtt_version != 5; /* a voter keeps no session */
	co->cleanstart = req->mqtt_version == 5;
	co->reliable = 0;
	co->maxInflightMessages = MAX_INFLIGHT;
	co->username = req->username;
	co->password = req->password;
	/* Paho counts whole seconds; connwrap.c keeps the deadline itself */
	co->connectTimeout = left > 1000 ? (int)((left + 999) / 1000) : 1;
	if (use_tls(req)) {
		TLSCTX_PAHO_FILL(&ssl, req->tls);
		tlsctx_arm(req->tls, req->host);
		co->ssl = &ssl;
	}
	/* Paho would go through an HTTP proxy named there: the voter never did, nor does mosquitto_pub */
	if (unsetenv("http_proxy") != 0 || unsetenv("https_proxy") != 0)
		return fail(x, "cannot clear http_proxy: %s", strerror(errno));
	connwrap_begin(x->deadline);
	if (req->mqtt_version == 5)
		resp = MQTTClient_connect5(x->client, co, NULL, NULL);
	else
		resp.reasonCode = MQTTClient_connect(x->client, co);
	seen = connwrap_end();
	rc = resp.reasonCode;
	MQTTResponse_free(resp);
	if (req->debug)
		fprintf(stderr, "voter: connect wrapper %s\n",
			seen.fd < 0 ? "not engaged: Paho waited for the TCP connection itself"
				    : seen.tcp_up ? "engaged: the TCP connection was up before Paho waited for it"
						  : "engaged: the TCP connection failed or timed out");
	if (rc != MQTTCLIENT_SUCCESS)
		return connect_failed(x, rc, &seen);
	x->fd = seen.fd;
	(void)nodelay_all(); /* small packets leave at once; failing only costs time */
	return 0;
}

/* subscribe: to the receipt topic, before the ballot goes out. Returns 0, or -1 with x->err. */
static int subscribe(struct exchange *x)
{
	const struct send_req *req = x->req;
	MQTTResponse resp;
	int64_t left = left_ms(x);
	char why[160];
	int rc;

	if (left <= 0)
		return fail(x, "timed out after %g s waiting for the broker's answer to CONNECT", req->timeout);
	/* Paho refuses less than 5 s (src/MQTTClient.c:2969): below that, a
	 * broker that never answers SUBSCRIBE holds the voter up to 5 s */
	rc = MQTTClient_setCommandTimeout(x->client, (unsigned long)(left > COMMAND_MIN_MS ? left : COMMAND_MIN_MS));
	if (rc != MQTTCLIENT_SUCCESS)
		return fail(x, "cannot subscribe to %s: %s", req->receipt_topic, paho_words(rc, 0, why, sizeof(why)));
	resp = MQTTClient_subscribe5(x->client, req->receipt_topic, 1, NULL, NULL);
	rc = resp.reasonCode;
	MQTTResponse_free(resp);
	if (rc >= 0 && rc <= 2)
		return 0;
	if (rc >= 0x80)
		return fail(x, "subscription to %s refused by the broker: %s", req->receipt_topic,
			    mqtterr_reason(rc, why, sizeof(why)));
	if (left_ms(x) <= 0)
		return fail(x, "timed out after %g s waiting for the broker's answer to SUBSCRIBE", req->timeout);
	return fail(x, "cannot subscribe to %s: %s", req->receipt_topic, paho_words(rc, 0, why, sizeof(why)));
}

/* publish: the ballot (again, for a retry). With MQTT 5 it says it is
 * JSON and, with --confirm, where the receipt goes (Response Topic) and
 * what it answers (Correlation Data: the ballot id); with 3.1.1 the
 * ballot's "reply" field says where. Returns 0, or -1 with x->err. A
 * first publication that fails was not sent whole (Paho 1.3.12 fails
 * MQTTClient_publish5 before writing, or when the socket fails before the
 * packet is written out), so the broker cannot have the ballot; x->sent
 * says whether one was. */
static int publish(struct exchange *x)
{
	const struct send_req *req = x->req;
	MQTTClient_message msg = MQTTClient_message_initializer;
	MQTTResponse resp;
	MQTTClient_deliveryToken token = 0;
	char why[160];
	int rc = -1;

	msg.payload = (void *)req->payload; /* copied by Paho */
	msg.payloadlen = (int)req->len;
	msg.qos = req->qos;
	msg.retained = 0;
	if (req->mqtt_version == 5 &&
	    (mqttprops_json(&msg.properties) != 0 ||
	     (req->receipt_topic &&
	      mqttprops_request(&msg.properties, req->receipt_topic, req->ballot_id, strlen(req->ballot_id)) != 0))) {
		fail(x, "out of memory building the message properties");
		goto out;
	}
	resp = MQTTClient_publishMessage5(x->client, req->topic, &msg, &token);
	rc = resp.reasonCode;
	MQTTResponse_free(resp);
	if (rc != MQTTCLIENT_SUCCESS) {
		rc = fail(x, x->sent ? "cannot publish the ballot again: %s" : "ballot not delivered: %s",
			  paho_words(rc, 0, why, sizeof(why)));
		goto out;
	}
	x->sent = true;
	if (req->qos > 0)
		x->awaiting++;
	else
		x->acked = true; /* QoS 0: sent is all there is */
	if (req->receipt_topic) {
		x->retry_ms = x->retry_ms ? (x->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : x->retry_ms * 2)
					  : RETRY_FIRST_MS;
		x->retry_at = vtime_mono_ms() + x->retry_ms;
	}
out:
	MQTTProperties_free(&msg.properties);
	return rc;
}

/* take_message: a message Paho received; the receipt of this ballot
 * when it is one. Frees the message and its topic. */
static void take_message(struct exchange *x, char *topic, int topiclen, MQTTClient_message *msg)
{
	const char *want = x->req->receipt_topic;
	size_t tlen = topiclen > 0 ? (size_t)topiclen : strlen(topic);
	struct receipt r;
	char why[128];

	if (!x->got_receipt && want && tlen == strlen(want) && memcmp(topic, want, tlen) == 0 &&
	    msg->payloadlen >= 0 && receipt_parse(msg->payload, (size_t)msg->payloadlen, &r, why, sizeof(why)) == 0 &&
	    strcmp(r.id, x->req->ballot_id) == 0) {
		*x->receipt = r;
		x->got_receipt = true;
	}
	MQTTClient_freeMessage(&msg);
	MQTTClient_free(topic);
}

/* check_acked: sets x->acked once a publication at QoS > 0 is no longer
 * awaiting its acknowledgement. Returns 0, or -1 with x->err. */
static int check_acked(struct exchange *x)
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

/* cycle: one cycle of Paho, waiting up to wait_ms for the socket when it
 * is known (else in MQTTClient_receive, up to SLOW_WAIT_MS). Returns 1
 * when a message was taken (call again without waiting), 0, or -1 with
 * x->err when the connection was lost. */
static int cycle(struct exchange *x, int64_t wait_ms)
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
	if (rc != MQTTCLIENT_SUCCESS && rc != MQTTCLIENT_TOPICNAME_TRUNCATED) {
		if (x->acked && x->req->receipt_topic)
			return fail(x, "connection to %s:%d lost while waiting for the tallier's receipt "
				       "(the broker had accepted the ballot)", x->req->host, x->req->port);
		return fail(x, "connection to %s:%d lost before the broker acknowledged the ballot", x->req->host,
			    x->req->port);
	}
	if (check_acked(x) != 0)
		return -1;
	return msg ? 1 : 0;
}

/* wait_outcome: runs the exchange after the first publication until it
 * has an outcome or the deadline passes. The ballot was sent: a failure
 * is OUTCOME_UNCERTAIN (the broker may have it), except the broker's
 * refusal. */
static enum outcome wait_outcome(struct exchange *x)
{
	const struct send_req *req = x->req;
	int64_t now, wait = 0;
	char why[160];
	int rc;

	for (;;) {
		rc = cycle(x, wait);
		if (rc < 0)
			return OUTCOME_UNCERTAIN;
		if (x->reason >= 0x80) {
			fail(x, "ballot refused by the broker: %s", mqtterr_reason(x->reason, why, sizeof(why)));
			return OUTCOME_FAILED;
		}
		if (x->got_receipt)
			return OUTCOME_RECEIPT;
		if (!req->receipt_topic && x->acked)
			return x->reason == MQTTREASONCODE_NO_MATCHING_SUBSCRIBERS ? OUTCOME_NO_SUBSCRIBERS
										   : OUTCOME_ACKED;
		now = vtime_mono_ms();
		if (now >= x->deadline) {
			if (x->acked) {
				fail(x, "the broker accepted the ballot, but no tallier confirmed it within %g s: "
					"it is not known to be counted (no tallier running, a broker queue that "
					"was full and dropped it, or, with MQTT 3.1.1, a broker that refused it "
					"without a word); vote again to know", req->timeout);
				return OUTCOME_UNCONFIRMED;
			}
			fail(x, "timed out after %g s waiting for the broker's acknowledgement", req->timeout);
			return OUTCOME_UNCERTAIN;
		}
		if (x->retry_at && now >= x->retry_at) {
			if (req->debug)
				fprintf(stderr, "voter: no receipt yet: publishing the ballot again\n");
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

enum outcome mqttsend(const struct send_req *req, struct receipt *receipt, char *err, size_t errlen)
{
	struct exchange x = { .req = req, .fd = -1, .receipt = receipt, .err = err, .errlen = errlen };
	enum outcome res = OUTCOME_FAILED;
	bool connected = false;

	x.deadline = vtime_mono_ms() + (int64_t)(req->timeout * 1000);
	if (open_client(&x) != 0 || connect_client(&x) != 0)
		goto out;
	connected = true;
	if ((req->receipt_topic && subscribe(&x) != 0) || publish(&x) != 0)
		goto out;
	res = wait_outcome(&x);
out:
	/* DISCONNECT written at once, no wait for anything in flight (timeout 0);
	 * the outcome is known, so a failure here changes nothing */
	if (connected && MQTTClient_isConnected(x.client))
		(void)(req->mqtt_version == 5 ? MQTTClient_disconnect5(x.client, 0, MQTTREASONCODE_SUCCESS, NULL)
					      : MQTTClient_disconnect(x.client, 0));
	if (x.client)
		MQTTClient_destroy(&x.client);
	return res;
}
