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
#include "topic.h"
#include "vtime.h"

/* One exchange of the voter: where it connects, and what its messages fill. */
struct voter_ctx {
	const struct voter_opts *o;
	const struct send_req *req; /* NULL: mqttsend_info */
	struct xchg_conn conn;      /* o's connection, borrowed by the exchange */
	char info_topic[TOPIC_MAX]; /* vote/<poll>/info */
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

	if (is_topic(ctx->info_topic, topic, topiclen)) {
		if (polldef_info_parse(payload, len, ctx->info, why, sizeof(why)) != 0) {
			if (ctx->o->debug)
				fprintf(stderr, "voter: %s ignored: %s\n", ctx->info_topic, why);
			return false;
		}
		ctx->has_info = true;
		return ctx->info_answers;
	}
	if (ctx->req && is_topic(ctx->req->receipt_topic, topic, topiclen) &&
	    receipt_parse(payload, len, &r, why, sizeof(why)) == 0 && strcmp(r.id, ctx->req->ballot->id) == 0) {
		*ctx->receipt = r;
		return true;
	}
	return false;
}

/* open_exchange: connects with ctx->o's connection options, the
 * information topic of its poll set. Returns the exchange, or NULL with err. */
static struct xchg *open_exchange(struct voter_ctx *ctx, char *err, size_t errlen)
{
	const struct voter_opts *o = ctx->o;

	ctx->conn = (struct xchg_conn){ .prog = "voter", .opts = &o->conn, .timeout = o->timeout, .debug = o->debug };
	snprintf(ctx->info_topic, sizeof(ctx->info_topic), TOPIC_PREFIX "%s/info", o->poll);
	return xchg_open(&ctx->conn, on_message, ctx, err, errlen);
}

/* read_info: subscribes to the information topic and, with --confirm, the
 * receipt topic, and reads the retained information: what came with the
 * SUBACK, else what came before the UNSUBACK of the information topic.
 * Returns 0, or -1 with err (a refused receipt topic is an error, a
 * refused information topic only means no information). */
static int read_info(struct xchg *x, struct voter_ctx *ctx, char *err, size_t errlen)
{
	const struct send_req *req = ctx->req;
	/* QoS 1 for the information: the PUBACK of the retained message also
	 * acknowledges it in TCP at once, so that a broker without TCP_NODELAY
	 * does not hold the UNSUBACK behind it for our delayed ACK (40 ms) */
	const char *topics[2] = { ctx->info_topic, req->receipt_topic };
	int qos[2] = { 1, 1 }, reasons[2];
	char why[160];

	if (xchg_subscribe(x, topics, qos, req->receipt_topic ? 2 : 1, reasons, err, errlen) != 0)
		return -1;
	if (req->receipt_topic && reasons[1] >= 0x80) {
		snprintf(err, errlen, "subscription to %s refused by the broker: %s", req->receipt_topic,
			 mqtterr_reason(reasons[1], why, sizeof(why)));
		return -1;
	}
	if (reasons[0] >= 0x80)
		return 0;
	if (xchg_drain(x, err, errlen) != 0)
		return -1;
	/* not there yet: the UNSUBACK comes after any retained message */
	if (!ctx->has_info && (xchg_unsubscribe(x, ctx->info_topic, err, errlen) != 0 || xchg_drain(x, err, errlen) != 0))
		return -1;
	if (ctx->o->debug)
		fprintf(stderr, "voter: %s: %s\n", ctx->info_topic,
			ctx->has_info ? polldef_status_word(ctx->info->status) : "none: the ballot goes as it is");
	return 0;
}

enum outcome mqttsend(const struct voter_opts *o, const struct send_req *req, struct receipt *receipt, char *err,
		      size_t errlen)
{
	struct polldef info;
	struct voter_ctx ctx = { .o = o, .req = req, .receipt = receipt, .info = &info };
	struct xchg_pub pub = { .topic = req->topic, .payload = req->payload, .len = req->len, .qos = o->qos,
				.response_topic = req->receipt_topic, .corr = req->ballot->id,
				.corrlen = strlen(req->ballot->id), .await_answer = req->receipt_topic != NULL,
				.republish = true, .what = "ballot", .answer = "the tallier's receipt" };
	struct xchg *x;
	enum outcome res = OUTCOME_FAILED;

	x = open_exchange(&ctx, err, errlen);
	if (!x || read_info(x, &ctx, err, errlen) != 0)
		goto out;
	if (pollinfo_refuses(ctx.has_info ? &info : NULL, req->ballot, vtime_now_ms(), err, errlen)) {
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
			 o->timeout);
out:
	xchg_close(x);
	return res;
}

int mqttsend_info(const struct voter_opts *o, struct polldef *info, char *err, size_t errlen)
{
	struct voter_ctx ctx = { .o = o, .info = info, .info_answers = true };
	const char *topics[1] = { ctx.info_topic };
	int qos[1] = { 1 }, reasons[1];
	struct xchg *x;
	char why[160];
	int rc = -1;

	x = open_exchange(&ctx, err, errlen);
	if (!x || xchg_subscribe(x, topics, qos, 1, reasons, err, errlen) != 0)
		goto out;
	if (reasons[0] >= 0x80) {
		snprintf(err, errlen, "subscription to %s refused by the broker: %s", ctx.info_topic,
			 mqtterr_reason(reasons[0], why, sizeof(why)));
		goto out;
	}
	rc = xchg_await(x, err, errlen);
out:
	xchg_close(x);
	return rc;
}
