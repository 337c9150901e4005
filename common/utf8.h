/* utf8.h -- validation of the short UTF-8 texts that ballots carry */
#ifndef MQTTVOTE_UTF8_H
#define MQTTVOTE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* utf8_text_valid: true when s[0..len) is well-formed UTF-8 (no overlong
 * forms, no surrogates, nothing above U+10FFFF) and holds no control
 * character (U+0000-U+001F, U+007F-U+009F). s need not be NUL-terminated. */
bool utf8_text_valid(const char *s, size_t len);

/* utf8_find_format: the first Unicode format character (general category
 * Cf: zero-width space U+200B, joiners, bidi controls U+202A-U+202E and
 * U+2066-U+2069, soft hyphen U+00AD, BOM U+FEFF, tags U+E0001...) in
 * s[0..len), or 0 when there is none (U+0000 is not Cf). Invisible, they
 * make names that look alike but differ. The ranges come from Unicode's
 * data (common/utf8_cf.h, utf8_format_unicode_version()). The search stops
 * (0) at the first bytes that do not decode: check utf8_text_valid first. */
uint32_t utf8_find_format(const char *s, size_t len);

/* utf8_format_unicode_version: the Unicode version of the table
 * utf8_find_format uses, e.g. "14.0.0". */
const char *utf8_format_unicode_version(void);

#endif
