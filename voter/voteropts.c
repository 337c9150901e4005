/* voteropts.c -- the voter's command-line options: its table and checks */
#include "voteropts.h"

#include <stdio.h>
#include <string.h>

#include "ballot.h"
#include "topic.h"

#define TEXT_RULE "must be 1 to 64 bytes of UTF-8 without control characters"

_Static_assert(sizeof(((struct voter_opts *)0)->message_nfc) == BALLOT_TEXT_MAX + 1, "message_nfc");

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

#define AT(field) offsetof(struct voter_opts, field)
static const struct optdef voter_optdefs[] = {
	{ .name = "topic", .letter = 't', .value = true, .kind = OPTK_FUNC, .take = take_topic },
	{ .name = "message", .letter = 'm', .value = true, .kind = OPTK_STR, .at = AT(message) },
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

/* check_info: --info sends no ballot. */
static int check_info(const struct voter_opts *o, char *err, size_t errlen)
{
	const char *with = o->message ? "-m/--message" : o->confirm ? "--confirm" : o->tcp ? "--tcp" : NULL;

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
	char why[64];

	if (!o->topic) {
		snprintf(err, errlen, "missing option -t/--topic");
		return -1;
	}
	if (o->info) /* no ballot: the poll is all it needs */
		return check_info(o, err, errlen) != 0 ? -1 : topic_ballot_poll(o->topic, o->poll, err, errlen);
	if (!o->message) {
		snprintf(err, errlen, "missing option -m/--message");
		return -1;
	}
	if (topic_ballot_poll(o->topic, o->poll, err, errlen) != 0)
		return -1;
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
