/* command.h -- the organiser's command, from pollctl's options to its JSON */
#ifndef MQTTVOTE_COMMAND_H
#define MQTTVOTE_COMMAND_H

#include <stddef.h>

#include "pollctlopts.h"

/* command_json: the command JSON (polldef_cmd_json) of o's command: open
 * with its definition (question, choices, --opens, --closes, --results,
 * --revote), close, show, list; reply, when not NULL, goes in its "reply"
 * field (MQTT 3.1.1, which has no Response Topic). Returns a malloc'd
 * string (free()), or NULL with err set. */
char *command_json(const struct pollctl_opts *o, const char *reply, char *err, size_t errlen);

#endif
