/* loadgen.c -- benchmark load generator: many simulated voters publishing QoS 1 ballots over Paho MQTTAsync */
#include <MQTTAsync.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ballot.h"
#include "loadcommit.h"
#include "loadsign.h"
#include "sign.h"
#include "mqtturi.h"
#include "receipt.h"
#include "nodelay.h"
#include "topic.h"

/* One process, N MQTT connections ("voters' machines"), each publishing
 * its share of the ballots at QoS 1 under voter ids of its own, with at
 * most --window publications waiting for their PUBACK (Paho's maxInflight
 * is set to the same number, and maxBufferedMessages above it, so Paho
 * never refuses or silently queues a command). With --confirm each ballot
 * carries an MQTT 5 Response Topic vote/<poll>/receipt/<client id> and its
 * id as Correlation Data; the receipts are matched (by Correlation Data,
 * else by the receipt's "id") and their latency recorded.
 *
 * Ballot ids are 32 hex digits: 8 of a per-run random nonce, 8 of the
 * connection number, 16 of the connection's sequence number, so a receipt
 * names its ballot without a lookup table, and the ids of one run grow
 * with the sequence (a voter's later ballot has the greater id).
 *
 * Paho tracing costs a factor of about 40: MQTT_C_CLIENT_TRACE is removed
 * from the environment before any client exists, and no trace callback is
 * set. Even untraced, Paho 1.3.11 formats its protocol and function
 * entry/exit records into an in-memory ring (a third of this program's
 * instructions, measured with callgrind) unless its trace level is raised
 * to ERROR, which is done first. Results go to stdout as one JSON object;
 * diagnostics to stderr. */

#define MAX_CHOICES 16
#define CLIENT_ID_MAX 48
#define PAYLOAD_MAX 512

enum conn_state { CONN_CONNECTING = 0, CONN_CONNECTED = 1, CONN_READY = 2, CONN_FAILED = -1 };

struct gen_opts {
	const char *host;
	int port;
	int connections;
	uint64_t ballots;
	double rate;             /* ballots per second in all; 0: as fast as possible */
	uint64_t polls;
	uint64_t voters;         /* distinct voter ids; 0: one per ballot */
	int window;              /* publications awaiting a PUBACK, per connection */
	int receipt_window;      /* --confirm: ballots awaiting a receipt, per connection; 0: no limit */
	bool confirm;
	bool respond;            /* --respond: be the no-work receipt responder instead */
	int nodelay;             /* --tcp-nodelay: 1 yes, 0 no, -1 default (yes, but no with --respond) */
	uint64_t expect;         /* --respond: stop after this many ballots; 0: at SIGTERM */
	const char *session;     /* --respond --session ID: resume the persistent session ID */
	const char *commit;      /* --respond --commit FILE: one SQLite commit per ballot, there */
	double timeout;          /* seconds for the whole run */
	const char *poll_prefix;
	const char *voter_prefix;
	char id_prefix[24];
	char *choice_buf;        /* --choices, split in place */
	const char *choices[MAX_CHOICES];
	size_t nchoices;
	bool sign;               /* --sign: every ballot signed (loadsign.h), before the clock starts */
	const char *make_roll;   /* --make-roll FILE: write the roll of the voters, and exit */
	const char *instance;    /* --instance HEX: the poll instance --sign signs for */
};

struct gen;

/* One client connection and the ballots it owns. */
struct conn {
	struct gen *g;
	MQTTAsync client;
	uint32_t index;
	char id[CLIENT_ID_MAX];
	char filter[CLIENT_ID_MAX + 32]; /* vote/+/receipt/<id> */
	uint64_t quota;                  /* ballots this connection publishes */
	uint64_t sent;                   /* published so far (main thread only) */
	uint64_t voters;                 /* voter ids it owns */
	int window;                      /* --window, or less when the broker's Receive Maximum is */
	int outstanding;                 /* publications awaiting a PUBACK (atomic) */
	int awaiting;                    /* --confirm: ballots awaiting a receipt (atomic) */
	int state;                       /* enum conn_state (atomic) */
	int disconnected;                /* the DISCONNECT went out, or failed (atomic) */
	int64_t *sent_us;                /* --confirm: when each ballot was published (monotonic us) */
	int64_t *latency_us;             /* --confirm: each ballot's receipt latency; -1: none yet */
	char **signed_json;              /* --sign: ballot seq's JSON, signed before the run */
};

/* The whole run. Counters are updated by Paho's threads (atomics). */
struct gen {
	struct gen_opts o;
	struct conn *conns;
	pthread_mutex_t lock; /* with cond: wakes the publishing loop when capacity frees up */
	pthread_cond_t cond;
	int waiting;          /* the publishing loop sleeps on cond (atomic) */
	char nonce[9];
	uint64_t acked, failed;
	uint64_t receipts, counted, duplicate, rejected, unmatched, repeated;
	uint64_t received, answered, dropped;  /* --respond */
	uint64_t unasked;                      /* --respond: ballots that asked for no receipt */
	int64_t last_ack_us, last_receipt_us; /* monotonic */
	int64_t last_message_us;               /* --respond: monotonic */
	int lost;                              /* connections lost during the run */
	struct loadcommit *commit;             /* --commit: Paho's receive thread's, once the run started */
	int commit_failed;                     /* --commit: a commit failed (atomic) */
};

/* mono_us: microseconds on CLOCK_MONOTONIC. */
static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* wall_us: microseconds since the epoch (CLOCK_REALTIME). */
static int64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* atomic_max: raises *p to v if v is greater. */
static void atomic_max(int64_t *p, int64_t v)
{
	int64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (cur < v && !__atomic_compare_exchange_n(p, &cur, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* wake_publisher: tells the publishing loop that capacity freed up, if it sleeps. */
static void wake_publisher(struct gen *g)
{
	if (__atomic_load_n(&g->waiting, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&g->lock);
		pthread_cond_signal(&g->cond);
		pthread_mutex_unlock(&g->lock);
	}
}

/* usage: the help text. */
static void usage(FILE *out)
{
	fprintf(out,
		"loadgen -- publish a stream of mqtt-vote ballots at QoS 1 from many connections\n"
		"\n"
		"Usage: loadgen [-h host] [-p port] [-c connections] [-n ballots] [-r rate]\n"
		"               [--polls n] [--voters n] [--window n] [--confirm [--receipt-window n]]\n"
		"               [--timeout secs] [--poll-prefix s] [--voter-prefix s] [--id-prefix s]\n"
		"               [--choices a,b,...] [--tcp-nodelay yes|no] [--sign]\n"
		"       loadgen --make-roll FILE [--voters n] [--voter-prefix s]\n"
		"       loadgen --respond [-h host] [-p port] [--expect n] [--timeout secs] [--id-prefix s]\n"
		"                         [--session id] [--commit FILE]\n"
		"\n"
		" -h, --host HOST        broker (default 127.0.0.1)\n"
		" -p, --port PORT        broker port (default 1883)\n"
		" -c, --connections N    client connections, one Paho MQTTAsync client each (default 4)\n"
		" -n, --ballots N        ballots in all (default 10000)\n"
		" -r, --rate R           ballots per second in all; 0 = as fast as possible (default 0)\n"
		"     --polls N          polls, named <poll-prefix>0.. (default 1)\n"
		"     --voters N         distinct voter ids, <voter-prefix>0..; each connection owns\n"
		"                        its own; ballots beyond N are revotes (default: one per ballot)\n"
		"     --window N         publications awaiting a PUBACK per connection (default 64)\n"
		"     --confirm          ask for receipts (MQTT 5 Response Topic + Correlation Data),\n"
		"                        wait for them, print latency percentiles\n"
		"     --receipt-window N --confirm: ballots awaiting a receipt per connection\n"
		"                        (default 0: no limit but --window)\n"
		"     --timeout S        give up after S seconds (default 120)\n"
		"     --poll-prefix S    (default bench)   --voter-prefix S (default v)\n"
		"     --id-prefix S      MQTT client ids <S>-<n> (default lg<pid>)\n"
		"     --choices LIST     choices cycled through (default yes,no,abstain)\n"
		"     --respond          no load: the reference that does no work. Subscribes to\n"
		"                        vote/+ (QoS 1) and answers every ballot that has a\n"
		"                        Response Topic with a fixed receipt, without reading it\n"
		"     --expect N         --respond: stop after N ballots (default 0: at SIGTERM,\n"
		"                        SIGINT or --timeout)\n"
		"     --session ID       --respond: client id ID, resuming its persistent session:\n"
		"                        drains what the broker queued for it (the reference for\n"
		"                        the tallier draining a backlog: Paho doing no work)\n"
		"     --commit FILE      --respond: commit each ballot, unread, to a new SQLite\n"
		"                        database FILE (WAL, synchronous=NORMAL, a transaction\n"
		"                        each) before acknowledging it: the floor of a durable\n"
		"                        consumer on Paho and SQLite\n"
		"     --tcp-nodelay yes|no  TCP_NODELAY on our sockets (Paho leaves Nagle on).\n"
		"                        Default yes: N independent voters do not wait for each\n"
		"                        other's ACKs; with --respond no, like the tallier\n"
		"     --sign             sign every ballot (before the clock starts) with its voter's\n"
		"                        benchmark key, derived from the voter's name, for the\n"
		"                        poll instance --instance HEX (one poll: --polls 1)\n"
		"     --make-roll FILE   write the roll of those keys for the voters, for tallier\n"
		"                        --roll, and exit (no broker)\n"
		"     --help             this text\n"
		"\n"
		"Prints one JSON object on stdout. Exit 0 when every ballot was acknowledged\n"
		"(and, with --confirm, receipted; with --respond, all expected ballots came),\n"
		"1 otherwise, 2 on a usage error.\n");
}

/* parse_u64: a whole number in [min, max] from s. Returns 0, or -1. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* parse_double: a number in [min, max] from s. Returns 0, or -1. */
static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

/* split_choices: splits o->choice_buf (a,b,c) into o->choices. Returns 0, or -1. */
static int split_choices(struct gen_opts *o)
{
	char *save = NULL, *tok;

	o->nchoices = 0;
	for (tok = strtok_r(o->choice_buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->nchoices == MAX_CHOICES || !ballot_text_valid(tok) || strpbrk(tok, "\"\\"))
			return -1;
		o->choices[o->nchoices++] = tok;
	}
	return o->nchoices > 0 ? 0 : -1;
}

/* valid_name: true when s (a prefix) is 1 to max characters from A-Z a-z 0-9 _ - . */
static bool valid_name(const char *s, size_t max)
{
	size_t n = strlen(s), k;

	if (n == 0 || n > max)
		return false;
	for (k = 0; k < n; k++)
		if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= '0' && s[k] <= '9') ||
		      s[k] == '_' || s[k] == '-' || s[k] == '.'))
			return false;
	return true;
}

/* parse_options: fills *o from argv. Returns 0 to run, 1 for --help, 2 on a usage error (reported). */
static int parse_options(int argc, char **argv, struct gen_opts *o)
{
	enum { O_POLLS = 256, O_VOTERS, O_WINDOW, O_CONFIRM, O_RWINDOW, O_TIMEOUT, O_PPREFIX, O_VPREFIX,
	       O_IDPREFIX, O_CHOICES, O_RESPOND, O_EXPECT, O_SESSION, O_COMMIT, O_NODELAY, O_HELP, O_SIGN, O_MAKE_ROLL,
	       O_INSTANCE };
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "connections", required_argument, NULL, 'c' },
		{ "ballots", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "polls", required_argument, NULL, O_POLLS },
		{ "voters", required_argument, NULL, O_VOTERS },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "confirm", no_argument, NULL, O_CONFIRM },
		{ "receipt-window", required_argument, NULL, O_RWINDOW },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "poll-prefix", required_argument, NULL, O_PPREFIX },
		{ "voter-prefix", required_argument, NULL, O_VPREFIX },
		{ "id-prefix", required_argument, NULL, O_IDPREFIX },
		{ "choices", required_argument, NULL, O_CHOICES },
		{ "respond", no_argument, NULL, O_RESPOND },
		{ "expect", required_argument, NULL, O_EXPECT },
		{ "session", required_argument, NULL, O_SESSION },
		{ "commit", required_argument, NULL, O_COMMIT },
		{ "tcp-nodelay", required_argument, NULL, O_NODELAY },
		{ "help", no_argument, NULL, O_HELP },
		{ "sign", no_argument, NULL, O_SIGN },
		{ "instance", required_argument, NULL, O_INSTANCE },
		{ "make-roll", required_argument, NULL, O_MAKE_ROLL },
		{ NULL, 0, NULL, 0 },
	};
	const char *choices = "yes,no,abstain", *bad = NULL;
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = 1883;
	o->connections = 4;
	o->ballots = 10000;
	o->polls = 1;
	o->window = 64;
	o->timeout = 120;
	o->poll_prefix = "bench";
	o->nodelay = -1;
	o->voter_prefix = "v";
	snprintf(o->id_prefix, sizeof(o->id_prefix), "lg%ld", (long)getpid());
	opterr = 0;
	while (!bad && (c = getopt_long(argc, argv, ":h:p:c:n:r:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			o->host = optarg;
			break;
		case 'p':
			if (parse_u64(optarg, 1, 65535, &v) != 0)
				bad = "-p: a port is 1 to 65535";
			o->port = (int)v;
			break;
		case 'c':
			if (parse_u64(optarg, 1, 1000, &v) != 0)
				bad = "-c: 1 to 1000 connections";
			o->connections = (int)v;
			break;
		case 'n':
			if (parse_u64(optarg, 1, 100000000, &o->ballots) != 0)
				bad = "-n: 1 to 100000000 ballots";
			break;
		case 'r':
			if (parse_double(optarg, 0, 1e7, &o->rate) != 0)
				bad = "-r: a rate is 0 to 10000000 ballots/s";
			break;
		case O_POLLS:
			if (parse_u64(optarg, 1, 1000000, &o->polls) != 0)
				bad = "--polls: 1 to 1000000";
			break;
		case O_VOTERS:
			if (parse_u64(optarg, 1, 100000000, &o->voters) != 0)
				bad = "--voters: 1 to 100000000";
			break;
		case O_WINDOW:
			if (parse_u64(optarg, 1, 65000, &v) != 0)
				bad = "--window: 1 to 65000";
			o->window = (int)v;
			break;
		case O_CONFIRM:
			o->confirm = true;
			break;
		case O_RWINDOW:
			if (parse_u64(optarg, 0, 1000000, &v) != 0)
				bad = "--receipt-window: 0 to 1000000";
			o->receipt_window = (int)v;
			break;
		case O_TIMEOUT:
			if (parse_double(optarg, 0.001, 86400, &o->timeout) != 0)
				bad = "--timeout: 0.001 to 86400 seconds";
			break;
		case O_PPREFIX:
			o->poll_prefix = optarg;
			if (!valid_name(optarg, TOPIC_POLL_MAX - 8))
				bad = "--poll-prefix: 1 to 56 characters from A-Z a-z 0-9 _ - .";
			break;
		case O_VPREFIX:
			o->voter_prefix = optarg;
			if (!valid_name(optarg, BALLOT_TEXT_MAX - 20))
				bad = "--voter-prefix: 1 to 44 characters from A-Z a-z 0-9 _ - .";
			break;
		case O_IDPREFIX:
			if (!valid_name(optarg, sizeof(o->id_prefix) - 1))
				bad = "--id-prefix: 1 to 23 characters from A-Z a-z 0-9 _ - .";
			else
				snprintf(o->id_prefix, sizeof(o->id_prefix), "%s", optarg);
			break;
		case O_CHOICES:
			choices = optarg;
			break;
		case O_RESPOND:
			o->respond = true;
			break;
		case O_NODELAY:
			if (strcmp(optarg, "yes") == 0)
				o->nodelay = 1;
			else if (strcmp(optarg, "no") == 0)
				o->nodelay = 0;
			else
				bad = "--tcp-nodelay: yes or no";
			break;
		case O_SESSION:
			if (!valid_name(optarg, CLIENT_ID_MAX - 1))
				bad = "--session: 1 to 22 characters from A-Z a-z 0-9 _ - .";
			else
				o->session = optarg;
			break;
		case O_COMMIT:
			if (!*optarg)
				bad = "--commit: a file name";
			else
				o->commit = optarg;
			break;
		case O_EXPECT:
			if (parse_u64(optarg, 0, 100000000, &o->expect) != 0)
				bad = "--expect: 0 to 100000000";
			break;
		case O_SIGN:
			o->sign = true;
			break;
		case O_MAKE_ROLL:
			o->make_roll = optarg;
			break;
		case O_INSTANCE:
			o->instance = optarg;
			if (!sign_instance_valid(optarg))
				bad = "--instance: 32 lower-case hex digits";
			break;
		case O_HELP:
			usage(stdout);
			return 1;
		case ':':
			bad = "an option needs a value";
			break;
		default:
			bad = "unknown option";
			break;
		}
	}
	if (!bad && optind < argc)
		bad = "unexpected argument";
	if (!bad && o->respond && o->confirm)
		bad = "--respond and --confirm: one or the other";
	if (!bad && o->session && !o->respond)
		bad = "--session goes with --respond";
	if (!bad && o->commit && !o->respond)
		bad = "--commit goes with --respond";
	if (!bad && o->sign && o->respond)
		bad = "--sign and --respond: one or the other";
	if (!bad && o->sign && (!o->instance || o->polls != 1))
		bad = "--sign needs --instance (the poll's, from vote/<poll>/info) and --polls 1";
	if (!bad && o->respond)
		o->connections = 1;
	if (o->nodelay < 0)
		o->nodelay = !o->respond;
	if (!bad && o->voters == 0)
		o->voters = o->ballots;
	if (!bad && o->voters < (uint64_t)o->connections)
		bad = "--voters: at least one per connection";
	if (!bad && (uint64_t)o->connections > o->ballots)
		bad = "-c: no more connections than ballots";
	if (!bad && !(o->choice_buf = strdup(choices)))
		bad = "out of memory";
	if (!bad && split_choices(o) != 0)
		bad = "--choices: 1 to 16 valid choices, comma-separated, without quotes or backslashes";
	if (bad) {
		fprintf(stderr, "loadgen: %s\nUse 'loadgen --help' to see usage.\n", bad);
		return 2;
	}
	return 0;
}

/* hex_value: the number in s[0..n) hex digits, or -1 when one is not a hex digit. */
static int64_t hex_value(const char *s, size_t n)
{
	int64_t v = 0;
	size_t k;

	for (k = 0; k < n; k++) {
		char ch = s[k];
		int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* ballot_of: finds the ballot a 32-hex id names in this run. Returns 0
 * with *conn and *seq set, or -1 when it is not one of ours. */
static int ballot_of(const struct gen *g, const char *id, size_t len, uint32_t *conn, uint64_t *seq)
{
	int64_t c, s;

	if (len != BALLOT_ID_HEX || memcmp(id, g->nonce, 8) != 0)
		return -1;
	c = hex_value(id + 8, 8);
	s = hex_value(id + 16, 16);
	if (c < 0 || s < 0 || c >= g->o.connections || (uint64_t)s >= g->conns[c].quota)
		return -1;
	*conn = (uint32_t)c;
	*seq = (uint64_t)s;
	return 0;
}

/* on_receipt: a receipt arrived on one of our receipt topics (Paho's
 * receive thread). Records the first receipt of each ballot. */
static void on_receipt(struct gen *g, MQTTAsync_message *msg)
{
	MQTTProperty *p = MQTTProperties_getProperty(&msg->properties, MQTTPROPERTY_CODE_CORRELATION_DATA);
	struct receipt r;
	char err[128];
	uint32_t ci;
	uint64_t seq;
	int64_t none = -1, lat;
	struct conn *c;

	if (receipt_parse(msg->payload, msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0, &r, err,
			  sizeof(err)) != 0) {
		__atomic_add_fetch(&g->unmatched, 1, __ATOMIC_RELAXED);
		return;
	}
	if ((!p || ballot_of(g, p->value.data.data, (size_t)p->value.data.len, &ci, &seq) != 0) &&
	    ballot_of(g, r.id, strlen(r.id), &ci, &seq) != 0) {
		__atomic_add_fetch(&g->unmatched, 1, __ATOMIC_RELAXED);
		return;
	}
	c = &g->conns[ci];
	lat = mono_us() - __atomic_load_n(&c->sent_us[seq], __ATOMIC_ACQUIRE);
	if (lat < 0)
		lat = 0;
	if (!__atomic_compare_exchange_n(&c->latency_us[seq], &none, lat, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		__atomic_add_fetch(&g->repeated, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_add_fetch(r.status == RECEIPT_COUNTED	   ? &g->counted
			   : r.status == RECEIPT_DUPLICATE ? &g->duplicate
							   : &g->rejected,
			   1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&g->receipts, 1, __ATOMIC_RELAXED);
	atomic_max(&g->last_receipt_us, mono_us());
	__atomic_sub_fetch(&c->awaiting, 1, __ATOMIC_SEQ_CST);
	wake_publisher(g);
}

/* on_answered: the broker has a receipt the responder sent. */
static void on_answered(void *context, MQTTAsync_successData5 *response)
{
	struct gen *g = context;

	(void)response;
	__atomic_add_fetch(&g->answered, 1, __ATOMIC_RELAXED);
}

/* on_answer_failed: a receipt the responder sent was lost. */
static void on_answer_failed(void *context, MQTTAsync_failureData5 *response)
{
	struct gen *g = context;

	(void)response;
	__atomic_add_fetch(&g->dropped, 1, __ATOMIC_RELAXED);
}

/* respond: --respond, for each ballot (Paho's receive thread): the least
 * a tallier could do. The ballot is not read; one that carries a Response
 * Topic gets a fixed receipt there, QoS 1, with its Correlation Data and
 * that as its id (the load generator's correlation data is the id). */
static void respond(struct conn *c, const char *topic, size_t topiclen, MQTTAsync_message *msg)
{
	static const char head[] = "{\"id\":\"", mid[] = "\",\"poll\":\"", tail[] = "\",\"status\":\"counted\",\"counts\":{}}";
	MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
	MQTTAsync_message answer = MQTTAsync_message_initializer;
	MQTTProperty *rt = MQTTProperties_getProperty(&msg->properties, MQTTPROPERTY_CODE_RESPONSE_TOPIC);
	MQTTProperty *cd = MQTTProperties_getProperty(&msg->properties, MQTTPROPERTY_CODE_CORRELATION_DATA);
	struct gen *g = c->g;
	char dest[TOPIC_MAX], payload[PAYLOAD_MAX];
	size_t idlen = cd && cd->value.data.len == BALLOT_ID_HEX ? BALLOT_ID_HEX : 0, polllen, n = 0;

	/* --commit: stored before the callback returns (Paho acknowledges then) */
	if (g->commit && loadcommit_one(g->commit, msg->payload, msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0) != 0)
		__atomic_store_n(&g->commit_failed, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&g->received, 1, __ATOMIC_RELAXED);
	atomic_max(&g->last_message_us, mono_us());
	if (!rt || rt->value.data.len <= 0 || (size_t)rt->value.data.len >= sizeof(dest)) {
		__atomic_add_fetch(&g->unasked, 1, __ATOMIC_RELAXED);
		return;
	}
	polllen = topiclen > 5 ? topiclen - 5 : 0; /* after "vote/" */
	if (polllen > TOPIC_POLL_MAX)
		polllen = TOPIC_POLL_MAX;
	memcpy(dest, rt->value.data.data, (size_t)rt->value.data.len);
	dest[rt->value.data.len] = '\0';
	memcpy(payload + n, head, sizeof(head) - 1);
	n += sizeof(head) - 1;
	if (idlen)
		memcpy(payload + n, cd->value.data.data, idlen);
	n += idlen;
	memcpy(payload + n, mid, sizeof(mid) - 1);
	n += sizeof(mid) - 1;
	memcpy(payload + n, topic + 5, polllen);
	n += polllen;
	memcpy(payload + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	answer.payload = payload;
	answer.payloadlen = (int)n;
	answer.qos = 1;
	if (cd && MQTTProperties_add(&answer.properties, cd) != 0) {
		__atomic_add_fetch(&g->dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	opts.context = g;
	opts.onSuccess5 = on_answered;
	opts.onFailure5 = on_answer_failed;
	if (MQTTAsync_sendMessage(c->client, dest, &answer, &opts) != MQTTASYNC_SUCCESS)
		__atomic_add_fetch(&g->dropped, 1, __ATOMIC_RELAXED);
	MQTTProperties_free(&answer.properties);
}

/* on_message: Paho's messageArrived: receipts (load generator) or
 * ballots (--respond). Always consumes the message (returns 1). */
static int on_message(void *context, char *topic, int topiclen, MQTTAsync_message *msg)
{
	struct conn *c = context;

	if (c->g->o.respond)
		respond(c, topic, topiclen > 0 ? (size_t)topiclen : strlen(topic), msg);
	else
		on_receipt(c->g, msg);
	MQTTAsync_freeMessage(&msg);
	MQTTAsync_free(topic);
	return 1;
}

/* on_lost: Paho's connectionLost: the run cannot complete on this connection. */
static void on_lost(void *context, char *cause)
{
	struct conn *c = context;

	__atomic_store_n(&c->state, CONN_FAILED, __ATOMIC_RELEASE);
	__atomic_add_fetch(&c->g->lost, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "loadgen: connection %s lost%s%s\n", c->id, cause ? ": " : "", cause ? cause : "");
	wake_publisher(c->g);
}

/* ballot_done: one publication answered (acked or failed). */
static void ballot_done(struct conn *c, bool ok)
{
	struct gen *g = c->g;

	if (ok) {
		__atomic_add_fetch(&g->acked, 1, __ATOMIC_RELAXED);
		atomic_max(&g->last_ack_us, mono_us());
	} else {
		__atomic_add_fetch(&g->failed, 1, __ATOMIC_RELAXED);
	}
	__atomic_sub_fetch(&c->outstanding, 1, __ATOMIC_SEQ_CST);
	wake_publisher(g);
}

/* on_published: the PUBACK of one ballot. (Paho 1.3.11 does not pass
 * the PUBACK's reason code on: "no matching subscribers" is not seen.) */
static void on_published(void *context, MQTTAsync_successData5 *response)
{
	(void)response;
	ballot_done(context, true);
}

/* on_publish_failed: a ballot the broker refused, or that was lost with the connection. */
static void on_publish_failed(void *context, MQTTAsync_failureData5 *response)
{
	(void)response;
	ballot_done(context, false);
}

/* on_subscribed: the receipt subscription is in place: ready to publish. */
static void on_subscribed(void *context, MQTTAsync_successData5 *response)
{
	struct conn *c = context;

	if (response && response->reasonCode >= 0x80) {
		fprintf(stderr, "loadgen: %s: subscription to %s refused (reason %d)\n", c->id, c->filter,
			(int)response->reasonCode);
		__atomic_store_n(&c->state, CONN_FAILED, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&c->state, CONN_READY, __ATOMIC_RELEASE);
}

/* on_subscribe_failed: the receipt subscription was refused. */
static void on_subscribe_failed(void *context, MQTTAsync_failureData5 *response)
{
	struct conn *c = context;

	fprintf(stderr, "loadgen: %s: cannot subscribe to %s (code %d)\n", c->id, c->filter,
		response ? response->code : -1);
	__atomic_store_n(&c->state, CONN_FAILED, __ATOMIC_RELEASE);
}

/* on_connected: connected; with --confirm, subscribes to the receipt
 * topic first. The window is cut to the broker's Receive Maximum
 * (Mosquitto: max_inflight_messages, 20 by default): past it Paho 1.3.11
 * holds publications back in its send thread, which then may sleep for a
 * second on a wake-up it missed (MQTTAsync_sendThread). */
static void on_connected(void *context, MQTTAsync_successData5 *response)
{
	MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
	struct conn *c = context;
	int rc;

	if (response && MQTTProperties_hasProperty(&response->properties, MQTTPROPERTY_CODE_RECEIVE_MAXIMUM)) {
		int most = MQTTProperties_getNumericValue(&response->properties, MQTTPROPERTY_CODE_RECEIVE_MAXIMUM);

		if (most > 0 && most < c->window)
			__atomic_store_n(&c->window, most, __ATOMIC_RELEASE);
	}
	if (!c->g->o.confirm && !c->g->o.respond) {
		__atomic_store_n(&c->state, CONN_READY, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&c->state, CONN_CONNECTED, __ATOMIC_RELEASE);
	opts.context = c;
	opts.onSuccess5 = on_subscribed;
	opts.onFailure5 = on_subscribe_failed;
	rc = MQTTAsync_subscribe(c->client, c->filter, 1, &opts);
	if (rc != MQTTASYNC_SUCCESS) {
		fprintf(stderr, "loadgen: %s: cannot subscribe to %s (code %d)\n", c->id, c->filter, rc);
		__atomic_store_n(&c->state, CONN_FAILED, __ATOMIC_RELEASE);
	}
}

/* on_connect_failed: the broker could not be reached or refused us. */
static void on_connect_failed(void *context, MQTTAsync_failureData5 *response)
{
	struct conn *c = context;

	fprintf(stderr, "loadgen: %s: cannot connect to %s:%d (code %d, reason %d)\n", c->id, c->g->o.host,
		c->g->o.port, response ? response->code : -1, response ? (int)response->reasonCode : -1);
	__atomic_store_n(&c->state, CONN_FAILED, __ATOMIC_RELEASE);
}

/* conn_start: creates connection c's client and starts connecting. Returns 0, or -1 (reported). */
static int conn_start(struct gen *g, struct conn *c)
{
	MQTTAsync_createOptions create = MQTTAsync_createOptions_initializer5;
	MQTTAsync_connectOptions conn = MQTTAsync_connectOptions_initializer5;
	char uri[300];
	int rc;

	if (mqtturi_make(g->o.host, g->o.port, false, uri, sizeof(uri)) != 0) {
		fprintf(stderr, "loadgen: host name too long\n");
		return -1;
	}
	/* never the limit: the window is (the responder is bounded by its senders') */
	create.maxBufferedMessages = g->o.respond ? 65535 : g->o.window + 16;
	rc = MQTTAsync_createWithOptions(&c->client, uri, c->id, MQTTCLIENT_PERSISTENCE_NONE, NULL, &create);
	if (rc != MQTTASYNC_SUCCESS) {
		fprintf(stderr, "loadgen: cannot create a client for %s (code %d)\n", uri, rc);
		c->client = NULL;
		return -1;
	}
	rc = MQTTAsync_setCallbacks(c->client, c, on_lost, on_message, NULL);
	if (rc != MQTTASYNC_SUCCESS) {
		fprintf(stderr, "loadgen: cannot set callbacks (code %d)\n", rc);
		return -1;
	}
	conn.keepAliveInterval = 60;
	conn.cleanstart = g->o.session ? 0 : 1; /* --session: what the broker queued for it */
	conn.maxInflight = g->o.respond ? 65535 : g->o.window;
	conn.automaticReconnect = 0;
	conn.context = c;
	conn.onSuccess5 = on_connected;
	conn.onFailure5 = on_connect_failed;
	rc = MQTTAsync_connect(c->client, &conn);
	if (rc != MQTTASYNC_SUCCESS) {
		fprintf(stderr, "loadgen: cannot connect to %s (code %d)\n", uri, rc);
		return -1;
	}
	return 0;
}

/* wait_ready: waits until every connection is ready (subscribed with
 * --confirm) or until deadline (monotonic us). Returns 0, or -1 (reported). */
static int wait_ready(struct gen *g, int64_t deadline)
{
	const struct timespec tick = { 0, 1000000 };
	int k, ready, failed;

	for (;;) {
		ready = failed = 0;
		for (k = 0; k < g->o.connections; k++) {
			int st = __atomic_load_n(&g->conns[k].state, __ATOMIC_ACQUIRE);

			ready += st == CONN_READY;
			failed += st == CONN_FAILED;
		}
		if (failed) {
			fprintf(stderr, "loadgen: %d of %d connections failed\n", failed, g->o.connections);
			return -1;
		}
		if (ready == g->o.connections)
			return 0;
		if (mono_us() > deadline) {
			fprintf(stderr, "loadgen: timed out connecting (%d of %d ready)\n", ready, g->o.connections);
			return -1;
		}
		if (nanosleep(&tick, NULL) != 0 && errno != EINTR)
			return -1;
	}
}

/* has_room: true when c may publish its next ballot now (quota, window, receipt window). */
static bool has_room(const struct gen *g, struct conn *c)
{
	return c->sent < c->quota && __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == CONN_READY &&
	       __atomic_load_n(&c->outstanding, __ATOMIC_SEQ_CST) < __atomic_load_n(&c->window, __ATOMIC_ACQUIRE) &&
	       (!g->o.confirm || g->o.receipt_window == 0 ||
		__atomic_load_n(&c->awaiting, __ATOMIC_SEQ_CST) < g->o.receipt_window);
}

/* pick: the next connection (round robin from *rr) with room, or NULL. */
static struct conn *pick(struct gen *g, int *rr)
{
	int k;

	for (k = 0; k < g->o.connections; k++) {
		struct conn *c = &g->conns[(*rr + k) % g->o.connections];

		if (has_room(g, c)) {
			*rr = (*rr + k + 1) % g->o.connections;
			return c;
		}
	}
	return NULL;
}

/* publish_one: publishes connection c's next ballot. Returns 0, or -1 (reported). */
/* ballot_text: the JSON of connection c's ballot number seq, with ts,
 * into payload (size bytes); its id into id and its poll's number into
 * *poll. Returns the JSON's length, or -1 said. */
static int ballot_text(const struct gen *g, const struct conn *c, uint64_t seq, int64_t ts, char *payload,
		       size_t size, char id[BALLOT_ID_HEX + 1], uint64_t *poll)
{
	uint64_t voter = c->index + (uint64_t)g->o.connections * (seq % c->voters);
	const char *choice = g->o.choices[(voter + seq / c->voters) % g->o.nchoices];
	int n;

	*poll = voter % g->o.polls;
	snprintf(id, BALLOT_ID_HEX + 1, "%s%08" PRIx32 "%016" PRIx64, g->nonce, c->index, seq);
	n = snprintf(payload, size,
		     "{\"poll\":\"%s%" PRIu64 "\",\"voter\":\"%s%" PRIu64 "\",\"choice\":\"%s\",\"id\":\"%s\",\"ts\":%" PRId64
		     "}",
		     g->o.poll_prefix, *poll, g->o.voter_prefix, voter, choice, id, ts);
	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "loadgen: ballot too long\n");
		return -1;
	}
	return n;
}

/* sign_all: --sign: every ballot of c, signed, into c->signed_json, all
 * with the ts ts (a voter's later ballots have greater ids). Returns 0, or
 * -1 said. */
static int sign_all(const struct gen *g, struct conn *c, int64_t ts)
{
	char payload[PAYLOAD_MAX], id[BALLOT_ID_HEX + 1], poll[TOPIC_POLL_MAX + 1], err[128];
	struct ballot b;
	uint64_t seq, p;

	c->signed_json = calloc(c->quota ? c->quota : 1, sizeof(*c->signed_json));
	if (!c->signed_json)
		goto oom;
	for (seq = 0; seq < c->quota; seq++) {
		int n = ballot_text(g, c, seq, ts, payload, sizeof(payload), id, &p);

		snprintf(poll, sizeof(poll), "%s%" PRIu64, g->o.poll_prefix, p);
		bool ok = n >= 0 && ballot_parse(poll, payload, (size_t)n, &b, NULL, err, sizeof(err)) == 0;

		if (ok) {
			snprintf(b.instance, sizeof(b.instance), "%s", g->o.instance);
			b.has_instance = true;
		}
		if (!ok || loadsign_ballot(&b) != 0) {
			fprintf(stderr, "loadgen: cannot sign ballot %" PRIu64 " of %s\n", seq, c->id);
			return -1;
		}
		c->signed_json[seq] = ballot_to_json(&b, NULL, err, sizeof(err));
		if (!c->signed_json[seq])
			goto oom;
	}
	return 0;
oom:
	fprintf(stderr, "loadgen: out of memory\n");
	return -1;
}

static int publish_one(struct gen *g, struct conn *c)
{
	MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
	MQTTAsync_message msg = MQTTAsync_message_initializer;
	MQTTProperty prop;
	char payload[PAYLOAD_MAX], id[BALLOT_ID_HEX + 1], topic[TOPIC_MAX], reply[TOPIC_MAX];
	uint64_t seq = c->sent, poll;
	int n, rc = -1;

	n = ballot_text(g, c, seq, wall_us() / 1000, payload, sizeof(payload), id, &poll);
	if (n < 0)
		goto out;
	snprintf(topic, sizeof(topic), TOPIC_PREFIX "%s%" PRIu64, g->o.poll_prefix, poll);
	if (c->signed_json) {
		msg.payload = c->signed_json[seq];
		msg.payloadlen = (int)strlen(c->signed_json[seq]);
	} else {
		msg.payload = payload;
		msg.payloadlen = n;
	}
	msg.qos = 1;
	if (g->o.confirm) {
		snprintf(reply, sizeof(reply), TOPIC_PREFIX "%s%" PRIu64 "/receipt/%s", g->o.poll_prefix, poll, c->id);
		prop.identifier = MQTTPROPERTY_CODE_RESPONSE_TOPIC;
		prop.value.data.data = reply;
		prop.value.data.len = (int)strlen(reply);
		if (MQTTProperties_add(&msg.properties, &prop) != 0)
			goto oom;
		prop.identifier = MQTTPROPERTY_CODE_CORRELATION_DATA;
		prop.value.data.data = id;
		prop.value.data.len = BALLOT_ID_HEX;
		if (MQTTProperties_add(&msg.properties, &prop) != 0)
			goto oom;
		__atomic_add_fetch(&c->awaiting, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&c->sent_us[seq], mono_us(), __ATOMIC_RELEASE);
	}
	opts.context = c;
	opts.onSuccess5 = on_published;
	opts.onFailure5 = on_publish_failed;
	__atomic_add_fetch(&c->outstanding, 1, __ATOMIC_SEQ_CST);
	n = MQTTAsync_sendMessage(c->client, topic, &msg, &opts);
	if (n != MQTTASYNC_SUCCESS) {
		__atomic_sub_fetch(&c->outstanding, 1, __ATOMIC_SEQ_CST);
		if (g->o.confirm)
			__atomic_sub_fetch(&c->awaiting, 1, __ATOMIC_SEQ_CST);
		fprintf(stderr, "loadgen: %s: cannot publish ballot %" PRIu64 " (Paho code %d)\n", c->id, seq, n);
		goto out;
	}
	c->sent++;
	rc = 0;
	goto out;
oom:
	fprintf(stderr, "loadgen: out of memory\n");
out:
	MQTTProperties_free(&msg.properties);
	return rc;
}

/* wait_until: sleeps until the monotonic time t (us), or until woken for
 * room (when for_room). Returns 0, or -1 on a clock error. */
static int wait_until(struct gen *g, int64_t t, bool for_room)
{
	struct timespec ts = { (time_t)(t / 1000000), (long)(t % 1000000) * 1000 };
	int rc = 0;

	if (!for_room) {
		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		return rc == 0 || rc == EINTR ? 0 : -1;
	}
	pthread_mutex_lock(&g->lock);
	__atomic_store_n(&g->waiting, 1, __ATOMIC_SEQ_CST);
	rc = pthread_cond_timedwait(&g->cond, &g->lock, &ts);
	__atomic_store_n(&g->waiting, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&g->lock);
	return rc == 0 || rc == ETIMEDOUT || rc == EINTR ? 0 : -1;
}

/* any_room: true when some connection may publish now (so the loop must not sleep). */
static bool any_room(struct gen *g)
{
	int rr = 0;

	return pick(g, &rr) != NULL;
}

/* publish_all: the publishing loop: every ballot, paced at --rate, within
 * each connection's windows. Returns 0, or -1 (reported). */
static int publish_all(struct gen *g, int64_t t0, int64_t deadline)
{
	uint64_t total = 0;
	int rr = 0;

	while (total < g->o.ballots) {
		int64_t now = mono_us();
		struct conn *c;

		if (now > deadline) {
			fprintf(stderr, "loadgen: timed out publishing (%" PRIu64 " of %" PRIu64 " sent)\n", total,
				g->o.ballots);
			return -1;
		}
		if (__atomic_load_n(&g->lost, __ATOMIC_RELAXED)) {
			fprintf(stderr, "loadgen: a connection was lost: stopping\n");
			return -1;
		}
		if (g->o.rate > 0) {
			int64_t due = t0 + (int64_t)((double)total * 1e6 / g->o.rate);

			if (now < due) {
				if (wait_until(g, due, false) != 0)
					return -1;
				continue;
			}
		}
		c = pick(g, &rr);
		if (!c) {
			/* announce the wait before checking again, so that a callback
			 * freeing room after the check always signals */
			pthread_mutex_lock(&g->lock);
			__atomic_store_n(&g->waiting, 1, __ATOMIC_SEQ_CST);
			if (!any_room(g)) {
				int64_t until = mono_us() + 2000;
				struct timespec ts = { (time_t)(until / 1000000), (long)(until % 1000000) * 1000 };
				int rc = pthread_cond_timedwait(&g->cond, &g->lock, &ts);

				if (rc != 0 && rc != ETIMEDOUT && rc != EINTR) {
					__atomic_store_n(&g->waiting, 0, __ATOMIC_SEQ_CST);
					pthread_mutex_unlock(&g->lock);
					return -1;
				}
			}
			__atomic_store_n(&g->waiting, 0, __ATOMIC_SEQ_CST);
			pthread_mutex_unlock(&g->lock);
			continue;
		}
		if (publish_one(g, c) != 0)
			return -1;
		total++;
	}
	return 0;
}

/* settled: true when every ballot was answered by the broker and, with
 * --confirm, receipted. */
static bool settled(struct gen *g)
{
	uint64_t answered = __atomic_load_n(&g->acked, __ATOMIC_RELAXED) + __atomic_load_n(&g->failed, __ATOMIC_RELAXED);

	if (answered < g->o.ballots)
		return false;
	return !g->o.confirm || __atomic_load_n(&g->receipts, __ATOMIC_RELAXED) >= g->o.ballots;
}

/* wait_settled: waits until settled or deadline, or a connection is lost. */
static void wait_settled(struct gen *g, int64_t deadline)
{
	while (!settled(g) && mono_us() < deadline && !__atomic_load_n(&g->lost, __ATOMIC_RELAXED))
		if (wait_until(g, mono_us() + 2000, true) != 0)
			return;
}

/* cmp_i64: qsort order of int64_t. */
static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* percentile: the nearest-rank p-th percentile of sorted v[0..n). */
static int64_t percentile(const int64_t *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return -1;
	rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/* ld: an atomic read of a counter the callbacks may still update. */
static uint64_t ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* print_latency: the receipts and their latency percentiles as a JSON
 * member on stdout. Returns 0, or -1 when memory runs out. */
static int print_latency(struct gen *g, int64_t t0_mono, int64_t t0_wall)
{
	int64_t *lat = malloc(g->o.ballots * sizeof(*lat)), sum = 0, last;
	size_t n = 0;
	double secs;
	uint64_t s;
	int k;

	if (!lat) {
		fprintf(stderr, "loadgen: out of memory\n");
		return -1;
	}
	for (k = 0; k < g->o.connections; k++)
		for (s = 0; s < g->conns[k].quota; s++) {
			int64_t v = __atomic_load_n(&g->conns[k].latency_us[s], __ATOMIC_ACQUIRE);

			if (v >= 0) {
				lat[n++] = v;
				sum += v;
			}
		}
	qsort(lat, n, sizeof(*lat), cmp_i64);
	last = __atomic_load_n(&g->last_receipt_us, __ATOMIC_ACQUIRE);
	secs = last > t0_mono ? (double)(last - t0_mono) / 1e6 : 0;
	printf(",\"receipts\":{\"received\":%zu,\"counted\":%" PRIu64 ",\"duplicate\":%" PRIu64
	       ",\"rejected\":%" PRIu64 ",\"unmatched\":%" PRIu64 ",\"repeated\":%" PRIu64
	       ",\"t_last\":%.6f,\"seconds\":%.6f,\"rate\":%.1f,",
	       n, ld(&g->counted), ld(&g->duplicate), ld(&g->rejected), ld(&g->unmatched), ld(&g->repeated),
	       (double)(t0_wall + (last - t0_mono)) / 1e6, secs, secs > 0 ? (double)n / secs : 0.0);
	printf("\"p50_us\":%" PRId64 ",\"p90_us\":%" PRId64 ",\"p99_us\":%" PRId64 ",\"max_us\":%" PRId64
	       ",\"mean_us\":%.1f}",
	       percentile(lat, n, 50), percentile(lat, n, 90), percentile(lat, n, 99), n ? lat[n - 1] : -1,
	       n ? (double)sum / (double)n : -1.0);
	free(lat);
	return 0;
}

/* print_results: the run as one JSON object on stdout (times in seconds,
 * t_* since the epoch). Returns 0, or -1. */
static int print_results(struct gen *g, int64_t t0_mono, int64_t t0_wall, int64_t connect_us, bool ok)
{
	int64_t last = __atomic_load_n(&g->last_ack_us, __ATOMIC_ACQUIRE);
	uint64_t acked = ld(&g->acked);
	double secs = last > t0_mono ? (double)(last - t0_mono) / 1e6 : 0;

	printf("{\"tool\":\"loadgen\",\"connections\":%d,\"ballots\":%" PRIu64 ",\"voters\":%" PRIu64
	       ",\"polls\":%" PRIu64 ",\"rate\":%.1f,\"window\":%d,\"confirm\":%s,\"receipt_window\":%d,",
	       g->o.connections, g->o.ballots, g->o.voters, g->o.polls, g->o.rate, g->o.window,
	       g->o.confirm ? "true" : "false", g->o.receipt_window);
	printf("\"window_used\":%d,\"tcp_nodelay\":%s,", g->conns[0].window, g->o.nodelay ? "true" : "false");
	printf("\"connect_seconds\":%.6f,\"acked\":%" PRIu64 ",\"failed\":%" PRIu64
	       ",\"lost\":%d,\"t_first_publish\":%.6f,\"t_last_ack\":%.6f,\"publish_seconds\":%.6f,"
	       "\"publish_rate\":%.1f",
	       (double)connect_us / 1e6, acked, ld(&g->failed),
	       __atomic_load_n(&g->lost, __ATOMIC_ACQUIRE), (double)t0_wall / 1e6,
	       (double)(t0_wall + (last - t0_mono)) / 1e6, secs, secs > 0 ? (double)acked / secs : 0.0);
	if (g->o.confirm && print_latency(g, t0_mono, t0_wall) != 0)
		return -1;
	printf(",\"ok\":%s}\n", ok ? "true" : "false");
	return fflush(stdout) == 0 ? 0 : -1;
}

/* on_disconnected: the DISCONNECT went out (or could not). */
static void on_disconnected(void *context, MQTTAsync_successData5 *response)
{
	struct conn *c = context;

	(void)response;
	__atomic_store_n(&c->disconnected, 1, __ATOMIC_RELEASE);
}

/* on_disconnect_failed: the same, when Paho reports a failure. */
static void on_disconnect_failed(void *context, MQTTAsync_failureData5 *response)
{
	(void)response;
	on_disconnected(context, NULL);
}

/* stop_all: disconnects every connected client (all at once, 1 s at
 * most), then destroys every client. */
static void stop_all(struct gen *g)
{
	const struct timespec tick = { 0, 1000000 };
	int64_t deadline = mono_us() + 1500000;
	int k, pending = 0;

	for (k = 0; k < g->o.connections; k++) {
		struct conn *c = &g->conns[k];
		MQTTAsync_disconnectOptions disc = MQTTAsync_disconnectOptions_initializer5;

		__atomic_store_n(&c->disconnected, 1, __ATOMIC_RELEASE);
		if (!c->client || !MQTTAsync_isConnected(c->client))
			continue;
		disc.timeout = 1000;
		disc.context = c;
		disc.onSuccess5 = on_disconnected;
		disc.onFailure5 = on_disconnect_failed;
		__atomic_store_n(&c->disconnected, 0, __ATOMIC_RELEASE);
		if (MQTTAsync_disconnect(c->client, &disc) != MQTTASYNC_SUCCESS)
			__atomic_store_n(&c->disconnected, 1, __ATOMIC_RELEASE);
		else
			pending++;
	}
	while (pending && mono_us() < deadline) {
		pending = 0;
		for (k = 0; k < g->o.connections; k++)
			pending += !__atomic_load_n(&g->conns[k].disconnected, __ATOMIC_ACQUIRE);
		if (pending && nanosleep(&tick, NULL) != 0 && errno != EINTR)
			break;
	}
	for (k = 0; k < g->o.connections; k++)
		if (g->conns[k].client)
			MQTTAsync_destroy(&g->conns[k].client);
}

static volatile sig_atomic_t stop_signal;

/* on_stop: SIGTERM or SIGINT: the responder stops. */
static void on_stop(int sig)
{
	(void)sig;
	stop_signal = 1;
}

/* run_responder: --respond: answers ballots until --expect of them came
 * (and their receipts are acknowledged), a signal, or the deadline; then
 * prints its JSON. Returns the exit status. */
static int run_responder(struct gen *g, int64_t deadline)
{
	const struct timespec tick = { 0, 2000000 };
	int64_t t0 = mono_us(), t0_wall = wall_us(), last;
	struct sigaction sa;
	bool ok;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0) {
		fprintf(stderr, "loadgen: cannot install signal handlers\n");
		return 1;
	}
	fprintf(stderr, "loadgen: responding to ballots on %s\n", g->conns[0].filter);
	while (!stop_signal && mono_us() < deadline && !__atomic_load_n(&g->lost, __ATOMIC_RELAXED)) {
		uint64_t got = ld(&g->received);

		if (g->o.expect && got >= g->o.expect &&
		    ld(&g->answered) + ld(&g->dropped) + ld(&g->unasked) >= ld(&g->received))
			break;
		if (nanosleep(&tick, NULL) != 0 && errno != EINTR)
			break;
	}
	last = __atomic_load_n(&g->last_message_us, __ATOMIC_ACQUIRE);
	ok = (!g->o.expect || ld(&g->received) >= g->o.expect) && !__atomic_load_n(&g->commit_failed, __ATOMIC_RELAXED);
	printf("{\"tool\":\"loadgen\",\"mode\":\"respond\",\"received\":%" PRIu64 ",\"answered\":%" PRIu64
	       ",\"dropped\":%" PRIu64 ",\"t_last_message\":%.6f,\"ok\":%s}\n",
	       ld(&g->received), ld(&g->answered), ld(&g->dropped),
	       last ? (double)(t0_wall + (last - t0)) / 1e6 : 0.0, ok ? "true" : "false");
	if (fflush(stdout) != 0)
		return 1;
	return ok ? 0 : 1;
}

/* setup: allocates the connections and shares out ballots and voters.
 * Returns 0, or -1 (reported). */
static int setup(struct gen *g)
{
	uint32_t k, n = (uint32_t)g->o.connections;
	unsigned char rnd[4];
	FILE *f;

	f = fopen("/dev/urandom", "rb");
	if (!f || fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd)) {
		fprintf(stderr, "loadgen: cannot read /dev/urandom\n");
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(g->nonce, sizeof(g->nonce), "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	g->conns = calloc(n, sizeof(*g->conns));
	if (!g->conns)
		goto oom;
	for (k = 0; k < n; k++) {
		struct conn *c = &g->conns[k];

		c->g = g;
		c->index = k;
		c->quota = g->o.ballots / n + (k < g->o.ballots % n);
		c->window = g->o.window;
		c->voters = g->o.voters / n + (k < g->o.voters % n);
		if (g->o.session)
			snprintf(c->id, sizeof(c->id), "%s", g->o.session);
		else
			snprintf(c->id, sizeof(c->id), "%s-%" PRIu32, g->o.id_prefix, k);
		if (g->o.respond)
			snprintf(c->filter, sizeof(c->filter), TOPIC_PREFIX "+");
		else
			snprintf(c->filter, sizeof(c->filter), TOPIC_PREFIX "+/receipt/%s", c->id);
		if (g->o.sign && sign_all(g, c, wall_us() / 1000) != 0)
			return -1;
		if (g->o.confirm) {
			uint64_t s;

			c->sent_us = calloc(c->quota, sizeof(*c->sent_us));
			c->latency_us = malloc(c->quota * sizeof(*c->latency_us));
			if (!c->sent_us || !c->latency_us)
				goto oom;
			for (s = 0; s < c->quota; s++)
				c->latency_us[s] = -1;
		}
	}
	return 0;
oom:
	fprintf(stderr, "loadgen: out of memory\n");
	return -1;
}

/* teardown: frees what setup allocated. */
static void teardown(struct gen *g)
{
	int k;

	if (g->conns)
		for (k = 0; k < g->o.connections; k++) {
			for (uint64_t s = 0; g->conns[k].signed_json && s < g->conns[k].quota; s++)
				free(g->conns[k].signed_json[s]);
			free(g->conns[k].signed_json);
			free(g->conns[k].sent_us);
			free(g->conns[k].latency_us);
		}
	free(g->conns);
	free(g->o.choice_buf);
}

/* main: parses the options, connects every client, then publishes (or,
 * with --respond, answers) and prints the JSON; one cleanup path. */
int main(int argc, char **argv)
{
	static struct gen g;
	pthread_condattr_t attr;
	int64_t start, deadline, t0 = 0, t0_wall = 0;
	bool sync_made = false, ok;
	int rc = 1, k;

	switch (parse_options(argc, argv, &g.o)) {
	case 1:
		rc = 0;
		goto out;
	case 2:
		rc = 2;
		goto out;
	default:
		break;
	}
	if (g.o.make_roll) {
		rc = loadsign_roll(g.o.make_roll, g.o.voter_prefix, g.o.voters) == 0 ? 0 : 1;
		goto out;
	}
	if (getenv("MQTT_C_CLIENT_TRACE"))
		fprintf(stderr, "loadgen: ignoring MQTT_C_CLIENT_TRACE (Paho tracing would slow the run)\n");
	if (unsetenv("MQTT_C_CLIENT_TRACE") != 0 || unsetenv("MQTT_C_CLIENT_TRACE_LEVEL") != 0) {
		fprintf(stderr, "loadgen: cannot clear the environment\n");
		goto out;
	}
	MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR); /* no in-memory trace ring either */
	if (pthread_condattr_init(&attr) != 0)
		goto out;
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 || pthread_cond_init(&g.cond, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		fprintf(stderr, "loadgen: cannot create a condition variable\n");
		goto out;
	}
	pthread_condattr_destroy(&attr);
	if (pthread_mutex_init(&g.lock, NULL) != 0) {
		pthread_cond_destroy(&g.cond);
		fprintf(stderr, "loadgen: cannot create a mutex\n");
		goto out;
	}
	sync_made = true;
	if (setup(&g) != 0)
		goto out;
	if (g.o.commit && !(g.commit = loadcommit_open(g.o.commit)))
		goto out;
	start = mono_us();
	deadline = start + (int64_t)(g.o.timeout * 1e6);
	for (k = 0; k < g.o.connections; k++)
		if (conn_start(&g, &g.conns[k]) != 0)
			goto out;
	if (wait_ready(&g, deadline) != 0)
		goto out;
	if (g.o.nodelay && nodelay_all() < g.o.connections) {
		fprintf(stderr, "loadgen: TCP_NODELAY not set on every connection\n");
		goto out;
	}
	if (g.o.respond) {
		rc = run_responder(&g, deadline);
		goto out;
	}
	t0 = mono_us();
	t0_wall = wall_us();
	if (publish_all(&g, t0, deadline) != 0)
		goto out;
	wait_settled(&g, deadline);
	if (!settled(&g))
		fprintf(stderr, "loadgen: %s: %" PRIu64 " of %" PRIu64 " acknowledged, %" PRIu64 " receipts\n",
			__atomic_load_n(&g.lost, __ATOMIC_RELAXED) ? "connection lost" : "timed out", ld(&g.acked),
			g.o.ballots, ld(&g.receipts));
	ok = settled(&g) && ld(&g.failed) == 0;
	if (print_results(&g, t0, t0_wall, t0 - start, ok) != 0)
		goto out;
	rc = ok ? 0 : 1;
out:
	if (g.conns)
		stop_all(&g);
	teardown(&g);
	if (loadcommit_close(g.commit) < 0) /* after Paho's threads are gone */
		rc = 1;
	if (sync_made) {
		pthread_cond_destroy(&g.cond);
		pthread_mutex_destroy(&g.lock);
	}
	return rc;
}
