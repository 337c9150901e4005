/* tallieropts.h -- the tallier's command-line options */
#ifndef MQTTVOTE_TALLIEROPTS_H
#define MQTTVOTE_TALLIEROPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

#define OPTS_MAX_TOPICS 64

/* The tallier's options. Strings point into argv unless said otherwise. */
struct tallier_opts {
	struct conn_opts conn;   /* port default OPTS_TALLIER_PORT; client id default the one kept in
				  * its database */
	const char *topics[OPTS_MAX_TOPICS]; /* -t: 0..n filters (default vote/+) */
	size_t ntopics;
	bool quiet;              /* --quiet */
	bool verbose;            /* -v, --verbose */
	char **choices;          /* --choices a,b,c: owned, NULL when absent */
	size_t nchoices;
	bool revote;             /* --revote yes|no: default yes */
	const char *db;          /* --db PATH: default "tally.db" */
	bool sync_full;          /* --sync normal|full: default normal */
	const char *export_poll; /* --export POLL: print the poll's ballots and exit */
	bool json;               /* --format csv|json (with --export): default csv */
	bool format_given;       /* --format was given */
	bool recount;            /* --recount: audit the store and exit */
	const char *listen;      /* --listen [ADDR:]PORT: serve ballots over TCP; NULL: no */
	bool no_mqtt;            /* --no-mqtt: no broker at all (needs --listen) */
	double idle_timeout;     /* --idle-timeout SECONDS: default 30 */
	double line_timeout;     /* --line-timeout SECONDS: a TCP line must arrive whole within, default 10 */
	int max_clients;         /* --max-clients N: default 1000 */
	int max_per_address;     /* --max-per-address N: TCP connections from one address, default 64 */
	int max_polls;           /* --max-polls N: polls the tallier keeps, default 1000 */
	int max_choices;         /* --max-choices N: choices per poll, default 64 */
	double max_skew;         /* --max-skew SECONDS: how far ahead of our clock a ballot's ts may be, default 5 */
	bool defined_only;       /* --defined-only: ballots only for polls an organiser defined */
	const char *roll;        /* --roll FILE: count only ballots signed by a voter on it */
};

/* tallier_opts_parse: parses argv[1..argc) into *o (all fields set): the
 * connection (options.h), -t valid filters (at most OPTS_MAX_TOPICS),
 * --choices valid and distinct, --export a valid poll name, --format
 * only with --export, --export and --recount not together, --no-mqtt
 * only with --listen (and no TLS), max clients and max per address 1 to
 * 100000, max polls 1 to 1000000, max choices 1 to 10000, the timeouts
 * and max skew positive seconds, --roll with neither --export nor
 * --recount. Returns an opts_result; on OPTS_ERROR err holds the message.
 * Always call tallier_opts_free afterwards. */
enum opts_result tallier_opts_parse(struct tallier_opts *o, int argc, char **argv, char *err, size_t errlen);

/* tallier_opts_free: frees what tallier_opts_parse allocated in o. */
void tallier_opts_free(struct tallier_opts *o);

#endif
