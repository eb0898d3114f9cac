/* SPDX-License-Identifier: MIT */
/*
 * test_mn_journal.c — the host's journal of allocations not saved yet
 * (mn_journal.h): its lines, the strict parser, where ids resume, and the
 * file as appends and rewrites leave it.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mn_journal.h"
#include "testaddr.h"

static void init(void)
{
	odm_log_init("test", ODM_LOG_ERR, 0);
}

TestSuite(mn_journal, .init = init);

static int parse(const char *text, struct mnj_entry **v, size_t *n, char *err)
{
	return mnj_parse(text, strlen(text), v, n, err, 128);
}

Test(mn_journal, a_line_reads_back_as_written)
{
	struct mnj_entry e = { .anchor = A("2001:db8:ca::10"), .bid = 65535 }, *v;
	char line[MNJ_LINE_MAX + 1], err[128];
	size_t n;

	snprintf(e.type, sizeof(e.type), "session-lasting");
	cr_assert_gt(mnj_format(&e, line, sizeof(line)), 0);
	cr_assert_str_eq(line, "2001:db8:ca::10 65535 session-lasting\n");
	cr_assert_eq(parse(line, &v, &n, err), 0, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&v[0].anchor, &e.anchor));
	cr_assert_eq(v[0].bid, 65535);
	cr_assert_str_eq(v[0].type, "session-lasting");
	free(v);
	e.type[0] = '\0';
	cr_assert_gt(mnj_format(&e, line, sizeof(line)), 0);
	cr_assert_str_eq(line, "2001:db8:ca::10 65535 -\n");
	cr_assert_eq(mnj_format(&e, line, 10), -ENOSPC);
}

/* the second line of a binding: its address, once configured */
Test(mn_journal, a_line_with_the_address_reads_back_as_written)
{
	struct mnj_entry e = { .anchor = A("2001:db8:ca::10"), .bid = 7,
			       .addr = A("2001:db8:c4a::7") }, *v;
	char line[MNJ_LINE_MAX + 1], err[128];
	size_t n;

	snprintf(e.type, sizeof(e.type), "session-lasting");
	cr_assert_gt(mnj_format(&e, line, sizeof(line)), 0);
	cr_assert_str_eq(line, "2001:db8:ca::10 7 session-lasting 2001:db8:c4a::7\n");
	cr_assert_eq(parse(line, &v, &n, err), 0, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&v[0].addr, &e.addr));
	cr_assert_eq(v[0].bid, 7);
	free(v);
	/* the longest line fits */
	e.anchor = A("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	e.addr = e.anchor;
	e.bid = 65535;
	snprintf(e.type, sizeof(e.type), "graceful-replacement");
	cr_assert_gt(mnj_format(&e, line, sizeof(line)), 0);
	cr_assert_eq(parse(line, &v, &n, err), 0, "%s", err);
	free(v);
	cr_assert_eq(parse("2001:db8::1 7 -\n", &v, &n, err), 0, "%s", err);
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&v[0].addr), "no address: ::");
	free(v);
}

Test(mn_journal, a_last_line_cut_short_is_left_out)
{
	struct mnj_entry *v;
	char err[128];
	size_t n;

	cr_assert_eq(parse("2001:db8::1 7 -\n2001:db8::1 8 sess", &v, &n, err), 0, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert_eq(v[0].bid, 7);
	free(v);
	cr_assert_eq(parse("", &v, &n, err), 0);
	cr_assert_eq(n, 0);
}

Test(mn_journal, anything_else_is_refused_whole)
{
	static const char *bad[] = {
		"2001:db8::1 7\n",                   /* two words */
		"2001:db8::1 7 - x\n",               /* a fourth that is no address */
		"2001:db8::1 7 - ::\n",              /* nor :: */
		"2001:db8::1 7 - 2001:db8::7 x\n",   /* five */
		"192.0.2.1 7 -\n",                   /* not IPv6 */
		"2001:db8::1 0 -\n",                 /* BID 0 */
		"2001:db8::1 65536 -\n",             /* too large */
		"2001:db8::1 07 -\n",                /* leading zero */
		"2001:db8::1 +7 -\n",
		"2001:db8::1 7x -\n",
		"2001:db8::1 7 plain\n",             /* no such type */
		"2001:db8::1 7 -\n2001:db8::1 8\n",  /* the second line */
	};
	struct mnj_entry *v;
	char err[128];
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(bad[i], &v, &n, err), -EINVAL, "accepted: %s", bad[i]);
		cr_assert_null(v);
		cr_assert_eq(n, 0);
	}
	cr_assert_eq(mnj_parse("2001:db8::1 7 -\0\n", 17, &v, &n, err, sizeof(err)), -EINVAL,
		     "a NUL in a line");
}

Test(mn_journal, ids_resume_past_every_journaled_bid_across_the_wrap)
{
	struct mnj_entry v[3] = { { .bid = 65534 }, { .bid = 3 }, { .bid = 65000 } };

	cr_assert_eq(mnj_resume_id(65530, v, 0), 65530);
	cr_assert_eq(mnj_resume_id(65530, v, 3), 3, "3 comes after 65534 (ids wrap)");
	cr_assert_eq(mnj_resume_id(10, v, 3), 10, "all are behind 10");
}

static int keep_odd(void *arg, const struct mnj_entry *e)
{
	(void)arg;
	return e->bid % 2;
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f, "%s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(mn_journal, appends_reach_the_file_and_a_save_keeps_only_what_is_needed)
{
	char dir[] = "/tmp/odm-mnj-XXXXXX", path[64];
	struct mnjournal j;
	struct mnj_entry e = { .anchor = A("2001:db8:ca::10") };

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/" MN_JOURNAL_FILE, dir);
	cr_assert_eq(mnj_open(&j, dir), 0);
	cr_assert_eq(j.n, 0);
	for (e.bid = 1; e.bid <= 4; e.bid++)
		mnj_append(&j, &e);
	/* each line is on disk as soon as it is appended: a kill loses none */
	cr_assert_str_eq(slurp(path), "2001:db8:ca::10 1 -\n2001:db8:ca::10 2 -\n"
				      "2001:db8:ca::10 3 -\n2001:db8:ca::10 4 -\n");
	mnj_settle(&j, keep_odd, NULL);
	cr_assert_str_eq(slurp(path), "2001:db8:ca::10 1 -\n2001:db8:ca::10 3 -\n");
	e.bid = 5;
	mnj_append(&j, &e); /* to the new file */
	cr_assert_str_eq(slurp(path), "2001:db8:ca::10 1 -\n2001:db8:ca::10 3 -\n"
				      "2001:db8:ca::10 5 -\n");
	mnj_close(&j);
	/* the next run reads what is left */
	cr_assert_eq(mnj_open(&j, dir), 0);
	cr_assert_eq(j.n, 3);
	cr_assert_eq(j.v[2].bid, 5);
	mnj_settle(&j, keep_odd, NULL);
	mnj_close(&j);
	unlink(path);
	rmdir(dir);
}

static int keep_all(void *arg, const struct mnj_entry *e)
{
	(void)arg;
	(void)e;
	return 1;
}

/* The journal holds every live allocation, so it is rewritten only when
 * one ends: an append is in the file already, and a save that keeps every
 * entry leaves the file as it is (the same inode, not a copy renamed over
 * it). */
Test(mn_journal, a_save_that_drops_nothing_rewrites_nothing)
{
	char dir[] = "/tmp/odm-mnj-XXXXXX", path[64];
	struct mnj_entry e = { .anchor = A("2001:db8:ca::10") };
	struct mnjournal j;
	struct stat st;
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/" MN_JOURNAL_FILE, dir);
	cr_assert_eq(mnj_open(&j, dir), 0);
	e.bid = 1;
	mnj_append(&j, &e);
	mnj_settle(&j, keep_all, NULL); /* the first: the file read at open */
	/* the file as it is now: replaced, it is linked nowhere any more */
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	for (e.bid = 2; e.bid <= 3; e.bid++) {
		mnj_append(&j, &e);
		mnj_settle(&j, keep_all, NULL);
	}
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_nlink, 1, "rewritten though nothing was dropped");
	cr_assert_str_eq(slurp(path), "2001:db8:ca::10 1 -\n2001:db8:ca::10 2 -\n"
				      "2001:db8:ca::10 3 -\n");
	mnj_settle(&j, keep_odd, NULL);
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_nlink, 0, "one dropped: rewritten");
	close(fd);
	/* the file removed under the agent: the next save makes it again */
	cr_assert_eq(unlink(path), 0);
	mnj_settle(&j, keep_all, NULL);
	cr_assert_str_eq(slurp(path), "2001:db8:ca::10 1 -\n2001:db8:ca::10 3 -\n");
	cr_assert_str_eq(slurp(path), "2001:db8:ca::10 1 -\n2001:db8:ca::10 3 -\n");
	mnj_close(&j);
	unlink(path);
	rmdir(dir);
}

/* The leases a run took over are journaled once: those the journal it
 * read holds are not written again (a restart loop would grow it), the
 * others (a journal of an earlier version, or one ignored) are appended. */
Test(mn_journal, the_leases_taken_over_are_journaled_once)
{
	char dir[] = "/tmp/odm-mnj-XXXXXX", path[64];
	struct mnj_entry had = { .anchor = A("2001:db8:ca::10"), .bid = 2,
				 .addr = A("2001:db8:c4a::2") };
	struct mnj_entry v[3];
	struct mnjournal j;

	snprintf(had.type, sizeof(had.type), "session-lasting");
	memset(v, 0, sizeof(v));
	v[0] = had;
	v[1] = had;
	v[1].bid = 3;
	v[1].addr = A("2001:db8:c4a::3");
	v[2] = had;
	v[2].anchor = A("2001:db8:cb::10"); /* the same BID at another anchor */
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/" MN_JOURNAL_FILE, dir);
	cr_assert_eq(mnj_open(&j, dir), 0);
	mnj_append(&j, &had);
	mnj_close(&j);
	cr_assert_eq(mnj_open(&j, dir), 0);
	cr_assert_eq(j.n, 1);
	mnj_cover(&j, v, 3);
	cr_assert_eq(j.n, 3);
	cr_assert_str_eq(slurp(path), "2001:db8:ca::10 2 session-lasting 2001:db8:c4a::2\n"
				      "2001:db8:ca::10 3 session-lasting 2001:db8:c4a::3\n"
				      "2001:db8:cb::10 2 session-lasting 2001:db8:c4a::2\n");
	mnj_cover(&j, v, 3);
	cr_assert_eq(j.n, 3, "nothing twice");
	mnj_close(&j);
	unlink(path);
	rmdir(dir);
}

/*
 * A kill in the middle of an append (a line across a page boundary, the
 * second page never written) leaves a part of a line at the end: the next
 * run leaves it out, and its own appends start on a line of their own,
 * not glued to the part (a journal that does not parse is ignored whole,
 * its bindings never deregistered).
 */
Test(mn_journal, a_part_line_left_by_a_kill_is_not_glued_to_the_next_append)
{
	char dir[] = "/tmp/odm-mnj-XXXXXX", path[64];
	struct mnj_entry e = { .anchor = A("2001:db8:ca::10"), .bid = 3 };
	struct mnjournal j;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/" MN_JOURNAL_FILE, dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("2001:db8:ca::10 1 -\n2001:db8:ca::10 2 - 2001:db8:c4", f);
	fclose(f);
	cr_assert_eq(mnj_open(&j, dir), 0);
	cr_assert_eq(j.n, 1, "the part is left out");
	mnj_append(&j, &e);
	mnj_close(&j);
	cr_assert_str_eq(slurp(path), "2001:db8:ca::10 1 -\n2001:db8:ca::10 3 -\n");
	/* killed again before its first save: the run after reads both */
	cr_assert_eq(mnj_open(&j, dir), 0);
	cr_assert_eq(j.n, 2);
	cr_assert_eq(j.v[1].bid, 3);
	mnj_close(&j);
	unlink(path);
	rmdir(dir);
}

/*
 * A full file system takes a part of a line: the journal goes back to its
 * size, so that the next line is not glued to the part (a journal that
 * does not parse is ignored whole). A small tmpfs in a mount namespace of
 * the test's own (root): the file's last page has 10 bytes left, and no
 * page more can be had.
 */
Test(mn_journal, a_short_write_is_cut_back, .init = init)
{
	static char block[4096];
	char dir[] = "/tmp/odm-mnj-XXXXXX", path[64], filler[64];
	struct mnj_entry e = { .anchor = A("2001:db8:ca::10"), .bid = 77 };
	struct mnjournal j;
	struct stat st;
	int fd;

	if (geteuid() != 0)
		cr_skip_test("needs root to mount a small tmpfs");
	cr_assert_not_null(mkdtemp(dir));
	if (unshare(CLONE_NEWNS) < 0)
		cr_skip_test("unshare(CLONE_NEWNS): %s (no mount namespace here)", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	cr_assert_eq(mount("odmtest", dir, "tmpfs", 0, "size=64k,mode=0700"), 0, "%s",
		     strerror(errno));
	snprintf(path, sizeof(path), "%s/" MN_JOURNAL_FILE, dir);
	snprintf(filler, sizeof(filler), "%s/filler", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	memset(block, 'x', sizeof(block));
	block[sizeof(block) - 11] = '\n';
	cr_assert_eq(write(fd, block, sizeof(block) - 10), (ssize_t)sizeof(block) - 10);
	close(fd);
	cr_assert_eq(mnj_open(&j, dir), 0); /* it does not parse: ignored, appended to */
	fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	while (write(fd, block, sizeof(block)) > 0)
		;
	close(fd);
	mnj_append(&j, &e);
	cr_assert_eq(j.last_err, -ENOSPC, "%d", j.last_err);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, (off_t)sizeof(block) - 10, "cut back to %zu, not %lld",
		     sizeof(block) - 10, (long long)st.st_size);
	cr_assert_eq(unlink(filler), 0);
	e.bid = 78;
	mnj_append(&j, &e);
	cr_assert_eq(j.last_err, 0);
	cr_assert_eq(stat(path, &st), 0);
	{
		static const char want[] = "2001:db8:ca::10 78 -\n";
		char got[sizeof(want)] = "";

		cr_assert_eq(st.st_size, (off_t)(sizeof(block) - 10 + strlen(want)), "%lld",
			     (long long)st.st_size);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		cr_assert_eq(pread(fd, got, strlen(want), (off_t)sizeof(block) - 10),
			     (ssize_t)strlen(want));
		close(fd);
		cr_assert_str_eq(got, want, "a whole line after the cut");
	}
	mnj_close(&j);
	cr_assert_eq(umount(dir), 0);
	rmdir(dir);
}
