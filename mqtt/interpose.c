/* interpose.c -- the libc and OpenSSL functions the programs replace under Paho: connect(), poll(), SSL_CTX_new()
 *
 * Every function this project defines in place of a library's lives here.
 * Each is defined in the executable, where the dynamic linker resolves
 * libpaho's calls to it first (interposition: `-Wl,--wrap` would not reach
 * a shared library; the definition must be linked into the program, which
 * mqtt/CMakeLists.txt arranges), and each passes through to the next
 * definition (libc's, OpenSSL's, or a sanitizer's interceptor) found with
 * dlsym(RTLD_NEXT). Each engages only when armed, when its environment
 * switch is unset, when the Paho in use reports a version known to work
 * (PAHO_KNOWN: Debian 12's libpaho-mqtt3 1.3.12 reports "1.3.11"; upstream
 * 1.3.12 is the same source), and when Paho's calls reach it (dlsym
 * RTLD_DEFAULT finds this file's definition); and each records that it
 * was actually called, the proof that it engaged, which the callers say
 * under -d. Line numbers are Paho C v1.3.12's.
 *
 * 1. connect() and poll(): a measured benefit, 100 ms off every voter and
 *    pollctl run (bench/run.py, row cli). Switch: MQTTVOTE_NO_CONNWRAP=1.
 *    Paho's synchronous connect spends about 100 ms for nothing:
 *    - src/Socket.c:1166-1185 (Socket_new): connect() on a non-blocking
 *      socket; EINPROGRESS puts it on the connect_pending list and
 *      MQTTProtocol_connect (src/MQTTProtocolOut.c:303) marks the client
 *      TCP_IN_PROGRESS;
 *    - src/MQTTClient.c:1261-1264 then waits in MQTTClient_waitfor, which
 *      runs MQTTClient_cycle(&sock, 100L, rc) (src/MQTTClient.c:2697);
 *    - src/Socket.c:538 (Socket_getReadySocket) checks writability with
 *      timeout 0 -- the connect is seldom done at that instant -- and
 *      src/Socket.c:547 then waits for *readability* for the whole 100 ms:
 *      the broker sends nothing before CONNECT.
 *    Only between connwrap_begin() and connwrap_end(), on that thread:
 *    - connect(): on the first TCP connect that is in progress, wait (poll
 *      POLLOUT) until it completes or fails, up to the deadline; then
 *      return -1 with errno EINPROGRESS whatever happened, so that Paho
 *      takes its usual in-progress path (even a connect done at once is
 *      reported in progress: Paho's MQTTProtocol_connect mishandles a TLS
 *      handshake that succeeds on the first try). Paho reads SO_ERROR
 *      itself (src/MQTTClient.c:2709): the error is left for it.
 *    - poll(): Paho's next waiting poll (the read poll of src/Socket.c:547)
 *      is made with timeout 0: the write poll before it has seen the socket
 *      writable, so Paho takes it as connected at once. Past the deadline
 *      the socket is shut down, so that Paho's wait for the CONNACK (which
 *      counts only whole seconds) ends with an error at the deadline.
 *    Fallback: Paho connects as it always did, 100 ms slower, and --timeout
 *    is kept to the next whole second.
 *
 * 2. SSL_CTX_new(): promised behaviours (docs/deployment.md, TLS) that
 *    Paho 1.3.12's MQTTClient_SSLOptions cannot give. Switch:
 *    MQTTVOTE_NO_TLSCTX=1.
 *    - --tls-version tlsv1.3: built with OpenSSL >= 1.1, Paho ignores
 *      sslVersion and always calls SSL_CTX_new(TLS_client_method())
 *      (src/SSLSocket.c:553-554), so no TLS floor can be asked for; this
 *      sets SSL_CTX_set_min_proto_version on the new context.
 *    - the verification error in words: ssl_error_cb gets only OpenSSL's
 *      error queue (ERR_print_errors_cb, src/SSLSocket.c:116-117), which says
 *      "certificate verify failed" and not why; this sets a verification
 *      callback on the context's store that keeps the first error.
 *    - a certificate that does not name the host, in words: verify=1 makes
 *      Paho call X509_check_host after the handshake
 *      (src/SSLSocket.c:791-818) and report its failure to no callback;
 *      this sets the host (or IP address) in the context's verification
 *      parameters, so OpenSSL refuses it during the handshake, as a
 *      verification error ("hostname mismatch") kept as above. verify=1
 *      stays set: without this, Paho's own check still refuses it.
 *    Fallback: the CA and the host name are still checked (Paho's
 *    enableServerCertAuth and verify), a refused certificate is reported
 *    without the reason, and --tls-version tlsv1.3 is refused before any
 *    connection (tlsctx_check_files), since it could not be kept. */
#include "interpose.h"

#include <dlfcn.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vtime.h"

/* The versions Paho reports whose internals this file was checked against
 * (see the header comment): anything else is left alone. */
static const char *const PAHO_KNOWN[] = { "1.3.11", "1.3.12" };

/* What MQTTClient_getVersionInfo and MQTTAsync_getVersionInfo return (alike). */
struct paho_name_value {
	const char *name;
	const char *value;
};
typedef struct paho_name_value *version_info_fn(void);

typedef int connect_fn(int, const struct sockaddr *, socklen_t);
typedef int poll_fn(struct pollfd *, nfds_t, int);

/* glibc's own exported names of the same functions: used only if dlsym
 * cannot find the next definition (it always can in a dynamic program). */
extern int __connect(int, const struct sockaddr *, socklen_t);
extern int __poll(struct pollfd *, nfds_t, int);

static connect_fn *next_connect;
static poll_fn *next_poll;
static pthread_once_t resolved = PTHREAD_ONCE_INIT;

/* The state of this thread's wrapper: armed only around MQTTClient_connect. */
static _Thread_local struct {
	bool armed;
	int64_t deadline;  /* vtime_mono_ms */
	bool skip_wait;    /* make Paho's next waiting poll not wait */
	struct connwrap_seen seen;
} w = { .seen = { .fd = -1 } };

static void resolve(void)
{
	next_connect = (connect_fn *)dlsym(RTLD_NEXT, "connect");
	next_poll = (poll_fn *)dlsym(RTLD_NEXT, "poll");
	if (!next_connect)
		next_connect = __connect;
	if (!next_poll)
		next_poll = __poll;
}

/* real_poll: poll() as if this file did not exist. */
static int real_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	(void)pthread_once(&resolved, resolve);
	return next_poll(fds, n, timeout);
}

/* wait_connected: waits until fd's connect completes, fails, or the
 * deadline passes; records which in w.seen. */
static void wait_connected(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int64_t left;
	int rc;

	for (;;) {
		left = w.deadline - vtime_mono_ms();
		rc = real_poll(&p, 1, left > 0 ? (int)left : 0);
		if (rc >= 0 || errno != EINTR)
			break;
	}
	if (rc == 1) {
		w.seen.tcp_up = !(p.revents & (POLLERR | POLLHUP));
		w.skip_wait = true;
	}
}

/* connect: libc's connect(2) (the same arguments, result and errno),
 * except armed, for the first TCP connect in progress: waits for it to
 * complete up to the deadline, then returns -1 with errno EINPROGRESS. */
int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int rc;

	(void)pthread_once(&resolved, resolve);
	rc = next_connect(fd, addr, len);
	if (!w.armed || w.seen.fd >= 0 || (rc != 0 && errno != EINPROGRESS) || !addr ||
	    (addr->sa_family != AF_INET && addr->sa_family != AF_INET6))
		return rc;
	w.seen.fd = fd;
	if (rc == 0) {
		w.seen.tcp_up = true;
		w.skip_wait = true;
	} else {
		wait_connected(fd);
	}
	errno = EINPROGRESS; /* Paho's in-progress path, whatever happened */
	return -1;
}

/* watches: true when fds asks for input on fd (Paho's read set). */
static bool watches(const struct pollfd *fds, nfds_t n, int fd)
{
	nfds_t k;

	for (k = 0; k < n; k++)
		if (fds[k].fd == fd && (fds[k].events & POLLIN))
			return true;
	return false;
}

/* glibc declares poll's fds write-only (__attr_access), which it is not
 * (poll reads each events field): reading them here is no use of
 * uninitialised memory. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
/* poll: libc's poll(2), except armed, for a wait on the socket connect()
 * saw: the first one after the connect completed does not wait, none
 * waits past the deadline, and past it the socket is shut down. */
int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int64_t left;

	if (!w.armed || w.seen.fd < 0 || timeout == 0 || !watches(fds, n, w.seen.fd))
		return real_poll(fds, n, timeout);
	if (w.skip_wait) {
		w.skip_wait = false;
		return real_poll(fds, n, 0);
	}
	left = w.deadline - vtime_mono_ms();
	if (left <= 0 && !w.seen.expired) {
		w.seen.expired = true;
		(void)shutdown(w.seen.fd, SHUT_RDWR); /* Paho reads an error, and stops waiting */
	}
	if (left <= 0)
		return real_poll(fds, n, 0);
	return real_poll(fds, n, timeout < 0 || timeout > left ? (int)left : timeout);
}
#pragma GCC diagnostic pop

static pthread_once_t version_once = PTHREAD_ONCE_INIT;
static char paho_version[32] = "unknown"; /* written once, under version_once */
static bool paho_known;

/* read_version: the version Paho reports, from whichever client library the program links. */
static void read_version(void)
{
	version_info_fn *info = (version_info_fn *)dlsym(RTLD_DEFAULT, "MQTTClient_getVersionInfo");
	const struct paho_name_value *nv;
	size_t k;

	if (!info)
		info = (version_info_fn *)dlsym(RTLD_DEFAULT, "MQTTAsync_getVersionInfo");
	for (nv = info ? info() : NULL; nv && nv->name; nv++)
		if (strcmp(nv->name, "Version") == 0 && nv->value)
			snprintf(paho_version, sizeof(paho_version), "%s", nv->value);
	for (k = 0; k < sizeof(PAHO_KNOWN) / sizeof(PAHO_KNOWN[0]); k++)
		if (strcmp(paho_version, PAHO_KNOWN[k]) == 0)
			paho_known = true;
}

const char *interpose_paho_version(void)
{
	(void)pthread_once(&version_once, read_version);
	return paho_version;
}

/* state: why an interposition of symbol (defined here at ours) with switch sw is off, or INTERPOSE_ON. */
static enum interpose_off state(const char *sw, const char *symbol, void *ours)
{
	const char *off = getenv(sw);

	if (off && *off)
		return INTERPOSE_OFF_ENV;
	(void)pthread_once(&version_once, read_version);
	if (!paho_known)
		return INTERPOSE_OFF_PAHO;
	if (dlsym(RTLD_DEFAULT, symbol) != ours) /* the first definition in the global scope is what Paho calls */
		return INTERPOSE_OFF_LINK;
	return INTERPOSE_ON;
}

enum interpose_off interpose_connect_state(void)
{
	return state("MQTTVOTE_NO_CONNWRAP", "connect", (void *)connect);
}

const char *interpose_off_words(enum interpose_off why, const char *sw, char *buf, size_t size)
{
	switch (why) {
	case INTERPOSE_ON:
		snprintf(buf, size, "on");
		break;
	case INTERPOSE_OFF_ENV:
		snprintf(buf, size, "%s is set", sw);
		break;
	case INTERPOSE_OFF_PAHO:
		snprintf(buf, size, "Paho %s is not a version it knows", interpose_paho_version());
		break;
	case INTERPOSE_OFF_LINK:
		snprintf(buf, size, "Paho does not call the program's definition (link order)");
		break;
	}
	return buf;
}

void connwrap_begin(int64_t deadline)
{
	w.seen = (struct connwrap_seen){ .fd = -1 };
	w.skip_wait = false;
	w.deadline = deadline;
	w.seen.off = interpose_connect_state();
	w.armed = w.seen.off == INTERPOSE_ON;
}

struct connwrap_seen connwrap_end(void)
{
	w.armed = false;
	w.skip_wait = false;
	return w.seen;
}

typedef SSL_CTX *ctx_new_fn(const SSL_METHOD *);

static pthread_mutex_t tls_lock = PTHREAD_MUTEX_INITIALIZER;
/* guarded by tls_lock */
static bool tls_armed;
static bool tls_engaged;     /* an armed SSL_CTX_new ran since interpose_tls_arm */
static int tls_min_version;
static char tls_host[256];   /* empty: no host check (--insecure) */
static int tls_verify_error; /* X509_V_OK: none recorded */

enum interpose_off interpose_tls_state(void)
{
	return state("MQTTVOTE_NO_TLSCTX", "SSL_CTX_new", (void *)SSL_CTX_new);
}

/* verify_cb: OpenSSL's verification callback: keeps its verdict, records the first error. */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
	if (!ok) {
		pthread_mutex_lock(&tls_lock);
		if (tls_verify_error == X509_V_OK)
			tls_verify_error = X509_STORE_CTX_get_error(x);
		pthread_mutex_unlock(&tls_lock);
	}
	return ok;
}

/* SSL_CTX_new: OpenSSL's, plus the armed settings (see the header comment, 2). */
SSL_CTX *SSL_CTX_new(const SSL_METHOD *meth)
{
	ctx_new_fn *next = (ctx_new_fn *)dlsym(RTLD_NEXT, "SSL_CTX_new");
	SSL_CTX *ctx = next ? next(meth) : NULL;
	X509_VERIFY_PARAM *param;
	bool ok = true;

	if (!ctx)
		return NULL;
	pthread_mutex_lock(&tls_lock);
	if (tls_armed) {
		tls_engaged = true;
		ok = SSL_CTX_set_min_proto_version(ctx, tls_min_version) == 1;
		X509_STORE_set_verify_cb(SSL_CTX_get_cert_store(ctx), verify_cb);
		param = SSL_CTX_get0_param(ctx);
		if (ok && tls_host[0]) {
			/* an IP literal is checked against the certificate's IP addresses */
			if (X509_VERIFY_PARAM_set1_ip_asc(param, tls_host) != 1) {
				ERR_clear_error();
				ok = X509_VERIFY_PARAM_set1_host(param, tls_host, 0) == 1;
			}
		}
	}
	pthread_mutex_unlock(&tls_lock);
	if (!ok) { /* Paho reports a context it could not get as a TLS failure */
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

void interpose_tls_arm(int min_version, const char *host)
{
	bool on = interpose_tls_state() == INTERPOSE_ON;

	pthread_mutex_lock(&tls_lock);
	tls_armed = on;
	tls_engaged = false;
	tls_min_version = min_version;
	snprintf(tls_host, sizeof(tls_host), "%s", host ? host : "");
	tls_verify_error = X509_V_OK;
	pthread_mutex_unlock(&tls_lock);
}

bool interpose_tls_engaged(void)
{
	bool engaged;

	pthread_mutex_lock(&tls_lock);
	engaged = tls_engaged;
	pthread_mutex_unlock(&tls_lock);
	return engaged;
}

int interpose_tls_take_error(void)
{
	int verr;

	pthread_mutex_lock(&tls_lock);
	verr = tls_verify_error;
	tls_verify_error = X509_V_OK;
	pthread_mutex_unlock(&tls_lock);
	return verr;
}
