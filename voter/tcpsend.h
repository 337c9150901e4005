/* tcpsend.h -- one ballot sent straight to a tallier over TCP (tallier --listen), its receipt read back */
#ifndef MQTTVOTE_TCPSEND_H
#define MQTTVOTE_TCPSEND_H

#include <stddef.h>

#include "outcome.h"
#include "receipt.h"

/* tcpsend: connects to req->host:req->port, sends req->payload as one
 * line, and reads the receipt line, all within req->timeout seconds (the
 * MQTT-only fields of req are not used). Returns OUTCOME_RECEIPT with
 * *receipt filled, or OUTCOME_FAILED with the cause in err (errlen bytes:
 * "cannot connect to 127.0.0.1:7883: connection refused", "the tallier
 * answered: missing field 'poll'"). The connection is closed either way. */
enum outcome tcpsend(const struct send_req *req, struct receipt *receipt, char *err, size_t errlen);

#endif
