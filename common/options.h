/* options.h -- the options the programs share: the connection to the broker (struct conn_opts and its rows), --choices */
#ifndef MQTTVOTE_OPTIONS_H
#define MQTTVOTE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "optparse.h"
#include "tlsopts.h"

/* The default ports: the shipped mosquitto.conf's public listener (every
 * interface, voters' rights) and its loopback-only listener, where the
 * tallier has the rights it needs. */
#define OPTS_VOTER_PORT 1883
#define OPTS_TALLIER_PORT 1884

/* The connection to the broker, in every program: what the MQTT layer
 * connects with, as parsed. Strings point into argv, or into own_id. */
struct conn_opts {
	const char *host;      /* -h, --host: default "localhost" */
	int port;              /* -p, --port: the program's default; with TLS and no -p, TLSOPTS_PORT */
	bool port_given;       /* -p was given */
	const char *client_id; /* -i, --id: default NULL (the program makes one: conn_opts_own_id) */
	const char *username;  /* -u, --username */
	const char *password;  /* -P, --pw */
	int mqtt_version;      /* -V: 5 (default) or 4 (3.1.1) */
	struct tlsopts tls;    /* --cafile, --capath, --cert, --key, --insecure, --tls-version */
	char own_id[32];       /* the client id conn_opts_own_id made; "" when none */
};

/* A program's command line beside the connection's options. */
struct opts_cmdline {
	const struct optdef *defs; /* its own rows, whose offsets are in the program's structure */
	size_t n;
	int port;                  /* the connection's default port */
	/* check: the checks that need every option, run on the program's
	 * structure once parsed; NULL: the caller runs them. Returns 0, or
	 * -1 with err set. */
	int (*check)(void *o, char *err, size_t errlen);
};

/* opts_parse: a program's command line: *conn set to the connection's
 * defaults (host localhost, port cl->port, MQTT 5), then argv[1..argc) parsed
 * (optparse, first_arg as there) against the connection's rows, into *conn
 * (-h -p -i -u -P -V and TLS; values checked: host not empty, port
 * 1-65535, client id 1 to 65535 bytes, -V mqttv5|5|mqttv311|311, TLS paths
 * not empty, --tls-version tlsv1.2|tlsv1.3), and cl->defs, into o (its
 * own defaults set by the caller beforehand; conn is usually a part of it);
 * then, when that says run, cl->check(o). Returns an opts_result, with
 * err set on OPTS_ERROR. */
enum opts_result opts_parse(const struct opts_cmdline *cl, struct conn_opts *conn, void *o, int argc, char **argv,
			    int *first_arg, char *err, size_t errlen);

/* conn_opts_check: the connection options together, once all are parsed
 * (tlsopts.h): --cert and --key together; --cert, --insecure and
 * --tls-version only with --cafile or --capath; no TLS when no_broker
 * names the option that does without the broker ("--tcp"; NULL: none);
 * with TLS and no -p, port TLSOPTS_PORT; -P only with -u. Returns 0, or
 * -1 with err set. */
int conn_opts_check(struct conn_opts *c, const char *no_broker, char *err, size_t errlen);

/* conn_opts_own_id: the client id of a program of one request (voter,
 * pollctl) when no -i was given, into c->client_id: -u's user name (an
 * account's client id is its user name, as mosquitto-secure.conf makes it:
 * use_username_as_clientid), else "<prefix>-<16 random hex>" in c->own_id
 * (unique per run, unguessable: 64 random bits; prefix at most 14 bytes).
 * Leaves a given -i as it is.
 * Returns 0, or -1 with err set (no randomness). */
int conn_opts_own_id(struct conn_opts *c, const char *prefix, char *err, size_t errlen);

/* opts_choices_parse: --choices "a,b,c" into a malloc'd array of
 * malloc'd NFC strings (*choices, *n), replacing (and freeing) earlier
 * ones: each valid ballot text, no two the same or confusable. Returns 0,
 * or -1 with err set and *choices NULL. */
int opts_choices_parse(char ***choices, size_t *n, const char *s, char *err, size_t errlen);

/* opts_choices_free: frees *choices and sets it NULL, *n 0. */
void opts_choices_free(char ***choices, size_t *n);

#endif
