/* SPDX-License-Identifier: MIT */
/* carrierlook.c — a carrier loss between two looks (see carrierlook.h). */
#include "carrierlook.h"

int carrierlook_seen(struct carrierlook *c, int ifindex, uint32_t downs, uint64_t now_ms,
		     uint64_t *up_ms)
{
	int lost = c->ifindex && ifindex == c->ifindex && downs > c->downs;

	if (lost)
		*up_ms = c->at_ms < now_ms ? c->at_ms : now_ms;
	c->ifindex = ifindex;
	c->downs = downs;
	c->at_ms = now_ms;
	return lost;
}

void carrierlook_forget(struct carrierlook *c)
{
	c->ifindex = 0;
	c->downs = 0;
	c->at_ms = 0;
}
