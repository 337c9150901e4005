/* arena.c -- memory for many small records freed all at once (the tally's votes) */
#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define ARENA_FIRST (64u * 1024)
#define ARENA_LAST (4u * 1024 * 1024)
#define ARENA_POPULATE (1u * 1024 * 1024) /* chunks this large are populated when mapped */

/* One mapped chunk; its records follow the header. */
struct chunk {
	struct chunk *next;
	size_t size; /* mapped bytes, header included */
	size_t used; /* bytes given out, header included */
};

struct arena {
	struct chunk *head; /* the chunk records come from; older ones follow */
	size_t bytes;
};

#define ALIGN alignof(max_align_t)
#define ROUND(n) (((n) + ALIGN - 1) / ALIGN * ALIGN)

struct arena *arena_new(void)
{
	return calloc(1, sizeof(struct arena));
}

/* grow: maps a new chunk for at least need bytes. Returns 0, or -1. */
static int grow(struct arena *a, size_t need)
{
	size_t size = a->head ? a->head->size * 2 : ARENA_FIRST;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	struct chunk *c;
	void *mem;

	if (size > ARENA_LAST)
		size = ARENA_LAST;
	if (size < need + ROUND(sizeof(struct chunk)))
		size = need + ROUND(sizeof(struct chunk));
	if (size >= ARENA_POPULATE)
		flags |= MAP_POPULATE;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (mem == MAP_FAILED)
		return -1;
	c = mem;
	c->next = a->head;
	c->size = size;
	c->used = ROUND(sizeof(struct chunk));
	a->head = c;
	a->bytes += size;
	return 0;
}

void *arena_alloc(struct arena *a, size_t size)
{
	void *p;

	if (size == 0 || size > SIZE_MAX / 2)
		return NULL;
	size = ROUND(size);
	if ((!a->head || a->head->size - a->head->used < size) && grow(a, size) != 0)
		return NULL;
	p = (unsigned char *)a->head + a->head->used;
	a->head->used += size;
	return p;
}

size_t arena_bytes(const struct arena *a)
{
	return a->bytes;
}

void arena_free(struct arena *a)
{
	struct chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		munmap(c, c->size);
	}
	free(a);
}
