/* check.h -- the checks a ballot must pass before it is counted: the steps of the core's pipeline */
#ifndef MQTTVOTE_CHECK_H
#define MQTTVOTE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "ballot.h"
#include "polls.h"
#include "roll.h"

/* The rules the checks apply. Later rules (a poll's own roll, choices
 * and opening hours) join this struct and the step list. */
struct check_rules {
	const char *const *choices; /* the choices on offer where a poll's definition does not say;
				     * nchoices 0: any valid choice */
	size_t nchoices;
	int64_t max_skew_ms;        /* how far ahead of now a ballot's ts may be */
	const struct roll *roll;    /* the voters whose signed ballots count; NULL: any voter, unsigned */
	const struct polls *polls;  /* the polls an organiser defined or closed; NULL: none */
	bool defined_only;          /* only polls an organiser defined take ballots */
	const char *instance;       /* the ballot's poll's instance, which signatures bind; NULL or "":
				     * the poll has none (does not exist yet) */
};

/* check_fn: the shape of check_ballot and of each step below: ballot b,
 * received at now_ms, against the rules r. Returns 0 when b passes, or -1
 * with the refusal's reason in reason[0..size). */
typedef int check_fn(const struct check_rules *r, const struct ballot *b, int64_t now_ms, char *reason,
		     size_t size);

/* check_ballot: runs every check step, in order, on the parsed ballot b,
 * received at now_ms (ms since the epoch; CHECK_RELOAD for a ballot read
 * back from the store, which passed the steps that depend on time when it
 * came). Returns 0 when b passes them all, or -1 with the first refusal's
 * reason in reason ("unknown choice 'maybe'"). */
check_fn check_ballot;

#define CHECK_RELOAD INT64_MIN

/* check_ballot_alone, check_ballot_poll: the two halves of check_ballot,
 * same contract: the steps that need only b and the rules' fixed parts
 * (signature, account, ts), which any thread may run at any time; then
 * the steps that read r->polls (poll open, choice on offer), which the
 * caller runs under the lock that guards them. */
check_fn check_ballot_alone;
check_fn check_ballot_poll;

/* check_voter_is_account: the step that refuses a ballot published on
 * vote/<poll>/by/<account> (b->account) whose voter is another name: the
 * broker's ACL lets only that account publish there, so the account is
 * who sent it. A ballot with no account passes. Returns 0, or -1 with the
 * reason. */
check_fn check_voter_is_account;

/* check_choice_offered: the step that refuses an answer of another kind
 * than the poll's (ballot_answers), and a choice that is not on offer:
 * the poll's own choices when its definition has some, else the rules'
 * choices; for a multiple poll each pick among its choices and as many as
 * it takes ("this poll takes 1 to 2 picks"), for a scale a value in its
 * range ("this poll takes a value from 1 to 5"). Returns 0, or -1 with
 * the reason. */
check_fn check_choice_offered;

/* check_poll_open: the step that refuses a ballot for a poll that is not
 * open at now_ms (scheduled, or closed: by hand, or at its closing time,
 * on the tallier's clock), or, with defined_only, for a poll nobody
 * defined. Returns 0, or -1 with the reason ("poll1 is closed"). */
check_fn check_poll_open;

/* check_ts_not_ahead: the step that refuses a ballot whose ts is more than
 * r->max_skew_ms ahead of now_ms: held as the voter's newest, it would pin
 * the vote, every later ballot of the voter being older, until the clock
 * reaches its ts (hence a bound of seconds). A ts in the past has no
 * bound: a ballot queued while the tallier was away counts when it comes.
 * Returns 0, or -1 with the reason, which tells a voter whose clock is
 * wrong what to do. */
check_fn check_ts_not_ahead;

/* The refusal of a signed ballot for a poll without an instance (one that
 * does not exist yet): formatted with the poll's name. Short enough for a
 * receipt's reason with any poll name. */
#define CHECK_NO_INSTANCE "%s has no poll instance yet: signed ballots count once the organiser opens it (pollctl)"

/* check_signed: with a roll, the step that refuses a ballot that is not
 * signed by a voter on it for r->instance (unsigned, voter not on the
 * roll, a poll with no instance: CHECK_NO_INSTANCE, a ballot whose
 * "instance" is another: "signature is not for this poll instance (...)",
 * no id or ts, bad signature: poll, instance, voter, choice, id and ts
 * are signed, so a ballot moved to another poll, or to a later poll of
 * the same name, is refused). Skipped for CHECK_RELOAD:
 * the store keeps no signatures; a stored ballot was verified when it
 * came. Returns 0, or -1 with the reason. */
check_fn check_signed;

#endif
