/* SPDX-License-Identifier: MIT */
/*
 * test_registration.c — the mn role's Binding Update List without sockets:
 * BUs are captured by a fake send, time is injected, BAs are built here with
 * the codec the way an anchor would.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "logread.h"
#include "mh.h"
#include "registration.h"
#include "testaddr.h"

#define MAXBU 64
#define MAXEV 16
#define T0 1000000ull /* monotonic ms at the start of each test */

static const uint8_t KEY[MH_AUTH_KEY_LEN] = { 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
					       1,    2,    3,    4,    5,    6,    7,    8 };
static const uint8_t BADKEY[MH_AUTH_KEY_LEN] = { 9 };

static struct {
	uint8_t buf[MAXBU][MH_MAX_LEN];
	size_t len[MAXBU];
	struct in6_addr src[MAXBU], dst[MAXBU];
	uint64_t at[MAXBU];
	int n;
	uint64_t ntp;      /* what ntp_now returns (0x... fixed: clock "stuck") */
	uint64_t now;      /* test clock, for recording send times */
	struct reg_event ev[MAXEV];
	struct reg_binding *evb[MAXEV];
	int nev;
	int del_on_event;  /* the user frees the binding on every event */
	uint64_t alloc_ts; /* timestamp of the allocation BU registered() answered */
} F;

static struct reg_ctx C;
static struct in6_addr ANCHOR, ANCHOR2, COA, COA2, HOA;

static int fake_send(void *arg, const uint8_t *buf, size_t len, const struct in6_addr *src,
		     const struct in6_addr *dst)
{
	(void)arg;
	cr_assert_lt(F.n, MAXBU);
	memcpy(F.buf[F.n], buf, len);
	F.len[F.n] = len;
	F.src[F.n] = *src;
	F.dst[F.n] = *dst;
	F.at[F.n] = F.now;
	F.n++;
	return 0;
}

static uint64_t fake_ntp(void *arg)
{
	(void)arg;
	return F.ntp;
}

static void fake_done(void *arg, struct reg_binding *b, const struct reg_event *ev)
{
	(void)arg;
	cr_assert_lt(F.nev, MAXEV);
	F.ev[F.nev] = *ev;
	F.evb[F.nev] = b;
	F.nev++;
	if (F.del_on_event)
		reg_binding_del(&C, b);
}

static const struct reg_ops OPS = { fake_send, fake_ntp, fake_done };

static void setup(void)
{
	struct reg_config cfg = { 0 };

	odm_log_init("test", ODM_LOG_ERR, 0);
	memset(&F, 0, sizeof(F));
	F.ntp = 0xe8000000ull << 32;
	F.now = T0;
	snprintf(cfg.nai, sizeof(cfg.nai), "mn1@example.test");
	cfg.spi = 0x1234;
	memcpy(cfg.key, KEY, sizeof(KEY));
	cfg.lifetime_s = 300;
	cfg.alloc_timeout_ms = 4000;
	cfg.dereg_tries = 3;
	reg_init(&C, &cfg, &OPS, NULL);
	ANCHOR = A("2001:db8:ca::10");
	ANCHOR2 = A("2001:db8:40::10");
	COA = A("2001:db8:a1::d:ff:fe00:1");
	COA2 = A("2001:db8:a2::d:ff:fe00:2");
	HOA = A("2001:db8:c4a::7");
}

static void teardown(void)
{
	reg_cleanup(&C);
}

TestSuite(reg, .init = setup, .fini = teardown);

/* Decode BU i and check its authenticator with (coa, the HNP it carries). */
static struct mh_msg bu(int i)
{
	struct mh_msg m;

	cr_assert_lt(i, F.n, "BU %d was never sent (%d sent)", i, F.n);
	cr_assert_eq(mh_decode(F.buf[i], F.len[i], &m, NULL, NULL), 0);
	cr_assert_eq(m.type, MH_TYPE_BU);
	cr_assert(m.present & MH_HAS_AUTH);
	cr_assert_eq(mh_auth_verify(F.buf[i], F.len[i], &m, KEY, &F.src[i], &m.hnp), 0,
		     "BU %d does not authenticate with (CoA = source, HoA = HNP)", i);
	return m;
}

struct ba_spec {
	uint8_t status;
	uint16_t seq;
	int bid;                      /* -1 = no BID option */
	const struct in6_addr *hnp;   /* NULL = no HNP option */
	uint32_t lifetime_s;
	uint16_t bra;                 /* 0 = no BRA option */
	const uint8_t *key;           /* NULL = no auth option */
	const struct in6_addr *coa;   /* auth CoA */
	uint64_t replay_ts;           /* 0 = echo the BU with this seq, as an anchor does */
	int no_replay;                /* no Replay Protection option */
};

/* The timestamp of the newest captured BU numbered seq, 0 if none. */
static uint64_t ts_of_seq(uint16_t seq)
{
	for (int i = F.n - 1; i >= 0; i--) {
		struct mh_msg m;

		if (mh_decode(F.buf[i], F.len[i], &m, NULL, NULL) == 0 && m.seq == seq)
			return m.replay_ts;
	}
	return 0;
}

static int ba(const struct ba_spec *s, uint8_t *out)
{
	struct mh_msg m;
	int n;

	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BA;
	m.status = s->status;
	m.seq = s->seq;
	m.lifetime = mh_lifetime_units(s->lifetime_s);
	if (s->bra) {
		m.present |= MH_HAS_BRA;
		m.bra_refresh = s->bra;
	}
	if (s->hnp) {
		m.present |= MH_HAS_HNP;
		m.hnp_len = 128;
		m.hnp = *s->hnp;
	}
	if (s->bid >= 0) {
		m.present |= MH_HAS_BID;
		m.bid = (uint16_t)s->bid;
		m.bid_status = s->status;
	}
	m.present |= MH_HAS_MNID;
	m.mnid_subtype = MH_MNID_SUBTYPE_NAI;
	m.mnid_len = (uint8_t)strlen("mn1@example.test");
	strcpy(m.mnid, "mn1@example.test");
	if (!s->no_replay) {
		m.present |= MH_HAS_REPLAY;
		m.replay_ts = s->replay_ts ? s->replay_ts : ts_of_seq(s->seq);
	}
	if (s->key) {
		m.present |= MH_HAS_AUTH;
		m.auth_subtype = MH_AUTH_SUBTYPE_MNHA;
		m.auth_spi = 0x1234;
	}
	n = mh_encode(&m, out, MH_MAX_LEN, s->key, s->coa ? s->coa : &COA,
		      s->hnp ? s->hnp : &in6addr_any, NULL, NULL);
	cr_assert_gt(n, 0, "encoding the test BA: %s", mh_strerror(n));
	return n;
}

static int deliver(const struct ba_spec *s, uint64_t now)
{
	uint8_t buf[MH_MAX_LEN];
	int n = ba(s, buf);

	F.now = now;
	return reg_input(&C, buf, (size_t)n, &ANCHOR, &COA, now);
}

/* An anchor with CoA set and one binding (BID 7). */
static struct reg_binding *binding(uint16_t seq_start)
{
	struct reg_anchor *an = reg_anchor_get(&C, &ANCHOR, seq_start);
	struct reg_binding *b;

	cr_assert_not_null(an);
	reg_anchor_set_coa(an, &COA);
	b = reg_binding_add(&C, an, 7, (void *)&F);
	cr_assert_not_null(b);
	return b;
}

static void tick(uint64_t t)
{
	F.now = t;
	reg_timers(&C, t);
}

/* Allocate and accept: returns the binding, registered with HOA. */
static struct reg_binding *registered(uint32_t life, uint16_t bra)
{
	struct reg_binding *b = binding(100);

	reg_alloc(&C, b, T0, 0);
	struct ba_spec s = { .status = 0, .seq = 100, .bid = 7, .hnp = &HOA, .lifetime_s = life,
			     .bra = bra, .key = KEY };
	cr_assert_eq(deliver(&s, T0 + 20), 0);
	cr_assert_eq(F.nev, 1);
	cr_assert_eq(F.ev[0].kind, REG_EV_ACCEPTED);
	F.alloc_ts = bu(0).replay_ts;
	F.nev = 0;
	F.n = 0;
	return b;
}

/* ---- BU contents ---- */

Test(reg, allocation_bu_follows_the_profile)
{
	struct reg_binding *b = binding(4242);
	struct mh_msg m;

	cr_assert_eq(reg_alloc(&C, b, T0, 0), 0);
	cr_assert_eq(F.n, 1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.src[0], &COA), "sent from the CoA");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.dst[0], &ANCHOR), "to the anchor");
	m = bu(0);
	cr_assert_eq(m.seq, 4242, "the counter starts at the value given");
	cr_assert_eq(m.flags, MH_BU_A | MH_BU_H);
	cr_assert_eq(m.lifetime, 75, "300 s in 4-s units");
	cr_assert(m.present & MH_HAS_ALTCOA);
	cr_assert(IN6_ARE_ADDR_EQUAL(&m.altcoa, &COA));
	cr_assert(m.present & MH_HAS_HNP);
	cr_assert_eq(m.hnp_len, 128);
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&m.hnp), ":: asks the anchor to allocate");
	cr_assert(m.present & MH_HAS_BID);
	cr_assert_eq(m.bid, 7);
	cr_assert(m.present & MH_HAS_MNID);
	cr_assert_eq(m.mnid_subtype, MH_MNID_SUBTYPE_NAI);
	cr_assert_str_eq(m.mnid, "mn1@example.test");
	cr_assert(m.present & MH_HAS_REPLAY);
	cr_assert_eq(m.replay_ts, F.ntp);
	cr_assert_eq(m.auth_spi, 0x1234);
	cr_assert_eq(mh_auth_verify(F.buf[0], F.len[0], &m, BADKEY, &COA, &m.hnp), MH_E_AUTH);
}

Test(reg, refresh_and_dereg_carry_the_address)
{
	struct reg_binding *b = registered(300, 0);
	struct mh_msg m;

	reg_refresh(&C, b, T0 + 5000, 0);
	m = bu(0);
	cr_assert(IN6_ARE_ADDR_EQUAL(&m.hnp, &HOA));
	cr_assert_eq(m.lifetime, 75);
	reg_dereg(&C, b, T0 + 6000);
	m = bu(1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&m.hnp, &HOA), "auth HoA = HNP = the address");
	cr_assert_eq(m.lifetime, 0, "lifetime 0 = deregister");
	cr_assert_null(b->user, "a deregistration detaches the user");
}

/* ---- sequence numbers and timestamps ---- */

Test(reg, every_bu_takes_the_next_number_and_wraps)
{
	struct reg_binding *b = binding(65534);

	reg_alloc(&C, b, T0, 0);
	tick(T0 + 1500); /* retransmission */
	reg_alloc(&C, b, T0 + 1600, 1); /* resend after a move */
	cr_assert_eq(F.n, 3);
	cr_assert_eq(bu(0).seq, 65534);
	cr_assert_eq(bu(1).seq, 65535);
	cr_assert_eq(bu(2).seq, 0, "modulo 2^16");
}

Test(reg, one_counter_per_anchor)
{
	struct reg_binding *b1 = binding(10);
	struct reg_binding *b2 = reg_binding_add(&C, b1->anchor, 8, (void *)&F);
	struct reg_anchor *an2 = reg_anchor_get(&C, &ANCHOR2, 5000);
	struct reg_binding *b3;

	reg_anchor_set_coa(an2, &COA);
	b3 = reg_binding_add(&C, an2, 9, (void *)&F);
	reg_alloc(&C, b1, T0, 0);
	reg_alloc(&C, b2, T0, 0);
	reg_alloc(&C, b3, T0, 0);
	cr_assert_eq(bu(0).seq, 10);
	cr_assert_eq(bu(1).seq, 11, "bindings at one anchor share its counter");
	cr_assert_eq(bu(2).seq, 5000, "another anchor has its own");
	cr_assert_eq(reg_anchor_get(&C, &ANCHOR, 999), b1->anchor, "get finds, not re-seeds");
}

/* The anchor at 2001:db8:cb::<i>: one destination's cha.<host> each */
static struct in6_addr nth_anchor(size_t i)
{
	struct in6_addr a = A("2001:db8:cb::");

	a.s6_addr[12] = (uint8_t)(i >> 24);
	a.s6_addr[13] = (uint8_t)(i >> 16);
	a.s6_addr[14] = (uint8_t)(i >> 8);
	a.s6_addr[15] = (uint8_t)i;
	return a;
}

static size_t anchors_listed(void)
{
	size_t n = 0;

	for (const struct reg_anchor *an = C.anchors; an; an = an->next)
		n++;
	return n;
}

Test(reg, idle_anchors_are_kept_up_to_a_bound_the_longest_idle_go)
{
	const size_t extra = 500, n = REG_ANCHORS_MAX + extra;
	struct reg_binding *held;
	struct in6_addr a;

	/* the first anchor asked holds a binding; every other one is idle,
	 * its last BU sent in the order they were asked */
	held = binding(1);
	for (size_t i = 1; i < n; i++) {
		struct reg_anchor *an;

		a = nth_anchor(i);
		an = reg_anchor_get(&C, &a, 1);
		cr_assert_not_null(an);
		an->last_ts = F.ntp + i;
	}
	cr_assert_eq(C.n_anchors, n);
	cr_assert_eq(reg_anchors_trim(&C, REG_ANCHORS_MAX), extra);
	cr_assert_eq(C.n_anchors, (size_t)REG_ANCHORS_MAX);
	cr_assert_eq(anchors_listed(), (size_t)REG_ANCHORS_MAX, "the list holds what it counts");
	cr_assert_eq(reg_anchor_find(&C, &ANCHOR), held->anchor, "the anchor with a binding stays");
	for (size_t i = 1; i <= extra; i++) {
		a = nth_anchor(i);
		cr_assert_null(reg_anchor_find(&C, &a), "anchor %zu, idle longest, is freed", i);
	}
	a = nth_anchor(extra + 1);
	cr_assert_not_null(reg_anchor_find(&C, &a), "the next one stays");
	a = nth_anchor(n - 1);
	cr_assert_not_null(reg_anchor_find(&C, &a), "the last one asked stays");
	cr_assert_eq(reg_anchors_trim(&C, REG_ANCHORS_MAX), 0, "within the bound: nothing");
}

/* The idle anchors' last BUs straddle the NTP era's end (2036, RFC 5905
 * section 6), one second apart, and one anchor's clock is a day behind
 * ours (a 145 set its offset): the longest idle still go first, on our
 * clock. The timestamps compared as numbers took the ones sent after the
 * wrap (small) for the longest idle, and the anchor a day behind as well,
 * and freed those, the last used. */
Test(reg, idle_anchors_go_by_our_clock_across_the_ntp_era)
{
	const size_t max = 30, extra = 10, n = max + extra;
	/* 20 s before the wrap, half a second in (0 is no timestamp) */
	const uint64_t start = ((0xffffffffull - 20) << 32) + (1ull << 31);
	const int64_t behind = -(int64_t)(86400ull << 32);
	struct in6_addr a;

	(void)binding(1);
	for (size_t i = 1; i < n; i++) {
		struct reg_anchor *an;

		a = nth_anchor(i);
		an = reg_anchor_get(&C, &a, 1);
		cr_assert_not_null(an);
		an->last_ts = start + ((uint64_t)i << 32);
		if (i == n - 2) {
			an->clock_off = behind;
			an->last_ts += (uint64_t)behind;
		}
	}
	F.ntp = start + ((uint64_t)n << 32);
	cr_assert_eq(reg_anchors_trim(&C, max), extra);
	for (size_t i = 1; i <= extra; i++) {
		a = nth_anchor(i);
		cr_assert_null(reg_anchor_find(&C, &a), "anchor %zu, idle longest, is freed", i);
	}
	for (size_t i = extra + 1; i < n; i++) {
		a = nth_anchor(i);
		cr_assert_not_null(reg_anchor_find(&C, &a), "anchor %zu, used later, stays", i);
	}
}

Test(reg, anchors_with_bindings_are_never_trimmed)
{
	struct reg_binding *b[4];

	for (size_t i = 0; i < 4; i++) {
		struct in6_addr a = nth_anchor(i);
		struct reg_anchor *an = reg_anchor_get(&C, &a, 1);

		cr_assert_not_null(an);
		b[i] = reg_binding_add(&C, an, 7, (void *)&F);
		cr_assert_not_null(b[i]);
	}
	cr_assert_eq(reg_anchors_trim(&C, 2), 0);
	cr_assert_eq(C.n_anchors, 4);
	reg_binding_del(&C, b[1]);
	cr_assert_eq(reg_anchors_trim(&C, 2), 1, "only the idle one goes, past the bound or not");
	cr_assert_eq(anchors_listed(), 3);
	cr_assert_eq(C.n_anchors, 3);
}

Test(reg, replay_timestamp_strictly_increases_per_anchor)
{
	struct reg_binding *b = binding(1);

	C.cfg.alloc_timeout_ms = 100000;
	reg_alloc(&C, b, T0, 0);
	tick(T0 + 1500);
	cr_assert_eq(bu(0).replay_ts, F.ntp);
	cr_assert_eq(bu(1).replay_ts, F.ntp + 1, "clock stuck: bump one fraction unit");
	F.ntp += 1ull << 32;
	tick(T0 + 4500);
	cr_assert_eq(bu(2).replay_ts, F.ntp, "clock moved: use it");
}

/* The NTP seconds wrap on 7 February 2036 (era 1): a BU after it carries
 * the clock, small again, as the anchor compares timestamps (modulo 2^64).
 * Compared as plain numbers, every later BU took the last timestamp of
 * era 0 plus one fraction unit, which the anchor refuses 7 s on. */
Test(reg, replay_timestamp_follows_the_clock_across_the_ntp_era)
{
	struct reg_binding *b = binding(1);

	C.cfg.alloc_timeout_ms = 100000;
	F.ntp = 0xffffffffull << 32; /* 2036-02-07 06:28:15 UTC */
	reg_alloc(&C, b, T0, 0);
	F.ntp = 1ull << 32; /* 2 s later, era 1 */
	tick(T0 + 1500);
	cr_assert_eq(bu(0).replay_ts, 0xffffffffull << 32);
	cr_assert_eq(bu(1).replay_ts, 1ull << 32, "the clock of era 1: %#llx",
		     (unsigned long long)bu(1).replay_ts);
	cr_assert_eq(mh_ntp_diff_ms(bu(1).replay_ts, bu(0).replay_ts), 2000);
}

/* ---- retransmission schedule ---- */

static void expect_gaps(const uint64_t *gaps, int n)
{
	for (int i = 1; i <= n; i++)
		cr_assert_eq(F.at[i] - F.at[i - 1], gaps[i - 1], "gap %d: %llu ms, want %llu",
			     i, (unsigned long long)(F.at[i] - F.at[i - 1]),
			     (unsigned long long)gaps[i - 1]);
}

/* Run the timers as the agent would, from deadline to deadline. */
static void run_until(uint64_t end)
{
	uint64_t d;

	while ((d = reg_next_deadline(&C)) && d <= end)
		tick(d);
}

Test(reg, first_registration_backs_off_from_1500ms_and_times_out)
{
	struct reg_binding *b = binding(1);

	F.del_on_event = 1;
	reg_alloc(&C, b, T0, 0);
	run_until(T0 + 60000);
	cr_assert_eq(F.n, 2, "BUs at 0 and 1.5 s; the next (4.5 s) is past the 4 s limit");
	cr_assert_eq(F.at[1] - F.at[0], 1500);
	cr_assert_eq(F.nev, 1);
	cr_assert_eq(F.ev[0].kind, REG_EV_TIMEOUT);
	cr_assert_eq(F.ev[0].what, REG_ALLOC);
	cr_assert_eq(F.now, T0 + 4000, "given up exactly at the request timeout");
}

/* The refresh that registers a binding never granted a lifetime (an access
 * claim of the host's own address) is a first registration too: given up
 * after the request timeout, as REG_EV_TIMEOUT, not "expired" at once. */
Test(reg, a_refresh_of_a_binding_never_granted_times_out_as_a_first_registration)
{
	struct reg_binding *b = binding(1);

	F.del_on_event = 1;
	b->hnp = HOA;
	reg_refresh(&C, b, T0, 0);
	run_until(T0 + 60000);
	cr_assert_eq(F.nev, 1);
	cr_assert_eq(F.ev[0].kind, REG_EV_TIMEOUT);
	cr_assert_eq(F.ev[0].what, REG_REFRESH);
	cr_assert_eq(F.now, T0 + 4000, "given up exactly at the request timeout");
	cr_assert_geq(F.n, 2, "sent again before that");
}

Test(reg, allocation_backoff_doubles_up_to_32s)
{
	struct reg_binding *b = binding(1);
	static const uint64_t gaps[] = { 1500, 3000, 6000, 12000, 24000, 32000, 32000 };

	C.cfg.alloc_timeout_ms = 200000;
	reg_alloc(&C, b, T0, 0);
	run_until(T0 + 1500 + 3000 + 6000 + 12000 + 24000 + 32000 + 32000);
	cr_assert_eq(F.n, 8);
	expect_gaps(gaps, 7);
}

Test(reg, refresh_backoff_from_1s_until_the_lifetime_runs_out)
{
	struct reg_binding *b = registered(120, 0);
	static const uint64_t gaps[] = { 1000, 2000, 4000, 8000 };

	F.del_on_event = 1;
	F.now = T0 + 100000;
	reg_refresh(&C, b, F.now, 1);
	run_until(T0 + 1000000);
	/* BUs at +0, 1, 3, 7, 15 s; the binding (BU at T0, 120 s) expires at
	 * T0 + 120 s, before the 31 s retransmission */
	cr_assert_eq(F.n, 5);
	expect_gaps(gaps, 4);
	cr_assert_eq(F.nev, 1);
	cr_assert_eq(F.ev[0].kind, REG_EV_EXPIRED);
	cr_assert_eq(F.now, T0 + 120000);
}

Test(reg, no_ba_without_coa_is_not_sent_but_retried)
{
	struct reg_binding *b = binding(1);

	b->anchor->has_coa = 0;
	cr_assert_eq(reg_alloc(&C, b, T0, 0), -ENETUNREACH);
	cr_assert_eq(F.n, 0);
	reg_anchor_set_coa(b->anchor, &COA);
	tick(T0 + 1500);
	cr_assert_eq(F.n, 1, "sent once a CoA is there");
	cr_assert_eq(bu(0).seq, 1, "no number burnt while nothing was sent");
}

/* ---- rate limit ---- */

Test(reg, at_most_3_bus_per_second_except_after_a_move)
{
	struct reg_binding *b = registered(300, 0);

	/* T0 holds the allocation BU: two more fit in the same second */
	reg_refresh(&C, b, T0 + 100, 0);
	reg_refresh(&C, b, T0 + 200, 0);
	cr_assert_eq(F.n, 2);
	cr_assert_eq(reg_refresh(&C, b, T0 + 300, 0), -EAGAIN);
	cr_assert_eq(F.n, 2, "the 4th BU within 1 s waits");
	cr_assert_eq(b->next_tx_ms, T0 + 1000);
	tick(T0 + 1000);
	cr_assert_eq(F.n, 3, "and goes when the second is over");
	cr_assert_eq(reg_refresh(&C, b, T0 + 1010, 1), 0);
	cr_assert_eq(F.n, 4, "the first BU after a move is never held back");
}

/* ---- BAs ---- */

Test(reg, accepted_allocation_gives_the_address_and_refresh_at_bra)
{
	struct reg_binding *b = binding(100);

	reg_alloc(&C, b, T0, 0);
	struct ba_spec s = { .status = 0, .seq = 100, .bid = 7, .hnp = &HOA, .lifetime_s = 200,
			     .bra = 30, .key = KEY };
	cr_assert_eq(deliver(&s, T0 + 12), 0);
	cr_assert_eq(F.nev, 1);
	cr_assert_eq(F.ev[0].kind, REG_EV_ACCEPTED);
	cr_assert_eq(F.ev[0].what, REG_ALLOC);
	cr_assert_eq(F.ev[0].lifetime_s, 200);
	cr_assert_eq(F.ev[0].rtt_ms, 12);
	cr_assert(IN6_ARE_ADDR_EQUAL(&b->hnp, &HOA));
	cr_assert(b->registered);
	cr_assert_eq(b->kind, REG_NONE);
	cr_assert_eq(b->expires_ms, T0 + 200000, "lifetime counted from the BU");
	cr_assert_eq(b->refresh_ms, T0 + 12 + 120000, "BRA 30 units = 120 s");
	cr_assert_eq(reg_next_deadline(&C), b->refresh_ms);
	/* the refresh starts on time */
	tick(b->refresh_ms);
	cr_assert_eq(F.n, 2);
	struct mh_msg m1 = bu(1);
	cr_assert_eq(m1.seq, 101);
	cr_assert(IN6_ARE_ADDR_EQUAL(&m1.hnp, &HOA));
}

Test(reg, refresh_at_80_percent_without_bra)
{
	struct reg_binding *b = registered(300, 0);

	cr_assert_eq(b->refresh_ms, T0 + 20 + 240000);
	cr_assert_eq(reg_refresh_delay_ms(300, 1, 75), 240000, "BRA = lifetime is not advice");
	cr_assert_eq(reg_refresh_delay_ms(300, 1, 50), 200000);
	cr_assert_eq(reg_refresh_delay_ms(300, 0, 50), 240000);
	cr_assert_eq(reg_refresh_delay_ms(1, 0, 0), 1000, "at least 1 s");
}

/* The BUs of a refresh that go before the binding expires, none answered */
static unsigned refresh_tries(uint32_t life)
{
	uint64_t at = reg_refresh_delay_ms(life, 0, 0), timeout = reg_initial_timeout(REG_REFRESH);
	unsigned n = 0;

	while (at < (uint64_t)life * 1000) {
		n++;
		at += timeout;
		timeout = reg_next_timeout((uint32_t)timeout);
	}
	return n;
}

/*
 * A short lifetime (4 s is allowed): a refresh at 80 % of it left one BU
 * (life 4: at 3.2 s, its retransmission due at 4.2 s, after the binding
 * expired) or two (life 8) before the end, so one lost BU ended the lease
 * and every session on it. Now three go whenever the lifetime is 7 s or
 * more, two below; a long lifetime keeps its 80 %.
 */
Test(reg, a_short_lifetime_leaves_room_for_retransmissions)
{
	cr_assert_eq(refresh_tries(4), 2, "life 4: %u", refresh_tries(4));
	for (uint32_t life = 7; life <= 120; life++)
		cr_assert_geq(refresh_tries(life), 3, "life %u: %u BU(s) before it expires", life,
			      refresh_tries(life));
	cr_assert_eq(reg_refresh_delay_ms(8, 0, 0), 4500);
	cr_assert_eq(reg_refresh_delay_ms(20, 0, 0), 16000, "80 %% where it leaves room");
	cr_assert_eq(reg_refresh_delay_ms(8, 1, 1), 4000, "advice earlier than that is taken");
	cr_assert_eq(reg_refresh_delay_ms(8, 1, 0), 4500);

	/* and the binding itself: lifetime 8, the refresh's first BU lost, the
	 * second answered before the end */
	struct reg_binding *b = registered(8, 0);
	uint64_t expires = b->expires_ms;

	uint64_t refresh = b->refresh_ms;

	cr_assert_eq(refresh, T0 + 20 + 4500);
	tick(refresh);
	cr_assert_eq(F.n, 1);
	tick(refresh + 1000);
	cr_assert_eq(F.n, 2, "retransmitted 1 s later, before the end at %llu",
		     (unsigned long long)(expires - T0));
	struct mh_msg m = bu(1);
	struct ba_spec s = { .status = 0, .seq = m.seq, .bid = 7, .hnp = &HOA, .lifetime_s = 8,
			     .key = KEY };
	cr_assert_eq(deliver(&s, F.now + 5), 0);
	cr_assert(b->registered, "still registered");
	cr_assert_gt(b->expires_ms, expires, "and its lifetime runs on");
}

Test(reg, ba_for_a_retransmission_matches_too)
{
	struct reg_binding *b = binding(100);

	reg_alloc(&C, b, T0, 0);
	tick(T0 + 1500);
	struct ba_spec s = { .status = 0, .seq = 100, .bid = 7, .hnp = &HOA, .lifetime_s = 300,
			     .key = KEY };
	cr_assert_eq(deliver(&s, T0 + 1600), 0, "a late BA to the first BU still counts");
	cr_assert_eq(F.ev[0].rtt_ms, 1600);
}

Test(reg, bas_that_do_not_match_or_authenticate_are_ignored)
{
	struct reg_binding *b = binding(100);
	struct in6_addr stranger = A("2001:db8:66::1");
	uint8_t buf[MH_MAX_LEN];
	int n;

	reg_alloc(&C, b, T0, 0);
	struct ba_spec wrong_seq = { .seq = 99, .bid = 7, .hnp = &HOA, .lifetime_s = 300,
				     .key = KEY };
	struct ba_spec wrong_bid = { .seq = 100, .bid = 8, .hnp = &HOA, .lifetime_s = 300,
				     .key = KEY };
	struct ba_spec no_auth = { .seq = 100, .bid = 7, .hnp = &HOA, .lifetime_s = 300 };
	struct ba_spec bad_key = { .seq = 100, .bid = 7, .hnp = &HOA, .lifetime_s = 300,
				   .key = BADKEY };
	struct ba_spec bad_coa = { .seq = 100, .bid = 7, .hnp = &HOA, .lifetime_s = 300,
				   .key = KEY, .coa = &COA2 };
	struct ba_spec reject_no_auth = { .status = 129, .seq = 100, .bid = 7 };

	cr_assert_eq(deliver(&wrong_seq, T0 + 10), -ENOENT);
	cr_assert_eq(deliver(&wrong_bid, T0 + 10), -ENOENT);
	cr_assert_eq(deliver(&no_auth, T0 + 10), -EPERM);
	cr_assert_eq(deliver(&bad_key, T0 + 10), -EPERM);
	cr_assert_eq(deliver(&bad_coa, T0 + 10), -EPERM, "auth CoA = the CoA the BU left from");
	cr_assert_eq(deliver(&reject_no_auth, T0 + 10), -EPERM,
		     "an unauthenticated rejection must not kill the lease");
	n = ba(&(struct ba_spec){ .seq = 100, .bid = 7, .hnp = &HOA, .lifetime_s = 300,
				  .key = KEY },
	       buf);
	cr_assert_eq(reg_input(&C, buf, (size_t)n, &stranger, &COA, T0 + 10), -ENOENT,
		     "a BA from a node that is not our anchor");
	cr_assert_eq(reg_input(&C, buf, 5, &ANCHOR, &COA, T0 + 10), -EBADMSG);
	cr_assert_eq(F.nev, 0);
	cr_assert_eq(b->kind, REG_ALLOC, "still waiting");
	cr_assert_eq(C.ba_ignored, 8);
}

Test(reg, ba_without_bid_matches_by_seq)
{
	struct reg_binding *b = binding(100);

	reg_alloc(&C, b, T0, 0);
	struct ba_spec s = { .seq = 100, .bid = -1, .hnp = &HOA, .lifetime_s = 300, .key = KEY };
	cr_assert_eq(deliver(&s, T0 + 10), 0);
	cr_assert_eq(F.ev[0].kind, REG_EV_ACCEPTED);
}

Test(reg, accepted_ba_without_address_fails_the_allocation)
{
	struct reg_binding *b = binding(100);

	reg_alloc(&C, b, T0, 0);
	struct ba_spec s = { .seq = 100, .bid = 7, .lifetime_s = 300, .key = KEY };
	cr_assert_eq(deliver(&s, T0 + 10), 0);
	cr_assert_eq(F.ev[0].kind, REG_EV_REJECTED);
}

Test(reg, ba_of_an_earlier_exchange_does_not_end_the_move)
{
	struct reg_binding *b = registered(300, 0);

	reg_refresh(&C, b, T0 + 5000, 0);        /* seq 101 from COA */
	reg_anchor_set_coa(b->anchor, &COA2);
	reg_refresh(&C, b, T0 + 5010, 1);        /* seq 102 from COA2 */
	struct ba_spec old = { .seq = 101, .bid = 7, .hnp = &HOA, .lifetime_s = 300, .key = KEY };
	cr_assert_eq(deliver(&old, T0 + 5020), -ENOENT);
	cr_assert_eq(b->kind, REG_REFRESH, "the move's BU is still outstanding");
	struct ba_spec cur = { .seq = 102, .bid = 7, .hnp = &HOA, .lifetime_s = 300, .key = KEY,
			       .coa = &COA2 };
	cr_assert_eq(deliver(&cur, T0 + 5030), 0);
	cr_assert_eq(F.ev[0].kind, REG_EV_ACCEPTED);
	cr_assert(F.ev[0].after_move);
	cr_assert_eq(F.ev[0].rtt_ms, 20);
}

Test(reg, status_135_resyncs_the_counter_and_resends_at_once)
{
	struct reg_binding *b = registered(300, 0);

	reg_refresh(&C, b, T0 + 5000, 0); /* seq 101 */
	/* the anchor's last accepted number for us is 40000; the timestamp
	 * names the BU it answers */
	struct ba_spec s = { .status = 135, .seq = 40000, .bid = 7, .hnp = &HOA, .key = KEY,
			     .replay_ts = bu(0).replay_ts };
	struct ba_spec other = s;
	other.replay_ts = bu(0).replay_ts - 1;
	cr_assert_eq(deliver(&other, T0 + 5005), -ENOENT, "a 135 echoing no BU of ours");
	cr_assert_eq(F.n, 1);
	cr_assert_eq(deliver(&s, T0 + 5010), 0);
	cr_assert_eq(F.n, 2, "resent at once");
	cr_assert_eq(bu(1).seq, 40001);
	cr_assert_eq(F.nev, 0);
	/* and the next one goes on from there */
	struct ba_spec ok = { .seq = 40001, .bid = 7, .hnp = &HOA, .lifetime_s = 300, .key = KEY };
	cr_assert_eq(deliver(&ok, T0 + 5020), 0);
	cr_assert_eq(F.ev[0].kind, REG_EV_ACCEPTED);
	reg_refresh(&C, b, T0 + 9000, 0);
	cr_assert_eq(bu(2).seq, 40002);
}

/* A restarted host's burst: BUs of several bindings left before the first
 * 135 came back. The anchor's number in it lies below the last one sent:
 * going back to it would send again a number the burst used. A
 * deregistration resyncs too, rather than give up its binding. */
Test(reg, status_135_in_a_burst_goes_on_past_it_and_a_deregistration_resyncs)
{
	struct reg_binding *b = binding(100), *orphan;
	struct mh_msg m;

	orphan = reg_binding_add(&C, b->anchor, 8, NULL);
	cr_assert_not_null(orphan);
	reg_alloc(&C, b, T0, 0);           /* seq 100 */
	reg_dereg(&C, orphan, T0);         /* seq 101 */
	cr_assert_eq(bu(1).seq, 101);
	/* the anchor had accepted 100 from the last run */
	struct ba_spec s = { .status = 135, .seq = 100, .bid = 7, .key = KEY,
			     .replay_ts = bu(0).replay_ts };
	cr_assert_eq(deliver(&s, T0 + 10), 0);
	cr_assert_eq(F.n, 3, "resent at once");
	cr_assert_eq(bu(2).seq, 102, "past the burst's 101, not 101 again");
	struct ba_spec d = { .status = 135, .seq = 500, .bid = 8, .key = KEY,
			     .replay_ts = bu(1).replay_ts };
	cr_assert_eq(deliver(&d, T0 + 20), 0);
	cr_assert_eq(F.n, 4, "the deregistration is resent");
	m = bu(3);
	cr_assert_eq(m.seq, 501);
	cr_assert_eq(m.lifetime, 0);
	cr_assert_eq(m.bid, 8);
}

Test(reg, status_135_gives_up_after_a_few_rounds)
{
	struct reg_binding *b = registered(300, 0);

	reg_refresh(&C, b, T0 + 5000, 0);
	for (int i = 0; i < REG_MAX_RESYNC; i++) {
		struct ba_spec s = { .status = 135, .seq = 40000, .bid = 7, .hnp = &HOA,
				     .key = KEY, .replay_ts = bu(F.n - 1).replay_ts };
		cr_assert_eq(deliver(&s, T0 + 5010 + (uint64_t)i), 0);
	}
	cr_assert_eq(F.nev, 0);
	struct ba_spec first = { .status = 135, .seq = 40000, .bid = 7, .hnp = &HOA,
				 .key = KEY, .replay_ts = bu(0).replay_ts };
	cr_assert_eq(deliver(&first, T0 + 5090), -ENOENT,
		     "a 135 to an older BU of the exchange is stale");
	cr_assert_eq(F.nev, 0);
	struct ba_spec s = { .status = 135, .seq = 40000, .bid = 7, .hnp = &HOA, .key = KEY,
			     .replay_ts = bu(F.n - 1).replay_ts };
	cr_assert_eq(deliver(&s, T0 + 5100), 0);
	cr_assert_eq(F.nev, 1);
	cr_assert_eq(F.ev[0].kind, REG_EV_REJECTED);
	cr_assert_eq(F.ev[0].status, 135);
}

/* A 145 carries the anchor's clock, not our timestamp, so nothing proves
 * it answers this BU rather than an old copy: it may cause one resend with
 * a fresh timestamp, never the end of the exchange. Allocate and answer
 * the BU and its resend with 145. */
static struct reg_binding *allocation_after_two_145s(void)
{
	struct reg_binding *b = binding(100);

	F.del_on_event = 1;
	reg_alloc(&C, b, T0, 0);
	struct ba_spec s = { .status = 145, .seq = 100, .bid = 7, .key = KEY,
			     .replay_ts = F.ntp + (3600ull << 32) };
	cr_assert_eq(deliver(&s, T0 + 10), 0);
	cr_assert_eq(F.n, 2, "resent at once");
	cr_assert_gt(bu(1).replay_ts, bu(0).replay_ts);
	cr_assert_eq(bu(1).seq, 101);
	cr_assert_eq(F.nev, 0);
	s.seq = 101;
	cr_assert_eq(deliver(&s, T0 + 20), 0);
	cr_assert_eq(F.n, 2, "only one resend per exchange");
	cr_assert_eq(F.nev, 0, "a second 145 does not end it");
	s.seq = 102;
	cr_assert_eq(deliver(&s, T0 + 30), -ENOENT, "a 145 for a number we never sent");
	return b;
}

Test(reg, status_145_resends_once_and_never_ends_the_exchange)
{
	struct reg_binding *b = allocation_after_two_145s();

	cr_assert_eq(b->kind, REG_ALLOC);
	/* the genuine answer to the resent BU still ends it */
	struct ba_spec ok = { .seq = 101, .bid = 7, .hnp = &HOA, .lifetime_s = 300, .key = KEY };
	cr_assert_eq(deliver(&ok, T0 + 40), 0);
	cr_assert_eq(F.nev, 1);
	cr_assert_eq(F.ev[0].kind, REG_EV_ACCEPTED);
}

Test(reg, status_145_alone_lets_the_allocation_time_out)
{
	allocation_after_two_145s();
	run_until(T0 + 60000);
	cr_assert_eq(F.nev, 1);
	cr_assert_eq(F.ev[0].kind, REG_EV_TIMEOUT);
}

/* An allocation's BU at T0 answered at T0 + after_ms with 145 and the
 * anchor's clock ahead_s past the BU's timestamp; what the log said. */
static void answered_145(uint64_t ahead_s, uint64_t after_ms, char *line, size_t cap)
{
	struct reg_binding *b = binding(100);

	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	reg_alloc(&C, b, T0, 0);
	struct ba_spec s = { .status = 145, .seq = 100, .bid = 7, .key = KEY,
			     .replay_ts = bu(0).replay_ts + (ahead_s << 32) };
	F.ntp += (after_ms << 32) / 1000;
	cr_assert_eq(deliver(&s, T0 + after_ms), 0);
	cr_assert_eq(F.n, 2, "sent again with a fresh timestamp");
	log_read(line, cap);
}

/* An anchor that did not run for 24 s (stopped, starved) answers the BU it
 * finds waiting with 145 and its clock, 24 s past the BU's timestamp: the
 * BA comes 24 s after the BU left, so the clocks agree and the log says
 * the BU was old, not that the anchor's clock is 24 s off (it said
 * "its clock is +24000 ms from ours"). */
Test(reg, status_145_to_a_bu_answered_late_blames_no_clock)
{
	char line[4096];

	answered_145(24, 24000, line, sizeof(line));
	cr_assert_null(strstr(line, "its clock is"), "%s", line);
	cr_assert(strstr(line, "refused the timestamp of our BU seq 100 as old: it answered "
			       "24000 ms after the BU left"), "%s", line);
}

/* The same 145 at once: the anchor's clock is 24 s ahead, and it says so. */
Test(reg, status_145_at_once_names_the_clock_skew)
{
	char line[4096];

	answered_145(24, 10, line, sizeof(line));
	cr_assert(strstr(line, "its clock is +23990 ms from ours"), "%s", line);
}

/* The timestamp of BU i minus the anchor's clock anchor_ts, in ms */
static int64_t off_anchor_ms(int i, uint64_t anchor_ts)
{
	return mh_ntp_diff_ms(bu(i).replay_ts, anchor_ts);
}

/* A host whose clock is 60 s behind its anchor's: the 145 tells it the
 * anchor's clock (RFC 4285 section 6), and its BUs to that anchor take it
 * from then on: the resend, and the retransmission after it. They took
 * our clock again, refused the same way, and the binding was never made. */
Test(reg, status_145_gives_the_anchors_clock_to_the_next_bus)
{
	struct reg_binding *b = binding(100);
	uint64_t anchor = F.ntp + (60ull << 32);

	C.cfg.alloc_timeout_ms = 100000;
	reg_alloc(&C, b, T0, 0);
	struct ba_spec s = { .status = 145, .seq = 100, .bid = 7, .key = KEY, .replay_ts = anchor };
	F.ntp += (10ull << 32) / 1000;
	anchor += (10ull << 32) / 1000;
	s.replay_ts = anchor;
	cr_assert_eq(deliver(&s, T0 + 10), 0);
	cr_assert_eq(F.n, 2, "resent at once");
	cr_assert(llabs(off_anchor_ms(1, anchor)) <= 1, "the resend is %+lld ms off the anchor",
		  (long long)off_anchor_ms(1, anchor));
	F.ntp += 5ull << 32;
	anchor += 5ull << 32;
	tick(T0 + 5010);
	cr_assert_eq(F.n, 3, "retransmitted");
	cr_assert(llabs(off_anchor_ms(2, anchor)) <= 1, "the retransmission is %+lld ms off",
		  (long long)off_anchor_ms(2, anchor));
	struct ba_spec ok = { .seq = 102, .bid = 7, .hnp = &HOA, .lifetime_s = 300, .key = KEY };
	cr_assert_eq(deliver(&ok, T0 + 5020), 0);
	cr_assert_eq(F.nev, 1);
	cr_assert_eq(F.ev[0].kind, REG_EV_ACCEPTED);
	cr_assert_eq(b->registered, 1);
}

/* Our clock set an hour ahead for a while (a wrong RTC, a mistyped date)
 * and right again. The BU sent meanwhile is refused (145, the anchor's
 * clock); the next ones carry the right time. They stayed above that
 * refused timestamp, an hour ahead, each refused in turn for that hour,
 * and the binding ended: the anchor accepted none of them. */
Test(reg, a_timestamp_refused_as_ahead_is_not_the_floor_of_the_next)
{
	struct reg_binding *b = registered(300, 0);
	uint64_t right = F.ntp + (5ull << 32);

	F.ntp = right + (3600ull << 32);
	reg_refresh(&C, b, T0 + 5000, 0);
	cr_assert_eq(F.n, 1);
	F.ntp = right + (10ull << 32) / 1000; /* set right again */
	struct ba_spec s = { .status = 145, .seq = bu(0).seq, .bid = 7, .key = KEY,
			     .replay_ts = F.ntp };
	cr_assert_eq(deliver(&s, T0 + 5010), 0);
	cr_assert_eq(F.n, 2, "resent at once");
	cr_assert(llabs(off_anchor_ms(1, F.ntp)) <= 1, "the resend is %+lld ms off the anchor",
		  (long long)off_anchor_ms(1, F.ntp));
	/* and the next refresh, later, by our own clock: no offset left */
	struct ba_spec ok = { .seq = bu(1).seq, .bid = 7, .hnp = &HOA, .lifetime_s = 300,
			      .key = KEY };
	cr_assert_eq(deliver(&ok, T0 + 5020), 0);
	cr_assert_eq(F.ev[0].kind, REG_EV_ACCEPTED);
	F.ntp += 100ull << 32;
	reg_refresh(&C, b, T0 + 105000, 0);
	cr_assert(llabs(off_anchor_ms(2, F.ntp)) <= 1, "the next refresh is %+lld ms off",
		  (long long)off_anchor_ms(2, F.ntp));
	cr_assert_gt((int64_t)(bu(2).replay_ts - bu(1).replay_ts), 0);
}

/* Our clock 5 s ahead of the anchor's, in its window: the allocation was
 * accepted with our timestamp, the anchor keeps it as the least. A 145
 * answering our next BU (a copy, one held on the way) must not send the
 * resend below it: that one was refused too (not newer), and so was every
 * BU for the next 5 s. It keeps above what was accepted, in the window. */
Test(reg, status_145_in_the_window_keeps_our_bus_above_the_accepted)
{
	struct reg_binding *b = registered(300, 0);
	uint64_t anchor;

	F.ntp += (100ull << 32) / 1000;
	reg_refresh(&C, b, T0 + 100, 0);
	anchor = F.ntp - (5ull << 32);
	struct ba_spec s = { .status = 145, .seq = bu(0).seq, .bid = 7, .key = KEY,
			     .replay_ts = anchor };
	cr_assert_eq(deliver(&s, T0 + 110), 0);
	cr_assert_eq(F.n, 2, "resent at once");
	cr_assert_gt((int64_t)(bu(1).replay_ts - F.alloc_ts), 0,
		     "the resend is %+lld ms from the accepted timestamp",
		     (long long)mh_ntp_diff_ms(bu(1).replay_ts, F.alloc_ts));
	cr_assert(llabs(off_anchor_ms(1, anchor)) < 7000, "the resend is %+lld ms off the anchor",
		  (long long)off_anchor_ms(1, anchor));
}

Test(reg, other_rejections_end_the_exchange_with_their_status)
{
	struct reg_binding *b = binding(100);

	reg_alloc(&C, b, T0, 0);
	struct ba_spec s = { .status = 130, .seq = 100, .bid = 7, .key = KEY };
	cr_assert_eq(deliver(&s, T0 + 10), 0);
	cr_assert_eq(F.nev, 1);
	cr_assert_eq(F.ev[0].kind, REG_EV_REJECTED);
	cr_assert_eq(F.ev[0].what, REG_ALLOC);
	cr_assert_eq(F.ev[0].status, 130);
	cr_assert_str_eq(mh_status_name(F.ev[0].status), mh_status_name(130));
	cr_assert_eq(reg_next_deadline(&C), 0, "nothing left to do");
}

/* ---- stray and harvested BAs: they change nothing ---- */

/* Everything a BA could change: the binding, its anchor, what was sent and
 * reported, and the list the binding is on. */
struct snap {
	struct reg_binding b;
	struct reg_anchor an;
	int n, nev;
	struct reg_binding *head;
};

static struct snap snap(const struct reg_binding *b)
{
	struct snap x;

	memset(&x, 0, sizeof(x));
	memcpy(&x.b, b, sizeof(*b));
	memcpy(&x.an, b->anchor, sizeof(*b->anchor));
	x.n = F.n;
	x.nev = F.nev;
	x.head = b->anchor->bindings;
	return x;
}

static void assert_unchanged(const struct snap *x, const struct reg_binding *b, const char *what)
{
	struct reg_anchor an;

	memcpy(&an, &x->an, sizeof(an));
	/* but for when a 146 last came and was last said (for the log) */
	an.auth_fail_ms = b->anchor->auth_fail_ms;
	an.auth_fail_told_ms = b->anchor->auth_fail_told_ms;
	cr_assert_eq(memcmp(&x->b, b, sizeof(*b)), 0, "%s changed the binding", what);
	cr_assert_eq(memcmp(&an, b->anchor, sizeof(*b->anchor)), 0,
		     "%s changed the anchor", what);
	cr_assert_eq(F.n, x->n, "%s made us send a BU", what);
	cr_assert_eq(F.nev, x->nev, "%s ended an exchange", what);
	cr_assert_eq(b->anchor->bindings, x->head, "%s changed the binding list", what);
}

/* Deliver a BA that must be ignored with rc and change nothing. */
static void stray(struct reg_binding *b, const struct ba_spec *s, int rc, uint64_t now,
		  const char *what)
{
	struct snap x = snap(b);
	uint64_t ignored = C.ba_ignored;

	cr_assert_eq(deliver(s, now), rc, "%s: rc", what);
	assert_unchanged(&x, b, what);
	cr_assert_eq(C.ba_ignored, ignored + 1, "%s not counted", what);
}

/* The statuses an attacker could harvest from an anchor that signs its
 * answers to BUs whose fields the attacker chose. */
static const uint8_t HARVESTED[] = { 0, 128, 129, 130, 133, 144, 146, 174 };

Test(reg, harvested_ba_does_not_abort_an_allocation)
{
	struct reg_binding *b = binding(100);

	reg_alloc(&C, b, T0, 0);   /* seq 100 */
	tick(T0 + 1500);           /* seq 101, a later timestamp */
	uint64_t ts100 = bu(0).replay_ts, ts101 = bu(1).replay_ts;

	cr_assert_neq(ts100, ts101);
	for (size_t i = 0; i < sizeof(HARVESTED); i++) {
		struct ba_spec h = { .status = HARVESTED[i], .seq = 101, .bid = 7, .hnp = &HOA,
				     .lifetime_s = 300, .key = KEY, .replay_ts = ts100 };

		stray(b, &h, HARVESTED[i] == 146 ? -EACCES : -ESTALE, T0 + 1510,
		      "our seq with an older BU's timestamp");
		h.seq = 100;
		h.replay_ts = ts101;
		stray(b, &h, HARVESTED[i] == 146 ? -EACCES : -ESTALE, T0 + 1510,
		      "our seq with a newer BU's timestamp");
	}
	struct ba_spec copied146 = { .status = 146, .seq = 101, .bid = 7, .key = KEY };
	stray(b, &copied146, -EACCES, T0 + 1520, "a signed 146 echoing our seq and timestamp");
	struct ba_spec unauth146 = { .status = 146, .seq = 101, .bid = 7 };
	stray(b, &unauth146, -EPERM, T0 + 1520, "an unauthenticated 146");
	struct ba_spec no_ts = { .seq = 101, .bid = 7, .hnp = &HOA, .lifetime_s = 300,
				 .key = KEY, .no_replay = 1 };
	stray(b, &no_ts, -ENOMSG, T0 + 1520, "a BA without a timestamp");
	struct ba_spec no_ts_rej = { .status = 130, .seq = 101, .bid = 7, .key = KEY,
				     .no_replay = 1 };
	stray(b, &no_ts_rej, -ENOMSG, T0 + 1520, "a rejection without a timestamp");
	cr_assert_eq(b->kind, REG_ALLOC, "still allocating");

	struct ba_spec genuine = { .seq = 101, .bid = 7, .hnp = &HOA, .lifetime_s = 300,
				   .key = KEY };
	cr_assert_eq(deliver(&genuine, T0 + 1530), 0);
	cr_assert_eq(F.nev, 1);
	cr_assert_eq(F.ev[0].kind, REG_EV_ACCEPTED, "the genuine answer still counts");
	cr_assert(IN6_ARE_ADDR_EQUAL(&b->hnp, &HOA));
}

Test(reg, harvested_ba_does_not_end_a_live_binding)
{
	struct reg_binding *b = registered(300, 0);

	/* exact copies of what the anchor signed for the allocation (seq 100)
	 * and forged-status variants of it: nothing is outstanding */
	for (size_t i = 0; i < sizeof(HARVESTED); i++) {
		struct ba_spec h = { .status = HARVESTED[i], .seq = 100, .bid = 7, .hnp = &HOA,
				     .lifetime_s = 300, .key = KEY, .replay_ts = F.alloc_ts };

		stray(b, &h, HARVESTED[i] == 146 ? -EACCES : -ENOENT, T0 + 5000,
		      "a replayed BA for a live binding");
		h.seq = 101;
		h.replay_ts = F.alloc_ts + 1;
		stray(b, &h, HARVESTED[i] == 146 ? -EACCES : -ENOENT, T0 + 5000,
		      "a BA for the next number");
	}
	cr_assert(b->registered);
	cr_assert_eq(b->kind, REG_NONE);
	/* nothing happens until the refresh is due: no deregistration */
	run_until(b->refresh_ms - 1);
	cr_assert_eq(F.n, 0, "no BU (no deregistration) went out");
	cr_assert_eq(F.nev, 0);
	cr_assert(b->registered);
}

Test(reg, harvested_ba_does_not_end_a_refresh)
{
	struct reg_binding *b = registered(300, 0);

	reg_refresh(&C, b, T0 + 5000, 0); /* seq 101 */
	uint64_t ts = bu(0).replay_ts;

	cr_assert_neq(ts, F.alloc_ts);
	for (size_t i = 0; i < sizeof(HARVESTED); i++) {
		struct ba_spec h = { .status = HARVESTED[i], .seq = 101, .bid = 7, .hnp = &HOA,
				     .lifetime_s = 300, .key = KEY, .replay_ts = F.alloc_ts };

		stray(b, &h, HARVESTED[i] == 146 ? -EACCES : -ESTALE, T0 + 5010,
		      "our refresh's seq with the allocation's timestamp");
	}
	struct ba_spec copied146 = { .status = 146, .seq = 101, .bid = 7, .hnp = &HOA,
				     .key = KEY, .replay_ts = ts };
	stray(b, &copied146, -EACCES, T0 + 5010, "a signed 146 copying our refresh");
	cr_assert(b->registered, "still registered");
	cr_assert_eq(b->kind, REG_REFRESH, "the refresh is still outstanding");
	cr_assert_eq(F.n, 1, "no deregistration BU");

	struct ba_spec genuine = { .seq = 101, .bid = 7, .hnp = &HOA, .lifetime_s = 300,
				   .key = KEY };
	cr_assert_eq(deliver(&genuine, T0 + 5020), 0);
	cr_assert_eq(F.nev, 1);
	cr_assert_eq(F.ev[0].kind, REG_EV_ACCEPTED);
	cr_assert_eq(F.ev[0].what, REG_REFRESH);
	cr_assert_eq(b->expires_ms, T0 + 5000 + 300000, "the genuine BA extends it");
}

Test(reg, ba_after_the_exchange_completed_changes_nothing)
{
	struct reg_binding *b = binding(100);

	reg_alloc(&C, b, T0, 0);
	struct ba_spec s = { .seq = 100, .bid = 7, .hnp = &HOA, .lifetime_s = 300, .key = KEY };
	cr_assert_eq(deliver(&s, T0 + 10), 0);
	cr_assert_eq(F.nev, 1);
	stray(b, &s, -ENOENT, T0 + 20, "the same BA again");
	struct ba_spec rej = { .status = 130, .seq = 100, .bid = 7, .key = KEY };
	stray(b, &rej, -ENOENT, T0 + 20, "a signed rejection of the finished exchange");
	cr_assert_eq(F.ev[0].kind, REG_EV_ACCEPTED);
	cr_assert(b->registered);
}

Test(reg, genuine_rejection_of_a_refresh_still_ends_it)
{
	struct reg_binding *b = registered(300, 0);

	reg_refresh(&C, b, T0 + 5000, 0);
	/* an anchor that lost the binding answers the refresh with 133 */
	struct ba_spec s = { .status = 133, .seq = 101, .bid = 7, .hnp = &HOA, .key = KEY };
	cr_assert_eq(deliver(&s, T0 + 5010), 0);
	cr_assert_eq(F.nev, 1);
	cr_assert_eq(F.ev[0].kind, REG_EV_REJECTED);
	cr_assert_eq(F.ev[0].what, REG_REFRESH);
	cr_assert_eq(F.ev[0].status, 133);
	cr_assert(!b->registered);
}

/* ---- deregistration ---- */

Test(reg, deregistration_is_bounded_and_frees_itself)
{
	struct reg_binding *b = registered(300, 0);

	reg_dereg(&C, b, T0 + 5000);
	run_until(T0 + 100000);
	cr_assert_eq(F.n, 3, "dereg_tries BUs");
	cr_assert_eq(F.nev, 0, "no event: the user has gone");
	/* kept, silent, for a late answer until the binding would have
	 * ended at the anchor (300 s from its BU at T0) */
	cr_assert_eq(reg_next_deadline(&C), T0 + 300000);
	run_until(T0 + 300000);
	cr_assert_eq(F.n, 3, "no more BUs");
	cr_assert_null(C.anchors->bindings, "freed");
	cr_assert_eq(reg_next_deadline(&C), 0);
}

/* An anchor that did not run for 30 s (stopped, starved) finds the three
 * BUs of a deregistration waiting, long given up, and answers them with
 * 145: their timestamps are stale. The first 145 still gets its resend,
 * with a fresh timestamp, whose BA ends the binding there (it was freed
 * on the host after its BUs, the 145 ignored, and the anchor kept the
 * binding, its pool address and its place in the host's quota for the
 * rest of its lifetime). */
Test(reg, a_deregistration_answered_late_with_145_is_sent_again)
{
	struct reg_binding *b = registered(300, 0);

	reg_dereg(&C, b, T0 + 5000);
	run_until(T0 + 35000);
	cr_assert_eq(F.n, 3);
	struct ba_spec s = { .status = 145, .seq = bu(0).seq, .bid = 7, .key = KEY,
			     .replay_ts = bu(0).replay_ts + (30ull << 32) };
	cr_assert_eq(deliver(&s, T0 + 35000), 0);
	cr_assert_eq(F.n, 4, "sent again");
	cr_assert_eq(bu(3).lifetime, 0);
	s.seq = bu(1).seq;
	deliver(&s, T0 + 35001);
	cr_assert_eq(F.n, 4, "once");
	struct ba_spec ok = { .seq = bu(3).seq, .bid = 7, .hnp = &HOA, .lifetime_s = 0,
			      .key = KEY };
	cr_assert_eq(deliver(&ok, T0 + 35010), 0);
	cr_assert_null(C.anchors->bindings, "freed by its BA");
	cr_assert_eq(F.nev, 0);
}

/*
 * The anchor down past a deregistration's three BUs (stopped, its link
 * down): given up, the anchor kept the binding, its address and its place
 * in the host's quota, and tunnelled to the old care-of address, for the
 * rest of its lifetime. Once it answers another BU (it runs again), the
 * deregistration goes again: dereg_tries BUs at most, once; its BA frees
 * it, late as it may come.
 */
Test(reg, a_deregistration_given_up_goes_again_when_the_anchor_answers_again)
{
	struct reg_binding *b = registered(300, 0), *b2;
	struct in6_addr hoa2 = A("2001:db8:c4a::8");
	struct mh_msg m;

	b2 = reg_binding_add(&C, C.anchors, 8, &F);
	cr_assert_not_null(b2);
	reg_alloc(&C, b2, T0 + 100, 0);
	struct ba_spec s2 = { .seq = bu(0).seq, .bid = 8, .hnp = &hoa2, .lifetime_s = 300,
			      .key = KEY };
	cr_assert_eq(deliver(&s2, T0 + 120), 0);
	F.nev = 0;
	/* the anchor down: the three BUs unanswered, given up */
	reg_dereg(&C, b, T0 + 5000);
	run_until(T0 + 30000);
	cr_assert_eq(F.n, 4, "dereg_tries BUs (%d)", F.n);
	/* back: it answers a refresh of bid 8 */
	reg_refresh(&C, b2, T0 + 40000, 0);
	cr_assert_eq(F.n, 5);
	s2.seq = bu(4).seq;
	cr_assert_eq(deliver(&s2, T0 + 40010), 0);
	cr_assert_eq(F.n, 6, "the deregistration goes again");
	m = bu(5);
	cr_assert_eq(m.lifetime, 0);
	cr_assert_eq(m.bid, 7);
	/* unanswered again: dereg_tries BUs, then no more, whatever answers */
	run_until(T0 + 70000);
	cr_assert_eq(F.n, 8, "dereg_tries BUs again (%d)", F.n);
	reg_refresh(&C, b2, T0 + 80000, 0);
	s2.seq = bu(8).seq;
	cr_assert_eq(deliver(&s2, T0 + 80010), 0);
	run_until(T0 + 120000);
	cr_assert_eq(F.n, 9, "once only: no BU but bid 8's refresh (%d)", F.n);
	/* a late answer to one of them frees it */
	struct ba_spec ok = { .seq = bu(7).seq, .bid = 7, .hnp = &HOA, .lifetime_s = 0,
			      .key = KEY };
	cr_assert_eq(deliver(&ok, T0 + 120000), 0);
	cr_assert_eq(C.anchors->bindings, b2, "freed by its BA");
	cr_assert_null(b2->next);
	cr_assert_eq(F.nev, 2, "bid 8's refreshes only");
}

Test(reg, deregistration_ba_frees_it_early)
{
	struct reg_binding *b = registered(300, 0);

	reg_dereg(&C, b, T0 + 5000);
	struct ba_spec s = { .seq = 101, .bid = 7, .hnp = &HOA, .lifetime_s = 0, .key = KEY };
	cr_assert_eq(deliver(&s, T0 + 5010), 0);
	cr_assert_null(C.anchors->bindings);
	cr_assert_eq(F.nev, 0);
}

Test(reg, expiry_without_refresh_answer)
{
	struct reg_binding *b = registered(8, 0);

	(void)b;
	F.del_on_event = 1;
	run_until(T0 + 100000);
	cr_assert_eq(F.nev, 1);
	cr_assert_eq(F.ev[0].kind, REG_EV_EXPIRED);
	cr_assert_geq(F.n, 1, "a refresh was tried first");
}

Test(reg, timeout_helpers)
{
	cr_assert_eq(reg_initial_timeout(REG_ALLOC), 1500);
	cr_assert_eq(reg_initial_timeout(REG_REFRESH), 1000);
	cr_assert_eq(reg_initial_timeout(REG_DEREG), 1000);
	cr_assert_eq(reg_next_timeout(1000), 2000);
	cr_assert_eq(reg_next_timeout(24000), 32000);
	cr_assert_eq(reg_next_timeout(32000), 32000);
}

/* ---- the outage a move's BUs report (replay.h) ---- */

Test(reg, bus_after_a_move_say_how_long_ago_the_old_coa_was_lost)
{
	struct reg_binding *b = registered(300, 0);
	struct mh_msg m;

	b->anchor->coa_lost_ms = T0 + 1000;
	reg_anchor_set_coa(b->anchor, &COA2);
	reg_refresh(&C, b, T0 + 1045, 1);
	m = bu(0);
	cr_assert(m.present & MH_HAS_COA_LOST);
	/* registered() had its BA 20 ms after the BU: the round trip is added
	 * (the last packet's way to the host, the BU's to the anchor) */
	cr_assert_eq(m.coa_lost_ms, 45 + 20, "sent 45 ms after the loss, 20 more for the ways");
	tick(T0 + 2045); /* no BA: the retransmission, later */
	cr_assert_eq(F.n, 2);
	m = bu(1);
	cr_assert(m.present & MH_HAS_COA_LOST);
	cr_assert_eq(m.coa_lost_ms, 1045 + 20, "still counted from the loss");
}

/* The loss the next move's BU names (its nth BU), the move 4 ms after the loss */
static uint32_t next_move_lost_ms(struct reg_binding *b, int n)
{
	b->anchor->coa_lost_ms = T0 + 20000;
	reg_anchor_set_coa(b->anchor, &COA2);
	reg_refresh(&C, b, T0 + 20004, 1);
	return bu(n).coa_lost_ms;
}

Test(reg, a_moves_bu_adds_the_last_round_trip_to_the_outage)
{
	struct reg_binding *b = registered(300, 0);
	struct ba_spec s = { .status = 0, .bid = 7, .hnp = &HOA, .lifetime_s = 300, .key = KEY };

	cr_assert_eq(b->anchor->rtt_ms, 20, "the registration's round trip");
	/* a refresh answered after 61 ms */
	reg_refresh(&C, b, T0 + 5000, 0);
	s.seq = bu(0).seq;
	cr_assert_eq(deliver(&s, T0 + 5061), 0);
	cr_assert_eq(b->anchor->rtt_ms, 61);
	/* one answered after more than REG_RTT_MAX_MS is not taken for the path's */
	reg_refresh(&C, b, T0 + 10000, 0);
	s.seq = bu(1).seq;
	cr_assert_eq(deliver(&s, T0 + 10000 + REG_RTT_MAX_MS + 1), 0);
	cr_assert_eq(b->anchor->rtt_ms, 61);
	/* the next move's BU: 4 ms after the loss, 61 ms for the two ways */
	cr_assert_eq(next_move_lost_ms(b, 2), 4 + 61);
}

Test(reg, the_round_trip_a_moves_bu_adds_ends_at_the_bas_arrival)
{
	struct reg_binding *b = registered(300, 0);
	struct ba_spec s = { .status = 0, .bid = 7, .hnp = &HOA, .lifetime_s = 300, .key = KEY };

	/* a refresh's BA that reached the host 3 ms after the BU and was
	 * read 58 ms later (the kernel's stamp, rx_at_ms): the path took 3 */
	reg_refresh(&C, b, T0 + 5000, 0);
	s.seq = bu(0).seq;
	F.nev = 0;
	C.rx_at_ms = T0 + 5003;
	cr_assert_eq(deliver(&s, T0 + 5061), 0);
	C.rx_at_ms = 0;
	cr_assert_eq(F.ev[0].rtt_ms, 61, "the exchange took 61 ms for its user");
	cr_assert_eq(b->anchor->rtt_ms, 3, "the path's round trip, not the read's delay");
	/* the next move's BU: 4 ms after the loss, 3 ms for the two ways */
	cr_assert_eq(next_move_lost_ms(b, 1), 4 + 3);
}

Test(reg, a_bas_arrival_stamp_later_than_its_read_is_not_taken)
{
	struct reg_binding *b = registered(300, 0);
	struct ba_spec s = { .status = 0, .bid = 7, .hnp = &HOA, .lifetime_s = 300, .key = KEY };

	reg_refresh(&C, b, T0 + 5000, 0);
	s.seq = bu(0).seq;
	C.rx_at_ms = T0 + 9000; /* not of this message */
	cr_assert_eq(deliver(&s, T0 + 5026), 0);
	C.rx_at_ms = 0;
	cr_assert_eq(b->anchor->rtt_ms, 26, "the read's time, as without a stamp");
}

Test(reg, bus_not_started_by_a_move_say_nothing_of_an_outage)
{
	struct reg_binding *b = registered(300, 0);

	b->anchor->coa_lost_ms = T0 + 1000;
	reg_refresh(&C, b, T0 + 5000, 0);
	cr_assert_not(bu(0).present & MH_HAS_COA_LOST, "a refresh");
	b->anchor->coa_lost_ms = 0;
	reg_refresh(&C, b, T0 + 7000, 1);
	cr_assert_not(bu(1).present & MH_HAS_COA_LOST, "a move with no loss known");
}

/* The anchor does not hold our key: its 146 cannot be signed and changes
 * nothing, but it is said at warning level, naming the anchor, the BU and
 * the identity, once a minute per anchor (a forged one could come at any
 * rate); a 146 that answers no BU of ours is not said. */
Test(reg, an_unauthenticated_146_answering_our_bu_is_said_once_a_minute)
{
	static char out[1 << 14];
	struct reg_binding *b = binding(100);
	struct ba_spec bare146 = { .status = 146, .seq = 100, .bid = -1, .no_replay = 1 };
	struct ba_spec other146 = { .status = 146, .seq = 4000, .bid = -1, .no_replay = 1 };
	const char *needle = "warn: say_auth_fail: anchor 2001:db8:ca::10 answered our BU seq 100 "
			     "with status 146 (authentication failed): it does not hold identity "
			     "mn1@example.test with this host's key and spi 4660 (compare "
			     "identity and key-file at both ends), unless the answer is forged: "
			     "it is not authenticated";

	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	reg_alloc(&C, b, T0, 0); /* seq 100 */
	stray(b, &other146, -EPERM, T0 + 10, "a 146 answering no BU of ours");
	stray(b, &bare146, -EPERM, T0 + 20, "the anchor's 146");
	stray(b, &bare146, -EPERM, T0 + 30, "its 146 again");
	stray(b, &bare146, -EPERM, T0 + 20 + REG_AUTH_FAIL_LOG_GAP_MS, "its 146 a minute on");
	log_read(out, sizeof(out));
	cr_assert_eq(log_count(out, needle), 2, "%s", out);
	cr_assert_null(strstr(out, "seq 4000"), "%s", out);
}

/* A move's re-registration the anchor leaves unanswered (it is unreachable,
 * or gone) is said once REG_UNHEARD_SAY_MS have passed, at warning level,
 * with when the binding expires, and its first answer after it in one line:
 * the log said nothing between the move and the binding's expiry, up to
 * its lifetime later. Once per silence (not at each BU), and at warning
 * level once a minute per anchor; one answered within that time is not
 * said at all. */
Test(reg, a_reregistration_the_anchor_leaves_unanswered_is_said_once)
{
	static char out[1 << 14];
	const char *warn = "warn: say_unheard: anchor 2001:db8:ca::10 has not answered the "
			   "move's re-registration of bid 7 for 3000 ms (3 BU(s); 1 "
			   "re-registration(s) out to it), so it tunnels to the care-of "
			   "address before the move: BUs go on until the binding expires in ";
	const char *back = "info: answered: anchor 2001:db8:ca::10 answers our BUs again, ";
	struct reg_binding *b = registered(300, 0);
	struct ba_spec s = { .status = 0, .bid = 7, .hnp = &HOA, .lifetime_s = 300, .key = KEY };
	uint64_t t = T0 + 5000;

	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	/* answered after 2 BUs, within REG_UNHEARD_SAY_MS: nothing said */
	reg_refresh(&C, b, t, 1);
	run_until(t + REG_UNHEARD_SAY_MS - 1);
	cr_assert_eq(F.n, 2);
	s.seq = bu(1).seq;
	cr_assert_eq(deliver(&s, t + REG_UNHEARD_SAY_MS - 1), 0);
	cr_assert_eq(F.ev[F.nev - 1].kind, REG_EV_ACCEPTED);
	/* unanswered: said at the third BU, 3 s after the first, and no more */
	t += 10000;
	F.n = 0;
	reg_refresh(&C, b, t, 1);
	run_until(t + 20000);
	cr_assert_eq(F.n, 5, "BUs at 0, 1, 3, 7, 15 s");
	s.seq = bu(4).seq;
	cr_assert_eq(deliver(&s, t + 20000), 0);
	cr_assert_eq(F.ev[F.nev - 1].kind, REG_EV_ACCEPTED);
	/* a second silence within the minute: at debug level only */
	t += 30000;
	F.n = 0;
	reg_refresh(&C, b, t, 0);
	run_until(t + 5000);
	s.seq = bu(F.n - 1).seq;
	cr_assert_eq(deliver(&s, t + 5000), 0);
	log_read(out, sizeof(out));
	cr_assert_eq(log_count(out, warn), 1, "%s", out);
	cr_assert(strstr(out, "BUs go on until the binding expires in 288 s"), "%s", out);
	cr_assert_eq(log_count(out, back), 1, "%s", out);
	cr_assert(strstr(out, "again, 20000 ms after the first it left unanswered"), "%s", out);
	cr_assert_eq(log_count(out, "has not answered"), 1, "%s", out);
}

/* A silence that ends in the binding's expiry ends what was said: the next
 * re-registration left unanswered (a minute on) is said again. */
Test(reg, a_silence_that_ends_in_expiry_lets_the_next_be_said)
{
	static char out[1 << 14];
	struct reg_binding *b = registered(20, 0);
	struct ba_spec s = { .status = 0, .bid = 7, .hnp = &HOA, .lifetime_s = 20, .key = KEY };

	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	run_until(T0 + 20 + 20000);
	cr_assert_eq(F.ev[F.nev - 1].kind, REG_EV_EXPIRED);
	F.n = 0;
	reg_alloc(&C, b, T0 + 70000, 0);
	s.seq = bu(0).seq;
	cr_assert_eq(deliver(&s, T0 + 70010), 0);
	cr_assert_eq(F.ev[F.nev - 1].kind, REG_EV_ACCEPTED);
	run_until(T0 + 70010 + 20000);
	log_read(out, sizeof(out));
	cr_assert_eq(log_count(out, "warn: say_unheard: anchor 2001:db8:ca::10 has not answered "
				"the refresh of bid 7"), 2, "%s", out);
	cr_assert_eq(log_count(out, "answers our BUs again"), 0, "%s", out);
}

/* The anchor's agent was away (killed) while the host moved: the move's
 * BUs went at the outage's pace (every REG_AWAY_RETRY_MS). The first BA
 * once it is back brings the next BU of the other exchanges out to it
 * forward to then: with a few hundred bindings there, they would
 * otherwise each wait up to 2 s more (a chaos run: 80 leases re-registered
 * 1.2 s after the anchor had answered the first). */
Test(reg, the_first_ba_of_an_anchor_back_brings_the_other_bus_out_to_it_forward)
{
	struct reg_binding *b7 = binding(100), *b8;
	struct ba_spec s = { .status = 0, .bid = 7, .hnp = &HOA, .lifetime_s = 300, .key = KEY };
	uint64_t t = T0 + 1000;

	b8 = reg_binding_add(&C, b7->anchor, 8, (void *)&F);
	cr_assert_not_null(b8);
	F.now = t;
	reg_refresh(&C, b7, t, 1);
	reg_refresh(&C, b8, t, 1);
	cr_assert_eq(F.n, 2);
	cr_assert_eq(reg_anchor_agent_away(b7->anchor, &COA, t + 5), 0, "due within 2 s already");
	cr_assert(b7->anchor->away);
	tick(t + 1000);                           /* the first retransmissions */
	cr_assert_eq(F.n, 4);
	reg_anchor_agent_away(b7->anchor, &COA, t + 1005);
	cr_assert_eq(b8->next_tx_ms, t + 1000 + REG_AWAY_RETRY_MS, "at the outage's pace");
	/* the anchor is back; b7's BU goes again (a Binding Error for one of
	 * its packets asks for it, hostengine anchor_asks) and is answered */
	cr_assert_eq(reg_resend_now(&C, b7, t + 1300), 0);
	cr_assert_eq(F.n, 5);
	s.seq = bu(4).seq;
	cr_assert_eq(deliver(&s, t + 1310), 0);
	cr_assert_eq(b7->kind, REG_NONE, "the BA ended b7's exchange");
	cr_assert_eq(b7->anchor->away, 0);
	cr_assert_leq(reg_next_deadline(&C), t + 1310, "b8's next BU is due now");
	tick(t + 1310);
	cr_assert_eq(F.n, 6, "b8's BU went at once");
	cr_assert_eq(bu(5).bid, 8);
}

/* The paced BUs of an outage's exchanges went in one burst, and the anchor,
 * back, answers the first of them: the others reached it back too, their
 * answers are on the way, and they do not go again. Nor under a forged
 * "unrecognized Next Header" before each BA (anyone can send one): each BA
 * would otherwise bring every exchange still out forward again, a move's
 * burst of n BUs sent up to MAX_UPDATE_RATE times, not once. */
Test(reg, a_ba_of_an_anchor_back_does_not_send_again_the_bus_that_left_with_its_bu)
{
	struct reg_binding *b7 = binding(100), *b8, *b9;
	struct ba_spec s = { .status = 0, .hnp = &HOA, .lifetime_s = 300, .key = KEY };
	uint64_t t = T0 + 1000;

	b8 = reg_binding_add(&C, b7->anchor, 8, (void *)&F);
	b9 = reg_binding_add(&C, b7->anchor, 9, (void *)&F);
	cr_assert_not_null(b8);
	cr_assert_not_null(b9);
	F.now = t;
	reg_refresh(&C, b7, t, 1);                /* a move's burst */
	reg_refresh(&C, b8, t, 1);
	reg_refresh(&C, b9, t, 1);
	cr_assert_eq(F.n, 3);
	for (int i = 0; i < 3; i++) {
		struct mh_msg m = bu(i);

		/* a forged error first: the anchor "away" again */
		reg_anchor_agent_away(b7->anchor, &COA, t + 10 + (uint64_t)i);
		cr_assert(b7->anchor->away);
		s.seq = m.seq;
		s.bid = m.bid;
		cr_assert_eq(deliver(&s, t + 20 + (uint64_t)i), 0);
		tick(t + 20 + (uint64_t)i);
		cr_assert_eq(F.n, 3, "BA %d: no BU sent again (%d sent)", i, F.n);
	}
	cr_assert_eq(b7->kind, REG_NONE);
	cr_assert_eq(b8->kind, REG_NONE);
	cr_assert_eq(b9->kind, REG_NONE);
}
