/*
 * libc_real.c — bind the real libc functions once (see libc_real.h).
 *
 * Idea from cwrap's socket_wrapper (one symbol table, bound under
 * pthread_once from every trampoline) and torsocks (one X-macro list).
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libc_real.h"

struct libc_real libc_real_table;
static pthread_once_t libc_real_once = PTHREAD_ONCE_INIT;

/* Where this object is loaded: a symbol that resolves inside it is a hook. */
static void *self_base(void)
{
	Dl_info self;

	if (dladdr((void *)self_base, &self) == 0)
		return NULL;
	return self.dli_fbase;
}

static void die(const char *name, const char *why)
{
	char msg[256];
	int n;

	/* No stdio: this may run inside a hook, before stdio is usable. */
	n = snprintf(msg, sizeof(msg), "odm: cannot bind real libc %s: %s; aborting\n", name,
		     why);
	if (n > 0)
		(void)!write(2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	abort();
}

static void *bind_one(const char *name, const char *version, int required, void *self)
{
	void *fn = NULL;
	Dl_info info;

	if (version)
		fn = dlvsym(RTLD_NEXT, name, version);
	if (!fn)
		fn = dlsym(RTLD_NEXT, name);
	if (!fn) {
		if (required)
			die(name, "symbol not found after libodm.so");
		return NULL;
	}
	if (self && dladdr(fn, &info) && info.dli_fbase == self)
		die(name, "dlsym returned libodm.so's own hook (is libodm.so loaded twice?)");
	return fn;
}

static void bind_all(void)
{
	void *self = self_base();
	int saved = errno;

#define LIBC_REAL_BIND(ret, name, params, ver, req) \
	libc_real_table.name = (ret(*) params)bind_one(#name, ver, req, self);
	LIBC_REAL_FUNCS(LIBC_REAL_BIND)
#undef LIBC_REAL_BIND
	errno = saved;
}

void libc_real_init(void)
{
	pthread_once(&libc_real_once, bind_all);
}

int real_close(int fd)
{
	return REAL(close)(fd);
}
