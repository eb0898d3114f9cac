/* SPDX-License-Identifier: MIT */
/*
 * vanished.h — which of the host's own addresses went away on a move, and so
 * whose TCP sockets are to be destroyed (SOCK_DESTROY) so that their
 * applications learn it at once. Pure: the caller takes the snapshots.
 *
 * An address counts as vanished when it was in the earlier snapshot, is in
 * neither the current one nor the set of anchored addresses (leases held on
 * the tunnel device, which survive a move by design).
 */
#ifndef ODM_VANISHED_H
#define ODM_VANISHED_H

#include <netinet/in.h>
#include <stddef.h>

/* the most host addresses one snapshot holds; with more, no verdict */
#define VANISHED_MAX 64

/*
 * Writes to out (room for nb) the addresses of before[0..nb) found neither
 * in now[0..nn) nor in anchored[0..na), each once; returns how many.
 * Any array may be NULL when its count is 0.
 */
size_t vanished_addrs(const struct in6_addr *before, size_t nb, const struct in6_addr *now,
		      size_t nn, const struct in6_addr *anchored, size_t na,
		      struct in6_addr *out);

/*
 * Whether a socket bound to a, seen on the host, is one a move can strand:
 * global-scope unicast (not ::, ::1, link-local or multicast; IPv4-mapped
 * addresses are left out too: vanished_candidate4 judges the IPv4 ones).
 */
int vanished_candidate(const struct in6_addr *a);

/*
 * The same of an IPv4 address of the host, given v4-mapped: one a move can
 * strand is unicast of the network (not 0.0.0.0/8, loopback 127.0.0.0/8,
 * link-local 169.254.0.0/16 (RFC 3927), multicast 224.0.0.0/4 or the class
 * E and broadcast 240.0.0.0/4). 0 for anything not v4-mapped.
 */
int vanished_candidate4(const struct in6_addr *a);

#endif
