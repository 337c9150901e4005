/* checkpointer.c -- the store's WAL checkpoints, run on the loop's thread when a commit asks */
#include "checkpointer.h"

static int prepare(void *ctx, struct loop_fds *set, int64_t now, int64_t *deadline)
{
	(void)ctx;
	(void)set;
	(void)now;
	(void)deadline;
	return 0;
}

static void dispatch(void *ctx, const struct pollfd *fds, size_t n, int64_t now)
{
	(void)fds;
	(void)n;
	(void)now;
	core_checkpoint(ctx);
}

int checkpointer_add(struct loop *loop, struct core *core, char *err, size_t errlen)
{
	struct loop_source src = { prepare, dispatch, core };

	return loop_add(loop, &src, err, errlen);
}
