/* mqtterr.c -- MQTT failures in words: Paho return codes, CONNACK codes, MQTT 5 reason codes */
#include "mqtterr.h"

#include <MQTTReasonCodes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "errtext.h"

const char *mqtterr_reason(int reason, char *buf, size_t size)
{
	const char *name = MQTTReasonCode_toString((enum MQTTReasonCodes)reason);

	if (name)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "reason code %d", reason);
	errtext_tidy(buf);
	return buf;
}

/* connack_text: MQTT 3.1.1 CONNACK return codes 1..5. */
static const char *connack_text(int code)
{
	static const char *const text[] = {
		"unacceptable protocol version", "identifier rejected", "server unavailable",
		"bad user name or password", "not authorized",
	};

	return code >= 1 && code <= 5 ? text[code - 1] : NULL;
}

int mqtterr_refused(int code, int reason)
{
	return reason >= 0x80 || code >= 0x80 || (code >= 1 && code <= 5);
}

const char *mqtterr_describe(int code, const char *codetext, int reason, const char *message, int connack,
			     char *buf, size_t size)
{
	char what[128];
	const char *ct = connack ? connack_text(code) : NULL;

	if (reason >= 0x80)
		mqtterr_reason(reason, what, sizeof(what));
	else if (code >= 0x80)
		mqtterr_reason(code, what, sizeof(what));
	else if (ct)
		snprintf(what, sizeof(what), "%s", ct);
	else if (codetext)
		snprintf(what, sizeof(what), "%s", codetext);
	else
		snprintf(what, sizeof(what), "error %d", code);
	errtext_tidy(what);
	if (message && *message && strcasecmp(message, what) != 0)
		snprintf(buf, size, "%s (%s)", what, message);
	else
		snprintf(buf, size, "%s", what);
	return buf;
}
