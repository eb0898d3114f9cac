/* SPDX-License-Identifier: MIT */
/*
 * sendfrom.h — one datagram out of a raw IPv6 socket with its source
 * chosen per message (IPV6_PKTINFO, RFC 3542 section 6.1): the agent's
 * Mobility Header and ICMPv6 sockets answer from the address a message
 * came to, which a host with several may not pick by route.
 */
#ifndef ODM_SENDFROM_H
#define ODM_SENDFROM_H

#include <netinet/in.h>
#include <stddef.h>

/* Send len bytes of buf on fd to dst, from src (NULL: the kernel's
 * choice), without blocking; 0 or -errno. */
int send_from(int fd, const void *buf, size_t len, const struct in6_addr *src,
	      const struct in6_addr *dst);

#endif
