/* SPDX-License-Identifier: MIT */
/*
 * icmpwatch.h — a raw ICMPv6 socket on the agent's libuv loop: the host
 * role's, for errors about the packets it sends to its anchors (icmperr.h);
 * the anchor role's, for Packets Too Big about its tunnel (ptbrelay.h).
 * The kernel passes only Destination Unreachable and Parameter Problem
 * (ICMP6_FILTER); what icmperr_parse takes reaches fn with the invoking
 * packet's source and destination.
 */
#ifndef ODM_ICMPWATCH_H
#define ODM_ICMPWATCH_H

#include <netinet/in.h>
#include <uv.h>

#include "icmperr.h"

struct icmpwatch;

typedef void (*icmpwatch_fn)(void *arg, const struct icmperr *err, const struct in6_addr *from);

/* 0, or -errno (needs CAP_NET_RAW) */
int icmpwatch_open(struct icmpwatch **out, uv_loop_t *loop, icmpwatch_fn fn, void *arg);

/*
 * The anchor role's: Packets Too Big (ICMPv6 type 2) to local, handed over
 * as they came (ptbrelay.h parses them), on a socket bound to local, which
 * icmpwatch_send sends ICMPv6 messages from.
 */
typedef void (*icmpwatch_raw_fn)(void *arg, const uint8_t *msg, size_t len,
				 const struct in6_addr *from);
int icmpwatch_open_ptb(struct icmpwatch **out, uv_loop_t *loop, const struct in6_addr *local,
		       icmpwatch_raw_fn fn, void *arg);
/* msg (an ICMPv6 message, checksum 0) to dst: 0 or -errno */
int icmpwatch_send(struct icmpwatch *w, const struct in6_addr *dst, const uint8_t *msg,
		   size_t len);
/* NULL is fine; freed once libuv lets go of the handle */
void icmpwatch_close(struct icmpwatch *w);

#endif
