/* SPDX-License-Identifier: MIT */
/* test_replay.c — the ring of recently tunnelled packets (odmagent/replay.c) */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pkttag.h"
#include "replay.h"
#include "testaddr.h"

/* what a replay produced: the first byte of each packet, in order */
struct seen {
	uint8_t first[64];
	size_t len[64];
	size_t n;
};

static int collect(void *arg, const uint8_t *pkt, size_t len)
{
	struct seen *s = arg;

	cr_assert_lt(s->n, 64);
	s->first[s->n] = pkt[0];
	s->len[s->n] = len;
	s->n++;
	return 1;
}

static void put(struct replay_ring *r, const char *inner, uint64_t ts, uint8_t tag, size_t len)
{
	uint8_t pkt[REPLAY_PKT_MAX + 1];
	struct in6_addr a = A(inner);

	memset(pkt, tag, sizeof pkt);
	replay_record(r, &a, ts, pkt, len);
}

/* Every page of the ring is resident as soon as it is open (its size is the
 * bound, not what traffic has filled so far): mincore(2) over the slots. */
Test(replay, open_makes_the_ring_resident)
{
	struct replay_ring *r = NULL;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = 1024 * REPLAY_PKT_MAX, i, out = 0;
	unsigned char vec[1024 * REPLAY_PKT_MAX / 4096 + 2];
	uintptr_t start;

	cr_assert_eq(replay_open(&r, 1024), 0);
	start = (uintptr_t)r & ~(uintptr_t)(page - 1);
	cr_assert_leq((len + page - 1) / page, sizeof vec);
	cr_assert_eq(mincore((void *)start, len, vec), 0, "mincore: %s", strerror(errno));
	for (i = 0; i < (len + page - 1) / page; i++)
		out += !(vec[i] & 1);
	cr_assert_eq(out, 0, "%zu of %zu pages of a new ring not resident", out,
		     (len + page - 1) / page);
	replay_close(r);
}

Test(replay, open_checks_its_size)
{
	struct replay_ring *r = NULL;

	cr_assert_eq(replay_open(&r, 0), -EINVAL);
	cr_assert_eq(replay_open(&r, (1u << 20) + 1), -EINVAL);
	cr_assert_eq(replay_open(&r, 4), 0);
	replay_close(r);
}

Test(replay, replays_one_address_since_a_time_oldest_first)
{
	struct replay_ring *r;
	struct seen s = { .n = 0 };
	struct in6_addr x = A("2001:db8:c4a::1");

	cr_assert_eq(replay_open(&r, 8), 0);
	put(r, "2001:db8:c4a::1", 100, 1, 60);
	put(r, "2001:db8:c4a::2", 110, 2, 60);
	put(r, "2001:db8:c4a::1", 120, 3, 70);
	put(r, "2001:db8:c4a::1", 130, 4, 80);
	cr_assert_eq(replay_since(r, &x, 120, collect, &s), 2);
	cr_assert_eq(s.first[0], 3);
	cr_assert_eq(s.first[1], 4);
	cr_assert_eq(s.len[0], 70);
	cr_assert_eq(s.len[1], 80);
	replay_close(r);
}

Test(replay, the_oldest_packets_are_overwritten)
{
	struct replay_ring *r;
	struct seen s = { .n = 0 };
	struct in6_addr x = A("2001:db8:c4a::1");

	cr_assert_eq(replay_open(&r, 4), 0);
	for (uint8_t i = 1; i <= 6; i++)
		put(r, "2001:db8:c4a::1", 100 + i, i, 40);
	cr_assert_eq(replay_since(r, &x, 0, collect, &s), 4);
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(s.first[i], i + 3, "slot %zu holds packet %u", i, s.first[i]);
	replay_close(r);
}

Test(replay, oversized_and_empty_packets_are_not_kept)
{
	struct replay_ring *r;
	struct seen s = { .n = 0 };
	struct in6_addr x = A("2001:db8:c4a::1");

	cr_assert_eq(replay_open(&r, 4), 0);
	put(r, "2001:db8:c4a::1", 100, 1, REPLAY_PKT_MAX + 1);
	put(r, "2001:db8:c4a::1", 100, 2, 0);
	put(r, "2001:db8:c4a::1", 100, 3, REPLAY_PKT_MAX);
	cr_assert_eq(replay_since(r, &x, 0, collect, &s), 1);
	cr_assert_eq(s.first[0], 3);
	cr_assert_eq(s.len[0], REPLAY_PKT_MAX);
	replay_close(r);
}

Test(replay, forget_drops_one_address_only)
{
	struct replay_ring *r;
	struct seen s = { .n = 0 };
	struct in6_addr x = A("2001:db8:c4a::1"), y = A("2001:db8:c4a::2");

	cr_assert_eq(replay_open(&r, 8), 0);
	put(r, "2001:db8:c4a::1", 100, 1, 40);
	put(r, "2001:db8:c4a::2", 100, 2, 40);
	replay_forget(r, &x);
	cr_assert_eq(replay_since(r, &x, 0, collect, &s), 0);
	cr_assert_eq(replay_since(r, &y, 0, collect, &s), 1);
	cr_assert_eq(s.first[0], 2);
	replay_close(r);
}

Test(replay, a_missing_ring_does_nothing)
{
	struct seen s = { .n = 0 };
	struct in6_addr x = A("2001:db8:c4a::1");
	uint8_t pkt[40] = { 0 };

	replay_record(NULL, &x, 1, pkt, sizeof pkt);
	replay_forget(NULL, &x);
	cr_assert_eq(replay_since(NULL, &x, 0, collect, &s), 0);
}

/* replay_open_sized: the kernel path's ring keeps whole outer packets */
static void put_big(struct replay_ring *r, uint64_t ts, uint8_t tag, size_t len)
{
	static uint8_t pkt[2000];
	struct in6_addr a = A("2001:db8:c4a::1");

	memset(pkt, tag, sizeof pkt);
	replay_record(r, &a, ts, pkt, len);
}

Test(replay, a_sized_ring_checks_its_packet_size)
{
	struct replay_ring *r = NULL;

	cr_assert_eq(replay_open_sized(&r, 4, 0), -EINVAL);
	cr_assert_eq(replay_open_sized(&r, 4, REPLAY_PKT_LIMIT + 1), -EINVAL);
	cr_assert_eq(replay_open_sized(&r, 0, 1540), -EINVAL);
	cr_assert_eq(replay_open_sized(&r, 4, 1540), 0);
	replay_close(r);
}

Test(replay, a_sized_ring_keeps_packets_up_to_its_size_whole)
{
	struct replay_ring *r;
	struct seen s = { .n = 0 };
	struct in6_addr x = A("2001:db8:c4a::1");

	/* an odd size: slots are padded, packets must not overlap */
	cr_assert_eq(replay_open_sized(&r, 3, 1541), 0);
	put_big(r, 100, 1, 1541);
	put_big(r, 101, 2, 1542); /* over the size: not kept */
	put_big(r, 102, 3, 1541);
	put_big(r, 103, 4, 7);
	put_big(r, 104, 5, 1541); /* overwrites the first */
	cr_assert_eq(replay_since(r, &x, 0, collect, &s), 3);
	cr_assert_eq(s.first[0], 3);
	cr_assert_eq(s.len[0], 1541);
	cr_assert_eq(s.first[1], 4);
	cr_assert_eq(s.len[1], 7);
	cr_assert_eq(s.first[2], 5);
	cr_assert_eq(s.len[2], 1541);
	replay_close(r);
}

/* a packet's last byte is its own, not the next slot's first */
static int last_byte(void *arg, const uint8_t *pkt, size_t len)
{
	uint8_t *out = arg;

	out[pkt[0]] = pkt[len - 1];
	return 1;
}

Test(replay, a_sized_ring_keeps_each_byte_of_each_packet)
{
	struct replay_ring *r;
	struct in6_addr x = A("2001:db8:c4a::1");
	uint8_t seen[4] = { 0 };

	cr_assert_eq(replay_open_sized(&r, 3, 1541), 0);
	for (uint8_t i = 1; i <= 3; i++)
		put_big(r, 100 + i, i, 1541);
	cr_assert_eq(replay_since(r, &x, 0, last_byte, seen), 3);
	for (uint8_t i = 1; i <= 3; i++)
		cr_assert_eq(seen[i], i, "packet %u ends in %u", i, seen[i]);
	replay_close(r);
}

/* Each kept packet is sent again once at most: a binding moved back and
 * forth (every BU saying it lost its address long ago) made the anchor
 * send the same packets again at each move, an amplifier for whoever
 * holds the key (replay.h). What is recorded after a replay is new. */
Test(replay, each_packet_is_replayed_once_at_most)
{
	struct replay_ring *r;
	struct seen s = { .n = 0 };
	struct in6_addr x = A("2001:db8:c4a::1"), y = A("2001:db8:c4a::2");
	uint8_t pkt[100] = { 0 };
	uint32_t tag2 = 0;

	cr_assert_eq(replay_open(&r, 16), 0);
	for (uint8_t i = 1; i <= 4; i++) {
		memset(pkt, i, sizeof pkt);
		if (i == 2)
			tag2 = pkttag(pkt, sizeof pkt);
		replay_record(r, &x, 100 + i, pkt, sizeof pkt);
		replay_record(r, &y, 100 + i, pkt, sizeof pkt);
	}
	cr_assert_eq(replay_since(r, &x, 0, collect, &s), 4);
	cr_assert_eq(replay_since(r, &x, 0, collect, &s), 0, "a second move sends them again");
	cr_assert_eq(replay_after(r, &x, tag2, 0, collect, &s), 0,
		     "named as the last packet: what follows went once already");
	cr_assert_eq(s.n, 4);
	/* another binding's packets are its own */
	cr_assert_eq(replay_after(r, &y, tag2, 0, collect, &s), 2);
	cr_assert_eq(replay_since(r, &y, 0, collect, &s), 2, "the tag's and the one before are left");
	cr_assert_eq(s.first[6], 1);
	cr_assert_eq(s.first[7], 2);
	/* a packet tunnelled after the replay is sent again at the next move */
	put(r, "2001:db8:c4a::1", 200, 9, 60);
	s.n = 0;
	cr_assert_eq(replay_since(r, &x, 0, collect, &s), 1);
	cr_assert_eq(s.first[0], 9);
	/* a slot written over is new, whatever the one before it was */
	for (int i = 0; i < 16; i++)
		put(r, "2001:db8:c4a::1", 300, 7, 60);
	s.n = 0;
	cr_assert_eq(replay_since(r, &x, 0, collect, &s), 16);
	replay_close(r);
}

/* sends the packets whose first byte is odd; the others it does not (the
 * kernel path's packets already sent to the new address, a failed send) */
static int send_odd(void *arg, const uint8_t *pkt, size_t len)
{
	collect(arg, pkt, len);
	return pkt[0] % 2;
}

/* Only a packet sent again counts as replayed: one the replay did not
 * send (skipped, or its send failed) is sent at the next move. Marked
 * once handed over, those were lost for good to a host that moved again
 * within its outage. */
/* packets 1 to 4 of inner (100 bytes, each filled with its number), sent
 * at t0 + 1 to t0 + 4: the pkttag of the first */
static uint32_t put_four(struct replay_ring *r, const struct in6_addr *inner, uint64_t t0)
{
	uint8_t pkt[100];

	for (uint8_t i = 1; i <= 4; i++) {
		memset(pkt, i, sizeof pkt);
		replay_record(r, inner, t0 + i, pkt, sizeof pkt);
	}
	memset(pkt, 1, sizeof pkt);
	return pkttag(pkt, sizeof pkt);
}

Test(replay, a_packet_not_sent_at_a_move_is_sent_at_the_next)
{
	struct replay_ring *r;
	struct seen s = { .n = 0 };
	struct in6_addr x = A("2001:db8:c4a::1");
	uint32_t tag1;

	cr_assert_eq(replay_open(&r, 16), 0);
	tag1 = put_four(r, &x, 100);
	cr_assert_eq(replay_since(r, &x, 0, send_odd, &s), 4, "all 4 handed over");
	s.n = 0;
	cr_assert_eq(replay_since(r, &x, 0, collect, &s), 2, "the 2 not sent, at the next move");
	cr_assert_eq(s.first[0], 2);
	cr_assert_eq(s.first[1], 4);
	cr_assert_eq(replay_since(r, &x, 0, collect, &s), 0, "sent once: not again");
	/* the same by the host's tag: 3, not sent, goes at the next move */
	cr_assert_eq(put_four(r, &x, 200), tag1);
	s.n = 0;
	cr_assert_eq(replay_after(r, &x, tag1, 200, send_odd, &s), 3);
	s.n = 0;
	cr_assert_eq(replay_after(r, &x, tag1, 200, collect, &s), 2);
	cr_assert_eq(s.first[0], 2);
	cr_assert_eq(s.first[1], 4);
	replay_close(r);
}
