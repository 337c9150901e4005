/* link.h -- the tallier's MQTT connection: session, subscriptions, result publications */
#ifndef MQTTVOTE_LINK_H
#define MQTTVOTE_LINK_H

#include <stddef.h>
#include <stdint.h>

struct tallier;
struct link;

/* link_start: creates the MQTT client for t->opts and starts connecting
 * (in the background: persistent session, automatic reconnection; after
 * each connection it subscribes to the topics and calls tallier_wake with
 * the schedule reset). Ballots go to intake_message. Returns the link, or
 * NULL with the reason in err. Stop it with link_stop. */
struct link *link_start(struct tallier *t, char *err, size_t errlen);

/* link_connected: 1 when connected and subscribed, else 0. */
int link_connected(struct link *l);

/* link_publish: publishes payload[0..len) retained at QoS 1 on topic, as
 * the result version v of poll i; pubsched_done is called (under t->lock)
 * when the broker answers. Returns 0 when queued, -1 when not (the caller
 * leaves it to the schedule's timeout to try again). */
int link_publish(struct link *l, const char *topic, const char *payload, size_t len, size_t i,
		 uint64_t v);

/* link_send_receipt: publishes payload[0..len) at QoS 1, not retained, on
 * topic, with Correlation Data corr[0..corrlen) when corr is not NULL
 * (MQTT 5). Fire and forget: a receipt that is lost is asked for again by
 * the voter, which publishes its ballot again. Returns 0 when queued, -1
 * when not. */
int link_send_receipt(struct link *l, const char *topic, const char *payload, size_t len, const void *corr,
		      size_t corrlen);

/* link_stop: disconnects (waiting up to timeout_ms for it), destroys the
 * client and frees l. NULL is allowed. */
void link_stop(struct link *l, int timeout_ms);

#endif
