/* clock.h -- the changes of status the clock brings to defined polls (opening, closing), run from the loop's timer */
#ifndef MQTTVOTE_CLOCK_H
#define MQTTVOTE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "loop.h"

/* core_clock: applies to every defined poll the change of status the
 * clock brings at now_ms (wall clock: opening, closing at its time), each
 * stored, then announced (its information and result are due: cfg->wake
 * is called). Any thread; the loop's runs it (clock_add). Returns 0, or -1
 * when the store failed or memory ran out (logged; the core has failed). */
int core_clock(struct core *c, int64_t now_ms);

/* core_clock_next: when (wall clock) core_clock has something to change
 * next: INT64_MAX when nothing (or the core failed), INT64_MIN when a
 * definition changed and it must look again at once. Any thread. */
int64_t core_clock_next(struct core *c);

/* clock_add: adds to loop a source that runs core_clock when the next
 * change of status is due (a command that changes a definition wakes the
 * loop, which asks again). Returns 0, or -1 with the reason in err.
 * Nothing to free. */
int clock_add(struct loop *loop, struct core *core, char *err, size_t errlen);

#endif
