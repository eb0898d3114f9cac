/* SPDX-License-Identifier: MIT */
/*
 * anchor_routewatch.h — an access anchor's per-address routes, watched.
 * A binding of an address of the anchor's own link whose host has moved
 * away has a /128 route into the tunnel device (anchor_mode.h,
 * per_address_route): deleted by someone else, the address's packets
 * would go out on the link, where the host no longer is, and its sessions
 * would stall. Once a second (devwatch_each_look) where packets to each
 * such address go is asked (one route lookup each; above
 * ANCHOR_ROUTEWATCH_LOOKUPS of them, one dump of the /128 routes out of
 * the device instead), and a missing route is put back, with a warning; a
 * route of someone else's of the same length that sends them elsewhere is
 * said once.
 */
#ifndef ODM_ANCHOR_ROUTEWATCH_H
#define ODM_ANCHOR_ROUTEWATCH_H

#include <netinet/in.h>
#include <stddef.h>

struct anchor;

#define ANCHOR_ROUTEWATCH_LOOKUPS 256

/* The look, once a second (anchor.c, devwatch_each_look). Nothing is asked
 * of the kernel while no binding has such a route. */
void anchor_routewatch_look(struct anchor *an);

/*
 * Which of want[0..nwant) are not in have[0..nhave) (any order; have is
 * sorted here): their indexes into missing, in order. How many. Pure.
 */
size_t anchor_routewatch_missing(const struct in6_addr *want, size_t nwant,
				 struct in6_addr *have, size_t nhave, size_t *missing);

#endif
