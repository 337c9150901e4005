/* pollctlopts.c -- pollctl's command line: its table, its command and poll, and checks */
#include "pollctlopts.h"

#include <stdio.h>
#include <string.h>

#include "polldef.h"
#include "textrule.h"
#include "topic.h"
#include "vtime.h"
#include "when.h"

_Static_assert(sizeof(((struct pollctl_opts *)0)->question_nfc) == POLLDEF_QUESTION_MAX + 1, "question_nfc");
_Static_assert(sizeof(((struct pollctl_opts *)0)->low_label_nfc) == BALLOT_TEXT_MAX + 1, "low_label_nfc");

static const char *const command_words[] = { "open", "close", "list", "show" };

static int take_choices(void *part, const char *arg, char *err, size_t errlen)
{
	struct pollctl_opts *o = part;

	return opts_choices_parse(&o->choices, &o->nchoices, arg, err, errlen);
}

/* take_question: 1 to POLLDEF_QUESTION_MAX bytes of text (textrule_question), kept in NFC. */
static int take_question(void *part, const char *arg, char *err, size_t errlen)
{
	struct pollctl_opts *o = part;
	char why[TEXTRULE_WHY_MAX];

	if (textrule_question(arg, POLLDEF_QUESTION_MAX, o->question_nfc, sizeof(o->question_nfc), why,
			      sizeof(why)) != 0) {
		if (why[0])
			snprintf(err, errlen, "invalid --question: %s", why);
		else
			snprintf(err, errlen, "invalid --question: must be 1 to %d bytes of UTF-8 without control "
					      "characters", POLLDEF_QUESTION_MAX);
		return -1;
	}
	o->question = o->question_nfc;
	return 0;
}

/* take_when: --opens or --closes TIME (when_parse) at o->now_ms into *out. */
static int take_when(const struct pollctl_opts *o, const char *name, const char *arg, int64_t *out, char *err,
		     size_t errlen)
{
	char why[256];

	if (when_parse(arg, o->now_ms, out, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid --%s '%s': %s", name, arg, why);
		return -1;
	}
	return 0;
}

static int take_opens(void *part, const char *arg, char *err, size_t errlen)
{
	struct pollctl_opts *o = part;

	return take_when(o, "opens", arg, &o->opens_ms, err, errlen);
}

static int take_closes(void *part, const char *arg, char *err, size_t errlen)
{
	struct pollctl_opts *o = part;

	return take_when(o, "closes", arg, &o->closes_ms, err, errlen);
}

static int take_kind(void *part, const char *arg, char *err, size_t errlen)
{
	struct pollctl_opts *o = part;

	if (polldef_parse_kind(arg, &o->kind) != 0) {
		snprintf(err, errlen, POLLCTLOPTS_RULE_KIND, arg);
		return -1;
	}
	return 0;
}

/* take_end: --low or --high (name), an integer from -POLLDEF_SCALE_ABS_MAX
 * to POLLDEF_SCALE_ABS_MAX, into *out. */
static int take_end(const char *name, const char *arg, long long *out, char *err, size_t errlen)
{
	if (optparse_integer(arg, -POLLDEF_SCALE_ABS_MAX, POLLDEF_SCALE_ABS_MAX, out) != 0) {
		snprintf(err, errlen, POLLCTLOPTS_RULE_END, name, arg);
		return -1;
	}
	return 0;
}

static int take_low(void *part, const char *arg, char *err, size_t errlen)
{
	return take_end("low", arg, &((struct pollctl_opts *)part)->low, err, errlen);
}

static int take_high(void *part, const char *arg, char *err, size_t errlen)
{
	return take_end("high", arg, &((struct pollctl_opts *)part)->high, err, errlen);
}

/* take_label: --low-label or --high-label (name), the text rules of a
 * choice, in NFC into nfc, *out pointing there. */
static int take_label(const char *name, const char *arg, char nfc[BALLOT_TEXT_MAX + 1], const char **out, char *err,
		      size_t errlen)
{
	char why[TEXTRULE_WHY_MAX];

	if (ballot_text_norm(arg, nfc, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid --%s: %s", name,
			 why[0] ? why : "must be 1 to 64 bytes of UTF-8 without control characters");
		return -1;
	}
	*out = nfc;
	return 0;
}

static int take_low_label(void *part, const char *arg, char *err, size_t errlen)
{
	struct pollctl_opts *o = part;

	return take_label("low-label", arg, o->low_label_nfc, &o->low_label, err, errlen);
}

static int take_high_label(void *part, const char *arg, char *err, size_t errlen)
{
	struct pollctl_opts *o = part;

	return take_label("high-label", arg, o->high_label_nfc, &o->high_label, err, errlen);
}

#define AT(field) offsetof(struct pollctl_opts, field)
#define GIVEN(field) OPT_GIVEN(struct pollctl_opts, field)
static const struct optdef pollctl_optdefs[] = {
	{ .name = "timeout", .value = true, .kind = OPTK_SECONDS, .at = AT(timeout), .label = "timeout" },
	{ .name = "debug", .letter = 'd', .kind = OPTK_FLAG, .at = AT(debug) },
	{ .name = "quiet", .kind = OPTK_FLAG, .at = AT(quiet) },
	/* open's */
	{ .name = "question", .value = true, .kind = OPTK_FUNC, .take = take_question },
	{ .name = "choices", .value = true, .kind = OPTK_FUNC, .take = take_choices },
	{ .name = "opens", .value = true, .kind = OPTK_FUNC, .take = take_opens, .given = GIVEN(has_opens) },
	{ .name = "closes", .value = true, .kind = OPTK_FUNC, .take = take_closes, .given = GIVEN(has_closes) },
	{ .name = "results", .value = true, .kind = OPTK_WORD, .at = AT(after_close), .words = { "live", "after-close" },
	  .truth = 1, .given = GIVEN(results_given) },
	{ .name = "revote", .value = true, .kind = OPTK_WORD, .at = AT(revote), .words = { "yes", "no" },
	  .given = GIVEN(revote_given) },
	{ .name = "roll", .value = true, .kind = OPTK_NONEMPTY, .at = AT(roll), .want = "a file path" },
	/* open's question kind and its parameters */
	{ .name = "kind", .value = true, .kind = OPTK_FUNC, .take = take_kind, .given = GIVEN(kind_given) },
	{ .name = "min-picks", .value = true, .kind = OPTK_COUNT, .at = AT(min_picks), .min = 0,
	  .max = POLLDEF_CHOICES_MAX, .given = GIVEN(min_picks_given) },
	{ .name = "max-picks", .value = true, .kind = OPTK_COUNT, .at = AT(max_picks), .min = 1,
	  .max = POLLDEF_CHOICES_MAX, .given = GIVEN(max_picks_given) },
	{ .name = "full", .kind = OPTK_FLAG, .at = AT(full) },
	{ .name = "low", .value = true, .kind = OPTK_FUNC, .take = take_low, .given = GIVEN(low_given) },
	{ .name = "high", .value = true, .kind = OPTK_FUNC, .take = take_high, .given = GIVEN(high_given) },
	{ .name = "low-label", .value = true, .kind = OPTK_FUNC, .take = take_low_label },
	{ .name = "high-label", .value = true, .kind = OPTK_FUNC, .take = take_high_label },
};

void pollctl_opts_free(struct pollctl_opts *o)
{
	opts_choices_free(&o->choices, &o->nchoices);
}

/* take_command: the arguments args[0..n): COMMAND [POLL]. */
static int take_command(struct pollctl_opts *o, char **args, int n, char *err, size_t errlen)
{
	size_t i;
	int want;

	if (n == 0) {
		snprintf(err, errlen, "missing a command: open, close, list or show");
		return -1;
	}
	for (i = 0; i < sizeof(command_words) / sizeof(command_words[0]); i++)
		if (strcmp(args[0], command_words[i]) == 0)
			break;
	if (i == sizeof(command_words) / sizeof(command_words[0])) {
		snprintf(err, errlen, "unknown command '%s' (want open, close, list or show)", args[0]);
		return -1;
	}
	o->command = (enum opts_cmd)i;
	want = o->command == OPTS_CMD_LIST ? 1 : 2;
	if (n < want) {
		snprintf(err, errlen, "missing the poll's name after '%s'", args[0]);
		return -1;
	}
	if (n > want) {
		snprintf(err, errlen, "unexpected argument '%s'", args[want]);
		return -1;
	}
	if (want == 2) {
		if (!topic_poll_valid(args[1], strlen(args[1]))) {
			snprintf(err, errlen, "invalid poll name '%s': " TOPIC_POLL_RULE, args[1]);
			return -1;
		}
		snprintf(o->poll, sizeof(o->poll), "%s", args[1]);
	}
	return 0;
}

/* check_kind: open's --kind and its parameters (the POLLCTLOPTS_RULE_ texts). */
static int check_kind(struct pollctl_opts *o, char *err, size_t errlen)
{
	const struct {
		const char *option;
		bool given;
		enum polldef_kind kind;
	} params[] = {
		{ "--min-picks", o->min_picks_given, POLLDEF_MULTIPLE }, { "--max-picks", o->max_picks_given, POLLDEF_MULTIPLE },
		{ "--full", o->full, POLLDEF_RANKED },			  { "--low", o->low_given, POLLDEF_SCALE },
		{ "--high", o->high_given, POLLDEF_SCALE },		  { "--low-label", o->low_label != NULL, POLLDEF_SCALE },
		{ "--high-label", o->high_label != NULL, POLLDEF_SCALE },
	};
	size_t k, max;

	for (k = 0; k < sizeof(params) / sizeof(params[0]); k++)
		if (params[k].given && params[k].kind != o->kind) {
			snprintf(err, errlen, POLLCTLOPTS_RULE_PARAM, params[k].option, polldef_kind_word(params[k].kind));
			return -1;
		}
	if (o->kind == POLLDEF_SCALE && o->choices) {
		snprintf(err, errlen, POLLCTLOPTS_RULE_SCALE_CHOICES);
		return -1;
	}
	if (o->kind == POLLDEF_SCALE && (!o->low_given || !o->high_given)) {
		snprintf(err, errlen, POLLCTLOPTS_RULE_SCALE_ENDS);
		return -1;
	}
	if (o->kind == POLLDEF_SCALE && (o->high - o->low < 1 || o->high - o->low + 1 > POLLDEF_SCALE_VALUES_MAX)) {
		snprintf(err, errlen, POLLCTLOPTS_RULE_SCALE_SPAN);
		return -1;
	}
	if (o->kind == POLLDEF_RANKED && o->nchoices < 2) {
		snprintf(err, errlen, POLLCTLOPTS_RULE_RANKED);
		return -1;
	}
	if (o->kind != POLLDEF_MULTIPLE)
		return 0;
	if (o->max_picks_given && (size_t)o->max_picks > o->nchoices) {
		snprintf(err, errlen, POLLCTLOPTS_RULE_MAX_PICKS, o->max_picks, o->nchoices);
		return -1;
	}
	max = o->max_picks_given ? (size_t)o->max_picks : o->nchoices;
	if ((size_t)o->min_picks > max) {
		snprintf(err, errlen, POLLCTLOPTS_RULE_MIN_PICKS, o->min_picks, max);
		return -1;
	}
	return 0;
}

/* check: what the command needs, once all options are parsed. */
static int check(struct pollctl_opts *o, char *err, size_t errlen)
{
	if (conn_opts_check(&o->conn, NULL, err, errlen) != 0)
		return -1;
	if (o->command != OPTS_CMD_OPEN) {
		if (o->question || o->choices || o->has_opens || o->has_closes || o->results_given ||
		    o->revote_given || o->roll) {
			snprintf(err, errlen, "--question, --choices, --opens, --closes, --results, --revote and --roll go with open");
			return -1;
		}
		if (o->kind_given || o->min_picks_given || o->max_picks_given || o->full || o->low_given ||
		    o->high_given || o->low_label || o->high_label) {
			snprintf(err, errlen, POLLCTLOPTS_RULE_OPEN);
			return -1;
		}
		return 0;
	}
	if (!o->question) {
		snprintf(err, errlen, "open needs --question");
		return -1;
	}
	if (!o->choices && o->kind != POLLDEF_SCALE) {
		snprintf(err, errlen, "open needs --choices");
		return -1;
	}
	if (o->nchoices > POLLDEF_CHOICES_MAX) {
		snprintf(err, errlen, "invalid --choices: at most %d choices", POLLDEF_CHOICES_MAX);
		return -1;
	}
	if (check_kind(o, err, errlen) != 0)
		return -1;
	if (o->has_closes && o->closes_ms <= (o->has_opens ? o->opens_ms : o->now_ms)) {
		snprintf(err, errlen, o->has_opens ? "--closes must be after --opens" : "--closes must be in the future");
		return -1;
	}
	return 0;
}

static const struct opts_cmdline pollctl_cmdline = {
	.defs = pollctl_optdefs, .n = sizeof(pollctl_optdefs) / sizeof(pollctl_optdefs[0]), .port = OPTS_TALLIER_PORT,
};

enum opts_result pollctl_opts_parse(struct pollctl_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	enum opts_result r;
	int first;

	/* one now for every time argument */
	*o = (struct pollctl_opts){ .timeout = 10, .revote = true, .min_picks = 1, .now_ms = vtime_now_ms() };
	r = opts_parse(&pollctl_cmdline, &o->conn, o, argc, argv, &first, err, errlen);
	if (r != OPTS_RUN)
		return r;
	if (take_command(o, argv + first, argc - first, err, errlen) != 0)
		return OPTS_ERROR;
	return check(o, err, errlen) == 0 ? OPTS_RUN : OPTS_ERROR;
}
