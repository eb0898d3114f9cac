/* SPDX-License-Identifier: MIT */
/*
 * watchdog.h — a unit test's time limit, kept by the test's own process.
 *
 * Criterion's .timeout is kept by its runner (BoxFort's timeout thread),
 * whose bookkeeping now and then loses one 48-byte request when timed tests
 * run side by side (--jobs 2): LeakSanitizer then fails the sanitized run
 * on a leak in the runner, not in ODM. Each test runs in a process of its
 * own, so a timer of that process (timer_create(2), not inherited by a
 * fork) ends it the same way: a line on stderr naming the limit, then
 * SIGVTALRM's default action, which Criterion reports as the test's crash.
 * SIGVTALRM, which nothing under test uses (SIGALRM is a test's own in
 * test_fdtable.c).
 *
 * unit_watchdog(seconds) at the start of a suite's .init or a test's body.
 */
#ifndef ODM_TEST_WATCHDOG_H
#define ODM_TEST_WATCHDOG_H

#include <signal.h>
#include <time.h>
#include <unistd.h>

static void unit_watchdog_fired(int sig)
{
	static const char msg[] = "unit test: its time limit passed (tests/unit/watchdog.h)\n";

	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static inline void unit_watchdog(unsigned seconds)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGVTALRM };
	struct itimerspec at = { .it_value = { .tv_sec = (time_t)seconds } };
	timer_t t;

	signal(SIGVTALRM, unit_watchdog_fired);
	if (timer_create(CLOCK_MONOTONIC, &ev, &t) != 0 || timer_settime(t, 0, &at, NULL) != 0) {
		static const char msg[] = "unit test: no time limit (timer_create failed)\n";

		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	}
}

#endif
