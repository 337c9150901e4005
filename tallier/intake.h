/* intake.h -- what the tallier does with each ballot, from MQTT or TCP: count, commit, answer */
#ifndef MQTTVOTE_INTAKE_H
#define MQTTVOTE_INTAKE_H

#include <stddef.h>

struct tallier;

/* Where a ballot asks its receipt to go (MQTT 5 properties). */
struct reply_to {
	const char *topic;  /* Response Topic, not NUL-terminated; NULL when none */
	size_t topiclen;
	const void *corr;   /* Correlation Data; NULL when none */
	size_t corrlen;
};

/* intake_message: handles one message received on topic[0..topiclen)
 * with payload[0..len) (neither NUL-terminated): counts a valid ballot,
 * counts and logs a refused one, ignores our own results, commits what
 * changed to the store, wakes the main loop when a result changed, and
 * then, when the ballot asked for one (reply, or the ballot's "reply"
 * field), publishes its receipt. Takes t->lock. Returns 0, or -1 when the
 * tallier cannot go on (out of memory): then it has logged why and called
 * tallier_fail. A store that fails ends the process at once (see save()). */
int intake_message(struct tallier *t, const char *topic, size_t topiclen, const void *payload,
		   size_t len, const struct reply_to *reply);

/* intake_line: handles one line of the direct TCP protocol from peer
 * ("127.0.0.1:5555", for the log): counts a ballot as intake_message does
 * and returns its receipt JSON, or returns the poll's result JSON for a
 * query, or an {"error":..} for a line that is neither. Returns a malloc'd
 * string (no newline) the caller frees with free(), or NULL when the
 * tallier cannot go on (out of memory: logged, tallier_fail called). */
char *intake_line(struct tallier *t, const char *line, size_t len, const char *peer);

#endif
