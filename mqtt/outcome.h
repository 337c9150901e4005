/* outcome.h -- what became of what voter or pollctl asked a transport (MQTT or TCP) to deliver */
#ifndef MQTTVOTE_OUTCOME_H
#define MQTTVOTE_OUTCOME_H

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
