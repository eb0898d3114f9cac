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
