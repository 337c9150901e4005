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

/* pollinfo_refuses: true when d says a ballot for choice cannot count, the
 * reason into why: "poll1 is closed (since 2026-11-30 10:05:00 UTC):
 * ballot not sent" (the closing time when known and not after now_ms,
 * else "poll1 is closed: ballot not sent"), "'maybe' on poll1 not sent:
 * poll1 offers yes, no". False (why untouched) otherwise. */
bool pollinfo_refuses(const struct polldef *d, const char *choice, int64_t now_ms, char *why, size_t size);

#endif
