/* polldef.c -- a poll an organiser defined: its question, choices, opening and closing; the wire formats of its information and of the organiser's commands */
#include "polldef.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonguard.h"
#include "sign.h"
#include "textrule.h"
#include "utf8.h"
#include "vtime.h"

static const char *const status_words[] = { "scheduled", "open", "closed" };
static const char *const results_words[] = { "live", "after-close" };
static const char *const cmd_words[] = { "open", "close", "show", "list" };
static const char *const kind_words[] = { "single", "multiple", "ranked", "scale" };
static const char *const kind_fields[] = { "choice", "picks", "ranking", "value" };

/* The rules of a question's kind, each spelt once (docs/contract.md quotes them). */
#define RULE_CHOICES "'choices' must be a list of 1 to %d choices"
#define RULE_KIND "'kind' must be \"single\", \"multiple\", \"ranked\" or \"scale\""
#define RULE_OTHER_KIND "'%s' is a parameter of a %s poll, not of a %s one"
#define RULE_RANKED_CHOICES "'choices' of a ranked poll must be a list of 2 to %d choices"
#define RULE_SCALE_CHOICES "a scale poll takes no 'choices' (its voters give a value from 'low' to 'high')"
#define RULE_MAX_PICKS "'max_picks' must be an integer from 1 to the number of choices (%zu)"
#define RULE_MIN_PICKS "'min_picks' must be an integer from 0 to 'max_picks' (%zu)"
#define RULE_SCALE_END "'%s' must be an integer from -1000000 to 1000000 (a scale poll needs 'low' and 'high')"
#define RULE_SCALE_SPAN "'high' must be 1 to 100 more than 'low' (a scale of 2 to 101 values)"
#define RULE_LABEL "'%s' must be 1 to 64 bytes of UTF-8 without control characters"

#define NWORDS(a) (sizeof(a) / sizeof((a)[0]))

static int word_index(const char *const *words, size_t n, const char *word)
{
	size_t k;

	for (k = 0; word && k < n; k++)
		if (strcmp(words[k], word) == 0)
			return (int)k;
	return -1;
}

const char *polldef_status_word(enum polldef_status s)
{
	return (size_t)s < NWORDS(status_words) ? status_words[s] : "?";
}

const char *polldef_results_word(enum polldef_results r)
{
	return (size_t)r < NWORDS(results_words) ? results_words[r] : "?";
}

const char *polldef_kind_word(enum polldef_kind k)
{
	return (size_t)k < NWORDS(kind_words) ? kind_words[k] : "?";
}

const char *polldef_kind_field(enum polldef_kind k)
{
	return (size_t)k < NWORDS(kind_fields) ? kind_fields[k] : "?";
}

int polldef_parse_kind(const char *word, enum polldef_kind *out)
{
	int k = word_index(kind_words, NWORDS(kind_words), word);

	if (k < 0)
		return -1;
	*out = (enum polldef_kind)k;
	return 0;
}

int polldef_parse_status(const char *word, enum polldef_status *out)
{
	int k = word_index(status_words, NWORDS(status_words), word);

	if (k < 0)
		return -1;
	*out = (enum polldef_status)k;
	return 0;
}

int polldef_parse_results(const char *word, enum polldef_results *out)
{
	int k = word_index(results_words, NWORDS(results_words), word);

	if (k < 0)
		return -1;
	*out = (enum polldef_results)k;
	return 0;
}

bool polldef_has_choice(const struct polldef *d, const char *choice)
{
	size_t k;

	if (d->nchoices == 0)
		return true;
	for (k = 0; k < d->nchoices; k++)
		if (strcmp(d->choices[k], choice) == 0)
			return true;
	return false;
}

int polldef_clamp_times(struct polldef *d, char *err, size_t errlen)
{
	const char *names[] = { "opens", "closes", "closed" };
	int64_t *times[] = { &d->opens_ms, &d->closes_ms, &d->closed_ms };
	char iso[VTIME_ISO_LEN];
	size_t k, used = 0;
	int n, fixed = 0;

	for (k = 0; k < 3; k++) {
		int64_t was = *times[k];

		if (vtime_in_range(was))
			continue;
		fixed = 1;
		*times[k] = was > VTIME_MS_MAX ? VTIME_MS_MAX : times[k] == &d->closes_ms ? 1 : VTIME_MS_MIN;
		if (vtime_format_iso(*times[k], iso, sizeof(iso)) != 0) /* cannot fail: in range */
			snprintf(iso, sizeof(iso), "?");
		n = used < errlen ? snprintf(err + used, errlen - used, "%s'%s' %lld ms is out of range ("
					     VTIME_RANGE_TEXT "): taken as %s", used ? "; " : "", names[k], (long long)was, iso)
				  : 0;
		if (n > 0)
			used += (size_t)n < errlen - used ? (size_t)n : errlen - used;
	}
	return fixed;
}

/* ---- building ---- */

/* add_time: "name": ISO time of ms (vtime_in_range: info_times checked
 * it), or null when ms is 0 and nullable. */
static bool add_time(cJSON *o, const char *name, int64_t ms, bool nullable)
{
	char iso[VTIME_ISO_LEN];

	if (ms == 0 && nullable)
		return cJSON_AddNullToObject(o, name) != NULL;
	return vtime_format_iso(ms, iso, sizeof(iso)) == 0 && cJSON_AddStringToObject(o, name, iso) != NULL;
}

/* info_times: whether each of d's times can be written (vtime_in_range);
 * if not, err names it. */
static bool info_times(const struct polldef *d, char *err, size_t errlen)
{
	const char *names[] = { "opens", "closes", "closed" };
	const int64_t times[] = { d->opens_ms, d->closes_ms, d->closed_ms };
	size_t k;

	for (k = 0; k < 3; k++) {
		if (!vtime_in_range(times[k])) {
			snprintf(err, errlen, "poll %s: '%s' (%lld ms) cannot be written as a time: " VTIME_RANGE_RULE,
				 d->poll, names[k], (long long)times[k]);
			return false;
		}
	}
	return true;
}

static bool add_choices(cJSON *o, const struct polldef *d, bool nullable)
{
	const char *list[POLLDEF_CHOICES_MAX];
	size_t k;

	if (d->nchoices == 0 && nullable)
		return cJSON_AddNullToObject(o, "choices") != NULL;
	for (k = 0; k < d->nchoices; k++)
		list[k] = d->choices[k];
	return jsonguard_add_strings(o, "choices", list, d->nchoices);
}

/* add_label: "name": label, or null when it is "" and nullable (else nothing). */
static bool add_label(cJSON *o, const char *name, const char *label, bool nullable)
{
	if (!label[0])
		return !nullable || cJSON_AddNullToObject(o, name) != NULL;
	return cJSON_AddStringToObject(o, name, label) != NULL;
}

/* add_kind: d's kind and its parameters, nothing for a single poll (whose
 * information and command stay as they were before kinds). all: the
 * information, every parameter written out; else a command, which leaves
 * out a "max_picks" of 0 (the number of choices) and an empty label. */
static bool add_kind(cJSON *o, const struct polldef *d, bool all)
{
	if (d->kind == POLLDEF_SINGLE)
		return true;
	if (!cJSON_AddStringToObject(o, "kind", polldef_kind_word(d->kind)))
		return false;
	switch (d->kind) {
	case POLLDEF_MULTIPLE:
		return cJSON_AddNumberToObject(o, "min_picks", (double)d->min_picks) &&
		       ((!all && d->max_picks == 0) || cJSON_AddNumberToObject(o, "max_picks", (double)d->max_picks));
	case POLLDEF_RANKED:
		return cJSON_AddBoolToObject(o, "full", d->full) != NULL;
	case POLLDEF_SCALE:
		return cJSON_AddNumberToObject(o, "low", (double)d->low) &&
		       cJSON_AddNumberToObject(o, "high", (double)d->high) &&
		       add_label(o, "low_label", d->low_label, all) && add_label(o, "high_label", d->high_label, all);
	default:
		return false;
	}
}

/* info_object: the information of d as a cJSON object, or NULL. */
static cJSON *info_object(const struct polldef *d)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddStringToObject(o, "poll", d->poll) &&
		  (d->question[0] ? cJSON_AddStringToObject(o, "question", d->question) != NULL
				  : cJSON_AddNullToObject(o, "question") != NULL) &&
		  add_choices(o, d, true) && cJSON_AddStringToObject(o, "status", polldef_status_word(d->status)) &&
		  add_time(o, "opens", d->opens_ms, !d->defined) && add_time(o, "closes", d->closes_ms, true) &&
		  add_time(o, "closed", d->status == POLLDEF_CLOSED ? d->closed_ms : 0, true) &&
		  cJSON_AddStringToObject(o, "results", polldef_results_word(d->results)) &&
		  cJSON_AddBoolToObject(o, "revote", d->revote) && cJSON_AddBoolToObject(o, "defined", d->defined) &&
		  cJSON_AddBoolToObject(o, "signed", d->signed_only || d->roll[0] != '\0') &&
		  (!d->instance[0] || cJSON_AddStringToObject(o, "instance", d->instance)) && add_kind(o, d, true);

	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static char *print_free(cJSON *o, char *err, size_t errlen)
{
	char *json = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	if (!json)
		snprintf(err, errlen, "out of memory");
	return json;
}

char *polldef_info_json(const struct polldef *d, char *err, size_t errlen)
{
	/* checked first: a NULL from info_object is then out of memory */
	if (!info_times(d, err, errlen))
		return NULL;
	return print_free(info_object(d), err, errlen);
}

char *polldef_cmd_json(const struct polldef_cmd *cmd, char *err, size_t errlen)
{
	const struct polldef *d = &cmd->def;
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddStringToObject(o, "cmd", cmd_words[cmd->kind]);

	if (ok && cmd->kind != POLLDEF_CMD_LIST)
		ok = cJSON_AddStringToObject(o, "poll", d->poll) != NULL;
	if (ok && cmd->kind == POLLDEF_CMD_OPEN) {
		ok = cJSON_AddStringToObject(o, "question", d->question) &&
		     (d->kind == POLLDEF_SCALE || add_choices(o, d, false)) && add_kind(o, d, false) &&
		     (!cmd->has_opens || cJSON_AddNumberToObject(o, "opens", (double)d->opens_ms)) &&
		     (d->closes_ms == 0 || cJSON_AddNumberToObject(o, "closes", (double)d->closes_ms)) &&
		     cJSON_AddStringToObject(o, "results", polldef_results_word(d->results)) &&
		     cJSON_AddBoolToObject(o, "revote", d->revote) &&
		     (!d->roll[0] || cJSON_AddStringToObject(o, "roll", d->roll));
	}
	if (ok && cmd->reply[0])
		ok = cJSON_AddStringToObject(o, "reply", cmd->reply) != NULL;
	if (!ok) {
		cJSON_Delete(o);
		o = NULL;
	}
	return print_free(o, err, errlen);
}

/* ---- parsing ---- */

/* get_string: o's field name as a string of at most max bytes into buf
 * (max + 1 bytes). Returns 1, 0 when absent or null, -1 (err set) when
 * of another type or too long. */
static int get_string(const cJSON *o, const char *name, char *buf, size_t max, char *err, size_t errlen)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!f || cJSON_IsNull(f))
		return 0;
	if (!cJSON_IsString(f) || strlen(f->valuestring) > max) {
		snprintf(err, errlen, "'%s' must be a string of at most %zu bytes", name, max);
		return -1;
	}
	memcpy(buf, f->valuestring, strlen(f->valuestring) + 1);
	return 1;
}

/* get_ms: o's field name, a whole number of ms since the epoch that
 * vtime_in_range takes (0 included: 1970-01-01T00:00:00Z). Returns 1, 0
 * when absent or null, -1 (err set) otherwise. */
static int get_ms(const cJSON *o, const char *name, int64_t *out, char *err, size_t errlen)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!f || cJSON_IsNull(f))
		return 0;
	/* compared as doubles first: the range's ends are exact in a double */
	if (!cJSON_IsNumber(f) || !(f->valuedouble >= (double)VTIME_MS_MIN) ||
	    f->valuedouble > (double)VTIME_MS_MAX || f->valuedouble != (double)(int64_t)f->valuedouble ||
	    !vtime_in_range((int64_t)f->valuedouble)) {
		snprintf(err, errlen, "'%s' must be a time in ms since the epoch, %lld to %lld (" VTIME_RANGE_TEXT ")",
			 name, VTIME_MS_MIN, VTIME_MS_MAX);
		return -1;
	}
	*out = (int64_t)f->valuedouble;
	return 1;
}

/* parse_iso: our own "YYYY-MM-DDTHH:MM:SS.mmmZ" back to ms. */
static int parse_iso(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	int ms, used = 0;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, &ms, &used) != 7 ||
	    used != (int)strlen(s))
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t)-1 || ms < 0 || !vtime_in_range((int64_t)t * 1000 + ms))
		return -1;
	*out = (int64_t)t * 1000 + ms;
	return 0;
}

/* get_iso: o's field name, an ISO time; 0 (and *out 0) when null. */
static int get_iso(const cJSON *o, const char *name, int64_t *out, char *err, size_t errlen)
{
	char buf[VTIME_ISO_LEN + 8];
	int got = get_string(o, name, buf, sizeof(buf) - 1, err, errlen);

	*out = 0;
	if (got == 1 && parse_iso(buf, out) != 0) {
		snprintf(err, errlen, "'%s' is not a time of the form 2026-11-30T10:05:00.000Z", name);
		return -1;
	}
	return got;
}

/* take_choice: s as a choice into out (BALLOT_TEXT_MAX + 1 bytes): made
 * by an organiser (made), under the text rules and in NFC; or read from a
 * poll's information, which the tallier made so, as it is once it is
 * choice-sized UTF-8 text (applying the rules again would load ICU into
 * every voter for nothing: icuload.h). Returns 0, or -1 with why set ("" for
 * the general rule). */
static int take_choice(const char *s, bool made, char *out, char *why, size_t whylen)
{
	size_t len = strlen(s);

	if (made)
		return ballot_text_norm(s, out, why, whylen);
	why[0] = '\0';
	if (len < 1 || len > BALLOT_TEXT_MAX || !utf8_text_valid(s, len))
		return -1;
	memcpy(out, s, len + 1);
	return 0;
}

/* get_choices: o's "choices", an array of distinct valid choices, into d;
 * absent or null: none (d->nchoices 0). made: an organiser's list, under
 * the text rules, no two of them confusable; else a poll's information
 * (take_choice). Returns 0, or -1 with err set. */
static int get_choices(const cJSON *o, struct polldef *d, bool made, char *err, size_t errlen)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "choices"), *c;
	const char *list[POLLDEF_CHOICES_MAX];
	char why[TEXTRULE_WHY_MAX];
	size_t k;

	d->nchoices = 0;
	if (!arr || cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1 || cJSON_GetArraySize(arr) > POLLDEF_CHOICES_MAX) {
		snprintf(err, errlen, RULE_CHOICES, POLLDEF_CHOICES_MAX);
		return -1;
	}
	cJSON_ArrayForEach(c, arr)
	{
		why[0] = '\0';
		if (!cJSON_IsString(c) || take_choice(c->valuestring, made, d->choices[d->nchoices], why, sizeof(why)) != 0) {
			snprintf(err, errlen, "choice %zu: %s", d->nchoices + 1,
				 cJSON_IsString(c) && why[0] ? why
							     : "must be 1 to 64 bytes of UTF-8 without control characters");
			return -1;
		}
		for (k = 0; k < d->nchoices; k++) {
			if (strcmp(d->choices[k], d->choices[d->nchoices]) == 0) {
				snprintf(err, errlen, "choices: '%s' given twice", d->choices[k]);
				return -1;
			}
		}
		d->nchoices++;
	}
	for (k = 0; k < d->nchoices; k++)
		list[k] = d->choices[k];
	if (made && textrule_choices_check(list, d->nchoices, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "choices: %s", why);
		return -1;
	}
	return 0;
}

static int get_poll(const cJSON *o, char *poll, char *err, size_t errlen)
{
	if (get_string(o, "poll", poll, TOPIC_POLL_MAX, err, errlen) != 1 || !topic_poll_valid(poll, strlen(poll))) {
		snprintf(err, errlen, "'poll': " TOPIC_POLL_RULE);
		return -1;
	}
	return 0;
}

/* get_bool: o's field name, a boolean; absent: dflt. */
static int get_bool(const cJSON *o, const char *name, bool dflt, bool *out, char *err, size_t errlen)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);

	*out = dflt;
	if (!f)
		return 0;
	if (!cJSON_IsBool(f)) {
		snprintf(err, errlen, "'%s' must be true or false", name);
		return -1;
	}
	*out = cJSON_IsTrue(f);
	return 0;
}

static int get_results(const cJSON *o, enum polldef_results *out, char *err, size_t errlen)
{
	char word[16];
	int got = get_string(o, "results", word, sizeof(word) - 1, err, errlen);

	*out = POLLDEF_LIVE;
	if (got == 1 && polldef_parse_results(word, out) != 0)
		got = -1;
	if (got < 0)
		snprintf(err, errlen, "'results' must be \"live\" or \"after-close\"");
	return got < 0 ? -1 : 0;
}

/* get_status: the "status" field, which must be there. Returns 0, or -1
 * with err set. */
static int get_status(const cJSON *o, enum polldef_status *out, char *err, size_t errlen)
{
	char word[16];

	if (get_string(o, "status", word, sizeof(word) - 1, err, errlen) != 1 ||
	    polldef_parse_status(word, out) != 0) {
		snprintf(err, errlen, "'status' must be \"scheduled\", \"open\" or \"closed\"");
		return -1;
	}
	return 0;
}

/* get_int: o's field name, an integer from min to max. Returns 1, 0 when
 * absent or null, -1 when it is no such integer (the caller words why). */
static int get_int(const cJSON *o, const char *name, int64_t min, int64_t max, int64_t *out)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!f || cJSON_IsNull(f))
		return 0;
	/* compared as doubles first: NaN and huge values never reach the cast */
	if (!cJSON_IsNumber(f) || !(f->valuedouble >= (double)min) || f->valuedouble > (double)max ||
	    f->valuedouble != (double)(int64_t)f->valuedouble)
		return -1;
	*out = (int64_t)f->valuedouble;
	return 1;
}

/* get_label: o's optional text field name (a scale's end), under the text
 * rules of a choice (take_choice), into out; "" when absent or null.
 * Returns 0, or -1 with err set. */
static int get_label(const cJSON *o, const char *name, bool made, char *out, char *err, size_t errlen)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
	char why[TEXTRULE_WHY_MAX] = "";

	out[0] = '\0';
	if (!f || cJSON_IsNull(f))
		return 0;
	if (cJSON_IsString(f) && take_choice(f->valuestring, made, out, why, sizeof(why)) == 0)
		return 0;
	if (cJSON_IsString(f) && why[0])
		snprintf(err, errlen, "'%s' %s", name, why);
	else
		snprintf(err, errlen, RULE_LABEL, name);
	return -1;
}

/* get_picks: a multiple poll's "max_picks" and "min_picks" into d, whose
 * choices are read. Returns 0, or -1 with err set. */
static int get_picks(const cJSON *o, struct polldef *d, char *err, size_t errlen)
{
	int64_t n = (int64_t)d->nchoices;

	if (get_int(o, "max_picks", 1, (int64_t)d->nchoices, &n) < 0) {
		snprintf(err, errlen, RULE_MAX_PICKS, d->nchoices);
		return -1;
	}
	d->max_picks = (size_t)n;
	n = 1;
	if (get_int(o, "min_picks", 0, (int64_t)d->max_picks, &n) < 0) {
		snprintf(err, errlen, RULE_MIN_PICKS, d->max_picks);
		return -1;
	}
	d->min_picks = (size_t)n;
	return 0;
}

/* get_scale: a scale poll's ends and their labels into d. Returns 0, or
 * -1 with err set. */
static int get_scale(const cJSON *o, struct polldef *d, bool made, char *err, size_t errlen)
{
	const cJSON *choices = cJSON_GetObjectItemCaseSensitive(o, "choices");

	if (d->nchoices || (choices && !cJSON_IsNull(choices))) {
		snprintf(err, errlen, RULE_SCALE_CHOICES);
		return -1;
	}
	if (get_int(o, "low", -POLLDEF_SCALE_ABS_MAX, POLLDEF_SCALE_ABS_MAX, &d->low) != 1) {
		snprintf(err, errlen, RULE_SCALE_END, "low");
		return -1;
	}
	if (get_int(o, "high", -POLLDEF_SCALE_ABS_MAX, POLLDEF_SCALE_ABS_MAX, &d->high) != 1) {
		snprintf(err, errlen, RULE_SCALE_END, "high");
		return -1;
	}
	if (d->high - d->low < 1 || d->high - d->low + 1 > POLLDEF_SCALE_VALUES_MAX) {
		snprintf(err, errlen, RULE_SCALE_SPAN);
		return -1;
	}
	if (get_label(o, "low_label", made, d->low_label, err, errlen) != 0 ||
	    get_label(o, "high_label", made, d->high_label, err, errlen) != 0)
		return -1;
	return 0;
}

/* get_kind: o's "kind" (absent or null: single) and its parameters into
 * d, whose choices are read: an organiser's command (made), or a poll's
 * information (which has them all). A parameter of another kind is
 * refused. Returns 0, or -1 with err set. */
static int get_kind(const cJSON *o, struct polldef *d, bool made, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		enum polldef_kind kind;
	} params[] = { { "min_picks", POLLDEF_MULTIPLE }, { "max_picks", POLLDEF_MULTIPLE }, { "full", POLLDEF_RANKED },
		       { "low", POLLDEF_SCALE },	  { "high", POLLDEF_SCALE },	    { "low_label", POLLDEF_SCALE },
		       { "high_label", POLLDEF_SCALE } };
	char word[16];
	int got = get_string(o, "kind", word, sizeof(word) - 1, err, errlen);
	size_t k;

	d->kind = POLLDEF_SINGLE;
	if (got < 0 || (got == 1 && polldef_parse_kind(word, &d->kind) != 0)) {
		snprintf(err, errlen, RULE_KIND);
		return -1;
	}
	for (k = 0; k < NWORDS(params); k++) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, params[k].name);

		if (f && !cJSON_IsNull(f) && params[k].kind != d->kind) {
			snprintf(err, errlen, RULE_OTHER_KIND, params[k].name, polldef_kind_word(params[k].kind),
				 polldef_kind_word(d->kind));
			return -1;
		}
	}
	switch (d->kind) {
	case POLLDEF_MULTIPLE:
		if (d->nchoices == 0) {
			snprintf(err, errlen, RULE_CHOICES, POLLDEF_CHOICES_MAX);
			return -1;
		}
		return get_picks(o, d, err, errlen);
	case POLLDEF_RANKED:
		if (d->nchoices < 2) {
			snprintf(err, errlen, RULE_RANKED_CHOICES, POLLDEF_CHOICES_MAX);
			return -1;
		}
		return get_bool(o, "full", false, &d->full, err, errlen);
	case POLLDEF_SCALE:
		return get_scale(o, d, made, err, errlen);
	default:
		return 0;
	}
}

int polldef_info_parse(const void *payload, size_t len, struct polldef *out, char *err, size_t errlen)
{
	cJSON *o = jsonguard_parse(payload, len, err, errlen);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!o)
		return -1;
	if (get_poll(o, out->poll, err, errlen) != 0 ||
	    get_string(o, "question", out->question, POLLDEF_QUESTION_MAX, err, errlen) < 0 ||
	    get_choices(o, out, false, err, errlen) != 0 || get_kind(o, out, false, err, errlen) != 0 ||
	    get_results(o, &out->results, err, errlen) != 0 ||
	    get_bool(o, "revote", true, &out->revote, err, errlen) != 0 ||
	    get_bool(o, "defined", false, &out->defined, err, errlen) != 0 ||
	    get_bool(o, "signed", false, &out->signed_only, err, errlen) != 0 ||
	    get_iso(o, "opens", &out->opens_ms, err, errlen) < 0 || get_iso(o, "closes", &out->closes_ms, err, errlen) < 0 ||
	    get_iso(o, "closed", &out->closed_ms, err, errlen) < 0 ||
	    get_string(o, "instance", out->instance, BALLOT_ID_HEX, err, errlen) < 0)
		goto out;
	if (out->instance[0] && !sign_instance_valid(out->instance)) {
		snprintf(err, errlen, "'instance' must be 32 lower-case hex digits");
		goto out;
	}
	rc = get_status(o, &out->status, err, errlen);
out:
	cJSON_Delete(o);
	return rc;
}

/* check_times: an opening command's times in order. A closing time of 0
 * comes before any opening (absent: now), and would read as none
 * (closes_ms 0: by hand only). Returns 0, or -1 with err set. */
static int check_times(const struct polldef *d, bool has_opens, bool has_closes, char *err, size_t errlen)
{
	if ((has_closes && d->closes_ms == 0) || (has_opens && d->closes_ms && d->closes_ms <= d->opens_ms)) {
		snprintf(err, errlen, "'closes' must come after 'opens'");
		return -1;
	}
	return 0;
}

int polldef_cmd_parse(const void *payload, size_t len, struct polldef_cmd *out, char *err, size_t errlen)
{
	cJSON *o = jsonguard_parse(payload, len, err, errlen);
	struct polldef *d = &out->def;
	char word[16], question[POLLDEF_QUESTION_MAX + 1], why[TEXTRULE_WHY_MAX] = "";
	int k, closes, rc = -1;

	memset(out, 0, sizeof(*out));
	if (!o)
		return -2;
	/* first, so that a command refused for any other field is answered
	 * over MQTT 3.1.1 as over MQTT 5 (whose Response Topic is no field) */
	if (get_string(o, "reply", out->reply, sizeof(out->reply) - 1, err, errlen) < 0)
		goto out;
	if (get_string(o, "cmd", word, sizeof(word) - 1, err, errlen) != 1 ||
	    (k = word_index(cmd_words, NWORDS(cmd_words), word)) < 0) {
		snprintf(err, errlen, "'cmd' must be \"open\", \"close\", \"show\" or \"list\"");
		goto out;
	}
	out->kind = (enum polldef_cmd_kind)k;
	if (out->kind != POLLDEF_CMD_LIST && get_poll(o, d->poll, err, errlen) != 0)
		goto out;
	if (out->kind != POLLDEF_CMD_OPEN) {
		rc = 0;
		goto out;
	}
	d->defined = true;
	if (get_string(o, "question", question, POLLDEF_QUESTION_MAX, err, errlen) != 1 ||
	    textrule_question(question, POLLDEF_QUESTION_MAX, d->question, sizeof(d->question), why,
			      sizeof(why)) != 0) {
		if (why[0])
			snprintf(err, errlen, "'question' %s", why);
		else
			snprintf(err, errlen, "'question' must be 1 to %d bytes of UTF-8 without control characters",
				 POLLDEF_QUESTION_MAX);
		goto out;
	}
	if (get_choices(o, d, true, err, errlen) != 0 || get_kind(o, d, true, err, errlen) != 0)
		goto out;
	if (d->nchoices == 0 && d->kind != POLLDEF_SCALE) {
		snprintf(err, errlen, RULE_CHOICES, POLLDEF_CHOICES_MAX);
		goto out;
	}
	if (get_string(o, "roll", d->roll, POLLDEF_ROLL_MAX, err, errlen) < 0)
		goto out;
	if (d->roll[0] && d->roll[0] != '/') {
		snprintf(err, errlen, "'roll' must be an absolute path (a file on the tallier's machine)");
		goto out;
	}
	if ((k = get_ms(o, "opens", &d->opens_ms, err, errlen)) < 0 ||
	    (closes = get_ms(o, "closes", &d->closes_ms, err, errlen)) < 0 ||
	    get_results(o, &d->results, err, errlen) != 0 || get_bool(o, "revote", true, &d->revote, err, errlen) != 0)
		goto out;
	out->has_opens = k == 1;
	rc = check_times(d, out->has_opens, closes == 1, err, errlen);
out:
	cJSON_Delete(o);
	return rc;
}

int polldef_answer_parse(const void *payload, size_t len, struct polldef_answer *out, struct polldef *info,
			 bool *has_info, char *err, size_t errlen)
{
	cJSON *o = jsonguard_parse(payload, len, err, errlen), *f;
	char *text = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (has_info)
		*has_info = false;
	if (!o)
		return -1;
	f = cJSON_GetObjectItemCaseSensitive(o, "ok");
	if (!cJSON_IsBool(f)) {
		snprintf(err, errlen, "not an answer: no 'ok'");
		goto out;
	}
	out->ok = cJSON_IsTrue(f);
	if (!out->ok && get_string(o, "error", out->error, sizeof(out->error) - 1, err, errlen) != 1) {
		snprintf(err, errlen, "not an answer: 'ok' false and no 'error'");
		goto out;
	}
	f = cJSON_GetObjectItemCaseSensitive(o, "info");
	if (info && cJSON_IsObject(f)) {
		text = cJSON_PrintUnformatted(f);
		if (!text || polldef_info_parse(text, strlen(text), info, err, errlen) != 0)
			goto out;
		if (has_info)
			*has_info = true;
	}
	rc = 0;
out:
	cJSON_free(text);
	cJSON_Delete(o);
	return rc;
}

char *polldef_answer_json(const char *error, const char *info_json, const char *result_json, char *const *list,
			  size_t nlist, char *err, size_t errlen)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	bool ok = o && cJSON_AddBoolToObject(o, "ok", error == NULL);
	size_t k;

	if (ok && error)
		ok = cJSON_AddStringToObject(o, "error", error) != NULL;
	if (ok && info_json) {
		cJSON *info = cJSON_Parse(info_json);

		ok = info && cJSON_AddItemToObject(o, "info", info);
		if (!ok)
			cJSON_Delete(info);
	}
	if (ok && result_json) {
		cJSON *result = cJSON_Parse(result_json);

		ok = result && cJSON_AddItemToObject(o, "result", result);
		if (!ok)
			cJSON_Delete(result);
	}
	if (ok && list) {
		arr = cJSON_AddArrayToObject(o, "polls");
		ok = arr != NULL;
		for (k = 0; ok && k < nlist; k++) {
			cJSON *info = cJSON_Parse(list[k]);

			ok = info && cJSON_AddItemToArray(arr, info);
			if (!ok)
				cJSON_Delete(info);
		}
	}
	if (!ok) {
		cJSON_Delete(o);
		o = NULL;
	}
	return print_free(o, err, errlen);
}
