/* SPDX-License-Identifier: MIT */
/* agentlock.c — one agent per state directory (see agentlock.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentlock.h"
#include "log.h"
#include "statefile.h"

/* The pid the holder wrote, as digits only ("" if none could be read). */
static void holder_pid(int fd, char *out, size_t size)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	size_t i = 0;

	out[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (buf[i] >= '0' && buf[i] <= '9' && i + 1 < size)
		i++;
	if (i == 0 || (buf[i] != '\n' && buf[i] != '\0'))
		return;
	memcpy(out, buf, i);
	out[i] = '\0';
}

/* 1 if the file says its last holder stopped cleanly */
static int says_stopped(int fd)
{
	char buf[sizeof(AGENTLOCK_STOPPED)];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	return n == (ssize_t)sizeof(AGENTLOCK_STOPPED) - 1 &&
	       memcmp(buf, AGENTLOCK_STOPPED, (size_t)n) == 0;
}

/*
 * A new lock file at path, made whole before it is there: it says
 * AGENTLOCK_STOPPED (a new directory has no last run), written under a
 * name of this process's own and then linked into place, which fails with
 * EEXIST when another agent's came first. Made with O_CREAT in place, the
 * file was there empty for a moment, and an agent started at the same time
 * could open and lock it first, and take the new directory for one whose
 * last agent crashed. 0 (this one is in place), 1 (another agent's came
 * first), or -errno with err naming what failed: the temporary file (an
 * EEXIST there is no other agent's lock file) or the link. A mark that
 * cannot be written (a full file system) leaves the file empty: the run
 * that wins it is taken as unclean unless it is this one, which knows it
 * made it.
 */
static int make_new(const char *dir, const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.new.%ld", dir, AGENTLOCK_FILE, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		snprintf(err, errlen, "state-dir %s: path too long", dir);
		return -ENAMETOOLONG;
	}
	/* one left by an earlier process of this pid that died here */
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s (to be linked to %s): %s", tmp, path, strerror(-r));
		return r;
	}
	(void)!write(fd, AGENTLOCK_STOPPED, sizeof(AGENTLOCK_STOPPED) - 1);
	r = link(tmp, path) < 0 ? -errno : 0;
	if (r < 0 && r != -EEXIST)
		snprintf(err, errlen, "%s: link(2) from %s: %s", path, tmp, strerror(-r));
	(void)unlink(tmp);
	close(fd);
	return r == -EEXIST ? 1 : r;
}

int agentlock_take(const char *dir, int *unclean, char *err, size_t errlen)
{
	char path[4096], pid[24], line[24], why[160];
	int fd, r, n, made = 0;

	*unclean = 0;
	if (!dir || !*dir) {
		snprintf(err, errlen, "no state-dir");
		return -EINVAL;
	}
	if (snprintf(path, sizeof(path), "%s/%s", dir, AGENTLOCK_FILE) >= (int)sizeof(path)) {
		snprintf(err, errlen, "state-dir %s: path too long", dir);
		return -ENAMETOOLONG;
	}
	r = statefile_dir(dir, why, sizeof(why));
	if (r < 0) {
		snprintf(err, errlen, "state-dir %s: %s", dir, why);
		return r;
	}
	/* there before (then it says how its holder stopped), or made here,
	 * whole, by this agent or by one started at the same time */
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		r = make_new(dir, path, err, errlen);
		if (r < 0)
			return r;
		made = r == 0;
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		if (r == -EWOULDBLOCK) {
			holder_pid(fd, pid, sizeof(pid));
			snprintf(err, errlen,
				 "state-dir %s is in use by another odmagent%s%s%s: each agent "
				 "needs a state-dir of its own",
				 dir, pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
		} else {
			snprintf(err, errlen, "%s: flock: %s", path, strerror(-r));
		}
		close(fd);
		return r;
	}
	/* ours now: a file that was there and does not say "stopped" is a run
	 * that did not stop cleanly (its pid, or none: it could not write it) */
	*unclean = !made && !says_stopped(fd);
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	/* over the mark, in place (agentlock.h): written before cut to length */
	r = (int)pwrite(fd, line, (size_t)n, 0);
	if (r == n) {
		(void)!ftruncate(fd, n);
	} else {
		r = r < 0 ? -errno : -ENOSPC;
		/* no "stopped" may stay: an empty file marks this run unclean too */
		if (ftruncate(fd, 0) < 0)
			log_warn(-errno, "%s: cannot record the pid (%s) nor empty the file: "
					 "a crash of this run will not be noticed by the next one",
				 path, strerror(-r));
		else
			log_warn(r, "%s: cannot record the pid; the next run will take this one "
				    "for a crashed one", path);
	}
	return fd;
}

int agentlock_mark_stopped(int fd)
{
	/* over the pid, in place, so the file keeps its block (agentlock.h) */
	if (pwrite(fd, AGENTLOCK_STOPPED, sizeof(AGENTLOCK_STOPPED) - 1, 0) !=
		    (ssize_t)sizeof(AGENTLOCK_STOPPED) - 1 ||
	    ftruncate(fd, sizeof(AGENTLOCK_STOPPED) - 1) < 0)
		return errno ? -errno : -EIO;
	return 0;
}

int agentlock_check(int fd, const char *dir, int *said)
{
	char path[4096], err[512];
	struct stat held, there;
	int nfd, unclean, gone, r;

	if (fd < 0 || !dir || snprintf(path, sizeof(path), "%s/%s", dir, AGENTLOCK_FILE) >=
				     (int)sizeof(path))
		return fd;
	if (fstat(fd, &held) < 0)
		return fd;
	r = lstat(path, &there);
	if (r == 0 && there.st_dev == held.st_dev && there.st_ino == held.st_ino)
		return fd;
	gone = r < 0 && (errno == ENOENT || errno == ENOTDIR);
	nfd = agentlock_take(dir, &unclean, err, sizeof(err));
	if (nfd < 0) {
		if (nfd != *said)
			log_err(0, "%s was %s under the agent and cannot be taken again (%s): a "
				     "second agent could take state-dir %s; tried again each second",
				path, gone ? "removed" : "replaced", err, dir);
		*said = nfd;
		return fd;
	}
	log_warnx("%s was %s under the agent: made again and locked by this one (pid %ld)", path,
		  gone ? "removed" : "replaced", (long)getpid());
	*said = 0;
	close(fd);
	return nfd;
}

void agentlock_release(int fd, int clean)
{
	int rc;

	if (fd < 0)
		return;
	if (clean && (rc = agentlock_mark_stopped(fd)) < 0)
		log_warn(rc, "marking %s stopped", AGENTLOCK_FILE);
	close(fd);
}
