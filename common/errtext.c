/* errtext.c -- error texts as this project prints them: lower case, no final period */
#include "errtext.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

char *errtext_tidy(char *s)
{
	size_t n = strlen(s);
	char *p;

	for (p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (n && s[n - 1] == '.')
		s[n - 1] = '\0';
	return s;
}

char *errtext_errno(int err, char *buf, size_t size)
{
	snprintf(buf, size, "%s", strerror(err));
	return errtext_tidy(buf);
}
