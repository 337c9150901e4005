/* intake.c -- what the tallier does with each message it receives */
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ballot.h"
#include "link.h"
#include "log.h"
#include "receipt.h"
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

int intake_message(struct tallier *t, const char *topic, size_t topiclen, const void *payload,
		   size_t len, const struct reply_to *reply)
{
	char poll[TOPIC_POLL_MAX + 1], why[160], shown[320], err[128];
	struct tally_outcome outcome = { TALLY_COUNTED, "" };
	struct ballot b;
	const char *reason = NULL;
	char *result = NULL;
	enum receipt_status st;
	bool wants_receipt;
	int64_t now = vtime_now_ms();
	int parsed, rc = -1;
	long i;

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
	parsed = ballot_parse(poll, payload, len, &b, why, sizeof(why));
	wants_receipt = (reply && reply->topic) || (parsed == 0 && b.reply[0]);

	pthread_mutex_lock(&t->lock);
	if (parsed != 0)
		rc = tally_reject(t->tally, poll, now, err, sizeof(err));
	else
		rc = tally_apply(t->tally, &b, now, &outcome, err, sizeof(err));
	if (rc == 0 && (parsed != 0 || outcome.status == TALLY_REJECTED))
		save(t, NULL, poll);
	else if (rc == 0 && (outcome.status == TALLY_COUNTED || outcome.status == TALLY_REPLACED))
		save(t, &b, poll);
	if (rc == 0) {
		i = tally_poll_find(t->tally, poll);
		rc = pubsched_changed(t->sched, (size_t)i, tally_poll_version(t->tally, (size_t)i));
		if (rc != 0)
			snprintf(err, sizeof(err), "out of memory scheduling a result");
		if (rc == 0 && wants_receipt)
			result = tally_result_json(t->tally, (size_t)i, err, sizeof(err));
	}
	pthread_mutex_unlock(&t->lock);

	if (rc != 0) {
		log_line("cannot count a ballot on vote/%s: %s", poll, err);
		tallier_fail(t);
		return -1;
	}
	if (parsed != 0 || outcome.status == TALLY_REJECTED) {
		if (!t->opts.quiet)
			log_line("rejected ballot on vote/%s: %s", poll, parsed != 0 ? why : outcome.reason);
	} else if (t->opts.verbose) {
		log_line("vote/%s: %s -> %s: %s", poll, b.voter, b.choice, status_word(outcome.status));
	}
	tallier_wake(t);
	if (wants_receipt) {
		reason = parsed != 0 ? why : outcome.status == TALLY_REJECTED ? outcome.reason : NULL;
		st = receipt_status(parsed, &outcome, &reason);
		if (result)
			send_receipt(t, poll, parsed == 0 ? &b : NULL, st, reason, result, reply);
		else
			log_line("no receipt for a ballot on vote/%s: %s", poll, err);
		free(result);
	}
	return 0;
}
