/* optparse.c -- a command-line parser driven by tables of options (getopt_long underneath) */
#include "optparse.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 96
#define OPT_HELP 1000 /* getopt values of --help and --version, above every row's */
#define OPT_VERSION 1001

/* A row found by its getopt value, with the structure it stores into. */
struct found {
	const struct optdef *def;
	void *base;
};

/* all_of: true when s is non-empty and made only of bytes from set. */
static bool all_of(const char *s, const char *set)
{
	return *s && strspn(s, set) == strlen(s);
}

int optparse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!all_of(s, "0123456789.") || errno || *end || !isfinite(v) || v < 0.001 || v > 86400)
		return -1;
	*out = v;
	return 0;
}

int optparse_integer(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!all_of(s[0] == '-' ? s + 1 : s, "0123456789") || errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* row_val: the getopt value of row i (its letter, or 256 + i). */
static int row_val(const struct optdef *d, size_t i)
{
	return d->letter ? d->letter : 256 + (int)i;
}

/* lookup: the row whose getopt value is val; false when none. */
static bool lookup(const struct optpart *parts, size_t nparts, int val, struct found *f)
{
	size_t p, i, k = 0;

	for (p = 0; p < nparts; p++)
		for (i = 0; i < parts[p].n; i++, k++)
			if (row_val(&parts[p].defs[i], k) == val) {
				f->def = &parts[p].defs[i];
				f->base = parts[p].base;
				return true;
			}
	return false;
}

/* build: getopt_long's table and option string from the rows. Returns 0,
 * or -1 when the rows do not fit. */
static int build(const struct optpart *parts, size_t nparts, struct option *longs, char *shorts, size_t shortlen)
{
	size_t p, i, k = 0, s = 0;

	shorts[s++] = ':';
	for (p = 0; p < nparts; p++)
		for (i = 0; i < parts[p].n; i++, k++) {
			const struct optdef *d = &parts[p].defs[i];

			if (k + 3 > MAX_ROWS || s + 3 > shortlen)
				return -1;
			longs[k] = (struct option){ d->name, d->value ? required_argument : no_argument, NULL,
						    row_val(d, k) };
			if (d->letter) {
				shorts[s++] = d->letter;
				if (d->value)
					shorts[s++] = ':';
			}
		}
	longs[k++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	longs[k++] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
	longs[k] = (struct option){ NULL, 0, NULL, 0 };
	shorts[s] = '\0';
	return 0;
}

/* apply: stores the value arg of row f (its kind's checks and messages). */
static int apply(const struct found *f, const char *arg, char *err, size_t errlen)
{
	const struct optdef *d = f->def;
	char *field = (char *)f->base + d->at, *end;
	long v;

	if (d->given)
		*(bool *)((char *)f->base + d->given - 1) = true;
	switch (d->kind) {
	case OPTK_FLAG:
		*(bool *)field = true;
		return 0;
	case OPTK_NONEMPTY:
		if (!*arg) {
			snprintf(err, errlen, "invalid --%s '' (want %s)", d->name, d->want);
			return -1;
		}
		/* fall through */
	case OPTK_STR:
		*(const char **)field = arg;
		return 0;
	case OPTK_SECONDS:
		if (optparse_seconds(arg, (double *)field) != 0) {
			snprintf(err, errlen, "invalid %s%s '%s' (want a positive number of seconds)",
				 d->label ? "" : "--", d->label ? d->label : d->name, arg);
			return -1;
		}
		return 0;
	case OPTK_COUNT:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (!all_of(arg, "0123456789") || *end || errno || v < d->min || v > d->max) {
			snprintf(err, errlen, "invalid --%s '%s' (want %ld to %ld)", d->name, arg, d->min, d->max);
			return -1;
		}
		*(int *)field = (int)v;
		return 0;
	case OPTK_WORD:
		if (strcmp(arg, d->words[0]) == 0 || strcmp(arg, d->words[1]) == 0) {
			*(bool *)field = strcmp(arg, d->words[d->truth]) == 0;
			return 0;
		}
		snprintf(err, errlen, "invalid --%s '%s' (want %s or %s)", d->name, arg, d->words[0], d->words[1]);
		return -1;
	case OPTK_FUNC:
		return d->take(f->base, arg, err, errlen);
	}
	snprintf(err, errlen, "internal error: option --%s has no kind", d->name);
	return -1;
}

/* option_name: the option as the user wrote it, for messages (on errors
 * glibc leaves longindex unset and optopt may be the short form). */
static void option_name(int c, int longindex, const struct option *longs, char **argv, char *name, size_t size)
{
	if (longindex < 0 && (c == '?' || c == ':') && strncmp(argv[optind - 1], "--", 2) == 0)
		snprintf(name, size, "%.*s", (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
	else if (longindex >= 0)
		snprintf(name, size, "--%s", longs[longindex].name);
	else if ((c == '?' || c == ':') && optopt > 0 && optopt < 256)
		snprintf(name, size, "-%c", optopt);
	else if (c == '?' || c == ':')
		snprintf(name, size, "%.*s", (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
	else
		snprintf(name, size, "-%c", c);
}

enum opts_result optparse(const struct optpart *parts, size_t nparts, int argc, char **argv, int *first_arg,
			  char *err, size_t errlen)
{
	struct option longs[MAX_ROWS];
	char shorts[2 * MAX_ROWS + 2];
	struct found f;
	int c;

	if (build(parts, nparts, longs, shorts, sizeof(shorts)) != 0) {
		snprintf(err, errlen, "internal error: too many options");
		return OPTS_ERROR;
	}
	optind = 0; /* GNU: start afresh, so the parser can run more than once */
	opterr = 0;
	for (;;) {
		int longindex = -1;
		char name[64];

		c = getopt_long(argc, argv, shorts, longs, &longindex);
		if (c == -1)
			break;
		option_name(c, longindex, longs, argv, name, sizeof(name));
		if (c == ':') {
			snprintf(err, errlen, "option '%s' needs a value", name);
			return OPTS_ERROR;
		}
		if (c == '?' && strchr(argv[optind - 1], '=') && optopt > 0 &&
		    (optopt >= OPT_HELP || lookup(parts, nparts, optopt, &f))) {
			snprintf(err, errlen, "option '%s' takes no value", name);
			return OPTS_ERROR;
		}
		if (c == '?' || (c < OPT_HELP && !lookup(parts, nparts, c, &f))) {
			snprintf(err, errlen, "unknown option '%s'", name);
			return OPTS_ERROR;
		}
		if (c == OPT_HELP)
			return OPTS_HELP;
		if (c == OPT_VERSION)
			return OPTS_VERSION;
		if (apply(&f, optarg, err, errlen) != 0)
			return OPTS_ERROR;
	}
	if (!first_arg && optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return OPTS_ERROR;
	}
	if (first_arg)
		*first_arg = optind;
	return OPTS_RUN;
}
