/* SPDX-License-Identifier: MIT */
/* resolvid.c — the identity of a resolver configuration file (see resolvid.h). */
#include <string.h>
#include <sys/stat.h>

#include "resolvid.h"

void resolvid_read(const char *path, struct resolvid *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (stat(path, &st) != 0)
		return;
	id->exists = 1;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mode = st.st_mode;
	id->mtime = st.st_mtim;
	id->ctime = st.st_ctim;
}

static int same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

int resolvid_same(const struct resolvid *a, const struct resolvid *b)
{
	if (a->exists != b->exists)
		return 0;
	if (!a->exists)
		return 1;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mode == b->mode &&
	       same_time(&a->mtime, &b->mtime) && same_time(&a->ctime, &b->ctime);
}
