/* tallieropts.c -- the tallier's command-line options: its table and checks */
#include "tallieropts.h"

#include <stdio.h>
#include <string.h>

#include "topic.h"

static int take_topic(void *part, const char *arg, char *err, size_t errlen)
{
	struct tallier_opts *o = part;

	if (o->ntopics == OPTS_MAX_TOPICS) {
		snprintf(err, errlen, "too many -t/--topic (at most %d)", OPTS_MAX_TOPICS);
		return -1;
	}
	if (!topic_filter_valid(arg)) {
		snprintf(err, errlen, "invalid topic filter '%s'", arg);
		return -1;
	}
	o->topics[o->ntopics++] = arg;
	return 0;
}

static int take_choices(void *part, const char *arg, char *err, size_t errlen)
{
	struct tallier_opts *o = part;

	return opts_choices_parse(&o->choices, &o->nchoices, arg, err, errlen);
}

static int take_export(void *part, const char *arg, char *err, size_t errlen)
{
	if (!topic_poll_valid(arg, strlen(arg))) {
		snprintf(err, errlen, "invalid --export '%s': " TOPIC_POLL_RULE, arg);
		return -1;
	}
	((struct tallier_opts *)part)->export_poll = arg;
	return 0;
}

#define AT(field) offsetof(struct tallier_opts, field)
static const struct optdef tallier_optdefs[] = {
	{ .name = "topic", .letter = 't', .value = true, .kind = OPTK_FUNC, .take = take_topic },
	{ .name = "quiet", .kind = OPTK_FLAG, .at = AT(quiet) },
	{ .name = "verbose", .letter = 'v', .kind = OPTK_FLAG, .at = AT(verbose) },
	{ .name = "choices", .value = true, .kind = OPTK_FUNC, .take = take_choices },
	{ .name = "revote", .value = true, .kind = OPTK_WORD, .at = AT(revote), .words = { "yes", "no" } },
	{ .name = "db", .value = true, .kind = OPTK_NONEMPTY, .at = AT(db), .want = "a file path" },
	{ .name = "sync", .value = true, .kind = OPTK_WORD, .at = AT(sync_full), .words = { "normal", "full" },
	  .truth = 1 },
	{ .name = "export", .value = true, .kind = OPTK_FUNC, .take = take_export },
	{ .name = "format", .value = true, .kind = OPTK_WORD, .at = AT(json), .words = { "csv", "json" }, .truth = 1,
	  .given = OPT_GIVEN(struct tallier_opts, format_given) },
	{ .name = "recount", .kind = OPTK_FLAG, .at = AT(recount) },
	{ .name = "listen", .value = true, .kind = OPTK_NONEMPTY, .at = AT(listen), .want = "[ADDR:]PORT" },
	{ .name = "no-mqtt", .kind = OPTK_FLAG, .at = AT(no_mqtt) },
	{ .name = "idle-timeout", .value = true, .kind = OPTK_SECONDS, .at = AT(idle_timeout) },
	{ .name = "line-timeout", .value = true, .kind = OPTK_SECONDS, .at = AT(line_timeout) },
	{ .name = "max-clients", .value = true, .kind = OPTK_COUNT, .at = AT(max_clients), .min = 1, .max = 100000 },
	{ .name = "max-per-address", .value = true, .kind = OPTK_COUNT, .at = AT(max_per_address), .min = 1,
	  .max = 100000 },
	{ .name = "max-polls", .value = true, .kind = OPTK_COUNT, .at = AT(max_polls), .min = 1, .max = 1000000 },
	{ .name = "max-choices", .value = true, .kind = OPTK_COUNT, .at = AT(max_choices), .min = 1, .max = 10000 },
	{ .name = "max-skew", .value = true, .kind = OPTK_SECONDS, .at = AT(max_skew) },
	{ .name = "defined-only", .kind = OPTK_FLAG, .at = AT(defined_only) },
	{ .name = "roll", .value = true, .kind = OPTK_NONEMPTY, .at = AT(roll), .want = "a file path" },
};

void tallier_opts_free(struct tallier_opts *o)
{
	opts_choices_free(&o->choices, &o->nchoices);
}

/* check: the checks that need all options (opts_cmdline's check). */
static int check(void *vo, char *err, size_t errlen)
{
	struct tallier_opts *o = vo;

	if (conn_opts_check(&o->conn, o->no_mqtt ? "--no-mqtt" : NULL, err, errlen) != 0)
		return -1;
	if (o->format_given && !o->export_poll) {
		snprintf(err, errlen, "--format goes with --export");
		return -1;
	}
	if (o->export_poll && o->recount) {
		snprintf(err, errlen, "--export and --recount do not go together");
		return -1;
	}
	if (o->no_mqtt && !o->listen) {
		snprintf(err, errlen, "--no-mqtt needs --listen (else nothing brings ballots)");
		return -1;
	}
	if (o->roll && (o->export_poll || o->recount)) {
		snprintf(err, errlen, "--roll goes with neither --export nor --recount");
		return -1;
	}
	return 0;
}

static const struct opts_cmdline tallier_cmdline = {
	.defs = tallier_optdefs, .n = sizeof(tallier_optdefs) / sizeof(tallier_optdefs[0]), .port = OPTS_TALLIER_PORT,
	.check = check,
};

enum opts_result tallier_opts_parse(struct tallier_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	*o = (struct tallier_opts){ .revote = true, .db = "tally.db", .idle_timeout = 30, .line_timeout = 10,
				    .max_clients = 1000, .max_per_address = 64, .max_polls = 1000, .max_choices = 64,
				    .max_skew = 5 };
	return opts_parse(&tallier_cmdline, &o->conn, o, argc, argv, NULL, err, errlen);
}
