/* SPDX-License-Identifier: MIT */
/*
 * tunnel_nft.h — the kernel data path's endpoint checks and counters, as
 * one nftables table per tunnel device (nft(8) syntax through libnftables).
 *
 * The seg6 decapsulation accepts any IPv6-in-IPv6 packet to its address;
 * this table keeps the userspace backend's guarantees in front of it, at the
 * prerouting hook (before the routing decision that decapsulates):
 *   - an outer packet to one of the tunnel's local endpoints ("locals"; on
 *     the anchor side also any whose inner source is in the guarded prefix,
 *     so that packets for bindings it does not have, before it has any,
 *     are seen and reported: "unbound") is
 *     accepted only if (outer destination, outer source, anchored address)
 *     is a binding ("peers"); the anchored address is the inner destination
 *     on the host side, the inner source on the anchor side;
 *   - extension headers between the outer and the inner header, inner
 *     packets to the guarded prefix (the anchor's pool: it would go straight
 *     back into the tunnel) and inner packets nested TUNNEL_NEST_MAX deep
 *     are dropped (tunnel_guard.h), as are packets entering the tunnel that
 *     deep;
 * and counts, per binding, what came in (peers) and what went in (txk).
 * Sets are kept across a restart of the agent; the rules are rewritten.
 */
#ifndef ODM_TUNNEL_NFT_H
#define ODM_TUNNEL_NFT_H

#include <netinet/in.h>
#include <stdint.h>

#include "tunnel.h"
#include "tunnel_adopt.h"
#include "tunnel_table.h"

struct tunnel_nft;

/* 0 if libnftables can talk to the kernel (needs CAP_NET_ADMIN), -errno */
int tunnel_nft_probe(void);
/* fresh: the table of an earlier run goes first (its sets with it). */
int tunnel_nft_open(struct tunnel_nft **out, const char *ifname, enum odm_tunnel_side side,
		    int fresh);
/* Deletes the table. */
void tunnel_nft_close(struct tunnel_nft *n);
int tunnel_nft_guard(struct tunnel_nft *n, const struct in6_addr *prefix, uint8_t plen);

/* Accept (local, remote, inner) and count inner's packets. */
int tunnel_nft_bind(struct tunnel_nft *n, const struct tunnel_entry *e);
/* Stop accepting (local, remote, inner); drop_inner: stop counting inner;
 * drop_local: local has no binding left. Deleting what is gone is no error. */
void tunnel_nft_unbind(struct tunnel_nft *n, const struct tunnel_entry *e, int drop_inner,
		       int drop_local);

/* What an earlier run left in the table: every peers element (as
 * ADOPT_ELEM) and locals element (ADOPT_LOCAL), passed to fn; 0 or -EIO. */
int tunnel_nft_found(struct tunnel_nft *n, void (*fn)(void *arg, const struct adopt_found *f),
		     void *arg);

/* ANCHOR side: call fn for every tunnelled packet to this host whose
 * (inner source, outer source) has no binding, seen since the last call
 * (at most one per pair and 256 in all), and forget them. */
typedef void (*tunnel_unbound_fn)(void *arg, const struct in6_addr *inner,
				  const struct in6_addr *osrc);
int tunnel_nft_take_unbound(struct tunnel_nft *n, tunnel_unbound_fn fn, void *arg);

/* Read the counters: rx and tx of every entry of tt (last_rx_ms/last_tx_ms
 * move to now when they grew), the drops and loop refusals into total. */
int tunnel_nft_read(struct tunnel_nft *n, struct tunnel_table *tt,
		    struct odm_tunnel_stats *total, uint64_t now);

#endif
