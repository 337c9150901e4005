/* receipt.h -- the tallier's answer to a ballot that asked for one */
#ifndef MQTTVOTE_RECEIPT_H
#define MQTTVOTE_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>

#include "ballot.h"
#include "topic.h"

enum receipt_status { RECEIPT_COUNTED, RECEIPT_DUPLICATE, RECEIPT_REJECTED };

/* A receipt, as parsed by receipt_parse. */
struct receipt {
	char id[BALLOT_ID_HEX + 1]; /* "" when the ballot had none (or was unreadable) */
	char poll[TOPIC_POLL_MAX + 1];
	enum receipt_status status;
	char reason[160];           /* "" when none */
	char counts[512];           /* the poll's counts as text, "yes 3, no 1" */
};

/* receipt_topic_valid: true when topic is a receipt topic of poll:
 * "vote/<poll>/receipt/<rest>", <rest> 1 to 128 bytes without '+', '#'
 * or control characters. */
bool receipt_topic_valid(const char *poll, const char *topic, size_t len);

/* receipt_to_json: the receipt JSON
 * {"id":..,"poll":..,"status":"counted"|"duplicate"|"rejected","reason":..,"counts":{..}}
 * for ballot id (NULL or "" when none: then no "id"), with reason only when
 * not NULL or "", and the counts object taken from result_json (a result
 * as tally_result_json makes it). Returns a malloc'd string the caller
 * frees with free(), or NULL with err set. */
char *receipt_to_json(const char *id, const char *poll, enum receipt_status status, const char *reason,
		      const char *result_json, char *err, size_t errlen);

/* receipt_parse: reads the receipt payload[0..len) into *out. Returns 0,
 * or -1 with err set when it is not a receipt. */
int receipt_parse(const void *payload, size_t len, struct receipt *out, char *err, size_t errlen);

/* receipt_status_word: "counted", "duplicate" or "rejected". */
const char *receipt_status_word(enum receipt_status status);

#endif
