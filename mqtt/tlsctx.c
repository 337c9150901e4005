/* tlsctx.c -- TLS as Paho sets it up, completed: the oldest version, the host name checked in the handshake, failures in words
 *
 * Paho C 1.3.12 (Debian 12) cannot ask for TLS 1.3 (its sslVersion goes
 * up to TLS 1.2, and pins it: min and max), checks the host name only
 * after the handshake (X509_check_host, whose failure it reports to no
 * callback), and hands ssl_error_cb only OpenSSL's error queue, which
 * says "certificate verify failed" but not why (expired, unknown CA).
 * So this file defines SSL_CTX_new in the program: the dynamic linker
 * hands Paho's call to it first (as mqtt/connwrap.c does for connect),
 * and it calls OpenSSL's own (dlsym RTLD_NEXT), then, when armed, sets on
 * the new context the oldest TLS version (mosquitto_pub's meaning of
 * --tls-version), the expected host name or IP address (so that OpenSSL
 * refuses a certificate that does not name it during the handshake: a
 * verification error, "hostname mismatch"), and a verification callback
 * that records the first error. If it does not engage (a Paho that
 * creates its context otherwise), Paho's own checks still apply; only the
 * words and TLS 1.3's floor are lost. */
#include "tlsctx.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "errtext.h"

typedef SSL_CTX *ctx_new_fn(const SSL_METHOD *);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* guarded by lock */
static bool armed;
static int min_version;
static char want_host[256];  /* empty: no host check (--insecure) */
static int verify_error;     /* X509_V_OK: none recorded */
static char ssl_reason[160]; /* the first reason from OpenSSL's error queue */

/* verify_cb: OpenSSL's verification callback: keeps its verdict, records the first error. */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
	if (!ok) {
		pthread_mutex_lock(&lock);
		if (verify_error == X509_V_OK)
			verify_error = X509_STORE_CTX_get_error(x);
		pthread_mutex_unlock(&lock);
	}
	return ok;
}

/* SSL_CTX_new: OpenSSL's, plus the armed settings (see the header comment). */
SSL_CTX *SSL_CTX_new(const SSL_METHOD *meth)
{
	ctx_new_fn *next = (ctx_new_fn *)dlsym(RTLD_NEXT, "SSL_CTX_new");
	SSL_CTX *ctx = next ? next(meth) : NULL;
	X509_VERIFY_PARAM *param;
	bool ok = true;

	if (!ctx)
		return NULL;
	pthread_mutex_lock(&lock);
	if (armed) {
		ok = SSL_CTX_set_min_proto_version(ctx, min_version) == 1;
		X509_STORE_set_verify_cb(SSL_CTX_get_cert_store(ctx), verify_cb);
		param = SSL_CTX_get0_param(ctx);
		if (ok && want_host[0]) {
			/* an IP literal is checked against the certificate's IP addresses */
			if (X509_VERIFY_PARAM_set1_ip_asc(param, want_host) != 1) {
				ERR_clear_error();
				ok = X509_VERIFY_PARAM_set1_host(param, want_host, 0) == 1;
			}
		}
	}
	pthread_mutex_unlock(&lock);
	if (!ok) { /* Paho reports a context it could not get as a TLS failure */
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

void tlsctx_arm(const struct tlsopts *t, const char *host)
{
	pthread_mutex_lock(&lock);
	armed = true;
	min_version = t->version == TLSOPTS_V1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
	snprintf(want_host, sizeof(want_host), "%s", t->insecure ? "" : host);
	verify_error = X509_V_OK;
	ssl_reason[0] = '\0';
	pthread_mutex_unlock(&lock);
}

int tlsctx_on_error(const char *str, size_t len, void *u)
{
	/* OpenSSL 3: "<thread>:error:<code>:<library>:<function>:<reason>:<file>:<line>:<data>" */
	const char *p = str, *end = str + len;
	int field = 0;
	size_t n;

	(void)u;
	while (p < end && field < 5) {
		if (*p++ == ':')
			field++;
	}
	n = (size_t)(end - p);
	if (memchr(p, ':', n))
		n = (size_t)((const char *)memchr(p, ':', n) - p);
	pthread_mutex_lock(&lock);
	if (!ssl_reason[0] && field == 5 && n > 0)
		snprintf(ssl_reason, sizeof(ssl_reason), "%.*s", (int)n, p);
	pthread_mutex_unlock(&lock);
	return 0;
}

enum tlsctx_failure tlsctx_failure(const struct tlsopts *t, const char *host, int port, char *buf, size_t size)
{
	char reason[sizeof(ssl_reason)];
	int verr;

	pthread_mutex_lock(&lock);
	verr = verify_error;
	snprintf(reason, sizeof(reason), "%s", ssl_reason);
	verify_error = X509_V_OK;
	ssl_reason[0] = '\0';
	pthread_mutex_unlock(&lock);
	if (verr == X509_V_ERR_HOSTNAME_MISMATCH || verr == X509_V_ERR_IP_ADDRESS_MISMATCH) {
		char what[96];

		snprintf(what, sizeof(what), "%s", X509_verify_cert_error_string(verr));
		snprintf(buf, size, "TLS: the broker's certificate is not valid for '%s' (%s): connect with a name "
			 "it holds (-h), or do not check the name (--insecure)", host, errtext_tidy(what));
		return TLSCTX_CERT;
	}
	if (verr != X509_V_OK) {
		char what[96];

		snprintf(what, sizeof(what), "%s", X509_verify_cert_error_string(verr));
		snprintf(buf, size, "TLS: the broker's certificate did not verify against %s %s: %s",
			 t->cafile ? "--cafile" : "--capath", t->cafile ? t->cafile : t->capath, errtext_tidy(what));
		return TLSCTX_CERT;
	}
	if (!reason[0])
		return TLSCTX_NONE;
	errtext_tidy(reason);
	snprintf(buf, size, "TLS: handshake with %s:%d failed: %s%s", host, port, reason,
		 strcmp(reason, "wrong version number") == 0 || strcmp(reason, "packet length too long") == 0
			 ? " (is that port a TLS listener?)" : "");
	return TLSCTX_HANDSHAKE;
}

/* read_pem_cert: 0 when path holds at least one PEM certificate; -1 with err. */
static int read_pem_cert(const char *opt, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	X509 *x = NULL;
	char why[96];

	if (!f) {
		snprintf(err, errlen, "TLS: cannot read %s %s: %s", opt, path, errtext_errno(errno, why, sizeof(why)));
		return -1;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	if (!x) {
		snprintf(err, errlen, "TLS: %s %s holds no PEM certificate", opt, path);
		return -1;
	}
	X509_free(x);
	return 0;
}

int tlsctx_check_files(const struct tlsopts *t, char *err, size_t errlen)
{
	char why[96];
	FILE *f;
	DIR *d;

	if (t->cafile && read_pem_cert("--cafile", t->cafile, err, errlen) != 0)
		return -1;
	if (t->capath) {
		d = opendir(t->capath);
		if (!d) {
			snprintf(err, errlen, "TLS: cannot read --capath %s: %s", t->capath,
				 errtext_errno(errno, why, sizeof(why)));
			return -1;
		}
		closedir(d);
	}
	if (t->cert && read_pem_cert("--cert", t->cert, err, errlen) != 0)
		return -1;
	if (t->key) {
		f = fopen(t->key, "r");
		if (!f) {
			snprintf(err, errlen, "TLS: cannot read --key %s: %s", t->key,
				 errtext_errno(errno, why, sizeof(why)));
			return -1;
		}
		fclose(f);
	}
	return 0;
}
