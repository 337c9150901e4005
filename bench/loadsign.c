/* loadsign.c -- the benchmark's signed ballots: a key per voter derived from its name, the roll of them */
#include "loadsign.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "sign.h"

/* key_of: the benchmark key of voter (EVP_PKEY_free it), or NULL. */
static EVP_PKEY *key_of(const char *voter)
{
	unsigned char seed[32];
	unsigned int len = 0;
	char text[BALLOT_TEXT_MAX + 32];
	int n = snprintf(text, sizeof(text), "mqtt-vote bench key %s", voter);

	if (n < 0 || (size_t)n >= sizeof(text) || EVP_Digest(text, (size_t)n, seed, &len, EVP_sha256(), NULL) != 1)
		return NULL;
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
}

int loadsign_roll(const char *path, const char *prefix, uint64_t n)
{
	FILE *f = fopen(path, "w");
	unsigned char raw[32];
	char name[BALLOT_TEXT_MAX + 1], b64[SIGN_KEY_B64 + 1];
	uint64_t i;
	int rc = -1;

	if (!f) {
		perror(path);
		return -1;
	}
	for (i = 0; i < n; i++) {
		size_t len = sizeof(raw);
		EVP_PKEY *k;

		snprintf(name, sizeof(name), "%s%" PRIu64, prefix, i);
		k = key_of(name);
		if (!k || EVP_PKEY_get_raw_public_key(k, raw, &len) != 1) {
			EVP_PKEY_free(k);
			fprintf(stderr, "loadgen: cannot make the key of %s\n", name);
			goto out;
		}
		EVP_PKEY_free(k);
		EVP_EncodeBlock((unsigned char *)b64, raw, (int)len);
		fprintf(f, "%s %s\n", name, b64);
	}
	rc = 0;
out:
	if (fclose(f) != 0 && rc == 0) {
		perror(path);
		rc = -1;
	}
	return rc;
}

int loadsign_ballot(struct ballot *b)
{
	unsigned char msg[SIGN_MSG_MAX], sig[64];
	size_t siglen = sizeof(sig);
	char err[128];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY *k = key_of(b->voter);
	int len = sign_message(b, b->has_instance ? b->instance : NULL, msg, sizeof(msg), err, sizeof(err)), rc = -1;

	if (len < 0 || !ctx || !k || EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, (size_t)len) != 1) {
		fprintf(stderr, "loadgen: cannot sign the ballot of %s\n", b->voter);
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)b->sig, sig, (int)siglen);
	b->has_sig = true;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return rc;
}
