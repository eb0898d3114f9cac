/* SPDX-License-Identifier: MIT */
/* addrscope.h — whether an IPv6 address can be a peer across the network. */
#ifndef ODM_ADDRSCOPE_H
#define ODM_ADDRSCOPE_H

#include <netinet/in.h>

/*
 * 1 for a unicast address of the Internet (2000::/3, RFC 4291 §2.4: IANA
 * hands out global unicast from there only) or a unique local one
 * (fc00::/7, RFC 4193 §3.3: global scope, routed inside a site); 0 for
 * everything else: ::/8 (unspecified, loopback, v4-compatible, v4-mapped),
 * 100::/64 (discard), link- and site-local, multicast.
 */
static inline int addr_is_routable(const struct in6_addr *a)
{
	return (a->s6_addr[0] & 0xe0) == 0x20 || (a->s6_addr[0] & 0xfe) == 0xfc;
}

#endif
