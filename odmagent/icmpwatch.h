/* SPDX-License-Identifier: MIT */
/*
 * icmpwatch.h — a raw ICMPv6 socket on the agent's libuv loop, for the
 * errors about the packets an agent tunnels: the host role's takes errors
 * about its packets to its anchors (icmperr.h: what icmperr_parse takes
 * reaches fn with the invoking packet's source and destination) and
 * Packets Too Big about its tunnel (tunnel_mtu.h); the anchor role's,
 * Packets Too Big about its tunnel (ptbrelay.h).
 */
#ifndef ODM_ICMPWATCH_H
#define ODM_ICMPWATCH_H

#include <netinet/in.h>
#include <uv.h>

#include "icmperr.h"

struct icmpwatch;

typedef void (*icmpwatch_fn)(void *arg, const struct icmperr *err, const struct in6_addr *from);

/* A Packet Too Big (ICMPv6 type 2) as it came (ptbrelay.h parses it) */
typedef void (*icmpwatch_raw_fn)(void *arg, const uint8_t *msg, size_t len,
				 const struct in6_addr *from);

/*
 * One socket for both: fn (may be NULL) gets the errors icmperr_parse
 * takes, ptb (may be NULL) the Packets Too Big; the kernel passes only
 * those types (ICMP6_FILTER). local (may be NULL): bound to it, so only
 * what comes to it is read, and icmpwatch_send sends from it.
 * 0, or -errno (needs CAP_NET_RAW).
 */
int icmpwatch_open(struct icmpwatch **out, uv_loop_t *loop, const struct in6_addr *local,
		   icmpwatch_fn fn, icmpwatch_raw_fn ptb, void *arg);
/* msg (an ICMPv6 message, checksum 0) to dst: 0 or -errno */
int icmpwatch_send(struct icmpwatch *w, const struct in6_addr *dst, const uint8_t *msg,
		   size_t len);
/* the same, from src (IPV6_PKTINFO; NULL: the bound address or the
 * kernel's pick): 0 or -errno */
int icmpwatch_send_from(struct icmpwatch *w, const struct in6_addr *src,
			const struct in6_addr *dst, const uint8_t *msg, size_t len);
/* NULL is fine; freed once libuv lets go of the handle */
void icmpwatch_close(struct icmpwatch *w);

#endif
