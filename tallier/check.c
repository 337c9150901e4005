/* check.c -- the checks a ballot must pass before it is counted: the steps of the core's pipeline */
#include "check.h"

#include <stdio.h>
#include <string.h>

#include <inttypes.h>

#include "vtime.h"

typedef int (*check_step)(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
			  size_t size);

/* The pipeline's checks, in the order they run. */
static const check_step steps[] = {
	check_voter_is_account,
	check_poll_open,
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

int check_poll_open(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
		    size_t size)
{
	const struct polldef *d = r->polls ? polls_get(r->polls, b->poll) : NULL;
	char when[VTIME_ISO_LEN];

	if (now_ms == CHECK_RELOAD)
		return 0; /* a stored ballot was taken while its poll was open */
	if (r->defined_only && (!d || !d->defined)) {
		snprintf(reason, size, "%s is not a poll an organiser opened (this tallier takes only those)",
			 b->poll);
		return -1;
	}
	switch (polls_status(d, now_ms)) {
	case POLLDEF_OPEN:
		return 0;
	case POLLDEF_SCHEDULED:
		if (vtime_format_iso(d->opens_ms, when, sizeof(when)) != 0)
			snprintf(when, sizeof(when), "?");
		snprintf(reason, size, "%s is not open yet: it opens at %s", b->poll, when);
		return -1;
	case POLLDEF_CLOSED:
		break;
	}
	if (vtime_format_iso(d->status == POLLDEF_CLOSED ? d->closed_ms : d->closes_ms, when, sizeof(when)) != 0)
		snprintf(when, sizeof(when), "?");
	snprintf(reason, size, "%s is closed (since %s)", b->poll, when);
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
	const struct polldef *d = r->polls ? polls_get(r->polls, b->poll) : NULL;
	bool offered = r->nchoices == 0;
	size_t k;

	(void)now_ms;
	if (d && d->nchoices)
		offered = polldef_has_choice(d, b->choice);
	else
		for (k = 0; k < r->nchoices && !offered; k++)
			offered = strcmp(r->choices[k], b->choice) == 0;
	if (offered)
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
