/* test_interpose.c -- unit tests of interpose: the run-time checks, and connect() and SSL_CTX_new engaging or not */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <MQTTClient.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "interpose.h"
#include "vtime.h"

/* paho_reported: what the linked Paho says its version is. */
static const char *paho_reported(void)
{
	MQTTClient_nameValue *nv;

	for (nv = MQTTClient_getVersionInfo(); nv->name; nv++)
		if (strcmp(nv->name, "Version") == 0)
			return nv->value;
	return "none";
}

static int clear_switches(void **state)
{
	(void)state;
	unsetenv("MQTTVOTE_NO_CONNWRAP");
	unsetenv("MQTTVOTE_NO_TLSCTX");
	return 0;
}

static void reads_the_version_paho_reports_and_engages_with_the_installed_one(void **state)
{
	(void)state;
	assert_string_equal(interpose_paho_version(), paho_reported());
	assert_int_equal(interpose_connect_state(), INTERPOSE_ON);
	assert_int_equal(interpose_tls_state(), INTERPOSE_ON);
}

static void each_switch_turns_off_its_own_interposition(void **state)
{
	char buf[96], want[96];

	(void)state;
	setenv("MQTTVOTE_NO_CONNWRAP", "1", 1);
	assert_int_equal(interpose_connect_state(), INTERPOSE_OFF_ENV);
	assert_int_equal(interpose_tls_state(), INTERPOSE_ON);
	setenv("MQTTVOTE_NO_CONNWRAP", "", 1); /* empty: not set */
	assert_int_equal(interpose_connect_state(), INTERPOSE_ON);
	setenv("MQTTVOTE_NO_TLSCTX", "1", 1);
	assert_int_equal(interpose_tls_state(), INTERPOSE_OFF_ENV);
	assert_string_equal(interpose_off_words(INTERPOSE_OFF_ENV, "MQTTVOTE_NO_TLSCTX", buf, sizeof(buf)),
			    "MQTTVOTE_NO_TLSCTX is set");
	snprintf(want, sizeof(want), "Paho %s is not a version it knows", paho_reported());
	assert_string_equal(interpose_off_words(INTERPOSE_OFF_PAHO, "", buf, sizeof(buf)), want);
}

/* listener: a loopback TCP listener; *a set to its address. */
static int listener(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)a, sizeof(*a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)a, &len), 0);
	return fd;
}

/* connect_armed: a non-blocking connect to a, with the wrapper armed; what it saw. */
static struct connwrap_seen connect_armed(const struct sockaddr_in *a, int *rc, int *err)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct connwrap_seen seen;

	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	connwrap_begin(vtime_mono_ms() + 5000);
	*rc = connect(fd, (const struct sockaddr *)a, sizeof(*a));
	*err = errno;
	seen = connwrap_end();
	if (seen.fd >= 0)
		assert_int_equal(seen.fd, fd);
	close(fd);
	return seen;
}

static void the_connect_wrapper_sees_the_connect_and_reports_it_in_progress(void **state)
{
	struct sockaddr_in a;
	int lfd = listener(&a), rc, err;
	struct connwrap_seen seen = connect_armed(&a, &rc, &err);

	(void)state;
	assert_true(seen.fd >= 0);
	assert_true(seen.tcp_up);
	assert_false(seen.expired);
	assert_int_equal(seen.off, INTERPOSE_ON);
	assert_int_equal(rc, -1); /* Paho's in-progress path, whatever happened */
	assert_int_equal(err, EINPROGRESS);
	close(lfd);
}

static void the_connect_wrapper_switched_off_does_not_engage(void **state)
{
	struct sockaddr_in a;
	int lfd = listener(&a), rc, err;
	struct connwrap_seen seen;

	(void)state;
	setenv("MQTTVOTE_NO_CONNWRAP", "1", 1);
	seen = connect_armed(&a, &rc, &err);
	assert_int_equal(seen.fd, -1);
	assert_int_equal(seen.off, INTERPOSE_OFF_ENV);
	close(lfd);
}

static void ssl_ctx_new_armed_sets_the_floor_and_says_it_ran(void **state)
{
	SSL_CTX *ctx;

	(void)state;
	interpose_tls_arm(TLS1_3_VERSION, "broker.example");
	assert_false(interpose_tls_engaged());
	ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	assert_true(interpose_tls_engaged());
	assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);
	assert_int_equal(interpose_tls_take_error(), X509_V_OK);
	SSL_CTX_free(ctx);
}

static void ssl_ctx_new_switched_off_is_openssls_own(void **state)
{
	SSL_CTX *ctx;

	(void)state;
	setenv("MQTTVOTE_NO_TLSCTX", "1", 1);
	interpose_tls_arm(TLS1_3_VERSION, "broker.example");
	ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	assert_false(interpose_tls_engaged());
	assert_int_not_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);
	SSL_CTX_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(reads_the_version_paho_reports_and_engages_with_the_installed_one,
				       clear_switches),
		cmocka_unit_test_setup(each_switch_turns_off_its_own_interposition, clear_switches),
		cmocka_unit_test_setup(the_connect_wrapper_sees_the_connect_and_reports_it_in_progress, clear_switches),
		cmocka_unit_test_setup(the_connect_wrapper_switched_off_does_not_engage, clear_switches),
		cmocka_unit_test_setup(ssl_ctx_new_armed_sets_the_floor_and_says_it_ran, clear_switches),
		cmocka_unit_test_setup(ssl_ctx_new_switched_off_is_openssls_own, clear_switches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
