/* SPDX-License-Identifier: MIT */
/*
 * tunnel_ecn.h — the ECN field of a packet coming out of the tunnel (RFC
 * 6040 section 4.2, which every IP-in-IP decapsulator follows, RFC 2473
 * ones included): a router on the tunnel's path that marks congestion
 * marks the outer header, and the mark must reach the inner packet, or the
 * flow's sender never slows down (the router marked instead of dropping).
 *
 *   inner \ outer  Not-ECT   ECT(0)   ECT(1)   CE
 *   Not-ECT        Not-ECT   Not-ECT  Not-ECT  drop
 *   ECT(0)         ECT(0)    ECT(0)   ECT(1)   CE
 *   ECT(1)         ECT(1)    ECT(1)   ECT(1)   CE
 *   CE             CE        CE       CE       CE
 *
 * ODM's own encapsulation leaves the outer field Not-ECT (RFC 6040
 * section 4.1, compatibility mode), so between two userspace or bpf ends
 * only the first column occurs; the others come from an outer header that
 * copies the inner traffic class (the "kernel" backend's seg6
 * encapsulation does) or one a router marked.
 *
 * Inline and free of libc, so that the bpf backend's program
 * (bpf/tunnel.bpf.c) uses the same function as the userspace backend.
 */
#ifndef ODM_TUNNEL_ECN_H
#define ODM_TUNNEL_ECN_H

#define TUNNEL_ECN_NOT_ECT 0
#define TUNNEL_ECN_ECT1 1
#define TUNNEL_ECN_ECT0 2
#define TUNNEL_ECN_CE 3
#define TUNNEL_ECN_DROP (-1)

/* The ECN field of the IPv6 header h (its second byte holds it, in bits
 * 5-4: the traffic class's two low bits) */
static inline unsigned tunnel_ecn_of(const unsigned char *h)
{
	return (h[1] >> 4) & 3u;
}

/* The inner packet's ECN field once decapsulated (table above), or
 * TUNNEL_ECN_DROP: congestion marked on a packet whose transport cannot
 * be told of it, which a router would have dropped */
static inline int tunnel_ecn_decap(unsigned outer, unsigned inner)
{
	outer &= 3u;
	inner &= 3u;
	if (outer == TUNNEL_ECN_CE)
		return inner == TUNNEL_ECN_NOT_ECT ? TUNNEL_ECN_DROP : TUNNEL_ECN_CE;
	if (outer == TUNNEL_ECN_ECT1 && inner == TUNNEL_ECN_ECT0)
		return TUNNEL_ECN_ECT1;
	return (int)inner;
}

/* Sets the ECN field of the IPv6 header h to ecn (0..3) */
static inline void tunnel_ecn_set(unsigned char *h, unsigned ecn)
{
	h[1] = (unsigned char)((h[1] & ~0x30u) | ((ecn & 3u) << 4));
}

#endif
