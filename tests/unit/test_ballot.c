/* test_ballot.c -- unit tests of ballot: parsing and validating the JSON wire format, writing it, ids */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ballot.h"

#define TEXT_RULE "must be a string of 1 to 64 bytes of UTF-8 without control characters"
#define ERR_VOTER "invalid field 'voter': " TEXT_RULE
#define ERR_CHOICE "invalid field 'choice': " TEXT_RULE
#define ERR_ID "invalid field 'id': must be a string of 32 hex digits"
#define ERR_INSTANCE "invalid field 'instance': must be a string of 32 hex digits"
#define ERR_TS "invalid field 'ts': must be an integer from 0 to 2^53-1"
#define ERR_JSON "malformed JSON"
#define ERR_NUL "a string holds \\u0000 (NUL), which is not accepted"
#define ERR_NOT_OBJECT "not a JSON object"
#define ERR_POLL "field 'poll' does not match the topic"
/* what ballot_parse says of a "reply" field it cannot use (struct ballot_reply's problem) */
#define REPLY_NOT_UNDER "field 'reply' is not a topic under vote/p1/receipt/"
#define REPLY_TOO_LONG "field 'reply' is longer than 128 bytes after vote/p1/receipt/"
#define REPLY_WILDCARD "field 'reply' is a topic with '+' or '#'"
#define REPLY_CONTROL "field 'reply' is not UTF-8 text without control characters"
#define REPLY_NOT_STRING "field 'reply' is not a string"

#define S64 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"
#define E32 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
#define ID_LOWER "0123456789abcdef0123456789abcdef"
#define ID_UPPER "0123456789ABCDEF0123456789ABCDEF"
#define VB "\"voter\":\"bob\""
#define CN "\"choice\":\"no\""
#define ERR_PICKS "invalid field 'picks': must be a list of 0 to 32 choices"
#define ERR_RANKING "invalid field 'ranking': must be a list of 1 to 32 choices"
#define ERR_VALUE "invalid field 'value': must be an integer from -1000000 to 1000000"
#define R16 "abcdefghijklmnop"
#define R128 R16 R16 R16 R16 R16 R16 R16 R16 /* the longest rest of a receipt topic */

/* parse_reply: runs ballot_parse on an exact-size heap copy of
 * payload[0..len) (no NUL after it), so AddressSanitizer reports any read
 * past len; reply may be NULL. */
static int parse_reply(const char *poll, const char *payload, size_t len, struct ballot *out,
		       struct ballot_reply *reply, char *err, size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	if (len)
		memcpy(copy, payload, len);
	rc = ballot_parse(poll, copy, len, out, reply, err, errlen);
	free(copy);
	return rc;
}

/* parse: parse_reply, what the "reply" field asks thrown away. */
static int parse(const char *poll, const char *payload, size_t len, struct ballot *out, char *err,
		 size_t errlen)
{
	struct ballot_reply reply;

	return parse_reply(poll, payload, len, out, &reply, err, errlen);
}

/* ---- ballot_parse: the table ---- */

struct parse_case {
	const char *name;
	const char *payload;
	const char *err; /* NULL: accepted */
};

static const struct parse_case parse_cases[] = {
	/* accepted */
	{ "minimal", "{" VB "," CN "}", NULL },
	{ "fields in another order", "{" CN "," VB "}", NULL },
	{ "whitespace around and inside", " \r\n\t{ \"voter\" : \"bob\" ,\n\"choice\":\"no\" }\n ", NULL },
	{ "matching poll", "{\"poll\":\"p1\"," VB "," CN "}", NULL },
	{ "unknown fields ignored", "{" VB "," CN ",\"extra\":[1,{\"a\":null}],\"note\":\"x\",\"n\":-1.5}", NULL },
	{ "full ballot", "{\"poll\":\"p1\"," VB "," CN ",\"id\":\"" ID_LOWER "\",\"ts\":1700000000000}", NULL },
	{ "upper-case id", "{" VB "," CN ",\"id\":\"" ID_UPPER "\"}", NULL },
	{ "ts 0", "{" VB "," CN ",\"ts\":0}", NULL },
	{ "ts 2^53-1", "{" VB "," CN ",\"ts\":9007199254740991}", NULL },
	{ "voter of 64 bytes", "{\"voter\":\"" S64 "\"," CN "}", NULL },
	{ "voter of 32 e-acute (64 bytes)", "{\"voter\":\"" E32 "\"," CN "}", NULL },
	{ "choice with an emoji", "{" VB ",\"choice\":\"\xf0\x9f\x98\x80\"}", NULL },
	{ "choice as a JSON escape", "{" VB ",\"choice\":\"caf\\u00e9\"}", NULL },
	{ "voter with a space and quote", "{\"voter\":\"Bob \\\"B\\\" Smith\"," CN "}", NULL },
	/* not JSON */
	{ "empty payload", "", ERR_JSON },
	{ "only spaces", "   ", ERR_JSON },
	{ "unterminated object", "{" VB "," CN, ERR_JSON },
	{ "trailing comma", "{" VB "," CN ",}", ERR_JSON },
	{ "unquoted key", "{voter:\"bob\"," CN "}", ERR_JSON },
	{ "single quotes", "{'voter':'bob','choice':'no'}", ERR_JSON },
	{ "trailing garbage", "{" VB "," CN "} x", ERR_JSON },
	{ "two objects", "{" VB "," CN "}{" VB "," CN "}", ERR_JSON },
	{ "escaped NUL in voter", "{\"voter\":\"bob\\u0000eve\"," CN "}", ERR_NUL },
	{ "escaped NUL in an unknown field", "{" VB "," CN ",\"note\":\"\\u0000\"}", ERR_NUL },
	{ "escaped backslash before u0000 is no NUL", "{" VB "," CN ",\"note\":\"\\\\u0000\"}", NULL },
	{ "lone high surrogate escape", "{\"voter\":\"\\ud800\"," CN "}", ERR_JSON },
	{ "control byte before the object", "\x01{" VB "," CN "}", ERR_JSON },
	{ "control byte between tokens", "{\"voter\":\x01\"bob\"," CN "}", ERR_JSON },
	{ "raw control byte inside a string", "{" VB "," CN ",\"note\":\"a\x01\"}", ERR_JSON },
	/* JSON but not an object */
	{ "array", "[]", ERR_NOT_OBJECT },
	{ "array of a ballot", "[{" VB "," CN "}]", ERR_NOT_OBJECT },
	{ "string", "\"bob\"", ERR_NOT_OBJECT },
	{ "number", "42", ERR_NOT_OBJECT },
	{ "null", "null", ERR_NOT_OBJECT },
	{ "true", "true", ERR_NOT_OBJECT },
	/* poll */
	{ "other poll", "{\"poll\":\"p2\"," VB "," CN "}", ERR_POLL },
	{ "poll differing in case", "{\"poll\":\"P1\"," VB "," CN "}", ERR_POLL },
	{ "poll as a number", "{\"poll\":1," VB "," CN "}", ERR_POLL },
	{ "poll null", "{\"poll\":null," VB "," CN "}", ERR_POLL },
	{ "empty poll", "{\"poll\":\"\"," VB "," CN "}", ERR_POLL },
	/* voter */
	{ "empty object", "{}", "missing field 'voter'" },
	{ "missing voter", "{" CN "}", "missing field 'voter'" },
	{ "Voter is not voter", "{\"Voter\":\"bob\"," CN "}", "missing field 'voter'" },
	{ "voter a number", "{\"voter\":42," CN "}", ERR_VOTER },
	{ "voter null", "{\"voter\":null," CN "}", ERR_VOTER },
	{ "voter an object", "{\"voter\":{}," CN "}", ERR_VOTER },
	{ "voter an array", "{\"voter\":[\"bob\"]," CN "}", ERR_VOTER },
	{ "voter empty", "{\"voter\":\"\"," CN "}", ERR_VOTER },
	{ "voter of 65 bytes", "{\"voter\":\"" S64 "x\"," CN "}", ERR_VOTER },
	{ "voter of 65 bytes ending in e-acute", "{\"voter\":\"x" E32 "\"," CN "}", ERR_VOTER },
	{ "voter with a newline", "{\"voter\":\"bob\\n\"," CN "}", ERR_VOTER },
	{ "voter with overlong UTF-8", "{\"voter\":\"b\xc0\xaf\"," CN "}", ERR_VOTER },
	{ "voter with a surrogate in UTF-8", "{\"voter\":\"\xed\xa0\x80\"," CN "}", ERR_VOTER },
	{ "voter with a truncated sequence", "{\"voter\":\"bob\xc3\"," CN "}", ERR_VOTER },
	{ "voter with a byte FF", "{\"voter\":\"\xff\"," CN "}", ERR_VOTER },
	/* choice */
	{ "missing choice", "{" VB "}", "missing field 'choice'" },
	{ "choice a number", "{" VB ",\"choice\":1}", ERR_CHOICE },
	{ "choice a boolean", "{" VB ",\"choice\":true}", ERR_CHOICE },
	{ "choice empty", "{" VB ",\"choice\":\"\"}", ERR_CHOICE },
	{ "choice of 65 bytes", "{" VB ",\"choice\":\"" S64 "y\"}", ERR_CHOICE },
	{ "choice with U+0001", "{" VB ",\"choice\":\"a\\u0001\"}", ERR_CHOICE },
	{ "choice with a raw DEL", "{" VB ",\"choice\":\"a\x7f\"}", ERR_CHOICE },
	{ "choice with U+0085 escaped", "{" VB ",\"choice\":\"a\\u0085\"}", ERR_CHOICE },
	{ "choice with U+0085 raw", "{" VB ",\"choice\":\"a\xc2\x85\"}", ERR_CHOICE },
	{ "choice with a tab escape", "{" VB ",\"choice\":\"a\\tb\"}", ERR_CHOICE },
	{ "choice with U+110000", "{" VB ",\"choice\":\"\xf4\x90\x80\x80\"}", ERR_CHOICE },
	/* id */
	{ "id of 31 hex", "{" VB "," CN ",\"id\":\"0123456789abcdef0123456789abcde\"}", ERR_ID },
	{ "id of 33 hex", "{" VB "," CN ",\"id\":\"" ID_LOWER "0\"}", ERR_ID },
	{ "id with a g", "{" VB "," CN ",\"id\":\"0123456789abcdef0123456789abcdeg\"}", ERR_ID },
	{ "id with a space", "{" VB "," CN ",\"id\":\"0123456789abcdef 123456789abcdef\"}", ERR_ID },
	{ "instance of 31 hex", "{" VB "," CN ",\"instance\":\"0123456789abcdef0123456789abcde\"}", ERR_INSTANCE },
	{ "instance a number", "{" VB "," CN ",\"instance\":12}", ERR_INSTANCE },
	{ "id with 0x", "{" VB "," CN ",\"id\":\"0x23456789abcdef0123456789abcdef\"}", ERR_ID },
	{ "id empty", "{" VB "," CN ",\"id\":\"\"}", ERR_ID },
	{ "id a number", "{" VB "," CN ",\"id\":12345678901234567890123456789012}", ERR_ID },
	{ "id null", "{" VB "," CN ",\"id\":null}", ERR_ID },
	/* ts */
	{ "ts negative", "{" VB "," CN ",\"ts\":-1}", ERR_TS },
	{ "ts fractional", "{" VB "," CN ",\"ts\":1.5}", ERR_TS },
	{ "ts a string", "{" VB "," CN ",\"ts\":\"123\"}", ERR_TS },
	{ "ts 2^53", "{" VB "," CN ",\"ts\":9007199254740992}", ERR_TS },
	{ "ts 1e300", "{" VB "," CN ",\"ts\":1e300}", ERR_TS },
	{ "ts null", "{" VB "," CN ",\"ts\":null}", ERR_TS },
	{ "ts true", "{" VB "," CN ",\"ts\":true}", ERR_TS },
	{ "ts an array", "{" VB "," CN ",\"ts\":[1]}", ERR_TS },
	/* the other answers (issue 21): picks, ranking, value */
	{ "picks", "{" VB ",\"picks\":[\"a\",\"b\"]}", NULL },
	{ "no picks", "{" VB ",\"picks\":[]}", NULL },
	{ "ranking", "{" VB ",\"ranking\":[\"b\",\"a\",\"c\"]}", NULL },
	{ "ranking of one", "{" VB ",\"ranking\":[\"a, b\"]}", NULL },
	{ "value", "{" VB ",\"value\":4}", NULL },
	{ "value -1000000", "{" VB ",\"value\":-1000000}", NULL },
	{ "value 1e6", "{" VB ",\"value\":1e6}", NULL },
	{ "value 0", "{" VB ",\"value\":0}", NULL },
	{ "choice and picks", "{" VB "," CN ",\"picks\":[\"a\"]}",
	  "fields 'choice' and 'picks' both given: a ballot carries one answer" },
	{ "choice null and value", "{" VB ",\"choice\":null,\"value\":1}",
	  "fields 'choice' and 'value' both given: a ballot carries one answer" },
	{ "value and ranking", "{" VB ",\"value\":1,\"ranking\":[\"a\"]}",
	  "fields 'ranking' and 'value' both given: a ballot carries one answer" },
	{ "picks a string", "{" VB ",\"picks\":\"a,b\"}", ERR_PICKS },
	{ "picks null", "{" VB ",\"picks\":null}", ERR_PICKS },
	{ "picks an object", "{" VB ",\"picks\":{\"a\":1}}", ERR_PICKS },
	{ "empty ranking", "{" VB ",\"ranking\":[]}", ERR_RANKING },
	{ "ranking a string", "{" VB ",\"ranking\":\"a\"}", ERR_RANKING },
	{ "a pick given twice", "{" VB ",\"picks\":[\"a\",\"b\",\"a\"]}", "invalid field 'picks': 'a' given twice" },
	{ "a name ranked twice, once decomposed", "{" VB ",\"ranking\":[\"caf\\u00e9\",\"cafe\\u0301\"]}",
	  "invalid field 'ranking': 'caf\xc3\xa9' given twice" },
	{ "an empty pick", "{" VB ",\"picks\":[\"a\",\"\"]}", "invalid field 'picks': choice 2: " TEXT_RULE },
	{ "a pick a number", "{" VB ",\"picks\":[1]}", "invalid field 'picks': choice 1: " TEXT_RULE },
	{ "a ranked name of 65 bytes", "{" VB ",\"ranking\":[\"a\",\"" S64 "y\"]}",
	  "invalid field 'ranking': choice 2: " TEXT_RULE },
	{ "a ranked name with U+200B", "{" VB ",\"ranking\":[\"a\\u200bb\"]}",
	  "invalid field 'ranking': choice 1: contains an invisible or format character U+200B" },
	{ "value 1.5", "{" VB ",\"value\":1.5}", ERR_VALUE },
	{ "value a string", "{" VB ",\"value\":\"4\"}", ERR_VALUE },
	{ "value 1000001", "{" VB ",\"value\":1000001}", ERR_VALUE },
	{ "value -1000001", "{" VB ",\"value\":-1000001}", ERR_VALUE },
	{ "value true", "{" VB ",\"value\":true}", ERR_VALUE },
	{ "value null", "{" VB ",\"value\":null}", ERR_VALUE },
	{ "value 1e300", "{" VB ",\"value\":1e300}", ERR_VALUE },
};

static void ballot_parse_should_follow_the_table(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct ballot b;
		char err[256] = "";
		int rc = parse("p1", c->payload, strlen(c->payload), &b, err, sizeof(err));

		if (!c->err && rc != 0) {
			print_error("case '%s': refused: %s\n", c->name, err);
			failures++;
		} else if (c->err && (rc != -1 || strcmp(err, c->err) != 0)) {
			print_error("case '%s': expected -1 \"%s\", got %d \"%s\"\n", c->name, c->err, rc,
				    rc ? err : "");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- ballot_parse: the fields it fills ---- */

static void ballot_parse_should_fill_a_minimal_ballot_without_id_or_ts(void **state)
{
	static const char json[] = "{\"voter\":\"bob\",\"choice\":\"no\"}";
	struct ballot b;
	struct ballot_reply reply;
	char err[256] = "";

	(void)state;
	memset(&b, 0x5a, sizeof(b));
	memset(&reply, 0x5a, sizeof(reply));
	assert_int_equal(parse_reply("p1", json, sizeof(json) - 1, &b, &reply, err, sizeof(err)), 0);
	assert_string_equal(b.poll, "p1");
	assert_string_equal(b.voter, "bob");
	assert_string_equal(b.choice, "no");
	assert_false(b.has_id);
	assert_false(b.has_ts);
	assert_string_equal(b.id, "");
	assert_int_equal(b.ts, 0);
	/* no "reply" field: no receipt topic, and nothing wrong with it */
	assert_string_equal(reply.topic, "");
	assert_string_equal(reply.problem, "");
}

static void ballot_parse_should_fill_a_full_ballot(void **state)
{
	static const char json[] = "{\"poll\":\"budget-2026\",\"voter\":\"alice@host\",\"choice\":\"yes\","
				   "\"id\":\"" ID_LOWER "\",\"ts\":1700000000123}";
	struct ballot b;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse("budget-2026", json, sizeof(json) - 1, &b, err, sizeof(err)), 0);
	assert_string_equal(b.poll, "budget-2026");
	assert_string_equal(b.voter, "alice@host");
	assert_string_equal(b.choice, "yes");
	assert_true(b.has_id);
	assert_string_equal(b.id, ID_LOWER);
	assert_true(b.has_ts);
	assert_int_equal(b.ts, 1700000000123LL);
}

/* ---- ballot_parse: the "reply" field (MQTT 3.1.1 receipts) ---- */

/* A "reply" field asks for a receipt; one that cannot be used costs no
 * vote: the ballot parses all the same, struct ballot_reply says why no
 * receipt. (Before 0d40e6c ballot_parse refused the ballot, -1 "invalid
 * field 'reply': must be a topic under vote/p1/receipt/", for every row
 * with a problem here: the assertion on rc == 0 failed; that code had no
 * struct ballot_reply, so this file cannot be built there.) */
struct reply_case {
	const char *name;
	const char *payload;
	const char *topic;   /* the receipt topic taken, "" for none */
	const char *problem; /* why not, "" when nothing is wrong */
};

static const struct reply_case reply_cases[] = {
	/* usable */
	{ "no reply field", "{" VB "," CN "}", "", "" },
	{ "a receipt topic", "{" VB "," CN ",\"reply\":\"vote/p1/receipt/abc\"}", "vote/p1/receipt/abc", "" },
	{ "several levels", "{" VB "," CN ",\"reply\":\"vote/p1/receipt/bob/0123\"}", "vote/p1/receipt/bob/0123", "" },
	{ "a rest of 1 byte", "{" VB "," CN ",\"reply\":\"vote/p1/receipt/x\"}", "vote/p1/receipt/x", "" },
	{ "a rest of 128 bytes", "{" VB "," CN ",\"reply\":\"vote/p1/receipt/" R128 "\"}", "vote/p1/receipt/" R128, "" },
	{ "UTF-8 in the rest", "{" VB "," CN ",\"reply\":\"vote/p1/receipt/caf\xc3\xa9\"}", "vote/p1/receipt/caf\xc3\xa9", "" },
	/* too long: the limit is named, not "not under" (issue 10) */
	{ "a rest of 129 bytes", "{" VB "," CN ",\"reply\":\"vote/p1/receipt/" R128 "x\"}", "", REPLY_TOO_LONG },
	{ "a rest of 200 bytes", "{" VB "," CN ",\"reply\":\"vote/p1/receipt/" R128 R16 R16 R16 R16 "xxxxxxxx\"}", "",
	  REPLY_TOO_LONG },
	/* elsewhere */
	{ "an empty rest", "{" VB "," CN ",\"reply\":\"vote/p1/receipt/\"}", "", REPLY_NOT_UNDER },
	{ "the prefix without its slash", "{" VB "," CN ",\"reply\":\"vote/p1/receipt\"}", "", REPLY_NOT_UNDER },
	{ "under another poll", "{" VB "," CN ",\"reply\":\"vote/p2/receipt/abc\"}", "", REPLY_NOT_UNDER },
	{ "the result topic", "{" VB "," CN ",\"reply\":\"vote/p1/result\"}", "", REPLY_NOT_UNDER },
	{ "the ballot topic", "{" VB "," CN ",\"reply\":\"vote/p1\"}", "", REPLY_NOT_UNDER },
	{ "elsewhere", "{" VB "," CN ",\"reply\":\"inbox/bob\"}", "", REPLY_NOT_UNDER },
	{ "empty", "{" VB "," CN ",\"reply\":\"\"}", "", REPLY_NOT_UNDER },
	/* wildcards */
	{ "a + level", "{" VB "," CN ",\"reply\":\"vote/p1/receipt/+\"}", "", REPLY_WILDCARD },
	{ "a # level", "{" VB "," CN ",\"reply\":\"vote/p1/receipt/#\"}", "", REPLY_WILDCARD },
	{ "a + inside", "{" VB "," CN ",\"reply\":\"vote/p1/receipt/a+b\"}", "", REPLY_WILDCARD },
	/* control characters */
	{ "a control character", "{" VB "," CN ",\"reply\":\"vote/p1/receipt/a\\u0001\"}", "", REPLY_CONTROL },
	{ "a newline", "{" VB "," CN ",\"reply\":\"vote/p1/receipt/a\\nb\"}", "", REPLY_CONTROL },
	/* not a string */
	{ "a number", "{" VB "," CN ",\"reply\":1}", "", REPLY_NOT_STRING },
	{ "null", "{" VB "," CN ",\"reply\":null}", "", REPLY_NOT_STRING },
	{ "true", "{" VB "," CN ",\"reply\":true}", "", REPLY_NOT_STRING },
	{ "an array", "{" VB "," CN ",\"reply\":[\"vote/p1/receipt/abc\"]}", "", REPLY_NOT_STRING },
	{ "an object", "{" VB "," CN ",\"reply\":{\"topic\":\"vote/p1/receipt/abc\"}}", "", REPLY_NOT_STRING },
};

static void ballot_parse_should_take_the_reply_topic_or_say_why_not_and_parse_the_ballot(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		const struct reply_case *c = &reply_cases[i];
		struct ballot b;
		struct ballot_reply reply;
		char err[256] = "";
		int rc;

		memset(&reply, 0x5a, sizeof(reply));
		rc = parse_reply("p1", c->payload, strlen(c->payload), &b, &reply, err, sizeof(err));
		if (rc != 0) {
			print_error("case '%s': ballot refused (%d \"%s\"): a reply costs no vote\n", c->name, rc, err);
			failures++;
		} else if (strcmp(b.voter, "bob") != 0 || strcmp(b.choice, "no") != 0) {
			print_error("case '%s': ballot parsed as voter '%s' choice '%s'\n", c->name, b.voter, b.choice);
			failures++;
		} else if (strcmp(reply.topic, c->topic) != 0 || strcmp(reply.problem, c->problem) != 0) {
			print_error("case '%s': topic '%s' problem \"%s\", expected topic '%s' problem \"%s\"\n", c->name,
				    reply.topic, reply.problem, c->topic, c->problem);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void ballot_parse_should_take_the_reply_topic_of_a_dotted_poll(void **state)
{
	static const char json[] = "{\"voter\":\"bob\",\"choice\":\"no\",\"reply\":\"vote/budget.2026/receipt/bob/1\"}";
	struct ballot b;
	struct ballot_reply reply;
	char err[256] = "";

	(void)state;
	memset(&b, 0x5a, sizeof(b));
	memset(&reply, 0x5a, sizeof(reply));
	assert_int_equal(parse_reply("budget.2026", json, sizeof(json) - 1, &b, &reply, err, sizeof(err)), 0);
	assert_string_equal(reply.topic, "vote/budget.2026/receipt/bob/1");
	assert_string_equal(reply.problem, "");
	assert_string_equal(b.poll, "budget.2026");
}

static void ballot_parse_should_name_the_poll_in_the_reply_problem_and_still_parse(void **state)
{
	static const char json[] = "{\"voter\":\"bob\",\"choice\":\"no\",\"reply\":\"vote/p1/receipt/x\"}";
	static const char longer[] = "{\"voter\":\"bob\",\"choice\":\"no\",\"reply\":\"vote/budget.2026/receipt/" R128
				     "x\"}";
	struct ballot b;
	struct ballot_reply reply;
	char err[256] = "";

	(void)state;
	/* a receipt topic of p1 on poll budget.2026 */
	assert_int_equal(parse_reply("budget.2026", json, sizeof(json) - 1, &b, &reply, err, sizeof(err)), 0);
	assert_string_equal(reply.problem, "field 'reply' is not a topic under vote/budget.2026/receipt/");
	assert_string_equal(reply.topic, "");
	assert_string_equal(b.voter, "bob");
	assert_int_equal(parse_reply("budget.2026", longer, sizeof(longer) - 1, &b, &reply, err, sizeof(err)), 0);
	assert_string_equal(reply.problem, "field 'reply' is longer than 128 bytes after vote/budget.2026/receipt/");
	assert_string_equal(reply.topic, "");
}

static void ballot_parse_should_leave_the_reply_alone_when_not_asked(void **state)
{
	/* reply NULL: the field is not looked at, good or bad */
	static const char *const payloads[] = {
		"{\"voter\":\"bob\",\"choice\":\"no\",\"reply\":\"vote/p1/receipt/x\"}",
		"{\"voter\":\"bob\",\"choice\":\"no\",\"reply\":\"elsewhere\"}",
		"{\"voter\":\"bob\",\"choice\":\"no\",\"reply\":42}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		struct ballot b;
		char err[256] = "";

		assert_int_equal(parse_reply("p1", payloads[i], strlen(payloads[i]), &b, NULL, err, sizeof(err)), 0);
		assert_string_equal(b.choice, "no");
	}
}

static void ballot_parse_should_keep_the_reply_of_a_refused_ballot(void **state)
{
	/* a ballot refused for one of its fields still has its receipt topic
	 * (issue 19: over MQTT 3.1.1 it got no receipt, where MQTT 5's Response
	 * Topic got one); a payload that is no JSON object has none to read */
	static const struct {
		const char *payload, *topic, *problem;
	} cases[] = {
		{ "{\"choice\":\"no\",\"reply\":\"vote/p1/receipt/x\"}", "vote/p1/receipt/x", "" },
		{ "{\"voter\":\"bob\",\"choice\":\"no\",\"ts\":-1,\"reply\":\"vote/p1/receipt/x\"}",
		  "vote/p1/receipt/x", "" },
		{ "{\"voter\":\"bob\",\"choice\":\"no\",\"sig\":\"" R16 R16 R16 R16 "AAAAAAAAAAAAAAAAAAAAA==\","
		  "\"reply\":\"vote/p1/receipt/x\"}", "vote/p1/receipt/x", "" },
		{ "{\"reply\":\"vote/p1/receipt/x\",\"poll\":\"p2\",\"voter\":\"bob\",\"choice\":\"no\"}",
		  "vote/p1/receipt/x", "" },
		{ "{\"poll\":\"p2\",\"voter\":\"bob\",\"choice\":\"no\",\"reply\":\"elsewhere\"}", "",
		  REPLY_NOT_UNDER },
		{ "{\"voter\":\"bob\",\"reply\":\"vote/p1/receipt/x\",", "", "" },
		{ "[\"vote/p1/receipt/x\"]", "", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ballot b;
		struct ballot_reply reply;
		char err[256] = "";

		memset(&reply, 0x5a, sizeof(reply));
		assert_int_equal(parse_reply("p1", cases[i].payload, strlen(cases[i].payload), &b, &reply, err,
					     sizeof(err)), -1);
		assert_string_equal(reply.topic, cases[i].topic);
		assert_string_equal(reply.problem, cases[i].problem);
		assert_string_equal(b.voter, "");
	}
}

static void ballot_parse_should_keep_only_a_valid_id_of_a_refused_ballot(void **state)
{
	/* the receipt of a refused ballot names it when its id is valid (a
	 * client of MQTT 3.1.1 has no Correlation Data to match it with) */
	static const struct {
		const char *payload, *id;
	} cases[] = {
		{ "{\"choice\":\"no\",\"id\":\"ABCDEF0123456789abcdef0123456789\"}", "abcdef0123456789abcdef0123456789" },
		{ "{\"poll\":\"p2\",\"voter\":\"bob\",\"choice\":\"no\",\"id\":\"abcdef0123456789abcdef0123456789\"}",
		  "abcdef0123456789abcdef0123456789" },
		{ "{\"voter\":\"bob\",\"choice\":\"no\",\"id\":\"xyz\"}", "" },
		{ "{\"voter\":\"bob\",\"choice\":\"no\",\"ts\":-1}", "" },
		{ "{\"voter\":\"bob\",\"id\":\"abcdef0123456789abcdef0123456789\"", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ballot b;
		char err[256] = "";

		memset(&b, 0x5a, sizeof(b));
		assert_int_equal(parse_reply("p1", cases[i].payload, strlen(cases[i].payload), &b, NULL, err,
					     sizeof(err)), -1);
		assert_string_equal(b.id, cases[i].id);
		assert_int_equal(b.has_id, cases[i].id[0] != '\0');
		assert_string_equal(b.voter, "");
		assert_string_equal(b.choice, "");
	}
}

static void ballot_parse_should_normalise_an_upper_case_id_to_lower_case(void **state)
{
	static const char json[] = "{\"voter\":\"bob\",\"choice\":\"no\",\"id\":\"ABCDEF0123456789AbCdEf0123456789\"}";
	struct ballot b;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse("p1", json, sizeof(json) - 1, &b, err, sizeof(err)), 0);
	assert_true(b.has_id);
	assert_string_equal(b.id, "abcdef0123456789abcdef0123456789");
}

static void ballot_parse_should_accept_ts_at_both_ends_of_the_range(void **state)
{
	static const char zero[] = "{\"voter\":\"bob\",\"choice\":\"no\",\"ts\":0}";
	static const char max[] = "{\"voter\":\"bob\",\"choice\":\"no\",\"ts\":9007199254740991}";
	struct ballot b;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse("p1", zero, sizeof(zero) - 1, &b, err, sizeof(err)), 0);
	assert_true(b.has_ts);
	assert_int_equal(b.ts, 0);
	assert_int_equal(parse("p1", max, sizeof(max) - 1, &b, err, sizeof(err)), 0);
	assert_true(b.has_ts);
	assert_int_equal(b.ts, BALLOT_TS_MAX);
}

static void ballot_parse_should_decode_json_escapes_in_voter_and_choice(void **state)
{
	static const char json[] = "{\"voter\":\"Bob \\\"B\\\" \\\\ Smith\",\"choice\":\"caf\\u00e9 \\ud83d\\ude00\"}";
	struct ballot b;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse("p1", json, sizeof(json) - 1, &b, err, sizeof(err)), 0);
	assert_string_equal(b.voter, "Bob \"B\" \\ Smith");
	assert_string_equal(b.choice, "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

static void ballot_parse_should_read_only_len_bytes(void **state)
{
	/* The payload is followed by more bytes: they are not part of it. */
	static const char buf[] = "{\"voter\":\"bob\",\"choice\":\"no\"}GARBAGE";
	struct ballot b;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse("p1", buf, sizeof(buf) - 1 - 7, &b, err, sizeof(err)), 0);
	assert_string_equal(b.choice, "no");
	assert_int_equal(parse("p1", buf, sizeof(buf) - 1, &b, err, sizeof(err)), -1);
	assert_string_equal(err, ERR_JSON);
	assert_int_equal(parse("p1", buf, 10, &b, err, sizeof(err)), -1);
	assert_string_equal(err, ERR_JSON);
}

static void ballot_parse_should_refuse_an_embedded_nul_byte(void **state)
{
	static const char buf[] = "{\"voter\":\"bob\",\"choice\":\"no\"}\0{}";
	struct ballot b;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse("p1", buf, sizeof(buf) - 1, &b, err, sizeof(err)), -1);
	assert_string_equal(err, ERR_JSON);
}

static void ballot_parse_should_refuse_a_nul_byte_before_the_object(void **state)
{
	static const char buf[] = "\0{\"voter\":\"bob\",\"choice\":\"no\"}";
	struct ballot b;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse("p1", buf, sizeof(buf) - 1, &b, err, sizeof(err)), -1);
	assert_string_equal(err, ERR_JSON);
}

/* padded: a valid ballot of exactly size bytes, padded by an unknown field;
 * malloc'd. */
static char *padded(size_t size)
{
	static const char head[] = "{\"voter\":\"bob\",\"choice\":\"no\",\"pad\":\"";
	static const char tail[] = "\"}";
	size_t fixed = sizeof(head) - 1 + sizeof(tail) - 1;
	char *p = malloc(size + 1);

	assert_non_null(p);
	assert_true(size >= fixed);
	memcpy(p, head, sizeof(head) - 1);
	memset(p + sizeof(head) - 1, 'x', size - fixed);
	memcpy(p + size - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	p[size] = '\0';
	return p;
}

static void ballot_parse_should_accept_a_valid_payload_of_4096_bytes(void **state)
{
	char *p = padded(BALLOT_PAYLOAD_MAX);
	struct ballot b;
	char err[256] = "";

	(void)state;
	assert_int_equal(strlen(p), 4096);
	assert_int_equal(parse("p1", p, 4096, &b, err, sizeof(err)), 0);
	assert_string_equal(b.voter, "bob");
	free(p);
}

static void ballot_parse_should_reject_payload_over_4096_bytes(void **state)
{
	char *p = padded(BALLOT_PAYLOAD_MAX + 1);
	struct ballot b;
	char err[256] = "";

	(void)state;
	assert_int_equal(strlen(p), 4097);
	assert_int_equal(parse("p1", p, 4097, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "payload too large (4097 bytes, at most 4096)");
	free(p);
}

static void ballot_parse_should_reject_a_large_payload_before_parsing_it(void **state)
{
	/* Invalid JSON over the limit gets the size error, not the JSON one:
	 * the payload is refused unparsed. */
	size_t n = 100000;
	char *p = malloc(n);
	struct ballot b;
	char err[256] = "";

	(void)state;
	assert_non_null(p);
	memset(p, '[', n);
	assert_int_equal(ballot_parse("p1", p, n, &b, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "payload too large (100000 bytes, at most 4096)");
	free(p);
}

static void ballot_parse_should_parse_a_4096_byte_payload_and_refuse_it_if_malformed(void **state)
{
	char *p = padded(BALLOT_PAYLOAD_MAX);
	struct ballot b;
	char err[256] = "";

	(void)state;
	p[4095] = ']';
	assert_int_equal(parse("p1", p, 4096, &b, err, sizeof(err)), -1);
	assert_string_equal(err, ERR_JSON);
	free(p);
}

/* ---- ballot_text_valid ---- */

struct text_case {
	const char *s;
	bool valid;
};

static const struct text_case text_cases[] = {
	{ "bob", true },
	{ "a", true },
	{ "Bob Smith", true },
	{ "alice@example.org", true },
	{ S64, true },
	{ E32, true },
	{ "\xf0\x9f\x98\x80", true },
	{ "", false },
	{ S64 "x", false },
	{ "x" E32, false },
	{ "a\x01", false },
	{ "\x1f", false },
	{ "tab\there", false },
	{ "\x7f", false },
	{ "a\xc2\x85", false },
	{ "\xc0\xaf", false },
	{ "\xe0\x80\xaf", false },
	{ "\xed\xa0\x80", false },
	{ "\xf4\x90\x80\x80", false },
	{ "\xc3", false },
};

static void ballot_text_valid_should_follow_the_table(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		if (ballot_text_valid(text_cases[i].s) != text_cases[i].valid) {
			print_error("text '%s' (%zu bytes): expected %s\n", text_cases[i].s,
				    strlen(text_cases[i].s), text_cases[i].valid ? "valid" : "invalid");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- invisible and format characters (textrule.h), NFC ---- */

#define ERR_FORMAT(field, hex) "invalid field '" field "': contains an invisible or format character U+" hex

static void ballot_parse_should_refuse_each_look_alike_of_issue_19(void **state)
{
	/* "yes" followed by each code point issue 19 names: eight results that
	 * all read "yes" before; each now refused, naming it */
	static const unsigned cps[] = { 0x034F, 0xFE00, 0xFE0F, 0xE0100, 0x115F, 0x3164, 0x2800, 0x17B4 };
	char payload[96], want[96], err[256];
	struct ballot b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		snprintf(payload, sizeof(payload), "{" VB ",\"choice\":\"yes\\u%04x\"}", cps[i]);
		if (cps[i] > 0xFFFF) /* U+E0100 as a surrogate pair */
			snprintf(payload, sizeof(payload), "{" VB ",\"choice\":\"yes\\udb40\\udd00\"}");
		snprintf(want, sizeof(want), ERR_FORMAT("choice", "%04X"), cps[i]);
		assert_int_equal(parse("p1", payload, strlen(payload), &b, err, sizeof(err)), -1);
		assert_string_equal(err, want);
	}
}

static void ballot_parse_should_keep_nfc_and_the_text_as_sent(void **state)
{
	struct ballot b;
	char err[256] = "";
	const char *decomposed = "{\"voter\":\"Rene\xcc\x81\",\"choice\":\"caf\xc3\xa9\"}";

	(void)state;
	assert_int_equal(parse("p1", decomposed, strlen(decomposed), &b, err, sizeof(err)), 0);
	assert_string_equal(b.voter, "Ren\xc3\xa9");         /* composed: NFC */
	assert_string_equal(b.voter_sent, "Rene\xcc\x81");   /* as sent, for the signature */
	assert_string_equal(b.choice, "caf\xc3\xa9");
	assert_string_equal(b.choice_sent, "");               /* NFC already */
}

static void ballot_text_norm_should_accept_emoji_sequences_only_whole(void **state)
{
	char out[BALLOT_TEXT_MAX + 1], why[96];

	(void)state;
	/* woman teacher: U+1F469 U+200D U+1F3EB, an RGI ZWJ sequence */
	assert_int_equal(ballot_text_norm("\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x8f\xab", out, why, sizeof(why)), 0);
	assert_string_equal(out, "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x8f\xab");
	/* red heart with VS16 */
	assert_int_equal(ballot_text_norm("I \xe2\x9d\xa4\xef\xb8\x8f it", out, why, sizeof(why)), 0);
	/* a joiner between letters, a VS16 after a letter: refused */
	assert_int_equal(ballot_text_norm("a\xe2\x80\x8d" "b", out, why, sizeof(why)), -1);
	assert_string_equal(why, "contains an invisible or format character U+200D");
	assert_int_equal(ballot_text_norm("yes\xef\xb8\x8f", out, why, sizeof(why)), -1);
	assert_string_equal(why, "contains an invisible or format character U+FE0F");
	/* only spaces */
	assert_int_equal(ballot_text_norm("   ", out, why, sizeof(why)), -1);
	assert_string_equal(why, "has no visible character");
}

static const struct parse_case format_cases[] = {
	{ "zero-width space after the choice", "{" VB ",\"choice\":\"yes\xe2\x80\x8b\"}",
	  ERR_FORMAT("choice", "200B") },
	{ "zero-width space as a JSON escape", "{" VB ",\"choice\":\"yes\\u200b\"}",
	  ERR_FORMAT("choice", "200B") },
	{ "right-to-left override in the voter", "{\"voter\":\"\xe2\x80\xae" "bob\"," CN "}",
	  ERR_FORMAT("voter", "202E") },
	{ "first isolate of two", "{\"voter\":\"\xe2\x81\xa7x\xe2\x81\xa9\"," CN "}",
	  ERR_FORMAT("voter", "2067") },
	{ "soft hyphen", "{" VB ",\"choice\":\"n\xc2\xado\"}", ERR_FORMAT("choice", "00AD") },
	{ "BOM in front", "{\"voter\":\"\xef\xbb\xbf" "bob\"," CN "}", ERR_FORMAT("voter", "FEFF") },
	{ "language tag as surrogate escapes", "{" VB ",\"choice\":\"no\\udb40\\udc01\"}",
	  ERR_FORMAT("choice", "E0001") },
	{ "voter first: both invalid", "{\"voter\":\"a\xe2\x80\x8c\",\"choice\":\"b\xe2\x80\x8d\"}",
	  ERR_FORMAT("voter", "200C") },
	{ "control character keeps the general reason", "{\"voter\":\"a\\u0001\xe2\x80\x8b\"," CN "}",
	  ERR_VOTER },
	{ "no-break space is not a format character", "{\"voter\":\"bob\xc2\xa0smith\"," CN "}", NULL },
	{ "Arabic number sign: format, not default-ignorable", "{" VB ",\"choice\":\"\xd8\x80" "1\"}",
	  ERR_FORMAT("choice", "0600") },
	{ "braille blank", "{\"voter\":\"\xe2\xa0\x80\"," CN "}", ERR_FORMAT("voter", "2800") },
};

static void ballot_parse_should_name_the_format_character(void **state)
{
	struct ballot b;
	char err[256];
	size_t i, failures = 0;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		const struct parse_case *c = &format_cases[i];

		err[0] = '\0';
		rc = parse("p1", c->payload, strlen(c->payload), &b, err, sizeof(err));
		if (c->err ? (rc != -1 || strcmp(err, c->err) != 0) : rc != 0) {
			print_error("case '%s': rc %d, err '%s', expected '%s'\n", c->name, rc, err,
				    c->err ? c->err : "(accepted)");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- ballot_to_json ---- */

static void ballot_to_json_should_write_the_wire_format_in_order(void **state)
{
	struct ballot b;
	char err[256] = "", *json;

	(void)state;
	memset(&b, 0, sizeof(b));
	strcpy(b.poll, "p1");
	strcpy(b.voter, "bob");
	strcpy(b.choice, "yes");
	strcpy(b.id, ID_LOWER);
	b.has_id = true;
	b.ts = 1700000000000LL;
	b.has_ts = true;
	json = ballot_to_json(&b, NULL, err, sizeof(err));
	assert_non_null(json);
	assert_string_equal(json, "{\"poll\":\"p1\",\"voter\":\"bob\",\"choice\":\"yes\",\"id\":\"" ID_LOWER
				  "\",\"ts\":1700000000000}");
	free(json);
	/* an empty reply is none */
	json = ballot_to_json(&b, "", err, sizeof(err));
	assert_non_null(json);
	assert_string_equal(json, "{\"poll\":\"p1\",\"voter\":\"bob\",\"choice\":\"yes\",\"id\":\"" ID_LOWER
				  "\",\"ts\":1700000000000}");
	free(json);
}

static void ballot_to_json_and_parse_should_carry_the_instance_lower_cased(void **state)
{
	static const char text[] = "{\"voter\":\"bob\",\"choice\":\"yes\",\"instance\":\"00112233445566778899AABBCCDDEEFF\"}";
	struct ballot b;
	char err[256] = "", *json;

	(void)state;
	assert_int_equal(ballot_parse("p1", text, strlen(text), &b, NULL, err, sizeof(err)), 0);
	assert_true(b.has_instance);
	assert_string_equal(b.instance, "00112233445566778899aabbccddeeff");
	json = ballot_to_json(&b, NULL, err, sizeof(err));
	assert_non_null(json);
	assert_string_equal(json, "{\"poll\":\"p1\",\"voter\":\"bob\",\"choice\":\"yes\","
				  "\"instance\":\"00112233445566778899aabbccddeeff\"}");
	free(json);
	/* absent: none */
	assert_int_equal(ballot_parse("p1", "{\"voter\":\"bob\",\"choice\":\"yes\"}", 30, &b, NULL, err, sizeof(err)),
			 0);
	assert_false(b.has_instance);
	assert_string_equal(b.instance, "");
}

static void ballot_to_json_should_leave_out_id_and_ts_when_absent(void **state)
{
	struct ballot b;
	char err[256] = "", *json;

	(void)state;
	memset(&b, 0, sizeof(b));
	strcpy(b.poll, "p1");
	strcpy(b.voter, "bob");
	strcpy(b.choice, "no");
	json = ballot_to_json(&b, NULL, err, sizeof(err));
	assert_non_null(json);
	assert_string_equal(json, "{\"poll\":\"p1\",\"voter\":\"bob\",\"choice\":\"no\"}");
	free(json);
}

static void ballot_to_json_should_round_trip_through_ballot_parse(void **state)
{
	static const struct {
		const char *poll, *voter, *choice, *id;
		int64_t ts; /* -1: none */
	} cases[] = {
		{ "p1", "bob", "no", NULL, -1 },
		{ "p1", "bob", "yes", ID_LOWER, 1700000000123LL },
		{ "poll.2", "Bob \"B\" \\ Smith/", "caf\xc3\xa9 \xf0\x9f\x98\x80", NULL, 0 },
		{ "x", S64, E32, "ffffffffffffffffffffffffffffffff", BALLOT_TS_MAX },
		{ "y", "<script>", "a,b;c", "00000000000000000000000000000000", 1000000000000000LL },
		{ "z", "\xe2\x82\xac", "\xc2\xa0" "x", NULL, 1 }, /* a lone no-break space has nothing visible */
	};
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ballot b, back;
		char err[256] = "", *json;

		memset(&b, 0, sizeof(b));
		strcpy(b.poll, cases[i].poll);
		strcpy(b.voter, cases[i].voter);
		strcpy(b.choice, cases[i].choice);
		if (cases[i].id) {
			strcpy(b.id, cases[i].id);
			b.has_id = true;
		}
		if (cases[i].ts >= 0) {
			b.ts = cases[i].ts;
			b.has_ts = true;
		}
		json = ballot_to_json(&b, NULL, err, sizeof(err));
		assert_non_null(json);
		if (parse(cases[i].poll, json, strlen(json), &back, err, sizeof(err)) != 0) {
			print_error("case %zu: %s refused: %s\n", i, json, err);
			failures++;
		} else if (strcmp(back.poll, b.poll) != 0 || strcmp(back.voter, b.voter) != 0 ||
			   strcmp(back.choice, b.choice) != 0 || back.has_id != b.has_id ||
			   strcmp(back.id, b.id) != 0 || back.has_ts != b.has_ts || back.ts != b.ts) {
			print_error("case %zu: %s parses back as poll '%s' voter '%s' choice '%s' id '%s' "
				    "ts %lld (has_ts %d); expected ts %lld\n",
				    i, json, back.poll, back.voter, back.choice, back.id, (long long)back.ts,
				    back.has_ts, (long long)b.ts);
			failures++;
		}
		free(json);
	}
	assert_int_equal(failures, 0);
}

static void ballot_to_json_should_write_valid_json_with_exactly_the_fields(void **state)
{
	struct ballot b;
	char err[256] = "", *json;
	cJSON *root;

	(void)state;
	memset(&b, 0, sizeof(b));
	strcpy(b.poll, "p1");
	strcpy(b.voter, "a\"b");
	strcpy(b.choice, "c\\d");
	b.ts = 42;
	b.has_ts = true;
	json = ballot_to_json(&b, NULL, err, sizeof(err));
	assert_non_null(json);
	root = cJSON_Parse(json);
	assert_non_null(root);
	assert_int_equal(cJSON_GetArraySize(root), 4);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "voter")->valuestring, "a\"b");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "choice")->valuestring, "c\\d");
	assert_null(cJSON_GetObjectItemCaseSensitive(root, "id"));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(root, "ts")));
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "ts")->valuedouble, 42);
	cJSON_Delete(root);
	free(json);
}

static void ballot_to_json_should_write_the_reply_when_set(void **state)
{
	struct ballot b;
	char err[256] = "", *json;

	(void)state;
	memset(&b, 0, sizeof(b));
	strcpy(b.poll, "p1");
	strcpy(b.voter, "bob");
	strcpy(b.choice, "yes");
	strcpy(b.id, ID_LOWER);
	b.has_id = true;
	b.ts = 1700000000000LL;
	b.has_ts = true;
	json = ballot_to_json(&b, "vote/p1/receipt/bob", err, sizeof(err));
	assert_non_null(json);
	assert_string_equal(json, "{\"poll\":\"p1\",\"voter\":\"bob\",\"choice\":\"yes\",\"id\":\"" ID_LOWER
				  "\",\"ts\":1700000000000,\"reply\":\"vote/p1/receipt/bob\"}");
	free(json);
	/* without id and ts */
	memset(&b, 0, sizeof(b));
	strcpy(b.poll, "p1");
	strcpy(b.voter, "bob");
	strcpy(b.choice, "no");
	json = ballot_to_json(&b, "vote/p1/receipt/a/b", err, sizeof(err));
	assert_non_null(json);
	assert_string_equal(json, "{\"poll\":\"p1\",\"voter\":\"bob\",\"choice\":\"no\","
				  "\"reply\":\"vote/p1/receipt/a/b\"}");
	free(json);
}

static void ballot_to_json_should_round_trip_the_reply_through_ballot_parse(void **state)
{
	static const char *const replies[] = { "vote/p1/receipt/x", "vote/p1/receipt/bob smith/caf\xc3\xa9",
					       "vote/p1/receipt/" R128 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		struct ballot b, back;
		struct ballot_reply reply;
		char err[256] = "", *json;

		memset(&b, 0, sizeof(b));
		strcpy(b.poll, "p1");
		strcpy(b.voter, "bob");
		strcpy(b.choice, "yes");
		json = ballot_to_json(&b, replies[i], err, sizeof(err));
		assert_non_null(json);
		if (parse_reply("p1", json, strlen(json), &back, &reply, err, sizeof(err)) != 0)
			fail_msg("%s refused: %s", json, err);
		assert_string_equal(reply.topic, replies[i]);
		assert_string_equal(reply.problem, "");
		assert_string_equal(back.voter, "bob");
		free(json);
	}
}

/* ---- ballot_new_id ---- */

static void ballot_new_id_should_give_32_lower_case_hex_digits(void **state)
{
	char id[BALLOT_ID_HEX + 1], err[256] = "";
	size_t i;

	(void)state;
	memset(id, 'Z', sizeof(id));
	assert_int_equal(ballot_new_id(id, err, sizeof(err)), 0);
	assert_int_equal(strlen(id), 32);
	for (i = 0; i < BALLOT_ID_HEX; i++)
		assert_non_null(strchr("0123456789abcdef", id[i]));
}

static void ballot_new_id_should_differ_between_calls(void **state)
{
	char a[BALLOT_ID_HEX + 1], b[BALLOT_ID_HEX + 1], err[256] = "";

	(void)state;
	assert_int_equal(ballot_new_id(a, err, sizeof(err)), 0);
	assert_int_equal(ballot_new_id(b, err, sizeof(err)), 0);
	assert_string_not_equal(a, b);
}

static void ballot_new_id_should_be_accepted_by_ballot_parse(void **state)
{
	char id[BALLOT_ID_HEX + 1], err[256] = "", json[128];
	struct ballot b;

	(void)state;
	assert_int_equal(ballot_new_id(id, err, sizeof(err)), 0);
	snprintf(json, sizeof(json), "{\"voter\":\"bob\",\"choice\":\"no\",\"id\":\"%s\"}", id);
	assert_int_equal(parse("p1", json, strlen(json), &b, err, sizeof(err)), 0);
	assert_string_equal(b.id, id);
}

/* ---- the "sig" field ---- */

#define SIG88 "8r8VqQv+U08k+lgNbClJDeLT8HYtFGRr/KskxkMT1uJmfVnBiuICieKEebnjoWZxInFO+N3G57OhadlCbUvzAQ=="
#define ERR_SIG "invalid field 'sig': must be a string of 88 characters of base64 (a 64-byte Ed25519 signature)"

static void ballot_parse_should_take_a_sig_of_88_base64_characters_and_refuse_others(void **state)
{
	static const struct {
		const char *sig_json; /* the field's JSON value */
		const char *err;      /* NULL: accepted */
	} cases[] = {
		{ "\"" SIG88 "\"", NULL },
		{ "\"" "8r8VqQv+U08k+lgNbClJDeLT8HYtFGRr/KskxkMT1uJmfVnBiuICieKEebnjoWZxInFO+N3G57OhadlCbUvzAQ=\"", ERR_SIG },
		{ "\"" SIG88 "=\"", ERR_SIG },
		{ "\"" "8r8VqQv+U08k+lgNbClJDeLT8HYtFGRr/KskxkMT1uJmfVnBiuICieKEebnjoWZxInFO+N3G57OhadlCbUvzAQA=\"",
		  ERR_SIG },
		{ "\"" "8r8VqQv-U08k+lgNbClJDeLT8HYtFGRr/KskxkMT1uJmfVnBiuICieKEebnjoWZxInFO+N3G57OhadlCbUvzAQ==\"",
		  ERR_SIG }, /* base64url is not base64 */
		{ "\"\"", ERR_SIG },
		{ "null", ERR_SIG },
		{ "88", ERR_SIG },
	};
	char payload[512], err[256];
	struct ballot b;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(payload, sizeof(payload), "{" VB "," CN ",\"sig\":%s}", cases[i].sig_json);
		err[0] = '\0';
		if (!cases[i].err) {
			assert_int_equal(parse("p1", payload, strlen(payload), &b, err, sizeof(err)), 0);
			assert_true(b.has_sig);
			assert_string_equal(b.sig, SIG88);
		} else {
			assert_int_equal(parse("p1", payload, strlen(payload), &b, err, sizeof(err)), -1);
			assert_string_equal(err, cases[i].err);
		}
	}
	assert_int_equal(parse("p1", "{" VB "," CN "}", strlen("{" VB "," CN "}"), &b, err, sizeof(err)), 0);
	assert_false(b.has_sig);
	assert_string_equal(b.sig, "");
}

static void ballot_to_json_should_write_the_sig_after_ts_and_round_trip_it(void **state)
{
	static const char want[] = "{\"poll\":\"p1\",\"voter\":\"bob\",\"choice\":\"no\",\"id\":\"" ID_LOWER
				   "\",\"ts\":1700000000000,\"sig\":\"" SIG88 "\",\"reply\":\"vote/p1/receipt/x\"}";
	struct ballot b, back;
	char err[256] = "", *json;

	(void)state;
	assert_int_equal(parse("p1", want, strlen(want), &b, err, sizeof(err)), 0);
	json = ballot_to_json(&b, "vote/p1/receipt/x", err, sizeof(err));
	assert_non_null(json);
	assert_string_equal(json, want);
	assert_int_equal(parse("p1", json, strlen(json), &back, err, sizeof(err)), 0);
	assert_memory_equal(&back, &b, sizeof(b));
	free(json);
}

/* ---- the other answers (issue 21) ---- */

/* ballot_parse_should_fill_each_answer_in_nfc_and_as_sent */
static void ballot_parse_should_fill_each_answer_in_nfc_and_as_sent(void **state)
{
	static const char ranked[] = "{\"voter\":\"bob\",\"ranking\":[\"cafe\\u0301\",\"b\",\"a,c\"]}";
	static const char picks[] = "{\"voter\":\"bob\",\"picks\":[]}";
	static const char value[] = "{\"voter\":\"bob\",\"value\":-7}";
	static const char single[] = "{\"voter\":\"bob\",\"choice\":\"no\"}";
	struct ballot b;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse("p1", ranked, sizeof(ranked) - 1, &b, err, sizeof(err)), 0);
	assert_int_equal(b.kind, POLLDEF_RANKED);
	assert_int_equal(b.nnames, 3);
	assert_string_equal(b.names[0], "caf\xc3\xa9");
	assert_string_equal(b.names_sent[0], "cafe\xcc\x81");
	assert_string_equal(b.names[1], "b");
	assert_string_equal(b.names_sent[1], "");
	assert_string_equal(b.names[2], "a,c"); /* a comma splits nothing */
	assert_string_equal(b.choice, "");
	assert_int_equal(parse("p1", picks, sizeof(picks) - 1, &b, err, sizeof(err)), 0);
	assert_int_equal(b.kind, POLLDEF_MULTIPLE);
	assert_int_equal(b.nnames, 0);
	assert_int_equal(parse("p1", value, sizeof(value) - 1, &b, err, sizeof(err)), 0);
	assert_int_equal(b.kind, POLLDEF_SCALE);
	assert_int_equal(b.value, -7);
	assert_int_equal(parse("p1", single, sizeof(single) - 1, &b, err, sizeof(err)), 0);
	assert_int_equal(b.kind, POLLDEF_SINGLE);
	assert_int_equal(b.nnames, 0);
}

/* ballot_parse_should_take_32_names_and_refuse_33 */
static void ballot_parse_should_take_32_names_and_refuse_33(void **state)
{
	char json[BALLOT_PAYLOAD_MAX + 1], err[256];
	struct ballot b;
	size_t used;
	int k, n;

	(void)state;
	for (n = 32; n <= 33; n++) {
		used = (size_t)snprintf(json, sizeof(json), "{\"voter\":\"bob\",\"ranking\":[");
		for (k = 0; k < n; k++)
			used += (size_t)snprintf(json + used, sizeof(json) - used, "%s\"" S64 "%02d\"", k ? "," : "", k);
		assert_true(used < sizeof(json) - 3);
		strcat(json, "]}");
		err[0] = '\0';
		/* names of 66 bytes: the ballot's own text rule says so, the count first */
		assert_int_equal(parse("p1", json, strlen(json), &b, err, sizeof(err)), -1);
		if (n == 32)
			assert_string_equal(err, "invalid field 'ranking': choice 1: " TEXT_RULE);
		else
			assert_string_equal(err, ERR_RANKING);
	}
	used = (size_t)snprintf(json, sizeof(json), "{\"voter\":\"bob\",\"picks\":[");
	for (k = 0; k < 32; k++)
		used += (size_t)snprintf(json + used, sizeof(json) - used, "%s\"%.62s%02d\"", k ? "," : "", S64, k);
	strcat(json, "]}");
	assert_int_equal(parse("p1", json, strlen(json), &b, err, sizeof(err)), 0);
	assert_int_equal(b.nnames, 32);
	assert_int_equal(strlen(b.names[31]), 64);
}

/* ballot_answers_should_say_what_the_poll_takes */
static void ballot_answers_should_say_what_the_poll_takes(void **state)
{
	static const char *const want[] = { "this poll takes one choice ('choice')", "this poll takes picks ('picks')",
					    "this poll takes a ranking ('ranking')", "this poll takes a value ('value')" };
	struct ballot b;
	char why[128];
	int k, kind;

	(void)state;
	memset(&b, 0, sizeof(b));
	for (kind = 0; kind < POLLDEF_KINDS; kind++) {
		b.kind = (enum polldef_kind)kind;
		for (k = 0; k < POLLDEF_KINDS; k++) {
			strcpy(why, "untouched");
			assert_int_equal(ballot_answers(&b, (enum polldef_kind)k, why, sizeof(why)), k == kind ? 0 : -1);
			assert_string_equal(why, k == kind ? "untouched" : want[k]);
		}
	}
}

/* ballot_to_json_should_write_each_answer_and_round_trip_it */
static void ballot_to_json_should_write_each_answer_and_round_trip_it(void **state)
{
	static const char *const want[] = {
		"{\"poll\":\"p1\",\"voter\":\"bob\",\"picks\":[\"a\",\"caf\xc3\xa9\"],\"id\":\"" ID_LOWER "\",\"ts\":5}",
		"{\"poll\":\"p1\",\"voter\":\"bob\",\"ranking\":[\"a\",\"caf\xc3\xa9\"],\"id\":\"" ID_LOWER "\",\"ts\":5}",
		"{\"poll\":\"p1\",\"voter\":\"bob\",\"value\":-1000000,\"id\":\"" ID_LOWER "\",\"ts\":5}",
		"{\"poll\":\"p1\",\"voter\":\"bob\",\"picks\":[],\"id\":\"" ID_LOWER "\",\"ts\":5}",
	};
	struct ballot b, back;
	char err[256] = "", *json;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		memset(&b, 0, sizeof(b));
		strcpy(b.poll, "p1");
		strcpy(b.voter, "bob");
		strcpy(b.id, ID_LOWER);
		b.has_id = b.has_ts = true;
		b.ts = 5;
		b.kind = k == 0 || k == 3 ? POLLDEF_MULTIPLE : k == 1 ? POLLDEF_RANKED : POLLDEF_SCALE;
		b.value = b.kind == POLLDEF_SCALE ? -1000000 : 0;
		if (k < 2) {
			strcpy(b.names[0], "a");
			strcpy(b.names[1], "caf\xc3\xa9");
			b.nnames = 2;
		}
		json = ballot_to_json(&b, NULL, err, sizeof(err));
		assert_non_null(json);
		assert_string_equal(json, want[k]);
		assert_int_equal(parse("p1", json, strlen(json), &back, err, sizeof(err)), 0);
		free(json);
		assert_memory_equal(&back, &b, sizeof(b));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ballot_parse_should_follow_the_table),
		cmocka_unit_test(ballot_parse_should_fill_a_minimal_ballot_without_id_or_ts),
		cmocka_unit_test(ballot_parse_should_fill_a_full_ballot),
		cmocka_unit_test(ballot_parse_should_take_the_reply_topic_or_say_why_not_and_parse_the_ballot),
		cmocka_unit_test(ballot_parse_should_take_the_reply_topic_of_a_dotted_poll),
		cmocka_unit_test(ballot_parse_should_name_the_poll_in_the_reply_problem_and_still_parse),
		cmocka_unit_test(ballot_parse_should_leave_the_reply_alone_when_not_asked),
		cmocka_unit_test(ballot_parse_should_keep_the_reply_of_a_refused_ballot),
		cmocka_unit_test(ballot_parse_should_keep_only_a_valid_id_of_a_refused_ballot),
		cmocka_unit_test(ballot_parse_should_normalise_an_upper_case_id_to_lower_case),
		cmocka_unit_test(ballot_parse_should_accept_ts_at_both_ends_of_the_range),
		cmocka_unit_test(ballot_parse_should_decode_json_escapes_in_voter_and_choice),
		cmocka_unit_test(ballot_parse_should_read_only_len_bytes),
		cmocka_unit_test(ballot_parse_should_refuse_an_embedded_nul_byte),
		cmocka_unit_test(ballot_parse_should_refuse_a_nul_byte_before_the_object),
		cmocka_unit_test(ballot_parse_should_accept_a_valid_payload_of_4096_bytes),
		cmocka_unit_test(ballot_parse_should_reject_payload_over_4096_bytes),
		cmocka_unit_test(ballot_parse_should_reject_a_large_payload_before_parsing_it),
		cmocka_unit_test(ballot_parse_should_parse_a_4096_byte_payload_and_refuse_it_if_malformed),
		cmocka_unit_test(ballot_text_valid_should_follow_the_table),
		cmocka_unit_test(ballot_parse_should_refuse_each_look_alike_of_issue_19),
		cmocka_unit_test(ballot_parse_should_keep_nfc_and_the_text_as_sent),
		cmocka_unit_test(ballot_text_norm_should_accept_emoji_sequences_only_whole),
		cmocka_unit_test(ballot_parse_should_name_the_format_character),
		cmocka_unit_test(ballot_to_json_should_write_the_wire_format_in_order),
		cmocka_unit_test(ballot_to_json_should_leave_out_id_and_ts_when_absent),
		cmocka_unit_test(ballot_to_json_and_parse_should_carry_the_instance_lower_cased),
		cmocka_unit_test(ballot_to_json_should_round_trip_through_ballot_parse),
		cmocka_unit_test(ballot_to_json_should_write_valid_json_with_exactly_the_fields),
		cmocka_unit_test(ballot_to_json_should_write_the_reply_when_set),
		cmocka_unit_test(ballot_to_json_should_round_trip_the_reply_through_ballot_parse),
		cmocka_unit_test(ballot_new_id_should_give_32_lower_case_hex_digits),
		cmocka_unit_test(ballot_new_id_should_differ_between_calls),
		cmocka_unit_test(ballot_new_id_should_be_accepted_by_ballot_parse),
		cmocka_unit_test(ballot_parse_should_take_a_sig_of_88_base64_characters_and_refuse_others),
		cmocka_unit_test(ballot_to_json_should_write_the_sig_after_ts_and_round_trip_it),
		cmocka_unit_test(ballot_parse_should_fill_each_answer_in_nfc_and_as_sent),
		cmocka_unit_test(ballot_parse_should_take_32_names_and_refuse_33),
		cmocka_unit_test(ballot_answers_should_say_what_the_poll_takes),
		cmocka_unit_test(ballot_to_json_should_write_each_answer_and_round_trip_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
