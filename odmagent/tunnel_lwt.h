/* SPDX-License-Identifier: MIT */
/*
 * tunnel_lwt.h — the kernel's IPv6-in-IPv6 data path through seg6
 * lightweight tunnels (ip-route(8) "encap seg6", "encap seg6local"),
 * configured over rtnetlink with libnl's message API (libnl-route has no
 * helper for these attributes). Every call is synchronous and idempotent:
 * adding what is there and deleting what is gone succeed.
 *
 * Encapsulation: a route with seg6 encap mode encap.red and one segment
 * (RFC 8986 §5.2 H.Encaps.Red) puts an outer IPv6 header to that segment
 * in front of the packet and no Segment Routing Header: plain RFC 2473
 * IPv6-in-IPv6 (next header 41). Its outer source is given per route.
 * Decapsulation: a seg6local End.DX6 (forward the inner packet by the main
 * routing) or End.DT6 (look the inner destination up in one table) route
 * for the outer destination, reached by a rule "to ADDR ipproto 41"; that
 * rule must come before the rule to the local table, which would otherwise
 * deliver the outer packet to a protocol (41) the kernel has no handler for.
 */
#ifndef ODM_TUNNEL_LWT_H
#define ODM_TUNNEL_LWT_H

#include <netinet/in.h>
#include <stdint.h>

struct nl_sock;

/* The priority the rule to the local table is moved to, and the one the
 * decapsulation rules take (before it). */
#define LWT_LOCAL_PRIO 1
#define LWT_DECAP_PRIO 0

/* Route dst/dlen, from src/slen (slen 0: any source; RFC 8043-style source
 * routing needs IPv6 subtrees), in table, out of ifindex: encapsulated from
 * tunsrc (:: = by source address selection) to remote. Replaces an
 * existing route of the same key. */
int lwt_encap_replace(struct nl_sock *sk, const struct in6_addr *dst, int dlen,
		      const struct in6_addr *src, int slen, uint32_t table, int ifindex,
		      const struct in6_addr *tunsrc, const struct in6_addr *remote);
/* Every IPv6 /128 route in table out of ifindex with seg6 encapsulation
 * and protocol static (as lwt_encap_replace makes them):
 * fn(arg, dst, tunsrc (:: if the route has none), remote). 0 or -errno. */
typedef void (*lwt_encap_fn)(void *arg, const struct in6_addr *dst,
			     const struct in6_addr *tunsrc, const struct in6_addr *remote);
int lwt_encap_list(struct nl_sock *sk, uint32_t table, int ifindex, lwt_encap_fn fn, void *arg);
int lwt_route_del(struct nl_sock *sk, const struct in6_addr *dst, int dlen,
		  const struct in6_addr *src, int slen, uint32_t table, int ifindex);
/* Route addr/128 in table out of ifindex: decapsulate, then End.DT6 in
 * lookup_table (nonzero) or End.DX6 by the routing tables (lookup_table 0). */
int lwt_decap_replace(struct nl_sock *sk, const struct in6_addr *addr, uint32_t table,
		      int ifindex, uint32_t lookup_table);

/* Whether this kernel routes through what the calls above configure: an
 * encapsulating and a decapsulating route (as lwt_decap_replace with
 * lookup_table) are added to table out of ifindex and deleted again, for
 * addresses of RFC 6666's discard-only prefix 100::/64; with lookup_table
 * (a host's) the encapsulating one is a source route, ::/0 from an address,
 * as a host's are (they also need IPv6 subtrees, CONFIG_IPV6_SUBTREES). A
 * kernel with seg6 but without its lightweight tunnels
 * (CONFIG_IPV6_SEG6_LWTUNNEL) has /proc/sys/net/ipv6/seg6_flowlabel and
 * refuses every such route with EOPNOTSUPP. 0, or -errno and *what the
 * route that was refused. */
int lwt_probe(struct nl_sock *sk, uint32_t table, int ifindex, uint32_t lookup_table,
	      const char **what);

/* Rule "to addr/128 ipproto 41 lookup table" at LWT_DECAP_PRIO. */
int lwt_decap_rule_add(struct nl_sock *sk, const struct in6_addr *addr, uint32_t table);
int lwt_decap_rule_del(struct nl_sock *sk, const struct in6_addr *addr, uint32_t table);
/* Every rule to table at LWT_DECAP_PRIO: how many were deleted, or -errno. */
int lwt_decap_rule_flush(struct nl_sock *sk, uint32_t table);
/* The IPv6 rule to the local table from priority 0 to LWT_LOCAL_PRIO (the
 * new one is added before the old one goes, so local delivery never stops),
 * or back (restore != 0). */
int lwt_move_local_rule(struct nl_sock *sk, int restore);

#endif
