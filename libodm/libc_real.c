/* SPDX-License-Identifier: MIT */
/*
 * libc_real.c — bind the real libc functions, each on its first use (see
 * libc_real.h).
 *
 * Idea from cwrap's socket_wrapper (one symbol table, bound from the
 * trampolines rather than a constructor) and torsocks (one X-macro list).
 * Each symbol is looked up alone, the first time a hook needs it: a process
 * that only resolves a name pays for one dlsym, not for the whole table.
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libc_real.h"

struct libc_real libc_real_table;

/* Where this object's segments lie: a symbol inside them is one of our hooks. */
static uintptr_t self_lo, self_hi;
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t me = (uintptr_t)data, lo = UINTPTR_MAX, hi = 0;
	int mine = 0;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
		if (ph->p_type != PT_LOAD)
			continue;
		if (me >= a && me < b)
			mine = 1;
		if (a < lo)
			lo = a;
		if (b > hi)
			hi = b;
	}
	if (!mine)
		return 0;
	self_lo = lo;
	self_hi = hi;
	return 1;
}

/* One walk over the loaded objects' headers: no symbol table is searched. */
static void self_range(void)
{
	dl_iterate_phdr(find_self, (void *)(uintptr_t)find_self);
}

static void die(const char *name, const char *why)
{
	char msg[256];
	int n;

	/* No stdio: this may run inside a hook, before stdio is usable; and
	 * not write(), which is a hook too: its own binding may be what failed */
	n = snprintf(msg, sizeof(msg), "odm: cannot bind real libc %s: %s; aborting\n", name,
		     why);
	if (n > 0)
		(void)!syscall(SYS_write, 2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	abort();
}

void *libc_real_bind(const char *name, const char *version, int required)
{
	int saved = errno;
	void *fn = NULL;

	if (version)
		fn = dlvsym(RTLD_NEXT, name, version);
	if (!fn)
		fn = dlsym(RTLD_NEXT, name);
	if (!fn && required)
		die(name, "symbol not found after libodm.so");
	pthread_once(&self_once, self_range);
	if (fn && (uintptr_t)fn >= self_lo && (uintptr_t)fn < self_hi)
		die(name, "dlsym returned libodm.so's own hook (is libodm.so loaded twice?)");
	errno = saved;
	return fn;
}

int real_close(int fd)
{
	return REAL(close)(fd);
}
