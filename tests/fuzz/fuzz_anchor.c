/* SPDX-License-Identifier: MIT */
/*
 * fuzz_anchor.c — libFuzzer harness for the anchor's Binding Update
 * processing (odmagent/anchor.c), the logic that acts on outside input once
 * the codec has parsed it.
 *
 * Random bytes alone would die at the authenticator, so the input is read
 * as a script of up to 16 steps against one anchor (its first byte picks
 * the modes it serves: cha, home, access, any mix, and whether its last run
 * ended in a crash, so that pool addresses are held; a /120 pool, or a /64
 * when it serves home; access prefix 2001:db8:a2::/64 with a 20 s grace
 * period, BUs from two of its addresses on the link, from the other two
 * across the core; 2 identities, at most 3 bindings each besides a home
 * one, a fake tunnel that keeps which addresses it tunnels). A step is
 * either raw bytes handed to anchor_handle_bu(), or a BU built from fuzzer-chosen
 * fields (identity, right or wrong key, which options, sequence number,
 * lifetime, HNP: ::, a pool address, an access address or the identity's
 * home address, BID, clock skew, Service Selection: none, each type name
 * or junk, the "care-of address lost" option or not, and whether the
 * tunnel's bind or the address's route fails for it),
 * signed with mh_encode() when the key is right; between steps the clock
 * moves and bindings expire. After every step:
 *   - the answer is empty or decodes as a BA or BE;
 *   - a BA that refuses (status >= 128) left the binding count unchanged;
 *   - every cha binding's address is allocated in the pool, and the pool's
 *     used count equals the number of cha bindings; a home binding holds
 *     its identity's home address; an access binding an address of the
 *     access prefix;
 *   - no identity holds more bindings than max-bindings, besides its home
 *     one;
 *   - no binding has a care-of address anchor_coa_check() refuses (the
 *     CoAs offered include the anchor's address, pool addresses, access
 *     addresses, a link-local and a v4-mapped one), except an access
 *     binding on its own link (CoA = its address);
 *   - a binding in a grace period expires no later than its deadline;
 *   - the tunnel carries exactly the bindings whose CoA is not their
 *     address (a failed bind or route leaves nothing behind);
 *   - the tunnel hears of a move (to replay what the old CoA missed) only
 *     for an accepted BU, once, with the loss that BU's option tells,
 *     counted back from its arrival (a BU may be read up to 4 s late), of
 *     a binding that existed, saying whether its CoA stayed the same,
 *     which only a BU that names a loss may do (a link back with its
 *     address);
 *   - an answer goes to a single node: never to a group or to :: (raw
 *     bytes come from those too).
 * Any violation abort()s.
 *
 * Sixteen steps are enough for every answer the anchor has here (a full
 * quota takes four accepted BUs of one identity, a stale timestamp or an
 * out-of-window sequence number two); 64 reached no status more and made
 * each run several times longer. The log is kept to errors: at the default
 * level every step formatted and wrote lines nobody reads.
 *
 * fuzz-flags: -max_len=1024
 * (a built BU takes about ten input bytes, a raw one up to 256)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor.h"
#include "anchor_mode.h"
#include "log.h"
#include "mh.h"

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			abort();                                          \
	} while (0)

static int fk_probe(enum odm_tunnel_side side, int level, char *why, size_t len)
{
	(void)side, (void)level, (void)why, (void)len;
	return 0;
}
static int fk_open(struct odm_tunnel *t) { (void)t; return 0; }
static void fk_close(struct odm_tunnel *t) { (void)t; }
/* the tunnel's bindings (inner addresses), and whether the next binds or
 * per-address routes fail */
static struct {
	size_t n;
	struct in6_addr a[64];
	int bind_fails, route_fails;
} tb;
static int tb_at(const struct in6_addr *a)
{
	for (size_t k = 0; k < tb.n; k++)
		if (!memcmp(&tb.a[k], a, sizeof *a))
			return (int)k;
	return -1;
}
static int fk_bind(struct odm_tunnel *t, const struct in6_addr *i, const struct in6_addr *l,
		   const struct in6_addr *r)
{
	(void)t; (void)l; (void)r;
	if (tb.bind_fails)
		return -ENOBUFS;
	if (tb_at(i) < 0) { /* else a re-bind */
		CHECK(tb.n < sizeof tb.a / sizeof tb.a[0]);
		tb.a[tb.n++] = *i;
	}
	return 0;
}
static int fk_unbind(struct odm_tunnel *t, const struct in6_addr *i)
{
	int k = tb_at(i);

	(void)t;
	if (k < 0)
		return -ENOENT;
	tb.a[k] = tb.a[--tb.n];
	return 0;
}
static int fk_route(void *arg, const struct in6_addr *hoa, int add)
{
	(void)arg; (void)hoa;
	return add && tb.route_fails ? -ENOBUFS : 0;
}
static int fk_stats(struct odm_tunnel *t, const struct in6_addr *i, struct odm_tunnel_stats *st)
{
	(void)t; (void)i;
	memset(st, 0, sizeof *st);
	return 0;
}
/* BUs from the access link's first two addresses come from the link; from
 * the others (an access address as CoA) across the core, forged */
static int fk_from_link(const struct anchor *an, const struct in6_addr *src)
{
	(void)an;
	return src->s6_addr[15] <= 2;
}

/* what the last move told the tunnel (replay.h), how many moves a step
 * made, and the care-of address the binding had then (the anchor whose
 * binding cache it is: fk_an) */
static const struct anchor *fk_an;
static struct {
	unsigned n;
	struct in6_addr inner, old_coa;
	int has_lost, same, found;
	uint32_t ms, tag;
} moved;
static size_t fk_moved(struct odm_tunnel *t, const struct in6_addr *inner, int has_lost,
		       uint32_t lost_ago_ms, uint32_t last_tag, int same)
{
	const struct binding *b = bcache_find_hoa(&fk_an->bc, inner);

	(void)t;
	moved.n++;
	moved.inner = *inner;
	moved.has_lost = has_lost;
	moved.ms = lost_ago_ms;
	moved.tag = last_tag;
	moved.same = same;
	moved.found = b != NULL;
	if (b)
		moved.old_coa = b->coa;
	return 0;
}
static const struct odm_tunnel_ops fake_ops = {
	.name = "fake", .probe = fk_probe, .open = fk_open, .close = fk_close,
	.bind = fk_bind, .unbind = fk_unbind, .stats = fk_stats, .moved = fk_moved,
};

/* 2001:db8:ca::10 (anchor), 2001:db8:c4a::/120 (pool), CoAs 2001:db8:a1::N */
static const struct in6_addr anchor_addr = { { { 0x20, 0x01, 0x0d, 0xb8, 0, 0xca, 0, 0,
						 0, 0, 0, 0, 0, 0, 0, 0x10 } } };
static const struct in6_addr pool_pfx = { { { 0x20, 0x01, 0x0d, 0xb8, 0x0c, 0x4a, 0, 0,
					      0, 0, 0, 0, 0, 0, 0, 0 } } };
/* access prefix 2001:db8:a2::/64 */
static const struct in6_addr access_pfx = { { { 0x20, 0x01, 0x0d, 0xb8, 0, 0xa2, 0, 0,
						0, 0, 0, 0, 0, 0, 0, 0 } } };
#define MAX_BINDINGS 3
#define MAX_STEPS 16

struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint8_t take8(struct cursor *c)
{
	uint8_t v = 0;

	if (c->n) {
		v = *c->p++;
		c->n--;
	}
	return v;
}

static uint16_t take16(struct cursor *c)
{
	return (uint16_t)(take8(c) << 8 | take8(c));
}

static void coa_of(uint8_t k, struct in6_addr *a)
{
	static const struct in6_addr base = { { { 0x20, 0x01, 0x0d, 0xb8, 0, 0xa1, 0, 0,
						  0, 0, 0, 0, 0, 0, 0, 0 } } };
	*a = base;
	a->s6_addr[15] = (uint8_t)(1 + (k & 3));
	switch ((k >> 4) & 7) { /* bad ones: the anchor, the pool, fe80::/10, ::ffff:0:0/96 */
	case 2:
	case 3: /* on the access link: a claim when it is the HNP too */
		*a = access_pfx;
		a->s6_addr[15] = (uint8_t)(1 + (k & 3));
		break;
	case 4:
		*a = anchor_addr;
		break;
	case 5:
		*a = pool_pfx;
		a->s6_addr[15] = (uint8_t)(k & 7); /* maybe a bound home address */
		break;
	case 6:
		memcpy(a->s6_addr, "\xfe\x80\0\0\0\0\0\0", 8);
		break;
	case 7:
		memcpy(a->s6_addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
		break;
	}
}

struct count_ctx {
	const struct anchor *an;
	size_t n, pooled, tunnelled;
	uint32_t per_ident[2];
};

static void count_one(const struct binding *b, void *arg)
{
	struct count_ctx *c = arg;
	const struct in6_addr *home = anchor_home_addr(c->an, b->ident);
	int on_link = 0;

	switch (b->mode) {
	case ODM_MODE_CHA:
		CHECK(pool_is_allocated(&c->an->pool, &b->hoa) == 1);
		c->pooled++;
		break;
	case ODM_MODE_HOME:
		CHECK(home && memcmp(home, &b->hoa, sizeof *home) == 0);
		break;
	case ODM_MODE_ACCESS:
		CHECK(anchor_in_access_prefix(c->an, &b->hoa));
		on_link = memcmp(&b->coa, &b->hoa, sizeof b->hoa) == 0;
		CHECK(!b->deadline_ms || b->expires_ms <= b->deadline_ms);
		break;
	default:
		CHECK(0);
	}
	CHECK(on_link || anchor_coa_check(c->an, &b->coa, NULL, &b->hoa) == ANCHOR_COA_OK);
	/* tunnelled exactly when its CoA is not the address itself */
	if (memcmp(&b->coa, &b->hoa, sizeof b->hoa)) {
		CHECK(tb_at(&b->hoa) >= 0);
		c->tunnelled++;
	}
	for (size_t i = 0; i < 2; i++)
		if (strcmp(b->nai, c->an->cfg->identities[i].nai) == 0 && b->mode != ODM_MODE_HOME)
			c->per_ident[i]++;
	c->n++;
}

static size_t check_state(const struct anchor *an)
{
	struct count_ctx c = { an, 0, 0, 0, { 0, 0 } };

	bcache_foreach(&an->bc, count_one, &c);
	CHECK(c.n == an->bc.count);
	CHECK(c.tunnelled == tb.n); /* and nothing else is */
	CHECK(!an->pooled || an->pool.used == c.pooled);
	CHECK(c.per_ident[0] <= MAX_BINDINGS && c.per_ident[1] <= MAX_BINDINGS);
	return c.n;
}

/* Service Selection identifiers a host may send, and junk */
static const struct {
	const char *name;
	uint8_t len;
} services[] = { { "fixed", 5 }, { "session-lasting", 15 }, { "graceful-replacement", 20 },
		 { "non-persistent", 14 }, { "x", 1 }, { "fixed\0", 6 } };

/* A BU from the fuzzer's choices; returns its length (0 = none). *late:
 * how long before it is read it arrived (ms), for one that names a loss */
static size_t build_bu(struct cursor *c, const struct odm_config *cfg, const struct anchor *an,
		       uint64_t ntp_now, struct in6_addr *src, uint8_t *buf, size_t cap,
		       uint64_t *late)
{
	struct mh_msg m;
	uint8_t opts = take8(c), who = take8(c), hsel = take8(c), svc = take8(c);
	const struct odm_identity *id = &cfg->identities[who & 1];
	uint8_t key[MH_AUTH_KEY_LEN];
	struct in6_addr hoa = IN6ADDR_ANY_INIT;
	int n;

	memset(&m, 0, sizeof m);
	m.type = MH_TYPE_BU;
	m.seq = take16(c);
	m.flags = MH_BU_A | MH_BU_H;
	m.lifetime = (uint16_t)(take8(c) & 0x3f); /* 0..252 s: deregistrations too */
	coa_of(take8(c), src);
	if (!(opts & 1)) {
		m.present |= MH_HAS_MNID;
		m.mnid_subtype = MH_MNID_SUBTYPE_NAI;
		snprintf(m.mnid, sizeof m.mnid, "%s", id->nai);
	}
	if (!(opts & 2)) {
		m.present |= MH_HAS_ALTCOA;
		m.altcoa = *src;
		if (opts & 0x40)
			m.altcoa.s6_addr[14] ^= 1; /* not the source */
	}
	if (!(opts & 4)) {
		/* within or outside the 7 s window, or replayed */
		int64_t skew_s = (int8_t)take8(c) / 16;

		m.present |= MH_HAS_REPLAY;
		/* NTP seconds are the upper 32 bits; unsigned arithmetic wraps
		 * a negative skew right (a left shift of it would be undefined) */
		m.replay_ts = ntp_now + (uint64_t)skew_s * (UINT64_C(1) << 32);
	}
	if (!(opts & 8)) {
		m.present |= MH_HAS_HNP;
		m.hnp_len = 128;
		if ((hsel & 3) == 1) {
			/* an address in the pool, maybe bound to someone */
			hoa = pool_pfx;
			hoa.s6_addr[15] = (uint8_t)(hsel >> 2);
		} else if ((hsel & 3) == 2) {
			/* an access address, maybe claimed, maybe the CoA */
			hoa = access_pfx;
			hoa.s6_addr[15] = (uint8_t)(1 + ((hsel >> 2) & 3));
		} else if ((hsel & 3) == 3 && anchor_home_addr(an, who & 1)) {
			hoa = *anchor_home_addr(an, who & 1);
		}
		m.hnp = hoa;
	}
	if (!(opts & 16)) {
		m.present |= MH_HAS_BID;
		m.bid = (uint16_t)(take8(c) & 7);
	}
	/* the tunnel refuses the bind, or the route to the address */
	tb.bind_fails = (who & 0x20) != 0;
	tb.route_fails = (who & 0x40) != 0;
	if (who & 2) {
		/* the host lost its old CoA some ms ago, maybe naming a packet */
		m.present |= MH_HAS_COA_LOST;
		m.coa_lost_ms = (uint32_t)take8(c) << (who & 0x18);
		m.coa_lost_tag = (who & 4) ? 0x01020304u * take8(c) : 0;
		/* read late (a loaded agent): up to 4 s after its arrival */
		*late = (uint64_t)take8(c) << 4;
	}
	if (svc & 1) {
		unsigned k = (svc >> 1) % (sizeof services / sizeof services[0]);

		m.present |= MH_HAS_SERVICE;
		m.service_len = services[k].len;
		memcpy(m.service, services[k].name, m.service_len);
	}
	if (!(opts & 32)) {
		m.present |= MH_HAS_AUTH;
		m.auth_subtype = MH_AUTH_SUBTYPE_MNHA;
		m.auth_spi = (opts & 0x80) ? id->spi + 1 : id->spi;
	}
	/* the identity's key, or (top bit of who) a wrong one */
	memcpy(key, id->key, sizeof key);
	key[0] ^= (uint8_t)(who & 0x80);
	(void)an;
	/* no checksum: the kernel checks it on the MH socket (odmagent/mhsock.c),
	 * anchor_handle_bu() does not, and the MAC counts it as zero */
	n = mh_encode(&m, buf, cap, (m.present & MH_HAS_AUTH) ? key : NULL,
		      &m.altcoa, &hoa, NULL, NULL);
	return n > 0 ? (size_t)n : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct odm_identity ids[2];
	static int log_once;
	struct odm_config cfg;
	struct odm_tunnel tun;
	struct anchor an;
	struct cursor c = { data, size };
	struct timespec rt = { 1795400000, 0 };
	uint64_t now_ms = 1000;
	size_t before, after;
	uint8_t bu[MH_MAX_LEN], reply[MH_MAX_LEN], first;
	static const struct in6_addr group = { { { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
						   0, 0, 0, 0, 0, 0, 0, 1 } } };

	if (!log_once) {
		odm_log_init("fuzz_anchor", ODM_LOG_ERR, 0);
		log_once = 1;
	}
	memset(&cfg, 0, sizeof cfg);
	memset(ids, 0, sizeof ids);
	snprintf(ids[0].nai, sizeof ids[0].nai, "mn@example.test");
	ids[0].spi = 1000;
	snprintf(ids[1].nai, sizeof ids[1].nai, "mn2@example.test");
	ids[1].spi = 2000;
	for (int i = 0; i < MH_AUTH_KEY_LEN; i++) {
		ids[0].key[i] = (uint8_t)(0x10 + i);
		ids[1].key[i] = (uint8_t)(0x40 + i);
	}
	cfg.role = ODM_ROLE_ANCHOR;
	first = take8(&c);
	cfg.modes = (unsigned)((first & 0x7f) % 7 + 1); /* any non-empty set */
	cfg.mode = (cfg.modes & ODM_MODE_BIT(ODM_MODE_CHA)) ? ODM_MODE_CHA
		   : (cfg.modes & ODM_MODE_BIT(ODM_MODE_HOME)) ? ODM_MODE_HOME : ODM_MODE_ACCESS;
	cfg.address = anchor_addr;
	if (cfg.modes & (ODM_MODE_BIT(ODM_MODE_CHA) | ODM_MODE_BIT(ODM_MODE_HOME))) {
		cfg.pool = pool_pfx;
		cfg.pool_plen = (cfg.modes & ODM_MODE_BIT(ODM_MODE_HOME)) ? 64 : 120;
	}
	if (cfg.modes & ODM_MODE_BIT(ODM_MODE_ACCESS)) {
		cfg.access_prefixes[0].addr = access_pfx;
		cfg.access_prefixes[0].plen = 64;
		cfg.n_access_prefixes = 1;
		cfg.grace_period = 20;
	}
	cfg.max_lifetime = 120;
	cfg.max_bindings = MAX_BINDINGS;
	cfg.answer_rate = 1000000; /* answer everything: the answers are checked */
	cfg.answer_burst = 1000000;
	cfg.identities = ids;
	cfg.n_identities = 2;
	memset(&tun, 0, sizeof tun);
	memset(&tb, 0, sizeof tb);
	tun.ops = &fake_ops;
	tun.side = ODM_TUNNEL_ANCHOR;
	if (anchor_init(&an, &cfg, &tun) != 0)
		return 0;
	fk_an = &an;
	an.from_link = fk_from_link;
	an.route = fk_route;
	if (first & 0x80) /* the last run did not stop cleanly */
		anchor_hold_after_crash(&an, now_ms);

	/* the state before a step is the one checked after the previous step */
	before = check_state(&an);
	for (int step = 0; step < MAX_STEPS && c.n; step++) {
		uint8_t kind = take8(&c);
		struct in6_addr src;
		struct mh_msg ans;
		uint64_t late = 0;
		size_t len;
		int r;

		tb.bind_fails = tb.route_fails = 0;
		if (kind & 1) {
			/* raw bytes: whatever the network may carry */
			len = take8(&c);
			if (len > c.n)
				len = c.n;
			memcpy(bu, c.p, len);
			c.p += len;
			c.n -= len;
			coa_of(kind >> 1, &src);
			/* or from a group, or from no node at all */
			if (((kind >> 5) & 7) == 1)
				src = (kind & 2) ? in6addr_any : group;
		} else {
			len = build_bu(&c, &cfg, &an, mh_ntp_from_timespec(&rt), &src, bu,
				       sizeof bu, &late);
		}
		moved.n = 0;
		/* when it arrived (the kernel's stamp), if it waited */
		an.rx_at_ms = late && late < now_ms ? now_ms - late : 0;
		r = anchor_handle_bu(&an, bu, len, &src, &anchor_addr, now_ms, &rt, reply,
				     sizeof reply);
		an.rx_at_ms = 0;
		CHECK(r > -4096); /* a length, 0, or -errno */
		after = check_state(&an);
		if (r > 0) {
			CHECK(mh_decode(reply, (size_t)r, &ans, NULL, NULL) == 0);
			CHECK(ans.type == MH_TYPE_BA || ans.type == MH_TYPE_BE);
			if (ans.type == MH_TYPE_BA && ans.status >= 128)
				CHECK(after == before);
			/* an answer goes to one node (RFC 4443 section 2.4(e)) */
			CHECK(!IN6_IS_ADDR_MULTICAST(&src) && !IN6_IS_ADDR_UNSPECIFIED(&src));
		}
		if (moved.n) {
			struct mh_msg m;
			uint64_t ago;

			/* a move of an accepted BU, with what it said of the
			 * loss, dated from the BU's arrival */
			CHECK(moved.n == 1 && r > 0 && ans.type == MH_TYPE_BA && ans.status < 128);
			CHECK(mh_decode(bu, len, &m, NULL, NULL) == 0);
			CHECK(moved.has_lost == !!(m.present & MH_HAS_COA_LOST));
			ago = (uint64_t)m.coa_lost_ms + (late < now_ms ? late : 0);
			CHECK(moved.ms == (ago < UINT32_MAX ? ago : UINT32_MAX));
			CHECK(moved.tag == m.coa_lost_tag);
			/* of a binding there before; to the CoA it had only
			 * when the BU says the link was lost meanwhile */
			CHECK(moved.found);
			CHECK(moved.same == !memcmp(&moved.old_coa,
						    (m.present & MH_HAS_ALTCOA) ? &m.altcoa : &src,
						    sizeof src));
			CHECK(!moved.same || moved.has_lost);
		}
		/* time goes on: up to ~4 min per step, so bindings expire */
		now_ms += (uint64_t)(kind >> 2) * 4000;
		rt.tv_sec += (time_t)(kind >> 2) * 4;
		/* an expiry that released nothing changed nothing: the state
		 * is the one just checked (walking the binding cache's buckets
		 * again was a seventh of a step) */
		if (anchor_expire(&an, now_ms) > 0) {
			before = check_state(&an);
		} else {
			CHECK(an.bc.count == after);
			before = after;
		}
	}
	anchor_fini(&an);
	return 0;
}
