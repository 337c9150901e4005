/* test_core_limits.c -- unit tests of the tallier core's issue-10 rules: a refusal creates no poll,
 * --max-polls, --max-choices, --max-skew, a "reply" that costs no vote, a database deleted or replaced */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ballot.h"
#include "commands.h"
#include "core.h"
#include "receipt.h"
#include "testkit.h"
#include "vtime.h"

/* These tests use core_config's max_polls, max_choices and max_skew_ms
 * and verdict.answer, which came with 0d40e6c: the file cannot be built
 * on the code before it. What each test checks that the code before did
 * otherwise is said above the test ("Before: ..."). */

#define ID_A "0123456789abcdef0123456789abcdef"
#define R16 "abcdefghijklmnop"
#define R128 R16 R16 R16 R16 R16 R16 R16 R16 /* the longest rest of a receipt topic */
#define HOUR_MS 3600000LL
#define SKEW_MS 300000LL /* --max-skew 300, the default before issue 19 */
/* what a ts reason tells the voter to do */
#define TS_ADVICE ": the voter's clock is fast or the tallier's slow; set the wrong one right and vote again"
#define TOO_MANY_POLLS_3 \
	"too many polls nobody defined: this tallier keeps at most 3 (--max-polls); the organiser can define the " \
	"poll with pollctl open"
#define TOO_MANY_CHOICES_2 \
	"too many choices on this poll: at most 2 (--max-choices); the organiser can define the poll's choices " \
	"with pollctl open"

static const char *const yes_no[] = { "yes", "no" };

/* The limits a core opens with, the tallier's defaults unless a test says. */
struct limits {
	size_t max_polls, max_choices;
	int64_t max_skew_ms;
};

static const struct limits defaults = { 1000, 64, SKEW_MS };

/* open_core: a core on db (quiet) with these rules and limits, which must open. */
static struct core *open_core(const char *db, const char *const *choices, size_t nchoices, struct limits l)
{
	struct core_config cfg = { .db = db, .choices = choices, .nchoices = nchoices, .revote = true,
				   .max_polls = l.max_polls, .max_choices = l.max_choices,
				   .max_skew_ms = l.max_skew_ms, .quiet = true };
	char err[512] = "";
	struct core *c = core_open(&cfg, err, sizeof(err));

	if (!c)
		fail_msg("core_open %s: %s", db, err);
	return c;
}

/* feed: core_ballot of the text json on poll; the caller frees *v. */
static enum core_rc feed(struct core *c, const char *poll, const char *json, bool want_result, struct verdict *v)
{
	struct core_input in = { poll, json, strlen(json), "", want_result, NULL };

	return core_ballot(c, &in, v);
}

/* ballot_text: a ballot's JSON; ts < 0 for none, reply NULL for none. */
static void ballot_text(char *buf, size_t size, const char *voter, const char *choice, int64_t ts,
			const char *reply)
{
	int n = snprintf(buf, size, "{\"voter\":\"%s\",\"choice\":\"%s\"", voter, choice);

	if (ts >= 0)
		n += snprintf(buf + n, size - (size_t)n, ",\"ts\":%" PRId64, ts);
	if (reply)
		n += snprintf(buf + n, size - (size_t)n, ",\"reply\":\"%s\"", reply);
	assert_true(n > 0 && (size_t)n + 2 <= size);
	snprintf(buf + n, size - (size_t)n, "}");
}

/* expect: feeds json on poll, which must return CORE_OK with this status
 * and reason (NULL: any reason). */
static void expect(struct core *c, const char *poll, const char *json, enum receipt_status status,
		   const char *reason)
{
	struct verdict v;
	enum core_rc rc = feed(c, poll, json, false, &v);

	if (rc != CORE_OK)
		fail_msg("core_ballot %s on %s: %d, expected CORE_OK", json, poll, (int)rc);
	if (v.status != status || (reason && strcmp(v.reason, reason) != 0))
		fail_msg("%s on %s: %s \"%s\", expected %s \"%s\"", json, poll, receipt_status_word(v.status),
			 v.reason, receipt_status_word(status), reason ? reason : "(any)");
	verdict_free(&v);
}

/* vote: expect of a plain ballot (no ts, no reply). */
static void vote(struct core *c, const char *poll, const char *voter, const char *choice, enum receipt_status status,
		 const char *reason)
{
	char json[512];

	ballot_text(json, sizeof(json), voter, choice, -1, NULL);
	expect(c, poll, json, status, reason);
}

/* summary: poll's result as "yes=1,no=0 total=1 rejected=0". */
static void summary(struct core *c, const char *poll, char *buf, size_t size)
{
	char err[256] = "", keys[1024];
	char *json = render_result(c, poll, err, sizeof(err));
	cJSON *root;

	if (!json)
		fail_msg("render_result %s: %s", poll, err);
	root = cJSON_Parse(json);
	if (!root)
		fail_msg("result of %s is not JSON: %s", poll, json);
	counts_keys(root, keys, sizeof(keys));
	snprintf(buf, size, "%s total=%g rejected=%g", keys,
		 cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "total")),
		 cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "rejected")));
	cJSON_Delete(root);
	free(json);
}

static void assert_summary(struct core *c, const char *poll, const char *want)
{
	char got[1200];

	summary(c, poll, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("poll %s: %s, expected %s", poll, got, want);
}

/* assert_no_poll: render_result says the poll does not exist. */
static void assert_no_poll(struct core *c, const char *poll)
{
	char err[256] = "", want[128];
	char *json = render_result(c, poll, err, sizeof(err));

	if (json)
		fail_msg("poll %s has a result: %s", poll, json);
	snprintf(want, sizeof(want), "no poll '%s'", poll);
	assert_string_equal(err, want);
}

/* due_polls: takes every result due an hour after the last call (past
 * any coalescing interval since the last publication: the monotonic times
 * the core is given only go forward), marks each published, and writes
 * their topics, in order, joined by ' ' into buf. Then nothing is pending. */
static void due_polls(struct core *c, char *buf, size_t size)
{
	static int64_t clock_ms;
	struct due_result d;
	int64_t wake = 0;
	size_t used = 0;

	if (clock_ms < vtime_mono_ms())
		clock_ms = vtime_mono_ms();
	clock_ms += HOUR_MS;
	buf[0] = '\0';
	while (core_next_result(c, clock_ms, &d, &wake) == 1) {
		if (!strstr(d.topic, "/info")) /* the results; each poll's information goes out too */
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " " : "", d.topic);
		assert_true(used < size);
		core_result_done(c, d.slot, d.version, true);
		due_result_free(&d);
	}
	assert_int_equal(wake, INT64_MAX);
	assert_int_equal(core_results_pending(c), 0);
}

/* ---- a refusal never creates a poll ---- */

/* Before: each refusal created its poll, counted in its rejected, and
 * scheduled its result: core_result_json gave
 * {"counts":{"yes":0,"no":0},"total":0,"rejected":3,..} and
 * vote/x/result became due (issue 10: 100,000 polls of garbage). */
static void core_ballot_should_create_no_poll_for_refused_ballots(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, yes_no, 2, defaults);
	char json[512], due[256];
	struct verdict v;

	expect(c, "x", "not json", RECEIPT_REJECTED, "malformed JSON");
	expect(c, "x", "{\"choice\":\"yes\"}", RECEIPT_REJECTED, "missing field 'voter'");
	vote(c, "x", "bob", "maybe", RECEIPT_REJECTED, "unknown choice 'maybe'");
	ballot_text(json, sizeof(json), "bob", "yes", vtime_now_ms() + HOUR_MS + 500, NULL);
	expect(c, "x", json, RECEIPT_REJECTED, NULL);
	assert_no_poll(c, "x");
	due_polls(c, due, sizeof(due));
	assert_string_equal(due, "");
	/* a receipt asked for: the verdict says so, with no result to give */
	assert_int_equal(feed(c, "x", "[]", true, &v), CORE_OK);
	assert_int_equal(v.status, RECEIPT_REJECTED);
	assert_string_equal(v.reason, "not a JSON object");
	assert_true(v.answer);
	assert_null(v.result);
	verdict_free(&v);
	assert_no_poll(c, "x");
	/* nothing was stored: a core reopened on the database has no poll x either */
	core_free(c);
	c = open_core(f->db, yes_no, 2, defaults);
	assert_no_poll(c, "x");
	due_polls(c, due, sizeof(due));
	assert_string_equal(due, "");
	core_free(c);
}

/* Before: the poll held rejected=2 before its first valid ballot (the
 * two refusals that came first), so the first summary said rejected=2. */
static void core_ballot_should_count_refusals_in_rejected_once_the_poll_exists(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, yes_no, 2, defaults);
	struct verdict v;
	char due[256];

	expect(c, "x", "garbage", RECEIPT_REJECTED, "malformed JSON");
	vote(c, "x", "bob", "maybe", RECEIPT_REJECTED, "unknown choice 'maybe'");
	vote(c, "x", "alice", "yes", RECEIPT_COUNTED, "");
	assert_summary(c, "x", "yes=1,no=0 total=1 rejected=0");
	due_polls(c, due, sizeof(due));
	assert_string_equal(due, "vote/x/result");
	/* from now on a refusal counts, once each, and makes the result due */
	expect(c, "x", "garbage", RECEIPT_REJECTED, "malformed JSON");
	vote(c, "x", "bob", "maybe", RECEIPT_REJECTED, "unknown choice 'maybe'");
	assert_summary(c, "x", "yes=1,no=0 total=1 rejected=2");
	due_polls(c, due, sizeof(due));
	assert_string_equal(due, "vote/x/result");
	/* and its receipt carries the poll's result */
	assert_int_equal(feed(c, "x", "[]", true, &v), CORE_OK);
	assert_int_equal(v.status, RECEIPT_REJECTED);
	assert_non_null(v.result);
	assert_true(value_has(v.result, "\"rejected\":3"));
	verdict_free(&v);
	/* stored: the same after a restart */
	core_free(c);
	c = open_core(f->db, yes_no, 2, defaults);
	assert_summary(c, "x", "yes=1,no=0 total=1 rejected=3");
	core_free(c);
}

/* ---- --max-polls ---- */

/* Before: no limit; poll p4 was created and its ballot counted. */
static void core_ballot_should_refuse_a_ballot_for_one_poll_past_max_polls(void **state)
{
	struct fixture *f = *state;
	struct limits l = defaults;
	struct core *c;
	char due[256];

	l.max_polls = 3;
	c = open_core(f->db, NULL, 0, l);
	vote(c, "p1", "a", "yes", RECEIPT_COUNTED, "");
	vote(c, "p2", "a", "yes", RECEIPT_COUNTED, "");
	vote(c, "p3", "a", "yes", RECEIPT_COUNTED, "");
	vote(c, "p4", "a", "yes", RECEIPT_REJECTED, TOO_MANY_POLLS_3);
	vote(c, "p4", "b", "no", RECEIPT_REJECTED, TOO_MANY_POLLS_3);
	expect(c, "p4", "garbage", RECEIPT_REJECTED, "malformed JSON");
	assert_no_poll(c, "p4");
	/* the polls that exist still count: new voters, new choices, revotes */
	vote(c, "p1", "b", "no", RECEIPT_COUNTED, "");
	vote(c, "p3", "a", "no", RECEIPT_COUNTED, "");
	assert_summary(c, "p1", "no=1,yes=1 total=2 rejected=0");
	assert_summary(c, "p3", "no=1 total=1 rejected=0");
	due_polls(c, due, sizeof(due));
	assert_string_equal(due, "vote/p1/result vote/p2/result vote/p3/result");
	core_free(c);
	/* the limit holds for the polls reloaded at start */
	c = open_core(f->db, NULL, 0, l);
	vote(c, "p5", "a", "yes", RECEIPT_REJECTED, TOO_MANY_POLLS_3);
	vote(c, "p2", "b", "yes", RECEIPT_COUNTED, "");
	assert_no_poll(c, "p5");
	core_free(c);
}

/* command: core_command of the text json, which must be answered with
 * "ok" as ok (and, when refused, error as its "error"). */
static void command(struct core *c, const char *json, bool ok, const char *error)
{
	char *answer = NULL;
	cJSON *root;

	assert_int_equal(run_command(c, json, &answer), CORE_OK);
	assert_non_null(answer);
	root = cJSON_Parse(answer);
	if (!root)
		fail_msg("answer to %s is not JSON: %s", json, answer);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "ok")) != ok)
		fail_msg("%s answered %s", json, answer);
	if (error)
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "error")), error);
	cJSON_Delete(root);
	free(answer);
}

#define OPEN(poll) "{\"cmd\":\"open\",\"poll\":\"" poll "\",\"question\":\"Lunch?\",\"choices\":[\"yes\",\"no\",\"later\"]}"

/* Issue 19, item 6. Before: "pollctl open q1" was refused with "too many
 * polls: this tallier keeps at most 3 (--max-polls)" once strangers' ballots
 * had made up 3 poll names, and so were ballots on q1. Now --max-polls
 * bounds only the polls nobody defined. */
static void core_command_should_open_a_poll_whatever_polls_strangers_made_up(void **state)
{
	struct fixture *f = *state;
	struct limits l = defaults;
	struct core *c;

	l.max_polls = 3;
	l.max_choices = 2;
	c = open_core(f->db, NULL, 0, l);
	vote(c, "junk1", "x", "a", RECEIPT_COUNTED, "");
	vote(c, "junk2", "x", "a", RECEIPT_COUNTED, "");
	vote(c, "junk3", "x", "a", RECEIPT_COUNTED, "");
	command(c, OPEN("q1"), true, NULL);
	command(c, OPEN("q2"), true, NULL);
	/* a defined poll takes its own choices, all three, past --max-choices 2 */
	vote(c, "q1", "ann", "yes", RECEIPT_COUNTED, "");
	vote(c, "q1", "bob", "no", RECEIPT_COUNTED, "");
	vote(c, "q1", "cat", "later", RECEIPT_COUNTED, "");
	vote(c, "q2", "ann", "no", RECEIPT_COUNTED, "");
	assert_summary(c, "q1", "yes=1,no=1,later=1 total=3 rejected=0");
	assert_summary(c, "q2", "yes=0,no=1,later=0 total=1 rejected=0");
	/* the defined polls take no room from the undefined ones: still 3 of them */
	vote(c, "junk4", "x", "a", RECEIPT_REJECTED, TOO_MANY_POLLS_3);
	assert_no_poll(c, "junk4");
	core_free(c);
	/* and the same after a restart */
	c = open_core(f->db, NULL, 0, l);
	command(c, OPEN("q3"), true, NULL);
	vote(c, "q3", "ann", "later", RECEIPT_COUNTED, "");
	vote(c, "junk5", "x", "a", RECEIPT_REJECTED, TOO_MANY_POLLS_3);
	assert_summary(c, "q1", "yes=1,no=1,later=1 total=3 rejected=0");
	core_free(c);
}

/* ---- --max-choices ---- */

/* Before: no limit; "maybe" became the poll's third choice. */
static void core_ballot_should_refuse_a_new_choice_past_max_choices(void **state)
{
	struct fixture *f = *state;
	struct limits l = defaults;
	struct core *c;

	l.max_choices = 2;
	c = open_core(f->db, NULL, 0, l);
	vote(c, "p1", "a", "yes", RECEIPT_COUNTED, "");
	vote(c, "p1", "b", "no", RECEIPT_COUNTED, "");
	vote(c, "p1", "c", "maybe", RECEIPT_REJECTED, TOO_MANY_CHOICES_2);
	/* a voter moving to a new choice is refused, the held vote stands */
	vote(c, "p1", "a", "maybe", RECEIPT_REJECTED, TOO_MANY_CHOICES_2);
	/* an existing choice still counts, for a new voter and a revote */
	vote(c, "p1", "c", "yes", RECEIPT_COUNTED, "");
	vote(c, "p1", "b", "yes", RECEIPT_COUNTED, "");
	assert_summary(c, "p1", "yes=3 total=3 rejected=2"); /* without --choices a choice at 0 is not shown */
	/* a choice whose votes all moved away is still one of the poll's */
	vote(c, "p1", "d", "no", RECEIPT_COUNTED, "");
	/* the limit is per poll */
	vote(c, "p2", "a", "maybe", RECEIPT_COUNTED, "");
	vote(c, "p2", "b", "other", RECEIPT_COUNTED, "");
	vote(c, "p2", "c", "third", RECEIPT_REJECTED, TOO_MANY_CHOICES_2);
	assert_summary(c, "p2", "maybe=1,other=1 total=2 rejected=1");
	core_free(c);
}

/* ---- --max-skew ---- */

/* The ts are the real clock's (vtime_now_ms, as the core reads it); the
 * refused one is an hour and 500 ms ahead, so that the whole seconds in
 * the reason, rounded up, are 3601 however long the core takes to read its
 * clock (under 500 ms). Before: the ballot an hour ahead was counted, and the
 * voter's honest ballot after it was older than the one held: not
 * counted ("pins the vote", issue 10). */
static void core_ballot_should_refuse_a_ts_too_far_ahead_and_count_the_voters_next_ballot(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, yes_no, 2, defaults);
	char json[512];

	ballot_text(json, sizeof(json), "bob", "yes", vtime_now_ms() + HOUR_MS + 500, NULL);
	expect(c, "p1", json, RECEIPT_REJECTED,
	       "ts is 3601 s ahead of the tallier's clock (at most 300 s)" TS_ADVICE);
	ballot_text(json, sizeof(json), "bob", "no", vtime_now_ms(), NULL);
	expect(c, "p1", json, RECEIPT_COUNTED, "");
	/* within the skew: counted, and it is the voter's newest */
	ballot_text(json, sizeof(json), "alice", "yes", vtime_now_ms() + 60000, NULL);
	expect(c, "p1", json, RECEIPT_COUNTED, "");
	ballot_text(json, sizeof(json), "alice", "no", vtime_now_ms(), NULL);
	expect(c, "p1", json, RECEIPT_DUPLICATE, NULL);
	assert_summary(c, "p1", "yes=1,no=1 total=2 rejected=0");
	core_free(c);
}

static void core_ballot_should_take_its_skew_from_the_config(void **state)
{
	struct fixture *f = *state;
	struct limits l = defaults;
	struct core *c;
	char json[512];

	/* --max-skew 7200: an hour ahead passes */
	l.max_skew_ms = 2 * HOUR_MS;
	c = open_core(f->db, yes_no, 2, l);
	ballot_text(json, sizeof(json), "bob", "yes", vtime_now_ms() + HOUR_MS, NULL);
	expect(c, "p1", json, RECEIPT_COUNTED, "");
	core_free(c);
	/* --max-skew 60: two minutes ahead does not */
	l.max_skew_ms = 60000;
	c = open_core(f->db, yes_no, 2, l);
	ballot_text(json, sizeof(json), "carol", "yes", vtime_now_ms() + 120500, NULL);
	expect(c, "p1", json, RECEIPT_REJECTED,
	       "ts is 121 s ahead of the tallier's clock (at most 60 s)" TS_ADVICE);
	/* the ballot stored an hour ahead was reloaded (CHECK_RELOAD): it counts */
	assert_summary(c, "p1", "yes=1,no=0 total=1 rejected=1");
	core_free(c);
}

/* Issue 19, item 11: with the default bound (--max-skew 5), a ballot in
 * alice's name 290 s ahead is refused and her revote counts; one within
 * the bound holds her vote a few seconds at most; a ballot queued for a
 * day (ts far in the past) still counts. Before, with the default of 300
 * s, the ballot 290 s ahead was counted and her revote was "a later
 * ballot of this voter counts" for almost five minutes. */
static void core_ballot_should_let_a_forged_ts_ahead_pin_a_vote_for_seconds_at_most(void **state)
{
	struct fixture *f = *state;
	struct limits l = defaults;
	struct core *c;
	char json[512];
	int64_t now = vtime_now_ms();

	l.max_skew_ms = 5000; /* the tallier's default (common/options.c) */
	c = open_core(f->db, yes_no, 2, l);
	ballot_text(json, sizeof(json), "alice", "yes", now - 86400000, NULL); /* queued a day ago */
	expect(c, "p1", json, RECEIPT_COUNTED, "");
	ballot_text(json, sizeof(json), "alice", "no", vtime_now_ms() + 290000, NULL);
	expect(c, "p1", json, RECEIPT_REJECTED, NULL);
	ballot_text(json, sizeof(json), "alice", "no", vtime_now_ms(), NULL);
	expect(c, "p1", json, RECEIPT_COUNTED, "");
	/* within the bound: held, and her ballot of now is older, for those seconds only */
	now = vtime_now_ms();
	ballot_text(json, sizeof(json), "alice", "yes", now + 4000, NULL);
	expect(c, "p1", json, RECEIPT_COUNTED, "");
	ballot_text(json, sizeof(json), "alice", "no", now, NULL);
	expect(c, "p1", json, RECEIPT_DUPLICATE, "a later ballot of this voter counts");
	ballot_text(json, sizeof(json), "alice", "no", now + 4001, NULL); /* her clock past the forged ts */
	expect(c, "p1", json, RECEIPT_COUNTED, "");
	assert_summary(c, "p1", "yes=0,no=1 total=1 rejected=1");
	core_free(c);
}

/* ---- a "reply" that cannot be used costs no vote ---- */

/* Before: each of these ballots was rejected, "invalid field 'reply':
 * must be a topic under vote/p1/receipt/". */
static void core_ballot_should_count_a_ballot_whose_reply_cannot_be_used(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, yes_no, 2, defaults);
	static const char *const bad[] = { "vote/p1/receipt/" R128 "x", "vote/p2/receipt/x", "elsewhere",
					   "vote/p1/receipt/+" };
	static const char *const voters[] = { "a", "b", "c", "d" };
	char json[512];
	size_t k;

	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct verdict v;

		ballot_text(json, sizeof(json), voters[k], "yes", -1, bad[k]);
		assert_int_equal(feed(c, "p1", json, false, &v), CORE_OK);
		if (v.status != RECEIPT_COUNTED)
			fail_msg("reply '%s': %s \"%s\", expected counted", bad[k], receipt_status_word(v.status),
				 v.reason);
		assert_string_equal(v.reply, "");
		assert_false(v.answer);
		assert_null(v.result);
		verdict_free(&v);
	}
	/* a reply that is not a string: the same */
	expect(c, "p1", "{\"voter\":\"e\",\"choice\":\"no\",\"reply\":17}", RECEIPT_COUNTED, "");
	assert_summary(c, "p1", "yes=4,no=1 total=5 rejected=0");
	core_free(c);
}

static void core_ballot_should_answer_a_usable_reply_of_128_bytes(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, yes_no, 2, defaults);
	char json[512];
	struct verdict v;

	ballot_text(json, sizeof(json), "a", "yes", -1, "vote/p1/receipt/" R128);
	assert_int_equal(feed(c, "p1", json, false, &v), CORE_OK);
	assert_int_equal(v.status, RECEIPT_COUNTED);
	assert_string_equal(v.reply, "vote/p1/receipt/" R128);
	assert_true(v.answer);
	assert_non_null(v.result);
	assert_true(value_has(v.result, "\"total\":1"));
	verdict_free(&v);
	core_free(c);
}

/* ---- the database deleted or replaced under a running core ---- */

/* after_loss: the core's database was just taken away: the next ballot
 * fails, not committed, and so do the later ones, valid or not; no result
 * is given any more. */
static void assert_failing(struct core *c)
{
	static const char *const later[] = { "{\"voter\":\"c\",\"choice\":\"yes\"}", "garbage",
					     "{\"voter\":\"a\",\"choice\":\"no\"}" };
	char err[256] = "";
	struct verdict v;
	size_t k;

	assert_int_equal(feed(c, "p1", "{\"voter\":\"b\",\"choice\":\"no\"}", false, &v), CORE_FAILED);
	verdict_free(&v);
	for (k = 0; k < sizeof(later) / sizeof(later[0]); k++) {
		if (feed(c, "p1", later[k], true, &v) != CORE_FAILED)
			fail_msg("later ballot %s: not CORE_FAILED", later[k]);
		assert_null(v.result);
		verdict_free(&v);
	}
	assert_null(render_result(c, "p1", err, sizeof(err)));
}

/* Before: store_save wrote on into the unlinked file and core_ballot
 * returned CORE_OK: the tallier acknowledged ballots that no later start
 * would see. */
static void core_ballot_should_fail_once_its_database_is_deleted(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, yes_no, 2, defaults);

	vote(c, "p1", "a", "yes", RECEIPT_COUNTED, "");
	assert_int_equal(unlink(f->db), 0);
	assert_failing(c);
	core_free(c);
}

/* Before: as above, into the file that no longer has the name. */
static void core_ballot_should_fail_once_its_database_is_replaced_by_another_file(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, yes_no, 2, defaults);
	char other[160];
	FILE *fp;

	vote(c, "p1", "a", "yes", RECEIPT_COUNTED, "");
	snprintf(other, sizeof(other), "%s/other.db", f->dir);
	fp = fopen(other, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(rename(other, f->db), 0);
	assert_failing(c);
	core_free(c);
}

static void core_ballot_should_fail_once_its_database_is_moved_away(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, yes_no, 2, defaults);
	char moved[160];

	vote(c, "p1", "a", "yes", RECEIPT_COUNTED, "");
	snprintf(moved, sizeof(moved), "%s/moved.db", f->dir);
	assert_int_equal(rename(f->db, moved), 0);
	assert_failing(c);
	core_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(core_ballot_should_create_no_poll_for_refused_ballots, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(core_ballot_should_count_refusals_in_rejected_once_the_poll_exists,
						make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(core_ballot_should_refuse_a_ballot_for_one_poll_past_max_polls, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(core_command_should_open_a_poll_whatever_polls_strangers_made_up,
						make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(core_ballot_should_refuse_a_new_choice_past_max_choices, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(core_ballot_should_refuse_a_ts_too_far_ahead_and_count_the_voters_next_ballot,
						make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(core_ballot_should_take_its_skew_from_the_config, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(core_ballot_should_let_a_forged_ts_ahead_pin_a_vote_for_seconds_at_most,
						make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(core_ballot_should_count_a_ballot_whose_reply_cannot_be_used, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(core_ballot_should_answer_a_usable_reply_of_128_bytes, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(core_ballot_should_fail_once_its_database_is_deleted, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(core_ballot_should_fail_once_its_database_is_replaced_by_another_file,
						make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(core_ballot_should_fail_once_its_database_is_moved_away, make_dir,
						remove_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
