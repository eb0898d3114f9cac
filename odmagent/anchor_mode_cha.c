/* SPDX-License-Identifier: MIT */
/*
 * anchor_mode_cha.c — mode cha (a Corresponding Home Agent near the
 * correspondent): a BU with HNP :: gets the lowest free address of the
 * pool, keyed by (NAI, BID) so a retransmitted allocation finds the
 * binding it made; a BU naming an address must name one bound to the same
 * identity, or, after a crash, a free one of those the pool holds back: a
 * binding the anchor lost (it died before saving it) comes back with the
 * host's next refresh instead of ending the host's sessions. The binding ends when the host deregisters (its last socket
 * closed) or its lifetime runs out. A home anchor hands out Session-lasting
 * addresses the same way (anchor_mode.c).
 */
#include <string.h>

#include "addrtext.h"
#include "anchor.h"
#include "anchor_mode.h"
#include "log.h"

static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

static const struct in6_addr *cha_target(const struct anchor *an, const struct mh_msg *bu,
					 long ident)
{
	const struct binding *b;

	if (memcmp(&bu->hnp, &any6, sizeof any6))
		return &bu->hnp;
	if (!(bu->present & MH_HAS_BID) || bu->bid == 0)
		return NULL;
	b = bcache_find_id(&an->bc, bu->mnid, bu->bid);
	return b ? &b->hoa : NULL;
}

/* A new binding on a fresh pool address */
static uint8_t cha_allocate(struct anchor *an, const struct anchor_req *r, uint16_t granted,
			    struct binding **out)
{
	struct binding tmpl;
	struct in6_addr hoa;
	int rc;

	if (anchor_quota_full(an, r->ident, r->now_ms))
		return MH_BA_INSUFFICIENT_RESOURCES;
	rc = pool_alloc(&an->pool, &hoa);
	while (rc < 0 && an->pool.held) {
		/* a small pool must not refuse every host for max-lifetime; a
		 * large one gives back only the top ANCHOR_CRASH_HOLD held
		 * addresses, farthest from the dense live set (pool.h): a hold
		 * over the whole pool (a state not read) must not end at the
		 * first allocation, before the lost bindings' refreshes come */
		uint32_t keep = an->pool.held > ANCHOR_CRASH_HOLD
					? an->pool.held - ANCHOR_CRASH_HOLD : 0;
		unsigned long long left = an->hold_until_ms > r->now_ms
						  ? (an->hold_until_ms - r->now_ms) / 1000 : 0;

		if (keep)
			log_warnx("no free pool address past the %u held since the crash: the "
				  "top %u of them go to new bindings now, the first %u stay "
				  "held for %llus (anchor.h ANCHOR_CRASH_HOLD)",
				  an->pool.held, an->pool.held - keep, keep, left);
		else
			log_warnx("no free pool address past the %u held since the crash: the "
				  "hold ends now, %llus early (anchor.h ANCHOR_CRASH_HOLD)",
				  an->pool.held, left);
		pool_hold(&an->pool, keep);
		if (!keep)
			an->hold_until_ms = 0;
		rc = pool_alloc(&an->pool, &hoa);
	}
	if (rc < 0) {
		char pf[INET6_ADDRSTRLEN], n[LOG_ESC_MAX];

		/* as often as a host asks: held to its identity's lines, like
		 * anchor_quota_full's, and naming it (another host's
		 * bindings may be what fills the pool) */
		reqlog_say(&an->ids[r->ident].bu_log, r->now_ms, ODM_LOG_WARN,
			   "pool %s/%u exhausted, every address bound: a new binding for "
			   "identity %s is refused (status 130)",
			   ntop6(&an->cfg->pool, pf), an->cfg->pool_plen,
			   anchor_nai_esc(r->bu->mnid, n));
		return MH_BA_INSUFFICIENT_RESOURCES;
	}
	anchor_binding_tmpl(r, &hoa, granted, ODM_MODE_CHA, &tmpl);
	rc = anchor_binding_add(an, &tmpl, out);
	if (rc < 0) {
		char n[LOG_ESC_MAX];

		log_warn(rc, "binding for identity %s",
			 anchor_nai_esc(r->bu->mnid, n));
		(void)pool_release(&an->pool, &tmpl.hoa);
		return MH_BA_INSUFFICIENT_RESOURCES;
	}
	return MH_BA_ACCEPTED;
}

/*
 * The address a refresh names is in the pool but bound to nobody, and one
 * of those held back after a crash (anchor_hold_after_crash): the last run
 * may have bound it within ANCHOR_SAVE_DELAY_MS of dying, without saving
 * it. Give it back to the identity that asks, keyed by its BID like an
 * allocation. Nothing records whose it was, so any identity of the anchor
 * could name it; the window is the hold, and only addresses the crash may
 * have lost are open. Outside the hold, addresses bound to someone, outside
 * the pool or the excluded one stay refused (133).
 */
static uint8_t cha_reclaim(struct anchor *an, const struct anchor_req *r, uint16_t granted,
			   struct binding **out)
{
	const struct mh_msg *bu = r->bu;
	struct binding tmpl;
	char h[INET6_ADDRSTRLEN], n[LOG_ESC_MAX];
	int rc;

	/* a cooling address was bound in this run, which knows it ended: no
	 * binding the crash lost */
	if (!(bu->present & MH_HAS_BID) || bu->bid == 0 || !an->pooled ||
	    !an->hold_until_ms || !pool_is_held(&an->pool, &bu->hnp) ||
	    pool_is_cooling(&an->pool, &bu->hnp))
		return MH_BA_NOT_HA_FOR_MN;
	if (bcache_find_id(&an->bc, bu->mnid, bu->bid))
		return MH_BA_NOT_HA_FOR_MN; /* that BID names another address */
	if (anchor_quota_full(an, r->ident, r->now_ms))
		return MH_BA_INSUFFICIENT_RESOURCES;
	if (pool_reserve(&an->pool, &bu->hnp) < 0)
		return MH_BA_NOT_HA_FOR_MN;
	anchor_binding_tmpl(r, &bu->hnp, granted, ODM_MODE_CHA, &tmpl);
	anchor_nai_esc(bu->mnid, n);
	rc = anchor_binding_add(an, &tmpl, out);
	if (rc < 0) {
		log_warn(rc, "binding for identity %s", n);
		(void)pool_release(&an->pool, &tmpl.hoa);
		return MH_BA_INSUFFICIENT_RESOURCES;
	}
	log_info("%s: bound to nobody, given back to identity %s (BID %u) that refreshes it",
		 ntop6(&bu->hnp, h), n, bu->bid);
	return MH_BA_ACCEPTED;
}

static uint8_t cha_apply(struct anchor *an, const struct anchor_req *r, struct ba_plan *p)
{
	const struct mh_msg *bu = r->bu;
	struct binding *b = NULL;
	uint16_t granted;
	uint8_t st;

	if (!memcmp(&bu->hnp, &any6, sizeof any6)) {
		if ((bu->present & MH_HAS_BID) && bu->bid != 0)
			b = bcache_find_id(&an->bc, bu->mnid, bu->bid);
		else if (bu->lifetime > 0 && !r->coa_is_hoa)
			return MH_BA_UNSPECIFIED; /* no key for idempotent allocation */
		/* that BID holds a binding of another mode of this anchor (a
		 * home anchor's Fixed one): not this mode's to refresh or end */
		if (b && b->mode != ODM_MODE_CHA)
			return MH_BA_NOT_HA_FOR_MN;
	} else {
		b = bcache_find_hoa(&an->bc, &bu->hnp);
		if (b && (b->ident != (size_t)r->ident || b->mode != ODM_MODE_CHA))
			return MH_BA_NOT_HA_FOR_MN;
		if (!b && (bu->lifetime == 0 || r->coa_is_hoa))
			return MH_BA_NOT_HA_FOR_MN; /* nothing to delete */
	}

	/* lifetime 0, or CoA = the home address (RFC 6275 §9.5.1): deleted */
	if (bu->lifetime == 0 || r->coa_is_hoa) {
		if (b) {
			p->has_hoa = 1;
			p->hoa = b->hoa;
			anchor_dereg(an, b, bu->seq, r->now_ms,
				     r->coa_is_hoa ? "care-of address = home address" : "deregistered");
		}
		p->lifetime = 0;
		return MH_BA_ACCEPTED;
	}

	granted = anchor_grant(an, bu->lifetime);
	if (!b) {
		st = memcmp(&bu->hnp, &any6, sizeof any6) ? cha_reclaim(an, r, granted, &b)
							  : cha_allocate(an, r, granted, &b);
		if (st != MH_BA_ACCEPTED)
			return st;
	} else if (anchor_binding_update(an, b, bu, &bu->altcoa, granted, r->now_ms,
					 r->now_ms + (uint64_t)mh_lifetime_seconds(granted) * 1000) < 0) {
		char n[LOG_ESC_MAX];

		log_warnx("tunnel bind for identity %s failed",
			  anchor_nai_esc(bu->mnid, n));
		return MH_BA_INSUFFICIENT_RESOURCES;
	}
	p->has_hoa = 1;
	p->hoa = b->hoa;
	p->lifetime = granted;
	return MH_BA_ACCEPTED;
}

static void cha_put_addr(struct anchor *an, const struct in6_addr *hoa)
{
	char h[INET6_ADDRSTRLEN];

	if (pool_release(&an->pool, hoa) < 0)
		log_warnx("%s was not allocated from the pool", ntop6(hoa, h));
}

static int cha_take_addr(struct anchor *an, const struct in6_addr *hoa, size_t ident)
{
	return pool_reserve(&an->pool, hoa);
}

const struct anchor_mode_ops anchor_mode_cha = {
	.mode = ODM_MODE_CHA,
	.per_address_route = 0,
	.target = cha_target,
	.apply = cha_apply,
	.put_addr = cha_put_addr,
	.take_addr = cha_take_addr,
};
