/* SPDX-License-Identifier: MIT */
/*
 * movepace.h — when the host looks at its care-of addresses again after
 * netlink told it something changed (no I/O; time is an argument).
 *
 * The first event after a quiet spell is looked at at once: a new address
 * that became usable is the end of the move, and every millisecond spent
 * waiting here is a millisecond of stall (the BU leaves from it). Events
 * that follow a look within MOVEPACE_HOLD_MS (the rest of the burst a link
 * change makes: addresses, routes, the link itself) share one later look,
 * MOVEPACE_HOLD_MS after the previous one, so a storm of events costs at
 * most one such paced look per MOVEPACE_HOLD_MS (urgent looks: below).
 *
 * An event that may end a move (an access address that is usable: the
 * last thing a router advertisement or a finished DAD brings; the kernel
 * also says it again when an RA refreshes the address's lifetimes) is
 * urgent: it comes ms after the link's own events, inside their hold, and
 * waiting there delayed the BU by up to MOVEPACE_HOLD_MS. It is looked at
 * at once unless another urgent look was made less than MOVEPACE_HOLD_MS
 * ago, so a storm of address events costs at most two looks per hold (one
 * urgent, one paced).
 *
 * A burst is a run of events less than MOVEPACE_HOLD_MS apart; its first
 * event's time is when the change began (what a move says about the
 * outage: replay.h).
 */
#ifndef ODM_MOVEPACE_H
#define ODM_MOVEPACE_H

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

#define MOVEPACE_HOLD_MS 2

struct movepace {
	uint64_t last_event_ms;
	uint64_t last_look_ms;
	uint64_t burst_ms;      /* first event of the current burst */
	uint64_t last_urgent_ms; /* the last look an urgent event made at once */
	int has_event;
	int has_look;
	int has_urgent;
	int pending;            /* events not looked at yet */
};

/* An event at now: 0 to look now, or the ms to wait before the look that
 * will cover it (the caller arms one timer; a later event while it runs
 * changes nothing). urgent: the event may end a move (above). */
uint64_t movepace_event(struct movepace *p, uint64_t now, int urgent);
/* A look was made at now (covering every event so far). */
void movepace_looked(struct movepace *p, uint64_t now);
/* Whether events wait for a look. */
int movepace_pending(const struct movepace *p);
/* When the burst that the next look is about began. */
uint64_t movepace_burst_ms(const struct movepace *p);
/* 1 when the netlink message h (len bytes) says an IPv6 address of global
 * scope is there and usable (movepace_flags_usable) and not deprecated.
 * The urgent events above. */
int movepace_addr_usable(const struct nlmsghdr *h, size_t len);
/* 1 when an address with these IFA_F_* flags may be sent from: not
 * tentative (or optimistic, RFC 4429), DAD not failed. The one rule for a
 * usable care-of address (movement.c asks it of the kernel's choice too). */
int movepace_flags_usable(uint32_t flags);

#endif
