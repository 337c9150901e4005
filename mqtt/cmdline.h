/* cmdline.h -- what each program's main says once its command line is parsed: --help, --version, a usage error */
#ifndef MQTTVOTE_CMDLINE_H
#define MQTTVOTE_CMDLINE_H

#include <stdbool.h>
#include <stdio.h>

#include "optparse.h"
#include "tlsopts.h"

/* The end of the option list in the usage of voter and pollctl, the
 * programs of one request: -d, --quiet, --help, --version, then the TLS
 * options (TLSOPTS_USAGE). */
#define CMDLINE_USAGE_CLIENT_END \
	" -d, --debug          log each step on stderr\n" \
	"     --quiet          print nothing on success\n" \
	"     --help           this text\n" \
	"     --version        the version\n" \
	"\n" \
	TLSOPTS_USAGE

/* cmdline_ends: what a program (prog: "voter", "tallier", "pollctl")
 * does with the result r of its parse (optparse.h): OPTS_HELP: usage on
 * stdout (usage(stdout)), exit 0; OPTS_VERSION: "<prog> <version>" on
 * stdout, exit 0; OPTS_ERROR: "<prog>: <err>" and "Use '<prog> --help' to
 * see usage." on stderr, exit 2; OPTS_RUN: nothing. Returns true when the
 * program ends there, with the exit status in *status; false (OPTS_RUN,
 * *status untouched) when it runs. */
bool cmdline_ends(enum opts_result r, const char *prog, void (*usage)(FILE *out), const char *err, int *status);

#endif
