/* SPDX-License-Identifier: MIT */
/* test_resolvid.c — the identity of a resolver configuration file
 * (libodm/core/resolvid.h), on files of the test's own. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resolvid.h"

/* path holds text (opened with O_TRUNC: the same inode if it was there) */
static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	cr_assert_eq(fclose(f), 0);
}

/*
 * What a network manager does to resolv.conf after a move is seen: a
 * rewrite in place with text of the same length (one server for another),
 * and a new file renamed over it (resolvconf, systemd-resolved's stub
 * replaced); the file untouched is the same; a missing file is an
 * identity of its own.
 */
Test(resolvid, rewrites_in_place_and_renames_are_changes)
{
	char dir[] = "/tmp/odm-resolvid-XXXXXX", path[64], tmp[64];
	struct resolvid a, b;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	snprintf(tmp, sizeof(tmp), "%s/resolv.conf.new", dir);
	put(path, "nameserver 192.0.2.1\n");
	resolvid_read(path, &a);
	resolvid_read(path, &b);
	cr_assert(a.exists);
	cr_assert(resolvid_same(&a, &b), "untouched: the same");
	/* file times advance by the kernel's clock tick (a few ms): a rewrite
	 * within the same tick, of the same length, is not seen, by glibc
	 * either; after a move it comes much later */
	usleep(30 * 1000);
	put(path, "nameserver 192.0.2.2\n");
	resolvid_read(path, &b);
	cr_assert_eq(a.ino, b.ino, "rewritten in place");
	cr_assert_eq(a.size, b.size);
	cr_assert_not(resolvid_same(&a, &b), "a rewrite in place of the same length");
	resolvid_read(path, &a);
	put(tmp, "nameserver 192.0.2.2\n");
	cr_assert_eq(rename(tmp, path), 0);
	resolvid_read(path, &b);
	cr_assert_not(resolvid_same(&a, &b), "a new file renamed over it");
	cr_assert_eq(unlink(path), 0);
	resolvid_read(path, &a);
	cr_assert_not(a.exists);
	cr_assert_not(resolvid_same(&a, &b), "removed");
	resolvid_read(path, &b);
	cr_assert(resolvid_same(&a, &b), "missing, still missing");
	rmdir(dir);
}
