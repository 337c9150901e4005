/* tlsctx.c -- TLS as Paho sets it up, completed: the oldest version, the host name checked in the handshake, failures in words
 *
 * The completing is done by mqtt/interpose.c (its SSL_CTX_new, which Paho
 * calls): this file gives it the settings and puts in words what it and
 * OpenSSL report. When it is off (MQTTVOTE_NO_TLSCTX, or a Paho it does
 * not know), Paho's own checks still apply: see the fallback there. */
#include "tlsctx.h"

#include <dirent.h>
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
#include "interpose.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char ssl_reason[160]; /* the first reason from OpenSSL's error queue; guarded by lock */

void tlsctx_arm(const struct tlsopts *t, const char *host)
{
	interpose_tls_arm(t->version == TLSOPTS_V1_3 ? TLS1_3_VERSION : TLS1_2_VERSION, t->insecure ? "" : host);
	pthread_mutex_lock(&lock);
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
	bool engaged;
	int verr;

	engaged = interpose_tls_engaged();
	verr = interpose_tls_take_error();
	pthread_mutex_lock(&lock);
	snprintf(reason, sizeof(reason), "%s", ssl_reason);
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
	if (!engaged && strcmp(reason, "certificate verify failed") == 0) { /* the fallback: OpenSSL's words only */
		snprintf(buf, size, "TLS: the broker's certificate did not verify against %s %s",
			 t->cafile ? "--cafile" : "--capath", t->cafile ? t->cafile : t->capath);
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

int tlsctx_fallback(char *buf, size_t size)
{
	enum interpose_off off = interpose_tls_state();
	char why[96];

	if (off == INTERPOSE_ON)
		return 0;
	snprintf(buf, size, "TLS context not completed (%s): Paho's checks only, reasons not in words",
		 interpose_off_words(off, "MQTTVOTE_NO_TLSCTX", why, sizeof(why)));
	return 1;
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
	enum interpose_off off;
	char why[96];
	FILE *f;
	DIR *d;

	if (t->cafile && read_pem_cert("--cafile", t->cafile, err, errlen) != 0)
		return -1;
	if (t->version == TLSOPTS_V1_3 && (off = interpose_tls_state()) != INTERPOSE_ON) {
		snprintf(err, errlen, "TLS: --tls-version tlsv1.3 cannot be kept: Paho cannot ask for it, and the TLS "
			 "interposition is off (%s)", interpose_off_words(off, "MQTTVOTE_NO_TLSCTX", why, sizeof(why)));
		return -1;
	}
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
