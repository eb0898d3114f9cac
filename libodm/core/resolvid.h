/* SPDX-License-Identifier: MIT */
/*
 * resolvid.h — whether a resolver configuration file (resolv.conf(5)) is
 * still the one read before, told as the C library tells it: glibc (2.26
 * on) reads /etc/resolv.conf again for the next lookup once its size,
 * inode, mode, modification or change time differ from those of the copy
 * it read (a network manager rewriting it after a move, in place or by
 * renaming a new file over it). A missing file is an identity too: its
 * appearance, or its removal, is a change.
 */
#ifndef ODM_RESOLVID_H
#define ODM_RESOLVID_H

#include <sys/types.h>
#include <time.h>

struct resolvid {
	int exists; /* 0: stat(2) failed; the rest is zero */
	dev_t dev;
	ino_t ino;
	off_t size;
	mode_t mode;
	struct timespec mtime, ctime;
};

/* path's identity now (one stat(2)) into *id */
void resolvid_read(const char *path, struct resolvid *id);

/* Pure: 1 if a and b are the same file, unchanged; 0 if not */
int resolvid_same(const struct resolvid *a, const struct resolvid *b);

#endif
