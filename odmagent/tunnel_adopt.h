/* SPDX-License-Identifier: MIT */
/*
 * tunnel_adopt.h — what a restarted anchor does with the kernel data path a
 * killed run left behind (encapsulation routes, nftables elements): it keeps
 * it forwarding, restores its bindings over it (each bind replaces its route
 * and adds its elements, both idempotent), then plans here what of the old
 * state no restored binding explains. Pure: no I/O, no clock.
 */
#ifndef ODM_TUNNEL_ADOPT_H
#define ODM_TUNNEL_ADOPT_H

#include <netinet/in.h>
#include <stddef.h>

#include "tunnel_table.h"

/* One piece of kernel state found from an earlier run: an encapsulation
 * route for inner (ADOPT_ROUTE: local and remote as the route has them;
 * local :: if the kernel does not say, then only remote is compared), an accepted (local, remote, inner) triple (ADOPT_ELEM),
 * or a local endpoint that decapsulates (ADOPT_LOCAL: only local is set). */
enum adopt_kind { ADOPT_ROUTE, ADOPT_ELEM, ADOPT_LOCAL };

struct adopt_found {
	enum adopt_kind kind;
	struct in6_addr inner, local, remote;
};

/* ADOPT_ADD: a restored binding the kernel did not have (its bind put it
 * there); ADOPT_REPLACE: a restored binding the kernel had with other
 * endpoints (the route was replaced by the bind: the old element goes);
 * ADOPT_DEL: state of no restored binding (it goes). */
enum adopt_op { ADOPT_ADD, ADOPT_REPLACE, ADOPT_DEL };

struct adopt_action {
	enum adopt_op op;
	enum adopt_kind kind; /* of the state it is about */
	struct in6_addr inner, local, remote; /* ADD: the binding's; else the found ones */
};

/*
 * Given the n pieces of state found and the restored bindings (tt), write
 * the actions into out (room for cap) in the order found, then the ADDs of
 * restored bindings with no found route. Returns how many actions there
 * are (may exceed cap: only cap are written).
 */
size_t tunnel_adopt_plan(const struct adopt_found *found, size_t n,
			 const struct tunnel_table *tt, struct adopt_action *out, size_t cap);

#endif
