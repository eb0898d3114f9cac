/* SPDX-License-Identifier: MIT */
/*
 * tunnel_udp.h — the geometry of the userspace tunnel's optional UDP
 * encapsulation ("tunnel-encap udp"): outer IPv6 | UDP (port 4191, the
 * DSMIPv6 port of RFC 5555 §4.1) | inner IPv6 packet, one inner packet per
 * datagram on the wire.
 *
 * Both ways the kernel carries many datagrams as one (udp(7)):
 *   sending, UDP_SEGMENT = gso_size: one sendmsg(2) of consecutive inner
 *     packets, all but the last exactly gso_size bytes, the last no longer,
 *     becomes one datagram per gso_size bytes; tudp_run says how many of
 *     the queued packets make such a run;
 *   receiving, UDP_GRO: one read may return several datagrams of one flow
 *     back to back, with a UDP_GRO control message giving their size (all
 *     but the last that size); tudp_split cuts the buffer back into them.
 * Pure: no I/O. Each piece still goes through the caller's per-packet
 * checks (an IPv6 header, the binding's endpoints, tunnel_guard.h).
 */
#ifndef ODM_TUNNEL_UDP_H
#define ODM_TUNNEL_UDP_H

#include <stddef.h>

#include "tunnel.h" /* TUNNEL_IP6IP6_OVERHEAD */

#define TUDP_PORT 4191
#define TUDP_OVERHEAD (TUNNEL_IP6IP6_OVERHEAD + 8) /* and a UDP header */
/* the kernel's limit on segments per UDP_SEGMENT send (UDP_MAX_SEGMENTS
 * of Linux 6.1) */
#define TUDP_SEGS_MAX 64
/* the most UDP payload one send may carry: 65535 (the IPv6 payload length
 * field) less the UDP header, rounded down for safety */
#define TUDP_SEND_MAX 65000
#define TUDP_INNER_MIN 40        /* an inner packet holds an IPv6 header */

/*
 * The inner packets lens[0..n) (n >= 1, each > 0) are queued to go out
 * back to back: how many of the first ones one UDP_SEGMENT send carries
 * with gso_size lens[0] — all but the last of the run equal to lens[0],
 * the last no longer, at most TUDP_SEGS_MAX and TUDP_SEND_MAX bytes in
 * all. Always >= 1 (a run of 1 is a plain datagram); 0 only if n is 0 or
 * lens[0] is 0.
 */
size_t tudp_run(const size_t *lens, size_t n);

/*
 * A datagram of n bytes was received with UDP_GRO size gso (0: no control
 * message, one inner packet): write each piece's offset and length to
 * off/len, at most max of them. Returns the count, or -EINVAL (n is 0, or
 * gso is below TUDP_INNER_MIN or above n), -E2BIG (more than max pieces).
 * A last piece shorter than TUDP_INNER_MIN is returned too: the caller's
 * per-packet check drops it alone.
 */
int tudp_split(size_t n, size_t gso, size_t *off, size_t *len, size_t max);

/*
 * 1 if the n bytes at pkt are one whole inner packet: an IPv6 header whose
 * payload length accounts for exactly the rest (a datagram carries one
 * packet; jumbograms are not carried), else 0.
 */
int tudp_inner_ok(const unsigned char *pkt, size_t n);

#endif
