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
	char counts[512];           /* the poll's counts as text, "yes 3, no 1"; "total 20" when the
				     * receipt has only the total; "" when neither */
};

#define RECEIPT_REST_MAX 128 /* bytes of a receipt topic after vote/<poll>/receipt/ */

/* receipt_topic_check: whether topic[0..len) (not NUL-terminated) is a
 * receipt topic of poll: "vote/<poll>/receipt/<rest>", <rest> 1 to
 * RECEIPT_REST_MAX bytes of UTF-8 without '+', '#' or control characters.
 * Returns 0, or -1 with the reason in why ("longer than 128 bytes after
 * vote/p1/receipt/"). */
int receipt_topic_check(const char *poll, const char *topic, size_t len, char *why, size_t whylen);


/* receipt_topic_make: writes into buf the receipt topic of the voter
 * whose MQTT client id is client_id: "vote/<poll>/receipt/<client id>".
 * The shipped ACLs (pattern read vote/+/receipt/%c) let only the client
 * connected with that id read it, so the id must be one level: 1 to
 * RECEIPT_REST_MAX bytes of UTF-8 text without '/', '+' or '#'. Returns 0,
 * or -1 with the reason in err. */
int receipt_topic_make(const char *poll, const char *client_id, char *buf, size_t size, char *err,
		       size_t errlen);

#define RECEIPT_COUNTS_MAX 16 /* a receipt carries the counts of a poll with at most this many choices */

/* receipt_to_json: the receipt JSON
 * {"id":..,"poll":..,"status":"counted"|"duplicate"|"rejected","reason":..,"counts":{..},"total":N}
 * for ballot id (NULL or "" when none: then no "id"), with reason only
 * when not NULL or "", and counts and total taken from result_json (a
 * result as result_json makes it; NULL when the poll has none: then
 * neither). Receipts stay small: counts only when the result has at most
 * RECEIPT_COUNTS_MAX choices. Returns a malloc'd string the caller frees
 * with free(), or NULL with err set. */
char *receipt_to_json(const char *id, const char *poll, enum receipt_status status, const char *reason,
		      const char *result_json, char *err, size_t errlen);

/* receipt_parse: reads the receipt payload[0..len) into *out. Returns 0,
 * or -1 with err set when it is not a receipt. */
int receipt_parse(const void *payload, size_t len, struct receipt *out, char *err, size_t errlen);

/* receipt_status_word: "counted", "duplicate" or "rejected". */
const char *receipt_status_word(enum receipt_status status);

#endif
