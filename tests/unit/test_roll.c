/* test_roll.c -- unit tests of roll: reading the roll file, its errors by line, lookups */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ballot.h"
#include "roll.h"
#include "sign.h"
#include "testkit.h"

#define KEY_A "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" /* RFC 8032's first test key */
#define KEY_B "/FHNjmIYoaONpH7QAjDwWAgW7RO6MwOsXeuRFUiQgCU=" /* its third */
#define SIG_A_P1 "sbr9wB6KbzFyUJbd7f5MJvXKhT/pOKubabE2HyyccnzrZ3PCyyViyLYQmDOKXjyp4BYjR0hNgv7Fjc76XMMMBA=="
#define INST "00112233445566778899aabbccddeeff" /* test_sign.c's */
#define ID "0123456789abcdef0123456789abcdef"

/* roll_file: text written to roll.txt in the scratch directory; its path. */
static const char *roll_file(const struct fixture *f, const char *text)
{
	static char path[256];
	FILE *out;

	snprintf(path, sizeof(path), "%s/roll.txt", f->dir);
	out = fopen(path, "w");
	assert_non_null(out);
	assert_int_equal(fputs(text, out) >= 0, 1);
	assert_int_equal(fclose(out), 0);
	return path;
}

static struct roll *load_ok(const struct fixture *f, const char *text)
{
	char err[512] = "";
	struct roll *r = roll_load(roll_file(f, text), err, sizeof(err));

	if (!r)
		fail_msg("roll_load: %s", err);
	return r;
}

/* load_error: roll_load of text must fail with "roll '<path>' " + want. */
static void load_error(const struct fixture *f, const char *text, const char *want)
{
	char err[512] = "", expect[700];
	const char *path = roll_file(f, text);

	assert_null(roll_load(path, err, sizeof(err)));
	snprintf(expect, sizeof(expect), "roll '%s' %s", path, want);
	assert_string_equal(err, expect);
}

static void roll_load_should_read_names_with_spaces_skip_comments_and_blank_lines(void **state)
{
	struct roll *r = load_ok(*state, "# the class of 2026\n"
					 "\n"
					 "alice@pc12 " KEY_A "\n"
					 "   \t  \n"
					 "  Ann  Marie\t " KEY_B "  \r\n"
					 "  # indented comment\n");

	assert_int_equal(roll_count(r), 2);
	assert_non_null(roll_find(r, "alice@pc12"));
	assert_non_null(roll_find(r, "Ann  Marie"));
	assert_null(roll_find(r, "Ann Marie"));
	assert_null(roll_find(r, "alice"));
	assert_null(roll_find(r, "# the class of 2026"));
	roll_free(r);
}

static void roll_find_should_give_the_key_that_verifies_that_voter(void **state)
{
	struct roll *r = load_ok(*state, "alice " KEY_A "\nbob " KEY_B "\n");
	struct ballot b = mk("p1", "alice", "yes", ID, 1700000000000LL);
	char err[64] = "";

	strcpy(b.sig, SIG_A_P1);
	b.has_sig = true;
	assert_int_equal(sign_verify(roll_find(r, "alice"), &b, INST, err, sizeof(err)), 0);
	assert_int_equal(sign_verify(roll_find(r, "bob"), &b, INST, err, sizeof(err)), -1);
	assert_string_equal(err, "bad signature");
	roll_free(r);
}

static void roll_load_should_name_the_line_of_each_error(void **state)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "alice " KEY_A "\n# c\nalice " KEY_B "\n", "line 3: voter 'alice' is already on the roll (line 1)" },
		{ "alice " KEY_A "\n\nbob notakey\n",
		  "line 3: invalid public key: must be 44 characters of base64 (a 32-byte Ed25519 key)" },
		{ "alice " KEY_A "\nbob " KEY_B "x\n",
		  "line 2: invalid public key: must be 44 characters of base64 (a 32-byte Ed25519 key)" },
		{ "\n" KEY_A "\n", "line 2: want '<voter name> <public key>', as voter --keygen prints it" },
		{ "bob\n", "line 1: want '<voter name> <public key>', as voter --keygen prints it" },
		{ "a\x01" "b " KEY_A "\n",
		  "line 1: invalid voter name 'a\x01" "b': must be 1 to 64 bytes of UTF-8 without control characters" },
		{ "zero\xe2\x80\x8bwidth " KEY_A "\n",
		  "line 1: invalid voter name 'zero\xe2\x80\x8bwidth': contains an invisible or format character U+200B" },
		{ "\xff " KEY_A "\n",
		  "line 1: invalid voter name '\xff': must be 1 to 64 bytes of UTF-8 without control characters" },
		{ "a" "bcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm " KEY_A "\n",
		  "line 1: invalid voter name 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl': "
		  "must be 1 to 64 bytes of UTF-8 without control characters" },
		{ "# nobody\n\n", "names no voter" },
		{ "", "names no voter" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		load_error(*state, cases[i].text, cases[i].err);
}

static void roll_load_should_refuse_a_nul_byte_and_a_missing_file(void **state)
{
	struct fixture *f = *state;
	char path[256], err[512] = "", want[700];
	FILE *out;

	snprintf(path, sizeof(path), "%s/nul.txt", f->dir);
	out = fopen(path, "w");
	assert_non_null(out);
	assert_int_equal(fwrite("alice " KEY_A "\nb\0b " KEY_B "\n", 1, 100, out), 100);
	assert_int_equal(fclose(out), 0);
	assert_null(roll_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "roll '%s' line 2: holds a NUL byte", path);
	assert_string_equal(err, want);

	snprintf(path, sizeof(path), "%s/none.txt", f->dir);
	assert_null(roll_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "cannot open roll '%s': no such file or directory", path);
	assert_string_equal(err, want);
}

/* roll_load_should_refuse_what_is_not_a_regular_file_at_once: a FIFO
 * with no writer would hold an open without O_NONBLOCK forever, and
 * /dev/zero would be read without end; each is refused at once, as is a
 * directory. */
static void roll_load_should_refuse_what_is_not_a_regular_file_at_once(void **state)
{
	struct fixture *f = *state;
	const char *paths[3] = { NULL, "/dev/zero", NULL };
	char fifo[256], dir[256], err[512], want[700];
	size_t k;

	snprintf(fifo, sizeof(fifo), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(dir, sizeof(dir), "%s/adir", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	paths[0] = fifo;
	paths[2] = dir;
	for (k = 0; k < 3; k++) {
		err[0] = '\0';
		assert_null(roll_load(paths[k], err, sizeof(err)));
		snprintf(want, sizeof(want), "roll '%s' is not a regular file", paths[k]);
		assert_string_equal(err, want);
	}
	assert_int_equal(rmdir(dir), 0); /* remove_dir removes files only */
}

/* roll_load_should_refuse_a_file_larger_than_its_bound: one byte past
 * ROLL_MAX_BYTES (a sparse file: no disk used) is refused before any
 * reading. */
static void roll_load_should_refuse_a_file_larger_than_its_bound(void **state)
{
	struct fixture *f = *state;
	const char *path = roll_file(f, "alice " KEY_A "\n");
	char err[512] = "", want[700];

	assert_int_equal(truncate(path, (off_t)ROLL_MAX_BYTES + 1), 0);
	assert_null(roll_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "roll '%s' is larger than 268435456 bytes", path);
	assert_string_equal(err, want);
}

/* roll_load_should_hold_100000_voters: a roll the size docs/security.md
 * promises, each voter found and told apart from names not on it. */
static void roll_load_should_hold_100000_voters(void **state)
{
	struct fixture *f = *state;
	char path[256], name[32], err[512] = "";
	struct roll *r;
	FILE *out;
	int i;

	snprintf(path, sizeof(path), "%s/big.txt", f->dir);
	out = fopen(path, "w");
	assert_non_null(out);
	for (i = 0; i < 100000; i++)
		fprintf(out, "voter-%06d %s\n", i, i % 2 ? KEY_A : KEY_B);
	assert_int_equal(fclose(out), 0);
	r = roll_load(path, err, sizeof(err));
	if (!r)
		fail_msg("roll_load: %s", err);
	assert_int_equal(roll_count(r), 100000);
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "voter-%06d", i);
		assert_non_null(roll_find(r, name));
		snprintf(name, sizeof(name), "voter-%06d", i + 100000);
		assert_null(roll_find(r, name));
	}
	roll_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(roll_load_should_read_names_with_spaces_skip_comments_and_blank_lines,
						make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(roll_find_should_give_the_key_that_verifies_that_voter, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(roll_load_should_name_the_line_of_each_error, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(roll_load_should_refuse_a_nul_byte_and_a_missing_file, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(roll_load_should_refuse_what_is_not_a_regular_file_at_once, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(roll_load_should_refuse_a_file_larger_than_its_bound, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(roll_load_should_hold_100000_voters, make_dir, remove_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
