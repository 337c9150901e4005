/* icuload.h -- ICU, loaded at its first use: the functions the Unicode rules (textrule.c) call */
#ifndef MQTTVOTE_ICULOAD_H
#define MQTTVOTE_ICULOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>

/* The ICU functions textrule.c calls, with the types of the headers it was
 * built with (ICU renames its functions per version: u_charType is
 * u_charType_72 in ICU 72, which is what is looked up). */
struct icu_api {
	__typeof__(&u_charType) charType;
	__typeof__(&u_errorName) errorName;
	__typeof__(&u_hasBinaryProperty) hasBinaryProperty;
	__typeof__(&u_isUWhiteSpace) isUWhiteSpace;
	__typeof__(&u_strFromUTF8) strFromUTF8;
	__typeof__(&u_strToUTF8) strToUTF8;
	__typeof__(&u_stringHasBinaryProperty) stringHasBinaryProperty;
	__typeof__(&unorm2_getNFCInstance) getNFCInstance;
	__typeof__(&unorm2_normalize) normalize;
	__typeof__(&uspoof_getSkeletonUTF8) getSkeletonUTF8;
	__typeof__(&uspoof_open) spoofOpen;
};

/* icuload_api: ICU's functions, the library (libicui18n of the version
 * the project was built with, and libicuuc with it) loaded at the first
 * call, once per process, and never unloaded: a text that is all ASCII
 * never needs ICU, and a process that loads ICU's two libraries at its
 * start pays about 4 ms for them (measured: bench/results). Returns the
 * table, or NULL with the reason in why ("cannot load ICU: libicui18n.so.72:
 * cannot open shared object file..."). Thread-safe. */
const struct icu_api *icuload_api(char *why, size_t whylen);

/* icuload_loaded: whether ICU was loaded by this process (for the tests). */
bool icuload_loaded(void);

#endif
