/* SPDX-License-Identifier: MIT */
/* replay.c — a ring of recently tunnelled packets (see replay.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "replay.h"

#include "pkttag.h"

/* A slot is this header and pkt_max bytes, padded to 8 (slot_at). */
struct replay_slot {
	struct in6_addr inner;
	uint64_t ts_ms;
	uint32_t len;            /* 0 = empty */
	uint32_t replayed;       /* sent again once: not again (replay.h) */
	uint8_t pkt[];
};

struct replay_ring {
	size_t n, next;          /* next: the slot written next (the oldest) */
	size_t pkt_max, stride;  /* bytes kept per packet at most; per slot */
	uint8_t mem[];
};

static struct replay_slot *slot_at(const struct replay_ring *r, size_t i)
{
	return (struct replay_slot *)(uintptr_t)(r->mem + i * r->stride);
}

int replay_open_sized(struct replay_ring **out, size_t slots, size_t pkt_max)
{
	struct replay_ring *r;
	size_t stride = (sizeof(struct replay_slot) + pkt_max + 7) & ~(size_t)7;
	void *m;

	if (!out || slots == 0 || slots > (1u << 20) || pkt_max == 0 ||
	    pkt_max > REPLAY_PKT_LIMIT)
		return -EINVAL;
	/*
	 * Resident from the start (MAP_POPULATE): the ring's size is the
	 * agent's to bound, and its pages are not left to become resident one
	 * by one as traffic fills them, which would look like a leak of up to
	 * the ring's size over the first minutes of traffic and meet a memory
	 * limit then instead of at start-up.
	 */
	m = mmap(NULL, sizeof(*r) + slots * stride, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (m == MAP_FAILED)
		return -ENOMEM;
	r = m;
	r->n = slots;
	r->pkt_max = pkt_max;
	r->stride = stride;
	*out = r;
	return 0;
}

int replay_open(struct replay_ring **out, size_t slots)
{
	return replay_open_sized(out, slots, REPLAY_PKT_MAX);
}

void replay_close(struct replay_ring *r)
{
	if (r)
		munmap(r, sizeof(*r) + r->n * r->stride);
}

void replay_record(struct replay_ring *r, const struct in6_addr *inner, uint64_t ts_ms,
		   const uint8_t *pkt, size_t len)
{
	struct replay_slot *s;

	if (!r || len == 0 || len > r->pkt_max)
		return;
	s = slot_at(r, r->next);
	s->inner = *inner;
	s->ts_ms = ts_ms;
	s->len = (uint32_t)len;
	s->replayed = 0;
	memcpy(s->pkt, pkt, len);
	r->next = (r->next + 1) % r->n;
}

/* s handed to fn, unless fn sent it once already: 1 if it is now. Marked
 * only if fn sent it: a packet it skipped (already sent to the new
 * address) or failed to send was not replayed, and a later move may
 * need it. */
static int replay_slot_once(struct replay_slot *s, replay_fn fn, void *arg)
{
	if (s->replayed)
		return 0;
	if (fn(arg, s->pkt, s->len))
		s->replayed = 1;
	return 1;
}

size_t replay_since(struct replay_ring *r, const struct in6_addr *inner,
		    uint64_t since_ms, replay_fn fn, void *arg)
{
	size_t done = 0;

	if (!r)
		return 0;
	/* from the oldest slot (the one written next) around to the newest */
	for (size_t i = 0; i < r->n; i++) {
		struct replay_slot *s = slot_at(r, (r->next + i) % r->n);

		if (s->len && s->ts_ms >= since_ms &&
		    memcmp(&s->inner, inner, sizeof(*inner)) == 0)
			done += (size_t)replay_slot_once(s, fn, arg);
	}
	return done;
}

size_t replay_after(struct replay_ring *r, const struct in6_addr *inner, uint32_t tag,
		    uint64_t floor_ms, replay_fn fn, void *arg)
{
	size_t done = 0, at = 0;
	int found = 0;

	if (!r || !tag)
		return REPLAY_NO_TAG;
	/* from the newest slot back, as far as floor_ms: the tag is hashed
	 * here, for the few slots of one host's outage, not for every packet
	 * sent */
	for (size_t i = 1; i <= r->n && !found; i++) {
		const struct replay_slot *s = slot_at(r, (r->next + r->n - i) % r->n);

		if (!s->len || memcmp(&s->inner, inner, sizeof(*inner)) != 0)
			continue;
		if (s->ts_ms < floor_ms)
			break;
		if (pkttag(s->pkt, s->len) == tag) {
			found = 1;
			at = i; /* the slots after it: i - 1 newer ones */
		}
	}
	if (!found)
		return REPLAY_NO_TAG;
	for (size_t i = at - 1; i >= 1; i--) {
		struct replay_slot *s = slot_at(r, (r->next + r->n - i) % r->n);

		if (s->len && memcmp(&s->inner, inner, sizeof(*inner)) == 0)
			done += (size_t)replay_slot_once(s, fn, arg);
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
		uint64_t said = back_from(now_ms, ago);

		/* heard from shortly before the moment the host names: it may
		 * have noticed late, so the outage is taken to start there */
		if (last_rx_ms && last_rx_ms < said && said - last_rx_ms <= REPLAY_LATE_MAX_MS)
			said = last_rx_ms;
		return back_from(said, REPLAY_MARGIN_MS);
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
	for (size_t i = 0; i < r->n; i++) {
		struct replay_slot *s = slot_at(r, i);

		if (s->len && memcmp(&s->inner, inner, sizeof(*inner)) == 0)
			s->len = 0;
	}
}
