/* mqtterr.h -- MQTT failures in words: Paho return codes, CONNACK codes, MQTT 5 reason codes */
#ifndef MQTTVOTE_MQTTERR_H
#define MQTTVOTE_MQTTERR_H

#include <stddef.h>

/* mqtterr_describe: writes into buf (size bytes) a short lower-case
 * description of a failure Paho reported: reason (an MQTT 5 reason code,
 * used when >= 0x80), else code (an MQTT 3.1.1 CONNACK return code when
 * 1..5 and connack is non-zero, else a Paho return code, described by
 * codetext: what MQTTAsync_strerror or MQTTClient_strerror says of it, may
 * be NULL), with message (Paho's text, may be NULL) appended when it says
 * more. Paho 1.3.11 puts an MQTT 5 CONNACK's reason in code, not in reason:
 * a code >= 0x80 is taken as a reason code too. Returns buf. Needs a Paho
 * library linked into the program (either one): it calls
 * MQTTReasonCode_toString. */
const char *mqtterr_describe(int code, const char *codetext, int reason, const char *message, int connack,
			     char *buf, size_t size);

/* mqtterr_reason: the name of an MQTT 5 reason code ("not authorized")
 * into buf. Returns buf. */
const char *mqtterr_reason(int reason, char *buf, size_t size);

/* mqtterr_refused: true when a failure to connect is the broker's
 * answer (a CONNACK refusal: 3.1.1 return codes 1..5, or an MQTT 5 reason
 * code >= 0x80 in code or reason), which retrying will not change. */
int mqtterr_refused(int code, int reason);

#endif
