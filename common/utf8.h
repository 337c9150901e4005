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

#endif
