/* SPDX-License-Identifier: MIT */
/*
 * suspendclock.c - an LD_PRELOAD library for tests/net/test_suspend.sh:
 * clock_gettime(2)'s CLOCK_MONOTONIC (and its _COARSE and _RAW forms)
 * minus an offset, in ns, that the test writes (an int64_t in host order)
 * at the start of the file SUSPEND_OFFSET_FILE names; CLOCK_BOOTTIME and
 * CLOCK_REALTIME are left as they are. A program stopped with SIGSTOP
 * while the test adds the stop's length to the offset finds on SIGCONT
 * what a suspend leaves it: the monotonic clock as it was, the boot-time
 * and wall clocks past the pause. The file is mapped at the first call,
 * so the test changes the offset without the program doing anything.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile const int64_t *offset_ns;
static int mapped;
static int (*real_clock_gettime)(clockid_t, struct timespec *);

static void map_offset(void)
{
	const char *path = getenv("SUSPEND_OFFSET_FILE");
	void *m;
	int fd;

	mapped = 1;
	if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	m = mmap(NULL, sizeof(int64_t), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m != MAP_FAILED)
		offset_ns = m;
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	int64_t ns;
	int rc;

	if (!real_clock_gettime)
		real_clock_gettime =
			(int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	rc = real_clock_gettime(clk, ts);
	if (!mapped)
		map_offset();
	if (rc != 0 || !offset_ns ||
	    (clk != CLOCK_MONOTONIC && clk != CLOCK_MONOTONIC_COARSE && clk != CLOCK_MONOTONIC_RAW))
		return rc;
	ns = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec - *offset_ns;
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
	return rc;
}
