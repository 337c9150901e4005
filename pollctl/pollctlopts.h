/* pollctlopts.h -- pollctl's command line: its options, its command and poll */
#ifndef MQTTVOTE_POLLCTLOPTS_H
#define MQTTVOTE_POLLCTLOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

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
	int64_t now_ms;          /* the time of the parse, which --opens and --closes count from */
	char question_nfc[501];  /* POLLDEF_QUESTION_MAX + 1 */
};

/* pollctl_opts_parse: parses argv[1..argc) into *o (all fields set): the
 * connection (options.h), --timeout; a command (open POLL, close POLL,
 * show POLL, list); open with --question and --choices (at most
 * POLLDEF_CHOICES_MAX, valid and distinct), --opens and --closes times
 * (when_parse, from the time of the call), --closes after --opens (or
 * now), open's options only with open. Returns an opts_result; on
 * OPTS_ERROR err holds the message. Always call pollctl_opts_free
 * afterwards. */
enum opts_result pollctl_opts_parse(struct pollctl_opts *o, int argc, char **argv, char *err, size_t errlen);

/* pollctl_opts_free: frees what pollctl_opts_parse allocated in o. */
void pollctl_opts_free(struct pollctl_opts *o);

#endif
