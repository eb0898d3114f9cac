/* SPDX-License-Identifier: MIT */
/*
 * hook_socket.c — interposed socket calls: connect/sendto/sendmsg/sendmmsg
 * lease and bind first (shim_connect.h), and a UDP bind to [::]:0 waits
 * for them; a send without an address (send, write, writev too) on a
 * connected UDP socket whose lease ended under it connects it again;
 * socket/accept/accept4 purge a stale fd-table slot for the number they
 * hand out (socket_wrapper does the same), so a close the shim never saw
 * cannot make a new socket look leased. A UDP socket bound to [::] and a
 * port answers from the address each peer's datagrams came to when that
 * is one of ODM's (replysrc.h): its sends with an address go through
 * replysrc.c (with no ownpid_foreign(), a getpid() syscall, per datagram:
 * hook_recv.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "fdtable.h"
#include "guard.h"
#include "libc_real.h"
#include "ownpid.h"
#include "replysrc.h"
#include "shim_connect.h"
#include "shim_log.h"
#include "shim_policy.h"

/* A new fd number: forget whatever the table said about it. */
static void purge(int fd)
{
	struct fdtable *t = fdtable_global(0);
	struct fd_lease l;
	int saved;

	replysrc_drop(fd);
	if (fdtable_state(t, fd) == FDT_UNKNOWN || ownpid_foreign())
		return;
	saved = errno;
	if (fdtable_drop(t, fd, &l))
		shim_release_hint(fd, &l);
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

/* ODM_DEBUG: an IPv6 destination on the host or its link, or multicast,
 * goes out as the kernel decides, whatever the type (odm(7) CAVEATS) */
static void say_local(int fd, const struct sockaddr *dst, const char *kind, const char *what)
{
	char buf[INET6_ADDRSTRLEN] = "?";

	inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)dst)->sin6_addr, buf, sizeof(buf));
	shim_debug("%s fd %d -> %s: a %s destination, no address type applies (ODM anchors "
		   "unicast ones beyond the link): plain", what, fd, buf, kind);
}

/* 0, or -errno: the call fails (a type asked for could not be had). */
static int before_send(int fd, const struct sockaddr *dst, socklen_t len, const char *what)
{
	int r;

	if (guard_active())
		return 0;
	if (!shim_policy_dst_eligible(dst, len)) {
		const char *kind;

		if (!shim_debug_on())
			return 0;
		if (shim_policy_dst_ipv4(dst, len))
			say_ipv4(fd, dst, what);
		else if ((kind = shim_policy_dst_local(dst, len)) != NULL)
			say_local(fd, dst, kind, what);
		return 0;
	}
	guard_enter();
	r = shim_send_plain(fd) ? 0 : shim_before_send(fd, dst, len, what);
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
	int deferred, r;

	if (guard_active() || !shim_policy_bind_chooses_nothing(addr, len)) {
		r = REAL(bind)(fd, addr, len);
		if (r == 0 && !guard_active() && !ownpid_foreign())
			replysrc_bound(fd, addr, len);
		return r;
	}
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

/* A leased UDP socket connected to addr: its lease keeps the peer, to
 * connect it again should the lease end under it (reconnect) */
static void note_peer(int fd, const struct sockaddr *addr, socklen_t len)
{
	int saved;

	if (guard_active() || len < (socklen_t)sizeof(struct sockaddr_in6) ||
	    addr->sa_family != AF_INET6)
		return;
	saved = errno;
	fdtable_set_peer(fdtable_global(0), fd, (const struct sockaddr_in6 *)addr);
	errno = saved;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int r;

	if (addr && len >= (socklen_t)sizeof(addr->sa_family) && addr->sa_family == AF_UNSPEC)
		return disconnect(fd, addr, len);
	if (before_send(fd, addr, len, "connect") < 0)
		return -1;
	r = REAL(connect)(fd, addr, len);
	if (r == 0 && addr)
		note_peer(fd, addr, len);
	return r;
}

/*
 * A send without an address failed with EDESTADDRREQ: on a connected,
 * leased UDP socket, that is its lease ending under it (the agent's
 * SOCK_DESTROY disconnected it), never the program's doing (its own
 * disconnect forgets the peer). It is connected to its peer again, leased
 * anew, and the send made once more: the program sees its datagram go, as
 * an unconnected socket's sendto() does (odm(7)). 1: make the call again;
 * 0: the failure stands (errno EDESTADDRREQ); -1: it fails with errno. Only
 * the failure pays: a send that works costs the hook nothing more.
 */
static int reconnect(int fd)
{
	int r;

	if (guard_active() || fdtable_state(fdtable_global(0), fd) != FDT_LEASED ||
	    ownpid_foreign()) {
		errno = EDESTADDRREQ;
		return 0;
	}
	guard_enter();
	r = shim_reconnect_ended(fd);
	guard_leave();
	errno = r < 0 ? -r : EDESTADDRREQ;
	return r < 0 ? -1 : r;
}

/* r, the result of a send without an address on fd: call made once more
 * if reconnect says so, else r stands, or -1 with reconnect's errno */
#define SEND_AGAIN(fd, r, call)                                      \
	do {                                                         \
		if ((r) < 0 && errno == EDESTADDRREQ) {              \
			int again_ = reconnect(fd);                  \
			if (again_ > 0)                              \
				(r) = (call);                        \
			else if (again_ < 0)                         \
				(r) = -1;                            \
		}                                                    \
	} while (0)

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
		fdtable_aborted(fdtable_global(0), fd);
	errno = saved;
	return r;
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
	       socklen_t len)
{
	struct replysrc *rs;
	ssize_t r;

	/* Connected sockets pass no address: nothing to decide. */
	if (addr && before_send(fd, addr, len,
				(flags & MSG_FASTOPEN) ? "sendto(MSG_FASTOPEN)" : "sendto") < 0)
		return -1;
	rs = addr ? replysrc_of(fd) : NULL;
	if (rs)
		r = replysrc_sendto(rs, fd, buf, n, flags, addr, len);
	else
		r = REAL(sendto)(fd, buf, n, flags, addr, len);
	if (!addr)
		SEND_AGAIN(fd, r, REAL(sendto)(fd, buf, n, flags, addr, len));
	return after_send(fd, r);
}

/* The address a message names, as the kernel reads it: none without a
 * length, whatever msg_name points to */
static const struct sockaddr *msg_addr(const struct msghdr *m)
{
	return m->msg_name && m->msg_namelen ? (const struct sockaddr *)m->msg_name : NULL;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct replysrc *rs;
	ssize_t r;

	if (msg && msg_addr(msg) &&
	    before_send(fd, msg_addr(msg), msg->msg_namelen,
			(flags & MSG_FASTOPEN) ? "sendmsg(MSG_FASTOPEN)" : "sendmsg") < 0)
		return -1;
	rs = msg && msg_addr(msg) ? replysrc_of(fd) : NULL;
	if (rs)
		r = replysrc_sendmsg(rs, fd, msg, flags);
	else
		r = REAL(sendmsg)(fd, msg, flags);
	if (msg && !msg_addr(msg))
		SEND_AGAIN(fd, r, REAL(sendmsg)(fd, msg, flags));
	return after_send(fd, r);
}

/* send(), write() and writev() carry no address: only a connected socket's
 * lease ending under it concerns them (reconnect) */
ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	ssize_t r = REAL(send)(fd, buf, n, flags);

	SEND_AGAIN(fd, r, REAL(send)(fd, buf, n, flags));
	return after_send(fd, r);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	ssize_t r = REAL(write)(fd, buf, n);

	SEND_AGAIN(fd, r, REAL(write)(fd, buf, n));
	return r;
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	ssize_t r = REAL(writev)(fd, iov, cnt);

	SEND_AGAIN(fd, r, REAL(writev)(fd, iov, cnt));
	return r;
}

/* The first datagram's address decides, as a sendmsg() of it alone would:
 * a socket has one source address, whichever peers its datagrams go to.
 * Without this, a program sending its first datagrams with sendmmsg() (DNS
 * and QUIC software does) would go out from a plain address unseen. */
int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	struct replysrc *rs = replysrc_of(fd);
	int r;

	if (vec && vlen > 0 && msg_addr(&vec[0].msg_hdr) &&
	    before_send(fd, msg_addr(&vec[0].msg_hdr), vec[0].msg_hdr.msg_namelen, "sendmmsg") < 0)
		return -1;
	if (rs)
		r = replysrc_sendmmsg(rs, fd, vec, vlen, flags);
	else
		r = REAL(sendmmsg)(fd, vec, vlen, flags);
	if (vec && vlen > 0 && !msg_addr(&vec[0].msg_hdr))
		SEND_AGAIN(fd, r, REAL(sendmmsg)(fd, vec, vlen, flags));
	return (int)after_send(fd, r);
}
