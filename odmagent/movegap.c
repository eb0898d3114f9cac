/* SPDX-License-Identifier: MIT */
/* movegap.c — a move's gap (see movegap.h). */
#include "movegap.h"

void movegap_look(struct movegap *g, size_t usable, size_t went, uint64_t since, uint64_t now)
{
	uint64_t start = since && since <= now ? since : now;

	if (!usable) {
		/* the last usable address went: a gap begins (not again at
		 * each look while it lasts) */
		if (g->have)
			g->lost_ms = start;
		g->have = 0;
		return;
	}
	if ((g->seen && !g->have) || went)
		g->back_ms = now;
	g->seen = 1;
	g->have = 1;
	g->lost_ms = 0;
}

enum movegap_verdict movegap_ask(const struct movegap *g, uint64_t now, uint64_t *until)
{
	*until = 0;
	if (g->have || !g->seen)
		return g->back_ms && now <= g->back_ms + MOVEGAP_RECENT_MS ? MOVEGAP_RETRY
									 : MOVEGAP_NO;
	if (now >= g->lost_ms + MOVEGAP_WAIT_MS)
		return MOVEGAP_NO; /* that long without a link: offline */
	*until = g->lost_ms + MOVEGAP_WAIT_MS;
	return MOVEGAP_WAIT;
}

int movegap_moved_since(const struct movegap *g, uint64_t since)
{
	if (g->seen && !g->have)
		return 1;
	return g->back_ms && g->back_ms >= since;
}
