/* answer.c -- the tallier's answer to an organiser's command, read and printed */
#include "answer.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "jsonguard.h"
#include "polldef.h"
#include "pollinfo.h"
#include "when.h"

/* print_result: show's "result" (counts and total), when there is one. */
static void print_result(const cJSON *root, FILE *out)
{
	const cJSON *result = cJSON_GetObjectItemCaseSensitive(root, "result");
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(result, "counts");
	const cJSON *total = cJSON_GetObjectItemCaseSensitive(result, "total");
	const cJSON *c;
	const char *sep = "";

	if (!cJSON_IsObject(result)) {
		fprintf(out, "  result:  none yet\n");
		return;
	}
	fprintf(out, "  result:  ");
	cJSON_ArrayForEach(c, counts) {
		if (cJSON_IsNumber(c)) {
			fprintf(out, "%s%s %.0f", sep, c->string, c->valuedouble);
			sep = ", ";
		}
	}
	if (cJSON_IsNumber(total)) /* after-close, while open: the total alone */
		fprintf(out, *sep ? " (total %.0f)" : "total %.0f", total->valuedouble);
	fputc('\n', out);
}

/* print_list: list's polls, one line each. Returns 0, or -1 with err. */
static int print_list(const cJSON *root, int64_t now_ms, FILE *out, char *err, size_t errlen)
{
	const cJSON *polls = cJSON_GetObjectItemCaseSensitive(root, "polls");
	const cJSON *p;
	struct polldef d;
	char closes[64], left[32], why[256];

	if (!cJSON_IsArray(polls)) {
		snprintf(err, errlen, "no 'polls' in the answer to list");
		return -1;
	}
	if (cJSON_GetArraySize(polls) == 0)
		fprintf(out, "no polls\n");
	cJSON_ArrayForEach(p, polls) {
		char *text = cJSON_PrintUnformatted(p);
		int rc = -1;

		snprintf(why, sizeof(why), "out of memory");
		if (text)
			rc = polldef_info_parse(text, strlen(text), &d, why, sizeof(why));
		free(text);
		if (rc != 0) {
			snprintf(err, errlen, "a poll of the list cannot be read: %s", why);
			return -1;
		}
		fprintf(out, "%-16s %-9s %s -- closes %s", d.poll, polldef_status_word(d.status),
			d.defined ? d.question : "(no question)",
			d.closes_ms ? pollinfo_local(d.closes_ms, closes, sizeof(closes)) : "by hand");
		if (d.closes_ms > now_ms && d.status != POLLDEF_CLOSED)
			fprintf(out, " (in %s)", when_format_left(d.closes_ms - now_ms, left, sizeof(left)));
		fputc('\n', out);
	}
	return 0;
}

enum answer_kind answer_print(enum opts_cmd cmd, const void *payload, size_t len, bool quiet, int64_t now_ms,
			      FILE *out, char *err, size_t errlen)
{
	struct polldef_answer a;
	struct polldef info;
	char text[POLLINFO_TEXT_MAX];
	bool has_info = false;
	cJSON *root = NULL;
	enum answer_kind res = ANSWER_INVALID;

	if (polldef_answer_parse(payload, len, &a, &info, &has_info, err, errlen) != 0)
		goto out;
	if (!a.ok) {
		snprintf(err, errlen, "%s", a.error[0] ? a.error : "no reason given");
		res = ANSWER_REFUSED;
		goto out;
	}
	if (cmd != OPTS_CMD_LIST && !has_info) {
		snprintf(err, errlen, "no 'info' in the answer");
		goto out;
	}
	if (quiet) {
		res = ANSWER_DONE;
		goto out;
	}
	if (cmd != OPTS_CMD_LIST)
		fputs(pollinfo_describe(&info, now_ms, text, sizeof(text)), out);
	if (cmd == OPTS_CMD_LIST || cmd == OPTS_CMD_SHOW) {
		root = jsonguard_parse(payload, len, err, errlen);
		if (!root)
			goto out;
		if (cmd == OPTS_CMD_SHOW)
			print_result(root, out);
		else if (print_list(root, now_ms, out, err, errlen) != 0)
			goto out;
	}
	res = ANSWER_DONE;
out:
	cJSON_Delete(root);
	return res;
}
