/* jsonprops.h -- the MQTT 5 properties that mark a payload as JSON text */
#ifndef MQTTVOTE_JSONPROPS_H
#define MQTTVOTE_JSONPROPS_H

#include <MQTTProperties.h>

/* jsonprops_add: adds to props the payload format indicator 1 (UTF-8 text)
 * and the content type "application/json". The caller frees props with
 * MQTTProperties_free. Returns 0, or -1 when memory runs out. The program
 * links the Paho library (both have MQTTProperties_add). */
int jsonprops_add(MQTTProperties *props);

#endif
