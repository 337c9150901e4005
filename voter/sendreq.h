/* sendreq.h -- one ballot to deliver, as both of the voter's transports (mqttsend.c, tcpsend.c) take it */
#ifndef MQTTVOTE_SENDREQ_H
#define MQTTVOTE_SENDREQ_H

#include <stddef.h>

#include "ballot.h"

struct polldef;

/* What goes, beside the voter's options (voteropts.h: the connection,
 * qos, timeout, debug), which the transports take as they are. Every
 * pointer is borrowed from the caller and must stay valid for the call it
 * is given to. */
struct send_req {
	const struct ballot *ballot; /* poll, choice and id: what the poll's information and the receipt
				      * are checked against */
	const char *payload;         /* the ballot's JSON; NULL with finish */
	size_t len;
	const char *topic;           /* MQTT only: vote/<poll>, or vote/<poll>/by/<account> */
	const char *receipt_topic;   /* MQTT --confirm: subscribe here first, wait for the receipt; NULL: no */
	/* finish: NULL, or what makes the payload once the poll's information
	 * is read (a signed ballot needs the poll's instance): called with it,
	 * or with NULL when the tallier published none, before anything is
	 * sent; sets *payload and *len (owned by arg) and returns 0, or returns
	 * -1 with the reason in err: the ballot is not sent (OUTCOME_NOT_SENT). */
	int (*finish)(void *arg, const struct polldef *info, const char **payload, size_t *len, char *err,
		      size_t errlen);
	void *finish_arg;
};

#endif
