/* publish.h -- one ballot published, waited for until the broker (and, asked, the tallier) answers */
#ifndef MQTTVOTE_PUBLISH_H
#define MQTTVOTE_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>

#include "receipt.h"

struct publish_req {
	const char *host;
	int port;
	const char *client_id;
	const char *username;      /* NULL: none */
	const char *password;      /* NULL: none */
	int mqtt_version;          /* 5 or 4 (3.1.1) */
	const char *topic;
	const char *payload;
	size_t len;
	int qos;
	double timeout;            /* seconds, for the whole exchange */
	bool debug;                /* log each step on stderr */
	const char *receipt_topic; /* --confirm: subscribe here first, wait for the receipt; NULL: no */
	const char *ballot_id;     /* the ballot's id, which its receipt carries */
};

enum publish_status {
	PUBLISH_ACKED,          /* the broker acknowledged (QoS 0: the message was sent) */
	PUBLISH_NO_SUBSCRIBERS, /* acknowledged, but MQTT 5 said no subscription matched */
	PUBLISH_FAILED,         /* not delivered: err says why */
	PUBLISH_RECEIPT,        /* --confirm: the tallier's receipt came (*receipt) */
	PUBLISH_UNCONFIRMED,    /* --confirm: acknowledged, but no receipt within the timeout */
};

/* publish_once: connects to the broker, publishes req->payload on
 * req->topic, waits for the acknowledgement and, with receipt_topic, for
 * the tallier's receipt (subscribing before publishing, and publishing
 * the same ballot again with backoff while none comes), then disconnects,
 * all within req->timeout seconds. Returns a publish_status; for
 * PUBLISH_RECEIPT *receipt is filled; for PUBLISH_FAILED and
 * PUBLISH_UNCONFIRMED err holds the cause ("cannot connect to
 * 127.0.0.1:1883: connection refused"). */
enum publish_status publish_once(const struct publish_req *req, struct receipt *receipt, char *err,
				 size_t errlen);

#endif
