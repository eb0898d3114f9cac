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

/* the verdict on p with cur in use, told the next hop and the interface
 * toward the anchor if it asks; whether it asked, in *asked_hop and
 * *asked_route (either may be NULL) */
static enum coapick_verdict pick_told(const char *p, const char *cur, const struct addrmsg *v,
				      size_t n, enum coapick_hop hop, int oif, int *asked_hop,
				      int *asked_route)
{
	struct in6_addr a = A(p), c = A(cur);
	struct coapick k;
	int h, r;

	coapick_init(&k, &a, &c, TUN);
	for (size_t i = 0; i < n; i++)
		coapick_add(&k, &v[i]);
	if ((h = coapick_needs_hop(&k)))
		coapick_hop(&k, hop);
	if ((r = coapick_needs_route(&k)))
		coapick_route(&k, oif);
	if (asked_hop)
		*asked_hop = h;
	if (asked_route)
		*asked_route = r;
	return coapick_verdict(&k);
}

static enum coapick_verdict pick_hop(const char *p, const char *cur, const struct addrmsg *v,
				     size_t n, enum coapick_hop hop, int *asked)
{
	return pick_told(p, cur, v, n, hop, 0, asked, NULL);
}

#define ROGUE "2001:db8:ca:1:d:ff:fe00:1"

/* Anyone on the link advertises a prefix of their own (router lifetime 0)
 * that matches the anchor's address longer than the CoA: the kernel picks
 * the address it forms there (RFC 6724 rule 8). The CoA in use is still
 * preferred, the pick is on its link, the next hop toward the anchor is
 * the same: no move (RFC 6275 §11.5.1). It was taken, and every binding
 * moved to a CoA nothing routes to for the forged valid lifetime. */
Test(coapick, another_address_of_the_same_link_and_router_is_no_move)
{
	struct addrmsg v[] = { X(OLD, 2, 0, 100), X(ROGUE, 2, 0, 3600) };
	int asked;

	cr_assert_eq(pick_hop(ROGUE, OLD, v, 2, COAPICK_HOP_SAME, &asked), COAPICK_KEEP);
	cr_assert(asked, "the verdict rests on the next hop");
	/* a new default router on the same link (an L3 roam, no carrier change) */
	cr_assert_eq(pick_hop(ROGUE, OLD, v, 2, COAPICK_HOP_CHANGED, &asked), COAPICK_TAKE);
	/* the next hop of the CoA in use not known: the kernel's pick */
	cr_assert_eq(pick_hop(ROGUE, OLD, v, 2, COAPICK_HOP_UNKNOWN, &asked), COAPICK_TAKE);
}

/* Whatever the next hop, a pick is taken when the CoA in use is no longer
 * preferred or usable, or when it is on another interface; the next hop is
 * not asked then */
Test(coapick, a_move_needs_no_new_router)
{
	struct addrmsg v[] = { X(OLD, 2, IFA_F_DEPRECATED, 0), X(NEW, 2, 0, 120) };
	int asked;

	cr_assert_eq(pick_hop(NEW, OLD, v, 2, COAPICK_HOP_SAME, &asked), COAPICK_TAKE,
		     "the one in use deprecated (a renumbering)");
	cr_assert_not(asked);
	cr_assert_eq(pick_hop(NEW, OLD, v + 1, 1, COAPICK_HOP_SAME, &asked), COAPICK_TAKE,
		     "the one in use gone");
	cr_assert_not(asked);
	v[0] = X(OLD, 2, IFA_F_TENTATIVE, 100);
	cr_assert_eq(pick_hop(NEW, OLD, v, 2, COAPICK_HOP_SAME, &asked), COAPICK_TAKE,
		     "the one in use tentative again (a DAD after a flap)");
	v[0] = X(OLD, 2, IFA_F_DADFAILED, 100);
	cr_assert_eq(pick_hop(NEW, OLD, v, 2, COAPICK_HOP_SAME, &asked), COAPICK_TAKE,
		     "the one in use DAD-failed");
	v[0] = X(OLD, 3, 0, 100);
	cr_assert_eq(pick_hop(NEW, OLD, v, 2, COAPICK_HOP_SAME, &asked), COAPICK_TAKE,
		     "another interface");
	cr_assert_not(asked);
	v[0] = X(OLD, 2, 0, 100);
	cr_assert_eq(pick_hop(OLD, OLD, v, 2, COAPICK_HOP_SAME, &asked), COAPICK_TAKE,
		     "the one in use again");
	cr_assert_not(asked);
}

#define WLAN "2001:db8:a2:0:d:ff:fe00:2"

static enum coapick_verdict pick_route(const char *p, const char *cur, const struct addrmsg *v,
				       size_t n, int oif, int *asked)
{
	return pick_told(p, cur, v, n, COAPICK_HOP_UNKNOWN, oif, NULL, asked);
}

/* Two links up, the CoA in use (on 2, where the default route goes)
 * deprecated: the kernel picks the other link's preferred address (RFC
 * 6724 rule 3 before rule 5) for packets that still leave by 2, where an
 * ingress filter (RFC 2827) drops them. The deprecated one is kept while
 * the packets leave by its link; it was taken (seen on the test net: the
 * BUs left eth1 from eth2's address). */
Test(coapick, a_deprecated_coa_is_kept_while_the_packets_leave_by_its_link)
{
	struct addrmsg v[] = { X(OLD, 2, IFA_F_DEPRECATED, 0), X(WLAN, 3, 0, 120) };
	int asked;

	cr_assert_eq(pick_route(WLAN, OLD, v, 2, 2, &asked), COAPICK_KEEP);
	cr_assert(asked, "the verdict rests on the route");
	cr_assert_eq(pick_route(WLAN, OLD, v, 2, 3, &asked), COAPICK_TAKE,
		     "the packets leave by the pick's link now");
	cr_assert_eq(pick_route(WLAN, OLD, v, 2, 0, &asked), COAPICK_TAKE,
		     "the route not known: the kernel's pick");
	cr_assert_eq(pick_route(WLAN, OLD, v + 1, 1, 2, &asked), COAPICK_TAKE,
		     "the one in use gone");
	cr_assert_not(asked);
	v[0].flags = 0;
	v[0].preferred = 100;
	cr_assert_eq(pick_route(WLAN, OLD, v, 2, 2, &asked), COAPICK_TAKE,
		     "the one in use preferred: the kernel's pick of another link is a move");
	cr_assert_not(asked);
	v[0] = X(OLD, 2, IFA_F_DEPRECATED, 0);
	v[1] = X(NEW, 2, 0, 120);
	cr_assert_eq(pick_route(NEW, OLD, v, 2, 2, &asked), COAPICK_TAKE,
		     "a preferred address of the same link (a renumbering)");
	cr_assert_not(asked);
}
