/* SPDX-License-Identifier: MIT */
/* test_coapick.c — odmagent/coapick.c: the kernel's pick as a care-of address. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/if_addr.h>
#include <string.h>

#include "coapick.h"

#define TUN 9

static struct in6_addr A(const char *s)
{
	struct in6_addr a;

	cr_assert_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* an address of the dump: ifindex, flags, preferred lifetime left */
static struct addrmsg X(const char *addr, int ifindex, uint32_t flags, uint32_t preferred)
{
	struct addrmsg x;

	memset(&x, 0, sizeof(x));
	x.ifindex = ifindex;
	x.plen = 64;
	x.flags = flags;
	x.preferred = preferred;
	x.addr = A(addr);
	return x;
}

static enum coapick_verdict pick(const char *p, const char *cur, const struct addrmsg *v, size_t n)
{
	struct in6_addr a = A(p), c;
	struct coapick k;

	if (cur)
		c = A(cur);
	coapick_init(&k, &a, cur ? &c : NULL, TUN);
	for (size_t i = 0; i < n; i++)
		coapick_add(&k, &v[i]);
	return coapick_verdict(&k);
}

#define OLD "2001:db8:a1:0:d:ff:fe00:1"
#define NEW "2001:db8:a3:0:d:ff:fe00:1"

Test(coapick, a_usable_address_is_taken)
{
	struct addrmsg v[] = { X(OLD, 2, 0, 100), X(NEW, 2, 0, 120) };

	cr_assert_eq(pick(NEW, OLD, v, 2), COAPICK_TAKE);
	cr_assert_eq(pick(NEW, NULL, v, 2), COAPICK_TAKE, "the first CoA");
	v[1].flags = IFA_F_TENTATIVE | IFA_F_OPTIMISTIC;
	cr_assert_eq(pick(NEW, OLD, v, 2), COAPICK_TAKE, "optimistic (RFC 4429)");
}

Test(coapick, an_unusable_address_is_not)
{
	struct addrmsg v[] = { X(OLD, 2, 0, 100), X(NEW, 2, IFA_F_TENTATIVE, 120) };

	cr_assert_eq(pick(NEW, OLD, v, 2), COAPICK_UNUSABLE, "tentative");
	v[1].flags = IFA_F_DADFAILED;
	cr_assert_eq(pick(NEW, OLD, v, 2), COAPICK_UNUSABLE, "DAD failed");
	v[1] = X(NEW, TUN, 0, 120);
	cr_assert_eq(pick(NEW, OLD, v, 2), COAPICK_UNUSABLE, "on the tunnel device only");
	cr_assert_eq(pick(NEW, OLD, v, 1), COAPICK_UNUSABLE, "not in the dump: gone");
	v[1] = X(NEW, 2, 0, 120);
	v[1].deleted = 1;
	cr_assert_eq(pick(NEW, OLD, v, 2), COAPICK_UNUSABLE, "deleted");
}

/* A renumbering: ar1 advertises its old prefix with preferred lifetime 0
 * and a new one. The old address, refreshed by each advertisement, is
 * told with IFA_F_DEPRECATED cleared and preferred 0 for a moment, and the
 * kernel picks it toward the anchor of that prefix then (longest match):
 * the CoA in use, preferred, is kept. Found by a renumbering under load:
 * the claim of the old address went native and back to the tunnel at
 * every advertisement, 2 BUs and 3 log lines each time. */
Test(coapick, a_deprecated_pick_does_not_replace_a_preferred_coa)
{
	struct addrmsg v[] = { X(NEW, 2, 0, 120), X(OLD, 2, 0, 0), X(OLD, TUN, IFA_F_DEPRECATED, 0) };

	cr_assert_eq(pick(OLD, NEW, v, 3), COAPICK_KEEP, "preferred 0, the flag not set again yet");
	v[1].flags = IFA_F_DEPRECATED;
	v[1].preferred = 100;
	cr_assert_eq(pick(OLD, NEW, v, 3), COAPICK_KEEP, "the flag set");
	/* the CoA in use deprecated too, or gone: the pick is an address of
	 * the host all the same */
	v[0].flags = IFA_F_DEPRECATED;
	cr_assert_eq(pick(OLD, NEW, v, 3), COAPICK_TAKE);
	cr_assert_eq(pick(OLD, NEW, v + 1, 2), COAPICK_TAKE, "the one in use gone");
	cr_assert_eq(pick(OLD, NULL, v + 1, 2), COAPICK_TAKE, "none in use");
	/* the one in use only on the tunnel device is none of the host's links' */
	v[0] = X(NEW, TUN, 0, 120);
	cr_assert_eq(pick(OLD, NEW, v, 3), COAPICK_TAKE);
}

/* The same address on a link and on the tunnel device (a claim away from
 * its link, its native copy still there): the link's copy decides */
Test(coapick, the_copy_on_a_link_decides)
{
	struct addrmsg v[] = { X(OLD, TUN, IFA_F_DEPRECATED, 0), X(OLD, 2, 0, 100) };

	cr_assert_eq(pick(OLD, NEW, v, 2), COAPICK_TAKE);
}
