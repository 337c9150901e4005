/* options.c -- the command-line options voter, tallier and pollctl share, mosquitto_pub/sub style */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ballot.h"
#include "polldef.h"
#include "textrule.h"
#include "topic.h"
#include "vtime.h"
#include "when.h"

#define TEXT_RULE "must be 1 to 64 bytes of UTF-8 without control characters"

enum {
	OPT_QUIET = 256,
	OPT_HELP,
	OPT_VERSION,
	OPT_VOTER,
	OPT_TIMEOUT,
	OPT_CHOICES,
	OPT_REVOTE,
	OPT_DB,
	OPT_SYNC,
	OPT_EXPORT,
	OPT_FORMAT,
	OPT_RECOUNT,
	OPT_CONFIRM,
	OPT_LISTEN,
	OPT_NO_MQTT,
	OPT_IDLE_TIMEOUT,
	OPT_MAX_CLIENTS,
	OPT_TCP,
	OPT_MAX_POLLS,
	OPT_MAX_CHOICES,
	OPT_MAX_SKEW,
	OPT_MAX_PER_ADDRESS,
	OPT_LINE_TIMEOUT,
	OPT_INFO,        /* voter */
	OPT_DEFINED_ONLY, /* tallier */
	OPT_QUESTION,    /* pollctl open */
	OPT_OPENS,
	OPT_CLOSES,
	OPT_RESULTS,
	/* signed ballots */
	OPT_KEYGEN,
	OPT_SIGN_KEY,
	OPT_ROLL,
	/* TLS (both programs), as mosquitto_pub */
	OPT_CAFILE,
	OPT_CAPATH,
	OPT_CERT,
	OPT_KEY,
	OPT_INSECURE,
	OPT_TLS_VERSION,
};

/* Which program takes which option: V voter, T tallier, C pollctl (bits). */
enum { V = 1 << OPTS_VOTER, T = 1 << OPTS_TALLIER, C = 1 << OPTS_POLLCTL };
static const struct {
	int val;
	int progs;
} owners[] = {
	{ 'h', V | T | C }, { 'p', V | T | C }, { 't', V | T }, { 'i', V | T | C }, { 'u', V | T | C },
	{ 'P', V | T | C }, { 'V', V | T | C }, { OPT_QUIET, V | T | C }, { OPT_HELP, V | T | C },
	{ OPT_VERSION, V | T | C },
	{ 'm', V }, { 'q', V }, { 'd', V | C }, { OPT_VOTER, V }, { OPT_TIMEOUT, V | C },
	{ OPT_CONFIRM, V }, { OPT_TCP, V }, { OPT_LISTEN, T }, { OPT_NO_MQTT, T },
	{ OPT_IDLE_TIMEOUT, T }, { OPT_MAX_CLIENTS, T }, { OPT_MAX_POLLS, T }, { OPT_MAX_CHOICES, T },
	{ OPT_MAX_SKEW, T }, { OPT_MAX_PER_ADDRESS, T }, { OPT_LINE_TIMEOUT, T },
	{ 'v', T }, { OPT_CHOICES, T | C }, { OPT_REVOTE, T | C }, { OPT_DB, T }, { OPT_SYNC, T },
	{ OPT_EXPORT, T }, { OPT_FORMAT, T }, { OPT_RECOUNT, T },
	/* polls (issue 12) */
	{ OPT_INFO, V }, { OPT_DEFINED_ONLY, T }, { OPT_QUESTION, C }, { OPT_OPENS, C }, { OPT_CLOSES, C },
	{ OPT_RESULTS, C },
	/* signed ballots */
	{ OPT_KEYGEN, V }, { OPT_SIGN_KEY, V }, { OPT_ROLL, T | C },
	/* TLS */
	{ OPT_CAFILE, V | T | C }, { OPT_CAPATH, V | T | C }, { OPT_CERT, V | T | C }, { OPT_KEY, V | T | C }, { OPT_INSECURE, V | T | C },
	{ OPT_TLS_VERSION, V | T | C },
};

static const struct option long_options[] = {
	{ "host", required_argument, NULL, 'h' },
	{ "port", required_argument, NULL, 'p' },
	{ "topic", required_argument, NULL, 't' },
	{ "id", required_argument, NULL, 'i' },
	{ "username", required_argument, NULL, 'u' },
	{ "pw", required_argument, NULL, 'P' },
	{ "protocol-version", required_argument, NULL, 'V' },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "message", required_argument, NULL, 'm' },
	{ "qos", required_argument, NULL, 'q' },
	{ "debug", no_argument, NULL, 'd' },
	{ "voter", required_argument, NULL, OPT_VOTER },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "choices", required_argument, NULL, OPT_CHOICES },
	{ "revote", required_argument, NULL, OPT_REVOTE },
	{ "db", required_argument, NULL, OPT_DB },
	{ "sync", required_argument, NULL, OPT_SYNC },
	{ "export", required_argument, NULL, OPT_EXPORT },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "recount", no_argument, NULL, OPT_RECOUNT },
	{ "confirm", no_argument, NULL, OPT_CONFIRM },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "no-mqtt", no_argument, NULL, OPT_NO_MQTT },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	{ "tcp", no_argument, NULL, OPT_TCP },
	{ "max-polls", required_argument, NULL, OPT_MAX_POLLS },
	{ "max-choices", required_argument, NULL, OPT_MAX_CHOICES },
	{ "max-skew", required_argument, NULL, OPT_MAX_SKEW },
	{ "max-per-address", required_argument, NULL, OPT_MAX_PER_ADDRESS },
	{ "line-timeout", required_argument, NULL, OPT_LINE_TIMEOUT },
	{ "info", no_argument, NULL, OPT_INFO },
	{ "defined-only", no_argument, NULL, OPT_DEFINED_ONLY },
	{ "question", required_argument, NULL, OPT_QUESTION },
	{ "opens", required_argument, NULL, OPT_OPENS },
	{ "closes", required_argument, NULL, OPT_CLOSES },
	{ "results", required_argument, NULL, OPT_RESULTS },
	/* signed ballots */
	{ "keygen", required_argument, NULL, OPT_KEYGEN },
	{ "sign-key", required_argument, NULL, OPT_SIGN_KEY },
	{ "roll", required_argument, NULL, OPT_ROLL },
	/* TLS */
	{ "cafile", required_argument, NULL, OPT_CAFILE },
	{ "capath", required_argument, NULL, OPT_CAPATH },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "tls-version", required_argument, NULL, OPT_TLS_VERSION },
	{ NULL, 0, NULL, 0 },
};

static bool takes(enum opts_prog prog, int val)
{
	size_t i;

	for (i = 0; i < sizeof(owners) / sizeof(owners[0]); i++)
		if (owners[i].val == val)
			return (owners[i].progs & (1 << prog)) != 0;
	return false;
}

static void free_choices(struct client_opts *o)
{
	size_t i;

	for (i = 0; i < o->nchoices; i++)
		free(o->choices[i]);
	free(o->choices);
	o->choices = NULL;
	o->nchoices = 0;
}

void opts_free(struct client_opts *o)
{
	free_choices(o);
}

/* all_of: true when s is non-empty and made only of bytes from set. */
static bool all_of(const char *s, const char *set)
{
	return *s && strspn(s, set) == strlen(s);
}

static int parse_port(const char *s, int *port, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!all_of(s, "0123456789") || errno || *end || v < 1 || v > 65535) {
		snprintf(err, errlen, "invalid port '%s' (want 1-65535)", s);
		return -1;
	}
	*port = (int)v;
	return 0;
}

static int parse_version(const char *s, int *version, char *err, size_t errlen)
{
	if (strcmp(s, "mqttv5") == 0 || strcmp(s, "5") == 0)
		*version = 5;
	else if (strcmp(s, "mqttv311") == 0 || strcmp(s, "311") == 0)
		*version = 4;
	else {
		snprintf(err, errlen, "invalid protocol version '%s' (want mqttv5 or mqttv311)", s);
		return -1;
	}
	return 0;
}

static int parse_timeout(const char *s, double *timeout, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!all_of(s, "0123456789.") || errno || *end || !isfinite(v) || v < 0.001 || v > 86400) {
		snprintf(err, errlen, "invalid timeout '%s' (want a positive number of seconds)", s);
		return -1;
	}
	*timeout = v;
	return 0;
}

_Static_assert(sizeof(((struct client_opts *)0)->message_nfc) == BALLOT_TEXT_MAX + 1, "message_nfc");
_Static_assert(sizeof(((struct client_opts *)0)->question_nfc) == POLLDEF_QUESTION_MAX + 1, "question_nfc");

/* parse_choices: splits "a,b,c" into o->choices (replacing earlier ones). */
static int parse_choices(struct client_opts *o, const char *s, char *err, size_t errlen)
{
	char *copy = strdup(s), *item, why[TEXTRULE_WHY_MAX], nfc[BALLOT_TEXT_MAX + 1];
	size_t n = 1, i;
	int rc = -1;
	const char *p;

	free_choices(o);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (p = s; *p; p++)
		n += *p == ',';
	o->choices = calloc(n, sizeof(*o->choices));
	if (!o->choices) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* strtok_r would skip empty items: split by hand to refuse them */
	item = copy;
	for (i = 0; i < n; i++) {
		char *comma = strchr(item, ',');

		if (comma)
			*comma = '\0';
		if (ballot_text_norm(item, nfc, why, sizeof(why)) != 0) {
			if (why[0])
				snprintf(err, errlen, "invalid --choices '%s': choice '%s' %s", s, item, why);
			else
				snprintf(err, errlen, "invalid --choices '%s': each choice " TEXT_RULE, s);
			goto out;
		}
		for (size_t j = 0; j < o->nchoices; j++) {
			if (strcmp(o->choices[j], nfc) == 0) {
				snprintf(err, errlen, "invalid --choices '%s': choice '%s' given twice", s, nfc);
				goto out;
			}
		}
		o->choices[o->nchoices] = strdup(nfc);
		if (!o->choices[o->nchoices]) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		o->nchoices++;
		item = comma ? comma + 1 : item + strlen(item);
	}
	if (textrule_choices_check((const char *const *)o->choices, o->nchoices, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid --choices '%s': choice %s", s, why);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	if (rc != 0)
		free_choices(o);
	return rc;
}

/* parse_count: a whole number in [min, max] for option name. Returns 0,
 * or -1 with err set. */
static int parse_count(const char *name, const char *arg, long min, long max, int *out, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!*arg || !all_of(arg, "0123456789") || *end || errno || v < min || v > max) {
		snprintf(err, errlen, "invalid --%s '%s' (want %ld to %ld)", name, arg, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* parse_seconds: a positive number of seconds for option name. */
static int parse_seconds(const char *name, const char *arg, double *out, char *err, size_t errlen)
{
	if (parse_timeout(arg, out, err, errlen) != 0) {
		snprintf(err, errlen, "invalid --%s '%s' (want a positive number of seconds)", name, arg);
		return -1;
	}
	return 0;
}

/* ---- polls (issue 12): voter --info, pollctl ---- */

static const char *const command_words[] = { "open", "close", "list", "show" };

/* parse_when: --opens or --closes TIME (when_parse) at now_ms into *out. */
static int parse_when(const char *name, const char *arg, int64_t now_ms, int64_t *out, char *err, size_t errlen)
{
	char why[256];

	if (when_parse(arg, now_ms, out, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid --%s '%s': %s", name, arg, why);
		return -1;
	}
	return 0;
}

static int check_info(const struct client_opts *o, char *err, size_t errlen);

/* check_ballot_options: the voter's options that make its ballot (or,
 * with --info, name its poll). */
static int check_ballot_options(struct client_opts *o, char *err, size_t errlen)
{
	char why[64];

	if (o->ntopics == 0) {
		snprintf(err, errlen, "missing option -t/--topic");
		return -1;
	}
	if (o->info) /* no ballot: the poll is all it needs */
		return check_info(o, err, errlen) != 0 ? -1 : topic_ballot_poll(o->topics[0], o->poll, err, errlen);
	if (!o->message) {
		snprintf(err, errlen, "missing option -m/--message");
		return -1;
	}
	if (topic_ballot_poll(o->topics[0], o->poll, err, errlen) != 0)
		return -1;
	if (ballot_text_norm(o->message, o->message_nfc, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid choice: %s", why[0] ? why : TEXT_RULE);
		return -1;
	}
	o->message = o->message_nfc;
	return 0;
}

/* parse_question: --question, 1 to POLLDEF_QUESTION_MAX bytes of text
 * (textrule_question), kept in NFC. */
static int parse_question(struct client_opts *o, const char *arg, char *err, size_t errlen)
{
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

/* take_command: pollctl's arguments args[0..n): COMMAND [POLL]. */
static int take_command(struct client_opts *o, char **args, int n, char *err, size_t errlen)
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

/* check_pollctl: what a pollctl command needs, at now_ms. */
static int check_pollctl(const struct client_opts *o, int64_t now_ms, char *err, size_t errlen)
{
	if (o->command != OPTS_CMD_OPEN) {
		if (o->open_opts_given) {
			snprintf(err, errlen, "--question, --choices, --opens, --closes, --results, --revote and --roll go with open");
			return -1;
		}
		return 0;
	}
	if (!o->question) {
		snprintf(err, errlen, "open needs --question");
		return -1;
	}
	if (!o->choices) {
		snprintf(err, errlen, "open needs --choices");
		return -1;
	}
	if (o->nchoices > POLLDEF_CHOICES_MAX) {
		snprintf(err, errlen, "invalid --choices: at most %d choices", POLLDEF_CHOICES_MAX);
		return -1;
	}
	if (o->has_closes && o->closes_ms <= (o->has_opens ? o->opens_ms : now_ms)) {
		snprintf(err, errlen, o->has_opens ? "--closes must be after --opens" : "--closes must be in the future");
		return -1;
	}
	return 0;
}

/* check_info: voter --info sends no ballot. */
static int check_info(const struct client_opts *o, char *err, size_t errlen)
{
	const char *with = o->message ? "-m/--message" : o->confirm ? "--confirm" : o->tcp ? "--tcp" : NULL;

	if (with) {
		snprintf(err, errlen, "--info sends no ballot: %s does not go with it", with);
		return -1;
	}
	return 0;
}

/* take_tls: applies TLS option c with value arg (mosquitto_pub's words). */
static int take_tls(struct tlsopts *t, int c, const char *arg, char *err, size_t errlen)
{
	static const struct {
		int val;
		const char *name;
		size_t at;
	} paths[] = {
		{ OPT_CAFILE, "cafile", offsetof(struct tlsopts, cafile) },
		{ OPT_CAPATH, "capath", offsetof(struct tlsopts, capath) },
		{ OPT_CERT, "cert", offsetof(struct tlsopts, cert) },
		{ OPT_KEY, "key", offsetof(struct tlsopts, key) },
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (paths[i].val != c)
			continue;
		if (!*arg) {
			snprintf(err, errlen, "invalid --%s '' (want a path)", paths[i].name);
			return -1;
		}
		*(const char **)((char *)t + paths[i].at) = arg;
		return 0;
	}
	if (c == OPT_INSECURE) {
		t->insecure = true;
		return 0;
	}
	if (strcmp(arg, "tlsv1.2") == 0 || strcmp(arg, "tlsv1.3") == 0) {
		t->version = arg[6] == '3' ? TLSOPTS_V1_3 : TLSOPTS_V1_2;
		t->version_given = true;
		return 0;
	}
	snprintf(err, errlen, "invalid --tls-version '%s' (want tlsv1.2 or tlsv1.3)", arg);
	return -1;
}

/* check_tls: the TLS options together; with TLS and no -p, port 8883. */
static int check_tls(struct client_opts *o, char *err, size_t errlen)
{
	const struct tlsopts *t = &o->tls;

	if (!t->cert != !t->key) {
		snprintf(err, errlen, "--cert and --key go together (the client certificate and its key)");
		return -1;
	}
	if (!tlsopts_on(t) && (t->cert || t->insecure || t->version_given)) {
		snprintf(err, errlen, "%s needs --cafile or --capath (TLS is used only with a CA to check the "
			 "broker's certificate against)", t->cert ? "--cert" : t->insecure ? "--insecure" : "--tls-version");
		return -1;
	}
	if (tlsopts_on(t) && (o->tcp || o->no_mqtt)) {
		snprintf(err, errlen, "the TLS options are for the broker: %s has none",
			 o->tcp ? "--tcp" : "--no-mqtt");
		return -1;
	}
	if (tlsopts_on(t) && !o->port_given)
		o->port = TLSOPTS_PORT;
	return 0;
}

/* check: the checks that need all options. */
static int check(struct client_opts *o, int64_t now_ms, char *err, size_t errlen)
{
	char why[64];

	if (check_tls(o, err, errlen) != 0)
		return -1;

	if (o->password && !o->username) {
		snprintf(err, errlen, "-P/--pw given without -u/--username");
		return -1;
	}
	if (o->prog == OPTS_TALLIER) {
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
	if (o->prog == OPTS_POLLCTL)
		return check_pollctl(o, now_ms, err, errlen);
	if (o->keygen && o->sign_key) {
		snprintf(err, errlen, "--keygen and --sign-key do not go together");
		return -1;
	}
	if (!o->keygen && check_ballot_options(o, err, errlen) != 0)
		return -1; /* --keygen: no ballot, only the voter name matters */
	if (o->voter && ballot_text_norm(o->voter, o->voter_nfc, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid voter name: %s", why[0] ? why : TEXT_RULE);
		return -1;
	}
	if (o->voter)
		o->voter = o->voter_nfc;
	return 0;
}

/* take: applies option c with value arg (times from now_ms). */
static int take(struct client_opts *o, int c, const char *arg, int64_t now_ms, char *err, size_t errlen)
{
	switch (c) {
	case 'h':
		if (!*arg) {
			snprintf(err, errlen, "invalid host '' (want a name or an address)");
			return -1;
		}
		o->host = arg;
		return 0;
	case 'p':
		o->port_given = true;
		return parse_port(arg, &o->port, err, errlen);
	case 't':
		if (o->prog == OPTS_VOTER && o->ntopics == 1) {
			snprintf(err, errlen, "only one -t/--topic may be given");
			return -1;
		}
		if (o->ntopics == OPTS_MAX_TOPICS) {
			snprintf(err, errlen, "too many -t/--topic (at most %d)", OPTS_MAX_TOPICS);
			return -1;
		}
		if (o->prog == OPTS_TALLIER && !topic_filter_valid(arg)) {
			snprintf(err, errlen, "invalid topic filter '%s'", arg);
			return -1;
		}
		o->topics[o->ntopics++] = arg;
		return 0;
	case 'i':
		if (!*arg || strlen(arg) > 65535) {
			snprintf(err, errlen, "invalid client id '%s' (want 1 to 65535 bytes)", arg);
			return -1;
		}
		o->client_id = arg;
		return 0;
	case 'u':
		o->username = arg;
		return 0;
	case 'P':
		o->password = arg;
		return 0;
	case 'V':
		return parse_version(arg, &o->mqtt_version, err, errlen);
	case 'm':
		o->message = arg;
		return 0;
	case 'q':
		if (strlen(arg) != 1 || arg[0] < '0' || arg[0] > '2') {
			snprintf(err, errlen, "invalid QoS '%s' (want 0, 1 or 2)", arg);
			return -1;
		}
		o->qos = arg[0] - '0';
		return 0;
	case 'd':
		o->debug = true;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case OPT_QUIET:
		o->quiet = true;
		return 0;
	case OPT_VOTER:
		o->voter = arg;
		return 0;
	case OPT_TIMEOUT:
		return parse_timeout(arg, &o->timeout, err, errlen);
	case OPT_CHOICES:
		return parse_choices(o, arg, err, errlen);
	case OPT_REVOTE:
		if (strcmp(arg, "yes") == 0 || strcmp(arg, "no") == 0) {
			o->revote = arg[0] == 'y';
			return 0;
		}
		snprintf(err, errlen, "invalid --revote '%s' (want yes or no)", arg);
		return -1;
	case OPT_DB:
		if (!*arg) {
			snprintf(err, errlen, "invalid --db '' (want a file path)");
			return -1;
		}
		o->db = arg;
		return 0;
	case OPT_SYNC:
		if (strcmp(arg, "normal") == 0 || strcmp(arg, "full") == 0) {
			o->sync_full = arg[0] == 'f';
			return 0;
		}
		snprintf(err, errlen, "invalid --sync '%s' (want normal or full)", arg);
		return -1;
	case OPT_EXPORT:
		if (!topic_poll_valid(arg, strlen(arg))) {
			snprintf(err, errlen, "invalid --export '%s': " TOPIC_POLL_RULE, arg);
			return -1;
		}
		o->export_poll = arg;
		return 0;
	case OPT_FORMAT:
		if (strcmp(arg, "csv") == 0 || strcmp(arg, "json") == 0) {
			o->json = arg[0] == 'j';
			o->format_given = true;
			return 0;
		}
		snprintf(err, errlen, "invalid --format '%s' (want csv or json)", arg);
		return -1;
	case OPT_RECOUNT:
		o->recount = true;
		return 0;
	case OPT_CONFIRM:
		o->confirm = true;
		return 0;
	case OPT_LISTEN:
		if (!*arg) {
			snprintf(err, errlen, "invalid --listen '' (want [ADDR:]PORT)");
			return -1;
		}
		o->listen = arg;
		return 0;
	case OPT_NO_MQTT:
		o->no_mqtt = true;
		return 0;
	case OPT_IDLE_TIMEOUT:
		return parse_seconds("idle-timeout", arg, &o->idle_timeout, err, errlen);
	case OPT_LINE_TIMEOUT:
		return parse_seconds("line-timeout", arg, &o->line_timeout, err, errlen);
	case OPT_MAX_SKEW:
		return parse_seconds("max-skew", arg, &o->max_skew, err, errlen);
	case OPT_MAX_CLIENTS:
		return parse_count("max-clients", arg, 1, 100000, &o->max_clients, err, errlen);
	case OPT_MAX_PER_ADDRESS:
		return parse_count("max-per-address", arg, 1, 100000, &o->max_per_address, err, errlen);
	case OPT_MAX_POLLS:
		return parse_count("max-polls", arg, 1, 1000000, &o->max_polls, err, errlen);
	case OPT_MAX_CHOICES:
		return parse_count("max-choices", arg, 1, 10000, &o->max_choices, err, errlen);
	case OPT_TCP:
		o->tcp = true;
		return 0;
	case OPT_INFO:
		o->info = true;
		return 0;
	case OPT_DEFINED_ONLY:
		o->defined_only = true;
		return 0;
	case OPT_QUESTION:
		return parse_question(o, arg, err, errlen);
	case OPT_OPENS:
		o->has_opens = true;
		return parse_when("opens", arg, now_ms, &o->opens_ms, err, errlen);
	case OPT_CLOSES:
		o->has_closes = true;
		return parse_when("closes", arg, now_ms, &o->closes_ms, err, errlen);
	case OPT_RESULTS:
		if (strcmp(arg, "live") == 0 || strcmp(arg, "after-close") == 0) {
			o->after_close = arg[0] == 'a';
			return 0;
		}
		snprintf(err, errlen, "invalid --results '%s' (want live or after-close)", arg);
		return -1;
	/* signed ballots: each a file path */
	case OPT_KEYGEN:
	case OPT_SIGN_KEY:
	case OPT_ROLL:
		if (!*arg) {
			snprintf(err, errlen, "invalid --%s '' (want a file path)",
				 c == OPT_KEYGEN ? "keygen" : c == OPT_SIGN_KEY ? "sign-key" : "roll");
			return -1;
		}
		*(c == OPT_KEYGEN ? &o->keygen : c == OPT_SIGN_KEY ? &o->sign_key : &o->roll) = arg;
		return 0;
	case OPT_CAFILE:
	case OPT_CAPATH:
	case OPT_CERT:
	case OPT_KEY:
	case OPT_INSECURE:
	case OPT_TLS_VERSION:
		return take_tls(&o->tls, c, arg, err, errlen);
	}
	snprintf(err, errlen, "internal error: option %d not handled", c);
	return -1;
}

enum opts_result opts_parse(struct client_opts *o, enum opts_prog prog, int argc, char **argv,
			    char *err, size_t errlen)
{
	int64_t now_ms = vtime_now_ms(); /* one now for every time argument */
	int c;

	memset(o, 0, sizeof(*o));
	o->prog = prog;
	o->host = "localhost";
	o->port = prog == OPTS_VOTER ? OPTS_VOTER_PORT : OPTS_TALLIER_PORT;
	o->client_id = NULL;
	o->mqtt_version = 5;
	o->qos = 1;
	o->timeout = 10;
	o->revote = true;
	o->db = "tally.db";
	o->idle_timeout = 30;
	o->line_timeout = 10;
	o->max_clients = 1000;
	o->max_per_address = 64;
	o->max_polls = 1000;
	o->max_choices = 64;
	o->max_skew = 5;

	optind = 0; /* GNU: start afresh, so the parser can run more than once */
	opterr = 0;
	for (;;) {
		int longindex = -1;
		char name[64];

		c = getopt_long(argc, argv, ":h:p:t:i:u:P:V:m:q:dv", long_options, &longindex);
		if (c == -1)
			break;
		/* the option's name as the user wrote it, for messages (on errors
		 * glibc leaves longindex unset and optopt may be the short form) */
		if (longindex < 0 && (c == '?' || c == ':') && strncmp(argv[optind - 1], "--", 2) == 0)
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(argv[optind - 1], "="),
				 argv[optind - 1]);
		else if (longindex >= 0)
			snprintf(name, sizeof(name), "--%s", long_options[longindex].name);
		else if ((c == '?' || c == ':') && optopt > 0 && optopt < 256)
			snprintf(name, sizeof(name), "-%c", optopt);
		else if (c == '?' || c == ':')
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(argv[optind - 1], "="),
				 argv[optind - 1]);
		else
			snprintf(name, sizeof(name), "-%c", c);
		if (c == ':') {
			snprintf(err, errlen, "option '%s' needs a value", name);
			return OPTS_ERROR;
		}
		if (c == '?' && strchr(argv[optind - 1], '=') && optopt > 0 && takes(prog, optopt)) {
			snprintf(err, errlen, "option '%s' takes no value", name);
			return OPTS_ERROR;
		}
		if (c == '?' || !takes(prog, c)) {
			snprintf(err, errlen, "unknown option '%s'", name);
			return OPTS_ERROR;
		}
		if (c == OPT_HELP)
			return OPTS_HELP;
		if (c == OPT_VERSION)
			return OPTS_VERSION;
		if (prog == OPTS_POLLCTL && (c == OPT_QUESTION || c == OPT_CHOICES || c == OPT_OPENS ||
					     c == OPT_CLOSES || c == OPT_RESULTS || c == OPT_REVOTE || c == OPT_ROLL))
			o->open_opts_given = true;
		if (take(o, c, optarg, now_ms, err, errlen) != 0)
			return OPTS_ERROR;
	}
	if (prog == OPTS_POLLCTL) {
		if (take_command(o, argv + optind, argc - optind, err, errlen) != 0)
			return OPTS_ERROR;
	} else if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return OPTS_ERROR;
	}
	return check(o, now_ms, err, errlen) == 0 ? OPTS_RUN : OPTS_ERROR;
}
