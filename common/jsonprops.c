/* jsonprops.c -- the MQTT 5 properties that mark a payload as JSON text */
#include "jsonprops.h"

#include <string.h>

int jsonprops_add(MQTTProperties *props)
{
	static char content_type[] = "application/json";
	MQTTProperty format = { .identifier = MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR };
	MQTTProperty type = { .identifier = MQTTPROPERTY_CODE_CONTENT_TYPE };

	format.value.byte = 1;
	type.value.data.data = content_type; /* copied by MQTTProperties_add */
	type.value.data.len = (int)strlen(content_type);
	return MQTTProperties_add(props, &format) == 0 && MQTTProperties_add(props, &type) == 0 ? 0 : -1;
}
