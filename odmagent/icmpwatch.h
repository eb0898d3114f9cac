/* SPDX-License-Identifier: MIT */
/*
 * icmpwatch.h — the host role's raw ICMPv6 socket for errors about the
 * packets it sends to its anchors (icmperr.h), on the agent's libuv loop.
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
/* NULL is fine; freed once libuv lets go of the handle */
void icmpwatch_close(struct icmpwatch *w);

#endif
