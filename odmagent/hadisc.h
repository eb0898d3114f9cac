/* SPDX-License-Identifier: MIT */
/*
 * hadisc.h — which home anchor the host uses, and why: the configured one
 * (home-anchor), else one found by DNS (SRV records _mip6._ipv6.DOMAIN for
 * the domains of the host's search list and of Router Advertisements,
 * RFC 5026 §5.2), else one a router advertises (a router with the Home
 * Agent flag, its address from a prefix option with the R flag and its
 * preference from the Home Agent Information option, RFC 6275 §7 and
 * §10.5.1). Candidates expire with their DNS TTL or advertised lifetime.
 * Pure: callers pass in what they heard and the time.
 */
#ifndef ODM_HADISC_H
#define ODM_HADISC_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "raopt.h"

#define HADISC_CANDS_MAX 16

enum hadisc_source { HADISC_NONE = 0, HADISC_CONFIG = 1, HADISC_DNS = 2, HADISC_RA = 3 };

struct hadisc_cand {
	struct in6_addr addr;
	enum hadisc_source src;
	int rank;                /* DNS: SRV priority (lower first); RA: -preference */
	int weight;              /* DNS: SRV weight (higher first) */
	uint64_t heard_ms;       /* for the tie: the most recently heard first */
	uint64_t expires_ms;     /* 0 = never (configuration) */
	char origin[RA_DOMAIN_MAX + 16]; /* "_mip6._ipv6.DOMAIN" or "router on IFNAME" */
};

struct hadisc {
	struct hadisc_cand c[HADISC_CANDS_MAX];
	size_t n;
	int discover;            /* 0: only the configured anchor counts */
};

/* A resolved SRV target (RFC 2782) */
struct hadisc_srv {
	struct in6_addr addr;
	uint16_t priority, weight;
	uint32_t ttl_s;
};

/* config: the configured home anchor or NULL; discover: also use DNS and RAs */
void hadisc_init(struct hadisc *h, const struct in6_addr *config, int discover);

/* An RA heard on ifname: adds, refreshes or (lifetime 0) removes its router. */
void hadisc_from_ra(struct hadisc *h, const struct ra_info *ra, const char *ifname,
		    uint64_t now_ms);

/* The SRV answer for domain (n = 0: none there): replaces that domain's. */
void hadisc_from_dns(struct hadisc *h, const char *domain, const struct hadisc_srv *srv,
		     size_t n, uint64_t now_ms);

/* Drops what expired; the home anchor to use now, or NULL. */
const struct hadisc_cand *hadisc_choose(struct hadisc *h, uint64_t now_ms);

const char *hadisc_source_name(enum hadisc_source s); /* "config", "dns-srv", "ra" */

#endif
