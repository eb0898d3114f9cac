/* SPDX-License-Identifier: MIT */
/*
 * raopt.c — Router Advertisement options for home anchor discovery (see
 * raopt.h).
 */
#include <errno.h>
#include <string.h>

#include "addrscope.h"
#include "raopt.h"

#define RA_HDR_LEN 16            /* type, code, cksum, hop, flags, lifetime, 2 timers */
#define OPT_PREFIX_INFO 3
#define OPT_HA_INFO 8            /* RFC 6275 §7.4 */
#define OPT_DNSSL 31             /* RFC 8106 §5.2 */
#define RA_FLAG_HOME_AGENT 0x20  /* RFC 6275 §7.1 */
#define PI_FLAG_ROUTER_ADDR 0x20 /* RFC 6275 §7.2 */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int dns_label_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/*
 * The domain names of a DNSSL option body (after lifetime): uncompressed
 * wire-format names, then zero padding to the option's end (RFC 8106 §5.2).
 */
static int parse_dnssl(const uint8_t *p, size_t len, struct ra_info *out)
{
	size_t i = 0;

	while (i < len) {
		char name[RA_DOMAIN_MAX + 2];
		size_t n = 0;

		if (p[i] == 0) {
			/* padding: zeros only, to the end */
			for (; i < len; i++)
				if (p[i] != 0)
					return -EINVAL;
			break;
		}
		for (;;) {
			uint8_t l;

			if (i >= len)
				return -EINVAL;    /* a name runs past the option */
			l = p[i++];
			if (l == 0)
				break;
			if (l > 63 || i + l > len || n + l + 1 > RA_DOMAIN_MAX + 1)
				return -EINVAL;    /* also catches compression (0xc0) */
			if (n)
				name[n++] = '.';
			for (uint8_t k = 0; k < l; k++) {
				if (!dns_label_char(p[i + k]))
					return -EINVAL;
				name[n++] = (char)p[i + k];
			}
			i += l;
		}
		if (n == 0 || n > RA_DOMAIN_MAX)
			return -EINVAL;
		name[n] = '\0';
		if (out->n_domains < RA_DOMAINS_MAX)
			memcpy(out->domains[out->n_domains++], name, n + 1);
	}
	return 0;
}

int ra_parse(const uint8_t *msg, size_t len, int hoplimit, const struct in6_addr *src,
	     struct ra_info *out)
{
	size_t off = RA_HDR_LEN;

	memset(out, 0, sizeof(*out));
	/* RFC 4861 §6.1.2: only a neighbour's, from a link-local source */
	if (hoplimit != 255 || !IN6_IS_ADDR_LINKLOCAL(src))
		return -EINVAL;
	if (len < RA_HDR_LEN || msg[0] != 134 || msg[1] != 0)
		return -EINVAL;
	out->home_agent = (msg[5] & RA_FLAG_HOME_AGENT) != 0;
	out->router_lifetime = get16(msg + 6);
	out->ha_lifetime = out->router_lifetime;
	while (off < len) {
		const uint8_t *o = msg + off;
		size_t olen;

		if (len - off < 2 || o[1] == 0)
			return -EINVAL;
		olen = (size_t)o[1] * 8;
		if (olen > len - off)
			return -EINVAL;
		switch (o[0]) {
		case OPT_PREFIX_INFO:
			if (olen != 32)
				return -EINVAL;
			if ((o[3] & PI_FLAG_ROUTER_ADDR) && out->n_router_addrs < RA_ROUTER_ADDRS_MAX) {
				struct in6_addr a;

				memcpy(&a, o + 16, 16);
				/* the router's own address, where hosts on other
				 * links send Binding Updates: a global unicast or
				 * unique local one (not v4-mapped, site-local...) */
				if (addr_is_routable(&a))
					out->router_addrs[out->n_router_addrs++] = a;
			}
			break;
		case OPT_HA_INFO:
			if (olen != 8)
				return -EINVAL;
			out->has_ha_info = 1;
			out->ha_preference = (int16_t)get16(o + 4);
			out->ha_lifetime = get16(o + 6);
			break;
		case OPT_DNSSL:
			if (olen < 16)
				return -EINVAL;
		{
			size_t had = out->n_domains;

			/* a DNSSL that cannot be read is ignored alone (RFC 8106
			 * §5.3.1); the rest of the RA still counts */
			if (parse_dnssl(o + 8, olen - 8, out) < 0) {
				out->n_domains = had;
				out->bad_options++;
				break;
			}
			out->dnssl_lifetime = get32(o + 4);
			break;
		}
		default:
			break; /* RFC 4861 §4.6: unknown options are skipped */
		}
		off += olen;
	}
	return 0;
}
