/* SPDX-License-Identifier: MIT */
/* fuzz_ra.c — libFuzzer harness: any bytes as a Router Advertisement
 * (ra_parse), then into the home anchor choice (hadisc). Nothing may crash;
 * what a valid RA yields stays within its bounds (router addresses global
 * unicast, 2000::/3, or unique local, fc00::/7: never ::1, a v4-mapped
 * address, a link-local, site-local or multicast one);
 * a router that is not a home agent never becomes a candidate; one that is,
 * with a lifetime and an address, has one of its addresses chosen until the
 * lifetime runs out, and is dropped at once when it says it no longer is
 * one (RFC 6275 §10.5.1).
 *
 * fuzz-flags: -max_len=1500
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hadisc.h"
#include "raopt.h"

static int is_router_addr(const struct ra_info *ra, const struct in6_addr *a)
{
	for (size_t i = 0; i < ra->n_router_addrs; i++)
		if (IN6_ARE_ADDR_EQUAL(&ra->router_addrs[i], a))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct hadisc_cand *c;
	struct in6_addr ll;
	struct ra_info ra;
	struct hadisc h;
	int offers;

	inet_pton(AF_INET6, "fe80::1", &ll);
	if (ra_parse(data, size, 255, &ll, &ra) < 0)
		return 0;
	if (ra.n_router_addrs > RA_ROUTER_ADDRS_MAX || ra.n_domains > RA_DOMAINS_MAX)
		abort();
	for (size_t i = 0; i < ra.n_domains; i++)
		if (strlen(ra.domains[i]) == 0 || strlen(ra.domains[i]) > RA_DOMAIN_MAX)
			abort();
	for (size_t i = 0; i < ra.n_router_addrs; i++) {
		uint8_t top = ra.router_addrs[i].s6_addr[0];

		if (top < 0x20 || (top >= 0x40 && top < 0xfc) || top > 0xfd)
			abort();
	}
	/* a home agent with a lifetime and an address: one of its addresses
	 * is chosen until the lifetime runs out; nothing else ever is */
	offers = ra.home_agent && ra.ha_lifetime && ra.n_router_addrs;
	hadisc_init(&h, NULL, 1);
	hadisc_from_ra(&h, &ra, "eth0", 1);
	c = hadisc_choose(&h, 1, NULL, NULL, NULL);
	if (offers ? !c || !is_router_addr(&ra, &c->addr) : c != NULL)
		abort();
	if (!offers)
		return 0;
	if (hadisc_choose(&h, 1 + (uint64_t)ra.ha_lifetime * 1000, NULL, NULL, NULL))
		abort();
	/* the same router, no longer a home agent, is dropped at once */
	hadisc_from_ra(&h, &ra, "eth0", 2);
	ra.home_agent = 0;
	hadisc_from_ra(&h, &ra, "eth0", 3);
	if (hadisc_choose(&h, 3, NULL, NULL, NULL))
		abort();
	return 0;
}
