/* SPDX-License-Identifier: MIT */
/*
 * fixedaddr.h — the host's Fixed address (RFC 8653 §3.1): one per identity,
 * held at the home anchor from the moment one is known, whether or not a
 * socket uses it (a server listening on the unspecified address must stay
 * reachable on it), re-registered on every move (the type table says
 * AT_MOVE_REREGISTER) and taken over after a restart (mn_state). Part of
 * the host engine: no I/O, time from the engine's event.
 */
#ifndef ODM_FIXEDADDR_H
#define ODM_FIXEDADDR_H

#include <netinet/in.h>
#include <stdint.h>

struct hostengine;

/* After a failed allocation (it gives up after HE_ALLOC_TIMEOUT_MS) the
 * next one waits FIXED_RETRY_MS after the start of the last, doubling with
 * each failure in a row up to FIXED_RETRY_MAX_MS, so that a home anchor that
 * never answers costs a BU pair a minute, not a stream; a registration
 * that succeeds starts the count again. */
#define FIXED_RETRY_MS 5000
#define FIXED_RETRY_MAX_MS 60000

/* The home anchor now (homefind's choice), NULL if none is known. A new
 * anchor is asked for the Fixed address; the Fixed lease held at the old
 * one is kept until the new one has registered one (make before break:
 * a new anchor that never answers, or answers late, costs the host
 * nothing), then ended (fixed_keep). Losing every anchor keeps the lease
 * until its own anchor refuses it or lets it expire, but new Fixed
 * requests are refused. */
void he_set_home(struct hostengine *e, const struct in6_addr *home, uint64_t now);

/* Ask the home anchor for the Fixed address if none is held or being
 * asked for (and the wait after the last try is over); once it is
 * registered, end the Fixed leases at former home anchors. Called by the
 * engine on each tick and after adopting the last run's leases. */
void fixed_keep(struct hostengine *e);
/* The host's addresses or routes changed (he_move_since): a Fixed
 * allocation that failed for want of a care-of address toward the home
 * anchor (a host started before its network, or between two) asked the
 * anchor nothing, and is no failure of the anchor's; once there is a
 * care-of address toward it, the next one goes at once, not at the end of
 * the wait above (up to FIXED_RETRY_MAX_MS). */
void fixed_moved(struct hostengine *e);
/* The wait before try number tries + 1, after tries failed ones (>= 1). */
uint64_t fixed_retry_ms(unsigned tries);

/* How long anchor stays on hold after now (he_hold_left: it let an
 * allocation go unanswered), in ms; 0 when it is not, or was never asked.
 * The home anchor's choice passes over an anchor on hold (hadisc.h). */
uint64_t he_anchor_hold_left(struct hostengine *e, const struct in6_addr *anchor, uint64_t now);

/* The Fixed address held and registered now, or NULL. */
const struct in6_addr *he_fixed_addr(const struct hostengine *e);

#endif
