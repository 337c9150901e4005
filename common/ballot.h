/* ballot.h -- a ballot: its JSON wire format, its validation, its id */
#ifndef MQTTVOTE_BALLOT_H
#define MQTTVOTE_BALLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pollkind.h"
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
	/* voter and choice are in NFC (ballot_text_norm); these are the texts
	 * as received when they were not, "" otherwise: the signature covers
	 * the bytes the voter sent (sign_message). Set by ballot_parse only. */
	char voter_sent[BALLOT_TEXT_MAX + 1];
	char choice_sent[BALLOT_TEXT_MAX + 1];
	bool has_instance;
	char instance[BALLOT_ID_HEX + 1]; /* the poll instance it was signed for (lower-case hex), as the
					   * ballot says: a hint for the refusal's reason, the tallier
					   * verifies against the poll's own; "" when has_instance is false */
	/* The answer (pollkind.h): "choice" above for a single choice (kind
	 * POLLDEF_SINGLE, 0); else the names of "picks" (multiple) or
	 * "ranking" (ranked, most preferred first), each in NFC under the rules
	 * of a choice and distinct, and as received when that differs (""
	 * otherwise: the signature covers the bytes sent), or "value" (scale).
	 * choice is "" when the kind is not single. */
	enum polldef_kind kind;
	size_t nnames;
	char names[POLLDEF_CHOICES_MAX][BALLOT_TEXT_MAX + 1];
	char names_sent[POLLDEF_CHOICES_MAX][BALLOT_TEXT_MAX + 1];
	int64_t value;                    /* scale: -POLLDEF_SCALE_ABS_MAX to POLLDEF_SCALE_ABS_MAX */
};

/* ballot_text_norm: checks s (NUL-terminated), a voter or choice name as
 * given, and writes its NFC form into out: the rules of
 * textrule_name with at most BALLOT_TEXT_MAX bytes (1 to 64 bytes of UTF-8,
 * no control character, no invisible character, something visible).
 * Returns 0, or -1 with out "" and why (whylen bytes; may be NULL when
 * whylen is 0) set to the reason when it is a rule of its own, "contains
 * an invisible or format character U+200B", or "" when the text breaks the general
 * rule (length, UTF-8, control characters), which each caller words for
 * its own input. Thread-safe. */
int ballot_text_norm(const char *s, char out[BALLOT_TEXT_MAX + 1], char *why, size_t whylen);

/* ballot_text_check: ballot_text_norm without the normal form. */
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
 * object, a missing or invalid "voter", an answer that is not exactly one
 * of "choice", "picks", "ranking" and "value" ("missing field 'choice'"
 * when none, BALLOT_RULE_TWO_ANSWERS when two), an invalid answer
 * (BALLOT_RULE_NAMES, BALLOT_RULE_NAME, BALLOT_RULE_TWICE, BALLOT_RULE_VALUE;
 * "choice" and each name under ballot_text_norm:
 * "invalid field 'voter': contains an invisible or format character U+200B"; both
 * are kept in NFC, and as received in voter_sent and choice_sent when
 * that differs),
 * an "id" or an "instance" that is not 32 hex digits, a "ts" that is not an integer in
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

/* The refusals of a ballot's answer, each spelt here once (docs/contract.md
 * quotes them): two answer fields (the first two of "choice", "picks",
 * "ranking", "value" it has); a list of names of the wrong length (the
 * field, at least, at most: 0 for picks, 1 for ranking, and
 * POLLDEF_CHOICES_MAX); a name that breaks the rules (the field, its
 * place from 1, why); a name given twice; a value that is no integer in
 * range; and an answer of another kind than the poll's (what it takes and
 * the field: ballot_answers). */
#define BALLOT_RULE_TWO_ANSWERS "fields '%s' and '%s' both given: a ballot carries one answer"
#define BALLOT_RULE_NAMES "invalid field '%s': must be a list of %d to %d choices"
#define BALLOT_RULE_NAME "invalid field '%s': choice %zu: %s"
#define BALLOT_RULE_TWICE "invalid field '%s': '%s' given twice"
#define BALLOT_RULE_VALUE "invalid field 'value': must be an integer from -1000000 to 1000000"
#define BALLOT_RULE_KIND "this poll takes %s ('%s')"

/* ballot_answers: whether b answers a question of kind (its answer field
 * is the one kind takes). Returns 0, or -1 with why set:
 * "this poll takes one choice ('choice')", "... picks ('picks')",
 * "... a ranking ('ranking')", "... a value ('value')". */
int ballot_answers(const struct ballot *b, enum polldef_kind kind, char *why, size_t whylen);

/* ballot_to_json: the JSON of b, as voter publishes it:
 * {"poll":..,"voter":..,"choice":..,"id":..,"ts":..,"instance":..,"sig":..,"reply":..}
 * (the answer, "choice", as "picks":[..], "ranking":[..] or "value":N by b's kind)
 * (id, ts, instance and sig only when present, reply only when not NULL or ""). Returns a
 * malloc'd NUL-terminated string the caller frees with free(), or NULL
 * with the reason in err. */
char *ballot_to_json(const struct ballot *b, const char *reply, char *err, size_t errlen);

/* ballot_new_id: writes a fresh random id (32 lower-case hex digits and a
 * NUL) into id, from getrandom(2). Returns 0, or -1 with the reason in err. */
int ballot_new_id(char id[BALLOT_ID_HEX + 1], char *err, size_t errlen);

#endif
