/* sign.h -- Ed25519 ballot signatures: keys, the canonical signed bytes, signing and verifying (OpenSSL) */
#ifndef MQTTVOTE_SIGN_H
#define MQTTVOTE_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "ballot.h"

#define SIGN_KEY_B64 44    /* a public key: base64 of its raw 32 bytes, with padding */
#define SIGN_MSG_MAX 2560  /* the canonical bytes of any valid ballot fit (v2: at most 316; v3: 2441) */
#define SIGN_DOMAIN "mqtt-vote ballot v2" /* then one NUL byte: the start of a single choice's signed bytes */
#define SIGN_DOMAIN_V3 "mqtt-vote ballot v3" /* the same for the other kinds (pollkind.h) */
#define SIGN_INSTANCE_HEX 32 /* a poll instance: 32 lower-case hex digits (128 random bits) */

/* A voter's private key, and a public key ready to verify with (opaque:
 * they hold OpenSSL objects). */
struct sign_key;
struct sign_pub;

/* sign_keygen: makes a new Ed25519 key and writes it to path as PEM
 * PKCS#8, in a file created with O_CREAT|O_EXCL (a file already there,
 * even a link, is refused and left alone) and mode 0600. On success pub
 * (SIGN_KEY_B64 + 1 bytes) gets the public key in base64. Returns 0, or
 * -1 with the reason in err ("'k.pem' already exists: not overwritten");
 * on failure no file is left behind unless it was there before. */
int sign_keygen(const char *path, char pub[SIGN_KEY_B64 + 1], char *err, size_t errlen);

/* sign_key_load: reads the private key at path, which must be a regular
 * file that only its owner may read or write (like ssh: "permissions 0644
 * for 'k.pem' are too open: the key must be readable by its owner only
 * (chmod 600)") holding an Ed25519 key in PEM. The bytes read are wiped.
 * Returns the key (free it with sign_key_free), or NULL with the reason. */
struct sign_key *sign_key_load(const char *path, char *err, size_t errlen);

/* sign_key_public: the base64 public key of k into pub. Returns 0, or -1
 * with the reason in err. */
int sign_key_public(const struct sign_key *k, char pub[SIGN_KEY_B64 + 1], char *err, size_t errlen);

/* sign_key_free: frees k (OpenSSL wipes the key material). NULL allowed. */
void sign_key_free(struct sign_key *k);

/* sign_pub_parse: a public key from its base64 (exactly SIGN_KEY_B64
 * characters of canonical base64 that decode to 32 bytes), ready to
 * verify with. Returns it (free with sign_pub_free), or NULL with the
 * reason in err. */
struct sign_pub *sign_pub_parse(const char *b64, char *err, size_t errlen);

/* sign_pub_free: frees p. NULL allowed. */
void sign_pub_free(struct sign_pub *p);

/* sign_instance_valid: true when s is a poll instance: exactly
 * SIGN_INSTANCE_HEX lower-case hex digits. */
bool sign_instance_valid(const char *s);

/* sign_message: the canonical bytes that b's signature covers for the poll
 * instance instance (see docs/contract.md, "The signed bytes"): for a
 * single choice (v2), SIGN_DOMAIN, a NUL, then for poll, instance, voter,
 * choice, id and ts in that order "<byte length>:<bytes>," (ts in
 * decimal); for the other kinds (v3), SIGN_DOMAIN_V3, a NUL, then poll,
 * instance, voter, kind (its word), answer, id and ts, the same way, the
 * answer being the names of picks or ranking, each "<byte length>:<bytes>,"
 * in the order sent, or the value in decimal. Texts as the voter sent
 * them (before NFC). Writes them into buf (size
 * bytes, SIGN_MSG_MAX is enough) and returns their length, or -1 with the
 * reason in err when b has no id or no ts ("signed ballot without 'id'"),
 * instance is not one (sign_instance_valid) or buf is too small. */
int sign_message(const struct ballot *b, const char *instance, unsigned char *buf, size_t size, char *err,
		 size_t errlen);

/* sign_ballot: signs b's canonical bytes for b->instance (which b must
 * have, as well as id and ts) with k and sets b->sig (base64,
 * BALLOT_SIG_B64 characters) and b->has_sig. Returns 0, or -1 with the
 * reason in err. */
int sign_ballot(const struct sign_key *k, struct ballot *b, char *err, size_t errlen);

/* sign_verify: checks b->sig against p over b's canonical bytes for the
 * poll instance instance (the poll's own, whatever b->instance says).
 * Safe to call from several threads on one p. Returns 0 when it is a
 * valid signature, or -1 with the reason in err: "unsigned ballot",
 * "signed ballot without 'id'" (or 'ts'), "bad signature". */
int sign_verify(const struct sign_pub *p, const struct ballot *b, const char *instance, char *err,
		size_t errlen);

#endif
