/* check.c -- the checks a ballot must pass before it is counted: the steps of the core's pipeline */
#include "check.h"

#include <stdio.h>
#include <string.h>

#include <inttypes.h>

typedef int (*check_step)(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
			  size_t size);

/* The pipeline's checks, in the order they run. */
static const check_step steps[] = {
	check_voter_is_account,
	check_ts_not_ahead,
	check_choice_offered,
};

int check_voter_is_account(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
			   size_t size)
{
	(void)r;
	(void)now_ms;
	if (!b->account[0] || strcmp(b->account, b->voter) == 0)
		return 0;
	snprintf(reason, size, "voter '%s' is not the account '%s' that published the ballot", b->voter,
		 b->account);
	return -1;
}

int check_ts_not_ahead(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
		       size_t size)
{
	if (now_ms == CHECK_RELOAD || !b->has_ts || b->ts <= now_ms || b->ts - now_ms <= r->max_skew_ms)
		return 0;
	snprintf(reason, size, "ts is %" PRId64 " s ahead of the tallier's clock (at most %" PRId64 " s)",
		 (b->ts - now_ms) / 1000, r->max_skew_ms / 1000);
	return -1;
}

int check_choice_offered(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
			 size_t size)
{
	size_t k;

	(void)now_ms;
	if (r->nchoices == 0)
		return 0;
	for (k = 0; k < r->nchoices; k++)
		if (strcmp(r->choices[k], b->choice) == 0)
			return 0;
	snprintf(reason, size, "unknown choice '%s'", b->choice);
	return -1;
}

int check_ballot(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason, size_t size)
{
	size_t k;

	for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++)
		if (steps[k](r, b, now_ms, reason, size) != 0)
			return -1;
	return 0;
}
