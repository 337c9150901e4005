/* intake.h -- what the tallier does with each message it receives */
#ifndef MQTTVOTE_INTAKE_H
#define MQTTVOTE_INTAKE_H

#include <stddef.h>

struct tallier;

/* intake_message: handles one message received on topic[0..topiclen)
 * with payload[0..len) (neither NUL-terminated): counts a valid ballot,
 * counts and logs a refused one, ignores our own results, and wakes the
 * main loop when a result changed. Takes t->lock. Returns 0, or -1 when
 * the tallier cannot go on (out of memory): then it has logged why and
 * called tallier_fail. */
int intake_message(struct tallier *t, const char *topic, size_t topiclen, const void *payload,
		   size_t len);

#endif
