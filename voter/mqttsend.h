/* mqttsend.h -- one ballot through an MQTT broker (Paho MQTTClient): connect, publish, wait for the answer */
#ifndef MQTTVOTE_MQTTSEND_H
#define MQTTVOTE_MQTTSEND_H

#include <stddef.h>

#include "outcome.h"
#include "receipt.h"

/* mqttsend: connects to the broker at req->host:req->port, publishes
 * req->payload on req->topic at req->qos, waits for the broker's
 * acknowledgement and, with req->receipt_topic, for the tallier's receipt
 * (subscribing before publishing, and publishing the same ballot again
 * after 1, 2, 4, 4... s while none comes), then disconnects, all within
 * req->timeout seconds. Returns the outcome: for OUTCOME_RECEIPT *receipt
 * is filled; for OUTCOME_FAILED (before the ballot was sent, or refused
 * by the broker), OUTCOME_UNCERTAIN (sent, then the connection was lost
 * or the time ran out before an answer) and OUTCOME_UNCONFIRMED err
 * (errlen bytes) holds the cause ("cannot connect to 127.0.0.1:1883:
 * connection refused"). Nothing is left allocated or connected. */
enum outcome mqttsend(const struct send_req *req, struct receipt *receipt, char *err, size_t errlen);

#endif
