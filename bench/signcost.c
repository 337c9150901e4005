/* signcost.c -- benchmark helper: what checking a ballot's signature costs, next to parsing an unsigned one */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ballot.h"
#include "loadsign.h"
#include "roll.h"
#include "sign.h"

/* Usage: signcost [N] (default 20000). Makes a key and a roll of one voter
 * in a temporary directory, signs one ballot, then times N rounds of each:
 *   parse     ballot_parse of the unsigned ballot (what an unsigned poll does)
 *   verify    ballot_parse of the signed ballot, roll_find, sign_verify
 *             (what the tallier does with --roll: the key object built at load)
 *   reparse   the same, but the public key parsed from base64 into a fresh
 *             OpenSSL object every time (what a roll without pre-built keys
 *             would cost)
 *   distinct  the verify round over N different voters of a roll (loadsign.h
 *             keys), each key used once: a poll where every voter votes once
 * and prints one JSON object of microseconds per ballot. Exit 0, or 1. */

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/mqttvote-signcost.XXXXXX", key[64], rollpath[64], pub[SIGN_KEY_B64 + 1], err[256];
	char *unsigned_json = NULL, *signed_json = NULL;
	struct sign_key *k = NULL;
	struct roll *roll = NULL;
	struct ballot b;
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000, i;
	double t0, parse_us, verify_us, reparse_us, distinct_us;
	char **many = NULL;
	int rc = 1, bad = 0;
	FILE *f;

	if (n < 1 || !mkdtemp(dir)) {
		fprintf(stderr, "signcost: usage: signcost [N >= 1] (and a writable /tmp)\n");
		return 1;
	}
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	snprintf(rollpath, sizeof(rollpath), "%s/roll.txt", dir);
	memset(&b, 0, sizeof(b));
	strcpy(b.poll, "bench0");
	strcpy(b.voter, "v123456");
	strcpy(b.choice, "yes");
	b.ts = 1700000000000LL;
	b.has_ts = true;
	strcpy(b.instance, "00112233445566778899aabbccddeeff");
	b.has_instance = true;
	if (sign_keygen(key, pub, err, sizeof(err)) != 0 || !(k = sign_key_load(key, err, sizeof(err))) ||
	    ballot_new_id(b.id, err, sizeof(err)) != 0)
		goto fail;
	b.has_id = true;
	unsigned_json = ballot_to_json(&b, NULL, err, sizeof(err));
	if (!unsigned_json || sign_ballot(k, &b, err, sizeof(err)) != 0 ||
	    !(signed_json = ballot_to_json(&b, NULL, err, sizeof(err))))
		goto fail;
	f = fopen(rollpath, "w");
	if (!f || fprintf(f, "%s %s\n", b.voter, pub) < 0 || fclose(f) != 0) {
		snprintf(err, sizeof(err), "cannot write %s", rollpath);
		goto fail;
	}
	if (!(roll = roll_load(rollpath, err, sizeof(err))))
		goto fail;

	t0 = now_us();
	for (i = 0; i < n; i++)
		bad |= ballot_parse("bench0", unsigned_json, strlen(unsigned_json), &b, NULL, err, sizeof(err));
	parse_us = (now_us() - t0) / (double)n;
	t0 = now_us();
	for (i = 0; i < n; i++) {
		bad |= ballot_parse("bench0", signed_json, strlen(signed_json), &b, NULL, err, sizeof(err));
		bad |= sign_verify(roll_find(roll, b.voter), &b, b.instance, err, sizeof(err));
	}
	verify_us = (now_us() - t0) / (double)n;
	t0 = now_us();
	for (i = 0; i < n; i++) {
		struct sign_pub *p;

		bad |= ballot_parse("bench0", signed_json, strlen(signed_json), &b, NULL, err, sizeof(err));
		p = sign_pub_parse(pub, err, sizeof(err));
		bad |= !p || sign_verify(p, &b, b.instance, err, sizeof(err));
		sign_pub_free(p);
	}
	reparse_us = (now_us() - t0) / (double)n;
	roll_free(roll);
	roll = NULL;
	if (loadsign_roll(rollpath, "v", (uint64_t)n) != 0 || !(roll = roll_load(rollpath, err, sizeof(err))) ||
	    !(many = calloc((size_t)n, sizeof(*many))))
		goto fail;
	for (i = 0; i < n; i++) {
		snprintf(b.voter, sizeof(b.voter), "v%ld", i);
		if (loadsign_ballot(&b) != 0 || !(many[i] = ballot_to_json(&b, NULL, err, sizeof(err))))
			goto fail;
	}
	t0 = now_us();
	for (i = 0; i < n; i++) {
		bad |= ballot_parse("bench0", many[i], strlen(many[i]), &b, NULL, err, sizeof(err));
		bad |= sign_verify(roll_find(roll, b.voter), &b, b.instance, err, sizeof(err));
	}
	distinct_us = (now_us() - t0) / (double)n;
	if (bad) {
		snprintf(err, sizeof(err), "a check failed in the loop");
		goto fail;
	}
	printf("{\"rounds\":%ld,\"parse_us\":%.3f,\"verify_us\":%.3f,\"reparse_key_verify_us\":%.3f,"
	       "\"distinct_voters_verify_us\":%.3f}\n",
	       n, parse_us, verify_us, reparse_us, distinct_us);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "signcost: %s\n", err);
out:
	for (i = 0; many && i < n; i++)
		free(many[i]);
	free(many);
	roll_free(roll);
	sign_key_free(k);
	free(unsigned_json);
	free(signed_json);
	unlink(key);
	unlink(rollpath);
	rmdir(dir);
	return rc;
}
