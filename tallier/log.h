/* log.h -- the tallier's log lines on stderr */
#ifndef MQTTVOTE_LOG_H
#define MQTTVOTE_LOG_H

#include <stddef.h>

/* log_line: writes "tallier: <formatted text>\n" to stderr as one write. */
void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_clean: copies s[0..len) into buf (size bytes) with control bytes
 * and backslashes written as \xNN, cut short to fit. Returns buf. */
const char *log_clean(const char *s, size_t len, char *buf, size_t size);

#endif
