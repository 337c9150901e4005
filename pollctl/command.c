/* command.c -- the organiser's command, from pollctl's options to its JSON */
#include "command.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "polldef.h"
#include "roll.h"

char *command_json(const struct pollctl_opts *o, const char *reply, char *err, size_t errlen)
{
	static const enum polldef_cmd_kind kinds[] = {
		[OPTS_CMD_OPEN] = POLLDEF_CMD_OPEN,
		[OPTS_CMD_CLOSE] = POLLDEF_CMD_CLOSE,
		[OPTS_CMD_LIST] = POLLDEF_CMD_LIST,
		[OPTS_CMD_SHOW] = POLLDEF_CMD_SHOW,
	};
	struct polldef_cmd cmd;
	struct polldef *d = &cmd.def;
	char *abs = NULL;
	size_t i;

	memset(&cmd, 0, sizeof(cmd));
	cmd.kind = kinds[o->command];
	snprintf(d->poll, sizeof(d->poll), "%s", o->poll);
	if (reply)
		snprintf(cmd.reply, sizeof(cmd.reply), "%s", reply);
	if (o->command != OPTS_CMD_OPEN)
		return polldef_cmd_json(&cmd, err, errlen);
	d->defined = true;
	snprintf(d->question, sizeof(d->question), "%s", o->question);
	for (i = 0; i < o->nchoices && i < POLLDEF_CHOICES_MAX; i++)
		snprintf(d->choices[i], sizeof(d->choices[i]), "%s", o->choices[i]);
	d->nchoices = i;
	cmd.has_opens = o->has_opens;
	d->opens_ms = o->opens_ms;
	d->closes_ms = o->closes_ms;
	d->results = o->after_close ? POLLDEF_AFTER_CLOSE : POLLDEF_LIVE;
	d->revote = o->revote;
	d->status = POLLDEF_SCHEDULED;
	d->kind = o->kind;
	d->min_picks = (size_t)o->min_picks;
	d->max_picks = o->max_picks_given ? (size_t)o->max_picks : 0; /* 0: left out, the number of choices */
	d->full = o->full;
	d->low = o->low;
	d->high = o->high;
	snprintf(d->low_label, sizeof(d->low_label), "%s", o->low_label ? o->low_label : "");
	snprintf(d->high_label, sizeof(d->high_label), "%s", o->high_label ? o->high_label : "");
	if (o->roll) {
		/* checked here (every line), and named by its absolute path: the
		 * tallier, on this machine, reads it from its own directory */
		struct roll *r = roll_load(o->roll, err, errlen);

		if (!r)
			return NULL;
		roll_free(r);
		if (!(abs = realpath(o->roll, NULL)) || strlen(abs) > POLLDEF_ROLL_MAX) {
			snprintf(err, errlen, "--roll %s: %s", o->roll, abs ? "path too long" : strerror(errno));
			free(abs);
			return NULL;
		}
		snprintf(d->roll, sizeof(d->roll), "%s", abs);
		free(abs);
	}
	return polldef_cmd_json(&cmd, err, errlen);
}
