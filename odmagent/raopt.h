/* SPDX-License-Identifier: MIT */
/*
 * raopt.h — what a host needs from a Router Advertisement to find a home
 * anchor: the Home Agent flag (RFC 6275 §7.1), the router's own global
 * address carried in a Prefix Information option with the R flag (§7.2),
 * the Home Agent Information option (§7.4) and the DNS Search List
 * (RFC 8106 §5.2). Strict and bounded: a message that breaks RFC 4861
 * §6.1.2 (hop limit, source, code, length, an option of length 0 or past
 * the end) or carries a known option of the wrong size is refused whole; a
 * DNSSL option whose names cannot be read is ignored alone. No I/O.
 */
#ifndef ODM_RAOPT_H
#define ODM_RAOPT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define RA_ROUTER_ADDRS_MAX 8
#define RA_DOMAINS_MAX 8
#define RA_DOMAIN_MAX 253

struct ra_info {
	int home_agent;            /* H flag */
	uint16_t router_lifetime;  /* seconds */
	int has_ha_info;
	int16_t ha_preference;     /* default 0 without the option */
	uint16_t ha_lifetime;      /* seconds; the router lifetime without it */
	struct in6_addr router_addrs[RA_ROUTER_ADDRS_MAX];
	size_t n_router_addrs;
	char domains[RA_DOMAINS_MAX][RA_DOMAIN_MAX + 1];  /* without the final dot */
	size_t n_domains;
	uint32_t dnssl_lifetime;   /* seconds; 0 = remove */
	unsigned bad_options;      /* options ignored because they could not be read */
};

/*
 * msg: the ICMPv6 message (type first), as a raw ICMPv6 socket reads it;
 * hoplimit: the IPv6 hop limit it came with; src: its source. 0, or
 * -EINVAL (not a valid RA: nothing in out is to be used).
 */
int ra_parse(const uint8_t *msg, size_t len, int hoplimit, const struct in6_addr *src,
	     struct ra_info *out);

#endif
