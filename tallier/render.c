/* render.c -- the transports' side of the core: its values (verdicts, results, information, answers) rendered as JSON */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "receipt.h"

char *render_receipt(const char *poll, const struct verdict *v, char *err, size_t errlen)
{
	char *result = NULL, *json = NULL;

	if (v->result && !(result = result_json(v->result, err, errlen)))
		goto out;
	json = receipt_to_json(v->id, poll, v->status, v->reason, result, err, errlen);
out:
	free(result);
	return json;
}

char *render_result(struct core *c, const char *poll, char *err, size_t errlen)
{
	struct result_value r;
	char *json;

	if (core_result(c, poll, &r, err, errlen) != 0)
		return NULL;
	json = result_json(&r, err, errlen);
	result_value_free(&r);
	return json;
}

char *render_info(struct core *c, const char *poll, char *err, size_t errlen)
{
	struct polldef d;

	if (core_info(c, poll, &d, err, errlen) != 0)
		return NULL;
	return polldef_info_json(&d, err, errlen);
}

char *render_due(const struct due_result *r, char *err, size_t errlen)
{
	return r->kind == DUE_INFO ? polldef_info_json(&r->info, err, errlen) : result_json(&r->result, err, errlen);
}

/* list_answer: the answer of a list, each poll's information rendered.
 * Returns it, or NULL with err set. */
static char *list_answer(const struct command_answer *a, char *err, size_t errlen)
{
	size_t n = a->nlist, k;
	char **infos = calloc(n ? n : 1, sizeof(*infos));
	char *answer = NULL;

	if (!infos) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (k = 0; k < n; k++)
		if (!(infos[k] = polldef_info_json(&a->list[k], err, errlen)))
			goto out;
	answer = polldef_answer_json(NULL, NULL, NULL, infos, n, err, errlen);
out:
	for (k = 0; infos && k < n; k++)
		free(infos[k]);
	free(infos);
	return answer;
}

char *render_answer(const struct command_answer *a, char *err, size_t errlen)
{
	char why[256] = "", *info = NULL, *result = NULL, *answer = NULL;

	if (!a->ok) {
		answer = polldef_answer_json(a->error, NULL, NULL, NULL, 0, err, errlen);
	} else if (a->is_list) {
		/* a poll whose information cannot be built is said, not silence */
		if (!(answer = list_answer(a, why, sizeof(why))))
			answer = polldef_answer_json(why, NULL, NULL, NULL, 0, err, errlen);
	} else {
		info = a->has_info ? polldef_info_json(&a->info, why, sizeof(why)) : NULL;
		/* a result that cannot be rendered (out of memory): answered without it */
		if (a->result)
			result = result_json(a->result, err, errlen);
		answer = info ? polldef_answer_json(NULL, info, result, NULL, 0, err, errlen)
			      : polldef_answer_json(why, NULL, NULL, NULL, 0, err, errlen);
	}
	free(info);
	free(result);
	return answer;
}

enum core_seen render_seen(struct core *c, const char *poll, const void *payload, size_t len)
{
	struct result_value r;
	char err[128], *json = NULL;
	uint64_t version = 0;
	bool same = false;

	/* no result (no such poll, the core failed): the core says which */
	if (core_result(c, poll, &r, err, sizeof(err)) == 0) {
		version = r.version;
		json = result_json(&r, err, sizeof(err)); /* out of memory: not the same */
		same = json && strlen(json) == len && memcmp(json, payload, len) == 0;
		result_value_free(&r);
	}
	free(json);
	return core_result_seen(c, poll, version, same);
}
