/* topic.h -- the topic contract: vote/<poll>, vote/<poll>/by/<account>, vote/<poll>/result, poll names */
#ifndef MQTTVOTE_TOPIC_H
#define MQTTVOTE_TOPIC_H

#include <stdbool.h>
#include <stddef.h>

#define TOPIC_PREFIX "vote/"
#define TOPIC_POLL_MAX 64 /* longest poll name, in characters */
#define TOPIC_MAX 256     /* room for any topic this project builds */
#define TOPIC_ACCOUNT_MAX 64 /* longest account name in vote/<poll>/by/<account>, in bytes */
/* The rule for poll names, in words: the one text every message uses. */
#define TOPIC_POLL_RULE "poll name must be 1 to 64 characters from A-Z a-z 0-9 _ - ."

/* What a topic received under vote/... is. */
enum topic_kind {
	TOPIC_BALLOT,  /* vote/<valid poll>, or vote/<valid poll>/by/<account>: a ballot */
	TOPIC_RESULT,  /* vote/<valid poll>/result: a poll's result */
	TOPIC_OURS,    /* vote/<poll>/receipt/...: a receipt, the tallier's own output, to ignore */
	TOPIC_INVALID, /* anything else: a ballot on it is refused */
};

/* The names a topic holds. */
struct topic_names {
	char poll[TOPIC_POLL_MAX + 1];       /* "" unless TOPIC_BALLOT or TOPIC_RESULT */
	char account[TOPIC_ACCOUNT_MAX + 1]; /* vote/<poll>/by/<account>: the broker account that
					      * alone may publish there (an ACL rule); else "" */
};

/* topic_poll_valid: true when poll[0..len) is a poll name: 1 to 64
 * characters from A-Z a-z 0-9 _ - . (so no '+', '#', '/', '$' or space). */
bool topic_poll_valid(const char *poll, size_t len);

/* topic_classify: classifies topic[0..len) (not NUL-terminated) and fills
 * *names (poll for TOPIC_BALLOT and TOPIC_RESULT; account for a ballot on
 * vote/<poll>/by/<account>, 1 to TOPIC_ACCOUNT_MAX bytes, taken as they
 * are: the check that the ballot's voter is that account compares bytes).
 * For TOPIC_INVALID, err gets the reason ("poll name must be 1 to 64
 * characters from A-Z a-z 0-9 _ - ."). err may be NULL. */
enum topic_kind topic_classify(const char *topic, size_t len, struct topic_names *names, char *err,
			       size_t errlen);

/* topic_account_ballot: writes "vote/<poll>/by/<account>" into buf, the
 * ballot topic of a voter with a broker account (mosquitto-secure.acl lets
 * only that account publish there). Returns 0, or -1 with the reason in err
 * when account is empty, longer than TOPIC_ACCOUNT_MAX bytes, or holds
 * '/', '+', '#' or a control character, or the topic does not fit. */
int topic_account_ballot(const char *poll, const char *account, char *buf, size_t size, char *err,
			 size_t errlen);

/* topic_ballot_poll: for a NUL-terminated topic given by a user (voter -t),
 * copies its poll into poll (TOPIC_POLL_MAX + 1 bytes). Returns 0, or -1
 * with the reason in err when topic is not vote/<valid poll>. */
int topic_ballot_poll(const char *topic, char *poll, char *err, size_t errlen);

/* topic_filter_valid: true when filter is a valid MQTT topic filter
 * ('+' alone in a level, '#' alone in the last level), 1 to 65535 bytes. */
bool topic_filter_valid(const char *filter);

/* topic_result: writes "vote/<poll>/result" into buf. Returns 0, or -1 when
 * it does not fit in size bytes. */
int topic_result(const char *poll, char *buf, size_t size);

#endif
