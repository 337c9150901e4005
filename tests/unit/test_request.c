/* test_request.c -- unit tests of request: one line of the TCP protocol, a ballot or a result query, and the error reply */
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

#include "request.h"

#define ERR_POLL "invalid field 'poll': poll name must be 1 to 64 characters from A-Z a-z 0-9 _ - ."
#define ERR_MISSING "missing field 'poll'"
#define ERR_GET "unknown request: \"get\" must be \"result\" or \"info\""
#define ERR_JSON "malformed JSON"
#define ERR_OBJECT "not a JSON object"
#define ERR_LONG "line too long (at most 4096 bytes)"
#define P64 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-" /* 64 characters */
#define BALLOT "\"voter\":\"bob\",\"choice\":\"yes\""

/* parse: request_parse on an exact-size heap copy of line[0..len) (no
 * newline, no NUL after it), so AddressSanitizer reports any read past
 * len. */
static int parse(const char *line, size_t len, struct request *out, char *err, size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	if (len)
		memcpy(copy, line, len);
	rc = request_parse(copy, len, out, err, errlen);
	free(copy);
	return rc;
}

/* line_of: a line of exactly size bytes: a result query on p1 padded by
 * spaces before its closing brace; malloc'd, NUL-terminated. */
static char *line_of(size_t size)
{
	static const char head[] = "{\"get\":\"result\",\"poll\":\"p1\"";
	char *p = malloc(size + 1);

	assert_non_null(p);
	assert_true(size > sizeof(head));
	memcpy(p, head, sizeof(head) - 1);
	memset(p + sizeof(head) - 1, ' ', size - sizeof(head));
	p[size - 1] = '}';
	p[size] = '\0';
	return p;
}

/* ---- request_parse: the table ---- */

struct request_case {
	const char *name;
	const char *line;
	enum request_kind kind; /* when err is NULL */
	const char *poll;       /* when err is NULL */
	const char *err;        /* NULL: accepted */
};

static const struct request_case request_cases[] = {
	/* ballots */
	{ "a ballot", "{\"poll\":\"p1\"," BALLOT "}", REQUEST_BALLOT, "p1", NULL },
	{ "a ballot, poll last", "{" BALLOT ",\"poll\":\"budget.2026\"}", REQUEST_BALLOT, "budget.2026", NULL },
	{ "a full ballot", "{\"poll\":\"p1\"," BALLOT ",\"id\":\"0123456789abcdef0123456789abcdef\","
	  "\"ts\":1700000000000}", REQUEST_BALLOT, "p1", NULL },
	{ "a ballot validated later", "{\"poll\":\"p1\"}", REQUEST_BALLOT, "p1", NULL },
	{ "a ballot with a bad voter, validated later", "{\"poll\":\"p1\",\"voter\":42}", REQUEST_BALLOT, "p1", NULL },
	{ "a poll of 64 characters", "{\"poll\":\"" P64 "\"," BALLOT "}", REQUEST_BALLOT, P64, NULL },
	{ "spaces around", "  { \"poll\" : \"p1\" }  ", REQUEST_BALLOT, "p1", NULL },
	{ "a CR at the end", "{\"poll\":\"p1\"}\r", REQUEST_BALLOT, "p1", NULL },
	/* result queries */
	{ "a result query", "{\"get\":\"result\",\"poll\":\"p1\"}", REQUEST_RESULT, "p1", NULL },
	{ "a result query, poll first", "{\"poll\":\"x-y_z\",\"get\":\"result\"}", REQUEST_RESULT, "x-y_z", NULL },
	{ "an information query", "{\"get\":\"info\",\"poll\":\"p1\"}", REQUEST_INFO, "p1", NULL },
	/* missing poll */
	{ "a ballot without poll", "{" BALLOT "}", 0, NULL, ERR_MISSING },
	{ "a result query without poll", "{\"get\":\"result\"}", 0, NULL, ERR_MISSING },
	{ "an empty object", "{}", 0, NULL, ERR_MISSING },
	{ "Poll is not poll", "{\"Poll\":\"p1\"}", 0, NULL, ERR_MISSING },
	{ "an unknown get without poll", "{\"get\":\"votes\"}", 0, NULL, ERR_MISSING },
	/* invalid poll */
	{ "empty poll", "{\"poll\":\"\"," BALLOT "}", 0, NULL, ERR_POLL },
	{ "poll of 65 characters", "{\"poll\":\"" P64 "x\"}", 0, NULL, ERR_POLL },
	{ "poll with a space", "{\"poll\":\"a b\"}", 0, NULL, ERR_POLL },
	{ "poll with a slash", "{\"poll\":\"a/b\"}", 0, NULL, ERR_POLL },
	{ "poll +", "{\"get\":\"result\",\"poll\":\"+\"}", 0, NULL, ERR_POLL },
	{ "poll #", "{\"poll\":\"#\"}", 0, NULL, ERR_POLL },
	{ "poll $SYS", "{\"poll\":\"$SYS\"}", 0, NULL, ERR_POLL },
	{ "poll with e-acute", "{\"poll\":\"caf\xc3\xa9\"}", 0, NULL, ERR_POLL },
	{ "poll a number", "{\"poll\":1}", 0, NULL, ERR_POLL },
	{ "poll null", "{\"poll\":null}", 0, NULL, ERR_POLL },
	{ "poll an array", "{\"poll\":[\"p1\"]}", 0, NULL, ERR_POLL },
	{ "poll an object", "{\"poll\":{\"name\":\"p1\"}}", 0, NULL, ERR_POLL },
	/* get other than "result" */
	{ "get results", "{\"get\":\"results\",\"poll\":\"p1\"}", 0, NULL, ERR_GET },
	{ "get Result", "{\"get\":\"Result\",\"poll\":\"p1\"}", 0, NULL, ERR_GET },
	{ "get empty", "{\"get\":\"\",\"poll\":\"p1\"}", 0, NULL, ERR_GET },
	{ "get null", "{\"get\":null,\"poll\":\"p1\"}", 0, NULL, ERR_GET },
	{ "get a number", "{\"get\":1,\"poll\":\"p1\"}", 0, NULL, ERR_GET },
	{ "get true", "{\"get\":true,\"poll\":\"p1\"}", 0, NULL, ERR_GET },
	{ "get on a ballot", "{\"get\":\"ballot\",\"poll\":\"p1\"," BALLOT "}", 0, NULL, ERR_GET },
	/* malformed JSON */
	{ "empty line", "", 0, NULL, ERR_JSON },
	{ "spaces only", "   ", 0, NULL, ERR_JSON },
	{ "an open brace", "{", 0, NULL, ERR_JSON },
	{ "unterminated", "{\"poll\":\"p1\"", 0, NULL, ERR_JSON },
	{ "single quotes", "{'poll':'p1'}", 0, NULL, ERR_JSON },
	{ "a word", "result", 0, NULL, ERR_JSON },
	{ "a trailing comma", "{\"poll\":\"p1\",}", 0, NULL, ERR_JSON },
	/* not an object */
	{ "array", "[]", 0, NULL, ERR_OBJECT },
	{ "array of a query", "[{\"get\":\"result\",\"poll\":\"p1\"}]", 0, NULL, ERR_OBJECT },
	{ "string", "\"p1\"", 0, NULL, ERR_OBJECT },
	{ "number", "42", 0, NULL, ERR_OBJECT },
	{ "null", "null", 0, NULL, ERR_OBJECT },
	{ "false", "false", 0, NULL, ERR_OBJECT },
};

static void request_parse_should_follow_the_table(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(request_cases) / sizeof(request_cases[0]); i++) {
		const struct request_case *c = &request_cases[i];
		struct request r;
		char err[256] = "";
		int rc;

		memset(&r, 0x5a, sizeof(r));
		rc = parse(c->line, strlen(c->line), &r, err, sizeof(err));
		if (!c->err && rc != 0) {
			print_error("case '%s': refused: %s\n", c->name, err);
			failures++;
		} else if (!c->err && (r.kind != c->kind || strcmp(r.poll, c->poll) != 0)) {
			print_error("case '%s': expected %s on '%s', got %s on '%s'\n", c->name,
				    c->kind == REQUEST_BALLOT ? "ballot" : c->kind == REQUEST_INFO ? "info" : "result", c->poll,
				    r.kind == REQUEST_BALLOT ? "ballot" : r.kind == REQUEST_INFO ? "info" : "result", r.poll);
			failures++;
		} else if (c->err && (rc != -1 || strcmp(err, c->err) != 0)) {
			print_error("case '%s': expected -1 \"%s\", got %d \"%s\"\n", c->name, c->err, rc,
				    rc ? err : "");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void request_parse_should_take_a_line_of_4096_bytes(void **state)
{
	char *line = line_of(REQUEST_LINE_MAX);
	struct request r;
	char err[256] = "";

	(void)state;
	assert_int_equal(strlen(line), 4096);
	assert_int_equal(parse(line, 4096, &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, REQUEST_RESULT);
	assert_string_equal(r.poll, "p1");
	free(line);
}

static void request_parse_should_refuse_a_line_of_4097_bytes(void **state)
{
	char *line = line_of(REQUEST_LINE_MAX + 1);
	struct request r;
	char err[256] = "";

	(void)state;
	assert_int_equal(strlen(line), 4097);
	assert_int_equal(parse(line, 4097, &r, err, sizeof(err)), -1);
	assert_string_equal(err, ERR_LONG);
	free(line);
}

static void request_parse_should_refuse_a_long_line_before_parsing_it(void **state)
{
	/* not JSON either: the length is what it is refused for */
	size_t n = 100000;
	char *line = malloc(n);
	struct request r;
	char err[256] = "";

	(void)state;
	assert_non_null(line);
	memset(line, '[', n);
	assert_int_equal(request_parse(line, n, &r, err, sizeof(err)), -1);
	assert_string_equal(err, ERR_LONG);
	free(line);
}

static void request_parse_should_read_only_len_bytes(void **state)
{
	static const char buf[] = "{\"get\":\"result\",\"poll\":\"p1\"}{\"poll\":\"p2\"}";
	size_t first = (size_t)(strchr(buf, '}') - buf) + 1;
	struct request r;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(buf, first, &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, REQUEST_RESULT);
	assert_string_equal(r.poll, "p1");
	assert_int_equal(parse(buf, first - 1, &r, err, sizeof(err)), -1);
	assert_string_equal(err, ERR_JSON);
}

/* The line must be exactly one JSON object, and "poll" exactly a poll
 * name, as ballot_parse requires of a ballot: trailing bytes and a NUL
 * escape cut a query short of what was sent. */
static void request_parse_should_refuse_a_line_that_is_more_than_one_object(void **state)
{
	static const char *const lines[] = {
		"{\"get\":\"result\",\"poll\":\"p1\"} x",
		"{\"get\":\"result\",\"poll\":\"p1\"}{\"get\":\"result\",\"poll\":\"p2\"}",
		"{\"poll\":\"p1\"," BALLOT "}]",
	};
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct request r;
		char err[256] = "";
		int rc = parse(lines[i], strlen(lines[i]), &r, err, sizeof(err));

		if (rc != -1 || strcmp(err, ERR_JSON) != 0) {
			print_error("line %s: expected -1 \"" ERR_JSON "\", got %d \"%s\" (poll '%s')\n", lines[i],
				    rc, rc ? err : "", rc ? "" : r.poll);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void request_parse_should_refuse_a_poll_with_a_nul_escape(void **state)
{
	static const char line[] = "{\"get\":\"result\",\"poll\":\"p1\\u0000x\"}";
	struct request r;
	char err[256] = "";
	int rc;

	(void)state;
	rc = parse(line, sizeof(line) - 1, &r, err, sizeof(err));
	if (rc == 0)
		fail_msg("%s accepted as a query on poll '%s'", line, r.poll);
	assert_int_equal(rc, -1);
}

/* ---- request_error_json ---- */

static void request_error_json_should_write_the_message(void **state)
{
	static const struct {
		const char *message, *json;
	} cases[] = {
		{ ERR_MISSING, "{\"error\":\"missing field 'poll'\"}" },
		{ ERR_GET, "{\"error\":\"unknown request: \\\"get\\\" must be \\\"result\\\" or \\\"info\\\"\"}" },
		{ "a\\b\nc\td", "{\"error\":\"a\\\\b\\nc\\td\"}" },
		{ "caf\xc3\xa9", "{\"error\":\"caf\xc3\xa9\"}" },
		{ "", "{\"error\":\"\"}" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *json = request_error_json(cases[i].message);
		cJSON *root;

		assert_non_null(json);
		assert_string_equal(json, cases[i].json);
		/* and it reads back as the message */
		root = cJSON_Parse(json);
		assert_non_null(root);
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "error")->valuestring, cases[i].message);
		cJSON_Delete(root);
		free(json);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_parse_should_follow_the_table),
		cmocka_unit_test(request_parse_should_take_a_line_of_4096_bytes),
		cmocka_unit_test(request_parse_should_refuse_a_line_of_4097_bytes),
		cmocka_unit_test(request_parse_should_refuse_a_long_line_before_parsing_it),
		cmocka_unit_test(request_parse_should_read_only_len_bytes),
		cmocka_unit_test(request_parse_should_refuse_a_line_that_is_more_than_one_object),
		cmocka_unit_test(request_parse_should_refuse_a_poll_with_a_nul_escape),
		cmocka_unit_test(request_error_json_should_write_the_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
