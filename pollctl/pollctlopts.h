/* pollctlopts.h -- pollctl's command line: its options, its command and poll */
#ifndef MQTTVOTE_POLLCTLOPTS_H
#define MQTTVOTE_POLLCTLOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "pollkind.h"

/* pollctl's commands (its first argument). */
enum opts_cmd { OPTS_CMD_OPEN, OPTS_CMD_CLOSE, OPTS_CMD_LIST, OPTS_CMD_SHOW };

/* pollctl's command line. Strings point into argv unless said otherwise. */
struct pollctl_opts {
	struct conn_opts conn;   /* port default OPTS_TALLIER_PORT; client id default pollctl-<random> */
	enum opts_cmd command;
	char poll[65];           /* the command's poll (not list), checked */
	double timeout;          /* --timeout: seconds, default 10, from 0.001 to 86400 */
	bool debug;              /* -d, --debug */
	bool quiet;              /* --quiet */
	/* open's options */
	const char *question;    /* --question TEXT: 1 to 500 bytes of UTF-8 text, in NFC (question_nfc) */
	char **choices;          /* --choices a,b,c: owned, NULL when absent */
	size_t nchoices;
	bool has_opens;          /* --opens TIME given */
	int64_t opens_ms;        /* --opens: ms since the epoch */
	bool has_closes;         /* --closes TIME given (0 is a time: 1970-01-01T00:00:00Z) */
	int64_t closes_ms;       /* --closes: ms since the epoch, 0 when not given: by hand only */
	bool after_close;        /* --results live|after-close: default live */
	bool results_given;
	bool revote;             /* --revote yes|no: default yes */
	bool revote_given;
	const char *roll;        /* --roll FILE */
	/* open's question kind (pollkind.h) and its parameters */
	enum polldef_kind kind;  /* --kind single|multiple|ranked|scale: default single */
	bool kind_given;
	int min_picks;           /* --min-picks N (multiple): 0 to POLLDEF_CHOICES_MAX, default 1 */
	bool min_picks_given;
	int max_picks;           /* --max-picks N (multiple): 1 to POLLDEF_CHOICES_MAX, default the
				  * number of choices (0 here) */
	bool max_picks_given;
	bool full;               /* --full (ranked): every choice ranked */
	long long low, high;     /* --low N, --high N (scale): -1000000 to 1000000 */
	bool low_given, high_given;
	const char *low_label;   /* --low-label TEXT, --high-label TEXT (scale): the text rules of a
				  * choice, in NFC (low_label_nfc, high_label_nfc); NULL when absent */
	const char *high_label;
	int64_t now_ms;          /* the time of the parse, which --opens and --closes count from */
	char question_nfc[501];  /* POLLDEF_QUESTION_MAX + 1 */
	char low_label_nfc[65];  /* BALLOT_TEXT_MAX + 1 */
	char high_label_nfc[65];
};

/* pollctl_opts_parse: parses argv[1..argc) into *o (all fields set): the
 * connection (options.h), --timeout; a command (open POLL, close POLL,
 * show POLL, list); open with --question and --choices (at most
 * POLLDEF_CHOICES_MAX, valid and distinct), --opens and --closes times
 * (when_parse, from the time of the call), --closes after --opens (or
 * now), open's options only with open; --kind and its parameters
 * (each only with its kind; scale: --low and --high, no --choices;
 * ranked: 2 choices at least; multiple: --min-picks <= --max-picks <=
 * the number of choices; the POLLCTLOPTS_RULE_ texts). Returns an opts_result; on
 * OPTS_ERROR err holds the message. Always call pollctl_opts_free
 * afterwards. */
/* The usage errors of --kind and its parameters, each spelt here once
 * (docs/pollctl.md quotes them). */
#define POLLCTLOPTS_RULE_KIND "invalid --kind '%s' (want single, multiple, ranked or scale)"
#define POLLCTLOPTS_RULE_PARAM "%s goes with --kind %s"  /* the option, its kind */
#define POLLCTLOPTS_RULE_OPEN "--kind, --min-picks, --max-picks, --full, --low, --high, --low-label and --high-label go with open"
#define POLLCTLOPTS_RULE_SCALE_CHOICES "--kind scale takes no --choices (its voters give a value from --low to --high)"
#define POLLCTLOPTS_RULE_SCALE_ENDS "--kind scale needs --low and --high"
#define POLLCTLOPTS_RULE_SCALE_SPAN "--high must be 1 to 100 more than --low (a scale of 2 to 101 values)"
#define POLLCTLOPTS_RULE_END "invalid --%s '%s' (want an integer from -1000000 to 1000000)"
#define POLLCTLOPTS_RULE_RANKED "--kind ranked needs 2 choices at least"
#define POLLCTLOPTS_RULE_MAX_PICKS "--max-picks %d is more than the %zu choices"
#define POLLCTLOPTS_RULE_MIN_PICKS "--min-picks %d is more than --max-picks (%zu)"

enum opts_result pollctl_opts_parse(struct pollctl_opts *o, int argc, char **argv, char *err, size_t errlen);

/* pollctl_opts_free: frees what pollctl_opts_parse allocated in o. */
void pollctl_opts_free(struct pollctl_opts *o);

#endif
