/* SPDX-License-Identifier: MIT */
/* movepace.c — pacing of the host's looks at its addresses (movepace.h). */
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "movepace.h"

/* 1 while now is within the hold of a moment that happened (has) at since;
 * a clock that went back ends the hold */
static int held(int has, uint64_t since, uint64_t now)
{
	return has && now >= since && now < since + MOVEPACE_HOLD_MS;
}

uint64_t movepace_event(struct movepace *p, uint64_t now, int urgent)
{
	if (!held(p->has_event, p->last_event_ms, now))
		p->burst_ms = now;
	p->last_event_ms = now;
	p->has_event = 1;
	p->pending = 1;
	if (!held(p->has_look, p->last_look_ms, now))
		return 0;
	if (urgent && !held(p->has_urgent, p->last_urgent_ms, now)) {
		p->last_urgent_ms = now;
		p->has_urgent = 1;
		return 0;
	}
	return p->last_look_ms + MOVEPACE_HOLD_MS - now;
}

void movepace_looked(struct movepace *p, uint64_t now)
{
	p->last_look_ms = now;
	p->has_look = 1;
	p->pending = 0;
}

int movepace_pending(const struct movepace *p)
{
	return p->pending;
}

uint64_t movepace_burst_ms(const struct movepace *p)
{
	return p->burst_ms;
}

/* The flags are IFA_FLAGS' when present: ifa_flags holds only the low 8
 * bits, and the kernel puts all of them in IFA_FLAGS. */
int movepace_addr_usable(const struct nlmsghdr *h, size_t len)
{
	const struct ifaddrmsg *ifa;
	const struct rtattr *a;
	uint32_t flags;
	int left;

	if (len < NLMSG_LENGTH(sizeof(*ifa)) || h->nlmsg_len > len ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) || h->nlmsg_type != RTM_NEWADDR)
		return 0;
	ifa = NLMSG_DATA(h);
	if (ifa->ifa_family != AF_INET6 || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return 0;
	flags = ifa->ifa_flags;
	left = (int)IFA_PAYLOAD(h);
	for (a = IFA_RTA(ifa); RTA_OK(a, left); a = RTA_NEXT(a, left))
		if (a->rta_type == IFA_FLAGS && RTA_PAYLOAD(a) >= sizeof(uint32_t))
			memcpy(&flags, RTA_DATA(a), sizeof(flags));
	return !(flags & IFA_F_DEPRECATED) && movepace_flags_usable(flags);
}

int movepace_flags_usable(uint32_t flags)
{
	return !(flags & IFA_F_DADFAILED) && (!(flags & IFA_F_TENTATIVE) || (flags & IFA_F_OPTIMISTIC));
}
