/* SPDX-License-Identifier: MIT */
/*
 * tunnel_errq.h — the ICMPv6 errors about the userspace backend's outer
 * packets, taken by its protocol-41 socket.
 *
 * A link on the path narrower than an outer packet sends its source a
 * Packet Too Big (RFC 4443 §3.2). The kernel lowers its path MTU to that
 * destination, and then fragments the outer packets that exceed it, as a
 * tunnel entry point must where the path cannot carry an inner packet of
 * IPv6's minimum 1280 bytes and the encapsulation (RFC 2473 §7: a path
 * under 1320 bytes; every larger inner packet is already answered with a
 * Packet Too Big of its own, ptbrelay.h and tunnel_mtu.h). But for a raw
 * socket the kernel does so only when it has IPV6_RECVERR set (or is
 * connected, which one socket for every peer is not): ipv6(7), and
 * without it every outer packet over the narrower link's MTU is lost,
 * again and again.
 *
 * With IPV6_RECVERR each such error is also queued on the socket
 * (MSG_ERRQUEUE) and sets its pending error, which makes poll(2) say
 * POLLERR (libuv then stops the watch) and the next receive fail once
 * with the error's errno. Those are the tunnel's ordinary business here:
 * tunnel_errq_take takes them off without a warning, and
 * tunnel_errq_expected tells a receive's failure from one of them.
 */
#ifndef ODM_TUNNEL_ERRQ_H
#define ODM_TUNNEL_ERRQ_H

#include <stdint.h>

#define TUNNEL_ERRQ_MAX 64 /* queued errors tunnel_errq_take takes per call, at most */

/* errors taken off, as counted by tunnel_errq_take */
struct tunnel_errq_stats {
	uint64_t too_big;   /* Packets Too Big: the kernel's path MTU was lowered */
	uint64_t other;     /* other ICMPv6 errors (unreachable, time exceeded...) */
	uint32_t last_mtu;  /* the MTU the last Packet Too Big gave */
};

/* IPV6_RECVERR on fd (a raw protocol-41 socket): 0 or -errno */
int tunnel_errq_enable(int fd);

/*
 * Take the queued errors off fd (at most TUNNEL_ERRQ_MAX), counting them
 * into st, and, if there were any, clear its pending error: how many were
 * taken (0: the pending error, if any, is something else, left there), or
 * -errno if fd's error queue could not be read (anything but EAGAIN).
 */
int tunnel_errq_take(int fd, struct tunnel_errq_stats *st);

/* 1 if a receive that failed with err failed for an ICMPv6 error about an
 * outer packet (icmpv6_err_convert's errnos), not for the socket. Pure. */
int tunnel_errq_expected(int err);

#endif
