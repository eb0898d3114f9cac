/* SPDX-License-Identifier: MIT */
/*
 * anchor_mode_access.c — mode access: an access router anchors the
 * addresses hosts formed on its own links (its access-prefix lines), for
 * Session-lasting and Graceful-replacement sockets that outlive a move.
 *
 *   claim    A host on the link sends an authenticated BU for its address
 *            from that address (CoA = HNP, no tunnel): the address is now
 *            this identity's for the granted lifetime, refreshed like any
 *            binding. Only a BU from the address itself can claim it, so
 *            only a host that holds it on the link can (as RFC 6275
 *            §11.5.4's return-home BU is sent from the home address).
 *            The source address is no proof by itself (anyone can forge
 *            it, and the MAC does not cover it): the BU must also arrive
 *            on the interface the anchor routes the address out of
 *            (anchor.h from_link), so a claim forged across the core or
 *            through the tunnel is refused (155). A neighbour on the same
 *            link forging the address is not told apart (RFC 3971's SEND
 *            would be needed).
 *   move     The same identity, from a care-of address elsewhere: packets
 *            for the address go through the tunnel (a /128 route into the
 *            tunnel device) until it deregisters (its last socket closed),
 *            or the lifetime ends.
 *   return   Back on the link, CoA = HNP again: the tunnel and route go,
 *            the address is native, the claim stays.
 *   refused  Another identity, for an address someone holds, or anyone
 *            for an address nobody claimed, from off the link: status 155
 *            (RFC 5213 §8.9, not authorized for that prefix); nothing
 *            changes. The anchor's own addresses: 129.
 *
 * Graceful-replacement (Service Selection "graceful-replacement"): the
 * first BU after a move starts the grace period (grace-period, rounded
 * up to the 4-s units of the lifetime the BA tells); no
 * lifetime granted afterwards reaches past its end, and the binding is
 * released then, whatever the host asks. Within it max-lifetime does not
 * cap what is granted (only what the host asked for does): the host takes
 * the end of the lifetime told for the deadline. Coming back to the link
 * ends the grace period; the next move starts a new one. From off the link a
 * binding keeps the type it had: a BU asking for the other one gets 139
 * (registration type change disallowed), so a host cannot lift the limit.
 * From the link the type may change (the host shares one claim among the
 * sockets of both types): that gives nothing a deregistration and a new
 * claim from the same address would not.
 */
#include <errno.h>
#include <string.h>

#include "addrtext.h"
#include "anchor.h"
#include "anchor_mode.h"
#include "log.h"

static const struct in6_addr *access_target(const struct anchor *an, const struct mh_msg *bu,
					    long ident)
{
	return &bu->hnp;
}

/* ceil(ms / 4000), at least 1 and at most granted: what the BA tells */
static uint16_t units_left(uint64_t ms, uint16_t granted)
{
	uint64_t u = (ms + 3999) / 4000;

	if (u < 1)
		u = 1;
	return u < granted ? (uint16_t)u : granted;
}

static uint8_t access_claim(struct anchor *an, const struct anchor_req *r, uint16_t granted,
			    struct binding **out)
{
	struct binding tmpl;

	if (anchor_quota_full(an, r->ident, r->now_ms))
		return MH_BA_INSUFFICIENT_RESOURCES;
	/* CoA = HNP (the claim comes from the address): native, no tunnel */
	anchor_binding_tmpl(r, &r->bu->hnp, granted, ODM_MODE_ACCESS, &tmpl);
	tmpl.graceful = (uint8_t)(r->graceful != 0);
	if (anchor_binding_add(an, &tmpl, out) < 0)
		return MH_BA_UNSPECIFIED; /* (NAI, BID) names another binding */
	return MH_BA_ACCEPTED;
}

static uint8_t access_apply(struct anchor *an, const struct anchor_req *r, struct ba_plan *p)
{
	const struct mh_msg *bu = r->bu;
	struct binding *b = bcache_find_hoa(&an->bc, &bu->hnp);
	char n[LOG_ESC_MAX], h[INET6_ADDRSTRLEN];
	uint64_t expires, deadline;
	uint16_t granted;
	uint8_t st;

	if (!memcmp(&bu->hnp, &an->cfg->address, sizeof bu->hnp) ||
	    (an->is_local && an->is_local(an->is_local_arg, &bu->hnp)))
		return MH_BA_PROHIBITED;
	if (b && b->expires_ms <= r->now_ms) {
		/* its time is up, whether or not the timer has run yet */
		anchor_release(an, b, b->deadline_ms ? "grace period over" : "lifetime expired");
		b = NULL;
	}
	if (b && (b->ident != (size_t)r->ident || b->mode != ODM_MODE_ACCESS)) {
		/* as often as the host sends: held to its identity's lines */
		reqlog_say(&an->ids[r->ident].bu_log, r->now_ms, ODM_LOG_INFO,
			   "%s asks for %s, which another identity holds: refused",
			   anchor_nai_esc(bu->mnid, n), ntop6(&bu->hnp, h));
		return MH_BA_NOT_AUTHORIZED_FOR_HNP;
	}
	if (r->coa_is_hoa && !r->from_link && bu->lifetime) {
		/* from the address but not from its link: forged (its source
		 * is not under the MAC), a claim of a neighbour's address by
		 * another subscriber, or a holder lifting its grace period */
		reqlog_say(&an->ids[r->ident].bu_log, r->now_ms, ODM_LOG_INFO,
			   "%s claims %s from off its link: refused",
			   anchor_nai_esc(bu->mnid, n), ntop6(&bu->hnp, h));
		return MH_BA_NOT_AUTHORIZED_FOR_HNP;
	}
	if (bu->lifetime == 0) {
		if (b) {
			p->has_hoa = 1;
			p->hoa = b->hoa;
			anchor_dereg(an, b, bu->seq, r->now_ms, "deregistered");
		}
		p->lifetime = 0;
		return MH_BA_ACCEPTED;
	}
	granted = anchor_grant(an, bu->lifetime);
	if (!b) {
		if (!r->coa_is_hoa)
			return MH_BA_NOT_AUTHORIZED_FOR_HNP; /* claimed only from the link */
		st = access_claim(an, r, granted, &b);
		if (st != MH_BA_ACCEPTED)
			return st;
	} else {
		if (b->graceful != (r->graceful != 0)) {
			/* off the link a change could lift the grace limit */
			if (!r->coa_is_hoa)
				return MH_BA_REG_TYPE_CHANGE;
			b->graceful = (uint8_t)(r->graceful != 0);
			reqlog_say(&an->ids[r->ident].bu_log, r->now_ms, ODM_LOG_INFO, "%s: %s is %s now",
				   anchor_nai_esc(bu->mnid, n),
				   ntop6(&bu->hnp, h),
				   b->graceful ? "graceful-replacement" : "session-lasting");
		}
		expires = r->now_ms + (uint64_t)mh_lifetime_seconds(granted) * 1000;
		/* the grace period's end is the binding's only once the tunnel
		 * took the update: a refused BU changes nothing */
		deadline = b->deadline_ms;
		if (r->coa_is_hoa) {
			deadline = 0; /* back on its link */
		} else if (b->graceful) {
			/* the grace period in whole units of 4 s, rounded up:
			 * the lifetime the BA tells (whose end the host takes
			 * for the deadline) ends where the binding does */
			if (!deadline)
				deadline = r->now_ms +
					   (uint64_t)mh_lifetime_seconds(units_left(
						   (uint64_t)an->cfg->grace_period * 1000,
						   UINT16_MAX)) * 1000;
			/* and in grace its end is the binding's, not
			 * max-lifetime's (grace-period bounds these
			 * bindings already): a lifetime max-lifetime cut
			 * shorter would end before it, and the host would
			 * take that end for the deadline */
			granted = units_left(deadline - r->now_ms, bu->lifetime);
			expires = r->now_ms + (uint64_t)mh_lifetime_seconds(granted) * 1000;
			if (expires > deadline)
				expires = deadline;
		}
		if (anchor_binding_update(an, b, bu, &bu->altcoa, granted, r->now_ms, expires) < 0) {
			log_warnx("tunnel for identity %s failed",
				  anchor_nai_esc(bu->mnid, n));
			return MH_BA_INSUFFICIENT_RESOURCES;
		}
		b->deadline_ms = deadline;
	}
	p->has_hoa = 1;
	p->hoa = b->hoa;
	p->lifetime = granted;
	return MH_BA_ACCEPTED;
}

/* On-link addresses belong to the link: nothing to give back */
static void access_put_addr(struct anchor *an, const struct in6_addr *hoa)
{
}

static int access_take_addr(struct anchor *an, const struct in6_addr *hoa, size_t ident)
{
	return anchor_in_access_prefix(an, hoa) ? 0 : -EINVAL;
}

const struct anchor_mode_ops anchor_mode_access = {
	.mode = ODM_MODE_ACCESS,
	.per_address_route = 1,
	.target = access_target,
	.apply = access_apply,
	.put_addr = access_put_addr,
	.take_addr = access_take_addr,
};
