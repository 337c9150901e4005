/* polls.h -- the polls an organiser defined or closed: their definitions by name, and their status on the clock */
#ifndef MQTTVOTE_POLLS_H
#define MQTTVOTE_POLLS_H

#include <stddef.h>
#include <stdint.h>

#include "polldef.h"
#include "roll.h"
#include "tally.h"

struct polls;

/* polls_new: an empty set. Returns NULL when memory runs out. */
struct polls *polls_new(void);

/* polls_free: frees p and its definitions. NULL is allowed. */
void polls_free(struct polls *p);

/* polls_get: the definition of poll (owned by p, valid until p is freed;
 * the caller may change it in place, never its name), or NULL when poll
 * has none (a poll nobody defined: open, any choice the tallier allows). */
struct polldef *polls_get(const struct polls *p, const char *poll);

/* polls_put: a copy of *d becomes d->poll's definition (replacing one).
 * Returns it (owned by p), or NULL when memory runs out. */
struct polldef *polls_put(struct polls *p, const struct polldef *d);

/* polls_load_roll: loads the roll file d->roll names (d, owned by p, as
 * polls_get and polls_put give it) as d's roll, replacing one it had (kept
 * until p is freed: a thread may still be checking a ballot with it).
 * Nothing when d->roll is "". Returns 0, or -1 with the reason in err. */
int polls_load_roll(struct polls *p, struct polldef *d, char *err, size_t errlen);

/* polls_set_roll: r (loaded from d->roll) becomes d's roll, as
 * polls_load_roll does, and p owns it from now on, whatever this returns.
 * Returns 0, or -1 with err set when memory runs out (r is then freed). */
int polls_set_roll(struct polls *p, struct polldef *d, struct roll *r, char *err, size_t errlen);

/* polls_roll: the roll of poll's definition (owned by p, valid until p is
 * freed), or NULL when it has none. */
const struct roll *polls_roll(const struct polls *p, const char *poll);

/* polls_count, polls_at: the definitions, in the order they were first put. */
size_t polls_count(const struct polls *p);
struct polldef *polls_at(const struct polls *p, size_t k);

/* polls_status: d's status at now_ms (ms since the epoch), the rule of
 * the clock: closed once closed by hand or at or after its closing time;
 * scheduled before its opening time; open in between. d NULL: open. */
enum polldef_status polls_status(const struct polldef *d, int64_t now_ms);

/* polls_next_change: the earliest time after now_ms at which a
 * definition's status will change by the clock (INT64_MAX: none). */
int64_t polls_next_change(const struct polls *p, int64_t now_ms);

/* polls_tally_config: the counting rules of d for tally_poll_define:
 * *cfg points into list (POLLDEF_CHOICES_MAX entries, filled with d's
 * choices) and so into d. */
void polls_tally_config(const struct polldef *d, const char *list[POLLDEF_CHOICES_MAX], struct tally_config *cfg);

/* polls_define: d's rules into t (tally_poll_define, at now_ms). Returns
 * 0, or -1 with err set. */
int polls_define(struct tally *t, const struct polldef *d, int64_t now_ms, char *err, size_t errlen);

#endif
