/* check.h -- the checks a ballot must pass before it is counted: the steps of the core's pipeline */
#ifndef MQTTVOTE_CHECK_H
#define MQTTVOTE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "ballot.h"

/* The rules the checks apply. Later rules (a roll of voters, a poll's
 * own choices and opening hours) join this struct and the step list. */
struct check_rules {
	const char *const *choices; /* the choices on offer; nchoices 0: any valid choice */
	size_t nchoices;
	int64_t max_skew_ms;        /* how far ahead of now a ballot's ts may be */
};

/* check_ballot: runs every check step, in order, on the parsed ballot b,
 * received at now_ms (ms since the epoch; CHECK_RELOAD for a ballot read
 * back from the store, which passed the steps that depend on time when it
 * came). Returns 0 when b passes them all, or -1 with the first refusal's
 * reason in reason ("unknown choice 'maybe'"). */
int check_ballot(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason, size_t size);

#define CHECK_RELOAD INT64_MIN

/* check_voter_is_account: the step that refuses a ballot published on
 * vote/<poll>/by/<account> (b->account) whose voter is another name: the
 * broker's ACL lets only that account publish there, so the account is
 * who sent it. A ballot with no account passes. Returns 0, or -1 with the
 * reason. */
int check_voter_is_account(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
			   size_t size);

/* check_choice_offered: the step that refuses a choice that is not on
 * offer. Returns 0, or -1 with the reason. */
int check_choice_offered(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
			 size_t size);

/* check_ts_not_ahead: the step that refuses a ballot whose ts is more than
 * r->max_skew_ms ahead of now_ms: held as the voter's newest, it would pin
 * the vote, every later ballot of the voter being older. Returns 0, or -1
 * with the reason. */
int check_ts_not_ahead(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
		       size_t size);

#endif
