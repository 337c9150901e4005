/* regfile.c -- opening a file the user named for reading, refusing what is not a regular file */
#include "regfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "errtext.h"

int regfile_open(const char *path, const char *what, struct stat *st, char *err, size_t errlen)
{
	char why[256];
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s '%s': %s", what, path, errtext_errno(errno, why, sizeof(why)));
		return -1;
	}
	if (fstat(fd, st) != 0) {
		snprintf(err, errlen, "cannot read %s '%s': %s", what, path, errtext_errno(errno, why, sizeof(why)));
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s '%s' is not a regular file", what, path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}
