/* SPDX-License-Identifier: MIT */
/* bgsave.c — a state snapshot written by a child process (see bgsave.h). */
#include "bgsave.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every descriptor but 0-2 closed: the child writes only files it opens
 * itself, and a lock (agentlock.h), socket or device of the parent's
 * must not outlive the parent through it. */
static void child_fds(void)
{
	if (close_range(3, ~0u, 0) == 0)
		return;
	for (long fd = 3, max = sysconf(_SC_OPEN_MAX); fd < max && fd < 65536; fd++)
		close((int)fd);
}

static void child_signals(void)
{
	sigset_t all;

	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

int bgsave_start(struct bgsave *bg, uint64_t now_ms, int (*work)(void *arg), void *arg)
{
	pid_t parent = getpid(), pid;
	sigset_t all, old;
	int err;

	if (bg->pid)
		return -EBUSY;
	/* no signal between the fork and the child's reset of its handlers:
	 * the parent's would run in the child (libuv's writes to a pipe the
	 * parent reads, which would see the signal twice) */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	err = errno;
	if (pid != 0)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		return -err;
	if (pid == 0) {
		int rc;

		child_signals();
		child_fds();
		/* the parent may have died before the prctl took effect */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(ECHILD);
		rc = work(arg);
		_exit(rc < 0 ? (-rc > 255 ? 255 : -rc) : 0);
	}
	bg->pid = pid;
	bg->started_ms = now_ms;
	return 0;
}

int bgsave_busy(const struct bgsave *bg)
{
	return bg->pid != 0;
}

int bgsave_reap(struct bgsave *bg, int block, uint64_t now_ms, int *rc, uint64_t *took_ms)
{
	int st;
	pid_t r;

	if (!bg->pid)
		return 0;
	do
		r = waitpid(bg->pid, &st, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	if (r < 0)
		*rc = -errno; /* not ours any more (ECHILD): reaped elsewhere */
	else if (WIFEXITED(st))
		*rc = -WEXITSTATUS(st);
	else
		*rc = -ECANCELED;
	*took_ms = now_ms > bg->started_ms ? now_ms - bg->started_ms : 0;
	bg->pid = 0;
	return 1;
}
