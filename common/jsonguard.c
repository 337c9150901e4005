/* jsonguard.c -- checks on JSON text that cJSON lets through */
#include "jsonguard.h"

#include <string.h>

bool jsonguard_control_byte(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return true;
	}
	return false;
}

bool jsonguard_escaped_nul(const char *p, size_t len)
{
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\\') {
			run++;
			continue;
		}
		if (run % 2 == 1 && p[i] == 'u' && i + 4 < len && memcmp(p + i + 1, "0000", 4) == 0)
			return true;
		run = 0;
	}
	return false;
}
