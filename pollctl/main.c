/* main.c -- pollctl: the organiser's program: open, close, list and show polls through the tallier */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "command.h"
#include "ctlsend.h"
#include "pollctlopts.h"
#include "outcome.h"
#include "polldef.h"
#include "tlsctx.h"
#include "topic.h"
#include "cmdline.h"
#include "version.h"
#include "vtime.h"

enum {
	EXIT_DONE = 0,
	EXIT_NOT_DELIVERED = 1, /* cannot connect, refused by the broker, or perhaps not delivered */
	EXIT_USAGE = 2,
	EXIT_REFUSED = 3,       /* refused by the tallier, with its reason */
	EXIT_NO_ANSWER = 4,     /* no (readable) answer from a tallier within --timeout */
};

static void usage(FILE *out)
{
	fprintf(out,
		"pollctl " MQTTVOTE_VERSION " -- run the polls of an mqtt-vote tallier\n"
		"\n"
		"Usage: pollctl [options] open POLL --question TEXT --choices a,b,...\n"
		"                    [--opens TIME] [--closes TIME] [--results live|after-close]\n"
		"                    [--revote yes|no] [--roll FILE]\n"
		"                    [--kind multiple [--min-picks N] [--max-picks N]\n"
		"                     | --kind ranked [--full]]\n"
		"       pollctl [options] open POLL --question TEXT --kind scale --low N --high N\n"
		"                    [--low-label TEXT] [--high-label TEXT] [--opens TIME] ...\n"
		"       pollctl [options] close POLL\n"
		"       pollctl [options] show POLL\n"
		"       pollctl [options] list\n"
		"       pollctl --help | --version\n"
		"\n"
		"Commands:\n"
		"  open POLL   define the poll (or change it while it has no ballots) and open it,\n"
		"              now or at --opens\n"
		"  close POLL  close it now: its result is final\n"
		"  show POLL   its question, choices, status, times and result\n"
		"  list        every poll the tallier knows, one line each\n"
		"\n"
		"Options of open:\n"
		"     --question TEXT  the question: 1 to %d bytes of UTF-8 text\n"
		"     --choices a,b,c  the choices, in order: 1 to %d, each 1 to 64 bytes of\n"
		"                      UTF-8 (no control, invisible or format characters outside\n"
		"                      an emoji), kept in NFC, no two confusable\n"
		"     --opens TIME     when it opens (default now)\n"
		"     --closes TIME    when it closes (default: only by 'pollctl close')\n"
		"     --results live|after-close  counts while open, or only once closed (the\n"
		"                      number of ballots shows meanwhile) (default live)\n"
		"     --revote yes|no  whether a voter's later ballot replaces the earlier one\n"
		"                      (default yes)\n"
		"     --roll FILE      only ballots signed by a voter of this roll count (voter\n"
		"                      --keygen lines; checked here, read by the tallier on this\n"
		"                      machine: its absolute path is sent)\n"
		"     --kind KIND      the question's kind, fixed at the poll's first open:\n"
		"                      single (default: one choice), multiple (voters pick\n"
		"                      several), ranked (voters order them), scale (a whole\n"
		"                      number, no --choices)\n"
		"     --min-picks N    multiple: the fewest picks a ballot takes, 0 to 32\n"
		"                      (default 1)\n"
		"     --max-picks N    multiple: the most picks, 1 to the number of choices\n"
		"                      (default that number)\n"
		"     --full           ranked: every choice must be ranked (default: 1 to all)\n"
		"     --low N          scale: its lowest value, -1000000 to 1000000 (required)\n"
		"     --high N         scale: its highest value, 1 to 100 more than --low\n"
		"                      (required)\n"
		"     --low-label TEXT scale: words for the low end (the rules of a choice)\n"
		"     --high-label TEXT  scale: words for the high end\n"
		"  TIME: +90s, +5m, +1h30m, +2d (from now), or ISO 8601: 2026-11-30T10:05:00Z,\n"
		"  2026-11-30T10:05:00+01:00, 2026-11-30T10:05 (local time)\n"
		"\n"
		"Options:\n"
		" -h, --host HOST      broker host (default localhost)\n"
		" -p, --port PORT      broker port (default %d: mosquitto.conf's loopback\n"
		"                      listener, where the organiser may publish on votectl;\n"
		"                      %d with TLS)\n"
		" -i, --id ID          MQTT client id (default pollctl-<16 random hex>, or USER of\n"
		"                      -u); the answer comes on votectl/reply/<id>, so no '/',\n"
		"                      '+' or '#'\n"
		" -u, --username USER  the broker account\n"
		" -P, --pw PASSWORD    password for the broker\n"
		" -V, --protocol-version mqttv5|mqttv311  (default mqttv5; 5 and 311 too)\n"
		"     --timeout SECS   wait this long for the tallier's answer (default 10)\n"
		CMDLINE_USAGE_CLIENT_END
		"\n"
		"Exit status:\n"
		"  0  done: the poll's information (open, close, show) or the list is printed\n"
		"  1  not delivered (cannot connect, refused by the broker: the organiser's topic\n"
		"     votectl is for the broker's own machine), or perhaps not (sent, then the\n"
		"     connection was lost before the broker acknowledged it)\n"
		"  2  usage error\n"
		"  3  refused by the tallier, with its reason\n"
		"  4  no answer from a tallier within --timeout\n",
		POLLDEF_QUESTION_MAX, POLLDEF_CHOICES_MAX, OPTS_TALLIER_PORT, TLSOPTS_PORT);
}

/* reply_topic: votectl/reply/<client id> into buf. Returns 0, or -1 with err. */
static int reply_topic(const char *client_id, char *buf, size_t size, char *err, size_t errlen)
{
	int n;

	if (strpbrk(client_id, "/+#")) {
		snprintf(err, errlen, "client id '%s' cannot name the reply topic: no '/', '+' or '#'", client_id);
		return -1;
	}
	n = snprintf(buf, size, POLLDEF_REPLY_PREFIX "%s", client_id);
	if (n < 0 || (size_t)n >= size) {
		snprintf(err, errlen, "client id '%s' is too long for the reply topic", client_id);
		return -1;
	}
	return 0;
}

/* report: the answer or the failure in words; returns the exit status. */
static int report(const struct pollctl_opts *o, enum outcome res, const struct ctlsend_answer *a, const char *err)
{
	char why[512];

	switch (res) {
	case OUTCOME_RECEIPT:
		break;
	case OUTCOME_UNCONFIRMED:
		fprintf(stderr, "pollctl: %s\n", err);
		return EXIT_NO_ANSWER;
	case OUTCOME_UNCERTAIN:
		fprintf(stderr, "pollctl: command may not have been delivered: %s\n", err);
		return EXIT_NOT_DELIVERED;
	default:
		fprintf(stderr, "pollctl: %s\n", err);
		return EXIT_NOT_DELIVERED;
	}
	switch (answer_print(o->command, a->payload, a->len, o->quiet, vtime_now_ms(), stdout, why, sizeof(why))) {
	case ANSWER_DONE:
		return EXIT_DONE;
	case ANSWER_REFUSED:
		fprintf(stderr, "pollctl: refused by the tallier: %s\n", why);
		return EXIT_REFUSED;
	case ANSWER_INVALID:
		break;
	}
	fprintf(stderr, "pollctl: the tallier's answer cannot be read: %s\n", why);
	return EXIT_NO_ANSWER;
}

int main(int argc, char **argv)
{
	struct pollctl_opts o;
	struct ctlsend_answer answer = { 0 };
	char err[512], topic[TOPIC_MAX];
	char *json = NULL;
	enum outcome res;
	int rc = EXIT_NOT_DELIVERED;

	if (cmdline_ends(pollctl_opts_parse(&o, argc, argv, err, sizeof(err)), "pollctl", usage, err, &rc))
		goto out;
	/* the client id: -i, else the account's, else pollctl-<16 random hex> */
	if (conn_opts_own_id(&o.conn, "pollctl", err, sizeof(err)) != 0) {
		fprintf(stderr, "pollctl: %s\n", err);
		goto out;
	}
	if (reply_topic(o.conn.client_id, topic, sizeof(topic), err, sizeof(err)) != 0) {
		fprintf(stderr, "pollctl: %s\nUse 'pollctl --help' to see usage.\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	json = command_json(&o, o.conn.mqtt_version == 5 ? NULL : topic, err, sizeof(err));
	if (!json) {
		fprintf(stderr, "pollctl: %s\n", err);
		goto out;
	}
	if (tlsopts_on(&o.conn.tls) && tlsctx_check_files(&o.conn.tls, err, sizeof(err)) != 0) {
		fprintf(stderr, "pollctl: %s\n", err);
		goto out;
	}
	if (o.debug)
		fprintf(stderr, "pollctl: command on " POLLDEF_CTL_TOPIC ": %s\n", json);
	res = ctlsend(&o, topic, json, &answer, err, sizeof(err));
	rc = report(&o, res, &answer, err);
out:
	free(answer.payload);
	free(json);
	pollctl_opts_free(&o);
	return rc;
}
