/* SPDX-License-Identifier: MIT */
/*
 * test_anchor.c — anchor_handle_bu() without sockets: every status path of
 * the profile in anchor.h, idempotent allocation, refresh and move,
 * deregistration, expiry, and that a rejected BU changes nothing. The
 * tunnel is a recording fake behind the real ops table; BAs are checked by
 * decoding them and verifying their authenticator with the codec.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "agent.h"
#include "anchor.h"
#include "anchor_journal.h"
#include "log.h"
#include "logread.h"
#include "monotime.h"
#include "testaddr.h"

#include "anchor_fixture.h"

static void setup_with(uint8_t plen, uint32_t max_bindings)
{
	memset(&ft, 0, sizeof ft);
	memset(&cfg, 0, sizeof cfg);
	memset(idents, 0, sizeof idents);
	cfg.role = ODM_ROLE_ANCHOR;
	cfg.mode = ODM_MODE_CHA;
	cfg.modes = ODM_MODE_BIT(ODM_MODE_CHA);
	cfg.address = A(A_ADDR);
	cfg.pool = A(A_POOL);
	cfg.pool_plen = plen;
	cfg.max_lifetime = 600;
	cfg.max_bindings = max_bindings;
	/* the rate limit has its own tests; here it must never bite */
	cfg.answer_rate = 100000;
	cfg.answer_burst = 100000;
	fixture_start(0);
}

static void setup(void)
{
	setup_with(64, 4);
}

static void teardown(void)
{
	anchor_fini(&an);
}

/* Allocate for NAI1 with seq; returns the address */
static struct in6_addr alloc_ok(uint16_t seq, uint16_t bid, uint64_t now_ms)
{
	struct bu b = bu_default(seq);
	struct mh_msg ba;

	b.bid = bid;
	send_bu(&b, now_ms, &ba);
	cr_assert_eq(ba.status, 0, "status %u %s", ba.status, mh_status_name(ba.status));
	cr_assert(ba.present & MH_HAS_HNP);
	return ba.hnp;
}

/* NAI1's BU naming hnp with bid (0: none) and lifetime: the BA's status */
static uint8_t named_status(uint16_t seq, const char *hnp, uint16_t bid, uint16_t lifetime)
{
	struct bu b = bu_default(seq);
	struct mh_msg ba;

	b.hnp = hnp;
	b.bid = bid;
	if (!bid)
		b.omit = NO_BID;
	b.lifetime = lifetime;
	send_bu(&b, 0, &ba);
	return ba.status;
}

/* ---- tests ---- */

TestSuite(anchor, .init = setup, .fini = teardown);

Test(anchor, allocation_accepted)
{
	struct bu b = bu_default(10);
	struct mh_msg ba;
	struct in6_addr coa = A(COA1), aa = A(A_ADDR);

	send_bu(&b, 1000, &ba);
	cr_assert_eq(ba.status, MH_BA_ACCEPTED);
	cr_assert_eq(ba.seq, 10);
	cr_assert_eq(ba.lifetime, 100);
	cr_assert(ba.present & MH_HAS_BRA);
	cr_assert_eq(ba.bra_refresh, 80);
	cr_assert(ba.present & MH_HAS_HNP);
	cr_assert_eq(ba.hnp_len, 128);
	cr_assert(pool_contains(&an.pool, &ba.hnp));
	cr_assert(pool_is_allocated(&an.pool, &ba.hnp));
	cr_assert(ba.present & MH_HAS_BID);
	cr_assert_eq(ba.bid, 1);
	cr_assert_str_eq(ba.mnid, NAI1);
	cr_assert_eq(ba.replay_ts, ntp_plus(100), "replay echoed");
	assert_ba_auth(&ba, idents[0].key, COA1);
	cr_assert_eq(ba.auth_spi, SPI1);
	/* tunnel: inner = HoA, local = anchor, remote = CoA */
	cr_assert_eq(ft.binds, 1);
	cr_assert_eq(memcmp(&ft.inner, &ba.hnp, 16), 0);
	cr_assert_eq(memcmp(&ft.local, &aa, 16), 0);
	cr_assert_eq(memcmp(&ft.remote, &coa, 16), 0);
	cr_assert_eq(an.ids[0].nbindings, 1);
	cr_assert_eq(an.ids[0].last_seq, 10);
	cr_assert_eq(an.ids[0].last_ts, ntp_plus(100));
	{
		struct binding *bd = bcache_find_hoa(&an.bc, &ba.hnp);

		cr_assert_not_null(bd);
		cr_assert_eq(bd->expires_ms, 1000 + 400 * 1000);
		cr_assert_eq(bd->bid, 1);
	}
}

Test(anchor, allocation_is_idempotent_per_bid)
{
	struct in6_addr a1 = alloc_ok(10, 7, 0);
	struct in6_addr a2 = alloc_ok(11, 7, 0); /* retransmission: new seq and ts */
	struct in6_addr a3 = alloc_ok(12, 8, 0); /* another lease */

	cr_assert_eq(memcmp(&a1, &a2, 16), 0, "same (NAI, BID), same address");
	cr_assert_neq(memcmp(&a1, &a3, 16), 0);
	cr_assert_eq(an.bc.count, 2);
	cr_assert_eq(an.ids[0].nbindings, 2);
}

Test(anchor, lifetime_capped_and_small_lifetime)
{
	struct bu b = bu_default(10);
	struct mh_msg ba;

	b.lifetime = 0xffff;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, 0);
	cr_assert_eq(ba.lifetime, 150, "600 s max-lifetime = 150 units");
	cr_assert_lt(ba.bra_refresh, ba.lifetime);

	b = bu_default(11);
	b.bid = 2;
	b.lifetime = 1;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, 0);
	cr_assert_eq(ba.lifetime, 1);
	cr_assert_not(ba.present & MH_HAS_BRA, "no refresh interval below 1 unit");
}

Test(anchor, missing_mnid_160_unauthenticated)
{
	struct bu b = bu_default(10);
	struct mh_msg ba;
	struct snap s = take(), s2;

	b.omit = NO_MNID;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_MISSING_MNID);
	cr_assert_not(ba.present & MH_HAS_AUTH);
	cr_assert_not(ba.present & MH_HAS_HNP);
	cr_assert_eq(ba.lifetime, 0);
	s2 = take();
	assert_same(&s, &s2);
}

/* The outsider's answer (anchor.h): BA 146, the BU's sequence number and
 * nothing else, not authenticated */
static void assert_outsider_answer(const struct mh_msg *ba, uint16_t seq)
{
	cr_assert_eq(ba->status, MH_BA_AUTH_FAIL);
	cr_assert_eq(ba->seq, seq);
	cr_assert_eq(ba->lifetime, 0);
	cr_assert_eq(ba->present, 0, "options in an unauthenticated answer: %#x", ba->present);
}

Test(anchor, unknown_nai_146_bare)
{
	struct bu b = bu_default(10);
	struct mh_msg ba;
	struct snap s = take(), s2;
	uint8_t k[MH_AUTH_KEY_LEN];

	key_fill(k, 0x99);
	b.nai = "stranger@example.org";
	b.key = k;
	send_bu(&b, 0, &ba);
	assert_outsider_answer(&ba, 10);
	s2 = take();
	assert_same(&s, &s2);
}

Test(anchor, auth_failures_146_bare)
{
	struct in6_addr a = alloc_ok(10, 1, 0);
	struct snap s = take(), s2;
	struct mh_msg ba;
	uint8_t k[MH_AUTH_KEY_LEN];
	struct bu b;

	(void)a;
	b = bu_default(11);
	b.omit = NO_AUTH;
	send_bu(&b, 0, &ba);
	assert_outsider_answer(&ba, 11);

	b = bu_default(12);
	b.spi = SPI2;
	send_bu(&b, 0, &ba);
	assert_outsider_answer(&ba, 12); /* SPI mismatch */

	b = bu_default(13);
	key_fill(k, 0x11);
	b.key = k;
	send_bu(&b, 0, &ba);
	assert_outsider_answer(&ba, 13); /* wrong key */

	b = bu_default(14);
	b.flip_mac = 1;
	send_bu(&b, 0, &ba);
	assert_outsider_answer(&ba, 14); /* damaged MAC */

	/* a MAC made for another HoA (HNP ::) does not cover a refresh of a */
	b = bu_default(15);
	b.key = idents[1].key; /* NAI1 with NAI2's key */
	send_bu(&b, 0, &ba);
	assert_outsider_answer(&ba, 15);

	s2 = take();
	assert_same(&s, &s2);
}

/* An outsider cannot tell an unknown NAI from a known one with a bad MAC:
 * the answers are the same bytes. */
Test(anchor, unknown_nai_and_bad_mac_answer_alike)
{
	uint8_t unknown[MH_MAX_LEN], badmac[MH_MAX_LEN], k[MH_AUTH_KEY_LEN];
	struct bu b = bu_default(77);
	struct mh_msg ba;
	size_t n1;

	key_fill(k, 0x99);
	b.nai = "stranger@example.org";
	b.key = k;
	send_bu(&b, 0, &ba);
	memcpy(unknown, last_buf, last_len);
	n1 = last_len;

	b = bu_default(77);
	b.flip_mac = 1;
	send_bu(&b, 0, &ba);
	memcpy(badmac, last_buf, last_len);
	cr_assert_eq(last_len, n1);
	cr_assert_eq(memcmp(unknown, badmac, n1), 0, "the answers differ");
}

Test(anchor, coa_checks_174)
{
	struct snap s = take(), s2;
	struct mh_msg ba;
	struct bu b = bu_default(10);

	b.omit = NO_ALTCOA;
	b.coa = COA1; /* MAC over the packet source then */
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, ANCHOR_BA_INVALID_COA);
	/* not signed: the sender is not shown to be at the CoA the MAC covers,
	 * and a signed answer echoing a copied BU would be one the host takes */
	cr_assert_not(ba.present & MH_HAS_AUTH, "174 for a source mismatch signed");
	cr_assert_not(ba.present & MH_HAS_REPLAY, "174 for a source mismatch echoes the timestamp");

	b = bu_default(11);
	b.src = COA2; /* Alternate CoA says COA1 */
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, ANCHOR_BA_INVALID_COA);
	cr_assert_not(ba.present & MH_HAS_AUTH, "174 for a source mismatch signed");
	cr_assert_not(ba.present & MH_HAS_REPLAY, "174 for a source mismatch echoes the timestamp");
	s2 = take();
	assert_same(&s, &s2);
}

static const char *local_addr = "2001:db8:5::1";

static int fake_is_local(void *arg, const struct in6_addr *a)
{
	struct in6_addr l = A(local_addr);

	(*(unsigned *)arg)++;
	return memcmp(a, &l, sizeof l) == 0;
}

/* Every care-of address that is not a global unicast address outside the
 * anchor's pool and addresses gets 174, authenticated, and changes nothing:
 * not for a new binding, and not for a move of a live one. */
Test(anchor, bad_coa_174)
{
	static const char *const bad[] = {
		"::", "::1", "::ffff:192.0.2.1", "::192.0.2.1", "100::1", "fe80::1",
		"fec0::1", "ff02::1", "ff0e::1", "4000::1", "e000::1",
		A_ADDR,                 /* the anchor's address */
		"2001:db8:c4a::99",     /* in the pool, bound to nobody */
		"2001:db8:c4a::",       /* the pool's Subnet-Router anycast */
		"2001:db8:5::1",        /* an address of the anchor's host */
	};
	struct in6_addr a = alloc_ok(1, 1, 0);
	char txt[INET6_ADDRSTRLEN];
	unsigned local_calls = 0;
	struct snap s, s2;
	struct mh_msg ba;
	uint16_t seq = 2;

	an.is_local = fake_is_local;
	an.is_local_arg = &local_calls;
	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	s = take();
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		for (int move = 0; move < 2; move++) {
			struct bu b = bu_default(seq);

			b.coa = bad[i];
			b.bid = move ? 1 : 2;
			b.hnp = move ? txt : NULL;
			if (!strcmp(bad[i], "::") || !strncmp(bad[i], "ff", 2)) {
				/* from no single node: dropped, not answered */
				uint8_t buf[MH_MAX_LEN];

				cr_assert_eq(send_raw(buf, build(&b, buf), bad[i], 0, &ba), 0,
					     "CoA %s answered", bad[i]);
				seq++;
				continue;
			}
			send_bu(&b, 0, &ba);
			cr_assert_eq(ba.status, ANCHOR_BA_INVALID_COA, "CoA %s (%s): %u", bad[i],
				     move ? "move" : "new", ba.status);
			assert_ba_auth(&ba, idents[0].key, bad[i]);
			cr_assert_not(ba.present & MH_HAS_HNP);
			seq++;
		}
	}
	cr_assert_gt(local_calls, 0, "the host's addresses were asked about");
	s2 = take();
	/* the identity's last timestamp/seq are those of the first BU still */
	assert_same(&s, &s2);
}

Test(anchor, good_coa_accepted)
{
	static const char *const good[] = { "2001:db8:7::1", "fd00:db8::1", "3fff::1" };
	uint16_t seq = 1;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct bu b = bu_default(seq);
		struct mh_msg ba;

		b.coa = good[i];
		b.bid = (uint16_t)(i + 1);
		send_bu(&b, 0, &ba);
		cr_assert_eq(ba.status, 0, "CoA %s: %u", good[i], ba.status);
		seq++;
	}
	cr_assert_eq(an.bc.count, 3);
}

Test(anchor, coa_check_direct)
{
	struct in6_addr dst = A("2001:db8:cb::1"), c = A(COA1), h = A("2001:db8:c4a::5");

	cr_assert_eq(anchor_coa_check(&an, &c, &dst, NULL), ANCHOR_COA_OK);
	cr_assert_eq(anchor_coa_check(&an, &dst, &dst, NULL), ANCHOR_COA_INVALID,
		     "the address the BU came to");
	cr_assert_eq(anchor_coa_check(&an, &cfg.address, &dst, NULL), ANCHOR_COA_INVALID,
		     "the configured anchor address, the BU sent elsewhere");
	cr_assert_eq(anchor_coa_check(&an, &h, &dst, &h), ANCHOR_COA_IS_HOA);
	cr_assert_eq(anchor_coa_check(&an, &h, &dst, NULL), ANCHOR_COA_INVALID);
}

/* RFC 6275 §9.5.1: CoA = the binding's home address deletes the binding */
Test(anchor, coa_equal_to_hoa_deregisters)
{
	struct in6_addr a = alloc_ok(10, 1, 0);
	char txt[INET6_ADDRSTRLEN];
	struct mh_msg ba;
	struct bu b = bu_default(11);

	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	b.hnp = txt;
	b.coa = txt;
	b.lifetime = 100;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, 0);
	cr_assert_eq(ba.lifetime, 0, "deleted, not granted");
	cr_assert_eq(memcmp(&ba.hnp, &a, 16), 0);
	assert_ba_auth(&ba, idents[0].key, txt);
	cr_assert_eq(an.bc.count, 0);
	cr_assert_eq(ft.binds, 1, "the tunnel never pointed at the home address");
	cr_assert_eq(ft.unbinds, 1);
	cr_assert_not(pool_is_allocated(&an.pool, &a));

	/* the same by (NAI, BID) with HNP :: */
	a = alloc_ok(12, 4, 0);
	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	b = bu_default(13);
	b.bid = 4;
	b.coa = txt;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, 0);
	cr_assert_eq(ba.lifetime, 0);
	cr_assert_eq(an.bc.count, 0);
}

Test(anchor, replay_145)
{
	uint8_t buf[MH_MAX_LEN];
	struct mh_msg ba;
	struct snap s, s2;
	struct bu b = bu_default(10);
	size_t len;

	len = build(&b, buf);
	cr_assert_gt(send_raw(buf, len, COA1, 0, &ba), 0);
	cr_assert_eq(ba.status, 0);
	s = take();

	/* the very same bytes again */
	cr_assert_gt(send_raw(buf, len, COA1, 0, &ba), 0);
	cr_assert_eq(ba.status, MH_BA_MESG_ID_REQD);
	cr_assert_eq(ba.replay_ts, ntp0, "the anchor's time");
	assert_ba_auth(&ba, idents[0].key, COA1);

	b = bu_default(11);
	b.omit = NO_REPLAY;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_MESG_ID_REQD, "missing");
	cr_assert(ba.present & MH_HAS_REPLAY);
	cr_assert_eq(ba.replay_ts, ntp0);

	b = bu_default(12);
	b.ts_ms = -7010;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_MESG_ID_REQD, "too old");

	b = bu_default(13);
	b.ts_ms = 7010;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_MESG_ID_REQD, "too far ahead");

	b = bu_default(14);
	b.ts_ms = 50; /* in the window but older than the accepted 100 */
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_MESG_ID_REQD, "not newer");

	s2 = take();
	assert_same(&s, &s2);

	b = bu_default(15);
	b.ts_ms = 6999;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, 0, "edge of the window");
}

/* BU number 10 accepted while our clock ran a day ahead, then the clock
 * set right; the BU as sent is left in buf, its length returned */
static size_t accepted_a_day_ahead(uint8_t buf[MH_MAX_LEN])
{
	struct mh_msg ba;
	struct bu b;
	size_t len;

	rt0.tv_sec += 86400;
	b = bu_default(10);
	b.ts_ms = 86400000 + 100;
	len = build(&b, buf);
	cr_assert_gt(send_raw(buf, len, COA1, 0, &ba), 0);
	cr_assert_eq(ba.status, 0, "accepted on the clock a day ahead");
	rt0.tv_sec -= 86400;
	return len;
}

/* Our clock a day ahead while a BU is accepted (its timestamp then in
 * the window), then set right: the next BU, with a newer number and a
 * timestamp on the right clock, is accepted. The accepted one's timestamp
 * was kept as the least for the identity, and every BU was refused (145)
 * for a day. A copy of an earlier BU is still refused, by its number. */
Test(anchor, a_clock_set_back_keeps_no_timestamp_ahead_of_it_as_the_least)
{
	uint8_t buf[MH_MAX_LEN];
	struct mh_msg ba;
	struct bu b;
	size_t len;

	len = accepted_a_day_ahead(buf);
	b = bu_default(11);
	b.ts_ms = 200;
	send_bu(&b, 1000, &ba);
	cr_assert_eq(ba.status, 0, "the clock set right: status %u", ba.status);
	cr_assert_eq(an.ids[0].last_ts, ntp_plus(200));
	/* the first BU again, and one with its number and a timestamp in
	 * the window: refused */
	cr_assert_gt(send_raw(buf, len, COA1, 2000, &ba), 0);
	cr_assert_neq(ba.status, 0, "a copy of the BU of the day-ahead clock");
	b = bu_default(10);
	b.ts_ms = 300;
	send_bu(&b, 2500, &ba);
	cr_assert_eq(ba.status, MH_BA_SEQ_OUT_OF_WINDOW, "an old number: status %u", ba.status);
	/* and the floor holds again on the right clock */
	b = bu_default(12);
	b.ts_ms = 150;
	send_bu(&b, 3000, &ba);
	cr_assert_eq(ba.status, MH_BA_MESG_ID_REQD, "not newer than the last accepted");
}

/* The floor waived (our clock set back after a day ahead), a BU whose
 * number passes for newer only modulo 2^16 (one captured 32768 or more
 * updates ago, from an old care-of address, its timestamp in the window
 * of the clock set back to its time) is refused with 135 naming the last
 * accepted number, and moves nothing; the host's next number is taken.
 * With the number checked as newer alone, the capture was accepted and
 * the binding moved to the old care-of address. */
Test(anchor, a_clock_set_back_takes_only_a_number_just_above_the_last)
{
	uint8_t buf[MH_MAX_LEN];
	struct mh_msg ba;
	struct bu b;

	(void)accepted_a_day_ahead(buf);
	b = bu_default((uint16_t)(10 + 30000));
	b.coa = COA2;
	b.ts_ms = 200;
	send_bu(&b, 1000, &ba);
	cr_assert_eq(ba.status, MH_BA_SEQ_OUT_OF_WINDOW, "a capture far above: status %u",
		     ba.status);
	cr_assert_eq(ba.seq, 10, "the last accepted number");
	cr_assert_eq(an.ids[0].last_seq, 10);
	cr_assert_eq(ft.binds, 1, "the capture moved the binding");
	/* the edge of the span, and the host's own next BU */
	b = bu_default((uint16_t)(10 + ANCHOR_WAIVED_SEQ_SPAN + 1));
	b.ts_ms = 300;
	send_bu(&b, 1100, &ba);
	cr_assert_eq(ba.status, MH_BA_SEQ_OUT_OF_WINDOW, "past the span: status %u", ba.status);
	b = bu_default((uint16_t)(10 + ANCHOR_WAIVED_SEQ_SPAN));
	b.ts_ms = 400;
	send_bu(&b, 1200, &ba);
	cr_assert_eq(ba.status, 0, "the edge of the span: status %u", ba.status);
	/* the floor holds again: the span no longer bounds the number */
	b = bu_default((uint16_t)(10 + ANCHOR_WAIVED_SEQ_SPAN + 1000));
	b.ts_ms = 500;
	send_bu(&b, 1300, &ba);
	cr_assert_eq(ba.status, 0, "the clock right, any newer number: status %u", ba.status);
}

Test(anchor, sequence_135)
{
	struct mh_msg ba;
	struct snap s, s2;
	struct bu b;

	alloc_ok(100, 1, 0);
	s = take();
	b = bu_default(100);
	b.ts_ms = 5000;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_SEQ_OUT_OF_WINDOW, "equal");
	cr_assert_eq(ba.seq, 100, "last accepted");
	assert_ba_auth(&ba, idents[0].key, COA1);

	b = bu_default((uint16_t)(100 + 32768));
	b.ts_ms = 5001;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_SEQ_OUT_OF_WINDOW, "half a window ahead is behind");
	cr_assert_eq(ba.seq, 100);
	s2 = take();
	assert_same(&s, &s2);

	/* wrap-around: 65535 -> 0 is newer */
	b = bu_default((uint16_t)(100 + 32767));
	b.ts_ms = 5002;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, 0);
}

/* NAI1's BU seq from coa (bid 1, allocation) with timestamp ts_ms at
 * now_ms: the BA's status */
static uint8_t from_coa(uint16_t seq, const char *coa, int64_t ts_ms, uint64_t now_ms)
{
	struct bu b = bu_default(seq);
	struct mh_msg ba;

	b.coa = coa;
	b.ts_ms = ts_ms;
	send_bu(&b, now_ms, &ba);
	return ba.status;
}

/* One identity configured on two hosts: each host's BUs are numbered
 * behind the other's last accepted one in turn (135), and the binding
 * goes to whichever sent last. The anchor says so once the two care-of
 * addresses have each been behind the other; before, nothing said it.
 * One BU behind from another address (a host that lost its numbering
 * there) is not enough. */
Test(anchor, one_identity_on_two_hosts_is_said)
{
	static char buf[1 << 16];
	const char *needle = "sends from " COA1 " and from " COA2 ", each numbered behind the other";
	size_t n;

	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	cr_assert_eq(from_coa(10, COA1, 100, 1000), 0, "host A allocates");
	cr_assert_eq(from_coa(5, COA2, 200, 2000), MH_BA_SEQ_OUT_OF_WINDOW, "host B is behind");
	cr_assert_eq(from_coa(9, COA1, 250, 2500), MH_BA_SEQ_OUT_OF_WINDOW,
		     "host A's own copy: no other address");
	cr_assert_eq(from_coa(11, COA2, 300, 3000), 0, "host B resynced: the binding is B's");
	fflush(stderr);
	n = fread(buf, 1, sizeof buf - 1, cr_get_redirected_stderr());
	buf[n] = '\0';
	cr_assert_null(strstr(buf, "each numbered behind"), "not yet: %s", buf);
	cr_assert_eq(from_coa(7, COA1, 400, 4000), MH_BA_SEQ_OUT_OF_WINDOW, "host A is behind");
	fflush(stderr);
	n = fread(buf, 1, sizeof buf - 1, cr_get_redirected_stderr());
	buf[n] = '\0';
	cr_assert(strstr(buf, needle), "said: %s", buf);
	cr_assert(strstr(buf, "identity " NAI1 " sends"), "names the identity: %s", buf);
}

/* The pure decision: only an alternation within ANCHOR_TWIN_WINDOW_MS */
Test(anchor, twin_needs_each_behind_the_other_in_the_window)
{
	struct anchor_ident st;
	struct in6_addr x = A(COA1), y = A(COA2), z = A("2001:db8:3::300");

	anchor_ident_init(&st);
	cr_assert_eq(anchor_twin(&st, &x, 0), 0, "no accepted CoA yet");
	st.has_last_coa = 1;
	st.last_coa = x;
	cr_assert_eq(anchor_twin(&st, &x, 0), 0, "the same address");
	cr_assert_eq(anchor_twin(&st, &y, 10), 0, "y behind x once");
	st.last_coa = z;
	cr_assert_eq(anchor_twin(&st, &x, 20), 0, "x behind z: not the same pair");
	st.last_coa = y;
	cr_assert_eq(anchor_twin(&st, &x, 30), 0, "x behind y, but the last was x behind z");
	st.last_coa = x;
	cr_assert_eq(anchor_twin(&st, &y, 40), 1, "y behind x after x behind y");
	st.last_coa = y;
	cr_assert_eq(anchor_twin(&st, &x, 40 + ANCHOR_TWIN_WINDOW_MS + 1), 0, "too late");
}

Test(anchor, missing_hnp_158)
{
	struct mh_msg ba;
	struct snap s = take(), s2;
	struct bu b = bu_default(10);

	b.omit = NO_HNP;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_MISSING_HNP);
	s2 = take();
	assert_same(&s, &s2);
}

Test(anchor, allocation_without_bid_128)
{
	struct mh_msg ba;
	struct snap s = take(), s2;
	struct bu b = bu_default(10);

	b.omit = NO_BID;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_UNSPECIFIED);
	b = bu_default(11);
	b.bid = 0;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_UNSPECIFIED);
	s2 = take();
	assert_same(&s, &s2);
}

Test(anchor, quota_130)
{
	struct mh_msg ba;
	struct snap s, s2;
	struct bu b;

	char line[4096];
	size_t n;

	for (uint16_t i = 0; i < 4; i++)
		alloc_ok((uint16_t)(10 + i), (uint16_t)(1 + i), 0);
	s = take();
	b = bu_default(20);
	b.bid = 9;
	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_INSUFFICIENT_RESOURCES);
	/* the log names the identity and the setting to look at */
	fflush(stderr);
	n = fread(line, 1, sizeof line - 1, cr_get_redirected_stderr());
	line[n] = '\0';
	cr_assert(strstr(line, "identity " NAI1 " holds max-bindings 4 binding(s): a new one is "
			       "refused with status 130"), "%s", line);
	cr_assert_not(ba.present & MH_HAS_HNP);
	s2 = take();
	assert_same(&s, &s2);
	/* the other identity has its own quota */
	b = bu_default(1);
	b.nai = NAI2;
	b.spi = SPI2;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, 0);
}

Test(anchor, tunnel_failure_130_changes_nothing)
{
	struct mh_msg ba;
	struct snap s, s2;
	struct bu b = bu_default(10);
	char line[4096];
	size_t n;

	s = take();
	ft.fail_bind = 1;
	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_INSUFFICIENT_RESOURCES);
	s2 = take();
	assert_same(&s, &s2);
	fflush(stderr);
	n = fread(line, 1, sizeof line - 1, cr_get_redirected_stderr());
	line[n] = '\0';
	cr_assert(strstr(line, "binding for identity " NAI1 ":"), "names the NAI: %s", line);
}

/* The two other lines of a binding the tunnel refuses, a move of a CHA
 * binding and the reclaim of an address held after a crash: each names the
 * identity (its NAI), not its index in the configuration ("identity 0") */
Test(anchor, a_move_and_a_reclaim_the_tunnel_refuses_name_the_identity)
{
	static char buf[1 << 14];
	struct mh_msg ba;
	struct bu b;
	struct in6_addr a = alloc_ok(10, 1, 0);
	char txt[INET6_ADDRSTRLEN];
	size_t n;

	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	ft.fail_bind = 1;
	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	b = bu_default(11);
	b.hnp = txt;
	b.coa = COA2;
	send_bu(&b, 1000, &ba);
	cr_assert_eq(ba.status, MH_BA_INSUFFICIENT_RESOURCES, "the move: %u", ba.status);
	anchor_hold_after_crash(&an, 0);
	b = bu_default(12);
	b.hnp = "2001:db8:c4a::99";
	b.bid = 9;
	send_bu(&b, 2000, &ba);
	cr_assert_eq(ba.status, MH_BA_INSUFFICIENT_RESOURCES, "the reclaim: %u", ba.status);
	fflush(stderr);
	n = fread(buf, 1, sizeof buf - 1, cr_get_redirected_stderr());
	buf[n] = '\0';
	cr_assert(strstr(buf, "tunnel bind for identity " NAI1 " failed"), "the move: %s", buf);
	cr_assert(strstr(buf, "cha_reclaim: binding for identity " NAI1 ":"), "the reclaim: %s",
		  buf);
}

Test(anchor, not_bound_to_this_identity_133)
{
	struct mh_msg ba;
	struct snap s, s2;
	struct bu b;
	struct in6_addr a = alloc_ok(10, 1, 0);
	char txt[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	s = take();
	b = bu_default(1);
	b.nai = NAI2;
	b.spi = SPI2;
	b.hnp = txt; /* NAI1's address */
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_NOT_HA_FOR_MN);
	assert_ba_auth(&ba, idents[1].key, COA1);

	/* outside the pool; the anchor's own address; bound to nobody, but BID
	 * 1 names NAI1's address; no BID; deregistering what is not bound */
	cr_assert_eq(named_status(11, "2001:db8:c4b::99", 1, 100), MH_BA_NOT_HA_FOR_MN);
	cr_assert_eq(named_status(12, A_ADDR, 1, 100), MH_BA_NOT_HA_FOR_MN);
	cr_assert_eq(named_status(13, "2001:db8:c4a::99", 1, 100), MH_BA_NOT_HA_FOR_MN);
	cr_assert_eq(named_status(14, "2001:db8:c4a::99", 0, 100), MH_BA_NOT_HA_FOR_MN);
	cr_assert_eq(named_status(15, "2001:db8:c4a::99", 2, 0), MH_BA_NOT_HA_FOR_MN);
	s2 = take();
	/* every one of these was rejected: nothing may have changed */
	assert_same(&s, &s2);
}

/* The anchor lost a binding (killed before saving it): the host's refresh
 * of that free, held pool address gets it back, keyed by its BID */
Test(anchor, refresh_of_a_lost_binding_takes_it_back)
{
	struct mh_msg ba;
	struct bu b = bu_default(10);
	struct in6_addr lost = A("2001:db8:c4a::99"), got;
	const struct binding *bd;
	char line[4096];
	size_t n;

	anchor_hold_after_crash(&an, 0);
	b.hnp = "2001:db8:c4a::99";
	b.bid = 9;
	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	send_bu(&b, 1000, &ba);
	cr_assert_eq(ba.status, MH_BA_ACCEPTED, "status %u", ba.status);
	cr_assert_eq(memcmp(&ba.hnp, &lost, 16), 0);
	/* the line names the identity (its NAI), not its index in the file */
	fflush(stderr);
	n = fread(line, 1, sizeof line - 1, cr_get_redirected_stderr());
	line[n] = '\0';
	cr_assert(strstr(line, "given back to identity " NAI1 " (BID 9)"), "%s", line);
	cr_assert_eq(ba.lifetime, 100);
	assert_ba_auth(&ba, idents[0].key, COA1);
	cr_assert(pool_is_allocated(&an.pool, &lost));
	cr_assert_eq(an.bc.count, 1);
	bd = bcache_find_id(&an.bc, NAI1, 9);
	cr_assert_not_null(bd);
	cr_assert_eq(memcmp(&bd->hoa, &lost, 16), 0);
	cr_assert_eq(ft.binds, 1);
	/* the allocation by (NAI, BID) finds it; another identity cannot have it */
	got = alloc_ok(11, 9, 1000);
	cr_assert_eq(memcmp(&got, &lost, 16), 0);
	b = bu_default(1);
	b.nai = NAI2;
	b.spi = SPI2;
	b.hnp = "2001:db8:c4a::99";
	send_bu(&b, 1000, &ba);
	cr_assert_eq(ba.status, MH_BA_NOT_HA_FOR_MN);
	/* the next free address is still handed out, not the reclaimed one */
	got = alloc_ok(12, 10, 1000);
	cr_assert_neq(memcmp(&got, &lost, 16), 0);
}

/* A state file that could not be read (anchor_state_load: cut short,
 * damaged, of another version) tells nothing of where the last run's
 * bindings were, which after an earlier crash's hold lie past its 4096
 * addresses: the whole pool is held, so a refresh of one far up gets it
 * back, where the hold of a crash alone reaches only ::1000 (odmagent(8)
 * Restarts) */
Test(anchor, after_a_state_not_read_a_lost_binding_anywhere_is_taken_back)
{
	struct mh_msg ba;
	struct bu b = bu_default(10);
	struct in6_addr lost = A("2001:db8:c4a::5003");

	an.state_unread = 1;
	anchor_hold_after_crash(&an, 0);
	cr_assert_eq(an.pool.held, an.pool.size, "the whole pool held");
	b.hnp = "2001:db8:c4a::5003";
	b.bid = 9;
	send_bu(&b, 1000, &ba);
	cr_assert_eq(ba.status, MH_BA_ACCEPTED, "status %u", ba.status);
	cr_assert_eq(memcmp(&ba.hnp, &lost, 16), 0);
	cr_assert_eq(an.bc.count, 1);
}

/* The whole pool held after a state not read: a new allocation, which
 * finds nothing free past the hold, takes an address from the top of the
 * pool, far from where the dense live set lay, and the rest stays held:
 * a lost binding's refresh that comes after it still gets its address
 * back, where ending the whole hold at that first allocation refused it
 * (status 133) */
Test(anchor, after_a_state_not_read_a_new_allocation_keeps_the_hold_for_the_rest)
{
	struct mh_msg ba;
	struct bu b = bu_default(12);
	struct in6_addr lost = A("2001:db8:c4a::5003"), a, top;
	uint32_t size = an.pool.size;

	an.state_unread = 1;
	anchor_hold_after_crash(&an, 0);
	cr_assert_eq(an.pool.held, size);
	a = alloc_ok(11, 20, 500);
	pool_addr_at(&an.pool, size - ANCHOR_CRASH_HOLD + 1, &top);
	cr_assert_eq(memcmp(&a, &top, 16), 0, "the first address past the hold that is left");
	cr_assert_eq(an.pool.held, size - ANCHOR_CRASH_HOLD);
	cr_assert_neq(an.hold_until_ms, 0, "still holding the rest");
	b.hnp = "2001:db8:c4a::5003";
	b.bid = 9;
	send_bu(&b, 1000, &ba);
	cr_assert_eq(ba.status, MH_BA_ACCEPTED, "status %u", ba.status);
	cr_assert_eq(memcmp(&ba.hnp, &lost, 16), 0);
}

/* Without a crash nothing was lost: a free address is nobody's to name */
Test(anchor, a_free_address_is_not_given_without_a_crash)
{
	struct snap s = take(), s2;

	cr_assert_eq(named_status(10, "2001:db8:c4a::99", 9, 100), MH_BA_NOT_HA_FOR_MN);
	s2 = take();
	assert_same(&s, &s2);
}

/* A pool the hold covers whole: the first allocation ends the hold
 * instead of refusing every host for max-lifetime */
Test(anchor, a_hold_over_the_whole_pool_ends_at_the_first_allocation)
{
	struct in6_addr a, want = A("2001:db8:c4a::1");

	anchor_fini(&an);
	setup_with(120, 4); /* 127 addresses */
	anchor_hold_after_crash(&an, 0);
	cr_assert_eq(an.pool.held, an.pool.size);
	a = alloc_ok(10, 1, 5);
	cr_assert_eq(memcmp(&a, &want, 16), 0);
	cr_assert_eq(an.hold_until_ms, 0);
	cr_assert_eq(an.pool.held, 0);
}

Test(anchor, reclaim_counts_against_the_quota)
{
	struct mh_msg ba;
	struct bu b;
	struct in6_addr lost = A("2001:db8:c4a::99");

	for (uint16_t i = 0; i < 4; i++)
		alloc_ok((uint16_t)(10 + i), (uint16_t)(1 + i), 0);
	anchor_hold_after_crash(&an, 0);
	b = bu_default(20);
	b.hnp = "2001:db8:c4a::99";
	b.bid = 30;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_INSUFFICIENT_RESOURCES);
	cr_assert_not(pool_is_allocated(&an.pool, &lost));
}

Test(anchor, refresh_and_move)
{
	struct mh_msg ba;
	struct bu b;
	struct in6_addr a = alloc_ok(10, 1, 0), coa2 = A(COA2);
	char txt[INET6_ADDRSTRLEN];
	struct binding *bd;

	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	b = bu_default(11);
	b.hnp = txt;
	b.coa = COA2;
	b.lifetime = 50;
	send_bu(&b, 30000, &ba);
	cr_assert_eq(ba.status, 0);
	cr_assert_eq(memcmp(&ba.hnp, &a, 16), 0);
	assert_ba_auth(&ba, idents[0].key, COA2);
	cr_assert_eq(ft.binds, 2);
	cr_assert_eq(memcmp(&ft.remote, &coa2, 16), 0, "tunnel follows the move");
	bd = bcache_find_hoa(&an.bc, &a);
	cr_assert_eq(memcmp(&bd->coa, &coa2, 16), 0);
	cr_assert_eq(bd->expires_ms, 30000 + 200 * 1000);
	cr_assert_eq(bd->seq, 11);
	cr_assert_eq(an.bc.count, 1);
}

/* A BU accepted for the binding of hoa from coa, with the outage option
 * when lost_ms > 0 */
static void bu_from(uint16_t seq, const char *hoa, const char *coa, int64_t lost_ms,
		    uint32_t lost_tag, uint64_t now_ms)
{
	struct mh_msg ba;
	struct bu b = bu_default(seq);

	b.hnp = hoa;
	b.coa = coa;
	b.lost_ms = lost_ms;
	b.lost_tag = lost_tag;
	send_bu(&b, now_ms, &ba);
	cr_assert_eq(ba.status, 0);
}

Test(anchor, a_move_replays_the_outage_the_bu_reports)
{
	struct in6_addr a = alloc_ok(10, 1, 0);
	char txt[INET6_ADDRSTRLEN];

	cr_assert_eq(ft.moves, 0, "a new binding is no move");
	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	bu_from(11, txt, COA1, 0, 0, 30000);
	cr_assert_eq(ft.moves, 0, "a refresh from the same CoA is no move");
	bu_from(12, txt, COA2, 45, 0, 30100);
	cr_assert_eq(ft.moves, 1, "the move replays");
	cr_assert(ft.moved_has_lost);
	cr_assert_not(ft.moved_same);
	cr_assert_eq(ft.moved_lost_ms, 45, "over the outage the host reported");
	cr_assert_eq(ft.moved_tag, 0, "no packet named");
	bu_from(13, txt, COA1, 0, 0, 30200);
	cr_assert_eq(ft.moves, 2, "back to the first CoA, an older host's BU");
	cr_assert_not(ft.moved_has_lost);
}

/*
 * A BU read 200 ms after it arrived (the anchor's agent loaded or stopped):
 * the host's loss was said at its arrival, so it is 200 ms older at the
 * reading; counted from the reading, the replay by time (the bpf and
 * kernel backends) left out the outage's first 200 ms.
 */
Test(anchor, a_bu_read_late_counts_the_loss_from_its_arrival)
{
	struct in6_addr a = alloc_ok(10, 1, 0);
	char txt[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	bu_from(11, txt, COA1, 0, 0, 30000);
	an.rx_at_ms = 30100;
	bu_from(12, txt, COA2, 45, 0, 30300);
	an.rx_at_ms = 0;
	cr_assert_eq(ft.moves, 1, "the move replays");
	cr_assert_eq(ft.moved_lost_ms, 45 + 200, "the loss as old at the reading: %u ms",
		     ft.moved_lost_ms);
}

/*
 * The same for a loss on the same care-of address: a retransmission of the
 * BU that was replayed, read 300 ms after it arrived, names a loss from
 * before that replay. Counted from its reading the loss looked newer than
 * the replay, and the outage went out twice.
 */
Test(anchor, a_same_coa_bu_read_late_dates_its_loss_from_its_arrival)
{
	struct in6_addr a = alloc_ok(10, 1, 0);
	char txt[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	bu_from(11, txt, COA1, 45, 0, 30000);
	cr_assert_eq(ft.moves, 1, "the loss is replayed");
	an.rx_at_ms = 30100;
	bu_from(12, txt, COA1, 145, 0, 30400);
	an.rx_at_ms = 0;
	cr_assert_eq(ft.moves, 1, "its retransmission, read late, names the same loss: not again");
	bu_from(13, txt, COA1, 60, 0, 31000);
	cr_assert_eq(ft.moves, 2, "a loss after the replay is replayed");
}

/* the same CoA back after a time without carrier (odmagent(8), Replay
 * after a move): its outage is replayed, once per loss */
Test(anchor, the_same_coa_back_after_a_loss_replays_that_loss_once)
{
	struct in6_addr a = alloc_ok(10, 1, 0);
	char txt[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	bu_from(11, txt, COA1, 45, 0, 30000);
	cr_assert_eq(ft.moves, 1, "the outage the host reports is replayed");
	cr_assert(ft.moved_has_lost);
	cr_assert_eq(ft.moved_lost_ms, 45);
	cr_assert(ft.moved_same, "to the address it had");
	bu_from(12, txt, COA1, 1045, 0, 31000);
	cr_assert_eq(ft.moves, 1, "a retransmission names the same loss: not again");
	bu_from(13, txt, COA1, 0, 0, 31100);
	cr_assert_eq(ft.moves, 1, "a plain refresh replays nothing");
	bu_from(14, txt, COA1, 60, 0, 32000);
	cr_assert_eq(ft.moves, 2, "a loss after the last replay is replayed");
	bu_from(15, txt, COA2, 30, 0, 32100);
	cr_assert_eq(ft.moves, 3, "and a move as ever");
	cr_assert_not(ft.moved_same);
}

/* the last packet the host received, named in its BU, reaches the tunnel */
Test(anchor, a_move_passes_on_the_last_packet_the_host_names)
{
	struct in6_addr a = alloc_ok(10, 1, 0);
	char txt[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	bu_from(11, txt, COA2, 30, 0xc0ffee, 30000);
	cr_assert_eq(ft.moves, 1);
	cr_assert_eq(ft.moved_tag, 0xc0ffee);
}

/* The journal of deregistrations full (AJ_MAX lines) and the save that
 * would empty it failing (odmagent(8) Restarts): a further deregistration
 * is not appended, as one line more made the next run's read (aj_parse)
 * ignore all AJ_MAX there */
Test(anchor, a_full_journal_whose_save_fails_takes_no_line_more)
{
	char dir[] = "/tmp/odm-aj-XXXXXX", *path, *text, txt[INET6_ADDRSTRLEN], err[128];
	const char *l = "2001:db8:c4a::77 7 mn9@example.org\n";
	struct in6_addr a = alloc_ok(10, 1, 0);
	struct aj_entry *v = NULL;
	struct mh_msg ba;
	struct bu b = bu_default(11);
	size_t n = 0;
	ssize_t got;
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(statefile_open(&an.sf, dir, ANCHOR_STATE_FILE), 0);
	cr_assert_eq(mkdir(an.sf.tmp, 0700), 0, "saves made to fail");
	cr_assert_gt(asprintf(&path, "%s/%s", dir, ANCHOR_JOURNAL_FILE), 0);
	fd = open(path, O_RDWR | O_CREAT | O_APPEND, 0600);
	cr_assert_geq(fd, 0);
	for (int i = 0; i < AJ_MAX; i++)
		cr_assert_eq(write(fd, l, strlen(l)), (ssize_t)strlen(l));
	an.jfd = fd;
	an.jfd_open = 1;
	an.jn = AJ_MAX;
	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	b.hnp = txt;
	b.lifetime = 0;
	send_bu(&b, 100, &ba);
	cr_assert_eq(ba.status, 0);
	cr_assert_eq(an.bc.count, 0, "deregistered all the same");
	text = malloc(AJ_MAX * AJ_LINE_MAX);
	cr_assert_not_null(text);
	got = pread(fd, text, AJ_MAX * AJ_LINE_MAX, 0);
	cr_assert_gt(got, 0);
	cr_assert_eq(aj_parse(text, (size_t)got, &v, &n, err, sizeof err), 0,
		     "the next run's read: %s", err);
	cr_assert_eq(n, AJ_MAX);
	free(v);
	free(text);
	anchor_journal_close(&an);
	rmdir(an.sf.tmp);
	unlink(path);
	free(path);
	statefile_close(&an.sf);
	rmdir(dir);
}

static void dereg_ok(const struct in6_addr *a, uint16_t seq, uint16_t bid, uint64_t now_ms)
{
	char txt[INET6_ADDRSTRLEN];
	struct bu b = bu_default(seq);
	struct mh_msg ba;

	inet_ntop(AF_INET6, a, txt, sizeof txt);
	b.hnp = txt;
	b.bid = bid;
	b.lifetime = 0;
	send_bu(&b, now_ms, &ba);
	cr_assert_eq(ba.status, 0, "deregistration of %s: status %u", txt, ba.status);
}

/* The state directory made again (anchor_state_dir_made) while a save
 * begun before is under way: the journal made again holds a later
 * deregistration that save does not, and its end must not empty it
 * (odmagent(8) Restarts) */
Test(anchor, a_save_begun_before_the_journal_was_made_again_leaves_it)
{
	char dir[] = "/tmp/odm-aj-XXXXXX", *path, *reserve;
	struct odm_agent ag;
	struct in6_addr a1, a2;
	struct stat st;
	uv_loop_t loop;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(cfg.state_dir, sizeof cfg.state_dir, "%s", dir);
	cr_assert_eq(uv_loop_init(&loop), 0);
	memset(&ag, 0, sizeof ag);
	ag.anchor = &an;
	an.loop = &loop;
	cr_assert_geq(anchor_state_load(&an, 0), 0);
	cr_assert(an.jfd_open);
	cr_assert_gt(asprintf(&path, "%s/%s", dir, ANCHOR_JOURNAL_FILE), 0);
	cr_assert_gt(asprintf(&reserve, "%s/.%s.reserve", dir, ANCHOR_STATE_FILE), 0);
	a1 = alloc_ok(10, 1, 0);
	a2 = alloc_ok(11, 2, 0);
	dereg_ok(&a1, 12, 1, 0);
	anchor_state_touch(&an, 0); /* as the socket's reader does */
	cr_assert_eq(anchor_state_flush(&an, 1000, 0), 0);
	cr_assert(bgsave_busy(&an.saver), "a save under way");
	/* the directory removed and made again under it */
	cr_assert_eq(unlink(path), 0);
	anchor_state_dir_made(&ag);
	dereg_ok(&a2, 13, 2, 1000);
	anchor_state_touch(&an, 1000);
	for (int i = 0; i < 500 && bgsave_busy(&an.saver); i++) {
		usleep(10 * 1000);
		anchor_state_flush(&an, 1001, 0);
	}
	cr_assert_not(bgsave_busy(&an.saver));
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_gt(st.st_size, 0, "the journal emptied by a save without its line");
	anchor_journal_close(&an);
	statefile_close(&an.sf);
	an.loop = NULL;
	cr_assert_eq(uv_loop_close(&loop), 0);
	unlink(path);
	unlink(reserve);
	free(path);
	free(reserve);
	path = NULL;
	cr_assert_gt(asprintf(&path, "%s/%s", dir, ANCHOR_STATE_FILE), 0);
	unlink(path);
	free(path);
	cr_assert_eq(rmdir(dir), 0);
}

Test(anchor, deregistration)
{
	struct mh_msg ba;
	struct bu b;
	struct in6_addr a = alloc_ok(10, 1, 0), again;
	char txt[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	b = bu_default(11);
	b.hnp = txt;
	b.lifetime = 0;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, 0);
	cr_assert_eq(ba.lifetime, 0);
	cr_assert_not(ba.present & MH_HAS_BRA);
	cr_assert_eq(memcmp(&ba.hnp, &a, 16), 0);
	assert_ba_auth(&ba, idents[0].key, COA1);
	cr_assert_eq(an.bc.count, 0);
	cr_assert_eq(an.ids[0].nbindings, 0);
	cr_assert_eq(ft.unbinds, 1);
	cr_assert_eq(memcmp(&ft.unbound, &a, 16), 0);
	cr_assert_not(pool_is_allocated(&an.pool, &a));
	cr_assert_eq(pool_cooling_count(&an.pool), 1, "address back in the pool, cooling");
	again = alloc_ok(12, 2, 0);
	cr_assert_neq(memcmp(&again, &a, 16), 0, "the next binding gets another address");
	cr_assert_eq(anchor_next_expiry(&an), POOL_COOL_MS, "the timer wakes for the cooling");

	/* deregistering an address that is no longer bound: 133 */
	alloc_ok(13, 3, 0);
	b = bu_default(14);
	b.hnp = "2001:db8:c4a::77";
	b.lifetime = 0;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_NOT_HA_FOR_MN);
}

Test(anchor, deregistration_by_bid)
{
	struct mh_msg ba;
	struct bu b;

	alloc_ok(10, 5, 0);
	b = bu_default(11);
	b.bid = 5;
	b.lifetime = 0; /* HNP :: : "whatever (NAI, 5) holds" */
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, 0);
	cr_assert(ba.present & MH_HAS_HNP);
	assert_ba_auth(&ba, idents[0].key, COA1);
	cr_assert_eq(an.bc.count, 0);

	b = bu_default(12);
	b.bid = 5;
	b.lifetime = 0;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, 0, "nothing bound: accepted as a no-op");
	cr_assert_not(ba.present & MH_HAS_HNP);
	assert_ba_auth(&ba, idents[0].key, COA1);
}

Test(anchor, expiry)
{
	struct bu b = bu_default(10);
	struct mh_msg ba;
	struct in6_addr a;

	b.lifetime = 10; /* 40 s */
	send_bu(&b, 5000, &ba);
	cr_assert_eq(ba.status, 0);
	a = ba.hnp;
	cr_assert_eq(anchor_next_expiry(&an), 45000);
	cr_assert_eq(anchor_expire(&an, 44999), 0);
	cr_assert_eq(an.bc.count, 1);
	cr_assert_eq(anchor_expire(&an, 45000), 1);
	cr_assert_eq(an.bc.count, 0);
	cr_assert_eq(ft.unbinds, 1);
	cr_assert_not(pool_is_allocated(&an.pool, &a));
	cr_assert_eq(an.ids[0].nbindings, 0);
	cr_assert_eq(anchor_next_expiry(&an), 45000 + POOL_COOL_MS, "its address cools");
	cr_assert_eq(anchor_expire(&an, 45000 + POOL_COOL_MS), 0);
	cr_assert_eq(pool_cooling_count(&an.pool), 0);
	cr_assert_eq(anchor_next_expiry(&an), UINT64_MAX);
	/* the identity's sequence state survives the binding */
	cr_assert_eq(an.ids[0].last_seq, 10);
}

Test(anchor, refresh_postpones_expiry)
{
	struct in6_addr a = alloc_ok(10, 1, 0);
	struct in6_addr b2 = alloc_ok(11, 2, 100000);
	struct bu b = bu_default(12);
	struct mh_msg ba;
	char txt[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	b.hnp = txt;
	send_bu(&b, 300000, &ba); /* a now expires at 700 s, b2 at 500 s */
	cr_assert_eq(ba.status, 0);
	cr_assert_eq(anchor_expire(&an, 500000), 1);
	cr_assert_null(bcache_find_hoa(&an.bc, &b2));
	cr_assert_not_null(bcache_find_hoa(&an.bc, &a));
	cr_assert_eq(anchor_expire(&an, 700000), 1);
}

/* NAI2's BU seq with bid naming hnp (NULL: an allocation) at now_ms: the
 * BA's status (the BA in *ba) */
static uint8_t nai2_status(uint16_t seq, uint16_t bid, const char *hnp, uint64_t now_ms,
			   struct mh_msg *ba)
{
	struct bu b = bu_default(seq);

	b.nai = NAI2;
	b.spi = SPI2;
	b.bid = bid;
	b.hnp = hnp;
	send_bu(&b, now_ms, ba);
	return ba->status;
}

/* A refresh that comes after a binding's lifetime but before the expiry
 * timer has run keeps the binding (as if it had come a moment earlier):
 * its address stays its identity's alone, since the pool hands out only
 * what release() gave back with the binding, its tunnel entry and route.
 * Once released, a refresh gets 133 and the address cools, to nobody. */
Test(anchor, a_refresh_late_for_the_expiry_timer_keeps_its_address_its_own)
{
	struct bu b = bu_default(10);
	struct mh_msg ba;
	struct in6_addr a, other;
	char txt[INET6_ADDRSTRLEN];

	b.lifetime = 10; /* 40 s */
	send_bu(&b, 5000, &ba);
	a = ba.hnp;
	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	/* at 45000 its lifetime is over; anchor_expire has not run */
	cr_assert_eq(nai2_status(1, 1, NULL, 45000, &ba), 0);
	other = ba.hnp;
	cr_assert_neq(memcmp(&other, &a, 16), 0, "the expired binding's address went to another");
	cr_assert_eq(nai2_status(2, 2, txt, 45000, &ba), MH_BA_NOT_HA_FOR_MN,
		     "another identity took it over");
	b = bu_default(11);
	b.hnp = txt;
	b.lifetime = 10;
	b.coa = COA2;
	send_bu(&b, 45000, &ba);
	cr_assert_eq(ba.status, 0, "its own refresh keeps it");
	cr_assert_eq(bcache_find_hoa(&an.bc, &a)->expires_ms, 85000);
	cr_assert_eq(anchor_expire(&an, 45000), 0);
	cr_assert(pool_is_allocated(&an.pool, &a));
	cr_assert_eq(ft.unbinds, 0);
	cr_assert_eq(an.bc.count, 2);
	/* released at its new end: tunnel entry and address together */
	cr_assert_eq(anchor_expire(&an, 85000), 1);
	cr_assert_null(bcache_find_hoa(&an.bc, &a));
	cr_assert_eq(ft.unbinds, 1);
	cr_assert(pool_is_cooling(&an.pool, &a));
	b = bu_default(12);
	b.hnp = txt;
	send_bu(&b, 85000, &ba);
	cr_assert_eq(ba.status, MH_BA_NOT_HA_FOR_MN, "a refresh after the release");
	cr_assert_eq(nai2_status(3, 3, NULL, 85000, &ba), 0);
	cr_assert_neq(memcmp(&ba.hnp, &a, 16), 0, "a released address cools first");
}

Test(anchor, pool_exhausted_130)
{
	struct mh_msg ba;
	struct bu b;
	char line[4096];
	size_t n;

	anchor_fini(&an);
	setup_with(126, 0); /* 3 usable addresses, no quota */
	for (uint16_t i = 0; i < 3; i++)
		alloc_ok((uint16_t)(10 + i), (uint16_t)(1 + i), 0);
	b = bu_default(20);
	b.bid = 9;
	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, MH_BA_INSUFFICIENT_RESOURCES);
	cr_assert_eq(an.bc.count, 3);
	cr_assert_eq(an.ids[0].last_seq, 12);
	/* the log says which pool */
	fflush(stderr);
	n = fread(line, 1, sizeof line - 1, cr_get_redirected_stderr());
	line[n] = '\0';
	cr_assert(strstr(line, "pool 2001:db8:c4a::/126 exhausted"), "%s", line);
	cr_assert(strstr(line, "a new binding for identity " NAI1 " is refused"),
		  "the line names who asked: %s", line);
}

/* A host that asks for more of an exhausted pool as fast as it can send is
 * refused each time, and said at the rate of its identity's lines: before,
 * each refusal was a warning of its own, 590 lines for 590 BUs */
Test(anchor, pool_exhausted_said_at_a_bounded_rate)
{
	static char buf[1 << 20];
	const char *needle = "exhausted, every address bound";
	struct mh_msg ba;
	int lines = 0;
	size_t n;

	anchor_fini(&an);
	setup_with(126, 0);
	for (uint16_t i = 0; i < 3; i++)
		alloc_ok((uint16_t)(10 + i), (uint16_t)(1 + i), 0);
	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	for (uint16_t seq = 20; seq < 610; seq++) { /* 590 requests in 0.59 s */
		struct bu b = bu_default(seq);

		b.bid = seq;
		send_bu(&b, 1000 + seq, &ba);
		cr_assert_eq(ba.status, MH_BA_INSUFFICIENT_RESOURCES, "seq %u: %u", seq, ba.status);
	}
	fflush(stderr);
	n = fread(buf, 1, sizeof(buf) - 1, cr_get_redirected_stderr());
	buf[n] = '\0';
	for (const char *q = buf; (q = strstr(q, needle)); q += strlen(needle))
		lines++;
	cr_assert_geq(lines, 1, "said at all");
	cr_assert_leq(lines, ANCHOR_BU_LOG_BURST + ANCHOR_BU_LOG_RATE + 1,
		      "%d lines for 590 refusals", lines);
}

/* An authentic host's BUs, however many it sends (it holds a key, not
 * the right to fill the anchor's log), are said at info level
 * ANCHOR_BU_LOG_BURST at once and ANCHOR_BU_LOG_RATE a second; the others
 * at debug level, counted in the next line let through. Each is answered. */
Test(anchor, an_authentic_flood_of_bus_is_said_at_a_bounded_rate)
{
	static char buf[1 << 20];
	const char *needle = "anchor_handle_bu: BU nai=" NAI1 " ";
	struct mh_msg ba;
	int lines = 0;
	size_t n;

	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	for (uint16_t seq = 10; seq < 600; seq++) { /* 590 refreshes in 0.59 s */
		struct bu b = bu_default(seq);

		send_bu(&b, 1000 + seq, &ba);
		cr_assert_eq(ba.status, MH_BA_ACCEPTED, "seq %u: %u", seq, ba.status);
	}
	{ /* a second later: said, with the count */
		struct bu b = bu_default(600);

		send_bu(&b, 2700, &ba);
		cr_assert_eq(ba.status, MH_BA_ACCEPTED);
	}
	fflush(stderr);
	n = fread(buf, 1, sizeof(buf) - 1, cr_get_redirected_stderr());
	buf[n] = '\0';
	for (const char *q = buf; (q = strstr(q, needle)); q += strlen(needle))
		lines++;
	cr_assert_geq(lines, ANCHOR_BU_LOG_BURST, "%d lines", lines);
	cr_assert_leq(lines, ANCHOR_BU_LOG_BURST + ANCHOR_BU_LOG_RATE + 1,
		      "%d lines at info level for 591 BUs", lines);
	cr_assert(strstr(buf, "seq=600 coa="), "the last one said");
	cr_assert(strstr(buf, " more such line(s) since the last: debug level)"),
		  "the count of those held back");
}

/* NAI1's BU naming hnp from coa with lifetime, at now_ms: accepted */
static void bu_accepted(uint16_t seq, const char *hnp, const char *coa, uint16_t lifetime,
			uint64_t now_ms, struct mh_msg *ba)
{
	struct bu b = bu_default(seq);

	b.hnp = hnp;
	b.coa = coa;
	b.lifetime = lifetime;
	send_bu(&b, now_ms, ba);
	cr_assert_eq(ba->status, MH_BA_ACCEPTED, "seq %u: status %u", seq, ba->status);
}

/* stderr redirected, info level: NAI1's allocation (seq 10, lifetime 100
 * units) at 1000 ms, its address written in txt */
static void allocated_logging(char txt[INET6_ADDRSTRLEN])
{
	struct in6_addr a;

	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	a = alloc_ok(10, 1, 1000);
	inet_ntop(AF_INET6, &a, txt, INET6_ADDRSTRLEN);
}

/* A refresh changes nothing: a host refreshing all its bindings every few
 * minutes must not fill the log in a steady state, so it is said at debug
 * level; the allocation, a move and a deregistration at info level. */
Test(anchor, a_refresh_is_said_at_debug_level_a_move_at_info)
{
	static char buf[1 << 16];
	char txt[INET6_ADDRSTRLEN];
	struct mh_msg ba;

	allocated_logging(txt);
	bu_accepted(11, txt, COA1, 100, 2000, &ba); /* a refresh: its address, same CoA */
	bu_accepted(12, txt, COA2, 100, 3000, &ba); /* a move */
	bu_accepted(13, txt, COA2, 0, 4000, &ba);   /* the end */
	log_read(buf, sizeof buf);
	cr_assert(strstr(buf, "info: anchor_handle_bu: BU nai=" NAI1 " seq=10 "), "%s", buf);
	cr_assert_null(strstr(buf, " seq=11 "), "the refresh is said at info level: %s", buf);
	cr_assert(strstr(buf, "info: anchor_handle_bu: BU nai=" NAI1 " seq=12 coa=" COA2), "%s",
		  buf);
	cr_assert(strstr(buf, "info: anchor_handle_bu: BU nai=" NAI1 " seq=13 "), "%s", buf);
}

/* A refresh granted another lifetime than the binding had (the host's
 * lifetime, or the anchor's max-lifetime, changed by a reload) changes the
 * binding: said at info level; the next, granted the same, at debug. */
Test(anchor, a_refresh_granted_another_lifetime_is_said_at_info)
{
	static char buf[1 << 16];
	char txt[INET6_ADDRSTRLEN];
	struct mh_msg ba;

	allocated_logging(txt); /* lifetime 100 units, granted whole */
	bu_accepted(11, txt, COA1, 50, 2000, &ba); /* same CoA, a shorter lifetime */
	cr_assert_eq(ba.lifetime, 50);
	bu_accepted(12, txt, COA1, 50, 3000, &ba); /* the same again: changes nothing */
	log_read(buf, sizeof buf);
	cr_assert(strstr(buf, "info: anchor_handle_bu: BU nai=" NAI1 " seq=11 "),
		  "a new lifetime is said at debug level: %s", buf);
	cr_assert(strstr(buf, " lifetime=200s -> BA 0 (accepted) seq=11 "), "%s", buf);
	cr_assert_null(strstr(buf, " seq=12 "), "the refresh is said at info level: %s", buf);
}

Test(anchor, binding_error_and_drops)
{
	uint8_t pkt[16] = { 59, 1, 42, 0 }, reply[MH_MAX_LEN];
	/* a BU of 16 octets: no option but a PadN */
	uint8_t bu[16] = { 59, 1, MH_TYPE_BU, 0, 0, 0, 0, 7, 0x80, 0, 0, 0, 1, 2, 0, 0 };
	struct in6_addr s = A(COA1), d = A(A_ADDR);
	struct mh_msg m;
	int n;

	n = anchor_handle_bu(&an, pkt, sizeof pkt, &s, &d, 0, &rt0, reply, sizeof reply);
	cr_assert_gt(n, 0);
	cr_assert_eq(mh_decode(reply, (size_t)n, &m, NULL, NULL), 0);
	cr_assert_eq(m.type, MH_TYPE_BE);
	cr_assert_eq(m.status, MH_BE_UNKNOWN_MH);
	/* from :: or a group: no single node to tell (RFC 4443 2.4(e)) */
	s = in6addr_any;
	cr_assert_eq(anchor_handle_bu(&an, pkt, sizeof pkt, &s, &d, 0, &rt0, reply,
				      sizeof reply), 0, "a Binding Error to ::");
	s = A("ff02::1");
	cr_assert_eq(anchor_handle_bu(&an, pkt, sizeof pkt, &s, &d, 0, &rt0, reply,
				      sizeof reply), 0, "a Binding Error to ff02::1");
	s = A(COA1);
	/* nor a BA: a bare BU (no MN-ID) is answered with BA 160, but not
	 * to :: or a group */
	n = anchor_handle_bu(&an, bu, sizeof bu, &s, &d, 0, &rt0, reply, sizeof reply);
	cr_assert_gt(n, 0);
	cr_assert_eq(mh_decode(reply, (size_t)n, &m, NULL, NULL), 0);
	cr_assert_eq(m.status, MH_BA_MISSING_MNID);
	s = in6addr_any;
	cr_assert_eq(anchor_handle_bu(&an, bu, sizeof bu, &s, &d, 0, &rt0, reply, sizeof reply),
		     0, "a BA to ::");
	s = A("ff02::1");
	cr_assert_eq(anchor_handle_bu(&an, bu, sizeof bu, &s, &d, 0, &rt0, reply, sizeof reply),
		     0, "a BA to ff02::1");
	s = A(COA1);

	pkt[1] = 5; /* Header Len disagrees with the length: silently dropped */
	cr_assert_eq(anchor_handle_bu(&an, pkt, sizeof pkt, &s, &d, 0, &rt0, reply,
				      sizeof reply), 0);
	/* a BA sent to an anchor is not answered */
	memset(&m, 0, sizeof m);
	m.type = MH_TYPE_BA;
	n = mh_encode(&m, pkt, sizeof pkt, NULL, NULL, NULL, NULL, NULL);
	cr_assert_gt(n, 0);
	cr_assert_eq(anchor_handle_bu(&an, pkt, (size_t)n, &s, &d, 0, &rt0, reply,
				      sizeof reply), 0);
	cr_assert_eq(an.bc.count, 0);
}

Test(anchor, status_json)
{
	struct in6_addr a = alloc_ok(10, 3, 1000);
	char txt[INET6_ADDRSTRLEN];
	json_t *st = anchor_status_json(&an, 11000), *b;

	inet_ntop(AF_INET6, &a, txt, sizeof txt);
	cr_assert_not_null(st);
	cr_assert_str_eq(json_string_value(json_object_get(st, "role")), "anchor");
	cr_assert_str_eq(json_string_value(json_object_get(st, "mode")), "cha");
	cr_assert_str_eq(json_string_value(json_object_get(st, "address")), A_ADDR);
	cr_assert_str_eq(json_string_value(json_object_get(st, "pool")), "2001:db8:c4a::/64");
	cr_assert_eq(json_array_size(json_object_get(st, "bindings")), 1);
	b = json_array_get(json_object_get(st, "bindings"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(b, "nai")), NAI1);
	cr_assert_str_eq(json_string_value(json_object_get(b, "hoa")), txt);
	cr_assert_str_eq(json_string_value(json_object_get(b, "coa")), COA1);
	cr_assert_eq(json_integer_value(json_object_get(b, "lifetime_left")), 390);
	cr_assert_eq(json_integer_value(json_object_get(b, "seq")), 10);
	cr_assert_eq(json_integer_value(json_object_get(b, "bid")), 3);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(st, "tunnel"),
							    "backend")), "fake");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(st, "tunnel"),
							 "dropped")), 7);
	json_decref(st);
}

/* Start again with the given answer rate limit */
static void restart_with_rate(uint32_t rate, uint32_t burst)
{
	anchor_fini(&an);
	cfg.answer_rate = rate;
	cfg.answer_burst = burst;
	cr_assert_eq(anchor_init(&an, &cfg, &tun), 0);
}

/* Answers to BUs not shown authentic and fresh, and Binding Errors, share
 * one token bucket; an authentic fresh BU is answered whatever the bucket
 * holds. */
/* The host's BU number seq with its clock off by off_ms: its bytes in buf */
static size_t build_clock_off(uint16_t seq, int64_t off_ms, uint8_t *buf)
{
	struct bu b = bu_default(seq);

	b.ts_ms = off_ms;
	return build(&b, buf);
}

/* The host's BU seq (into ok) accepted at t, then its next with its clock
 * 10 s off (into off) told the anchor's at t_off (145): their lengths */
static void accepted_then_clock_off(uint16_t seq, uint64_t t, uint64_t t_off, uint8_t *ok,
				    size_t *ok_len, uint8_t *off, size_t *off_len)
{
	struct bu b = bu_default(seq);
	struct mh_msg ba;

	*ok_len = build(&b, ok);
	cr_assert_gt(send_raw(ok, *ok_len, COA1, t, &ba), 0);
	cr_assert_eq(ba.status, 0, "accepted BAs take no token");
	*off_len = build_clock_off((uint16_t)(seq + 1), -10000, off);
	cr_assert_gt(send_raw(off, *off_len, COA1, t_off, &ba), 0);
	cr_assert_eq(ba.status, MH_BA_MESG_ID_REQD);
}

/* The lines the answers to unverified senders cause are held to
 * ANCHOR_UNVERIFIED_LOG_BURST at once and ANCHOR_UNVERIFIED_LOG_RATE a
 * second, whatever answer-rate allows: a flood of forged BUs at an
 * answer-rate of 1000 wrote a line at info level for each of its 1000
 * answers a second, for as long as it lasted. The others go at debug
 * level, counted in the next line let through. Binding Errors share it. */
Test(anchor, lines_of_unverified_answers_are_held_to_a_rate)
{
	static char out[1 << 16];
	uint8_t be[16] = { 59, 1, 42, 0 }, reply[MH_MAX_LEN];
	struct in6_addr src = A(COA1), dst = A(A_ADDR);
	unsigned answered = 0;

	restart_with_rate(1000, 1000);
	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	/* 2000 forged BUs over 2 s: every one answered */
	for (unsigned i = 0; i < 2000; i++) {
		uint8_t buf[MH_MAX_LEN];
		struct bu b = bu_default((uint16_t)i);
		size_t len;

		b.flip_mac = 1;
		len = build(&b, buf);
		answered += anchor_handle_bu(&an, buf, len, &src, &dst, 1000 + i, &rt0, reply,
					     sizeof reply) > 0;
	}
	cr_assert_eq(answered, 2000, "answer-rate 1000 answers them all");
	cr_assert_gt(anchor_handle_bu(&an, be, sizeof be, &src, &dst, 3000, &rt0, reply,
				      sizeof reply), 0, "a Binding Error is sent");
	log_read(out, sizeof(out));
	/* 10 at once, then one a second: the BU at 2000 ms, the BE at 3000 */
	cr_assert_eq(log_count(out, "info: anchor_handle_bu: BU nai=mn1@example.org "), 11,
		     "%s", out);
	cr_assert(strstr(out, "seq=1000 hoa=- lifetime=0s (and 990 more such line(s) since the last: debug level)"), "%s",
		  out);
	cr_assert(strstr(out, "info: binding_error: MH type 42 from 2001:db8:1::100: Binding "
			      "Error status 2 (and 999 more such line(s) since the last: debug "
			      "level)"), "%s", out);
}

Test(anchor, answers_to_unverified_messages_are_rate_limited)
{
	uint8_t be[16] = { 59, 1, 42, 0 }, reply[MH_MAX_LEN];
	struct in6_addr src = A(COA1), dst = A(A_ADDR);
	unsigned answered = 0;
	struct mh_msg ba;
	struct bu b;
	int n;

	restart_with_rate(10, 5);

	/* 5000 forged BUs over 2 s: at most 10/s * 2 s + 5 answers */
	for (unsigned i = 0; i < 5000; i++) {
		uint8_t buf[MH_MAX_LEN];
		size_t len;

		b = bu_default((uint16_t)i);
		b.flip_mac = 1;
		len = build(&b, buf);
		n = anchor_handle_bu(&an, buf, len, &src, &dst, 1000 + i * 2000 / 5000, &rt0,
				     reply, sizeof reply);
		cr_assert_geq(n, 0);
		answered += n > 0;
	}
	cr_assert_leq(answered, 10 * 2 + 5, "%u answers", answered);
	cr_assert_geq(answered, 10 * 2 + 5 - 1, "the bucket was used: %u", answered);
	cr_assert_eq(an.cnt.limited, 5000 - answered);

	/* the bucket is empty: a Binding Error is not sent either */
	n = anchor_handle_bu(&an, be, sizeof be, &src, &dst, 2999, &rt0, reply, sizeof reply);
	cr_assert_eq(n, 0, "Binding Error despite the rate limit");
	/* the host with its key still gets through */
	{
		uint8_t buf[MH_MAX_LEN], off[MH_MAX_LEN];
		size_t len, off_len;

		/* its next BU with a clock 10 s off (authentic, not fresh) gets
		 * the anchor's clock all the same: a flood of forgeries must not
		 * keep a host with a clock off from resyncing; paced per
		 * identity instead */
		accepted_then_clock_off(1, 2999, 2999, buf, &len, off, &off_len);
		len = build_clock_off(3, -10000, buf);
		cr_assert_eq(send_raw(buf, len, COA1, 2999, &ba), 0, "paced");
	}
	/* 100 ms later one token is back */
	n = anchor_handle_bu(&an, be, sizeof be, &src, &dst, 3100, &rt0, reply, sizeof reply);
	cr_assert_gt(n, 0, "no Binding Error after the refill");
}

/* A replayed BU (145) is answered at most once per ANCHOR_STALE_GAP_MS per
 * identity, and takes no token of the bucket for unverified senders */
/* The host's stale BU seq (its clock 10 s off) at t - 1, within the gap
 * since its last answer, is not answered; its next, seq + 1, at t is told
 * the anchor's clock */
static void stale_paced_at(uint16_t seq, uint64_t t)
{
	uint8_t buf[MH_MAX_LEN], reply[MH_MAX_LEN];
	struct in6_addr src = A(COA1), dst = cfg.address;
	struct mh_msg ba;
	size_t len = build_clock_off(seq, -10000, buf);

	cr_assert_eq(anchor_handle_bu(&an, buf, len, &src, &dst, t - 1, &rt0, reply, sizeof reply),
		     0, "stale BU %u answered within the gap", seq);
	len = build_clock_off((uint16_t)(seq + 1), -10000, buf);
	cr_assert_gt(send_raw(buf, len, COA1, t, &ba), 0, "stale BU %u not answered after the gap",
		     seq + 1);
	cr_assert_eq(ba.status, MH_BA_MESG_ID_REQD);
	cr_assert_eq(ba.seq, seq + 1);
}

Test(anchor, replayed_bu_answer_is_paced_per_identity)
{
	uint8_t buf[MH_MAX_LEN], reply[MH_MAX_LEN], be[16] = { 59, 1, 42, 0 };
	struct in6_addr src = A(COA1), dst = A(A_ADDR);
	size_t len;

	restart_with_rate(1, 1);
	/* the host's next BUs, its clock 10 s off */
	accepted_then_clock_off(10, 0, 10, buf, &len, buf, &len);
	stale_paced_at(12, 10 + ANCHOR_STALE_GAP_MS);
	/* the bucket's one token is still there */
	cr_assert_gt(anchor_handle_bu(&an, be, sizeof be, &src, &dst, 10 + ANCHOR_STALE_GAP_MS,
				      &rt0, reply, sizeof reply),
		     0);
	/* the same BU from another source (not the CoA it signs) goes through
	 * the bucket, now empty: a replayer elsewhere gets no clock answers */
	{
		struct in6_addr other = A(COA2);

		cr_assert_eq(anchor_handle_bu(&an, buf, len, &other, &dst,
					      10 + 3 * ANCHOR_STALE_GAP_MS, &rt0, reply,
					      sizeof reply),
			     0);
	}
}

/* Copies of a host's stale BU, sent again from its forged care-of address
 * as fast as one likes, do not take the host's place in the identity's
 * pace: its next BU (a newer sequence number) still hears the anchor's
 * clock, and the copies draw one answer per ANCHOR_STALE_GAP_MS, on a
 * pace of their own, and nothing from the bucket for unverified senders.
 * Before, every copy after each ANCHOR_STALE_GAP_MS took
 * the answer, and a host whose clock was off never learnt the anchor's. */
Test(anchor, copies_of_a_stale_bu_do_not_take_the_hosts_turn)
{
	uint8_t buf[MH_MAX_LEN], copy[MH_MAX_LEN], reply[MH_MAX_LEN];
	struct in6_addr src = A(COA1), dst = A(A_ADDR);
	struct mh_msg ba;
	size_t len, clen;
	unsigned copies = 0, answered = 0;

	restart_with_rate(1, 1);
	/* the host's clock goes 10 s off: its BU is told the anchor's */
	accepted_then_clock_off(10, 0, 5, buf, &len, copy, &clen);
	/* an attacker who captured that BU (and the accepted one) sends them
	 * again from the host's address, every ms; the host's next BU (its
	 * retransmission, a newer number) comes at 1005 ms, after a copy */
	for (uint64_t t = 6; t <= 1005; t++) {
		const uint8_t *c = t % 2 ? copy : buf;
		size_t cl = t % 2 ? clen : len;

		copies++;
		answered += anchor_handle_bu(&an, c, cl, &src, &dst, t, &rt0, reply,
					     sizeof reply) > 0;
	}
	len = build_clock_off(12, -9000, buf);
	cr_assert_gt(send_raw(buf, len, COA1, 1005, &ba), 0, "the host's BU got no answer");
	cr_assert_eq(ba.status, MH_BA_MESG_ID_REQD);
	cr_assert_eq(ba.seq, 12, "the answer echoes the host's BU");
	/* their own pace (ANCHOR_PACED_OLD) over 1 s: one per gap */
	cr_assert_leq(answered, 1 + 1000 / ANCHOR_STALE_GAP_MS, "%u of %u copies answered",
		      answered, copies);
	/* and none of the bucket for unverified senders */
	cr_assert_gt(anchor_handle_bu(&an, (const uint8_t[16]){ 59, 1, 42, 0 }, 16, &src, &dst,
				      1005, &rt0, reply, sizeof reply),
		     0, "the copies took the bucket's token");
}

/* A host that lost its numbering (a new install, no state: a random first
 * number, older than its last accepted half the time) with its clock off
 * has BUs numbered like copies: a flood of forged BUs, which keeps the
 * bucket for unverified senders empty, must not keep it from the anchor's
 * clock. Its BUs have their own pace (ANCHOR_PACED_OLD); they were left to
 * the bucket, and went unanswered as long as the flood lasted. */
Test(anchor, a_host_that_lost_its_numbering_is_told_the_clock_under_a_flood)
{
	uint8_t buf[MH_MAX_LEN], reply[MH_MAX_LEN], be[16] = { 59, 1, 42, 0 };
	struct in6_addr src = A(COA1), dst = A(A_ADDR);
	struct bu b = bu_default(1000);
	struct mh_msg ba;
	size_t len;

	restart_with_rate(1, 1);
	b.ts_ms = 0;
	send_bu(&b, 0, &ba);
	cr_assert_eq(ba.status, 0);
	/* the flood: the bucket's one token taken, the next one refused */
	cr_assert_gt(anchor_handle_bu(&an, be, sizeof be, &src, &dst, 10, &rt0, reply, sizeof reply),
		     0);
	cr_assert_eq(anchor_handle_bu(&an, be, sizeof be, &src, &dst, 11, &rt0, reply, sizeof reply),
		     0, "the bucket is empty");
	/* the host, reinstalled, starts at 200 with its clock 10 s off */
	len = build_clock_off(200, -10000, buf);
	cr_assert_gt(send_raw(buf, len, COA1, 12, &ba), 0, "the host's BU 200 got no answer");
	cr_assert_eq(ba.status, MH_BA_MESG_ID_REQD);
	cr_assert_eq(ba.seq, 200);
	/* its retransmission, a gap later, too; one within the gap is not */
	stale_paced_at(201, 12 + ANCHOR_STALE_GAP_MS);
}

/* An accepted BU ends what the stale ones seen said: the host's numbers go
 * on from it, and a stale number kept across 32768 of them would pass for
 * a newer one, and make the host's own stale BU look like a copy. */
Test(anchor, an_accepted_bu_ends_the_stale_numbers_seen)
{
	uint8_t buf[MH_MAX_LEN], off[MH_MAX_LEN], reply[MH_MAX_LEN], be[16] = { 59, 1, 42, 0 };
	struct in6_addr src = A(COA1), dst = A(A_ADDR);
	struct mh_msg ba;
	size_t len, off_len;
	uint16_t seq = 11;

	restart_with_rate(1, 1);
	accepted_then_clock_off(10, 0, 5, buf, &len, off, &off_len);
	for (int i = 1; i <= 2; i++) {
		struct bu b = bu_default((uint16_t)(seq + 30000));

		seq = b.seq;
		b.ts_ms = 100 + 100 * i;
		send_bu(&b, 10, &ba);
		cr_assert_eq(ba.status, 0, "accepted %u", seq);
	}
	/* the bucket empty: only the identity's pace can answer */
	cr_assert_gt(anchor_handle_bu(&an, be, sizeof be, &src, &dst, 20, &rt0, reply, sizeof reply),
		     0);
	/* and a copy of its stale BU 11 takes the pace of copies */
	cr_assert_gt(send_raw(off, off_len, COA1, 20 + ANCHOR_STALE_GAP_MS, &ba), 0);
	len = build_clock_off((uint16_t)(seq + 1), -10000, buf);
	cr_assert_gt(send_raw(buf, len, COA1, 20 + ANCHOR_STALE_GAP_MS, &ba), 0,
		     "the host's stale BU %u taken for a copy", seq + 1);
	cr_assert_eq(ba.status, MH_BA_MESG_ID_REQD);
}

/* A message to another address of the anchor's host is another agent's
 * (a second anchor there): dropped, unanswered, nothing changes. Each BU a
 * host sent to the other anchor used to make a binding here too. */
Test(anchor, a_bu_to_another_address_is_not_ours)
{
	uint8_t buf[MH_MAX_LEN], reply[MH_MAX_LEN], be[16] = { 59, 1, 42, 0 };
	struct in6_addr src = A(COA1), other = A("2001:db8:cb::1"), any = IN6ADDR_ANY_INIT;
	struct bu b = bu_default(10);
	struct mh_msg ba;
	struct snap s = take(), s2;
	size_t len = build(&b, buf);
	int n;

	cr_assert_eq(anchor_handle_bu(&an, buf, len, &src, &other, 0, &rt0, reply, sizeof reply),
		     0, "answered a BU sent to another anchor");
	cr_assert_eq(anchor_handle_bu(&an, be, sizeof be, &src, &other, 0, &rt0, reply,
				      sizeof reply),
		     0, "a Binding Error for a message to another anchor");
	s2 = take();
	assert_same(&s, &s2);
	cr_assert_eq(an.cnt.dropped, 2);
	cr_assert_eq(an.cnt.ba_ok + an.cnt.ba_rejected + an.cnt.be_tx, 0);
	/* where the arrival address is not known (::), the BU is taken */
	n = anchor_handle_bu(&an, buf, len, &src, &any, 0, &rt0, reply, sizeof reply);
	cr_assert_gt(n, 0);
	cr_assert_eq(mh_decode(reply, (size_t)n, &ba, NULL, NULL), 0);
	cr_assert_eq(ba.status, 0);
}

/* A host told a wrong address for the anchor (a DNS record, an RA naming
 * another address of its host) gets no answer: the anchor says so at info
 * level, naming both addresses, once per ANCHOR_OTHER_DST_LOG_MS, with the
 * count of those dropped in between. Each used to be said at debug level
 * only, and such hosts failed with nothing said at the anchor. */
Test(anchor, a_bu_to_another_address_is_said_once_a_minute)
{
	static char log[1 << 16];
	const char *needle = "info: other_dst_said: dropped MH BU (type 5) from " COA1
			     " to 2001:db8:ca::2, an address of this host that is not this "
			     "anchor's (address " A_ADDR "; ";
	uint8_t buf[MH_MAX_LEN], reply[MH_MAX_LEN];
	struct in6_addr src = A(COA1), other = A("2001:db8:ca::2");
	struct bu b = bu_default(10);
	size_t len = build(&b, buf), n;
	const char *q;
	int lines = 0;

	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	/* the anchor's own BA to a care-of address of its host, looped back,
	 * is no host's BU sent astray: not said, not counted in the line */
	cr_assert_eq(anchor_handle_bu(&an, (const uint8_t[16]){ 59, 1, MH_TYPE_BA, 0 }, 16,
				      &src, &other, 999, &rt0, reply, sizeof reply),
		     0);
	/* a host retransmitting for two minutes, 100 BUs a minute and more */
	for (uint64_t t = 1000; t < 1000 + 2 * ANCHOR_OTHER_DST_LOG_MS; t += 500)
		cr_assert_eq(anchor_handle_bu(&an, buf, len, &src, &other, t, &rt0, reply,
					      sizeof reply),
			     0, "answered a BU to another address");
	fflush(stderr);
	n = fread(log, 1, sizeof log - 1, cr_get_redirected_stderr());
	log[n] = '\0';
	for (q = log; (q = strstr(q, needle)); q += strlen(needle))
		lines++;
	cr_assert_eq(lines, 2, "%d lines for 240 BUs in 2 minutes:\n%s", lines, log);
	q = strstr(log, needle);
	cr_assert(strstr(q, "0 more BUs to other addresses since the last such line): a host "
			    "told that address for the anchor"), "%s", log);
	cr_assert(strstr(q, "name " A_ADDR " there"), "%s", log);
	/* the second line, a minute later, counts the 119 in between */
	cr_assert(strstr(strstr(q + 1, needle), "119 more BUs to other addresses"), "%s", log);
	cr_assert(!strstr(log, "info: other_dst_said: dropped MH BA"), "%s", log);
	cr_assert_eq(an.cnt.dropped, 241);
}

/* An NAI from the wire reaches the log escaped: no newline, no ESC. */
Test(anchor, wire_nai_escaped_in_the_log)
{
	static const char evil[] = "x\nodmagent[1] info: fake: granted\x1b[2J";
	struct bu b = bu_default(10);
	struct mh_msg ba;
	char line[4096];
	size_t n;
	FILE *f;

	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	b.nai = evil;
	send_bu(&b, 0, &ba);
	fflush(stderr);
	f = cr_get_redirected_stderr();
	n = fread(line, 1, sizeof line - 1, f);
	line[n] = '\0';
	cr_assert(strstr(line, "nai=x\\x0aodmagent[1] info: fake: granted\\x1b[2J "),
		  "escaped NAI not found in: %s", line);
	cr_assert_null(strchr(line, '\x1b'), "an ESC reached the log");
	cr_assert_eq(strchr(line, '\n'), line + n - 1, "more than one line: %s", line);
}

Test(anchor, answer_rate_directives)
{
	struct odm_config c;
	char err[256];
#define ANCHOR_BASE "role anchor\naddress 2001:db8:ca::1\npool 2001:db8:c4a::/64\n" \
	"identity a@example.org spi 256 key 000102030405060708090a0b0c0d0e0f\n"
	static const char ok[] = ANCHOR_BASE "answer-rate 0\nanswer-burst 100000\n";
	static const char zero[] = ANCHOR_BASE "answer-burst 0\n";
	static const char mn[] = "role mn\nanswer-rate 5\n";

	config_defaults(&c);
	cr_assert_eq(c.answer_rate, 10, "default rate");
	cr_assert_eq(c.answer_burst, 10, "default burst");
	cr_assert_eq(config_parse(&c, ok, sizeof ok - 1, "t", err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.answer_rate, 0);
	cr_assert_eq(c.answer_burst, 100000);
	config_free(&c);
	config_defaults(&c);
	cr_assert_lt(config_parse(&c, zero, sizeof zero - 1, "t", err, sizeof err), 0,
		     "a burst of 0 would answer nobody");
	cr_assert(strstr(err, "t:5:"), "%s", err);
	config_free(&c);
	config_defaults(&c);
	cr_assert_lt(config_parse(&c, mn, sizeof mn - 1, "t", err, sizeof err), 0,
		     "anchor only");
	cr_assert(strstr(err, "t:2:"), "%s", err);
	config_free(&c);
}

/* The last run crashed: new allocations go above the restored addresses +
 * ANCHOR_CRASH_HOLD; a refresh still gets a held one; the hold lifts after
 * max-lifetime */
Test(anchor, after_a_crash_new_bindings_skip_what_the_last_run_may_have_handed_out)
{
	struct mh_msg ba;
	struct bu b;
	struct in6_addr a, want, lost = A("2001:db8:c4a::3");

	alloc_ok(10, 1, 0); /* ::1, ::2 restored */
	alloc_ok(11, 2, 0);
	anchor_hold_after_crash(&an, 1000);
	cr_assert_eq(an.hold_until_ms, 1000 + 600 * 1000);
	cr_assert_eq(anchor_next_expiry(&an), 400 * 1000, "bindings (400 s) before the hold");
	a = alloc_ok(12, 3, 1000);
	pool_addr_at(&an.pool, 2 + ANCHOR_CRASH_HOLD + 1, &want);
	cr_assert_eq(memcmp(&a, &want, 16), 0, "the first address past the hold");
	/* past the hold: nothing the last run can have lost */
	cr_assert_eq(named_status(13, "2001:db8:c4a::2000", 6, 100), MH_BA_NOT_HA_FOR_MN);
	/* ::3, handed out by the last run just before it died */
	b = bu_default(14);
	b.hnp = "2001:db8:c4a::3";
	b.bid = 4;
	send_bu(&b, 1000, &ba);
	cr_assert_eq(ba.status, MH_BA_ACCEPTED);
	cr_assert_eq(memcmp(&ba.hnp, &lost, 16), 0);
	/* every binding gone by then, and the hold lifted */
	cr_assert_gt(anchor_expire(&an, 601 * 1000 + 1000), 0);
	cr_assert_eq(an.hold_until_ms, 0);
	cr_assert_eq(anchor_next_expiry(&an), 602 * 1000 + POOL_COOL_MS, "their addresses cool");
	cr_assert_eq(anchor_expire(&an, 602 * 1000 + POOL_COOL_MS), 0);
	cr_assert_eq(anchor_next_expiry(&an), UINT64_MAX);
	a = alloc_ok(15, 5, 602 * 1000 + POOL_COOL_MS);
	want = A("2001:db8:c4a::1");
	cr_assert_eq(memcmp(&a, &want, 16), 0, "lowest free again");
}

/* The end of a hold is a change of the state: the saved "held" is what the
 * next crash's hold starts from (above), so it must not outlive the hold
 * until some binding happens to change, or an idle anchor's next crash
 * holds ANCHOR_CRASH_HOLD more addresses than it needs, each time */
Test(anchor, the_end_of_a_hold_is_saved)
{
	struct state_anchor st;
	uint64_t end;

	anchor_hold_after_crash(&an, 0);
	end = an.hold_until_ms;
	cr_assert_eq(anchor_state_snapshot(&an, 1000, 0, &st), 0);
	cr_assert_eq(st.held, ANCHOR_CRASH_HOLD, "saved while it holds");
	state_anchor_free(&st);
	an.save_due_ms = 0; /* that save done */
	cr_assert_eq(anchor_expire(&an, end), 0, "no binding to expire");
	cr_assert_eq(an.hold_until_ms, 0, "the hold is over");
	cr_assert_neq(anchor_state_next(&an, end), UINT64_MAX,
		      "a save is due, to write down that nothing is held");
	cr_assert_eq(anchor_state_snapshot(&an, 1000, 0, &st), 0);
	cr_assert_eq(st.held, 0);
	state_anchor_free(&st);
}

/* The crashed run was itself holding (it had crashed before): what it
 * handed out lies past its hold, so the new hold starts from there */
Test(anchor, a_crash_during_a_hold_holds_past_the_last_one)
{
	struct in6_addr a, want;

	an.restored_held = 5000;
	anchor_hold_after_crash(&an, 0);
	cr_assert_eq(an.pool.held, 5000 + ANCHOR_CRASH_HOLD);
	a = alloc_ok(10, 1, 0);
	pool_addr_at(&an.pool, 5000 + ANCHOR_CRASH_HOLD + 1, &want);
	cr_assert_eq(memcmp(&a, &want, 16), 0);
}

/* Cooling addresses are not in the state, and the next allocation goes
 * past them: the state's "held" reaches the highest of them, so that a
 * crash's hold covers a binding made after the save. A cooling address is
 * no binding the crash lost: a refresh during the hold does not get it. */
Test(anchor, the_crash_hold_reaches_past_the_cooling_addresses)
{
	struct state_anchor st;
	struct in6_addr a;

	alloc_ok(10, 1, 0);
	alloc_ok(11, 2, 0);
	a = alloc_ok(12, 3, 0);
	assert_addr(&a, "2001:db8:c4a::3");
	cr_assert_eq(named_status(13, "2001:db8:c4a::3", 3, 0), MH_BA_ACCEPTED, "deregistered");
	cr_assert_eq(pool_highest(&an.pool), 2);
	cr_assert_eq(anchor_state_snapshot(&an, 1000, 0, &st), 0);
	cr_assert_eq(st.held, 3, "the highest cooling address is kept");
	state_anchor_free(&st);
	anchor_hold_after_crash(&an, 0);
	cr_assert_eq(an.pool.held, 2 + ANCHOR_CRASH_HOLD);
	cr_assert_eq(named_status(14, "2001:db8:c4a::3", 7, 100), MH_BA_NOT_HA_FOR_MN,
		     "a cooling address is not reclaimed");
}

/*
 * A state-dir made again under a running anchor (agentlock.h) is saved
 * ANCHOR_SAVE_DELAY_MS later on the agent's clock (monotime.h), the one
 * its timer and on_timer() read, not on libuv's loop time: that is
 * CLOCK_MONOTONIC, short of the time the machine slept, and as old as the
 * loop's turn (here: its start, 200 ms before).
 */
Test(anchor_clock, a_state_dir_made_again_is_saved_on_the_agents_clock)
{
	struct anchor a;
	struct odm_agent ag;
	uv_loop_t loop;
	uint64_t before, after;

	memset(&a, 0, sizeof a);
	memset(&ag, 0, sizeof ag);
	cr_assert_eq(uv_loop_init(&loop), 0);
	usleep(200 * 1000);
	a.loop = &loop;
	ag.anchor = &a;
	before = mono_ms();
	anchor_state_dir_made(&ag);
	after = mono_ms();
	cr_assert(a.save_due_ms >= before + ANCHOR_SAVE_DELAY_MS &&
			  a.save_due_ms <= after + ANCHOR_SAVE_DELAY_MS,
		  "save due at %llu, the agent's clock %llu..%llu ms",
		  (unsigned long long)a.save_due_ms, (unsigned long long)before,
		  (unsigned long long)after);
	cr_assert_eq(uv_loop_close(&loop), 0);
}

/* ---- many identities ---- */

#define MANY_IDENTS 4096

static struct odm_identity many[MANY_IDENTS], again[MANY_IDENTS];

/* an.by_nai holds each index of ids once, in the NAIs' strict order */
static void assert_nai_index(const struct anchor *a, const struct odm_identity *ids, size_t n)
{
	static unsigned char seen[MANY_IDENTS];

	cr_assert_not_null(a->by_nai);
	cr_assert_eq(a->by_nai_of, ids);
	cr_assert_eq(a->by_nai_n, n);
	memset(seen, 0, sizeof seen);
	for (size_t i = 0; i < n; i++) {
		cr_assert_lt(a->by_nai[i], n);
		cr_assert_not(seen[a->by_nai[i]], "index %zu twice", a->by_nai[i]);
		seen[a->by_nai[i]] = 1;
		if (i)
			cr_assert_lt(strcmp(ids[a->by_nai[i - 1]].nai, ids[a->by_nai[i]].nai), 0,
				     "%s before %s", ids[a->by_nai[i - 1]].nai,
				     ids[a->by_nai[i]].nai);
	}
}

/* nai's BU (the key all of them have) to a: its BA's status; the NAIs
 * compared to find it must be what halving n takes, floor(log2 n) + 1, not
 * a walk; for an accepted one, *ident is the binding's identity */
static uint8_t many_bu(struct anchor *a, const char *nai, uint16_t seq, size_t n, size_t *ident)
{
	struct in6_addr src = A(COA1), dst = A(A_ADDR);
	uint8_t buf[MH_MAX_LEN], reply[MH_MAX_LEN];
	struct bu b = bu_default(seq);
	struct mh_msg ba;
	uint64_t before = a->nai_compares, halvings = 0;
	int len;

	for (size_t m = n; m; m >>= 1)
		halvings++;
	b.nai = nai;
	b.key = idents[0].key;
	len = anchor_handle_bu(a, buf, build(&b, buf), &src, &dst, 1000, &rt0, reply, sizeof reply);
	cr_assert_leq(a->nai_compares - before, halvings, "%s: %llu NAIs compared among %zu", nai,
		      (unsigned long long)(a->nai_compares - before), n);
	cr_assert_gt(a->nai_compares, before, "%s: looked up", nai);
	cr_assert_gt(len, 0);
	cr_assert_eq(mh_decode(reply, (size_t)len, &ba, NULL, NULL), 0);
	if (ba.status == MH_BA_ACCEPTED) {
		const struct binding *bd = bcache_find_hoa(&a->bc, &ba.hnp);

		cr_assert_not_null(bd);
		*ident = bd->ident;
	}
	return ba.status;
}

/* NAIs nobody has: before them all, between two, after them all */
static const char *const unknown_nais[] = {
	"a@example.org", "host000100x@example.org", "host004095@example.orh", "zz@example.org",
	"nobody@example.org",
};

/*
 * Among 4096 identities, the BU's NAI is found by halving them sorted by
 * NAI: at most 13 compared, for an NAI nobody has as for any identity's, so
 * a forged BU's time tells neither which NAIs exist nor (5 000 a second
 * took the anchor's one thread with 12 000 identities) costs a walk of
 * them all. Each identity tried is the one its BU binds, and again after a
 * reload gives the identities in the other order; the reload's own lookups
 * (anchor_state_rekey) halve too. Before, config_identity walked them:
 * 4096 compared for an unknown NAI, 2048 on average per lookup of a reload.
 */
Test(anchor, a_bus_nai_is_found_by_halving_the_identities_sorted_by_nai)
{
	static const size_t tried[] = { 0, 1, 100, 101, 2047, 2048, 3333, MANY_IDENTS - 2,
					MANY_IDENTS - 1 };
	struct odm_config mc = cfg;
	struct anchor big;
	char nai[MH_NAI_MAX + 1];
	uint16_t seq = 1;
	uint64_t rekey_from, rekey_compares;
	size_t k;

	for (size_t i = 0; i < MANY_IDENTS; i++) {
		snprintf(many[i].nai, sizeof many[i].nai, "host%06zu@example.org", i);
		many[i].spi = SPI1;
		memcpy(many[i].key, idents[0].key, sizeof many[i].key);
	}
	mc.identities = many;
	mc.n_identities = MANY_IDENTS;
	cr_assert_eq(anchor_init(&big, &mc, &tun), 0);
	for (size_t i = 0; i < sizeof unknown_nais / sizeof *unknown_nais; i++)
		cr_assert_eq(many_bu(&big, unknown_nais[i], seq++, MANY_IDENTS, &k), MH_BA_AUTH_FAIL,
			     "%s", unknown_nais[i]);
	assert_nai_index(&big, many, MANY_IDENTS);
	for (size_t i = 0; i < sizeof tried / sizeof *tried; i++) {
		snprintf(nai, sizeof nai, "host%06zu@example.org", tried[i]);
		cr_assert_eq(many_bu(&big, nai, seq++, MANY_IDENTS, &k), MH_BA_ACCEPTED, "%s", nai);
		cr_assert_eq(k, tried[i], "%s bound as identity %zu", nai, k);
	}

	/* a reload: the same identities, in the other order, where the old
	 * ones lay (the new array may take the freed one's memory) */
	memcpy(again, many, sizeof many);
	for (size_t i = 0; i < MANY_IDENTS; i++)
		many[i] = again[MANY_IDENTS - 1 - i];
	rekey_from = big.nai_compares;
	cr_assert_geq(anchor_state_rekey(&big, again, MANY_IDENTS), 0);
	/* its lookups (3 an old identity, 2 a binding) halve too */
	rekey_compares = big.nai_compares - rekey_from;
	cr_assert_geq(rekey_compares, MANY_IDENTS, "the reload looked the old identities up");
	cr_assert_leq(rekey_compares, (3 * MANY_IDENTS + 2 * big.bc.count) * 13,
		      "%llu NAIs compared in the reload", (unsigned long long)rekey_compares);
	for (size_t i = 0; i < sizeof tried / sizeof *tried; i++) {
		snprintf(nai, sizeof nai, "host%06zu@example.org", tried[i]);
		cr_assert_eq(many_bu(&big, nai, seq++, MANY_IDENTS, &k), MH_BA_ACCEPTED, "%s", nai);
		cr_assert_eq(k, MANY_IDENTS - 1 - tried[i], "after the reload, %s bound as %zu", nai, k);
	}
	assert_nai_index(&big, many, MANY_IDENTS);
	for (size_t i = 0; i < sizeof unknown_nais / sizeof *unknown_nais; i++)
		cr_assert_eq(many_bu(&big, unknown_nais[i], seq++, MANY_IDENTS, &k), MH_BA_AUTH_FAIL,
			     "after the reload, %s", unknown_nais[i]);
	anchor_fini(&big);
}

static struct {
	uint8_t msg[MHPARAM_MAX_LEN];
	size_t len;
	struct in6_addr src, dst;
	int n;
} icmp;

static int rec_icmp(void *arg, const uint8_t *msg, size_t len, const struct in6_addr *src,
		    const struct in6_addr *dst)
{
	cr_assert_leq(len, sizeof icmp.msg);
	memcpy(icmp.msg, msg, len);
	icmp.len = len;
	icmp.src = *src;
	icmp.dst = *dst;
	icmp.n++;
	return 0;
}

/* RFC 6275 sections 6.1.1 and 9.2: Payload Proto not 59 draws an ICMPv6
 * Parameter Problem pointing at it (40), a Header Len below the type's
 * least one pointing at Header Len (41), from the anchor's address, the
 * packet quoted; nothing in the MH socket's answer; the same bucket as the
 * Binding Errors. Before, both were dropped without a word. */
Test(anchor, malformed_mh_draws_a_parameter_problem)
{
	uint8_t proto[16] = { 6, 1, MH_TYPE_BU, 0 }, hdrlen[8] = { 59, 0, MH_TYPE_BU, 0 };
	uint8_t unknown[16] = { 59, 1, 42, 0 }, reply[MH_MAX_LEN];
	struct in6_addr s = A(COA1), d = A(A_ADDR);

	memset(&icmp, 0, sizeof icmp);
	an.send_icmp = rec_icmp;
	an.rx = (struct mhparam_rx){ .told = 1, .hoplimit = 62, .flowinfo = 0x12345 };
	cr_assert_eq(anchor_handle_bu(&an, proto, sizeof proto, &s, &d, 0, &rt0, reply,
				      sizeof reply), 0);
	cr_assert_eq(icmp.n, 1, "no answer to Payload Proto 6");
	cr_assert_eq(icmp.len, 8 + 40 + sizeof proto);
	cr_assert_eq(icmp.msg[0], 4);
	cr_assert_eq(icmp.msg[1], 0);
	cr_assert_eq(icmp.msg[7], 40, "pointer %u", icmp.msg[7]);
	cr_assert_eq(icmp.msg[10] << 8 | icmp.msg[11], 0x2345);
	cr_assert_eq(icmp.msg[15], 62);
	cr_assert_arr_eq(icmp.msg + 16, &s, 16);
	cr_assert_arr_eq(icmp.msg + 32, &d, 16);
	cr_assert_arr_eq(icmp.msg + 48, proto, sizeof proto);
	cr_assert(IN6_ARE_ADDR_EQUAL(&icmp.src, &d) && IN6_ARE_ADDR_EQUAL(&icmp.dst, &s));
	cr_assert_eq(an.cnt.pp_tx, 1);

	cr_assert_eq(anchor_handle_bu(&an, hdrlen, sizeof hdrlen, &s, &d, 0, &rt0, reply,
				      sizeof reply), 0);
	cr_assert_eq(icmp.n, 2, "no answer to a BU of Header Len 0");
	cr_assert_eq(icmp.msg[7], 41, "pointer %u", icmp.msg[7]);
	cr_assert_eq(an.bc.count, 0);

	/* one bucket with the Binding Errors: one token, spent by one */
	restart_with_rate(0, 1);
	an.send_icmp = rec_icmp;
	an.rx = (struct mhparam_rx){ .told = 1, .hoplimit = 62 };
	cr_assert_gt(anchor_handle_bu(&an, unknown, sizeof unknown, &s, &d, 0, &rt0, reply,
				      sizeof reply), 0);
	anchor_handle_bu(&an, proto, sizeof proto, &s, &d, 0, &rt0, reply, sizeof reply);
	cr_assert_eq(icmp.n, 2, "a Parameter Problem past the Binding Errors' limit");
	cr_assert_eq(an.cnt.limited, 1);
}
