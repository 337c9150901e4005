/* tlsctx.h -- TLS as Paho sets it up, completed: the oldest version, the host name checked in the handshake, failures in words */
#ifndef MQTTVOTE_TLSCTX_H
#define MQTTVOTE_TLSCTX_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsopts.h"

/* tlsctx_check_files: checks, before any connection, that t's files can
 * be used: --cafile readable and holding at least one PEM certificate,
 * --capath a readable directory, --cert readable with a PEM certificate,
 * --key readable; and that --tls-version tlsv1.3 can be kept (only with
 * mqtt/interpose.c's SSL_CTX_new on). Returns 0, or -1 with err set
 * ("TLS: cannot read --cafile ca.crt: no such file or directory", "TLS:
 * --cafile x.pem holds no PEM certificate"). */
int tlsctx_check_files(const struct tlsopts *t, char *err, size_t errlen);

/* tlsctx_arm: from now on every TLS context Paho creates (its
 * SSL_CTX_new, which mqtt/interpose.c replaces) accepts no TLS version older
 * than t->version, checks in the handshake that the broker's certificate
 * names host (a name, or an IP address) unless t->insecure, and records
 * why a verification fails (when the interposition is off: Paho's own
 * checks only). Clears what tlsctx_failure would report. Call
 * before the connection that uses TLS (once per process is enough; again
 * changes the settings for the contexts created next). Any thread. */
void tlsctx_arm(const struct tlsopts *t, const char *host);

/* tlsctx_on_error: a Paho ssl_error_cb (OpenSSL's ERR_print_errors_cb
 * lines): keeps the first reason OpenSSL gave since the last
 * tlsctx_failure, for it. u is unused. Returns 0. Any thread. */
int tlsctx_on_error(const char *str, size_t len, void *u);

/* What tlsctx_failure found. */
enum tlsctx_failure {
	TLSCTX_NONE = 0,     /* nothing recorded */
	TLSCTX_CERT = 1,     /* the broker's certificate was refused: trying again will not help */
	TLSCTX_HANDSHAKE = 2 /* another TLS failure (OpenSSL's reason) */
};

/* tlsctx_failure: when a TLS failure was recorded since tlsctx_arm or the
 * last call, writes it in words into buf (size bytes) and returns its
 * kind, forgetting it: "TLS: the broker's certificate did not verify against
 * --cafile ca.crt: certificate has expired", "TLS: the broker's
 * certificate is not valid for '127.0.0.1' (ip address mismatch): ...",
 * "TLS: handshake with HOST:PORT failed: wrong version number (is that a
 * TLS listener?)"; with the interposition off, a refused certificate
 * without the reason: "TLS: the broker's certificate did not verify
 * against --cafile ca.crt". Returns TLSCTX_NONE (buf untouched) when none was. Any
 * thread. */
enum tlsctx_failure tlsctx_failure(const struct tlsopts *t, const char *host, int port, char *buf, size_t size);

/* tlsctx_fallback: when mqtt/interpose.c's SSL_CTX_new will not engage
 * (switched off, a Paho it does not know, link order), writes into buf
 * (size bytes) the line that says so ("TLS context not completed
 * (MQTTVOTE_NO_TLSCTX is set): Paho's checks only, reasons not in words")
 * and returns 1; returns 0 (buf untouched) when it will. Any thread. */
int tlsctx_fallback(char *buf, size_t size);

/* TLSCTX_PAHO_FILL: fills Paho's SSL options *ssl (an
 * MQTTClient_SSLOptions or an MQTTAsync_SSLOptions, set to its
 * initializer: the two have these fields alike) from the tlsopts *t: only
 * the given CA is trusted, the broker's certificate is always verified,
 * its host name too unless --insecure, OpenSSL's reasons go to
 * tlsctx_on_error; the TLS version floor is tlsctx_arm's. A macro, so
 * that this header names no Paho type. */
#define TLSCTX_PAHO_FILL(ssl, t)                                                                      \
	do {                                                                                           \
		(ssl)->trustStore = (t)->cafile;                                                        \
		(ssl)->CApath = (t)->capath;                                                            \
		(ssl)->keyStore = (t)->cert;                                                            \
		(ssl)->privateKey = (t)->key;                                                           \
		(ssl)->enableServerCertAuth = 1;                                                        \
		(ssl)->verify = !(t)->insecure;                                                         \
		(ssl)->disableDefaultTrustStore = 1;                                                    \
		(ssl)->ssl_error_cb = tlsctx_on_error;                                                  \
	} while (0)

#endif
