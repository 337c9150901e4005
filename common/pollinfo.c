/* pollinfo.c -- a poll's information (vote/<poll>/info) in words, and whether it lets a ballot count */
#include "pollinfo.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "when.h"

const char *pollinfo_local(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, size, "%lld ms since the epoch", (long long)ms);
	return buf;
}

const char *pollinfo_choices(const struct polldef *d, char *buf, size_t size)
{
	size_t used = 0, i;

	snprintf(buf, size, "%s", d->nchoices ? "" : "any");
	for (i = 0; i < d->nchoices && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", d->choices[i]);
	return buf;
}

const char *pollinfo_describe(const struct polldef *d, int64_t now_ms, char *buf, size_t size)
{
	char choices[POLLINFO_TEXT_MAX], opens[64], closes[64], closed[64], left[32], tail[96] = "";

	if (d->closes_ms && d->closes_ms > now_ms && d->status != POLLDEF_CLOSED)
		snprintf(tail, sizeof(tail), " (in %s)", when_format_left(d->closes_ms - now_ms, left, sizeof(left)));
	else if (d->status == POLLDEF_CLOSED && d->closed_ms)
		snprintf(tail, sizeof(tail), " (closed %s)", pollinfo_local(d->closed_ms, closed, sizeof(closed)));
	snprintf(buf, size,
		 "%s: %s\n"
		 "  choices: %s\n"
		 "  status:  %s\n"
		 "  opens:   %s\n"
		 "  closes:  %s%s\n"
		 "  results: %s, revote %s\n",
		 d->poll, d->defined ? d->question : "(no question: opened by its first ballot)",
		 pollinfo_choices(d, choices, sizeof(choices)), polldef_status_word(d->status),
		 d->defined || d->opens_ms > 0 ? pollinfo_local(d->opens_ms, opens, sizeof(opens)) : "at its first ballot",
		 d->closes_ms ? pollinfo_local(d->closes_ms, closes, sizeof(closes)) : "by hand", tail,
		 polldef_results_word(d->results), d->revote ? "yes" : "no");
	return buf;
}

bool pollinfo_refuses(const struct polldef *d, const char *choice, int64_t now_ms, char *why, size_t size)
{
	char choices[POLLINFO_TEXT_MAX], since[64];
	/* closed by hand before its closing time: that time is no "since" */
	int64_t when = d->closed_ms ? d->closed_ms : d->closes_ms <= now_ms ? d->closes_ms : 0;

	if (d->status == POLLDEF_CLOSED) {
		if (when)
			snprintf(why, size, "%s is closed (since %s): ballot not sent", d->poll,
				 pollinfo_local(when, since, sizeof(since)));
		else
			snprintf(why, size, "%s is closed: ballot not sent", d->poll);
		return true;
	}
	if (!polldef_has_choice(d, choice)) {
		snprintf(why, size, "'%s' on %s not sent: %s offers %s", choice, d->poll, d->poll,
			 pollinfo_choices(d, choices, sizeof(choices)));
		return true;
	}
	return false;
}
