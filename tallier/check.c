/* check.c -- the checks a ballot must pass before it is counted: the steps of the core's pipeline */
#include "check.h"

#include <stdio.h>
#include <string.h>

#include <inttypes.h>

#include "vtime.h"
#include "sign.h"

typedef check_fn *check_step;

/* The pipeline's checks, in the order they run: first those that need
 * the ballot and fixed rules only (the costly signature among them), which
 * the core runs outside its lock; then those that read the polls' state,
 * which change while the tallier runs (run under the core's lock). */
static const check_step ballot_steps[] = {
	check_signed,
	check_voter_is_account,
	check_ts_not_ahead,
};
static const check_step poll_steps[] = {
	check_poll_open,
	check_choice_offered,
};

static int run_steps(const check_step *steps, size_t n, const struct check_rules *r, const struct ballot *b,
		     int64_t now_ms, char *reason, size_t size)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (steps[k](r, b, now_ms, reason, size) != 0)
			return -1;
	return 0;
}

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

int check_signed(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason, size_t size)
{
	const struct sign_pub *key;

	if (!r->roll || now_ms == CHECK_RELOAD)
		return 0;
	if (!b->has_sig) {
		snprintf(reason, size, "unsigned ballot: this tallier counts only ballots signed by a voter on its roll");
		return -1;
	}
	key = roll_find(r->roll, b->voter);
	if (!key) {
		snprintf(reason, size, "voter '%s' is not on the roll", b->voter);
		return -1;
	}
	if (!r->instance || !r->instance[0]) {
		snprintf(reason, size, CHECK_NO_INSTANCE, b->poll);
		return -1;
	}
	/* the instance the ballot names is only a hint: the signature is
	 * verified over the poll's own, whatever the ballot says */
	if (b->has_instance && strcmp(b->instance, r->instance) != 0) {
		snprintf(reason, size, "signature is not for this poll instance (this poll's is %s: sign again)",
			 r->instance);
		return -1;
	}
	return sign_verify(key, b, r->instance, reason, size);
}

int check_ts_not_ahead(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
		       size_t size)
{
	if (now_ms == CHECK_RELOAD || !b->has_ts || b->ts <= now_ms || b->ts - now_ms <= r->max_skew_ms)
		return 0;
	/* whole seconds, rounded up: never "5 s ahead (at most 5 s)" */
	snprintf(reason, size,
		 "ts is %" PRId64 " s ahead of the tallier's clock (at most %g s): the voter's clock is fast "
		 "or the tallier's slow; set the wrong one right and vote again",
		 (b->ts - now_ms) / 1000 + ((b->ts - now_ms) % 1000 != 0), (double)r->max_skew_ms / 1000);
	return -1;
}

/* answer_offered: whether the answer of b, a ballot of d's kind (not
 * single), is one d takes: picks among its choices, as many as it takes;
 * a value in its range. Returns 0, or -1 with the reason. */
static int answer_offered(const struct polldef *d, const struct ballot *b, char *reason, size_t size)
{
	size_t k;

	for (k = 0; k < b->nnames; k++) {
		if (!polldef_has_choice(d, b->names[k])) {
			snprintf(reason, size, "unknown choice '%s'", b->names[k]);
			return -1;
		}
	}
	if (d->kind == POLLDEF_MULTIPLE && (b->nnames < d->min_picks || b->nnames > d->max_picks)) {
		snprintf(reason, size, "this poll takes %zu to %zu picks", d->min_picks, d->max_picks);
		return -1;
	}
	if (d->kind == POLLDEF_RANKED && d->full && b->nnames != d->nchoices) {
		snprintf(reason, size, "this poll takes a ranking of all its %zu choices", d->nchoices);
		return -1;
	}
	if (d->kind == POLLDEF_SCALE && (b->value < d->low || b->value > d->high)) {
		snprintf(reason, size, "this poll takes a value from %" PRId64 " to %" PRId64, d->low, d->high);
		return -1;
	}
	return 0;
}

int check_choice_offered(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
			 size_t size)
{
	const struct polldef *d = r->polls ? polls_get(r->polls, b->poll) : NULL;
	bool offered = r->nchoices == 0;
	size_t k;

	(void)now_ms;
	/* the answer the poll's kind takes (a poll nobody defined is single) */
	if (ballot_answers(b, d ? d->kind : POLLDEF_SINGLE, reason, size) != 0)
		return -1;
	if (b->kind != POLLDEF_SINGLE)
		return answer_offered(d, b, reason, size);
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

int check_ballot_alone(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
		       size_t size)
{
	return run_steps(ballot_steps, sizeof(ballot_steps) / sizeof(ballot_steps[0]), r, b, now_ms, reason, size);
}

int check_ballot_poll(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
		      size_t size)
{
	return run_steps(poll_steps, sizeof(poll_steps) / sizeof(poll_steps[0]), r, b, now_ms, reason, size);
}

int check_ballot(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason, size_t size)
{
	if (check_ballot_alone(r, b, now_ms, reason, size) != 0)
		return -1;
	return check_ballot_poll(r, b, now_ms, reason, size);
}
