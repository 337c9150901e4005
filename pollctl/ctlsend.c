/* ctlsend.c -- an organiser's command through the broker: published once, its answer awaited */
#include "ctlsend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ballot.h"
#include "exchange.h"
#include "mqtterr.h"
#include "polldef.h"

struct ctl_ctx {
	const char *reply_topic;
	struct ctlsend_answer *answer;
};

/* on_message: the first message on the reply topic is the answer (kept). */
static bool on_message(void *vctx, const char *topic, size_t topiclen, const void *payload, size_t len)
{
	struct ctl_ctx *ctx = vctx;

	if (ctx->answer->payload || topiclen != strlen(ctx->reply_topic) ||
	    memcmp(topic, ctx->reply_topic, topiclen) != 0)
		return false;
	ctx->answer->payload = malloc(len ? len : 1);
	if (!ctx->answer->payload)
		return false; /* out of memory: as if none came */
	memcpy(ctx->answer->payload, payload, len);
	ctx->answer->len = len;
	return true;
}

enum outcome ctlsend(const struct pollctl_opts *o, const char *reply_topic, const char *json,
		     struct ctlsend_answer *answer, char *err, size_t errlen)
{
	const struct xchg_conn conn = { .prog = "pollctl", .opts = &o->conn, .timeout = o->timeout, .debug = o->debug };
	struct ctl_ctx ctx = { .reply_topic = reply_topic, .answer = answer };
	char corr[BALLOT_ID_HEX + 1], why[160];
	struct xchg_pub pub = { .topic = POLLDEF_CTL_TOPIC, .payload = json, .len = strlen(json), .qos = 1,
				.response_topic = reply_topic, .corr = corr, .corrlen = BALLOT_ID_HEX,
				.await_answer = true, .republish = false, .what = "command",
				.answer = "the tallier's answer" };
	const char *topics[1] = { reply_topic };
	int qos[1] = { 1 }, reasons[1];
	enum outcome res = OUTCOME_FAILED;
	struct xchg *x = NULL;

	answer->payload = NULL;
	answer->len = 0;
	if (ballot_new_id(corr, err, errlen) != 0)
		goto out;
	x = xchg_open(&conn, on_message, &ctx, err, errlen);
	if (!x || xchg_subscribe(x, topics, qos, 1, reasons, err, errlen) != 0)
		goto out;
	if (reasons[0] >= 0x80) {
		snprintf(err, errlen, "subscription to %s refused by the broker: %s", reply_topic,
			 mqtterr_reason(reasons[0], why, sizeof(why)));
		goto out;
	}
	res = xchg_request(x, &pub, err, errlen);
	if (res == OUTCOME_UNCONFIRMED)
		snprintf(err, errlen,
			 "no answer from a tallier within %g s (no tallier running on this broker, or, with "
			 "MQTT 3.1.1, a broker that refused the command without a word)", o->timeout);
out:
	xchg_close(x);
	return res;
}
