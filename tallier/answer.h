/* answer.h -- a ballot's answer as one text: the key the tally counts by and the store keeps */
#ifndef MQTTVOTE_ANSWER_H
#define MQTTVOTE_ANSWER_H

#include <stddef.h>

#include "ballot.h"

/* The key of an answer, by its kind (a name holds no control character,
 * so a line feed separates names):
 *   single   the choice ("yes": today's stored choice, unchanged);
 *   multiple the picks in byte order, joined by "\n" ("" for no pick): a
 *            set, so the same picks in another order are the same answer;
 *   ranked   the names in the order ranked, joined by "\n";
 *   scale    the value in decimal ("-3", "0", "4").
 * Two ballots of a voter give the same answer exactly when their keys are
 * equal, and keys order answers (by bytes) where the tally needs a rule. */
#define ANSWER_KEY_MAX (POLLDEF_CHOICES_MAX * (BALLOT_TEXT_MAX + 1)) /* with its NUL */

/* answer_key: the key of b's answer (by b->kind) into key (ANSWER_KEY_MAX
 * bytes). Returns key. */
char *answer_key(const struct ballot *b, char key[ANSWER_KEY_MAX]);

/* answer_text: b's answer as the log shows it: a single choice as it is
 * ("yes"), the others as their field and JSON value ('picks ["a","c"]',
 * 'ranking ["b","a"]', 'value 4'), cut to fit size bytes. Returns text. */
char *answer_text(const struct ballot *b, char *text, size_t size);

/* answer_from_key: sets b's answer (kind, choice or names or value) from
 * key, the key of an answer of kind (as answer_key wrote it). Returns 0,
 * or -1 when key is no such key (b's answer is then "" or empty). */
int answer_from_key(struct ballot *b, enum polldef_kind kind, const char *key);

#endif
