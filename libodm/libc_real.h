/* SPDX-License-Identifier: MIT */
/*
 * libc_real.h — the one table of real libc functions behind the hooks.
 *
 * Every interposed symbol is listed once below (X-macro, as torsocks
 * declares its hooked signatures once). The table is filled by the
 * trampolines themselves, not from a constructor, so a hook called by
 * another library's constructor before ours still works (socket_wrapper
 * binds the same way; libfaketime bugs #132 and #416 came from relying on
 * the constructor). Each symbol is looked up alone on its first use: the
 * first getaddrinfo() of a process pays for one dlsym, not for the whole
 * table (about 240 us with a dladdr check per symbol). A symbol that glibc
 * versions is bound with dlvsym; if dlsym hands back a function of
 * libodm.so itself the process aborts with a message, since calling it
 * would recurse forever.
 */
#ifndef ODM_LIBC_REAL_H
#define ODM_LIBC_REAL_H

#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>

#pragma GCC visibility push(hidden)

/* X(return type, name, parameter list, glibc version or NULL, required) */
#define LIBC_REAL_FUNCS(X)                                                          \
	X(int, socket, (int, int, int), NULL, 1)                                    \
	X(int, accept, (int, struct sockaddr *, socklen_t *), NULL, 1)              \
	X(int, accept4, (int, struct sockaddr *, socklen_t *, int), NULL, 1)        \
	X(int, bind, (int, const struct sockaddr *, socklen_t), NULL, 1)            \
	X(int, connect, (int, const struct sockaddr *, socklen_t), NULL, 1)         \
	X(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *, \
			    socklen_t), NULL, 1)                                    \
	X(ssize_t, sendmsg, (int, const struct msghdr *, int), NULL, 1)             \
	X(int, sendmmsg, (int, struct mmsghdr *, unsigned int, int), NULL, 1)      \
	X(ssize_t, send, (int, const void *, size_t, int), NULL, 1)                 \
	X(ssize_t, write, (int, const void *, size_t), NULL, 1)                     \
	X(ssize_t, writev, (int, const struct iovec *, int), NULL, 1)               \
	X(ssize_t, recv, (int, void *, size_t, int), NULL, 1)                       \
	X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *,          \
			      socklen_t *), NULL, 1)                                \
	X(ssize_t, recvmsg, (int, struct msghdr *, int), NULL, 1)                   \
	X(int, recvmmsg, (int, struct mmsghdr *, unsigned int, int,                 \
			  struct timespec *), NULL, 1)                              \
	X(ssize_t, read, (int, void *, size_t), NULL, 1)                            \
	X(ssize_t, readv, (int, const struct iovec *, int), NULL, 1)                \
	X(ssize_t, __recv_chk, (int, void *, size_t, size_t, int), NULL, 1)         \
	X(ssize_t, __recvfrom_chk, (int, void *, size_t, size_t, int,               \
				    struct sockaddr *, socklen_t *), NULL, 1)       \
	X(ssize_t, __read_chk, (int, void *, size_t, size_t), NULL, 1)              \
	X(int, setsockopt, (int, int, int, const void *, socklen_t), NULL, 1)       \
	X(int, getsockopt, (int, int, int, void *, socklen_t *), NULL, 1)           \
	X(int, close, (int), NULL, 1)                                               \
	X(int, __close_nocancel, (int), "GLIBC_PRIVATE", 0)                         \
	X(int, fclose, (FILE *), NULL, 1)                                           \
	X(int, close_range, (unsigned int, unsigned int, int), NULL, 0)             \
	X(void, closefrom, (int), NULL, 0)                                          \
	X(int, dup, (int), NULL, 1)                                                 \
	X(int, dup2, (int, int), NULL, 1)                                           \
	X(int, dup3, (int, int, int), NULL, 1)                                      \
	X(int, fcntl, (int, int, ...), NULL, 1)                                     \
	X(int, fcntl64, (int, int, ...), NULL, 0)                                   \
	X(int, getaddrinfo, (const char *, const char *, const struct addrinfo *,   \
			     struct addrinfo **), NULL, 1)                          \
	X(struct hostent *, gethostbyname2, (const char *, int), NULL, 1)           \
	X(int, gethostbyname2_r, (const char *, int, struct hostent *, char *,     \
				  size_t, struct hostent **, int *), NULL, 1)           \
	X(int, getaddrinfo_a, (int, struct gaicb **, int, struct sigevent *), NULL, 0) \
	X(int, gai_error, (struct gaicb *), NULL, 0)                                \
	X(int, gai_suspend, (const struct gaicb *const[], int, const struct timespec *), NULL, 0)

/* Each function's slot and whether it was looked up (optional ones may stay NULL). */
#define LIBC_REAL_MEMBER(ret, name, params, ver, req) \
	ret(*name) params;                             \
	int name##_bound;
struct libc_real {
	LIBC_REAL_FUNCS(LIBC_REAL_MEMBER)
};
#undef LIBC_REAL_MEMBER

extern struct libc_real libc_real_table;

/* Look name up after libodm.so (dlvsym with version first, if given). */
void *libc_real_bind(const char *name, const char *version, int required);

/* One small function per symbol: look it up once, then only load the slot. */
#define LIBC_REAL_GETTER(ret, name, params, ver, req)                                    \
	static inline ret(*libc_real_get_##name(void)) params                              \
	{                                                                                  \
		if (__builtin_expect(                                                      \
			    __atomic_load_n(&libc_real_table.name##_bound, __ATOMIC_ACQUIRE), 1)) \
			return libc_real_table.name;                                       \
		__atomic_store_n(&libc_real_table.name,                                    \
				 (ret(*) params)libc_real_bind(#name, ver, req),           \
				 __ATOMIC_RELAXED);                                        \
		__atomic_store_n(&libc_real_table.name##_bound, 1, __ATOMIC_RELEASE);      \
		return libc_real_table.name;                                               \
	}
LIBC_REAL_FUNCS(LIBC_REAL_GETTER)
#undef LIBC_REAL_GETTER

/*
 * The real function `name`, looked up on first use (two threads may both
 * look it up; they store the same pointer). Optional symbols (required = 0)
 * may be NULL on an older libc; callers fall back.
 */
#define REAL(name) (libc_real_get_##name())

/* Real close that also works where close_range/__close_nocancel are absent. */
int real_close(int fd);

#pragma GCC visibility pop

#endif
