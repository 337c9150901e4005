/* test_arena.c -- unit tests of arena: aligned, distinct, lasting records across its chunks */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define RECORDS 200000 /* about 11 MB: every chunk size, the populated ones too */

static void arena_alloc_should_keep_every_record_apart_and_aligned_across_chunks(void **state)
{
	struct arena *a = arena_new();
	unsigned char **rec = calloc(RECORDS, sizeof(*rec));
	size_t k, size;

	(void)state;
	assert_non_null(a);
	assert_non_null(rec);
	assert_int_equal(arena_bytes(a), 0); /* nothing mapped before the first record */
	for (k = 0; k < RECORDS; k++) {
		size = 1 + k % 97; /* voter-like sizes: 1 to 97 bytes */
		rec[k] = arena_alloc(a, size);
		assert_non_null(rec[k]);
		assert_int_equal((uintptr_t)rec[k] % alignof(max_align_t), 0);
		memset(rec[k], (int)(k & 0xff), size);
	}
	for (k = 0; k < RECORDS; k++) {
		size_t i;

		size = 1 + k % 97;
		for (i = 0; i < size; i++)
			if (rec[k][i] != (unsigned char)(k & 0xff))
				fail_msg("record %zu byte %zu was overwritten", k, i);
	}
	assert_true(arena_bytes(a) >= (size_t)RECORDS * 16);
	assert_true(arena_bytes(a) < (size_t)RECORDS * 128);
	arena_free(a);
	free(rec);
}

static void arena_alloc_should_take_a_record_larger_than_a_chunk(void **state)
{
	struct arena *a = arena_new();
	size_t big = 9u * 1024 * 1024;
	unsigned char *p;

	(void)state;
	assert_non_null(a);
	p = arena_alloc(a, big);
	assert_non_null(p);
	p[0] = 1;
	p[big - 1] = 2;
	assert_non_null(arena_alloc(a, 8)); /* and goes on after it */
	arena_free(a);
}

static void arena_alloc_should_refuse_zero_and_absurd_sizes(void **state)
{
	struct arena *a = arena_new();

	(void)state;
	assert_non_null(a);
	assert_null(arena_alloc(a, 0));
	assert_null(arena_alloc(a, SIZE_MAX));
	assert_int_equal(arena_bytes(a), 0);
	arena_free(a);
	arena_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arena_alloc_should_keep_every_record_apart_and_aligned_across_chunks),
		cmocka_unit_test(arena_alloc_should_take_a_record_larger_than_a_chunk),
		cmocka_unit_test(arena_alloc_should_refuse_zero_and_absurd_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
