/* SPDX-License-Identifier: MIT */
/* test_addrmsg.c — odmagent/addrmsg.c: an address's deletion, read strictly. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "addrmsg.h"
#include "nlbuild.h"

static union nlbuf M;

/* An address message; with a NULL addr no address attribute. */
static size_t build(int type, int family, int plen, unsigned ifindex, int attr, const char *addr)
{
	struct ifaddrmsg *ifa = nlb_start(&M, type, sizeof(*ifa));
	struct in6_addr a;

	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_prefixlen = (unsigned char)plen;
	ifa->ifa_index = ifindex;
	if (addr) {
		cr_assert_eq(inet_pton(AF_INET6, addr, &a), 1);
		nlb_attr(&M, attr, &a, sizeof(a));
	}
	return M.h.nlmsg_len;
}

static void is_addr(const struct in6_addr *a, const char *want)
{
	char s[INET6_ADDRSTRLEN];

	cr_assert_str_eq(inet_ntop(AF_INET6, a, s, sizeof(s)), want);
}

Test(addrmsg, a_deleted_address_of_a_device)
{
	struct in6_addr a;
	int ifindex = 0;
	size_t len = build(RTM_DELADDR, AF_INET6, 128, 7, IFA_ADDRESS, "2001:db8:c4a::1");

	cr_assert_eq(addrmsg_deleted128(&M.h, len, &ifindex, &a), 1);
	cr_assert_eq(ifindex, 7);
	is_addr(&a, "2001:db8:c4a::1");
	/* a point-to-point address: IFA_LOCAL is the device's own, whichever
	 * comes first (the kernel sends IFA_LOCAL, then the peer's) */
	struct in6_addr l, peer;

	inet_pton(AF_INET6, "2001:db8:c4a::2", &l);
	inet_pton(AF_INET6, "2001:db8:c4a::9", &peer);
	build(RTM_DELADDR, AF_INET6, 128, 7, IFA_ADDRESS, "2001:db8:c4a::9");
	nlb_attr(&M, IFA_LOCAL, &l, sizeof(l));
	cr_assert_eq(addrmsg_deleted128(&M.h, M.h.nlmsg_len, &ifindex, &a), 1);
	is_addr(&a, "2001:db8:c4a::2");
	build(RTM_DELADDR, AF_INET6, 128, 7, IFA_LOCAL, "2001:db8:c4a::2");
	nlb_attr(&M, IFA_ADDRESS, &peer, sizeof(peer));
	cr_assert_eq(addrmsg_deleted128(&M.h, M.h.nlmsg_len, &ifindex, &a), 1);
	is_addr(&a, "2001:db8:c4a::2");
}

Test(addrmsg, what_it_does_not_take)
{
	struct in6_addr a;
	int ifindex;
	size_t len;

	len = build(RTM_NEWADDR, AF_INET6, 128, 7, IFA_ADDRESS, "2001:db8::1");
	cr_assert_eq(addrmsg_deleted128(&M.h, len, &ifindex, &a), 0, "an addition");
	len = build(RTM_DELADDR, AF_INET, 32, 7, IFA_ADDRESS, "2001:db8::1");
	cr_assert_eq(addrmsg_deleted128(&M.h, len, &ifindex, &a), 0, "IPv4");
	len = build(RTM_DELADDR, AF_INET6, 64, 7, IFA_ADDRESS, "2001:db8::1");
	cr_assert_eq(addrmsg_deleted128(&M.h, len, &ifindex, &a), 0, "a /64");
	len = build(RTM_DELADDR, AF_INET6, 128, 0, IFA_ADDRESS, "2001:db8::1");
	cr_assert_eq(addrmsg_deleted128(&M.h, len, &ifindex, &a), 0, "no device");
	len = build(RTM_DELADDR, AF_INET6, 128, 7, IFA_ADDRESS, NULL);
	cr_assert_eq(addrmsg_deleted128(&M.h, len, &ifindex, &a), 0, "no address");
	len = build(RTM_DELADDR, AF_INET6, 128, 7, IFA_ADDRESS, "2001:db8::1");
	cr_assert_eq(addrmsg_deleted128(&M.h, len - 1, &ifindex, &a), 0, "past the buffer");
	cr_assert_eq(addrmsg_deleted128(NULL, len, &ifindex, &a), 0);
	nlb_first_attr(&M, sizeof(struct ifaddrmsg))->rta_len = RTA_LENGTH(4);
	cr_assert_eq(addrmsg_deleted128(&M.h, len, &ifindex, &a), 0, "an address of 4 bytes");
}

/* An address of a dump's answer or an addition: all that is in it */
Test(addrmsg, an_address_read_whole)
{
	struct addrmsg m;
	struct ifaddrmsg *ifa;
	uint32_t flags = IFA_F_TENTATIVE | IFA_F_OPTIMISTIC | IFA_F_NOPREFIXROUTE;
	size_t len;

	len = build(RTM_NEWADDR, AF_INET6, 64, 9, IFA_ADDRESS, "2001:db8:c4a::5");
	ifa = NLMSG_DATA(&M.h);
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_flags = IFA_F_DEPRECATED;
	cr_assert_eq(addrmsg_parse(&M.h, len, &m), 1);
	cr_assert_eq(m.deleted, 0);
	cr_assert_eq(m.ifindex, 9);
	cr_assert_eq(m.plen, 64);
	cr_assert_eq(m.scope, RT_SCOPE_UNIVERSE);
	cr_assert_eq(m.flags, IFA_F_DEPRECATED, "ifa_flags without IFA_FLAGS");
	is_addr(&m.addr, "2001:db8:c4a::5");
	cr_assert_eq(m.preferred, 0xffffffffu, "no IFA_CACHEINFO: preferred forever");
	/* IFA_CACHEINFO: the preferred lifetime left */
	struct ifa_cacheinfo ci = { .ifa_prefered = 0, .ifa_valid = 295 };

	nlb_attr(&M, IFA_CACHEINFO, &ci, sizeof(ci));
	cr_assert_eq(addrmsg_parse(&M.h, M.h.nlmsg_len, &m), 1);
	cr_assert_eq(m.preferred, 0, "preferred 0: deprecated, whatever the flag says");
	len = M.h.nlmsg_len;
	/* IFA_FLAGS has all 32 bits, and says it over ifa_flags' 8 */
	nlb_attr(&M, IFA_FLAGS, &flags, sizeof(flags));
	cr_assert_eq(addrmsg_parse(&M.h, M.h.nlmsg_len, &m), 1);
	cr_assert_eq(m.flags, flags, "%#x", m.flags);
	ifa->ifa_scope = RT_SCOPE_LINK;
	M.h.nlmsg_type = RTM_DELADDR;
	cr_assert_eq(addrmsg_parse(&M.h, M.h.nlmsg_len, &m), 1);
	cr_assert_eq(m.deleted, 1);
	cr_assert_eq(m.scope, RT_SCOPE_LINK);
	/* a /64 is no /128 deletion */
	cr_assert_eq(addrmsg_deleted128(&M.h, M.h.nlmsg_len, &m.ifindex, &m.addr), 0);
}

Test(addrmsg, what_the_reader_does_not_take)
{
	struct addrmsg m;
	uint16_t two = 0;
	size_t len;

	len = build(RTM_NEWADDR, AF_INET6, 129, 9, IFA_ADDRESS, "2001:db8::1");
	cr_assert_eq(addrmsg_parse(&M.h, len, &m), 0, "a /129");
	len = build(RTM_NEWADDR, AF_INET, 24, 9, IFA_ADDRESS, "2001:db8::1");
	cr_assert_eq(addrmsg_parse(&M.h, len, &m), 0, "IPv4");
	len = build(RTM_NEWROUTE, AF_INET6, 64, 9, IFA_ADDRESS, "2001:db8::1");
	cr_assert_eq(addrmsg_parse(&M.h, len, &m), 0, "a route");
	len = build(RTM_NEWADDR, AF_INET6, 64, 0, IFA_ADDRESS, "2001:db8::1");
	cr_assert_eq(addrmsg_parse(&M.h, len, &m), 0, "no device");
	len = build(RTM_NEWADDR, AF_INET6, 64, 9, IFA_ADDRESS, NULL);
	cr_assert_eq(addrmsg_parse(&M.h, len, &m), 0, "no address");
	len = build(RTM_NEWADDR, AF_INET6, 64, 9, IFA_ADDRESS, "2001:db8::1");
	nlb_attr(&M, IFA_FLAGS, &two, sizeof(two));
	cr_assert_eq(addrmsg_parse(&M.h, M.h.nlmsg_len, &m), 0, "IFA_FLAGS of 2 bytes");
	len = build(RTM_NEWADDR, AF_INET6, 64, 9, IFA_ADDRESS, "2001:db8::1");
	nlb_attr(&M, IFA_CACHEINFO, &two, sizeof(two));
	cr_assert_eq(addrmsg_parse(&M.h, M.h.nlmsg_len, &m), 0, "IFA_CACHEINFO of 2 bytes");
	cr_assert_eq(addrmsg_parse(&M.h, M.h.nlmsg_len - 1, &m), 0, "past the buffer");
	len = build(RTM_NEWADDR, AF_INET6, 64, 9, IFA_LOCAL, "2001:db8::1");
	nlb_first_attr(&M, sizeof(struct ifaddrmsg))->rta_len = RTA_LENGTH(17);
	cr_assert_eq(addrmsg_parse(&M.h, len, &m), 0, "an attribute past the message");
}

/* An IPv4 address message: addr in dotted form, or NULL for none */
static size_t build4(int type, int family, int plen, unsigned ifindex, int attr, const char *addr,
		     size_t alen)
{
	struct ifaddrmsg *ifa = nlb_start(&M, type, sizeof(*ifa));
	unsigned char a[16] = { 0 };

	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_prefixlen = (unsigned char)plen;
	ifa->ifa_index = ifindex;
	if (addr) {
		cr_assert_eq(inet_pton(AF_INET, addr, a), 1);
		nlb_attr(&M, attr, a, alen);
	}
	return M.h.nlmsg_len;
}

Test(addrmsg, an_ipv4_address_is_read_v4_mapped)
{
	struct addrmsg m;
	struct in6_addr want;
	size_t len;

	cr_assert_eq(inet_pton(AF_INET6, "::ffff:198.18.1.100", &want), 1);
	memset(&m, 0xa5, sizeof(m));
	len = build4(RTM_NEWADDR, AF_INET, 24, 7, IFA_LOCAL, "198.18.1.100", 4);
	cr_assert_eq(addrmsg_parse4(&M.h, len, &m), 1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&m.addr, &want));
	cr_assert_eq(m.ifindex, 7);
	cr_assert_eq(m.plen, 24);
	cr_assert_eq(m.deleted, 0);
	len = build4(RTM_DELADDR, AF_INET, 24, 7, IFA_ADDRESS, "198.18.1.100", 4);
	cr_assert_eq(addrmsg_parse4(&M.h, len, &m), 1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&m.addr, &want));
	cr_assert_eq(m.deleted, 1);
}

Test(addrmsg, what_the_ipv4_reader_does_not_take)
{
	struct addrmsg m;
	size_t len;

	len = build(RTM_NEWADDR, AF_INET6, 64, 9, IFA_ADDRESS, "2001:db8::1");
	cr_assert_eq(addrmsg_parse4(&M.h, len, &m), 0, "IPv6");
	len = build4(RTM_NEWADDR, AF_INET, 33, 9, IFA_LOCAL, "192.0.2.1", 4);
	cr_assert_eq(addrmsg_parse4(&M.h, len, &m), 0, "a /33");
	len = build4(RTM_NEWADDR, AF_INET, 24, 9, IFA_LOCAL, "192.0.2.1", 16);
	cr_assert_eq(addrmsg_parse4(&M.h, len, &m), 0, "an address of 16 bytes");
	len = build4(RTM_NEWADDR, AF_INET, 24, 9, IFA_LOCAL, "192.0.2.1", 3);
	cr_assert_eq(addrmsg_parse4(&M.h, len, &m), 0, "an address of 3 bytes");
	len = build4(RTM_NEWADDR, AF_INET, 24, 0, IFA_LOCAL, "192.0.2.1", 4);
	cr_assert_eq(addrmsg_parse4(&M.h, len, &m), 0, "no device");
	len = build4(RTM_NEWADDR, AF_INET, 24, 9, IFA_LOCAL, NULL, 4);
	cr_assert_eq(addrmsg_parse4(&M.h, len, &m), 0, "no address");
	len = build4(RTM_NEWADDR, AF_INET, 24, 9, IFA_LOCAL, "192.0.2.1", 4);
	cr_assert_eq(addrmsg_parse4(&M.h, len - 1, &m), 0, "past the buffer");
}
