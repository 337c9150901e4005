/* outcome.h -- what voter or pollctl asks a transport (MQTT or TCP) to deliver, and what became of it */
#ifndef MQTTVOTE_OUTCOME_H
#define MQTTVOTE_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsopts.h"

struct polldef;

/* One ballot to deliver. Every pointer is borrowed from the caller and
 * must stay valid for the call it is given to. */
struct send_req {
	const char *host;
	int port;
	const char *client_id;     /* MQTT only */
	const char *username;      /* MQTT only; NULL: none */
	const char *password;      /* MQTT only; NULL: none */
	int mqtt_version;          /* MQTT only: 5 or 4 (3.1.1) */
	const char *topic;         /* MQTT only: vote/<poll> */
	const char *payload;       /* the ballot's JSON */
	size_t len;
	int qos;                   /* MQTT only */
	double timeout;            /* seconds, for the whole exchange */
	bool debug;                /* log each step on stderr */
	const char *receipt_topic; /* MQTT --confirm: subscribe here first, wait for the receipt; NULL: no */
	const char *ballot_id;     /* the ballot's id, which its receipt carries */
	const char *info_topic;    /* MQTT only: vote/<poll>/info, read before publishing; NULL: not read */
	const char *choice;        /* the ballot's choice, checked against the poll's information */
	const struct tlsopts *tls; /* MQTT only: TLS when tlsopts_on(tls); NULL: none */
	const char *poll;          /* the ballot's poll (TCP asks for its information with it) */
	/* finish: NULL, or what makes the payload once the poll's information
	 * is read (a signed ballot needs the poll's instance): called with it,
	 * or with NULL when the tallier published none, before anything is
	 * sent; sets *payload and *len (owned by arg) and returns 0, or returns
	 * -1 with the reason in err: the ballot is not sent (OUTCOME_NOT_SENT). */
	int (*finish)(void *arg, const struct polldef *info, const char **payload, size_t *len, char *err,
		      size_t errlen);
	void *finish_arg;
};

/* What became of the ballot: the one result type of both transports. */
enum outcome {
	OUTCOME_ACKED,          /* the broker acknowledged (QoS 0: the message was sent) */
	OUTCOME_NO_SUBSCRIBERS, /* acknowledged, but MQTT 5 said no subscription matched */
	OUTCOME_FAILED,         /* not delivered (nothing a broker or tallier could take was sent): the
				 * error text says why */
	OUTCOME_UNCERTAIN,      /* sent, then no answer (connection lost, timed out): the broker or the
				 * tallier may have it or not; the error text says what happened */
	OUTCOME_RECEIPT,        /* the tallier's receipt came (--confirm, --tcp) */
	OUTCOME_UNCONFIRMED,    /* --confirm: acknowledged, but no receipt within the timeout */
	OUTCOME_NOT_SENT,       /* the poll's information says the ballot cannot count: not sent, the
				 * error text says why */
};

#endif
