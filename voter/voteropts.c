/* voteropts.c -- the voter's command-line options: its table and checks */
#include "voteropts.h"

#include <stdio.h>
#include <string.h>

#include "ballot.h"
#include "textrule.h"
#include "topic.h"

#define TEXT_RULE "must be 1 to 64 bytes of UTF-8 without control characters"

_Static_assert(sizeof(((struct voter_opts *)0)->message_nfc) == BALLOT_TEXT_MAX + 1, "message_nfc");
_Static_assert(sizeof(((struct voter_opts *)0)->names[0]) == BALLOT_TEXT_MAX + 1, "names");

/* The answer options, in the order a mix of them is named (check_answer). */
static const char *const answer_options[] = { "-m/--message", "--pick", "--rank", "--value" };

static int take_topic(void *part, const char *arg, char *err, size_t errlen)
{
	struct voter_opts *o = part;

	if (o->topic) {
		snprintf(err, errlen, "only one -t/--topic may be given");
		return -1;
	}
	o->topic = arg;
	return 0;
}

static int take_qos(void *part, const char *arg, char *err, size_t errlen)
{
	if (strlen(arg) != 1 || arg[0] < '0' || arg[0] > '2') {
		snprintf(err, errlen, "invalid QoS '%s' (want 0, 1 or 2)", arg);
		return -1;
	}
	((struct voter_opts *)part)->qos = arg[0] - '0';
	return 0;
}

/* take_name: one --pick or --rank (option) name, checked and in NFC, as
 * the next of o's names. */
static int take_name(struct voter_opts *o, const char *option, const char *arg, char *err, size_t errlen)
{
	char why[TEXTRULE_WHY_MAX];

	if (o->nnames == POLLDEF_CHOICES_MAX) {
		snprintf(err, errlen, "too many %s: at most %d choices", option, POLLDEF_CHOICES_MAX);
		return -1;
	}
	if (ballot_text_norm(arg, o->names[o->nnames], why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid %s: %s", option, why[0] ? why : TEXT_RULE);
		return -1;
	}
	o->nnames++;
	return 0;
}

static int take_pick(void *part, const char *arg, char *err, size_t errlen)
{
	struct voter_opts *o = part;

	o->picked = true;
	return take_name(o, "--pick", arg, err, errlen);
}

static int take_rank(void *part, const char *arg, char *err, size_t errlen)
{
	struct voter_opts *o = part;

	o->ranked = true;
	return take_name(o, "--rank", arg, err, errlen);
}

/* take_value: --value, an integer (decimal, an optional '-') from
 * -POLLDEF_SCALE_ABS_MAX to POLLDEF_SCALE_ABS_MAX. */
static int take_value(void *part, const char *arg, char *err, size_t errlen)
{
	struct voter_opts *o = part;

	if (optparse_integer(arg, -POLLDEF_SCALE_ABS_MAX, POLLDEF_SCALE_ABS_MAX, &o->value) != 0) {
		snprintf(err, errlen, "invalid --value '%s' (want an integer from %d to %d)", arg,
			 -POLLDEF_SCALE_ABS_MAX, POLLDEF_SCALE_ABS_MAX);
		return -1;
	}
	o->value_given = true;
	return 0;
}

#define AT(field) offsetof(struct voter_opts, field)
static const struct optdef voter_optdefs[] = {
	{ .name = "topic", .letter = 't', .value = true, .kind = OPTK_FUNC, .take = take_topic },
	{ .name = "message", .letter = 'm', .value = true, .kind = OPTK_STR, .at = AT(message) },
	{ .name = "pick", .value = true, .kind = OPTK_FUNC, .take = take_pick },
	{ .name = "rank", .value = true, .kind = OPTK_FUNC, .take = take_rank },
	{ .name = "value", .value = true, .kind = OPTK_FUNC, .take = take_value },
	{ .name = "voter", .value = true, .kind = OPTK_STR, .at = AT(voter) },
	{ .name = "qos", .letter = 'q', .value = true, .kind = OPTK_FUNC, .take = take_qos },
	{ .name = "timeout", .value = true, .kind = OPTK_SECONDS, .at = AT(timeout), .label = "timeout" },
	{ .name = "confirm", .kind = OPTK_FLAG, .at = AT(confirm) },
	{ .name = "tcp", .kind = OPTK_FLAG, .at = AT(tcp) },
	{ .name = "info", .kind = OPTK_FLAG, .at = AT(info) },
	{ .name = "keygen", .value = true, .kind = OPTK_NONEMPTY, .at = AT(keygen), .want = "a file path" },
	{ .name = "sign-key", .value = true, .kind = OPTK_NONEMPTY, .at = AT(sign_key), .want = "a file path" },
	{ .name = "debug", .letter = 'd', .kind = OPTK_FLAG, .at = AT(debug) },
	{ .name = "quiet", .kind = OPTK_FLAG, .at = AT(quiet) },
};

/* check_answer: at most one kind of answer, into o->kind (single when
 * none: -m's); *given the first answer option given, NULL when none. */
static int check_answer(struct voter_opts *o, const char **given, char *err, size_t errlen)
{
	const bool seen[] = { o->message != NULL, o->picked, o->ranked, o->value_given };
	static const enum polldef_kind kinds[] = { POLLDEF_SINGLE, POLLDEF_MULTIPLE, POLLDEF_RANKED, POLLDEF_SCALE };
	size_t k;

	*given = NULL;
	o->kind = POLLDEF_SINGLE;
	for (k = 0; k < sizeof(seen) / sizeof(seen[0]); k++) {
		if (!seen[k])
			continue;
		if (*given) {
			snprintf(err, errlen, VOTEROPTS_RULE_ONE_ANSWER, *given, answer_options[k]);
			return -1;
		}
		*given = answer_options[k];
		o->kind = kinds[k];
	}
	return 0;
}

/* check_info: --info sends no ballot. */
static int check_info(const struct voter_opts *o, const char *answer, char *err, size_t errlen)
{
	const char *with = answer ? answer : o->confirm ? "--confirm" : o->tcp ? "--tcp" : NULL;

	if (with) {
		snprintf(err, errlen, "--info sends no ballot: %s does not go with it", with);
		return -1;
	}
	return 0;
}

/* check_ballot: the options that make the ballot (or, with --info, name
 * its poll). */
static int check_ballot(struct voter_opts *o, char *err, size_t errlen)
{
	char why[TEXTRULE_WHY_MAX];
	const char *answer;

	if (!o->topic) {
		snprintf(err, errlen, "missing option -t/--topic");
		return -1;
	}
	if (check_answer(o, &answer, err, errlen) != 0)
		return -1;
	if (o->info) /* no ballot: the poll is all it needs */
		return check_info(o, answer, err, errlen) != 0 ? -1 : topic_ballot_poll(o->topic, o->poll, err, errlen);
	if (!answer) {
		snprintf(err, errlen, "missing option -m/--message");
		return -1;
	}
	if (topic_ballot_poll(o->topic, o->poll, err, errlen) != 0)
		return -1;
	if (!o->message)
		return 0; /* --pick, --rank: checked as taken */
	if (ballot_text_norm(o->message, o->message_nfc, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid choice: %s", why[0] ? why : TEXT_RULE);
		return -1;
	}
	o->message = o->message_nfc;
	return 0;
}

/* check: the checks that need all options (opts_cmdline's check). */
static int check(void *vo, char *err, size_t errlen)
{
	struct voter_opts *o = vo;
	char why[64];

	if (conn_opts_check(&o->conn, o->tcp ? "--tcp" : NULL, err, errlen) != 0)
		return -1;
	if (o->keygen && o->sign_key) {
		snprintf(err, errlen, "--keygen and --sign-key do not go together");
		return -1;
	}
	if (!o->keygen && check_ballot(o, err, errlen) != 0)
		return -1; /* --keygen: no ballot, only the voter name matters */
	if (o->voter && ballot_text_norm(o->voter, o->voter_nfc, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid voter name: %s", why[0] ? why : TEXT_RULE);
		return -1;
	}
	if (o->voter)
		o->voter = o->voter_nfc;
	return 0;
}

static const struct opts_cmdline voter_cmdline = {
	.defs = voter_optdefs, .n = sizeof(voter_optdefs) / sizeof(voter_optdefs[0]), .port = OPTS_VOTER_PORT,
	.check = check,
};

enum opts_result voter_opts_parse(struct voter_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	*o = (struct voter_opts){ .qos = 1, .timeout = 10 };
	return opts_parse(&voter_cmdline, &o->conn, o, argc, argv, NULL, err, errlen);
}
