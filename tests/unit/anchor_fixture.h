/* SPDX-License-Identifier: MIT */
/*
 * anchor_fixture.h — what the anchor's unit tests share (test_anchor.c,
 * test_anchor_modes.c): a recording fake tunnel backend behind the real
 * ops table, the identities and configuration, a BU builder on the codec,
 * and sending a BU to anchor_handle_bu() with the time passed in. Each
 * test file sets the configuration up itself (setup_with...).
 */
#ifndef ODM_TEST_ANCHOR_FIXTURE_H
#define ODM_TEST_ANCHOR_FIXTURE_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "anchor.h"
#include "testaddr.h"

#define A_ADDR "2001:db8:ca::1"
#define A_POOL "2001:db8:c4a::"
#define COA1 "2001:db8:1::100"
#define COA2 "2001:db8:2::200"
#define NAI1 "mn1@example.org"
#define NAI2 "mn2@example.org"
#define SPI1 0x100u
#define SPI2 0x200u
#define T0_UNIX 1700000000

/* ---- fake tunnel backend ---- */

struct fake_tun {
	unsigned binds, unbinds;
	int fail_bind;
	struct in6_addr inner, local, remote, unbound;
	unsigned live; /* bound inner addresses */
	unsigned moves; /* moved() calls: the replay after a move */
	int moved_has_lost;
	uint32_t moved_lost_ms;
	uint32_t moved_tag;
	int moved_same;
};

static struct fake_tun ft;

static inline int fk_probe(enum odm_tunnel_side side, int level, char *why, size_t len)
{
	(void)side, (void)level, (void)why, (void)len;
	return 0;
}
static inline int fk_open(struct odm_tunnel *t) { return 0; }
static inline void fk_close(struct odm_tunnel *t) {}

static inline int fk_bind(struct odm_tunnel *t, const struct in6_addr *inner,
		   const struct in6_addr *local, const struct in6_addr *remote)
{
	if (ft.fail_bind)
		return -ENOMEM;
	ft.binds++;
	ft.inner = *inner;
	ft.local = *local;
	ft.remote = *remote;
	return 0;
}

static inline int fk_unbind(struct odm_tunnel *t, const struct in6_addr *inner)
{
	ft.unbinds++;
	ft.unbound = *inner;
	return 0;
}

static inline int fk_stats(struct odm_tunnel *t, const struct in6_addr *inner,
		    struct odm_tunnel_stats *st)
{
	memset(st, 0, sizeof *st);
	st->dropped = 7;
	return 0;
}

static inline size_t fk_moved(struct odm_tunnel *t, const struct in6_addr *inner, int has_lost,
			      uint32_t lost_ago_ms, uint32_t last_tag, int same)
{
	ft.moves++;
	ft.moved_same = same;
	ft.moved_has_lost = has_lost;
	ft.moved_lost_ms = lost_ago_ms;
	ft.moved_tag = last_tag;
	return 0;
}

static const struct odm_tunnel_ops fake_ops = {
	.name = "fake", .probe = fk_probe, .open = fk_open, .close = fk_close,
	.bind = fk_bind, .unbind = fk_unbind, .stats = fk_stats, .moved = fk_moved,
};

/* ---- fixture ---- */

static struct odm_identity idents[2];
static struct odm_config cfg;
static struct odm_tunnel tun;
static struct anchor an;
static struct timespec rt0 = { T0_UNIX, 0 };
static uint64_t ntp0;

static inline void key_fill(uint8_t *k, uint8_t base)
{
	for (int i = 0; i < MH_AUTH_KEY_LEN; i++)
		k[i] = (uint8_t)(base + i);
}

/* The two identities (NAI1 at index swap, NAI2 at the other), the fake
 * tunnel, and anchor_init() on cfg as the caller filled it in */
static inline void fixture_start(int swap)
{
	snprintf(idents[swap].nai, sizeof idents[0].nai, "%s", NAI1);
	idents[swap].spi = SPI1;
	key_fill(idents[swap].key, 0x10);
	snprintf(idents[!swap].nai, sizeof idents[1].nai, "%s", NAI2);
	idents[!swap].spi = SPI2;
	key_fill(idents[!swap].key, 0x40);
	cfg.identities = idents;
	cfg.n_identities = 2;
	memset(&tun, 0, sizeof tun);
	tun.ops = &fake_ops;
	tun.side = ODM_TUNNEL_ANCHOR;
	snprintf(tun.ifname, sizeof tun.ifname, "odmt0");
	cr_assert_eq(anchor_init(&an, &cfg, &tun), 0);
	ntp0 = mh_ntp_from_timespec(&rt0);
}

/* ---- BU builder ---- */

enum { NO_MNID = 1, NO_AUTH = 2, NO_ALTCOA = 4, NO_REPLAY = 8, NO_HNP = 16, NO_BID = 32 };

struct bu {
	const char *nai;
	uint32_t spi;
	const uint8_t *key;    /* NULL = the identity's */
	const char *coa;       /* Alternate CoA */
	const char *src;       /* packet source; NULL = coa */
	const char *hnp;       /* NULL = "::" */
	uint16_t bid, seq, lifetime;
	int64_t ts_ms;         /* replay timestamp offset from the anchor's clock */
	unsigned omit;
	int flip_mac;
	const char *service;   /* Service Selection identifier; NULL = none */
	int64_t lost_ms;       /* "care-of address lost" option; < 0 or 0 = none */
	uint32_t lost_tag;     /* ... and the last packet's tag in it (0 = none) */
};

static inline struct bu bu_default(uint16_t seq)
{
	struct bu b = { .nai = NAI1, .spi = SPI1, .coa = COA1, .bid = 1, .seq = seq,
			.lifetime = 100, .ts_ms = (int64_t)seq * 10 };
	return b;
}

static inline uint64_t ntp_plus(int64_t ms)
{
	/* 2^32 fractions per second */
	return ntp0 + (uint64_t)((ms * 4294967296LL) / 1000);
}

static inline size_t build(const struct bu *b, uint8_t *buf)
{
	struct mh_msg m;
	struct in6_addr coa = A(b->coa), hnp = A(b->hnp ? b->hnp : "::");
	const uint8_t *key = b->key ? b->key
			     : strcmp(b->nai, NAI2) == 0 ? idents[1].key : idents[0].key;
	int n;

	memset(&m, 0, sizeof m);
	m.type = MH_TYPE_BU;
	m.seq = b->seq;
	m.flags = MH_BU_A | MH_BU_H;
	m.lifetime = b->lifetime;
	m.present = MH_HAS_MNID | MH_HAS_AUTH | MH_HAS_ALTCOA | MH_HAS_REPLAY | MH_HAS_HNP |
		    MH_HAS_BID;
	if (b->omit & NO_MNID)
		m.present &= ~MH_HAS_MNID;
	if (b->omit & NO_AUTH)
		m.present &= ~MH_HAS_AUTH;
	if (b->omit & NO_ALTCOA)
		m.present &= ~MH_HAS_ALTCOA;
	if (b->omit & NO_REPLAY)
		m.present &= ~MH_HAS_REPLAY;
	if (b->omit & NO_HNP)
		m.present &= ~MH_HAS_HNP;
	if (b->omit & NO_BID)
		m.present &= ~MH_HAS_BID;
	m.altcoa = coa;
	m.mnid_subtype = MH_MNID_SUBTYPE_NAI;
	snprintf(m.mnid, sizeof m.mnid, "%s", b->nai);
	m.hnp_len = 128;
	m.hnp = hnp;
	m.bid = b->bid;
	m.replay_ts = ntp_plus(b->ts_ms);
	m.auth_subtype = MH_AUTH_SUBTYPE_MNHA;
	m.auth_spi = b->spi;
	if (b->lost_ms > 0) {
		m.present |= MH_HAS_COA_LOST;
		m.coa_lost_ms = (uint32_t)b->lost_ms;
		m.coa_lost_tag = b->lost_tag;
	}
	if (b->service) {
		m.present |= MH_HAS_SERVICE;
		m.service_len = (uint8_t)strlen(b->service);
		memcpy(m.service, b->service, m.service_len);
	}
	n = mh_encode(&m, buf, MH_MAX_LEN, key, &coa, (b->omit & NO_HNP) ? &in6addr_any : &hnp,
		      NULL, NULL);
	cr_assert_gt(n, 0, "encode: %s", mh_strerror(n));
	if (b->flip_mac) {
		struct mh_msg d;

		cr_assert_eq(mh_decode(buf, (size_t)n, &d, NULL, NULL), 0);
		buf[d.auth_off + 18] ^= 1; /* last byte of the authenticator */
	}
	return (size_t)n;
}

static uint8_t last_buf[MH_MAX_LEN];
static size_t last_len;

/* Send a BU at monotonic time now_ms; decode the answer into *ba. */
static inline int send_raw(const uint8_t *buf, size_t len, const char *src, uint64_t now_ms,
		    struct mh_msg *ba)
{
	uint8_t reply[MH_MAX_LEN];
	struct in6_addr s = A(src), d = cfg.address;
	int n = anchor_handle_bu(&an, buf, len, &s, &d, now_ms, &rt0, reply, sizeof reply);

	cr_assert_geq(n, 0);
	if (n == 0)
		return 0;
	cr_assert_eq(mh_decode(reply, (size_t)n, ba, NULL, NULL), 0);
	memcpy(last_buf, reply, (size_t)n);
	last_len = (size_t)n;
	return n;
}

static inline int send_bu(const struct bu *b, uint64_t now_ms, struct mh_msg *ba)
{
	uint8_t buf[MH_MAX_LEN];
	size_t len = build(b, buf);
	int n = send_raw(buf, len, b->src ? b->src : b->coa, now_ms, ba);

	cr_assert_gt(n, 0, "no answer");
	cr_assert_eq(ba->type, MH_TYPE_BA);
	return n;
}

/* The BA's authenticator, with HoA = its HNP or :: (anchor.h) */
static inline void assert_ba_auth(const struct mh_msg *ba, const uint8_t *key, const char *coa)
{
	struct in6_addr c = A(coa);
	const struct in6_addr *h = (ba->present & MH_HAS_HNP) ? &ba->hnp : &in6addr_any;

	cr_assert(ba->present & MH_HAS_AUTH, "BA not authenticated");
	cr_assert_eq(mh_auth_verify(last_buf, last_len, ba, key, &c, h), 0, "BA MAC");
	cr_assert_eq(ba->flags & MH_BA_P, 0, "P flag must be clear");
}

/* ---- state snapshots for "rejected BUs change nothing" ---- */

struct snap {
	size_t count;
	uint32_t pool_free;
	struct anchor_ident ids[2];
	unsigned binds, unbinds;
	struct binding b[4];
	size_t nb;
};

static inline void snap_one(const struct binding *b, void *arg)
{
	struct snap *s = arg;

	if (s->nb < 4) {
		s->b[s->nb] = *b;
		s->b[s->nb].next_hoa = s->b[s->nb].next_id = NULL;
		s->b[s->nb].heap_idx = 0;
		s->nb++;
	}
}

static inline struct snap take(void)
{
	struct snap s;

	memset(&s, 0, sizeof s);
	s.count = an.bc.count;
	s.pool_free = pool_free_count(&an.pool);
	memcpy(s.ids, an.ids, sizeof s.ids);
	s.binds = ft.binds;
	s.unbinds = ft.unbinds;
	bcache_foreach(&an.bc, snap_one, &s);
	return s;
}

static inline void assert_same(const struct snap *a, const struct snap *b)
{
	cr_assert_eq(a->count, b->count, "binding count changed");
	cr_assert_eq(a->pool_free, b->pool_free, "pool changed");
	/* the identity's replay and binding state; its bucket of log lines
	 * (bu_log) is no state of the protocol: every BU said spends it */
	for (int i = 0; i < 2; i++) {
		const struct anchor_ident *x = &a->ids[i], *y = &b->ids[i];

		cr_assert(x->has_last == y->has_last && x->last_seq == y->last_seq &&
				  x->last_ts == y->last_ts && x->nbindings == y->nbindings &&
				  x->stale_told_ms == y->stale_told_ms,
			  "identity state changed");
	}
	cr_assert_eq(a->binds, b->binds, "tunnel bound");
	cr_assert_eq(a->unbinds, b->unbinds, "tunnel unbound");
	cr_assert_eq(a->nb, b->nb);
	cr_assert_eq(memcmp(a->b, b->b, sizeof a->b), 0, "a binding changed");
}

#endif
