/* roll.c -- the roll: the voters a tallier counts, each with the public key that signs their ballots */
#include "roll.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ballot.h"
#include "errtext.h"
#include "regfile.h"

#define BLANKS " \t\r\n\v\f"

struct voter {
	char *name;             /* NULL: a free slot */
	struct sign_pub *key;
	unsigned long line;     /* where the roll names it */
};

/* An open-addressing hash table (linear probing) at most half full. */
struct roll {
	struct voter *slots;
	size_t nslots;          /* a power of two */
	size_t n;
};

/* hash: FNV-1a of s. */
static uint64_t hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* slot_of: the slot that holds name, or the free one where it would go. */
static struct voter *slot_of(const struct roll *r, const char *name)
{
	size_t mask = r->nslots - 1, i = (size_t)hash(name) & mask;

	while (r->slots[i].name && strcmp(r->slots[i].name, name) != 0)
		i = (i + 1) & mask;
	return &r->slots[i];
}

/* grow: doubles the table. Returns 0, or -1 when memory runs out. */
static int grow(struct roll *r)
{
	struct roll bigger = { calloc(r->nslots * 2, sizeof(struct voter)), r->nslots * 2, r->n };
	size_t i;

	if (!bigger.slots)
		return -1;
	for (i = 0; i < r->nslots; i++)
		if (r->slots[i].name)
			*slot_of(&bigger, r->slots[i].name) = r->slots[i];
	free(r->slots);
	*r = bigger;
	return 0;
}

void roll_free(struct roll *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nslots; i++) {
		free(r->slots[i].name);
		sign_pub_free(r->slots[i].key);
	}
	free(r->slots);
	free(r);
}

size_t roll_count(const struct roll *r)
{
	return r->n;
}

const struct sign_pub *roll_find(const struct roll *r, const char *voter)
{
	const struct voter *v = slot_of(r, voter);

	return v->name ? v->key : NULL;
}

/* add_line: parses one line of the roll (its newline removed) into r.
 * Returns 0, or -1 with the reason in err (without the line number). */
static int add_line(struct roll *r, char *line, unsigned long lineno, char *err, size_t errlen)
{
	char *end = line + strlen(line), *key, why[96], name[BALLOT_TEXT_MAX + 1];
	struct voter *v;
	struct sign_pub *pub;

	while (end > line && strchr(BLANKS, end[-1]))
		*--end = '\0';
	line += strspn(line, BLANKS);
	if (!*line || *line == '#')
		return 0;
	key = end;
	while (key > line && !strchr(BLANKS, key[-1]))
		key--;
	if (key == line) {
		snprintf(err, errlen, "want '<voter name> <public key>', as voter --keygen prints it");
		return -1;
	}
	end = key;
	while (end > line && strchr(BLANKS, end[-1]))
		end--;
	*end = '\0';
	if (ballot_text_norm(line, name, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid voter name '%.64s': %s", line,
			 why[0] ? why : "must be 1 to 64 bytes of UTF-8 without control characters");
		return -1;
	}
	if (2 * (r->n + 1) > r->nslots && grow(r) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	v = slot_of(r, name);
	if (v->name) {
		snprintf(err, errlen, "voter '%s' is already on the roll (line %lu)", name, v->line);
		return -1;
	}
	pub = sign_pub_parse(key, err, errlen);
	if (!pub)
		return -1;
	v->name = strdup(name);
	if (!v->name) {
		sign_pub_free(pub);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	v->key = pub;
	v->line = lineno;
	r->n++;
	return 0;
}

/* open_roll: path opened for reading, when it is a regular file of at
 * most ROLL_MAX_BYTES. Opened without blocking (a FIFO would wait for a
 * writer), then looked at. Returns the stream, or NULL with err set. */
static FILE *open_roll(const char *path, char *err, size_t errlen)
{
	char why[256];
	struct stat st;
	FILE *f = NULL;
	int fd = regfile_open(path, "roll", &st, err, errlen);

	if (fd < 0)
		return NULL;
	if (st.st_size > ROLL_MAX_BYTES) {
		snprintf(err, errlen, "roll '%s' is larger than %d bytes", path, ROLL_MAX_BYTES);
		goto out;
	}
	f = fdopen(fd, "r");
	if (!f)
		snprintf(err, errlen, "cannot read roll '%s': %s", path, errtext_errno(errno, why, sizeof(why)));
out:
	if (!f)
		close(fd);
	return f;
}

struct roll *roll_load(const char *path, char *err, size_t errlen)
{
	struct roll *r = calloc(1, sizeof(*r));
	FILE *f = NULL;
	char *line = NULL, why[256];
	size_t cap = 0, total = 0;
	unsigned long lineno = 0;
	ssize_t len;
	int rc = -1;

	if (!r || !(r->slots = calloc(16, sizeof(*r->slots)))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r->nslots = 16;
	f = open_roll(path, err, errlen);
	if (!f)
		goto out;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		total += (size_t)len;
		if (total > ROLL_MAX_BYTES) { /* grown since open_roll looked */
			snprintf(err, errlen, "roll '%s' is larger than %d bytes", path, ROLL_MAX_BYTES);
			goto out;
		}
		if (memchr(line, '\0', (size_t)len)) {
			snprintf(err, errlen, "roll '%s' line %lu: holds a NUL byte", path, lineno);
			goto out;
		}
		if (add_line(r, line, lineno, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "roll '%s' line %lu: %s", path, lineno, why);
			goto out;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read roll '%s': %s", path, errtext_errno(errno, why, sizeof(why)));
		goto out;
	}
	if (r->n == 0) {
		snprintf(err, errlen, "roll '%s' names no voter", path);
		goto out;
	}
	rc = 0;
out:
	free(line);
	if (f)
		fclose(f);
	if (rc != 0) {
		roll_free(r);
		r = NULL;
	}
	return r;
}
