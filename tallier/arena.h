/* arena.h -- memory for many small records freed all at once (the tally's votes) */
#ifndef MQTTVOTE_ARENA_H
#define MQTTVOTE_ARENA_H

#include <stddef.h>

struct arena;

/* arena_new: an empty arena (it maps no memory until the first
 * arena_alloc). Returns it, or NULL when memory runs out. Free with
 * arena_free. */
struct arena *arena_new(void);

/* arena_alloc: size bytes, aligned for any object, valid until
 * arena_free; never freed one by one. Chunks grow from 64 KiB to 4 MiB;
 * the large ones are mapped with their pages populated at once (one
 * system call, where touching them page by page costs a page fault each:
 * most of the time of loading a million votes). Returns the memory
 * (not zeroed), or NULL when memory runs out or size is 0. */
void *arena_alloc(struct arena *a, size_t size);

/* arena_bytes: the bytes the arena has mapped. */
size_t arena_bytes(const struct arena *a);

/* arena_free: unmaps everything a holds and frees it. NULL is allowed. */
void arena_free(struct arena *a);

#endif
