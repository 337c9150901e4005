/* tcpsend.h -- one ballot sent straight to a tallier over TCP (tallier --listen), its receipt read back */
#ifndef MQTTVOTE_TCPSEND_H
#define MQTTVOTE_TCPSEND_H

#include <stddef.h>

#include "outcome.h"
#include "receipt.h"
#include "sendreq.h"
#include "voteropts.h"

/* tcpsend: connects to o->conn.host:o->conn.port, sends req->payload as
 * one line, and reads the receipt line, all within o->timeout seconds (the
 * MQTT-only fields of o and req are not used). Returns OUTCOME_RECEIPT
 * with *receipt filled; or, with the cause in err (errlen bytes),
 * OUTCOME_FAILED when the line was not sent whole (the tallier takes only
 * whole lines) or was answered with an error ("cannot connect to
 * 127.0.0.1:7883: connection refused", "the tallier answered: missing
 * field 'poll'"), OUTCOME_UNCERTAIN when it was sent and no answer came
 * ("timed out after 10 s waiting for the tallier's receipt"). With
 * req->finish, first asks the tallier for the information of
 * req->ballot->poll ({"get":"info"}) and gives it to req->finish (NULL
 * when the tallier has none), which makes the payload; OUTCOME_NOT_SENT,
 * with err, when the information says the ballot cannot count
 * (pollinfo_refuses) or req->finish refuses. The connection is closed
 * either way. */
enum outcome tcpsend(const struct voter_opts *o, const struct send_req *req, struct receipt *receipt, char *err,
		     size_t errlen);

#endif
