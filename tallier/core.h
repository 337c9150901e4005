/* core.h -- the tallier's core: a ballot in, a verdict out; owns the tally, the store and the result schedule */
/* The core returns values (a verdict, a result_value, a polldef); the
 * transports render them (render.h). */
#ifndef MQTTVOTE_CORE_H
#define MQTTVOTE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"
#include "polldef.h"
#include "receipt.h"
#include "result.h"
#include "roll.h"
#include "topic.h"

#define CORE_RESULT_INTERVAL_MS 100 /* at most 10 results per second per poll */
#define CORE_RESULT_TIMEOUT_MS 5000 /* an unconfirmed result is published again */
/* The results of all polls together: at most CORE_RESULTS_INFLIGHT in
 * flight (Paho sends its publications in the order given, receipts
 * included, and Mosquitto lets 20 be unacknowledged: so a receipt never
 * waits behind more than these), at most CORE_RESULTS_PER_S started a
 * second (CORE_RESULTS_BURST at once): 1,000 polls go out in 5 s. */
#define CORE_RESULTS_INFLIGHT 8
#define CORE_RESULTS_PER_S 200
#define CORE_RESULTS_BURST 20

struct core;

/* What the core needs to know. Strings are copied. */
struct core_config {
	const char *db;              /* the SQLite database of the tally */
	bool sync_full;              /* fsync per commit (power-loss safe) */
	const char *const *choices;  /* the choices on offer, in result order; nchoices 0: any */
	size_t nchoices;
	bool revote;                 /* a later ballot replaces an earlier one */
	size_t max_polls;            /* a valid ballot for one more poll nobody defined is refused
				      * (defined polls are not counted, never refused); 0: no limit */
	size_t max_choices;          /* a new choice past this many on a poll nobody defined is refused; 0: no limit */
	int64_t max_skew_ms;         /* a ts further ahead of our clock is refused; 0: no limit */
	bool defined_only;           /* only polls an organiser defined take ballots */
	const struct roll *roll;     /* only ballots signed by a voter on it count; NULL: no roll.
				      * Borrowed: it must outlive the core */
	bool quiet;                  /* log only fatal errors */
	bool verbose;                /* log every ballot */
	/* called, from whichever thread counted a ballot and with no lock
	 * held, when a result became due sooner than the publisher planned
	 * (core_next_result said when): the publisher must look again.
	 * May be NULL. */
	void (*wake)(void *arg);
	void *wake_arg;
};

/* What happened to one ballot, for its receipt. */
struct verdict {
	enum receipt_status status;
	char reason[160];            /* why, "" when there is nothing to say */
	char id[BALLOT_ID_HEX + 1];  /* the ballot's id, "" when none or unreadable */
	char reply[TOPIC_MAX];       /* the ballot's "reply" field (MQTT 3.1.1 receipts), "" when none */
	bool answer;                 /* want_result, or the ballot has a usable reply field */
	struct result_value *result; /* when answer and the poll exists: its result after this
				      * ballot (malloc'd: verdict_free), else NULL */
};

/* One ballot as a transport received it. */
struct core_input {
	const char *poll;            /* a valid poll name: from the topic, or the TCP request */
	const void *payload;         /* the ballot JSON, payload[0..len), not NUL-terminated */
	size_t len;
	const char *from;            /* where it came from, for the log ("" for MQTT, " (tcp 1.2.3.4:5)") */
	bool want_result;            /* fill verdict->result even without a reply field */
	const char *account;         /* the broker account of the topic (vote/<poll>/by/<account>): the
				      * ballot's voter must be it; NULL or "": none */
};

/* What core_ballot returns. */
enum core_rc {
	CORE_OK = 0,           /* *v is filled: the ballot is committed (or needed no commit) */
	CORE_FAILED = -1,      /* out of memory, or the store failed now or before (logged): the
				* ballot is NOT committed and must not be acknowledged; the core
				* refuses every later ballot too, and the tallier must stop */
};

/* core_open: opens the store at cfg->db (creating it; one tallier per
 * file), counts what it holds (ballots whose choice is no longer on offer
 * are left out, and logged), and schedules every poll's result. Logs
 * "loaded N ballots in M polls from DB" unless quiet. Returns the core, or
 * NULL with the reason in err. Free with core_free. */
struct core *core_open(const struct core_config *cfg, char *err, size_t errlen);

/* core_free: closes the store and frees c. NULL is allowed. No other
 * thread may be using c. */
void core_free(struct core *c);

/* core_ballot: the pipeline, for one ballot from any transport and any
 * thread: parse, check (each step of the pipeline may refuse it, with its
 * reason), count, commit to the store, and fill *v with the verdict. A
 * refused ballot is logged (unless quiet) and counted in its poll's
 * rejected when the poll exists: a refusal never creates a poll, so that
 * refused ballots cost no memory and a poll has a result only once it
 * has a counted ballot. Limits: max_polls, max_choices. The commit happens before this returns, outside the lock that
 * result queries and the publisher take; results are published only once
 * every ballot counted in them is committed. Returns a core_rc; on
 * CORE_FAILED nothing is to be acknowledged. Call verdict_free on *v
 * whatever it returns. */
enum core_rc core_ballot(struct core *c, const struct core_input *in, struct verdict *v);

/* verdict_free: frees what *v holds (not v). */
void verdict_free(struct verdict *v);

/* core_checkpoint: when a commit found the store's WAL grown enough
 * (and woke the loop for it), copies it into the database, outside every
 * lock a ballot waits on: the two fsyncs of a checkpoint are not in any
 * ballot's commit. Called on the loop's thread only (it owns the store's
 * checkpointer connection and checkpoint_failing); cheap when nothing was
 * asked. A failure is logged, and retried at the next ask. */
void core_checkpoint(struct core *c);

/* core_result: the current result of poll (as published, with its
 * status) into *out. Returns 0 (free *out with result_value_free), or -1
 * with the reason in err ("no poll 'x'", out of memory, or the core
 * failed: its tally may then hold a ballot that is not stored). */
int core_result(struct core *c, const char *poll, struct result_value *out, char *err, size_t errlen);

/* core_info: the information of poll as vote/<poll>/info has it (its
 * instance included), for any poll the tally knows, defined or not, into
 * *out (nothing to free). Returns 0, or -1 with the reason in err ("no
 * poll 'x'"). */
int core_info(struct core *c, const char *poll, struct polldef *out, char *err, size_t errlen);

/* What a due_result holds. */
enum due_kind {
	DUE_RESULT,                  /* a poll's result: result */
	DUE_INFO,                    /* a poll's information: info */
};

/* A result, or a poll's information, to publish (retained). */
struct due_result {
	char topic[TOPIC_MAX];       /* vote/<poll>/result or vote/<poll>/info */
	enum due_kind kind;
	struct result_value result;  /* DUE_RESULT: free with due_result_free */
	struct polldef info;         /* DUE_INFO */
	size_t slot;                 /* what it is, for core_result_done */
	uint64_t version;            /* its version, for core_result_done */
};

/* due_result_free: frees what *r holds (not r). */
void due_result_free(struct due_result *r);

/* core_next_result: gives the next result or poll information due at
 * now_ms (monotonic), and writes nothing to the store (the changes of
 * status the clock brings are core_clock's, clock.h): returns 1
 * with *out filled (free it with due_result_free; the result is counted
 * as in flight until core_result_done), or 0 when none is
 * due, with *wake_ms set to when one will be (INT64_MAX: none pending),
 * which is also when the core takes it that the publisher will look
 * again: a ballot that makes a result due sooner calls cfg->wake. Once the
 * core has failed, nothing is due any more. Returns -1 when memory runs
 * out (logged). */
int core_next_result(struct core *c, int64_t now_ms, struct due_result *out, int64_t *wake_ms);

/* core_result_done: the publication of out->slot's out->version ended: ok
 * when the broker acknowledged it; a failure is retried. Any thread. */
void core_result_done(struct core *c, size_t slot, uint64_t version, bool ok);

/* core_results_reset: every result must be published again (a new
 * connection to the broker). Any thread. */
void core_results_reset(struct core *c);

/* What the broker holds on a poll's result topic, next to the core's result. */
enum core_seen {
	CORE_SEEN_SAME,     /* the core's current result, byte for byte */
	CORE_SEEN_OTHER,    /* something else (a forged or stale result, or an empty retained message
			     * that deleted it): the core's result is due again, at once or as soon
			     * as the publication interval allows */
	CORE_SEEN_UNKNOWN,  /* a result for a poll the core has none for: the caller removes it */
};

/* core_result_seen: the transport compared what the broker holds on the
 * result topic of poll (a valid poll name) with the core's result of
 * version (core_result; 0 when it gave none): same when it is that
 * result, byte for byte rendered. When same and version is still the
 * newest, the broker is taken to hold it (not published again); when not
 * same, the current result is scheduled again (and cfg->wake called if
 * that makes it due sooner); a result counted since version goes out on
 * its own. Any thread. Returns an enum core_seen (SAME when same). */
enum core_seen core_result_seen(struct core *c, const char *poll, uint64_t version, bool same);

/* core_client_id: the tallier's MQTT client id kept in its database:
 * "tallier-" and 32 random hex digits, made at the first call on a new
 * database and the same ever after, so that nobody who cannot read the
 * database can guess it (and take or wipe the tallier's session: Mosquitto
 * does not bind a client id to a listener or an account). Writes it into
 * buf (at least CORE_CLIENT_ID_SIZE bytes). Returns 0, or -1 with the
 * reason in err. */
#define CORE_CLIENT_ID_SIZE 48
int core_client_id(struct core *c, char *buf, size_t size, char *err, size_t errlen);

/* core_results_pending: how many polls have a result not yet acknowledged. */
size_t core_results_pending(struct core *c);

#endif
