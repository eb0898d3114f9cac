/* SPDX-License-Identifier: MIT */
/*
 * linkprep.c — access-link preparation, the decisions (see linkprep.h).
 */
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <string.h>

#include "cksum.h"
#include "linkprep.h"

const struct linkprep_knob linkprep_knobs[LINKPREP_KNOBS] = {
	/* new addresses are optimistic (RFC 4429 §3) */
	{ "optimistic_dad", 1, LINKPREP_OPTIMISTIC },
	/* and chosen as source while they are */
	{ "use_optimistic", 1, LINKPREP_OPTIMISTIC },
	/* no route through the link while it has no carrier (linkprep.h) */
	{ "ignore_routes_with_linkdown", 1, LINKPREP_LINKDOWN },
};

void linkprep_init(struct linkprep *lp, int skip_ifindex, int optimistic, int solicit,
		   int linkdown)
{
	memset(lp, 0, sizeof(*lp));
	lp->skip_ifindex = skip_ifindex;
	lp->optimistic = optimistic;
	lp->solicit = solicit;
	lp->linkdown = linkdown;
}

int linkprep_knob_on(const struct linkprep *lp, const struct linkprep_knob *k)
{
	return k->group == LINKPREP_OPTIMISTIC ? lp->optimistic : lp->linkdown;
}

int linkprep_is_access(const struct linkprep *lp, int ifindex, unsigned flags,
		       unsigned short type)
{
	return ifindex > 0 && ifindex != lp->skip_ifindex && !(flags & IFF_LOOPBACK) &&
	       type == ARPHRD_ETHER;
}

static struct linkprep_if *find(const struct linkprep *lp, int ifindex)
{
	for (size_t i = 0; i < lp->n; i++)
		if (lp->ifs[i].ifindex == ifindex)
			return (struct linkprep_if *)&lp->ifs[i];
	return NULL;
}

unsigned linkprep_link(struct linkprep *lp, int ifindex, unsigned flags, unsigned short type,
		       uint64_t now)
{
	struct linkprep_if *f;
	int running = (flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
	unsigned act = 0;

	if (!linkprep_is_access(lp, ifindex, flags, type))
		return 0;
	f = find(lp, ifindex);
	if (!f) {
		if (lp->n == LINKPREP_IFS_MAX)
			return 0;
		f = &lp->ifs[lp->n++];
		memset(f, 0, sizeof(*f));
		f->ifindex = ifindex;
		/* a link already up when first seen is where the host is: no
		 * arrival to speed up */
		f->running = running;
		if (lp->optimistic || lp->linkdown)
			act |= LINKPREP_SET_SYSCTLS;
		return act;
	}
	if (running && !f->running && lp->solicit) {
		f->rs_sent = 0;
		f->rs_due_ms = now ? now : 1;
		act |= LINKPREP_SOLICIT;
	} else if (!running) {
		f->rs_due_ms = 0; /* a link that went down has nobody to ask */
	}
	f->running = running;
	return act;
}

unsigned linkprep_mtu(struct linkprep *lp, int ifindex, unsigned mtu)
{
	struct linkprep_if *f = find(lp, ifindex);

	if (!f || !mtu)
		return 0;
	if (mtu < LINKPREP_IPV6_MIN_MTU) {
		f->no_ipv6 = 1;
		return 0;
	}
	if (!f->no_ipv6)
		return 0;
	f->no_ipv6 = 0;
	return lp->optimistic || lp->linkdown ? LINKPREP_SET_SYSCTLS : 0;
}

int linkprep_has_ipv6(const struct linkprep *lp, int ifindex)
{
	const struct linkprep_if *f = find(lp, ifindex);

	return !f || !f->no_ipv6;
}

void linkprep_gone(struct linkprep *lp, int ifindex)
{
	struct linkprep_if *f = find(lp, ifindex);

	if (f)
		*f = lp->ifs[--lp->n];
}

int linkprep_rs_due(const struct linkprep *lp, uint64_t now)
{
	for (size_t i = 0; i < lp->n; i++)
		if (lp->ifs[i].rs_due_ms && lp->ifs[i].rs_due_ms <= now)
			return lp->ifs[i].ifindex;
	return 0;
}

int linkprep_rs_take(struct linkprep *lp, int ifindex, int answered, uint64_t now)
{
	struct linkprep_if *f = find(lp, ifindex);

	if (!f || !f->rs_due_ms || f->rs_due_ms > now)
		return 0;
	/* the first one goes whatever the addresses say: ones kept across
	 * the link-down tell nothing about the link the host is on now */
	if ((answered && f->rs_sent > 0) || f->rs_sent >= LINKPREP_MAX_RS) {
		f->rs_due_ms = 0; /* RFC 4861 §6.3.7: desist once answered */
		return 0;
	}
	return 1;
}

void linkprep_rs_result(struct linkprep *lp, int ifindex, int rc, uint64_t now)
{
	struct linkprep_if *f = find(lp, ifindex);

	if (!f || !f->rs_due_ms)
		return;
	if (++f->rs_sent >= LINKPREP_MAX_RS)
		f->rs_due_ms = 0;
	else
		f->rs_due_ms = now + (rc < 0 ? LINKPREP_RETRY_MS : LINKPREP_RS_INTERVAL_MS);
}

uint64_t linkprep_next_ms(const struct linkprep *lp)
{
	uint64_t next = 0;

	for (size_t i = 0; i < lp->n; i++)
		if (lp->ifs[i].rs_due_ms && (!next || lp->ifs[i].rs_due_ms < next))
			next = lp->ifs[i].rs_due_ms;
	return next;
}

int linkprep_knob_write(const struct linkprep_knob *k, int cur)
{
	return cur == k->want ? -1 : k->want;
}

/* An ND message of total bytes (IPv6 header included) from src (NULL: the
 * unspecified address) to dst: the IPv6 header, hop limit 255 (RFC 4861
 * checks it on receipt, §6.1.1 and §7.1.2), and the message zeroed but
 * for its type; nd_seal() fills the checksum once it is written */
static uint8_t *nd_start(uint8_t *buf, size_t total, const struct in6_addr *src,
			 const struct in6_addr *dst, uint8_t type)
{
	memset(buf, 0, total);
	buf[0] = 0x60;                   /* version 6 */
	buf[5] = (uint8_t)(total - 40);  /* payload length */
	buf[6] = IPPROTO_ICMPV6;
	buf[7] = 255;
	if (src)
		memcpy(buf + 8, src, 16);
	memcpy(buf + 24, dst, 16);
	buf[40] = type;
	return buf + 40;
}

static size_t nd_seal(uint8_t *buf, size_t total)
{
	uint16_t ck = inet6_cksum(buf + 40, total - 40, (const struct in6_addr *)(buf + 8),
				  (const struct in6_addr *)(buf + 24), IPPROTO_ICMPV6, 2);

	buf[42] = (uint8_t)(ck >> 8);
	buf[43] = (uint8_t)ck;
	return total;
}

size_t linkprep_rs_packet(uint8_t *buf, size_t len)
{
	static const struct in6_addr all_routers = { .s6_addr = { 0xff, 0x02, [15] = 2 } };

	if (len < LINKPREP_RS_LEN)
		return 0;
	/* Router Solicitation, code 0, reserved 0, no option */
	nd_start(buf, LINKPREP_RS_LEN, NULL, &all_routers, 133);
	return nd_seal(buf, LINKPREP_RS_LEN);
}

size_t linkprep_na_packet(uint8_t *buf, size_t len, const struct in6_addr *addr,
			  const uint8_t mac[6])
{
	static const struct in6_addr all_nodes = { .s6_addr = { 0xff, 0x02, [15] = 1 } };
	uint8_t *na;

	if (len < LINKPREP_NA_LEN)
		return 0;
	/* Neighbor Advertisement; R, S and O clear */
	na = nd_start(buf, LINKPREP_NA_LEN, addr, &all_nodes, 136);
	memcpy(na + 8, addr, 16);        /* target */
	na[24] = 2;                      /* Target Link-Layer Address, 8 bytes */
	na[25] = 1;
	memcpy(na + 26, mac, 6);
	return nd_seal(buf, LINKPREP_NA_LEN);
}

/* ff02::1:ffXX:XXXX for a's last three bytes */
static void solicited_node(struct in6_addr *g, const struct in6_addr *a)
{
	static const struct in6_addr base = { .s6_addr = { 0xff, 0x02, [11] = 1, [12] = 0xff } };

	*g = base;
	memcpy(g->s6_addr + 13, a->s6_addr + 13, 3);
}

void linkprep_solicited_mac(uint8_t mac[6], const struct in6_addr *router)
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	mac[2] = 0xff;
	memcpy(mac + 3, router->s6_addr + 13, 3);
}

size_t linkprep_ns_packet(uint8_t *buf, size_t len, const struct in6_addr *addr,
			  const struct in6_addr *router, const uint8_t mac[6])
{
	struct in6_addr group;
	uint8_t *ns;

	if (len < LINKPREP_NS_LEN)
		return 0;
	solicited_node(&group, router);
	/* Neighbor Solicitation: reserved 0, the target, then the option */
	ns = nd_start(buf, LINKPREP_NS_LEN, addr, &group, 135);
	memcpy(ns + 8, router, 16);
	ns[24] = 1;                      /* Source Link-Layer Address, 8 bytes */
	ns[25] = 1;
	memcpy(ns + 26, mac, 6);
	return nd_seal(buf, LINKPREP_NS_LEN);
}
