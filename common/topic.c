/* topic.c -- the topic contract: vote/<poll>, vote/<poll>/result, poll names */
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

enum topic_kind topic_classify(const char *topic, size_t len, char *poll, char *err, size_t errlen)
{
	const char *rest;
	size_t restlen, plen;

	poll[0] = '\0';
	if (len < PREFIX_LEN || memcmp(topic, TOPIC_PREFIX, PREFIX_LEN) != 0) {
		set_err(err, errlen, "ballots go to vote/<poll>");
		return TOPIC_INVALID;
	}
	rest = topic + PREFIX_LEN;
	restlen = len - PREFIX_LEN;
	plen = level_len(rest, restlen);
	if (plen < restlen) {
		/* vote/<poll>/result and vote/<poll>/receipt/... are our own output */
		const char *tail = rest + plen;
		size_t taillen = restlen - plen;

		if ((taillen == 7 && memcmp(tail, "/result", 7) == 0) ||
		    (taillen > 9 && memcmp(tail, "/receipt/", 9) == 0))
			return TOPIC_OURS;
		set_err(err, errlen, "ballots go to vote/<poll>, one level below vote/");
		return TOPIC_INVALID;
	}
	if (!topic_poll_valid(rest, plen)) {
		set_err(err, errlen, TOPIC_POLL_RULE);
		return TOPIC_INVALID;
	}
	memcpy(poll, rest, plen);
	poll[plen] = '\0';
	return TOPIC_BALLOT;
}

int topic_ballot_poll(const char *topic, char *poll, char *err, size_t errlen)
{
	char why[96];

	if (topic_classify(topic, strlen(topic), poll, why, sizeof(why)) == TOPIC_BALLOT)
		return 0;
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
