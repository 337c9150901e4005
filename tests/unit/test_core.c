/* test_core.c -- unit tests of the tallier's core: verdicts, durability, the result schedule, order independence, threads */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ballot.h"
#include "clock.h"
#include "commands.h"
#include "core.h"
#include "polldef.h"
#include "receipt.h"
#include "store.h"
#include "testkit.h"
#include "vtime.h"

#define ID_A "0123456789abcdef0123456789abcdef"
#define ID_B "fedcba9876543210fedcba9876543210"
#define ID_C "00000000000000000000000000000001"
#define REPLY "vote/p1/receipt/r1"

static const char *const yes_no[] = { "yes", "no" };

/* ---- opening cores, feeding ballots ---- */

/* wakes: how many times a core called its wake callback (any thread). */
static atomic_int wakes;

static void count_wake(void *arg)
{
	(void)arg;
	atomic_fetch_add(&wakes, 1);
}

/* open_core: a core on db with these rules (quiet) and the tallier's
 * default limits (--max-polls 1000, --max-choices 64, --max-skew 300),
 * which must open. */
static struct core *open_core(const char *db, const char *const *choices, size_t nchoices, bool revote)
{
	struct core_config cfg = { .db = db, .choices = choices, .nchoices = nchoices, .revote = revote,
				   .max_polls = 1000, .max_choices = 64, .max_skew_ms = 300000,
				   .quiet = true, .wake = count_wake };
	char err[512] = "";
	struct core *c = core_open(&cfg, err, sizeof(err));

	if (!c)
		fail_msg("core_open %s: %s", db, err);
	return c;
}

/* feed: core_ballot of the text json on poll; *v is the verdict (the
 * caller frees it with verdict_free). */
static enum core_rc feed(struct core *c, const char *poll, const char *json, bool want_result, struct verdict *v)
{
	struct core_input in = { poll, json, strlen(json), "", want_result, NULL };

	return core_ballot(c, &in, v);
}

/* feed_ok: feed, which must return CORE_OK; returns the receipt status. */
static enum receipt_status feed_ok(struct core *c, const char *poll, const char *json)
{
	struct verdict v;
	enum core_rc rc = feed(c, poll, json, false, &v);

	if (rc != CORE_OK)
		fail_msg("core_ballot %s on %s: %d", json, poll, (int)rc);
	verdict_free(&v);
	return v.status;
}

/* ballot_text: a ballot's JSON; id NULL and ts < 0 for none, reply NULL for none. */
static void ballot_text(char *buf, size_t size, const char *voter, const char *choice, const char *id, int64_t ts,
			const char *reply)
{
	int n = snprintf(buf, size, "{\"voter\":\"%s\",\"choice\":\"%s\"", voter, choice);

	if (id)
		n += snprintf(buf + n, size - (size_t)n, ",\"id\":\"%s\"", id);
	if (ts >= 0)
		n += snprintf(buf + n, size - (size_t)n, ",\"ts\":%" PRId64, ts);
	if (reply)
		n += snprintf(buf + n, size - (size_t)n, ",\"reply\":\"%s\"", reply);
	assert_true(n > 0 && (size_t)n + 2 <= size);
	snprintf(buf + n, size - (size_t)n, "}");
}

/* vote: feed_ok of a ballot built by ballot_text (no reply). */
static enum receipt_status vote(struct core *c, const char *poll, const char *voter, const char *choice, const char *id,
				int64_t ts)
{
	char json[512];

	ballot_text(json, sizeof(json), voter, choice, id, ts, NULL);
	return feed_ok(c, poll, json);
}

/* result_text: render_result of poll (core_result, rendered), which must exist; malloc'd. */
static char *result_text(struct core *c, const char *poll)
{
	char err[256] = "";
	char *json = render_result(c, poll, err, sizeof(err));

	if (!json)
		fail_msg("render_result %s: %s", poll, err);
	return json;
}

/* summary: poll's result as "yes=1,no=0 total=1 rejected=0" (no time). */
static void summary(struct core *c, const char *poll, char *buf, size_t size)
{
	char *json = result_text(c, poll), keys[512];
	cJSON *root = cJSON_Parse(json);

	if (!root)
		fail_msg("result of %s is not JSON: %s", poll, json);
	counts_keys(root, keys, sizeof(keys));
	snprintf(buf, size, "%s total=%g rejected=%g", keys,
		 cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "total")),
		 cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "rejected")));
	cJSON_Delete(root);
	free(json);
}

#define assert_summary(c, poll, want)                        \
	do {                                                 \
		char got_[512];                              \
		summary((c), (poll), got_, sizeof(got_));    \
		assert_string_equal(got_, (want));           \
	} while (0)

/* A verdict as the tests expect it. */
struct want {
	enum receipt_status status;
	const char *reason, *id, *reply;
};

static void assert_verdict(const struct verdict *v, const struct want *w, const char *what)
{
	if (v->status != w->status || strcmp(v->reason, w->reason) != 0 || strcmp(v->id, w->id) != 0 ||
	    strcmp(v->reply, w->reply) != 0)
		fail_msg("%s: got {%s, \"%s\", id \"%s\", reply \"%s\"}, expected {%s, \"%s\", id \"%s\", reply \"%s\"}",
			 what, receipt_status_word(v->status), v->reason, v->id, v->reply,
			 receipt_status_word(w->status), w->reason, w->id, w->reply);
}

/* ---- core_open ---- */

static void core_client_id_should_be_random_and_kept_in_the_database(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	char id[CORE_CLIENT_ID_SIZE], again[CORE_CLIENT_ID_SIZE], err[256];
	size_t k;

	assert_int_equal(core_client_id(c, id, sizeof(id), err, sizeof(err)), 0);
	assert_int_equal(strlen(id), strlen("tallier-") + 32);
	assert_memory_equal(id, "tallier-", 8);
	for (k = 8; k < strlen(id); k++)
		assert_non_null(strchr("0123456789abcdef", id[k]));
	assert_int_equal(core_client_id(c, again, sizeof(again), err, sizeof(err)), 0);
	assert_string_equal(again, id);
	core_free(c);
	c = open_core(f->db, NULL, 0, true);
	assert_int_equal(core_client_id(c, again, sizeof(again), err, sizeof(err)), 0);
	assert_string_equal(again, id);
	assert_int_equal(core_client_id(c, again, 10, err, sizeof(err)), -1);
	core_free(c);
}

static void core_ballot_should_refuse_a_ballot_whose_voter_is_not_the_account_of_its_topic(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	const char *json = "{\"voter\":\"bob\",\"choice\":\"yes\"}";
	struct core_input in = { "p1", json, strlen(json), "", true, "alice" };
	struct verdict v;

	assert_int_equal(core_ballot(c, &in, &v), CORE_OK);
	assert_int_equal(v.status, RECEIPT_REJECTED);
	assert_string_equal(v.reason, "voter 'bob' is not the account 'alice' that published the ballot");
	verdict_free(&v);
	in.account = "bob";
	assert_int_equal(core_ballot(c, &in, &v), CORE_OK);
	assert_int_equal(v.status, RECEIPT_COUNTED);
	verdict_free(&v);
	core_free(c);
}

static void core_open_should_create_a_fresh_database_and_hold_no_poll(void **state)
{
	struct fixture *f = *state;
	struct core *c;
	struct stat st;
	char err[256] = "";
	struct due_result r;
	int64_t wake = 0;

	assert_int_not_equal(stat(f->db, &st), 0);
	c = open_core(f->db, NULL, 0, true);
	assert_int_equal(stat(f->db, &st), 0);
	assert_null(render_result(c, "p1", err, sizeof(err)));
	assert_string_equal(err, "no poll 'p1'");
	assert_int_equal(core_results_pending(c), 0);
	assert_int_equal(core_next_result(c, vtime_mono_ms(), &r, &wake), 0);
	assert_true(wake == INT64_MAX);
	core_free(c);
}

static void core_open_should_refuse_a_second_core_on_the_same_database(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	struct core_config cfg = { .db = f->db, .quiet = true };
	char err[512] = "", want[512];

	assert_null(core_open(&cfg, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s is in use by another tallier", f->db);
	assert_string_equal(err, want);
	core_free(c);
	/* once the first is closed, it opens */
	c = open_core(f->db, NULL, 0, true);
	core_free(c);
}

static void core_open_should_refuse_choices_that_are_invalid_or_given_twice(void **state)
{
	struct fixture *f = *state;
	static const char *const twice[] = { "yes", "no", "yes" };
	static const char *const empty[] = { "yes", "" };
	struct core_config cfg = { .db = f->db, .choices = twice, .nchoices = 3, .quiet = true };
	char err[512] = "";

	assert_null(core_open(&cfg, err, sizeof(err)));
	assert_string_equal(err, "choice 'yes' given twice");
	cfg.choices = empty;
	cfg.nchoices = 2;
	assert_null(core_open(&cfg, err, sizeof(err)));
	assert_string_equal(err, "invalid choice ''");
}

static void core_free_should_accept_null(void **state)
{
	(void)state;
	core_free(NULL);
}

static void core_open_should_copy_its_configuration(void **state)
{
	struct fixture *f = *state;
	char **choices = malloc(2 * sizeof(*choices)), *db = strdup(f->db);
	struct core_config *cfg = calloc(1, sizeof(*cfg));
	char err[512] = "";
	struct core *c;

	assert_non_null(choices);
	assert_non_null(db);
	assert_non_null(cfg);
	choices[0] = strdup("red");
	choices[1] = strdup("blue");
	*cfg = (struct core_config){ .db = db, .choices = (const char *const *)choices, .nchoices = 2,
				     .revote = false, .quiet = true };
	c = core_open(cfg, err, sizeof(err));
	if (!c)
		fail_msg("core_open: %s", err);
	free(choices[0]);
	free(choices[1]);
	free(choices);
	free(db);
	free(cfg);
	assert_int_equal(vote(c, "p1", "bob", "red", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(vote(c, "p1", "bob", "blue", NULL, -1), RECEIPT_REJECTED); /* revote off was copied */
	assert_int_equal(vote(c, "p1", "eve", "green", NULL, -1), RECEIPT_REJECTED); /* and the choices */
	assert_summary(c, "p1", "red=1,blue=0 total=1 rejected=2");
	core_free(c);
}

/* ---- verdicts: one for every outcome ---- */

/* One ballot on p1, the verdict it must get, and p1's summary after it. */
struct step {
	const char *json;
	struct want want;
	const char *after;
};

/* run_steps: feeds each step's ballot on p1 and checks its verdict (a
 * result only when it has a reply) and p1's summary after it. */
static void run_steps(struct core *c, const struct step *steps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct verdict v;
		char what[64];

		snprintf(what, sizeof(what), "step %zu", i);
		assert_int_equal(feed(c, "p1", steps[i].json, false, &v), CORE_OK);
		assert_verdict(&v, &steps[i].want, what);
		if (steps[i].want.reply[0]) {
			assert_non_null(v.result); /* a reply asks for the result */
		} else {
			assert_null(v.result);
		}
		verdict_free(&v);
		assert_summary(c, "p1", steps[i].after);
	}
}

static void core_ballot_should_give_a_verdict_for_every_outcome_with_revote_on(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, yes_no, 2, true);
	static const struct step steps[] = {
		{ "{\"voter\":\"bob\",\"choice\":\"yes\",\"id\":\"" ID_A "\",\"ts\":100}",
		  { RECEIPT_COUNTED, "", ID_A, "" }, "yes=1,no=0 total=1 rejected=0" },
		/* a later ts replaces it (upper-case id read as lower case) */
		{ "{\"voter\":\"bob\",\"choice\":\"no\",\"id\":\"FEDCBA9876543210FEDCBA9876543210\",\"ts\":200}",
		  { RECEIPT_COUNTED, "", ID_B, "" }, "yes=0,no=1 total=1 rejected=0" },
		/* the same id again: a duplicate */
		{ "{\"voter\":\"bob\",\"choice\":\"no\",\"id\":\"" ID_B "\",\"ts\":200}",
		  { RECEIPT_DUPLICATE, "", ID_B, "" }, "yes=0,no=1 total=1 rejected=0" },
		/* an older one: stale, told as a duplicate with its reason */
		{ "{\"voter\":\"bob\",\"choice\":\"yes\",\"id\":\"" ID_C "\",\"ts\":150}",
		  { RECEIPT_DUPLICATE, "a later ballot of this voter counts", ID_C, "" },
		  "yes=0,no=1 total=1 rejected=0" },
		/* refused ballots, each with its reason, counted in rejected */
		{ "{\"voter\":\"bob\",\"choice\":", { RECEIPT_REJECTED, "malformed JSON", "", "" },
		  "yes=0,no=1 total=1 rejected=1" },
		{ "[1,2]", { RECEIPT_REJECTED, "not a JSON object", "", "" }, "yes=0,no=1 total=1 rejected=2" },
		/* a valid id is named in the refusal (its receipt) */
		{ "{\"choice\":\"yes\",\"id\":\"" ID_A "\"}", { RECEIPT_REJECTED, "missing field 'voter'", ID_A, "" },
		  "yes=0,no=1 total=1 rejected=3" },
		{ "{\"voter\":\"eve\"}", { RECEIPT_REJECTED, "missing field 'choice'", "", "" },
		  "yes=0,no=1 total=1 rejected=4" },
		{ "{\"poll\":\"p2\",\"voter\":\"eve\",\"choice\":\"yes\"}",
		  { RECEIPT_REJECTED, "field 'poll' does not match the topic", "", "" },
		  "yes=0,no=1 total=1 rejected=5" },
		{ "{\"voter\":\"eve\",\"choice\":\"yes\",\"id\":\"xyz\"}",
		  { RECEIPT_REJECTED, "invalid field 'id': must be a string of 32 hex digits", "", "" },
		  "yes=0,no=1 total=1 rejected=6" },
		/* not on offer (--choices): refused by the check step, with its id and reply */
		{ "{\"voter\":\"eve\",\"choice\":\"maybe\",\"id\":\"" ID_A "\",\"ts\":1,\"reply\":\"" REPLY "\"}",
		  { RECEIPT_REJECTED, "unknown choice 'maybe'", ID_A, REPLY }, "yes=0,no=1 total=1 rejected=7" },
		{ "{\"voter\":\"eve\",\"choice\":\"Yes\"}", { RECEIPT_REJECTED, "unknown choice 'Yes'", "", "" },
		  "yes=0,no=1 total=1 rejected=8" },
		/* the refused ballot is not held: eve's first valid ballot counts */
		{ "{\"voter\":\"eve\",\"choice\":\"yes\",\"ts\":0}", { RECEIPT_COUNTED, "", "", "" },
		  "yes=1,no=1 total=2 rejected=8" },
	};
	run_steps(c, steps, sizeof(steps) / sizeof(steps[0]));
	core_free(c);
}

static void core_ballot_should_give_a_verdict_for_every_outcome_with_revote_off(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, false);
	static const struct step steps[] = {
		{ "{\"voter\":\"bob\",\"choice\":\"yes\",\"id\":\"" ID_B "\",\"ts\":200}",
		  { RECEIPT_COUNTED, "", ID_B, "" }, "yes=1 total=1 rejected=0" },
		/* a later ballot with another choice: already voted */
		{ "{\"voter\":\"bob\",\"choice\":\"no\",\"id\":\"" ID_C "\",\"ts\":300,\"reply\":\"" REPLY "\"}",
		  { RECEIPT_REJECTED, "already voted", ID_C, REPLY }, "yes=1 total=1 rejected=1" },
		/* a later ballot with the held choice: refused alike (issue 19:
		 * it was a duplicate, which told the held choice) */
		{ "{\"voter\":\"bob\",\"choice\":\"yes\",\"id\":\"" ID_C "\",\"ts\":300}",
		  { RECEIPT_REJECTED, "already voted", ID_C, "" }, "yes=1 total=1 rejected=2" },
		/* the held ballot itself again: a duplicate, no reason */
		{ "{\"voter\":\"bob\",\"choice\":\"yes\",\"id\":\"" ID_B "\",\"ts\":200}",
		  { RECEIPT_DUPLICATE, "", ID_B, "" }, "yes=1 total=1 rejected=2" },
		/* an earlier one takes the place of the held one: counted, and
		 * the displaced one counts as rejected */
		{ "{\"voter\":\"bob\",\"choice\":\"no\",\"id\":\"" ID_A "\",\"ts\":100}",
		  { RECEIPT_COUNTED, "", ID_A, "" }, "no=1 total=1 rejected=3" },
		/* without --choices any valid choice is on offer */
		{ "{\"voter\":\"eve\",\"choice\":\"caf\xc3\xa9\"}", { RECEIPT_COUNTED, "", "", "" },
		  "caf\xc3\xa9=1,no=1 total=2 rejected=3" },
	};
	run_steps(c, steps, sizeof(steps) / sizeof(steps[0]));
	core_free(c);
}

/* define: an organiser's command that must be answered ok. */
static void define(struct core *c, const char *cmd)
{
	char *answer = NULL;

	assert_int_equal(run_command(c, cmd, &answer), CORE_OK);
	if (!answer || !strstr(answer, "\"ok\":true"))
		fail_msg("%s answered %s", cmd, answer ? answer : "nothing");
	free(answer);
}

/* shown: what the sender of a ballot on poll sees: its receipt's status
 * and reason, and the result it carries without the poll's name and time
 * ("status reason | result"). */
static void shown(struct core *c, const char *poll, const char *json, char *buf, size_t size)
{
	struct verdict v;
	cJSON *root;
	char *text;

	assert_int_equal(feed(c, poll, json, true, &v), CORE_OK);
	root = value_parse(v.result);
	assert_non_null(root);
	assert_null(cJSON_GetObjectItemCaseSensitive(root, "counts")); /* hidden until the close */
	cJSON_DeleteItemFromObjectCaseSensitive(root, "poll");
	cJSON_DeleteItemFromObjectCaseSensitive(root, "updated");
	text = cJSON_PrintUnformatted(root);
	snprintf(buf, size, "%s \"%s\" | %s", receipt_status_word(v.status), v.reason, text);
	free(text);
	cJSON_Delete(root);
	verdict_free(&v);
}

/* Issue 19, item 4: on a poll without revote whose results wait for the
 * close, a ballot in alice's name tells its sender nothing of her
 * choice: qa, where she voted yes, and qb, where she voted no, answer
 * alike, for a later ballot of either choice and for an earlier one.
 * Before: the later "yes" was "duplicate" on qa and "rejected: already
 * voted" on qb; the earlier one moved rejected on qb only. */
static void core_ballot_should_answer_a_ballot_in_a_voters_name_alike_whatever_their_choice(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	static const char *const polls[] = { "qa", "qb" }, *const held[] = { "yes", "no" };
	static const struct {
		const char *choice, *id;
		int64_t ts;
	} probes[] = { { "yes", ID_C, 300 }, { "no", "0000000000000000000000000000000d", 400 }, { "yes", "0000000000000000000000000000000e", 50 },
		       { "no", "0000000000000000000000000000000f", 40 } };
	char cmd[256], json[512], seen[2][512];
	size_t k, p;

	for (p = 0; p < 2; p++) {
		snprintf(cmd, sizeof(cmd),
			 "{\"cmd\":\"open\",\"poll\":\"%s\",\"question\":\"Q?\",\"choices\":[\"yes\",\"no\"],"
			 "\"results\":\"after-close\",\"revote\":false}",
			 polls[p]);
		define(c, cmd);
		assert_int_equal(vote(c, polls[p], "alice", held[p], ID_A, 100), RECEIPT_COUNTED);
		assert_int_equal(vote(c, polls[p], "bob", "yes", ID_B, 100), RECEIPT_COUNTED);
	}
	for (k = 0; k < sizeof(probes) / sizeof(probes[0]); k++) {
		for (p = 0; p < 2; p++) {
			ballot_text(json, sizeof(json), "alice", probes[k].choice, probes[k].id, probes[k].ts, NULL);
			shown(c, polls[p], json, seen[p], sizeof(seen[p]));
		}
		if (strcmp(seen[0], seen[1]) != 0)
			fail_msg("'%s' at ts %" PRId64 " in alice's name: where she voted yes: %s; where she voted no: %s",
				 probes[k].choice, probes[k].ts, seen[0], seen[1]);
	}
	/* the very same ballot again is the only duplicate: the held one (the last earlier probe) */
	ballot_text(json, sizeof(json), "alice", "no", "0000000000000000000000000000000f", 40, NULL);
	shown(c, "qa", json, seen[0], sizeof(seen[0]));
	assert_string_equal(seen[0], "duplicate \"\" | {\"total\":2,\"rejected\":4,\"status\":\"open\","
				     "\"results\":\"after-close\"}");
	core_free(c);
}

static void core_ballot_should_refuse_a_payload_over_the_limit_and_count_it(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	size_t len = BALLOT_PAYLOAD_MAX + 1;
	char *big = malloc(len + 1);
	struct core_input in;
	struct verdict v;
	char want[128];

	assert_non_null(big);
	memset(big, ' ', len);
	memcpy(big, "{\"voter\":\"bob\",\"choice\":\"yes\"}", 30);
	big[len] = '\0';
	/* a refusal never creates a poll: p1 exists first */
	assert_int_equal(vote(c, "p1", "ann", "yes", NULL, -1), RECEIPT_COUNTED);
	in = (struct core_input){ "p1", big, len, "", false, NULL };
	assert_int_equal(core_ballot(c, &in, &v), CORE_OK);
	snprintf(want, sizeof(want), "payload too large (%zu bytes, at most %d)", len, BALLOT_PAYLOAD_MAX);
	assert_int_equal(v.status, RECEIPT_REJECTED);
	assert_string_equal(v.reason, want);
	verdict_free(&v);
	assert_summary(c, "p1", "yes=1 total=1 rejected=1");
	free(big);
	core_free(c);
}

static void core_ballot_should_keep_the_held_vote_when_an_unknown_choice_arrives(void **state)
{
	/* moved from the tally's tests: refusing a choice is the check step's */
	struct fixture *f = *state;
	static const char *const yes_no_abstain[] = { "yes", "no", "abstain" };
	struct core *c = open_core(f->db, yes_no_abstain, 3, true);

	assert_int_equal(vote(c, "p1", "bob", "yes", id_of(1), 100), RECEIPT_COUNTED);
	assert_int_equal(vote(c, "p1", "bob", "nope", id_of(2), 200), RECEIPT_REJECTED);
	assert_summary(c, "p1", "yes=1,no=0,abstain=0 total=1 rejected=1");
	/* the refused ballot is not held: ts 150 still replaces ts 100 */
	assert_int_equal(vote(c, "p1", "bob", "no", id_of(3), 150), RECEIPT_COUNTED);
	assert_summary(c, "p1", "yes=0,no=1,abstain=0 total=1 rejected=1");
	/* with revote off too, an unknown choice is refused as unknown */
	core_free(c);
	c = open_core(f->db, yes_no_abstain, 3, false);
	{
		struct verdict v;

		assert_int_equal(feed(c, "p1", "{\"voter\":\"bob\",\"choice\":\"x\"}", false, &v), CORE_OK);
		assert_int_equal(v.status, RECEIPT_REJECTED);
		assert_string_equal(v.reason, "unknown choice 'x'");
		verdict_free(&v);
	}
	assert_summary(c, "p1", "yes=0,no=1,abstain=0 total=1 rejected=2");
	core_free(c);
}

static void core_ballot_should_give_the_polls_result_when_asked_or_when_the_ballot_has_a_reply(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, yes_no, 2, true);
	struct verdict v;
	char *now;

	/* want_result (a transport that answers with the counts) */
	assert_int_equal(feed(c, "p1", "{\"voter\":\"bob\",\"choice\":\"yes\"}", true, &v), CORE_OK);
	assert_non_null(v.result);
	now = result_text(c, "p1");
	assert_value_is(v.result, now);
	free(now);
	verdict_free(&v);
	assert_null(v.result);
	/* a "reply" field (MQTT 3.1.1 receipts) */
	assert_int_equal(feed(c, "p1", "{\"voter\":\"eve\",\"choice\":\"no\",\"reply\":\"" REPLY "\"}", false, &v),
			 CORE_OK);
	assert_string_equal(v.reply, REPLY);
	assert_non_null(v.result);
	now = result_text(c, "p1");
	assert_value_is(v.result, now);
	free(now);
	verdict_free(&v);
	/* a refused ballot's result shows its refusal */
	assert_int_equal(feed(c, "p1", "nonsense", true, &v), CORE_OK);
	assert_int_equal(v.status, RECEIPT_REJECTED);
	assert_non_null(v.result);
	{
		cJSON *root = value_parse(v.result);
		char keys[128];

		assert_non_null(root);
		counts_keys(root, keys, sizeof(keys));
		assert_string_equal(keys, "yes=1,no=1");
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "poll")->valuestring, "p1");
		assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "rejected")), 1);
		assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "total")), 2);
		cJSON_Delete(root);
	}
	verdict_free(&v);
	/* a reply elsewhere than under vote/<poll>/receipt/ costs no vote: counted, no receipt */
	assert_int_equal(feed(c, "p1", "{\"voter\":\"ann\",\"choice\":\"no\",\"reply\":\"vote/p2/receipt/x\"}",
			      false, &v),
			 CORE_OK);
	assert_int_equal(v.status, RECEIPT_COUNTED);
	assert_string_equal(v.reason, "");
	assert_string_equal(v.reply, "");
	assert_false(v.answer);
	assert_null(v.result);
	verdict_free(&v);
	core_free(c);
}

static void core_result_should_give_a_known_poll_and_refuse_an_unknown_one(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	char err[256] = "", *json;
	cJSON *root;

	assert_int_equal(vote(c, "p1", "bob", "yes", NULL, -1), RECEIPT_COUNTED);
	json = result_text(c, "p1");
	root = cJSON_Parse(json);
	assert_non_null(root);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "poll")->valuestring, "p1");
	assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "updated")));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "status")->valuestring, "open");
	assert_int_equal(cJSON_GetArraySize(root), 6);
	cJSON_Delete(root);
	free(json);
	assert_null(render_result(c, "x", err, sizeof(err)));
	assert_string_equal(err, "no poll 'x'");
	assert_null(render_result(c, "P1", err, sizeof(err)));
	assert_string_equal(err, "no poll 'P1'");
	/* a refusal never creates a poll: no result for a poll with only refused ballots */
	assert_int_equal(feed_ok(c, "p2", "{}"), RECEIPT_REJECTED);
	assert_null(render_result(c, "p2", err, sizeof(err)));
	assert_string_equal(err, "no poll 'p2'");
	core_free(c);
}

/* ---- durability: what the core counted survives it ---- */

static void core_should_give_the_same_results_after_core_free_and_core_open(void **state)
{
	struct fixture *f = *state;
	static const char *const polls[] = { "p1", "p2", "p3" };
	struct core *c = open_core(f->db, yes_no, 2, true);
	char *before[3];
	size_t k;

	assert_int_equal(vote(c, "p1", "bob", "yes", ID_A, 100), RECEIPT_COUNTED);
	assert_int_equal(vote(c, "p1", "bob", "no", ID_B, 200), RECEIPT_COUNTED);
	assert_int_equal(vote(c, "p1", "bob", "yes", ID_C, 50), RECEIPT_DUPLICATE); /* stale */
	assert_int_equal(vote(c, "p1", "ann", "yes", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(vote(c, "p1", "eve", "maybe", NULL, -1), RECEIPT_REJECTED);
	assert_int_equal(vote(c, "p2", "\xc3\xa9lodie", "no", ID_A, 5), RECEIPT_COUNTED);
	assert_int_equal(vote(c, "p3", "zed", "no", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(feed_ok(c, "p3", "{"), RECEIPT_REJECTED);
	assert_int_equal(feed_ok(c, "p3", "{}"), RECEIPT_REJECTED);
	assert_int_equal(feed_ok(c, "only-rejected", "{"), RECEIPT_REJECTED); /* creates no poll */
	for (k = 0; k < 3; k++)
		before[k] = result_text(c, polls[k]);
	core_free(c);

	c = open_core(f->db, yes_no, 2, true);
	for (k = 0; k < 3; k++) {
		char *after = result_text(c, polls[k]);

		assert_string_equal(after, before[k]); /* "updated" included */
		free(after);
	}
	assert_summary(c, "p1", "yes=1,no=1 total=2 rejected=1");
	assert_summary(c, "p3", "yes=0,no=1 total=1 rejected=2");
	{
		char err[128];

		assert_null(render_result(c, "only-rejected", err, sizeof(err)));
	}
	/* the reloaded core holds the same ballots, ts and id included */
	assert_int_equal(vote(c, "p1", "bob", "yes", ID_C, 50), RECEIPT_DUPLICATE);
	assert_int_equal(vote(c, "p1", "bob", "no", ID_B, 200), RECEIPT_DUPLICATE);
	assert_int_equal(vote(c, "p2", "\xc3\xa9lodie", "yes", ID_B, 6), RECEIPT_COUNTED);
	assert_summary(c, "p2", "yes=1,no=0 total=1 rejected=0");
	core_free(c);
	for (k = 0; k < 3; k++)
		free(before[k]);
}

/* save: store_save, which must succeed. */
static void save(struct store *s, const struct ballot *b, const char *poll, uint64_t rejected, int64_t updated_ms)
{
	char err[512] = "";

	if (store_save(s, b, poll, true, rejected, updated_ms, err, sizeof(err)) != 0)
		fail_msg("store_save: %s", err);
}

static void core_open_should_leave_out_stored_ballots_whose_choice_is_no_longer_offered(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	struct store *s = store_open(f->db, STORE_WRITER, STORE_SYNC_NORMAL, err, sizeof(err));
	struct ballot b1 = mk("p1", "alice", "yes", NULL, -1), b2 = mk("p1", "bob", "no", NULL, -1);
	struct ballot b3 = mk("p1", "carol", "maybe", NULL, -1), b4 = mk("p2", "dave", "maybe", NULL, -1);
	struct core *c;
	char *json;
	cJSON *root;

	if (!s)
		fail_msg("store_open: %s", err);
	/* a store written by a tallier that offered "maybe" */
	save(s, &b1, "p1", 3, NOW);
	save(s, &b2, "p1", 3, NOW + 1);
	save(s, &b3, "p1", 3, NOW + 2);
	save(s, &b4, "p2", 0, NOW + 3);
	store_close(s);

	c = open_core(f->db, yes_no, 2, true);
	assert_summary(c, "p1", "yes=1,no=1 total=2 rejected=3"); /* the stored rejected count, not the skips */
	assert_summary(c, "p2", "yes=0,no=0 total=0 rejected=0");
	json = result_text(c, "p1");
	root = cJSON_Parse(json);
	assert_non_null(root);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "updated")->valuestring, "2023-11-14T22:13:20.125Z");
	cJSON_Delete(root);
	free(json);
	json = result_text(c, "p2");
	root = cJSON_Parse(json);
	assert_non_null(root);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "updated")->valuestring, "2023-11-14T22:13:20.126Z");
	cJSON_Delete(root);
	free(json);
	/* carol's left-out ballot does not hold her back: her next one is her first */
	assert_int_equal(vote(c, "p1", "carol", "yes", NULL, -1), RECEIPT_COUNTED);
	assert_summary(c, "p1", "yes=2,no=1 total=3 rejected=3");
	core_free(c);
	/* and with "maybe" on offer again, what was stored counts again (carol's is now "yes") */
	{
		static const char *const three[] = { "yes", "no", "maybe" };

		c = open_core(f->db, three, 3, true);
		assert_summary(c, "p1", "yes=2,no=1,maybe=0 total=3 rejected=3");
		assert_summary(c, "p2", "yes=0,no=0,maybe=1 total=1 rejected=0");
		core_free(c);
	}
}

/* ---- the result schedule ---- */

/* next_result: core_next_result at now; *wake gets the wake time. */
static int next_result(struct core *c, int64_t now, struct due_result *r, int64_t *wake)
{
	int64_t w = -12345;
	int rc;

	/* the polls' information (odd slots, vote/<poll>/info) is published
	 * beside their results: taken and acknowledged here, so that the
	 * tests see the results */
	for (;;) {
		size_t len;

		memset(r, 0, sizeof(*r));
		rc = core_next_result(c, now, r, &w);
		len = strlen(r->topic);
		if (rc != 1 || len < 5 || strcmp(r->topic + len - 5, "/info") != 0)
			break;
		core_result_done(c, r->slot, r->version, true);
		due_result_free(r);
	}
	if (wake)
		*wake = w;
	return rc;
}

/* take_result: the next result, which must be due at now, for poll. */
static struct due_result take_result(struct core *c, int64_t now, const char *poll)
{
	struct due_result r;
	char topic[TOPIC_MAX];
	cJSON *root;

	if (next_result(c, now, &r, NULL) != 1)
		fail_msg("no result due for %s", poll);
	snprintf(topic, sizeof(topic), "vote/%s/result", poll);
	assert_string_equal(r.topic, topic);
	assert_int_equal(r.kind, DUE_RESULT);
	root = value_parse(&r.result);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "poll")->valuestring, poll);
	cJSON_Delete(root);
	return r;
}

static void core_next_result_should_give_a_changed_polls_result_once_until_done(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	int64_t t0 = vtime_mono_ms(), wake;
	struct due_result r, none;
	char *now;

	assert_int_equal(vote(c, "p1", "bob", "yes", ID_A, 1), RECEIPT_COUNTED);
	assert_int_equal(core_results_pending(c), 1);
	r = take_result(c, t0, "p1");
	now = result_text(c, "p1");
	assert_value_is(&r.result, now); /* the result as it is now */
	free(now);
	/* in flight: not again, until it is taken as lost */
	assert_int_equal(next_result(c, t0, &none, &wake), 0);
	assert_true(wake == t0 + CORE_RESULT_TIMEOUT_MS);
	assert_int_equal(core_results_pending(c), 1);
	core_result_done(c, r.slot, r.version, true);
	due_result_free(&r);
	assert_int_equal(core_results_pending(c), 0);
	assert_int_equal(next_result(c, t0 + 10 * CORE_RESULT_TIMEOUT_MS, &none, &wake), 0);
	assert_true(wake == INT64_MAX);
	/* a duplicate changes nothing: nothing to publish */
	assert_int_equal(vote(c, "p1", "bob", "yes", ID_A, 1), RECEIPT_DUPLICATE);
	assert_int_equal(vote(c, "p1", "bob", "no", ID_C, 0), RECEIPT_DUPLICATE); /* stale */
	assert_int_equal(core_results_pending(c), 0);
	core_free(c);
}

static void core_next_result_should_coalesce_ballots_into_one_result_of_the_newest_version(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	int64_t t0 = vtime_mono_ms(), wake;
	struct due_result r, none;
	char voter[16];
	int k;

	for (k = 0; k < 20; k++) {
		snprintf(voter, sizeof(voter), "v%d", k);
		assert_int_equal(vote(c, "p1", voter, k % 3 ? "yes" : "no", NULL, -1), RECEIPT_COUNTED);
	}
	assert_int_equal(core_results_pending(c), 1);
	r = take_result(c, t0, "p1");
	assert_true(value_has(&r.result, "\"counts\":{\"no\":7,\"yes\":13},\"total\":20,"));
	assert_int_equal(next_result(c, t0, &none, &wake), 0);
	core_result_done(c, r.slot, r.version, true);
	due_result_free(&r);
	assert_int_equal(core_results_pending(c), 0);
	/* a later change waits for the interval after the last start */
	assert_int_equal(vote(c, "p1", "v0", "yes", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(core_results_pending(c), 1);
	assert_int_equal(next_result(c, t0 + 1, &none, &wake), 0);
	assert_true(wake == t0 + CORE_RESULT_INTERVAL_MS);
	r = take_result(c, t0 + CORE_RESULT_INTERVAL_MS, "p1");
	assert_true(value_has(&r.result, "\"counts\":{\"no\":6,\"yes\":14},\"total\":20,"));
	core_result_done(c, r.slot, r.version, true);
	due_result_free(&r);
	assert_int_equal(core_results_pending(c), 0);
	core_free(c);
}

static void core_result_done_with_a_failure_should_retry_after_the_interval(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	int64_t t0 = vtime_mono_ms(), wake;
	struct due_result r, none;

	assert_int_equal(vote(c, "p1", "bob", "yes", NULL, -1), RECEIPT_COUNTED);
	r = take_result(c, t0, "p1");
	core_result_done(c, r.slot, r.version, false);
	due_result_free(&r);
	assert_int_equal(core_results_pending(c), 1);
	assert_int_equal(next_result(c, t0, &none, &wake), 0);
	assert_true(wake == t0 + CORE_RESULT_INTERVAL_MS);
	r = take_result(c, t0 + CORE_RESULT_INTERVAL_MS, "p1");
	due_result_free(&r);
	/* unconfirmed: taken as lost after the timeout, and sent again */
	assert_int_equal(next_result(c, t0 + CORE_RESULT_INTERVAL_MS, &none, &wake), 0);
	assert_true(wake == t0 + CORE_RESULT_INTERVAL_MS + CORE_RESULT_TIMEOUT_MS);
	r = take_result(c, t0 + CORE_RESULT_INTERVAL_MS + CORE_RESULT_TIMEOUT_MS, "p1");
	core_result_done(c, r.slot, r.version, true);
	due_result_free(&r);
	assert_int_equal(core_results_pending(c), 0);
	core_free(c);
}

/* core_result_seen: what the broker holds on a result topic, against the
 * core's result: the same, another (due again), or a poll it never had. */
static void core_result_seen_should_schedule_the_result_again_when_the_broker_holds_another(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	int64_t t0 = vtime_mono_ms(), wake;
	struct due_result r, none;
	char *now;

	assert_int_equal(render_seen(c, "p1", "x", 1), CORE_SEEN_UNKNOWN);
	assert_int_equal(render_seen(c, "p1", "", 0), CORE_SEEN_UNKNOWN);
	assert_int_equal(vote(c, "p1", "bob", "yes", ID_A, 1), RECEIPT_COUNTED);
	r = take_result(c, t0, "p1");
	core_result_done(c, r.slot, r.version, true);
	due_result_free(&r);
	assert_int_equal(core_results_pending(c), 0);
	/* its own result: nothing to do */
	now = result_text(c, "p1");
	assert_int_equal(render_seen(c, "p1", now, strlen(now)), CORE_SEEN_SAME);
	assert_int_equal(core_results_pending(c), 0);
	/* a forged one, or nothing (deleted): the same version due again, once
	 * the interval allows */
	assert_int_equal(render_seen(c, "p1", now, strlen(now) - 1), CORE_SEEN_OTHER);
	assert_int_equal(core_results_pending(c), 1);
	assert_int_equal(render_seen(c, "p1", "", 0), CORE_SEEN_OTHER);
	r = take_result(c, t0 + CORE_RESULT_INTERVAL_MS, "p1");
	assert_value_is(&r.result, now);
	core_result_done(c, r.slot, r.version, true);
	due_result_free(&r);
	assert_int_equal(core_results_pending(c), 0);
	assert_int_equal(next_result(c, t0 + 10 * CORE_RESULT_TIMEOUT_MS, &none, &wake), 0);
	free(now);
	core_free(c);
}

static void core_results_reset_should_make_every_result_due_again(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	int64_t t0 = vtime_mono_ms(), wake;
	struct due_result r, none;
	bool seen[2] = { false, false };
	int k;

	assert_int_equal(vote(c, "p1", "bob", "yes", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(vote(c, "p2", "bob", "no", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(core_results_pending(c), 2);
	for (k = 0; k < 2; k++) {
		assert_int_equal(next_result(c, t0, &r, NULL), 1);
		core_result_done(c, r.slot, r.version, true);
		due_result_free(&r);
	}
	assert_int_equal(core_results_pending(c), 0);
	core_results_reset(c);
	assert_int_equal(core_results_pending(c), 2);
	for (k = 0; k < 2; k++) {
		assert_int_equal(next_result(c, t0 + CORE_RESULT_INTERVAL_MS, &r, NULL), 1);
		if (strcmp(r.topic, "vote/p1/result") == 0)
			seen[0] = true;
		else if (strcmp(r.topic, "vote/p2/result") == 0)
			seen[1] = true;
		core_result_done(c, r.slot, r.version, true);
		due_result_free(&r);
	}
	assert_true(seen[0] && seen[1]);
	assert_int_equal(core_results_pending(c), 0);
	assert_int_equal(next_result(c, t0 + CORE_RESULT_INTERVAL_MS, &none, &wake), 0);
	assert_true(wake == INT64_MAX);
	core_free(c);
}

static void core_open_should_schedule_every_stored_polls_result(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	struct due_result r;
	int64_t t0;
	int k;

	assert_int_equal(vote(c, "p1", "bob", "yes", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(vote(c, "p2", "ann", "no", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(feed_ok(c, "p2", "{"), RECEIPT_REJECTED);
	assert_int_equal(feed_ok(c, "p3", "{"), RECEIPT_REJECTED); /* no poll: nothing to schedule */
	core_free(c);
	c = open_core(f->db, NULL, 0, true);
	t0 = vtime_mono_ms();
	assert_int_equal(core_results_pending(c), 2);
	for (k = 0; k < 2; k++) {
		assert_int_equal(next_result(c, t0, &r, NULL), 1);
		assert_true(strcmp(r.topic, "vote/p1/result") == 0 || strcmp(r.topic, "vote/p2/result") == 0);
		core_result_done(c, r.slot, r.version, true);
		due_result_free(&r);
	}
	assert_int_equal(core_results_pending(c), 0);
	core_free(c);
}

/* command: core_command of json, which must answer; the answer (free()). */
static char *command(struct core *c, const char *json)
{
	char *answer = NULL;

	assert_int_equal(run_command(c, json, &answer), CORE_OK);
	if (!answer)
		fail_msg("no answer to %s", json);
	return answer;
}

/* core_clock_should_close_a_poll_at_its_time_and_next_result_should_not:
 * the change of status the clock brings is core_clock's (run from the
 * loop's timer): core_next_result, a getter, stores none of it; core_clock
 * at the closing time stores the closing, which a new core finds. */
static void core_clock_should_close_a_poll_at_its_time_and_next_result_should_not(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	int64_t closes = vtime_now_ms() + 3600 * 1000, wake;
	struct due_result r;
	char json[256], err[256], *answer, *info;

	snprintf(json, sizeof(json),
		 "{\"cmd\":\"open\",\"poll\":\"k1\",\"question\":\"Q?\",\"choices\":[\"yes\",\"no\"],"
		 "\"closes\":%lld}", (long long)closes);
	answer = command(c, json);
	assert_non_null(strstr(answer, "\"ok\":true"));
	free(answer);
	assert_true(core_clock(c, vtime_now_ms()) == 0);
	assert_true(core_clock_next(c) == closes);
	while (core_next_result(c, vtime_mono_ms() + 2 * CORE_RESULT_TIMEOUT_MS, &r, &wake) == 1) {
		core_result_done(c, r.slot, r.version, true);
		due_result_free(&r);
	}
	assert_true(core_clock_next(c) == closes);
	assert_int_equal(core_clock(c, closes), 0);
	assert_true(core_clock_next(c) == INT64_MAX);
	info = render_info(c, "k1", err, sizeof(err));
	assert_non_null(info);
	assert_non_null(strstr(info, "\"status\":\"closed\""));
	free(info);
	core_free(c);
	c = open_core(f->db, NULL, 0, true); /* stored */
	info = render_info(c, "k1", err, sizeof(err));
	assert_non_null(info);
	assert_non_null(strstr(info, "\"status\":\"closed\""));
	free(info);
	core_free(c);
}

/* core_open_should_keep_a_stored_poll_whose_time_is_out_of_range: issue
 * 19's y1, stored by an older version with a closing time in the year
 * 10000: the core starts, the poll is kept (its closing time taken as the
 * last of 9999) and every command answers, its information included; the
 * same time sent again is refused (the range is the command's too). */
static void core_open_should_keep_a_stored_poll_whose_time_is_out_of_range(void **state)
{
	struct fixture *f = *state;
	struct polldef d = { .poll = "y1", .defined = true, .question = "Q?", .choices = { "yes", "no" },
			     .nchoices = 2, .opens_ms = 1000, .closes_ms = 253402351199000LL, .revote = true,
			     .status = POLLDEF_OPEN };
	struct core *c = open_core(f->db, NULL, 0, true);
	char err[256] = "", *answer;
	struct store *s;

	core_free(c);
	s = store_open(f->db, STORE_WRITER, STORE_SYNC_NORMAL, err, sizeof(err));
	if (!s)
		fail_msg("store_open: %s", err);
	assert_int_equal(store_save_def(s, &d, err, sizeof(err)), 0);
	store_close(s);

	c = open_core(f->db, NULL, 0, true);
	assert_int_equal(vote(c, "y1", "bob", "yes", NULL, -1), RECEIPT_COUNTED);
	answer = command(c, "{\"cmd\":\"list\"}");
	assert_non_null(strstr(answer, "{\"ok\":true,\"polls\":[{\"poll\":\"y1\""));
	assert_non_null(strstr(answer, "\"status\":\"open\",\"opens\":\"1970-01-01T00:00:01.000Z\","
				       "\"closes\":\"9999-12-31T23:59:59.999Z\""));
	free(answer);
	answer = command(c, "{\"cmd\":\"open\",\"poll\":\"y1\",\"question\":\"Q?\",\"choices\":[\"yes\",\"no\"],"
			    "\"closes\":253402351199000}");
	assert_string_equal(answer, "{\"ok\":false,\"error\":\"'closes' must be a time in ms since the epoch, 0 to "
				    "253402300799999 (1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)\"}");
	free(answer);
	/* a roll that is no regular file is refused at once */
	answer = command(c, "{\"cmd\":\"open\",\"poll\":\"q1\",\"question\":\"Q?\",\"choices\":[\"yes\",\"no\"],"
			    "\"roll\":\"/dev/zero\"}");
	assert_string_equal(answer, "{\"ok\":false,\"error\":\"cannot read the roll of q1: roll '/dev/zero' is not a "
				    "regular file\"}");
	free(answer);
	core_free(c);
}

static void core_ballot_should_wake_the_publisher_only_when_a_result_becomes_due_sooner(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	struct due_result r, none;
	int64_t t0, wake;
	char voter[16];
	int k;

	atomic_store(&wakes, 0);
	/* the publisher has not looked yet: the first change wakes it */
	assert_int_equal(vote(c, "p1", "bob", "yes", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(atomic_load(&wakes), 1);
	/* more changes, on this poll and another, are due no sooner: no wake-up each */
	for (k = 0; k < 10; k++) {
		snprintf(voter, sizeof(voter), "v%d", k);
		assert_int_equal(vote(c, k % 2 ? "p1" : "p2", voter, "no", NULL, -1), RECEIPT_COUNTED);
	}
	assert_int_equal(atomic_load(&wakes), 1);
	/* the publisher publishes both and is told nothing is pending */
	t0 = vtime_mono_ms();
	for (k = 0; k < 2; k++) {
		assert_int_equal(next_result(c, t0, &r, NULL), 1);
		core_result_done(c, r.slot, r.version, true);
		due_result_free(&r);
	}
	assert_int_equal(next_result(c, t0, &none, &wake), 0);
	assert_true(wake == INT64_MAX);
	/* a change now is due sooner than never: one wake-up */
	assert_int_equal(vote(c, "p1", "ann", "yes", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(atomic_load(&wakes), 2);
	assert_int_equal(vote(c, "p1", "amy", "yes", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(vote(c, "p2", "amy", "yes", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(atomic_load(&wakes), 2);
	/* the publisher looks before the interval is over: it will look again then */
	assert_int_equal(next_result(c, t0 + 1, &none, &wake), 0);
	assert_true(wake == t0 + CORE_RESULT_INTERVAL_MS);
	assert_int_equal(vote(c, "p1", "zoe", "yes", ID_A, 1), RECEIPT_COUNTED);
	assert_int_equal(atomic_load(&wakes), 2);
	/* neither do duplicates, which change nothing */
	assert_int_equal(vote(c, "p1", "zoe", "yes", ID_A, 1), RECEIPT_DUPLICATE);
	assert_int_equal(atomic_load(&wakes), 2);
	core_free(c);
}

static void core_ballot_should_not_wake_the_publisher_while_the_polls_result_is_in_flight(void **state)
{
	/* the end of the publication says (the adapter looks again after
	 * core_result_done); a wake-up per ballot meanwhile is the cost this
	 * rule removes */
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	struct due_result r, none;
	int64_t t0, wake;

	atomic_store(&wakes, 0);
	assert_int_equal(vote(c, "p1", "bob", "yes", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(atomic_load(&wakes), 1);
	t0 = vtime_mono_ms();
	r = take_result(c, t0, "p1");
	assert_int_equal(next_result(c, t0, &none, &wake), 0);
	assert_true(wake == t0 + CORE_RESULT_TIMEOUT_MS);
	assert_int_equal(vote(c, "p1", "ann", "no", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(vote(c, "p1", "eve", "no", NULL, -1), RECEIPT_COUNTED);
	assert_int_equal(atomic_load(&wakes), 1);
	core_result_done(c, r.slot, r.version, true);
	due_result_free(&r);
	/* the newer result is due once the interval is over */
	assert_int_equal(core_results_pending(c), 1);
	assert_int_equal(next_result(c, t0, &none, &wake), 0);
	assert_true(wake == t0 + CORE_RESULT_INTERVAL_MS);
	r = take_result(c, t0 + CORE_RESULT_INTERVAL_MS, "p1");
	assert_true(value_has(&r.result, "\"total\":3,"));
	core_result_done(c, r.slot, r.version, true);
	due_result_free(&r);
	core_free(c);
}

/* ---- a store that fails must not be acknowledged ---- */

/* What the child that makes the store fail saw. */
struct failing {
	int setup;         /* 0, or the step that went wrong before the failure */
	int failed_rc;     /* core_ballot of the ballot whose commit fails */
	int later_rc[4];   /* core_ballot of later ballots (limit lifted): new, duplicate, refused, another poll */
	double published_total; /* total of p1's result published after the failure (-1: none published) */
};

/* make_store_fail: in a child process (so that its limit does not leak),
 * opens a core on db, counts one ballot, then limits the size of every
 * file it writes to 0 bytes (RLIMIT_FSIZE, SIGXFSZ ignored: writes fail
 * with EFBIG), feeds carol's ballot, lifts the limit, and feeds more. */
static void make_store_fail(const char *db, struct failing *out)
{
	int fds[2];
	pid_t pid;
	int status;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct failing rep = { 0, 0, { 0, 0, 0, 0 }, -1 };
		struct core_config cfg = { .db = db, .quiet = true };
		char err[512] = "";
		struct core *c;
		struct verdict v;
		struct rlimit lim, zero;
		struct due_result r;
		int64_t wake, t;
		int k;

		close(fds[0]);
		c = core_open(&cfg, err, sizeof(err));
		if (!c) {
			rep.setup = 1;
			goto report;
		}
		if (feed(c, "p1", "{\"voter\":\"ann\",\"choice\":\"no\",\"id\":\"" ID_B "\",\"ts\":2}", false, &v) !=
			    CORE_OK) {
			rep.setup = 2;
			goto report;
		}
		verdict_free(&v);
		/* everything published and acknowledged: nothing pending */
		t = vtime_mono_ms();
		while (core_next_result(c, t, &r, &wake) == 1) {
			core_result_done(c, r.slot, r.version, true);
			due_result_free(&r);
		}
		if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || getrlimit(RLIMIT_FSIZE, &lim) != 0) {
			rep.setup = 3;
			goto report;
		}
		zero = lim;
		zero.rlim_cur = 0;
		if (setrlimit(RLIMIT_FSIZE, &zero) != 0) {
			rep.setup = 4;
			goto report;
		}
		rep.failed_rc = feed(c, "p1", "{\"voter\":\"carol\",\"choice\":\"yes\",\"id\":\"" ID_C "\",\"ts\":3}",
				     false, &v);
		verdict_free(&v);
		if (setrlimit(RLIMIT_FSIZE, &lim) != 0) {
			rep.setup = 5;
			goto report;
		}
		rep.later_rc[0] = feed(c, "p1", "{\"voter\":\"dave\",\"choice\":\"yes\"}", false, &v);
		verdict_free(&v);
		rep.later_rc[1] = feed(c, "p1", "{\"voter\":\"ann\",\"choice\":\"no\",\"id\":\"" ID_B "\",\"ts\":2}",
				       false, &v);
		verdict_free(&v);
		rep.later_rc[2] = feed(c, "p1", "{", false, &v);
		verdict_free(&v);
		rep.later_rc[3] = feed(c, "p9", "{\"voter\":\"zed\",\"choice\":\"yes\"}", false, &v);
		verdict_free(&v);
		/* what a publisher would send now (a reconnection republishes everything) */
		core_results_reset(c);
		for (k = 0; k < 8 && core_next_result(c, t + (k + 1) * CORE_RESULT_TIMEOUT_MS, &r, &wake) == 1; k++) {
			char *json = render_due(&r, err, sizeof(err));
			cJSON *root = json ? cJSON_Parse(json) : NULL;

			free(json);
			if (strcmp(r.topic, "vote/p1/result") == 0 && root)
				rep.published_total =
					cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "total"));
			cJSON_Delete(root);
			core_result_done(c, r.slot, r.version, true);
			due_result_free(&r);
		}
		core_free(c);
report:
		if (write(fds[1], &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	memset(out, 0, sizeof(*out));
	assert_int_equal(read(fds[0], out, sizeof(*out)), (ssize_t)sizeof(*out));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (out->setup)
		fail_msg("the failing store's child could not get ready (step %d)", out->setup);
}

/* voters_in: the voters stored for poll, joined by ','. */
struct voters {
	char buf[256];
	size_t used;
};

static int add_voter(void *ctx, const struct ballot *b, int64_t at_ms)
{
	struct voters *v = ctx;
	int n = snprintf(v->buf + v->used, sizeof(v->buf) - v->used, "%s%s", v->used ? "," : "", b->voter);

	(void)at_ms;
	assert_true(n > 0 && (size_t)n < sizeof(v->buf) - v->used);
	v->used += (size_t)n;
	return 0;
}

static void voters_in(const char *db, const char *poll, char *buf, size_t size)
{
	char err[512] = "";
	struct store *s = store_open(db, STORE_READER, STORE_SYNC_NORMAL, err, sizeof(err));
	struct voters v = { "", 0 };

	if (!s)
		fail_msg("store_open: %s", err);
	if (store_each_ballot(s, poll, add_voter, &v, err, sizeof(err)) != 0)
		fail_msg("store_each_ballot: %s", err);
	store_close(s);
	snprintf(buf, size, "%s", v.buf);
}

static void core_ballot_should_fail_and_keep_failing_when_the_store_cannot_be_written(void **state)
{
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	struct failing rep;
	char voters[256];
	int k;

	assert_int_equal(vote(c, "p1", "bob", "yes", ID_A, 1), RECEIPT_COUNTED);
	core_free(c);

	make_store_fail(f->db, &rep);
	/* the ballot whose commit failed is not to be acknowledged */
	assert_int_equal(rep.failed_rc, CORE_FAILED);
	/* nor is any later one, whatever it is, even once the disk works again */
	for (k = 0; k < 4; k++)
		if (rep.later_rc[k] != CORE_FAILED)
			fail_msg("later ballot %d: %d, expected CORE_FAILED", k, rep.later_rc[k]);

	/* reopened without the limit: carol's ballot is not in the store, nor the later ones */
	voters_in(f->db, "p1", voters, sizeof(voters));
	assert_string_equal(voters, "ann,bob");
	voters_in(f->db, "p9", voters, sizeof(voters));
	assert_string_equal(voters, "");
	c = open_core(f->db, NULL, 0, true);
	assert_summary(c, "p1", "no=1,yes=1 total=2 rejected=0");
	/* delivered again to the next run, it counts once */
	assert_int_equal(vote(c, "p1", "carol", "yes", ID_C, 3), RECEIPT_COUNTED);
	assert_int_equal(vote(c, "p1", "carol", "yes", ID_C, 3), RECEIPT_DUPLICATE);
	assert_summary(c, "p1", "no=1,yes=2 total=3 rejected=0");
	core_free(c);
}

static void core_should_never_publish_a_ballot_whose_commit_failed(void **state)
{
	/* results are published only once every ballot counted in them is
	 * committed (core.h): after the failed commit of carol's ballot, the
	 * result a publisher gets (all republished, as after a reconnection)
	 * must not count her: p1 held bob and ann, total 2. */
	struct fixture *f = *state;
	struct core *c = open_core(f->db, NULL, 0, true);
	struct failing rep;

	assert_int_equal(vote(c, "p1", "bob", "yes", ID_A, 1), RECEIPT_COUNTED);
	core_free(c);
	make_store_fail(f->db, &rep);
	assert_int_equal(rep.failed_rc, CORE_FAILED);
	if (rep.published_total != -1 && rep.published_total != 2)
		fail_msg("KNOWN BUG (tallier/core.c, core_ballot: the tally keeps a ballot whose store_save failed): "
			 "p1's result published after the failure shows total %g, expected 2 (bob, ann): "
			 "carol's uncommitted ballot is counted in it", rep.published_total);
}

/* ---- order independence over the core ---- */

#define O_POLLS 3
#define O_VOTERS 300
#define O_CHOICES 5 /* the last is not offered when choices are configured */
#define O_ORDERS 4

static const char *const o_choices[O_CHOICES] = { "alpha", "bravo", "charlie", "delta", "x-ray" };

struct gen {
	unsigned poll, voter, choice;
	char id[BALLOT_ID_HEX + 1];
	int64_t ts;
	char json[192];
};

/* generate_ballots: each voter casts 0 to 4 ballots per poll, ts in a
 * small range (ties), random ids, half of them taking the id of one of the
 * voter's earlier ballots on the poll (the same id with another ts or
 * choice, or now and then the same ballot again). Returns the count; *out
 * is malloc'd. */
static size_t generate_ballots(uint64_t *rng, struct gen **out)
{
	size_t cap = O_POLLS * O_VOTERS * 4, n = 0;
	struct gen *g = malloc(cap * sizeof(*g));
	unsigned p, v, k, nb;

	assert_non_null(g);
	for (p = 0; p < O_POLLS; p++) {
		for (v = 0; v < O_VOTERS; v++) {
			nb = (unsigned)rng_below(rng, 5);
			for (k = 0; k < nb; k++) {
				struct gen *b = &g[n++];
				char voter[16];
				uint64_t hi = rng_next(rng), lo = rng_next(rng);

				b->poll = p;
				b->voter = v;
				b->choice = (unsigned)rng_below(rng, O_CHOICES);
				if (k > 0 && rng_below(rng, 2) == 0)
					memcpy(b->id, b[-1 - (long)rng_below(rng, k)].id, sizeof(b->id));
				else
					snprintf(b->id, sizeof(b->id), "%016" PRIx64 "%016" PRIx64, hi, lo);
				b->ts = 1700000000000LL + (int64_t)rng_below(rng, 6);
				snprintf(voter, sizeof(voter), "voter%03u", v);
				ballot_text(b->json, sizeof(b->json), voter, o_choices[b->choice], b->id, b->ts, NULL);
			}
		}
	}
	*out = g;
	return n;
}

/* o_shared_ids: how many of g[0..n) share poll, voter and id with an
 * earlier one but differ from it in ts or choice. */
static size_t o_shared_ids(const struct gen *g, size_t n)
{
	size_t i, j, shared = 0;

	for (i = 0; i < n; i++)
		for (j = i >= 4 ? i - 4 : 0; j < i; j++)
			if (g[i].poll == g[j].poll && g[i].voter == g[j].voter && strcmp(g[i].id, g[j].id) == 0 &&
			    (g[i].ts != g[j].ts || g[i].choice != g[j].choice)) {
				shared++;
				break;
			}
	return shared;
}

/* The counts computed without the core. */
struct o_expected {
	uint64_t counts[O_POLLS][O_CHOICES];
	uint64_t total[O_POLLS];
	uint64_t refused[O_POLLS]; /* deliveries of a choice not on offer, once the poll exists */
};

/* earlier: a comes before b in (ts, id, choice) order (bytes). */
static bool earlier(const struct gen *a, const struct gen *b)
{
	int c;

	if (a->ts != b->ts)
		return a->ts < b->ts;
	c = strcmp(a->id, b->id);
	return c != 0 ? c < 0 : strcmp(o_choices[a->choice], o_choices[b->choice]) < 0;
}

/* o_expect: per poll and voter, among the ballots on offer, the latest
 * by (ts, id, choice) with revote on, the earliest with it off; refusals
 * count once the poll exists (a refusal never creates a poll). */
static void o_expect(const struct gen *const *seq, size_t n, bool revote, bool configured, struct o_expected *e)
{
	const struct gen *held[O_POLLS][O_VOTERS];
	bool exists[O_POLLS] = { false };
	size_t i, p, v;

	memset(held, 0, sizeof(held));
	memset(e, 0, sizeof(*e));
	for (i = 0; i < n; i++) {
		const struct gen *b = seq[i];

		if (configured && b->choice == O_CHOICES - 1) {
			if (exists[b->poll])
				e->refused[b->poll]++;
			continue;
		}
		exists[b->poll] = true;
		if (!held[b->poll][b->voter] ||
		    (revote ? earlier(held[b->poll][b->voter], b) : earlier(b, held[b->poll][b->voter])))
			held[b->poll][b->voter] = b;
	}
	for (p = 0; p < O_POLLS; p++)
		for (v = 0; v < O_VOTERS; v++)
			if (held[p][v]) {
				e->counts[p][held[p][v]->choice]++;
				e->total[p]++;
			}
}

/* o_mismatches: how far c's results are from e (printed). */
static size_t o_mismatches(struct core *c, const struct o_expected *e, bool revote, const char *what)
{
	size_t p, k, bad = 0;

	for (p = 0; p < O_POLLS; p++) {
		char poll[16], *json;
		cJSON *root, *counts;

		snprintf(poll, sizeof(poll), "poll%zu", p);
		json = result_text(c, poll);
		root = cJSON_Parse(json);
		assert_non_null(root);
		counts = cJSON_GetObjectItemCaseSensitive(root, "counts");
		for (k = 0; k < O_CHOICES; k++) {
			cJSON *n = cJSON_GetObjectItemCaseSensitive(counts, o_choices[k]);
			double got = n ? cJSON_GetNumberValue(n) : 0;

			if (got != (double)e->counts[p][k]) {
				print_error("%s: %s %s %g, expected %" PRIu64 "\n", what, poll, o_choices[k], got,
					    e->counts[p][k]);
				bad++;
			}
		}
		if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "total")) != (double)e->total[p]) {
			print_error("%s: %s: %s, expected total %" PRIu64 "\n", what, poll, json, e->total[p]);
			bad++;
		}
		/* with revote on only refusals count as rejected: one per delivery */
		if (revote && cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "rejected")) !=
				      (double)e->refused[p]) {
			print_error("%s: %s: %s, expected rejected %" PRIu64 "\n", what, poll, json, e->refused[p]);
			bad++;
		}
		cJSON_Delete(root);
		free(json);
	}
	return bad;
}

static void check_core_property(const char *dir, bool revote, bool configured)
{
	uint64_t seed = property_seed(), rng = seed;
	struct gen *g;
	const struct gen **seq;
	size_t n = generate_ballots(&rng, &g), len, i, o, p, bad = 0;
	struct o_expected e, e_set;
	char db[256], what[96];

	print_message("core property (revote %s, choices %s): seed 0x%016" PRIx64
		      " (set MQTTVOTE_TEST_SEED to repeat), %zu ballots\n",
		      revote ? "on" : "off", configured ? "configured" : "free", seed, n);
	assert_true(n > 1500);
	assert_true(o_shared_ids(g, n) > n / 10);
	seq = malloc((n + n / 4 + 1) * sizeof(*seq));
	assert_non_null(seq);
	for (o = 0; o < O_ORDERS; o++) {
		struct core *c;
		char *before[O_POLLS];

		/* the generated order (o 0); then all ballots and up to n/4
		 * redeliveries, reversed (o 1) or shuffled */
		for (i = 0; i < n; i++)
			seq[i] = &g[i];
		len = o == 0 ? n : n + rng_below(&rng, n / 4 + 1);
		for (i = n; i < len; i++)
			seq[i] = &g[rng_below(&rng, n)];
		if (o == 1) {
			for (i = 0; i < len / 2; i++) {
				const struct gen *tmp = seq[i];

				seq[i] = seq[len - 1 - i];
				seq[len - 1 - i] = tmp;
			}
		} else if (o > 1) {
			for (i = len - 1; i > 0; i--) {
				size_t j = rng_below(&rng, i + 1);
				const struct gen *tmp = seq[i];

				seq[i] = seq[j];
				seq[j] = tmp;
			}
		}
		/* counts and totals are those of the set; rejected those of the deliveries */
		o_expect(seq, len, revote, configured, &e);
		if (o == 0)
			e_set = e;
		for (p = 0; p < O_POLLS; p++) {
			assert_memory_equal(e.counts[p], e_set.counts[p], sizeof(e.counts[p]));
			assert_int_equal(e.total[p], e_set.total[p]);
		}
		snprintf(db, sizeof(db), "%s/prop-%d-%d-%zu.db", dir, revote, configured, o);
		c = open_core(db, configured ? o_choices : NULL, configured ? O_CHOICES - 1 : 0, revote);
		for (i = 0; i < len; i++) {
			char poll[16];
			struct verdict v;

			snprintf(poll, sizeof(poll), "poll%u", seq[i]->poll);
			if (feed(c, poll, seq[i]->json, false, &v) != CORE_OK)
				fail_msg("core_ballot failed on %s", seq[i]->json);
			verdict_free(&v);
		}
		snprintf(what, sizeof(what), "order %zu (%zu ballots)", o, len);
		bad += o_mismatches(c, &e, revote, what);
		/* and the store holds the same: reopened, the same results */
		for (p = 0; p < O_POLLS; p++) {
			char poll[16];

			snprintf(poll, sizeof(poll), "poll%zu", p);
			before[p] = result_text(c, poll);
		}
		core_free(c);
		c = open_core(db, configured ? o_choices : NULL, configured ? O_CHOICES - 1 : 0, revote);
		for (p = 0; p < O_POLLS; p++) {
			char poll[16], *after;

			snprintf(poll, sizeof(poll), "poll%zu", p);
			after = result_text(c, poll);
			if (strcmp(after, before[p]) != 0) {
				print_error("%s, reopened: %s\n  before %s\n  after  %s\n", what, poll, before[p], after);
				bad++;
			}
			free(after);
			free(before[p]);
		}
		core_free(c);
	}
	free(seq);
	free(g);
	if (bad)
		fail_msg("%zu mismatches with seed 0x%016" PRIx64, bad, seed);
}

static void core_counts_should_not_depend_on_order_or_redeliveries_with_revote_on(void **state)
{
	check_core_property(((struct fixture *)*state)->dir, true, false);
}

static void core_counts_should_not_depend_on_order_or_redeliveries_with_revote_off(void **state)
{
	check_core_property(((struct fixture *)*state)->dir, false, false);
}

static void core_counts_should_not_depend_on_order_with_choices_and_revote_on(void **state)
{
	check_core_property(((struct fixture *)*state)->dir, true, true);
}

static void core_counts_should_not_depend_on_order_with_choices_and_revote_off(void **state)
{
	check_core_property(((struct fixture *)*state)->dir, false, true);
}

/* ---- threads: two feeders and a publisher ---- */

#define T_VOTERS 40
#define T_PER_THREAD 2000
#define T_POLLS 2

struct t_ballot {
	unsigned poll, voter, choice;
	char id[BALLOT_ID_HEX + 1];
	int64_t ts;
	bool bad; /* unreadable: refused */
	char json[192];
};

struct feeder {
	struct core *c;
	const struct t_ballot *b;
	size_t n;
	atomic_int *running;
	size_t failures; /* core_ballot not CORE_OK, or a verdict that is not the ballot's */
};

static void *feed_thread(void *arg)
{
	struct feeder *fd = arg;
	size_t i;

	for (i = 0; i < fd->n; i++) {
		struct verdict v;
		char poll[16];

		snprintf(poll, sizeof(poll), "tp%u", fd->b[i].poll);
		if (feed(fd->c, poll, fd->b[i].json, i % 7 == 0, &v) != CORE_OK ||
		    (fd->b[i].bad ? v.status != RECEIPT_REJECTED : v.status == RECEIPT_REJECTED) ||
		    (i % 7 == 0 && !v.result))
			fd->failures++;
		verdict_free(&v);
	}
	atomic_fetch_sub(fd->running, 1);
	return NULL;
}

struct publisher {
	struct core *c;
	const char *db;
	atomic_int *running;
	size_t published, queried;
	size_t failures;   /* results that do not parse, or show more than the store holds */
	char note[256];    /* the first failure */
};

/* Per poll: the total and rejected a reader sees in the store. */
struct stored {
	double total[T_POLLS], rejected[T_POLLS];
};

static int add_count(void *ctx, const char *poll, const char *choice, uint64_t votes)
{
	struct stored *s = ctx;
	unsigned p;

	if (sscanf(poll, "tp%u", &p) != 1 || p >= T_POLLS)
		return 0;
	if (choice)
		s->total[p] += (double)votes;
	else
		s->rejected[p] = (double)votes;
	return 0;
}

/* check_published: json, a result just published, shows no more voters
 * and no more refusals than the store holds now: totals and rejected
 * counts only grow in this test, so a result that counted a ballot not
 * yet committed may show more than the store at that moment. */
static void check_published(struct publisher *pb, struct store *reader, const char *json)
{
	cJSON *root = cJSON_Parse(json);
	struct stored s = { { 0 }, { 0 } };
	char err[256] = "";
	unsigned p;
	const cJSON *poll = root ? cJSON_GetObjectItemCaseSensitive(root, "poll") : NULL;

	if (!root || !cJSON_IsString(poll) || sscanf(poll->valuestring, "tp%u", &p) != 1 || p >= T_POLLS) {
		if (!pb->failures++)
			snprintf(pb->note, sizeof(pb->note), "not a result: %s", json);
		cJSON_Delete(root);
		return;
	}
	if (store_each_count(reader, add_count, &s, err, sizeof(err)) != 0) {
		if (!pb->failures++)
			snprintf(pb->note, sizeof(pb->note), "store_each_count: %.200s", err);
	} else if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "total")) > s.total[p] ||
		   cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "rejected")) > s.rejected[p]) {
		if (!pb->failures++)
			snprintf(pb->note, sizeof(pb->note), "published %s while the store held total %g, rejected %g",
				 json, s.total[p], s.rejected[p]);
	}
	cJSON_Delete(root);
}

static void *publish_thread(void *arg)
{
	struct publisher *pb = arg;
	char err[512] = "";
	struct store *reader = store_open(pb->db, STORE_READER, STORE_SYNC_NORMAL, err, sizeof(err));
	int64_t fake = vtime_mono_ms();
	bool last = false;

	if (!reader) {
		pb->failures++;
		snprintf(pb->note, sizeof(pb->note), "store_open reader: %.200s", err);
		return NULL;
	}
	/* until both feeders are done, then once more to drain */
	while (!last) {
		struct due_result r;
		int64_t wake;
		int rc;
		char *json;

		last = atomic_load(pb->running) == 0;
		/* the publisher's clock runs ahead, so that every change may go out */
		fake += CORE_RESULT_INTERVAL_MS;
		while ((rc = core_next_result(pb->c, fake, &r, &wake)) == 1) {
			if (!strstr(r.topic, "/info")) { /* the results; each poll's information goes out too */
				pb->published++;
				json = render_due(&r, err, sizeof(err));
				check_published(pb, reader, json ? json : err);
				free(json);
			}
			core_result_done(pb->c, r.slot, r.version, true);
			due_result_free(&r);
		}
		if (rc < 0 && !pb->failures++)
			snprintf(pb->note, sizeof(pb->note), "core_next_result failed");
		json = render_result(pb->c, "tp0", err, sizeof(err));
		if (json) {
			cJSON *root = cJSON_Parse(json);

			if (!root && !pb->failures++)
				snprintf(pb->note, sizeof(pb->note), "render_result: not JSON: %s", json);
			pb->queried++;
			cJSON_Delete(root);
			free(json);
		}
	}
	store_close(reader);
	return NULL;
}

/* t_generate: ballots of T_VOTERS voters (the same voters in both
 * threads) on T_POLLS polls, ts and ids random, some unreadable. */
static void t_generate(uint64_t *rng, struct t_ballot *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char voter[16];
		uint64_t hi = rng_next(rng), lo = rng_next(rng);

		b[i].poll = (unsigned)rng_below(rng, T_POLLS);
		b[i].voter = (unsigned)rng_below(rng, T_VOTERS);
		b[i].choice = (unsigned)rng_below(rng, 3);
		b[i].bad = rng_below(rng, 20) == 0;
		snprintf(b[i].id, sizeof(b[i].id), "%016" PRIx64 "%016" PRIx64, hi, lo);
		b[i].ts = 1700000000000LL + (int64_t)rng_below(rng, 50);
		snprintf(voter, sizeof(voter), "voter%02u", b[i].voter);
		if (b[i].bad)
			snprintf(b[i].json, sizeof(b[i].json), "{\"voter\":\"%s\",\"choice\":", voter);
		else
			ballot_text(b[i].json, sizeof(b[i].json), voter, o_choices[b[i].choice], b[i].id, b[i].ts,
				    NULL);
	}
}

static void core_should_count_ballots_from_two_threads_as_a_serial_recount_does(void **state)
{
	struct fixture *f = *state;
	uint64_t seed = property_seed() ^ 0x7468726561647321ULL, rng = seed;
	struct t_ballot *b = malloc(2 * T_PER_THREAD * sizeof(*b));
	const struct t_ballot *held[T_POLLS][T_VOTERS];
	uint64_t counts[T_POLLS][3], total[T_POLLS], refused[T_POLLS];
	atomic_int running = 2;
	struct core *c;
	struct feeder fa, fb;
	struct publisher pb;
	pthread_t ta, tb, tc;
	char *live[T_POLLS];
	size_t i, p, k;

	assert_non_null(b);
	t_generate(&rng, b, 2 * T_PER_THREAD);
	/* the serial recount: revote on, ts and id everywhere, so a pure function of the set */
	memset(held, 0, sizeof(held));
	memset(counts, 0, sizeof(counts));
	memset(total, 0, sizeof(total));
	memset(refused, 0, sizeof(refused));
	for (i = 0; i < 2 * T_PER_THREAD; i++) {
		const struct t_ballot *x = &b[i], **h = &held[x->poll][x->voter];

		if (x->bad)
			refused[x->poll]++;
		else if (!*h || (*h)->ts < x->ts || ((*h)->ts == x->ts && strcmp((*h)->id, x->id) < 0))
			*h = x;
	}
	for (p = 0; p < T_POLLS; p++)
		for (i = 0; i < T_VOTERS; i++)
			if (held[p][i]) {
				counts[p][held[p][i]->choice]++;
				total[p]++;
			}

	c = open_core(f->db, NULL, 0, true);
	fa = (struct feeder){ c, b, T_PER_THREAD, &running, 0 };
	fb = (struct feeder){ c, b + T_PER_THREAD, T_PER_THREAD, &running, 0 };
	pb = (struct publisher){ .c = c, .db = f->db, .running = &running };
	assert_int_equal(pthread_create(&tc, NULL, publish_thread, &pb), 0);
	assert_int_equal(pthread_create(&ta, NULL, feed_thread, &fa), 0);
	assert_int_equal(pthread_create(&tb, NULL, feed_thread, &fb), 0);
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_int_equal(pthread_join(tb, NULL), 0);
	assert_int_equal(pthread_join(tc, NULL), 0);
	print_message("threads: %zu results published, %zu queried while counting (seed 0x%016" PRIx64 ")\n",
		      pb.published, pb.queried, seed);
	assert_int_equal(fa.failures, 0);
	assert_int_equal(fb.failures, 0);
	if (pb.failures)
		fail_msg("publisher: %zu failures; first: %s", pb.failures, pb.note);
	assert_true(pb.published >= T_POLLS);
	assert_int_equal(core_results_pending(c), 0);

	/* the core's results are the serial recount's */
	for (p = 0; p < T_POLLS; p++) {
		char poll[16], want[256];
		int n;

		snprintf(poll, sizeof(poll), "tp%zu", p);
		n = snprintf(want, sizeof(want), "%s", "");
		for (k = 0; k < 3; k++)
			if (counts[p][k])
				n += snprintf(want + n, sizeof(want) - (size_t)n, "%s%s=%" PRIu64, n ? "," : "",
					      o_choices[k], counts[p][k]);
		snprintf(want + n, sizeof(want) - (size_t)n, " total=%" PRIu64 " rejected=%" PRIu64, total[p],
			 refused[p]);
		assert_summary(c, poll, want);
		live[p] = result_text(c, poll);
	}
	core_free(c);
	/* and so is what was committed: reopened, the same results */
	c = open_core(f->db, NULL, 0, true);
	for (p = 0; p < T_POLLS; p++) {
		char poll[16], *after;

		snprintf(poll, sizeof(poll), "tp%zu", p);
		after = result_text(c, poll);
		assert_string_equal(after, live[p]);
		free(after);
		free(live[p]);
	}
	core_free(c);
	free(b);
}

/* ---- a stream of ballots on one poll does not starve its result ---- */

struct streamer {
	struct core *c;
	atomic_int stop;
	size_t sent, failures;
};

static void *stream_thread(void *arg)
{
	struct streamer *st = arg;
	char json[256], voter[32];

	while (!atomic_load(&st->stop)) {
		struct verdict v;

		snprintf(voter, sizeof(voter), "s%zu", st->sent);
		ballot_text(json, sizeof(json), voter, st->sent % 2 ? "yes" : "no", NULL, -1, NULL);
		if (feed(st->c, "stream", json, false, &v) != CORE_OK)
			st->failures++;
		verdict_free(&v);
		st->sent++;
	}
	return NULL;
}

/* While one thread commits ballot after ballot on a poll (a commit is in
 * progress most of the time), the publisher must still get that poll's
 * result every interval, each showing only committed ballots. */
static void core_next_result_should_not_starve_while_a_poll_is_committed_without_pause(void **state)
{
	const char *dir = *state;
	char db[4096];
	struct streamer st = { 0 };
	pthread_t t;
	size_t published = 0;
	int64_t end;

	snprintf(db, sizeof(db), "%s/stream.db", dir);
	st.c = open_core(db, NULL, 0, true);
	assert_int_equal(pthread_create(&t, NULL, stream_thread, &st), 0);
	end = vtime_mono_ms() + 1000;
	while (vtime_mono_ms() < end) {
		struct due_result r;
		int64_t wake;

		if (core_next_result(st.c, vtime_mono_ms(), &r, &wake) == 1) {
			published++;
			core_result_done(st.c, r.slot, r.version, true);
			due_result_free(&r);
		} else {
			struct timespec pause = { 0, 1000000 };

			nanosleep(&pause, NULL); /* the interval is time passing, not a condition */
		}
	}
	atomic_store(&st.stop, 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(st.failures, 0);
	assert_true(st.sent > 100);
	/* 1 s at one result per 100 ms: about 10; a starved publisher gets 0 or 1 */
	assert_in_range(published, 3, 12);
	core_free(st.c);
}

#define T(name) cmocka_unit_test_setup_teardown(name, make_dir, remove_dir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(core_open_should_create_a_fresh_database_and_hold_no_poll),
		T(core_result_seen_should_schedule_the_result_again_when_the_broker_holds_another),
		T(core_client_id_should_be_random_and_kept_in_the_database),
		T(core_ballot_should_refuse_a_ballot_whose_voter_is_not_the_account_of_its_topic),
		T(core_open_should_refuse_a_second_core_on_the_same_database),
		T(core_open_should_refuse_choices_that_are_invalid_or_given_twice),
		cmocka_unit_test(core_free_should_accept_null),
		T(core_open_should_copy_its_configuration),
		T(core_ballot_should_give_a_verdict_for_every_outcome_with_revote_on),
		T(core_ballot_should_give_a_verdict_for_every_outcome_with_revote_off),
		T(core_ballot_should_answer_a_ballot_in_a_voters_name_alike_whatever_their_choice),
		T(core_ballot_should_refuse_a_payload_over_the_limit_and_count_it),
		T(core_ballot_should_keep_the_held_vote_when_an_unknown_choice_arrives),
		T(core_ballot_should_give_the_polls_result_when_asked_or_when_the_ballot_has_a_reply),
		T(core_result_should_give_a_known_poll_and_refuse_an_unknown_one),
		T(core_should_give_the_same_results_after_core_free_and_core_open),
		T(core_open_should_leave_out_stored_ballots_whose_choice_is_no_longer_offered),
		T(core_next_result_should_give_a_changed_polls_result_once_until_done),
		T(core_clock_should_close_a_poll_at_its_time_and_next_result_should_not),
		T(core_next_result_should_coalesce_ballots_into_one_result_of_the_newest_version),
		T(core_result_done_with_a_failure_should_retry_after_the_interval),
		T(core_results_reset_should_make_every_result_due_again),
		T(core_open_should_schedule_every_stored_polls_result),
		T(core_open_should_keep_a_stored_poll_whose_time_is_out_of_range),
		T(core_ballot_should_wake_the_publisher_only_when_a_result_becomes_due_sooner),
		T(core_ballot_should_not_wake_the_publisher_while_the_polls_result_is_in_flight),
		T(core_next_result_should_not_starve_while_a_poll_is_committed_without_pause),
		T(core_ballot_should_fail_and_keep_failing_when_the_store_cannot_be_written),
		T(core_should_never_publish_a_ballot_whose_commit_failed),
		T(core_counts_should_not_depend_on_order_or_redeliveries_with_revote_on),
		T(core_counts_should_not_depend_on_order_or_redeliveries_with_revote_off),
		T(core_counts_should_not_depend_on_order_with_choices_and_revote_on),
		T(core_counts_should_not_depend_on_order_with_choices_and_revote_off),
		T(core_should_count_ballots_from_two_threads_as_a_serial_recount_does),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
