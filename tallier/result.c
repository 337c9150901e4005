/* result.c -- a poll's result as the JSON published on vote/<poll>/result */
#include "result.h"

#include <cjson/cJSON.h>
#include <stdio.h>

#include "vtime.h"

static int add_count(void *ctx, const char *choice, uint64_t votes)
{
	return cJSON_AddNumberToObject(ctx, choice, (double)votes) ? 0 : -1;
}

char *result_json(const struct tally *t, size_t i, const struct result_view *view, char *err, size_t errlen)
{
	char updated[VTIME_ISO_LEN];
	cJSON *root = cJSON_CreateObject(), *counts;
	char *json = NULL;

	if (!root || !cJSON_AddStringToObject(root, "poll", tally_poll_name(t, i)))
		goto out;
	if (!view || !view->hide_counts) {
		counts = cJSON_AddObjectToObject(root, "counts");
		if (!counts || tally_poll_each_choice(t, i, add_count, counts) != 0)
			goto out;
	}
	if (vtime_format_iso(tally_poll_updated(t, i), updated, sizeof(updated)) != 0)
		snprintf(updated, sizeof(updated), "1970-01-01T00:00:00.000Z");
	if (!cJSON_AddNumberToObject(root, "total", (double)tally_poll_total(t, i)) ||
	    !cJSON_AddNumberToObject(root, "rejected", (double)tally_poll_rejected(t, i)) ||
	    !cJSON_AddStringToObject(root, "updated", updated))
		goto out;
	if (view && view->status && !cJSON_AddStringToObject(root, "status", view->status))
		goto out;
	if (view && view->hide_counts && !cJSON_AddStringToObject(root, "results", "after-close"))
		goto out;
	json = cJSON_PrintUnformatted(root);
out:
	if (!json)
		snprintf(err, errlen, "out of memory building the result JSON");
	cJSON_Delete(root);
	return json;
}
