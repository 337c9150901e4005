/* mqttsend.h -- one ballot through an MQTT broker: the poll's information first, then the ballot and its answer */
#ifndef MQTTVOTE_MQTTSEND_H
#define MQTTVOTE_MQTTSEND_H

#include <stdbool.h>
#include <stddef.h>

#include "outcome.h"
#include "polldef.h"
#include "receipt.h"
#include "sendreq.h"
#include "voteropts.h"

/* mqttsend: connects to the broker with o's connection options
 * (exchange.c: o->conn, its client id set; over TLS when
 * tlsopts_on(&o->conn.tls), its files checked beforehand by the caller with
 * tlsctx_check_files); subscribes to the poll's information,
 * vote/<o->poll>/info (in the one SUBSCRIBE of the receipt topic, with
 * req->receipt_topic) and reads it, retained, which the broker sends right
 * after the SUBACK: what has arrived then, or else what arrived before the
 * answer to an UNSUBSCRIBE of it (one round trip, no timer). When the
 * information says req->ballot cannot count (pollinfo_refuses: the poll
 * is closed, does not offer the choice, takes another kind of answer...),
 * returns OUTCOME_NOT_SENT with the reason in err,
 * and nothing is published. Otherwise publishes req->payload (or what
 * req->finish makes) on req->topic at o->qos, waits for the broker's
 * acknowledgement and, with req->receipt_topic, for the tallier's receipt
 * of req->ballot->id (publishing the same ballot again after 1, 2, 4, 4...
 * s while none comes), then disconnects, all within o->timeout seconds.
 * Returns the outcome: for OUTCOME_RECEIPT *receipt is filled; for
 * OUTCOME_FAILED (before the ballot was sent, or refused by the broker),
 * OUTCOME_UNCERTAIN (sent, then the connection was lost or the time ran
 * out before an answer), OUTCOME_UNCONFIRMED and OUTCOME_NOT_SENT err
 * (errlen bytes) holds the cause ("cannot connect to 127.0.0.1:1883:
 * connection refused"). Nothing is left allocated or connected. */
enum outcome mqttsend(const struct voter_opts *o, const struct send_req *req, struct receipt *receipt, char *err,
		      size_t errlen);

/* mqttsend_info: connects as mqttsend does, subscribes to
 * vote/<o->poll>/info and waits until the poll's information arrives
 * (retained, or published meanwhile) or o->timeout passes. Returns 1 with
 * *info filled, 0 when none came in time, or -1 with the cause in err (not
 * connected, refused, connection lost). */
int mqttsend_info(const struct voter_opts *o, struct polldef *info, char *err, size_t errlen);

#endif
