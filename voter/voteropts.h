/* voteropts.h -- the voter's command-line options */
#ifndef MQTTVOTE_VOTEROPTS_H
#define MQTTVOTE_VOTEROPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"
#include "pollkind.h"

/* The voter's options. Strings point into argv unless said otherwise. */
struct voter_opts {
	struct conn_opts conn;   /* port default OPTS_VOTER_PORT; client id default a unique one, or -u's */
	const char *topic;       /* -t, --topic: vote/<poll>, exactly one (none with --keygen) */
	char poll[65];           /* the poll of topic, checked */
	const char *message;     /* -m, --message: the choice, in NFC (message_nfc once checked) */
	/* the answer of another kind than single: --pick (multiple) or --rank
	 * (ranked, most preferred first), each repeatable, in NFC, in the
	 * order given; or --value (scale). kind says which (POLLDEF_SINGLE:
	 * -m, or none given) */
	enum polldef_kind kind;
	size_t nnames;
	char names[POLLDEF_CHOICES_MAX][65]; /* BALLOT_TEXT_MAX + 1 */
	bool picked, ranked, value_given;   /* --pick, --rank, --value seen */
	long long value;         /* --value: -POLLDEF_SCALE_ABS_MAX to POLLDEF_SCALE_ABS_MAX */
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
 * one answer: -m, --pick (repeatable, at most POLLDEF_CHOICES_MAX, each
 * valid ballot text), --rank (likewise) or --value (an integer in
 * range), never two of them (VOTEROPTS_RULE_ONE_ANSWER);
 * --info without any answer, --confirm, --tcp; --keygen needs no -t or -m and
 * does not go with --sign-key; no TLS with --tcp. Returns an
 * opts_result; on OPTS_ERROR err holds the message without the program
 * name ("missing option -t/--topic"). Nothing to free. */
/* The usage error of two kinds of answer: the first two of -m/--message,
 * --pick, --rank and --value given, in that order. */
#define VOTEROPTS_RULE_ONE_ANSWER "%s and %s do not go together: a ballot carries one answer"

enum opts_result voter_opts_parse(struct voter_opts *o, int argc, char **argv, char *err, size_t errlen);

#endif
