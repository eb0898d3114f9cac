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
