/* commands.c -- the organiser's commands (open, close, show, list), already parsed by the transport, run on the core */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreint.h"
#include "log.h"
#include "vtime.h"

/* same_rules: whether d's choices, revote rule and its kind's parameters
 * (picks, full rule, range; not the labels) are those poll i counts by now
 * (cur, its definition, or the tallier's own rules). */
static bool same_rules(const struct core *c, const struct polldef *cur, const struct polldef *d, char *why,
		       size_t size)
{
	const char *const *have = NULL;
	const char *list[POLLDEF_CHOICES_MAX];
	size_t n, k;
	bool revote;

	if (cur && cur->nchoices) {
		for (k = 0; k < cur->nchoices; k++)
			list[k] = cur->choices[k];
		have = list;
		n = cur->nchoices;
	} else {
		have = c->rules.choices;
		n = c->rules.nchoices;
	}
	revote = cur ? cur->revote : c->revote;
	for (k = 0; n == d->nchoices && k < n; k++)
		if (strcmp(have[k], d->choices[k]) != 0)
			break;
	if (n != d->nchoices || k < n) {
		snprintf(why, size, "%s already has ballots: its choices cannot change", d->poll);
		return false;
	}
	if (revote != d->revote) {
		snprintf(why, size, "%s already has ballots: its revote rule cannot change", d->poll);
		return false;
	}
	/* what the kind's ballots were checked against (the kind itself: cmd_open) */
	if (cur && (cur->min_picks != d->min_picks || cur->max_picks != d->max_picks || cur->full != d->full ||
		    cur->low != d->low || cur->high != d->high)) {
		snprintf(why, size, "%s already has ballots: its %s cannot change", d->poll,
			 d->kind == POLLDEF_SCALE ? "range" : d->kind == POLLDEF_RANKED ? "full rule" : "picks");
		return false;
	}
	return true;
}

/* instance_for: d->instance: poll i's (i < 0: no such poll yet), or a new
 * one when it has none: made when the poll comes to exist, stored with its
 * definition (store_save_def), never changed. Under c->lock. Returns 0, or
 * -1 with why set. */
static int instance_for(const struct core *c, long i, struct polldef *d, char *why, size_t size)
{
	core_assert_locked(c);
	if (i >= 0 && (size_t)i < c->ncommitting && c->instances[i][0]) {
		snprintf(d->instance, sizeof(d->instance), "%s", c->instances[i]);
		return 0;
	}
	return ballot_new_id(d->instance, why, size);
}

/* cmd_open: defines (or redefines) a poll. roll is the roll file the
 * command names, read before the lock was taken (NULL when it names none,
 * or when it could not be read: then roll_err says why); cmd_open owns it.
 * Under c->lock. Returns the poll's number, or -1 with why set (a refusal,
 * or, with *failed, the store failed). */
static long cmd_open(struct core *c, struct polldef_cmd *cmd, struct roll *roll, const char *roll_err, int64_t now,
		     bool *failed, char *why, size_t size)
{
	struct polldef *d = &cmd->def, *put;
	const struct polldef *cur = polls_get(c->polls, d->poll);
	long i = tally_poll_find(c->tally, d->poll), rc = -1;

	core_assert_locked(c);
	/* a poll's kind is fixed when it comes to exist: by its first open, or
	 * by its first ballot (then single) */
	if ((cur || (i >= 0 && tally_poll_total(c->tally, (size_t)i) > 0)) &&
	    (cur ? cur->kind : POLLDEF_SINGLE) != d->kind) {
		snprintf(why, size, "poll %s is a %s poll", d->poll, polldef_kind_word(cur ? cur->kind : POLLDEF_SINGLE));
		goto out;
	}
	if (cur && polls_status(cur, now) == POLLDEF_CLOSED) {
		snprintf(why, size, "%s is closed: a closed poll never opens again", d->poll);
		goto out;
	}
	if (i >= 0 && tally_poll_total(c->tally, (size_t)i) > 0 && !same_rules(c, cur, d, why, size))
		goto out;
	if (i >= 0 && tally_poll_total(c->tally, (size_t)i) > 0 && strcmp(cur ? cur->roll : "", d->roll) != 0) {
		snprintf(why, size, "%s already has ballots: its roll cannot change", d->poll);
		goto out;
	}
	/* read once per command, before the lock: a roll that cannot be used is refused */
	if (d->roll[0] && !roll) {
		snprintf(why, size, "cannot read the roll of %s: %s", d->poll, roll_err);
		goto out;
	}
	if (!cmd->has_opens)
		d->opens_ms = cur && cur->opens_ms <= now ? cur->opens_ms : now;
	d->status = POLLDEF_OPEN;
	d->status = polls_status(d, now);
	if (d->status == POLLDEF_CLOSED) {
		snprintf(why, size, "its closing time has passed");
		goto out;
	}
	*failed = true; /* from here on, a failure is the store's or memory's */
	if (instance_for(c, i, d, why, size) != 0 || core_commit_def(c, d, why, size) != 0 ||
	    !(put = polls_put(c->polls, d)))
		goto out;
	if (roll) {
		struct roll *given = roll;

		roll = NULL; /* p's now, whatever polls_set_roll returns */
		if (polls_set_roll(c->polls, put, given, why, size) != 0)
			goto out;
	}
	if ((i = core_announce(c, d, now, why, size)) < 0)
		goto out;
	*failed = false;
	rc = i;
out:
	roll_free(roll);
	return rc;
}

/* cmd_close: closes a poll by hand, now. Under c->lock. Returns the
 * poll's number, or -1 with why set (as cmd_open). */
static long cmd_close(struct core *c, const char *poll, int64_t now, bool *failed, char *why, size_t size)
{
	const struct polldef *cur = polls_get(c->polls, poll);
	long i = tally_poll_find(c->tally, poll);
	struct polldef d;

	core_assert_locked(c);
	if (i < 0) {
		snprintf(why, size, "no poll '%s'", poll);
		return -1;
	}
	if (cur && polls_status(cur, now) == POLLDEF_CLOSED)
		return i; /* closed already: the same answer again */
	core_info_of(c, (size_t)i, now, &d);
	d.status = POLLDEF_CLOSED;
	d.closed_ms = now;
	if (!cur)
		d.opens_ms = 0;
	if (instance_for(c, i, &d, why, size) != 0 || core_commit_def(c, &d, why, size) != 0 ||
	    !polls_put(c->polls, &d)) {
		*failed = true;
		return -1;
	}
	if ((i = core_announce(c, &d, now, why, size)) < 0)
		*failed = true;
	else if (!c->quiet)
		log_line("poll %s closed by the organiser", poll);
	return i;
}

static int cmp_poll_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* cmd_list: every poll's information, ordered by name, into a->list.
 * Under c->lock. Returns 0, or -1 when memory runs out. */
static int cmd_list(struct core *c, int64_t now, struct command_answer *a)
{
	size_t n = tally_poll_count(c->tally), k;
	const char **names = calloc(n ? n : 1, sizeof(*names));
	int rc = -1;

	core_assert_locked(c);
	a->list = n ? calloc(n, sizeof(*a->list)) : NULL;
	if (!names || (n && !a->list))
		goto out;
	for (k = 0; k < n; k++)
		names[k] = tally_poll_name(c->tally, k);
	qsort(names, n, sizeof(*names), cmp_poll_name);
	for (k = 0; k < n; k++)
		core_info_of(c, (size_t)tally_poll_find(c->tally, names[k]), now, &a->list[k]);
	a->nlist = n;
	rc = 0;
out:
	free(names);
	return rc;
}

void command_answer_free(struct command_answer *a)
{
	if (a->result)
		result_value_free(a->result);
	free(a->result);
	free(a->list);
	a->result = NULL;
	a->list = NULL;
	a->nlist = 0;
}

enum core_rc core_command(struct core *c, const struct polldef_cmd *command, struct command_answer *answer)
{
	struct polldef_cmd cmd = *command; /* cmd_open completes its definition */
	struct roll *roll = NULL;
	char why[256] = "", err[256] = "", roll_err[256] = "";
	int64_t now;
	bool failed = false;
	long i = -1;
	int wake = 0;

	memset(answer, 0, sizeof(*answer));
	/* the roll is read here, without the lock: counting goes on meanwhile
	 * (roll_load takes only a regular file of bounded size) */
	if (cmd.kind == POLLDEF_CMD_OPEN && cmd.def.roll[0])
		roll = roll_load(cmd.def.roll, roll_err, sizeof(roll_err));
	now = vtime_now_ms();
	core_lock(c);
	if (c->failed || core_transitions(c, now, why, sizeof(why)) < 0) {
		core_unlock(c);
		roll_free(roll);
		return CORE_FAILED;
	}
	switch (cmd.kind) {
	case POLLDEF_CMD_OPEN:
		i = cmd_open(c, &cmd, roll, roll_err, now, &failed, why, sizeof(why));
		break;
	case POLLDEF_CMD_CLOSE:
		i = cmd_close(c, cmd.def.poll, now, &failed, why, sizeof(why));
		break;
	case POLLDEF_CMD_SHOW:
		i = tally_poll_find(c->tally, cmd.def.poll);
		if (i < 0)
			snprintf(why, sizeof(why), "no poll '%s'", cmd.def.poll);
		break;
	case POLLDEF_CMD_LIST:
		/* out of memory is said, not silence */
		answer->is_list = answer->ok = cmd_list(c, now, answer) == 0;
		if (!answer->ok)
			snprintf(answer->error, sizeof(answer->error), "out of memory");
		break;
	}
	if (cmd.kind == POLLDEF_CMD_OPEN || cmd.kind == POLLDEF_CMD_CLOSE)
		c->next_change_ms = INT64_MIN; /* a definition may have changed: look again */
	if (failed) {
		core_unlock(c);
		return CORE_FAILED;
	}
	if (i >= 0) {
		if (!core_settle(c, (size_t)i)) {
			core_unlock(c);
			return CORE_FAILED;
		}
		answer->ok = answer->has_info = true;
		core_info_of(c, (size_t)i, now, &answer->info);
		if (cmd.kind == POLLDEF_CMD_SHOW) /* out of memory: answered without it */
			answer->result = core_value_new(c, (size_t)i, now, err, sizeof(err));
		if (cmd.kind != POLLDEF_CMD_SHOW)
			wake = core_scheduled(c, (size_t)i);
	} else if (cmd.kind != POLLDEF_CMD_LIST) {
		if (!c->quiet)
			log_line("refused the organiser's %s of %s: %s", cmd.kind == POLLDEF_CMD_OPEN ? "opening" : "command",
				 cmd.def.poll, why);
		snprintf(answer->error, sizeof(answer->error), "%s", why);
	}
	core_unlock(c);
	/* a definition that changed: the clock (clock.c) looks again */
	if ((wake > 0 || cmd.kind == POLLDEF_CMD_OPEN || cmd.kind == POLLDEF_CMD_CLOSE) && c->wake)
		c->wake(c->wake_arg);
	if (!c->quiet && cmd.kind == POLLDEF_CMD_OPEN && i >= 0)
		log_line("poll %s defined by the organiser: %s", cmd.def.poll, polldef_status_word(cmd.def.status));
	return CORE_OK;
}
