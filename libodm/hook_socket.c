/* SPDX-License-Identifier: MIT */
/*
 * hook_socket.c — interposed socket calls: connect/sendto/sendmsg/sendmmsg
 * lease and bind first (shim_connect.h); socket/accept/accept4 purge a stale
 * fd-table slot for the number they hand out (socket_wrapper does the same),
 * so a close the shim never saw cannot make a new socket look leased.
 */
#include <errno.h>
#include <sys/socket.h>

#include "fdtable.h"
#include "guard.h"
#include "libc_real.h"
#include "ownpid.h"
#include "shim_connect.h"
#include "shim_policy.h"

/* A new fd number: forget whatever the table said about it. */
static void purge(int fd)
{
	struct fdtable *t = fdtable_global(0);
	struct fd_lease l;
	int saved;

	if (fdtable_state(t, fd) == FDT_UNKNOWN || ownpid_foreign())
		return;
	saved = errno;
	if (fdtable_drop(t, fd, &l) && !guard_active()) {
		guard_enter();
		shim_release_hint(fd, &l);
		guard_leave();
	}
	errno = saved;
}

int socket(int domain, int type, int protocol)
{
	int fd = REAL(socket)(domain, type, protocol);

	if (fd >= 0)
		purge(fd);
	return fd;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int nfd = REAL(accept)(fd, addr, len);

	if (nfd >= 0)
		purge(nfd);
	return nfd;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int nfd = REAL(accept4)(fd, addr, len, flags);

	if (nfd >= 0)
		purge(nfd);
	return nfd;
}

/* 0, or -errno: the call fails (a type asked for could not be had). */
static int before_send(int fd, const struct sockaddr *dst, socklen_t len, const char *what)
{
	int r;

	if (guard_active() || !shim_policy_dst_eligible(dst, len))
		return 0;
	guard_enter();
	r = shim_before_send(fd, dst, len, what);
	guard_leave();
	if (r < 0)
		errno = -r;
	return r;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (before_send(fd, addr, len, "connect") < 0)
		return -1;
	return REAL(connect)(fd, addr, len);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
	       socklen_t len)
{
	/* Connected sockets pass no address: nothing to decide. */
	if (addr && before_send(fd, addr, len, "sendto") < 0)
		return -1;
	return REAL(sendto)(fd, buf, n, flags, addr, len);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (msg && msg->msg_name &&
	    before_send(fd, (const struct sockaddr *)msg->msg_name, msg->msg_namelen, "sendmsg") < 0)
		return -1;
	return REAL(sendmsg)(fd, msg, flags);
}

/* The first datagram's address decides, as a sendmsg() of it alone would:
 * a socket has one source address, whichever peers its datagrams go to.
 * Without this, a program sending its first datagrams with sendmmsg() (DNS
 * and QUIC software does) would go out from a plain address unseen. */
int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	if (vec && vlen > 0 && vec[0].msg_hdr.msg_name &&
	    before_send(fd, (const struct sockaddr *)vec[0].msg_hdr.msg_name,
			vec[0].msg_hdr.msg_namelen, "sendmmsg") < 0)
		return -1;
	return REAL(sendmmsg)(fd, vec, vlen, flags);
}
