/* test_options.c -- unit tests of the options: voter, tallier and pollctl command lines, defaults, forms, errors */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pollctlopts.h"
#include "tallieropts.h"
#include "voteropts.h"
#include "vtime.h"

#define TEXT_RULE "must be 1 to 64 bytes of UTF-8 without control characters"
#define POLL_RULE "poll name must be 1 to 64 characters from A-Z a-z 0-9 _ - ."
#define MAX_ARGS 160

/* The program whose command line a test parses (each has its structure:
 * v, t or c below). */
enum opts_prog { OPTS_VOTER, OPTS_TALLIER, OPTS_POLLCTL };

/* A parse and what it needs: argv holds writable copies (getopt_long may
 * permute the array, and the options point into the strings). */
struct parsed {
	struct voter_opts v;
	struct tallier_opts t;
	struct pollctl_opts c;
	enum opts_prog prog;
	enum opts_result rc;
	char err[512];
	char *argv[MAX_ARGS + 2];
	int argc;
};

/* parse: runs prog's parser on the NULL-terminated args (the program
 * name is added in front). */
static void parse(struct parsed *p, enum opts_prog prog, const char *const *args)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->prog = prog;
	p->argv[p->argc++] = strdup(prog == OPTS_VOTER ? "voter" : prog == OPTS_TALLIER ? "tallier" : "pollctl");
	for (i = 0; args[i]; i++) {
		assert_true(p->argc < MAX_ARGS);
		p->argv[p->argc++] = strdup(args[i]);
	}
	for (i = 0; i < p->argc; i++)
		assert_non_null(p->argv[i]);
	p->argv[p->argc] = NULL;
	/* the structures are left with garbage: the parsers must set every field */
	memset(&p->v, 0xA5, sizeof(p->v));
	memset(&p->t, 0xA5, sizeof(p->t));
	memset(&p->c, 0xA5, sizeof(p->c));
	p->t.choices = p->c.choices = NULL;
	p->t.nchoices = p->c.nchoices = 0;
	/* the parsers use getopt_long (and reset optind themselves): start afresh */
	optind = 0;
	if (prog == OPTS_VOTER)
		p->rc = voter_opts_parse(&p->v, p->argc, p->argv, p->err, sizeof(p->err));
	else if (prog == OPTS_TALLIER)
		p->rc = tallier_opts_parse(&p->t, p->argc, p->argv, p->err, sizeof(p->err));
	else
		p->rc = pollctl_opts_parse(&p->c, p->argc, p->argv, p->err, sizeof(p->err));
}

/* done: frees what the parser allocated, and the argv copies. */
static void done(struct parsed *p)
{
	int i;

	if (p->prog == OPTS_TALLIER)
		tallier_opts_free(&p->t);
	if (p->prog == OPTS_POLLCTL)
		pollctl_opts_free(&p->c);
	for (i = 0; i < p->argc; i++)
		free(p->argv[i]);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define VB_ARGS "-t", "vote/p1", "-m", "yes" /* a valid voter command line */
#define NO_ARGS ((const char *const[]){ NULL })

/* ---- defaults ---- */

static void opts_parse_should_give_the_voter_defaults(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_VOTER, ARGS("-t", "vote/p1", "-m", "yes"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.prog, OPTS_VOTER);
	assert_string_equal(p.v.conn.host, "localhost");
	assert_int_equal(p.v.conn.port, 1883);
	assert_null(p.v.conn.client_id);
	assert_null(p.v.conn.username);
	assert_null(p.v.conn.password);
	assert_int_equal(p.v.conn.mqtt_version, 5);
	assert_false(p.v.debug);
	assert_false(p.v.quiet);
	assert_non_null(p.v.topic);
	assert_string_equal(p.v.topic, "vote/p1");
	assert_string_equal(p.v.message, "yes");
	assert_null(p.v.voter);
	assert_string_equal(p.v.poll, "p1");
	assert_int_equal(p.v.qos, 1);
	assert_true(p.v.timeout == 10.0);
	assert_false(p.v.confirm);
	assert_false(p.v.tcp);
	done(&p);
}

static void opts_parse_should_give_the_tallier_defaults(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_TALLIER, NO_ARGS);
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.prog, OPTS_TALLIER);
	assert_string_equal(p.t.conn.host, "localhost");
	assert_int_equal(p.t.conn.port, 1884);
	assert_null(p.t.conn.client_id); /* the one kept in the database */
	assert_null(p.t.conn.username);
	assert_null(p.t.conn.password);
	assert_int_equal(p.t.conn.mqtt_version, 5);
	assert_false(p.t.quiet);
	assert_false(p.t.verbose);
	/* no -t: ntopics 0, and the program subscribes to vote/+ */
	assert_int_equal(p.t.ntopics, 0);
	assert_null(p.t.choices);
	assert_int_equal(p.t.nchoices, 0);
	assert_true(p.t.revote);
	/* a forged ts ahead pins a vote for seconds, not minutes (issue 19: it was 300) */
	assert_true(p.t.max_skew == 5);
	assert_string_equal(p.t.db, "tally.db");
	assert_false(p.t.sync_full);
	assert_null(p.t.export_poll);
	assert_false(p.t.json);
	assert_false(p.t.format_given);
	assert_false(p.t.recount);
	assert_null(p.t.listen);
	assert_false(p.t.no_mqtt);
	assert_true(p.t.idle_timeout == 30.0);
	assert_int_equal(p.t.max_clients, 1000);
	done(&p);
}

/* ---- long and short forms ---- */

static void opts_parse_should_take_the_voter_long_options(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_VOTER,
	      ARGS("--host", "broker.example", "--port", "8883", "--id", "cid-1", "--username", "u",
		   "--pw", "secret", "--protocol-version", "mqttv311", "--topic", "vote/budget.2026",
		   "--message", "caf\xc3\xa9", "--qos", "2", "--debug", "--quiet", "--voter", "alice",
		   "--timeout", "2.5"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.v.conn.host, "broker.example");
	assert_int_equal(p.v.conn.port, 8883);
	assert_string_equal(p.v.conn.client_id, "cid-1");
	assert_string_equal(p.v.conn.username, "u");
	assert_string_equal(p.v.conn.password, "secret");
	assert_int_equal(p.v.conn.mqtt_version, 4);
	assert_non_null(p.v.topic);
	assert_string_equal(p.v.topic, "vote/budget.2026");
	assert_string_equal(p.v.poll, "budget.2026");
	assert_string_equal(p.v.message, "caf\xc3\xa9");
	assert_int_equal(p.v.qos, 2);
	assert_true(p.v.debug);
	assert_true(p.v.quiet);
	assert_string_equal(p.v.voter, "alice");
	assert_true(p.v.timeout == 2.5);
	done(&p);
}

static void opts_parse_should_take_the_voter_short_options(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_VOTER,
	      ARGS("-h", "10.0.0.1", "-p", "1", "-i", "me", "-u", "user", "-P", "pw", "-V", "311",
		   "-t", "vote/p_1", "-m", "no", "-q", "0", "-d"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.v.conn.host, "10.0.0.1");
	assert_int_equal(p.v.conn.port, 1);
	assert_string_equal(p.v.conn.client_id, "me");
	assert_string_equal(p.v.conn.username, "user");
	assert_string_equal(p.v.conn.password, "pw");
	assert_int_equal(p.v.conn.mqtt_version, 4);
	assert_string_equal(p.v.poll, "p_1");
	assert_string_equal(p.v.message, "no");
	assert_int_equal(p.v.qos, 0);
	assert_true(p.v.debug);
	done(&p);
}

static void opts_parse_should_take_attached_values(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_VOTER, ARGS("--port=65535", "-tvote/p1", "-myes", "-dq2", "--timeout=0.5"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.v.conn.port, 65535);
	assert_string_equal(p.v.poll, "p1");
	assert_string_equal(p.v.message, "yes");
	assert_true(p.v.debug);
	assert_int_equal(p.v.qos, 2);
	assert_true(p.v.timeout == 0.5);
	done(&p);
}

static void opts_parse_should_take_the_tallier_options(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_TALLIER,
	      ARGS("-h", "broker", "--port", "1884", "-i", "t2", "-u", "u", "--pw", "p", "-V", "mqttv5",
		   "-t", "vote/+", "--topic", "vote/p1", "-t", "#", "-v", "--quiet", "--choices",
		   "yes,no,caf\xc3\xa9", "--revote", "no"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.t.conn.host, "broker");
	assert_int_equal(p.t.conn.port, 1884);
	assert_string_equal(p.t.conn.client_id, "t2");
	assert_string_equal(p.t.conn.username, "u");
	assert_string_equal(p.t.conn.password, "p");
	assert_int_equal(p.t.conn.mqtt_version, 5);
	assert_int_equal(p.t.ntopics, 3);
	assert_string_equal(p.t.topics[0], "vote/+");
	assert_string_equal(p.t.topics[1], "vote/p1");
	assert_string_equal(p.t.topics[2], "#");
	assert_true(p.t.verbose);
	assert_true(p.t.quiet);
	assert_int_equal(p.t.nchoices, 3);
	assert_non_null(p.t.choices);
	assert_string_equal(p.t.choices[0], "yes");
	assert_string_equal(p.t.choices[1], "no");
	assert_string_equal(p.t.choices[2], "caf\xc3\xa9");
	assert_false(p.t.revote);
	done(&p);
}

static void opts_parse_should_take_revote_yes_and_verbose_long(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_TALLIER, ARGS("--revote", "no", "--revote", "yes", "--verbose"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_true(p.t.revote);
	assert_true(p.t.verbose);
	done(&p);
}

static void opts_parse_should_own_the_choices(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_TALLIER, ARGS("--choices", "red,green"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.t.nchoices, 2);
	/* the choices do not point into argv */
	memset(p.argv[2], 'x', strlen(p.argv[2]));
	assert_string_equal(p.t.choices[0], "red");
	assert_string_equal(p.t.choices[1], "green");
	done(&p);
}

static void opts_parse_should_give_the_nfc_form_of_names_choices_and_question(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_VOTER, ARGS("-t", "vote/p1", "-m", "cafe\xcc\x81", "--voter", "Rene\xcc\x81"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.v.message, "caf\xc3\xa9");
	assert_string_equal(p.v.voter, "Ren\xc3\xa9");
	done(&p);
	parse(&p, OPTS_POLLCTL, ARGS("open", "p1", "--question", "Caf\x65\xcc\x81?", "--choices", "the\xcc\x81,b"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.c.question, "Caf\xc3\xa9?");
	assert_string_equal(p.c.choices[0], "th\xc3\xa9");
	done(&p);
}

static void opts_parse_should_let_a_later_choices_replace_an_earlier_one(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_TALLIER, ARGS("--choices", "a,b,c", "--choices", "d"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.t.nchoices, 1);
	assert_string_equal(p.t.choices[0], "d");
	done(&p);
}

static void opts_parse_should_take_every_protocol_version_spelling(void **state)
{
	static const struct {
		const char *arg;
		int version;
	} cases[] = { { "mqttv5", 5 }, { "5", 5 }, { "mqttv311", 4 }, { "311", 4 } };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parsed p;

		parse(&p, OPTS_VOTER, ARGS("-t", "vote/p", "-m", "x", "-V", cases[i].arg));
		assert_int_equal(p.rc, OPTS_RUN);
		assert_int_equal(p.v.conn.mqtt_version, cases[i].version);
		done(&p);
		parse(&p, OPTS_TALLIER, ARGS("--protocol-version", cases[i].arg));
		assert_int_equal(p.rc, OPTS_RUN);
		assert_int_equal(p.t.conn.mqtt_version, cases[i].version);
		done(&p);
	}
}

static void opts_parse_should_take_64_tallier_topics_and_refuse_65(void **state)
{
	const char *args[2 * (OPTS_MAX_TOPICS + 1) + 1];
	char names[OPTS_MAX_TOPICS + 1][16];
	struct parsed p;
	size_t i;

	(void)state;
	for (i = 0; i <= OPTS_MAX_TOPICS; i++) {
		snprintf(names[i], sizeof(names[i]), "vote/p%zu", i);
		args[2 * i] = "-t";
		args[2 * i + 1] = names[i];
	}
	args[2 * OPTS_MAX_TOPICS] = NULL;
	parse(&p, OPTS_TALLIER, args);
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.t.ntopics, OPTS_MAX_TOPICS);
	assert_string_equal(p.t.topics[OPTS_MAX_TOPICS - 1], "vote/p63");
	done(&p);
	args[2 * OPTS_MAX_TOPICS] = "-t";
	args[2 * OPTS_MAX_TOPICS + 2] = NULL;
	parse(&p, OPTS_TALLIER, args);
	assert_int_equal(p.rc, OPTS_ERROR);
	assert_string_equal(p.err, "too many -t/--topic (at most 64)");
	done(&p);
}

/* ---- the store, audits and the direct TCP mode ---- */

static void opts_parse_should_take_the_store_options(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_TALLIER, ARGS("--db", "/var/lib/mqtt-vote/t.db", "--sync", "full"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.t.db, "/var/lib/mqtt-vote/t.db");
	assert_true(p.t.sync_full);
	assert_null(p.t.export_poll);
	assert_false(p.t.recount);
	done(&p);
	parse(&p, OPTS_TALLIER, ARGS("--db=x.db", "--sync=full", "--sync", "normal"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.t.db, "x.db");
	assert_false(p.t.sync_full);
	done(&p);
}

static void opts_parse_should_take_export_with_each_format(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_TALLIER, ARGS("--export", "budget.2026"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.t.export_poll, "budget.2026");
	assert_false(p.t.json);
	assert_false(p.t.format_given);
	assert_false(p.t.recount);
	done(&p);
	parse(&p, OPTS_TALLIER, ARGS("--db", "t.db", "--export", "p1", "--format", "json"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.t.db, "t.db");
	assert_string_equal(p.t.export_poll, "p1");
	assert_true(p.t.json);
	assert_true(p.t.format_given);
	done(&p);
	/* --format may come first; the last one counts */
	parse(&p, OPTS_TALLIER, ARGS("--format=json", "--format", "csv", "--export=p_1"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.t.export_poll, "p_1");
	assert_false(p.t.json);
	assert_true(p.t.format_given);
	done(&p);
}

static void opts_parse_should_take_recount(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_TALLIER, ARGS("--recount", "--db", "old.db", "--choices", "yes,no"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_true(p.t.recount);
	assert_null(p.t.export_poll);
	assert_string_equal(p.t.db, "old.db");
	assert_int_equal(p.t.nchoices, 2);
	done(&p);
}

static void opts_parse_should_take_the_tcp_server_options(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_TALLIER, ARGS("--listen", "127.0.0.1:7000", "--no-mqtt", "--idle-timeout", "2.5",
				     "--max-clients", "100000"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.t.listen, "127.0.0.1:7000");
	assert_true(p.t.no_mqtt);
	assert_true(p.t.idle_timeout == 2.5);
	assert_int_equal(p.t.max_clients, 100000);
	done(&p);
	/* --listen alone keeps MQTT; the limits at their other ends */
	parse(&p, OPTS_TALLIER, ARGS("--listen=7000", "--idle-timeout=86400", "--max-clients=1"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.t.listen, "7000");
	assert_false(p.t.no_mqtt);
	assert_true(p.t.idle_timeout == 86400.0);
	assert_int_equal(p.t.max_clients, 1);
	done(&p);
	parse(&p, OPTS_TALLIER, ARGS("--listen", "[::1]:7000", "--idle-timeout", "0.001"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.t.listen, "[::1]:7000");
	assert_true(p.t.idle_timeout == 0.001);
	done(&p);
}

static void opts_parse_should_take_the_voter_confirm_and_tcp_options(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_VOTER, ARGS(VB_ARGS, "--confirm"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_true(p.v.confirm);
	assert_false(p.v.tcp);
	done(&p);
	parse(&p, OPTS_VOTER, ARGS(VB_ARGS, "--tcp", "-p", "7000", "--confirm"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_true(p.v.tcp);
	assert_true(p.v.confirm);
	assert_int_equal(p.v.conn.port, 7000);
	assert_string_equal(p.v.poll, "p1");
	done(&p);
}

/* ---- signed ballots ---- */

static void opts_parse_should_take_the_signing_options(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_VOTER, ARGS(VB_ARGS, "--sign-key", "k.pem"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.v.sign_key, "k.pem");
	assert_null(p.v.keygen);
	done(&p);
	/* --keygen makes no ballot: no -t, no -m */
	parse(&p, OPTS_VOTER, ARGS("--keygen", "new.pem", "--voter", "ann"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.v.keygen, "new.pem");
	assert_null(p.v.sign_key);
	assert_string_equal(p.v.voter, "ann");
	done(&p);
	parse(&p, OPTS_TALLIER, ARGS("--roll", "roll.txt"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.t.roll, "roll.txt");
	done(&p);
	parse(&p, OPTS_TALLIER, NO_ARGS);
	assert_null(p.t.roll);
	done(&p);
}

/* ---- help and version ---- */

static void opts_parse_should_answer_help(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_VOTER, ARGS("--help"));
	assert_int_equal(p.rc, OPTS_HELP);
	done(&p);
	parse(&p, OPTS_TALLIER, ARGS("--help"));
	assert_int_equal(p.rc, OPTS_HELP);
	done(&p);
	/* missing -t and -m do not matter when help is asked */
	parse(&p, OPTS_VOTER, ARGS("-q", "1", "--help"));
	assert_int_equal(p.rc, OPTS_HELP);
	done(&p);
}

static void opts_parse_should_answer_version(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_VOTER, ARGS("--version"));
	assert_int_equal(p.rc, OPTS_VERSION);
	done(&p);
	parse(&p, OPTS_TALLIER, ARGS("-v", "--version"));
	assert_int_equal(p.rc, OPTS_VERSION);
	done(&p);
}

static void opts_parse_should_take_h_as_host_not_help(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_TALLIER, ARGS("-h", "example"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.t.conn.host, "example");
	done(&p);
}

/* issue 21: the answers of the other kinds, in the order given, in NFC */
static void opts_parse_should_take_the_answers_of_each_kind(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_VOTER, ARGS("-t", "vote/p1", "--pick", "Tea, hot", "--pick", "cafe\xcc\x81"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.v.kind, POLLDEF_MULTIPLE);
	assert_int_equal(p.v.nnames, 2);
	assert_string_equal(p.v.names[0], "Tea, hot");
	assert_string_equal(p.v.names[1], "caf\xc3\xa9");
	assert_null(p.v.message);
	done(&p);
	parse(&p, OPTS_VOTER, ARGS("-t", "vote/p1", "--rank", "b", "--rank", "a", "--rank", "b"));
	assert_int_equal(p.rc, OPTS_RUN); /* a name twice: the voter's exit 3, not a usage error */
	assert_int_equal(p.v.kind, POLLDEF_RANKED);
	assert_int_equal(p.v.nnames, 3);
	assert_string_equal(p.v.names[0], "b");
	done(&p);
	parse(&p, OPTS_VOTER, ARGS("-t", "vote/p1", "--value", "-1000000"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.v.kind, POLLDEF_SCALE);
	assert_int_equal(p.v.value, -1000000);
	assert_int_equal(p.v.nnames, 0);
	done(&p);
	parse(&p, OPTS_VOTER, ARGS(VB_ARGS));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.v.kind, POLLDEF_SINGLE);
	done(&p);
}

/* issue 21: 32 --pick are taken, a 33rd is a usage error */
static void opts_parse_should_take_32_picks_and_refuse_33(void **state)
{
	static char names[33][8];
	const char *args[2 + 2 * 33 + 1] = { "-t", "vote/p1" };
	struct parsed p;
	int i;

	(void)state;
	for (i = 0; i < 33; i++) {
		snprintf(names[i], sizeof(names[i]), "c%d", i);
		args[2 + 2 * i] = "--pick";
		args[3 + 2 * i] = names[i];
	}
	args[2 + 2 * 32] = NULL;
	parse(&p, OPTS_VOTER, args);
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.v.nnames, 32);
	done(&p);
	args[2 + 2 * 32] = "--pick";
	parse(&p, OPTS_VOTER, args);
	assert_int_equal(p.rc, OPTS_ERROR);
	assert_string_equal(p.err, "too many --pick: at most 32 choices");
	done(&p);
}

/* issue 21: pollctl open --kind and its parameters, and their defaults */
static void opts_parse_should_take_open_s_kind_and_its_parameters(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_POLLCTL, ARGS("open", "p1", "--question", "q", "--choices", "a,b,c"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.c.kind, POLLDEF_SINGLE);
	assert_false(p.c.kind_given);
	assert_int_equal(p.c.min_picks, 1);
	assert_false(p.c.max_picks_given);
	assert_false(p.c.full);
	assert_null(p.c.low_label);
	done(&p);
	parse(&p, OPTS_POLLCTL, ARGS("open", "p1", "--question", "q", "--choices", "a,b,c", "--kind", "multiple",
				     "--min-picks", "0", "--max-picks", "3"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.c.kind, POLLDEF_MULTIPLE);
	assert_int_equal(p.c.min_picks, 0);
	assert_int_equal(p.c.max_picks, 3);
	done(&p);
	parse(&p, OPTS_POLLCTL, ARGS("open", "p1", "--question", "q", "--choices", "a,b", "--kind", "ranked", "--full"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.c.kind, POLLDEF_RANKED);
	assert_true(p.c.full);
	done(&p);
	parse(&p, OPTS_POLLCTL, ARGS("open", "p1", "--question", "q", "--kind", "scale", "--low", "-50", "--high", "50",
				     "--low-label", "cafe\xcc\x81", "--high-label", "good"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.c.kind, POLLDEF_SCALE);
	assert_int_equal(p.c.low, -50);
	assert_int_equal(p.c.high, 50);
	assert_string_equal(p.c.low_label, "caf\xc3\xa9");
	assert_string_equal(p.c.high_label, "good");
	assert_null(p.c.choices);
	done(&p);
}

/* ---- errors ---- */

struct error_case {
	enum opts_prog prog;
	const char *args[14];
	const char *err;
};

#define V OPTS_VOTER
#define T OPTS_TALLIER
#define C OPTS_POLLCTL
#define OPEN "open", "p1", "--question", "q", "--choices", "a,b" /* a valid pollctl open */
#define TIME_FORMS "want a duration from now (+90s, +5m, +1h30m, +2d) or an ISO 8601 time " \
		   "(2026-11-30T10:05:00Z, 2026-11-30T10:05:00+01:00, or 2026-11-30T10:05 in local time)"
#define VB "-t", "vote/p1", "-m", "yes" /* a valid voter base */

static const struct error_case error_cases[] = {
	/* polls (issue 12): voter --info, tallier --defined-only, pollctl */
	{ V, { "-t", "vote/p1", "--info", "-m", "yes" }, "--info sends no ballot: -m/--message does not go with it" },
	{ V, { "-t", "vote/p1", "--info", "--confirm" }, "--info sends no ballot: --confirm does not go with it" },
	{ V, { "-t", "vote/p1", "--info", "--tcp" }, "--info sends no ballot: --tcp does not go with it" },
	{ V, { "--info" }, "missing option -t/--topic" },
	{ V, { "-t", "vote/a+b", "--info" }, "invalid topic 'vote/a+b': " POLL_RULE },
	{ V, { VB, "--defined-only" }, "unknown option '--defined-only'" },
	{ V, { VB, "--question", "q" }, "unknown option '--question'" },
	{ T, { "--info" }, "unknown option '--info'" },
	{ T, { "--closes", "+5m" }, "unknown option '--closes'" },
	{ T, { "--defined-only=yes" }, "option '--defined-only' takes no value" },
	{ C, { "-t", "vote/p1", "list" }, "unknown option '-t'" },
	{ C, { "--info", "list" }, "unknown option '--info'" },
	{ C, { "--db", "x", "list" }, "unknown option '--db'" },
	{ C, { "-v", "list" }, "unknown option '-v'" },
	{ C, { NULL }, "missing a command: open, close, list or show" },
	{ C, { "vote" }, "unknown command 'vote' (want open, close, list or show)" },
	{ C, { "close" }, "missing the poll's name after 'close'" },
	{ C, { "list", "p1" }, "unexpected argument 'p1'" },
	{ C, { "show", "a/b" }, "invalid poll name 'a/b': " POLL_RULE },
	{ C, { "open", "p1", "--choices", "a" }, "open needs --question" },
	{ C, { "open", "p1", "--question", "q" }, "open needs --choices" },
	{ C, { "close", "p1", "--revote", "no" },
	  "--question, --choices, --opens, --closes, --results, --revote and --roll go with open" },
	{ C, { OPEN, "--question", "" }, "invalid --question: must be 1 to 500 bytes of UTF-8 without control characters" },
	{ C, { OPEN, "--question", "a\x7f" }, "invalid --question: must be 1 to 500 bytes of UTF-8 without control characters" },
	{ C, { OPEN, "--question", "\xc3" }, "invalid --question: must be 1 to 500 bytes of UTF-8 without control characters" },
	{ C, { "open", "p1", "--question", "q", "--choices", "a,a" }, "invalid --choices 'a,a': choice 'a' given twice" },
	{ C, { OPEN, "--question", "a\xe2\x80\xae" "b" },
	  "invalid --question: contains an invisible or format character U+202E" },
	{ C, { OPEN, "--question", "a\xe2\x80\x8b" "b" },
	  "invalid --question: contains an invisible or format character U+200B" },
	{ C, { "open", "p1", "--question", "q", "--choices", "a,\xd0\xb0" },
	  "invalid --choices 'a,\xd0\xb0': choice '\xd0\xb0' looks like 'a' (confusable, Unicode TR 39)" },
	{ C, { OPEN, "--closes", "soon" }, "invalid --closes 'soon': " TIME_FORMS },
	{ C, { OPEN, "--opens", "2026-13-01T00:00Z" }, "invalid --opens '2026-13-01T00:00Z': no such date: 2026-13-01" },
	{ C, { OPEN, "--opens", "+2h", "--closes", "+1h" }, "--closes must be after --opens" },
	{ C, { OPEN, "--closes", "2000-01-01T00:00:00Z" }, "--closes must be in the future" },
	{ C, { OPEN, "--results", "never" }, "invalid --results 'never' (want live or after-close)" },
	{ C, { OPEN, "--revote", "1" }, "invalid --revote '1' (want yes or no)" },
	{ C, { "-P", "pw", "list" }, "-P/--pw given without -u/--username" },
	/* unknown options and missing values */
	{ V, { VB, "-x" }, "unknown option '-x'" },
	{ V, { VB, "--bogus" }, "unknown option '--bogus'" },
	{ V, { VB, "--bogus=1" }, "unknown option '--bogus'" },
	{ T, { "-x" }, "unknown option '-x'" },
	{ T, { "--bogus" }, "unknown option '--bogus'" },
	{ V, { VB, "-p" }, "option '-p' needs a value" },
	{ V, { VB, "--port" }, "option '--port' needs a value" },
	{ V, { VB, "--host" }, "option '--host' needs a value" },
	{ V, { VB, "--timeout" }, "option '--timeout' needs a value" },
	{ V, { VB, "--voter" }, "option '--voter' needs a value" },
	{ V, { "-m", "yes", "-t" }, "option '-t' needs a value" },
	{ T, { "-t" }, "option '-t' needs a value" },
	{ T, { "--choices" }, "option '--choices' needs a value" },
	{ T, { "--revote" }, "option '--revote' needs a value" },
	{ V, { VB, "extra" }, "unexpected argument 'extra'" },
	{ T, { "vote/+" }, "unexpected argument 'vote/+'" },
	/* port */
	{ V, { VB, "-p", "0" }, "invalid port '0' (want 1-65535)" },
	{ V, { VB, "-p", "65536" }, "invalid port '65536' (want 1-65535)" },
	{ V, { VB, "-p", "abc" }, "invalid port 'abc' (want 1-65535)" },
	{ V, { VB, "-p", "-1" }, "invalid port '-1' (want 1-65535)" },
	{ V, { VB, "-p", "" }, "invalid port '' (want 1-65535)" },
	{ V, { VB, "-p", "80x" }, "invalid port '80x' (want 1-65535)" },
	{ V, { VB, "-p", "99999999999999999999" }, "invalid port '99999999999999999999' (want 1-65535)" },
	{ T, { "--port", "0" }, "invalid port '0' (want 1-65535)" },
	{ T, { "--port=65536" }, "invalid port '65536' (want 1-65535)" },
	/* qos */
	{ V, { VB, "-q", "3" }, "invalid QoS '3' (want 0, 1 or 2)" },
	{ V, { VB, "-q", "-1" }, "invalid QoS '-1' (want 0, 1 or 2)" },
	{ V, { VB, "--qos", "one" }, "invalid QoS 'one' (want 0, 1 or 2)" },
	{ V, { VB, "--qos", "" }, "invalid QoS '' (want 0, 1 or 2)" },
	{ V, { VB, "--qos", "10" }, "invalid QoS '10' (want 0, 1 or 2)" },
	/* protocol version */
	{ V, { VB, "-V", "4" }, "invalid protocol version '4' (want mqttv5 or mqttv311)" },
	{ V, { VB, "-V", "mqttv31" }, "invalid protocol version 'mqttv31' (want mqttv5 or mqttv311)" },
	{ V, { VB, "-V", "MQTTV5" }, "invalid protocol version 'MQTTV5' (want mqttv5 or mqttv311)" },
	{ T, { "-V", "3" }, "invalid protocol version '3' (want mqttv5 or mqttv311)" },
	/* timeout */
	{ V, { VB, "--timeout", "0" }, "invalid timeout '0' (want a positive number of seconds)" },
	{ V, { VB, "--timeout", "-1" }, "invalid timeout '-1' (want a positive number of seconds)" },
	{ V, { VB, "--timeout", "x" }, "invalid timeout 'x' (want a positive number of seconds)" },
	{ V, { VB, "--timeout", "" }, "invalid timeout '' (want a positive number of seconds)" },
	{ V, { VB, "--timeout", "5s" }, "invalid timeout '5s' (want a positive number of seconds)" },
	{ V, { VB, "--timeout", "nan" }, "invalid timeout 'nan' (want a positive number of seconds)" },
	{ V, { VB, "--timeout", "inf" }, "invalid timeout 'inf' (want a positive number of seconds)" },
	/* voter: topic and message */
	{ V, { NULL }, "missing option -t/--topic" },
	{ V, { "-m", "yes" }, "missing option -t/--topic" },
	{ V, { "-t", "vote/p1" }, "missing option -m/--message" },
	{ V, { "-t", "p1", "-m", "yes" }, "invalid topic 'p1': ballots go to vote/<poll>" },
	{ V, { "-t", "vote/a/b", "-m", "yes" }, "invalid topic 'vote/a/b': ballots go to vote/<poll>" },
	{ V, { "-t", "vote/p1/result", "-m", "yes" }, "invalid topic 'vote/p1/result': ballots go to vote/<poll>" },
	{ V, { "-t", "other/p1", "-m", "yes" }, "invalid topic 'other/p1': ballots go to vote/<poll>" },
	{ V, { "-t", "vote/", "-m", "yes" }, "invalid topic 'vote/': " POLL_RULE },
	{ V, { "-t", "vote/+", "-m", "yes" }, "invalid topic 'vote/+': " POLL_RULE },
	{ V, { "-t", "vote/#", "-m", "yes" }, "invalid topic 'vote/#': " POLL_RULE },
	{ V, { "-t", "#", "-m", "yes" }, "invalid topic '#': ballots go to vote/<poll>" },
	{ V, { "-t", "vote/a b", "-m", "yes" }, "invalid topic 'vote/a b': " POLL_RULE },
	{ V, { "-t", "vote/p1", "-t", "vote/p2", "-m", "yes" }, "only one -t/--topic may be given" },
	{ V, { "-t", "vote/p1", "-m", "" }, "invalid choice: " TEXT_RULE },
	{ V, { "-t", "vote/p1", "-m", "a\x01" }, "invalid choice: " TEXT_RULE },
	{ V, { "-t", "vote/p1", "-m", "a\xc2\x85" }, "invalid choice: " TEXT_RULE },
	{ V, { "-t", "vote/p1", "-m", "\xc0\xaf" }, "invalid choice: " TEXT_RULE },
	{ V, { "-t", "vote/p1", "-m",
	       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	  "invalid choice: " TEXT_RULE },
	{ V, { VB, "--voter", "" }, "invalid voter name: " TEXT_RULE },
	{ V, { VB, "--voter", "a\tb" }, "invalid voter name: " TEXT_RULE },
	{ V, { VB, "--voter",
	       "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" },
	  "invalid voter name: " TEXT_RULE },
	/* the question kinds (issue 21): one answer; --pick, --rank, --value; pollctl --kind */
	{ V, { "-t", "vote/p1", "--pick", "a", "--rank", "b" },
	  "--pick and --rank do not go together: a ballot carries one answer" },
	{ V, { VB, "--pick", "a" }, "-m/--message and --pick do not go together: a ballot carries one answer" },
	{ V, { "-t", "vote/p1", "--value", "1", "--rank", "b" },
	  "--rank and --value do not go together: a ballot carries one answer" },
	{ V, { VB, "--value", "1" }, "-m/--message and --value do not go together: a ballot carries one answer" },
	{ V, { "-t", "vote/p1", "--value", "4.5" }, "invalid --value '4.5' (want an integer from -1000000 to 1000000)" },
	{ V, { "-t", "vote/p1", "--value", "" }, "invalid --value '' (want an integer from -1000000 to 1000000)" },
	{ V, { "-t", "vote/p1", "--value", "-" }, "invalid --value '-' (want an integer from -1000000 to 1000000)" },
	{ V, { "-t", "vote/p1", "--value", "+3" }, "invalid --value '+3' (want an integer from -1000000 to 1000000)" },
	{ V, { "-t", "vote/p1", "--value", "1000001" },
	  "invalid --value '1000001' (want an integer from -1000000 to 1000000)" },
	{ V, { "-t", "vote/p1", "--pick", "" }, "invalid --pick: " TEXT_RULE },
	{ V, { "-t", "vote/p1", "--rank", "a\x01" }, "invalid --rank: " TEXT_RULE },
	{ V, { "-t", "vote/p1", "--rank", "a\xe2\x80\x8b" },
	  "invalid --rank: contains an invisible or format character U+200B" },
	{ V, { "-t", "vote/p1", "--info", "--value", "3" }, "--info sends no ballot: --value does not go with it" },
	{ V, { "-t", "vote/p1", "--pick" }, "option '--pick' needs a value" },
	{ C, { OPEN, "--kind", "poll" }, "invalid --kind 'poll' (want single, multiple, ranked or scale)" },
	{ C, { OPEN, "--full" }, "--full goes with --kind ranked" },
	{ C, { OPEN, "--min-picks", "1" }, "--min-picks goes with --kind multiple" },
	{ C, { OPEN, "--kind", "ranked", "--max-picks", "1" }, "--max-picks goes with --kind multiple" },
	{ C, { OPEN, "--kind", "multiple", "--high-label", "x" }, "--high-label goes with --kind scale" },
	{ C, { OPEN, "--kind", "multiple", "--max-picks", "3" }, "--max-picks 3 is more than the 2 choices" },
	{ C, { OPEN, "--kind", "multiple", "--max-picks", "0" }, "invalid --max-picks '0' (want 1 to 32)" },
	{ C, { OPEN, "--kind", "multiple", "--min-picks", "-1" }, "invalid --min-picks '-1' (want 0 to 32)" },
	{ C, { OPEN, "--kind", "multiple", "--min-picks", "2", "--max-picks", "1" },
	  "--min-picks 2 is more than --max-picks (1)" },
	{ C, { OPEN, "--kind", "multiple", "--min-picks", "3" }, "--min-picks 3 is more than --max-picks (2)" },
	{ C, { "open", "p1", "--question", "q", "--choices", "a", "--kind", "ranked" },
	  "--kind ranked needs 2 choices at least" },
	{ C, { OPEN, "--kind", "scale", "--low", "1", "--high", "2" },
	  "--kind scale takes no --choices (its voters give a value from --low to --high)" },
	{ C, { "open", "p1", "--question", "q", "--kind", "scale", "--high", "2" }, "--kind scale needs --low and --high" },
	{ C, { "open", "p1", "--question", "q", "--kind", "scale", "--low", "2", "--high", "2" },
	  "--high must be 1 to 100 more than --low (a scale of 2 to 101 values)" },
	{ C, { "open", "p1", "--question", "q", "--kind", "scale", "--low", "0", "--high", "101" },
	  "--high must be 1 to 100 more than --low (a scale of 2 to 101 values)" },
	{ C, { "open", "p1", "--question", "q", "--kind", "scale", "--low", "-1000001" },
	  "invalid --low '-1000001' (want an integer from -1000000 to 1000000)" },
	{ C, { "open", "p1", "--question", "q", "--kind", "scale", "--high", "1e3" },
	  "invalid --high '1e3' (want an integer from -1000000 to 1000000)" },
	{ C, { "open", "p1", "--question", "q", "--kind", "scale", "--low-label", "" },
	  "invalid --low-label: " TEXT_RULE },
	{ C, { "open", "p1", "--question", "q", "--kind", "multiple" }, "open needs --choices" },
	{ C, { "close", "p1", "--kind", "ranked" },
	  "--kind, --min-picks, --max-picks, --full, --low, --high, --low-label and --high-label go with open" },
	{ C, { "show", "p1", "--low", "1" },
	  "--kind, --min-picks, --max-picks, --full, --low, --high, --low-label and --high-label go with open" },
	/* connection */
	{ V, { VB, "-h", "" }, "invalid host '' (want a name or an address)" },
	{ V, { VB, "-i", "" }, "invalid client id '' (want 1 to 65535 bytes)" },
	{ V, { VB, "-P", "secret" }, "-P/--pw given without -u/--username" },
	{ T, { "--pw", "secret" }, "-P/--pw given without -u/--username" },
	/* tallier: topics, choices, revote */
	{ T, { "-t", "vote/a+" }, "invalid topic filter 'vote/a+'" },
	{ T, { "-t", "vote/#/x" }, "invalid topic filter 'vote/#/x'" },
	{ T, { "-t", "" }, "invalid topic filter ''" },
	{ T, { "--choices", "" }, "invalid --choices '': each choice " TEXT_RULE },
	{ T, { "--choices", "a,,b" }, "invalid --choices 'a,,b': each choice " TEXT_RULE },
	{ T, { "--choices", "a,b," }, "invalid --choices 'a,b,': each choice " TEXT_RULE },
	{ T, { "--choices", ",a" }, "invalid --choices ',a': each choice " TEXT_RULE },
	{ T, { "--choices", "a,b\x01" }, "invalid --choices 'a,b\x01': each choice " TEXT_RULE },
	{ T, { "--choices", "a,b,a" }, "invalid --choices 'a,b,a': choice 'a' given twice" },
	{ T, { "--choices", "yes,yes" }, "invalid --choices 'yes,yes': choice 'yes' given twice" },
	{ T, { "--revote", "maybe" }, "invalid --revote 'maybe' (want yes or no)" },
	{ T, { "--revote", "YES" }, "invalid --revote 'YES' (want yes or no)" },
	{ T, { "--revote", "" }, "invalid --revote '' (want yes or no)" },
	/* tallier: the store and audits */
	{ T, { "--db" }, "option '--db' needs a value" },
	{ T, { "--db", "" }, "invalid --db '' (want a file path)" },
	{ T, { "--db=" }, "invalid --db '' (want a file path)" },
	{ T, { "--sync" }, "option '--sync' needs a value" },
	{ T, { "--sync", "fast" }, "invalid --sync 'fast' (want normal or full)" },
	{ T, { "--sync", "FULL" }, "invalid --sync 'FULL' (want normal or full)" },
	{ T, { "--sync", "" }, "invalid --sync '' (want normal or full)" },
	{ T, { "--export" }, "option '--export' needs a value" },
	{ T, { "--export", "" }, "invalid --export '': " POLL_RULE },
	{ T, { "--export", "a b" }, "invalid --export 'a b': " POLL_RULE },
	{ T, { "--export", "vote/p1" }, "invalid --export 'vote/p1': " POLL_RULE },
	{ T, { "--export", "+" }, "invalid --export '+': " POLL_RULE },
	{ T, { "--export",
	       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	  "invalid --export 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': " POLL_RULE },
	{ T, { "--export", "p1", "--format" }, "option '--format' needs a value" },
	{ T, { "--export", "p1", "--format", "xml" }, "invalid --format 'xml' (want csv or json)" },
	{ T, { "--export", "p1", "--format", "JSON" }, "invalid --format 'JSON' (want csv or json)" },
	{ T, { "--export", "p1", "--format", "" }, "invalid --format '' (want csv or json)" },
	{ T, { "--format", "json" }, "--format goes with --export" },
	{ T, { "--format", "csv", "--recount" }, "--format goes with --export" },
	{ T, { "--export", "p1", "--recount" }, "--export and --recount do not go together" },
	{ T, { "--recount", "--export", "p1", "--format", "csv" }, "--export and --recount do not go together" },
	{ T, { "--recount=yes" }, "option '--recount' takes no value" },
	/* tallier: the direct TCP mode */
	{ T, { "--listen" }, "option '--listen' needs a value" },
	{ T, { "--listen", "" }, "invalid --listen '' (want [ADDR:]PORT)" },
	{ T, { "--no-mqtt" }, "--no-mqtt needs --listen (else nothing brings ballots)" },
	{ T, { "--no-mqtt=1", "--listen", "7000" }, "option '--no-mqtt' takes no value" },
	{ T, { "--listen", "7000", "--idle-timeout" }, "option '--idle-timeout' needs a value" },
	{ T, { "--idle-timeout", "0" }, "invalid --idle-timeout '0' (want a positive number of seconds)" },
	{ T, { "--idle-timeout", "-1" }, "invalid --idle-timeout '-1' (want a positive number of seconds)" },
	{ T, { "--idle-timeout", "86401" }, "invalid --idle-timeout '86401' (want a positive number of seconds)" },
	{ T, { "--idle-timeout", "5s" }, "invalid --idle-timeout '5s' (want a positive number of seconds)" },
	{ T, { "--idle-timeout", "" }, "invalid --idle-timeout '' (want a positive number of seconds)" },
	{ T, { "--idle-timeout", "inf" }, "invalid --idle-timeout 'inf' (want a positive number of seconds)" },
	{ T, { "--max-clients" }, "option '--max-clients' needs a value" },
	{ T, { "--max-clients", "0" }, "invalid --max-clients '0' (want 1 to 100000)" },
	{ T, { "--max-clients", "100001" }, "invalid --max-clients '100001' (want 1 to 100000)" },
	{ T, { "--max-clients", "-5" }, "invalid --max-clients '-5' (want 1 to 100000)" },
	{ T, { "--max-clients", "+5" }, "invalid --max-clients '+5' (want 1 to 100000)" },
	{ T, { "--max-clients", "10x" }, "invalid --max-clients '10x' (want 1 to 100000)" },
	{ T, { "--max-clients", "" }, "invalid --max-clients '' (want 1 to 100000)" },
	{ T, { "--max-clients", "99999999999999999999" },
	  "invalid --max-clients '99999999999999999999' (want 1 to 100000)" },
	/* voter: receipts and the direct TCP mode */
	{ V, { VB, "--confirm=yes" }, "option '--confirm' takes no value" },
	{ V, { VB, "--tcp=1" }, "option '--tcp' takes no value" },
	/* each program takes only its own options */
	{ V, { VB, "-v" }, "unknown option '-v'" },
	{ V, { VB, "--verbose" }, "unknown option '--verbose'" },
	{ V, { VB, "--choices", "a,b" }, "unknown option '--choices'" },
	{ V, { VB, "--revote", "no" }, "unknown option '--revote'" },
	{ T, { "-m", "yes" }, "unknown option '-m'" },
	{ T, { "--message", "yes" }, "unknown option '--message'" },
	{ T, { "-q", "1" }, "unknown option '-q'" },
	{ T, { "--qos", "1" }, "unknown option '--qos'" },
	{ T, { "-d" }, "unknown option '-d'" },
	{ T, { "--debug" }, "unknown option '--debug'" },
	{ T, { "--voter", "bob" }, "unknown option '--voter'" },
	{ T, { "--timeout", "5" }, "unknown option '--timeout'" },
	{ V, { VB, "--db", "t.db" }, "unknown option '--db'" },
	{ V, { VB, "--sync", "full" }, "unknown option '--sync'" },
	{ V, { VB, "--export", "p1" }, "unknown option '--export'" },
	{ V, { VB, "--format", "json" }, "unknown option '--format'" },
	{ V, { VB, "--recount" }, "unknown option '--recount'" },
	{ V, { VB, "--listen", "7000" }, "unknown option '--listen'" },
	{ V, { VB, "--no-mqtt" }, "unknown option '--no-mqtt'" },
	{ V, { VB, "--idle-timeout", "5" }, "unknown option '--idle-timeout'" },
	{ V, { VB, "--max-clients", "5" }, "unknown option '--max-clients'" },
	{ T, { "--confirm" }, "unknown option '--confirm'" },
	{ T, { "--tcp" }, "unknown option '--tcp'" },
	/* signed ballots */
	{ V, { VB, "--roll", "r.txt" }, "unknown option '--roll'" },
	{ T, { "--sign-key", "k.pem" }, "unknown option '--sign-key'" },
	{ T, { "--keygen", "k.pem" }, "unknown option '--keygen'" },
	{ V, { VB, "--sign-key" }, "option '--sign-key' needs a value" },
	{ V, { VB, "--sign-key", "" }, "invalid --sign-key '' (want a file path)" },
	{ V, { "--keygen", "" }, "invalid --keygen '' (want a file path)" },
	{ T, { "--roll", "" }, "invalid --roll '' (want a file path)" },
	{ V, { "--keygen", "k.pem", "--sign-key", "k.pem" }, "--keygen and --sign-key do not go together" },
	{ V, { "--keygen", "k.pem", "--voter", "a\x01" }, "invalid voter name: " TEXT_RULE },
	{ V, { "--sign-key", "k.pem" }, "missing option -t/--topic" },
	{ T, { "--roll", "r.txt", "--export", "p1" }, "--roll goes with neither --export nor --recount" },
	{ T, { "--roll", "r.txt", "--recount" }, "--roll goes with neither --export nor --recount" },
};

static const char *result_name(enum opts_result r)
{
	switch (r) {
	case OPTS_RUN: return "RUN";
	case OPTS_HELP: return "HELP";
	case OPTS_VERSION: return "VERSION";
	case OPTS_ERROR: return "ERROR";
	}
	return "?";
}

static void opts_parse_should_refuse_bad_command_lines_with_the_table_messages(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		struct parsed p;
		char line[512] = "";
		size_t k;

		for (k = 0; c->args[k]; k++) {
			strncat(line, " ", sizeof(line) - strlen(line) - 1);
			strncat(line, c->args[k], sizeof(line) - strlen(line) - 1);
		}
		parse(&p, c->prog, c->args);
		if (p.rc != OPTS_ERROR || strcmp(p.err, c->err) != 0) {
			print_error("%s%s:\n  expected ERROR \"%s\"\n  got      %s \"%s\"\n",
				    c->prog == V ? "voter" : c->prog == T ? "tallier" : "pollctl", line, c->err, result_name(p.rc),
				    p.rc == OPTS_ERROR ? p.err : "");
			failures++;
		}
		done(&p);
	}
	assert_int_equal(failures, 0);
}

/* ---- polls (issue 12) ---- */

static void opts_parse_should_give_the_pollctl_defaults(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_POLLCTL, ARGS("list"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.prog, OPTS_POLLCTL);
	assert_int_equal(p.c.command, OPTS_CMD_LIST);
	assert_string_equal(p.c.conn.host, "localhost");
	assert_int_equal(p.c.conn.port, 1884); /* the loopback listener: the organiser's */
	assert_null(p.c.conn.client_id);
	assert_int_equal(p.c.conn.mqtt_version, 5);
	assert_true(p.c.timeout == 10.0);
	assert_false(p.c.debug);
	assert_false(p.c.quiet);
	assert_string_equal(p.c.poll, "");
	done(&p);
	parse(&p, OPTS_POLLCTL, ARGS("-d", "--quiet", "--timeout", "1", "close", "p.1"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.c.command, OPTS_CMD_CLOSE);
	assert_string_equal(p.c.poll, "p.1");
	assert_true(p.c.debug && p.c.quiet && p.c.timeout == 1.0);
	done(&p);
	parse(&p, OPTS_POLLCTL, ARGS("show", "p2", "-p", "1885"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.c.command, OPTS_CMD_SHOW);
	assert_string_equal(p.c.poll, "p2");
	assert_int_equal(p.c.conn.port, 1885);
	done(&p);
}

static void opts_parse_should_take_the_options_of_open(void **state)
{
	struct parsed p;
	int64_t before = vtime_now_ms(), after;

	(void)state;
	parse(&p, OPTS_POLLCTL, ARGS("open", "p1", "--question", "Lunch?", "--choices", "yes,no,abstain"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.c.command, OPTS_CMD_OPEN);
	assert_string_equal(p.c.question, "Lunch?");
	assert_int_equal(p.c.nchoices, 3);
	assert_string_equal(p.c.choices[2], "abstain");
	assert_false(p.c.has_opens);
	assert_int_equal(p.c.closes_ms, 0); /* by hand only */
	assert_false(p.c.after_close);
	assert_true(p.c.revote);
	done(&p);
	/* options before, between and after the arguments */
	parse(&p, OPTS_POLLCTL, ARGS("--opens", "+1h", "open", "--closes", "+1h30m", "p1", "--question", "q",
				     "--choices", "a", "--results", "after-close", "--revote", "no"));
	after = vtime_now_ms();
	assert_int_equal(p.rc, OPTS_RUN);
	assert_true(p.c.has_opens);
	assert_in_range(p.c.opens_ms, before + 3600000, after + 3600000);
	assert_int_equal(p.c.closes_ms - p.c.opens_ms, 1800000); /* one now for both */
	assert_true(p.c.after_close);
	assert_false(p.c.revote);
	done(&p);
	parse(&p, OPTS_POLLCTL, ARGS(OPEN, "--opens", "2030-01-01T00:00:00Z", "--closes", "2030-01-01T01:00:00+01:00"));
	assert_int_equal(p.rc, OPTS_ERROR);
	assert_string_equal(p.err, "--closes must be after --opens");
	done(&p);
	parse(&p, OPTS_POLLCTL, ARGS(OPEN, "--opens", "2030-01-01T00:00:00Z", "--closes", "2030-01-01T00:00:01Z"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.c.opens_ms, 1893456000000LL);
	assert_int_equal(p.c.closes_ms, 1893456001000LL);
	done(&p);
}

/* opts_parse_should_keep_open_s_times_in_range: --opens and --closes take
 * 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z, whatever the offset
 * (issue 19: a closing time in the year 10000 was taken, and the tallier
 * could no longer write the poll's information); 0 is a time, not "none". */
static void opts_parse_should_keep_open_s_times_in_range(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_POLLCTL, ARGS(OPEN, "--closes", "9999-12-31T23:59:59-14:00"));
	assert_int_equal(p.rc, OPTS_ERROR);
	assert_string_equal(p.err, "invalid --closes '9999-12-31T23:59:59-14:00': the time must be from "
				   "1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z");
	done(&p);
	parse(&p, OPTS_POLLCTL, ARGS(OPEN, "--opens", "1970-01-01T00:00:00+01:00"));
	assert_int_equal(p.rc, OPTS_ERROR);
	assert_string_equal(p.err, "invalid --opens '1970-01-01T00:00:00+01:00': the time must be from "
				   "1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z");
	done(&p);
	parse(&p, OPTS_POLLCTL, ARGS(OPEN, "--opens", "1970-01-01T00:00:00Z", "--closes", "9999-12-31T23:59:59Z"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_true(p.c.has_opens);
	assert_int_equal(p.c.opens_ms, 0);
	assert_int_equal(p.c.closes_ms, 253402300799000LL);
	done(&p);
	/* a closing time of 0 is in the past, not "by hand only" */
	parse(&p, OPTS_POLLCTL, ARGS(OPEN, "--closes", "1970-01-01T00:00:00Z"));
	assert_int_equal(p.rc, OPTS_ERROR);
	assert_string_equal(p.err, "--closes must be in the future");
	done(&p);
	parse(&p, OPTS_POLLCTL, ARGS(OPEN, "--opens", "1970-01-01T00:00:00Z", "--closes", "1970-01-01T00:00:00Z"));
	assert_int_equal(p.rc, OPTS_ERROR);
	assert_string_equal(p.err, "--closes must be after --opens");
	done(&p);
}

static void opts_parse_should_take_info_and_defined_only(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, OPTS_VOTER, ARGS("-t", "vote/p1", "--info"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_true(p.v.info);
	assert_null(p.v.message);
	assert_string_equal(p.v.poll, "p1");
	done(&p);
	parse(&p, OPTS_VOTER, ARGS(VB_ARGS));
	assert_false(p.v.info);
	done(&p);
	parse(&p, OPTS_TALLIER, ARGS("--defined-only"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_true(p.t.defined_only);
	done(&p);
	parse(&p, OPTS_TALLIER, NO_ARGS);
	assert_false(p.t.defined_only);
	done(&p);
}

static void opts_parse_should_parse_again_after_an_error(void **state)
{
	struct parsed p;

	(void)state;
	/* an error in the middle of bundled short options leaves getopt mid-word */
	parse(&p, OPTS_VOTER, ARGS("-dxq", "2", "-t", "vote/p", "-m", "a"));
	assert_int_equal(p.rc, OPTS_ERROR);
	assert_string_equal(p.err, "unknown option '-x'");
	done(&p);
	parse(&p, OPTS_VOTER, ARGS("-q", "2", "-t", "vote/p2", "-m", "b"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_int_equal(p.v.qos, 2);
	assert_false(p.v.debug);
	assert_string_equal(p.v.poll, "p2");
	done(&p);
	parse(&p, OPTS_TALLIER, ARGS("--choices", "a,b", "--revote", "maybe"));
	assert_int_equal(p.rc, OPTS_ERROR);
	done(&p);
	parse(&p, OPTS_TALLIER, NO_ARGS);
	assert_int_equal(p.rc, OPTS_RUN);
	assert_null(p.t.choices);
	assert_int_equal(p.t.nchoices, 0);
	assert_true(p.t.revote);
	done(&p);
}

static void opts_free_should_be_safe_after_an_error_with_choices(void **state)
{
	struct parsed p;

	(void)state;
	/* choices parsed, then an error: opts_free releases them (ASan checks) */
	parse(&p, OPTS_TALLIER, ARGS("--choices", "a,b,c", "-x"));
	assert_int_equal(p.rc, OPTS_ERROR);
	done(&p);
	parse(&p, OPTS_TALLIER, ARGS("--choices", "a,b", "--choices", "c,c"));
	assert_int_equal(p.rc, OPTS_ERROR);
	done(&p);
}

/* ---- TLS (both programs) ---- */

static void opts_parse_should_take_the_tls_options_and_default_to_port_8883(void **state)
{
	static const enum opts_prog progs[] = { OPTS_VOTER, OPTS_TALLIER };
	const struct conn_opts *conn;
	struct parsed p;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		parse(&p, progs[i], progs[i] == OPTS_VOTER
			  ? ARGS(VB_ARGS, "--cafile", "ca.crt", "--cert", "c.crt", "--key", "c.key", "--insecure",
				 "--tls-version", "tlsv1.3")
			  : ARGS("--cafile", "ca.crt", "--cert", "c.crt", "--key", "c.key", "--insecure",
				 "--tls-version", "tlsv1.3"));
		assert_int_equal(p.rc, OPTS_RUN);
		conn = progs[i] == OPTS_VOTER ? &p.v.conn : &p.t.conn;
		assert_string_equal(conn->tls.cafile, "ca.crt");
		assert_null(conn->tls.capath);
		assert_string_equal(conn->tls.cert, "c.crt");
		assert_string_equal(conn->tls.key, "c.key");
		assert_true(conn->tls.insecure);
		assert_int_equal(conn->tls.version, TLSOPTS_V1_3);
		assert_true(tlsopts_on(&conn->tls));
		assert_int_equal(conn->port, 8883);
		done(&p);
	}
	parse(&p, OPTS_TALLIER, ARGS("--capath", "/etc/ssl/certs", "-p", "1234"));
	assert_int_equal(p.rc, OPTS_RUN);
	assert_string_equal(p.t.conn.tls.capath, "/etc/ssl/certs");
	assert_int_equal(p.t.conn.tls.version, TLSOPTS_V1_2);
	assert_false(p.t.conn.tls.insecure);
	assert_int_equal(p.t.conn.port, 1234); /* -p wins, before or after */
	done(&p);
	parse(&p, OPTS_VOTER, ARGS("-p", "1883", VB_ARGS, "--cafile", "ca.crt"));
	assert_int_equal(p.v.conn.port, 1883);
	done(&p);
	parse(&p, OPTS_VOTER, ARGS(VB_ARGS));
	assert_false(tlsopts_on(&p.v.conn.tls));
	assert_int_equal(p.v.conn.port, 1883); /* the plain default without TLS */
	done(&p);
}

static void opts_parse_should_refuse_tls_options_that_do_not_go_together(void **state)
{
	const struct {
		const char *const *args;
		const char *err;
	} cases[] = {
		{ ARGS(VB_ARGS, "--cert", "c.crt", "--key", "c.key"),
		  "--cert needs --cafile or --capath (TLS is used only with a CA to check the broker's certificate "
		  "against)" },
		{ ARGS(VB_ARGS, "--insecure"),
		  "--insecure needs --cafile or --capath (TLS is used only with a CA to check the broker's "
		  "certificate against)" },
		{ ARGS(VB_ARGS, "--tls-version", "tlsv1.2"),
		  "--tls-version needs --cafile or --capath (TLS is used only with a CA to check the broker's "
		  "certificate against)" },
		{ ARGS(VB_ARGS, "--cafile", "ca.crt", "--cert", "c.crt"),
		  "--cert and --key go together (the client certificate and its key)" },
		{ ARGS(VB_ARGS, "--cafile", "ca.crt", "--key", "c.key"),
		  "--cert and --key go together (the client certificate and its key)" },
		{ ARGS(VB_ARGS, "--cafile", "ca.crt", "--tls-version", "tlsv1.1"),
		  "invalid --tls-version 'tlsv1.1' (want tlsv1.2 or tlsv1.3)" },
		{ ARGS(VB_ARGS, "--cafile", ""), "invalid --cafile '' (want a path)" },
		{ ARGS(VB_ARGS, "--capath", ""), "invalid --capath '' (want a path)" },
		{ ARGS(VB_ARGS, "--cafile"), "option '--cafile' needs a value" },
		{ ARGS(VB_ARGS, "--insecure=yes"), "option '--insecure' takes no value" },
		{ ARGS(VB_ARGS, "--tcp", "-p", "7883", "--cafile", "ca.crt"),
		  "the TLS options are for the broker: --tcp has none" },
	};
	struct parsed p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse(&p, OPTS_VOTER, cases[i].args);
		assert_int_equal(p.rc, OPTS_ERROR);
		assert_string_equal(p.err, cases[i].err);
		done(&p);
	}
	parse(&p, OPTS_TALLIER, ARGS("--no-mqtt", "--listen", "0", "--cafile", "ca.crt"));
	assert_int_equal(p.rc, OPTS_ERROR);
	assert_string_equal(p.err, "the TLS options are for the broker: --no-mqtt has none");
	done(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opts_parse_should_give_the_voter_defaults),
		cmocka_unit_test(opts_parse_should_give_the_tallier_defaults),
		cmocka_unit_test(opts_parse_should_take_the_voter_long_options),
		cmocka_unit_test(opts_parse_should_take_the_voter_short_options),
		cmocka_unit_test(opts_parse_should_take_attached_values),
		cmocka_unit_test(opts_parse_should_take_the_tallier_options),
		cmocka_unit_test(opts_parse_should_take_revote_yes_and_verbose_long),
		cmocka_unit_test(opts_parse_should_own_the_choices),
		cmocka_unit_test(opts_parse_should_give_the_nfc_form_of_names_choices_and_question),
		cmocka_unit_test(opts_parse_should_let_a_later_choices_replace_an_earlier_one),
		cmocka_unit_test(opts_parse_should_take_every_protocol_version_spelling),
		cmocka_unit_test(opts_parse_should_take_64_tallier_topics_and_refuse_65),
		cmocka_unit_test(opts_parse_should_take_the_store_options),
		cmocka_unit_test(opts_parse_should_take_export_with_each_format),
		cmocka_unit_test(opts_parse_should_take_recount),
		cmocka_unit_test(opts_parse_should_take_the_tcp_server_options),
		cmocka_unit_test(opts_parse_should_take_the_voter_confirm_and_tcp_options),
		cmocka_unit_test(opts_parse_should_take_the_signing_options),
		cmocka_unit_test(opts_parse_should_answer_help),
		cmocka_unit_test(opts_parse_should_answer_version),
		cmocka_unit_test(opts_parse_should_take_h_as_host_not_help),
		cmocka_unit_test(opts_parse_should_take_the_answers_of_each_kind),
		cmocka_unit_test(opts_parse_should_take_32_picks_and_refuse_33),
		cmocka_unit_test(opts_parse_should_take_open_s_kind_and_its_parameters),
		cmocka_unit_test(opts_parse_should_refuse_bad_command_lines_with_the_table_messages),
		cmocka_unit_test(opts_parse_should_give_the_pollctl_defaults),
		cmocka_unit_test(opts_parse_should_take_the_options_of_open),
		cmocka_unit_test(opts_parse_should_keep_open_s_times_in_range),
		cmocka_unit_test(opts_parse_should_take_info_and_defined_only),
		cmocka_unit_test(opts_parse_should_parse_again_after_an_error),
		cmocka_unit_test(opts_free_should_be_safe_after_an_error_with_choices),
		cmocka_unit_test(opts_parse_should_take_the_tls_options_and_default_to_port_8883),
		cmocka_unit_test(opts_parse_should_refuse_tls_options_that_do_not_go_together),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
