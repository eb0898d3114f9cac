/* SPDX-License-Identifier: MIT */
/*
 * tunnel.bpf.c — the "bpf" tunnel backend's data path (odmagent/tunnel_bpf.c
 * loads it): two tc programs that put and take the RFC 2473 IPv6-in-IPv6
 * header, for kernels without seg6 lightweight tunnels or ip6tnl.
 *
 *   odm_encap, at the egress of the tunnel device (an L3 device: the packet
 *     starts with its IPv6 header): the binding of the packet's anchored
 *     address gives the outer source and destination; 40 bytes are made in
 *     front (bpf_skb_adjust_room, marked as IPv6-in-IPv6 so segmentation
 *     offload still applies), the outer header written, and the packet sent
 *     out of the interface the binding names (the agent asks the kernel's
 *     routes for it), its link-layer header filled by the neighbour table
 *     (bpf_redirect_neigh). bpf_fib_lookup would find the interface here,
 *     but it answers only for a device that forwards, and turning
 *     forwarding on for any device makes a host forget the default routers
 *     it learned. A packet with no binding is dropped and counted.
 *   odm_decap, at the ingress of the Ethernet interfaces: an IPv6-in-IPv6
 *     packet to a local endpoint (or, on an anchor, one whose inner source
 *     is in the guarded prefix, as the kernel backend's nftables table
 *     does: packets for bindings it does not have, before it has any) is
 *     accepted only if (outer destination, outer source) is the binding of
 *     its anchored address; then the outer header goes (a congestion mark
 *     on it passed to the inner packet, tunnel_ecn.h) and the inner
 *     packet goes on up the stack as if it had arrived so. Everything else
 *     of ours is dropped and counted (on an anchor, those with no binding
 *     are also recorded for the agent); all other packets are left to the
 *     next filter and the stack.
 *
 * The checks of tunnel_guard.h hold here too, but for extension headers:
 * no packet nested deeper than nest_max IPv6-in-IPv6 levels (counted along
 * next headers 41 directly after each other; tunnel_nesting also walks
 * Hop-by-Hop, Routing and Destination Options headers) enters or leaves,
 * and an anchor does not take in a packet to its own guarded prefix or to
 * an address it anchors (it would go straight back into the tunnel). The outer header: version 6, traffic class and flow
 * label 0, hop limit 64, next header 41 and no extension header, as the
 * userspace backend's raw socket sends it.
 *
 * The kernel gives some helpers only to programs whose licence string says
 * they are GPL-compatible; MIT code is, and "Dual MIT/GPL" says so.
 */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "../tunnel_bpf_abi.h"
#include "../tunnel_ecn.h"

/* uapi of kernels before 6.3 lacks it; the program tries without */
#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV6
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#endif
#define AF_INET6_ 10
#define IP6IP6 41
#define OUTER_LEN 40
#define HOP_LIMIT 64
#define NEST_WALK 8 /* levels looked at, at most (nest_max is below it) */
#define EXT_WALK 4  /* extension headers walked before an inner ICMPv6 type */
#define ICMPV6 58
#define TCP_ 6
#define OPT_WALK 10 /* TCP options looked at for the MSS, at most */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct odm_bpf_addr);
	__type(value, struct odm_bpf_bind);
	__uint(max_entries, 1024); /* the agent sets it per side */
} binds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct odm_bpf_addr);
	__type(value, __u32);
	__uint(max_entries, 64);
} locals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct odm_bpf_conf);
	__uint(max_entries, 1);
} conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, ODM_BPF_NCOUNT);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct odm_bpf_unbound);
	__type(value, __u64);
	__uint(max_entries, ODM_BPF_UNBOUND_MAX);
} unbound SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct odm_bpf_unbound);
	__type(value, __u64);
	__uint(max_entries, ODM_BPF_UNBOUND_MAX);
} unbound_again SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct odm_bpf_unbound);
	__uint(max_entries, ODM_BPF_SEEN_SLOTS);
} seen SEC(".maps");

static __always_inline int count(__u32 what)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &what);

	if (v)
		*v += 1; /* per CPU: no other writer */
	return TC_ACT_SHOT;
}

static __always_inline int ext_header(__u8 nh)
{
	return nh == 0 || nh == 43 || nh == 60; /* Hop-by-Hop, Routing, Destination */
}

/* 1 if the inner packet (its IPv6 header at off, next header nh) is a
 * Neighbor Discovery message, ICMPv6 133-137 (RFC 4861 §4), or hides what
 * follows behind more extension headers than are walked: none belongs in
 * the tunnel, and its hop limit 255 and link-local source would pass for a
 * neighbour's (tunnel_guard.h tunnel_inner_nd, the userspace backend's) */
static __always_inline int inner_nd(struct __sk_buff *skb, __u32 off, __u8 nh)
{
	__u8 h[2], type;

	off += OUTER_LEN; /* the inner header's own 40 bytes */
#pragma unroll
	for (int i = 0; i < EXT_WALK; i++) {
		if (!ext_header(nh))
			break;
		if (bpf_skb_load_bytes(skb, off, h, 2) < 0)
			return 1;
		nh = h[0];
		off += ((__u32)h[1] + 1) * 8;
	}
	if (ext_header(nh))
		return 1;
	if (nh != ICMPV6)
		return 0;
	if (bpf_skb_load_bytes(skb, off, &type, 1) < 0)
		return 1;
	return type >= 133 && type <= 137;
}

static __always_inline int same(const void *a, const void *b)
{
	const __u64 *x = a, *y = b;

	return x[0] == y[0] && x[1] == y[1];
}

/* 1 if a lies in prefix/plen */
static __always_inline int in_prefix(const struct odm_bpf_addr *prefix, __u32 plen,
				     const struct odm_bpf_addr *a)
{
#pragma unroll
	for (int i = 0; i < 16; i++) {
		int bits = (int)plen - i * 8;
		__u8 mask;

		if (bits <= 0)
			return 1;
		mask = bits >= 8 ? 0xff : (__u8)(0xff << (8 - bits));
		if ((prefix->a[i] ^ a->a[i]) & mask)
			return 0;
	}
	return 1;
}

/* How many IPv6-in-IPv6 levels the packet at off has, its own counted as
 * one if nh (its header's next header) is 41; looks at NEST_WALK at most. */
static __always_inline __u32 levels(struct __sk_buff *skb, __u32 off, __u8 nh)
{
	__u32 n = 0;

#pragma unroll
	for (int i = 0; i < NEST_WALK; i++) {
		if (nh != IP6IP6)
			break;
		n++;
		off += OUTER_LEN;
		if (bpf_skb_load_bytes(skb, off + 6, &nh, 1) < 0)
			break;
	}
	return n;
}

/* The packets an skb stands for: a GSO or GRO train counts its
 * segments, as the userspace backend counts them (the host's quiet check
 * takes a burst of packets for a stream, hostengine.h). A train whose
 * headers a program changed (ours, at the other end) has its count
 * cleared for the stack to redo: then its length over its segment size. */
static __always_inline __u32 segments(const struct __sk_buff *skb)
{
	__u32 size = skb->gso_size;

	if (skb->gso_segs)
		return skb->gso_segs;
	return size ? skb->len / size + 1 : 1;
}

/*
 * Host side, a path that cannot carry the device's 1280 bytes inside (conf
 * mss_max, not 0): the MSS option of a TCP SYN (or SYN-ACK) whose IPv6
 * header is at off (next header nh, TCP directly after it) lowered to max,
 * its checksum adjusted (bpf_l4_csum_replace: as it is, or left to the
 * offload that completes it). The host's SYNs leave with it and its
 * peers' arrive with it, so both sides send segments whose outer packets
 * fit the path (RFC 2473 section 7 would have them fragmented; these
 * programs cannot).
 */
static __always_inline void clamp_mss(struct __sk_buff *skb, __u32 off, __u8 nh, __u32 max)
{
	__u32 tcp = off + OUTER_LEN, o, end;
	__u8 h[2];

	if (!max || nh != TCP_ || bpf_skb_load_bytes(skb, tcp + 12, h, 2) < 0 || !(h[1] & 0x02))
		return;
	end = tcp + (__u32)(h[0] >> 4) * 4;
	o = tcp + 20;
#pragma unroll
	for (int i = 0; i < OPT_WALK; i++) {
		__u8 kl[2];
		__be16 old, new;

		if (o + 2 > end || bpf_skb_load_bytes(skb, o, kl, 2) < 0 || kl[0] == 0)
			return;
		if (kl[0] == 1) { /* NOP */
			o++;
			continue;
		}
		if (kl[0] == 2 && kl[1] == 4) {
			__u16 sum_old, sum_new;

			if (o + 4 > end || bpf_skb_load_bytes(skb, o + 2, &old, 2) < 0 ||
			    bpf_ntohs(old) <= max)
				return;
			new = bpf_htons((__u16)max);
			/* the sum is of 16-bit words from the header's start
			 * (RFC 1071): a value at an odd offset (an option of
			 * odd length or a NOP before it) has its bytes in two
			 * words, each the other way round (RFC 1624 section 3
			 * updates words as they are summed) */
			sum_old = ((o + 2 - tcp) & 1) ? __builtin_bswap16(old) : old;
			sum_new = ((o + 2 - tcp) & 1) ? __builtin_bswap16(new) : new;
			if (bpf_l4_csum_replace(skb, tcp + 16, sum_old, sum_new, sizeof new) < 0)
				return;
			bpf_skb_store_bytes(skb, o + 2, &new, sizeof new, 0);
			return;
		}
		if (kl[1] < 2)
			return;
		o += kl[1];
	}
}

SEC("tc")
int odm_encap(struct __sk_buff *skb)
{
	struct ipv6hdr ip, outer = {};
	struct odm_bpf_conf *c;
	struct odm_bpf_bind *b;
	__u32 zero = 0, len = skb->len;
	__be16 proto = bpf_htons(ETH_P_IPV6);
	__u32 ifindex;

	c = bpf_map_lookup_elem(&conf, &zero);
	if (!c || skb->protocol != bpf_htons(ETH_P_IPV6))
		return count(ODM_BPF_DROPPED);
	if (bpf_skb_load_bytes(skb, 0, &ip, sizeof ip) < 0)
		return count(ODM_BPF_DROPPED);
	b = bpf_map_lookup_elem(&binds, c->side ? (void *)&ip.daddr : (void *)&ip.saddr);
	if (!b || len > 0xffff || !(ifindex = b->ifindex))
		return count(ODM_BPF_DROPPED);
	/* with ours, one level more */
	if (levels(skb, 0, ip.nexthdr) + 1 > c->nest_max)
		return count(ODM_BPF_LOOPED);
	if (!c->side)
		clamp_mss(skb, 0, ip.nexthdr, c->mss_max);
	outer.version = 6;
	outer.payload_len = bpf_htons((__u16)len);
	outer.nexthdr = IP6IP6;
	outer.hop_limit = HOP_LIMIT;
	__builtin_memcpy(&outer.saddr, &b->local, 16);
	__builtin_memcpy(&outer.daddr, &b->remote, 16);
	/* the tunnel device's MTU left room for the outer header: segments
	 * keep their size (FIXED_GSO) */
	if (bpf_skb_adjust_room(skb, OUTER_LEN, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 | BPF_F_ADJ_ROOM_FIXED_GSO) < 0)
		return count(ODM_BPF_DROPPED);
	if (bpf_skb_store_bytes(skb, 0, &outer, sizeof outer, 0) < 0)
		return count(ODM_BPF_DROPPED);
	/* bpf_redirect_neigh takes a packet with an Ethernet header (whose
	 * addresses it fills) in front: room for one, and its type */
	if (bpf_skb_change_head(skb, ETH_HLEN, 0) < 0 ||
	    bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &proto, sizeof proto, 0) < 0)
		return count(ODM_BPF_DROPPED);
	__sync_fetch_and_add(&b->tx_packets, segments(skb));
	__sync_fetch_and_add(&b->tx_bytes, len);
	b->tx_at_ns = bpf_ktime_get_boot_ns();
	return bpf_redirect_neigh(ifindex, NULL, 0, 0);
}

/* 1 if a is an address no router passes on: unspecified, loopback,
 * IPv4-mapped, link-local, multicast (tunnel_guard.h tunnel_inner_scoped,
 * the userspace backend's) */
static __always_inline int scoped(const struct in6_addr *a)
{
	const __u32 *w = a->in6_u.u6_addr32;
	__u8 b0 = a->in6_u.u6_addr8[0], b1 = a->in6_u.u6_addr8[1];

	if (b0 == 0xff || (b0 == 0xfe && (b1 & 0xc0) == 0x80))
		return 1;
	if (w[0] || w[1])
		return 0;
	if (w[2] == bpf_htonl(0xffff))
		return 1;
	return !w[2] && (!w[3] || w[3] == bpf_htonl(1));
}

/* the slot of an unbound pair in seen: FNV-1a over its words, from seed */
static __always_inline __u32 seen_slot(const struct odm_bpf_unbound *u, __u32 seed)
{
	__u32 w[8], h = 2166136261u ^ seed;

	__builtin_memcpy(w, u, sizeof w);
#pragma unroll
	for (int i = 0; i < 8; i++) {
		h ^= w[i];
		h *= 16777619u;
	}
	return (h ^ (h >> 16)) & (ODM_BPF_SEEN_SLOTS - 1);
}

/* An anchor's record of an unbound pair for the agent: in unbound_again if
 * its slot in seen holds it already, else in unbound (and in the slot) */
static __always_inline void record_unbound(const struct odm_bpf_conf *c,
					   const struct odm_bpf_unbound *ub)
{
	struct odm_bpf_unbound *s;
	__u32 k = seen_slot(ub, c->seed);
	__u64 one = 1;

	s = bpf_map_lookup_elem(&seen, &k);
	if (s && same(&s->inner, &ub->inner) && same(&s->osrc, &ub->osrc)) {
		bpf_map_update_elem(&unbound_again, ub, &one, BPF_ANY);
		return;
	}
	if (s)
		__builtin_memcpy(s, ub, sizeof *s);
	bpf_map_update_elem(&unbound, ub, &one, BPF_ANY);
}

SEC("tc")
int odm_decap(struct __sk_buff *skb)
{
	struct odm_bpf_unbound ub;
	struct ipv6hdr o, in;
	struct odm_bpf_conf *c;
	struct odm_bpf_bind *b;
	__u32 zero = 0;
	void *key;
	int ecn;

	if (skb->protocol != bpf_htons(ETH_P_IPV6))
		return TC_ACT_UNSPEC;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &o, sizeof o) < 0 || o.nexthdr != IP6IP6)
		return TC_ACT_UNSPEC;
	c = bpf_map_lookup_elem(&conf, &zero);
	if (!c)
		return TC_ACT_UNSPEC;
	if (!bpf_map_lookup_elem(&locals, &o.daddr)) {
		/* an anchor also looks at those for its prefix before it
		 * has a local endpoint, to report them (unbound); not one
		 * sent to a group, which nothing answers (RFC 4443 section
		 * 2.4(e)): every anchor of the link would */
		if (!c->side || !c->has_guard || o.daddr.in6_u.u6_addr8[0] == 0xff ||
		    bpf_skb_load_bytes(skb, ETH_HLEN + OUTER_LEN, &in, sizeof in) < 0 ||
		    !in_prefix(&c->guard, c->guard_plen, (struct odm_bpf_addr *)&in.saddr))
			return TC_ACT_UNSPEC;
	} else if (bpf_skb_load_bytes(skb, ETH_HLEN + OUTER_LEN, &in, sizeof in) < 0) {
		return count(ODM_BPF_DROPPED);
	}
	key = c->side ? (void *)&in.saddr : (void *)&in.daddr;
	b = bpf_map_lookup_elem(&binds, key);
	if (!b || !same(&b->remote, &o.saddr)) {
		/* no binding, or one to another care-of address: an anchor
		 * reports the pair (the agent may tell the host) */
		if (c->side) {
			__builtin_memcpy(&ub.inner, key, 16);
			__builtin_memcpy(&ub.osrc, &o.saddr, 16);
			record_unbound(c, &ub);
		}
		return count(ODM_BPF_DROPPED);
	}
	if (!same(&b->local, &o.daddr))
		return count(ODM_BPF_DROPPED);
	if (levels(skb, ETH_HLEN, o.nexthdr) > c->nest_max)
		return count(ODM_BPF_LOOPED);
	if (inner_nd(skb, ETH_HLEN + OUTER_LEN, in.nexthdr) || scoped(&in.saddr) ||
	    scoped(&in.daddr))
		return count(ODM_BPF_DROPPED);
	/* an anchor would send it straight back into the tunnel: to its
	 * guarded prefix, or to an address it anchors */
	if (c->side && ((c->has_guard &&
			 in_prefix(&c->guard, c->guard_plen, (struct odm_bpf_addr *)&in.daddr)) ||
			bpf_map_lookup_elem(&binds, &in.daddr)))
		return count(ODM_BPF_LOOPED);
	/* the outer header's congestion mark goes to the inner packet (RFC
	 * 6040 section 4.2, tunnel_ecn.h), as the userspace backend does */
	ecn = tunnel_ecn_decap(tunnel_ecn_of((const unsigned char *)&o),
			       tunnel_ecn_of((const unsigned char *)&in));
	if (ecn == TUNNEL_ECN_DROP)
		return count(ODM_BPF_DROPPED);
	if ((unsigned)ecn != tunnel_ecn_of((const unsigned char *)&in)) {
		/* no checksum covers the IPv6 header, but a CHECKSUM_COMPLETE
		 * skb's sum covers the byte: it follows (as the kernel's
		 * IP6_ECN_set_ce does), or the transport sees a sum that does
		 * not match ("hw csum failure") */
		tunnel_ecn_set((unsigned char *)&in, (unsigned)ecn);
		if (bpf_skb_store_bytes(skb, ETH_HLEN + OUTER_LEN + 1, (unsigned char *)&in + 1, 1,
					BPF_F_RECOMPUTE_CSUM) < 0)
			return count(ODM_BPF_DROPPED);
	}
	if (bpf_skb_adjust_room(skb, -OUTER_LEN, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_DECAP_L3_IPV6) < 0 &&
	    bpf_skb_adjust_room(skb, -OUTER_LEN, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_FIXED_GSO) < 0)
		return count(ODM_BPF_DROPPED);
	if (!c->side)
		clamp_mss(skb, ETH_HLEN, in.nexthdr, c->mss_max);
	__sync_fetch_and_add(&b->rx_packets, segments(skb));
	__sync_fetch_and_add(&b->rx_bytes, skb->len - ETH_HLEN);
	/* the host dates a move's loss by it (tunnel.h rx_each_packet) */
	b->rx_at_ns = bpf_ktime_get_boot_ns();
	return TC_ACT_OK;
}

char _license[] SEC("license") = "Dual MIT/GPL";
