/* mqttprops.h -- the MQTT 5 properties our JSON messages carry */
#ifndef MQTTVOTE_MQTTPROPS_H
#define MQTTVOTE_MQTTPROPS_H

#include <MQTTProperties.h>
#include <stddef.h>

/* mqttprops_json: adds to props what says the payload is JSON: Payload
 * Format Indicator 1 (UTF-8 text) and Content Type application/json.
 * Returns 0, or -1 when memory runs out. Free props with
 * MQTTProperties_free, as always. */
int mqttprops_json(MQTTProperties *props);

/* mqttprops_request: adds to props a request for an answer: Response
 * Topic topic and, when corr is not NULL, Correlation Data
 * corr[0..corrlen) (both copied). Returns 0, or -1 when memory runs out. */
int mqttprops_request(MQTTProperties *props, const char *topic, const void *corr, size_t corrlen);

/* mqttprops_correlation: adds Correlation Data corr[0..corrlen) (copied)
 * to props; nothing when corr is NULL. Returns 0, or -1 when memory runs
 * out. */
int mqttprops_correlation(MQTTProperties *props, const void *corr, size_t corrlen);

#endif
