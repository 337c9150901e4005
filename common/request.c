/* request.c -- one line of the direct TCP protocol: a ballot or a result query */
#include "request.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "jsonguard.h"

/* get_kind: what a request's "get" field (NULL: absent, a ballot) asks.
 * Returns 0, or -1 with err set. */
static int get_kind(const cJSON *get, enum request_kind *out, char *err, size_t errlen)
{
	const char *word = cJSON_IsString(get) ? get->valuestring : NULL;

	if (!get)
		*out = REQUEST_BALLOT;
	else if (word && strcmp(word, "result") == 0)
		*out = REQUEST_RESULT;
	else if (word && strcmp(word, "info") == 0)
		*out = REQUEST_INFO;
	else {
		snprintf(err, errlen, "unknown request: \"get\" must be \"result\" or \"info\"");
		return -1;
	}
	return 0;
}

int request_parse(const char *line, size_t len, struct request *out, char *err, size_t errlen)
{
	cJSON *root = NULL;
	const cJSON *poll;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > REQUEST_LINE_MAX) {
		snprintf(err, errlen, "line too long (at most %d bytes)", REQUEST_LINE_MAX);
		goto out;
	}
	root = jsonguard_parse(line, len, err, errlen);
	if (!root)
		goto out;
	poll = cJSON_GetObjectItemCaseSensitive(root, "poll");
	if (!poll) {
		snprintf(err, errlen, "missing field 'poll'");
		goto out;
	}
	if (!cJSON_IsString(poll) || !poll->valuestring ||
	    !topic_poll_valid(poll->valuestring, strlen(poll->valuestring))) {
		snprintf(err, errlen, "invalid field 'poll': " TOPIC_POLL_RULE);
		goto out;
	}
	snprintf(out->poll, sizeof(out->poll), "%s", poll->valuestring);
	rc = get_kind(cJSON_GetObjectItemCaseSensitive(root, "get"), &out->kind, err, errlen);
out:
	cJSON_Delete(root);
	return rc;
}

char *request_error_json(const char *message)
{
	cJSON *root = cJSON_CreateObject();
	char *json = NULL;

	if (root && cJSON_AddStringToObject(root, "error", message))
		json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return json;
}
