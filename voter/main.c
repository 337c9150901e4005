/* main.c -- voter: publishes one ballot to vote/<poll> and says what became of it */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "ballot.h"
#include "voteropts.h"
#include "mqttsend.h"
#include "receipt.h"
#include "outcome.h"
#include "sendreq.h"
#include "pollinfo.h"
#include "sign.h"
#include "tcpsend.h"
#include "tlsctx.h"
#include "cmdline.h"
#include "version.h"
#include "vtime.h"

enum {
	EXIT_ACCEPTED = 0,      /* counted (--confirm, --tcp), or accepted by the broker */
	EXIT_NOT_DELIVERED = 1, /* not delivered, or perhaps not (sent, and then no answer) */
	EXIT_USAGE = 2,
	EXIT_REJECTED = 3,      /* --confirm, --tcp: the tallier refused the ballot; or the poll's
				 * information says it cannot count (not sent) */
	EXIT_UNCONFIRMED = 4,   /* --confirm: accepted by the broker, no receipt in time; --info: no
				 * information in time */
	EXIT_NOT_COUNTED = 5,   /* --confirm, --tcp: received, but another ballot of this voter counts */
};

static void usage(FILE *out)
{
	fprintf(out,
		"voter " MQTTVOTE_VERSION " -- cast one ballot in an mqtt-vote poll\n"
		"\n"
		"Usage: voter [-h host] [-p port] -t vote/<poll> ANSWER [--voter name]\n"
		"             [-q qos] [-i id] [-u username [-P password]] [-V protocol-version]\n"
		"             [--confirm] [--timeout seconds] [-d] [--quiet]\n"
		"             [{--cafile file | --capath dir} [--cert file --key file] [--insecure]\n"
		"              [--tls-version tlsv1.2|tlsv1.3]]\n"
		"       voter --tcp [-h host] -p port -t vote/<poll> ANSWER [--voter name] ...\n"
		"       voter --info [-h host] [-p port] -t vote/<poll> [--timeout seconds] ...\n"
		"       voter --keygen FILE [--voter name]\n"
		"       voter --help | --version\n"
		"\n"
		"ANSWER, by the poll's kind: -m choice (single); --pick choice, once per\n"
		"choice (multiple); --rank choice, once per choice, most preferred first\n"
		"(ranked); --value N (scale). A comma never splits a choice:\n"
		"  voter -t vote/lunch --pick \"Tea, hot\" --pick Coffee\n"
		"\n"
		" -h, --host HOST      broker host (default localhost)\n"
		" -p, --port PORT      broker port (default 1883; 8883 with TLS)\n"
		" -t, --topic TOPIC    the poll's topic, vote/<poll>; a poll name is 1 to 64\n"
		"                      characters from A-Z a-z 0-9 _ - .\n"
		" -m, --message CHOICE the choice: 1 to 64 bytes of UTF-8, no control characters\n"
		"                      and no invisible or format characters outside an emoji\n"
		"                      (U+200B, bidi marks), kept in NFC; a single-choice poll\n"
		"     --pick CHOICE    a choice picked in a multiple poll; give it once per\n"
		"                      choice (the same rules as -m)\n"
		"     --rank CHOICE    a choice of a ranked poll, once per choice, most\n"
		"                      preferred first (the same rules as -m)\n"
		"     --value N        the value given in a scale poll: a whole number from\n"
		"                      -1000000 to 1000000 (the poll says its range)\n"
		"     --voter NAME     who votes (default <login>@<hostname>); one vote per\n"
		"                      voter per poll, a later ballot replaces an earlier one\n"
		" -q, --qos QOS        0, 1 or 2 (default 1); with 0 the broker does not confirm\n"
		" -i, --id ID          MQTT client id (default a unique one per run, or USER of\n"
		"                      -u); with --confirm it names the receipt topic\n"
		"                      vote/<poll>/receipt/<id>, so no '/', '+' or '#'\n"
		" -u, --username USER  the broker account: the ballot goes to\n"
		"                      vote/<poll>/by/USER (which only USER may publish to in\n"
		"                      mosquitto-secure.conf) and votes as USER unless --voter\n"
		" -P, --pw PASSWORD    password for the broker\n"
		" -V, --protocol-version mqttv5|mqttv311  (default mqttv5; 5 and 311 too)\n"
		"     --confirm        wait for the tallier's receipt (publishing the same\n"
		"                      ballot again while none comes): counted or not\n"
		"     --timeout SECS   give up after this long (default 10)\n"
		"     --tcp            no broker: send the ballot straight to a tallier started\n"
		"                      with --listen, at -h/-p, and wait for its receipt\n"
		"     --info           print the poll's information (question, choices, status,\n"
		"                      closing time) from vote/<poll>/info and send no ballot\n"
		"     --keygen FILE    write a new Ed25519 private key to FILE (mode 0600; never\n"
		"                      over an existing file), print the public line\n"
		"                      '<voter name> <public key>' for the poll's roll, and exit\n"
		"     --sign-key FILE  sign the ballot with this private key (for a tallier\n"
		"                      with --roll) and the poll's instance, which the tallier\n"
		"                      publishes (read before sending); the key must be readable\n"
		"                      by its owner only\n"
		CMDLINE_USAGE_CLIENT_END
		"\n"
		"Before sending over MQTT, the voter reads the poll's information when a\n"
		"tallier published it: a closed poll, a choice it does not offer, an\n"
		"answer of another kind than the poll's, too few or too many picks, a\n"
		"ranking that names a choice twice or (full ranking) leaves one out, a\n"
		"value out of the scale is exit 3 and nothing is sent.\n"
		"\n"
		"The ballot is one JSON object:\n"
		"  {\"poll\":..,\"voter\":..,\"choice\":..,\"id\":\"<32 hex>\",\"ts\":<ms since the epoch>}\n"
		"  (\"picks\":[..], \"ranking\":[..] or \"value\":N in place of \"choice\")\n"
		"  and, with --sign-key, \"sig\":\"<88 characters of base64>\"\n"
		"\n"
		"Exit status:\n"
		"  0  counted (with --confirm or --tcp; or already counted: this very ballot),\n"
		"     or else acknowledged by the broker\n"
		"  1  not delivered (cannot connect, refused by the broker, timed out before\n"
		"     sending it), or \"may not have been delivered\" (sent, then the\n"
		"     connection was lost or timed out before the answer); also a --keygen\n"
		"     or --sign-key problem (nothing sent)\n"
		"  2  usage error (bad or missing option, invalid poll name or choice, two\n"
		"     kinds of answer)\n"
		"  3  rejected by the tallier (--confirm, --tcp; the reason is printed), or not\n"
		"     sent: the poll's information says it is closed or cannot take the answer\n"
		"     (the reason is printed), a choice is given twice, or, with --sign-key,\n"
		"     the information names no poll instance to sign for\n"
		"  4  accepted by the broker but not confirmed in time (--confirm): not known to\n"
		"     be counted (no tallier, a full broker queue, a silent MQTT 3.1.1 denial);\n"
		"     --info: no information on the poll in time (no tallier knows it yet)\n"
		"  5  not counted: another ballot of yours counts, this one is older (--confirm,\n"
		"     --tcp; the reason is printed)\n");
}

/* default_voter: "<login>@<hostname>" into buf. Returns 0, or -1. */
static int default_voter(char *buf, size_t size)
{
	struct passwd pw, *found = NULL;
	char pwbuf[1024], host[256], login[256], name[520];
	const char *env;
	char *dot;
	int n;

	if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &found) == 0 && found)
		snprintf(login, sizeof(login), "%s", found->pw_name);
	else if ((env = getenv("USER")) && *env)
		snprintf(login, sizeof(login), "%s", env);
	else
		snprintf(login, sizeof(login), "uid%ld", (long)geteuid());
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	dot = strchr(host, '.');
	if (dot)
		*dot = '\0';
	n = snprintf(name, sizeof(name), "%s@%s", login, host);
	return (n < 0 || (size_t)n >= sizeof(name) || size < BALLOT_TEXT_MAX + 1 ||
		ballot_text_norm(name, buf, NULL, 0) != 0) ? -1 : 0;
}

/* room for answer_words: 32 quoted names of 64 bytes, and the words */
#define ANSWER_WORDS_MAX (POLLDEF_CHOICES_MAX * (BALLOT_TEXT_MAX + 4) + 16)

/* answer_words: b's answer for the voter's lines, into buf
 * (ANSWER_WORDS_MAX bytes): "'yes'" (a single choice, as before kinds),
 * "picks 'a', 'c'", "ranking 'b', 'a', 'c'", "value 4". Returns buf. */
static const char *answer_words(const struct ballot *b, char buf[ANSWER_WORDS_MAX])
{
	size_t used, k;

	if (b->kind == POLLDEF_SINGLE) {
		snprintf(buf, ANSWER_WORDS_MAX, "'%s'", b->choice);
		return buf;
	}
	if (b->kind == POLLDEF_SCALE) {
		snprintf(buf, ANSWER_WORDS_MAX, "value %lld", (long long)b->value);
		return buf;
	}
	used = (size_t)snprintf(buf, ANSWER_WORDS_MAX, "%s", b->kind == POLLDEF_RANKED ? "ranking" : "picks");
	for (k = 0; k < b->nnames && used < ANSWER_WORDS_MAX; k++)
		used += (size_t)snprintf(buf + used, ANSWER_WORDS_MAX - used, "%s'%s'", k ? ", " : " ", b->names[k]);
	return buf;
}

/* report_receipt: says what the tallier answered; returns the exit status.
 * A duplicate with a reason is a ballot that did not become the voter's
 * counted one (another ballot of theirs counts); without one it is this
 * very ballot again, already counted. */
static int report_receipt(const struct voter_opts *o, const struct ballot *b, const struct receipt *r)
{
	char tail[sizeof(r->counts) + BALLOT_ID_HEX + 16], what[ANSWER_WORDS_MAX];

	snprintf(tail, sizeof(tail), "%s%sballot %s", r->counts, r->counts[0] ? "; " : "", b->id);
	if (r->status == RECEIPT_REJECTED) {
		fprintf(stderr, "voter: %s on %s rejected by the tallier: %s\n", answer_words(b, what), b->poll,
			r->reason[0] ? r->reason : "no reason given");
		return EXIT_REJECTED;
	}
	if (r->status == RECEIPT_DUPLICATE && r->reason[0]) {
		fprintf(stderr, "voter: %s on %s not counted: %s (%s)\n", answer_words(b, what), b->poll, r->reason,
			tail);
		return EXIT_NOT_COUNTED;
	}
	if (!o->quiet)
		printf("voter: %s on %s %s by the tallier (%s)\n", answer_words(b, what), b->poll,
		       r->status == RECEIPT_COUNTED ? "counted" : "already counted", tail);
	return EXIT_ACCEPTED;
}

/* tls_files_usable: with TLS, checks its files before any connection
 * (tlsctx_check_files). Returns 0, or -1 said. */
static int tls_files_usable(const struct voter_opts *o)
{
	char err[512];

	if (tlsopts_on(&o->conn.tls) && tlsctx_check_files(&o->conn.tls, err, sizeof(err)) != 0) {
		fprintf(stderr, "voter: %s\n", err);
		return -1;
	}
	return 0;
}

/* show_info: voter --info: the poll's information on stdout. Returns the exit status. */
static int show_info(const struct voter_opts *o)
{
	char err[512], text[POLLINFO_TEXT_MAX];
	struct polldef info;
	int found;

	if (tls_files_usable(o) != 0)
		return EXIT_NOT_DELIVERED;
	found = mqttsend_info(o, &info, err, sizeof(err));
	if (found < 0) {
		fprintf(stderr, "voter: %s\n", err);
		return EXIT_NOT_DELIVERED;
	}
	if (found == 0) {
		fprintf(stderr, "voter: no information on " TOPIC_PREFIX "%s/info within %g s: no tallier knows %s yet\n",
			o->poll, o->timeout, o->poll);
		return EXIT_UNCONFIRMED;
	}
	fputs(pollinfo_describe(&info, vtime_now_ms(), text, sizeof(text)), stdout);
	return EXIT_ACCEPTED;
}

/* keygen: --keygen: writes the key, prints the public line of voter.
 * Returns the exit status. */
static int keygen(const struct voter_opts *o, const char *voter)
{
	char pub[SIGN_KEY_B64 + 1], err[512];

	if (sign_keygen(o->keygen, pub, err, sizeof(err)) != 0) {
		fprintf(stderr, "voter: %s\n", err);
		return EXIT_NOT_DELIVERED;
	}
	if (printf("%s %s\n", voter, pub) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "voter: cannot print the public line (the key is in '%s')\n", o->keygen);
		return EXIT_NOT_DELIVERED;
	}
	return EXIT_ACCEPTED;
}

/* What sign_when_known needs: the ballot, its key (freed once used), the
 * receipt topic for its JSON, and the JSON made. */
struct signing {
	struct ballot *b;
	struct sign_key *key;
	const char *reply;
	char *json;
};

/* sign_when_known: send_req's finish with --sign-key: signs the ballot for
 * the poll instance the poll's information gives (info NULL: none) and
 * makes its JSON; the key is freed here, used or not. */
static int sign_when_known(void *arg, const struct polldef *info, const char **payload, size_t *len, char *err,
			   size_t errlen)
{
	struct signing *sg = arg;
	int rc = -1;

	if (!info || !info->instance[0]) {
		snprintf(err, errlen,
			 "cannot sign a ballot for %s: the tallier publishes no instance of %s (it does not know "
			 "%s yet: signed ballots count only on a poll that exists, the organiser opens it with "
			 "pollctl): ballot not sent",
			 sg->b->poll, sg->b->poll, sg->b->poll);
		goto out;
	}
	snprintf(sg->b->instance, sizeof(sg->b->instance), "%s", info->instance);
	sg->b->has_instance = true;
	if (sign_ballot(sg->key, sg->b, err, errlen) != 0 || !(sg->json = ballot_to_json(sg->b, sg->reply, err, errlen)))
		goto out;
	*payload = sg->json;
	*len = strlen(sg->json);
	rc = 0;
out:
	sign_key_free(sg->key);
	sg->key = NULL;
	return rc;
}

/* ballot_of: the ballot, built once from the options: its poll and
 * answer (-m's choice, --pick's or --rank's names, --value; none with
 * --keygen) and its voter: --voter, else the account's user
 * name (an account votes under its own name: the tallier checks it),
 * else <login>@<hostname>. Returns 0, or -1 said (a usage error). */
static int ballot_of(const struct voter_opts *o, struct ballot *b)
{
	size_t k;

	*b = (struct ballot){ 0 };
	snprintf(b->poll, sizeof(b->poll), "%s", o->poll);
	snprintf(b->choice, sizeof(b->choice), "%s", o->message ? o->message : "");
	b->kind = o->kind;
	for (k = 0; k < o->nnames && k < POLLDEF_CHOICES_MAX; k++)
		snprintf(b->names[k], sizeof(b->names[k]), "%s", o->names[k]);
	b->nnames = k;
	b->value = o->value;
	if (o->voter) {
		snprintf(b->voter, sizeof(b->voter), "%s", o->voter);
	} else if (o->conn.username && !o->tcp) {
		if (ballot_text_norm(o->conn.username, b->voter, NULL, 0) != 0) {
			fprintf(stderr, "voter: user name '%s' cannot be a voter name: give one with --voter\n",
				o->conn.username);
			return -1;
		}
	} else if (default_voter(b->voter, sizeof(b->voter)) != 0) {
		fprintf(stderr, "voter: cannot make a voter name from the login and host names: "
				"give one with --voter\n");
		return -1;
	}
	return 0;
}

/* say_sent: what became of a ballot that got no receipt (acknowledged,
 * or sent at QoS 0). */
static void say_sent(const struct voter_opts *o, const struct ballot *b, const struct send_req *req, enum outcome res)
{
	char what[ANSWER_WORDS_MAX];

	if (res == OUTCOME_NO_SUBSCRIBERS)
		fprintf(stderr, "voter: warning: the broker has no subscribers for %s (is a tallier running?)\n",
			req->topic);
	if (!o->quiet && o->qos == 0)
		printf("voter: %s on %s sent to %s:%d, unconfirmed at QoS 0 (ballot %s)\n", answer_words(b, what),
		       b->poll, o->conn.host, o->conn.port, b->id);
	else if (!o->quiet)
		printf("voter: %s on %s accepted by %s:%d (ballot %s)\n", answer_words(b, what), b->poll,
		       o->conn.host, o->conn.port, b->id);
}

/* request_topics: where the ballot goes over MQTT (-t; an account's to
 * vote/<poll>/by/<account>, which only that account may publish to:
 * mosquitto-secure.acl, in account) and, with --confirm, where its receipt
 * comes (vote/<poll>/receipt/<client id>, which the broker's ACL (%c) lets
 * only this client read, in receipt), into req. Returns 0, or -1 said (a
 * usage error). */
static int request_topics(const struct voter_opts *o, const struct ballot *b, struct send_req *req,
			  char account[TOPIC_MAX], char receipt[TOPIC_MAX])
{
	char err[512];

	req->topic = o->topic;
	if (o->tcp)
		return 0;
	if (o->conn.username &&
	    topic_account_ballot(b->poll, o->conn.username, account, TOPIC_MAX, err, sizeof(err)) != 0) {
		fprintf(stderr, "voter: %s\n", err);
		return -1;
	}
	if (o->conn.username)
		req->topic = account;
	if (!o->confirm)
		return 0;
	if (receipt_topic_make(b->poll, o->conn.client_id, receipt, TOPIC_MAX, err, sizeof(err)) != 0) {
		fprintf(stderr, "voter: %s (needed by --confirm)\n", err);
		return -1;
	}
	req->receipt_topic = receipt;
	return 0;
}

int main(int argc, char **argv)
{
	struct voter_opts o;
	struct ballot b;
	struct send_req req = { .ballot = &b };
	char err[512], receipt_topic[TOPIC_MAX], account_topic[TOPIC_MAX];
	struct receipt receipt;
	struct signing sg = { .b = &b };
	char *json = NULL;
	enum outcome res;
	int rc = EXIT_NOT_DELIVERED;

	if (cmdline_ends(voter_opts_parse(&o, argc, argv, err, sizeof(err)), "voter", usage, err, &rc))
		goto out;
	if (o.info) {
		if (conn_opts_own_id(&o.conn, "voter", err, sizeof(err)) != 0) {
			fprintf(stderr, "voter: %s\n", err);
			goto out;
		}
		rc = show_info(&o);
		goto out;
	}
	if (ballot_of(&o, &b) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (o.keygen) {
		rc = keygen(&o, b.voter);
		goto out;
	}
	/* the client id: -i, else the account's, else voter-<16 random hex> */
	if (ballot_new_id(b.id, err, sizeof(err)) != 0 || conn_opts_own_id(&o.conn, "voter", err, sizeof(err)) != 0) {
		fprintf(stderr, "voter: %s\n", err);
		goto out;
	}
	b.has_id = true;
	b.ts = vtime_now_ms();
	b.has_ts = true;
	/* what needs no information on the poll: a name given twice */
	if (pollinfo_refuses(NULL, &b, b.ts, err, sizeof(err))) {
		fprintf(stderr, "voter: %s\n", err);
		rc = EXIT_REJECTED;
		goto out;
	}
	/* the key is read now (a problem with it is exit 1, nothing sent) and
	 * used once the poll's instance is known */
	if (o.sign_key && !(sg.key = sign_key_load(o.sign_key, err, sizeof(err)))) {
		fprintf(stderr, "voter: %s\n", err);
		goto out;
	}
	if (request_topics(&o, &b, &req, account_topic, receipt_topic) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* the receipt topic in the ballot too, not only in MQTT 5's Response
	 * Topic: a tallier on MQTT 3.1.1 sees only this (one receipt either way) */
	sg.reply = req.receipt_topic;
	if (o.sign_key) {
		req.finish = sign_when_known;
		req.finish_arg = &sg;
	} else if (!(json = ballot_to_json(&b, sg.reply, err, sizeof(err)))) {
		fprintf(stderr, "voter: %s\n", err);
		goto out;
	}
	req.payload = json;
	req.len = json ? strlen(json) : 0;
	if (tls_files_usable(&o) != 0)
		goto out;

	res = o.tcp ? tcpsend(&o, &req, &receipt, err, sizeof(err)) : mqttsend(&o, &req, &receipt, err, sizeof(err));
	if (res == OUTCOME_FAILED) {
		fprintf(stderr, "voter: %s\n", err);
		goto out;
	}
	if (res == OUTCOME_UNCERTAIN) {
		fprintf(stderr, "voter: ballot may not have been delivered: %s\n", err);
		goto out;
	}
	if (res == OUTCOME_NOT_SENT) {
		fprintf(stderr, "voter: %s\n", err);
		rc = EXIT_REJECTED;
		goto out;
	}
	if (res == OUTCOME_UNCONFIRMED) {
		fprintf(stderr, "voter: %s\n", err);
		rc = EXIT_UNCONFIRMED;
		goto out;
	}
	if (res == OUTCOME_RECEIPT) {
		rc = report_receipt(&o, &b, &receipt);
		goto out;
	}
	say_sent(&o, &b, &req, res);
	rc = EXIT_ACCEPTED;
out:
	free(json);
	free(sg.json);
	sign_key_free(sg.key);
	return rc;
}
