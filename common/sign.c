/* sign.c -- Ed25519 ballot signatures: keys, the canonical signed bytes, signing and verifying (OpenSSL) */
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "errtext.h"
#include "regfile.h"

#define RAW_KEY 32
#define RAW_SIG 64
#define KEY_FILE_MAX 8192 /* a PEM Ed25519 key is about 120 bytes */

struct sign_key {
	EVP_PKEY *pkey;
};

struct sign_pub {
	EVP_PKEY *pkey;
};

/* new_holder: a new sign_key or sign_pub of size bytes (malloc'd), or NULL
 * with err set. */
static void *new_holder(size_t size, char *err, size_t errlen)
{
	void *h = malloc(size);

	if (!h)
		snprintf(err, errlen, "out of memory");
	return h;
}

/* free_holder: frees a sign_key or sign_pub (holder) and its key. */
static void free_holder(void *holder, EVP_PKEY *pkey)
{
	EVP_PKEY_free(pkey);
	free(holder);
}

/* b64_encode: base64 (standard, padded) of raw[0..n) into out, which holds
 * 4 * ceil(n / 3) + 1 bytes. */
static void b64_encode(const unsigned char *raw, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, raw, (int)n);
}

/* b64_decode: decodes exactly want bytes from text, which must be the
 * canonical base64 of want bytes (as b64_encode writes it: the length,
 * the padding and the unused bits all checked, by encoding again).
 * Returns 0, or -1. */
static int b64_decode(const char *text, unsigned char *raw, size_t want)
{
	size_t len = 4 * ((want + 2) / 3);
	unsigned char buf[RAW_SIG + 3];
	char again[4 * ((RAW_SIG + 2) / 3) + 1];
	size_t i;

	if (want > RAW_SIG || strlen(text) != len)
		return -1;
	for (i = 0; i < len; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", text[i]))
			return -1;
	if (EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len) != (int)(3 * (len / 4)))
		return -1;
	b64_encode(buf, want, again);
	if (strcmp(again, text) != 0)
		return -1;
	memcpy(raw, buf, want);
	return 0;
}

/* write_all: writes buf[0..n) to fd. Returns 0, or -1 with errno set. */
static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* public_b64: the raw public key of pkey, in base64, into pub. */
static int public_b64(EVP_PKEY *pkey, char pub[SIGN_KEY_B64 + 1], char *err, size_t errlen)
{
	unsigned char raw[RAW_KEY];
	size_t n = sizeof(raw);

	if (EVP_PKEY_get_raw_public_key(pkey, raw, &n) != 1 || n != RAW_KEY) {
		snprintf(err, errlen, "cannot read the public key");
		return -1;
	}
	b64_encode(raw, n, pub);
	return 0;
}

int sign_keygen(const char *path, char pub[SIGN_KEY_B64 + 1], char *err, size_t errlen)
{
	EVP_PKEY *pkey = NULL;
	BIO *mem = NULL;
	char *pem = NULL, why[128];
	long pemlen;
	int fd = -1, rc = -1;
	bool created = false;

	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	mem = BIO_new(BIO_s_secmem());
	if (!pkey || !mem || PEM_write_bio_PrivateKey(mem, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (pemlen = BIO_get_mem_data(mem, &pem)) <= 0) {
		snprintf(err, errlen, "cannot make an Ed25519 key (OpenSSL failed)");
		goto out;
	}
	if (public_b64(pkey, pub, err, errlen) != 0)
		goto out;
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		snprintf(err, errlen, "'%s' already exists: not overwritten", path);
		goto out;
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", path, errtext_errno(errno, why, sizeof(why)));
		goto out;
	}
	created = true;
	/* 0600 whatever the umask (a umask of 0277 would leave it unreadable) */
	if (fchmod(fd, 0600) != 0 || write_all(fd, pem, (size_t)pemlen) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write '%s': %s", path, errtext_errno(errno, why, sizeof(why)));
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc != 0)
		snprintf(err, errlen, "cannot write '%s': %s", path, errtext_errno(errno, why, sizeof(why)));
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && created)
		unlink(path);
	if (pem && pemlen > 0)
		OPENSSL_cleanse(pem, (size_t)pemlen);
	BIO_free(mem);
	EVP_PKEY_free(pkey);
	return rc;
}

/* read_key_file: the bytes of the key file at path into buf (size bytes,
 * NUL-terminated), after checking it is a regular file of its owner's
 * only. Returns the length, or -1 with the reason in err. */
static long read_key_file(const char *path, char *buf, size_t size, char *err, size_t errlen)
{
	struct stat st;
	char why[128];
	size_t got = 0;
	long rc = -1;
	int fd = regfile_open(path, "key", &st, err, errlen);

	if (fd < 0)
		return -1;
	if (st.st_mode & 077) {
		snprintf(err, errlen,
			 "permissions %04o for '%s' are too open: the key must be readable by its owner only "
			 "(chmod 600)",
			 (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, size - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read key '%s': %s", path, errtext_errno(errno, why, sizeof(why)));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == size - 1) {
			snprintf(err, errlen, "key '%s' is not an Ed25519 private key: too large", path);
			goto out;
		}
	}
	buf[got] = '\0';
	rc = (long)got;
out:
	close(fd);
	return rc;
}

struct sign_key *sign_key_load(const char *path, char *err, size_t errlen)
{
	char *buf = OPENSSL_secure_malloc(KEY_FILE_MAX);
	struct sign_key *k = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *mem = NULL;
	long len = -1;

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	len = read_key_file(path, buf, KEY_FILE_MAX, err, errlen);
	if (len < 0)
		goto out;
	mem = BIO_new_mem_buf(buf, (int)len);
	if (!mem) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey(mem, NULL, NULL, (void *)"");
	if (!pkey || EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		snprintf(err, errlen, "key '%s' is not an Ed25519 private key in PEM (make one with voter --keygen)",
			 path);
		goto out;
	}
	k = new_holder(sizeof(*k), err, errlen);
	if (k) {
		k->pkey = pkey;
		pkey = NULL;
	}
out:
	BIO_free(mem);
	if (buf)
		OPENSSL_secure_clear_free(buf, KEY_FILE_MAX);
	EVP_PKEY_free(pkey);
	return k;
}

int sign_key_public(const struct sign_key *k, char pub[SIGN_KEY_B64 + 1], char *err, size_t errlen)
{
	return public_b64(k->pkey, pub, err, errlen);
}

void sign_key_free(struct sign_key *k)
{
	if (k)
		free_holder(k, k->pkey);
}

struct sign_pub *sign_pub_parse(const char *b64, char *err, size_t errlen)
{
	unsigned char raw[RAW_KEY];
	struct sign_pub *p = NULL;
	EVP_PKEY *pkey = NULL;

	if (b64_decode(b64, raw, sizeof(raw)) != 0)
		snprintf(err, errlen, "invalid public key: must be %d characters of base64 (a 32-byte Ed25519 key)",
			 SIGN_KEY_B64);
	else if (!(pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, sizeof(raw))))
		snprintf(err, errlen, "invalid public key: OpenSSL refuses it as an Ed25519 key");
	else if ((p = new_holder(sizeof(*p), err, errlen)) != NULL)
		p->pkey = pkey;
	else
		EVP_PKEY_free(pkey);
	return p;
}

void sign_pub_free(struct sign_pub *p)
{
	if (p)
		free_holder(p, p->pkey);
}

/* put_field: appends "<len>:<bytes>," to buf at *at. Returns 0, or -1
 * when it does not fit. */
static int put_field(unsigned char *buf, size_t size, size_t *at, const char *s)
{
	size_t len = strlen(s);
	int n = snprintf((char *)buf + *at, size - *at, "%zu:", len);

	if (n < 0 || (size_t)n >= size - *at || len + 1 > size - *at - (size_t)n)
		return -1;
	*at += (size_t)n;
	memcpy(buf + *at, s, len);
	*at += len;
	buf[(*at)++] = ',';
	return 0;
}

bool sign_instance_valid(const char *s)
{
	return strlen(s) == SIGN_INSTANCE_HEX && strspn(s, "0123456789abcdef") == SIGN_INSTANCE_HEX;
}

/* put_answer: b's answer as a field of the v3 bytes (sign_message). Returns
 * 0, or -1 when it does not fit. */
static int put_answer(unsigned char *buf, size_t size, size_t *at, const struct ballot *b)
{
	char head[24];
	size_t k, len = 0;
	int n;

	if (b->kind == POLLDEF_SCALE) {
		snprintf(head, sizeof(head), "%" PRId64, b->value);
		return put_field(buf, size, at, head);
	}
	for (k = 0; k < b->nnames; k++) {
		size_t one = strlen(b->names_sent[k][0] ? b->names_sent[k] : b->names[k]);

		len += (size_t)snprintf(head, sizeof(head), "%zu:", one) + one + 1;
	}
	n = snprintf(head, sizeof(head), "%zu:", len);
	if (n < 0 || (size_t)n + len + 1 > size - *at)
		return -1;
	memcpy(buf + *at, head, (size_t)n);
	*at += (size_t)n;
	for (k = 0; k < b->nnames; k++)
		if (put_field(buf, size, at, b->names_sent[k][0] ? b->names_sent[k] : b->names[k]) != 0)
			return -1;
	buf[(*at)++] = ',';
	return 0;
}

int sign_message(const struct ballot *b, const char *instance, unsigned char *buf, size_t size, char *err,
		 size_t errlen)
{
	bool v3 = b->kind != POLLDEF_SINGLE;
	const char *domain = v3 ? SIGN_DOMAIN_V3 : SIGN_DOMAIN;
	char ts[24];
	size_t at = strlen(domain) + 1; /* its NUL included */

	if (!b->has_id || !b->has_ts) {
		snprintf(err, errlen, "signed ballot without '%s'", b->has_id ? "ts" : "id");
		return -1;
	}
	if (!instance || !sign_instance_valid(instance)) {
		snprintf(err, errlen, "no poll instance to sign for");
		return -1;
	}
	snprintf(ts, sizeof(ts), "%" PRId64, b->ts);
	if (size < at)
		goto small;
	memcpy(buf, domain, at);
	/* voter and the answer as the voter sent them, before NFC (ballot.h) */
	if (put_field(buf, size, &at, b->poll) != 0 || put_field(buf, size, &at, instance) != 0 ||
	    put_field(buf, size, &at, b->voter_sent[0] ? b->voter_sent : b->voter) != 0 ||
	    (!v3 && put_field(buf, size, &at, b->choice_sent[0] ? b->choice_sent : b->choice) != 0) ||
	    (v3 && (put_field(buf, size, &at, polldef_kind_word(b->kind)) != 0 || put_answer(buf, size, &at, b) != 0)) ||
	    put_field(buf, size, &at, b->id) != 0 ||
	    put_field(buf, size, &at, ts) != 0)
		goto small;
	return (int)at;
small:
	snprintf(err, errlen, "internal error: the signed bytes do not fit in %zu bytes", size);
	return -1;
}

int sign_ballot(const struct sign_key *k, struct ballot *b, char *err, size_t errlen)
{
	unsigned char msg[SIGN_MSG_MAX], sig[RAW_SIG];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = NULL;
	int len = sign_message(b, b->has_instance ? b->instance : NULL, msg, sizeof(msg), err, errlen), rc = -1;

	if (len < 0)
		return -1;
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, (size_t)len) != 1 || siglen != RAW_SIG) {
		snprintf(err, errlen, "cannot sign the ballot (OpenSSL failed)");
		goto out;
	}
	b64_encode(sig, siglen, b->sig);
	b->has_sig = true;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int sign_verify(const struct sign_pub *p, const struct ballot *b, const char *instance, char *err,
		size_t errlen)
{
	unsigned char msg[SIGN_MSG_MAX], sig[RAW_SIG];
	EVP_MD_CTX *ctx = NULL;
	int len, rc = -1;

	if (!b->has_sig) {
		snprintf(err, errlen, "unsigned ballot");
		return -1;
	}
	len = sign_message(b, instance, msg, sizeof(msg), err, errlen);
	if (len < 0)
		return -1;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		snprintf(err, errlen, "out of memory");
	else if (b64_decode(b->sig, sig, sizeof(sig)) == 0 &&
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, p->pkey) == 1 &&
	    EVP_DigestVerify(ctx, sig, sizeof(sig), msg, (size_t)len) == 1)
		rc = 0;
	else
		snprintf(err, errlen, "bad signature");
	EVP_MD_CTX_free(ctx);
	return rc;
}
