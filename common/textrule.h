/* textrule.h -- the Unicode rules of names and questions (ICU): NFC, invisible characters, confusable choices */
#ifndef MQTTVOTE_TEXTRULE_H
#define MQTTVOTE_TEXTRULE_H

#include <stddef.h>

/* The longest text these rules take, in bytes (a question: 500). */
#define TEXTRULE_MAX 512

/* Room enough for any reason these rules give (two names quoted). */
#define TEXTRULE_WHY_MAX 192

/* The refusals of these rules, each spelt here once (docs/contract.md's "Topics
 * and formats" quotes them). The callers put their own words before them:
 * "invalid field 'choice': contains an invisible or format character U+200B". */
#define TEXTRULE_INVISIBLE "contains an invisible or format character U+%04X"
#define TEXTRULE_BLANK "has no visible character"
#define TEXTRULE_LONG_NFC "is longer than %zu bytes once normalised (NFC)"
#define TEXTRULE_CONFUSABLE "'%s' looks like '%s' (confusable, Unicode TR 39)"

/* textrule_name: checks s (NUL-terminated), a voter or choice name as
 * given, and writes its normal form into out (outlen bytes, at least
 * max + 1): Unicode NFC, so that a composed and a decomposed "é" are one
 * name. The rules: s is 1 to max bytes of well-formed UTF-8 without
 * control characters (U+0000-U+001F, U+007F-U+009F), and so is its NFC
 * form; it holds no default-ignorable code point (Unicode's
 * Default_Ignorable_Code_Point: zero-width and bidi controls, joiners,
 * variation selectors, Hangul fillers, tags...) nor any other format
 * character (general category Cf: U+0600, U+FFF9...) except inside a valid
 * (RGI) emoji sequence, where the joiner U+200D, the selector U+FE0F and
 * the tags belong; no U+2800 BRAILLE PATTERN BLANK; and at least one
 * visible character (not white space). max is at most TEXTRULE_MAX.
 * Returns 0; or -1, out "", and in why (whylen bytes; NULL when 0) the
 * rule it breaks when it is one of the rules above (TEXTRULE_INVISIBLE,
 * TEXTRULE_BLANK, TEXTRULE_LONG_NFC, or that ICU failed), or "" when s
 * breaks the general rule (length, UTF-8, control characters), which each
 * caller words for its own input. Thread-safe. */
int textrule_name(const char *s, size_t max, char *out, size_t outlen, char *why, size_t whylen);

/* textrule_question: as textrule_name, for a poll's question: the same
 * rules except that it may be blank-looking (white space only). */
int textrule_question(const char *s, size_t max, char *out, size_t outlen, char *why, size_t whylen);

/* textrule_skeleton: the TR 39 skeleton of s (NUL-terminated UTF-8): two
 * texts are confusable when their skeletons are equal (ICU's spoof
 * checker, uspoof_getSkeletonUTF8). Returns a malloc'd NUL-terminated
 * string the caller frees with free(), or NULL with the reason in err.
 * Thread-safe. */
char *textrule_skeleton(const char *s, char *err, size_t errlen);

/* textrule_choices_check: checks that no two of choices[0..n) (NFC
 * names, distinct) are confusable. Returns 0; 1 when some are, with why
 * set to TEXTRULE_CONFUSABLE naming the first choice that looks like an
 * earlier one, and that one; or -1 with why set when ICU or memory
 * fails. Costs n skeletons and a sort. */
int textrule_choices_check(const char *const *choices, size_t n, char *why, size_t whylen);

#endif
