/* cf_reference.h -- the unit tests' reference for Unicode category Cf: Python's unicodedata, asked at run time */
#ifndef MQTTVOTE_CF_REFERENCE_H
#define MQTTVOTE_CF_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CF_REFERENCE_CODE_POINTS 0x110000

/* cf_reference_load: runs Python ($MQTTVOTE_PYTHON, else python3) and fills
 * is_cf[cp] (CF_REFERENCE_CODE_POINTS entries) with unicodedata.category(chr(cp))
 * == "Cf", and version (versionlen bytes) with unicodedata.unidata_version.
 * Returns 0, or -1 with the reason in err. */
int cf_reference_load(bool *is_cf, char *version, size_t versionlen, char *err, size_t errlen);

/* cf_reference_encode: writes cp as UTF-8 into out (at least 4 bytes);
 * returns the number of bytes (surrogates are encoded too: 3 bytes). */
size_t cf_reference_encode(uint32_t cp, char *out);

#endif
