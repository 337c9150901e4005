/* commands.h -- the organiser's commands, run on the core: a parsed command in, the answer out */
#ifndef MQTTVOTE_COMMANDS_H
#define MQTTVOTE_COMMANDS_H

#include "core.h"
#include "polldef.h"

/* core_command: an organiser's command, already parsed by the transport
 * (polldef_cmd_parse; polldef.h: open, close, show, list; a command it
 * refused is the transport's to answer), run at once: a definition or a
 * closing is stored before it is announced (the poll's information and
 * result are then due). *answer gets the answer JSON (malloc'd, free() it;
 * NULL when memory runs out). cmd is not changed. Any thread. Returns
 * CORE_OK, or CORE_FAILED when the store failed (as core_ballot). */
enum core_rc core_command(struct core *c, const struct polldef_cmd *cmd, char **answer);

#endif
