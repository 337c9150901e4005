/* optparse.h -- a command-line parser driven by tables of options (getopt_long underneath) */
#ifndef MQTTVOTE_OPTPARSE_H
#define MQTTVOTE_OPTPARSE_H

#include <stdbool.h>
#include <stddef.h>

/* What a parse found. */
enum opts_result {
	OPTS_RUN = 0,     /* options valid: run */
	OPTS_HELP = 1,    /* --help given: print usage to stdout, exit 0 */
	OPTS_VERSION = 2, /* --version given: print the version, exit 0 */
	OPTS_ERROR = -1,  /* usage error: err says which; exit 2 */
};

/* How a row stores its value, at offset at of its part's structure. */
enum optkind {
	OPTK_FLAG,     /* no value: bool set to true */
	OPTK_STR,      /* const char *: the value as given */
	OPTK_NONEMPTY, /* const char *: any value but "" ("invalid --NAME '' (want WANT)") */
	OPTK_SECONDS,  /* double: a positive number of seconds, digits and '.', 0.001 to 86400 */
	OPTK_COUNT,    /* int: a whole number from min to max ("invalid --NAME 'V' (want MIN to MAX)") */
	OPTK_WORD,     /* bool: the value is words[0] or words[1]; true when it is words[truth] */
	OPTK_FUNC,     /* take(part, value, err, errlen) does it all */
};

/* One option. Rows without a letter have only the long form. */
struct optdef {
	const char *name;    /* the long name, without "--" */
	char letter;         /* the short form, or 0 */
	bool value;          /* takes a value */
	enum optkind kind;
	size_t at;           /* offset of the field the value goes to (not OPTK_FUNC) */
	size_t given;        /* OPT_GIVEN(type, field): a bool set when the option appears; 0 none */
	const char *label;   /* OPTK_SECONDS: the name in its message, instead of "--NAME" */
	const char *want;    /* OPTK_NONEMPTY: what the value should be */
	long min, max;       /* OPTK_COUNT */
	const char *words[2]; /* OPTK_WORD, in the order its message names them */
	int truth;           /* OPTK_WORD: the index of the word that sets true */
	/* OPTK_FUNC: applies the value (NULL for a flag) to part; returns 0,
	 * or -1 with err set */
	int (*take)(void *part, const char *arg, char *err, size_t errlen);
};

#define OPT_GIVEN(type, field) (offsetof(type, field) + 1)

/* A table of rows and the structure its offsets are in. */
struct optpart {
	const struct optdef *defs;
	size_t n;
	void *base;
};

/* optparse: parses the options of argv[1..argc) against the rows of
 * parts[0..nparts) (and --help, --version, which every program takes),
 * storing each value into its part; stops at the first argument that is
 * not an option (GNU getopt_long: options may follow arguments, which are
 * moved to the end), whose index goes to *first_arg (first_arg NULL:
 * the program takes no argument, and one is "unexpected argument 'X'"). Messages name the
 * option as written: "unknown option '-x'", "option '--db' needs a
 * value", "option '--tcp' takes no value". Returns OPTS_RUN, OPTS_HELP,
 * OPTS_VERSION or OPTS_ERROR with err set. Can run again (resets
 * getopt's state). */
enum opts_result optparse(const struct optpart *parts, size_t nparts, int argc, char **argv, int *first_arg,
			  char *err, size_t errlen);

/* optparse_seconds: s as a positive number of seconds (digits and '.',
 * 0.001 to 86400) into *out. Returns 0, or -1 (nothing said). */
int optparse_seconds(const char *s, double *out);

/* optparse_integer: s as a whole number in decimal (an optional '-', then
 * digits only) from min to max into *out. Returns 0, or -1 (nothing said). */
int optparse_integer(const char *s, long long min, long long max, long long *out);

#endif
