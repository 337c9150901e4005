/* test_utf8.c -- unit tests of utf8: well-formed UTF-8 without control characters */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* One case: the bytes s[0..len) and whether they are valid text. */
struct utf8_case {
	const char *name;
	const char *s;
	size_t len;
	bool valid;
};

#define CASE(name, lit, valid) { name, lit, sizeof(lit) - 1, valid }

static const struct utf8_case cases[] = {
	/* valid */
	CASE("empty", "", true),
	CASE("ascii word", "hello", true),
	CASE("ascii printable range", " !\"#$%&'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~", true),
	CASE("space", " ", true),
	CASE("e acute (2 bytes)", "\xc3\xa9", true),
	CASE("euro sign (3 bytes)", "\xe2\x82\xac", true),
	CASE("grinning face (4 bytes)", "\xf0\x9f\x98\x80", true),
	CASE("mixed text", "caf\xc3\xa9 \xe2\x82\xac 5 \xf0\x9f\x98\x80!", true),
	CASE("U+0080 is a control but U+00A0 is not", "\xc2\xa0", true),
	CASE("U+07FF, last 2-byte", "\xdf\xbf", true),
	CASE("U+0800, first 3-byte", "\xe0\xa0\x80", true),
	CASE("U+D7FF, just below the surrogates", "\xed\x9f\xbf", true),
	CASE("U+E000, just above the surrogates", "\xee\x80\x80", true),
	CASE("U+FFFD", "\xef\xbf\xbd", true),
	CASE("U+10000, first 4-byte", "\xf0\x90\x80\x80", true),
	CASE("U+10FFFF, the last code point", "\xf4\x8f\xbf\xbf", true),
	/* control characters */
	CASE("U+0001", "\x01", false),
	CASE("U+001F", "\x1f", false),
	CASE("tab", "a\tb", false),
	CASE("newline", "a\nb", false),
	CASE("carriage return", "a\r", false),
	CASE("DEL U+007F", "\x7f", false),
	CASE("DEL after text", "abc\x7f", false),
	CASE("U+0080", "\xc2\x80", false),
	CASE("NEL U+0085", "\xc2\x85", false),
	CASE("U+009F", "\xc2\x9f", false),
	CASE("embedded NUL", "ab\0cd", false),
	CASE("single NUL", "\0", false),
	/* overlong forms */
	CASE("overlong '/' in 2 bytes", "\xc0\xaf", false),
	CASE("overlong NUL in 2 bytes", "\xc0\x80", false),
	CASE("overlong U+007F in 2 bytes", "\xc1\xbf", false),
	CASE("overlong '/' in 3 bytes", "\xe0\x80\xaf", false),
	CASE("overlong U+07FF in 3 bytes", "\xe0\x9f\xbf", false),
	CASE("overlong U+FFFF in 4 bytes", "\xf0\x8f\xbf\xbf", false),
	/* surrogates */
	CASE("high surrogate U+D800", "\xed\xa0\x80", false),
	CASE("low surrogate U+DFFF", "\xed\xbf\xbf", false),
	CASE("surrogate pair in CESU-8", "\xed\xa0\xbd\xed\xb8\x80", false),
	/* above U+10FFFF and impossible bytes */
	CASE("U+110000", "\xf4\x90\x80\x80", false),
	CASE("lead byte F5", "\xf5\x80\x80\x80", false),
	CASE("5-byte form", "\xf8\x88\x80\x80\x80", false),
	CASE("byte FE", "\xfe", false),
	CASE("byte FF", "\xff", false),
	/* bad continuation bytes */
	CASE("lone continuation byte", "\x80", false),
	CASE("continuation byte after ascii", "a\xbf", false),
	CASE("2-byte lead then ascii", "\xc3" "a", false),
	CASE("3-byte lead, continuation, ascii", "\xe2\x82" "a", false),
	CASE("4-byte lead with a lead in the middle", "\xf0\x9f\xc3\xa9", false),
	/* truncated sequences */
	CASE("truncated 2-byte", "\xc3", false),
	CASE("truncated 3-byte (1 of 3)", "\xe2", false),
	CASE("truncated 3-byte (2 of 3)", "\xe2\x82", false),
	CASE("truncated 4-byte (3 of 4)", "\xf0\x9f\x98", false),
	CASE("text then truncated 2-byte", "abc\xc3", false),
};

/* heap_copy: an exact-size heap copy of s[0..len) (no NUL after it). */
static char *heap_copy(const char *s, size_t len)
{
	char *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	if (len)
		memcpy(copy, s, len);
	return copy;
}

/* check: runs utf8_text_valid on an exact-size heap copy of the case, so
 * that AddressSanitizer reports any read past len. */
static bool check(const char *s, size_t len)
{
	char *copy = heap_copy(s, len);
	bool valid = utf8_text_valid(copy, len);

	free(copy);
	return valid;
}

static void utf8_text_valid_should_follow_the_table(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = check(cases[i].s, cases[i].len);

		if (got != cases[i].valid) {
			print_error("case '%s': expected %s, got %s\n", cases[i].name,
				    cases[i].valid ? "valid" : "invalid", got ? "valid" : "invalid");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* encode: writes the scalar value cp as UTF-8 into out (4 bytes); returns
 * the length. */
static size_t encode(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

static void utf8_text_valid_should_accept_every_valid_code_point_above_the_controls(void **state)
{
	/* Encodes every scalar value from U+00A0 to U+10FFFF (no surrogates)
	 * and checks that each one alone is valid text. */
	uint32_t cp;
	char buf[4];
	size_t n, failures = 0;

	(void)state;
	for (cp = 0xA0; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		n = encode(cp, buf);
		if (!utf8_text_valid(buf, n)) {
			if (failures++ < 5)
				print_error("U+%04X refused\n", (unsigned)cp);
		}
	}
	assert_int_equal(failures, 0);
}

static void utf8_text_valid_should_refuse_every_ascii_and_c1_control(void **state)
{
	unsigned char buf[2];
	unsigned c;

	(void)state;
	for (c = 0; c < 0x20; c++) {
		buf[0] = (unsigned char)c;
		assert_false(utf8_text_valid((const char *)buf, 1));
	}
	buf[0] = 0x7F;
	assert_false(utf8_text_valid((const char *)buf, 1));
	for (c = 0x80; c <= 0x9F; c++) {
		buf[0] = (unsigned char)(0xC0 | (c >> 6));
		buf[1] = (unsigned char)(0x80 | (c & 0x3F));
		assert_false(utf8_text_valid((const char *)buf, 2));
	}
}

static void utf8_text_valid_should_read_only_len_bytes(void **state)
{
	/* What follows len must not matter: neither a control character nor
	 * an invalid byte, nor the missing NUL. */
	(void)state;
	assert_true(check("abc\x01", 3));
	assert_true(check("abc\xff", 3));
	assert_true(check("ab\0cd", 2));
	assert_true(check("\xc3\xa9\xc0\xaf", 2));
	assert_false(check("abc\x01", 4));
}

static void utf8_text_valid_should_refuse_a_sequence_cut_by_len(void **state)
{
	(void)state;
	assert_false(check("\xc3\xa9", 1));
	assert_false(check("\xe2\x82\xac", 2));
	assert_false(check("\xf0\x9f\x98\x80", 3));
	assert_true(check("\xf0\x9f\x98\x80", 4));
}

static void utf8_text_valid_should_accept_zero_length(void **state)
{
	(void)state;
	assert_true(check("", 0));
	assert_true(check("\x01", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_text_valid_should_follow_the_table),
		cmocka_unit_test(utf8_text_valid_should_accept_every_valid_code_point_above_the_controls),
		cmocka_unit_test(utf8_text_valid_should_refuse_every_ascii_and_c1_control),
		cmocka_unit_test(utf8_text_valid_should_read_only_len_bytes),
		cmocka_unit_test(utf8_text_valid_should_refuse_a_sequence_cut_by_len),
		cmocka_unit_test(utf8_text_valid_should_accept_zero_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
