/* regfile.h -- opening a file the user named for reading, refusing what is not a regular file */
#ifndef MQTTVOTE_REGFILE_H
#define MQTTVOTE_REGFILE_H

#include <stddef.h>
#include <sys/stat.h>

/* regfile_open: opens path for reading without blocking (a FIFO would
 * wait for a writer) and without becoming its controlling terminal, and
 * checks that it is a regular file. what names the file in the messages
 * ("roll", "key"): "cannot open roll 'p': ...", "cannot read roll 'p':
 * ...", "roll 'p' is not a regular file". Fills *st. Returns the file
 * descriptor (close-on-exec; the caller closes it), or -1 with err set. */
int regfile_open(const char *path, const char *what, struct stat *st, char *err, size_t errlen);

#endif
