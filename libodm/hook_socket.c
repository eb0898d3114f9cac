/* SPDX-License-Identifier: MIT */
/*
 * hook_socket.c — interposed socket calls: connect/sendto/sendmsg/sendmmsg
 * lease and bind first (shim_connect.h), and a UDP bind to [::]:0 waits
 * for them; socket/accept/accept4 purge a stale fd-table slot for the number
 * they hand out (socket_wrapper does the same), so a close the shim never
 * saw cannot make a new socket look leased.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include "fdtable.h"
#include "guard.h"
#include "libc_real.h"
#include "ownpid.h"
#include "shim_connect.h"
#include "shim_log.h"
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

/* ODM_DEBUG: an IPv4 destination goes out as the kernel decides, whatever
 * the type (odm(7) CAVEATS). */
static void say_ipv4(int fd, const struct sockaddr *dst, const char *what)
{
	char buf[INET6_ADDRSTRLEN] = "?";

	if (dst->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)dst)->sin_addr, buf, sizeof(buf));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)dst)->sin6_addr, buf, sizeof(buf));
	shim_debug("%s fd %d -> %s: IPv4, no address type applies (ODM's addresses are IPv6): plain",
		   what, fd, buf);
}

/* 0, or -errno: the call fails (a type asked for could not be had). */
static int before_send(int fd, const struct sockaddr *dst, socklen_t len, const char *what)
{
	int r;

	if (guard_active())
		return 0;
	if (!shim_policy_dst_eligible(dst, len)) {
		if (shim_debug_on() && shim_policy_dst_ipv4(dst, len))
			say_ipv4(fd, dst, what);
		return 0;
	}
	guard_enter();
	r = shim_before_send(fd, dst, len, what);
	guard_leave();
	if (r < 0)
		errno = -r;
	return r;
}

/*
 * A UDP socket's bind to [::]:0 names neither an address nor a port: left
 * to the first connect or send (shim_bind_deferred), where the socket's
 * lease binds it. A TCP socket's goes to the kernel: it may be a server's.
 * Done at once, the kernel would pick the port now and the socket could
 * take no leased address later: a UDP client of Java or node, which bind
 * every socket so, would go out plain whatever type it asked for.
 */
int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int deferred;

	if (guard_active() || !shim_policy_bind_chooses_nothing(addr, len))
		return REAL(bind)(fd, addr, len);
	guard_enter();
	deferred = shim_bind_deferred(fd);
	guard_leave();
	return deferred ? 0 : REAL(bind)(fd, addr, len);
}

/* connect(AF_UNSPEC) disconnects: nothing to lease, and a leased UDP
 * socket keeps its lease (shim_disconnect) */
static int disconnect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int r;

	if (guard_active() || fdtable_state(fdtable_global(0), fd) != FDT_LEASED ||
	    ownpid_foreign())
		return REAL(connect)(fd, addr, len);
	guard_enter();
	r = shim_disconnect(fd, addr, len);
	guard_leave();
	return r;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (addr && len >= (socklen_t)sizeof(addr->sa_family) && addr->sa_family == AF_UNSPEC)
		return disconnect(fd, addr, len);
	if (before_send(fd, addr, len, "connect") < 0)
		return -1;
	return REAL(connect)(fd, addr, len);
}

/*
 * A send failed with ECONNABORTED: if fd is leased, the agent ended its
 * socket with its lease, and the next send looks at it at once (the shim
 * leases it anew), not up to a second later (shim_connect.c).
 */
static ssize_t after_send(int fd, ssize_t r)
{
	int saved = errno;

	if (r < 0 && saved == ECONNABORTED &&
	    fdtable_state(fdtable_global(0), fd) == FDT_LEASED)
		fdtable_due_now(fdtable_global(0), fd);
	errno = saved;
	return r;
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
	       socklen_t len)
{
	/* Connected sockets pass no address: nothing to decide. */
	if (addr && before_send(fd, addr, len, "sendto") < 0)
		return -1;
	return after_send(fd, REAL(sendto)(fd, buf, n, flags, addr, len));
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (msg && msg->msg_name &&
	    before_send(fd, (const struct sockaddr *)msg->msg_name, msg->msg_namelen, "sendmsg") < 0)
		return -1;
	return after_send(fd, REAL(sendmsg)(fd, msg, flags));
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
	return (int)after_send(fd, REAL(sendmmsg)(fd, vec, vlen, flags));
}
