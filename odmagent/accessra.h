/* SPDX-License-Identifier: MIT */
/*
 * accessra.h — access anchors learned from Router Advertisements. The rule:
 * a router that sets the Home Agent flag (RFC 6275 §7.1) and puts its own
 * global address in a Prefix Information option with the R flag (§7.2)
 * offers an access anchor at that address, for the /64 holding it, for the
 * Home Agent lifetime it advertises (the Home Agent Information option's,
 * §7.4, else the router lifetime). An RA without the flag, or with lifetime
 * 0, withdraws the router's offer at once (as §10.5.1 does for the home
 * agents list). Entries outlive the link: an anchor the host has left still
 * anchors the addresses it claimed there, until the lifetime runs out.
 * Bounded: at most ACCESSRA_MAX routers; a new one replaces the one that
 * expires first. Pure: callers pass in what they heard and the time.
 */
#ifndef ODM_ACCESSRA_H
#define ODM_ACCESSRA_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "raopt.h"

#define ACCESSRA_MAX 8

struct accessra_entry {
	struct in6_addr addr;    /* the router's address: the anchor */
	uint64_t heard_ms;
	uint64_t expires_ms;
	char ifname[IF_NAMESIZE];
};

struct accessra {
	struct accessra_entry e[ACCESSRA_MAX];
	size_t n;
};

/* An RA heard on ifname at now_ms: 1 if the set of anchors changed (one
 * added or withdrawn), 0 if it only refreshed or said nothing of anchors. */
int accessra_from_ra(struct accessra *t, const struct ra_info *ra, const char *ifname,
		     uint64_t now_ms);
/* Drops the entries expired at now_ms: how many. */
size_t accessra_expire(struct accessra *t, uint64_t now_ms);
/* The entry for anchor addr, or NULL. */
const struct accessra_entry *accessra_find(const struct accessra *t, const struct in6_addr *addr);
/* The entry whose /64 holds one of host[0..nh) (the most recently heard
 * of several), or NULL. */
const struct accessra_entry *accessra_pick(const struct accessra *t, const struct in6_addr *host,
					   size_t nh);

#endif
