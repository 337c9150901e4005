/* publish.c -- one ballot published, waited for until the broker (and, asked, the tallier) answers */
#include "publish.h"

#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "errtext.h"
#include "netprobe.h"
#include "vtime.h"

/* The voter uses libmosquitto, the client library of mosquitto_pub, in
 * its single-threaded form, as mosquitto_pub does: one ballot costs about
 * what mosquitto_pub costs (3 ms on loopback). Eclipse Paho 1.3.11, which
 * the tallier uses, pays 100 ms in every synchronous connect (a fixed poll
 * cycle before CONNECT goes out) and 100-300 ms in MQTTAsync_destroy.
 *
 * libmosquitto's connect is blocking, so --timeout is enforced with
 * ITIMER_REAL: its SIGALRM (handled without SA_RESTART) interrupts a
 * connect() or the wait for the PUBACK, wherever the exchange is. */

#define DISCONNECT_MS 200 /* how long the DISCONNECT may take to go out */
#define RETRY_FIRST_MS 1000 /* --confirm: publish again after this long without a receipt */
#define RETRY_MAX_MS 4000   /* ... doubling up to this */

struct exchange {
	const struct publish_req *req;
	int mid;                /* our (latest) message id */
	bool connacked;         /* the broker accepted the connection */
	bool acked;             /* the broker acknowledged a publication of the ballot */
	bool done;              /* the exchange ended (receipt, ack without --confirm, or failure) */
	bool failed;
	int reason;             /* PUBACK reason code (MQTT 5) */
	int64_t retry_at;       /* --confirm: when to publish again (monotonic ms), 0: not yet published */
	int64_t retry_ms;
	struct receipt *receipt;
	bool got_receipt;
	char err[256];
};

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static void fail(struct exchange *x, const char *fmt, ...)
{
	va_list ap;

	if (x->done)
		return;
	x->done = true;
	x->failed = true;
	va_start(ap, fmt);
	vsnprintf(x->err, sizeof(x->err), fmt, ap);
	va_end(ap);
}

static void on_log(struct mosquitto *m, void *obj, int level, const char *text)
{
	(void)m;
	(void)obj;
	(void)level;
	fprintf(stderr, "voter: %s\n", text);
}

/* lib_error: libmosquitto's words for rc (errno's for MOSQ_ERR_ERRNO),
 * tidied, into buf. */
static const char *lib_error(int rc, int saved_errno, char *buf, size_t size)
{
	if (rc == MOSQ_ERR_ERRNO)
		return errtext_errno(saved_errno, buf, size);
	snprintf(buf, size, "%s", mosquitto_strerror(rc));
	return errtext_tidy(buf);
}

/* reason_text: the words for a CONNACK refusal or a reason code. */
static const char *reason_text(const struct publish_req *req, int rc)
{
	return req->mqtt_version == 5 ? mosquitto_reason_string(rc) : mosquitto_connack_string(rc);
}

static void connect_failed(struct exchange *x, int rc, int saved_errno);

/* publish: publishes the ballot (again, for a retry). With MQTT 5 it says
 * it is JSON and, with --confirm, where the receipt goes (Response Topic)
 * and what it answers (Correlation Data: the ballot id); with 3.1.1 the
 * ballot's "reply" field says where. */
static void publish(struct mosquitto *m, struct exchange *x)
{
	const struct publish_req *req = x->req;
	mosquitto_property *props = NULL;
	char why[128];
	int rc;

	if (req->mqtt_version == 5 &&
	    (mosquitto_property_add_byte(&props, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 1) != MOSQ_ERR_SUCCESS ||
	     mosquitto_property_add_string(&props, MQTT_PROP_CONTENT_TYPE, "application/json") != MOSQ_ERR_SUCCESS ||
	     (req->receipt_topic &&
	      (mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, req->receipt_topic) !=
		       MOSQ_ERR_SUCCESS ||
	       mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, req->ballot_id,
					     (uint16_t)strlen(req->ballot_id)) != MOSQ_ERR_SUCCESS)))) {
		fail(x, "out of memory building the message properties");
		goto out;
	}
	rc = mosquitto_publish_v5(m, &x->mid, req->topic, (int)req->len, req->payload, req->qos, false, props);
	if (rc != MOSQ_ERR_SUCCESS)
		fail(x, "ballot not delivered: %s", lib_error(rc, errno, why, sizeof(why)));
	if (req->receipt_topic) {
		x->retry_ms = x->retry_ms ? (x->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : x->retry_ms * 2)
					  : RETRY_FIRST_MS;
		x->retry_at = vtime_mono_ms() + x->retry_ms;
	}
out:
	mosquitto_property_free_all(&props);
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags, const mosquitto_property *props)
{
	struct exchange *x = obj;
	const struct publish_req *req = x->req;
	char why[128];

	(void)flags;
	(void)props;
	if (rc != 0) {
		fail(x, "connection to %s:%d refused by the broker: %s", req->host, req->port,
		     reason_text(req, rc));
		return;
	}
	x->connacked = true;
	if (!req->receipt_topic) {
		publish(m, x);
		return;
	}
	/* subscribe first, publish once the broker confirms: no receipt can be missed */
	rc = mosquitto_subscribe_v5(m, NULL, req->receipt_topic, 1, 0, NULL);
	if (rc != MOSQ_ERR_SUCCESS)
		fail(x, "cannot subscribe to %s: %s", req->receipt_topic, lib_error(rc, errno, why, sizeof(why)));
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int count, const int *granted,
			 const mosquitto_property *props)
{
	struct exchange *x = obj;

	(void)mid;
	(void)props;
	if (count < 1 || granted[0] >= 0x80) {
		fail(x, "subscription to %s refused by the broker: %s", x->req->receipt_topic,
		     count < 1 ? "no answer" : mosquitto_reason_string(granted[0]));
		return;
	}
	publish(m, x);
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
		       const mosquitto_property *props)
{
	struct exchange *x = obj;
	char err[128];

	(void)m;
	(void)props;
	if (x->done || !x->req->receipt_topic || strcmp(msg->topic, x->req->receipt_topic) != 0)
		return;
	if (receipt_parse(msg->payload, (size_t)msg->payloadlen, x->receipt, err, sizeof(err)) != 0 ||
	    strcmp(x->receipt->id, x->req->ballot_id) != 0)
		return; /* not the answer to this ballot */
	x->got_receipt = true;
	x->done = true;
}

static void on_publish(struct mosquitto *m, void *obj, int mid, int reason, const mosquitto_property *props)
{
	struct exchange *x = obj;

	(void)m;
	(void)props;
	if (mid != x->mid || x->done)
		return;
	if (reason >= 0x80) {
		fail(x, "ballot refused by the broker: %s", mosquitto_reason_string(reason));
		return;
	}
	x->reason = reason;
	x->acked = true;
	if (!x->req->receipt_topic)
		x->done = true;
}

/* lost: the connection ended with rc (a MOSQ_ERR_* code, or the reason
 * code of the broker's DISCONNECT when >= 0x80) before the exchange did. */
static void lost(struct exchange *x, int rc, int saved_errno)
{
	char why[128];

	if (x->done)
		return;
	if (!x->connacked) {
		connect_failed(x, rc, saved_errno);
		return;
	}
	if (rc >= 0x80)
		snprintf(why, sizeof(why), "%s", mosquitto_reason_string(rc));
	else
		lib_error(rc, saved_errno, why, sizeof(why));
	fail(x, "connection to %s:%d lost before the broker acknowledged the ballot (%s)", x->req->host,
	     x->req->port, why);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *props)
{
	(void)m;
	(void)props;
	lost(obj, rc, errno);
}

/* arm: SIGALRM in seconds (0: disarm). Returns 0, or -1 with errno. */
static int arm(double seconds)
{
	struct itimerval it = { { 0, 0 }, { (time_t)seconds, (suseconds_t)((seconds - (time_t)seconds) * 1e6) } };

	if (seconds > 0 && it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
		it.it_value.tv_usec = 1;
	return setitimer(ITIMER_REAL, &it, NULL);
}

/* connect_failed: the message for a connection that could not be made:
 * libmosquitto's errno or resolver error, made precise by a probe. */
static void connect_failed(struct exchange *x, int rc, int saved_errno)
{
	const struct publish_req *req = x->req;
	char why[192];

	if (timed_out) {
		fail(x, "timed out after %g s waiting for a connection to %s:%d", req->timeout, req->host,
		     req->port);
		return;
	}
	if (netprobe_tcp(req->host, req->port, 1000, why, sizeof(why)) == 0)
		lib_error(rc, saved_errno, why, sizeof(why)); /* TCP is fine: MQTT is not */
	fail(x, "cannot connect to %s:%d: %s", req->host, req->port, why);
}

enum publish_status publish_once(const struct publish_req *req, struct receipt *receipt, char *err,
				 size_t errlen)
{
	struct exchange x = { .req = req, .receipt = receipt };
	struct sigaction sa, old_sa;
	struct mosquitto *m = NULL;
	bool lib = false, handler = false, connected = false;
	int64_t bye;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: blocking calls return EINTR */
	sigemptyset(&sa.sa_mask);
	timed_out = 0;
	if (sigaction(SIGALRM, &sa, &old_sa) != 0 || arm(req->timeout) != 0) {
		fail(&x, "cannot set the timeout: %s", strerror(errno));
		goto out;
	}
	handler = true;
	if (mosquitto_lib_init() != MOSQ_ERR_SUCCESS) {
		fail(&x, "cannot initialise libmosquitto");
		goto out;
	}
	lib = true;
	m = mosquitto_new(req->client_id, true, &x); /* clean session: a voter keeps none */
	if (!m) {
		fail(&x, "cannot create an MQTT client: %s", strerror(errno));
		goto out;
	}
	if ((rc = mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION,
				       req->mqtt_version == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311)) !=
		    MOSQ_ERR_SUCCESS ||
	    (rc = mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1)) != MOSQ_ERR_SUCCESS ||
	    (req->username && (rc = mosquitto_username_pw_set(m, req->username, req->password)) !=
				      MOSQ_ERR_SUCCESS)) {
		fail(&x, "cannot set the MQTT options: %s", mosquitto_strerror(rc));
		goto out;
	}
	mosquitto_connect_v5_callback_set(m, on_connect);
	mosquitto_publish_v5_callback_set(m, on_publish);
	mosquitto_subscribe_v5_callback_set(m, on_subscribe);
	mosquitto_message_v5_callback_set(m, on_message);
	mosquitto_disconnect_v5_callback_set(m, on_disconnect);
	if (req->debug)
		mosquitto_log_callback_set(m, on_log);

	rc = mosquitto_connect_bind_v5(m, req->host, req->port, 60, NULL, NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		connect_failed(&x, rc, errno);
		goto out;
	}
	connected = true;
	while (!x.done) {
		int64_t wait = 1000;

		if (timed_out) {
			if (x.acked) {
				x.done = true; /* --confirm: accepted, not confirmed */
				break;
			}
			fail(&x, "timed out after %g s waiting for the broker's %s", req->timeout,
			     x.mid ? "acknowledgement" : x.connacked ? "answer to SUBSCRIBE" : "answer to CONNECT");
			break;
		}
		if (x.retry_at) {
			wait = x.retry_at - vtime_mono_ms();
			if (wait <= 0) {
				if (req->debug)
					fprintf(stderr, "voter: no receipt yet: publishing the ballot again\n");
				publish(m, &x);
				continue;
			}
		}
		rc = mosquitto_loop(m, (int)(wait < 1000 ? wait : 1000), 1);
		if (rc != MOSQ_ERR_SUCCESS && !timed_out)
			lost(&x, rc, errno);
	}
out:
	if (connected && mosquitto_disconnect_v5(m, MQTT_RC_NORMAL_DISCONNECTION, NULL) == MOSQ_ERR_SUCCESS) {
		/* send the DISCONNECT; the loop ends with MOSQ_ERR_NO_CONN once it went out */
		bye = vtime_mono_ms() + DISCONNECT_MS;
		while (!timed_out && vtime_mono_ms() < bye && mosquitto_loop(m, DISCONNECT_MS, 1) == MOSQ_ERR_SUCCESS)
			;
	}
	if (handler) {
		(void)arm(0);
		(void)sigaction(SIGALRM, &old_sa, NULL);
	}
	mosquitto_destroy(m);
	if (lib)
		mosquitto_lib_cleanup();
	if (x.failed) {
		snprintf(err, errlen, "%s", x.err);
		return PUBLISH_FAILED;
	}
	if (x.got_receipt)
		return PUBLISH_RECEIPT;
	if (req->receipt_topic) {
		snprintf(err, errlen, "the broker accepted the ballot, but no tallier confirmed it within %g s "
				      "(is one running?)", req->timeout);
		return PUBLISH_UNCONFIRMED;
	}
	return x.reason == MQTT_RC_NO_MATCHING_SUBSCRIBERS ? PUBLISH_NO_SUBSCRIBERS : PUBLISH_ACKED;
}
