/* cf_reference.c -- the unit tests' reference for Unicode category Cf: Python's unicodedata, asked at run time */
#include "cf_reference.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line with the version, then one line of CF_REFERENCE_CODE_POINTS
 * characters, '1' for a Cf code point and '0' for any other. */
#define SCRIPT "import unicodedata as u; print(u.unidata_version); " \
	"print(''.join('1' if u.category(chr(c)) == 'Cf' else '0' for c in range(0x110000)))"

int cf_reference_load(bool *is_cf, char *version, size_t versionlen, char *err, size_t errlen)
{
	const char *python = getenv("MQTTVOTE_PYTHON");
	char cmd[512], *line = NULL;
	size_t cap = 0, cp;
	ssize_t n;
	FILE *p = NULL;
	int rc = -1, status;

	snprintf(cmd, sizeof(cmd), "'%s' -c \"%s\"", python && *python ? python : "python3", SCRIPT);
	p = popen(cmd, "r");
	if (!p) {
		snprintf(err, errlen, "cannot run %s", cmd);
		goto out;
	}
	n = getline(&line, &cap, p);
	if (n < 2) {
		snprintf(err, errlen, "no Unicode version from %s", cmd);
		goto out;
	}
	line[n - 1] = '\0';
	snprintf(version, versionlen, "%s", line);
	n = getline(&line, &cap, p);
	if (n != CF_REFERENCE_CODE_POINTS + 1) {
		snprintf(err, errlen, "expected %d categories from Python, got %zd bytes", CF_REFERENCE_CODE_POINTS, n);
		goto out;
	}
	for (cp = 0; cp < CF_REFERENCE_CODE_POINTS; cp++)
		is_cf[cp] = line[cp] == '1';
	rc = 0;
out:
	free(line);
	if (p) {
		status = pclose(p);
		if (rc == 0 && status != 0) {
			snprintf(err, errlen, "%s exited with status %d", cmd, status);
			rc = -1;
		}
	}
	return rc;
}

size_t cf_reference_encode(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}
