/* jsonguard.c -- strict JSON parsing: what cJSON lets through, refused; and an array of strings written */
#include "jsonguard.h"

#include <stdbool.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

/* control_byte: true when p[0..len) holds a byte below 0x20 other than
 * the JSON whitespace tab, LF and CR: valid JSON never does (control
 * characters in strings must be escaped), but cJSON lets them through. */
static bool control_byte(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return true;
	}
	return false;
}

/* escaped_nul: true when the JSON text p[0..len) holds the escape \u0000
 * (an odd run of backslashes before "u0000"). */
static bool escaped_nul(const char *p, size_t len)
{
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\\') {
			run++;
			continue;
		}
		if (run % 2 == 1 && p[i] == 'u' && i + 4 < len && memcmp(p + i + 1, "0000", 4) == 0)
			return true;
		run = 0;
	}
	return false;
}

struct cJSON *jsonguard_parse(const char *text, size_t len, char *err, size_t errlen)
{
	const char *end = NULL;
	cJSON *root = NULL;

	if (control_byte(text, len))
		goto malformed;
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root)
		goto malformed;
	while (end < text + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != text + len)
		goto malformed;
	if (escaped_nul(text, len)) {
		/* valid JSON, but cJSON's strings end at the NUL: refuse rather
		 * than read "a\u0000b" as "a" */
		snprintf(err, errlen, "a string holds \\u0000 (NUL), which is not accepted");
		goto fail;
	}
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "not a JSON object");
		goto fail;
	}
	return root;
malformed:
	snprintf(err, errlen, "malformed JSON");
fail:
	cJSON_Delete(root);
	return NULL;
}

bool jsonguard_add_strings(cJSON *o, const char *name, const char *const *list, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(o, name);
	size_t k;

	for (k = 0; arr && k < n; k++) {
		cJSON *s = cJSON_CreateString(list[k]);

		if (!s || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			return false;
		}
	}
	return arr != NULL;
}
