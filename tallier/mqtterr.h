/* mqtterr.h -- Paho glue without Paho types: error words, reason codes, server URIs */
#ifndef MQTTVOTE_MQTTERR_H
#define MQTTVOTE_MQTTERR_H

#include <stddef.h>

/* mqtterr_describe: writes into buf (size bytes) a short lower-case
 * description of a failure Paho reported: reason (an MQTT 5 reason code,
 * used when >= 0x80), else code (an MQTT 3.1.1 CONNACK return code when
 * 1..5 and connack is non-zero, else an MQTTASYNC_* code), with message
 * (Paho's text, may be NULL) appended when it says more. Returns buf. */
const char *mqtterr_describe(int code, int reason, const char *message, int connack, char *buf,
			     size_t size);

/* mqtterr_reason: the name of an MQTT 5 reason code ("not authorized"). */
const char *mqtterr_reason(int reason, char *buf, size_t size);

/* mqtterr_uri: writes the Paho server URI "tcp://host:port" (IPv6
 * literals in brackets) into buf. Returns 0, or -1 when it does not fit. */
int mqtterr_uri(const char *host, int port, char *buf, size_t size);

#endif
