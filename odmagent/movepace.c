/* SPDX-License-Identifier: MIT */
/* movepace.c — pacing of the host's looks at its addresses (movepace.h). */
#include "movepace.h"

uint64_t movepace_event(struct movepace *p, uint64_t now)
{
	if (!p->has_event || now >= p->last_event_ms + MOVEPACE_HOLD_MS || now < p->last_event_ms)
		p->burst_ms = now;
	p->last_event_ms = now;
	p->has_event = 1;
	p->pending = 1;
	if (!p->has_look || now >= p->last_look_ms + MOVEPACE_HOLD_MS || now < p->last_look_ms)
		return 0;
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
