/* test_kinds.c -- unit tests of the question kinds the tallier counts: answer keys, the tally's rules for multiple and scale ballots, their results */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "ballot.h"
#include "polldef.h"
#include "result.h"
#include "tally.h"
#include "testkit.h"

/* The polls of these tests: m (multiple: a, b, c, 0 to 3 picks) and s
 * (scale -1..3). */
static const struct polldef M = { .poll = "m", .defined = true, .choices = { "a", "b", "c" }, .nchoices = 3,
				   .revote = true, .kind = POLLDEF_MULTIPLE, .min_picks = 0, .max_picks = 3 };
static const struct polldef S = { .poll = "s", .defined = true, .revote = true, .kind = POLLDEF_SCALE,
				   .low = -1, .high = 3 };

static const struct polldef R = { .poll = "r", .defined = true, .choices = { "a", "b", "c" }, .nchoices = 3,
				   .revote = true, .kind = POLLDEF_RANKED };

/* picks: a multiple ballot of voter on m with the names in list (split
 * on ','), id number n (0: none), ts (< 0: none). */
static struct ballot picks(const char *voter, const char *list, unsigned n, int64_t ts)
{
	struct ballot b = mk("m", voter, "", n ? id_of(n) : NULL, ts);
	const char *at = list, *comma;

	b.kind = POLLDEF_MULTIPLE;
	while (*at) {
		comma = strchr(at, ',');
		snprintf(b.names[b.nnames++], sizeof(b.names[0]), "%.*s",
			 (int)(comma ? (size_t)(comma - at) : strlen(at)), at);
		at = comma ? comma + 1 : "";
	}
	return b;
}

/* ranking: a ranked ballot of voter on r, the names in list (split on ','), most preferred first. */
static struct ballot ranking(const char *voter, const char *list, unsigned n, int64_t ts)
{
	struct ballot b = picks(voter, list, n, ts);

	snprintf(b.poll, sizeof(b.poll), "r");
	b.kind = POLLDEF_RANKED;
	return b;
}

/* value: a scale ballot of voter on s. */
static struct ballot value(const char *voter, int64_t v, unsigned n, int64_t ts)
{
	struct ballot b = mk("s", voter, "", n ? id_of(n) : NULL, ts);

	b.kind = POLLDEF_SCALE;
	b.value = v;
	return b;
}

/* json_of: the result JSON of poll d->poll in t by d (hidden counts when
 * hide), "updated" cut out, into out. */
static void json_of(const struct tally *t, const struct polldef *d, bool hide, char *out, size_t size)
{
	struct result_view view = { "open", hide, d };
	struct result_value v;
	char err[128], *json, *at, *end;

	assert_int_equal(result_value_of(t, poll_of(t, d->poll), &view, &v, err, sizeof(err)), 0);
	json = result_json(&v, err, sizeof(err));
	assert_non_null(json);
	at = strstr(json, ",\"updated\":\"");
	if (at && (end = strchr(at + 12, '"')))
		memmove(at, end + 1, strlen(end + 1) + 1);
	snprintf(out, size, "%s", json);
	free(json);
	result_value_free(&v);
}

static void answer_key_should_make_a_set_of_picks_and_come_back(void **state)
{
	struct ballot b = picks("ann", "c,a", 0, -1), back;
	char key[ANSWER_KEY_MAX];

	(void)state;
	assert_string_equal(answer_key(&b, key), "a\nc");
	memset(&back, 0, sizeof(back));
	assert_int_equal(answer_from_key(&back, POLLDEF_MULTIPLE, key), 0);
	assert_int_equal(back.nnames, 2);
	assert_string_equal(back.names[0], "a");
	assert_string_equal(back.names[1], "c");
	b = picks("ann", "", 0, -1);
	assert_string_equal(answer_key(&b, key), "");
	assert_int_equal(answer_from_key(&back, POLLDEF_MULTIPLE, ""), 0);
	assert_int_equal(back.nnames, 0);
	b = value("ann", -3, 0, -1);
	assert_string_equal(answer_key(&b, key), "-3");
	assert_int_equal(answer_from_key(&back, POLLDEF_SCALE, "-3"), 0);
	assert_int_equal(back.value, -3);
	b = mk("p", "ann", "yes", NULL, -1);
	assert_string_equal(answer_key(&b, key), "yes");
	assert_string_equal(answer_text(&b, key, sizeof(key)), "yes");
	b = value("ann", -3, 0, -1);
	assert_string_equal(answer_text(&b, key, sizeof(key)), "value -3");
	b = picks("ann", "c,a\"b", 0, -1);
	assert_string_equal(answer_text(&b, key, sizeof(key)), "picks [\"c\",\"a\\\"b\"]");
	b = picks("ann", "", 0, -1);
	assert_string_equal(answer_text(&b, key, sizeof(key)), "picks []");
	b = ranking("ann", "b,a", 0, -1);
	assert_string_equal(answer_text(&b, key, sizeof(key)), "ranking [\"b\",\"a\"]");
	/* keys no answer has */
	assert_int_equal(answer_from_key(&back, POLLDEF_MULTIPLE, "a\n"), -1);
	assert_int_equal(answer_from_key(&back, POLLDEF_MULTIPLE, "a\n\nb"), -1);
	assert_int_equal(answer_from_key(&back, POLLDEF_SCALE, ""), -1);
	assert_int_equal(answer_from_key(&back, POLLDEF_SCALE, "4x"), -1);
	assert_int_equal(answer_from_key(&back, POLLDEF_SCALE, "1000001"), -1);
	assert_int_equal(answer_from_key(&back, POLLDEF_RANKED, ""), -1);
}

/* A revote replaces the whole set; the same picks in another order with
 * the same ts and id are the same ballot again; an earlier one is stale. */
static void a_multiple_revote_should_replace_the_whole_set(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot b;
	char json[512];

	(void)state;
	b = picks("ann", "a,b", 1, 10);
	assert_int_equal(apply(t, &b), TALLY_COUNTED);
	b = picks("ann", "b,a", 1, 10);
	assert_int_equal(apply(t, &b), TALLY_DUPLICATE);
	b = picks("bob", "b", 2, 10);
	assert_int_equal(apply(t, &b), TALLY_COUNTED);
	json_of(t, &M, false, json, sizeof(json));
	assert_string_equal(json, "{\"poll\":\"m\",\"kind\":\"multiple\",\"counts\":{\"a\":1,\"b\":2,\"c\":0},\"voters\":2,"
				  "\"total\":2,\"rejected\":0,\"status\":\"open\"}");
	b = picks("ann", "c", 3, 20);
	assert_int_equal(apply(t, &b), TALLY_REPLACED);
	b = picks("ann", "a,b,c", 4, 15);
	assert_int_equal(apply(t, &b), TALLY_STALE);
	b = picks("bob", "", 5, 30); /* no pick at all: still a voter */
	assert_int_equal(apply(t, &b), TALLY_REPLACED);
	json_of(t, &M, false, json, sizeof(json));
	assert_string_equal(json, "{\"poll\":\"m\",\"kind\":\"multiple\",\"counts\":{\"a\":0,\"b\":0,\"c\":1},\"voters\":2,"
				  "\"total\":2,\"rejected\":0,\"status\":\"open\"}");
	tally_free(t);
}

/* With revote off the first ballot stands, and any later one is refused,
 * whatever its answer (the same one too). */
static void with_revote_off_the_first_scale_value_should_stand(void **state)
{
	struct tally *t = new_tally(NULL, 0, false);
	struct tally_outcome o;
	struct ballot b;
	char json[512];

	(void)state;
	b = value("ann", 2, 1, 10);
	assert_int_equal(apply(t, &b), TALLY_COUNTED);
	b = value("ann", 2, 1, 10);
	assert_int_equal(apply(t, &b), TALLY_DUPLICATE);
	b = value("ann", 2, 2, 20);
	o = apply_at(t, &b, NOW);
	assert_int_equal(o.status, TALLY_REJECTED);
	assert_string_equal(o.reason, "already voted");
	b = value("ann", 3, 3, 30);
	assert_int_equal(apply(t, &b), TALLY_REJECTED);
	b = value("bob", -1, 4, 10);
	assert_int_equal(apply(t, &b), TALLY_COUNTED);
	json_of(t, &S, false, json, sizeof(json));
	assert_string_equal(json, "{\"poll\":\"s\",\"kind\":\"scale\",\"counts\":{\"-1\":1,\"0\":0,\"1\":0,\"2\":1,\"3\":0},"
				  "\"voters\":2,\"mean\":\"0.500\",\"median\":0.5,\"grade\":-1,\"total\":2,"
				  "\"rejected\":2,\"status\":\"open\"}");
	tally_free(t);
}

/* The mean from thousandths, halves away from zero, negative too; no
 * voter: null statistics; hidden counts: no counts and no statistics. */
static void a_scale_result_should_write_its_statistics_as_the_contract_says(void **state)
{
	struct tally *t = new_tally(NULL, 0, true);
	struct ballot b;
	char json[512], voter[16];
	unsigned k;

	(void)state;
	assert_int_equal(tally_reject(t, "s", NOW, json, sizeof(json)), 0); /* the poll, no voter */
	json_of(t, &S, false, json, sizeof(json));
	assert_string_equal(json, "{\"poll\":\"s\",\"kind\":\"scale\",\"counts\":{\"-1\":0,\"0\":0,\"1\":0,\"2\":0,\"3\":0},"
				  "\"voters\":0,\"mean\":null,\"median\":null,\"grade\":null,\"total\":0,"
				  "\"rejected\":1,\"status\":\"open\"}");
	b = value("v0", -1, 1, 1);
	assert_int_equal(apply(t, &b), TALLY_COUNTED);
	for (k = 1; k < 16; k++) {
		snprintf(voter, sizeof(voter), "v%u", k);
		b = value(voter, 0, k + 1, 1);
		assert_int_equal(apply(t, &b), TALLY_COUNTED);
	}
	json_of(t, &S, false, json, sizeof(json));
	assert_string_equal(json, "{\"poll\":\"s\",\"kind\":\"scale\",\"counts\":{\"-1\":1,\"0\":15,\"1\":0,\"2\":0,\"3\":0},"
				  "\"voters\":16,\"mean\":\"-0.063\",\"median\":0,\"grade\":0,\"total\":16,"
				  "\"rejected\":1,\"status\":\"open\"}");
	json_of(t, &S, true, json, sizeof(json));
	assert_string_equal(json, "{\"poll\":\"s\",\"kind\":\"scale\",\"voters\":16,\"total\":16,\"rejected\":1,"
				  "\"status\":\"open\",\"results\":\"after-close\"}");
	tally_free(t);
}

/* The results of multiple and scale ballots are a pure function of the
 * set of ballots: shuffled, with duplicates (redeliveries), the same. */
static void kinds_should_not_depend_on_order_or_redelivery(void **state)
{
	enum { VOTERS = 40, EACH = 3, ORDERS = 20 };
	static const char *const sets[] = { "", "a", "b", "c", "a,b", "a,c", "b,c", "a,b,c" };
	static const char *const orders[] = { "a", "b,a", "c,a,b", "a,c", "b,c,a", "c", "a,b,c", "c,b" };
	struct ballot *b = calloc(3 * VOTERS * EACH, sizeof(*b));
	const struct ballot **seq = calloc(6 * VOTERS * EACH, sizeof(*seq));
	char voter[16], ref_m[2048], ref_s[2048], ref_r[2048], got[2048];
	size_t n = 0, len, i, j, o;
	unsigned seed = 12345, r;
	struct tally *t;
	int revote;

	(void)state;
	assert_non_null(b);
	assert_non_null(seq);
	for (i = 0; i < VOTERS; i++) {
		snprintf(voter, sizeof(voter), "v%zu", i);
		for (j = 0; j < EACH; j++) {
			r = (unsigned)rand_r(&seed);
			/* equal ts now and then: then the id and the answer order them */
			b[n++] = picks(voter, sets[r % 8], (unsigned)(i * EACH + j % 2 + 1), (int64_t)(r / 8 % 3));
			b[n++] = value(voter, (int64_t)(r / 32 % 5) - 1, (unsigned)(i * EACH + j % 2 + 1), (int64_t)(r / 8 % 3));
			b[n++] = ranking(voter, orders[r / 256 % 8], (unsigned)(i * EACH + j % 2 + 1), (int64_t)(r / 8 % 3));
		}
	}
	for (revote = 0; revote <= 1; revote++) {
		for (o = 0; o < ORDERS; o++) {
			for (i = 0; i < n; i++)
				seq[i] = &b[i];
			len = n + (o ? (size_t)rand_r(&seed) % n : 0);
			for (i = n; i < len; i++)
				seq[i] = &b[(size_t)rand_r(&seed) % n];
			for (i = len - 1; o && i > 0; i--) {
				const struct ballot *tmp;

				j = (size_t)rand_r(&seed) % (i + 1);
				tmp = seq[i];
				seq[i] = seq[j];
				seq[j] = tmp;
			}
			t = new_tally(NULL, 0, revote);
			for (i = 0; i < len; i++)
				(void)apply(t, seq[i]);
			/* rejected (revote off) depends on the order: compared without it */
			json_of(t, &M, false, got, sizeof(got));
			*strstr(got, ",\"rejected\"") = '\0';
			if (o == 0)
				snprintf(ref_m, sizeof(ref_m), "%s", got);
			assert_string_equal(got, ref_m);
			json_of(t, &S, false, got, sizeof(got));
			*strstr(got, ",\"rejected\"") = '\0';
			if (o == 0)
				snprintf(ref_s, sizeof(ref_s), "%s", got);
			assert_string_equal(got, ref_s);
			json_of(t, &R, false, got, sizeof(got));
			*strstr(got, ",\"total\"") = '\0';
			if (o == 0)
				snprintf(ref_r, sizeof(ref_r), "%s", got);
			assert_string_equal(got, ref_r);
			tally_free(t);
		}
	}
	assert_non_null(strstr(ref_m, "\"voters\":40,"));
	assert_non_null(strstr(ref_s, "\"voters\":40,"));
	free(seq);
	free(b);
}

/* A ranked poll's result: 4 a>b>c, 3 b>c>a, 2 c>b>a. The runoff
 * eliminates c, whose ballots go to b: b wins 5 to 4; b beats a 5 to 4
 * and c 7 to 2: the Condorcet winner, and Schulze ranks b, c, a. A revote
 * replaces a whole ranking; the order of a ranking matters (b>a is not a>b). */
static void a_ranked_result_should_give_the_runoff_and_schulze(void **state)
{
	static const char *const lists[] = { "a,b,c", "b,c,a", "c,b,a" };
	static const unsigned many[] = { 4, 3, 2 };
	struct tally *t = new_tally(NULL, 0, true);
	char json[2048], voter[16];
	unsigned k, j, n = 0;
	struct ballot b;

	(void)state;
	for (k = 0; k < 3; k++) {
		for (j = 0; j < many[k]; j++) {
			snprintf(voter, sizeof(voter), "v%u", n++);
			b = ranking(voter, k == 0 && j == 0 ? "c,b,a" : lists[k], n, 1);
			assert_int_equal(apply(t, &b), TALLY_COUNTED);
		}
	}
	b = ranking("v0", "a,b,c", 100, 2); /* v0's revote: a>b>c in place of c>b>a */
	assert_int_equal(apply(t, &b), TALLY_REPLACED);
	b = ranking("v0", "a,b,c", 100, 2);
	assert_int_equal(apply(t, &b), TALLY_DUPLICATE);
	json_of(t, &R, false, json, sizeof(json));
	assert_string_equal(json,
			    "{\"poll\":\"r\",\"kind\":\"ranked\",\"counts\":{\"a\":4,\"b\":3,\"c\":2},\"voters\":9,"
			    "\"irv\":{\"rounds\":[{\"counts\":{\"a\":4,\"b\":3,\"c\":2},\"continuing\":9,\"exhausted\":0,"
			    "\"eliminated\":\"c\",\"by_lot\":false},{\"counts\":{\"a\":4,\"b\":5},\"continuing\":9,"
			    "\"exhausted\":0,\"eliminated\":null,\"by_lot\":false}],\"winner\":\"b\"},"
			    "\"schulze\":{\"pairwise\":{\"a\":{\"b\":4,\"c\":4},\"b\":{\"a\":5,\"c\":7},"
			    "\"c\":{\"a\":5,\"b\":2}},\"strongest\":{\"a\":{\"b\":0,\"c\":0},\"b\":{\"a\":5,\"c\":7},"
			    "\"c\":{\"a\":5,\"b\":0}},\"ranking\":[\"b\",\"c\",\"a\"],\"condorcet\":\"b\"},"
			    "\"lot\":null,\"total\":9,\"rejected\":0,\"status\":\"open\"}");
	json_of(t, &R, true, json, sizeof(json));
	assert_string_equal(json, "{\"poll\":\"r\",\"kind\":\"ranked\",\"voters\":9,\"total\":9,\"rejected\":0,"
				  "\"status\":\"open\",\"results\":\"after-close\"}");
	tally_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answer_key_should_make_a_set_of_picks_and_come_back),
		cmocka_unit_test(a_multiple_revote_should_replace_the_whole_set),
		cmocka_unit_test(with_revote_off_the_first_scale_value_should_stand),
		cmocka_unit_test(a_scale_result_should_write_its_statistics_as_the_contract_says),
		cmocka_unit_test(kinds_should_not_depend_on_order_or_redelivery),
		cmocka_unit_test(a_ranked_result_should_give_the_runoff_and_schulze),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
