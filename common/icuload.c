/* icuload.c -- ICU, loaded at its first use: the functions the Unicode rules (textrule.c) call */
#include "icuload.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unicode/uversion.h>

#define STR2(x) #x
#define STR(x) STR2(x)
/* the soname of the ICU the headers describe: libicui18n.so.72 */
#define ICU_I18N "libicui18n.so." STR(U_ICU_VERSION_MAJOR_NUM)

/* Loaded by load (pthread_once), then only read. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct icu_api api;
static atomic_bool loaded;
static char load_error[256];

/* The table's entries and the names ICU gives them: STR(u_charType) is
 * "u_charType_72", the headers renaming it. */
#define ENTRY(field, fn) { offsetof(struct icu_api, field), STR(fn) }
static const struct {
	size_t at;
	const char *name;
} entries[] = {
	ENTRY(charType, u_charType),
	ENTRY(errorName, u_errorName),
	ENTRY(hasBinaryProperty, u_hasBinaryProperty),
	ENTRY(isUWhiteSpace, u_isUWhiteSpace),
	ENTRY(strFromUTF8, u_strFromUTF8),
	ENTRY(strToUTF8, u_strToUTF8),
	ENTRY(stringHasBinaryProperty, u_stringHasBinaryProperty),
	ENTRY(getNFCInstance, unorm2_getNFCInstance),
	ENTRY(normalize, unorm2_normalize),
	ENTRY(getSkeletonUTF8, uspoof_getSkeletonUTF8),
	ENTRY(spoofOpen, uspoof_open),
};

static void load(void)
{
	/* libicui18n brings libicuuc; dlsym searches both */
	void *h = dlopen(ICU_I18N, RTLD_NOW | RTLD_LOCAL);
	const char *e;
	size_t k;
	void *fn;

	if (!h) {
		e = dlerror();
		snprintf(load_error, sizeof(load_error), "cannot load ICU: %s", e ? e : ICU_I18N);
		return;
	}
	for (k = 0; k < sizeof(entries) / sizeof(entries[0]); k++) {
		fn = dlsym(h, entries[k].name);
		if (!fn) {
			snprintf(load_error, sizeof(load_error), "cannot load ICU: %s has no %s", ICU_I18N,
				 entries[k].name);
			return; /* h stays loaded: harmless, and the table unused */
		}
		/* POSIX: a function's address from dlsym converts to a function pointer */
		memcpy((char *)&api + entries[k].at, &fn, sizeof(fn));
	}
	loaded = true;
}

const struct icu_api *icuload_api(char *why, size_t whylen)
{
	pthread_once(&once, load);
	if (loaded)
		return &api;
	snprintf(why, whylen, "%s", load_error);
	return NULL;
}

bool icuload_loaded(void)
{
	return loaded;
}
