/* mqtterr.h -- Paho glue without Paho types: error words, reason codes, server URIs */
#ifndef MQTTVOTE_MQTTERR_H
#define MQTTVOTE_MQTTERR_H

#include <stddef.h>

/* mqtterr_describe: writes into buf (size bytes) a short lower-case
 * description of a failure Paho reported: reason (an MQTT 5 reason code,
 * used when >= 0x80), else code (an MQTT 3.1.1 CONNACK return code when
 * 1..5 and connack is non-zero, else a Paho error code, described by
 * code_text: MQTTAsync_strerror's or MQTTClient_strerror's answer, may be
 * NULL), with message (Paho's text, may be NULL) appended when it says
 * more. Returns buf. The program links the Paho library (this one calls
 * MQTTReasonCode_toString, which both Paho libraries have). */
const char *mqtterr_describe(int code, const char *code_text, int reason, const char *message,
			     int connack, char *buf, size_t size);

/* mqtterr_reason: the name of an MQTT 5 reason code ("not authorized"). */
const char *mqtterr_reason(int reason, char *buf, size_t size);

/* mqtterr_uri: writes the Paho server URI "tcp://host:port" (IPv6
 * literals in brackets) into buf. Returns 0, or -1 when it does not fit. */
int mqtterr_uri(const char *host, int port, char *buf, size_t size);

#endif
