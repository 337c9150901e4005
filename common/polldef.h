/* polldef.h -- a poll an organiser defined: its question, choices, opening and closing; the wire formats of its information and of the organiser's commands */
#ifndef MQTTVOTE_POLLDEF_H
#define MQTTVOTE_POLLDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"
#include "pollkind.h"
#include "topic.h"

#define POLLDEF_QUESTION_MAX 500  /* bytes of UTF-8 */
#define POLLDEF_ROLL_MAX 1024     /* bytes of a roll file's path */
#define POLLDEF_CTL_TOPIC "votectl"          /* where pollctl publishes its commands */
#define POLLDEF_REPLY_PREFIX "votectl/reply/" /* + the organiser's client id: where answers go */

/* The topics:
 *   vote/<poll>/info   retained, QoS 1, published by the tallier for every poll it
 *                      knows: the poll's information (polldef_info_json)
 *   votectl            an organiser's command (JSON below), which only the organiser
 *                      may publish (the broker's ACL); the answer goes to the MQTT 5
 *                      Response Topic (with the Correlation Data back), or to the
 *                      command's "reply" field (MQTT 3.1.1), under votectl/reply/.
 *
 * Command JSON:
 *   {"cmd":"open","poll":"p1","question":"Lunch at noon?","choices":["yes","no"],
 *    "opens":<ms since the epoch, absent: now>,"closes":<ms, absent or null: by hand only>
 *    (whole ms, each vtime_in_range: 0 to VTIME_MS_MAX; "closes" after "opens"),
 *    "results":"live"|"after-close" (absent: live),"revote":true|false (absent: true),
 *    "roll":"/abs/path/roll.txt" (absent: the tallier's --roll, if any: a roll file on
 *    the tallier's machine, whose voters alone may vote, each ballot signed),
 *    "reply":"votectl/reply/<client id>" (MQTT 3.1.1 only),
 *    "kind":"single"|"multiple"|"ranked"|"scale" (absent: single; pollkind.h) and its parameters:
 *      multiple: "min_picks" (integer >= 0, absent: 1), "max_picks" (integer, 1 to the
 *                number of choices, absent: the number of choices), min_picks <= max_picks;
 *      ranked:   "choices" 2 to POLLDEF_CHOICES_MAX, "full" (true: every choice ranked, once;
 *                absent: false, 1 to all of them);
 *      scale:    no "choices"; "low", "high" (integers, |x| <= 1,000,000, 2 to 101 values,
 *                both required), "low_label", "high_label" (optional, the text rules of a choice);
 *    a parameter of another kind than the command's is refused}
 *   {"cmd":"close","poll":"p1"}
 *   {"cmd":"show","poll":"p1"}
 *   {"cmd":"list"}
 * Answer JSON:
 *   {"ok":true,"info":{...}}                       open, close: the poll's information after it
 *   {"ok":true,"info":{...},"result":{...}|null}   show
 *   {"ok":true,"polls":[{...info...},...]}         list, ordered by poll name
 *   {"ok":false,"error":"poll1 already has ballots: its choices cannot change"}
 *
 * Information JSON (vote/<poll>/info, and "info" in answers):
 *   {"poll":"p1","question":"Lunch at noon?"|null,"choices":["yes","no"]|null,
 *    "status":"scheduled"|"open"|"closed","opens":"2026-11-30T10:00:00.000Z",
 *    "closes":"2026-11-30T10:05:00.000Z"|null,"closed":"2026-11-30T10:04:12.345Z"|null,
 *    "results":"live"|"after-close","revote":true|false,"defined":true|false,
 *    "signed":true|false,"instance":"<32 hex>",
 *    "kind":..., with its parameters, defaults written out: multiple "min_picks","max_picks";
 *    ranked "full"; scale "low","high","low_label"|null,"high_label"|null}
 * (a single poll's information has no "kind": it stays what it was before kinds);
 * "instance" (absent when the poll has none) is what a signed ballot of the
 * poll signs over with its fields (sign.h); question and choices are null
 * for a poll nobody defined (opened by its first
 * ballot: any choice the tallier's --choices allows); times are UTC, ISO 8601
 * with milliseconds; "opens" is null for a poll nobody defined (closed by
 * hand), "closed" is when it closed, null while not closed. */

enum polldef_status { POLLDEF_SCHEDULED, POLLDEF_OPEN, POLLDEF_CLOSED };
enum polldef_results { POLLDEF_LIVE, POLLDEF_AFTER_CLOSE };

/* A poll's definition and state. Strings are NUL-terminated copies. */
struct polldef {
	char poll[TOPIC_POLL_MAX + 1];
	bool defined;                        /* by an organiser; false: opened by its first ballot */
	char question[POLLDEF_QUESTION_MAX + 1]; /* "" when none */
	char choices[POLLDEF_CHOICES_MAX][BALLOT_TEXT_MAX + 1];
	size_t nchoices;                     /* 0: any choice (the tallier's --choices) */
	int64_t opens_ms;                    /* ms since the epoch */
	int64_t closes_ms;                   /* ms since the epoch; 0: closed only by hand */
	enum polldef_results results;
	bool revote;
	char roll[POLLDEF_ROLL_MAX + 1];     /* its roll file (signed ballots of its voters only); "": none */
	bool signed_only;                    /* information: only signed ballots count (its roll, or the
					      * tallier's --roll) */
	enum polldef_status status;
	int64_t closed_ms;                   /* when it closed (0 while not closed) */
	char instance[BALLOT_ID_HEX + 1];    /* the poll instance that signatures bind (32 lower-case hex,
					      * made when the poll came to exist in its database); "": none */
	enum polldef_kind kind;              /* its question's kind (POLLDEF_SINGLE: 0) */
	size_t min_picks, max_picks;         /* multiple: picks per ballot (parsed: defaults filled in) */
	bool full;                           /* ranked: every choice must be ranked */
	int64_t low, high;                   /* scale: the values low..high */
	char low_label[BALLOT_TEXT_MAX + 1]; /* scale: words for its ends; "": none */
	char high_label[BALLOT_TEXT_MAX + 1];
};

/* The words of the formats, the one place they are spelt. */
const char *polldef_status_word(enum polldef_status s);   /* "scheduled", "open", "closed" */
const char *polldef_results_word(enum polldef_results r); /* "live", "after-close" */

/* polldef_parse_status, polldef_parse_results: the word back to its value.
 * Return 0, or -1 when word is none of them. */
int polldef_parse_status(const char *word, enum polldef_status *out);
int polldef_parse_results(const char *word, enum polldef_results *out);

/* polldef_info_parse: reads information JSON payload[0..len) (not
 * NUL-terminated) into *out. Returns 0, or -1 with the reason in err. */
int polldef_info_parse(const void *payload, size_t len, struct polldef *out, char *err, size_t errlen);

/* polldef_info_json: the information JSON of d (see above). Returns a
 * malloc'd string the caller frees with free(), or NULL with err set. */
char *polldef_info_json(const struct polldef *d, char *err, size_t errlen);

/* polldef_clamp_times: brings each of d's times (opens, closes, closed)
 * that is not vtime_in_range to the nearest end of the range (a closing
 * time before it to 1 ms after its start, since 0 means "by hand only"),
 * as the tallier does with a definition from its store that an older
 * version or a hand took there: the poll stays what it was (one opening
 * after the year 9999 stays scheduled, one closing after it closes by the
 * clock no sooner), and its information can be written. Returns 0 when
 * every time was in range, else 1 with what changed in err ("'closes'
 * 253402351199000 ms is out of range (...): taken as
 * 9999-12-31T23:59:59.999Z"). */
int polldef_clamp_times(struct polldef *d, char *err, size_t errlen);

/* polldef_has_choice: true when d takes choice: d offers no list (any), or
 * choice is one of d's, byte for byte. */
bool polldef_has_choice(const struct polldef *d, const char *choice);

/* An organiser's command. */
enum polldef_cmd_kind { POLLDEF_CMD_OPEN, POLLDEF_CMD_CLOSE, POLLDEF_CMD_SHOW, POLLDEF_CMD_LIST };

struct polldef_cmd {
	enum polldef_cmd_kind kind;
	struct polldef def;          /* open: the definition (def.poll also for close and show) */
	bool has_opens;              /* open: "opens" given (else now) */
	char reply[TOPIC_MAX];       /* "reply" (MQTT 3.1.1), "" when none */
};

/* polldef_cmd_json: the command JSON of cmd (for pollctl). Returns a
 * malloc'd string (free()), or NULL with err set. */
char *polldef_cmd_json(const struct polldef_cmd *cmd, char *err, size_t errlen);

/* polldef_cmd_parse: reads command JSON payload[0..len) into *out (for the
 * tallier), checking every field: the poll name (TOPIC_POLL_RULE), the
 * question (1 to POLLDEF_QUESTION_MAX bytes of UTF-8 text), the choices
 * (1 to POLLDEF_CHOICES_MAX, each ballot_text_check, distinct), times
 * (each vtime_in_range, closes after opens), the words. out->reply is read first, so that it
 * is there ("" when absent or not a string) also when another field
 * refuses the command. Returns 0; -1 with the reason in err ("choices:
 * 'yes' given twice"); or -2 with the reason in err ("malformed JSON")
 * when payload is no JSON object, from which nothing is read. */
int polldef_cmd_parse(const void *payload, size_t len, struct polldef_cmd *out, char *err, size_t errlen);

/* An answer to a command (what the tallier says). */
struct polldef_answer {
	bool ok;
	char error[256];             /* when !ok */
};

/* polldef_answer_parse: reads answer JSON payload[0..len): fills *out, and
 * returns the parsed "info" of the answer in *info when info is not NULL
 * and the answer has one (*has_info). Returns 0, or -1 with err set when
 * it is no answer. */
int polldef_answer_parse(const void *payload, size_t len, struct polldef_answer *out, struct polldef *info,
			 bool *has_info, char *err, size_t errlen);

/* polldef_answer_json: the tallier's answer JSON: {"ok":false,"error":..}
 * when error is not NULL; else {"ok":true} with "info" (info_json, when
 * not NULL), "result" (result_json, when not NULL) and "polls" (the nlist
 * information JSON texts of list, when list is not NULL). Returns a
 * malloc'd string (free()), or NULL with err set. */
char *polldef_answer_json(const char *error, const char *info_json, const char *result_json, char *const *list,
			  size_t nlist, char *err, size_t errlen);

#endif
