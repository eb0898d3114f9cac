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
 * addresses are left out too: only IPv6 access addresses are judged).
 */
int vanished_candidate(const struct in6_addr *a);

#endif
