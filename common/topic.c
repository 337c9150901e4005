/* topic.c -- the topic contract: vote/<poll>, vote/<poll>/by/<account>, vote/<poll>/result, poll names */
#include "topic.h"

#include <stdio.h>
#include <string.h>

#define PREFIX_LEN (sizeof(TOPIC_PREFIX) - 1)

static bool poll_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

bool topic_poll_valid(const char *poll, size_t len)
{
	size_t i;

	if (len == 0 || len > TOPIC_POLL_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!poll_char(poll[i]))
			return false;
	return true;
}

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* level_len: length of the first level of s[0..len) (up to the first '/'). */
static size_t level_len(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);

	return slash ? (size_t)(slash - s) : len;
}

/* account_valid: whether a[0..len) can be an account level of a ballot
 * topic: 1 to TOPIC_ACCOUNT_MAX bytes, no '/', '+', '#' or control
 * character (Mosquitto refuses such a name in a %u ACL pattern). */
static bool account_valid(const char *a, size_t len)
{
	size_t i;

	if (len == 0 || len > TOPIC_ACCOUNT_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (a[i] == '/' || a[i] == '+' || a[i] == '#' || (unsigned char)a[i] < 0x20 || a[i] == 0x7f)
			return false;
	return true;
}

#define BY "/by/"
#define BY_LEN (sizeof(BY) - 1)

enum topic_kind topic_classify(const char *topic, size_t len, struct topic_names *names, char *err,
			       size_t errlen)
{
	const char *rest, *tail;
	size_t restlen, plen, taillen;
	bool poll_ok;

	names->poll[0] = '\0';
	names->account[0] = '\0';
	if (len < PREFIX_LEN || memcmp(topic, TOPIC_PREFIX, PREFIX_LEN) != 0) {
		set_err(err, errlen, "ballots go to vote/<poll>");
		return TOPIC_INVALID;
	}
	rest = topic + PREFIX_LEN;
	restlen = len - PREFIX_LEN;
	plen = level_len(rest, restlen);
	tail = rest + plen;
	taillen = restlen - plen;
	poll_ok = topic_poll_valid(rest, plen);
	if (taillen > 9 && memcmp(tail, "/receipt/", 9) == 0)
		return TOPIC_OURS;
	if (taillen == 7 && memcmp(tail, "/result", 7) == 0) {
		if (!poll_ok)
			return TOPIC_OURS; /* no poll of ours has that name: nothing to watch */
		memcpy(names->poll, rest, plen);
		names->poll[plen] = '\0';
		return TOPIC_RESULT;
	}
	if (taillen > BY_LEN && memcmp(tail, BY, BY_LEN) == 0) {
		if (!account_valid(tail + BY_LEN, taillen - BY_LEN)) {
			set_err(err, errlen, "the account in vote/<poll>/by/<account> must be 1 to 64 bytes without "
					     "'/', '+', '#' or control characters");
			return TOPIC_INVALID;
		}
		memcpy(names->account, tail + BY_LEN, taillen - BY_LEN);
		names->account[taillen - BY_LEN] = '\0';
	} else if (taillen > 0) {
		set_err(err, errlen, "ballots go to vote/<poll>, one level below vote/, or vote/<poll>/by/<account>");
		return TOPIC_INVALID;
	}
	if (!poll_ok) {
		names->account[0] = '\0';
		set_err(err, errlen, TOPIC_POLL_RULE);
		return TOPIC_INVALID;
	}
	memcpy(names->poll, rest, plen);
	names->poll[plen] = '\0';
	return TOPIC_BALLOT;
}

int topic_account_ballot(const char *poll, const char *account, char *buf, size_t size, char *err,
			 size_t errlen)
{
	int n;

	if (!account_valid(account, strlen(account))) {
		snprintf(err, errlen, "account name '%s' cannot be in a ballot topic: it must be 1 to %d bytes without "
				      "'/', '+', '#' or control characters", account, TOPIC_ACCOUNT_MAX);
		return -1;
	}
	n = snprintf(buf, size, TOPIC_PREFIX "%s" BY "%s", poll, account);
	if (n < 0 || (size_t)n >= size) {
		snprintf(err, errlen, "ballot topic too long");
		return -1;
	}
	return 0;
}

int topic_ballot_poll(const char *topic, char *poll, char *err, size_t errlen)
{
	struct topic_names names;
	char why[96];

	if (topic_classify(topic, strlen(topic), &names, why, sizeof(why)) == TOPIC_BALLOT && !names.account[0]) {
		memcpy(poll, names.poll, sizeof(names.poll));
		return 0;
	}
	if (strncmp(topic, TOPIC_PREFIX, PREFIX_LEN) != 0 || strchr(topic + PREFIX_LEN, '/'))
		snprintf(err, errlen, "invalid topic '%s': ballots go to vote/<poll>", topic);
	else
		snprintf(err, errlen, "invalid topic '%s': " TOPIC_POLL_RULE, topic);
	poll[0] = '\0';
	return -1;
}

bool topic_filter_valid(const char *filter)
{
	size_t len = strlen(filter), i;

	if (len == 0 || len > 65535)
		return false;
	for (i = 0; i < len; i++) {
		bool starts = i == 0 || filter[i - 1] == '/';
		bool ends = i + 1 == len || filter[i + 1] == '/';

		if (filter[i] == '+' && !(starts && ends))
			return false;
		if (filter[i] == '#' && !(starts && i + 1 == len))
			return false;
	}
	return true;
}

int topic_result(const char *poll, char *buf, size_t size)
{
	int n = snprintf(buf, size, TOPIC_PREFIX "%s/result", poll);

	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}
