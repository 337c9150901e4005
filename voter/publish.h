/* publish.h -- one MQTT publication, waited for until the broker answers */
#ifndef MQTTVOTE_PUBLISH_H
#define MQTTVOTE_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>

struct publish_req {
	const char *host;
	int port;
	const char *client_id;
	const char *username; /* NULL: none */
	const char *password; /* NULL: none */
	int mqtt_version;     /* 5 or 4 (3.1.1) */
	const char *topic;
	const char *payload;
	size_t len;
	int qos;
	double timeout;       /* seconds, for the whole exchange */
	bool debug;           /* log each step on stderr */
};

enum publish_status {
	PUBLISH_ACKED,          /* the broker acknowledged (QoS 0: the message was sent) */
	PUBLISH_NO_SUBSCRIBERS, /* acknowledged, but MQTT 5 said no subscription matched */
	PUBLISH_FAILED,         /* not delivered: err says why */
};

/* publish_once: connects to the broker, publishes req->payload on
 * req->topic, waits for the acknowledgement, and disconnects, all within
 * req->timeout seconds. Returns a publish_status; for PUBLISH_FAILED err
 * holds the cause ("cannot connect to 127.0.0.1:1883: connection
 * refused"). */
enum publish_status publish_once(const struct publish_req *req, char *err, size_t errlen);

#endif
