/* commands.h -- the organiser's commands, run on the core: a parsed command in, the answer's values out */
#ifndef MQTTVOTE_COMMANDS_H
#define MQTTVOTE_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "core.h"
#include "polldef.h"
#include "result.h"

/* The answer to an organiser's command, as values (render_answer renders
 * it as polldef_answer_json). */
struct command_answer {
	bool ok;                     /* false: refused, error says why */
	char error[256];
	bool has_info;               /* open, close, show: info is the poll's information */
	struct polldef info;
	struct result_value *result; /* show: the poll's result (malloc'd); else NULL */
	bool is_list;                /* list: list holds nlist polls' information, by name */
	struct polldef *list;        /* malloc'd; NULL when nlist is 0 */
	size_t nlist;
};

/* core_command: an organiser's command, already parsed by the transport
 * (polldef_cmd_parse; polldef.h: open, close, show, list; a command it
 * refused is the transport's to answer), run at once: a definition or a
 * closing is stored before it is announced (the poll's information and
 * result are then due). *answer gets the answer (a refusal, or out of
 * memory, as its error); free it with command_answer_free whatever this
 * returns. cmd is not changed. Any thread. Returns CORE_OK, or
 * CORE_FAILED when the store failed (as core_ballot: no answer). */
enum core_rc core_command(struct core *c, const struct polldef_cmd *cmd, struct command_answer *answer);

/* command_answer_free: frees what *a holds (not a). */
void command_answer_free(struct command_answer *a);

#endif
