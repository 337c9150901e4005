/* request.h -- one line of the direct TCP protocol: a ballot or a result query */
#ifndef MQTTVOTE_REQUEST_H
#define MQTTVOTE_REQUEST_H

#include <stddef.h>

#include "topic.h"

#define REQUEST_LINE_MAX 4096 /* bytes in a line, without its newline */

enum request_kind {
	REQUEST_BALLOT, /* a ballot, with its poll in "poll" */
	REQUEST_RESULT, /* {"get":"result","poll":"poll1"} */
	REQUEST_INFO,   /* {"get":"info","poll":"poll1"}: its information (with its instance) */
};

struct request {
	enum request_kind kind;
	char poll[TOPIC_POLL_MAX + 1];
};

/* request_parse: what the line[0..len) (no newline, not NUL-terminated)
 * asks. A ballot is a ballot JSON whose "poll" (required over TCP, since
 * there is no topic) is a valid poll name; the ballot itself is validated
 * later by ballot_parse. Returns 0, or -1 with the reason in err
 * ("missing field 'poll'") when the line is neither. */
int request_parse(const char *line, size_t len, struct request *out, char *err, size_t errlen);

/* request_error_json: {"error":"<message>"} as a malloc'd string the
 * caller frees with free(), or NULL when memory runs out. */
char *request_error_json(const char *message);

#endif
