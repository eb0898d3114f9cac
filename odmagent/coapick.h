/* SPDX-License-Identifier: MIT */
/*
 * coapick.h — whether the source address the kernel picks toward an anchor
 * is taken as the new care-of address, from the host's addresses as an
 * address dump tells them (addrmsg.h) and whether the next hop toward the
 * anchor changed since the care-of address in use was taken. Pure: no I/O.
 *
 * Not when it is on the tunnel device only, tentative (not optimistic) or
 * DAD-failed, or absent (gone meanwhile). Nor, while the care-of address in
 * use is still preferred, when it is deprecated (RFC 4862 section 5.5.4;
 * RFC 6724 rule 3 avoids it): the kernel picks it for a moment only, as a
 * Router Advertisement that advertises its prefix deprecated (a
 * renumbering) refreshes it with the flag cleared and sets it again at
 * once; taken, every such advertisement would move the host's bindings
 * to it and back. A deprecated address is taken when the one in use is
 * not preferred any more (or gone): it is still an address of the host.
 *
 * Nor, while the care-of address in use is still preferred, when the pick
 * is on the same interface and the packets toward the anchor still leave
 * through the same router: the host has not moved (RFC 6275 section
 * 11.5.1: movement is a new default router, or the current address no
 * longer usable), the kernel only prefers another address of the same
 * link now. Anyone on the link can bring one with a Router Advertisement
 * of a prefix of their own (router lifetime 0, no router at all) that
 * matches the anchor's address longer (RFC 6724 rule 8); taken, every
 * binding would move to a care-of address nothing routes to, for as long
 * as the advertised valid lifetime, which the real router cannot shorten
 * below two hours (RFC 4862 section 5.5.3 e). A pick on another interface,
 * or through another router (an L3 roam without a carrier change), is
 * taken; so is one when the router of the care-of address in use is not
 * known (COAPICK_HOP_UNKNOWN: the kernel's choice is trusted).
 *
 * Nor, when the care-of address in use is deprecated but still there, a
 * pick on another interface while the packets toward the anchor still
 * leave by the interface of the one in use (a second link up, its
 * default route less preferred): RFC 6724 rule 3 (avoid deprecated) comes
 * before rule 5 (prefer the outgoing interface), so the kernel picks the
 * other link's address for packets that leave by the first, where its
 * routers drop them as spoofed (ingress filtering, RFC 2827); the
 * deprecated address still serves the bindings it has (RFC 4862 section
 * 5.5.4) until it goes or the route does.
 */
#ifndef ODM_COAPICK_H
#define ODM_COAPICK_H

#include <netinet/in.h>

#include "addrmsg.h"

enum coapick_verdict {
	COAPICK_TAKE = 0,    /* the new care-of address */
	COAPICK_UNUSABLE,    /* not usable (yet): no change */
	COAPICK_KEEP,        /* keep the care-of address in use */
};

/* The next hop toward the anchor now (its interface and router) against
 * the one when the care-of address in use was taken */
enum coapick_hop {
	COAPICK_HOP_UNKNOWN = 0, /* not known, or not asked */
	COAPICK_HOP_SAME,
	COAPICK_HOP_CHANGED,
};

struct coapick {
	struct in6_addr pick, cur;
	int has_cur, skip_ifindex;
	int pick_usable, pick_preferred, cur_preferred;
	int pick_ifindex, cur_ifindex; /* their interfaces (usable copies), 0: none */
	int cur_usable;     /* the one in use is there, preferred or not */
	enum coapick_hop hop;
	int route_ifindex;  /* the interface toward the anchor (coapick_route), 0: unknown */
};

/* pick: the kernel's choice; cur: the care-of address in use (NULL: none);
 * skip_ifindex: the tunnel device, whose addresses are never one */
void coapick_init(struct coapick *p, const struct in6_addr *pick, const struct in6_addr *cur,
		  int skip_ifindex);
/* One address of the dump (each of them, in any order) */
void coapick_add(struct coapick *p, const struct addrmsg *x);
/* 1 when, after the dump, the verdict rests on the next hop toward the
 * anchor: then the caller tells it with coapick_hop() */
int coapick_needs_hop(const struct coapick *p);
void coapick_hop(struct coapick *p, enum coapick_hop hop);
/* 1 when, after the dump, the verdict rests on the interface the packets
 * toward the anchor leave by: then the caller tells it with
 * coapick_route() (its ifindex, 0 if not known) */
int coapick_needs_route(const struct coapick *p);
void coapick_route(struct coapick *p, int oif);
enum coapick_verdict coapick_verdict(const struct coapick *p);

#endif
