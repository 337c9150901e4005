/* options.h -- the command-line options voter, tallier and pollctl share, mosquitto_pub/sub style */
#ifndef MQTTVOTE_OPTIONS_H
#define MQTTVOTE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsopts.h"

#define OPTS_MAX_TOPICS 64

enum opts_prog { OPTS_VOTER, OPTS_TALLIER, OPTS_POLLCTL };

/* pollctl's commands (its first argument). */
enum opts_cmd { OPTS_CMD_OPEN, OPTS_CMD_CLOSE, OPTS_CMD_LIST, OPTS_CMD_SHOW };

/* The default ports: the shipped mosquitto.conf's public listener (every
 * interface, voters' rights) and its loopback-only listener, where the
 * tallier has the rights it needs. */
#define OPTS_VOTER_PORT 1883
#define OPTS_TALLIER_PORT 1884

/* What opts_parse found. */
enum opts_result {
	OPTS_RUN = 0,     /* options valid: run */
	OPTS_HELP = 1,    /* --help given: print usage to stdout, exit 0 */
	OPTS_VERSION = 2, /* --version given: print the version, exit 0 */
	OPTS_ERROR = -1,  /* usage error: err says which; exit 2 */
};

/* The options of the programs; each program accepts only its own (see
 * the usage texts). Strings point into argv unless said otherwise. */
struct client_opts {
	enum opts_prog prog;
	const char *host;        /* -h, --host: default "localhost" */
	int port;                /* -p, --port: default OPTS_VOTER_PORT, or OPTS_TALLIER_PORT (tallier,
				  * pollctl); with TLS and no -p, TLSOPTS_PORT (8883) */
	bool port_given;         /* -p was given */
	const char *client_id;   /* -i, --id: default NULL (voter: a unique one, or its -u user
				  * name; tallier: the one kept in its database) */
	const char *username;    /* -u, --username */
	const char *password;    /* -P, --pw */
	int mqtt_version;        /* -V: 5 (default) or 4 (3.1.1) */
	bool debug;              /* -d, --debug (voter, pollctl) */
	bool quiet;              /* --quiet */
	bool verbose;            /* -v, --verbose (tallier) */
	const char *topics[OPTS_MAX_TOPICS]; /* -t: voter exactly one, tallier 0..n (default vote/+) */
	size_t ntopics;
	/* voter */
	const char *message;     /* -m, --message: the choice, in NFC (into message_nfc once checked) */
	const char *voter;       /* --voter: NULL means <login>@<hostname>; in NFC (voter_nfc) */
	char poll[65];           /* the poll of topics[0], checked */
	int qos;                 /* -q, --qos: default 1 */
	double timeout;          /* --timeout: seconds, default 10, from 0.001 to 86400 (voter, pollctl) */
	bool confirm;            /* --confirm: wait for the tallier's receipt */
	/* tallier */
	char **choices;          /* --choices a,b,c: owned, NULL when absent (tallier, pollctl) */
	size_t nchoices;
	bool revote;             /* --revote yes|no: default yes (tallier, pollctl) */
	const char *db;          /* --db PATH: default "tally.db" */
	bool sync_full;          /* --sync normal|full: default normal */
	const char *export_poll; /* --export POLL: print the poll's ballots and exit */
	bool json;               /* --format csv|json (with --export): default csv */
	bool recount;            /* --recount: audit the store and exit */
	bool format_given;       /* --format was given */
	const char *listen;      /* --listen [ADDR:]PORT: serve ballots over TCP; NULL: no */
	bool no_mqtt;            /* --no-mqtt: no broker at all (needs --listen) */
	double idle_timeout;     /* --idle-timeout SECONDS: default 30 */
	int max_clients;         /* --max-clients N: default 1000 */
	int max_per_address;     /* --max-per-address N: TCP connections from one address, default 64 */
	double line_timeout;     /* --line-timeout SECONDS: a TCP line must arrive whole within, default 10 */
	int max_polls;           /* --max-polls N: polls the tallier keeps, default 1000 */
	int max_choices;         /* --max-choices N: choices per poll, default 64 */
	double max_skew;         /* --max-skew SECONDS: how far ahead of our clock a ballot's ts may be, default 5 */
	bool tcp;                /* voter --tcp: send the ballot straight to a tallier */
	bool info;               /* voter --info: print the poll's information, send no ballot */
	bool defined_only;       /* tallier --defined-only: ballots only for polls an organiser defined */
	/* pollctl: its command and poll (arguments), and open's options; the
	 * poll's name goes to poll above, --choices and --revote are shared */
	enum opts_cmd command;
	const char *question;    /* --question TEXT: 1 to 500 bytes of UTF-8 text, in NFC (question_nfc) */
	bool has_opens;          /* --opens TIME given */
	int64_t opens_ms;        /* --opens: ms since the epoch */
	bool has_closes;         /* --closes TIME given (0 is a time: 1970-01-01T00:00:00Z) */
	int64_t closes_ms;       /* --closes: ms since the epoch, 0 when not given: by hand only */
	bool after_close;        /* --results live|after-close: default live */
	bool open_opts_given;    /* one of open's options was given */
	/* signed ballots (docs/security.md, "Signed ballots") */
	const char *keygen;      /* voter --keygen FILE: write a new key, print the public line, exit */
	const char *sign_key;    /* voter --sign-key FILE: sign the ballot with this private key */
	const char *roll;        /* tallier --roll FILE: count only ballots signed by a voter on it */
	/* the NFC forms (textrule.h) that message, voter and question point to */
	char message_nfc[65];    /* BALLOT_TEXT_MAX + 1 */
	char voter_nfc[65];
	char question_nfc[501];  /* POLLDEF_QUESTION_MAX + 1 */
	/* TLS (both): --cafile, --capath, --cert, --key, --insecure, --tls-version */
	struct tlsopts tls;
};

/* opts_parse: parses argv[1..argc) for prog into *o (all fields set, so o
 * needs no initialisation). Values are checked: port 1-65535, qos 0-2,
 * -V mqttv5|5|mqttv311|311, timeout a positive number of seconds (digits
 * and '.', at most 86400), voter topic
 * vote/<valid poll>, choice and voter name valid ballot text, tallier
 * topics valid filters, choices valid and distinct, --export a valid poll
 * name, --format only with --export, --export and --recount not together,
 * --no-mqtt only with --listen, max clients and max per address 1 to
 * 100000, max polls 1 to 1000000, max choices 1 to 10000, line timeout and
 * max skew positive seconds; voter --info without -m, --confirm, --tcp;
 * pollctl: a command (open POLL, close POLL, show POLL, list), open with
 * --question and --choices (at most POLLDEF_CHOICES_MAX), --opens and
 * --closes times (when_parse, from the time of the call), --closes after
 * --opens (or now), open's options only with open;
 * --keygen needs no -t or -m and does not go
 * with --sign-key; --roll goes neither with --export nor with --recount;
 * TLS (tlsopts.h): --cert and --key together,
 * --cert, --insecure and --tls-version only with --cafile or --capath (TLS
 * is on with a CA), no TLS with --tcp or --no-mqtt, and with TLS the port
 * is 8883 unless -p was given.
 * Returns an opts_result;
 * on OPTS_ERROR err holds the message without the program name ("missing
 * -t/--topic"). Always call opts_free afterwards. */
enum opts_result opts_parse(struct client_opts *o, enum opts_prog prog, int argc, char **argv,
			    char *err, size_t errlen);

/* opts_free: frees what opts_parse allocated in o (not o itself). */
void opts_free(struct client_opts *o);

#endif
