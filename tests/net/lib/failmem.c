/* SPDX-License-Identifier: MIT */
/*
 * failmem.c - preloaded into a process under test: while the file named
 * by $ODM_TEST_FAILMEM exists, malloc, calloc and realloc fail with
 * ENOMEM, as under a memory limit (cgroup, RLIMIT_AS); otherwise they are
 * glibc's own. Built at test time (tests/net/test_ctl_nomem.sh).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static int failing(void)
{
	const char *flag = getenv("ODM_TEST_FAILMEM");
	int saved = errno, r = flag && access(flag, F_OK) == 0;

	errno = saved;
	return r;
}

void *malloc(size_t n)
{
	if (failing()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	if (failing()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	if (failing()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}
