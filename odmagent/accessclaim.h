/* SPDX-License-Identifier: MIT */
/*
 * accessclaim.h — the host side of access anchors: a Session-lasting (no
 * CHA known) or Graceful-replacement socket gets the host's current access
 * address, which the host claims at the anchor of the access router of its
 * link with an authenticated BU sent from that very address (HNP = CoA =
 * the address, RFC 6275 §11.5.4's form of a BU "at home"). The address stays
 * native while the host is on that link. After a move the lease re-registers
 * it from the new care-of address: the anchor tunnels it to the host, which
 * configures it on the tunnel device like any anchored address until its
 * last socket closes (then deregisters). Back on the link, a BU from the
 * address makes it native again and the host removes the tunnel side.
 *
 * The access anchor of the current link is the configured access-anchor
 * (odmagent.conf(5)) whose /64 holds one of the host's access addresses,
 * else (access-anchor ra) the anchor a router of that /64 offers in its
 * Router Advertisements (accessra.h).
 *
 * One claim per address: Session-lasting and Graceful-replacement requests
 * of every user share the claim of the current access address (typetable.c
 * says when). The claim is Graceful-replacement while only such requests
 * were made for it; the first Session-lasting one turns it Session-lasting
 * (a refresh from the link tells the anchor, and the request is answered
 * by its BA), and it stays so; unless the host moves before the anchor
 * agreed and the anchor refuses the move's Session-lasting BU (139: it
 * still holds a Graceful-replacement claim): then the claim stays
 * Graceful-replacement, and the requests that waited claim the new link's
 * address. The kernel cannot say which socket asked for
 * which type, so after a move a Session-lasting claim lives until the last
 * socket bound to the address closes, and a Graceful-replacement claim
 * until then or its deadline, whichever comes first. Policy and quotas are
 * applied to each request before it gets here; each user who shares the
 * claim is one of its holders (events, quotas).
 *
 * Graceful-replacement: the first BA after a move carries a lifetime the
 * anchor capped at its grace period (the BUs of such a claim away from its
 * link ask for the longest lifetime, so that the cap is the grace period's
 * whatever lifetime the host is configured with); the host takes that as
 * the deadline,
 * tells it in a "graceful-replacement" event (the address, its replacement,
 * the deadline) and ends the lease when it passes.
 *
 * No I/O: everything goes through the host engine's ops.
 */
#ifndef ODM_ACCESSCLAIM_H
#define ODM_ACCESSCLAIM_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "accessra.h"

#define ACCESS_ANCHORS_MAX 8

/* where the current link's access anchor came from */
enum access_src { ACCESS_SRC_NONE = 0, ACCESS_SRC_CONFIG = 1, ACCESS_SRC_RA = 2 };

struct access_anchors {
	struct in6_addr v[ACCESS_ANCHORS_MAX];
	size_t n;
};

struct hostengine;
struct lease;
struct reg_anchor;
struct reg_binding;
struct reg_event;

/* The first of list whose /64 holds one of host[0..nh): its index, or -1. */
int access_anchor_pick(const struct access_anchors *list, const struct in6_addr *host,
		       size_t nh);

/* The configured access anchors (replaces the previous list). */
void access_set_anchors(struct hostengine *e, const struct in6_addr *v, size_t n);
/* access-anchor ra: learn access anchors from Router Advertisements too. */
void access_learn_from_ra(struct hostengine *e, int on);
/* An RA heard on ifname at now (raopt.h): learned anchors added, refreshed
 * or withdrawn (accessra.h), then access_update. */
void access_ra_heard(struct hostengine *e, const struct ra_info *ra, const char *ifname,
		     uint64_t now);
/* The host's addresses changed (or the anchors known): which access anchor
 * is the current link's, configured ones first. */
void access_update(struct hostengine *e);
/* "access_anchor" of odmctl status: the current one, its source, the
 * configured and learned ones. */
json_t *access_status_json(const struct hostengine *e, uint64_t now);

/* Whether a lease of addr at anchor is a claim of the host's access
 * address: anchor is a configured access anchor, or one learned from an
 * RA and addr (NULL: none yet) or one of the host's addresses is of its
 * /64 (accessra.h: the anchor of that link; on a renumbered link the
 * address toward it may be of the link's new /64). An RA is anyone's on
 * the link, and may name any address: a CHA's or a home anchor's is no
 * access anchor for the host's addresses of another link. */
int access_is_claim(const struct hostengine *e, const struct in6_addr *anchor,
		    const struct in6_addr *addr);
/* rq shares claim l (typetable.c): its user becomes a holder; a
 * Session-lasting request turns a Graceful-replacement claim
 * Session-lasting and waits for the anchor's word. 1 if rq was answered or
 * queued here, 0 if the caller hands the address out as for any lease. */
struct at_request;
int access_claim_join(struct hostengine *e, struct lease *l, const struct at_request *rq);
/* Claim the CoA toward l's anchor for l (l is new, its waiter queued). */
void access_claim_start(struct hostengine *e, struct lease *l);
/* A BA accepted an exchange of claimed lease l (before lease.c's logging). */
void access_claim_accepted(struct hostengine *e, struct lease *l, struct reg_binding *b,
			   const struct reg_event *ev);
/* A BA refused an exchange of claimed lease l: 1 if the claim goes on
 * (a 139 for a Session-lasting claim away from its link: the anchor still
 * holds it as Graceful-replacement, its waiters are asked for again where
 * the host is now), 0 if lease.c decides. */
int access_claim_refused(struct hostengine *e, struct lease *l, struct reg_binding *b,
			 const struct reg_event *ev);
/* A new CoA toward l's anchor: 1 if a BU went out for l. */
int access_claim_moved(struct hostengine *e, struct lease *l, const struct in6_addr *coa);
/*
 * 1 when the care-of address toward anchor an stays the one in use rather
 * than become pick: it is the address of a native claim there, still on
 * the host, and pick is of the same /64, so the host is still on the
 * claim's link (a temporary address's rotation, RFC 8981: the claimed one
 * deprecated, a new one preferred; or another address of the link the
 * kernel prefers now). From any address of its own link but the claimed
 * one the anchor refuses the claim's refresh (174, invalid care-of
 * address), which ended the claim and its sockets; the claimed address
 * serves it while it is there (RFC 4862 section 5.5.4).
 */
int access_claim_pins(const struct hostengine *e, const struct reg_anchor *an,
		      const struct in6_addr *pick);
/*
 * The first look of this run toward an (no CoA yet: a new run that took
 * a native claim there over): pick, the kernel's CoA, is of the link of
 * such a claim whose address the host still holds but the kernel no
 * longer picks (put back on the link, access_claim_relink; a temporary
 * address RFC 8981 rotated): *pick becomes the claimed address, as
 * access_claim_pins keeps it for a run that saw it; 1 if so. From any
 * other address of its own link the anchor refuses the claim's refresh
 * (174), which ended the claim and its sockets at the new run's start.
 */
int access_claim_first_coa(const struct hostengine *e, const struct reg_anchor *an,
			   struct in6_addr *pick);
/*
 * Back on the link of a claim at an (pick, the kernel's CoA toward an, is
 * of the claim's /64) whose address the host no longer holds there: the
 * kernel let it go while the host was away (a temporary address, RFC
 * 8981: the link's next one is another) or off the link (was_away: the
 * CoA toward an was lost since the last look). The address is put back on
 * that link's interface (deprecated: for the claim's sockets, no new
 * ones; he_ops link_addr_add) and *pick becomes it, so the claim is
 * native again (access_claim_moved). From any other address of its own
 * link the anchor refuses the claim's refresh (174, invalid care-of
 * address), which ended the claim and its sockets at the host's return.
 * 1 if it did. Not for a native claim whose address went while the host
 * stayed (its valid lifetime over): it ends (access_claim_pins).
 */
int access_claim_relink(struct hostengine *e, const struct reg_anchor *an,
			struct in6_addr *pick, int was_away);
/* The address access_claim_relink put back on the link taken off it
 * (the claim ends, or is away from its link again). */
void access_claim_unlink(struct hostengine *e, struct lease *l);
/* A lease taken over from the last run: marked claimed if its anchor is
 * an access anchor; 1 if its address is still one of the host's access
 * addresses (native: nothing to configure), else 0. One the last run had
 * put back on its link (access_claim_relink; he_ops link_addr_found: a
 * /128, deprecated, without DAD) is taken off again as that run would
 * have (access_claim_unlink). */
int access_adopt(struct hostengine *e, struct lease *l);
/* End the Graceful-replacement leases whose deadline has passed. */
void access_deadlines(struct hostengine *e);
/* The earliest deadline of a Graceful-replacement lease away from its
 * link, 0 if none: the anchor drops the binding then, so the host ends the
 * lease on time rather than at its next tick (meanwhile a packet from the
 * address would draw a Binding Error and a refused refresh). */
uint64_t access_next_deadline(const struct hostengine *e);

#endif
