/* result.h -- a poll's result: the value copied out of the tally, and its JSON published on vote/<poll>/result */
#ifndef MQTTVOTE_RESULT_H
#define MQTTVOTE_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "polldef.h"
#include "tally.h"

struct ranked_result;

/* How a result is shown: its poll's status, and whether the counts per
 * choice are held back (results after the poll closes, while it is open). */
struct result_view {
	const char *status;   /* "open", "closed"...: the "status" field; NULL: none. A string
			       * that outlives the value (polldef_status_word's) */
	bool hide_counts;     /* no "counts" (the total stays), and "results":"after-close" */
	const struct polldef *def; /* the poll's definition, for its kind and parameters (read while
				    * result_value_of runs); NULL: a poll nobody defined, single */
};

/* One choice of a result and its votes. */
struct result_count {
	const char *choice;   /* in the value's text */
	uint64_t votes;
};

/* A poll's result as it shows, copied out of the tally (so that it can be
 * rendered after the tally's lock is released). */
struct result_value {
	const char *poll;             /* in text */
	const char *status;           /* as struct result_view */
	bool hide_counts;             /* as struct result_view: then ncounts is 0 */
	struct result_count *counts;  /* in the tally's result order */
	size_t ncounts;
	uint64_t total, rejected;
	int64_t updated_ms;           /* ms since the epoch */
	uint64_t version;             /* tally_poll_version when copied */
	char *text;                   /* the poll's name and the choices', owned */
	/* the question's kind; for the others than single (whose result
	 * stays as it was): counts are per choice the voters who picked it
	 * (multiple), per value the voters who gave it (scale, each value of
	 * its range, named in decimal); voters is the total */
	enum polldef_kind kind;
	bool has_stats;               /* scale, counts shown, with voters: the three below */
	int64_t mean_milli;           /* scale_stats' */
	int64_t median_halves;
	int grade;
	struct ranked_result *ranked; /* ranked, counts shown: its runoff and Schulze result (owned;
				       * its choice k is counts[k], "counts" its first preferences) */
};

/* result_value_of: fills *out with the result of poll i (< tally_poll_count)
 * of t as view shows it (NULL: no status, counts shown, single), counted
 * by the kind of view->def. Returns 0 (free
 * *out with result_value_free), or -1 with err set when memory runs out
 * (*out then holds nothing to free). */
int result_value_of(const struct tally *t, size_t i, const struct result_view *view, struct result_value *out,
		    char *err, size_t errlen);

/* result_value_free: frees what *r holds (not r), and empties it. */
void result_value_free(struct result_value *r);

/* result_json: the result JSON of r:
 * {"poll":..,"counts":{..},"total":N,"rejected":N,"updated":"<ISO 8601>","status":..},
 * counts in their order; for the other kinds than single, after "poll",
 * "kind":"multiple" or "scale", then "counts", "voters":N and for a scale
 * "mean":"3.250" (thousandths, a string), "median":3.5 (a number),
 * "grade":3 (null the three with no voter; absent with the counts hidden),
 * then "total" and the rest as for a single choice. Returns a malloc'd string the caller frees with
 * free(), or NULL with err set when memory runs out. */
char *result_json(const struct result_value *r, char *err, size_t errlen);

#endif
