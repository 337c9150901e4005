/* receipt.c -- the tallier's answer to a ballot that asked for one */
#include "receipt.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static const char *const words[] = { "counted", "duplicate", "rejected" };

const char *receipt_status_word(enum receipt_status status)
{
	return words[status];
}

int receipt_topic_check(const char *poll, const char *topic, size_t len, char *why, size_t whylen)
{
	char prefix[TOPIC_MAX];
	size_t plen, i;
	int n = snprintf(prefix, sizeof(prefix), TOPIC_PREFIX "%s/receipt/", poll);

	if (n < 0 || (size_t)n >= sizeof(prefix) || len <= (size_t)n || memcmp(topic, prefix, (size_t)n) != 0) {
		snprintf(why, whylen, "not a topic under " TOPIC_PREFIX "%s/receipt/", poll);
		return -1;
	}
	plen = (size_t)n;
	if (len - plen > RECEIPT_REST_MAX) {
		snprintf(why, whylen, "longer than %d bytes after %s", RECEIPT_REST_MAX, prefix);
		return -1;
	}
	for (i = plen; i < len; i++) {
		if (topic[i] == '+' || topic[i] == '#') {
			snprintf(why, whylen, "a topic with '+' or '#'");
			return -1;
		}
	}
	if (!utf8_text_valid(topic + plen, len - plen)) {
		snprintf(why, whylen, "not UTF-8 text without control characters");
		return -1;
	}
	return 0;
}

int receipt_topic_make(const char *poll, const char *client_id, char *buf, size_t size, char *err,
		       size_t errlen)
{
	char why[128];
	int n = snprintf(buf, size, TOPIC_PREFIX "%s/receipt/%s", poll, client_id);

	if (client_id[0] && !strchr(client_id, '/') && n > 0 && (size_t)n < size &&
	    receipt_topic_check(poll, buf, (size_t)n, why, sizeof(why)) == 0)
		return 0;
	snprintf(err, errlen, "client id '%s' cannot name a receipt topic: it must be 1 to %d bytes without '/', "
			      "'+', '#' or control characters", client_id, RECEIPT_REST_MAX);
	buf[0] = '\0';
	return -1;
}

char *receipt_to_json(const char *id, const char *poll, enum receipt_status status, const char *reason,
		      const char *result_json, char *err, size_t errlen)
{
	cJSON *root = cJSON_CreateObject(), *result = result_json ? cJSON_Parse(result_json) : NULL;
	cJSON *counts = NULL, *total = NULL;
	char *json = NULL;

	if (result_json && !result)
		goto out;
	if (result) {
		counts = cJSON_DetachItemFromObjectCaseSensitive(result, "counts");
		total = cJSON_DetachItemFromObjectCaseSensitive(result, "total");
		if (!counts || !total)
			goto out;
	}
	if (!root || (id && *id && !cJSON_AddStringToObject(root, "id", id)) ||
	    !cJSON_AddStringToObject(root, "poll", poll) ||
	    !cJSON_AddStringToObject(root, "status", words[status]) ||
	    (reason && *reason && !cJSON_AddStringToObject(root, "reason", reason)))
		goto out;
	if (counts && cJSON_GetArraySize(counts) <= RECEIPT_COUNTS_MAX) {
		cJSON_AddItemToObject(root, "counts", counts);
		counts = NULL;
	}
	if (total) {
		cJSON_AddItemToObject(root, "total", total);
		total = NULL;
	}
	json = cJSON_PrintUnformatted(root);
out:
	if (!json)
		snprintf(err, errlen, "cannot build the receipt JSON");
	cJSON_Delete(counts);
	cJSON_Delete(total);
	cJSON_Delete(result);
	cJSON_Delete(root);
	return json;
}

/* counts_text: "yes 3, no 1" from a counts object, cut short to fit. */
static void counts_text(const cJSON *counts, char *buf, size_t size)
{
	const cJSON *c;
	size_t used = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(c, counts)
	{
		int n;

		if (!cJSON_IsNumber(c) || !c->string)
			continue;
		n = snprintf(buf + used, size - used, "%s%s %.0f", used ? ", " : "", c->string, c->valuedouble);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
}

static void copy_string(const cJSON *obj, const char *name, char *dst, size_t size)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	snprintf(dst, size, "%s", cJSON_IsString(item) && item->valuestring ? item->valuestring : "");
}

int receipt_parse(const void *payload, size_t len, struct receipt *out, char *err, size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(payload, len);
	const cJSON *status, *counts, *total;
	int rc = -1;
	size_t k;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "a receipt is a JSON object");
		goto out;
	}
	status = cJSON_GetObjectItemCaseSensitive(root, "status");
	for (k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		if (cJSON_IsString(status) && status->valuestring && strcmp(status->valuestring, words[k]) == 0)
			break;
	if (k == sizeof(words) / sizeof(words[0])) {
		snprintf(err, errlen, "a receipt has a status: counted, duplicate or rejected");
		goto out;
	}
	out->status = (enum receipt_status)k;
	copy_string(root, "id", out->id, sizeof(out->id));
	copy_string(root, "poll", out->poll, sizeof(out->poll));
	copy_string(root, "reason", out->reason, sizeof(out->reason));
	counts = cJSON_GetObjectItemCaseSensitive(root, "counts");
	total = cJSON_GetObjectItemCaseSensitive(root, "total");
	if (counts)
		counts_text(counts, out->counts, sizeof(out->counts));
	else if (cJSON_IsNumber(total)) /* a poll with too many choices for a receipt */
		snprintf(out->counts, sizeof(out->counts), "total %.0f", cJSON_GetNumberValue(total));
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}
