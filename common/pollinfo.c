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

/* closed: whether d is closed, with its reason into why. */
static bool closed(const struct polldef *d, int64_t now_ms, char *why, size_t size)
{
	char since[64];
	/* closed by hand before its closing time: that time is no "since" */
	int64_t when = d->closed_ms ? d->closed_ms : d->closes_ms <= now_ms ? d->closes_ms : 0;

	if (d->status != POLLDEF_CLOSED)
		return false;
	if (when)
		snprintf(why, size, "%s is closed (since %s): ballot not sent", d->poll,
			 pollinfo_local(when, since, sizeof(since)));
	else
		snprintf(why, size, "%s is closed: ballot not sent", d->poll);
	return true;
}

/* names_refused: the first rule b's names break (d NULL: only a name
 * given twice), into why after POLLINFO_NOT_SENT. */
static bool names_refused(const struct polldef *d, const struct ballot *b, char *why, size_t size)
{
	char choices[POLLINFO_TEXT_MAX];
	size_t i, j;

	for (i = 0; i < b->nnames; i++)
		for (j = 0; j < i; j++)
			if (strcmp(b->names[i], b->names[j]) == 0) {
				snprintf(why, size, POLLINFO_NOT_SENT POLLINFO_RULE_TWICE, b->names[i],
					 b->kind == POLLDEF_RANKED ? "ranked" : "picked");
				return true;
			}
	if (!d)
		return false;
	for (i = 0; i < b->nnames; i++)
		if (!polldef_has_choice(d, b->names[i])) {
			snprintf(why, size, POLLINFO_NOT_SENT POLLINFO_RULE_OFFER, d->poll, b->names[i],
				 pollinfo_choices(d, choices, sizeof(choices)));
			return true;
		}
	if (d->kind == POLLDEF_MULTIPLE && (b->nnames < d->min_picks || b->nnames > d->max_picks)) {
		if (d->min_picks == d->max_picks)
			snprintf(why, size, POLLINFO_NOT_SENT POLLINFO_RULE_PICKS_EXACTLY, d->poll, d->max_picks,
				 d->max_picks == 1 ? "" : "s");
		else
			snprintf(why, size, POLLINFO_NOT_SENT POLLINFO_RULE_PICKS, d->poll, d->min_picks, d->max_picks);
		return true;
	}
	if (d->kind == POLLDEF_RANKED && d->full && b->nnames != d->nchoices) {
		snprintf(why, size, POLLINFO_NOT_SENT POLLINFO_RULE_FULL, d->poll,
			 pollinfo_choices(d, choices, sizeof(choices)));
		return true;
	}
	return false;
}

bool pollinfo_refuses(const struct polldef *d, const struct ballot *b, int64_t now_ms, char *why, size_t size)
{
	static const char *const options[POLLDEF_KINDS] = { "-m", "--pick", "--rank", "--value" };
	char choices[POLLINFO_TEXT_MAX];

	if (d && closed(d, now_ms, why, size))
		return true;
	if (d && d->kind != b->kind) {
		snprintf(why, size, POLLINFO_NOT_SENT POLLINFO_RULE_KIND, d->poll, polldef_kind_word(d->kind),
			 (size_t)d->kind < POLLDEF_KINDS ? options[d->kind] : "?");
		return true;
	}
	if (b->kind == POLLDEF_SINGLE) {
		if (!d || polldef_has_choice(d, b->choice))
			return false;
		snprintf(why, size, "'%s' on %s not sent: %s offers %s", b->choice, d->poll, d->poll,
			 pollinfo_choices(d, choices, sizeof(choices)));
		return true;
	}
	if (b->kind != POLLDEF_SCALE)
		return names_refused(d, b, why, size);
	if (d && (b->value < d->low || b->value > d->high)) {
		snprintf(why, size, POLLINFO_NOT_SENT POLLINFO_RULE_VALUE, d->poll, (long long)d->low,
			 (long long)d->high);
		return true;
	}
	return false;
}
