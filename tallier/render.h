/* render.h -- the transports' side of the core: its values (verdicts, results, information, answers) rendered as JSON */
#ifndef MQTTVOTE_RENDER_H
#define MQTTVOTE_RENDER_H

#include <stddef.h>

#include "commands.h"
#include "core.h"

/* Each render_ function returns a malloc'd string the caller frees with
 * free(), or NULL with the reason in err. */

/* render_receipt: the receipt JSON of v, a verdict on a ballot of poll
 * (receipt_to_json, with v's result when it has one). NULL: out of memory. */
char *render_receipt(const char *poll, const struct verdict *v, char *err, size_t errlen);

/* render_result: the current result JSON of poll (core_result). NULL: no
 * such poll, the core failed, or out of memory. */
char *render_result(struct core *c, const char *poll, char *err, size_t errlen);

/* render_info: the information JSON of poll (core_info). NULL: no such
 * poll, or out of memory. */
char *render_info(struct core *c, const char *poll, char *err, size_t errlen);

/* render_due: what r publishes: its result JSON, or its information JSON.
 * NULL: out of memory, or information that cannot be written. */
char *render_due(const struct due_result *r, char *err, size_t errlen);

/* render_answer: the answer JSON of a (polldef_answer_json): its error, or
 * its information and result, or its list; an information of the list
 * that cannot be rendered makes it an error answer with the reason. NULL:
 * out of memory. */
char *render_answer(const struct command_answer *a, char *err, size_t errlen);

/* render_seen: payload[0..len) (not NUL-terminated) was seen on the result
 * topic of poll (a valid poll name): compares it with the core's current
 * result rendered, and tells the core (core_result_seen). Any thread.
 * Returns what core_result_seen does. */
enum core_seen render_seen(struct core *c, const char *poll, const void *payload, size_t len);

#endif
