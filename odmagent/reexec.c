/* SPDX-License-Identifier: MIT */
/* reexec.c — the agent started again in place (see reexec.h). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "reexec.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static char **saved_argv;

void reexec_remember(char **argv)
{
	saved_argv = argv;
}

void reexec_now(const char *why)
{
	sigset_t none;

	log_err(0, "%s: starting again in place (pid %ld), to build it anew and take the "
		   "state over", why, (long)getpid());
	if (!saved_argv) {
		log_err(0, "cannot start again: no arguments kept; exiting");
		_exit(1);
	}
	/* nothing of this run's may reach the next but 0-2: a descriptor
	 * opened without O_CLOEXEC (by a library) would stay open forever */
	(void)!syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv("/proc/self/exe", saved_argv);
	log_err(-errno, "exec /proc/self/exe; exiting");
	_exit(1);
}
