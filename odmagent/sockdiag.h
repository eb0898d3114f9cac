/* SPDX-License-Identifier: MIT */
/*
 * sockdiag.h — who still uses an address, asked of the kernel (NETLINK_SOCK_DIAG,
 * inet_diag). Counts only sockets a process still owns (inode != 0): orphans in
 * FIN_WAIT and TIME_WAIT do not hold a lease. Also destroys sockets
 * (SOCK_DESTROY) for types that must fail fast on a move.
 */
#ifndef ODM_SOCKDIAG_H
#define ODM_SOCKDIAG_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/types.h>

struct sockdiag_count {
	unsigned tcp;  /* owned TCP sockets bound to the address, any state but TIME_WAIT */
	unsigned udp;  /* owned UDP sockets bound to the address */
};

/*
 * Whose sockets count for an address: its holders' (uid, and the n_more
 * users in more it is shared with) and root's. Anyone may bind a socket to
 * any address of the host; another user's socket on a lease's address must
 * not keep the lease, and with it a binding and a place in its holder's
 * quota, for as long as that user likes.
 */
struct sockdiag_owner {
	uid_t uid;
	const uid_t *more;
	size_t n_more;
	int anyone; /* every socket counts (an address held for all users) */
};

/* Every socket on addr, whoever owns it. */
int sockdiag_count(const struct in6_addr *addr, struct sockdiag_count *out);
/*
 * The counts of n addresses (in any order, repeats allowed) with one dump
 * per protocol: out[i] for addrs[i], of the sockets owners[i] says count
 * (owners NULL: all; an address asked twice counts as one of the two says).
 * 0 or -errno.
 */
int sockdiag_count_many(const struct in6_addr *addrs, const struct sockdiag_owner *owners,
			size_t n, struct sockdiag_count *out);
/* Index of src (16 octets) in set, sorted by memcmp, n long; -1 if absent. Pure. */
long sockdiag_match(const struct in6_addr *set, size_t n, const void *src);
/*
 * The destroying calls take an IPv4 address as v4-mapped (::ffff:a.b.c.d)
 * and end the sockets of both families on it: AF_INET's and the dual-stack
 * AF_INET6 ones'.
 */
/* Destroy every TCP and UDP socket bound to addr; returns how many, or -errno */
int sockdiag_destroy(const struct in6_addr *addr);
/*
 * Destroy only the TCP sockets bound to addr (their owners get ECONNABORTED);
 * UDP sockets are left alone. How many, or -errno.
 */
int sockdiag_destroy_tcp(const struct in6_addr *addr);
/* Destroy only the UDP sockets bound to addr (udp_abort: the next receive
 * fails with ECONNABORTED, a connected one is disconnected). How many, or
 * -errno. */
int sockdiag_destroy_udp(const struct in6_addr *addr);
/* Destroy the TCP sockets bound to addr still in SYN_SENT (their connect()
 * fails with ECONNABORTED). How many, or -errno. */
int sockdiag_destroy_connecting(const struct in6_addr *addr);

#endif
