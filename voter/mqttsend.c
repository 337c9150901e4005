/* mqttsend.c -- one ballot through an MQTT broker: the poll's information first, then the ballot and its answer
 *
 * The MQTT exchange itself (connect, subscribe, publish, wait) is
 * exchange.c's, which pollctl shares; this file is what a ballot needs
 * of it: the subscriptions, the reading of the poll's information before
 * the ballot goes out, the receipt that answers the ballot, the words. */
#include "mqttsend.h"

#include <stdio.h>
#include <string.h>

#include "exchange.h"
#include "mqtterr.h"
#include "pollinfo.h"
#include "vtime.h"

/* What the messages of the exchange fill. */
struct voter_ctx {
	const struct send_req *req;
	struct receipt *receipt;
	struct polldef *info;
	bool has_info;
	bool info_answers; /* mqttsend_info: the information is the answer */
};

static bool is_topic(const char *want, const char *topic, size_t len)
{
	return want && len == strlen(want) && memcmp(topic, want, len) == 0;
}

/* on_message: the poll's information (kept), or the receipt of this
 * ballot (the answer). */
static bool on_message(void *vctx, const char *topic, size_t topiclen, const void *payload, size_t len)
{
	struct voter_ctx *ctx = vctx;
	struct receipt r;
	char why[256];

	if (is_topic(ctx->req->info_topic, topic, topiclen)) {
		if (polldef_info_parse(payload, len, ctx->info, why, sizeof(why)) != 0) {
			if (ctx->req->debug)
				fprintf(stderr, "voter: %s ignored: %s\n", ctx->req->info_topic, why);
			return false;
		}
		ctx->has_info = true;
		return ctx->info_answers;
	}
	if (is_topic(ctx->req->receipt_topic, topic, topiclen) &&
	    receipt_parse(payload, len, &r, why, sizeof(why)) == 0 && strcmp(r.id, ctx->req->ballot_id) == 0) {
		*ctx->receipt = r;
		return true;
	}
	return false;
}

static void conn_of(const struct send_req *req, struct xchg_conn *c)
{
	*c = (struct xchg_conn){ .prog = "voter", .host = req->host, .port = req->port, .client_id = req->client_id,
				 .username = req->username, .password = req->password,
				 .mqtt_version = req->mqtt_version, .timeout = req->timeout, .debug = req->debug,
				 .tls = req->tls };
}

/* read_info: subscribes to the information and the receipt topics (those
 * given), and reads the retained information: what came with the SUBACK,
 * else what came before the UNSUBACK of the information topic. Returns 0,
 * or -1 with err (a refused receipt topic is an error, a refused
 * information topic only means no information). */
static int read_info(struct xchg *x, struct voter_ctx *ctx, char *err, size_t errlen)
{
	const struct send_req *req = ctx->req;
	const char *topics[2];
	int qos[2], reasons[2];
	size_t n = 0, rt;
	char why[160];

	if (req->info_topic) {
		topics[n] = req->info_topic;
		/* QoS 1: the PUBACK of the retained message also acknowledges it
		 * in TCP at once, so that a broker without TCP_NODELAY does not
		 * hold the UNSUBACK behind it for our delayed ACK (40 ms) */
		qos[n++] = 1;
	}
	rt = n;
	if (req->receipt_topic) {
		topics[n] = req->receipt_topic;
		qos[n++] = 1;
	}
	if (n == 0)
		return 0;
	if (xchg_subscribe(x, topics, qos, n, reasons, err, errlen) != 0)
		return -1;
	if (req->receipt_topic && reasons[rt] >= 0x80) {
		snprintf(err, errlen, "subscription to %s refused by the broker: %s", req->receipt_topic,
			 mqtterr_reason(reasons[rt], why, sizeof(why)));
		return -1;
	}
	if (!req->info_topic || reasons[0] >= 0x80)
		return 0;
	if (xchg_drain(x, err, errlen) != 0)
		return -1;
	/* not there yet: the UNSUBACK comes after any retained message */
	if (!ctx->has_info && (xchg_unsubscribe(x, req->info_topic, err, errlen) != 0 || xchg_drain(x, err, errlen) != 0))
		return -1;
	if (req->debug)
		fprintf(stderr, "voter: %s: %s\n", req->info_topic,
			ctx->has_info ? polldef_status_word(ctx->info->status) : "none: the ballot goes as it is");
	return 0;
}

enum outcome mqttsend(const struct send_req *req, struct receipt *receipt, char *err, size_t errlen)
{
	struct polldef info;
	struct voter_ctx ctx = { .req = req, .receipt = receipt, .info = &info };
	struct xchg_pub pub = { .topic = req->topic, .payload = req->payload, .len = req->len, .qos = req->qos,
				.response_topic = req->receipt_topic, .corr = req->ballot_id,
				.corrlen = req->ballot_id ? strlen(req->ballot_id) : 0,
				.await_answer = req->receipt_topic != NULL, .republish = true, .what = "ballot",
				.answer = "the tallier's receipt" };
	struct xchg_conn conn;
	struct xchg *x;
	enum outcome res = OUTCOME_FAILED;

	conn_of(req, &conn);
	x = xchg_open(&conn, on_message, &ctx, err, errlen);
	if (!x || read_info(x, &ctx, err, errlen) != 0)
		goto out;
	if (ctx.has_info && pollinfo_refuses(&info, req->choice, vtime_now_ms(), err, errlen)) {
		res = OUTCOME_NOT_SENT;
		goto out;
	}
	if (req->finish) {
		const char *payload = NULL;

		if (req->finish(req->finish_arg, ctx.has_info ? &info : NULL, &payload, &pub.len, err, errlen) != 0) {
			res = OUTCOME_NOT_SENT;
			goto out;
		}
		pub.payload = payload;
	}
	res = xchg_request(x, &pub, err, errlen);
	if (res == OUTCOME_UNCONFIRMED)
		snprintf(err, errlen,
			 "the broker accepted the ballot, but no tallier confirmed it within %g s: "
			 "it is not known to be counted (no tallier running, a broker queue that "
			 "was full and dropped it, or, with MQTT 3.1.1, a broker that refused it "
			 "without a word); vote again to know",
			 req->timeout);
out:
	xchg_close(x);
	return res;
}

int mqttsend_info(const struct send_req *req, struct polldef *info, char *err, size_t errlen)
{
	struct voter_ctx ctx = { .req = req, .info = info, .info_answers = true };
	const char *topics[1] = { req->info_topic };
	int qos[1] = { 1 }, reasons[1];
	struct xchg_conn conn;
	struct xchg *x;
	char why[160];
	int rc = -1;

	conn_of(req, &conn);
	x = xchg_open(&conn, on_message, &ctx, err, errlen);
	if (!x || xchg_subscribe(x, topics, qos, 1, reasons, err, errlen) != 0)
		goto out;
	if (reasons[0] >= 0x80) {
		snprintf(err, errlen, "subscription to %s refused by the broker: %s", req->info_topic,
			 mqtterr_reason(reasons[0], why, sizeof(why)));
		goto out;
	}
	rc = xchg_await(x, err, errlen);
out:
	xchg_close(x);
	return rc;
}
