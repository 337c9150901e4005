/* errtext.h -- error texts as this project prints them: lower case, no final period */
#ifndef MQTTVOTE_ERRTEXT_H
#define MQTTVOTE_ERRTEXT_H

#include <stddef.h>

/* errtext_tidy: lower-cases s in place and drops a final period, so that a
 * library's "Connection refused." reads "connection refused" after our
 * "cannot connect to host:port: ". Returns s. */
char *errtext_tidy(char *s);

/* errtext_errno: strerror(err), tidied, into buf (size bytes). Returns buf. */
char *errtext_errno(int err, char *buf, size_t size);

#endif
