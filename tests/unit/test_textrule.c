/* test_textrule.c -- unit tests of textrule: NFC, invisible and format characters, emoji, confusable choices */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textrule.h"

#define NAME_MAX_BYTES 64
#define INVISIBLE(hex) "contains an invisible or format character U+" hex

#define TEACHER "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x8f\xab" /* U+1F469 U+200D U+1F3EB: woman teacher */
#define E_COMPOSED "caf\xc3\xa9"                              /* café, U+00E9 */
#define E_DECOMPOSED "cafe\xcc\x81"                           /* café, e + U+0301 */
#define CYRILLIC_A "\xd0\xb0"                                 /* U+0430 */

/* name: textrule_name with the ballot limit; the NFC form into out. */
static int name(const char *s, char *out, char *why)
{
	return textrule_name(s, NAME_MAX_BYTES, out, NAME_MAX_BYTES + 1, why, TEXTRULE_WHY_MAX);
}

static void textrule_name_should_refuse_each_code_point_of_issue_19(void **state)
{
	/* "yes" + each: eight names that all read "yes" */
	static const struct {
		const char *s, *why;
	} cases[] = {
		{ "yes\xcd\x8f", INVISIBLE("034F") },         /* combining grapheme joiner */
		{ "yes\xef\xb8\x80", INVISIBLE("FE00") },     /* variation selector 1 */
		{ "yes\xef\xb8\x8f", INVISIBLE("FE0F") },     /* variation selector 16, not in an emoji */
		{ "yes\xf3\xa0\x84\x80", INVISIBLE("E0100") }, /* variation selector 17 */
		{ "yes\xe1\x85\x9f", INVISIBLE("115F") },     /* Hangul choseong filler */
		{ "yes\xe3\x85\xa4", INVISIBLE("3164") },     /* Hangul filler */
		{ "yes\xe2\xa0\x80", INVISIBLE("2800") },     /* braille pattern blank */
		{ "yes\xe1\x9e\xb4", INVISIBLE("17B4") },     /* Khmer vowel inherent aq */
		{ "\xe2\x80\xae" "yes", INVISIBLE("202E") },  /* right-to-left override */
		{ "y\xe2\x80\x8b" "es", INVISIBLE("200B") },  /* zero-width space */
		{ "\xd8\x80" "1", INVISIBLE("0600") },         /* Cf but not default-ignorable */
		{ "yes\xef\xbf\xb9", INVISIBLE("FFF9") },     /* interlinear annotation anchor */
	};
	char out[NAME_MAX_BYTES + 1], why[TEXTRULE_WHY_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(name(cases[i].s, out, why), -1);
		assert_string_equal(why, cases[i].why);
		assert_string_equal(out, "");
	}
}

static void textrule_name_should_make_composed_and_decomposed_one_name(void **state)
{
	char a[NAME_MAX_BYTES + 1], b[NAME_MAX_BYTES + 1], why[TEXTRULE_WHY_MAX];

	(void)state;
	assert_int_equal(name(E_COMPOSED, a, why), 0);
	assert_int_equal(name(E_DECOMPOSED, b, why), 0);
	assert_string_equal(a, E_COMPOSED);
	assert_string_equal(b, E_COMPOSED);
	/* Angstrom sign U+212B is NFC U+00C5 */
	assert_int_equal(name("\xe2\x84\xab", a, why), 0);
	assert_string_equal(a, "\xc3\x85");
}

static void textrule_name_should_accept_rgi_emoji_sequences_only(void **state)
{
	char out[NAME_MAX_BYTES + 1], why[TEXTRULE_WHY_MAX];

	(void)state;
	assert_int_equal(name(TEACHER, out, why), 0);
	assert_string_equal(out, TEACHER);
	assert_int_equal(name("ms " TEACHER " smith", out, why), 0);
	assert_int_equal(name("\xe2\x9d\xa4\xef\xb8\x8f", out, why), 0);             /* red heart, VS16 */
	assert_int_equal(name("1\xef\xb8\x8f\xe2\x83\xa3", out, why), 0);            /* keycap 1 */
	/* flag of England: a tag sequence (U+1F3F4, tags g b e n g, cancel tag) */
	assert_int_equal(name("\xf0\x9f\x8f\xb4\xf3\xa0\x81\xa7\xf3\xa0\x81\xa2\xf3\xa0\x81\xa5"
			      "\xf3\xa0\x81\xae\xf3\xa0\x81\xa7\xf3\xa0\x81\xbf", out, why), 0);
	/* woman + ZWJ + T. rex: no RGI sequence, the joiner is refused */
	assert_int_equal(name("\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\xa6\x96", out, why), -1);
	assert_string_equal(why, INVISIBLE("200D"));
	/* a joiner after a whole sequence */
	assert_int_equal(name(TEACHER "\xe2\x80\x8d", out, why), -1);
	assert_string_equal(why, INVISIBLE("200D"));
	/* a tag alone */
	assert_int_equal(name("no\xf3\xa0\x80\x81", out, why), -1);
	assert_string_equal(why, INVISIBLE("E0001"));
}

static void textrule_name_should_want_something_visible(void **state)
{
	char out[NAME_MAX_BYTES + 1], why[TEXTRULE_WHY_MAX];

	(void)state;
	assert_int_equal(name(" ", out, why), -1);
	assert_string_equal(why, TEXTRULE_BLANK);
	assert_int_equal(name("\xc2\xa0\xe3\x80\x80", out, why), -1); /* no-break space, ideographic space */
	assert_string_equal(why, TEXTRULE_BLANK);
	assert_int_equal(name("Ann Marie", out, why), 0);
	assert_int_equal(name("Ann\xc2\xa0Marie", out, why), 0);
}

static void textrule_name_should_leave_the_general_rule_to_the_caller(void **state)
{
	char out[NAME_MAX_BYTES + 1], why[TEXTRULE_WHY_MAX];
	char long65[66];

	(void)state;
	memset(long65, 'a', 65);
	long65[65] = '\0';
	assert_int_equal(name("", out, why), -1);
	assert_string_equal(why, "");
	assert_int_equal(name(long65, out, why), -1);
	assert_string_equal(why, "");
	assert_int_equal(name("a\x01", out, why), -1);
	assert_string_equal(why, "");
	assert_int_equal(name("\xc3", out, why), -1);
	assert_string_equal(why, "");
}

static void textrule_name_should_measure_the_nfc_form(void **state)
{
	/* U+0958 (3 bytes) is NFC U+0915 U+093C (6 bytes): 20 of them are 60
	 * bytes given, 120 once normalised */
	char s[64], out[NAME_MAX_BYTES + 1], why[TEXTRULE_WHY_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++)
		memcpy(s + 3 * i, "\xe0\xa5\x98", 3);
	s[60] = '\0';
	assert_int_equal(name(s, out, why), -1);
	assert_string_equal(why, "is longer than 64 bytes once normalised (NFC)");
	s[30] = '\0'; /* 10: 60 bytes normalised */
	assert_int_equal(name(s, out, why), 0);
	assert_int_equal(strlen(out), 60);
}

static void textrule_question_should_refuse_bidi_and_zero_width_and_take_emoji(void **state)
{
	char out[512], why[TEXTRULE_WHY_MAX];

	(void)state;
	assert_int_equal(textrule_question("Which \xe2\x80\xae" "one?", 500, out, sizeof(out), why, sizeof(why)), -1);
	assert_string_equal(why, INVISIBLE("202E"));
	assert_int_equal(textrule_question("Which\xe2\x80\x8b one?", 500, out, sizeof(out), why, sizeof(why)), -1);
	assert_string_equal(why, INVISIBLE("200B"));
	assert_int_equal(textrule_question("Best " TEACHER "?", 500, out, sizeof(out), why, sizeof(why)), 0);
	assert_string_equal(out, "Best " TEACHER "?");
	assert_int_equal(textrule_question("Un " E_DECOMPOSED " ?", 500, out, sizeof(out), why, sizeof(why)), 0);
	assert_string_equal(out, "Un " E_COMPOSED " ?");
	assert_int_equal(textrule_question("   ", 500, out, sizeof(out), why, sizeof(why)), 0); /* blank: its own */
}

static void textrule_choices_check_should_name_the_confusable_pair(void **state)
{
	const char *latin_cyrillic[] = { "yes", "a", "no", CYRILLIC_A };
	const char *distinct[] = { "yes", "no", "abstain", TEACHER, E_COMPOSED };
	const char *two_runs[] = { "x", "paypal", "p" CYRILLIC_A "ypal", "rn", "m" };
	char why[TEXTRULE_WHY_MAX];

	(void)state;
	assert_int_equal(textrule_choices_check(latin_cyrillic, 4, why, sizeof(why)), 1);
	assert_string_equal(why, "'" CYRILLIC_A "' looks like 'a' (confusable, Unicode TR 39)");
	assert_int_equal(textrule_choices_check(distinct, 5, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	/* the first choice that looks like an earlier one */
	assert_int_equal(textrule_choices_check(two_runs, 5, why, sizeof(why)), 1);
	assert_string_equal(why, "'p" CYRILLIC_A "ypal' looks like 'paypal' (confusable, Unicode TR 39)");
	assert_int_equal(textrule_choices_check(NULL, 0, why, sizeof(why)), 0);
}

static void textrule_skeleton_should_be_equal_for_look_alikes(void **state)
{
	char err[128], *a = textrule_skeleton("a", err, sizeof(err)), *b = textrule_skeleton(CYRILLIC_A, err, sizeof(err));
	char *y = textrule_skeleton("yes", err, sizeof(err)), *n = textrule_skeleton("yes\xc2\xa0", err, sizeof(err));

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(y);
	assert_non_null(n);
	assert_string_equal(a, b);
	assert_string_not_equal(y, n); /* "yes " (no-break space) is "yes" and a space */
	free(a);
	free(b);
	free(y);
	free(n);
}

/* check_many: the tallier's threads check at once (run under TSan too). */
static void *check_many(void *arg)
{
	char out[NAME_MAX_BYTES + 1], why[TEXTRULE_WHY_MAX], *sk;
	int i, *bad = arg;

	for (i = 0; i < 200; i++) {
		if (name(E_DECOMPOSED, out, why) != 0 || strcmp(out, E_COMPOSED) != 0 ||
		    name("yes\xe2\xa0\x80", out, why) != -1 || name(TEACHER, out, why) != 0)
			(*bad)++;
		sk = textrule_skeleton(CYRILLIC_A, why, sizeof(why));
		if (!sk || strcmp(sk, "a") != 0)
			(*bad)++;
		free(sk);
	}
	return NULL;
}

static void textrule_should_be_safe_from_several_threads(void **state)
{
	pthread_t th[4];
	int bad[4] = { 0 }, i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, check_many, &bad[i]), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(bad[i], 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: the ICU objects are made by whichever thread comes first */
		cmocka_unit_test(textrule_should_be_safe_from_several_threads),
		cmocka_unit_test(textrule_name_should_refuse_each_code_point_of_issue_19),
		cmocka_unit_test(textrule_name_should_make_composed_and_decomposed_one_name),
		cmocka_unit_test(textrule_name_should_accept_rgi_emoji_sequences_only),
		cmocka_unit_test(textrule_name_should_want_something_visible),
		cmocka_unit_test(textrule_name_should_leave_the_general_rule_to_the_caller),
		cmocka_unit_test(textrule_name_should_measure_the_nfc_form),
		cmocka_unit_test(textrule_question_should_refuse_bidi_and_zero_width_and_take_emoji),
		cmocka_unit_test(textrule_choices_check_should_name_the_confusable_pair),
		cmocka_unit_test(textrule_skeleton_should_be_equal_for_look_alikes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
