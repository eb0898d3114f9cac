/* SPDX-License-Identifier: MIT */
/*
 * tunnel_mtu.h — fitting the host's tunnel device to the link its packets
 * leave by.
 *
 * Every backend puts one whole inner packet in each outer one. The kernel
 * backends never fragment it, and a packet too large for a narrower access
 * link (PPPoE 1492, many mobile and VPN links 1280-1450) is dropped there;
 * the anchor, which the Packet Too Big goes to, cannot tell the sender
 * inside. So the host sets its tunnel device's MTU to what the link of its
 * care-of address carries less the encapsulation: its TCP then sends, and
 * asks its peers for (the MSS of a new connection), segments that fit.
 * Never above the backend's own MTU (a 1500-byte path), never below IPv6's
 * minimum of 1280.
 */
#ifndef ODM_TUNNEL_MTU_H
#define ODM_TUNNEL_MTU_H

#include "tunnel.h"

#define TUNNEL_MTU_MIN 1280 /* RFC 8200 §5 */
/* A smaller path MTU learnt from a Packet Too Big is tried larger again
 * after this long (RFC 8201 §4: no less than 5 min, 10 recommended): the
 * narrower hop may be gone, and a forged one lowers it no longer. */
#define TUNNEL_PMTU_AGE_MS (10 * 60 * 1000)

/*
 * What a Packet Too Big about a tunnelled packet, telling mtu, makes of the
 * path MTU learnt so far (cap, 0: none) for a device of dev_mtu: the new
 * cap, or 0 when it changes nothing: an mtu below TUNNEL_MTU_MIN (RFC 8201
 * §4: such a message is discarded; anyone can send one), one that is no
 * reduction for the device (dev_mtu + the outer header or more), or one no
 * less than cap. Pure.
 */
int tunnel_pmtu_take(int cap, uint32_t mtu, int dev_mtu);

/* 1 if a path MTU learnt at learnt_ms (0: none) has aged out by now_ms. Pure. */
int tunnel_pmtu_aged(uint64_t learnt_ms, uint64_t now_ms);

/* The inner MTU for a link of link_mtu: link_mtu less the encapsulation's
 * overhead, within [TUNNEL_MTU_MIN, max]. Pure. */
int tunnel_mtu_for(int link_mtu, enum odm_tunnel_encap encap, int max);

/* The MTU of interface ifindex for IPv6 (the least of the device's and the
 * IPv6 one, /proc/sys/net/ipv6/conf/IF/mtu, which an RA sets), or -errno */
int tunnel_link_mtu(int ifindex);

/*
 * Set t's device to tunnel_mtu_for(link_mtu) (logged when it changes; the
 * backend's MTU at open is the ceiling). A link_mtu that cannot carry 1280
 * bytes and the encapsulation is said once per such MTU: an inner packet
 * that does not fit then goes in fragments (RFC 2473 §7) where the backend
 * fragments (ops->outer_frag), and is lost, with a warning, where it
 * cannot: there t->inner_max is set to what fits (0 again on a wider
 * path) and ops->path told, for new TCP connections to agree on segments
 * that fit. 1 changed, 0 unchanged, -errno.
 */
int tunnel_fit_link(struct odm_tunnel *t, int link_mtu, const char *why);

/*
 * The device's MTU as someone else (an administrator, a network manager)
 * may have set it, looked at (one ioctl): not t->mtu, it is set back to
 * t->mtu with a warning. A larger one makes the host's TCP send segments
 * whose outer packets the link cannot carry (the kernel backends drop
 * them), a smaller one costs throughput; fitting at the next binding does
 * not see it, since it compares with t->mtu. One below 1280 is left to
 * devwatch.h. 1 set back, 0 as it was (or left), -errno (said once until
 * it is right again).
 */
int tunnel_mtu_keep(struct odm_tunnel *t);

#endif
