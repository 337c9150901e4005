/* jsonguard.h -- checks on JSON text that cJSON lets through */
#ifndef MQTTVOTE_JSONGUARD_H
#define MQTTVOTE_JSONGUARD_H

#include <stdbool.h>
#include <stddef.h>

/* jsonguard_control_byte: true when p[0..len) holds a byte below 0x20
 * other than the JSON whitespace tab, LF and CR. Valid JSON never does
 * (control characters in strings must be escaped), but cJSON lets them
 * through. */
bool jsonguard_control_byte(const char *p, size_t len);

/* jsonguard_escaped_nul: true when the JSON text p[0..len) holds the
 * escape \u0000, which cJSON decodes into a string cut short at the NUL
 * ("a\u0000b" read as "a"). */
bool jsonguard_escaped_nul(const char *p, size_t len);

#endif
