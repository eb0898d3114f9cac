/* SPDX-License-Identifier: MIT */
/*
 * tunnel_guard.h — the checks that make a tunnel loop impossible, as pure
 * functions over addresses and packet bytes (used by the tunnel backends,
 * unit-tested without a device).
 *
 * A loop needs a packet that, once encapsulated, is routed back into the
 * tunnel: an outer destination inside the anchored prefix, or a packet that
 * came out of the tunnel and is sent straight back in. The backends refuse
 * both, and refuse packets nested deeper in IPv6-in-IPv6 than
 * TUNNEL_NEST_MAX, the default Tunnel Encapsulation Limit of RFC 2473
 * §6.6, which bounds any loop the other checks missed. Nothing is added
 * on the wire: the outer header stays plain RFC 2473 without the Tunnel
 * Encapsulation Limit option, as ip6tnl sends with "encaplimit none".
 */
#ifndef ODM_TUNNEL_GUARD_H
#define ODM_TUNNEL_GUARD_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define TUNNEL_NEST_MAX 4

/* 1 if addr lies in prefix/plen (plen 0..128), else 0 */
int tunnel_prefix_contains(const struct in6_addr *prefix, uint8_t plen,
			   const struct in6_addr *addr);

/*
 * How many IPv6-in-IPv6 headers the IPv6 packet pkt carries inside itself
 * (0: a plain packet), walking Hop-by-Hop, Routing and Destination Options
 * headers on the way. The walk stops at limit + 1, and at the first header
 * that is cut short (what is there so far is counted).
 */
unsigned tunnel_nesting(const uint8_t *pkt, size_t len, unsigned limit);

/*
 * 1 if the inner packet pkt, once in the tunnel, would make more than
 * TUNNEL_NEST_MAX IPv6-in-IPv6 levels (the tunnel's own counted): drop it.
 */
int tunnel_too_deep(const uint8_t *pkt, size_t len);

/*
 * 1 if the decapsulated packet pkt is a Neighbor Discovery message (ICMPv6
 * types 133-137, RFC 4861 §4, after any Hop-by-Hop, Routing or Destination
 * Options headers), or is not IPv6 or is cut short within those headers.
 * Such a packet is dropped: its hop limit 255 and link-local source, which
 * RFC 4861 §6.1.2 takes as proof of a neighbour, come through the tunnel
 * untouched, and the outer header that carried it is anyone's to forge
 * with the anchor's address. No ND message belongs in the tunnel.
 */
int tunnel_inner_nd(const uint8_t *pkt, size_t len);

/*
 * 1 if the decapsulated packet pkt has a source or destination address
 * that no router passes on: unspecified, loopback, IPv4-mapped (RFC 4291
 * §2.5.2, §2.5.3, §2.5.5.2), link-local (§2.5.6) or multicast (of any
 * scope: ODM tunnels unicast only); or is shorter than an IPv6 header.
 * The tunnel stands for a path through the anchor, a router, and the outer
 * header that carried the packet is anyone's to forge: such a packet is
 * dropped, as an ND message is. One side's own address in it is a
 * binding's, so this is about the other side (the anchor's correspondent,
 * the host's destination).
 */
int tunnel_inner_scoped(const uint8_t *pkt, size_t len);

#endif
