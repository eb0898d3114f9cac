/* SPDX-License-Identifier: MIT */
/* fuzz_rtmsg.c — libFuzzer harness: any bytes as an rtnetlink message, read
 * as a rule (rulemsg_parse), as a route (routemsg_source_deleted), as
 * an address (addrmsg_parse and addrmsg_parse4, the readers of an address
 * dump's answers, and
 * addrmsg_deleted128) and as a link (devwatch_link_event).
 * Nothing may crash or read past the input (ASan, with an exact-size copy
 * at a 4-byte boundary, as netlink messages are); what is taken is a /128
 * or every-source IPv6 rule, the deletion of an IPv6 default route from a
 * /128, an IPv6 address of a
 * device (of at most 128 bits of prefix), an IPv4 one (v4-mapped, at most
 * 32), a /128's deletion, or news of
 * the one device asked about.
 *
 * fuzz-flags: -max_len=512
 */
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addrmsg.h"
#include "devwatch.h"
#include "routemsg.h"
#include "rulemsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlmsghdr *h = malloc(size ? size : 1);
	struct rulemsg r;
	struct routemsg rm;
	struct addrmsg am;
	struct in6_addr a;
	int ifindex;

	if (!h)
		return 0;
	memcpy(h, data, size);
	if (rulemsg_parse(h, size, &r)) {
		const struct fib_rule_hdr *frh = NLMSG_DATA(h);

		if (h->nlmsg_len > size || frh->family != AF_INET6 || frh->src_len != r.src_len ||
		    (r.src_len != 128 && r.src_len != 0) ||
		    r.deleted != (h->nlmsg_type == RTM_DELRULE))
			abort();
	}
	if (routemsg_source_deleted(h, size, &rm)) {
		const struct rtmsg *rtm = NLMSG_DATA(h);

		if (h->nlmsg_len > size || h->nlmsg_type != RTM_DELROUTE ||
		    rtm->rtm_family != AF_INET6 || rtm->rtm_dst_len != 0 || rtm->rtm_src_len != 128)
			abort();
	}
	if (addrmsg_parse(h, size, &am)) {
		const struct ifaddrmsg *ifa = NLMSG_DATA(h);

		if (h->nlmsg_len > size || ifa->ifa_family != AF_INET6 || am.plen > 128 ||
		    am.plen != ifa->ifa_prefixlen || am.ifindex <= 0 ||
		    am.deleted != (h->nlmsg_type == RTM_DELADDR) ||
		    (h->nlmsg_type != RTM_NEWADDR && h->nlmsg_type != RTM_DELADDR))
			abort();
	}
	if (addrmsg_parse4(h, size, &am)) {
		const struct ifaddrmsg *ifa = NLMSG_DATA(h);

		if (h->nlmsg_len > size || ifa->ifa_family != AF_INET || am.plen > 32 ||
		    am.plen != ifa->ifa_prefixlen || am.ifindex <= 0 ||
		    !IN6_IS_ADDR_V4MAPPED(&am.addr) ||
		    am.deleted != (h->nlmsg_type == RTM_DELADDR) ||
		    (h->nlmsg_type != RTM_NEWADDR && h->nlmsg_type != RTM_DELADDR))
			abort();
	}
	if (addrmsg_deleted128(h, size, &ifindex, &a)) {
		const struct ifaddrmsg *ifa = NLMSG_DATA(h);

		if (h->nlmsg_len > size || h->nlmsg_type != RTM_DELADDR ||
		    ifa->ifa_family != AF_INET6 || ifa->ifa_prefixlen != 128 || ifindex <= 0)
			abort();
	}
	if (size >= NLMSG_LENGTH(sizeof(struct ifinfomsg)) &&
	    devwatch_link_event(h, size, 7) != DEVWATCH_UP) {
		const struct ifinfomsg *ifi = NLMSG_DATA(h);

		if (h->nlmsg_len > size || ifi->ifi_index != 7 ||
		    (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK))
			abort();
	}
	if (size < NLMSG_LENGTH(sizeof(struct ifinfomsg)) && devwatch_link_event(h, size, 7) != DEVWATCH_UP)
		abort();
	free(h);
	return 0;
}
