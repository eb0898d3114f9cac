/* SPDX-License-Identifier: MIT */
/*
 * replaycap.h — the anchor's replay after a move (replay.h) on the kernel
 * data path, where no packet passes through the agent: a bounded copy of
 * what the kernel tunnelled, taken on the anchor's side of the tunnel, sent
 * again to the new care-of address.
 *
 * Capture: one packet socket (packet(7)) of type SOCK_DGRAM on every
 * interface and protocol (only those see what leaves the host), with a TPACKET_V3 receive ring mapped into the agent, and a
 * classic BPF program (capfilter.h) that copies only outgoing IPv6-in-IPv6
 * packets from the anchor's tunnel endpoint of at most REPLAYCAP_PKT_MAX
 * bytes. The agent moves each block the kernel hands over into the replay
 * ring (replay.h: time-stamped, REPLAYCAP_SLOTS packets at most) and gives
 * the block back at once.
 *
 * GSO and GRO super-packets (a TCP sender's 64 KiB segments, forwarded as
 * they are) are longer than that: of those only the head is copied
 * (REPLAYCAP_HEAD_LEN), inside the kernel, and kept as a short segment of
 * their first bytes (capframe.h). Copying them whole would copy every byte
 * of a ~12 Gbit/s download twice (into the ring, then into the replay
 * ring) and cut what 2 cores forward. Sent again after a move, the heads
 * of a bulk TCP download's outage reach the host beyond what it had; its
 * SACKs make the sender resend the rest at once instead of after a
 * tail-loss probe or its timeout. Everything sent packet by packet (UDP,
 * paced or interactive TCP, anything on an interface without offloads) is
 * kept whole.
 *
 * Replay: after a move the kernel's route already sends the binding's
 * packets to the new care-of address. The last block the kernel was
 * filling is handed over within REPLAYCAP_TOV_MS, so the replay waits that
 * long, takes in what came, then sends every kept packet of the binding
 * from the window's start on (replay_from_ms) whose outer destination was
 * not already the new one, with its outer destination rewritten
 * (capframe_retarget), on a raw IPPROTO_RAW socket: the packet the kernel
 * sent, to the new address.
 *
 * Restart: the capture belongs to the anchor process; the kernel keeps
 * forwarding without it, and a restarted anchor starts with an empty ring.
 */
#ifndef ODM_REPLAYCAP_H
#define ODM_REPLAYCAP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "tunnel_table.h"

/* an outer MTU-sized packet: the largest copied whole */
#define REPLAYCAP_PKT_MAX 1500
/*
 * Of a longer one, the first bytes: both headers, TCP's with options and
 * some payload (capframe.h). Sent again it only has to reach the host
 * beyond what it had, whose SACK then makes the sender resend the rest at
 * once; the whole segment would cost the copies for nothing.
 */
#define REPLAYCAP_HEAD_LEN 256
/* kept packets (x REPLAYCAP_PKT_MAX: ~12 MiB): 16 s of a 500 packets/s
 * stream, 100 ms of 80 000 packets/s */
#define REPLAYCAP_SLOTS 8192
/* the kernel hands over a block this long after its first packet at the
 * latest; the agent wakes up at most this often for a slow stream */
#define REPLAYCAP_TOV_MS 2

struct replaycap;

/* called when a replay asked for with replaycap_moved is done */
typedef void (*replaycap_done_fn)(void *arg, const struct in6_addr *inner, size_t sent);

/* The capture (copying nothing until replaycap_source); -errno on failure.
 * Closing it logs what it kept, refused, lost (its ring was full) and sent
 * again. */
int replaycap_open(struct replaycap **out, uv_loop_t *loop, replaycap_done_fn done, void *arg);
void replaycap_close(struct replaycap *c);
/* The anchor's tunnel endpoint (the outer source to copy), NULL: none. */
int replaycap_source(struct replaycap *c, const struct in6_addr *src);
/*
 * inner's binding now goes to remote: within REPLAYCAP_TOV_MS send again
 * what went elsewhere for it since since_ms (monotonic); same: remote is
 * the care-of address it had (its link came back after a time without
 * carrier), and what went to remote since then is sent again too. why is
 * logged.
 */
void replaycap_moved(struct replaycap *c, const struct in6_addr *inner,
		     const struct in6_addr *remote, uint64_t since_ms, int same, const char *why);
/*
 * A kernel backend's bind of inner began at now_ms: a move's replay window
 * is counted from there (replaycap_binding_moved), not from after the
 * bind's own work (netlink and nftables take tens of ms on a busy host).
 */
void replaycap_bind_began(struct replaycap *c, const struct in6_addr *inner, uint64_t now_ms);
/*
 * A kernel backend's moved op (tunnel.h) for e: replaycap_moved from where
 * replay_from_ms (replay.h) puts the outage's start, counted back from when
 * e's bind began (replaycap_bind_began; now if another bind came since):
 * the host said it lost its old care-of address lost_ago_ms before its BU
 * (has_lost), else since e was last heard from; same as above.
 */
void replaycap_binding_moved(struct replaycap *c, const struct tunnel_entry *e, int has_lost,
			     uint32_t lost_ago_ms, int same);
/* inner's binding is gone: its kept packets and any pending replay too */
void replaycap_forget(struct replaycap *c, const struct in6_addr *inner);

#endif
