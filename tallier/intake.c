/* intake.c -- what the tallier does with each ballot, from MQTT or TCP: count, commit, answer */
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ballot.h"
#include "link.h"
#include "log.h"
#include "receipt.h"
#include "request.h"
#include "store.h"
#include "tallier.h"
#include "topic.h"
#include "vtime.h"

static const char *status_word(enum tally_status s)
{
	switch (s) {
	case TALLY_COUNTED:
		return "counted";
	case TALLY_REPLACED:
		return "replaced the earlier ballot";
	case TALLY_DUPLICATE:
		return "duplicate, ignored";
	case TALLY_STALE:
		return "older than the ballot held, ignored";
	case TALLY_REJECTED:
		return "rejected";
	}
	return "?";
}

/* save: commits what the ballot changed (b: the ballot that now counts,
 * or NULL) to the store. On failure the tallier must not return to Paho,
 * which would acknowledge the ballot: it exits at once, so that the broker
 * delivers the ballot again to the next run. */
static void save(struct tallier *t, const struct ballot *b, const char *poll)
{
	char err[512];
	long i = tally_poll_find(t->tally, poll);

	if (store_save(t->store, b, poll, tally_poll_rejected(t->tally, (size_t)i),
		       tally_poll_updated(t->tally, (size_t)i), err, sizeof(err)) == 0)
		return;
	log_line("cannot store a ballot: %s; stopping without acknowledging it, so that the broker "
		 "delivers it again", err);
	_exit(1);
}

/* receipt_status: what the voter is told of an outcome. A stale ballot
 * (older than the one held) is reported as a duplicate: it was received,
 * and the voter's later ballot is the one that counts. */
static enum receipt_status receipt_status(int parsed, const struct tally_outcome *o, const char **reason)
{
	switch (parsed != 0 ? TALLY_REJECTED : o->status) {
	case TALLY_COUNTED:
	case TALLY_REPLACED:
		return RECEIPT_COUNTED;
	case TALLY_DUPLICATE:
		return RECEIPT_DUPLICATE;
	case TALLY_STALE:
		*reason = "a later ballot of this voter counts";
		return RECEIPT_DUPLICATE;
	case TALLY_REJECTED:
		break;
	}
	return RECEIPT_REJECTED;
}

/* send_receipt: publishes the receipt of a ballot on poll (b: the parsed
 * ballot, or NULL when it could not be read) to where it asked, if it did. */
static void send_receipt(struct tallier *t, const char *poll, const struct ballot *b, enum receipt_status st,
			 const char *reason, const char *result, const struct reply_to *reply)
{
	char topic[TOPIC_MAX], err[128], shown[300];
	const char *dest = topic;
	char *json;

	if (reply && reply->topic) {
		if (!receipt_topic_valid(poll, reply->topic, reply->topiclen)) {
			if (!t->opts.quiet)
				log_line("no receipt sent to %s: not a topic under vote/%s/receipt/",
					 log_clean(reply->topic, reply->topiclen, shown, sizeof(shown)), poll);
			return;
		}
		snprintf(topic, sizeof(topic), "%.*s", (int)reply->topiclen, reply->topic);
	} else if (b && b->reply[0]) {
		dest = b->reply;
	} else {
		return;
	}
	json = receipt_to_json(b ? b->id : NULL, poll, st, reason, result, err, sizeof(err));
	if (!json) {
		log_line("no receipt sent to %s: %s", dest, err);
		return;
	}
	if (link_send_receipt(t->link, dest, json, strlen(json), reply ? reply->corr : NULL,
			      reply ? reply->corrlen : 0) != 0 && !t->opts.quiet)
		log_line("no receipt sent to %s: cannot publish now", dest);
	free(json);
}

/* What counting one ballot gave. */
struct counted {
	int parsed;                  /* ballot_parse's answer: 0 when the ballot is valid */
	struct ballot b;             /* when parsed == 0 */
	struct tally_outcome outcome;
	char why[160];               /* why ballot_parse refused it */
	enum receipt_status status;  /* what its receipt says */
	const char *reason;          /* and why, or NULL */
	char *result;                /* the poll's result JSON after it (asked for), malloc'd */
};

/* count: validates payload[0..len) as a ballot on poll, counts it, commits
 * what changed, schedules the poll's result and logs ("from" says where
 * it came from, for the log). With want_result, or when the ballot has a
 * "reply" field, c->result gets the poll's result JSON after it, for a
 * receipt. Returns 0, or -1 (logged, tallier_fail called) when memory runs
 * out. */
static int count(struct tallier *t, const char *poll, const char *from, const void *payload, size_t len,
		 bool want_result, struct counted *c)
{
	char err[128];
	int64_t now = vtime_now_ms();
	bool wake = false;
	int rc;
	long i;

	c->outcome = (struct tally_outcome){ TALLY_COUNTED, "" };
	c->result = NULL;
	c->reason = NULL;
	c->parsed = ballot_parse(poll, payload, len, &c->b, c->why, sizeof(c->why));

	pthread_mutex_lock(&t->lock);
	if (c->parsed != 0)
		rc = tally_reject(t->tally, poll, now, err, sizeof(err));
	else
		rc = tally_apply(t->tally, &c->b, now, &c->outcome, err, sizeof(err));
	if (rc == 0 && (c->parsed != 0 || c->outcome.status == TALLY_REJECTED))
		save(t, NULL, poll);
	else if (rc == 0 && (c->outcome.status == TALLY_COUNTED || c->outcome.status == TALLY_REPLACED))
		save(t, &c->b, poll);
	if (rc == 0) {
		i = tally_poll_find(t->tally, poll);
		rc = pubsched_changed(t->sched, (size_t)i, tally_poll_version(t->tally, (size_t)i));
		if (rc != 0)
			snprintf(err, sizeof(err), "out of memory scheduling a result");
		wake = rc == 0 && tallier_changed(t, (size_t)i);
		if (rc == 0 && (want_result || (c->parsed == 0 && c->b.reply[0])) &&
		    !(c->result = tally_result_json(t->tally, (size_t)i, err, sizeof(err))))
			rc = -1;
	}
	pthread_mutex_unlock(&t->lock);

	if (rc != 0) {
		log_line("cannot count a ballot on vote/%s: %s", poll, err);
		tallier_fail(t);
		return -1;
	}
	c->reason = c->parsed != 0 ? c->why : c->outcome.status == TALLY_REJECTED ? c->outcome.reason : NULL;
	c->status = receipt_status(c->parsed, &c->outcome, &c->reason);
	if (c->parsed != 0 || c->outcome.status == TALLY_REJECTED) {
		if (!t->opts.quiet)
			log_line("rejected ballot on vote/%s%s: %s", poll, from, c->reason);
	} else if (t->opts.verbose) {
		log_line("vote/%s%s: %s -> %s: %s", poll, from, c->b.voter, c->b.choice,
			 status_word(c->outcome.status));
	}
	if (wake)
		tallier_wake(t);
	return 0;
}

int intake_message(struct tallier *t, const char *topic, size_t topiclen, const void *payload,
		   size_t len, const struct reply_to *reply)
{
	char poll[TOPIC_POLL_MAX + 1], why[160], shown[320];
	struct counted c;

	switch (topic_classify(topic, topiclen, poll, why, sizeof(why))) {
	case TOPIC_OURS:
		return 0;
	case TOPIC_INVALID:
		if (!t->opts.quiet)
			log_line("rejected ballot on %s: %s", log_clean(topic, topiclen, shown, sizeof(shown)),
				 why);
		return 0;
	case TOPIC_BALLOT:
		break;
	}
	if (count(t, poll, "", payload, len, reply && reply->topic, &c) != 0)
		return -1;
	if (c.result)
		send_receipt(t, poll, c.parsed == 0 ? &c.b : NULL, c.status, c.reason, c.result, reply);
	free(c.result);
	return 0;
}

char *intake_line(struct tallier *t, const char *line, size_t len, const char *peer)
{
	struct request req;
	struct counted c;
	char err[160], from[96];
	char *json = NULL;
	long i;

	if (request_parse(line, len, &req, err, sizeof(err)) != 0) {
		if (!t->opts.quiet)
			log_line("bad request from tcp %s: %s", peer, err);
		return request_error_json(err);
	}
	if (req.kind == REQUEST_RESULT) {
		pthread_mutex_lock(&t->lock);
		i = tally_poll_find(t->tally, req.poll);
		if (i >= 0)
			json = tally_result_json(t->tally, (size_t)i, err, sizeof(err));
		else
			snprintf(err, sizeof(err), "no poll '%s'", req.poll);
		pthread_mutex_unlock(&t->lock);
		return json ? json : request_error_json(err);
	}
	snprintf(from, sizeof(from), " (tcp %s)", peer);
	if (count(t, req.poll, from, line, len, true, &c) != 0)
		return NULL;
	json = receipt_to_json(c.parsed == 0 ? c.b.id : NULL, req.poll, c.status, c.reason, c.result, err,
			       sizeof(err));
	free(c.result);
	return json;
}
