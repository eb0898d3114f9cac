/* SPDX-License-Identifier: MIT */
/*
 * test_replay_outage.c — a replay after a move reaches back over the host's
 * outage only: where it starts (replay_from_ms, or replay_after the last
 * packet the host names by its pkttag) and the BU option that tells the
 * anchor how long the outage was and which packet came last (mh.c,
 * "care-of address lost").
 */
#include <criterion/criterion.h>
#include <string.h>

#include "mh.h"
#include "pkttag.h"
#include "replay.h"

#define NOW 5000000ull /* monotonic ms */

Test(replay_outage, the_hosts_outage_less_the_margin)
{
	cr_assert_eq(replay_from_ms(NOW, 1, 40, NOW - 2500), NOW - 40 - REPLAY_MARGIN_MS,
		     "from the loss on, whenever the host last sent");
	cr_assert_eq(replay_from_ms(NOW, 1, 0, 0), NOW - REPLAY_MARGIN_MS,
		     "a host that never sent gets its outage too");
}

static int count_one(void *arg, const uint8_t *pkt, size_t len)
{
	(*(size_t *)arg)++;
	return 1;
}

/*
 * A receive-only host (last heard from at the flow's start) that lost its
 * old CoA 20 ms before its BU, a stream of one packet each 2 ms (500/s):
 * the replay holds the 10 packets sent in the outage and those of the
 * stated 2 ms margin, 1 more, and nothing older.
 */
Test(replay_outage, a_receive_only_host_gets_its_outage_and_2_ms_more)
{
	static const struct in6_addr a = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } };
	struct replay_ring *r;
	uint8_t pkt[64] = { 0 };
	uint64_t from = replay_from_ms(NOW, 1, 20, NOW - 2000);
	size_t n = 0;

	cr_assert_eq(from, NOW - 22, "the outage and 2 ms: from %llu ms before",
		     (unsigned long long)(NOW - from));
	cr_assert_eq(replay_open(&r, 256), 0);
	/* sent at NOW - 199, NOW - 197, ..., NOW - 1: the outage's are the last 10 */
	for (uint64_t t = NOW - 199; t < NOW; t += 2)
		replay_record(r, &a, t, pkt, sizeof pkt);
	replay_since(r, &a, from, count_one, &n);
	cr_assert_eq(n, 11, "the 10 packets of the outage and 1 of the margin, not %zu", n);
	replay_close(r);
}

Test(replay_outage, a_host_that_noticed_late_gets_it_from_its_last_packet)
{
	/* ACKs until 25 ms before the moment the host names: it noticed late */
	cr_assert_eq(replay_from_ms(NOW, 1, 40, NOW - 65), NOW - 65 - REPLAY_MARGIN_MS);
	cr_assert_eq(replay_from_ms(NOW, 1, 40, NOW - 40 - REPLAY_LATE_MAX_MS),
		     NOW - 40 - REPLAY_LATE_MAX_MS - REPLAY_MARGIN_MS, "the bound itself");
	cr_assert_eq(replay_from_ms(NOW, 1, 40, NOW - 41 - REPLAY_LATE_MAX_MS),
		     NOW - 40 - REPLAY_MARGIN_MS, "heard from longer before: the host's moment");
	cr_assert_eq(replay_from_ms(NOW, 1, 40, NOW - 10), NOW - 40 - REPLAY_MARGIN_MS,
		     "heard from after it: never later than the host says");
}

Test(replay_outage, a_claimed_outage_is_capped)
{
	cr_assert_eq(replay_from_ms(NOW, 1, 600000, 0),
		     NOW - REPLAY_LOST_MAX_MS - REPLAY_MARGIN_MS);
	cr_assert_eq(replay_from_ms(NOW, 1, UINT32_MAX, 0),
		     NOW - REPLAY_LOST_MAX_MS - REPLAY_MARGIN_MS);
	cr_assert_eq(replay_from_ms(100, 1, 2000, 0), 0, "never before the clock's start");
}

Test(replay_outage, an_older_host_gets_since_last_heard_but_at_most_the_cap)
{
	cr_assert_eq(replay_from_ms(NOW, 0, 0, NOW - 50), NOW - 50 - REPLAY_MARGIN_MS,
		     "a host heard from shortly before the move");
	cr_assert_eq(replay_from_ms(NOW, 0, 0, NOW - 2500), NOW - REPLAY_LEGACY_MAX_MS,
		     "a host that only receives: the last second, not the flow");
}

Test(replay_outage, nothing_without_a_basis)
{
	cr_assert_gt(replay_from_ms(NOW, 0, 0, 0), NOW, "never heard from, no outage given");
	cr_assert_gt(replay_from_ms(NOW, 0, 0, NOW + 5), NOW, "heard from in the future");
}

/* ---- the option ---- */

static int encode(const struct mh_msg *m, uint8_t *buf, size_t cap)
{
	return mh_encode(m, buf, cap, NULL, NULL, NULL, NULL, NULL);
}

static void bu_with_lost(struct mh_msg *m, uint32_t ms)
{
	memset(m, 0, sizeof *m);
	m->type = MH_TYPE_BU;
	m->seq = 7;
	m->present = MH_HAS_BRA | MH_HAS_COA_LOST;
	m->bra_refresh = 3;
	m->coa_lost_ms = ms;
}

/* offset of the first option of type t, or 0 */
static size_t find_opt(const uint8_t *buf, size_t len, uint8_t t)
{
	for (size_t off = 12; off < len;) {
		if (buf[off] == t)
			return off;
		off += buf[off] == MH_OPT_PAD1 ? 1 : 2u + buf[off + 1];
	}
	return 0;
}

Test(replay_outage, option_round_trip_and_layout)
{
	struct mh_msg m, d;
	uint8_t buf[128];
	size_t o;
	int n;

	bu_with_lost(&m, 0x01020304);
	n = encode(&m, buf, sizeof buf);
	cr_assert_gt(n, 0, "%s", mh_strerror(n));
	o = find_opt(buf, (size_t)n, MH_OPT_EXPERIMENTAL);
	cr_assert_neq(o, 0);
	cr_assert_eq(o % 4, 0, "the option starts at 4n, its value at 4n+4");
	cr_assert_eq(buf[o + 1], MH_EXP_COA_LOST_LEN);
	cr_assert_eq(buf[o + 2], MH_EXP_COA_LOST);
	cr_assert_eq(buf[o + 3], 0);
	cr_assert_eq(memcmp(buf + o + 4, "\x01\x02\x03\x04", 4), 0, "big-endian");
	cr_assert_eq(mh_decode(buf, (size_t)n, &d, NULL, NULL), 0);
	cr_assert_eq(d.present, MH_HAS_BRA | MH_HAS_COA_LOST);
	cr_assert_eq(d.coa_lost_ms, 0x01020304);
}

Test(replay_outage, option_is_parsed_strictly)
{
	struct mh_msg m, d;
	uint8_t buf[128], bad[128];
	size_t o;
	int n;

	bu_with_lost(&m, 40);
	n = encode(&m, buf, sizeof buf);
	cr_assert_gt(n, 0);
	o = find_opt(buf, (size_t)n, MH_OPT_EXPERIMENTAL);

	memcpy(bad, buf, (size_t)n);
	bad[o + 2] = MH_EXP_COA_LOST + 1;
	cr_assert_eq(mh_decode(bad, (size_t)n, &d, NULL, NULL), MH_E_OPT_LEN, "other sub-type");
	memcpy(bad, buf, (size_t)n);
	bad[o + 3] = 1;
	cr_assert_eq(mh_decode(bad, (size_t)n, &d, NULL, NULL), MH_E_OPT_LEN, "reserved not 0");
	memcpy(bad, buf, (size_t)n);
	bad[o + 1] = MH_EXP_COA_LOST_LEN - 1; /* one octet left over: PadN-like garbage */
	cr_assert_eq(mh_decode(bad, (size_t)n, &d, NULL, NULL), MH_E_OPT_LEN, "short option");
	memcpy(bad, buf, (size_t)n);
	bad[o + 1] = MH_EXP_COA_LOST_LEN + 2;
	cr_assert_lt(mh_decode(bad, (size_t)n, &d, NULL, NULL), 0, "long option");
}

Test(replay_outage, option_twice_is_refused)
{
	/* BU fixed part, then the option twice (each at 4n), then padding */
	uint8_t buf[32] = { 59, 3, MH_TYPE_BU, 0, 0, 0, 0, 1, 0, 0, 0, 0,
			    MH_OPT_EXPERIMENTAL, 6, MH_EXP_COA_LOST, 0, 0, 0, 0, 9,
			    MH_OPT_EXPERIMENTAL, 6, MH_EXP_COA_LOST, 0, 0, 0, 0, 9,
			    MH_OPT_PADN, 2, 0, 0 };
	struct mh_msg d;

	cr_assert_eq(mh_decode(buf, sizeof buf, &d, NULL, NULL), MH_E_DUP_OPT);
	buf[20] = MH_OPT_PADN; /* the second one becomes padding */
	buf[21] = 6;
	cr_assert_eq(mh_decode(buf, sizeof buf, &d, NULL, NULL), 0);
	cr_assert_eq(d.coa_lost_ms, 9);
}

Test(replay_outage, option_with_the_last_packets_tag)
{
	struct mh_msg m, d;
	uint8_t buf[128], bad[128];
	size_t o;
	int n;

	bu_with_lost(&m, 40);
	m.coa_lost_tag = 0xdeadbeef;
	n = encode(&m, buf, sizeof buf);
	cr_assert_gt(n, 0, "%s", mh_strerror(n));
	o = find_opt(buf, (size_t)n, MH_OPT_EXPERIMENTAL);
	cr_assert_neq(o, 0);
	cr_assert_eq(o % 4, 0);
	cr_assert_eq(buf[o + 1], MH_EXP_COA_LOST_TAG_LEN);
	cr_assert_eq(memcmp(buf + o + 8, "\xde\xad\xbe\xef", 4), 0, "the tag after the ms");
	cr_assert_eq(mh_decode(buf, (size_t)n, &d, NULL, NULL), 0);
	cr_assert_eq(d.coa_lost_ms, 40);
	cr_assert_eq(d.coa_lost_tag, 0xdeadbeef);

	memcpy(bad, buf, (size_t)n);
	memset(bad + o + 8, 0, 4);
	cr_assert_eq(mh_decode(bad, (size_t)n, &d, NULL, NULL), MH_E_OPT_LEN,
		     "a tag of 0 names no packet: the short form says that");
	memcpy(bad, buf, (size_t)n);
	bad[o + 1] = MH_EXP_COA_LOST_TAG_LEN - 2;
	cr_assert_eq(mh_decode(bad, (size_t)n, &d, NULL, NULL), MH_E_OPT_LEN, "8 octets");
	bad[o + 1] = MH_EXP_COA_LOST_TAG_LEN - 1;
	cr_assert_eq(mh_decode(bad, (size_t)n, &d, NULL, NULL), MH_E_OPT_LEN, "9 octets");

	/* without a tag, the short form, as before */
	m.coa_lost_tag = 0;
	n = encode(&m, buf, sizeof buf);
	o = find_opt(buf, (size_t)n, MH_OPT_EXPERIMENTAL);
	cr_assert_eq(buf[o + 1], MH_EXP_COA_LOST_LEN);
	cr_assert_eq(mh_decode(buf, (size_t)n, &d, NULL, NULL), 0);
	cr_assert_eq(d.coa_lost_tag, 0);
}

Test(replay_outage, a_packets_tag)
{
	uint8_t a[200], b[200];

	for (size_t i = 0; i < sizeof a; i++)
		a[i] = (uint8_t)i;
	memcpy(b, a, sizeof b);
	cr_assert_eq(pkttag(a, sizeof a), pkttag(b, sizeof b));
	cr_assert_neq(pkttag(a, sizeof a), 0);
	b[PKTTAG_BYTES - 1] ^= 1;
	cr_assert_neq(pkttag(a, sizeof a), pkttag(b, sizeof b), "a byte it covers");
	memcpy(b, a, sizeof b);
	b[PKTTAG_BYTES] ^= 1;
	cr_assert_eq(pkttag(a, sizeof a), pkttag(b, sizeof b), "a byte beyond the ones it covers");
	cr_assert_neq(pkttag(a, sizeof a), pkttag(a, sizeof a - 1), "the length");
}

struct seen {
	size_t n;
	uint8_t first[8];
};

static int note_seq(void *arg, const uint8_t *pkt, size_t len)
{
	struct seen *s = arg;

	if (s->n < sizeof s->first)
		s->first[s->n] = pkt[60];
	s->n++;
	return 1;
}

/*
 * Packets 1..40 for a, each naming its number at byte 60 (where a UDP
 * stream's sequence number sits), 100 for b in between; the host says it
 * got a's packet 30: the replay is a's 31..40, whatever their times.
 */
Test(replay_outage, after_the_packet_the_host_names)
{
	static const struct in6_addr a = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } };
	static const struct in6_addr b = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } } };
	struct replay_ring *r;
	uint8_t pkt[100] = { 0 }, other[100] = { [8] = 0xff };
	uint32_t tag30 = 0;
	struct seen s = { 0 };

	cr_assert_eq(replay_open(&r, 256), 0);
	for (int i = 1; i <= 40; i++) {
		pkt[60] = (uint8_t)i;
		if (i == 30)
			tag30 = pkttag(pkt, sizeof pkt);
		/* all sent in the same ms: a time cannot tell them apart */
		replay_record(r, &a, NOW - 10, pkt, sizeof pkt);
		other[60] = (uint8_t)i;
		replay_record(r, &b, NOW - 10, other, sizeof other);
		replay_record(r, &b, NOW - 10, other, sizeof other);
	}
	cr_assert_eq(replay_after(r, &a, tag30, NOW - 3000, note_seq, &s), 10);
	cr_assert_eq(s.n, 10);
	cr_assert_eq(s.first[0], 31, "oldest first, from the one after it: %u", s.first[0]);
	cr_assert_eq(s.first[7], 38);

	s.n = 0;
	pkt[60] = 40;
	cr_assert_eq(replay_after(r, &a, pkttag(pkt, sizeof pkt), NOW - 3000, note_seq, &s), 0,
		     "the newest named: nothing was missed");
	cr_assert_eq(s.n, 0);
	pkt[60] = 41;
	cr_assert_eq(replay_after(r, &a, pkttag(pkt, sizeof pkt), NOW - 3000, note_seq, &s),
		     REPLAY_NO_TAG, "a packet never kept");
	cr_assert_eq(replay_after(r, &b, tag30, NOW - 3000, note_seq, &s), REPLAY_NO_TAG,
		     "another host's packets are not looked in");
	other[60] = 30;
	cr_assert_eq(replay_after(r, &b, pkttag(other, sizeof other), NOW - 3000, note_seq, &s), 20,
		     "its own are: the newer of two alike, then 20 after it");
	s.n = 0;
	cr_assert_eq(replay_after(r, &a, tag30, NOW - 9, note_seq, &s), REPLAY_NO_TAG,
		     "not looked for before the floor");
	cr_assert_eq(replay_after(r, &a, 0, NOW - 3000, note_seq, &s), REPLAY_NO_TAG);
	cr_assert_eq(s.n, 0);
	replay_close(r);
}
