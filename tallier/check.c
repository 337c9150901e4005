/* check.c -- the checks a ballot must pass before it is counted: the steps of the core's pipeline */
#include "check.h"

#include <stdio.h>
#include <string.h>

typedef int (*check_step)(const struct check_rules *r, const struct ballot *b, char *reason, size_t size);

/* The pipeline's checks, in the order they run. */
static const check_step steps[] = {
	check_choice_offered,
};

int check_choice_offered(const struct check_rules *r, const struct ballot *b, char *reason, size_t size)
{
	size_t k;

	if (r->nchoices == 0)
		return 0;
	for (k = 0; k < r->nchoices; k++)
		if (strcmp(r->choices[k], b->choice) == 0)
			return 0;
	snprintf(reason, size, "unknown choice '%s'", b->choice);
	return -1;
}

int check_ballot(const struct check_rules *r, const struct ballot *b, char *reason, size_t size)
{
	size_t k;

	for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++)
		if (steps[k](r, b, reason, size) != 0)
			return -1;
	return 0;
}
