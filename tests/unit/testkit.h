/* testkit.h -- what the unit tests share: ballots, tallies and their results, the core's commands, a seeded PRNG, a scratch directory */
#ifndef MQTTVOTE_TESTKIT_H
#define MQTTVOTE_TESTKIT_H

/* Include after <cmocka.h> (and its prerequisites). Everything here is
 * static inline, so a test file pays only for what it uses. */

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ballot.h"
#include "commands.h"
#include "polldef.h"
#include "render.h"
#include "result.h"
#include "tally.h"

#define NOW 1700000000123LL /* 2023-11-14T22:13:20.123Z: the wall-clock time tests count at */
#define NOW_ISO "2023-11-14T22:13:20.123Z"

/* ---- ballots and tallies ---- */

/* id_of: a 32-hex id whose order follows n (valid until 8 more calls). */
static inline const char *id_of(unsigned n)
{
	static char ids[8][BALLOT_ID_HEX + 1];
	static unsigned next;
	char *id = ids[next++ % 8];

	snprintf(id, BALLOT_ID_HEX + 1, "%032x", n);
	return id;
}

/* mk: a validated ballot; id NULL for none, ts < 0 for none. */
static inline struct ballot mk(const char *poll, const char *voter, const char *choice, const char *id,
			       int64_t ts)
{
	struct ballot b;

	memset(&b, 0, sizeof(b));
	snprintf(b.poll, sizeof(b.poll), "%s", poll);
	snprintf(b.voter, sizeof(b.voter), "%s", voter);
	snprintf(b.choice, sizeof(b.choice), "%s", choice);
	if (id) {
		snprintf(b.id, sizeof(b.id), "%s", id);
		b.has_id = true;
	}
	if (ts >= 0) {
		b.ts = ts;
		b.has_ts = true;
	}
	return b;
}

/* new_tally: a tally counting by these rules, which must be valid. */
static inline struct tally *new_tally(const char *const *choices, size_t nchoices, bool revote)
{
	struct tally_config cfg = { choices, nchoices, revote };
	char err[256] = "";
	struct tally *t = tally_new(&cfg, err, sizeof(err));

	if (!t)
		fail_msg("tally_new: %s", err);
	return t;
}

/* apply_at: tally_apply at time now, which must succeed; returns the outcome. */
static inline struct tally_outcome apply_at(struct tally *t, const struct ballot *b, int64_t now)
{
	struct tally_outcome out;
	char err[256] = "";

	memset(&out, 0, sizeof(out));
	out.status = (enum tally_status)-1;
	if (tally_apply(t, b, now, &out, err, sizeof(err)) != 0)
		fail_msg("tally_apply: %s", err);
	return out;
}

static inline enum tally_status apply(struct tally *t, const struct ballot *b)
{
	return apply_at(t, b, NOW).status;
}

/* poll_of: the number of poll name in t, which must exist. */
static inline size_t poll_of(const struct tally *t, const char *name)
{
	long i = tally_poll_find(t, name);

	if (i < 0)
		fail_msg("poll '%s' not in the tally", name);
	return (size_t)i;
}

/* tally_result_json: the result JSON of poll i of t as view shows it
 * (result_value_of, then result_json): malloc'd, or NULL with err set. */
static inline char *tally_result_json(const struct tally *t, size_t i, const struct result_view *view, char *err,
				      size_t errlen)
{
	struct result_value r;
	char *json;

	if (result_value_of(t, i, view, &r, err, errlen) != 0)
		return NULL;
	json = result_json(&r, err, errlen);
	result_value_free(&r);
	return json;
}

/* value_json: result_json of r, which must succeed: malloc'd (free()). */
static inline char *value_json(const struct result_value *r)
{
	char err[256] = "";
	char *json = result_json(r, err, sizeof(err));

	if (!json)
		fail_msg("result_json: %s", err);
	return json;
}

/* assert_value_is: r renders (result_json) as json. */
static inline void assert_value_is(const struct result_value *r, const char *json)
{
	char *got;

	assert_non_null(r);
	got = value_json(r);
	assert_string_equal(got, json);
	free(got);
}

/* value_has: whether r renders as a JSON text holding part. */
static inline bool value_has(const struct result_value *r, const char *part)
{
	char *got = value_json(r);
	bool has = strstr(got, part) != NULL;

	free(got);
	return has;
}

/* value_parse: r rendered, then parsed (cJSON_Delete it). */
static inline cJSON *value_parse(const struct result_value *r)
{
	char *json = value_json(r);
	cJSON *root = cJSON_Parse(json);

	if (!root)
		fail_msg("result is not JSON: %s", json);
	free(json);
	return root;
}

/* result: the parsed result JSON (result_json) of poll name in t. */
static inline cJSON *result(const struct tally *t, const char *name)
{
	char err[256] = "";
	char *json = tally_result_json(t, poll_of(t, name), NULL, err, sizeof(err));
	cJSON *root;

	if (!json)
		fail_msg("result_json: %s", err);
	root = cJSON_Parse(json);
	if (!root)
		fail_msg("result is not JSON: %s", json);
	free(json);
	return root;
}

/* counts_keys: the keys of a result's "counts", in order, with their
 * values, joined by ',': "yes=1,no=0". */
static inline void counts_keys(const cJSON *root, char *buf, size_t size)
{
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(root, "counts"), *c;
	size_t used = 0;

	assert_true(cJSON_IsObject(counts));
	buf[0] = '\0';
	cJSON_ArrayForEach(c, counts) {
		int n = snprintf(buf + used, size - used, "%s%s=%g", used ? "," : "", c->string,
				 c->valuedouble);

		assert_true(n > 0 && (size_t)n < size - used);
		used += (size_t)n;
	}
}

/* ---- the core's organiser's commands ---- */

/* run_command: json parsed as the transport does, then run by the core,
 * its answer rendered (a command the parser refuses is answered with its
 * reason, as the transport answers it). *answer gets the answer JSON
 * (malloc'd; NULL when none). Returns core_command's code. */
static inline enum core_rc run_command(struct core *c, const char *json, char **answer)
{
	struct command_answer values;
	struct polldef_cmd cmd;
	char why[256], err[256];
	enum core_rc rc;

	*answer = NULL;
	if (polldef_cmd_parse(json, strlen(json), &cmd, why, sizeof(why)) != 0) {
		*answer = polldef_answer_json(why, NULL, NULL, NULL, 0, err, sizeof(err));
		return CORE_OK;
	}
	rc = core_command(c, &cmd, &values);
	if (rc == CORE_OK)
		*answer = render_answer(&values, err, sizeof(err));
	command_answer_free(&values);
	return rc;
}

/* ---- a seeded PRNG (xorshift64*), so that a seed replays a run ---- */

static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline size_t rng_below(uint64_t *s, size_t n)
{
	return (size_t)(rng_next(s) % n);
}

/* property_seed: MQTTVOTE_TEST_SEED when set, else a fixed seed. */
static inline uint64_t property_seed(void)
{
	const char *env = getenv("MQTTVOTE_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 0x6d717474766f7465ULL;

	return seed ? seed : 1;
}

/* ---- the scratch directory a test works in (cmocka setup/teardown) ---- */

struct fixture {
	char dir[64];  /* /tmp/mqttvote-unit.XXXXXX */
	char db[128];  /* <dir>/tally.db */
};

static inline int make_dir(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/mqttvote-unit.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->db, sizeof(f->db), "%s/tally.db", f->dir);
	*state = f;
	return 0;
}

/* remove_dir: removes the directory and the files the test left in it
 * (databases, their -wal and -shm, links). */
static inline int remove_dir(void **state)
{
	struct fixture *f = *state;
	struct dirent *e;
	DIR *d = opendir(f->dir);
	int rc = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[512];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
		if (unlink(path) != 0)
			rc = -1;
	}
	closedir(d);
	if (rmdir(f->dir) != 0)
		rc = -1;
	free(f);
	return rc;
}

#endif
