/* answer.c -- a ballot's answer as one text: the key the tally counts by and the store keeps */
#include "answer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *answer_key(const struct ballot *b, char key[ANSWER_KEY_MAX])
{
	const char *names[POLLDEF_CHOICES_MAX];
	size_t k, used = 0, len;

	key[0] = '\0';
	switch (b->kind) {
	case POLLDEF_SINGLE: /* every ballot of a single poll: no snprintf (600 instructions) */
		len = strnlen(b->choice, sizeof(b->choice) - 1);
		memcpy(key, b->choice, len);
		key[len] = '\0';
		break;
	case POLLDEF_SCALE:
		snprintf(key, ANSWER_KEY_MAX, "%" PRId64, b->value);
		break;
	case POLLDEF_MULTIPLE:
	case POLLDEF_RANKED:
		for (k = 0; k < b->nnames && k < POLLDEF_CHOICES_MAX; k++)
			names[k] = b->names[k];
		if (b->kind == POLLDEF_MULTIPLE)
			qsort(names, k, sizeof(names[0]), cmp_name);
		for (k = 0; k < b->nnames && k < POLLDEF_CHOICES_MAX; k++) {
			len = strlen(names[k]);
			if (k)
				key[used++] = '\n';
			memcpy(key + used, names[k], len);
			used += len;
		}
		key[used] = '\0';
		break;
	}
	return key;
}

char *answer_text(const struct ballot *b, char *text, size_t size)
{
	size_t used, k;
	const char *c;

	if (b->kind == POLLDEF_SINGLE) {
		snprintf(text, size, "%s", b->choice);
		return text;
	}
	if (b->kind == POLLDEF_SCALE) {
		snprintf(text, size, "value %" PRId64, b->value);
		return text;
	}
	used = (size_t)snprintf(text, size, "%s [", polldef_kind_field(b->kind));
	for (k = 0; k < b->nnames && used + 8 < size; k++) {
		text[used++] = k ? ',' : '"';
		if (k)
			text[used++] = '"';
		for (c = b->names[k]; *c && used + 6 < size; c++) {
			if (*c == '"' || *c == '\\')
				text[used++] = '\\';
			text[used++] = *c;
		}
		text[used++] = '"';
	}
	snprintf(text + used, size - used, "]");
	return text;
}

int answer_from_key(struct ballot *b, enum polldef_kind kind, const char *key)
{
	const char *nl;
	char *end;
	long long v;
	size_t len;

	b->kind = kind;
	b->choice[0] = '\0';
	b->nnames = 0;
	b->value = 0;
	switch (kind) {
	case POLLDEF_SINGLE:
		if (strlen(key) > BALLOT_TEXT_MAX)
			return -1;
		snprintf(b->choice, sizeof(b->choice), "%s", key);
		return 0;
	case POLLDEF_SCALE:
		errno = 0;
		v = strtoll(key, &end, 10);
		if (!key[0] || *end || errno || v < -POLLDEF_SCALE_ABS_MAX || v > POLLDEF_SCALE_ABS_MAX)
			return -1;
		b->value = v;
		return 0;
	case POLLDEF_MULTIPLE:
	case POLLDEF_RANKED:
		while (*key) {
			nl = strchr(key, '\n');
			len = nl ? (size_t)(nl - key) : strlen(key);
			if (len == 0 || len > BALLOT_TEXT_MAX || b->nnames == POLLDEF_CHOICES_MAX)
				return -1;
			memcpy(b->names[b->nnames], key, len);
			b->names[b->nnames++][len] = '\0';
			key = nl ? nl + 1 : "";
			if (nl && !*key)
				return -1;
		}
		return kind == POLLDEF_RANKED && b->nnames == 0 ? -1 : 0;
	}
	return -1;
}
