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

int agentlock_take(const char *dir, int *unclean, char *err, size_t errlen)
{
	char path[4096], pid[24], line[24];
	int fd, r, n;

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
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
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
	/* ours now: a pid left in it is a run that did not stop cleanly; say
	 * who holds it (a failure here costs only the pid in another agent's
	 * message, and the next run's notice of a crash) */
	holder_pid(fd, pid, sizeof(pid));
	*unclean = pid[0] != '\0';
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	/* written before cut to length: a failed write leaves the last pid,
	 * not an empty file that would hide this run's crash */
	if (pwrite(fd, line, (size_t)n, 0) == n)
		(void)!ftruncate(fd, n);
	return fd;
}

void agentlock_release(int fd, int clean)
{
	if (fd < 0)
		return;
	if (clean && ftruncate(fd, 0) < 0)
		log_warn(-errno, "emptying %s", AGENTLOCK_FILE);
	close(fd);
}
