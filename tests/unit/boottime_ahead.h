/* SPDX-License-Identifier: MIT */
/*
 * boottime_ahead.h — a unit test's children in a time namespace whose
 * boot-time clock is a day ahead of the kernel's, their monotonic clock as
 * it is: what a day's suspend leaves a process (clock_gettime(2),
 * time_namespaces(7)). boottime_ahead_a_day() at the start of a test's
 * body; the test's own process stays outside (unshare(CLONE_NEWTIME)
 * moves its children only), the children it forks from then on are in it.
 * Skips the test without root or time namespaces.
 */
#ifndef ODM_TEST_BOOTTIME_AHEAD_H
#define ODM_TEST_BOOTTIME_AHEAD_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define BOOTTIME_AHEAD_S 86400

static inline void boottime_ahead_a_day(void)
{
	const char *line = "boottime 86400 0\n";
	int fd;

	if (geteuid() != 0)
		cr_skip_test("needs root for a time namespace");
	if (unshare(CLONE_NEWTIME) < 0)
		cr_skip_test("unshare(CLONE_NEWTIME): %s", strerror(errno));
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "/proc/self/timens_offsets: %s", strerror(errno));
	cr_assert_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line), "%s", strerror(errno));
	close(fd);
}

#endif
