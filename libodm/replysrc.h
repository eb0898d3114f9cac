/* SPDX-License-Identifier: MIT */
/*
 * replysrc.h — a UDP server bound to the unspecified address answers a
 * datagram that came to one of ODM's addresses from that address.
 *
 * The kernel picks the source of an unconnected UDP socket's datagram by
 * the route to its destination, and never one of ODM's addresses, which
 * the agent adds deprecated (preferred lifetime 0) so that no legacy
 * socket takes one by accident: a server bound to [::] answered a request
 * to the host's fixed address from the access address, and its client
 * dropped the answer (odm(7)). So a UDP socket the program binds to [::]
 * and a port is given IPV6_RECVPKTINFO (at its first receive: a socket
 * bound by a service manager for the program it executes is left as it
 * was, odm(7)); each datagram's
 * destination, when it is a deprecated address of the host (asked of the
 * kernel, RTM_GETADDR, at most once a second per address and socket),
 * is remembered for its sender (replymem.h), and a sendto(), sendmsg() or
 * sendmmsg() to that sender that names no source gets IPV6_PKTINFO with
 * it (RFC 3542 §6). The program sees none of it: the control message it
 * did not ask for is taken out of what it receives, MSG_CTRUNC as the
 * kernel would have said it (cmsgstrip.h), and getsockopt says the option
 * off. A program that sets IPV6_RECVPKTINFO itself chose its sources: its
 * socket is left alone from then on.
 *
 * Per socket (shared by its dups), in a table indexed by fd; a fd without
 * one costs the hooks one load. The memory of one socket is kept under a
 * spin lock that gives up (the datagram is then not remembered, or the
 * answer not given its source) rather than wait on a signal handler that
 * interrupted its holder on the same thread.
 */
#ifndef ODM_REPLYSRC_H
#define ODM_REPLYSRC_H

#include <sys/socket.h>
#include <time.h>

#pragma GCC visibility push(hidden)

struct replysrc;

/* fd's, if the shim sets IPV6_RECVPKTINFO on it for its program (at its
 * first receive); else NULL (one load) */
struct replysrc *replysrc_of(int fd);

/* bind(fd, addr, len) succeeded: if it named [::] and a port on an
 * AF_INET6 UDP socket whose program has not set IPV6_RECVPKTINFO, the
 * shim sets it at the socket's first receive in this process (not at the
 * bind: a socket a service manager binds for the program it executes is
 * left as it was). errno is left as it was. */
void replysrc_bound(int fd, const struct sockaddr *addr, socklen_t len);
/* The program sets IPV6_RECVPKTINFO on fd itself: left alone from now. */
void replysrc_program_sets(int fd);

/* fd is closed (close, close_range for each), or newfd is now oldfd's;
 * nothing in a foreign process (ownpid.h), asked only of a fd with an
 * entry: a fd without one costs one load, no syscall */
void replysrc_drop(int fd);
void replysrc_drop_range(unsigned int first, unsigned int last);
void replysrc_dup(int oldfd, int newfd);

/* In a forked child: the locks free (their holders stayed behind). */
void replysrc_atfork_child(void);

/* The receives and sends of a socket replysrc_of() gave: the real call,
 * with the control message taken out (receives) or added (sends). */
ssize_t replysrc_recvfrom(struct replysrc *rs, int fd, void *buf, size_t n, int flags,
			  struct sockaddr *addr, socklen_t *len);
ssize_t replysrc_recvmsg(struct replysrc *rs, int fd, struct msghdr *msg, int flags);
int replysrc_recvmmsg(struct replysrc *rs, int fd, struct mmsghdr *vec, unsigned int vlen,
		      int flags, struct timespec *timeout);
ssize_t replysrc_sendto(struct replysrc *rs, int fd, const void *buf, size_t n, int flags,
			const struct sockaddr *addr, socklen_t len);
ssize_t replysrc_sendmsg(struct replysrc *rs, int fd, const struct msghdr *msg, int flags);
int replysrc_sendmmsg(struct replysrc *rs, int fd, struct mmsghdr *vec, unsigned int vlen,
		      int flags);

#pragma GCC visibility pop

#endif
