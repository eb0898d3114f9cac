/* SPDX-License-Identifier: MIT */
/*
 * movegap.h — a move's gap: the time between the host losing its last
 * usable access address and getting one again, when a name lookup fails
 * at once for want of a route (the resolver's UDP connect() gets
 * ENETUNREACH: getaddrinfo(3) says EAI_AGAIN, or EAI_NONAME under
 * AI_ADDRCONFIG). Pure: the agent's looks feed it (movegap_look) with the
 * time passed in, and it judges a shim's question (movegap_ask) whether
 * such a failure is the move's, to be waited out and asked again, or the
 * host's (offline, or no move at all).
 *
 * A usable address is a global IPv6 one, neither tentative nor
 * DAD-failed, on a device that is up with its carrier (the caller says
 * which). A gap begins when a look finds none after one found some (the
 * care-of address went), so a host that never had one (no IPv6, started
 * offline) is never in one; a host that stays without one is taken for
 * offline once MOVEGAP_WAIT_MS have passed since its gap began: lookups
 * then fail at once again, and the wait an offline host pays is the rest
 * of that bound, once per loss of its link. A gap ends when a look finds a
 * usable address again. A look that finds a usable address gone while
 * another is there ends one too (the agent looked only after the new link
 * was up: the gap was there, unseen).
 */
#ifndef ODM_MOVEGAP_H
#define ODM_MOVEGAP_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

/* The longest wait from a gap's start: a move with the kernel's default
 * Duplicate Address Detection and neither optimistic-dad nor
 * router-solicit took 2.2 to 2.6 s (odmagent(8) "Movement"); with both
 * (the defaults) some 15 ms, a few hundred under load. */
#define MOVEGAP_WAIT_MS ODM_IPC_MOVE_WAIT_MS
/* A lookup that failed this soon after a gap ended is made again at once:
 * it may have begun before the new address came, and failed only now. One
 * whose query left just before the old link went gets no answer, and
 * fails only after the resolver's tries (resolv.conf(5): timeout 5 s,
 * attempts 2 by default); one was seen failing so 2 s after a move on the
 * test network (timeout 1 s, 2 attempts). */
#define MOVEGAP_RECENT_MS 10000

struct movegap {
	int seen;         /* a look found a usable address since the start */
	int have;         /* the last look found one */
	uint64_t lost_ms; /* the current gap's start (have 0, seen 1), else 0 */
	uint64_t back_ms; /* the last gap's end (0: none yet) */
};

/*
 * A look at the host's addresses at now: usable of them usable, went of
 * the usable ones of the last look no longer usable. since: when the
 * change the look is about began (at or before now; 0: now), the start
 * of a gap it finds.
 */
void movegap_look(struct movegap *g, size_t usable, size_t went, uint64_t since, uint64_t now);

enum movegap_verdict {
	MOVEGAP_NO,    /* not the move's: the failure stands */
	MOVEGAP_RETRY, /* a gap ended just now: ask again */
	MOVEGAP_WAIT,  /* in a gap: wait for its end, until *until at most */
};

/* What a lookup that failed for want of a route, told at now, is to do */
enum movegap_verdict movegap_ask(const struct movegap *g, uint64_t now, uint64_t *until);

/*
 * Whether the host moved since since: it is in a gap now, or one ended
 * (a usable address came back, or one went while another stayed: a
 * carrier's loss the looks did not see included) at or after since. A
 * lookup that got no answer while its query was out may have lost it to
 * the move; one that did not see the host move got none from the DNS.
 */
int movegap_moved_since(const struct movegap *g, uint64_t since);

#endif
