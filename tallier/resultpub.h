/* resultpub.h -- the result publisher: sends each poll's result when the core's schedule says, and the final ones on stop */
#ifndef MQTTVOTE_RESULTPUB_H
#define MQTTVOTE_RESULTPUB_H

#include <stdbool.h>

#include "core.h"
#include "loop.h"
#include "mqttsession.h"

#define RESULTPUB_STOP_MS 5000 /* on SIGINT/SIGTERM, how long final results may take */

struct resultpub;

/* resultpub_new: adds to loop a publisher of core's results through
 * session (NULL: no broker, nothing to publish). When loop_signalled, it
 * logs "stopping" and stops the loop with status 0 once every result is
 * acknowledged, or at once when the broker is unreachable, or after
 * RESULTPUB_STOP_MS. Returns it, or NULL with the reason in err. Free with
 * resultpub_free after the loop has stopped. */
struct resultpub *resultpub_new(struct core *core, struct mqttsession *session, struct loop *loop, bool quiet,
				char *err, size_t errlen);

/* resultpub_free: frees p. NULL is allowed. */
void resultpub_free(struct resultpub *p);

#endif
