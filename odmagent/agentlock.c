/* SPDX-License-Identifier: MIT */
/* agentlock.c — one agent per state directory (see agentlock.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
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

int agentlock_take(const char *dir, int *unclean, char *err, size_t errlen)
{
	char path[4096], pid[24], line[24];
	int fd, r, n, made = 1;

	*unclean = 0;
	if (!dir || !*dir) {
		snprintf(err, errlen, "no state-dir");
		return -EINVAL;
	}
	if (snprintf(path, sizeof(path), "%s/%s", dir, AGENTLOCK_FILE) >= (int)sizeof(path)) {
		snprintf(err, errlen, "state-dir %s: path too long", dir);
		return -ENAMETOOLONG;
	}
	r = statefile_dir(dir);
	if (r < 0) {
		snprintf(err, errlen, "state-dir %s: %s", dir, strerror(-r));
		return r;
	}
	/* made here, or there before (then it must say how its holder stopped) */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == EEXIST) {
		made = 0;
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

void agentlock_release(int fd, int clean)
{
	int rc;

	if (fd < 0)
		return;
	if (clean && (rc = agentlock_mark_stopped(fd)) < 0)
		log_warn(rc, "marking %s stopped", AGENTLOCK_FILE);
	close(fd);
}
