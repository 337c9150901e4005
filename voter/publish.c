/* publish.c -- one MQTT publication, waited for until the broker answers */
#include "publish.h"

#include <MQTTClient.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jsonprops.h"
#include "mqtterr.h"
#include "netprobe.h"
#include "vtime.h"

/* Paho's synchronous client (MQTTClient) with no callbacks set runs in the
 * calling thread and has no threads to stop at the end; MQTTAsync's
 * destroy waits ~200 ms for its threads, which a one-shot voter would pay
 * on every ballot. Its MQTTClient_waitForCompletion and _yield sleep in
 * 100 ms steps, so the acknowledgement is awaited with short
 * MQTTClient_receive calls instead, which handle incoming packets (and so
 * the PUBACK, reported through the published callback) as they come. */
#define RECEIVE_SLICE_MS 1

struct exchange {
	const struct publish_req *req;
	MQTTClient_deliveryToken token;
	int acked;  /* the published callback saw our token */
	int reason; /* its reason code (MQTT 5) */
};

static void debug(const struct publish_req *req, const char *fmt, ...)
{
	va_list ap;

	if (!req->debug)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "voter: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void on_published(void *context, int dt, int packet_type, MQTTProperties *props,
			 enum MQTTReasonCodes reason)
{
	struct exchange *x = context;

	(void)packet_type;
	(void)props;
	if (dt == x->token) {
		x->acked = 1;
		x->reason = (int)reason;
	}
}

static const char *describe(int code, int reason, int connack, char *buf, size_t size)
{
	return mqtterr_describe(code, MQTTClient_strerror(code), reason, NULL, connack, buf, size);
}

/* take_response: splits an MQTT 5 call's answer into a Paho error code
 * (< 0) or a refusal reason code (>= 0x80), and frees it. */
static void take_response(MQTTResponse r, int *code, int *reason)
{
	if (r.reasonCode < 0)
		*code = (int)r.reasonCode;
	else if (r.reasonCode >= 0x80)
		*reason = (int)r.reasonCode;
	MQTTResponse_free(r);
}

/* connect_failed: the message for a connection Paho could not make: the
 * broker's refusal when it answered, else the TCP cause found by a probe. */
static void connect_failed(const struct publish_req *req, int code, int reason, int64_t left_ms,
			   char *err, size_t errlen)
{
	char why[192];

	if (reason >= 0x80 || (code >= 1 && code <= 5)) {
		snprintf(err, errlen, "connection to %s:%d refused by the broker: %s", req->host, req->port,
			 describe(code, reason, 1, why, sizeof(why)));
		return;
	}
	if (left_ms <= 0) {
		snprintf(err, errlen, "timed out after %g s waiting for a connection to %s:%d", req->timeout,
			 req->host, req->port);
		return;
	}
	if (netprobe_tcp(req->host, req->port, (int)left_ms, why, sizeof(why)) == 0)
		describe(code, 0, 0, why, sizeof(why)); /* TCP is fine: the MQTT exchange failed */
	snprintf(err, errlen, "cannot connect to %s:%d: %s", req->host, req->port, why);
}

/* do_connect: connects c. Returns 0, or -1 with err set. */
static int do_connect(MQTTClient c, const struct publish_req *req, int64_t deadline, char *err,
		      size_t errlen)
{
	MQTTClient_connectOptions v3 = MQTTClient_connectOptions_initializer;
	MQTTClient_connectOptions v5 = MQTTClient_connectOptions_initializer5;
	MQTTClient_connectOptions *opts = req->mqtt_version == 5 ? &v5 : &v3;
	int code = 0, reason = 0;

	opts->keepAliveInterval = 60;
	opts->connectTimeout = (int)ceil(req->timeout);
	opts->username = req->username;
	opts->password = req->password;
	if (req->mqtt_version == 5) {
		/* clean start: a voter keeps no session */
		take_response(MQTTClient_connect5(c, opts, NULL, NULL), &code, &reason);
	} else {
		opts->MQTTVersion = MQTTVERSION_3_1_1;
		code = MQTTClient_connect(c, opts);
	}
	if (code == 0 && reason == 0)
		return 0;
	connect_failed(req, code, reason, deadline - vtime_mono_ms(), err, errlen);
	return -1;
}

/* do_publish: publishes the message. Returns 0, or -1 with err set. */
static int do_publish(MQTTClient c, struct exchange *x, char *err, size_t errlen)
{
	const struct publish_req *req = x->req;
	MQTTClient_message msg = MQTTClient_message_initializer;
	char why[192];
	int code = 0, reason = 0, rc = -1;

	msg.payload = (void *)req->payload;
	msg.payloadlen = (int)req->len;
	msg.qos = req->qos;
	if (req->mqtt_version == 5) {
		if (jsonprops_add(&msg.properties) != 0) {
			snprintf(err, errlen, "out of memory building the message properties");
			goto out;
		}
		take_response(MQTTClient_publishMessage5(c, req->topic, &msg, &x->token), &code, &reason);
	} else {
		code = MQTTClient_publishMessage(c, req->topic, &msg, &x->token);
	}
	if (reason)
		snprintf(err, errlen, "ballot refused by the broker: %s", describe(0, reason, 0, why, sizeof(why)));
	else if (code)
		snprintf(err, errlen, "ballot not delivered: %s", describe(code, 0, 0, why, sizeof(why)));
	else
		rc = 0;
out:
	MQTTProperties_free(&msg.properties);
	return rc;
}

/* pending: 1 while Paho still holds our message, waiting for the broker. */
static int pending(MQTTClient c, MQTTClient_deliveryToken token)
{
	MQTTClient_deliveryToken *tokens = NULL;
	int i, found = 0;

	if (MQTTClient_getPendingDeliveryTokens(c, &tokens) != MQTTCLIENT_SUCCESS)
		return 1;
	for (i = 0; tokens && tokens[i] != -1; i++)
		if (tokens[i] == token)
			found = 1;
	MQTTClient_free(tokens);
	return found;
}

/* await_ack: handles incoming packets until our PUBACK (or PUBCOMP) or
 * the deadline. MQTT 5 reports it with its reason code through the
 * published callback; MQTT 3.1.1 only by Paho letting go of the message,
 * which counts only while the connection is still up (Paho may drop it
 * from its list on a socket error too). Returns 0, or -1 with err set. */
static int await_ack(MQTTClient c, struct exchange *x, int64_t deadline, char *err, size_t errlen)
{
	const struct publish_req *req = x->req;
	char why[192];

	while (!x->acked) {
		char *topic = NULL;
		int topiclen = 0, rc;
		MQTTClient_message *msg = NULL;

		if (vtime_mono_ms() >= deadline) {
			snprintf(err, errlen, "timed out after %g s waiting for the broker's acknowledgement",
				 req->timeout);
			return -1;
		}
		rc = MQTTClient_receive(c, &topic, &topiclen, &msg, RECEIVE_SLICE_MS);
		if (msg)
			MQTTClient_freeMessage(&msg);
		if (topic)
			MQTTClient_free(topic);
		if (x->acked)
			break;
		if ((rc != MQTTCLIENT_SUCCESS && rc != MQTTCLIENT_TOPICNAME_TRUNCATED) ||
		    !MQTTClient_isConnected(c)) {
			snprintf(err, errlen, "connection to %s:%d lost before the broker acknowledged the ballot (%s)",
				 req->host, req->port, describe(rc, 0, 0, why, sizeof(why)));
			return -1;
		}
		if (req->mqtt_version != 5 && !pending(c, x->token))
			x->acked = 1;
	}
	debug(req, "broker acknowledged the ballot (%s)", mqtterr_reason(x->reason, why, sizeof(why)));
	if (x->reason >= 0x80) {
		snprintf(err, errlen, "ballot refused by the broker: %s", mqtterr_reason(x->reason, why, sizeof(why)));
		return -1;
	}
	return 0;
}

enum publish_status publish_once(const struct publish_req *req, char *err, size_t errlen)
{
	MQTTClient_createOptions create = MQTTClient_createOptions_initializer;
	struct exchange x = { .req = req };
	int64_t deadline = vtime_mono_ms() + (int64_t)(req->timeout * 1000);
	enum publish_status status = PUBLISH_FAILED;
	MQTTClient c = NULL;
	bool connected = false;
	char uri[300], why[192];
	int rc;

	if (mqtterr_uri(req->host, req->port, uri, sizeof(uri)) != 0) {
		snprintf(err, errlen, "host name too long");
		goto out;
	}
	create.MQTTVersion = req->mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
	rc = MQTTClient_createWithOptions(&c, uri, req->client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL, &create);
	if (rc != MQTTCLIENT_SUCCESS) {
		snprintf(err, errlen, "cannot create an MQTT client for %s: %s", uri,
			 describe(rc, 0, 0, why, sizeof(why)));
		c = NULL;
		goto out;
	}
	rc = MQTTClient_setPublished(c, &x, on_published);
	if (rc != MQTTCLIENT_SUCCESS) {
		snprintf(err, errlen, "cannot set the MQTT callback: %s", describe(rc, 0, 0, why, sizeof(why)));
		goto out;
	}
	debug(req, "connecting to %s as %s (MQTT %s)", uri, req->client_id,
	      req->mqtt_version == 5 ? "5" : "3.1.1");
	if (do_connect(c, req, deadline, err, errlen) != 0)
		goto out;
	connected = true;
	debug(req, "connected; publishing to %s (QoS %d, %zu bytes): %.*s", req->topic, req->qos, req->len,
	      (int)req->len, req->payload);
	if (do_publish(c, &x, err, errlen) != 0)
		goto out;
	if (req->qos > 0 && await_ack(c, &x, deadline, err, errlen) != 0)
		goto out;
	status = x.reason == MQTTREASONCODE_NO_MATCHING_SUBSCRIBERS ? PUBLISH_NO_SUBSCRIBERS : PUBLISH_ACKED;
out:
	if (connected && MQTTClient_isConnected(c)) {
		debug(req, "disconnecting");
		if (req->mqtt_version == 5)
			rc = MQTTClient_disconnect5(c, 0, MQTTREASONCODE_NORMAL_DISCONNECTION, NULL);
		else
			rc = MQTTClient_disconnect(c, 0);
		if (rc != MQTTCLIENT_SUCCESS)
			debug(req, "disconnect failed: %s", describe(rc, 0, 0, why, sizeof(why)));
	}
	if (c)
		MQTTClient_destroy(&c);
	return status;
}
