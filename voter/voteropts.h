/* voteropts.h -- the voter's command-line options */
#ifndef MQTTVOTE_VOTEROPTS_H
#define MQTTVOTE_VOTEROPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/* The voter's options. Strings point into argv unless said otherwise. */
struct voter_opts {
	struct conn_opts conn;   /* port default OPTS_VOTER_PORT; client id default a unique one, or -u's */
	const char *topic;       /* -t, --topic: vote/<poll>, exactly one (none with --keygen) */
	char poll[65];           /* the poll of topic, checked */
	const char *message;     /* -m, --message: the choice, in NFC (message_nfc once checked) */
	const char *voter;       /* --voter: NULL means <login>@<hostname>; in NFC (voter_nfc) */
	int qos;                 /* -q, --qos: default 1 */
	double timeout;          /* --timeout: seconds, default 10, from 0.001 to 86400 */
	bool confirm;            /* --confirm: wait for the tallier's receipt */
	bool tcp;                /* --tcp: send the ballot straight to a tallier */
	bool info;               /* --info: print the poll's information, send no ballot */
	const char *keygen;      /* --keygen FILE: write a new key, print the public line, exit */
	const char *sign_key;    /* --sign-key FILE: sign the ballot with this private key */
	bool debug;              /* -d, --debug */
	bool quiet;              /* --quiet */
	char message_nfc[65];    /* BALLOT_TEXT_MAX + 1 */
	char voter_nfc[65];
};

/* voter_opts_parse: parses argv[1..argc) into *o (all fields set, so o
 * needs no initialisation): the connection (options.h), -t vote/<valid
 * poll> (one), -m and --voter valid ballot text, -q 0-2, --timeout;
 * --info without -m, --confirm, --tcp; --keygen needs no -t or -m and
 * does not go with --sign-key; no TLS with --tcp. Returns an
 * opts_result; on OPTS_ERROR err holds the message without the program
 * name ("missing option -t/--topic"). Nothing to free. */
enum opts_result voter_opts_parse(struct voter_opts *o, int argc, char **argv, char *err, size_t errlen);

#endif
