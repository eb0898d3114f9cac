/* SPDX-License-Identifier: MIT */
/* test_linkprep.c — what the host agent does to its access links
 * (linkprep.h): which interfaces, which sysctls, when it solicits a router,
 * with a hand-driven clock. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <string.h>

#include "cksum.h"
#include "linkprep.h"

#define UP (IFF_UP | IFF_RUNNING | IFF_MULTICAST)
#define DOWN (IFF_MULTICAST)
#define TUN_IF 9

static struct linkprep lp_both(void)
{
	struct linkprep lp;

	linkprep_init(&lp, TUN_IF, 1, 1, 0);
	return lp;
}

Test(linkprep, access_interfaces_are_ethernet_links_but_the_tunnel_and_loopback)
{
	struct linkprep lp = lp_both();

	cr_assert(linkprep_is_access(&lp, 2, UP, ARPHRD_ETHER));
	cr_assert_not(linkprep_is_access(&lp, TUN_IF, UP, ARPHRD_ETHER), "the tunnel device");
	cr_assert_not(linkprep_is_access(&lp, 1, UP | IFF_LOOPBACK, ARPHRD_LOOPBACK));
	cr_assert_not(linkprep_is_access(&lp, 4, UP, ARPHRD_NONE), "a TUN device: no ND");
	cr_assert_not(linkprep_is_access(&lp, 5, UP, ARPHRD_SIT));
	cr_assert_not(linkprep_is_access(&lp, 0, UP, ARPHRD_ETHER));
}

Test(linkprep, a_new_access_interface_gets_its_sysctls_once)
{
	struct linkprep lp = lp_both();

	cr_assert_eq(linkprep_link(&lp, 2, UP, ARPHRD_ETHER, 100), LINKPREP_SET_SYSCTLS);
	cr_assert_eq(linkprep_link(&lp, 2, UP, ARPHRD_ETHER, 200), 0, "already prepared");
	cr_assert_eq(linkprep_link(&lp, 3, DOWN, ARPHRD_ETHER, 300), LINKPREP_SET_SYSCTLS,
		     "a link that is down is prepared too, before it comes up");
	cr_assert_eq(linkprep_link(&lp, TUN_IF, UP, ARPHRD_ETHER, 300), 0);
	/* gone and back under the same index: a new interface */
	linkprep_gone(&lp, 2);
	cr_assert_eq(linkprep_link(&lp, 2, UP, ARPHRD_ETHER, 400), LINKPREP_SET_SYSCTLS);
}

Test(linkprep, ipv6_given_back_after_an_mtu_below_1280_gets_its_sysctls_again)
{
	struct linkprep lp = lp_both(), off;

	cr_assert_eq(linkprep_link(&lp, 2, UP, ARPHRD_ETHER, 100), LINKPREP_SET_SYSCTLS);
	cr_assert_eq(linkprep_mtu(&lp, 2, 1500), 0, "IPv6 all along");
	cr_assert_eq(linkprep_mtu(&lp, 2, 0), 0, "no MTU said: nothing learnt");
	cr_assert(linkprep_has_ipv6(&lp, 2));
	cr_assert_eq(linkprep_mtu(&lp, 2, 1279), 0, "IPv6 taken off: nothing to set");
	cr_assert_not(linkprep_has_ipv6(&lp, 2));
	cr_assert_eq(linkprep_mtu(&lp, 2, 0), 0);
	cr_assert_not(linkprep_has_ipv6(&lp, 2), "an event without an MTU changes nothing");
	cr_assert_eq(linkprep_mtu(&lp, 2, 1280), LINKPREP_SET_SYSCTLS,
		     "IPv6 back: net.ipv6.conf.IF is new, set again");
	cr_assert(linkprep_has_ipv6(&lp, 2));
	cr_assert_eq(linkprep_mtu(&lp, 2, 1500), 0, "once");
	cr_assert_eq(linkprep_mtu(&lp, 7, 1200), 0, "an interface not followed");
	cr_assert(linkprep_has_ipv6(&lp, 7));
	/* first seen without IPv6: set once it has it */
	cr_assert_eq(linkprep_link(&lp, 3, UP, ARPHRD_ETHER, 100), LINKPREP_SET_SYSCTLS);
	cr_assert_eq(linkprep_mtu(&lp, 3, 1000), 0);
	cr_assert_eq(linkprep_mtu(&lp, 3, 9000), LINKPREP_SET_SYSCTLS);
	/* neither option on: never */
	linkprep_init(&off, TUN_IF, 0, 1, 0);
	(void)linkprep_link(&off, 2, UP, ARPHRD_ETHER, 100);
	(void)linkprep_mtu(&off, 2, 1200);
	cr_assert_eq(linkprep_mtu(&off, 2, 1500), 0);
}

Test(linkprep, optimistic_dad_off_leaves_the_sysctls_alone)
{
	struct linkprep lp;

	linkprep_init(&lp, TUN_IF, 0, 1, 0);
	cr_assert_eq(linkprep_link(&lp, 2, DOWN, ARPHRD_ETHER, 100), 0);
	cr_assert_eq(linkprep_link(&lp, 2, UP, ARPHRD_ETHER, 200), LINKPREP_SOLICIT,
		     "router-solicit works without it");
}

Test(linkprep, ignore_linkdown_alone_prepares_its_knob_only)
{
	struct linkprep lp;
	int on = 0;

	linkprep_init(&lp, TUN_IF, 0, 0, 1);
	cr_assert_eq(linkprep_link(&lp, 2, DOWN, ARPHRD_ETHER, 100), LINKPREP_SET_SYSCTLS);
	cr_assert_eq(linkprep_link(&lp, 2, UP, ARPHRD_ETHER, 200), 0, "no solicitation");
	for (int i = 0; i < LINKPREP_KNOBS; i++) {
		int want = strcmp(linkprep_knobs[i].name, "ignore_routes_with_linkdown") == 0;

		cr_assert_eq(linkprep_knob_on(&lp, &linkprep_knobs[i]), want, "%s",
			     linkprep_knobs[i].name);
		on += want;
	}
	cr_assert_eq(on, 1);
	linkprep_init(&lp, TUN_IF, 1, 0, 0);
	for (int i = 0; i < LINKPREP_KNOBS; i++)
		cr_assert_eq(linkprep_knob_on(&lp, &linkprep_knobs[i]),
			     strcmp(linkprep_knobs[i].name, "ignore_routes_with_linkdown") != 0,
			     "optimistic-dad alone: %s", linkprep_knobs[i].name);
	linkprep_init(&lp, TUN_IF, 0, 1, 0);
	cr_assert_eq(linkprep_link(&lp, 3, UP, ARPHRD_ETHER, 100), 0, "neither: no sysctl");
}

Test(linkprep, knobs_are_optimistic_dad_use_optimistic_and_linkdown_only_changed_ones_written)
{
	cr_assert_str_eq(linkprep_knobs[0].name, "optimistic_dad");
	cr_assert_str_eq(linkprep_knobs[1].name, "use_optimistic");
	cr_assert_str_eq(linkprep_knobs[2].name, "ignore_routes_with_linkdown");
	for (int i = 0; i < LINKPREP_KNOBS; i++) {
		cr_assert_eq(linkprep_knob_write(&linkprep_knobs[i], 0), 1);
		cr_assert_eq(linkprep_knob_write(&linkprep_knobs[i], 1), -1, "already 1: no write");
		cr_assert_eq(linkprep_knob_write(&linkprep_knobs[i], -1), 1, "unreadable: try");
	}
}

Test(linkprep, a_link_coming_up_is_solicited_at_once)
{
	struct linkprep lp = lp_both();

	(void)linkprep_link(&lp, 3, DOWN, ARPHRD_ETHER, 1000);
	cr_assert_eq(linkprep_rs_due(&lp, 5000), 0, "down: nothing due");
	cr_assert_eq(linkprep_link(&lp, 3, UP, ARPHRD_ETHER, 5000), LINKPREP_SOLICIT);
	cr_assert_eq(linkprep_next_ms(&lp), 5000, "no random delay");
	cr_assert_eq(linkprep_rs_due(&lp, 5000), 3);
	cr_assert_eq(linkprep_rs_take(&lp, 3, 0, 5000), 1);
	linkprep_rs_result(&lp, 3, 0, 5000);
	cr_assert_eq(linkprep_rs_due(&lp, 5000), 0, "one per due time");
	/* repeated link events while up are not a new arrival */
	cr_assert_eq(linkprep_link(&lp, 3, UP, ARPHRD_ETHER, 5001), 0);
}

Test(linkprep, a_link_up_when_first_seen_is_not_an_arrival)
{
	struct linkprep lp = lp_both();

	cr_assert_eq(linkprep_link(&lp, 2, UP, ARPHRD_ETHER, 1000), LINKPREP_SET_SYSCTLS);
	cr_assert_eq(linkprep_next_ms(&lp), 0);
}

Test(linkprep, at_most_max_rtr_solicitations_an_interval_apart)
{
	struct linkprep lp = lp_both();
	uint64_t now = 1000;
	unsigned sent = 0;

	(void)linkprep_link(&lp, 3, DOWN, ARPHRD_ETHER, now);
	(void)linkprep_link(&lp, 3, UP, ARPHRD_ETHER, now);
	for (int i = 0; i < 10; i++) {
		uint64_t next = linkprep_next_ms(&lp);

		if (!next)
			break;
		if (sent)
			cr_assert_eq(next - now, LINKPREP_RS_INTERVAL_MS, "RTR_SOLICITATION_INTERVAL");
		now = next;
		cr_assert_eq(linkprep_rs_due(&lp, now), 3);
		cr_assert_eq(linkprep_rs_take(&lp, 3, 0, now), 1);
		linkprep_rs_result(&lp, 3, 0, now);
		sent++;
	}
	cr_assert_eq(sent, LINKPREP_MAX_RS, "MAX_RTR_SOLICITATIONS per link-up (%u)", sent);
	cr_assert_eq(LINKPREP_MAX_RS, 3);
	cr_assert_eq(LINKPREP_RS_INTERVAL_MS, 4000);
}

Test(linkprep, an_answered_link_is_not_solicited_again_but_the_first_rs_always_goes)
{
	struct linkprep lp = lp_both();

	(void)linkprep_link(&lp, 3, DOWN, ARPHRD_ETHER, 0);
	(void)linkprep_link(&lp, 3, UP, ARPHRD_ETHER, 1000);
	cr_assert_eq(linkprep_rs_take(&lp, 3, 1, 1000), 1,
		     "addresses kept over the link-down say nothing of the new link");
	linkprep_rs_result(&lp, 3, 0, 1000);
	cr_assert_eq(linkprep_rs_take(&lp, 3, 1, 1000 + LINKPREP_RS_INTERVAL_MS), 0);
	cr_assert_eq(linkprep_next_ms(&lp), 0, "desisted (RFC 4861 6.3.7)");
}

Test(linkprep, a_failed_send_is_retried_soon_and_counts)
{
	struct linkprep lp = lp_both();

	(void)linkprep_link(&lp, 3, DOWN, ARPHRD_ETHER, 0);
	(void)linkprep_link(&lp, 3, UP, ARPHRD_ETHER, 1000);
	cr_assert_eq(linkprep_rs_take(&lp, 3, 0, 1000), 1);
	linkprep_rs_result(&lp, 3, -100, 1000);
	cr_assert_eq(linkprep_next_ms(&lp), 1000 + LINKPREP_RETRY_MS);
	for (uint64_t t = 1100; linkprep_rs_take(&lp, 3, 0, t); t += LINKPREP_RETRY_MS)
		linkprep_rs_result(&lp, 3, -100, t);
	cr_assert_eq(linkprep_next_ms(&lp), 0, "a send that keeps failing stops at the bound");
}

Test(linkprep, a_link_going_down_cancels_its_solicitations)
{
	struct linkprep lp = lp_both();

	(void)linkprep_link(&lp, 3, DOWN, ARPHRD_ETHER, 0);
	(void)linkprep_link(&lp, 3, UP, ARPHRD_ETHER, 1000);
	(void)linkprep_link(&lp, 3, DOWN, ARPHRD_ETHER, 1000);
	cr_assert_eq(linkprep_next_ms(&lp), 0);
	cr_assert_eq(linkprep_rs_take(&lp, 3, 0, 1000), 0);
	/* back up: a fresh round of solicitations */
	cr_assert_eq(linkprep_link(&lp, 3, UP, ARPHRD_ETHER, 2000), LINKPREP_SOLICIT);
	cr_assert_eq(linkprep_next_ms(&lp), 2000);
}

Test(linkprep, router_solicit_off_never_solicits)
{
	struct linkprep lp;

	linkprep_init(&lp, TUN_IF, 1, 0, 0);
	(void)linkprep_link(&lp, 3, DOWN, ARPHRD_ETHER, 0);
	cr_assert_eq(linkprep_link(&lp, 3, UP, ARPHRD_ETHER, 1000), 0);
	cr_assert_eq(linkprep_next_ms(&lp), 0);
}

Test(linkprep, more_interfaces_than_the_table_are_left_alone)
{
	struct linkprep lp = lp_both();

	for (int i = 0; i < LINKPREP_IFS_MAX; i++)
		cr_assert_eq(linkprep_link(&lp, 100 + i, DOWN, ARPHRD_ETHER, 0),
			     LINKPREP_SET_SYSCTLS);
	cr_assert_eq(linkprep_link(&lp, 1000, DOWN, ARPHRD_ETHER, 0), 0);
	cr_assert_eq(lp.n, LINKPREP_IFS_MAX);
}

Test(linkprep, router_solicitation_on_the_wire)
{
	uint8_t p[LINKPREP_RS_LEN + 4];
	static const uint8_t all_routers[16] = { 0xff, 0x02, [15] = 2 };
	struct in6_addr src, dst;

	cr_assert_eq(linkprep_rs_packet(p, LINKPREP_RS_LEN - 1), 0, "too small");
	cr_assert_eq(linkprep_rs_packet(p, sizeof(p)), LINKPREP_RS_LEN);
	cr_assert_eq(p[0] >> 4, 6);
	cr_assert_eq((p[4] << 8) | p[5], 8, "payload: the 8-byte RS, no options");
	cr_assert_eq(p[6], IPPROTO_ICMPV6);
	cr_assert_eq(p[7], 255, "hop limit 255 (RFC 4861 6.1.1)");
	memcpy(&src, p + 8, 16);
	memcpy(&dst, p + 24, 16);
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&src));
	cr_assert_arr_eq(p + 24, all_routers, 16);
	cr_assert_eq(p[40], 133, "type Router Solicitation");
	cr_assert_eq(p[41], 0, "code 0");
	cr_assert_eq(p[44] | p[45] | p[46] | p[47], 0, "reserved");
	/* the checksum verifies: the sum over pseudo-header and message is 0 */
	cr_assert_eq(inet6_cksum(p + 40, 8, &src, &dst, IPPROTO_ICMPV6, 8), 0);
	/* and is what RFC 4443 2.3 gives by hand: ~(pseudo + 133 << 8) */
	cr_assert_eq((p[42] << 8) | p[43],
		     (uint16_t)~cksum_add(cksum_pseudo6(src.s6_addr, dst.s6_addr, 8, 58),
					   (const uint8_t[]){ 133, 0, 0, 0, 0, 0, 0, 0 }, 8));
}

/* The 72-byte ND message p (ICMPv6 type, from src to dst, its target and
 * its one link-layer address option opt carrying mac) checked field by
 * field; the checksum must verify */
static void assert_nd72(const uint8_t *p, uint8_t type, const struct in6_addr *src,
			const uint8_t dst[16], const void *target, uint8_t opt, const uint8_t mac[6])
{
	cr_assert_eq(p[0] >> 4, 6);
	cr_assert_eq((p[4] << 8) | p[5], 32, "payload: message 24 + option 8");
	cr_assert_eq(p[6], IPPROTO_ICMPV6);
	cr_assert_eq(p[7], 255, "hop limit 255 (RFC 4861 7.1.1, 7.1.2)");
	cr_assert_arr_eq(p + 8, src, 16, "the source");
	cr_assert_arr_eq(p + 24, dst, 16, "the destination");
	cr_assert_eq(p[40], type);
	cr_assert_eq(p[41], 0, "code 0");
	cr_assert_eq(p[44] | p[45] | p[46] | p[47], 0, "flags clear, reserved 0");
	cr_assert_arr_eq(p + 48, target, 16, "the target");
	cr_assert_eq(p[64], opt, "the link-layer address option");
	cr_assert_eq(p[65], 1, "one 8-byte unit");
	cr_assert_arr_eq(p + 66, mac, 6);
	cr_assert_eq(inet6_cksum(p + 40, 32, src, (const struct in6_addr *)dst, IPPROTO_ICMPV6, 32),
		     0, "the checksum verifies");
}

/* The announcement of a new address: an unsolicited NA without any flag
 * (never overriding another owner's entry), the host's MAC in a TLLA */
Test(linkprep, neighbor_advertisement_packet)
{
	uint8_t p[LINKPREP_NA_LEN + 8];
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t mac[6] = { 0x02, 0, 0x5e, 0x10, 0x20, 0x30 };
	struct in6_addr a;

	inet_pton(AF_INET6, "2001:db8:a1::d:ff:fe00:1", &a);
	cr_assert_eq(linkprep_na_packet(p, LINKPREP_NA_LEN - 1, &a, mac), 0, "too small");
	cr_assert_eq(linkprep_na_packet(p, sizeof(p), &a, mac), LINKPREP_NA_LEN);
	/* type 136, from the address itself to all-nodes, R, S and O clear,
	 * the address as target, Target Link-Layer Address option */
	assert_nd72(p, 136, &a, all_nodes, &a, 2, mac);
}

/* The solicitation of the router from a new address: to the router's
 * solicited-node group (and its MAC), the router as target, the host's MAC
 * in a Source Link-Layer Address option (what makes the router create an
 * entry for the address, RFC 4861 7.2.3) */
Test(linkprep, neighbor_solicitation_packet)
{
	uint8_t p[LINKPREP_NS_LEN + 8], group_mac[6];
	static const uint8_t group[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff, 0xab, 0xcd, 0xef };
	static const uint8_t mac[6] = { 0x02, 0, 0x5e, 0x10, 0x20, 0x30 };
	static const uint8_t group_want[6] = { 0x33, 0x33, 0xff, 0xab, 0xcd, 0xef };
	struct in6_addr a, r;

	inet_pton(AF_INET6, "2001:db8:a2::d:ff:fe00:1", &a);
	inet_pton(AF_INET6, "fe80::12:34ab:cdef", &r);
	cr_assert_eq(linkprep_ns_packet(p, LINKPREP_NS_LEN - 1, &a, &r, mac), 0, "too small");
	cr_assert_eq(linkprep_ns_packet(p, sizeof(p), &a, &r, mac), LINKPREP_NS_LEN);
	/* type 135, from the new address to the router's solicited-node
	 * group, the router as target, Source Link-Layer Address option */
	assert_nd72(p, 135, &a, group, &r, 1, mac);
	linkprep_solicited_mac(group_mac, &r);
	cr_assert_arr_eq(group_mac, group_want, 6, "the group's MAC (RFC 2464 7)");
}
