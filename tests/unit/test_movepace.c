/* SPDX-License-Identifier: MIT */
/* test_movepace.c — when the host looks at its addresses after netlink
 * events (movepace.h), with a hand-driven clock. */
#include <criterion/criterion.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "movepace.h"

Test(movepace, first_event_is_looked_at_at_once)
{
	struct movepace p = { 0 };

	cr_assert_eq(movepace_event(&p, 1000, 0), 0, "nothing before: look now");
	cr_assert_eq(movepace_burst_ms(&p), 1000);
	movepace_looked(&p, 1000);
	cr_assert_not(movepace_pending(&p));
}

Test(movepace, rest_of_a_burst_shares_one_later_look)
{
	struct movepace p = { 0 };

	cr_assert_eq(movepace_event(&p, 1000, 0), 0);
	movepace_looked(&p, 1000);
	/* the link's other messages, right after: one look at the hold's end */
	cr_assert_eq(movepace_event(&p, 1000, 0), MOVEPACE_HOLD_MS);
	cr_assert_eq(movepace_event(&p, 1001, 0), MOVEPACE_HOLD_MS - 1);
	cr_assert(movepace_pending(&p));
	cr_assert_eq(movepace_burst_ms(&p), 1000, "the burst began with its first event");
	movepace_looked(&p, 1000 + MOVEPACE_HOLD_MS);
	cr_assert_not(movepace_pending(&p));
}

Test(movepace, new_address_after_the_link_down_burst_is_not_held)
{
	struct movepace p = { 0 };

	/* link down at 1000 (looked at once), its burst, then the new
	 * router's address 12 ms later: looked at when it comes, not after a
	 * debounce */
	cr_assert_eq(movepace_event(&p, 1000, 0), 0);
	movepace_looked(&p, 1000);
	(void)movepace_event(&p, 1001, 0);
	movepace_looked(&p, 1000 + MOVEPACE_HOLD_MS);
	cr_assert_eq(movepace_event(&p, 1012, 0), 0, "the end of the move waits for nothing");
	cr_assert_eq(movepace_burst_ms(&p), 1012, "a new burst");
}

/* an event every 100 us for 1 s from 5000, the caller looking when due:
 * the looks made */
static unsigned storm(struct movepace *p, int urgent)
{
	unsigned looks = 0;
	uint64_t due = 0;

	for (uint64_t us = 0; us < 1000000; us += 100) {
		uint64_t now = 5000 + us / 1000, w = movepace_event(p, now, urgent);

		if (w == 0 || (due && now >= due)) {
			movepace_looked(p, now);
			looks++;
			due = 0;
		} else if (!due) {
			due = now + w;
		}
	}
	return looks;
}

Test(movepace, a_storm_costs_one_look_per_hold)
{
	struct movepace p = { 0 };
	unsigned looks = storm(&p, 0);

	cr_assert_leq(looks, 1000 / MOVEPACE_HOLD_MS + 1, "%u looks", looks);
	cr_assert_geq(looks, 1000 / MOVEPACE_HOLD_MS - 1, "%u looks: events were left waiting",
		      looks);
	cr_assert_eq(movepace_burst_ms(&p), 5000, "one long burst");
}

Test(movepace, usable_address_inside_a_burst_is_looked_at_at_once)
{
	struct movepace p = { 0 };

	/* the new link's own events at 1000 (looked at), its link-local
	 * address 0.x ms later (held), then the RA's global address at 1001:
	 * the end of the move, not held to 1000 + MOVEPACE_HOLD_MS */
	cr_assert_eq(movepace_event(&p, 1000, 0), 0);
	movepace_looked(&p, 1000);
	cr_assert_eq(movepace_event(&p, 1000, 0), MOVEPACE_HOLD_MS);
	cr_assert_eq(movepace_event(&p, 1001, 1), 0, "a usable address waits for nothing");
	movepace_looked(&p, 1001);
	/* a second one right after is held like any other event */
	cr_assert_eq(movepace_event(&p, 1001, 1), MOVEPACE_HOLD_MS);
	cr_assert_eq(movepace_burst_ms(&p), 1000, "still the burst the link began");
}

Test(movepace, a_storm_of_usable_addresses_costs_two_looks_per_hold)
{
	struct movepace p = { 0 };
	unsigned looks = storm(&p, 1);

	cr_assert_leq(looks, 2 * (1000 / MOVEPACE_HOLD_MS) + 2, "%u looks", looks);
	cr_assert_gt(looks, 1000 / MOVEPACE_HOLD_MS + 1, "%u looks: urgent events were held",
		     looks);
}

/* an RTM_NEWADDR as the kernel sends it: ifaddrmsg, IFA_ADDRESS, and
 * IFA_FLAGS when flags is not 0xffffffff */
static size_t newaddr(uint8_t *buf, uint16_t type, uint8_t family, uint8_t scope,
		      uint8_t ifa_flags, uint32_t flags)
{
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct rtattr *a;
	size_t len = NLMSG_LENGTH(sizeof(*ifa));

	memset(buf, 0, 256);
	h->nlmsg_type = type;
	ifa->ifa_family = family;
	ifa->ifa_prefixlen = 64;
	ifa->ifa_scope = scope;
	ifa->ifa_flags = ifa_flags;
	ifa->ifa_index = 3;
	a = (struct rtattr *)(buf + NLMSG_ALIGN(len));
	a->rta_type = IFA_ADDRESS;
	a->rta_len = RTA_LENGTH(16);
	memset(RTA_DATA(a), 0x20, 16);
	len = NLMSG_ALIGN(len) + RTA_ALIGN(a->rta_len);
	if (flags != 0xffffffffu) {
		a = (struct rtattr *)(buf + len);
		a->rta_type = IFA_FLAGS;
		a->rta_len = RTA_LENGTH(sizeof(flags));
		memcpy(RTA_DATA(a), &flags, sizeof(flags));
		len += RTA_ALIGN(a->rta_len);
	}
	h->nlmsg_len = (uint32_t)len;
	return len;
}

Test(movepace, which_address_events_are_urgent)
{
	uint8_t buf[256] __attribute__((aligned(8)));
	const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
	size_t n;

	n = newaddr(buf, RTM_NEWADDR, AF_INET6, RT_SCOPE_UNIVERSE, 0, 0xffffffffu);
	cr_assert(movepace_addr_usable(h, n), "a global address, no DAD");
	n = newaddr(buf, RTM_NEWADDR, AF_INET6, RT_SCOPE_UNIVERSE, IFA_F_TENTATIVE, 0xffffffffu);
	cr_assert_not(movepace_addr_usable(h, n), "tentative");
	n = newaddr(buf, RTM_NEWADDR, AF_INET6, RT_SCOPE_UNIVERSE, IFA_F_TENTATIVE,
		    IFA_F_TENTATIVE | IFA_F_OPTIMISTIC);
	cr_assert(movepace_addr_usable(h, n), "optimistic (RFC 4429), flags in IFA_FLAGS");
	n = newaddr(buf, RTM_NEWADDR, AF_INET6, RT_SCOPE_UNIVERSE, 0, IFA_F_TENTATIVE);
	cr_assert_not(movepace_addr_usable(h, n), "IFA_FLAGS says tentative: it wins");
	n = newaddr(buf, RTM_NEWADDR, AF_INET6, RT_SCOPE_UNIVERSE, 0, IFA_F_DADFAILED);
	cr_assert_not(movepace_addr_usable(h, n), "DAD failed");
	n = newaddr(buf, RTM_NEWADDR, AF_INET6, RT_SCOPE_UNIVERSE, IFA_F_DEPRECATED, 0xffffffffu);
	cr_assert_not(movepace_addr_usable(h, n), "deprecated");
	n = newaddr(buf, RTM_NEWADDR, AF_INET6, RT_SCOPE_LINK, 0, 0xffffffffu);
	cr_assert_not(movepace_addr_usable(h, n), "link-local");
	n = newaddr(buf, RTM_NEWADDR, AF_INET, RT_SCOPE_UNIVERSE, 0, 0xffffffffu);
	cr_assert_not(movepace_addr_usable(h, n), "IPv4");
	n = newaddr(buf, RTM_DELADDR, AF_INET6, RT_SCOPE_UNIVERSE, 0, 0xffffffffu);
	cr_assert_not(movepace_addr_usable(h, n), "an address leaving");
	/* malformed: shorter than its header, or claiming more than was read */
	n = newaddr(buf, RTM_NEWADDR, AF_INET6, RT_SCOPE_UNIVERSE, 0, 0xffffffffu);
	cr_assert_not(movepace_addr_usable(h, NLMSG_HDRLEN + 2), "truncated");
	cr_assert_not(movepace_addr_usable(h, n - 4), "nlmsg_len beyond the bytes read");
	((struct nlmsghdr *)buf)->nlmsg_len = NLMSG_HDRLEN + 2;
	cr_assert_not(movepace_addr_usable(h, n), "nlmsg_len shorter than an ifaddrmsg");
	/* an attribute running past the message is not read */
	n = newaddr(buf, RTM_NEWADDR, AF_INET6, RT_SCOPE_UNIVERSE, 0, IFA_F_TENTATIVE);
	((struct rtattr *)(buf + n - RTA_ALIGN(RTA_LENGTH(4))))->rta_len = 200;
	cr_assert(movepace_addr_usable(h, n), "a bad IFA_FLAGS is skipped (ifa_flags: usable)");
}

Test(movepace, the_flags_a_care_of_address_may_have)
{
	cr_assert(movepace_flags_usable(0));
	cr_assert(movepace_flags_usable(IFA_F_DEPRECATED), "deprecated: still sends");
	cr_assert(movepace_flags_usable(IFA_F_TENTATIVE | IFA_F_OPTIMISTIC));
	cr_assert_not(movepace_flags_usable(IFA_F_TENTATIVE));
	cr_assert_not(movepace_flags_usable(IFA_F_DADFAILED));
	cr_assert_not(movepace_flags_usable(IFA_F_DADFAILED | IFA_F_OPTIMISTIC | IFA_F_TENTATIVE));
}
