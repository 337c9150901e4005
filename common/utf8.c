/* utf8.c -- validation of the short UTF-8 texts that ballots carry */
#include "utf8.h"

#include <stdint.h>

/* decode: decodes one code point at s[0..len) into *cp; returns its length
 * in bytes, or 0 when the sequence is malformed (overlong, surrogate, too
 * large, truncated, bad continuation byte). */
static size_t decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n, i;
	uint32_t c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		n = 2; c &= 0x1F; min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3; c &= 0x0F; min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4; c &= 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/* find: decodes s[0..len) and stops at the first code point for which
 * wanted(cp) is true: returns 1 with it in *cp, -1 at the first sequence
 * that does not decode, 0 when it reaches len. */
static int find(const char *s, size_t len, bool (*wanted)(uint32_t), uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		n = decode(p + i, len - i, cp);
		if (n == 0)
			return -1;
		if (wanted(*cp))
			return 1;
		i += n;
	}
	return 0;
}

/* is_control: U+0000-U+001F, U+007F-U+009F. */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

bool utf8_text_valid(const char *s, size_t len)
{
	uint32_t cp;

	return find(s, len, is_control, &cp) == 0;
}
