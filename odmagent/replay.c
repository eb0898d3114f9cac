/* SPDX-License-Identifier: MIT */
/* replay.c — a ring of recently tunnelled packets (see replay.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

struct replay_slot {
	struct in6_addr inner;
	uint64_t ts_ms;
	uint16_t len;            /* 0 = empty */
	uint8_t pkt[REPLAY_PKT_MAX];
};

struct replay_ring {
	size_t n, next;          /* next: the slot written next (the oldest) */
	struct replay_slot slot[];
};

int replay_open(struct replay_ring **out, size_t slots)
{
	struct replay_ring *r;

	if (!out || slots == 0 || slots > (1u << 20))
		return -EINVAL;
	r = calloc(1, sizeof(*r) + slots * sizeof(r->slot[0]));
	if (!r)
		return -ENOMEM;
	r->n = slots;
	*out = r;
	return 0;
}

void replay_close(struct replay_ring *r)
{
	free(r);
}

void replay_record(struct replay_ring *r, const struct in6_addr *inner, uint64_t ts_ms,
		   const uint8_t *pkt, size_t len)
{
	struct replay_slot *s;

	if (!r || len == 0 || len > REPLAY_PKT_MAX)
		return;
	s = &r->slot[r->next];
	s->inner = *inner;
	s->ts_ms = ts_ms;
	s->len = (uint16_t)len;
	memcpy(s->pkt, pkt, len);
	r->next = (r->next + 1) % r->n;
}

size_t replay_since(const struct replay_ring *r, const struct in6_addr *inner,
		    uint64_t since_ms, replay_fn fn, void *arg)
{
	size_t done = 0;

	if (!r)
		return 0;
	/* from the oldest slot (the one written next) around to the newest */
	for (size_t i = 0; i < r->n; i++) {
		const struct replay_slot *s = &r->slot[(r->next + i) % r->n];

		if (s->len && s->ts_ms >= since_ms &&
		    memcmp(&s->inner, inner, sizeof(*inner)) == 0) {
			fn(arg, s->pkt, s->len);
			done++;
		}
	}
	return done;
}

/* now - back, or 0 when that would go before the clock's start */
static uint64_t back_from(uint64_t now_ms, uint64_t back)
{
	return now_ms > back ? now_ms - back : 0;
}

uint64_t replay_from_ms(uint64_t now_ms, int has_lost, uint32_t lost_ago_ms,
			uint64_t last_rx_ms)
{
	uint64_t floor, from;

	if (has_lost) {
		uint64_t ago = lost_ago_ms < REPLAY_LOST_MAX_MS ? lost_ago_ms : REPLAY_LOST_MAX_MS;

		return back_from(now_ms, ago + REPLAY_MARGIN_MS);
	}
	if (!last_rx_ms || last_rx_ms > now_ms)
		return now_ms + 1;
	from = back_from(last_rx_ms, REPLAY_MARGIN_MS);
	floor = back_from(now_ms, REPLAY_LEGACY_MAX_MS);
	return from > floor ? from : floor;
}

void replay_forget(struct replay_ring *r, const struct in6_addr *inner)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (r->slot[i].len && memcmp(&r->slot[i].inner, inner, sizeof(*inner)) == 0)
			r->slot[i].len = 0;
}
