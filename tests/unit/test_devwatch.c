/* SPDX-License-Identifier: MIT */
/* test_devwatch.c — odmagent/devwatch.h: when the tunnel device is gone. */
#include <criterion/criterion.h>
#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devwatch.h"
#include "netns.h"
#include "nlbuild.h"

Test(devwatch, gone_only_when_the_name_names_no_device_or_another)
{
	cr_assert_eq(devwatch_gone(5, 5, 0), 0, "still there");
	cr_assert_eq(devwatch_gone(5, 0, ENODEV), 1, "deleted (or renamed)");
	cr_assert_eq(devwatch_gone(5, 9, 0), 1, "the name is another device's now");
	/* if_nametoindex's own failures say nothing about the device */
	cr_assert_eq(devwatch_gone(5, 0, EMFILE), 0, "no descriptor for the ioctl");
	cr_assert_eq(devwatch_gone(5, 0, ENOMEM), 0);
}

/* The kernel's answer for devices every namespace has (the loopback is up)
 * or none has; one set down is the network suite's (test_restart j). */
Test(devwatch, what_the_kernel_says_of_a_device)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int up = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);

	if (s >= 0)
		close(s);
	/* a namespace made for the build alone has its loopback down */
	if (!up || if_nametoindex("lo") != 1)
		cr_skip_test("the loopback is not up here, as index 1");
	cr_assert_eq(devwatch_device("lo", 1), DEVWATCH_UP);
	cr_assert_eq(devwatch_device("lo", 999), DEVWATCH_GONE, "the name is another's");
	cr_assert_eq(devwatch_device("odmnosuch0", 7), DEVWATCH_GONE);
	cr_assert_str_eq(devwatch_what_name(DEVWATCH_DOWN), "set down");
	cr_assert_str_eq(devwatch_what_name(DEVWATCH_GONE), "deleted");
}

static union nlbuf M;

/* A link message about ifindex with flags */
static size_t link_msg(int type, int family, int ifindex, unsigned flags)
{
	struct ifinfomsg *ifi = nlb_start(&M, type, sizeof(*ifi));

	ifi->ifi_family = (unsigned char)family;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
	return M.h.nlmsg_len;
}

Test(devwatch, what_a_link_event_says)
{
	size_t len;

	len = link_msg(RTM_NEWLINK, AF_UNSPEC, 7, 0);
	cr_assert_eq(devwatch_link_event(&M.h, len, 7), DEVWATCH_DOWN, "set down");
	len = link_msg(RTM_NEWLINK, AF_UNSPEC, 7, IFF_UP | IFF_RUNNING);
	cr_assert_eq(devwatch_link_event(&M.h, len, 7), DEVWATCH_UP, "up");
	len = link_msg(RTM_DELLINK, AF_UNSPEC, 7, IFF_UP);
	cr_assert_eq(devwatch_link_event(&M.h, len, 7), DEVWATCH_GONE, "deleted");
	/* not about it */
	len = link_msg(RTM_NEWLINK, AF_UNSPEC, 8, 0);
	cr_assert_eq(devwatch_link_event(&M.h, len, 7), DEVWATCH_UP, "another device");
	len = link_msg(RTM_NEWLINK, AF_BRIDGE, 7, 0);
	cr_assert_eq(devwatch_link_event(&M.h, len, 7), DEVWATCH_UP, "a bridge port's news");
	len = link_msg(RTM_NEWADDR, AF_UNSPEC, 7, 0);
	cr_assert_eq(devwatch_link_event(&M.h, len, 7), DEVWATCH_UP, "not a link message");
	len = link_msg(RTM_NEWLINK, AF_UNSPEC, 7, 0);
	cr_assert_eq(devwatch_link_event(&M.h, len - 1, 7), DEVWATCH_UP, "past the buffer");
	cr_assert_eq(devwatch_link_event(NULL, len, 7), DEVWATCH_UP);
	M.h.nlmsg_len = NLMSG_LENGTH(4);
	cr_assert_eq(devwatch_link_event(&M.h, len, 7), DEVWATCH_UP, "too short for its header");
}

/* A link message about ifindex with flags and an IFLA_MTU of n bytes */
static size_t link_msg_mtu(int ifindex, unsigned flags, const void *mtu, size_t n)
{
	link_msg(RTM_NEWLINK, AF_UNSPEC, ifindex, flags);
	nlb_attr(&M, IFLA_MTU, mtu, n);
	return M.h.nlmsg_len;
}

/* An MTU below 1280 on an up device: Linux has taken its IPv6 (addresses
 * and routes with it) */
Test(devwatch, an_mtu_below_ipv6s_minimum_takes_ipv6)
{
	uint32_t below = 1279, min = 1280, low = 1000;
	uint16_t small = 1200;
	size_t len;

	len = link_msg_mtu(7, IFF_UP, &below, sizeof(below));
	cr_assert_eq(devwatch_link_event(&M.h, len, 7), DEVWATCH_NO_IPV6, "MTU 1279");
	len = link_msg_mtu(7, IFF_UP, &min, sizeof(min));
	cr_assert_eq(devwatch_link_event(&M.h, len, 7), DEVWATCH_UP, "MTU 1280");
	len = link_msg_mtu(7, 0, &low, sizeof(low));
	cr_assert_eq(devwatch_link_event(&M.h, len, 7), DEVWATCH_DOWN, "down says more");
	len = link_msg_mtu(7, IFF_UP, &small, sizeof(small));
	cr_assert_eq(devwatch_link_event(&M.h, len, 7), DEVWATCH_UP, "a 2-byte MTU is none");
	len = link_msg_mtu(8, IFF_UP, &low, sizeof(low));
	cr_assert_eq(devwatch_link_event(&M.h, len, 7), DEVWATCH_UP, "another device");
	cr_assert_str_eq(devwatch_what_name(DEVWATCH_NO_IPV6),
			 "stripped of IPv6 (its MTU set below 1280, or IPv6 disabled on it)");
}
