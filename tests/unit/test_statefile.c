/* SPDX-License-Identifier: MIT */
/*
 * test_statefile.c — the agents' state across restarts: atomic replacement
 * of the file (also under kill -9 at random moments), the strict JSON codec,
 * and the restore decisions of both roles (which leases and bindings are
 * taken over, counters resumed past the stored ones, re-keying on reload,
 * the Binding Error for a lost binding and its rate limit).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "anchor.h"
#include "config.h"
#include "lease.h"
#include "log.h"
#include "logread.h"
#include "mn_state.h"
#include "odm.h"
#include "registration.h"
#include "state.h"
#include "statefile.h"
#include "testaddr.h"
#include "watchdog.h"

#define NOW_WALL 1700000000000LL /* ms */
#define NOW_MONO 5000000ULL      /* ms */

static char dir[64];

static void setup(void)
{
	odm_log_init("test", ODM_LOG_ERR, 0);
	snprintf(dir, sizeof(dir), "/tmp/odm-state-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(statefile, .init = setup, .fini = teardown);
TestSuite(state, .init = setup, .fini = teardown);

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* ---- atomic file ---- */

Test(statefile, saves_reads_back_and_skips_unchanged_text)
{
	struct statefile sf, again;
	char *text;
	size_t len;

	cr_assert_eq(statefile_open(&sf, dir, "x.json"), 0);
	cr_assert_eq(statefile_read(&sf, &text, &len), -ENOENT);
	cr_assert_eq(statefile_save(&sf, "{\"a\":1}", 7), 1);
	cr_assert_eq(statefile_save(&sf, "{\"a\":1}", 7), 0, "same text: nothing written");
	cr_assert_eq(sf.writes, 1);
	cr_assert_eq(statefile_save(&sf, "{\"a\":2}", 7), 1);
	cr_assert_eq(sf.writes, 2);
	cr_assert_not(exists(sf.tmp), "no temporary file is left");
	cr_assert_eq(statefile_open(&again, dir, "x.json"), 0);
	cr_assert_eq(statefile_read(&again, &text, &len), 0);
	cr_assert_eq(len, 7);
	cr_assert_str_eq(text, "{\"a\":2}");
	cr_assert_eq(statefile_save(&again, text, len), 0, "what was read counts as written");
	free(text);
	cr_assert_eq(statefile_remove(&again), 0);
	cr_assert_not(exists(again.path));
	statefile_close(&again);
	statefile_close(&sf);
}

/* The policy file is the administrator's: a save keeps its mode (and, for
 * root, its owner and group) where agent state is made 0600 */
Test(statefile, keep_perms_keeps_the_mode_and_owner_of_the_file_replaced)
{
	struct statefile sf;
	struct stat st;

	cr_assert_eq(statefile_open(&sf, dir, "policy.conf"), 0);
	cr_assert_eq(statefile_save(&sf, "default fixed\n", 14), 1);
	cr_assert_eq(stat(sf.path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "state: 0600, not %04o", st.st_mode & 07777);
	cr_assert_eq(chmod(sf.path, 0644), 0);
	statefile_keep_perms(&sf);
	cr_assert_eq(statefile_save(&sf, "default non-persistent\n", 23), 1);
	cr_assert_eq(stat(sf.path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644, "kept 0644, not %04o", st.st_mode & 07777);
	if (geteuid() == 0) {
		cr_assert_eq(chown(sf.path, 1, 2), 0);
		cr_assert_eq(chmod(sf.path, 0640), 0);
		cr_assert_eq(statefile_save(&sf, "default fixed\n", 14), 1);
		cr_assert_eq(stat(sf.path, &st), 0);
		cr_assert_eq(st.st_mode & 07777, 0640);
		cr_assert(st.st_uid == 1 && st.st_gid == 2, "owner %u:%u, not 1:2",
			  (unsigned)st.st_uid, (unsigned)st.st_gid);
	}
	cr_assert_not(exists(sf.tmp), "no temporary file is left");
	statefile_close(&sf);
}

/*
 * The policy file's ACL (a group the administrator let edit it, acl(5))
 * goes with each copy, as its mode does: a new file has none, and the
 * first policy add or del took the group's right away.
 */
Test(statefile, keep_perms_keeps_the_acl_of_the_file_replaced)
{
	/* acl(5) as the kernel stores it (system.posix_acl_access, version
	 * 2): user::rw- user:1234:rw- group::r-- mask::rw- other::--- */
	static const unsigned char acl[] = { 2, 0, 0, 0, 1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
					     2, 0, 6, 0, 0xd2, 4, 0, 0, 4, 0, 4, 0, 0xff, 0xff,
					     0xff, 0xff, 0x10, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
					     0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
	unsigned char got[sizeof(acl) + 16];
	struct statefile sf;
	ssize_t n;

	cr_assert_eq(statefile_open(&sf, dir, "policy.conf"), 0);
	cr_assert_eq(statefile_save(&sf, "default fixed\n", 14), 1);
	if (setxattr(sf.path, "system.posix_acl_access", acl, sizeof(acl), 0) < 0)
		cr_skip_test("no ACLs on %s: %s", dir, strerror(errno));
	statefile_keep_perms(&sf);
	cr_assert_eq(statefile_save(&sf, "default non-persistent\n", 23), 1);
	n = getxattr(sf.path, "system.posix_acl_access", got, sizeof(got));
	cr_assert_eq(n, (ssize_t)sizeof(acl), "the new copy's ACL: %zd bytes (%s)", n,
		     n < 0 ? strerror(errno) : "");
	cr_assert_eq(memcmp(got, acl, sizeof(acl)), 0, "not the same ACL");
	statefile_close(&sf);
}

/*
 * Whatever stands at the temporary name is not written through: in a
 * directory others may write (the policy file's), a hard link there to
 * another file took the new text (and the policy file's mode and owner),
 * and a FIFO there held the agent in open(2) for good. The copy is a new
 * file; the save goes through, the other file is untouched.
 */
Test(statefile, a_file_at_the_temporary_name_is_not_written_through)
{
	char victim[96], buf[32];
	struct statefile sf;
	struct stat st;
	FILE *f;

	unit_watchdog(10);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	cr_assert_not_null(f);
	fputs("victim's text\n", f);
	fclose(f);
	cr_assert_eq(chmod(victim, 0640), 0);
	cr_assert_eq(statefile_open(&sf, dir, "policy.conf"), 0);
	cr_assert_eq(statefile_save(&sf, "default fixed\n", 14), 1);
	cr_assert_eq(chmod(sf.path, 0644), 0);
	statefile_keep_perms(&sf);
	cr_assert_eq(link(victim, sf.tmp), 0);
	cr_assert_eq(statefile_save(&sf, "default non-persistent\n", 23), 1);
	f = fopen(victim, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	cr_assert_str_eq(buf, "victim's text\n", "the linked file was written through");
	cr_assert_eq(stat(victim, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0640, "nor its mode changed (%04o)", st.st_mode & 07777);
	cr_assert_eq(st.st_nlink, 1, "nor is it the policy file now");
	/* a FIFO nobody reads: the save neither blocks nor fails */
	cr_assert_eq(mkfifo(sf.tmp, 0600), 0);
	cr_assert_eq(statefile_save(&sf, "default fixed\n", 14), 1);
	cr_assert_eq(stat(sf.path, &st), 0);
	cr_assert(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644);
	cr_assert_not(exists(sf.tmp), "no temporary file is left");
	statefile_close(&sf);
}

/*
 * statefile_save(sf, text) in a child whose only group is gid and whose
 * effective set lacks CAP_CHOWN and CAP_FOWNER, or only CAP_FOWNER (the
 * agent given CAP_CHOWN, odmagent(8) Privileges); what it returned
 */
static int save_in_child(struct statefile *sf, gid_t gid, int keep_chown, const char *text)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int st;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (setgroups(1, &gid) < 0 || syscall(SYS_capget, &hdr, data) < 0)
			_exit(100);
		data[0].effective &= ~(1u << CAP_FOWNER);
		if (!keep_chown)
			data[0].effective &= ~(1u << CAP_CHOWN);
		if (syscall(SYS_capset, &hdr, data) < 0)
			_exit(101);
		_exit(10 + statefile_save(sf, text, strlen(text)));
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) < 100, "child status %d", st);
	return WEXITSTATUS(st) - 10;
}

/* A policy file of another owner: with CAP_CHOWN but not CAP_FOWNER the
 * agent still saves it, mode, owner and group kept (the mode is given
 * before the owner); without CAP_CHOWN it keeps the group the agent is in */
Test(statefile, keep_perms_saves_another_owners_file_without_cap_fowner)
{
	struct statefile sf;
	struct stat st;

	if (geteuid() != 0)
		cr_skip_test("needs root (chown, setgroups, capset)");
	cr_assert_eq(statefile_open(&sf, dir, "policy.conf"), 0);
	statefile_keep_perms(&sf);
	cr_assert_eq(statefile_save(&sf, "default fixed\n", 14), 1);
	cr_assert_eq(chown(sf.path, 1, 2), 0);
	cr_assert_eq(chmod(sf.path, 0640), 0);
	cr_assert_eq(save_in_child(&sf, 0, 1, "default non-persistent\n"), 1,
		     "saved with CAP_CHOWN and without CAP_FOWNER");
	cr_assert_eq(stat(sf.path, &st), 0);
	cr_assert(st.st_uid == 1 && st.st_gid == 2 && (st.st_mode & 07777) == 0640,
		  "%u:%u %04o, not 1:2 0640", (unsigned)st.st_uid, (unsigned)st.st_gid,
		  st.st_mode & 07777);
	cr_assert_eq(save_in_child(&sf, 2, 0, "default session-lasting\n"), 1,
		     "saved without CAP_CHOWN");
	cr_assert_eq(stat(sf.path, &st), 0);
	cr_assert(st.st_uid == 0 && st.st_gid == 2 && (st.st_mode & 07777) == 0640,
		  "%u:%u %04o, not 0:2 0640 (the owner cannot be given, the group can)",
		  (unsigned)st.st_uid, (unsigned)st.st_gid, st.st_mode & 07777);
	cr_assert_not(exists(sf.tmp), "no temporary file is left");
	statefile_close(&sf);
}

/* A FIFO, a directory or a device where the file should be is refused at
 * once (never waited on: a FIFO's open would block until a writer came) */
Test(statefile, read_refuses_what_is_not_a_regular_file)
{
	struct statefile sf;
	char *text = NULL, path[128];
	size_t len;

	unit_watchdog(5);

	cr_assert_eq(statefile_open(&sf, dir, "fifo"), 0);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(statefile_read(&sf, &text, &len), -EINVAL);
	cr_assert_str_eq(statefile_strerror(-EINVAL), "not a regular file");
	statefile_close(&sf);
	cr_assert_eq(statefile_open(&sf, dir, "d"), 0);
	snprintf(path, sizeof(path), "%s/d", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_assert_eq(statefile_read(&sf, &text, &len), -EINVAL);
	statefile_close(&sf);
	cr_assert_null(text);
}

/* Without fsync the file is still replaced whole: the reader sees the last
 * text saved, and no temporary file stays (the time saved is measured by
 * make bench's setsc_to with a new CHoA, not asserted here). */
/* how many lines of text hold s */
static int lines_with(const char *text, const char *s)
{
	int n = 0;

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n'), *hit = strstr(p, s);

		n += hit && (!nl || hit < nl);
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

Test(statefile, failed_commits_are_said_once_and_tried_again, .init = cr_redirect_stderr)
{
	static char log[8192];
	struct statefile sf;
	char tmp[128], *text;
	size_t len;

	/* the suite's setup has run: dir is there */
	odm_log_init("test", ODM_LOG_INFO, 0);
	cr_assert_eq(statefile_open(&sf, dir, "s.json"), 0);
	cr_assert_eq(statefile_commit(&sf, strdup("{\"v\":1}")), 1);
	/* the temporary file's name taken by a directory: every save fails */
	snprintf(tmp, sizeof(tmp), "%s/.s.json.tmp", dir);
	cr_assert_eq(mkdir(tmp, 0700), 0);
	for (int i = 0; i < 5; i++)
		cr_assert_lt(statefile_commit(&sf, strdup("{\"v\":2}")), 0);
	cr_assert_eq(sf.failures, 5);
	cr_assert_eq(statefile_commit(&sf, NULL), -ENOMEM, "no text: an error of its own");
	cr_assert_eq(sf.failures, 6);
	/* the same text once the way is free: written, not "unchanged" */
	cr_assert_eq(rmdir(tmp), 0);
	cr_assert_eq(statefile_commit(&sf, strdup("{\"v\":2}")), 1);
	cr_assert_eq(sf.failures, 0);
	cr_assert_eq(statefile_read(&sf, &text, &len), 0);
	cr_assert_str_eq(text, "{\"v\":2}");
	free(text);
	statefile_close(&sf);
	/* warned for the first failure and for the change of error, then
	 * told that it works again */
	log_read(log, sizeof(log));
	cr_assert_eq(lines_with(log, "warn: statefile_account: saving"), 2, "%s", log);
	cr_assert_eq(lines_with(log, "saved again, after 6 failed attempt(s)"), 1, "%s", log);
}

Test(statefile, a_volatile_file_is_still_replaced_whole)
{
	struct statefile sf, again;
	char *text;
	size_t len;

	cr_assert_eq(statefile_open(&sf, dir, "v.json"), 0);
	statefile_set_volatile(&sf);
	cr_assert_eq(statefile_save(&sf, "{\"v\":1}", 7), 1);
	cr_assert_eq(statefile_save(&sf, "{\"v\":22}", 8), 1);
	cr_assert_not(exists(sf.tmp));
	cr_assert_eq(statefile_open(&again, dir, "v.json"), 0);
	cr_assert_eq(statefile_read(&again, &text, &len), 0);
	cr_assert_str_eq(text, "{\"v\":22}");
	free(text);
	statefile_close(&again);
	statefile_close(&sf);
}

Test(statefile, creates_its_directory_private_and_refuses_bad_names)
{
	struct statefile sf;
	char sub[96];
	struct stat st;

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	cr_assert_eq(statefile_open(&sf, sub, "x.json"), 0);
	cr_assert_eq(stat(sub, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	cr_assert_eq(statefile_save(&sf, "1", 1), 1);
	cr_assert_eq(stat(sf.path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	statefile_close(&sf);
	cr_assert_eq(statefile_open(&sf, dir, "../x"), -EINVAL);
	cr_assert_eq(statefile_open(&sf, "", "x"), -EINVAL);
}

/* blocks allocated to path, in bytes (0 if there is no such file) */
static long long allocated(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_blocks * 512 : 0;
}

Test(statefile, a_reserve_is_kept_grown_with_the_state_and_removed_with_it)
{
	struct statefile sf;
	char path[128], *big;
	size_t n = 200 * 1024;

	cr_assert_eq(statefile_open(&sf, dir, "r.json"), 0);
	snprintf(path, sizeof(path), "%s/.r.json.reserve", dir);
	cr_assert_eq(statefile_keep_reserve(&sf), 0);
	cr_assert_str_eq(sf.reserve, path);
	cr_assert_geq(allocated(path), STATEFILE_RESERVE_MIN, "blocks allocated, not a hole");
	cr_assert_eq(statefile_keep_reserve(&sf), 0, "already there: nothing to do");
	/* a larger state: one and a half copies, in 64 KiB steps */
	big = malloc(n + 1);
	cr_assert_not_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	cr_assert_eq(statefile_commit(&sf, big), 1);
	cr_assert_geq(allocated(path), 320 * 1024, "%lld", allocated(path));
	/* a save another process made (the anchor's child): sized by the
	 * file on disk, not by the text this one forgot */
	cr_assert_eq(unlink(path), 0);
	statefile_forget(&sf);
	statefile_account(&sf, 1, "in a child");
	cr_assert_geq(allocated(path), 320 * 1024, "%lld", allocated(path));
	cr_assert_eq(statefile_remove(&sf), 0);
	cr_assert_not(exists(path), "removed with the file");
	statefile_close(&sf);
	/* something not a file in its place is left alone and said */
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_assert_eq(statefile_open(&sf, dir, "r.json"), 0);
	cr_assert_eq(statefile_keep_reserve(&sf), -EINVAL);
	cr_assert_eq(sf.reserve_short, 1);
	statefile_close(&sf);
	cr_assert_eq(rmdir(path), 0);
}

/* fill the file system of path's directory to the last block */
static void fill(const char *path)
{
	static char block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	cr_assert_geq(fd, 0);
	while (write(fd, block, sizeof(block)) > 0)
		;
	cr_assert_eq(errno, ENOSPC);
	close(fd);
}

/* On a full file system the reserve is given up for the save, which lands;
 * a file without one fails as before; the reserve comes back once there is
 * room. A small tmpfs in a mount namespace of the test's own (root). */
Test(statefile, a_full_file_system_takes_the_reserve_for_the_save,
     .init = cr_redirect_stderr)
{
	static char log[8192];
	struct statefile sf, bare;
	char fs[96], filler[128], *text;
	size_t len;

	odm_log_init("test", ODM_LOG_INFO, 0);
	if (geteuid() != 0)
		cr_skip_test("needs root to mount a small tmpfs");
	snprintf(fs, sizeof(fs), "%s/fs", dir);
	cr_assert_eq(mkdir(fs, 0700), 0);
	if (unshare(CLONE_NEWNS) < 0)
		cr_skip_test("unshare(CLONE_NEWNS): %s (no mount namespace here)", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	cr_assert_eq(mount("odmtest", fs, "tmpfs", 0, "size=512k,mode=0700"), 0,
		     "%s", strerror(errno));
	cr_assert_eq(statefile_open(&sf, fs, "f.json"), 0);
	cr_assert_eq(statefile_open(&bare, fs, "bare.json"), 0);
	cr_assert_eq(statefile_keep_reserve(&sf), 0);
	cr_assert_eq(statefile_save(&sf, "{\"v\":1}", 7), 1);
	snprintf(filler, sizeof(filler), "%s/filler", fs);
	fill(filler);
	cr_assert_eq(statefile_save(&bare, "{\"v\":1}", 7), -ENOSPC, "no reserve: fails");
	cr_assert_eq(statefile_commit(&sf, strdup("{\"v\":22}")), 1, "the reserve's room");
	cr_assert_eq(allocated(sf.reserve), 0, "the reserve is gone");
	cr_assert_eq(sf.reserve_short, 1, "and cannot be made again yet");
	/* saves go on in the room it left */
	for (int i = 0; i < 20; i++) {
		char t[32];

		snprintf(t, sizeof(t), "{\"v\":%d}", 100 + i);
		cr_assert_eq(statefile_commit(&sf, strdup(t)), 1, "save %d", i);
	}
	cr_assert_eq(statefile_read(&sf, &text, &len), 0);
	cr_assert_str_eq(text, "{\"v\":119}");
	free(text);
	/* room again: the next save puts it back */
	cr_assert_eq(unlink(filler), 0);
	cr_assert_eq(statefile_commit(&sf, strdup("{\"v\":3}")), 1);
	cr_assert_geq(allocated(sf.reserve), STATEFILE_RESERVE_MIN);
	cr_assert_eq(sf.reserve_short, 0);
	statefile_close(&sf);
	statefile_close(&bare);
	log_read(log, sizeof(log));
	cr_assert_eq(lines_with(log, "the file system is full: the reserve"), 1, "%s", log);
	cr_assert_eq(lines_with(log, "no reserve of 65536 bytes"), 1, "said once: %s", log);
	cr_assert_eq(lines_with(log, "is kept again"), 1, "%s", log);
	cr_assert_eq(umount2(fs, MNT_DETACH), 0);
}

Test(statefile, a_torn_temporary_file_does_not_reach_the_reader)
{
	struct statefile sf;
	char *text;
	size_t len;
	int fd;

	cr_assert_eq(statefile_open(&sf, dir, "x.json"), 0);
	cr_assert_eq(statefile_save(&sf, "old", 3), 1);
	/* a crash in the middle of the next save leaves its temporary file */
	fd = open(sf.tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "ne", 2), 2);
	close(fd);
	cr_assert_eq(statefile_read(&sf, &text, &len), 0);
	cr_assert_str_eq(text, "old");
	free(text);
	/* and the next save replaces both */
	cr_assert_eq(statefile_save(&sf, "new", 3), 1);
	cr_assert_not(exists(sf.tmp));
	statefile_close(&sf);
}

Test(statefile, refuses_a_file_above_the_limit)
{
	struct statefile sf;
	char *text = NULL;
	size_t len;
	int fd;

	cr_assert_eq(statefile_open(&sf, dir, "x.json"), 0);
	fd = open(sf.path, O_WRONLY | O_CREAT, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (off_t)STATEFILE_MAX + 1), 0);
	close(fd);
	cr_assert_eq(statefile_read(&sf, &text, &len), -EFBIG);
	cr_assert_null(text);
	statefile_close(&sf);
}

/*
 * kill -9 at random moments of a process that saves versions one after
 * another: whenever it died, the file holds one complete version (never a
 * mix, never empty), and a version no older than the last one it finished.
 */
Test(statefile, survives_kill_9_at_any_moment)
{
	struct statefile sf;
	char *text, want[64];
	size_t len;
	int pfd[2];

	unit_watchdog(60);

	cr_assert_eq(statefile_open(&sf, dir, "x.json"), 0);
	snprintf(want, sizeof(want), "v0 %040d", 0);
	cr_assert_eq(statefile_save(&sf, want, strlen(want)), 1);
	srand(7);
	for (int round = 0; round < 30; round++) {
		pid_t pid;
		int st, last = -1;
		ssize_t k;

		cr_assert_eq(pipe(pfd), 0);
		pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0) {
			struct statefile c;

			close(pfd[0]);
			if (statefile_open(&c, dir, "x.json") < 0)
				_exit(1);
			for (int v = 1;; v++) {
				char t[64];
				int n = snprintf(t, sizeof(t), "v%d %040d", v, v);

				if (statefile_save(&c, t, (size_t)n) != 1)
					_exit(1);
				/* tell the parent this version is complete */
				if (write(pfd[1], &v, sizeof(v)) != sizeof(v))
					_exit(1);
			}
		}
		close(pfd[1]);
		usleep((useconds_t)(rand() % 3000));
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		cr_assert(WIFSIGNALED(st), "the saver failed on its own");
		while ((k = read(pfd[0], &st, sizeof(st))) == sizeof(st))
			last = st;
		close(pfd[0]);
		cr_assert_eq(statefile_read(&sf, &text, &len), 0);
		{
			int v = atoi(text + 1);

			snprintf(want, sizeof(want), "v%d %040d", v, v);
			cr_assert_str_eq(text, want, "round %d: torn file", round);
			cr_assert_geq(v, last, "round %d: version %d older than finished %d", round,
				      v, last);
		}
		cr_assert_eq(len, strlen(text));
		free(text);
	}
	statefile_close(&sf);
}

/* ---- codec ---- */

static struct state_mn mk_mn(void)
{
	static struct state_mn_anchor an[2];
	static struct state_mn_lease ls[2];
	struct state_mn s = { .anchors = an, .n_anchors = 2, .leases = ls, .n_leases = 2 };

	memset(an, 0, sizeof(an));
	memset(ls, 0, sizeof(ls));
	snprintf(s.nai, sizeof(s.nai), "mn1@example.org");
	s.last_id = 41;
	an[0].addr = A("2001:db8:ca::10");
	an[0].seq = 65530;
	an[0].last_ts = 0xfedcba9876543210ULL; /* above 2^53 */
	an[1].addr = A("2001:db8:cb::10");
	an[1].seq = 3;
	an[1].last_ts = 1;
	for (int i = 0; i < 2; i++) {
		ls[i].bid = (uint16_t)(40 + i);
		ls[i].type = ODM_TYPE_SESSION_LASTING;
		ls[i].proto = i ? IPPROTO_UDP : IPPROTO_TCP;
		ls[i].addr = A(i ? "2001:db8:c4a::2" : "2001:db8:c4a::1");
		ls[i].anchor = an[i].addr;
		ls[i].dst = A("2001:db8:c0::10");
		ls[i].uid = 1000;
		ls[i].pid = 4242 + i;
		ls[i].created_ms = NOW_WALL - 10000;
		ls[i].expires_ms = NOW_WALL + 290000 - 100000 * i;
	}
	/* the second lease is an access claim users 1000, 1001 and 0 share */
	ls[1].holders[0] = 1000;
	ls[1].holders[1] = 1001;
	ls[1].holders[2] = 0;
	ls[1].n_holders = 3;
	ls[0].fresh = 1; /* the first was made for IPV6_REQUIRE_SRC_ON_NET */
	return s;
}

Test(state, mn_round_trip)
{
	struct state_mn s = mk_mn(), d;
	char err[200], *text = state_mn_encode(&s);

	cr_assert_not_null(text);
	cr_assert_eq(state_mn_decode(text, strlen(text), &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(d.nai, s.nai);
	cr_assert_eq(d.last_id, 41);
	cr_assert_eq(d.n_anchors, 2);
	cr_assert_eq(d.n_leases, 2);
	cr_assert_eq(d.anchors[0].last_ts, 0xfedcba9876543210ULL);
	cr_assert_eq(d.anchors[0].seq, 65530);
	cr_assert_eq(memcmp(d.leases, s.leases, 2 * sizeof(*d.leases)), 0);
	state_mn_free(&d);
	free(text);
}

/* s (its pool set here: 2001:db8:c4a::/64) encoded and decoded into d:
 * the text, to free */
static char *round_trip(struct state_anchor *s, struct state_anchor *d)
{
	char err[200], *text;

	s->pool = A("2001:db8:c4a::");
	s->pool_plen = 64;
	text = state_anchor_encode(s);
	cr_assert_not_null(text);
	cr_assert_eq(state_anchor_decode(text, strlen(text), d, err, sizeof(err)), 0, "%s", err);
	return text;
}

Test(state, anchor_round_trip)
{
	struct state_anchor_ident id = { .seq = 9, .last_ts = 123456789012345ULL };
	struct state_anchor_binding b = { .bid = 7, .seq = 9, .lifetime = 75,
					  .expires_ms = NOW_WALL + 300000 };
	struct state_anchor s = { .idents = &id, .n_idents = 1, .bindings = &b, .n_bindings = 1 },
			    d;
	char *text;

	snprintf(id.nai, sizeof(id.nai), "mn1@example.org");
	snprintf(b.nai, sizeof(b.nai), "mn1@example.org");
	b.hoa = A("2001:db8:c4a::1");
	b.coa = A("2001:db8:a1::10");
	text = round_trip(&s, &d);
	cr_assert_eq(d.pool_plen, 64);
	cr_assert_eq(memcmp(&d.pool, &s.pool, 16), 0);
	cr_assert_eq(d.n_idents, 1);
	cr_assert_eq(memcmp(&d.idents[0], &id, sizeof(id)), 0);
	cr_assert_eq(d.n_bindings, 1);
	cr_assert_eq(memcmp(&d.bindings[0], &b, sizeof(b)), 0);
	cr_assert_eq(d.held, 0);
	cr_assert_null(strstr(text, "held"), "no hold, no key: %s", text);
	state_anchor_free(&d);
	free(text);
}

static char *subst(const char *text, const char *from, const char *to);

/* the pool's hold after a crash: optional, 1..2^32-1 */
Test(state, anchor_hold_round_trips_and_is_checked)
{
	struct state_anchor s = { .held = 4097 }, d;
	char err[200], *text, *bad;

	text = round_trip(&s, &d);
	cr_assert_eq(d.held, 4097);
	state_anchor_free(&d);
	bad = subst(text, "\"held\":4097", "\"held\":0");
	cr_assert_eq(state_anchor_decode(bad, strlen(bad), &d, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "held"), "%s", err);
	free(bad);
	bad = subst(text, "\"held\":4097", "\"held\":4294967296");
	cr_assert_eq(state_anchor_decode(bad, strlen(bad), &d, err, sizeof(err)), -EINVAL);
	free(bad);
	bad = subst(text, "\"held\":4097", "\"held\":\"4097\"");
	cr_assert_eq(state_anchor_decode(bad, strlen(bad), &d, err, sizeof(err)), -EINVAL);
	free(bad);
	bad = subst(text, "\"held\":4097", "\"hold\":4097");
	cr_assert_eq(state_anchor_decode(bad, strlen(bad), &d, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "unknown key"), "%s", err);
	free(bad);
	free(text);
}

/* what cools in the pool: optional, offsets and wall-clock releases in
 * release order */
Test(state, anchor_cooling_round_trips_and_is_checked)
{
	struct state_anchor_cooling c[2] = { { 3, NOW_WALL - 5000 }, { 9, NOW_WALL - 5000 } };
	struct state_anchor s = { .cooling = c, .n_cooling = 2 }, d;
	char err[200], *text, *bad;

	text = round_trip(&s, &d);
	cr_assert_eq(d.n_cooling, 2);
	cr_assert_eq(d.cooling[0].off, 3);
	cr_assert_eq(d.cooling[1].off, 9);
	cr_assert_eq(d.cooling[1].released_ms, NOW_WALL - 5000);
	state_anchor_free(&d);
	/* out of release order */
	bad = subst(text, "\"released\":1699999995000}]", "\"released\":1699999994999}]");
	cr_assert_eq(state_anchor_decode(bad, strlen(bad), &d, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "cooling[1].released: before"), "%s", err);
	free(bad);
	bad = subst(text, "\"off\":3", "\"off\":0");
	cr_assert_eq(state_anchor_decode(bad, strlen(bad), &d, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "cooling[0].off"), "%s", err);
	free(bad);
	bad = subst(text, "\"off\":3", "\"off\":3,\"at\":1");
	cr_assert_eq(state_anchor_decode(bad, strlen(bad), &d, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "unknown key"), "%s", err);
	free(bad);
	bad = subst(text, "\"released\":1699999995000}", "\"released\":-1}");
	cr_assert_eq(state_anchor_decode(bad, strlen(bad), &d, err, sizeof(err)), -EINVAL);
	free(bad);
	bad = subst(text, "\"cooling\":[", "\"cooling\":[7,");
	cr_assert_eq(state_anchor_decode(bad, strlen(bad), &d, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "not an object"), "%s", err);
	free(bad);
	free(text);
	/* none cooling: no key */
	s.n_cooling = 0;
	text = state_anchor_encode(&s);
	cr_assert_null(strstr(text, "cooling"), "%s", text);
	free(text);
}

/* text with the first occurrence of from replaced by to */
static char *subst(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);
	char *out;

	cr_assert_not_null(p, "\"%s\" not in %s", from, text);
	cr_assert_geq(asprintf(&out, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from)), 0);
	return out;
}

/* decoding the mn state with from replaced by to fails, naming why */
static void mn_refused(const char *from, const char *to, const char *why)
{
	struct state_mn s = mk_mn(), d;
	char err[200], *text = state_mn_encode(&s), *bad = subst(text, from, to);

	cr_assert_eq(state_mn_decode(bad, strlen(bad), &d, err, sizeof(err)), -EINVAL,
		     "accepted with %s -> %s", from, to);
	cr_assert_not_null(strstr(err, why), "error \"%s\" does not say \"%s\"", err, why);
	cr_assert_eq(d.n_leases, 0);
	cr_assert_null(d.leases);
	free(bad);
	free(text);
}

Test(state, the_decoder_is_strict)
{
	mn_refused("\"version\":1", "\"version\":2", "version");
	mn_refused("\"role\":\"mn\"", "\"role\":\"anchor\"", "role");
	mn_refused("\"last_id\":41", "\"last_id\":41,\"extra\":0", "unknown key");
	mn_refused("\"last_id\":41", "\"last_id\":41,\"last_id\":42", "duplicate");
	mn_refused("\"last_id\":41,", "", "last_id: missing");
	mn_refused("\"last_id\":41", "\"last_id\":65536", "out of range");
	mn_refused("\"last_id\":41", "\"last_id\":\"41\"", "not an integer");
	mn_refused("\"bid\":40", "\"bid\":0", "leases[0].bid");
	mn_refused("\"proto\":6", "\"proto\":1", "neither TCP nor UDP");
	mn_refused("\"type\":2", "\"type\":5", "type");
	mn_refused("\"addr\":\"2001:db8:c4a::1\"", "\"addr\":\"2001:db8:c4a::1x\"",
		   "not an IPv6 address");
	mn_refused("\"addr\":\"2001:db8:c4a::1\"", "\"addr\":\"::\"", "unspecified");
	mn_refused("\"addr\":\"2001:db8:c4a::2\"", "\"addr\":\"2001:db8:c4a::1\"", "twice");
	mn_refused("\"anchor\":\"2001:db8:cb::10\"", "\"anchor\":\"2001:db8:cc::10\"",
		   "not among the anchors");
	mn_refused("\"last_ts\":\"1\"", "\"last_ts\":\"01\"", "decimal");
	mn_refused("\"last_ts\":\"1\"", "\"last_ts\":\"18446744073709551616\"", "out of range");
	mn_refused("\"last_ts\":\"1\"", "\"last_ts\":1", "not a string");
	mn_refused("\"nai\":\"mn1@example.org\"", "\"nai\":\"mn1\\n@example.org\"", "printable");
	mn_refused("\"pid\":4242", "\"pid\":-1", "out of range");
	mn_refused("\"fresh\":true", "\"fresh\":false", "fresh: only true");
	mn_refused("[1000,1001,0]", "1000", "holders: not an array");
	mn_refused("[1000,1001,0]", "[1000]", "holders: 1 entries");
	mn_refused("[1000,1001,0]", "[1001, 1000]", "owner (uid) is not first");
	mn_refused("[1000,1001,0]", "[1000, 1001, 1001]", "listed twice");
	mn_refused("[1000,1001,0]", "[1000, -1]", "entry 1 is not a uid");
	mn_refused("[1000,1001,0]", "[1000, 4294967295]", "entry 1 is not a uid");
	mn_refused("[1000,1001,0]", "[1000, \"1001\"]", "entry 1 is not a uid");
	mn_refused("[1000,1001,0]",
		   "[1000,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,"
		   "27,28,29,30,31,32]",
		   "33 entries");
}

Test(state, the_top_level_is_an_object_of_the_right_role)
{
	struct state_mn d;
	struct state_anchor da;
	char err[200];

	cr_assert_eq(state_mn_decode("[]", 2, &d, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "not an object"), "%s", err);
	cr_assert_eq(state_mn_decode("", 0, &d, err, sizeof(err)), -EINVAL);
	/* the document as a whole: no empty key before it */
	cr_assert_eq(strncmp(err, "JSON error at line 1", 20), 0, "%s", err);
	cr_assert_eq(state_anchor_decode("{\"version\":1}", 13, &da, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "missing"), "%s", err);
}

Test(state, trailing_blanks_are_accepted_but_not_trailing_data)
{
	struct state_mn s = mk_mn(), d;
	char err[200], *text = state_mn_encode(&s), *more;

	cr_assert_geq(asprintf(&more, "%s \n", text), 0);
	cr_assert_eq(state_mn_decode(more, strlen(more), &d, err, sizeof(err)), 0, "%s", err);
	state_mn_free(&d);
	free(more);
	cr_assert_geq(asprintf(&more, "%s{}", text), 0);
	cr_assert_eq(state_mn_decode(more, strlen(more), &d, err, sizeof(err)), -EINVAL);
	free(more);
	free(text);
}

Test(state, more_entries_than_the_limit_are_refused)
{
	size_t n = STATE_MAX_ANCHORS + 1, cap = n * 64 + 256, off;
	char *text = malloc(cap), err[200];
	struct state_mn d;

	cr_assert_not_null(text);
	off = (size_t)snprintf(text, cap, "{\"version\":1,\"role\":\"mn\",\"nai\":\"a@b\","
					  "\"last_id\":0,\"leases\":[],\"anchors\":[");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, cap - off,
					"%s{\"addr\":\"2001:db8::%zx\",\"seq\":0,\"last_ts\":\"0\"}",
					i ? "," : "", i + 1);
	off += (size_t)snprintf(text + off, cap - off, "]}");
	cr_assert_eq(state_mn_decode(text, off, &d, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "more than 4096"), "%s", err);
	/* one fewer is fine */
	text[strlen(text) - 2] = '\0';
	*strrchr(text, '{') = '\0';
	text[strlen(text) - 1] = '\0'; /* the comma */
	strcat(text, "]}");
	cr_assert_eq(state_mn_decode(text, strlen(text), &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(d.n_anchors, STATE_MAX_ANCHORS);
	state_mn_free(&d);
	free(text);
}

/* ---- decisions ---- */

Test(state, deadlines_from_wall_clock)
{
	cr_assert_eq(state_deadline(NOW_WALL + 60000, NOW_WALL, NOW_MONO, 2000), NOW_MONO + 60000);
	cr_assert_eq(state_deadline(NOW_WALL - 1, NOW_WALL, NOW_MONO, 0), 0, "expired");
	cr_assert_eq(state_deadline(NOW_WALL, NOW_WALL, NOW_MONO, 0), 0, "expires now");
	cr_assert_eq(state_deadline(NOW_WALL + 2000, NOW_WALL, NOW_MONO, 2000), 0,
		     "within the margin");
	cr_assert_eq(state_deadline(NOW_WALL + 2001, NOW_WALL, NOW_MONO, 2000), NOW_MONO + 2001);
}

Test(state, sequence_resumes_past_the_stored_number_across_the_wrap)
{
	cr_assert_eq(state_seq_resume(100), 100 + STATE_SEQ_SLACK);
	cr_assert_eq(state_seq_resume(65530), (uint16_t)(65530 + STATE_SEQ_SLACK));
	cr_assert(mh_seq_newer(state_seq_resume(65530), 65530));
}

/* the mn side: a registration context with no ops (nothing is sent) */
static struct reg_ctx reg;
static struct lease_table lt;

static void mn_fixture(const char *nai)
{
	struct reg_config rc = { .lifetime_s = 300, .alloc_timeout_ms = 2900, .dereg_tries = 3 };

	snprintf(rc.nai, sizeof(rc.nai), "%s", nai);
	reg_init(&reg, &rc, NULL, NULL);
	lease_table_init(&lt, 1000);
}

static void mn_fixture_done(void)
{
	reg_cleanup(&reg);
	lease_table_clear(&lt);
}

Test(state, mn_adopts_unexpired_leases_with_their_ids_and_counters)
{
	struct state_mn s = mk_mn();
	struct lease *l;
	struct reg_anchor *an;

	s.leases[1].expires_ms = NOW_WALL + 1500; /* within the adoption margin */
	mn_fixture("mn1@example.org");
	cr_assert_eq(mnstate_adopt(&s, "mn1@example.org", &lt, &reg, NOW_WALL, NOW_MONO), 1);
	cr_assert_eq(lt.n, 1);
	l = lease_by_id(&lt, 40);
	cr_assert_not_null(l);
	assert_addr(&l->addr, "2001:db8:c4a::1");
	cr_assert_eq(l->state, LEASE_REGISTERED);
	cr_assert_eq(l->uid, 1000);
	cr_assert_eq(l->pid, 4242);
	cr_assert_eq(l->proto, IPPROTO_TCP);
	cr_assert_eq(l->fresh, 1, "a fresh lease stays unshared after a restart");
	cr_assert_not_null(l->rb);
	cr_assert_eq(l->rb->bid, 40);
	cr_assert(l->rb->registered);
	cr_assert_eq(l->rb->expires_ms, NOW_MONO + 290000);
	assert_addr(&l->rb->hnp, "2001:db8:c4a::1");
	cr_assert_null(lease_by_addr(&lt, &s.leases[1].addr), "an expiring lease is not adopted");
	an = reg_anchor_find(&reg, &s.anchors[0].addr);
	cr_assert_not_null(an);
	/* the next BU takes seq + 1: past the stored number by the slack */
	cr_assert_eq((uint16_t)(an->seq + 1), (uint16_t)(65530 + STATE_SEQ_SLACK + 1));
	cr_assert_eq(an->last_ts, 0xfedcba9876543210ULL);
	cr_assert_eq(lt.last_id, 41, "new ids go on after the stored last id");
	cr_assert_eq(l->n_uids, 0, "a lease its owner alone holds has no holder list");
	l = lease_new(&lt, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &an->addr, &an->addr, NOW_MONO);
	cr_assert_eq(l->id, 42);
	mn_fixture_done();
}

Test(state, mn_ignores_the_state_of_another_identity)
{
	struct state_mn s = mk_mn();

	mn_fixture("other@example.org");
	cr_assert_eq(mnstate_adopt(&s, "other@example.org", &lt, &reg, NOW_WALL, NOW_MONO), 0);
	cr_assert_eq(lt.n, 0);
	cr_assert_null(reg.anchors);
	mn_fixture_done();
}

Test(state, mn_snapshot_keeps_registered_leases_only_and_round_trips)
{
	struct state_mn s = mk_mn(), snap;
	struct lease *pending;

	mn_fixture("mn1@example.org");
	s.leases[1].expires_ms = NOW_WALL + 100000;
	cr_assert_eq(mnstate_adopt(&s, "mn1@example.org", &lt, &reg, NOW_WALL, NOW_MONO), 2);
	pending = lease_new(&lt, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &s.anchors[0].addr,
			    &s.leases[0].dst, NOW_MONO);
	cr_assert_not_null(pending); /* REGISTERING: not worth keeping */
	cr_assert_eq(mnstate_snapshot(&reg, &lt, NOW_WALL + 1000, NOW_MONO + 1000, &snap), 0);
	cr_assert_eq(snap.n_leases, 2);
	cr_assert_eq(snap.n_anchors, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct state_mn_lease *o = &snap.leases[i];
		const struct state_mn_lease *want = o->bid == 40 ? &s.leases[0] : &s.leases[1];

		cr_assert_eq(o->expires_ms, want->expires_ms, "bid %u", o->bid);
		cr_assert_eq(memcmp(&o->addr, &want->addr, 16), 0);
		cr_assert_eq(o->uid, want->uid);
		/* a shared claim's users come back after a restart: they hear
		 * its events and count it in their quota */
		cr_assert_eq(o->n_holders, want->n_holders, "bid %u", o->bid);
		cr_assert_eq(memcmp(o->holders, want->holders, sizeof(o->holders)), 0);
	}
	cr_assert(lease_held_by(lease_by_id(&lt, 41), 1001));
	cr_assert(lease_held_by(lease_by_id(&lt, 41), 0));
	cr_assert_not(lease_held_by(lease_by_id(&lt, 40), 1001));
	cr_assert_eq(lease_count_uid(&lt, 1001), 1);
	cr_assert_eq(snap.last_id, lt.last_id);
	state_mn_free(&snap);
	mn_fixture_done();
}

Test(state, mn_snapshot_stays_within_the_anchor_limit_keeping_those_in_use)
{
	struct state_mn snap;
	struct reg_anchor *used = NULL;
	char err[200], *text;
	struct state_mn back;

	mn_fixture("mn1@example.org");
	for (unsigned i = 0; i <= STATE_MAX_ANCHORS + 10; i++) {
		struct in6_addr a = A("2001:db8:ca::");

		a.s6_addr[12] = (uint8_t)(i >> 8);
		a.s6_addr[13] = (uint8_t)i;
		a.s6_addr[15] = 1;
		used = reg_anchor_get(&reg, &a, 1);
		cr_assert_not_null(used);
		if (i == 0)
			cr_assert_not_null(reg_binding_add(&reg, used, 5, NULL));
	}
	cr_assert_eq(mnstate_snapshot(&reg, &lt, NOW_WALL, NOW_MONO, &snap), 0);
	cr_assert_eq(snap.n_anchors, STATE_MAX_ANCHORS);
	cr_assert_eq(snap.anchors[0].addr.s6_addr[13], 0, "the anchor in use comes first");
	cr_assert_eq(snap.anchors[0].addr.s6_addr[12], 0);
	text = state_mn_encode(&snap);
	cr_assert_eq(state_mn_decode(text, strlen(text), &back, err, sizeof(err)), 0, "%s", err);
	state_mn_free(&back);
	free(text);
	state_mn_free(&snap);
	mn_fixture_done();
}

/* ---- the anchor side ---- */

static struct odm_identity idents[2];
static struct odm_config acfg;
static struct anchor an;

static void anchor_fixture(void)
{
	memset(idents, 0, sizeof(idents));
	snprintf(idents[0].nai, sizeof(idents[0].nai), "mn1@example.org");
	snprintf(idents[1].nai, sizeof(idents[1].nai), "mn2@example.org");
	idents[0].spi = 0x100;
	idents[1].spi = 0x200;
	config_defaults(&acfg);
	acfg.role = ODM_ROLE_ANCHOR;
	acfg.address = A("2001:db8:ca::1");
	acfg.pool = A("2001:db8:c4a::");
	acfg.pool_plen = 64;
	acfg.max_lifetime = 600;
	acfg.identities = idents;
	acfg.n_identities = 2;
	cr_assert_eq(anchor_init(&an, &acfg, NULL), 0);
}

static struct state_anchor_binding sb[3];
static struct state_anchor_ident sid[2];

static struct state_anchor mk_anchor(void)
{
	struct state_anchor s = { .idents = sid, .n_idents = 2, .bindings = sb, .n_bindings = 3 };
	const char *nais[3] = { "mn1@example.org", "mn2@example.org", "gone@example.org" };

	memset(sb, 0, sizeof(sb));
	memset(sid, 0, sizeof(sid));
	s.pool = A("2001:db8:c4a::");
	s.pool_plen = 64;
	snprintf(sid[0].nai, sizeof(sid[0].nai), "mn2@example.org");
	sid[0].seq = 77;
	sid[0].last_ts = 555;
	snprintf(sid[1].nai, sizeof(sid[1].nai), "gone@example.org");
	for (int i = 0; i < 3; i++) {
		snprintf(sb[i].nai, sizeof(sb[i].nai), "%s", nais[i]);
		sb[i].hoa = A(i == 0 ? "2001:db8:c4a::1" : i == 1 ? "2001:db8:c4a::5" :
								    "2001:db8:c4a::7");
		sb[i].coa = A("2001:db8:a1::10");
		sb[i].bid = (uint16_t)(10 + i);
		sb[i].seq = 77;
		sb[i].lifetime = 75;
		sb[i].expires_ms = NOW_WALL + 200000;
	}
	return s;
}

Test(state, anchor_restores_bindings_pool_and_replay_state)
{
	struct state_anchor s = mk_anchor(), snap;
	struct binding *b;
	struct in6_addr next;

	anchor_fixture();
	sb[1].expires_ms = NOW_WALL - 1; /* expired while the anchor was down */
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, NOW_MONO), 1);
	b = bcache_find_hoa(&an.bc, &sb[0].hoa);
	cr_assert_not_null(b);
	cr_assert_str_eq(b->nai, "mn1@example.org");
	cr_assert_eq(b->ident, 0);
	cr_assert_eq(b->bid, 10);
	cr_assert_eq(b->expires_ms, NOW_MONO + 200000);
	cr_assert_eq(bcache_find_id(&an.bc, "mn1@example.org", 10), b);
	cr_assert_null(bcache_find_hoa(&an.bc, &sb[1].hoa), "expired binding restored");
	cr_assert_null(bcache_find_hoa(&an.bc, &sb[2].hoa), "binding of an unknown identity");
	cr_assert(pool_is_allocated(&an.pool, &sb[0].hoa));
	cr_assert_not(pool_is_allocated(&an.pool, &sb[1].hoa));
	cr_assert_eq(pool_alloc(&an.pool, &next), 0);
	assert_addr(&next, "2001:db8:c4a::2"); /* ::1 is taken again */
	cr_assert_eq(an.ids[0].nbindings, 1);
	cr_assert(an.ids[1].has_last);
	cr_assert_eq(an.ids[1].last_seq, 77);
	cr_assert_eq(an.ids[1].last_ts, 555);
	cr_assert_not(an.ids[0].has_last);
	/* and what it restored is what it saves */
	cr_assert_eq(anchor_state_snapshot(&an, NOW_WALL, NOW_MONO, &snap), 0);
	cr_assert_eq(snap.n_bindings, 1);
	cr_assert_eq(memcmp(&snap.bindings[0], &sb[0], sizeof(sb[0])), 0);
	cr_assert_eq(snap.n_idents, 1);
	cr_assert_str_eq(snap.idents[0].nai, "mn2@example.org");
	state_anchor_free(&snap);
	anchor_fini(&an);
}

/* A clean restart: the addresses the last run released shortly before
 * cool on for the rest of their time, not handed out at once; one whose
 * time is up, one a restored binding holds, one listed twice are not */
Test(state, anchor_restores_what_cools_for_the_rest_of_its_time)
{
	struct state_anchor s = mk_anchor(), snap;
	struct state_anchor_cooling c[5] = {
		{ 6, NOW_WALL - (int64_t)POOL_COOL_MS }, /* cooled */
		{ 3, NOW_WALL - 60000 },
		{ 1, NOW_WALL - 50000 },                 /* sb[0] holds it */
		{ 2, NOW_WALL - 1000 },
		{ 3, NOW_WALL - 1000 },                  /* twice */
	};
	struct in6_addr a;

	anchor_fixture();
	s.cooling = c;
	s.n_cooling = 5;
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, NOW_MONO), 2, "::1 and ::5 bound");
	cr_assert_eq(pool_cooling_count(&an.pool), 2);
	cr_assert_eq(anchor_next_expiry(&an), NOW_MONO + POOL_COOL_MS - 60000);
	cr_assert_eq(pool_alloc(&an.pool, &a), 0);
	assert_addr(&a, "2001:db8:c4a::4");
	cr_assert_eq(pool_alloc(&an.pool, &a), 0);
	assert_addr(&a, "2001:db8:c4a::6");
	/* saved again, they keep their release times */
	cr_assert_eq(anchor_state_snapshot(&an, NOW_WALL + 7, NOW_MONO + 7, &snap), 0);
	cr_assert_eq(snap.n_cooling, 2);
	cr_assert_eq(snap.cooling[0].off, 3);
	cr_assert_eq(snap.cooling[0].released_ms, NOW_WALL - 60000);
	cr_assert_eq(snap.cooling[1].off, 2);
	cr_assert_eq(snap.cooling[1].released_ms, NOW_WALL - 1000);
	state_anchor_free(&snap);
	/* ::3's time is up first, then ::2's */
	anchor_expire(&an, NOW_MONO + POOL_COOL_MS - 60001);
	cr_assert_eq(pool_cooling_count(&an.pool), 2);
	anchor_expire(&an, NOW_MONO + POOL_COOL_MS - 60000);
	cr_assert_eq(pool_cooling_count(&an.pool), 1);
	cr_assert_eq(pool_alloc(&an.pool, &a), 0);
	assert_addr(&a, "2001:db8:c4a::3");
	a = A("2001:db8:c4a::2");
	anchor_expire(&an, NOW_MONO + POOL_COOL_MS - 1001);
	cr_assert(pool_is_cooling(&an.pool, &a));
	anchor_expire(&an, NOW_MONO + POOL_COOL_MS - 1000);
	cr_assert_not(pool_is_cooling(&an.pool, &a));
	anchor_fini(&an);
}

/* A release stamped later than now (the clock set back since) cools in
 * full; a machine up for less than the release's age cools it from boot */
Test(state, anchor_cooling_restore_clamps_to_the_clocks)
{
	struct state_anchor s = mk_anchor();
	struct state_anchor_cooling c[2] = { { 2, NOW_WALL - 100000 }, { 3, NOW_WALL + 3600000 } };

	anchor_fixture();
	s.cooling = c;
	s.n_cooling = 2;
	s.n_bindings = 0;
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, 30000), 0);
	cr_assert_eq(pool_cooling_count(&an.pool), 2);
	cr_assert_eq(pool_cool_until(&an.pool), POOL_COOL_MS, "::2 from boot (mono 0)");
	anchor_expire(&an, POOL_COOL_MS);
	cr_assert_eq(pool_cool_until(&an.pool), 30000 + POOL_COOL_MS, "::3 in full");
	anchor_fini(&an);
}

Test(state, anchor_restores_no_binding_beyond_its_granted_lifetime)
{
	struct state_anchor s = mk_anchor();
	struct binding *b;

	anchor_fixture();
	sb[0].expires_ms = NOW_WALL + 86400000; /* a day: more than 75 units */
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, NOW_MONO), 2);
	b = bcache_find_hoa(&an.bc, &sb[0].hoa);
	cr_assert_not_null(b);
	cr_assert_eq(b->expires_ms, NOW_MONO + 300000);
	anchor_fini(&an);
}

Test(state, anchor_keeps_no_binding_of_another_pool)
{
	struct state_anchor s = mk_anchor();

	anchor_fixture();
	s.pool_plen = 96;
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, NOW_MONO), 0);
	cr_assert_eq(an.bc.count, 0);
	cr_assert(an.ids[1].has_last, "the replay state is restored all the same");
	anchor_fini(&an);
}

Test(state, anchor_reload_rekeys_by_nai_and_ends_removed_identities)
{
	struct state_anchor s = mk_anchor();
	struct odm_identity old[2], now1[1];
	struct binding *b;

	anchor_fixture();
	sb[1].expires_ms = NOW_WALL + 100000;
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, NOW_MONO), 2);
	memcpy(old, idents, sizeof(old));
	/* the new file lists mn2 only */
	now1[0] = idents[1];
	acfg.identities = now1;
	acfg.n_identities = 1;
	cr_assert_eq(anchor_state_rekey(&an, old, 2), 1);
	cr_assert_eq(an.bc.count, 1);
	cr_assert_null(bcache_find_hoa(&an.bc, &sb[0].hoa));
	cr_assert_not(pool_is_allocated(&an.pool, &sb[0].hoa), "its address went back");
	b = bcache_find_hoa(&an.bc, &sb[1].hoa);
	cr_assert_not_null(b);
	cr_assert_eq(b->ident, 0, "mn2 is now identity 0");
	cr_assert(an.ids[0].has_last);
	cr_assert_eq(an.ids[0].last_seq, 77);
	cr_assert_eq(an.ids[0].nbindings, 1);
	anchor_fini(&an);
}

Test(state, anchor_answers_a_lost_binding_with_a_rate_limited_binding_error)
{
	struct state_anchor s = mk_anchor();
	uint8_t buf[MH_MAX_LEN];
	struct in6_addr lost = A("2001:db8:c4a::9"), out = A("2001:db8:c5::1"),
			moved = A("2001:db8:a2::10");
	struct mh_msg m;
	int n;

	anchor_fixture();
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, NOW_MONO), 2);
	cr_assert_eq(anchor_lost_be(&an, &sb[0].hoa, &sb[0].coa, NOW_MONO, buf, sizeof(buf)), 0,
		     "the address has a binding to that care-of address");
	cr_assert_eq(anchor_lost_be(&an, &out, &sb[0].coa, NOW_MONO, buf, sizeof(buf)), 0, "not our pool");
	n = anchor_lost_be(&an, &lost, &sb[0].coa, NOW_MONO, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(mh_decode(buf, (size_t)n, &m, NULL, NULL), 0);
	cr_assert_eq(m.type, MH_TYPE_BE);
	cr_assert_eq(m.status, MH_BE_UNKNOWN_HAO);
	assert_addr(&m.be_home, "2001:db8:c4a::9");
	cr_assert_eq(anchor_lost_be(&an, &lost, &sb[0].coa, NOW_MONO + ANCHOR_LOST_BE_GAP_MS - 1, buf,
				    sizeof(buf)), 0, "rate limited");
	cr_assert_gt(anchor_lost_be(&an, &lost, &sb[0].coa, NOW_MONO + ANCHOR_LOST_BE_GAP_MS, buf,
				    sizeof(buf)), 0);
	cr_assert_eq(an.lost_be_tx, 2);
	/* bound, but to another care-of address (a move the anchor did not
	 * save): the host is told, so that its refresh moves the binding */
	n = anchor_lost_be(&an, &sb[0].hoa, &moved, NOW_MONO + 2 * ANCHOR_LOST_BE_GAP_MS, buf,
			   sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(mh_decode(buf, (size_t)n, &m, NULL, NULL), 0);
	cr_assert_eq(memcmp(&m.be_home, &sb[0].hoa, 16), 0);
	cr_assert_eq(an.lost_be_tx, 3);
	anchor_fini(&an);
}

/* An outer source no BU could make a care-of address is no host that lost
 * its binding: the bound address itself (what a correspondent knows, and
 * what the host's own packet nested in its tunnel comes from), another
 * address of the pool, the anchor's own, a link-local one. Before, each
 * drew a Binding Error, and the host refreshed its binding for nothing. */
Test(state, anchor_lost_binding_error_goes_to_no_outer_source_a_coa_cannot_be)
{
	struct state_anchor s = mk_anchor();
	uint8_t buf[MH_MAX_LEN];
	struct in6_addr lost = A("2001:db8:c4a::9"), pool_other = A("2001:db8:c4a::77"),
			ll = A("fe80::10");
	uint64_t t = NOW_MONO;

	anchor_fixture();
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, NOW_MONO), 2);
	cr_assert_eq(anchor_lost_be(&an, &sb[0].hoa, &sb[0].hoa, t, buf, sizeof(buf)), 0,
		     "its own home address as the outer source");
	t += ANCHOR_LOST_BE_GAP_MS;
	cr_assert_eq(anchor_lost_be(&an, &lost, &lost, t, buf, sizeof(buf)), 0, "unbound, itself");
	t += ANCHOR_LOST_BE_GAP_MS;
	cr_assert_eq(anchor_lost_be(&an, &sb[0].hoa, &pool_other, t, buf, sizeof(buf)), 0,
		     "another address of the pool");
	t += ANCHOR_LOST_BE_GAP_MS;
	cr_assert_eq(anchor_lost_be(&an, &lost, &acfg.address, t, buf, sizeof(buf)), 0,
		     "the anchor's address");
	t += ANCHOR_LOST_BE_GAP_MS;
	cr_assert_eq(anchor_lost_be(&an, &lost, &ll, t, buf, sizeof(buf)), 0, "link-local");
	cr_assert_eq(an.lost_be_tx, 0);
	/* a care-of address is still told */
	t += ANCHOR_LOST_BE_GAP_MS;
	cr_assert_gt(anchor_lost_be(&an, &lost, &sb[0].coa, t, buf, sizeof(buf)), 0);
	anchor_fini(&an);
}

/* The host's addresses for anchor_lost_be: one of the anchor's besides
 * cfg->address; each ask counted */
static unsigned local_asks;
static int other_local(void *arg, const struct in6_addr *a)
{
	struct in6_addr mine = A("2001:db8:ca::99");

	local_asks++;
	return IN6_ARE_ADDR_EQUAL(a, &mine);
}

/* Forged outer sources a BU could make a care-of address, each pair once,
 * in one millisecond: the host's addresses (is_local, a netlink dump at
 * times) are asked about the one the limit lets through, not about each
 * packet. An outer source that is one of the host's draws nothing still. */
Test(state, anchor_lost_binding_error_asks_the_hosts_addresses_only_past_the_limit)
{
	struct state_anchor s = mk_anchor();
	uint8_t buf[MH_MAX_LEN];
	struct in6_addr lost = A("2001:db8:c4a::9"), mine = A("2001:db8:ca::99"),
			forged = A("2001:db8:bad::");
	int told = 0;

	anchor_fixture();
	an.is_local = other_local;
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, NOW_MONO), 2);
	local_asks = 0;
	for (unsigned i = 0; i < 10000; i++) {
		forged.s6_addr[14] = (uint8_t)(i >> 8);
		forged.s6_addr[15] = (uint8_t)i;
		told += anchor_lost_be(&an, &lost, &forged, NOW_MONO, buf, sizeof(buf)) > 0;
	}
	cr_assert_eq(told, 1);
	cr_assert_eq(local_asks, 1, "the host's addresses asked %u times for 10000 forged packets",
		     local_asks);
	cr_assert_eq(anchor_lost_be(&an, &lost, &mine, NOW_MONO + ANCHOR_LOST_BE_GAP_MS, buf,
				    sizeof(buf)), 0, "an address of the host's");
	cr_assert_eq(local_asks, 2);
	cr_assert_eq(an.lost_be_tx, 1);
	anchor_fini(&an);
}

/* A flood of packets from forged outer sources, each pair once (what random
 * forged sources are), in one millisecond: together they draw one Binding
 * Error, the one new pairs share. A real host's pair, seen a second time,
 * is told at once all the same, and then keeps its own limit, whatever the
 * new pairs do meanwhile. */
Test(state, anchor_lost_binding_errors_new_pairs_share_a_limit_seen_pairs_do_not)
{
	struct state_anchor s = mk_anchor();
	uint8_t buf[MH_MAX_LEN];
	struct in6_addr lost = A("2001:db8:c4a::9"), real = A("2001:db8:a1::10"), forged;
	int told = 0;

	anchor_fixture();
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, NOW_MONO), 2);
	forged = A("2001:db8:bad::");
	for (unsigned i = 0; i < 2 * ANCHOR_LOST_BE_SLOTS; i++) {
		forged.s6_addr[12] = (uint8_t)(i >> 24);
		forged.s6_addr[13] = (uint8_t)(i >> 16);
		forged.s6_addr[14] = (uint8_t)(i >> 8);
		forged.s6_addr[15] = (uint8_t)i;
		told += anchor_lost_be(&an, &lost, &forged, NOW_MONO, buf, sizeof(buf)) > 0;
	}
	cr_assert_eq(told, 1, "%d Binding Errors for the forged pairs, not one in all", told);
	cr_assert_eq(anchor_lost_be(&an, &lost, &real, NOW_MONO, buf, sizeof(buf)), 0,
		     "the real host's first packet comes after the new pairs' turn");
	cr_assert_gt(anchor_lost_be(&an, &lost, &real, NOW_MONO, buf, sizeof(buf)), 0,
		     "its second is told in the same millisecond");
	cr_assert_eq(anchor_lost_be(&an, &lost, &real, NOW_MONO + ANCHOR_LOST_BE_GAP_MS - 1, buf,
				    sizeof(buf)), 0, "and then limited");
	cr_assert_gt(anchor_lost_be(&an, &lost, &real, NOW_MONO + ANCHOR_LOST_BE_GAP_MS, buf,
				    sizeof(buf)), 0);
	/* the new pairs' turn comes again a gap later, for one of them */
	told = 0;
	for (unsigned i = 0; i < 100; i++) {
		forged.s6_addr[11] = (uint8_t)(i + 1);
		told += anchor_lost_be(&an, &lost, &forged, NOW_MONO + ANCHOR_LOST_BE_GAP_MS, buf,
				       sizeof(buf)) > 0;
	}
	cr_assert_eq(told, 1);
	cr_assert_eq(an.lost_be_tx, 4);
	anchor_fini(&an);
}

/* A flood that sends each forged pair twice gets past the shared limit of
 * new pairs, but not past the one pairs seen again share: in one
 * millisecond at most its burst (a tenth of ANCHOR_LOST_BE_SEEN_RATE) and
 * the new pairs' one answer. */
Test(state, anchor_lost_binding_errors_to_pairs_seen_again_are_capped)
{
	struct state_anchor s = mk_anchor();
	uint8_t buf[MH_MAX_LEN];
	struct in6_addr lost = A("2001:db8:c4a::9"), forged = A("2001:db8:bad::");
	int told = 0;

	anchor_fixture();
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, NOW_MONO), 2);
	for (unsigned i = 0; i < 5000; i++) {
		forged.s6_addr[14] = (uint8_t)(i >> 8);
		forged.s6_addr[15] = (uint8_t)i;
		for (int twice = 0; twice < 2; twice++)
			told += anchor_lost_be(&an, &lost, &forged, NOW_MONO, buf, sizeof(buf)) > 0;
	}
	cr_assert_leq(told, 1 + ANCHOR_LOST_BE_SEEN_RATE / 10, "%d Binding Errors", told);
	cr_assert_geq(told, ANCHOR_LOST_BE_SEEN_RATE / 10, "%d Binding Errors", told);
	anchor_fini(&an);
}

Test(state, anchor_saves_a_burst_of_changes_once)
{
	struct state_anchor s = mk_anchor();
	struct statefile rd;
	struct state_anchor back;
	char *text, err[200];
	size_t len;

	anchor_fixture();
	cr_assert_eq(statefile_open(&an.sf, dir, ANCHOR_STATE_FILE), 0);
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, NOW_MONO), 2);
	anchor_state_touch(&an, NOW_MONO);
	anchor_state_touch(&an, NOW_MONO + 10); /* the same write */
	cr_assert_eq(an.save_due_ms, NOW_MONO + ANCHOR_SAVE_DELAY_MS);
	anchor_state_flush(&an, NOW_MONO + ANCHOR_SAVE_DELAY_MS - 1, 0);
	cr_assert_eq(an.sf.writes, 0, "not due yet");
	anchor_state_flush(&an, NOW_MONO + ANCHOR_SAVE_DELAY_MS, 0);
	cr_assert_eq(an.sf.writes, 1);
	anchor_state_flush(&an, NOW_MONO + 1000, 0);
	cr_assert_eq(an.sf.writes, 1, "nothing new to save");
	anchor_state_touch(&an, NOW_MONO + 2000);
	anchor_state_flush(&an, NOW_MONO + 2000, 1); /* a stop saves at once */
	cr_assert_eq(an.save_due_ms, 0);
	cr_assert_eq(statefile_open(&rd, dir, ANCHOR_STATE_FILE), 0);
	cr_assert_eq(statefile_read(&rd, &text, &len), 0);
	cr_assert_eq(state_anchor_decode(text, len, &back, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(back.n_bindings, 2);
	state_anchor_free(&back);
	free(text);
	statefile_close(&rd);
	statefile_close(&an.sf);
	anchor_fini(&an);
}

Test(state, anchor_tries_a_failed_save_again)
{
	struct state_anchor s = mk_anchor();
	char tmp[128];

	anchor_fixture();
	cr_assert_eq(statefile_open(&an.sf, dir, ANCHOR_STATE_FILE), 0);
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, NOW_MONO), 2);
	snprintf(tmp, sizeof(tmp), "%s/." ANCHOR_STATE_FILE ".tmp", dir);
	cr_assert_eq(mkdir(tmp, 0700), 0); /* every save fails */
	anchor_state_touch(&an, NOW_MONO);
	anchor_state_flush(&an, NOW_MONO + ANCHOR_SAVE_DELAY_MS, 0);
	cr_assert_eq(an.sf.writes, 0);
	cr_assert_eq(an.sf.failures, 1);
	cr_assert_eq(an.save_due_ms, NOW_MONO + ANCHOR_SAVE_DELAY_MS + ANCHOR_SAVE_RETRY_MS,
		     "due again, with no new change");
	anchor_state_flush(&an, an.save_due_ms, 0);
	cr_assert_eq(an.sf.failures, 2);
	/* a change brings the retry forward (it is a kill away from lost) */
	const uint64_t t = an.save_due_ms - ANCHOR_SAVE_RETRY_MS + 100;
	anchor_state_touch(&an, t);
	cr_assert_eq(an.save_due_ms, t + ANCHOR_SAVE_DELAY_MS, "due with the change, not at the retry");
	anchor_state_flush(&an, an.save_due_ms, 0);
	cr_assert_eq(an.sf.failures, 3);
	cr_assert_eq(rmdir(tmp), 0); /* the disk has room again */
	anchor_state_flush(&an, an.save_due_ms, 0);
	cr_assert_eq(an.sf.writes, 1, "saved on the retry");
	cr_assert_eq(an.sf.failures, 0);
	cr_assert_eq(an.save_due_ms, 0, "nothing due after it worked");
	statefile_close(&an.sf);
	anchor_fini(&an);
}

/* ---- the daemon's saves, in a child process (bgsave.h) ---- */

/* flush at the test's clock now until the child has been reaped (real
 * time bounded: 10 s) */
static void until_reaped(uint64_t now)
{
	for (int i = 0; i < 1000 && bgsave_busy(&an.saver); i++) {
		anchor_state_flush(&an, now, 0);
		if (bgsave_busy(&an.saver))
			usleep(10000);
	}
	cr_assert(!bgsave_busy(&an.saver), "the child that saves ended");
}

static size_t saved_bindings(void)
{
	struct statefile rd;
	struct state_anchor back;
	char *text, err[200];
	size_t len, n;

	cr_assert_eq(statefile_open(&rd, dir, ANCHOR_STATE_FILE), 0);
	cr_assert_eq(statefile_read(&rd, &text, &len), 0);
	cr_assert_eq(state_anchor_decode(text, len, &back, err, sizeof(err)), 0, "%s", err);
	n = back.n_bindings;
	state_anchor_free(&back);
	free(text);
	statefile_close(&rd);
	return n;
}

/* the anchor of mk_anchor, as the daemon's (a loop, never run: the mark) */
static void daemon_fixture(uv_loop_t *loop)
{
	struct state_anchor s = mk_anchor();

	anchor_fixture();
	cr_assert_eq(uv_loop_init(loop), 0);
	an.loop = loop;
	cr_assert_eq(statefile_open(&an.sf, dir, ANCHOR_STATE_FILE), 0);
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, NOW_MONO), 2);
}

static void daemon_done(uv_loop_t *loop)
{
	statefile_close(&an.sf);
	anchor_fini(&an);
	uv_loop_close(loop);
}

Test(state, daemon_saves_in_a_child_and_paces_the_next)
{
	uv_loop_t loop;
	const uint64_t t0 = NOW_MONO + ANCHOR_SAVE_DELAY_MS;

	daemon_fixture(&loop);
	anchor_state_touch(&an, NOW_MONO);
	cr_assert_eq(anchor_state_flush(&an, t0, 0), 0);
	cr_assert(bgsave_busy(&an.saver), "a child saves");
	cr_assert_eq(an.save_due_ms, 0);
	cr_assert_eq(anchor_state_next(&an, t0), t0 + ANCHOR_SAVE_POLL_MS, "the timer polls it");
	cr_assert_eq(anchor_state_next(&an, t0 + 15), t0 + ANCHOR_SAVE_POLL_MS,
		     "at a fixed time: BUs that rearm the timer do not put it off");
	/* a change while it writes waits for the next save */
	anchor_state_touch(&an, t0 + 1);
	cr_assert_eq(an.save_due_ms, t0 + 1 + ANCHOR_SAVE_DELAY_MS);
	/* reaped at t0 + 100 by the test's clock: it took 100 ms */
	until_reaped(t0 + 100);
	cr_assert_eq(an.sf.writes, 1);
	cr_assert_eq(an.sf.failures, 0);
	cr_assert_eq(an.save_took_ms, 100);
	cr_assert_eq(an.save_after_ms, t0 + 100 + ANCHOR_SAVE_PACE * 100);
	cr_assert_eq(saved_bindings(), 2);
	/* due, but paced: put off until save_after_ms */
	cr_assert_eq(anchor_state_flush(&an, t0 + 101, 0), 0);
	cr_assert(!bgsave_busy(&an.saver));
	cr_assert_eq(an.save_due_ms, an.save_after_ms);
	cr_assert_eq(anchor_state_next(&an, t0 + 101), an.save_after_ms);
	cr_assert_eq(anchor_state_flush(&an, an.save_after_ms, 0), 0);
	cr_assert(bgsave_busy(&an.saver), "then saved");
	until_reaped(an.save_after_ms);
	cr_assert_eq(an.sf.writes, 2);
	daemon_done(&loop);
}

Test(state, daemon_save_that_fails_in_the_child_is_tried_again)
{
	uv_loop_t loop;
	char tmp[128];
	const uint64_t t0 = NOW_MONO + ANCHOR_SAVE_DELAY_MS;

	daemon_fixture(&loop);
	/* the child's own temporary file (the parent's is another) */
	snprintf(tmp, sizeof(tmp), "%s/." ANCHOR_STATE_FILE ".tmp.child", dir);
	cr_assert_eq(mkdir(tmp, 0700), 0); /* every save fails */
	anchor_state_touch(&an, NOW_MONO);
	anchor_state_flush(&an, t0, 0);
	until_reaped(t0);
	cr_assert_eq(an.sf.writes, 0);
	cr_assert_eq(an.sf.failures, 1);
	cr_assert_eq(an.sf.last_err, -EISDIR, "the child's error reached the parent (%d)",
		     an.sf.last_err);
	cr_assert_eq(an.save_due_ms, t0 + ANCHOR_SAVE_RETRY_MS, "due again, with no new change");
	cr_assert_eq(rmdir(tmp), 0);
	anchor_state_flush(&an, an.save_due_ms, 0);
	until_reaped(t0 + ANCHOR_SAVE_RETRY_MS);
	cr_assert_eq(an.sf.writes, 1, "saved on the retry");
	cr_assert_eq(an.sf.failures, 0);
	daemon_done(&loop);
}

Test(state, daemon_stop_waits_for_the_child_then_saves_what_came_after)
{
	uv_loop_t loop;
	struct binding *b;
	const uint64_t t0 = NOW_MONO + ANCHOR_SAVE_DELAY_MS;

	daemon_fixture(&loop);
	anchor_state_touch(&an, NOW_MONO);
	anchor_state_flush(&an, t0, 0);
	cr_assert(bgsave_busy(&an.saver));
	/* a binding ends while the child writes the two */
	b = bcache_find_hoa(&an.bc, &sb[0].hoa);
	cr_assert_not_null(b);
	anchor_release(&an, b, "test");
	anchor_state_touch(&an, t0 + 1);
	cr_assert_eq(anchor_state_flush(&an, t0 + 2, 1), 0);
	cr_assert(!bgsave_busy(&an.saver), "the stop waited for the child");
	cr_assert_eq(an.save_due_ms, 0);
	cr_assert_eq(saved_bindings(), 1, "and then saved the change that came after it");
	daemon_done(&loop);
}

/* ---- SIGHUP ---- */

Test(state, reload_takes_keys_and_refuses_what_needs_a_restart)
{
	struct odm_config cur, next;
	char err[200];
	const char *base = "role mn\nidentity a@b spi 256 key 000102030405060708090a0b0c0d0e0f\n";
	char *t2;

	cr_assert_eq(config_parse(&cur, base, strlen(base), "cur", err, sizeof(err)), 0, "%s", err);
	t2 = "role mn\nlog-level debug\nlifetime 120\n"
	     "identity a@b spi 257 key ffffffffffffffffffffffffffffffff\n";
	cr_assert_eq(config_parse(&next, t2, strlen(t2), "next", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(config_reload(&cur, &next, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cur.identities[0].spi, 257);
	cr_assert_eq(cur.identities[0].key[0], 0xff);
	cr_assert_eq(cur.lifetime, 120);
	cr_assert_eq(cur.log_level, ODM_LOG_DEBUG);
	cr_assert_eq(next.identities[0].spi, 256, "the old identities go back to the caller");
	config_free(&next);
	t2 = "role mn\ntable 7\nidentity a@b spi 258 key ffffffffffffffffffffffffffffffff\n";
	cr_assert_eq(config_parse(&next, t2, strlen(t2), "next", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(config_reload(&cur, &next, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "table"), "%s", err);
	cr_assert_eq(cur.identities[0].spi, 257, "nothing changed");
	cr_assert_eq(cur.table, 1000);
	config_free(&next);
	t2 = "role mn\nstate-dir /var/tmp/x\nidentity a@b spi 258 key ffffffffffffffffffffffffffffffff\n";
	cr_assert_eq(config_parse(&next, t2, strlen(t2), "next", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(config_reload(&cur, &next, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "state-dir"), "%s", err);
	config_free(&next);
	config_free(&cur);
}

Test(state, state_dir_is_an_absolute_path_defaulting_to_var_lib_odm)
{
	struct odm_config c;
	char err[200];
	const char *id = "identity a@b spi 256 key 000102030405060708090a0b0c0d0e0f\n";
	char *t;

	cr_assert_geq(asprintf(&t, "role mn\n%s", id), 0);
	cr_assert_eq(config_parse(&c, t, strlen(t), "c", err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.state_dir, "/var/lib/odm");
	config_free(&c);
	free(t);
	cr_assert_geq(asprintf(&t, "role mn\nstate-dir var/odm\n%s", id), 0);
	cr_assert_eq(config_parse(&c, t, strlen(t), "c", err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "c:2: var/odm: state directory must be absolute"), "%s", err);
	free(t);
}

/* Review: a saved binding that the binding cache refuses at restore (here
 * the same NAI and BID as another) gives its address back to the pool,
 * which stamps it "released now"; the cooling list restored after it is
 * then all "before the newest entry" and pool_cool_from refuses every
 * one: the addresses released just before the stop are handed out at once */
Test(state, anchor_cooling_survives_a_binding_not_restored)
{
	struct state_anchor s = mk_anchor();
	struct state_anchor_cooling c[2] = { { 3, NOW_WALL - 60000 }, { 2, NOW_WALL - 1000 } };
	struct in6_addr a;

	anchor_fixture();
	/* sb[1] (::5) is mn1's BID 10 again: bcache_add refuses it */
	snprintf(sb[1].nai, sizeof(sb[1].nai), "mn1@example.org");
	sb[1].bid = 10;
	s.cooling = c;
	s.n_cooling = 2;
	cr_assert_eq(anchor_state_restore(&an, &s, NOW_WALL, NOW_MONO), 1, "::1 alone bound");
	cr_assert(pool_is_cooling(&an.pool, &sb[1].hoa), "::5, not restored, cools from now");
	cr_assert_eq(pool_cooling_count(&an.pool), 3, "::2 and ::3 cool on too");
	cr_assert_eq(pool_alloc(&an.pool, &a), 0);
	assert_addr(&a, "2001:db8:c4a::4");
	anchor_fini(&an);
}

/* A reload says which identities it added, removed, or gave another key
 * or spi: an operator who replaced a key file sees the anchor took it. */
Test(state, anchor_reload_says_which_identities_changed, .init = cr_redirect_stderr)
{
	static char log[8192];
	struct odm_identity old[2], next[2];

	anchor_fixture();
	odm_log_init("t", ODM_LOG_INFO, 0);
	memcpy(old, idents, sizeof(old));
	next[0] = idents[1];
	next[0].key[0] ^= 1; /* mn2's key replaced */
	snprintf(next[1].nai, sizeof(next[1].nai), "mn3@example.test");
	next[1].spi = 3003;
	memset(next[1].key, 7, sizeof(next[1].key));
	acfg.identities = next;
	acfg.n_identities = 2;
	cr_assert_geq(anchor_state_rekey(&an, old, 2), 0);
	log_read(log, sizeof(log));
	cr_assert(strstr(log, "identity mn3@example.test added (spi 3003)"), "%s", log);
	cr_assert(strstr(log, "identity mn2@example.org: key changed (spi 512 -> 512)"), "%s", log);
	cr_assert(strstr(log, "identity mn1@example.org removed, with its bindings"), "%s", log);
	anchor_fini(&an);
}
