/* SPDX-License-Identifier: MIT */
/*
 * replay.h — the last packets a tunnel endpoint sent, kept so they can be
 * sent again after a move.
 *
 * When a host moves, what the anchor tunnelled to the old care-of address
 * between the old link going down and the re-registration arriving is lost;
 * TCP then waits for fast recovery, or for the server's retransmission
 * timeout (at least 200 ms) when a whole window went. Sending those packets
 * again to the new care-of address as soon as the binding moves removes that
 * wait. Duplicates are harmless to TCP and UDP; the ring is bounded in
 * slots and bytes. Upstream, the host's own TCP repairs the outage without
 * help: a replay on the move's BA was measured (test_mn's upload) and
 * gained nothing (30 ms gap with it, 21-24 ms without), so there is none.
 *
 * What is sent again is bounded to the outage. The host's BU after a move
 * names the last packet it received at its old care-of address (its
 * pkttag, in the "care-of address lost" option, mh.h): the anchor replays
 * what it sent after that packet (replay_after), exactly what the host
 * missed, queues on the way included. Where the host names none (a kernel
 * backend's host, or no packet kept by that tag) the time does
 * (replay_from_ms): the same option says how long ago the host lost its
 * old care-of address; the anchor replays what it sent
 * from that moment (or from the last packet it had from the host, when that
 * came just before: REPLAY_LATE_MAX_MS), less REPLAY_MARGIN_MS, on. A BU without it (an older
 * host) gets what was sent since REPLAY_MARGIN_MS before the host was last
 * heard from, but never more than REPLAY_LEGACY_MAX_MS: for a host that
 * only receives, "last heard from" may be the start of the flow.
 *
 * Each kept packet is sent again once at most, whatever the number of
 * moves: a key holder moving its binding back and forth, each BU saying
 * it lost its address REPLAY_LOST_MAX_MS ago, made the anchor send the
 * same packets again at every move (20 BUs, 5.8 kB into the anchor's
 * link, drew 20 copies of 200 datagrams, 1.27 MB out, toward care-of
 * addresses it named). Now the
 * anchor sends at most twice what it tunnels for a binding. A host that
 * moves twice within one outage loses what the first replay sent to the
 * address it left at once; TCP sends that again itself. Only a packet
 * sent again is marked so (replay_fn says): one the replay skipped or
 * failed to send goes at the next move.
 */
#ifndef ODM_REPLAY_H
#define ODM_REPLAY_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define REPLAY_PKT_MAX 1500   /* replay_open: packets above this are not kept */
#define REPLAY_PKT_LIMIT 65535 /* replay_open_sized's largest pkt_max */
/*
 * Before the moment the host names as its loss. The host takes that moment
 * from the last packet its tunnel received from the anchor when it has one
 * (hostengine.c), dated by the kernel as it arrived (SO_TIMESTAMPNS, not
 * when a loaded agent got round to reading it): what the anchor sent later
 * was lost. The margin covers the rest: the stamps are whole ms (the
 * host's loss and BU times, the anchor's clock and the ring's), so "lost N
 * ms ago" can come out up to 1 ms short; and the difference between the
 * path's round trip now and the last one measured, which the host adds for
 * the last packet's way to it and the BU's way to the anchor
 * (registration.c). Each ms of margin costs a receive-only stream up to one
 * duplicate per ms of its packet spacing: 1 at 500 packets/s. It was 10
 * ms while the host stamped its loss only when its agent read the kernel's
 * event, and made a receive-only stream at 500/s get 5 duplicates beyond
 * its outage.
 */
#define REPLAY_MARGIN_MS 2
/*
 * A host that cannot date its loss by a packet (none received since the
 * change, or a backend that does not stamp each one: tunnel.h) names the
 * moment its agent read the kernel's first event of the change, less this:
 * the kernel's notice and the agent's read of it, a few ms on an idle host.
 * With the margin it is the 10 ms such a host always had.
 */
#define REPLAY_NOTICE_MS 8
/*
 * A host stamps the loss when its agent reads the kernel's event, which a
 * loaded host does up to tens of ms late. When the anchor last heard from
 * the host (a TCP receiver's ACKs, say) at most this long before the moment
 * the host names, the outage is taken to start at that last packet instead.
 * A host that only receives is last heard from long before and keeps the
 * tight window; one that sends now and then gets at most this much more.
 */
#define REPLAY_LATE_MAX_MS 30
/* An older host's replay reaches at most this far back */
#define REPLAY_LEGACY_MAX_MS 1000
/* A host's "lost N ms ago" beyond this is taken as this much: older
 * packets are of no use to TCP or a real-time stream any more */
#define REPLAY_LOST_MAX_MS 3000

struct replay_ring;

/* slots: how many packets are kept (the oldest is overwritten), each of at
 * most REPLAY_PKT_MAX bytes. The ring's memory is resident from here on
 * (MAP_POPULATE), whatever the traffic: its size is what the agent uses. */
int replay_open(struct replay_ring **out, size_t slots);
/* The same with packets of at most pkt_max bytes (1..REPLAY_PKT_LIMIT): the
 * ring holds slots x pkt_max bytes and a little per slot, whatever comes. */
int replay_open_sized(struct replay_ring **out, size_t slots, size_t pkt_max);
void replay_close(struct replay_ring *r);

/* Keep a copy of pkt, sent for inner at ts_ms (monotonic). */
void replay_record(struct replay_ring *r, const struct in6_addr *inner, uint64_t ts_ms,
		   const uint8_t *pkt, size_t len);

/* Sends pkt again: 1 if it did, 0 if not (not to be sent that way, or the
 * send failed). Only a packet sent is marked as replayed: one not sent is
 * handed over again at the next move. */
typedef int (*replay_fn)(void *arg, const uint8_t *pkt, size_t len);
/*
 * Call fn, oldest first, for every kept packet of inner sent at or after
 * since_ms that no call of these two had fn send before. Returns how
 * many were handed to fn.
 */
size_t replay_since(struct replay_ring *r, const struct in6_addr *inner,
		    uint64_t since_ms, replay_fn fn, void *arg);
/*
 * Call fn, oldest first, for every kept packet of inner sent after the one
 * whose pkttag (pkttag.h) is tag: the newest such packet sent at or after
 * floor_ms; those fn already sent once (here or by replay_since) are
 * not handed to it again. Returns how many, or REPLAY_NO_TAG when no kept packet of
 * inner since floor_ms has that tag (fn is not called: the caller falls
 * back on a time, replay_since).
 */
#define REPLAY_NO_TAG ((size_t)-1)
size_t replay_after(struct replay_ring *r, const struct in6_addr *inner, uint32_t tag,
		    uint64_t floor_ms, replay_fn fn, void *arg);
/*
 * Where a replay after a move starts (monotonic ms), decided at now_ms:
 * has_lost: the BU said the host lost its old care-of address lost_ago_ms
 * before it arrived (the host adds the round trip); otherwise last_rx_ms
 * is when the host was last heard from (0 = never). Returns now_ms + 1
 * (nothing to replay) when there is no basis for one.
 */
uint64_t replay_from_ms(uint64_t now_ms, int has_lost, uint32_t lost_ago_ms,
			uint64_t last_rx_ms);
/* Forget inner's packets (its binding is gone). */
void replay_forget(struct replay_ring *r, const struct in6_addr *inner);

#endif
