/* SPDX-License-Identifier: MIT */
/*
 * test_agentlock.c — odmagent/agentlock.c: one agent per state directory,
 * the holder named, and the lock gone with a killed holder.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentlock.h"

static char top[64];
static char dir[128];

static void setup(void)
{
	snprintf(top, sizeof(top), "/tmp/odm-agentlock.XXXXXX");
	cr_assert_not_null(mkdtemp(top));
	snprintf(dir, sizeof(dir), "%s/state", top);
}

static void teardown(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	(void)!system(cmd);
}

TestSuite(agentlock, .init = setup, .fini = teardown);

static int unclean;

static void read_lockfile(char *buf, size_t size)
{
	char path[192];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, AGENTLOCK_FILE);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

Test(agentlock, takes_a_new_directory_and_names_itself)
{
	char err[256] = "", buf[32], want[32];
	struct stat st;
	int fd = agentlock_take(dir, &unclean, err, sizeof(err));

	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(unclean, 0, "a new directory has no last run");
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0700, "state-dir made with mode %o", st.st_mode & 0777);
	read_lockfile(buf, sizeof(buf));
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	cr_assert_str_eq(buf, want);
	agentlock_release(fd, 1);
}

/* the packaged anchor's state-dir, /var/lib/odm/anchor, on a machine
 * where no host agent made /var/lib/odm (odmagent.conf(5) state-dir) */
Test(agentlock, takes_a_directory_whose_parents_are_missing)
{
	char err[256] = "", deep[192], parent[160];
	struct stat st;
	int fd;

	snprintf(parent, sizeof(parent), "%s/lib/odm", top);
	snprintf(deep, sizeof(deep), "%s/anchor", parent);
	fd = agentlock_take(deep, &unclean, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(stat(deep, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700, "state-dir made with mode %o", st.st_mode & 0777);
	cr_assert_eq(stat(parent, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700, "its parent made with mode %o", st.st_mode & 0777);
	agentlock_release(fd, 1);
}

Test(agentlock, a_second_taker_is_refused_with_the_holder_named)
{
	char err[256] = "", want[64];
	int fd = agentlock_take(dir, &unclean, err, sizeof(err));

	cr_assert_geq(fd, 0, "%s", err);
	/* flock(2) locks belong to the open file: a second open in this
	 * process is refused as another process would be */
	cr_assert_eq(agentlock_take(dir, &unclean, err, sizeof(err)), -EWOULDBLOCK);
	snprintf(want, sizeof(want), "(pid %ld)", (long)getpid());
	cr_assert(strstr(err, dir) && strstr(err, "in use by another odmagent") && strstr(err, want),
		  "message: %s", err);
	agentlock_release(fd, 1);
	fd = agentlock_take(dir, &unclean, err, sizeof(err));
	cr_assert_geq(fd, 0, "released, then taken again: %s", err);
	agentlock_release(fd, 1);
}

Test(agentlock, a_killed_holder_leaves_no_lock)
{
	char err[256] = "", c;
	int p[2], fd, status;
	pid_t pid;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char e[256];

		close(p[0]);
		if (agentlock_take(dir, &unclean, e, sizeof(e)) < 0)
			_exit(1);
		(void)!write(p[1], "l", 1);
		pause();
		_exit(0);
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &c, 1), 1, "the child took the lock");
	close(p[0]);
	cr_assert_eq(agentlock_take(dir, &unclean, err, sizeof(err)), -EWOULDBLOCK);
	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	fd = agentlock_take(dir, &unclean, err, sizeof(err));
	cr_assert_geq(fd, 0, "after kill -9 of the holder: %s", err);
	cr_assert_eq(unclean, 1, "the killed holder's pid marks its run as unclean");
	agentlock_release(fd, 1);
	fd = agentlock_take(dir, &unclean, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(unclean, 0, "a clean release marks the file stopped");
	/* a run that failed (released without clean) leaves its mark */
	agentlock_release(fd, 0);
	fd = agentlock_take(dir, &unclean, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(unclean, 1);
	agentlock_release(fd, 1);
}

/* A clean stop writes its mark over the pid; a file that is there without
 * it (an earlier run could not record its pid) is an unclean last run. */
Test(agentlock, the_stopped_mark_and_an_empty_file)
{
	char err[256] = "", buf[32], path[192];
	int fd = agentlock_take(dir, &unclean, err, sizeof(err));

	cr_assert_geq(fd, 0, "%s", err);
	agentlock_release(fd, 1);
	read_lockfile(buf, sizeof(buf));
	cr_assert_str_eq(buf, AGENTLOCK_STOPPED);
	snprintf(path, sizeof(path), "%s/%s", dir, AGENTLOCK_FILE);
	cr_assert_eq(truncate(path, 0), 0);
	fd = agentlock_take(dir, &unclean, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(unclean, 1, "an empty file that was there: its run never recorded its pid");
	agentlock_release(fd, 1);
}

/* A pid that cannot be written (here a file-size limit of 0 bytes, as a
 * full file system would): the file is emptied, never left saying
 * "stopped", so the next run takes this one for a crashed one. */
Test(agentlock, a_pid_not_written_leaves_no_stopped_mark)
{
	char err[256] = "", buf[32];
	struct rlimit old, none = { 0, 0 };
	int fd = agentlock_take(dir, &unclean, err, sizeof(err));

	cr_assert_geq(fd, 0, "%s", err);
	agentlock_release(fd, 1);
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	none.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &none), 0);
	fd = agentlock_take(dir, &unclean, err, sizeof(err));
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(unclean, 0, "the last run did stop cleanly");
	read_lockfile(buf, sizeof(buf));
	cr_assert_str_eq(buf, "", "no mark of a clean stop left while this run goes on");
	close(fd); /* as a crash would */
	fd = agentlock_take(dir, &unclean, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(unclean, 1, "the run that could not write its pid counts as crashed");
	agentlock_release(fd, 1);
}

/* An agent about to start again in place, its state saved, marks the file
 * stopped while it still holds the lock: the next image starts clean. */
Test(agentlock, marked_stopped_while_held)
{
	char err[256] = "", buf[32];
	int fd = agentlock_take(dir, &unclean, err, sizeof(err));

	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(agentlock_mark_stopped(fd), 0);
	read_lockfile(buf, sizeof(buf));
	cr_assert_str_eq(buf, AGENTLOCK_STOPPED);
	close(fd); /* as the exec closes it */
	fd = agentlock_take(dir, &unclean, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(unclean, 0);
	agentlock_release(fd, 1);
}

Test(agentlock, refuses_what_is_not_a_directory_or_a_lock_file)
{
	char err[256] = "", path[192];
	int fd;

	fd = open(dir, O_CREAT | O_WRONLY, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(agentlock_take(dir, &unclean, err, sizeof(err)), -ENOTDIR, "%s", err);
	cr_assert(strstr(err, dir), "message names the directory: %s", err);
	unlink(dir);

	/* a symbolic link in its place is not followed */
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, AGENTLOCK_FILE);
	cr_assert_eq(symlink("/dev/null", path), 0);
	cr_assert_eq(agentlock_take(dir, &unclean, err, sizeof(err)), -ELOOP, "%s", err);
	cr_assert(strstr(err, path), "message names the file: %s", err);
	cr_assert_eq(agentlock_take("", &unclean, err, sizeof(err)), -EINVAL);
}

/*
 * A state directory someone else may write is refused before anything is
 * put in it, naming the directory and why: that someone could put state
 * there for the agent to take over (an anchor's bindings, a host's journal
 * of the addresses whose TCP sockets it ends). Before, any existing
 * directory was taken: "state-dir /tmp/odm" that another user had made
 * first, or a directory of mode 0777.
 */
Test(agentlock, refuses_a_directory_others_may_write)
{
	char err[256] = "", path[192];
	struct stat st;
	int fd;

	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(chmod(dir, 0777), 0);
	cr_assert_eq(agentlock_take(dir, &unclean, err, sizeof(err)), -EPERM, "%s", err);
	cr_assert(strstr(err, dir), "message names the directory: %s", err);
	cr_assert(strstr(err, "writable by others (mode 0777)"), "%s", err);
	snprintf(path, sizeof(path), "%s/%s", dir, AGENTLOCK_FILE);
	cr_assert_eq(lstat(path, &st), -1, "nothing put in it");
	/* sticky, as /tmp is: others still make the files it would take */
	cr_assert_eq(chmod(dir, 01777), 0);
	cr_assert_eq(agentlock_take(dir, &unclean, err, sizeof(err)), -EPERM, "%s", err);
	cr_assert_eq(chmod(dir, 0755), 0);
	if (geteuid() == 0) {
		cr_assert_eq(chown(dir, 65534, 65534), 0);
		cr_assert_eq(agentlock_take(dir, &unclean, err, sizeof(err)), -EPERM, "%s", err);
		cr_assert(strstr(err, "owned by uid 65534"), "%s", err);
		cr_assert_eq(chown(dir, 0, 0), 0);
	}
	/* group-writable (a group of admins) and the agent's own: taken */
	cr_assert_eq(chmod(dir, 0770), 0);
	fd = agentlock_take(dir, &unclean, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	agentlock_release(fd, 1);
}

/* one taker of a race: waits on go, takes the lock, says how it went on
 * said (0 taken clean, 1 taken unclean, 2 refused as in use, 3 other),
 * keeps what it took until hold closes */
static void race_taker(int go, int said, int hold)
{
	char e[256], c;
	int u = 0, fd;

	(void)!read(go, &c, 1);
	fd = agentlock_take(dir, &u, e, sizeof(e));
	c = (char)(fd >= 0 ? u : fd == -EWOULDBLOCK ? 2 : 3);
	(void)!write(said, &c, 1);
	(void)!read(hold, &c, 1);
	_exit(0);
}

/* d and what is in it (agent.lock, a taker's temporary name), if there:
 * without an rm(1) of its own per round, which cost twice the race */
static void remove_dir(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;

	if (!dp) {
		cr_assert_eq(errno, ENOENT, "%s: %s", d, strerror(errno));
		return;
	}
	while ((e = readdir(dp)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			cr_assert_eq(unlinkat(dirfd(dp), e->d_name, 0), 0, "%s/%s: %s", d,
				     e->d_name, strerror(errno));
	closedir(dp);
	cr_assert_eq(rmdir(d), 0, "%s: %s", d, strerror(errno));
}

/*
 * Two agents started at once on a new state directory: one takes it, the
 * other is refused, and the one that took it finds no last run (a new
 * directory has none). Before, the lock file's maker took the lock only
 * after making it: the other agent, opening the file made a moment before,
 * could lock it first, find it empty, and take the new directory for one
 * whose last agent crashed (an anchor then held back its whole pool).
 */
Test(agentlock, two_takers_at_once_on_a_new_directory)
{
	int clean = 0;

	for (int round = 0; round < 300; round++) {
		char got[2];
		int go[2], said[2], hold[2], taken = 0, refused = 0;
		pid_t kid[2];

		remove_dir(dir);
		cr_assert_eq(pipe(go), 0);
		cr_assert_eq(pipe(said), 0);
		cr_assert_eq(pipe(hold), 0);
		for (int i = 0; i < 2; i++) {
			kid[i] = fork();
			cr_assert_geq(kid[i], 0);
			if (kid[i] == 0) {
				close(go[1]);
				close(said[0]);
				close(hold[1]);
				race_taker(go[0], said[1], hold[0]);
			}
		}
		close(go[0]);
		close(said[1]);
		close(hold[0]);
		close(go[1]); /* both go at once */
		for (int i = 0; i < 2; i++) {
			cr_assert_eq(read(said[0], &got[i], 1), 1, "round %d: a taker said nothing",
				     round);
			taken += got[i] == 0 || got[i] == 1;
			refused += got[i] == 2;
			cr_assert_neq(got[i], 1, "round %d: the new directory was taken for one whose "
				      "last agent did not stop cleanly", round);
		}
		close(hold[1]);
		close(said[0]);
		for (int i = 0; i < 2; i++)
			cr_assert_eq(waitpid(kid[i], NULL, 0), kid[i]);
		cr_assert_eq(taken, 1, "round %d: %d of the two took the lock", round, taken);
		cr_assert_eq(refused, 1, "round %d: the other was refused as in use", round);
		clean++;
	}
	cr_assert_eq(clean, 300);
}

/* A new lock file is made under a name of the taker's own first: what is
 * in the way there is named as what failed. Before, an EEXIST there was
 * taken for another agent's lock file come first, and the message said
 * agent.lock did not exist. */
Test(agentlock, what_stops_the_new_file_is_named)
{
	char err[256] = "", tmp[192];

	cr_assert_eq(mkdir(dir, 0700), 0);
	/* a directory at the temporary name: unlink(2) leaves it there */
	snprintf(tmp, sizeof(tmp), "%s/.%s.new.%ld", dir, AGENTLOCK_FILE, (long)getpid());
	cr_assert_eq(mkdir(tmp, 0700), 0);
	cr_assert_eq(agentlock_take(dir, &unclean, err, sizeof(err)), -EEXIST, "%s", err);
	cr_assert(strstr(err, tmp), "message names the temporary file: %s", err);
	cr_assert(strstr(err, strerror(EEXIST)), "and says why: %s", err);
	rmdir(tmp);
	cr_assert_geq(agentlock_take(dir, &unclean, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(unclean, 0);
}

/* The running agent's look each second: its lock file removed with the
 * whole state-dir, or replaced, is taken again (a second agent would get
 * the directory otherwise, and a crash would leave no mark); one that
 * cannot be taken again (a directory in its place) keeps the old fd. */
Test(agentlock, removed_or_replaced_under_the_holder_is_taken_again)
{
	char err[256] = "", buf[32], want[32], cmd[256], path[192];
	int fd = agentlock_take(dir, &unclean, err, sizeof(err)), fd2, said = 0;

	cr_assert_geq(fd, 0, "%s", err);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	snprintf(path, sizeof(path), "%s/%s", dir, AGENTLOCK_FILE);
	cr_assert_eq(agentlock_check(fd, dir, &said), fd, "untouched: the same fd");

	/* the whole directory removed */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	fd2 = agentlock_check(fd, dir, &said);
	cr_assert_geq(fd2, 0);
	cr_assert_eq(said, 0);
	read_lockfile(buf, sizeof(buf));
	cr_assert_str_eq(buf, want, "the new file names this holder");
	cr_assert_eq(agentlock_take(dir, &unclean, err, sizeof(err)), -EWOULDBLOCK,
		     "a second agent is refused: %s", err);
	fd = fd2;
	cr_assert_eq(agentlock_check(fd, dir, &said), fd, "the new file is its own");

	/* the file replaced by another */
	cr_assert_eq(unlink(path), 0);
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	fd2 = agentlock_check(fd, dir, &said);
	cr_assert_geq(fd2, 0);
	cr_assert_eq(agentlock_take(dir, &unclean, err, sizeof(err)), -EWOULDBLOCK,
		     "a second agent is refused: %s", err);
	fd = fd2;

	/* a directory in its place: not taken again, the old fd kept, the
	 * error kept to be said once */
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_assert_eq(agentlock_check(fd, dir, &said), fd);
	cr_assert_lt(said, 0);
	cr_assert_eq(agentlock_check(fd, dir, &said), fd);
	cr_assert_eq(rmdir(path), 0);
	fd2 = agentlock_check(fd, dir, &said);
	cr_assert_neq(fd2, fd, "taken again once the way is free");
	cr_assert_eq(said, 0);
	agentlock_release(fd2, 1);
}
