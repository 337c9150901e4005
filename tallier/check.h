/* check.h -- the checks a ballot must pass before it is counted: the steps of the core's pipeline */
#ifndef MQTTVOTE_CHECK_H
#define MQTTVOTE_CHECK_H

#include <stddef.h>

#include "ballot.h"

/* The rules the checks apply. Later rules (a roll of voters, a poll's
 * own choices and opening hours) join this struct and the step list. */
struct check_rules {
	const char *const *choices; /* the choices on offer; nchoices 0: any valid choice */
	size_t nchoices;
};

/* check_ballot: runs every check step, in order, on the parsed ballot b.
 * Returns 0 when b passes them all, or -1 with the first refusal's reason
 * in reason ("unknown choice 'maybe'"). */
int check_ballot(const struct check_rules *r, const struct ballot *b, char *reason, size_t size);

/* check_choice_offered: the step that refuses a choice that is not on
 * offer. Returns 0, or -1 with the reason. */
int check_choice_offered(const struct check_rules *r, const struct ballot *b, char *reason, size_t size);

#endif
