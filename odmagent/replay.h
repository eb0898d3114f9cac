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
 */
#ifndef ODM_REPLAY_H
#define ODM_REPLAY_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define REPLAY_PKT_MAX 1500   /* inner packets above this are not kept */

struct replay_ring;

/* slots: how many packets are kept (the oldest is overwritten) */
int replay_open(struct replay_ring **out, size_t slots);
void replay_close(struct replay_ring *r);

/* Keep a copy of pkt, sent for inner at ts_ms (monotonic). */
void replay_record(struct replay_ring *r, const struct in6_addr *inner, uint64_t ts_ms,
		   const uint8_t *pkt, size_t len);

typedef void (*replay_fn)(void *arg, const uint8_t *pkt, size_t len);
/*
 * Call fn, oldest first, for every kept packet of inner sent at or after
 * since_ms. Returns how many.
 */
size_t replay_since(const struct replay_ring *r, const struct in6_addr *inner,
		    uint64_t since_ms, replay_fn fn, void *arg);
/* Forget inner's packets (its binding is gone). */
void replay_forget(struct replay_ring *r, const struct in6_addr *inner);

#endif
