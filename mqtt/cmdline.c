/* cmdline.c -- what each program's main says once its command line is parsed: --help, --version, a usage error
 *
 * Here rather than in common/, which never prints: the one module of the
 * programs' shared layer that every main links. */
#include "cmdline.h"

#include "version.h"

bool cmdline_ends(enum opts_result r, const char *prog, void (*usage)(FILE *out), const char *err, int *status)
{
	switch (r) {
	case OPTS_HELP:
		usage(stdout);
		*status = 0;
		return true;
	case OPTS_VERSION:
		printf("%s " MQTTVOTE_VERSION "\n", prog);
		*status = 0;
		return true;
	case OPTS_ERROR:
		fprintf(stderr, "%s: %s\nUse '%s --help' to see usage.\n", prog, err, prog);
		*status = 2;
		return true;
	case OPTS_RUN:
		break;
	}
	return false;
}
