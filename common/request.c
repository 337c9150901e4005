/* request.c -- one line of the direct TCP protocol: a ballot or a result query */
#include "request.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "jsonguard.h"

int request_parse(const char *line, size_t len, struct request *out, char *err, size_t errlen)
{
	cJSON *root = NULL;
	const cJSON *poll, *get;
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
	get = cJSON_GetObjectItemCaseSensitive(root, "get");
	if (!get) {
		out->kind = REQUEST_BALLOT;
	} else if (cJSON_IsString(get) && get->valuestring && strcmp(get->valuestring, "result") == 0) {
		out->kind = REQUEST_RESULT;
	} else if (cJSON_IsString(get) && get->valuestring && strcmp(get->valuestring, "info") == 0) {
		out->kind = REQUEST_INFO;
	} else {
		snprintf(err, errlen, "unknown request: \"get\" must be \"result\" or \"info\"");
		goto out;
	}
	rc = 0;
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
