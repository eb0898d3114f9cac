/* SPDX-License-Identifier: MIT */
/*
 * hook_close.c — interposed fd-lifetime calls: close, __close_nocancel,
 * fclose, close_range, closefrom, dup, dup2, dup3, fcntl/fcntl64 (F_DUPFD,
 * F_DUPFD_CLOEXEC).
 *
 * They keep the fd table (fdtable.h) in step with the kernel's: dup'ed fds
 * share one lease entry, and when the last fd of a leased socket goes the
 * agent gets a release hint. The real close runs FIRST and the hint after:
 * the agent confirms a release with sock_diag, which must then see the
 * socket gone (or in FIN_WAIT/TIME_WAIT) rather than still established. The
 * hint never waits (agent_client.h: sent without blocking, never answered,
 * dropped when it cannot go at once) and errno is the real call's.
 * An application closing one of the shim's own fds is noted for the shield.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdtable.h"
#include "guard.h"
#include "libc_real.h"
#include "ownpid.h"
#include "replysrc.h"
#include "shield.h"
#include "shim_connect.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* fd is about to be closed by the application or the shim; forget it. */
static int forget(struct fdtable *t, int fd, int st, struct fd_lease *l)
{
	if (st == FDT_INTERNAL && !guard_active())
		shield_app_closed((unsigned int)fd, (unsigned int)fd);
	return fdtable_drop(t, fd, l);
}

/*
 * fd is about to be closed: 0 if the table knows nothing of it (the common
 * case: one load, one compare; nothing to do after), else 1, its entry
 * forgotten and *last set if that was its lease's last fd (*l filled).
 */
static int closing(int fd, int *last, struct fd_lease *l)
{
	struct fdtable *t = fdtable_global(0);
	int st = fdtable_state(t, fd);

	/* (a UDP server's reply-source memory: one load when there is none) */
	replysrc_drop(fd);
	if (st == FDT_UNKNOWN || ownpid_foreign())
		return 0;
	/*
	 * Forget before the real close: once the number is free another
	 * thread's socket() may get it, and must not find our entry.
	 */
	*last = forget(t, fd, st, l);
	return 1;
}

/* after the real close of a fd closing() took: the hint, errno kept */
static void closed(int fd, int last, const struct fd_lease *l)
{
	int saved = errno;

	if (last)
		shim_release_hint(fd, l);
	errno = saved;
}

static int close_with(int (*real)(int), int fd)
{
	struct fd_lease l;
	int last = 0, ret;

	if (!closing(fd, &last, &l))
		return real(fd);
	ret = real(fd);
	closed(fd, last, &l);
	return ret;
}

int close(int fd)
{
	return close_with(REAL(close), fd);
}

int __close_nocancel(int fd);
int __close_nocancel(int fd)
{
	int (*real)(int) = REAL(__close_nocancel);

	return close_with(real ? real : REAL(close), fd);
}

/*
 * A stream on a socket (fdopen(3), as line-based clients read their
 * replies: netkit's ftp, whois) closes its descriptor inside the C library
 * (glibc's fclose() calls its internal close, bound within libc.so; musl's
 * makes the system call), which no close hook sees: the socket's lease
 * would keep its entry, and its count in the held leases for good (the
 * process's next socket bound to the address as held, its last close
 * hinting nothing), and its agent no release hint. Its fd is read before
 * (fileno(3) takes no lock, and says -1 for a stream on no fd).
 */
int fclose(FILE *stream)
{
	struct fd_lease l;
	int fd, last = 0, ret, saved = errno;

	fd = stream ? fileno(stream) : -1;
	errno = saved;
	if (fd < 0 || !closing(fd, &last, &l))
		return REAL(fclose)(stream);
	ret = REAL(fclose)(stream);
	closed(fd, last, &l);
	return ret;
}

/* [first, last] were closed: forget them, hint for the leases whose last fd went */
static void closed_range(unsigned int first, unsigned int last)
{
	struct fdtable *t = fdtable_global(0);
	struct fd_lease gone;
	int saved = errno;

	if (!guard_active())
		shield_app_closed(first, last);
	replysrc_drop_range(first, last);
	/* the whole range at once, then each lease hinted outside the lock */
	fdtable_drop_range(t, first, last);
	while (fdtable_take_released(t, &gone))
		shim_release_hint(-1, &gone);
	errno = saved;
}

int close_range(unsigned int first, unsigned int last, int flags)
{
	int (*real)(unsigned int, unsigned int, int) = REAL(close_range);
	int ret;

	if (real)
		ret = real(first, last, flags);
	else
		ret = (int)syscall(SYS_close_range, first, last, flags);
	/* (a vfork child closing its copies before exec: not ours to see) */
	if (ret != 0 || (flags & CLOSE_RANGE_CLOEXEC) || first > last || ownpid_foreign())
		return ret;
	closed_range(first, last);
	return ret;
}

/*
 * glibc's closefrom() closes with its own internal close_range, which no
 * hook sees: without this one, the leased sockets it closes would keep
 * their entries (and their held-lease counts) until their numbers came
 * back, and their agent no release hint.
 */
void closefrom(int lowfd)
{
	void (*real)(int) = REAL(closefrom);
	unsigned int first = lowfd < 0 ? 0 : (unsigned int)lowfd;

	if (real)
		real(lowfd);
	else if (syscall(SYS_close_range, first, ~0U, 0) != 0)
		return; /* no closefrom in this libc: none the program could call */
	if (!ownpid_foreign())
		closed_range(first, ~0U);
}

/* newfd now refers to oldfd's file (whatever newfd was is closed). */
static void after_dup(int oldfd, int newfd)
{
	struct fdtable *t = fdtable_global(0);
	struct fd_lease l;
	int saved, st_new;

	if (oldfd == newfd)
		return;
	replysrc_dup(oldfd, newfd);
	st_new = fdtable_state(t, newfd);
	if ((fdtable_state(t, oldfd) == FDT_UNKNOWN && st_new == FDT_UNKNOWN) || ownpid_foreign())
		return;
	saved = errno;
	if (st_new == FDT_INTERNAL && !guard_active())
		shield_app_closed((unsigned int)newfd, (unsigned int)newfd);
	if (fdtable_dup(t, oldfd, newfd, &l))
		shim_release_hint(newfd, &l);
	errno = saved;
}

int dup(int oldfd)
{
	int fd = REAL(dup)(oldfd);

	if (fd >= 0)
		after_dup(oldfd, fd);
	return fd;
}

int dup2(int oldfd, int newfd)
{
	int fd = REAL(dup2)(oldfd, newfd);

	if (fd >= 0)
		after_dup(oldfd, fd);
	return fd;
}

int dup3(int oldfd, int newfd, int flags)
{
	int fd = REAL(dup3)(oldfd, newfd, flags);

	if (fd >= 0)
		after_dup(oldfd, fd);
	return fd;
}

/*
 * fcntl's third argument is an int or a pointer depending on cmd; reading
 * it as unsigned long and passing it on is what musl's fcntl does and is
 * right for both on the Linux ABIs.
 */
static int fcntl_with(int (*real)(int, int, ...), int fd, int cmd, unsigned long arg)
{
	int ret = real(fd, cmd, arg);

	if (ret >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		after_dup(fd, ret);
	return ret;
}

int fcntl(int fd, int cmd, ...)
{
	unsigned long arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	return fcntl_with(REAL(fcntl), fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
	int (*real)(int, int, ...) = REAL(fcntl64);
	unsigned long arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	return fcntl_with(real ? real : REAL(fcntl), fd, cmd, arg);
}
