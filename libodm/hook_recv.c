/* SPDX-License-Identifier: MIT */
/*
 * hook_recv.c — interposed receives: a UDP socket whose lease ended under
 * it does not report the agent's ending to its program.
 *
 * The agent ends the UDP sockets on a lease's address when the lease ends
 * (idle past udp-inactivity, its anchor gone, the agent stopping; sock_diag
 * SOCK_DESTROY), so that none goes on sending from an address the host no
 * longer has. The kernel reports that as ECONNABORTED on the socket's next
 * call, which for UDP no program expects: node's dgram, for one, turns it
 * into an "error" event that ends a program listening for none. The shim
 * leases such a socket anew at its next send (shim_connect.c); a receive
 * meanwhile has nothing to report, as a datagram that did not come has
 * none: a non-blocking one fails EAGAIN, as with nothing queued (a
 * datagram that came before the ending is received: the kernel reports
 * the error in front of it, and an edge-triggered event loop told EAGAIN
 * would wait for the next datagram before reading it). A
 * blocking one waits on if another thread of the process may send (which
 * leases the socket anew, and the answer comes to the waiting receive);
 * in a process of one thread nothing can come before the receive returns
 * (the socket has no port any more), so it fails EAGAIN too, as when a
 * timeout passes: a program that polled the socket, was told it readable
 * by the ending and receives goes back to its poll instead of hanging. So
 * does the thread whose connect or send took the lease, in a process of
 * several: a worker that sends on its own socket, polls it and receives
 * would otherwise wait for its own next send, for ever.
 * Only a leased UDP socket's ECONNABORTED is taken: a TCP connection ended
 * is the program's to know (odm(7)).
 *
 * Only the failure path pays: one compare of errno after the real call.
 * read() and readv() are bound in the shim's constructor, like write().
 *
 * A UDP socket bound to [::] that the shim gave IPV6_RECVPKTINFO
 * (replysrc.h) receives through replysrc.c, which takes that control
 * message out of what the program gets and notes where its datagram came
 * to; any other costs one load more (replysrc_of). It asks no
 * ownpid_foreign() (a getpid() syscall, each datagram): what it does is
 * right for that socket in any process that has its fd, and a child
 * forked past fork()'s handlers must have the control message taken
 * out too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fdtable.h"
#include "libc_real.h"
#include "ownpid.h"
#include "replysrc.h"
#include "threadserial.h"

/* What a receive that failed does next (after_recv). */
enum { RECV_KEEP, RECV_AGAIN, RECV_NOWAIT };

/* 1 if the process has a thread besides the caller (num_threads, the 20th
 * field of /proc/self/stat, above 1); 0 if not, or not known */
static int other_threads(void)
{
	char buf[512], *p;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC), field;
	ssize_t n;

	if (fd < 0)
		return 0;
	n = REAL(read)(fd, buf, sizeof(buf) - 1);
	real_close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* the name, field 2, is in parentheses and may hold anything */
	p = strrchr(buf, ')');
	for (field = 2; p && field < 20; field++)
		p = strchr(p + 1, ' ');
	return p && atoi(p + 1) > 1;
}

/* r < 0 with errno ECONNABORTED on fd: RECV_AGAIN to receive once more
 * (blocking, another thread may send), RECV_NOWAIT to receive once more
 * without waiting (what is queued, else EAGAIN), else RECV_KEEP. The
 * thread whose send took the lease (fd_lease.thread) is the one to send
 * again: its receive would wait for itself. */
static int after_recv(int fd, ssize_t r, int flags)
{
	struct fdtable *t = fdtable_global(0);
	struct fd_lease l;
	int fl;

	if (r >= 0 || errno != ECONNABORTED)
		return RECV_KEEP;
	/* (fdtable_get asks the table's state itself: an untracked fd costs
	 * one load) */
	if (ownpid_foreign() || !fdtable_get(t, fd, &l) || !l.udp) {
		errno = ECONNABORTED;
		return RECV_KEEP;
	}
	/* its next send looks at the lease at once, not up to a second later,
	 * and takes its address's absence for the lease's end */
	fdtable_aborted(t, fd);
	fl = REAL(fcntl)(fd, F_GETFL);
	if ((flags & MSG_DONTWAIT) || (fl >= 0 && (fl & O_NONBLOCK)) ||
	    l.thread == threadserial_self() || !other_threads()) {
		/* a datagram that came before the ending waits behind its
		 * error, which the kernel reports first: received now, and
		 * never waited for (another thread may take it first; a
		 * recvmmsg() for more than is queued would wait for datagrams
		 * that cannot come): EAGAIN when none is queued */
		return RECV_NOWAIT;
	}
	return RECV_AGAIN;
}

/* the call made again while after_recv says so, with the flags in f_
 * (flags, and MSG_DONTWAIT once it says RECV_NOWAIT: call uses f_) */
#define RECV(r, call, fd, flags)                                             \
	do {                                                                 \
		int how_, f_ = (flags);                                      \
		while (((r) = (call)) < 0 &&                                 \
		       (how_ = after_recv((fd), (r), (flags))) != RECV_KEEP) \
			if (how_ == RECV_NOWAIT)                             \
				f_ |= MSG_DONTWAIT;                          \
	} while (0)

/* read(2) and readv(2) on a socket are recv(2) and recvmsg(2) with no
 * flags: made so again when the flags are not 0 (f_ above) */
static ssize_t readv_flags(int fd, const struct iovec *iov, int cnt, int flags)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt };

	return flags ? REAL(recvmsg)(fd, &m, flags) : REAL(readv)(fd, iov, cnt);
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	ssize_t r;

	RECV(r, REAL(recv)(fd, buf, n, f_), fd, flags);
	return r;
}

ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
		 socklen_t *len)
{
	ssize_t r;

	struct replysrc *rs = replysrc_of(fd);

	if (rs)
		RECV(r, replysrc_recvfrom(rs, fd, buf, n, f_, addr, len), fd, flags);
	else
		RECV(r, REAL(recvfrom)(fd, buf, n, f_, addr, len), fd, flags);
	return r;
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t r;

	struct replysrc *rs = replysrc_of(fd);

	if (rs)
		RECV(r, replysrc_recvmsg(rs, fd, msg, f_), fd, flags);
	else
		RECV(r, REAL(recvmsg)(fd, msg, f_), fd, flags);
	return r;
}

int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags, struct timespec *timeout)
{
	int r;

	struct replysrc *rs = replysrc_of(fd);

	if (rs)
		RECV(r, replysrc_recvmmsg(rs, fd, vec, vlen, f_, timeout), fd, flags);
	else
		RECV(r, REAL(recvmmsg)(fd, vec, vlen, f_, timeout), fd, flags);
	return r;
}

ssize_t read(int fd, void *buf, size_t n)
{
	ssize_t r;

	RECV(r, f_ ? REAL(recv)(fd, buf, n, f_) : REAL(read)(fd, buf, n), fd, 0);
	return r;
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	ssize_t r;

	RECV(r, readv_flags(fd, iov, cnt, f_), fd, 0);
	return r;
}

/* What programs built with _FORTIFY_SOURCE call instead, when the
 * compiler knows the buffer's size (glibc checks it against n). */
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	ssize_t r;

	RECV(r, REAL(__recv_chk)(fd, buf, n, buflen, f_), fd, flags);
	return r;
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
		       struct sockaddr *addr, socklen_t *len)
{
	ssize_t r;

	struct replysrc *rs = replysrc_of(fd);

	if (rs && n <= buflen)
		RECV(r, replysrc_recvfrom(rs, fd, buf, n, f_, addr, len), fd, flags);
	else
		RECV(r, REAL(__recvfrom_chk)(fd, buf, n, buflen, f_, addr, len), fd, flags);
	return r;
}

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	ssize_t r;

	RECV(r, f_ ? REAL(__recv_chk)(fd, buf, n, buflen, f_) : REAL(__read_chk)(fd, buf, n, buflen), fd, 0);
	return r;
}
