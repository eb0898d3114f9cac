/* SPDX-License-Identifier: MIT */
/* test_bgsave.c — the child that writes a snapshot (odmagent/bgsave.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "bgsave.h"

static int marker = 1;

static int fails(void *arg)
{
	return *(int *)arg == 2 ? -ENOSPC : -EIO;
}

static int sees_the_copy(void *arg)
{
	/* the parent changed marker after the fork: the child has its copy */
	return *(int *)arg == 1 ? 0 : -EINVAL;
}

static int sleeps(void *arg)
{
	(void)arg;
	pause();
	return 0;
}

static int reap(struct bgsave *bg, uint64_t now, int *rc, uint64_t *took)
{
	for (int i = 0; i < 500; i++) {
		if (bgsave_reap(bg, 0, now, rc, took))
			return 1;
		usleep(10000);
	}
	return 0;
}

Test(bgsave, child_works_on_a_copy_and_reports)
{
	struct bgsave bg = { 0 };
	int rc = 1, two = 2;
	uint64_t took = 0;

	marker = 1;
	cr_assert_eq(bgsave_start(&bg, 1000, sees_the_copy, &marker), 0);
	marker = 5;
	cr_assert(bgsave_busy(&bg));
	cr_assert_eq(bgsave_start(&bg, 1000, sees_the_copy, &marker), -EBUSY, "one at a time");
	cr_assert(reap(&bg, 1250, &rc, &took));
	cr_assert_eq(rc, 0);
	cr_assert_eq(took, 250);
	cr_assert(!bgsave_busy(&bg));
	cr_assert_eq(bgsave_reap(&bg, 1, 1300, &rc, &took), 0, "none left");

	cr_assert_eq(bgsave_start(&bg, 0, fails, &two), 0);
	cr_assert_eq(bgsave_reap(&bg, 1, 10, &rc, &took), 1, "a blocking reap waits");
	cr_assert_eq(rc, -ENOSPC, "the work's error, through the exit status");
}

Test(bgsave, child_killed_or_stopped_by_a_signal)
{
	struct bgsave bg = { 0 };
	int rc = 0;
	uint64_t took;
	pid_t pid;

	/* the parent ignores SIGTERM (the agent's loop handles it): the
	 * child must not, so a stop of the service stops it */
	signal(SIGTERM, SIG_IGN);
	cr_assert_eq(bgsave_start(&bg, 0, sleeps, NULL), 0);
	pid = bg.pid;
	usleep(50000);
	cr_assert_eq(bgsave_reap(&bg, 0, 10, &rc, &took), 0, "still running");
	cr_assert_eq(kill(pid, SIGTERM), 0);
	cr_assert(reap(&bg, 20, &rc, &took));
	cr_assert_eq(rc, -ECANCELED);
	signal(SIGTERM, SIG_DFL);
}

Test(bgsave, child_holds_no_lock_of_the_parent)
{
	struct bgsave bg = { 0 };
	char path[] = "/tmp/odm-bgsave-lock-XXXXXX";
	int fd = mkstemp(path), fd2, rc;
	uint64_t took;

	cr_assert_geq(fd, 0);
	cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	cr_assert_eq(bgsave_start(&bg, 0, sleeps, NULL), 0);
	usleep(50000); /* the child has closed what it inherited */
	close(fd);
	fd2 = open(path, O_RDWR);
	cr_assert_geq(fd2, 0);
	cr_assert_eq(flock(fd2, LOCK_EX | LOCK_NB), 0,
		     "the lock went with the parent's descriptor, the child kept none");
	close(fd2);
	unlink(path);
	kill(bg.pid, SIGKILL);
	cr_assert_eq(bgsave_reap(&bg, 1, 0, &rc, &took), 1);
}

/* 1 once pid is gone or a zombie (its parent has not reaped it yet) */
static int gone(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] == ' ' && p[2] == 'Z';
}

Test(bgsave, child_dies_with_its_parent)
{
	int p[2];
	pid_t mid, child = 0;

	cr_assert_eq(pipe(p), 0);
	mid = fork();
	cr_assert_geq(mid, 0);
	if (mid == 0) {
		struct bgsave bg = { 0 };

		if (bgsave_start(&bg, 0, sleeps, NULL) != 0)
			_exit(1);
		if (write(p[1], &bg.pid, sizeof(bg.pid)) != sizeof(bg.pid))
			_exit(1);
		usleep(50000); /* the child is past its prctl */
		_exit(0); /* killed, as far as the child can tell */
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &child, sizeof(child)), (ssize_t)sizeof(child));
	close(p[0]);
	waitpid(mid, NULL, 0);
	for (int i = 0; i < 200 && !gone(child); i++)
		usleep(10000);
	cr_assert(gone(child), "the child of a dead agent does not write on (pid %d)", (int)child);
}
