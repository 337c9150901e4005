/* tlsopts.h -- the TLS options voter and tallier share, as mosquitto_pub takes them (no Paho types) */
#ifndef MQTTVOTE_TLSOPTS_H
#define MQTTVOTE_TLSOPTS_H

#include <stdbool.h>

#define TLSOPTS_PORT 8883 /* the default port with TLS (MQTT over TLS, IANA) */

/* What --tls-version asks for: the oldest TLS version accepted, as
 * mosquitto_pub means it (tlsv1.2 accepts 1.2 and 1.3). */
enum tlsopts_version { TLSOPTS_V1_2 = 0, TLSOPTS_V1_3 = 1 };

/* The TLS options. TLS is on when cafile or capath is set. Strings point
 * into argv. */
struct tlsopts {
	const char *cafile;   /* --cafile FILE: the CA that signed the broker's certificate (PEM) */
	const char *capath;   /* --capath DIR: a directory of CA certificates (c_rehash'd) */
	const char *cert;     /* --cert FILE: our client certificate (PEM), with key */
	const char *key;      /* --key FILE: its private key (PEM), with cert */
	bool insecure;        /* --insecure: do not check the broker's host name against its certificate */
	enum tlsopts_version version; /* --tls-version: default tlsv1.2 */
	bool version_given;
};

/* TLSOPTS_USAGE: the TLS part of both programs' usage texts. */
#define TLSOPTS_USAGE                                                                          \
	"TLS (as mosquitto_pub; on with --cafile or --capath):\n"                              \
	"     --cafile FILE     the CA certificate (PEM) the broker's must be signed by\n"     \
	"     --capath DIR      a directory of CA certificates (c_rehash), instead\n"          \
	"     --cert FILE       a client certificate (PEM), with --key\n"                      \
	"     --key FILE        its private key (PEM)\n"                                       \
	"     --insecure        do not check that the broker's certificate names -h\n"        \
	"     --tls-version V   the oldest TLS version accepted: tlsv1.2 (default), tlsv1.3\n"

/* tlsopts_on: true when TLS is to be used (a CA was given). */
static inline bool tlsopts_on(const struct tlsopts *t)
{
	return t->cafile || t->capath;
}

#endif
