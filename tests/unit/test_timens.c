/* SPDX-License-Identifier: MIT */
/*
 * test_timens.c — the time namespace's boot-time offset (timens.h): the
 * text of /proc/PID/timens_offsets read strictly, and, in a time namespace
 * whose boot-time clock is a day ahead of the kernel's (root; skipped
 * where the kernel has none), a kernel's boot-time stamp (what the bpf
 * backend's programs write, bpf_ktime_get_boot_ns) made a time of the
 * agent's clock there.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boottime_ahead.h"
#include "monotime.h"
#include "timens.h"

static int parse(const char *s, int64_t *off)
{
	return timens_boot_offset_parse(s, strlen(s), off);
}

Test(timens, the_kernels_text_gives_the_boottime_offset)
{
	int64_t off = 0;

	cr_assert_eq(parse("monotonic           0         0\n"
			   "boottime        86400         0\n", &off), 0);
	cr_assert_eq(off, 86400ll * 1000000000);
	cr_assert_eq(parse("monotonic 3600 0\nboottime -5 500000000\n", &off), 0);
	cr_assert_eq(off, -4500000000ll, "-5 s + 0.5 s: %lld", (long long)off);
	cr_assert_eq(parse("1 7 0\n7 2 999999999", &off), 0, "clock ids, no last newline");
	cr_assert_eq(off, 2999999999ll);
	cr_assert_eq(parse("boottime 0 0\n", &off), 0);
	cr_assert_eq(off, 0);
}

Test(timens, anything_else_is_refused_and_changes_nothing)
{
	static const char *const bad[] = {
		"",
		"\n",
		"monotonic 0 0\n",                /* no boottime line */
		"boottime 1\n",
		"boottime 1 1000000000\n",        /* ns past a second */
		"boottime 1 -1\n",
		"boottime x 0\n",
		"boottime 1 0 9\n",
		"boottime - 0\n",
		"boottime 1 0\n\nmonotonic 0 0\n", /* an empty line */
		"realtime 1 0\nboottime 1 0\n",
		"boottime 9000000001 0\n",        /* past what int64 ns hold */
		"boottime 1234567890123456789 0\n",
		"boottime\t1\t0x\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t off = 42;

		cr_assert_eq(parse(bad[i], &off), -EINVAL, "\"%s\" taken", bad[i]);
		cr_assert_eq(off, 42, "\"%s\" changed the offset", bad[i]);
	}
	/* the length bounds the text, not a NUL */
	int64_t off = 42;
	cr_assert_eq(timens_boot_offset_parse("boottime 1 0\n", 10, &off), -EINVAL);
}

Test(timens, a_stamp_of_zero_stays_none)
{
	cr_assert_eq(timens_stamp_ms(0, 5000000000ll), 0);
	cr_assert_eq(timens_stamp_ms(1000000, -5000000000ll), 1, "before the clock began: 1");
	cr_assert_eq(timens_stamp_ms(3000000000ull, 0), 3000);
}

/*
 * In a time namespace a day ahead of the kernel's boot-time clock, a stamp
 * the kernel took a moment ago (read outside, as a BPF program's
 * bpf_ktime_get_boot_ns) is a moment ago on mono_ms(): it was a day ago,
 * and the host agent on the bpf backend ended a UDP lease in use as idle
 * at each look. The child reports by its exit status.
 */
Test(timens, a_kernel_stamp_is_the_agents_clock_in_a_time_namespace)
{
	struct timespec raw;
	int st;
	pid_t pid;

	boottime_ahead_a_day();
	clock_gettime(CLOCK_BOOTTIME, &raw); /* this process is outside it */
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int64_t off = 0;
		uint64_t ns = (uint64_t)raw.tv_sec * 1000000000 + (uint64_t)raw.tv_nsec;
		uint64_t at, now;

		if (timens_boot_offset(&off) != 0 || off != BOOTTIME_AHEAD_S * 1000000000ll)
			_exit(2);
		at = timens_stamp_ms(ns, off);
		now = mono_ms();
		/* a moment: generous, the machine may be loaded */
		_exit(at <= now && now - at < 10000 ? 0 : 3);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "the child died");
	cr_assert_neq(WEXITSTATUS(st), 2, "the offset read in the namespace is not a day");
	cr_assert_eq(WEXITSTATUS(st), 0, "the stamp is not a moment ago on the agent's clock");
}
