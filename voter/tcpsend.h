/* tcp.h -- a ballot sent straight to a tallier over TCP (tallier --listen), its receipt read back */
#ifndef MQTTVOTE_TCP_H
#define MQTTVOTE_TCP_H

#include <stddef.h>

#include "publish.h"
#include "receipt.h"

/* tcp_send: connects to req->host:req->port, sends req->payload as one
 * line, and reads the receipt line, all within req->timeout seconds.
 * Returns PUBLISH_RECEIPT with *receipt filled, or PUBLISH_FAILED with the
 * cause in err ("cannot connect to 127.0.0.1:7883: connection refused",
 * "the tallier answered: missing field 'poll'"). */
enum publish_status tcp_send(const struct publish_req *req, struct receipt *receipt, char *err, size_t errlen);

#endif
