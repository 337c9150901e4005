/* pollkind.h -- the kinds of question a poll asks (single, multiple, ranked, scale) and the ballot field that answers each */
#ifndef MQTTVOTE_POLLKIND_H
#define MQTTVOTE_POLLKIND_H

#include <stdbool.h>
#include <stddef.h>

#define POLLDEF_CHOICES_MAX 32    /* choices per defined poll; names in a ballot's picks or ranking */
#define POLLDEF_SCALE_ABS_MAX 1000000 /* a scale's ends and a ballot's value: -1,000,000 to 1,000,000 */
#define POLLDEF_SCALE_VALUES_MAX 101  /* a scale has 2 to 101 values (high - low + 1) */

/* The kind of a poll's question, fixed at its first "open". A poll nobody
 * defined is single. The ballot that answers it carries one field:
 *   single   "choice": "yes"                one of the choices (today's ballot)
 *   multiple "picks": ["a","b"]             0 to 32 distinct choices (a set)
 *   ranked   "ranking": ["b","a","c"]       1 to 32 distinct choices, most preferred first
 *   scale    "value": 4                     an integer, |value| <= 1,000,000 */
enum polldef_kind { POLLDEF_SINGLE = 0, POLLDEF_MULTIPLE, POLLDEF_RANKED, POLLDEF_SCALE };
#define POLLDEF_KINDS 4

/* polldef_kind_word: "single", "multiple", "ranked", "scale" (the one
 * place they are spelt; polldef.c), "?" for no kind. */
const char *polldef_kind_word(enum polldef_kind k);

/* polldef_kind_field: the ballot field that answers a question of kind k:
 * "choice", "picks", "ranking", "value"; "?" for no kind. */
const char *polldef_kind_field(enum polldef_kind k);

/* polldef_parse_kind: the word back to its kind. Returns 0, or -1 when
 * word is none of them. */
int polldef_parse_kind(const char *word, enum polldef_kind *out);

#endif
