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

/* scale_range: a scale's values in words, "1 (bad) to 5 (good)", into buf. */
static const char *scale_range(const struct polldef *d, char *buf, size_t size)
{
	char low[BALLOT_TEXT_MAX + 4] = "", high[BALLOT_TEXT_MAX + 4] = "";

	if (d->low_label[0])
		snprintf(low, sizeof(low), " (%s)", d->low_label);
	if (d->high_label[0])
		snprintf(high, sizeof(high), " (%s)", d->high_label);
	snprintf(buf, size, "%lld%s to %lld%s", (long long)d->low, low, (long long)d->high, high);
	return buf;
}

const char *pollinfo_kind(const struct polldef *d, char *buf, size_t size)
{
	char range[2 * BALLOT_TEXT_MAX + 64];

	switch (d->kind) {
	case POLLDEF_MULTIPLE:
		if (d->min_picks == d->max_picks)
			snprintf(buf, size, "multiple, %zu pick%s", d->max_picks, d->max_picks == 1 ? "" : "s");
		else
			snprintf(buf, size, "multiple, %zu to %zu picks", d->min_picks, d->max_picks);
		break;
	case POLLDEF_RANKED:
		if (d->full)
			snprintf(buf, size, "ranked (full)");
		else
			snprintf(buf, size, "ranked (1 to %zu choices)", d->nchoices);
		break;
	case POLLDEF_SCALE:
		snprintf(buf, size, "scale: %s", scale_range(d, range, sizeof(range)));
		break;
	default:
		snprintf(buf, size, "%s", polldef_kind_word(d->kind));
		break;
	}
	return buf;
}

const char *pollinfo_describe(const struct polldef *d, int64_t now_ms, char *buf, size_t size)
{
	char choices[POLLINFO_TEXT_MAX], opens[64], closes[64], closed[64], left[32], tail[96] = "";
	char kind[POLLINFO_TEXT_MAX] = "", what[POLLINFO_TEXT_MAX + 32];

	if (d->closes_ms && d->closes_ms > now_ms && d->status != POLLDEF_CLOSED)
		snprintf(tail, sizeof(tail), " (in %s)", when_format_left(d->closes_ms - now_ms, left, sizeof(left)));
	else if (d->status == POLLDEF_CLOSED && d->closed_ms)
		snprintf(tail, sizeof(tail), " (closed %s)", pollinfo_local(d->closed_ms, closed, sizeof(closed)));
	/* a single poll says what it said before kinds */
	if (d->kind == POLLDEF_SCALE)
		snprintf(what, sizeof(what), "  scale:   %s\n", scale_range(d, kind, sizeof(kind)));
	else if (d->kind != POLLDEF_SINGLE)
		snprintf(what, sizeof(what), "  choices: %s\n  kind:    %s\n", pollinfo_choices(d, choices, sizeof(choices)),
			 pollinfo_kind(d, kind, sizeof(kind)));
	else
		snprintf(what, sizeof(what), "  choices: %s\n", pollinfo_choices(d, choices, sizeof(choices)));
	snprintf(buf, size,
		 "%s: %s\n"
		 "%s"
		 "  status:  %s\n"
		 "  opens:   %s\n"
		 "  closes:  %s%s\n"
		 "  results: %s, revote %s\n",
		 d->poll, d->defined ? d->question : "(no question: opened by its first ballot)",
		 what, polldef_status_word(d->status),
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
