/* mqttsession.c -- the MQTT transport: the tallier's persistent session, its ballots in, results and receipts out */
#include "mqttsession.h"

#include <MQTTAsync.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

#include "commands.h"
#include "core.h"
#include "log.h"
#include "mqtterr.h"
#include "netprobe.h"
#include "mqttprops.h"
#include "mqtturi.h"
#include "nodelay.h"
#include "polldef.h"
#include "receipt.h"
#include "render.h"
#include "tlsctx.h"
#include "topic.h"
#include "vtime.h"

/* Where ballots come from by default: anonymous voters' topic, and the
 * account-bound one of mosquitto-secure.conf. */
static const char *const default_topics[] = { "vote/+", "vote/+/by/+" };
#define NDEFAULT (sizeof(default_topics) / sizeof(default_topics[0]))
#define MAX_FILTERS (2 * MQTTSESSION_MAX_TOPICS + NDEFAULT + 1)
/* The session (and the ballots queued in it) outlives any stop of the
 * tallier: 0x7FFFFFFF s is 68 years. Not 0xFFFFFFFF ("never"): Paho
 * 1.3.11 mangles values from 2^31 up, and sends 0xFFFFFFFF as 255 s (seen
 * on the wire: 11 00 00 00 ff), after which the broker drops the session
 * and every ballot queued in it. */
#define SESSION_EXPIRY 0x7FFFFFFFu
#define MAX_BUFFERED 65535         /* Paho counts commands queued while connected too */
/* The largest packet the tallier takes (MQTT 5: the Maximum Packet Size of
 * its CONNECT, which the broker must honour: it drops, for this client, a
 * publication that would be larger, before sending any of it). Paho 1.3.12
 * reads every packet whole, whatever its length, before the core sees it
 * (a 20 MB ballot cost 48 MB of memory before its refusal). What the
 * tallier has to read fits with room to spare: a ballot of at most
 * BALLOT_PAYLOAD_MAX bytes with its topic and properties (under 5 KiB), an
 * organiser's command (under 8 KiB), a result it watches (under 10 KiB
 * with --max-choices 64). MQTT 3.1.1 has no such property: there only the
 * broker's own limit (max_packet_size in mosquitto.conf) bounds it. */
#define PACKET_MAX 65536
/* The longest answer to an organiser's command the tallier publishes: the
 * shipped configurations' max_packet_size is 262144 bytes, and a broker
 * disconnects a client that sends more (tried: the tallier lost its
 * connection and pollctl got no answer). Only `list` can be longer: it is
 * answered with an error instead. */
#define ANSWER_MAX 200000

/* One result publication waiting for the broker's answer. Kept in a list
 * so that those Paho never answers are freed at the end. */
struct pubctx {
	struct pubctx *prev, *next;
	struct mqttsession *link;
	size_t slot;
	uint64_t version;
	char topic[TOPIC_MAX];
};

/* Set before Paho's threads start and read only afterwards: cfg, core,
 * loop, client, uri, topics, qos, ntopics. Paho's threads and the loop's
 * thread share the rest: connected and stopping are atomics; ctx_lock
 * guards ctxs; losses_lock guards subscribed_ms and quick_losses. */
struct mqttsession {
	struct mqttsession_config cfg;
	struct core *core;
	struct loop *loop;
	MQTTAsync client;
	char uri[300];
	char *topics[MAX_FILTERS];  /* the ballot filters, then the result filters watched */
	bool watch[MAX_FILTERS];    /* topics[k] is a result filter */
	int qos[MAX_FILTERS];
	int ntopics;
	int connected;            /* atomic: 1 once subscribed */
	int stopping;             /* atomic: 1 once a fatal error was logged: say nothing more */
	pthread_mutex_t losses_lock;
	int64_t subscribed_ms;    /* when the last subscription was confirmed (monotonic) */
	int quick_losses;         /* connections lost soon after subscribing, in a row */
	pthread_mutex_t ctx_lock;
	struct pubctx *ctxs;
	sem_t disconnected;
	bool locks, sem;
};


static bool use_tls(const struct mqttsession *l)
{
	return l->cfg.tls && tlsopts_on(l->cfg.tls);
}

static void set_connected(struct mqttsession *l, int v)
{
	__atomic_store_n(&l->connected, v, __ATOMIC_RELEASE);
}

/* fatal: the session cannot go on (refused, taken over): the tallier
 * stops with status 1, and this session says nothing more. */
static void fatal(struct mqttsession *l)
{
	__atomic_store_n(&l->stopping, 1, __ATOMIC_RELEASE);
	loop_stop(l->loop, 1);
}

/* quiet_now: true once the tallier is stopping (a signal, or a fatal
 * error already logged): lost connections are no news then. */
static bool quiet_now(struct mqttsession *l)
{
	return __atomic_load_n(&l->stopping, __ATOMIC_ACQUIRE) || loop_signalled(l->loop);
}

bool mqttsession_connected(struct mqttsession *l)
{
	return __atomic_load_n(&l->connected, __ATOMIC_ACQUIRE);
}

/* What Paho says of a failure, the same for MQTT 3.1.1 and 5 callbacks
 * (Paho refuses the *5 callbacks on a 3.1.1 client, and the others on 5). */
struct failure {
	int code;            /* MQTTASYNC_* code, or a 3.1.1 CONNACK return code */
	int reason;          /* MQTT 5 reason code, 0 when none */
	const char *message; /* may be NULL */
};

static struct failure failure5(const MQTTAsync_failureData5 *r)
{
	return r ? (struct failure){ r->code, (int)r->reasonCode, r->message }
		 : (struct failure){ MQTTASYNC_FAILURE, 0, NULL };
}

static struct failure failure3(const MQTTAsync_failureData *r)
{
	return r ? (struct failure){ r->code, 0, r->message } : (struct failure){ MQTTASYNC_FAILURE, 0, NULL };
}

/* What Paho says of a success, for both versions: the SUBACK's codes are
 * the only part any handler reads. Paho 1.3.11 (MQTTAsync.c, SUBACK
 * handling) gives the first code in reasonCode (5) or qos (3.1.1), and
 * fills reasonCodes / qosList only when there are several filters: for one
 * it leaves them uninitialised. */
struct success {
	int first;                           /* the first (or only) SUBACK code */
	const enum MQTTReasonCodes *codes5;  /* MQTT 5: every code, when several; else NULL */
	int ncodes5;
	const int *qos3;                     /* MQTT 3.1.1: every code, when several; else NULL */
};

static struct success success5(const MQTTAsync_successData5 *r)
{
	return r ? (struct success){ (int)r->reasonCode, r->alt.sub.reasonCodes, r->alt.sub.reasonCodeCount, NULL }
		 : (struct success){ 0, NULL, 0, NULL };
}

static struct success success3(const MQTTAsync_successData *r)
{
	return r ? (struct success){ r->alt.qos, NULL, 0, r->alt.qosList } : (struct success){ 0, NULL, 0, NULL };
}

/* One handler per operation, for both versions: Paho calls back with one
 * signature for MQTT 5 (onSuccess5, onFailure5) and another for 3.1.1, and
 * refuses the other version's. ON_SUCCESS(name, handler) and
 * ON_FAILURE(name, handler) make name5 and name3, the two entries Paho
 * calls, which only translate what it says for handler(context, what);
 * CALLBACKS_SET puts the entries of the session's version into opts. */
#define PAHO_ENTRIES(name, handler, data, convert)                               \
	static void name##5(void *context, data##5 *response)                     \
	{                                                                        \
		handler(context, convert##5(response));                          \
	}                                                                        \
	static void name##3(void *context, data *response)                        \
	{                                                                        \
		handler(context, convert##3(response));                          \
	}
#define ON_SUCCESS(name, handler) PAHO_ENTRIES(name, handler, MQTTAsync_successData, success)
#define ON_FAILURE(name, handler) PAHO_ENTRIES(name, handler, MQTTAsync_failureData, failure)
#define CALLBACKS_SET(opts, version, ok, failed)                                 \
	do {                                                                     \
		if ((version) == 5) {                                            \
			(opts).onSuccess5 = ok##5;                               \
			(opts).onFailure5 = failed##5;                           \
		} else {                                                         \
			(opts).onSuccess = ok##3;                                \
			(opts).onFailure = failed##3;                            \
		}                                                                \
	} while (0)

static const char *describe(struct failure f, int connack, char *buf, size_t size)
{
	return mqtterr_describe(f.code, MQTTAsync_strerror(f.code), f.reason, f.message, connack, buf, size);
}

/* Where a ballot asks its receipt to go (MQTT 5 properties). */
struct reply_to {
	const char *topic;  /* Response Topic, not NUL-terminated; NULL when none */
	size_t topiclen;
	const void *corr;   /* Correlation Data; NULL when none */
	size_t corrlen;
};

/* send_receipt: publishes the verdict on a ballot of poll to where the
 * ballot asked (its Response Topic, else its "reply" field), if it did.
 * Fire and forget: a receipt that is lost is asked for again by the
 * voter, which publishes its ballot again. */
static void send_receipt(struct mqttsession *l, const char *poll, const struct verdict *v,
			 const struct reply_to *reply)
{
	MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
	MQTTAsync_message msg = MQTTAsync_message_initializer;
	char topic[TOPIC_MAX], err[160], shown[300];
	const char *dest = topic;
	char *json = NULL;

	if (reply->topic) {
		if (receipt_topic_check(poll, reply->topic, reply->topiclen, err, sizeof(err)) != 0) {
			if (!l->cfg.quiet) /* the ballot counted all the same */
				log_line("no receipt sent to %s: %s",
					 log_clean(reply->topic, reply->topiclen, shown, sizeof(shown)), err);
			return;
		}
		snprintf(topic, sizeof(topic), "%.*s", (int)reply->topiclen, reply->topic);
	} else if (v->reply[0]) {
		dest = v->reply;
	} else {
		return;
	}
	json = render_receipt(poll, v, err, sizeof(err));
	if (!json) {
		log_line("no receipt sent to %s: %s", dest, err);
		goto out;
	}
	msg.payload = json;
	msg.payloadlen = (int)strlen(json);
	msg.qos = 1;
	if (l->cfg.mqtt_version == 5 && (mqttprops_json(&msg.properties) != 0 ||
					 mqttprops_correlation(&msg.properties, reply->corr, reply->corrlen) != 0)) {
		log_line("no receipt sent to %s: out of memory", dest);
		goto out;
	}
	if (MQTTAsync_sendMessage(l->client, dest, &msg, &opts) != MQTTASYNC_SUCCESS && !l->cfg.quiet)
		log_line("no receipt sent to %s: cannot publish now", dest);
out:
	MQTTProperties_free(&msg.properties);
	free(json);
}

/* watch_result: payload[0..len) was seen on the result topic of poll:
 * the tallier's own result is published again when that is not it
 * (forged, stale or deleted), and a result of a poll the tallier has no
 * ballot for is removed. With MQTT 3.1.1 (no No Local) our own results
 * come back too: an older one of ours only makes the newest go out once
 * more, within the usual interval. */
static void watch_result(struct mqttsession *l, const char *poll, const char *topic, const void *payload, size_t len)
{
	MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
	MQTTAsync_message msg = MQTTAsync_message_initializer;

	switch (render_seen(l->core, poll, payload, len)) {
	case CORE_SEEN_SAME:
		return;
	case CORE_SEEN_OTHER:
		if (l->cfg.mqtt_version == 5 && !l->cfg.quiet)
			log_line("%s held %s, not the tallier's result: publishing it again", topic,
				 len ? "another result" : "nothing");
		return;
	case CORE_SEEN_UNKNOWN:
		break;
	}
	if (len == 0)
		return; /* nothing there (our own removal, with MQTT 3.1.1) */
	msg.payload = "";
	msg.payloadlen = 0;
	msg.qos = 1;
	msg.retained = 1;
	if (MQTTAsync_sendMessage(l->client, topic, &msg, &opts) != MQTTASYNC_SUCCESS) {
		if (!l->cfg.quiet)
			log_line("cannot remove %s now (no ballot of poll %s was counted here)", topic, poll);
		return;
	}
	if (!l->cfg.quiet)
		log_line("removed %s: no ballot of poll %s was counted here, so that result is not this tallier's",
			 topic, poll);
}

/* take_command: an organiser's command (on POLLDEF_CTL_TOPIC, which the
 * broker lets only the organiser publish): run by the core, answered to
 * its Response Topic, else its "reply" field, under POLLDEF_REPLY_PREFIX.
 * Returns 0, or -1 when the core failed. */
static int take_command(struct mqttsession *l, const void *payload, size_t len, const struct reply_to *reply)
{
	MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
	MQTTAsync_message msg = MQTTAsync_message_initializer;
	char topic[TOPIC_MAX], shown[300], why[256], err[256];
	struct polldef_cmd cmd;
	struct command_answer values = { 0 };
	char *answer = NULL;
	int rc = -1, k, parsed;

	/* a command about a poll none of our filters takes is another
	 * tallier's (one broker may serve several): no answer */
	parsed = polldef_cmd_parse(payload, len, &cmd, why, sizeof(why));
	if (parsed == 0 && cmd.kind != POLLDEF_CMD_LIST) {
		snprintf(topic, sizeof(topic), TOPIC_PREFIX "%s", cmd.def.poll);
		for (k = 0; k < l->ntopics; k++)
			if (!l->watch[k] && topic_filter_matches(l->topics[k], topic))
				break;
		if (k == l->ntopics)
			return 0;
	}
	if (parsed != 0) /* refused as it stands: its reason is the answer */
		answer = polldef_answer_json(why, NULL, NULL, NULL, 0, err, sizeof(err));
	else if (core_command(l->core, &cmd, &values) != CORE_OK)
		goto out;
	else
		answer = render_answer(&values, err, sizeof(err));
	rc = 0;
	if (answer && strlen(answer) > ANSWER_MAX) { /* a list of many polls */
		char big[160];
		snprintf(big, sizeof(big), "the answer is %zu bytes, more than a broker takes (at most %d): ask for each poll "
			 "with show", strlen(answer), ANSWER_MAX);
		free(answer);
		answer = polldef_answer_json(big, NULL, NULL, NULL, 0, err, sizeof(err));
	}
	if (reply->topic)
		snprintf(topic, sizeof(topic), "%.*s", (int)reply->topiclen, reply->topic);
	else
		snprintf(topic, sizeof(topic), "%s", cmd.reply); /* a refused command's too */
	if (!answer || strncmp(topic, POLLDEF_REPLY_PREFIX, strlen(POLLDEF_REPLY_PREFIX)) != 0 ||
	    strpbrk(topic, "+#")) {
		if (!l->cfg.quiet && !answer)
			log_line("no answer to the organiser's command: out of memory");
		else if (!l->cfg.quiet && parsed == -2 && !reply->topic) /* no "reply" to read */
			log_line("no answer to the organiser's command: it is no JSON object (%s), so it names no "
				 "topic to answer to", why);
		else if (!l->cfg.quiet)
			log_line("no answer to the organiser's command: it names no topic under " POLLDEF_REPLY_PREFIX);
		goto out;
	}
	msg.payload = answer;
	msg.payloadlen = (int)strlen(answer);
	msg.qos = 1;
	if (l->cfg.mqtt_version == 5 && (mqttprops_json(&msg.properties) != 0 ||
					 mqttprops_correlation(&msg.properties, reply->corr, reply->corrlen) != 0))
		goto out;
	if (MQTTAsync_sendMessage(l->client, topic, &msg, &opts) != MQTTASYNC_SUCCESS && !l->cfg.quiet)
		log_line("no answer sent to %s: cannot publish now", log_clean(topic, strlen(topic), shown, sizeof(shown)));
out:
	MQTTProperties_free(&msg.properties);
	command_answer_free(&values);
	free(answer);
	return rc;
}

/* take_message: one message received on topic[0..topiclen) with
 * payload[0..len) (neither NUL-terminated): a ballot goes through the
 * core, and its receipt to where it asked; a result is watched; receipts
 * are ignored; a ballot on a topic that is no poll's is refused (logged).
 * Returns 0, or -1 when the core failed: the ballot is not committed. */
static int take_message(struct mqttsession *l, const char *topic, size_t topiclen, const void *payload,
			size_t len, bool retained, const struct reply_to *reply)
{
	struct topic_names names;
	char why[160], shown[320];
	struct core_input in;
	struct verdict v;
	int rc = -1;

	if (topiclen == strlen(POLLDEF_CTL_TOPIC) && memcmp(topic, POLLDEF_CTL_TOPIC, topiclen) == 0) {
		if (!retained)
			return take_command(l, payload, len, reply);
		if (!l->cfg.quiet) /* an old command, kept by the broker: never run again */
			log_line("ignored a retained command on " POLLDEF_CTL_TOPIC " (clear it with mosquitto_pub -r -n "
				 "-t " POLLDEF_CTL_TOPIC ")");
		return 0;
	}
	switch (topic_classify(topic, topiclen, &names, why, sizeof(why))) {
	case TOPIC_OURS:
		return 0;
	case TOPIC_RESULT:
		snprintf(shown, sizeof(shown), "%.*s", (int)topiclen, topic);
		watch_result(l, names.poll, shown, payload, len);
		return 0;
	case TOPIC_INVALID:
		if (!l->cfg.quiet)
			log_line("rejected ballot on %s: %s", log_clean(topic, topiclen, shown, sizeof(shown)),
				 why);
		return 0;
	case TOPIC_BALLOT:
		break;
	}
	if (retained) {
		/* a replay of a retained message, sent because we subscribed (a
		 * live or queued ballot comes with the flag clear, in 3.1.1 and 5):
		 * not a ballot, and not a refusal to count again at every start */
		if (!l->cfg.quiet)
			log_line("ignored a retained message on %s: a ballot is never retained (clear it with "
				 "mosquitto_pub -r -n -t '%s')", log_clean(topic, topiclen, shown, sizeof(shown)), shown);
		return 0;
	}
	in = (struct core_input){ names.poll, payload, len, "", reply->topic != NULL, names.account };
	if (core_ballot(l->core, &in, &v) != CORE_OK)
		goto out;
	if (v.answer)
		send_receipt(l, names.poll, &v, reply);
	rc = 0;
out:
	verdict_free(&v);
	return rc;
}

/* on_message: every ballot is counted and committed here, before this
 * returns, and it always returns 1. Why, from Paho 1.3.11's source
 * (MQTTProtocolClient.c MQTTProtocol_handlePublishes, MQTTAsyncUtils.c
 * Protocol_processPublication; checked against the disassembly of
 * Debian's libpaho-mqtt3as.so, and by test_crash.py under load):
 * - for an inbound QoS 1 PUBLISH, Paho first calls messageArrived when its
 *   inbound queue is empty and the client connected, and sends the PUBACK
 *   after the callback returns; so a ballot committed here is acknowledged
 *   only once stored, and a kill before the PUBACK means redelivery (a
 *   duplicate, which the ballot id absorbs);
 * - a message is queued instead (and PUBACKed at once) when the callback
 *   returns 0 or the queue is not empty. With MQTT 5 its persistence never
 *   happens (MQTTPersistence_persistQueueEntry overwrites its return code
 *   with the byte count of MQTTProperties_write and skips the write), so a
 *   queued message is lost on SIGKILL. Returning 1 always keeps the queue
 *   empty, which is why the client uses no Paho persistence at all: there
 *   is never anything in it worth restoring.
 * A ballot that cannot be committed must therefore not return: the process
 * exits at once without acknowledging it. */
static int on_message(void *context, char *topic, int topiclen, MQTTAsync_message *msg)
{
	struct mqttsession *l = context;
	size_t tlen = topiclen > 0 ? (size_t)topiclen : strlen(topic);
	struct reply_to reply = { NULL, 0, NULL, 0 };
	MQTTProperty *p;

	if (l->cfg.mqtt_version == 5) {
		p = MQTTProperties_getProperty(&msg->properties, MQTTPROPERTY_CODE_RESPONSE_TOPIC);
		if (p) {
			reply.topic = p->value.data.data;
			reply.topiclen = (size_t)p->value.data.len;
		}
		p = MQTTProperties_getProperty(&msg->properties, MQTTPROPERTY_CODE_CORRELATION_DATA);
		if (p) {
			reply.corr = p->value.data.data;
			reply.corrlen = (size_t)p->value.data.len;
		}
	}
	if (take_message(l, topic, tlen, msg->payload, msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0,
			 msg->retained != 0, &reply) != 0)
		_exit(1); /* the core said why: not acknowledged, the broker delivers it again */
	MQTTAsync_freeMessage(&msg);
	MQTTAsync_free(topic);
	return 1; /* counted and committed: Paho may acknowledge it */
}

/* Two talliers with one client id take the session from each other: the
 * broker closes the older connection each time the other (re)connects.
 * Mosquitto 2.0.11 says nothing (no DISCONNECT 0x8E, only a closed
 * socket), so the sign is a connection lost soon after each subscription,
 * again and again: then this one stops, rather than count half the
 * ballots. */
#define QUICK_LOSS_MS 5000
#define QUICK_LOSSES 3

static void on_lost(void *context, char *cause)
{
	struct mqttsession *l = context;
	int losses;

	pthread_mutex_lock(&l->losses_lock);
	if (mqttsession_connected(l) && vtime_mono_ms() - l->subscribed_ms < QUICK_LOSS_MS)
		l->quick_losses++;
	else if (mqttsession_connected(l))
		l->quick_losses = 0;
	losses = l->quick_losses;
	pthread_mutex_unlock(&l->losses_lock);
	set_connected(l, 0);
	loop_wake(l->loop); /* a publisher that is stopping gives up at once */
	if (losses >= QUICK_LOSSES && !quiet_now(l)) {
		log_line("the broker closed the connection %d times in a row within %d s of subscribing: "
			 "is another tallier using client id '%s'? Two talliers must not share a client id (-i); "
			 "stopping", QUICK_LOSSES, QUICK_LOSS_MS / 1000, l->cfg.client_id);
		fatal(l);
		return;
	}
	if (!quiet_now(l))
		log_line("connection to %s:%d lost%s%s; reconnecting", l->cfg.host, l->cfg.port,
			 cause ? ": " : "", cause ? cause : "");
}

/* subscribed: the SUBACK granted codes[k] (a QoS, or >= 0x80 for a
 * refusal) to each of our filters. */
static void subscribed(struct mqttsession *l, const int *codes)
{
	char list[512] = "", why[64];
	size_t used = 0;
	int k;

	for (k = 0; k < l->ntopics; k++) {
		if (codes[k] >= 0x80) {
			log_line("subscription to %s refused by the broker: %s", l->topics[k],
				 mqtterr_reason(codes[k], why, sizeof(why)));
			fatal(l);
			return;
		}
	}
	for (k = 0; k < l->ntopics && used < sizeof(list); k++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", k ? " " : "", l->topics[k]);
	if (!l->cfg.quiet)
		log_line("subscribed to %s", list);
	core_results_reset(l->core); /* republish every result on each (re)connection */
	pthread_mutex_lock(&l->losses_lock);
	l->subscribed_ms = vtime_mono_ms();
	pthread_mutex_unlock(&l->losses_lock);
	set_connected(l, 1);
	loop_wake(l->loop);
}

/* on_server_disconnect: the broker ended the connection with a DISCONNECT
 * (MQTT 5). Session taken over means another client connected with our
 * client id: two talliers on one session would take it from each other
 * on every reconnection, each missing the ballots delivered to the other,
 * so this one stops. */
static void on_server_disconnect(void *context, MQTTProperties *props, enum MQTTReasonCodes reason)
{
	struct mqttsession *l = context;
	char why[64];

	(void)props;
	if (reason == MQTTREASONCODE_SESSION_TAKEN_OVER) {
		log_line("another client connected with client id '%s' and took over the session: "
			 "two talliers must not share a client id (-i); stopping", l->cfg.client_id);
		fatal(l);
		return;
	}
	if (!quiet_now(l))
		log_line("the broker closed the connection: %s", mqtterr_reason(reason, why, sizeof(why)));
}

/* subscribe_done: the SUBACK, its code for each filter into subscribed. */
static void subscribe_done(struct mqttsession *l, struct success s)
{
	int codes[MAX_FILTERS] = { 0 }, k;

	for (k = 0; k < l->ntopics; k++) {
		if (l->ntopics > 1 && s.qos3)
			codes[k] = s.qos3[k];
		else if (l->ntopics > 1 && s.codes5 && k < s.ncodes5)
			codes[k] = (int)s.codes5[k];
		else
			codes[k] = s.first;
	}
	subscribed(l, codes);
}

static void subscribe_failed(struct mqttsession *l, struct failure f)
{
	char why[192];

	log_line("cannot subscribe: %s", describe(f, 0, why, sizeof(why)));
	fatal(l);
}

ON_SUCCESS(on_subscribed, subscribe_done)
ON_FAILURE(on_subscribe_failed, subscribe_failed)

/* on_connected: after every successful connection, first or not. */
static void on_connected(void *context, char *cause)
{
	struct mqttsession *l = context;
	MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
	MQTTSubscribe_options subopts[MAX_FILTERS];
	char why[192];
	int rc, k;

	(void)cause;
	/* Paho has no option for it: find its new socket and set it here */
	if (nodelay_all() < 1)
		log_line("warning: cannot set TCP_NODELAY: results and receipts may wait for delayed ACKs");
	if (!l->cfg.quiet)
		log_line("connected to %s:%d (MQTT %s)", l->cfg.host, l->cfg.port, l->cfg.mqtt_version == 5 ? "5" : "3.1.1");
	opts.context = l;
	CALLBACKS_SET(opts, l->cfg.mqtt_version, on_subscribed, on_subscribe_failed);
	if (l->cfg.mqtt_version == 5) {
		for (k = 0; k < l->ntopics; k++) {
			subopts[k] = (MQTTSubscribe_options)MQTTSubscribe_options_initializer;
			subopts[k].noLocal = 1; /* never our own results back */
			/* ballots: no retained message at subscription (no replays);
			 * results: what the broker holds, to compare with ours */
			subopts[k].retainHandling = l->watch[k] ? 0 : 2;
		}
		opts.subscribeOptionsList = subopts;
		opts.subscribeOptionsCount = l->ntopics;
	}
	rc = MQTTAsync_subscribeMany(l->client, l->ntopics, l->topics, l->qos, &opts);
	if (rc != MQTTASYNC_SUCCESS) {
		log_line("cannot subscribe: %s", describe((struct failure){ rc, 0, NULL }, 0, why, sizeof(why)));
		fatal(l);
	}
}

static void connect_failed(struct mqttsession *l, struct failure f)
{
	char why[192];

	if (quiet_now(l))
		return; /* stopping: a failure now is no news (e.g. after a takeover) */

	/* a certificate refused now is refused at every try: say why and stop */
	switch (use_tls(l) ? tlsctx_failure(l->cfg.tls, l->cfg.host, l->cfg.port, why, sizeof(why)) : TLSCTX_NONE) {
	case TLSCTX_CERT:
		log_line("%s", why);
		fatal(l);
		return;
	case TLSCTX_HANDSHAKE:
		log_line("%s; retrying in the background", why);
		return;
	case TLSCTX_NONE:
		break;
	}
	describe(f, 1, why, sizeof(why));
	/* a broker that answers no (bad credentials, banned id) will not say yes later */
	if (mqtterr_refused(f.code, f.reason)) {
		log_line("connection to %s:%d refused by the broker: %s", l->cfg.host, l->cfg.port,
			 why);
		fatal(l);
		return;
	}
	/* Paho says only "TCP/TLS connect failure": ask the network why */
	if (f.code == MQTTASYNC_FAILURE)
		(void)netprobe_tcp(l->cfg.host, l->cfg.port, 1000, why, sizeof(why));
	log_line("cannot connect to %s:%d: %s; retrying in the background", l->cfg.host,
		 l->cfg.port, why);
}

ON_FAILURE(on_connect_failed, connect_failed)

static void ctx_unlink(struct mqttsession *l, struct pubctx *c)
{
	pthread_mutex_lock(&l->ctx_lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		l->ctxs = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&l->ctx_lock);
}

static void published(struct pubctx *c, bool ok)
{
	struct mqttsession *l = c->link;

	ctx_unlink(l, c);
	core_result_done(l->core, c->slot, c->version, ok);
	free(c);
	loop_wake(l->loop);
}

static void publish_done(struct pubctx *c, struct success s)
{
	(void)s;
	published(c, true);
}

static void publish_failed(struct pubctx *c, struct failure f)
{
	char why[192];

	if (!c->link->cfg.quiet)
		log_line("result on %s not published: %s; will retry", c->topic, describe(f, 0, why, sizeof(why)));
	published(c, false);
}

ON_SUCCESS(on_published, publish_done)
ON_FAILURE(on_publish_failed, publish_failed)

int mqttsession_publish_result(struct mqttsession *l, const struct due_result *r, char *payload)
{
	MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
	MQTTAsync_message msg = MQTTAsync_message_initializer;
	struct pubctx *c = calloc(1, sizeof(*c));
	int rc = -1;

	if (!c)
		goto out;
	c->link = l;
	c->slot = r->slot;
	c->version = r->version;
	snprintf(c->topic, sizeof(c->topic), "%s", r->topic);
	msg.payload = payload;
	msg.payloadlen = (int)strlen(payload);
	msg.qos = 1;
	msg.retained = 1;
	if (l->cfg.mqtt_version == 5 && mqttprops_json(&msg.properties) != 0)
		goto out;
	opts.context = c;
	CALLBACKS_SET(opts, l->cfg.mqtt_version, on_published, on_publish_failed);
	pthread_mutex_lock(&l->ctx_lock);
	c->next = l->ctxs;
	if (l->ctxs)
		l->ctxs->prev = c;
	l->ctxs = c;
	pthread_mutex_unlock(&l->ctx_lock);
	if (MQTTAsync_sendMessage(l->client, r->topic, &msg, &opts) != MQTTASYNC_SUCCESS) {
		ctx_unlink(l, c);
		goto out;
	}
	c = NULL; /* Paho's now, until a callback */
	rc = 0;
out:
	free(c);
	MQTTProperties_free(&msg.properties);
	return rc;
}

void mqttsession_free(struct mqttsession *l, int timeout_ms);

/* result_filter: for a ballot filter vote/<level> (a poll, or +), the
 * filter of its results, vote/<level>/result, in a malloc'd string;
 * NULL with *none set for other filters (vote/# takes the results
 * already; vote/+/by/+ has vote/+'s), NULL alone when memory runs out. */
static char *result_filter(const char *filter, bool *none)
{
	const char *level = filter + sizeof("vote/") - 1;
	size_t n;
	char *out;

	*none = strncmp(filter, "vote/", 5) != 0 || strchr(level, '/') || strchr(level, '#') || !*level;
	if (*none)
		return NULL;
	n = strlen(filter) + sizeof("/result");
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s/result", filter);
	return out;
}

/* add_filters: the ballot filters (cfg's, or the defaults), then the
 * result filter of each, once. Returns 0, or -1 with err set. */
static int add_filters(struct mqttsession *l, const struct mqttsession_config *cfg, char *err, size_t errlen)
{
	size_t n = cfg->ntopics ? cfg->ntopics : NDEFAULT, k, j, nballot;
	bool none, dup;
	char *r;

	for (k = 0; k < n && k < MQTTSESSION_MAX_TOPICS; k++)
		l->topics[l->ntopics++] = (char *)(cfg->ntopics ? cfg->topics[k] : default_topics[k]);
	nballot = (size_t)l->ntopics;
	for (k = 0; k < nballot; k++) {
		r = result_filter(l->topics[k], &none);
		if (!r && !none) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (j = nballot, dup = false; r && j < (size_t)l->ntopics; j++)
			dup = dup || strcmp(l->topics[j], r) == 0;
		if (!r || dup) {
			free(r);
			continue;
		}
		l->watch[l->ntopics] = true;
		l->topics[l->ntopics++] = r;
	}
	l->topics[l->ntopics++] = POLLDEF_CTL_TOPIC; /* the organiser's commands */
	for (k = 0; k < (size_t)l->ntopics; k++)
		l->qos[k] = 1;
	return 0;
}

struct mqttsession *mqttsession_new(const struct mqttsession_config *cfg, struct core *core, struct loop *loop,
				    char *err, size_t errlen)
{
	MQTTAsync_createOptions create = MQTTAsync_createOptions_initializer;
	struct mqttsession *l = calloc(1, sizeof(*l));
	char why[192];
	int rc;

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->cfg = *cfg;
	l->core = core;
	l->loop = loop;
	if (pthread_mutex_init(&l->ctx_lock, NULL) != 0) {
		snprintf(err, errlen, "cannot create a mutex");
		goto fail;
	}
	if (pthread_mutex_init(&l->losses_lock, NULL) != 0) {
		pthread_mutex_destroy(&l->ctx_lock);
		snprintf(err, errlen, "cannot create a mutex");
		goto fail;
	}
	l->locks = true;
	if (sem_init(&l->disconnected, 0, 0) != 0) {
		snprintf(err, errlen, "cannot create a semaphore: %s", strerror(errno));
		goto fail;
	}
	l->sem = true;
	if (add_filters(l, cfg, err, errlen) != 0)
		goto fail;
	if (mqtturi_make(cfg->host, cfg->port, cfg->tls && tlsopts_on(cfg->tls), l->uri, sizeof(l->uri)) != 0) {
		snprintf(err, errlen, "host name too long");
		goto fail;
	}
	/* Paho 1.3.11 formats a record of every packet into an in-memory trace
	 * ring even when no trace callback is set: at ERROR it keeps only
	 * errors, which saves about a fifth of the tallier's instructions */
	MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
	create.MQTTVersion = cfg->mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
	create.maxBufferedMessages = MAX_BUFFERED;
	rc = MQTTAsync_createWithOptions(&l->client, l->uri, cfg->client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL,
					 &create);
	if (rc != MQTTASYNC_SUCCESS) {
		snprintf(err, errlen, "cannot create an MQTT client for %s: %s", l->uri,
			 describe((struct failure){ rc, 0, NULL }, 0, why, sizeof(why)));
		l->client = NULL;
		goto fail;
	}
	if ((rc = MQTTAsync_setCallbacks(l->client, l, on_lost, on_message, NULL)) != MQTTASYNC_SUCCESS ||
	    (rc = MQTTAsync_setConnected(l->client, l, on_connected)) != MQTTASYNC_SUCCESS ||
	    (cfg->mqtt_version == 5 &&
	     (rc = MQTTAsync_setDisconnected(l->client, l, on_server_disconnect)) != MQTTASYNC_SUCCESS)) {
		snprintf(err, errlen, "cannot set the MQTT callbacks: %s",
			 describe((struct failure){ rc, 0, NULL }, 0, why, sizeof(why)));
		goto fail;
	}
	return l;
fail:
	mqttsession_free(l, 0);
	return NULL;
}

int mqttsession_start(struct mqttsession *l, char *err, size_t errlen)
{
	MQTTAsync_connectOptions conn = MQTTAsync_connectOptions_initializer;
	MQTTAsync_connectOptions conn5 = MQTTAsync_connectOptions_initializer5;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	MQTTProperties props = MQTTProperties_initializer;
	MQTTProperty expiry, maxpacket;
	char why[192];
	int rc = -1;

	if (l->cfg.mqtt_version == 5)
		conn = conn5; /* Paho wants cleansession 0 and cleanstart for MQTT 5 */
	conn.MQTTVersion = l->cfg.mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
	conn.keepAliveInterval = 30;
	conn.automaticReconnect = 1;
	conn.minRetryInterval = 1;
	conn.maxRetryInterval = 16;
	conn.username = l->cfg.username;
	conn.password = l->cfg.password;
	conn.context = l;
	if (use_tls(l)) { /* Paho copies these */
		TLSCTX_PAHO_FILL(&ssl, l->cfg.tls);
		tlsctx_arm(l->cfg.tls, l->cfg.host);
		conn.ssl = &ssl;
	}
	if (l->cfg.mqtt_version == 5) {
		conn.onFailure5 = on_connect_failed5;
		conn.cleanstart = 0; /* resume the session: ballots queued while we were away */
		expiry.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
		expiry.value.integer4 = SESSION_EXPIRY;
		maxpacket.identifier = MQTTPROPERTY_CODE_MAXIMUM_PACKET_SIZE;
		maxpacket.value.integer4 = PACKET_MAX;
		if (MQTTProperties_add(&props, &expiry) != 0 || MQTTProperties_add(&props, &maxpacket) != 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		conn.connectProperties = &props;
	} else {
		conn.onFailure = on_connect_failed3;
		conn.cleansession = 0;
	}
	rc = MQTTAsync_connect(l->client, &conn);
	if (rc != MQTTASYNC_SUCCESS) {
		snprintf(err, errlen, "cannot connect to %s:%d: %s", l->cfg.host, l->cfg.port,
			 describe((struct failure){ rc, 0, NULL }, 0, why, sizeof(why)));
		rc = -1;
		goto out;
	}
	rc = 0;
out:
	MQTTProperties_free(&props);
	return rc;
}

/* disconnect_done: the DISCONNECT went out, or could not: either way
 * mqttsession_free waits no more. */
static void disconnect_done(struct mqttsession *l, struct success s)
{
	(void)s;
	sem_post(&l->disconnected);
}

static void disconnect_failed(struct mqttsession *l, struct failure f)
{
	(void)f;
	sem_post(&l->disconnected);
}

ON_SUCCESS(on_disconnected, disconnect_done)
ON_FAILURE(on_disconnect_failed, disconnect_failed)

void mqttsession_free(struct mqttsession *l, int timeout_ms)
{
	MQTTAsync_disconnectOptions disc = MQTTAsync_disconnectOptions_initializer5;
	struct pubctx *c, *next;
	struct timespec deadline;
	int k;

	if (!l)
		return;
	set_connected(l, 0);
	__atomic_store_n(&l->stopping, 1, __ATOMIC_RELEASE);
	disc.timeout = timeout_ms;
	disc.context = l;
	CALLBACKS_SET(disc, l->cfg.mqtt_version, on_disconnected, on_disconnect_failed);
	if (l->client && MQTTAsync_isConnected(l->client) &&
	    MQTTAsync_disconnect(l->client, &disc) == MQTTASYNC_SUCCESS) {
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += timeout_ms / 1000 + 1;
		while (sem_timedwait(&l->disconnected, &deadline) != 0 && errno == EINTR)
			;
	}
	if (l->client)
		MQTTAsync_destroy(&l->client);
	for (c = l->ctxs; c; c = next) {
		next = c->next;
		free(c);
	}
	for (k = 0; k < l->ntopics; k++)
		if (l->watch[k])
			free(l->topics[k]);
	if (l->sem)
		sem_destroy(&l->disconnected);
	if (l->locks) {
		pthread_mutex_destroy(&l->ctx_lock);
		pthread_mutex_destroy(&l->losses_lock);
	}
	free(l);
}
