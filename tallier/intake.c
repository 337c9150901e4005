/* intake.c -- what the tallier does with each message it receives */
#include "intake.h"

#include <stdio.h>

#include "ballot.h"
#include "log.h"
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

int intake_message(struct tallier *t, const char *topic, size_t topiclen, const void *payload,
		   size_t len)
{
	char poll[TOPIC_POLL_MAX + 1], why[160], shown[320], err[128];
	struct tally_outcome outcome = { TALLY_COUNTED, "" };
	struct ballot b;
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

	pthread_mutex_lock(&t->lock);
	if (parsed != 0)
		rc = tally_reject(t->tally, poll, now, err, sizeof(err));
	else
		rc = tally_apply(t->tally, &b, now, &outcome, err, sizeof(err));
	if (rc == 0) {
		i = tally_poll_find(t->tally, poll);
		rc = pubsched_changed(t->sched, (size_t)i, tally_poll_version(t->tally, (size_t)i));
		if (rc != 0)
			snprintf(err, sizeof(err), "out of memory scheduling a result");
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
	return 0;
}
