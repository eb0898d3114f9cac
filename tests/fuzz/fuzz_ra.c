/* SPDX-License-Identifier: MIT */
/* fuzz_ra.c — libFuzzer harness: any bytes as a Router Advertisement
 * (ra_parse), then into the home anchor choice (hadisc). Nothing may crash;
 * what a valid RA yields stays within its bounds, and a router that is not
 * a home agent never becomes a candidate.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in6_addr ll;
	struct ra_info ra;
	struct hadisc h;

	inet_pton(AF_INET6, "fe80::1", &ll);
	if (ra_parse(data, size, 255, &ll, &ra) < 0)
		return 0;
	if (ra.n_router_addrs > RA_ROUTER_ADDRS_MAX || ra.n_domains > RA_DOMAINS_MAX)
		abort();
	for (size_t i = 0; i < ra.n_domains; i++)
		if (strlen(ra.domains[i]) == 0 || strlen(ra.domains[i]) > RA_DOMAIN_MAX)
			abort();
	hadisc_init(&h, NULL, 1);
	hadisc_from_ra(&h, &ra, "eth0", 1);
	if (!ra.home_agent && hadisc_choose(&h, 1, NULL, NULL, NULL))
		abort();
	return 0;
}
