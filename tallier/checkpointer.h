/* checkpointer.h -- the store's WAL checkpoints, run on the loop's thread when a commit asks */
#ifndef MQTTVOTE_CHECKPOINTER_H
#define MQTTVOTE_CHECKPOINTER_H

#include "core.h"
#include "loop.h"

/* checkpointer_add: adds to loop a source that runs core_checkpoint at
 * each wake of the loop (core_ballot wakes it when a checkpoint is due).
 * Returns 0, or -1 with the reason in err. Nothing to free. */
int checkpointer_add(struct loop *loop, struct core *core, char *err, size_t errlen);

#endif
