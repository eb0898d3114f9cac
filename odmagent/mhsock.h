/* SPDX-License-Identifier: MIT */
/*
 * mhsock.h — the raw Mobility Header socket (SOCK_RAW, IPPROTO_MH = 135) on
 * the agent's libuv loop. The kernel fills the checksum on send and drops
 * bad ones on receive (IPV6_CHECKSUM = 4, RFC 6275 §6.1.1). Receive reports
 * the peer (msg_name) and the local address (IPV6_PKTINFO); a message sent
 * to a multicast group never reaches fn. While this socket is open, MH
 * packets draw no ICMPv6 Parameter Problem from the kernel: the agents
 * send their own for the malformed ones (mhparam.h).
 */
#ifndef ODM_MHSOCK_H
#define ODM_MHSOCK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "mhparam.h"

struct mhsock;

/* ifindex: the interface the message arrived on (IPV6_PKTINFO), 0 if
 * not told; at_ms: when it arrived, as the kernel stamped it
 * (SO_TIMESTAMPNS, on mono_ms's clock: monotime.h), 0 when not stamped. A
 * loaded agent reads a message some ms after that. */
typedef void (*mhsock_recv_fn)(void *arg, const uint8_t *buf, size_t len,
			       const struct in6_addr *src, const struct in6_addr *dst, int ifindex,
			       uint64_t at_ms);

int mhsock_open(struct mhsock **out, uv_loop_t *loop, mhsock_recv_fn fn, void *arg);
/* src may be NULL (kernel picks); returns 0 or -errno */
int mhsock_send(struct mhsock *s, const uint8_t *buf, size_t len,
		const struct in6_addr *src, const struct in6_addr *dst);
void mhsock_close(struct mhsock *s);
/*
 * What the socket told of the IPv6 header of the message fn is being
 * handed (hop limit, flow information, extension headers: mhparam.h);
 * valid during fn only.
 */
const struct mhparam_rx *mhsock_rx(const struct mhsock *s);
/*
 * Hand fn the messages that have arrived and wait (as many as one
 * wake-up reads), now. A timer that acts on an answer's absence calls it
 * first: libuv runs the timers that came due before it polls, so an agent
 * that did not run for a while (stopped, loaded) would otherwise judge
 * before reading the answer that came in time.
 */
void mhsock_read_now(struct mhsock *s);

#endif
