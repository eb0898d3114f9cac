/* SPDX-License-Identifier: MIT */
/*
 * lazylib.c — c-ares and jansson, loaded the first time the shim calls them.
 *
 * Every program started with libodm.so preloaded pays, before main(), for
 * each library libodm.so needs: ld.so opens, maps and relocates it (about
 * a dozen system calls and page faults each, here). Most programs never
 * talk to the agent (jansson) nor look up a cha record (c-ares), so
 * libodm.so is not linked with them. The functions of theirs that the shim
 * calls are defined below under their own names, hidden by libodm.map:
 * the first call dlopen()s the library (RTLD_LOCAL: nothing of it joins
 * the program's symbol scope) and dlsym()s the function in it; every call
 * then goes through that pointer. If the library cannot be loaded, each
 * function fails the way the library itself reports failure (NULL, 0,
 * ARES_ENOTINITIALIZED, a json_error_t that says why), so callers take
 * their error paths: no lease, no cha answer, as if the agent were away.
 * Such a failure is not kept for the life of the process: dlopen() fails
 * as well when the process is out of descriptors for a moment (EMFILE,
 * getrlimit(2) RLIMIT_NOFILE) or out of memory, after which the library
 * loads. It is tried again at a call LAZY_RETRY_MS or more after the last
 * try, so a library that is not there at all (a chroot(2) without it)
 * costs one try a second, not one a call.
 * c-ares is opened with RTLD_DEEPBIND as well: it calls its own exported
 * functions through its PLT (ares_query calls ares_send), and a program
 * that carries a c-ares of its own and exports it (node does) would
 * otherwise receive those calls with our channel,
 * whose layout its version does not share. Deep binding makes c-ares
 * look in itself and its own dependencies first. No memory crosses the
 * boundary (the shim frees nothing c-ares allocated), so c-ares using
 * libc's malloc where the program brought another does no harm. The
 * sanitizers refuse RTLD_DEEPBIND (they abort the process), so where one
 * is present c-ares is opened without it. jansson calls none of its own
 * exported functions through its PLT and hands the shim strings to free,
 * so it is opened without deep binding.
 * The sonames come from the Makefile (those of the libraries found at
 * build time). Only libodm.so is built with this file; odmagent, odmctl
 * and the unit tests link the libraries themselves.
 */
#include <ares.h>
#include <dlfcn.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "chacache.h"
#include "lazylib.h"
#include "shim_log.h"

#ifndef ODM_CARES_SONAME
#define ODM_CARES_SONAME "libcares.so.2"
#endif
#ifndef ODM_JANSSON_SONAME
#define ODM_JANSSON_SONAME "libjansson.so.4"
#endif

enum lazylib { LAZY_CARES, LAZY_JANSSON, LAZY_N };

static const char *const lazy_soname[LAZY_N] = { ODM_CARES_SONAME, ODM_JANSSON_SONAME };
static void *lazy_handle[LAZY_N];
/* held while a library is loaded; when the last try failed, the monotonic
 * ms before which it is not tried again */
static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t lazy_retry_at[LAZY_N];

/* 1 when a sanitizer runtime (ours under SAN=1, or the program's) is in the
 * process: it aborts on RTLD_DEEPBIND. */
static int sanitized(void)
{
	return dlsym(RTLD_DEFAULT, "__sanitizer_print_stack_trace") != NULL;
}

/* Library l's handle: loaded now if it is not yet and its last try (if
 * any) was LAZY_RETRY_MS or more ago; NULL if it is not loaded. */
static void *load(enum lazylib l)
{
	void *h = __atomic_load_n(&lazy_handle[l], __ATOMIC_ACQUIRE);
	uint64_t now;

	if (h)
		return h;
	pthread_mutex_lock(&lazy_lock);
	h = lazy_handle[l];
	now = chacache_now_ms(); /* the shim's clock */
	if (!h && now >= lazy_retry_at[l]) {
		int deep = l == LAZY_CARES && !sanitized() ? RTLD_DEEPBIND : 0;

		h = dlopen(lazy_soname[l], RTLD_NOW | RTLD_LOCAL | deep);
		if (h) {
			__atomic_store_n(&lazy_handle[l], h, __ATOMIC_RELEASE);
		} else {
			lazy_retry_at[l] = now + LAZY_RETRY_MS;
			shim_debug("cannot load %s (%s): the shim does without it, and tries "
				   "again in %d ms at the earliest", lazy_soname[l], dlerror(),
				   LAZY_RETRY_MS);
		}
	}
	pthread_mutex_unlock(&lazy_lock);
	return h;
}

void lazylib_atfork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

	lazy_lock = fresh;
}

/* The function name of library l, bound into *slot on first use; NULL if unavailable. */
static void *lazy_sym(enum lazylib l, const char *name, void **slot)
{
	void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE), *h;

	if (f)
		return f;
	h = load(l);
	f = h ? dlsym(h, name) : NULL;
	if (f)
		__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	return f;
}

/* name(params) of library l: the real one's result, or fail without it. */
#define LAZY(l, ret, fail, name, params, args)                                      \
	ret name params                                                             \
	{                                                                           \
		static void *slot;                                                  \
		ret(*f) params = (ret(*) params)lazy_sym(l, #name, &slot);          \
		return f ? f args : (fail);                                         \
	}
/* The same for a function without a result. */
#define LAZY_VOID(l, name, params, args)                                            \
	void name params                                                            \
	{                                                                           \
		static void *slot;                                                  \
		void(*f) params = (void(*) params)lazy_sym(l, #name, &slot);        \
		if (f)                                                              \
			f args;                                                     \
	}

/* c-ares: the AAAA lookup of cha.<host> (chalookup.c) */
LAZY(LAZY_CARES, int, ARES_ENOTINITIALIZED, ares_library_init, (int flags), (flags))
LAZY(LAZY_CARES, int, ARES_ENOTINITIALIZED, ares_init_options,
     (ares_channel * ch, struct ares_options *opt, int mask), (ch, opt, mask))
LAZY_VOID(LAZY_CARES, ares_set_socket_functions,
	  (ares_channel ch, const struct ares_socket_functions *fns, void *user), (ch, fns, user))
LAZY_VOID(LAZY_CARES, ares_destroy, (ares_channel ch), (ch))
LAZY(LAZY_CARES, int, ARES_ENOTINITIALIZED, ares_set_servers_ports,
     (ares_channel ch, struct ares_addr_port_node *servers), (ch, servers))
LAZY(LAZY_CARES, int, ARES_ENOTINITIALIZED, ares_save_options,
     (ares_channel ch, struct ares_options *opt, int *mask), (ch, opt, mask))
LAZY_VOID(LAZY_CARES, ares_destroy_options, (struct ares_options * opt), (opt))
LAZY(LAZY_CARES, int, 0, ares_getsock, (ares_channel ch, ares_socket_t *socks, int n),
     (ch, socks, n))
LAZY_VOID(LAZY_CARES, ares_process_fd, (ares_channel ch, ares_socket_t r, ares_socket_t w),
	  (ch, r, w))
LAZY(LAZY_CARES, struct timeval *, maxtv, ares_timeout,
     (ares_channel ch, struct timeval *maxtv, struct timeval *tv), (ch, maxtv, tv))
LAZY_VOID(LAZY_CARES, ares_query,
	  (ares_channel ch, const char *name, int dnsclass, int type, ares_callback cb, void *arg),
	  (ch, name, dnsclass, type, cb, arg))
LAZY(LAZY_CARES, int, ARES_ENOTINITIALIZED, ares_parse_aaaa_reply,
     (const unsigned char *abuf, int alen, struct hostent **host, struct ares_addr6ttl *ttls,
      int *nttls),
     (abuf, alen, host, ttls, nttls))

/* jansson: the messages to and from the agent (agent_client.c, api_events.c, ipc.c) */
LAZY_VOID(LAZY_JANSSON, json_delete, (json_t * j), (j))
LAZY(LAZY_JANSSON, char *, NULL, json_dumps, (const json_t *j, size_t flags), (j, flags))
LAZY(LAZY_JANSSON, json_t *, NULL, json_integer, (json_int_t v), (v))
LAZY(LAZY_JANSSON, json_int_t, 0, json_integer_value, (const json_t *j), (j))
LAZY(LAZY_JANSSON, json_t *, NULL, json_string, (const char *s), (s))
LAZY(LAZY_JANSSON, size_t, 0, json_string_length, (const json_t *j), (j))
LAZY(LAZY_JANSSON, const char *, NULL, json_string_value, (const json_t *j), (j))
LAZY(LAZY_JANSSON, json_t *, NULL, json_true, (void), ())
LAZY(LAZY_JANSSON, json_t *, NULL, json_object_get, (const json_t *o, const char *key), (o, key))
LAZY(LAZY_JANSSON, int, -1, json_object_set_new, (json_t * o, const char *key, json_t *v),
     (o, key, v))
LAZY(LAZY_JANSSON, void *, NULL, json_object_iter, (json_t * o), (o))
LAZY(LAZY_JANSSON, void *, NULL, json_object_iter_next, (json_t * o, void *it), (o, it))
LAZY(LAZY_JANSSON, const char *, NULL, json_object_iter_key, (void *it), (it))
LAZY(LAZY_JANSSON, json_t *, NULL, json_object_iter_value, (void *it), (it))
LAZY(LAZY_JANSSON, void *, NULL, json_object_key_to_iter, (const char *key), (key))

json_t *json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err)
{
	static void *slot;
	json_t *(*f)(const char *, size_t, size_t, json_error_t *) =
		(json_t * (*)(const char *, size_t, size_t, json_error_t *))
			lazy_sym(LAZY_JANSSON, "json_loadb", &slot);

	if (f)
		return f(buf, len, flags, err);
	if (err) {
		err->line = err->column = err->position = -1;
		err->source[0] = '\0';
		snprintf(err->text, sizeof(err->text), "%s is not loaded", ODM_JANSSON_SONAME);
	}
	return NULL;
}

/* json_pack is variadic: it goes to json_vpack_ex, which takes the va_list. */
json_t *json_pack(const char *fmt, ...)
{
	static void *slot;
	json_t *(*f)(json_error_t *, size_t, const char *, va_list) =
		(json_t * (*)(json_error_t *, size_t, const char *, va_list))
			lazy_sym(LAZY_JANSSON, "json_vpack_ex", &slot);
	json_t *j;
	va_list ap;

	if (!f)
		return NULL;
	va_start(ap, fmt);
	j = f(NULL, 0, fmt, ap);
	va_end(ap);
	return j;
}
