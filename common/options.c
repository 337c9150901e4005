/* options.c -- the options the programs share: the connection to the broker (struct conn_opts and its rows), --choices */
#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ballot.h"
#include "textrule.h"

#define TEXT_RULE "must be 1 to 64 bytes of UTF-8 without control characters"

static int take_host(void *part, const char *arg, char *err, size_t errlen)
{
	if (!*arg) {
		snprintf(err, errlen, "invalid host '' (want a name or an address)");
		return -1;
	}
	((struct conn_opts *)part)->host = arg;
	return 0;
}

static int take_port(void *part, const char *arg, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!*arg || strspn(arg, "0123456789") != strlen(arg) || errno || *end || v < 1 || v > 65535) {
		snprintf(err, errlen, "invalid port '%s' (want 1-65535)", arg);
		return -1;
	}
	((struct conn_opts *)part)->port = (int)v;
	return 0;
}

static int take_id(void *part, const char *arg, char *err, size_t errlen)
{
	if (!*arg || strlen(arg) > 65535) {
		snprintf(err, errlen, "invalid client id '%s' (want 1 to 65535 bytes)", arg);
		return -1;
	}
	((struct conn_opts *)part)->client_id = arg;
	return 0;
}

static int take_version(void *part, const char *arg, char *err, size_t errlen)
{
	int *version = &((struct conn_opts *)part)->mqtt_version;

	if (strcmp(arg, "mqttv5") == 0 || strcmp(arg, "5") == 0)
		*version = 5;
	else if (strcmp(arg, "mqttv311") == 0 || strcmp(arg, "311") == 0)
		*version = 4;
	else {
		snprintf(err, errlen, "invalid protocol version '%s' (want mqttv5 or mqttv311)", arg);
		return -1;
	}
	return 0;
}

static int take_tls_version(void *part, const char *arg, char *err, size_t errlen)
{
	struct tlsopts *t = &((struct conn_opts *)part)->tls;

	if (strcmp(arg, "tlsv1.2") == 0 || strcmp(arg, "tlsv1.3") == 0) {
		t->version = arg[6] == '3' ? TLSOPTS_V1_3 : TLSOPTS_V1_2;
		t->version_given = true;
		return 0;
	}
	snprintf(err, errlen, "invalid --tls-version '%s' (want tlsv1.2 or tlsv1.3)", arg);
	return -1;
}

#define AT(field) offsetof(struct conn_opts, field)
static const struct optdef conn_optdefs[] = {
	{ .name = "host", .letter = 'h', .value = true, .kind = OPTK_FUNC, .take = take_host },
	{ .name = "port", .letter = 'p', .value = true, .kind = OPTK_FUNC, .take = take_port,
	  .given = OPT_GIVEN(struct conn_opts, port_given) },
	{ .name = "id", .letter = 'i', .value = true, .kind = OPTK_FUNC, .take = take_id },
	{ .name = "username", .letter = 'u', .value = true, .kind = OPTK_STR, .at = AT(username) },
	{ .name = "pw", .letter = 'P', .value = true, .kind = OPTK_STR, .at = AT(password) },
	{ .name = "protocol-version", .letter = 'V', .value = true, .kind = OPTK_FUNC, .take = take_version },
	/* TLS, as mosquitto_pub */
	{ .name = "cafile", .value = true, .kind = OPTK_NONEMPTY, .at = AT(tls.cafile), .want = "a path" },
	{ .name = "capath", .value = true, .kind = OPTK_NONEMPTY, .at = AT(tls.capath), .want = "a path" },
	{ .name = "cert", .value = true, .kind = OPTK_NONEMPTY, .at = AT(tls.cert), .want = "a path" },
	{ .name = "key", .value = true, .kind = OPTK_NONEMPTY, .at = AT(tls.key), .want = "a path" },
	{ .name = "insecure", .kind = OPTK_FLAG, .at = AT(tls.insecure) },
	{ .name = "tls-version", .value = true, .kind = OPTK_FUNC, .take = take_tls_version },
};

/* conn_opts_init: the defaults into *c, port the program's. */
static void conn_opts_init(struct conn_opts *c, int port)
{
	memset(c, 0, sizeof(*c));
	c->host = "localhost";
	c->port = port;
	c->mqtt_version = 5;
}

enum opts_result opts_parse(const struct opts_cmdline *cl, struct conn_opts *conn, void *o, int argc, char **argv,
			    int *first_arg, char *err, size_t errlen)
{
	const struct optpart parts[] = {
		{ conn_optdefs, sizeof(conn_optdefs) / sizeof(conn_optdefs[0]), conn },
		{ cl->defs, cl->n, o },
	};
	enum opts_result r;

	conn_opts_init(conn, cl->port);
	r = optparse(parts, 2, argc, argv, first_arg, err, errlen);
	if (r != OPTS_RUN || !cl->check)
		return r;
	return cl->check(o, err, errlen) == 0 ? OPTS_RUN : OPTS_ERROR;
}

int conn_opts_check(struct conn_opts *c, const char *no_broker, char *err, size_t errlen)
{
	const struct tlsopts *t = &c->tls;

	if (!t->cert != !t->key) {
		snprintf(err, errlen, "--cert and --key go together (the client certificate and its key)");
		return -1;
	}
	if (!tlsopts_on(t) && (t->cert || t->insecure || t->version_given)) {
		snprintf(err, errlen, "%s needs --cafile or --capath (TLS is used only with a CA to check the "
			 "broker's certificate against)", t->cert ? "--cert" : t->insecure ? "--insecure" : "--tls-version");
		return -1;
	}
	if (tlsopts_on(t) && no_broker) {
		snprintf(err, errlen, "the TLS options are for the broker: %s has none", no_broker);
		return -1;
	}
	if (tlsopts_on(t) && !c->port_given)
		c->port = TLSOPTS_PORT;
	if (c->password && !c->username) {
		snprintf(err, errlen, "-P/--pw given without -u/--username");
		return -1;
	}
	return 0;
}

int conn_opts_own_id(struct conn_opts *c, const char *prefix, char *err, size_t errlen)
{
	char rid[BALLOT_ID_HEX + 1];

	if (c->client_id)
		return 0;
	if (c->username) {
		c->client_id = c->username;
		return 0;
	}
	if (ballot_new_id(rid, err, errlen) != 0)
		return -1;
	snprintf(c->own_id, sizeof(c->own_id), "%s-%.16s", prefix, rid);
	c->client_id = c->own_id;
	return 0;
}

void opts_choices_free(char ***choices, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*choices)[i]);
	free(*choices);
	*choices = NULL;
	*n = 0;
}

/* choice_add: item, checked and in NFC, as the next of choices[0..*n). */
static int choice_add(char **choices, size_t *n, const char *s, const char *item, char *err, size_t errlen)
{
	char why[TEXTRULE_WHY_MAX], nfc[BALLOT_TEXT_MAX + 1];
	size_t j;

	if (ballot_text_norm(item, nfc, why, sizeof(why)) != 0) {
		if (why[0])
			snprintf(err, errlen, "invalid --choices '%s': choice '%s' %s", s, item, why);
		else
			snprintf(err, errlen, "invalid --choices '%s': each choice " TEXT_RULE, s);
		return -1;
	}
	for (j = 0; j < *n; j++) {
		if (strcmp(choices[j], nfc) == 0) {
			snprintf(err, errlen, "invalid --choices '%s': choice '%s' given twice", s, nfc);
			return -1;
		}
	}
	choices[*n] = strdup(nfc);
	if (!choices[*n]) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	(*n)++;
	return 0;
}

int opts_choices_parse(char ***choices, size_t *n, const char *s, char *err, size_t errlen)
{
	char *copy = strdup(s), *item, why[TEXTRULE_WHY_MAX];
	size_t count = 1, i;
	int rc = -1;
	const char *p;

	opts_choices_free(choices, n);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (p = s; *p; p++)
		count += *p == ',';
	*choices = calloc(count, sizeof(**choices));
	if (!*choices) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* strtok_r would skip empty items: split by hand to refuse them */
	item = copy;
	for (i = 0; i < count; i++) {
		char *comma = strchr(item, ',');

		if (comma)
			*comma = '\0';
		if (choice_add(*choices, n, s, item, err, errlen) != 0)
			goto out;
		item = comma ? comma + 1 : item + strlen(item);
	}
	if (textrule_choices_check((const char *const *)*choices, *n, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid --choices '%s': choice %s", s, why);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	if (rc != 0)
		opts_choices_free(choices, n);
	return rc;
}
