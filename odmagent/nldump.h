/* SPDX-License-Identifier: MIT */
/*
 * nldump.h — the one reader of the answer to a netlink dump request
 * (netlink(7): NLM_F_DUMP), whatever the family: rtnetlink's addresses and
 * links (netconf.c), inet_diag's sockets (sockdiag.c). The caller opens the
 * socket and sends the request; each message of the answer is handed over
 * bounded by its datagram and by its own nlmsg_len, which is all the
 * caller's reader of it may read.
 */
#ifndef ODM_NLDUMP_H
#define ODM_NLDUMP_H

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The most the kernel puts in one datagram of a dump: netlink_dump() sizes
 * it by the reader's largest buffer, up to 32 KiB */
#define NLDUMP_BUF 32768
/* Datagrams one dump may take: a bound, not a limit any host reaches */
#define NLDUMP_MAX_RECV 100000

/* One datagram from the kernel on fd into buf (len bytes): its length, or
 * -errno: -EMSGSIZE for a cut one (a dump missing part of its answer would
 * be taken for the whole), -EAGAIN when a receive timeout ran out.
 * Datagrams of any other sender are passed over, EINTR is retried. */
ssize_t nldump_recv(int fd, void *buf, size_t len);

/* The answer to the dump request seq sent on fd: each of its messages,
 * other than the closing NLMSG_DONE or an NLMSG_ERROR, to take(ctx, h),
 * which returns 0 to go on or -errno to end the dump with. 0 once the
 * kernel said NLMSG_DONE, or -errno: the kernel's NLMSG_ERROR (-EIO if it
 * says none), nldump_recv's, take's, -ENOMEM, -ELOOP for an answer that
 * does not end within NLDUMP_MAX_RECV datagrams, -EINTR for one the kernel
 * marked interrupted (NLM_F_DUMP_INTR: what it dumped changed meanwhile,
 * so something may be missing; netlink(7)): ask again. */
int nldump_read(int fd, uint32_t seq, int (*take)(void *ctx, const struct nlmsghdr *h),
		void *ctx);

#endif
