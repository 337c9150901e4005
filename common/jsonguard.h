/* jsonguard.h -- strict JSON parsing: what cJSON lets through, refused; and an array of strings written */
#ifndef MQTTVOTE_JSONGUARD_H
#define MQTTVOTE_JSONGUARD_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* jsonguard_parse: parses text[0..len) (not NUL-terminated) as one JSON
 * object with nothing but whitespace after it, refusing what cJSON would
 * let through: raw control bytes, and \u0000 escapes. Returns the object,
 * which the caller frees with cJSON_Delete, or NULL with the reason in err
 * ("malformed JSON", "a string holds \u0000 (NUL), which is not accepted",
 * "not a JSON object"). */
struct cJSON *jsonguard_parse(const char *text, size_t len, char *err, size_t errlen);

/* jsonguard_add_strings: adds to the object o the field name, an array of
 * the n strings list[0..n) (a poll's choices, a ballot's picks or
 * ranking). Returns true, or false when memory runs out (o then may hold
 * a partial array, which its owner deletes with it). */
bool jsonguard_add_strings(struct cJSON *o, const char *name, const char *const *list, size_t n);

#endif
