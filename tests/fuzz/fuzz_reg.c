/* SPDX-License-Identifier: MIT */
/*
 * fuzz_reg.c — libFuzzer harness for the host's Binding Acknowledgement
 * handling (odmagent/registration.c), the logic that acts on what an
 * anchor, or anyone else, sends to the host.
 *
 * Random bytes alone would die at the authenticator, so the input is read
 * as a script of steps against one anchor with three bindings that start
 * in different states (allocating, registered, refreshing). A step is raw
 * bytes handed to reg_input(), a BA built from fuzzer-chosen fields (which
 * binding and which of its BUs it answers, whether it echoes that BU's
 * number and timestamp or others, status, options, right or wrong key,
 * SPI and care-of address) and signed with mh_encode(), a new exchange
 * (allocate, refresh, deregister), a care-of address change, an
 * "unrecognized Next Header" error (the anchor's agent away: it sends
 * nothing), the move's BUs sent again (reg_resend_moved: once each), or
 * time going on. After every BA:
 *   - if reg_input() refused it, no binding, anchor or binding list
 *     changed, no BU left and no exchange ended;
 *   - if it acted, the BA (decoded here) is authenticated with our SPI and
 *     key over the CoA of a BU of a then outstanding exchange, is no 146,
 *     and echoes that BU's number and timestamp (135: the newest BU's
 *     timestamp; 145: its number), a 145 ended nothing, and at most one BU
 *     left besides one for each deregistration it revived (one parked
 *     with all its BUs unanswered, sent again once: the anchor runs).
 * LeakSanitizer checks that reg_cleanup() frees what was made. Any
 * violation abort()s.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_cursor.h"
#include "log.h"
#include "mh.h"
#include "registration.h"

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			abort();                                          \
	} while (0)

#define NB 3        /* bindings */
#define MAX_STEPS 16
#define SPI 0x1234
#define DEREG_TRIES 2

static const uint8_t KEY[MH_AUTH_KEY_LEN] = { 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
					       1,    2,    3,    4,    5,    6,    7,    8 };
/* 2001:db8:ca::10 (anchor), 2001:db8:a1::1 and ::2 (CoAs), 2001:db8:c4a::7 (HoA) */
static const struct in6_addr ANCHOR = { { { 0x20, 0x01, 0x0d, 0xb8, 0, 0xca, 0, 0,
					    0, 0, 0, 0, 0, 0, 0, 0x10 } } };
static const struct in6_addr HOA = { { { 0x20, 0x01, 0x0d, 0xb8, 0x0c, 0x4a, 0, 0,
					 0, 0, 0, 0, 0, 0, 0, 7 } } };

static struct {
	uint64_t ntp;
	unsigned sent, events, ev145;
} S;

static void coa_of(unsigned k, struct in6_addr *a)
{
	static const struct in6_addr base = { { { 0x20, 0x01, 0x0d, 0xb8, 0, 0xa1, 0, 0,
						  0, 0, 0, 0, 0, 0, 0, 0 } } };
	*a = base;
	a->s6_addr[15] = (uint8_t)(1 + (k & 1));
}

static int fk_send(void *arg, const uint8_t *buf, size_t len, const struct in6_addr *src,
		   const struct in6_addr *dst)
{
	(void)arg; (void)buf; (void)len; (void)src; (void)dst;
	S.sent++;
	return 0;
}

static uint64_t fk_ntp(void *arg)
{
	(void)arg;
	return S.ntp;
}

static void fk_done(void *arg, struct reg_binding *b, const struct reg_event *ev)
{
	(void)arg; (void)b;
	S.events++;
	if (ev->status == MH_BA_MESG_ID_REQD)
		S.ev145++;
}

static const struct reg_ops OPS = { fk_send, fk_ntp, fk_done };

/* Everything a BA may change, to compare before and after. */
struct snap {
	struct reg_anchor an;
	struct reg_binding b[NB];
	struct reg_binding *ptr[NB];
	unsigned nb, sent, events;
};

static void take_snap(const struct reg_anchor *an, struct snap *x)
{
	memcpy(&x->an, an, sizeof(*an));
	x->nb = 0;
	for (const struct reg_binding *b = an->bindings; b && x->nb < NB; b = b->next) {
		memcpy(&x->b[x->nb], b, sizeof(*b));
		x->ptr[x->nb++] = (struct reg_binding *)b;
	}
	x->sent = S.sent;
	x->events = S.events;
}

static void check_unchanged(const struct reg_anchor *an, const struct snap *x)
{
	struct reg_anchor now = *an;
	unsigned i = 0;

	/* what the log said of a 146 answering one of our BUs (when it came,
	 * when it was told): the log's, not the registration's; an ignored
	 * BA may move them, nothing else */
	now.auth_fail_ms = x->an.auth_fail_ms;
	now.auth_fail_told_ms = x->an.auth_fail_told_ms;
	CHECK(memcmp(&x->an, &now, sizeof(now)) == 0);
	for (const struct reg_binding *b = an->bindings; b; b = b->next, i++) {
		CHECK(i < x->nb && b == x->ptr[i]);
		CHECK(memcmp(&x->b[i], b, sizeof(*b)) == 0);
	}
	CHECK(i == x->nb);
	CHECK(S.sent == x->sent && S.events == x->events);
}

/* Did the BA in buf answer an outstanding BU of the snapshot? (the rule of
 * registration.h, stated again from the outside) */
static int answers_outstanding(const uint8_t *buf, size_t len, const struct snap *x)
{
	const struct in6_addr *hoa;
	struct mh_msg m;

	if (mh_decode(buf, len, &m, NULL, NULL) != 0 || m.type != MH_TYPE_BA)
		return 0;
	if (!(m.present & MH_HAS_AUTH) || m.auth_spi != SPI || !(m.present & MH_HAS_REPLAY) ||
	    m.status == MH_BA_AUTH_FAIL)
		return 0;
	hoa = (m.present & MH_HAS_HNP) ? &m.hnp : &in6addr_any;
	for (unsigned i = 0; i < x->nb; i++) {
		const struct reg_binding *b = &x->b[i];
		unsigned n = b->n_sent < REG_SEQ_HISTORY ? b->n_sent : REG_SEQ_HISTORY;

		if (b->kind == REG_NONE || ((m.present & MH_HAS_BID) && m.bid != b->bid))
			continue;
		for (unsigned k = 0; k < n; k++) {
			const struct reg_sent *s = &b->sent[(b->n_sent - 1 - k) % REG_SEQ_HISTORY];
			int echo;

			if (m.status == MH_BA_SEQ_OUT_OF_WINDOW)
				echo = k == 0 && s->ts == m.replay_ts;
			else if (m.status == MH_BA_MESG_ID_REQD)
				echo = s->seq == m.seq;
			else
				echo = s->seq == m.seq && s->ts == m.replay_ts;
			if (echo && mh_auth_verify(buf, len, &m, KEY, &s->coa, hoa) == 0)
				return 1;
		}
	}
	return 0;
}

/* A BA from the fuzzer's choices about binding b; returns its length. */
static size_t build_ba(struct cursor *c, const struct reg_binding *b, uint8_t *buf, size_t cap)
{
	uint8_t f = take8(c), g = take8(c), pick = take8(c);
	const struct reg_sent *s = &b->sent[pick % REG_SEQ_HISTORY];
	const struct reg_sent *o = &b->sent[(pick >> 3) % REG_SEQ_HISTORY];
	uint8_t key[MH_AUTH_KEY_LEN];
	struct in6_addr coa = s->coa;
	struct mh_msg m;
	int n;

	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BA;
	m.status = take8(c);
	if (g & 0x80) /* the statuses that matter most */
		m.status = (uint8_t[]){ 0, 135, 145, 146, 133, 174, 130, 1 }[g & 7];
	m.seq = (f & 1) ? s->seq : (f & 0x80) ? o->seq : take16(c);
	m.lifetime = (uint16_t)take8(c);
	if (f & 2) {
		m.present |= MH_HAS_REPLAY;
		/* ours, another BU's, or one next to ours */
		m.replay_ts = (f & 4) ? s->ts : (g & 8) ? o->ts : s->ts + (int8_t)take8(c);
	}
	if (f & 8) {
		m.present |= MH_HAS_BID;
		m.bid = (g & 0x10) ? (uint16_t)take8(c) : b->bid;
	}
	if (f & 0x10) {
		m.present |= MH_HAS_HNP;
		m.hnp_len = 128;
		m.hnp = (g & 0x20) ? in6addr_any : HOA;
	}
	if (g & 0x40) {
		m.present |= MH_HAS_BRA;
		m.bra_refresh = take16(c);
	}
	if (f & 0x20) {
		m.present |= MH_HAS_AUTH;
		m.auth_subtype = MH_AUTH_SUBTYPE_MNHA;
		m.auth_spi = (f & 0x40) ? SPI : take16(c);
	}
	memcpy(key, KEY, sizeof(key));
	key[0] ^= take8(c) & 0x81;        /* mostly right */
	if (pick & 0x40)
		coa_of(pick >> 7, &coa);  /* maybe not the CoA of that BU */
	n = mh_encode(&m, buf, cap, (m.present & MH_HAS_AUTH) ? key : NULL, &coa,
		      (m.present & MH_HAS_HNP) ? &m.hnp : &in6addr_any, NULL, NULL);
	return n > 0 ? (size_t)n : 0;
}

static struct reg_binding *nth(struct reg_anchor *an, unsigned k)
{
	struct reg_binding *b = an->bindings;
	unsigned n = 0;

	for (struct reg_binding *p = b; p; p = p->next)
		n++;
	if (!n)
		return NULL;
	for (k %= n; k; k--)
		b = b->next;
	return b;
}

/* Deregistrations this BA sent again: each was parked given up in the
 * snapshot (all its BUs unanswered, none due, not revived before, the
 * anchor still holding it) and is now on its way again, once. */
static unsigned revived(const struct reg_anchor *an, const struct snap *x, uint64_t now)
{
	unsigned n = 0;

	for (const struct reg_binding *b = an->bindings; b; b = b->next) {
		const struct reg_binding *was = NULL;

		for (unsigned i = 0; i < x->nb; i++)
			if (x->ptr[i] == b)
				was = &x->b[i];
		if (!was || !b->dereg_revived || was->dereg_revived)
			continue;
		CHECK(was->kind == REG_DEREG && b->kind == REG_DEREG && !was->next_tx_ms &&
		      was->tries >= DEREG_TRIES &&
		      now < was->dereg_until_ms && b->next_tx_ms);
		n++;
	}
	return n;
}

static void deliver(struct reg_ctx *c, struct reg_anchor *an, const uint8_t *buf, size_t len,
		    const struct in6_addr *src, uint64_t now)
{
	struct snap x;
	unsigned ev145 = S.ev145;
	struct in6_addr dst;
	int rc;

	take_snap(an, &x);
	coa_of(0, &dst);
	rc = reg_input(c, buf, len, src, &dst, now);
	if (rc < 0) {
		check_unchanged(an, &x);
	} else {
		CHECK(rc == 0);
		CHECK(IN6_ARE_ADDR_EQUAL(src, &ANCHOR));
		CHECK(answers_outstanding(buf, len, &x));
		CHECK(S.ev145 == ev145); /* a 145 never ends an exchange */
		/* one BU at most (a 135's resync, a 145's retry), and one
		 * for each given-up deregistration the answer revives
		 * (once each, only those parked given up): an anchor back
		 * from an outage brings the others' BUs forward, sent by
		 * the timers, within MAX_UPDATE_RATE */
		CHECK(S.sent <= x.sent + 1 + revived(an, &x, now));
	}
}

/* A BU-sending step that is not a BA: an "unrecognized Next Header" error
 * from the anchor (anyone may forge one) sends nothing and ends nothing;
 * the move's BUs sent again (back on a claim's link) go once per exchange
 * of the move still out. */
static void away_or_resend(struct reg_ctx *c, struct reg_anchor *an, uint8_t kind, uint64_t now)
{
	unsigned sent = S.sent, events = S.events, n, out = 0;
	struct in6_addr coa;

	coa_of(kind >> 3, &coa);
	if (!(kind & 0x20)) {
		(void)reg_anchor_agent_away(an, &coa, now);
		CHECK(S.sent == sent && S.events == events);
		return;
	}
	for (const struct reg_binding *b = an->bindings; b; b = b->next)
		out += (b->kind == REG_ALLOC || b->kind == REG_REFRESH) && b->after_move &&
		       b->n_sent && an->has_coa && IN6_ARE_ADDR_EQUAL(&an->coa, &coa);
	n = reg_resend_moved(c, NULL, &coa, now);
	CHECK(n == out && S.sent == sent + n && S.events == events);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int log_once;
	static struct reg_ctx ctx;
	struct reg_config cfg;
	struct reg_anchor *an;
	struct reg_binding *b;
	struct cursor c = { data, size };
	struct in6_addr coa;
	uint64_t now = 1000000;
	uint8_t buf[MH_MAX_LEN];

	if (!log_once) {
		odm_log_init("fuzz_reg", ODM_LOG_ERR, 0);
		log_once = 1;
	}
	memset(&S, 0, sizeof(S));
	S.ntp = 0xe8000000ull << 32;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.nai, sizeof(cfg.nai), "mn1@example.test");
	cfg.spi = SPI;
	memcpy(cfg.key, KEY, sizeof(KEY));
	cfg.lifetime_s = 60;
	cfg.alloc_timeout_ms = 4000;
	cfg.dereg_tries = DEREG_TRIES;
	reg_init(&ctx, &cfg, &OPS, NULL);
	an = reg_anchor_get(&ctx, &ANCHOR, (uint16_t)(take16(&c)));
	CHECK(an);
	coa_of(0, &coa);
	reg_anchor_set_coa(an, &coa);
	/* bid 1 allocating; bid 2 registered; bid 3 registered and refreshing */
	for (uint16_t bid = 1; bid <= NB; bid++) {
		b = reg_binding_add(&ctx, an, bid, &S);
		CHECK(b);
		if (bid == 1) {
			reg_alloc(&ctx, b, now, 0);
			continue;
		}
		b->hnp = HOA;
		b->hnp.s6_addr[14] = (uint8_t)bid;
		b->registered = 1;
		b->granted_s = 60;
		b->expires_ms = now + 60000;
		b->refresh_ms = now + 48000;
		if (bid == 3)
			reg_refresh(&ctx, b, now, 1);
	}

	for (int step = 0; step < MAX_STEPS && c.n; step++) {
		uint8_t kind = take8(&c);
		size_t len;

		switch (kind & 7) {
		case 0: { /* raw bytes, from the anchor or a stranger */
			struct in6_addr src = ANCHOR;

			len = take8(&c);
			if (len > c.n)
				len = c.n;
			memcpy(buf, c.p, len);
			c.p += len;
			c.n -= len;
			if (kind & 8)
				coa_of(1, &src);
			deliver(&ctx, an, buf, len, &src, now);
			break;
		}
		case 1: case 2: case 3: case 4:
			b = nth(an, kind >> 3);
			if (!b)
				break;
			len = build_ba(&c, b, buf, sizeof(buf));
			if (len)
				deliver(&ctx, an, buf, len, &ANCHOR, now);
			break;
		case 5: /* a new exchange, if the binding still has a user */
			b = nth(an, kind >> 5);
			if (!b || !b->user)
				break;
			if ((kind >> 3 & 3) == 0)
				reg_alloc(&ctx, b, now, kind >> 7);
			else if ((kind >> 3 & 3) == 1)
				reg_refresh(&ctx, b, now, kind >> 7);
			else if ((kind >> 3 & 3) == 2)
				reg_dereg(&ctx, b, now);
			break;
		case 6: /* the host moves, or an error or a claim's BA moves BUs */
			if (kind & 0x30) {
				away_or_resend(&ctx, an, kind, now);
				break;
			}
			coa_of(kind >> 3, &coa);
			reg_anchor_set_coa(an, &coa);
			break;
		case 7: /* time goes on: up to ~8 s, the clock with it */
			now += (uint64_t)(kind >> 3) * 256;
			S.ntp += (uint64_t)(kind >> 3) << 24;
			reg_timers(&ctx, now);
			/* what one pass leaves due (an exchange that ended
			 * before its binding expired) the next pass does:
			 * it settles, no busy loop */
			for (int k = 0; k < 4; k++) {
				uint64_t d = reg_next_deadline(&ctx);

				if (!d || d > now)
					break;
				CHECK(k < 3);
				reg_timers(&ctx, now);
			}
			break;
		}
	}
	reg_cleanup(&ctx);
	return 0;
}
