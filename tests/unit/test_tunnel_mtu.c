/* SPDX-License-Identifier: MIT */
/* test_tunnel_mtu.c — the inner MTU for a link (odmagent/tunnel_mtu.h). */
#include <criterion/criterion.h>

#include "tunnel_mtu.h"

Test(tunnel_mtu, link_less_the_encapsulation_within_bounds)
{
	cr_assert_eq(tunnel_mtu_for(1500, ODM_ENCAP_IP6IP6, 1460), 1460);
	cr_assert_eq(tunnel_mtu_for(1492, ODM_ENCAP_IP6IP6, 1460), 1452, "PPPoE");
	cr_assert_eq(tunnel_mtu_for(1400, ODM_ENCAP_IP6IP6, 1460), 1360);
	cr_assert_eq(tunnel_mtu_for(1400, ODM_ENCAP_UDP, 1452), 1352, "an outer UDP header too");
	cr_assert_eq(tunnel_mtu_for(9000, ODM_ENCAP_IP6IP6, 1460), 1460,
		     "never above the backend's own (the rest of the path is taken as 1500)");
	cr_assert_eq(tunnel_mtu_for(1300, ODM_ENCAP_IP6IP6, 1460), TUNNEL_MTU_MIN,
		     "never below IPv6's minimum");
	cr_assert_eq(tunnel_mtu_for(0, ODM_ENCAP_IP6IP6, 1460), TUNNEL_MTU_MIN);
}

/* A path MTU from a Packet Too Big is tried larger again after 10 min
 * (RFC 8201 §4), not sooner; none learnt, nothing to age. */
Test(tunnel_mtu, a_learnt_path_mtu_ages_out_after_ten_minutes)
{
	uint64_t t = 5000000;

	cr_assert_eq(tunnel_pmtu_aged(t, t), 0);
	cr_assert_eq(tunnel_pmtu_aged(t, t + TUNNEL_PMTU_AGE_MS - 1), 0);
	cr_assert_eq(tunnel_pmtu_aged(t, t + TUNNEL_PMTU_AGE_MS), 1);
	cr_assert_eq(TUNNEL_PMTU_AGE_MS, 600000, "RFC 8201's 10 minutes");
	cr_assert_eq(tunnel_pmtu_aged(0, t + TUNNEL_PMTU_AGE_MS), 0, "none learnt");
	cr_assert_eq(tunnel_pmtu_aged(t, t - 1), 0, "a clock before it");
}

/* A Packet Too Big about a tunnelled packet lowers the path MTU learnt,
 * never below IPv6's minimum: one saying less is discarded (RFC 8201 §4).
 * Before, one saying 0 erased the cap learnt from a real one (the next
 * binding then fitted the device to the link again), and one saying 1 set
 * the device to 1280 with a warning that no full-size packet would fit. */
Test(tunnel_mtu, a_packet_too_big_below_1280_is_discarded)
{
	cr_assert_eq(tunnel_pmtu_take(0, 1400, 1460), 1400, "a narrower hop");
	cr_assert_eq(tunnel_pmtu_take(0, 1280, 1460), 1280);
	cr_assert_eq(tunnel_pmtu_take(1400, 1300, 1460), 1300, "narrower still");
	cr_assert_eq(tunnel_pmtu_take(1400, 1400, 1460), 0, "no less than learnt");
	cr_assert_eq(tunnel_pmtu_take(1400, 1450, 1460), 0);
	cr_assert_eq(tunnel_pmtu_take(0, 1500, 1460), 0, "no reduction for the device");
	cr_assert_eq(tunnel_pmtu_take(0, 1499, 1460), 1499);
	cr_assert_eq(tunnel_pmtu_take(0, 0xffffffffu, 1460), 0);
	cr_assert_eq(tunnel_pmtu_take(1400, 0, 1460), 0, "0 erased what was learnt");
	cr_assert_eq(tunnel_pmtu_take(0, 1, 1460), 0, "below IPv6's minimum");
	cr_assert_eq(tunnel_pmtu_take(1300, 1279, 1460), 0);
}
