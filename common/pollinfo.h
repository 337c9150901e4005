/* pollinfo.h -- a poll's information (vote/<poll>/info) in words, and whether it lets a ballot count */
#ifndef MQTTVOTE_POLLINFO_H
#define MQTTVOTE_POLLINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "polldef.h"

#define POLLINFO_TEXT_MAX 4096 /* room for any description or reason below */

/* pollinfo_local: ms since the epoch as local time, "2026-11-30 10:05:00
 * CET", into buf. Returns buf. */
const char *pollinfo_local(int64_t ms, char *buf, size_t size);

/* pollinfo_choices: d's choices as "yes, no, abstain" ("any" when d has
 * no list) into buf. Returns buf (truncated to size). */
const char *pollinfo_choices(const struct polldef *d, char *buf, size_t size);

/* pollinfo_kind: d's kind and its parameters in words into buf:
 * "single", "multiple, 1 to 2 picks" ("multiple, 2 picks" when it is
 * that many, "1 pick"), "ranked (full)", "ranked (1 to 3 choices)",
 * "scale: 1 (bad) to 5 (good)" (an end without a label: the number
 * alone). Returns buf (truncated to size). */
const char *pollinfo_kind(const struct polldef *d, char *buf, size_t size);

/* pollinfo_describe: d as lines for a terminal, each ending in '\n':
 *   poll1: Lunch at noon?
 *     choices: yes, no, abstain
 *     kind:    multiple, 1 to 2 picks   (a poll of another kind than single only;
 *                                        a scale has "scale:   1 (bad) to 5 (good)"
 *                                        in place of its choices and of this line)
 *     status:  open
 *     opens:   2026-11-30 10:00:00 UTC
 *     closes:  2026-11-30 10:05:00 UTC (in 4m 59s)
 *     results: live, revote yes
 * (the time left counted from now_ms; "closes: by hand" without a time; a
 * poll nobody defined says so instead of a question). Returns buf. */
const char *pollinfo_describe(const struct polldef *d, int64_t now_ms, char *buf, size_t size);

/* pollinfo_refuses: true when ballot b cannot count, the reason into why.
 * d is the poll's information, or NULL when there is none (then only a
 * name given twice is found). For a single choice (b->choice): "poll1 is
 * closed (since 2026-11-30 10:05:00 UTC): ballot not sent" (the closing
 * time when known and not after now_ms, else "poll1 is closed: ballot not
 * sent"), "'maybe' on poll1 not sent: poll1 offers yes, no". For the
 * other kinds, "ballot not sent: " and the rule it breaks (the
 * POLLINFO_RULE_ texts below, in this order): an answer of another kind
 * than d's, a name given twice, a name d does not offer, too few or too
 * many picks, a full ranking that leaves a choice out, a value out of
 * range. False (why untouched) otherwise. */
bool pollinfo_refuses(const struct polldef *d, const struct ballot *b, int64_t now_ms, char *why, size_t size);

/* The rules pollinfo_refuses words for the voter, each spelt here once
 * (docs/voter.md quotes them): */
#define POLLINFO_NOT_SENT "ballot not sent: "
#define POLLINFO_RULE_KIND "%s is a %s poll: give %s"         /* poll, kind, the voter's option */
#define POLLINFO_RULE_TWICE "'%s' is %s twice"                 /* name, "picked" or "ranked" */
#define POLLINFO_RULE_OFFER "%s does not offer '%s' (it offers %s)"
#define POLLINFO_RULE_PICKS "%s takes %zu to %zu picks"
#define POLLINFO_RULE_PICKS_EXACTLY "%s takes %zu pick%s"      /* min_picks == max_picks: "p1 takes 2 picks" */
#define POLLINFO_RULE_FULL "%s takes a full ranking: every one of %s, once"
#define POLLINFO_RULE_VALUE "%s takes a value from %lld to %lld"

#endif
