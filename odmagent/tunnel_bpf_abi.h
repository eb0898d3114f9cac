/* SPDX-License-Identifier: MIT */
/*
 * tunnel_bpf_abi.h — what the "bpf" tunnel backend's tc programs
 * (bpf/tunnel.bpf.c) and the agent (tunnel_bpf.c) share: the maps' keys and
 * values. Plain fixed-size types, the same layout on both sides.
 *
 * Maps (all made by the agent, kept alive by the programs attached):
 *   binds   hash, address -> struct odm_bpf_bind: the bindings, keyed by the
 *           anchored address (the inner source on the host side, the inner
 *           destination on the anchor side when sending; the other way
 *           round when receiving), with their counters;
 *   locals  hash, address -> __u32: the local endpoints (care-of address on
 *           a host, the anchor's own address) packets are decapsulated at;
 *   conf    array of one struct odm_bpf_conf;
 *   counts  per-CPU array of ODM_BPF_NCOUNT __u64 (dropped, looped);
 *   unbound LRU hash, struct odm_bpf_unbound -> __u64: anchor side, the
 *           (inner source, outer source) pairs of tunnelled packets that have
 *           no binding to that outer source, drained by the agent (tunnel.h
 *           "unbound").
 */
#ifndef ODM_TUNNEL_BPF_ABI_H
#define ODM_TUNNEL_BPF_ABI_H

#include <linux/types.h>

struct odm_bpf_addr {
	__u8 a[16];
};

/* ifindex: the interface the outer packets leave by (the kernel's route
 * from local to remote, looked up by the agent); 0: none yet, dropped.
 * rx_at_ns, tx_at_ns: when the programs last decapsulated or encapsulated
 * a packet of the binding, CLOCK_BOOTTIME nanoseconds (bpf_ktime_get_boot_ns,
 * monotime.h's clock),
 * 0 = never */
struct odm_bpf_bind {
	struct odm_bpf_addr local, remote;
	__u32 ifindex, pad;
	__u64 rx_packets, rx_bytes;
	__u64 tx_packets, tx_bytes;
	__u64 rx_at_ns, tx_at_ns;
};

#define ODM_BPF_MADE_MAX 32 /* interfaces in odm_bpf_conf.made */

/* side: 0 host, 1 anchor (enum odm_tunnel_side) */
struct odm_bpf_conf {
	struct odm_bpf_addr guard;
	__u32 guard_plen;
	__u32 has_guard;
	__u32 side;
	__u32 nest_max;
	__u32 seed; /* of the hash that places a pair in seen (random) */
	/* host side: the MSS a TCP SYN leaving or arriving through the tunnel
	 * may offer, at most (0: as it is): a path that cannot carry the
	 * device's 1280 bytes inside, which the programs cannot fragment for
	 * (tunnel.h inner_max) */
	__u32 mss_max;
	/* the agent's, not read by the programs: the interfaces (ifindex, 0
	 * ends the list) whose clsact qdisc the run that loaded them made, so
	 * that a restarted agent, reading it through the earlier run's
	 * program, deletes at its clean stop those qdiscs and no other */
	__u32 made[ODM_BPF_MADE_MAX];
};

struct odm_bpf_unbound {
	struct odm_bpf_addr inner, osrc;
};

enum { ODM_BPF_DROPPED = 0, ODM_BPF_LOOPED = 1, ODM_BPF_NCOUNT = 2 };

/* the anchor's unbound pairs kept between two drains (tunnel_nft.h's bound),
 * in each of unbound (pairs first seen) and unbound_again */
#define ODM_BPF_UNBOUND_MAX 256
/* The anchor's decap program remembers the last unbound pair of each of
 * these slots (a keyed hash of the pair), and records a pair it sees again
 * apart from those seen once (unbound_again): a flood of forged sources,
 * each seen once, pushes pairs out of unbound before the agent drains it,
 * but not a real host's, which sends again from the same address. */
#define ODM_BPF_SEEN_SLOTS 65536

#endif
