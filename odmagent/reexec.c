/* SPDX-License-Identifier: MIT */
/* reexec.c — the agent started again in place (see reexec.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agentlock.h"
#include "log.h"
#include "monotime.h"
#include "reexec.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static char **saved_argv;
static int lock_fd = -1;
static struct reexec_count count;

/* digits, at most max of them, at *s; the value, s moved past them */
static int digits(const char **s, int max, unsigned long long *v)
{
	int n = 0;

	*v = 0;
	while (isdigit((unsigned char)**s) && n < max) {
		*v = *v * 10 + (unsigned)(**s - '0');
		(*s)++;
		n++;
	}
	return n > 0 && !isdigit((unsigned char)**s);
}

void reexec_count_parse(struct reexec_count *c, const char *text)
{
	unsigned long long n, first;

	c->n = 0;
	c->first_ms = 0;
	if (!text || !digits(&text, 2, &n) || *text++ != ' ' || !digits(&text, 19, &first) ||
	    *text != '\0' || n > REEXEC_MAX || first == 0)
		return;
	c->n = (unsigned)n;
	c->first_ms = first;
}

int reexec_count_take(struct reexec_count *c, uint64_t now_ms)
{
	if (!c->first_ms || now_ms < c->first_ms || now_ms - c->first_ms >= REEXEC_WINDOW_MS) {
		c->n = 0;
		c->first_ms = now_ms ? now_ms : 1;
	}
	if (c->n >= REEXEC_MAX)
		return 0;
	c->n++;
	return 1;
}

void reexec_remember(char **argv)
{
	saved_argv = argv;
	reexec_count_parse(&count, getenv(REEXEC_ENV));
	unsetenv(REEXEC_ENV); /* not for the programs the agent runs */
}

void reexec_remember_lock(int fd)
{
	lock_fd = fd;
}

/* Every descriptor past 2 close-on-exec: close_range where the kernel has
 * it (5.11), else one fcntl each up to the limit */
static void all_cloexec(void)
{
	struct rlimit rl;
	long max;

	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ?
		      (long)rl.rlim_cur :
		      65536;
	for (long fd = 3; fd < max && fd < 1048576; fd++) {
		int fl = fcntl((int)fd, F_GETFD);

		if (fl >= 0 && !(fl & FD_CLOEXEC))
			(void)fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC);
	}
}

int reexec_now(const char *why, int saved)
{
	char env[48];
	sigset_t none;
	int rc;

	if (!reexec_count_take(&count, mono_ms())) {
		log_err(0, "%s: started again in place %u times within %u s already: stopping, "
			   "to exit with status %d, for the supervisor to decide", why, count.n,
			   REEXEC_WINDOW_MS / 1000, REEXEC_EXIT_STATUS);
		return -EAGAIN;
	}
	log_err(0, "%s: starting again in place (pid %ld), to build it anew and take the "
		   "state over", why, (long)getpid());
	if (saved && lock_fd >= 0 && (rc = agentlock_mark_stopped(lock_fd)) < 0)
		log_warn(rc, "marking the state saved: the next image starts as after a crash");
	if (!saved_argv) {
		log_err(0, "cannot start again: no arguments kept; exiting");
		_exit(1);
	}
	/* nothing of this run's may reach the next but 0-2: a descriptor
	 * opened without O_CLOEXEC (by a library) would stay open forever */
	all_cloexec();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	snprintf(env, sizeof(env), "%u %llu", count.n, (unsigned long long)count.first_ms);
	setenv(REEXEC_ENV, env, 1);
	execv("/proc/self/exe", saved_argv);
	log_err(-errno, "exec /proc/self/exe; exiting");
	_exit(1);
}
