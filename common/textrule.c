/* textrule.c -- the Unicode rules of names and questions (ICU): NFC, invisible characters, confusable choices */
#include "textrule.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf16.h>

#include "icuload.h"
#include "utf8.h"

#define BRAILLE_BLANK 0x2800 /* U+2800 BRAILLE PATTERN BLANK: blank, yet not default-ignorable */

/* The ICU objects, made once by init (pthread_once) and then only read,
 * never freed: the NFC normaliser (ICU's own singleton) and the spoof
 * checker (uspoof.h: its checks may run concurrently on one checker). The
 * RGI emoji sequences are asked of ICU's property data directly
 * (u_stringHasBinaryProperty): the set "[:RGI_Emoji:]" would take 157 million
 * instructions to build, and its uset_containsString searches its 3,600
 * strings one by one. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static UErrorCode init_status = U_ZERO_ERROR;
static const struct icu_api *icu; /* ICU, loaded at the first text that is not ASCII (icuload.h) */
static char icu_why[256];
static const UNormalizer2 *nfc;
static USpoofChecker *spoof;

/* The longest RGI emoji sequence, in UTF-16 units: 15 in Unicode 15
 * (U+1F469 U+1F3FB U+200D U+2764 U+FE0F U+200D U+1F48B U+200D U+1F469
 * U+1F3FC, kiss with skin tones); a margin for later versions. */
#define SEQ_MAX 32

static void init(void)
{
	UErrorCode e = U_ZERO_ERROR;

	icu = icuload_api(icu_why, sizeof(icu_why));
	if (!icu)
		return;
	nfc = icu->getNFCInstance(&e);
	if (U_SUCCESS(e))
		spoof = icu->spoofOpen(&e);
	init_status = e;
}

/* ready: loads ICU and makes its objects, once. Returns 0, or -1 with why
 * set. */
static int ready(char *why, size_t whylen)
{
	pthread_once(&once, init);
	if (!icu)
		snprintf(why, whylen, "cannot load Unicode's rules (%s)", icu_why);
	else if (U_FAILURE(init_status))
		snprintf(why, whylen, "cannot load Unicode's rules (ICU: %s)", icu->errorName(init_status));
	else
		return 0;
	return -1;
}

/* emoji_at: the length (UTF-16 units) of the longest RGI emoji sequence
 * of two code points or more at the start of u[0..n), or 0 when none
 * starts there (a lone code point needs no exception); tried only where an
 * emoji may start (the Emoji property: pictographs, digits, '#', '*',
 * regional indicators). */
static int32_t emoji_at(const UChar *u, int32_t n, UChar32 c)
{
	int32_t len;

	if (!icu->hasBinaryProperty(c, UCHAR_EMOJI))
		return 0;
	for (len = n < SEQ_MAX ? n : SEQ_MAX; len > U16_LENGTH(c); len--)
		if (icu->stringHasBinaryProperty(u, len, UCHAR_RGI_EMOJI))
			return len;
	return 0;
}

/* find_invisible: the first code point of u[0..n) that a text may not
 * hold (default-ignorable, format (Cf), or U+2800), or U_SENTINEL when
 * there is none. With emoji, the RGI emoji sequences (the longest at each
 * position) are skipped whole: their joiners, selectors and tags belong.
 * *visible: a code point other than white space was seen before the stop. */
static UChar32 find_invisible(const UChar *u, int32_t n, bool emoji, bool *visible)
{
	int32_t i = 0, k;
	UChar32 c;

	*visible = false;
	while (i < n) {
		U16_GET(u, 0, i, n, c);
		if (emoji && (k = emoji_at(u + i, n - i, c)) > 0) {
			i += k;
			*visible = true;
			continue;
		}
		U16_FWD_1(u, i, n);
		if (c == BRAILLE_BLANK || icu->hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
		    icu->charType(c) == U_FORMAT_CHAR)
			return c;
		if (!icu->isUWhiteSpace(c))
			*visible = true;
	}
	return U_SENTINEL;
}

/* check: textrule_name (name true) or textrule_question. */
static int check(const char *s, size_t max, bool name, char *out, size_t outlen, char *why, size_t whylen)
{
	UChar in[TEXTRULE_MAX], norm[3 * TEXTRULE_MAX]; /* NFC at most triples the UTF-16 length */
	UErrorCode e = U_ZERO_ERROR;
	size_t len = strlen(s), i;
	bool ascii = true, visible = false;
	int32_t n = 0, m, got = 0;
	UChar32 bad;
	int rc = -1;

	if (outlen)
		out[0] = '\0';
	if (whylen)
		why[0] = '\0';
	if (len < 1 || len > max || max > TEXTRULE_MAX || outlen <= max || !utf8_text_valid(s, len))
		goto out;
	for (i = 0; i < len; i++) {
		ascii = ascii && (unsigned char)s[i] < 0x80;
		visible = visible || s[i] != ' ';
	}
	if (ascii) { /* the common case: NFC already, nothing default-ignorable */
		if (name && !visible) {
			snprintf(why, whylen, TEXTRULE_BLANK);
			goto out;
		}
		memcpy(out, s, len + 1);
		rc = 0;
		goto out;
	}
	if (ready(why, whylen) != 0)
		goto out;
	icu->strFromUTF8(in, TEXTRULE_MAX, &n, s, (int32_t)len, &e);
	m = U_SUCCESS(e) ? icu->normalize(nfc, in, n, norm, 3 * TEXTRULE_MAX, &e) : 0;
	if (U_FAILURE(e)) {
		snprintf(why, whylen, "cannot normalise the text (ICU: %s)", icu->errorName(e));
		goto out;
	}
	/* only a text with a suspect code point pays for the emoji sequences */
	bad = find_invisible(norm, m, false, &visible);
	if (bad != U_SENTINEL)
		bad = find_invisible(norm, m, true, &visible);
	if (bad != U_SENTINEL) {
		snprintf(why, whylen, TEXTRULE_INVISIBLE, (unsigned)bad);
		goto out;
	}
	if (name && !visible) {
		snprintf(why, whylen, TEXTRULE_BLANK);
		goto out;
	}
	icu->strToUTF8(out, (int32_t)outlen, &got, norm, m, &e);
	if (e == U_BUFFER_OVERFLOW_ERROR || e == U_STRING_NOT_TERMINATED_WARNING || (size_t)got > max) {
		snprintf(why, whylen, TEXTRULE_LONG_NFC, max);
		goto out;
	}
	if (U_FAILURE(e)) {
		snprintf(why, whylen, "cannot normalise the text (ICU: %s)", icu->errorName(e));
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && outlen)
		out[0] = '\0';
	return rc;
}

int textrule_name(const char *s, size_t max, char *out, size_t outlen, char *why, size_t whylen)
{
	return check(s, max, true, out, outlen, why, whylen);
}

int textrule_question(const char *s, size_t max, char *out, size_t outlen, char *why, size_t whylen)
{
	return check(s, max, false, out, outlen, why, whylen);
}

char *textrule_skeleton(const char *s, char *err, size_t errlen)
{
	UErrorCode e = U_ZERO_ERROR;
	char *sk = NULL;
	int32_t n;

	if (ready(err, errlen) != 0)
		return NULL;
	n = icu->getSkeletonUTF8(spoof, 0, s, -1, NULL, 0, &e);
	if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
		goto fail;
	sk = malloc((size_t)n + 1);
	if (!sk) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e = U_ZERO_ERROR;
	icu->getSkeletonUTF8(spoof, 0, s, -1, sk, n + 1, &e);
	if (U_FAILURE(e))
		goto fail;
	sk[n] = '\0';
	return sk;
fail:
	free(sk);
	snprintf(err, errlen, "cannot compare texts (ICU: %s)", icu->errorName(e));
	return NULL;
}

/* A choice's skeleton and its place in the list. */
struct skel {
	char *sk;
	size_t at;
};

static int by_skeleton(const void *a, const void *b)
{
	const struct skel *x = a, *y = b;
	int c = strcmp(x->sk, y->sk);

	return c ? c : (x->at > y->at) - (x->at < y->at);
}

int textrule_choices_check(const char *const *choices, size_t n, char *why, size_t whylen)
{
	struct skel *v = n ? calloc(n, sizeof(*v)) : NULL;
	size_t i, j, first = SIZE_MAX, like = 0;
	int rc = -1;

	if (whylen)
		why[0] = '\0';
	if (n == 0)
		return 0;
	if (!v) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		v[i].at = i;
		v[i].sk = textrule_skeleton(choices[i], why, whylen);
		if (!v[i].sk)
			goto out;
	}
	qsort(v, n, sizeof(*v), by_skeleton);
	/* in each run of equal skeletons, its second is the first choice of
	 * the run that looks like an earlier one: keep the earliest such */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(v[i].sk, v[j].sk) == 0; j++)
			;
		if (j > i + 1 && v[i + 1].at < first) {
			first = v[i + 1].at;
			like = v[i].at;
		}
	}
	rc = 0;
	if (first != SIZE_MAX) {
		snprintf(why, whylen, TEXTRULE_CONFUSABLE, choices[first], choices[like]);
		rc = 1;
	}
out:
	for (i = 0; i < n; i++)
		free(v[i].sk);
	free(v);
	return rc;
}
