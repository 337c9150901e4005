/* mqttprops.c -- the MQTT 5 properties our JSON messages carry */
#include "mqttprops.h"

#include <string.h>

int mqttprops_json(MQTTProperties *props)
{
	static char content_type[] = "application/json";
	MQTTProperty format = { .identifier = MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR };
	MQTTProperty type = { .identifier = MQTTPROPERTY_CODE_CONTENT_TYPE };

	format.value.byte = 1;
	type.value.data.data = content_type; /* copied by MQTTProperties_add */
	type.value.data.len = (int)strlen(content_type);
	return MQTTProperties_add(props, &format) == 0 && MQTTProperties_add(props, &type) == 0 ? 0 : -1;
}

int mqttprops_correlation(MQTTProperties *props, const void *corr, size_t corrlen)
{
	MQTTProperty cd = { .identifier = MQTTPROPERTY_CODE_CORRELATION_DATA };

	if (!corr)
		return 0;
	cd.value.data.data = (char *)corr; /* copied by MQTTProperties_add */
	cd.value.data.len = (int)corrlen;
	return MQTTProperties_add(props, &cd) == 0 ? 0 : -1;
}

int mqttprops_request(MQTTProperties *props, const char *topic, const void *corr, size_t corrlen)
{
	MQTTProperty rt = { .identifier = MQTTPROPERTY_CODE_RESPONSE_TOPIC };

	rt.value.data.data = (char *)topic; /* copied by MQTTProperties_add */
	rt.value.data.len = (int)strlen(topic);
	return MQTTProperties_add(props, &rt) == 0 ? mqttprops_correlation(props, corr, corrlen) : -1;
}
