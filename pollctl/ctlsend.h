/* ctlsend.h -- an organiser's command through the broker: published once, its answer awaited */
#ifndef MQTTVOTE_CTLSEND_H
#define MQTTVOTE_CTLSEND_H

#include <stddef.h>

#include "pollctlopts.h"
#include "outcome.h"

/* The answer, as it came: payload[0..len), not NUL-terminated. */
struct ctlsend_answer {
	char *payload; /* malloc'd (free()); NULL when none came */
	size_t len;
};

/* ctlsend: connects with o's connection options (exchange.c: o->conn, its
 * client id set; over TLS when tlsopts_on(&o->conn.tls), its files checked
 * beforehand by the caller with tlsctx_check_files), subscribes to reply_topic, publishes the command
 * json on POLLDEF_CTL_TOPIC at QoS 1 (MQTT 5: with reply_topic as Response
 * Topic and a random Correlation Data) exactly once (a command is not
 * published again while waiting: open is not idempotent in wording) and waits
 * for the first message on reply_topic, all within o->timeout. Returns
 * OUTCOME_RECEIPT with *answer filled (free answer->payload), or
 * OUTCOME_FAILED (not delivered, refused by the broker), OUTCOME_UNCERTAIN
 * (sent, then connection lost or no acknowledgement in time) or
 * OUTCOME_UNCONFIRMED (acknowledged, no answer in time) with err set. */
enum outcome ctlsend(const struct pollctl_opts *o, const char *reply_topic, const char *json,
		     struct ctlsend_answer *answer, char *err, size_t errlen);

#endif
