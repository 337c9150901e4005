/* ballot.h -- a ballot: its JSON wire format, its validation, its id */
#ifndef MQTTVOTE_BALLOT_H
#define MQTTVOTE_BALLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "topic.h"

#define BALLOT_TEXT_MAX 64       /* voter and choice: 1 to 64 bytes */
#define BALLOT_ID_HEX 32         /* an id is 32 hex digits (128 random bits) */
#define BALLOT_PAYLOAD_MAX 4096  /* larger payloads are refused unparsed */
#define BALLOT_TS_MAX 9007199254740991LL /* 2^53 - 1: exact in a JSON number */
#define BALLOT_SIG_B64 88        /* "sig": base64 of a 64-byte Ed25519 signature (sign.h) */

/* One ballot, validated. Strings are NUL-terminated copies. */
struct ballot {
	char poll[TOPIC_POLL_MAX + 1];
	char voter[BALLOT_TEXT_MAX + 1];
	char choice[BALLOT_TEXT_MAX + 1];
	char id[BALLOT_ID_HEX + 1]; /* lower-case hex; "" when has_id is false */
	int64_t ts;                 /* ms since the epoch; 0 when has_ts is false */
	char account[TOPIC_ACCOUNT_MAX + 1]; /* the broker account of its topic (vote/<poll>/by/<account>),
					      * set by the transport, never by ballot_parse; "" when none */
	bool has_id;
	bool has_ts;
	bool has_sig;
	char sig[BALLOT_SIG_B64 + 1]; /* as received (checked for its form only); "" when has_sig is false */
};

/* ballot_text_check: 0 when s (NUL-terminated) is a valid voter or choice:
 * 1 to 64 bytes of UTF-8 with no control character and no invisible format
 * character (Unicode category Cf, utf8_find_format). Otherwise -1, and why
 * (whylen bytes; may be NULL when whylen is 0) gets the reason when it is a
 * rule of its own, "contains an invisible format character U+200B", or ""
 * when the text breaks the general rule (length, UTF-8, control
 * characters), which each caller words for its own input. */
int ballot_text_check(const char *s, char *why, size_t whylen);

/* ballot_text_valid: true when ballot_text_check accepts s. */
bool ballot_text_valid(const char *s);

/* What a ballot's "reply" field asks: where its receipt goes (MQTT
 * 3.1.1 voters, which have no Response Topic). A field that cannot be used
 * costs no vote: the ballot counts and gets no receipt. */
struct ballot_reply {
	char topic[TOPIC_MAX];  /* a receipt topic of the poll; "" when none or unusable */
	char problem[192];      /* why the field cannot be used; "" when it can, or is absent */
};

/* ballot_parse: validates payload[0..len) (not NUL-terminated) received on
 * the ballot topic of poll, and fills *out. Refuses, before parsing, a
 * payload over BALLOT_PAYLOAD_MAX bytes; then anything that is not a JSON
 * object, a missing or invalid "voter" or "choice" (ballot_text_check:
 * "invalid field 'voter': contains an invisible format character U+200B"),
 * an "id" that is not 32 hex digits, a "ts" that is not an integer in
 * [0, 2^53), a "sig" that is not 88 characters of base64 ending "=="
 * (whether it is a valid signature is sign_verify's to say), a "poll"
 * that does not match. Unknown fields are ignored.
 * When reply is not NULL it gets what the "reply" field asks (see struct
 * ballot_reply: a field that is no receipt topic of the poll is no reason
 * to refuse the ballot), read as soon as the payload is a JSON object, so
 * also when a field refuses the ballot (which is then answered there);
 * all "" when the payload is too large or no JSON object. Returns 0, or
 * -1 with a short reason in err ("missing field 'voter'") and *out zeroed
 * but for out->id and out->has_id, kept when the "id" field is valid (the
 * receipt of a refused ballot names it). */
int ballot_parse(const char *poll, const void *payload, size_t len, struct ballot *out,
		 struct ballot_reply *reply, char *err, size_t errlen);

/* ballot_to_json: the JSON of b, as voter publishes it:
 * {"poll":..,"voter":..,"choice":..,"id":..,"ts":..,"sig":..,"reply":..}
 * (id, ts and sig only when present, reply only when not NULL or ""). Returns a
 * malloc'd NUL-terminated string the caller frees with free(), or NULL
 * with the reason in err. */
char *ballot_to_json(const struct ballot *b, const char *reply, char *err, size_t errlen);

/* ballot_new_id: writes a fresh random id (32 lower-case hex digits and a
 * NUL) into id, from getrandom(2). Returns 0, or -1 with the reason in err. */
int ballot_new_id(char id[BALLOT_ID_HEX + 1], char *err, size_t errlen);

#endif
