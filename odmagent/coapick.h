/* SPDX-License-Identifier: MIT */
/*
 * coapick.h — whether the source address the kernel picks toward an anchor
 * is taken as the new care-of address, from the host's addresses as an
 * address dump tells them (addrmsg.h). Pure: no I/O.
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

struct coapick {
	struct in6_addr pick, cur;
	int has_cur, skip_ifindex;
	int pick_usable, pick_preferred, cur_preferred;
};

/* pick: the kernel's choice; cur: the care-of address in use (NULL: none);
 * skip_ifindex: the tunnel device, whose addresses are never one */
void coapick_init(struct coapick *p, const struct in6_addr *pick, const struct in6_addr *cur,
		  int skip_ifindex);
/* One address of the dump (each of them, in any order) */
void coapick_add(struct coapick *p, const struct addrmsg *x);
enum coapick_verdict coapick_verdict(const struct coapick *p);

#endif
