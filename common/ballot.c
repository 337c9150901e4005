/* ballot.c -- a ballot: its JSON wire format, its validation, its id */
#include "ballot.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "jsonguard.h"
#include "receipt.h"
#include "textrule.h"

#define TEXT_RULE "must be a string of 1 to 64 bytes of UTF-8 without control characters"

int ballot_text_norm(const char *s, char out[BALLOT_TEXT_MAX + 1], char *why, size_t whylen)
{
	return textrule_name(s, BALLOT_TEXT_MAX, out, BALLOT_TEXT_MAX + 1, why, whylen);
}

int ballot_text_check(const char *s, char *why, size_t whylen)
{
	char out[BALLOT_TEXT_MAX + 1];

	return ballot_text_norm(s, out, why, whylen);
}

bool ballot_text_valid(const char *s)
{
	return ballot_text_check(s, NULL, 0) == 0;
}

/* get_text: the string field name of obj, in NFC, into dst, and as
 * received into sent when that differs ("" otherwise); both at least
 * BALLOT_TEXT_MAX + 1 bytes. Returns 1 when copied, 0 when absent, -1 with
 * err set when invalid. */
static int get_text(const cJSON *obj, const char *name, char *dst, char *sent, char *err, size_t errlen)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	char why[64] = "";

	if (!item)
		return 0;
	if (!cJSON_IsString(item) || !item->valuestring ||
	    ballot_text_norm(item->valuestring, dst, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid field '%s': %s", name, why[0] ? why : TEXT_RULE);
		return -1;
	}
	if (strcmp(dst, item->valuestring) != 0)
		strcpy(sent, item->valuestring); /* fits: ballot_text_norm bounds it */
	return 1;
}

/* get_hex: the optional field name (32 hex digits) of obj, lower-cased,
 * into dst (BALLOT_ID_HEX + 1 bytes), *has set. The "id" and the
 * "instance". Returns 0, or -1 with err set. */
static int get_hex(const cJSON *obj, const char *name, char *dst, bool *has, char *err, size_t errlen)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	size_t i;

	if (!item)
		return 0;
	if (!cJSON_IsString(item) || !item->valuestring || strlen(item->valuestring) != BALLOT_ID_HEX)
		goto bad;
	for (i = 0; i < BALLOT_ID_HEX; i++) {
		unsigned char c = (unsigned char)item->valuestring[i];

		if (!isxdigit(c))
			goto bad;
		dst[i] = (char)tolower(c);
	}
	dst[BALLOT_ID_HEX] = '\0';
	*has = true;
	return 0;
bad:
	snprintf(err, errlen, "invalid field '%s': must be a string of 32 hex digits", name);
	return -1;
}

/* get_ts: the optional "ts" field into b. Returns 0, or -1 with err set. */
static int get_ts(const cJSON *obj, struct ballot *b, char *err, size_t errlen)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "ts");
	double d;

	if (!item)
		return 0;
	if (!cJSON_IsNumber(item))
		goto bad;
	d = item->valuedouble;
	if (!(d >= 0) || d > (double)BALLOT_TS_MAX || floor(d) != d)
		goto bad;
	b->ts = (int64_t)d;
	b->has_ts = true;
	return 0;
bad:
	snprintf(err, errlen, "invalid field 'ts': must be an integer from 0 to 2^53-1");
	return -1;
}

/* get_sig: the optional "sig" field into b: its form only (86 base64
 * characters and "=="), the signature itself is sign_verify's to check.
 * Returns 0, or -1 with err set. */
static int get_sig(const cJSON *obj, struct ballot *b, char *err, size_t errlen)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "sig");
	const char *s;

	if (!item)
		return 0;
	s = cJSON_IsString(item) ? item->valuestring : NULL;
	if (!s || strlen(s) != BALLOT_SIG_B64 || strspn(s, b64) != BALLOT_SIG_B64 - 2 ||
	    strcmp(s + BALLOT_SIG_B64 - 2, "==") != 0) {
		snprintf(err, errlen, "invalid field 'sig': must be a string of 88 characters of base64 "
				      "(a 64-byte Ed25519 signature)");
		return -1;
	}
	memcpy(b->sig, s, BALLOT_SIG_B64 + 1);
	b->has_sig = true;
	return 0;
}

/* get_names: the field name of obj, an array of nmin to
 * POLLDEF_CHOICES_MAX distinct names under the rules of a choice, into b
 * (in NFC, and as received when that differs). Returns 0, or -1 with err
 * set. */
static int get_names(const cJSON *obj, const char *name, int nmin, struct ballot *b, char *err, size_t errlen)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, name), *item;
	char why[64];
	size_t k;

	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < nmin || cJSON_GetArraySize(arr) > POLLDEF_CHOICES_MAX) {
		snprintf(err, errlen, BALLOT_RULE_NAMES, name, nmin, POLLDEF_CHOICES_MAX);
		return -1;
	}
	cJSON_ArrayForEach(item, arr)
	{
		char *dst = b->names[b->nnames];

		why[0] = '\0';
		if (!cJSON_IsString(item) || !item->valuestring || ballot_text_norm(item->valuestring, dst, why, sizeof(why)) != 0) {
			snprintf(err, errlen, BALLOT_RULE_NAME, name, b->nnames + 1, why[0] ? why : TEXT_RULE);
			return -1;
		}
		for (k = 0; k < b->nnames; k++) {
			if (strcmp(b->names[k], dst) == 0) {
				snprintf(err, errlen, BALLOT_RULE_TWICE, name, dst);
				return -1;
			}
		}
		if (strcmp(dst, item->valuestring) != 0)
			strcpy(b->names_sent[b->nnames], item->valuestring); /* fits: ballot_text_norm bounds it */
		b->nnames++;
	}
	return 0;
}

/* get_value: the "value" field of obj into b. Returns 0, or -1 with err set. */
static int get_value(const cJSON *obj, struct ballot *b, char *err, size_t errlen)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "value");
	double d = cJSON_IsNumber(item) ? item->valuedouble : NAN;

	if (!(d >= -POLLDEF_SCALE_ABS_MAX && d <= POLLDEF_SCALE_ABS_MAX) || floor(d) != d) {
		snprintf(err, errlen, BALLOT_RULE_VALUE);
		return -1;
	}
	b->value = (int64_t)d;
	return 0;
}

/* get_answer: the one answer field of obj ("choice", "picks", "ranking"
 * or "value": pollkind.h) into b, its kind set. Returns 0, or -1 with err
 * set. */
static int get_answer(const cJSON *obj, struct ballot *b, char *err, size_t errlen)
{
	const char *first = NULL;
	int k, got;

	for (k = 0; k < POLLDEF_KINDS; k++) {
		const char *field = polldef_kind_field((enum polldef_kind)k);

		if (!cJSON_GetObjectItemCaseSensitive(obj, field))
			continue;
		if (first) {
			snprintf(err, errlen, BALLOT_RULE_TWO_ANSWERS, first, field);
			return -1;
		}
		first = field;
		b->kind = (enum polldef_kind)k;
	}
	switch (b->kind) {
	case POLLDEF_MULTIPLE:
		return get_names(obj, "picks", 0, b, err, errlen);
	case POLLDEF_RANKED:
		return get_names(obj, "ranking", 1, b, err, errlen);
	case POLLDEF_SCALE:
		return get_value(obj, b, err, errlen);
	default:
		if ((got = get_text(obj, "choice", b->choice, b->choice_sent, err, errlen)) == 0)
			snprintf(err, errlen, "missing field 'choice'");
		return got == 1 ? 0 : -1;
	}
}

int ballot_answers(const struct ballot *b, enum polldef_kind kind, char *why, size_t whylen)
{
	static const char *const takes[POLLDEF_KINDS] = { "one choice", "picks", "a ranking", "a value" };

	if (b->kind == kind)
		return 0;
	snprintf(why, whylen, BALLOT_RULE_KIND, (size_t)kind < POLLDEF_KINDS ? takes[kind] : "?",
		 polldef_kind_field(kind));
	return -1;
}

/* get_reply: what the "reply" field of root asks, into *reply. */
static void get_reply(const cJSON *root, const char *poll, struct ballot_reply *reply)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "reply");
	char why[160];

	memset(reply, 0, sizeof(*reply));
	if (!item)
		return;
	if (!cJSON_IsString(item) || !item->valuestring)
		snprintf(reply->problem, sizeof(reply->problem), "field 'reply' is not a string");
	else if (receipt_topic_check(poll, item->valuestring, strlen(item->valuestring), why, sizeof(why)) != 0)
		snprintf(reply->problem, sizeof(reply->problem), "field 'reply' is %s", why);
	else
		snprintf(reply->topic, sizeof(reply->topic), "%s", item->valuestring);
}

int ballot_parse(const char *poll, const void *payload, size_t len, struct ballot *out,
		 struct ballot_reply *reply, char *err, size_t errlen)
{
	const char *text = payload;
	const cJSON *item;
	cJSON *root = NULL;
	char err2[80];
	int rc = -1, got;

	memset(out, 0, sizeof(*out));
	if (reply)
		memset(reply, 0, sizeof(*reply));
	if (len > BALLOT_PAYLOAD_MAX) {
		snprintf(err, errlen, "payload too large (%zu bytes, at most %d)", len, BALLOT_PAYLOAD_MAX);
		goto out;
	}
	root = jsonguard_parse(text, len, err, errlen);
	if (!root)
		goto out;
	/* first, so that a ballot refused for any of its fields is answered
	 * over MQTT 3.1.1 as over MQTT 5 (whose Response Topic is no field) */
	if (reply)
		get_reply(root, poll, reply);
	item = cJSON_GetObjectItemCaseSensitive(root, "poll");
	if (item && (!cJSON_IsString(item) || !item->valuestring || strcmp(item->valuestring, poll) != 0)) {
		snprintf(err, errlen, "field 'poll' does not match the topic");
		goto out;
	}
	if ((got = get_text(root, "voter", out->voter, out->voter_sent, err, errlen)) <= 0) {
		if (got == 0)
			snprintf(err, errlen, "missing field 'voter'");
		goto out;
	}
	if (get_answer(root, out, err, errlen) != 0)
		goto out;
	if (get_hex(root, "id", out->id, &out->has_id, err, errlen) != 0 || get_ts(root, out, err, errlen) != 0 ||
	    get_hex(root, "instance", out->instance, &out->has_instance, err, errlen) != 0 ||
	    get_sig(root, out, err, errlen) != 0)
		goto out;
	if (snprintf(out->poll, sizeof(out->poll), "%s", poll) >= (int)sizeof(out->poll)) {
		snprintf(err, errlen, "poll name too long");
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		/* *reply stays, and so does a valid id: a refusal is answered too,
		 * and the answer names its ballot */
		memset(out, 0, sizeof(*out));
		if (root && get_hex(root, "id", out->id, &out->has_id, err2, sizeof(err2)) != 0)
			memset(out, 0, sizeof(*out));
	}
	cJSON_Delete(root);
	return rc;
}

/* add_answer: b's answer to root, the field its kind says. */
static bool add_answer(cJSON *root, const struct ballot *b)
{
	const char *field = polldef_kind_field(b->kind), *list[POLLDEF_CHOICES_MAX];
	char value[24];
	size_t k;

	switch (b->kind) {
	case POLLDEF_MULTIPLE:
	case POLLDEF_RANKED:
		for (k = 0; k < b->nnames; k++)
			list[k] = b->names[k];
		return jsonguard_add_strings(root, field, list, b->nnames);
	case POLLDEF_SCALE:
		snprintf(value, sizeof(value), "%lld", (long long)b->value);
		return cJSON_AddRawToObject(root, field, value) != NULL;
	default:
		return cJSON_AddStringToObject(root, field, b->choice) != NULL;
	}
}

char *ballot_to_json(const struct ballot *b, const char *reply, char *err, size_t errlen)
{
	cJSON *root = cJSON_CreateObject();
	char *json = NULL, ts[24];

	/* ts as plain digits: cJSON prints numbers with %1.15g, which turns
	 * 2^53-1 into 9.00719925474099e+15 */
	snprintf(ts, sizeof(ts), "%lld", (long long)b->ts);
	if (root && cJSON_AddStringToObject(root, "poll", b->poll) &&
	    cJSON_AddStringToObject(root, "voter", b->voter) && add_answer(root, b) &&
	    (!b->has_id || cJSON_AddStringToObject(root, "id", b->id)) &&
	    (!b->has_ts || cJSON_AddRawToObject(root, "ts", ts)) &&
	    (!b->has_instance || cJSON_AddStringToObject(root, "instance", b->instance)) &&
	    (!b->has_sig || cJSON_AddStringToObject(root, "sig", b->sig)) &&
	    (!reply || !*reply || cJSON_AddStringToObject(root, "reply", reply)))
		json = cJSON_PrintUnformatted(root);
	if (!json)
		snprintf(err, errlen, "out of memory building the ballot JSON");
	cJSON_Delete(root);
	return json;
}

int ballot_new_id(char id[BALLOT_ID_HEX + 1], char *err, size_t errlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[BALLOT_ID_HEX / 2];
	size_t got = 0, i;
	ssize_t n;

	while (got < sizeof(raw)) {
		n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot get random bytes: %s", strerror(errno));
			return -1;
		}
		got += (size_t)n;
	}
	for (i = 0; i < sizeof(raw); i++) {
		id[2 * i] = hex[raw[i] >> 4];
		id[2 * i + 1] = hex[raw[i] & 0xF];
	}
	id[BALLOT_ID_HEX] = '\0';
	return 0;
}
