/* SPDX-License-Identifier: MIT */
/* coapick.c — the kernel's pick as a care-of address, or not (see coapick.h). */
#include <linux/if_addr.h>
#include <string.h>

#include "coapick.h"
#include "movepace.h"

void coapick_init(struct coapick *p, const struct in6_addr *pick, const struct in6_addr *cur,
		  int skip_ifindex)
{
	memset(p, 0, sizeof(*p));
	p->pick = *pick;
	if (cur) {
		p->cur = *cur;
		p->has_cur = 1;
	}
	p->skip_ifindex = skip_ifindex;
	p->hop = COAPICK_HOP_UNKNOWN;
}

/* usable, and preferred: not deprecated, by the flag or by its lifetime */
static int preferred(const struct addrmsg *x)
{
	return !(x->flags & IFA_F_DEPRECATED) && x->preferred != 0;
}

void coapick_add(struct coapick *p, const struct addrmsg *x)
{
	if (x->deleted || x->ifindex == p->skip_ifindex || !movepace_flags_usable(x->flags))
		return;
	if (IN6_ARE_ADDR_EQUAL(&x->addr, &p->pick)) {
		p->pick_usable = 1;
		p->pick_preferred |= preferred(x);
		if (!p->pick_ifindex)
			p->pick_ifindex = x->ifindex;
	}
	if (p->has_cur && IN6_ARE_ADDR_EQUAL(&x->addr, &p->cur)) {
		if (preferred(x) && !p->cur_preferred) {
			p->cur_preferred = 1;
			p->cur_ifindex = x->ifindex; /* the preferred copy's */
		}
		if (!p->cur_ifindex)
			p->cur_ifindex = x->ifindex;
		p->cur_usable = 1;
	}
}

int coapick_needs_route(const struct coapick *p)
{
	return p->pick_usable && p->has_cur && p->cur_usable && !p->cur_preferred &&
	       !IN6_ARE_ADDR_EQUAL(&p->pick, &p->cur) && p->pick_ifindex != p->cur_ifindex;
}

void coapick_route(struct coapick *p, int oif)
{
	p->route_ifindex = oif;
}

/* another address than the one in use, which is still preferred */
static int other_than_preferred_cur(const struct coapick *p)
{
	return p->pick_usable && p->has_cur && p->cur_preferred &&
	       !IN6_ARE_ADDR_EQUAL(&p->pick, &p->cur);
}

int coapick_needs_hop(const struct coapick *p)
{
	return other_than_preferred_cur(p) && p->pick_preferred &&
	       p->pick_ifindex == p->cur_ifindex;
}

void coapick_hop(struct coapick *p, enum coapick_hop hop)
{
	p->hop = hop;
}

enum coapick_verdict coapick_verdict(const struct coapick *p)
{
	if (!p->pick_usable)
		return COAPICK_UNUSABLE;
	/* the packets leave by the link of the one in use, deprecated */
	if (coapick_needs_route(p) && p->route_ifindex == p->cur_ifindex)
		return COAPICK_KEEP;
	if (!other_than_preferred_cur(p))
		return COAPICK_TAKE;
	if (!p->pick_preferred)
		return COAPICK_KEEP; /* a deprecated pick */
	/* the same link through the same router: no move (RFC 6275 §11.5.1) */
	if (coapick_needs_hop(p) && p->hop == COAPICK_HOP_SAME)
		return COAPICK_KEEP;
	return COAPICK_TAKE;
}
