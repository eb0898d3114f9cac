/* SPDX-License-Identifier: MIT */
/*
 * carrierlook.h — whether the link of a care-of address lost its carrier and
 * got it back between two looks of the host agent that both found that
 * address working. The kernel counts each link's carrier losses
 * (IFLA_CARRIER_DOWN_COUNT, rtnetlink(7)); a count that grew while the link
 * stayed the same is an outage the agent did not see: it did not run across
 * it (stopped, or starved on a loaded host), and read the events of the loss
 * and of the return together, after both. Such a return is re-registered as
 * one the agent saw, so that the anchor replays the outage (odmagent(8),
 * Replay after a move); the loss came after the last look that found the
 * count as it was, and is dated from it. Pure: no I/O, the time an argument.
 */
#ifndef ODM_CARRIERLOOK_H
#define ODM_CARRIERLOOK_H

#include <stdint.h>

struct carrierlook {
	int ifindex;    /* the link at the last look; 0: none remembered */
	uint32_t downs; /* its count of carrier losses then */
	uint64_t at_ms; /* when that look was (monotonic ms) */
};

/*
 * A look at now_ms found the care-of address in use working, on the link
 * ifindex (up, its carrier on), whose carrier has been lost downs times.
 * 1 when it was lost (and came back) since the last such look, on the same
 * link: *up_ms is then when that look was, the loss after it. 0 otherwise:
 * the first look, another link (a move), a count that went back (a device
 * made anew), or no change. This look is remembered either way.
 */
int carrierlook_seen(struct carrierlook *c, int ifindex, uint32_t downs, uint64_t now_ms,
		     uint64_t *up_ms);

/* The care-of address changed: the next look starts afresh */
void carrierlook_forget(struct carrierlook *c);

#endif
