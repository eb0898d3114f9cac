/* SPDX-License-Identifier: MIT */
/*
 * anchor.c — the anchor role: Binding Update processing (anchor.h has the
 * profile and the order of checks), the binding cache's life cycle, and the
 * daemon glue (tunnel device, pool route, MH socket, expiry timer, status).
 *
 * Modes (cha, home, access) share this code; what differs (where the
 * address comes from, who may claim it, when the binding ends) is in one
 * ops table per mode (anchor_mode.h), in the spirit of iproute2's
 * link_util, one per link kind.
 *
 * Idea sources: the order of checks follows RFC 6275 §10.3.1 (home agent
 * BU processing) with RFC 4285's authentication and replay checks placed
 * before anything that touches state, as RFC 5213 §5.3.1 does for the LMA.
 */
#include "addrscope.h"
#include "addrtext.h"
#include "anchor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "anchor_mode.h"
#include "anchor_routewatch.h"
#include "control.h"
#include "devwatch.h"
#include "log.h"
#include "mhsock.h"
#include "monotime.h"
#include "netconf.h"
#include "ptbrelay.h"
#include "tunnel_guard.h"
#include "tunnel_mtu.h"

static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

static int addr_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, sizeof *a) == 0;
}

const char *anchor_nai_esc(const char *nai, char out[LOG_ESC_MAX])
{
	return log_escape(out, LOG_ESC_MAX, nai, MH_NAI_MAX + 1);
}

static int by_nai(const void *a, const void *b, void *arg)
{
	const struct odm_identity *ids = arg;

	return strcmp(ids[*(const size_t *)a].nai, ids[*(const size_t *)b].nai);
}

/* an->by_nai for the identities cfg has now (a reload gives it others):
 * 0, or -1 without memory for it */
static int nai_index(struct anchor *an)
{
	const struct odm_config *cfg = an->cfg;
	size_t *v;

	if (an->by_nai && an->by_nai_of == cfg->identities && an->by_nai_n == cfg->n_identities)
		return 0;
	free(an->by_nai);
	an->by_nai = NULL;
	v = malloc((cfg->n_identities ? cfg->n_identities : 1) * sizeof(*v));
	if (!v)
		return -1;
	for (size_t i = 0; i < cfg->n_identities; i++)
		v[i] = i;
	qsort_r(v, cfg->n_identities, sizeof(*v), by_nai, cfg->identities);
	an->by_nai = v;
	an->by_nai_of = cfg->identities;
	an->by_nai_n = cfg->n_identities;
	return 0;
}

/*
 * Looked up by halving the identities sorted by NAI: a walk of them all
 * (config_identity) took 205 us per BU with an unknown NAI among 12 000
 * identities against 5 us with the first one's, so a forged BU's time told
 * whether its NAI exists, and 5 000 of them a second took the anchor's
 * whole thread (its userspace tunnel's too).
 */
long anchor_ident_find(struct anchor *an, const char *nai)
{
	const struct odm_identity *ids = an->cfg->identities, *id;
	size_t lo = 0, hi = an->cfg->n_identities;

	if (nai_index(an) < 0) {
		id = config_identity(an->cfg, nai);
		an->nai_compares += id ? (uint64_t)(id - ids) + 1 : hi;
		return id ? (long)(id - ids) : -1;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(nai, ids[an->by_nai[mid]].nai);

		an->nai_compares++;
		if (c == 0)
			return (long)an->by_nai[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static uint16_t max_units(const struct anchor *an)
{
	uint32_t s = an->cfg->max_lifetime;
	uint16_t u;

	if (s == 0 || s > MH_LIFETIME_MAX_S)
		s = MH_LIFETIME_MAX_S;
	u = mh_lifetime_units(s);
	return u ? u : 1;
}

/* ---- binding life cycle ---- */

/* The tunnel entry (and, for on-link addresses, the /128 route) of a
 * binding whose care-of address is not its home address */
static int tunnel_on(struct anchor *an, const struct binding *b, const struct in6_addr *coa)
{
	const struct anchor_mode_ops *ops = anchor_mode_ops(b->mode);
	int had = !addr_eq(&b->coa, &b->hoa), rc = 0;

	if (an->tun)
		rc = an->tun->ops->bind(an->tun, &b->hoa, &an->cfg->address, coa);
	if (rc < 0)
		return rc;
	if (!had && ops->per_address_route && an->route) {
		rc = an->route(an->route_arg, &b->hoa, 1);
		if (rc < 0 && an->tun)
			(void)an->tun->ops->unbind(an->tun, &b->hoa);
	}
	return rc;
}

static void tunnel_off(struct anchor *an, const struct binding *b)
{
	const struct anchor_mode_ops *ops = anchor_mode_ops(b->mode);
	char h[INET6_ADDRSTRLEN];
	int rc;

	if (addr_eq(&b->coa, &b->hoa))
		return; /* on its own link: nothing was tunnelled */
	if (an->tun) {
		rc = an->tun->ops->unbind(an->tun, &b->hoa);
		if (rc < 0)
			log_debug("tunnel unbind %s: %s", ntop6(&b->hoa, h), strerror(-rc));
	}
	if (ops->per_address_route && an->route) {
		rc = an->route(an->route_arg, &b->hoa, 0);
		if (rc < 0)
			log_warn(rc, "removing the route to %s", ntop6(&b->hoa, h));
	}
}

static void release(struct anchor *an, struct binding *b, const char *why)
{
	char h[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN], n[LOG_ESC_MAX];

	tunnel_off(an, b);
	anchor_mode_ops(b->mode)->put_addr(an, &b->hoa);
	if (an->ids[b->ident].nbindings > 0)
		an->ids[b->ident].nbindings--;
	log_info("binding %s %s -> %s (%s) removed (%s)", anchor_nai_esc(b->nai, n),
		 ntop6(&b->hoa, h), ntop6(&b->coa, c), config_mode_name(b->mode), why);
	bcache_remove(&an->bc, b);
}

void anchor_release(struct anchor *an, struct binding *b, const char *why)
{
	release(an, b, why);
}

void anchor_hold_after_crash(struct anchor *an, uint64_t now_ms)
{
	uint64_t top;
	struct in6_addr last;
	char h[INET6_ADDRSTRLEN];

	if (!an->pooled)
		return;
	top = pool_highest(&an->pool);
	if (an->restored_held > top)
		top = an->restored_held;
	top += ANCHOR_CRASH_HOLD;
	/* no state read: its bindings may be anywhere in the pool */
	if (an->state_unread)
		top = an->pool.size;
	pool_hold(&an->pool, top > UINT32_MAX ? UINT32_MAX : (uint32_t)top);
	an->hold_until_ms = now_ms + (uint64_t)an->cfg->max_lifetime * 1000;
	pool_addr_at(&an->pool, an->pool.held, &last);
	log_info("%s: free pool addresses up to %s go only to refreshes of the bindings it may "
		 "have made unsaved, not to new ones, for %us (or until an allocation finds no "
		 "other free)",
		 an->state_unread ? "the last run's state could not be read"
				  : "the last run did not stop cleanly",
		 ntop6(&last, h), an->cfg->max_lifetime);
}

unsigned anchor_expire(struct anchor *an, uint64_t now_ms)
{
	struct binding *b;
	unsigned n = 0;

	if (an->pooled)
		pool_clock(&an->pool, now_ms);
	if (an->hold_until_ms && an->hold_until_ms <= now_ms) {
		pool_hold(&an->pool, 0);
		an->hold_until_ms = 0;
		/* the saved "held" is where a crash's hold starts: not past this */
		anchor_state_touch(an, now_ms);
		log_info("the pool's addresses held since the restart are handed out again");
	}
	while ((b = bcache_first_expiry(&an->bc)) && b->expires_ms <= now_ms) {
		release(an, b, b->deadline_ms && b->deadline_ms <= now_ms ? "grace period over"
									   : "lifetime expired");
		an->cnt.expired++;
		n++;
	}
	return n;
}

uint64_t anchor_next_expiry(const struct anchor *an)
{
	const struct binding *b = bcache_first_expiry(&an->bc);
	uint64_t next = b ? b->expires_ms : UINT64_MAX;

	if (an->pooled && pool_cool_until(&an->pool) < next)
		next = pool_cool_until(&an->pool);
	return an->hold_until_ms && an->hold_until_ms < next ? an->hold_until_ms : next;
}

/* ---- what the modes share (anchor_mode.h) ---- */

uint16_t anchor_grant(const struct anchor *an, uint16_t asked)
{
	return asked < max_units(an) ? asked : max_units(an);
}

void anchor_ident_init(struct anchor_ident *st)
{
	memset(st, 0, sizeof(*st));
	reqlog_init(&st->bu_log, ANCHOR_BU_LOG_RATE, ANCHOR_BU_LOG_BURST, 0);
}

int anchor_quota_full(struct anchor *an, long ident, uint64_t now_ms)
{
	char n[LOG_ESC_MAX];

	if (!an->cfg->max_bindings || an->ids[ident].nbindings < an->cfg->max_bindings)
		return 0;
	/* a host that asks for more, as fast as it can send */
	reqlog_say(&an->ids[ident].bu_log, now_ms, ODM_LOG_INFO,
		   "identity %s holds max-bindings %u binding(s): a new one is refused with "
		   "status 130 (raise max-bindings, or the host ends some)",
		   anchor_nai_esc(an->cfg->identities[ident].nai, n), an->cfg->max_bindings);
	return 1;
}

void anchor_binding_tmpl(const struct anchor_req *r, const struct in6_addr *hoa,
			 uint16_t granted, enum odm_anchor_mode mode, struct binding *tmpl)
{
	const struct mh_msg *bu = r->bu;

	memset(tmpl, 0, sizeof *tmpl);
	tmpl->hoa = *hoa;
	tmpl->coa = bu->altcoa;
	tmpl->nai = bu->mnid; /* bcache_add copies it */
	tmpl->bid = (bu->present & MH_HAS_BID) ? bu->bid : 0;
	tmpl->seq = bu->seq;
	tmpl->lifetime = granted;
	tmpl->created_ms = r->now_ms;
	tmpl->expires_ms = r->now_ms + (uint64_t)mh_lifetime_seconds(granted) * 1000;
	tmpl->ident = (size_t)r->ident;
	tmpl->mode = (uint8_t)mode;
}

int anchor_binding_add(struct anchor *an, const struct binding *tmpl, struct binding **out)
{
	struct binding probe = *tmpl;
	int rc;

	/* tunnel_on compares the binding's CoA with its home address: as if
	 * the binding were on its own link before */
	probe.coa = probe.hoa;
	if (!addr_eq(&tmpl->coa, &tmpl->hoa)) {
		rc = tunnel_on(an, &probe, &tmpl->coa);
		if (rc < 0)
			return rc;
	}
	rc = bcache_add(&an->bc, tmpl, out);
	if (rc < 0) {
		probe.coa = tmpl->coa;
		tunnel_off(an, &probe);
		return rc;
	}
	an->ids[tmpl->ident].nbindings++;
	return 0;
}

/*
 * How long ago the host lost its old care-of address, as the BU said when
 * it arrived, at now_ms: a BU read late (a loaded or stopped agent) said
 * so that much earlier. Counted from its reading, the replay began that
 * much too late: with the anchor stopped for 300 ms as a host's carrier
 * came back, a 80/s stream lost 24 datagrams of the outage and got 26
 * duplicates from after it (the bpf backend, which replays by time).
 */
static uint32_t lost_ago_now(const struct anchor *an, const struct mh_msg *bu, uint64_t now_ms)
{
	uint64_t ago = bu->coa_lost_ms;

	if (an->rx_at_ms && an->rx_at_ms < now_ms)
		ago += now_ms - an->rx_at_ms;
	return ago < UINT32_MAX ? (uint32_t)ago : UINT32_MAX;
}

/*
 * A BU from b's care-of address as it is, saying the host lost it since the
 * last replay (its link lost its carrier and came back with the same
 * address: odmagent(8), Replay after a move). The retransmissions of one
 * such exchange name the same loss, which that replay covered: one whose BA
 * was lost does not send the outage again, nor what went on to the care-of
 * address after it. ago: how long before now_ms the loss was, as
 * lost_ago_now() counts it.
 */
static int same_coa_loss(const struct binding *b, const struct mh_msg *bu, uint64_t ago,
			 uint64_t now_ms)
{
	uint64_t lost;

	if (!(bu->present & MH_HAS_COA_LOST) || now_ms <= ago)
		return 0;
	lost = now_ms - ago;
	return !b->replayed_at || lost > b->created_ms + b->replayed_at;
}

int anchor_binding_update(struct anchor *an, struct binding *b, const struct mh_msg *bu,
			  const struct in6_addr *coa, uint16_t granted, uint64_t now_ms,
			  uint64_t expires_ms)
{
	int rc, same = addr_eq(coa, &b->coa);
	uint32_t ago;

	/* the tunnel first, so a failure changes nothing */
	if (addr_eq(coa, &b->hoa)) {
		tunnel_off(an, b);
	} else {
		rc = tunnel_on(an, b, coa);
		if (rc < 0)
			return rc;
		/* a move: what the old CoA missed goes out again (replay.h);
		 * so does what the same CoA missed while it had no link */
		ago = lost_ago_now(an, bu, now_ms);
		if ((!same || same_coa_loss(b, bu, ago, now_ms)) && an->tun && an->tun->ops->moved) {
			an->tun->ops->moved(an->tun, &b->hoa, (bu->present & MH_HAS_COA_LOST) != 0,
					    ago, bu->coa_lost_tag, same);
			if (now_ms > b->created_ms && now_ms - b->created_ms <= UINT32_MAX)
				b->replayed_at = (uint32_t)(now_ms - b->created_ms);
		}
	}
	b->coa = *coa;
	b->seq = bu->seq;
	b->lifetime = granted;
	bcache_set_expiry(&an->bc, b, expires_ms);
	return 0;
}

/* anchor_coa_check(); ask_host 0 leaves out the host's addresses */
static int coa_check(const struct anchor *an, const struct in6_addr *coa,
		     const struct in6_addr *dst, const struct in6_addr *hoa, int ask_host)
{
	/* unique local addresses are accepted for anchors serving hosts of
	 * their own site */
	if (!addr_is_routable(coa))
		return ANCHOR_COA_INVALID;
	/* the anchor's own addresses: what it tunnels to would come back */
	if (addr_eq(coa, &an->cfg->address) || (dst && addr_eq(coa, dst)) ||
	    (ask_host && an->is_local && an->is_local(an->is_local_arg, coa)))
		return ANCHOR_COA_INVALID;
	/* addresses it anchors: one is the binding's own home address (a
	 * deregistration, or an access host on its own link), none other can
	 * receive tunnelled packets */
	if ((an->pooled && tunnel_prefix_contains(&an->cfg->pool, an->cfg->pool_plen, coa)) ||
	    anchor_in_access_prefix(an, coa))
		return hoa && addr_eq(coa, hoa) ? ANCHOR_COA_IS_HOA : ANCHOR_COA_INVALID;
	return ANCHOR_COA_OK;
}

int anchor_coa_check(const struct anchor *an, const struct in6_addr *coa,
		     const struct in6_addr *dst, const struct in6_addr *hoa)
{
	return coa_check(an, coa, dst, hoa, 1);
}

int anchor_coa_check_cfg(const struct anchor *an, const struct in6_addr *coa)
{
	return coa_check(an, coa, NULL, NULL, 0);
}

/*
 * Authentication (RFC 4285 §5): 0 if the BU carries a valid MN-HA
 * authenticator for the identity at index ident; -1 otherwise, also for
 * an unknown identity (ident < 0), after the same work with a key nobody
 * holds, so that the time taken does not tell which identities exist.
 */
static int authenticate(const struct anchor *an, long ident, const struct mh_msg *bu,
			const uint8_t *buf, size_t len, const struct in6_addr *src)
{
	static const uint8_t nokey[MH_AUTH_KEY_LEN];
	const struct odm_identity *id = ident >= 0 ? &an->cfg->identities[ident] : NULL;
	/* the MAC covers CoA ‖ HoA ‖ MH data; HoA is the HNP as sent (::
	 * for an allocation request) */
	const struct in6_addr *coa = (bu->present & MH_HAS_ALTCOA) ? &bu->altcoa : src;
	const struct in6_addr *hoa_sent = (bu->present & MH_HAS_HNP) ? &bu->hnp : &any6;
	int ok;

	if (!(bu->present & MH_HAS_AUTH) || bu->auth_subtype != MH_AUTH_SUBTYPE_MNHA)
		return -1;
	ok = mh_auth_verify(buf, len, bu, id ? id->key : nokey, coa, hoa_sent) == 0;
	return id && ok && bu->auth_spi == id->spi ? 0 : -1;
}

int anchor_stale_copy(struct anchor_ident *st, uint16_t seq)
{
	int copy = (st->has_last && !mh_seq_newer(seq, st->last_seq)) ||
		   (st->has_stale && !mh_seq_newer(seq, st->stale_seq));

	if (!copy) {
		st->has_stale = 1;
		st->stale_seq = seq;
	}
	return copy;
}

int anchor_twin(struct anchor_ident *st, const struct in6_addr *coa, uint64_t now_ms)
{
	int twin;

	if (!st->has_last_coa || addr_eq(coa, &st->last_coa))
		return 0;
	twin = st->has_behind && addr_eq(&st->behind_coa, &st->last_coa) &&
	       addr_eq(&st->behind_of, coa) && now_ms - st->behind_ms <= ANCHOR_TWIN_WINDOW_MS;
	st->has_behind = 1;
	st->behind_coa = *coa;
	st->behind_of = st->last_coa;
	st->behind_ms = now_ms;
	return twin;
}

static uint8_t process(struct anchor *an, const struct mh_msg *bu, const uint8_t *buf,
		       size_t len, const struct in6_addr *src, const struct in6_addr *dst,
		       uint64_t now_ms, uint64_t ntp_now, struct ba_plan *p)
{
	const struct anchor_mode_ops *ops;
	struct anchor_req req;
	struct anchor_ident *st;
	int64_t skew;
	int coa_rc, graceful = 0, waived, behind;
	uint8_t status;

	p->seq = bu->seq;
	p->ident = -1;
	p->has_replay = (bu->present & MH_HAS_REPLAY) != 0;
	p->replay_ts = bu->replay_ts;

	/* Until the BU is shown authentic and fresh, whoever sent it may be
	 * anyone, at any rate, from a forged source: the answer is throttled
	 * (RFC 4443 §2.4(f), as RFC 6275 §9.3.3 asks for Binding Errors). */
	p->throttled = 1;
	if (!(bu->present & MH_HAS_MNID) || bu->mnid_subtype != MH_MNID_SUBTYPE_NAI)
		return MH_BA_MISSING_MNID;
	/*
	 * An unknown NAI, a wrong SPI and a wrong or missing authenticator all
	 * get one and the same answer: a BA 146 that echoes nothing but the
	 * sequence number, without an authenticator (RFC 6275 §11.7.3 and
	 * RFC 4285 §5 make the host drop a BA it cannot verify, so it moves
	 * no state). Silence (what RFC 6275 §9.5.1 does for a failed
	 * Binding Authorization Data option) was the other choice; this one
	 * still tells a host with a mistyped key what is wrong. Signing the
	 * answer would put the sender's fields under the identity's MAC:
	 * anyone could collect BAs the host would take as the anchor's.
	 */
	p->ident = anchor_ident_find(an, bu->mnid);
	if (authenticate(an, p->ident, bu, buf, len, src) != 0) {
		p->ident = -1;
		p->bare = 1;
		return MH_BA_AUTH_FAIL;
	}
	st = &an->ids[p->ident];

	skew = mh_ntp_diff_ms(bu->replay_ts, ntp_now);
	/* A timestamp must be newer than the last accepted (RFC 4285 section
	 * 6), which was within the window of our clock then: one further
	 * ahead of it now says our clock went back (set right after it had
	 * been ahead), and kept as the least, it refused every BU of the
	 * identity for as long as the clock had been ahead. It is no floor
	 * then; the sequence number (below) still refuses a replayed BU. */
	waived = st->has_last && mh_ntp_diff_ms(st->last_ts, ntp_now) > ANCHOR_REPLAY_WINDOW_MS;
	if (!(bu->present & MH_HAS_REPLAY) || skew > ANCHOR_REPLAY_WINDOW_MS ||
	    skew < -ANCHOR_REPLAY_WINDOW_MS ||
	    (st->has_last && !waived && (int64_t)(bu->replay_ts - st->last_ts) <= 0)) {
		/* RFC 4285 §6: tell the host our clock so it can resync */
		p->has_replay = 1;
		p->replay_ts = ntp_now;
		/* paced per identity only from the address the host signed (its
		 * Alternate CoA): a replay with another source goes through the
		 * bucket like any unverified sender's. A BU numbered as a copy
		 * of an earlier one (anchor_stale_copy) has a pace of its own:
		 * copies at any rate leave the host's next BU, with a newer
		 * number, its turn; and a host that lost its numbering, whose
		 * BUs look like copies, is not left to the bucket a flood of
		 * forgeries empties */
		if ((bu->present & MH_HAS_ALTCOA) && addr_eq(&bu->altcoa, src)) {
			p->throttled = 0;
			p->paced = anchor_stale_copy(st, bu->seq) ? ANCHOR_PACED_OLD : ANCHOR_PACED_NEW;
		}
		return MH_BA_MESG_ID_REQD;
	}
	p->throttled = 0; /* authentic and fresh: the key holder asks */

	/* With the floor waived the number is all that tells a replay: a BU
	 * captured 32768 or more updates ago passes for newer (RFC 6275
	 * §9.5.1 compares modulo 2^16), and one sent at the moment our clock
	 * was set back to would be taken. Only a number just above the last
	 * accepted is then; a farther one gets 135 with that number, which
	 * brings the host's next BU there (RFC 6275 §11.7.3). */
	behind = st->has_last && !mh_seq_newer(bu->seq, st->last_seq);
	if (behind || (waived && (uint16_t)(bu->seq - st->last_seq) > ANCHOR_WAIVED_SEQ_SPAN)) {
		char n[LOG_ESC_MAX], c1[INET6_ADDRSTRLEN], c2[INET6_ADDRSTRLEN];

		p->seq = st->last_seq;
		if (behind && (bu->present & MH_HAS_ALTCOA) &&
		    addr_eq(&bu->altcoa, src) && anchor_twin(st, src, now_ms))
			reqlog_say(&st->bu_log, now_ms, ODM_LOG_WARN,
				   "identity %s sends from %s and from %s, each numbered behind "
				   "the other: two hosts configured with this identity? Its "
				   "bindings go to whichever sent last (one key per host: "
				   "odmagent(8), Keys)",
				   anchor_nai_esc(bu->mnid, n), ntop6(src, c1),
				   ntop6(&st->behind_of, c2));
		return MH_BA_SEQ_OUT_OF_WINDOW;
	}

	/* The source is not covered by the MAC, the Alternate CoA is: they
	 * must agree, or a man in the middle could redirect the tunnel. Such
	 * a BU may be the host's own, copied and sent from elsewhere before
	 * the original arrives: a signed answer echoing its sequence number
	 * and timestamp would be one the host takes as ours, so the answer is
	 * bare and throttled like any other to an unverified sender. */
	if (!(bu->present & MH_HAS_ALTCOA) || !addr_eq(&bu->altcoa, src)) {
		p->throttled = 1;
		p->bare = 1;
		p->ident = -1;
		return ANCHOR_BA_INVALID_COA;
	}

	if (!(bu->present & MH_HAS_HNP) || bu->hnp_len != 128)
		return MH_BA_MISSING_HNP;

	ops = anchor_mode_select(an, bu, p->ident, &graceful, &status);
	if (!ops)
		return status;

	coa_rc = anchor_coa_check(an, &bu->altcoa, dst, ops->target(an, bu, p->ident));
	if (coa_rc == ANCHOR_COA_INVALID)
		return ANCHOR_BA_INVALID_COA;

	req.bu = bu;
	req.ident = p->ident;
	req.coa_is_hoa = coa_rc == ANCHOR_COA_IS_HOA;
	/* the source of a BU is anyone's to forge: only its arrival tells
	 * whether it came from the address's link (asked where a mode reads
	 * it: one netlink question) */
	req.from_link = req.coa_is_hoa && ops->mode == ODM_MODE_ACCESS &&
			(!an->from_link || an->from_link(an, src));
	req.graceful = graceful;
	req.now_ms = now_ms;
	if (an->pooled)
		pool_clock(&an->pool, now_ms);
	status = ops->apply(an, &req, p);
	if (status < 128) {
		st->has_last = 1;
		st->last_seq = bu->seq;
		st->last_ts = bu->replay_ts;
		st->has_last_coa = 1;
		st->last_coa = bu->altcoa;
		/* the stale ones seen are older (anchor_stale_copy): one that
		 * lingered 32768 numbers behind would pass for newer */
		st->has_stale = 0;
	}
	return status;
}

static int encode_ba(struct anchor *an, const struct mh_msg *bu, const struct in6_addr *src,
		     const struct ba_plan *p, uint8_t *reply, size_t cap)
{
	struct mh_msg ba;
	const struct odm_identity *id = p->ident >= 0 ? &an->cfg->identities[p->ident] : NULL;
	const struct in6_addr *coa = (bu->present & MH_HAS_ALTCOA) ? &bu->altcoa : src;
	int n;

	memset(&ba, 0, sizeof ba);
	ba.type = MH_TYPE_BA;
	ba.status = p->status;
	ba.flags = 0; /* P clear: the host registers itself */
	ba.seq = p->seq;
	ba.lifetime = p->status < 128 ? p->lifetime : 0;
	if (p->bare)
		goto encode;
	if (p->status < 128 && ba.lifetime >= 2) {
		uint32_t r = (uint32_t)ba.lifetime * ANCHOR_BRA_PERCENT / 100;

		ba.present |= MH_HAS_BRA;
		ba.bra_refresh = (uint16_t)(r ? r : 1);
	}
	if (p->has_hoa) {
		ba.present |= MH_HAS_HNP;
		ba.hnp_len = 128;
		ba.hnp = p->hoa;
	}
	if (bu->present & MH_HAS_BID) {
		ba.present |= MH_HAS_BID;
		ba.bid = bu->bid;
		ba.bid_status = p->status;
	}
	if (bu->present & MH_HAS_MNID) {
		ba.present |= MH_HAS_MNID;
		ba.mnid_subtype = bu->mnid_subtype;
		ba.mnid_len = bu->mnid_len;
		memcpy(ba.mnid, bu->mnid, sizeof ba.mnid);
	}
	if (p->has_replay) {
		ba.present |= MH_HAS_REPLAY;
		ba.replay_ts = p->replay_ts;
	}
	if (id) {
		ba.present |= MH_HAS_AUTH;
		ba.auth_subtype = MH_AUTH_SUBTYPE_MNHA;
		ba.auth_spi = id->spi;
	}
encode:
	n = mh_encode(&ba, reply, cap, id ? id->key : NULL, coa,
		      p->has_hoa ? &p->hoa : &any6, NULL, NULL);
	if (n < 0) {
		log_warnx("encoding the BA: %s", mh_strerror(n));
		return -EINVAL;
	}
	return n;
}

/* 1 if an answer to an unverified message may go out now (counted if not) */
static int answer_allowed(struct anchor *an, uint64_t now_ms)
{
	if (ratelimit_allow(&an->answers, now_ms))
		return 1;
	an->cnt.limited++;
	return 0;
}

static int binding_error(struct anchor *an, const uint8_t *buf, const struct in6_addr *src,
			 uint64_t now_ms, uint8_t *reply, size_t cap)
{
	struct mh_msg be;
	char s[INET6_ADDRSTRLEN];
	int n;

	if (!answer_allowed(an, now_ms)) {
		log_debug("MH type %u from %s: no Binding Error (rate limit)", buf[2],
			  ntop6(src, s));
		return 0;
	}
	memset(&be, 0, sizeof be);
	be.type = MH_TYPE_BE;
	be.status = MH_BE_UNKNOWN_MH;
	n = mh_encode(&be, reply, cap, NULL, NULL, NULL, NULL, NULL);
	if (n < 0)
		return -EINVAL;
	an->cnt.be_tx++;
	reqlog_say(&an->unverified_log, now_ms, ODM_LOG_INFO,
		   "MH type %u from %s: Binding Error status %u", buf[2], ntop6(src, s),
		   MH_BE_UNKNOWN_MH);
	return n;
}

/*
 * A message whose Payload Proto is not 59, or whose Header Len is below its
 * type's least, is discarded and answered with an ICMPv6 Parameter Problem
 * pointing at that field (RFC 6275 sections 6.1.1 and 9.2; the raw socket
 * keeps the kernel from sending it: mhparam.h), from the address it came
 * to, within the bucket of the Binding Errors.
 */
static void param_problem(struct anchor *an, const uint8_t *buf, size_t len,
			  const struct in6_addr *src, const struct in6_addr *dst, uint64_t now_ms)
{
	char s[INET6_ADDRSTRLEN];
	uint8_t out[MHPARAM_MAX_LEN];
	int n;

	if (!an->send_icmp)
		return;
	n = mhparam_build(buf, len, src, dst, &an->rx, out, sizeof(out));
	if (n <= 0)
		return;
	if (!answer_allowed(an, now_ms)) {
		log_debug("malformed MH from %s: no Parameter Problem (rate limit)", ntop6(src, s));
		return;
	}
	if (an->send_icmp(an->send_icmp_arg, out, (size_t)n, dst, src) == 0)
		an->cnt.pp_tx++;
	reqlog_say(&an->unverified_log, now_ms, ODM_LOG_INFO,
		   "malformed MH from %s: Parameter Problem, pointer %u", ntop6(src, s),
		   MHPARAM_IP6_HDR + (unsigned)mhparam_field(buf, len));
}

/*
 * A message to another address of the host (dropped). A BU there is said
 * at info level once per ANCHOR_OTHER_DST_LOG_MS, with the BUs dropped
 * since the last line, for the operator whose hosts are told a wrong
 * address for the anchor (a DNS record, a Router Advertisement): their BUs
 * get no answer, and the anchor is the place to see why. Any other message
 * (this anchor's own BA to a care-of address of this host, looped back;
 * another agent's signalling) and the BUs in between: debug level.
 */
static void other_dst_said(struct anchor *an, const uint8_t *buf, size_t len,
			   const struct in6_addr *src, const struct in6_addr *dst, uint64_t now_ms)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], a[INET6_ADDRSTRLEN], what[32];
	/* the MH type (RFC 6275 §6.1.1), read before anything is decoded */
	int bu = len >= 3 && buf[2] == MH_TYPE_BU;

	if (len >= 3)
		snprintf(what, sizeof what, "MH %s (type %u)", mh_type_name(buf[2]), buf[2]);
	else
		snprintf(what, sizeof what, "MH message of %zu bytes", len);
	if (!bu || !ratelimit_spaced(&an->other_dst_log_ms, ANCHOR_OTHER_DST_LOG_MS, now_ms)) {
		an->other_dst_unsaid += (uint64_t)bu;
		log_debug("dropped %s from %s to %s: not the anchor's address %s", what,
			  ntop6(src, s), ntop6(dst, d), ntop6(&an->cfg->address, a));
		return;
	}
	log_info("dropped %s from %s to %s, an address of this host that is not this anchor's "
		 "(address %s; %llu more BUs to other addresses since the last such line): a "
		 "host told that address for the anchor (a DNS record, a Router Advertisement, "
		 "its configuration) gets no answer; name %s there, unless another agent on "
		 "this host has that address",
		 what, ntop6(src, s), ntop6(dst, d), ntop6(&an->cfg->address, a),
		 (unsigned long long)an->other_dst_unsaid, a);
	an->other_dst_unsaid = 0;
}

int anchor_handle_bu(struct anchor *an, const uint8_t *buf, size_t len,
		     const struct in6_addr *src, const struct in6_addr *dst,
		     uint64_t now_ms, const struct timespec *realtime,
		     uint8_t *reply, size_t cap)
{
	struct mh_msg bu;
	struct ba_plan p;
	char s[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN], h[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];
	char nai[LOG_ESC_MAX], held_text[80];
	const struct in6_addr *coa;
	uint64_t held = 0;
	uint16_t old_lifetime = 0;
	int rc, n, quiet, level, same = 0, refresh;

	an->cnt.bu_rx++;
	/* sent to another address of this host: another agent's (a second
	 * anchor on the host, with an address of its own), or nobody's. Not
	 * this anchor's to act on or answer: each BU of a host to the other
	 * anchor made a binding here too, and took this anchor's sequence
	 * number and timestamp for the identity. (:: is an arrival address
	 * not known, as in the unit tests before it was passed.) */
	if (!IN6_IS_ADDR_UNSPECIFIED(dst) && !addr_eq(dst, &an->cfg->address)) {
		an->cnt.dropped++;
		other_dst_said(an, buf, len, src, dst, now_ms);
		return 0;
	}
	/* from :: or a group: no single node to answer, a Binding Error
	 * (RFC 4443 section 2.4(e), as the host's, hostengine.c) or a BA
	 * alike, whose answer to :: the kernel would hand back to this host;
	 * nor a care-of address a BU could name (its Alternate CoA must be
	 * its source) */
	if (IN6_IS_ADDR_MULTICAST(src) || IN6_IS_ADDR_UNSPECIFIED(src)) {
		an->cnt.dropped++;
		log_debug("dropped MH from %s: not a single node", ntop6(src, s));
		return 0;
	}
	rc = mh_decode(buf, len, &bu, NULL, NULL);
	if (rc == MH_E_TYPE)
		return binding_error(an, buf, src, now_ms, reply, cap);
	if (rc < 0) {
		an->cnt.dropped++;
		log_debug("dropped MH from %s: %s", ntop6(src, s), mh_strerror(rc));
		param_problem(an, buf, len, src, dst, now_ms);
		return 0;
	}
	if (bu.type != MH_TYPE_BU) {
		an->cnt.dropped++;
		log_debug("dropped %s from %s: not for an anchor", mh_type_name(bu.type),
			  ntop6(src, s));
		return 0;
	}
	/* a refresh: the binding of the address the BU names exists, to the
	 * care-of address it names (RFC 6275 section 11.7.1); if accepted,
	 * not a deregistration and granted the lifetime the binding had, it
	 * changes nothing, so it is said at debug level: a host's refreshes
	 * of all its bindings every few minutes would fill the log in a
	 * steady state. One granted another lifetime (the host's lifetime or
	 * the anchor's max-lifetime changed by a reload) is a change. */
	coa = (bu.present & MH_HAS_ALTCOA) ? &bu.altcoa : src;
	if (bu.present & MH_HAS_HNP) {
		const struct binding *old = bcache_find_hoa(&an->bc, &bu.hnp);

		same = old && IN6_ARE_ADDR_EQUAL(&old->coa, coa);
		old_lifetime = old ? old->lifetime : 0;
	}
	memset(&p, 0, sizeof p);
	p.status = process(an, &bu, buf, len, src, dst, now_ms, mh_ntp_from_timespec(realtime),
			   &p);
	refresh = same && p.status < 128 && p.lifetime && p.lifetime == old_lifetime &&
		  p.has_hoa && IN6_ARE_ADDR_EQUAL(&p.hoa, &bu.hnp);
	if (p.paced) {
		struct anchor_ident *st = &an->ids[p.ident];

		quiet = !ratelimit_spaced(p.paced == ANCHOR_PACED_NEW ? &st->stale_told_ms
								      : &st->old_told_ms,
					  ANCHOR_STALE_GAP_MS, now_ms);
		an->cnt.limited += (uint64_t)quiet;
	} else {
		quiet = p.throttled && !answer_allowed(an, now_ms);
	}
	n = quiet ? 0 : encode_ba(an, &bu, src, &p, reply, cap);
	if (p.status < 128)
		an->cnt.ba_ok++;
	else
		an->cnt.ba_rejected++;
	/* a flood of forged BUs must not flood the log either, nor one of
	 * authentic ones: its identity's lines are held to a rate */
	level = quiet || refresh ? ODM_LOG_DEBUG : ODM_LOG_INFO;
	if (level == ODM_LOG_INFO &&
	    !reqlog_allow(p.ident >= 0 ? &an->ids[p.ident].bu_log : &an->unverified_log, now_ms,
			  &held))
		level = ODM_LOG_DEBUG;
	odm_log_at(level, 0,
		 "BU nai=%s seq=%u coa=%s hoa=%s lifetime=%us -> BA %u (%s) seq=%u hoa=%s "
		 "lifetime=%us%s%s",
		 (bu.present & MH_HAS_MNID) ? anchor_nai_esc(bu.mnid, nai) : "-", bu.seq,
		 ntop6(coa, c),
		 (bu.present & MH_HAS_HNP) ? ntop6(&bu.hnp, h) : "-",
		 mh_lifetime_seconds(bu.lifetime), p.status, mh_status_name(p.status), p.seq,
		 p.has_hoa ? ntop6(&p.hoa, r) : "-",
		 mh_lifetime_seconds(p.status < 128 ? p.lifetime : 0),
		 quiet ? " not sent (rate limit)" : "",
		 reqlog_held_text(held_text, sizeof(held_text), held));
	return n;
}

/* ---- state ---- */

int anchor_init(struct anchor *an, const struct odm_config *cfg, struct odm_tunnel *tun)
{
	int rc;

	memset(an, 0, sizeof *an);
	an->cfg = cfg;
	an->tun = tun;
	an->pooled = config_serves(cfg, ODM_MODE_CHA) || config_serves(cfg, ODM_MODE_HOME);
	if (an->pooled) {
		rc = pool_init(&an->pool, &cfg->pool, cfg->pool_plen, &cfg->address,
			       ANCHOR_POOL_MAX);
		if (rc < 0) {
			log_warn(rc, "pool /%u", cfg->pool_plen);
			return rc;
		}
	}
	rc = bcache_init(&an->bc);
	if (rc < 0)
		goto fail;
	ratelimit_init(&an->answers, cfg->answer_rate, cfg->answer_burst, 0);
	reqlog_init(&an->unverified_log, ANCHOR_UNVERIFIED_LOG_RATE, ANCHOR_UNVERIFIED_LOG_BURST, 0);
	ratelimit_init(&an->lost_seen, ANCHOR_LOST_BE_SEEN_RATE, ANCHOR_LOST_BE_SEEN_RATE / 10, 0);
	an->ids = calloc(cfg->n_identities ? cfg->n_identities : 1, sizeof *an->ids);
	if (!an->ids) {
		rc = -ENOMEM;
		goto fail_cache;
	}
	for (size_t i = 0; i < cfg->n_identities; i++)
		anchor_ident_init(&an->ids[i]);
	rc = anchor_home_build(an);
	if (rc < 0)
		goto fail_ids;
	return 0;
fail_ids:
	free(an->ids);
	an->ids = NULL;
fail_cache:
	bcache_destroy(&an->bc, NULL, NULL);
fail:
	pool_free_all(&an->pool);
	return rc;
}

static void unbind_one(struct binding *b, void *arg)
{
	struct anchor *an = arg;

	tunnel_off(an, b);
	anchor_mode_ops(b->mode)->put_addr(an, &b->hoa);
}

void anchor_fini(struct anchor *an)
{
	if (an->bc.by_hoa)
		bcache_destroy(&an->bc, unbind_one, an);
	pool_free_all(&an->pool);
	free(an->ids);
	an->ids = NULL;
	free(an->home);
	an->home = NULL;
	free(an->lost_be);
	an->lost_be = NULL;
	free(an->by_nai);
	an->by_nai = NULL;
}

/* ---- status ---- */

struct status_ctx {
	json_t *arr;
	uint64_t now_ms;
};

static void status_one(const struct binding *b, void *arg)
{
	struct status_ctx *ctx = arg;
	char h[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN];
	uint64_t left = b->expires_ms > ctx->now_ms ? (b->expires_ms - ctx->now_ms) / 1000 : 0;

	uint64_t grace = b->deadline_ms > ctx->now_ms ? (b->deadline_ms - ctx->now_ms) / 1000 : 0;
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:i, s:i, s:s}", "nai", b->nai, "hoa",
			      ntop6(&b->hoa, h), "coa", ntop6(&b->coa, c), "lifetime_left",
			      (json_int_t)left, "seq", (int)b->seq, "bid", (int)b->bid, "mode",
			      config_mode_name(b->mode));

	if (b->mode == ODM_MODE_ACCESS)
		json_object_set_new(o, "type", json_string(b->graceful ? "graceful-replacement"
								      : "session-lasting"));
	if (b->deadline_ms)
		json_object_set_new(o, "grace_left", json_integer((json_int_t)grace));
	json_array_append_new(ctx->arr, o);
}

json_t *anchor_status_json(const struct anchor *an, uint64_t now_ms)
{
	char a[INET6_ADDRSTRLEN], pfx[INET6_ADDRSTRLEN + 8];
	struct status_ctx ctx = { json_array(), now_ms };
	json_t *tun = tunnel_status_json(an->tun);
	const struct anchor_counters *k = &an->cnt;
	json_t *cnt = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "bu_rx",
				(json_int_t)k->bu_rx, "ba_ok", (json_int_t)k->ba_ok,
				"ba_rejected", (json_int_t)k->ba_rejected, "dropped",
				(json_int_t)k->dropped, "be_tx", (json_int_t)k->be_tx,
				"expired", (json_int_t)k->expired, "limited",
				(json_int_t)k->limited, "ptb_relayed", (json_int_t)k->ptb_relayed,
				"ptb_limited", (json_int_t)k->ptb_limited);

	json_t *modes = json_array(), *access = json_array();

	for (int m = 0; m < ODM_MODE_COUNT; m++)
		if (config_serves(an->cfg, (enum odm_anchor_mode)m))
			json_array_append_new(modes, json_string(config_mode_name(m)));
	for (size_t i = 0; i < an->cfg->n_access_prefixes; i++) {
		snprintf(pfx, sizeof pfx, "%s/%u", ntop6(&an->cfg->access_prefixes[i].addr, a),
			 an->cfg->access_prefixes[i].plen);
		json_array_append_new(access, json_string(pfx));
	}
	if (an->pooled)
		snprintf(pfx, sizeof pfx, "%s/%u", ntop6(&an->cfg->pool, a), an->cfg->pool_plen);
	else
		pfx[0] = '\0';
	json_t *saves = json_pack("{s:I, s:I, s:I, s:b}", "written", (json_int_t)an->sf.writes,
				  "failed", (json_int_t)an->sf.failures, "last_ms",
				  (json_int_t)an->save_took_ms, "under_way",
				  bgsave_busy(&an->saver));

	bcache_foreach(&an->bc, status_one, &ctx);
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:I, s:I, s:o, s:I, s:o, s:o, s:o, s:o}",
			 "role",
			 "anchor", "mode", config_mode_name(an->cfg->mode), "modes", modes,
			 "address", ntop6(&an->cfg->address, a), "pool", pfx, "pool_free",
			 (json_int_t)(an->pooled ? pool_free_count(&an->pool) : 0), "pool_cooling",
			 (json_int_t)(an->pooled ? pool_cooling_count(&an->pool) : 0),
			 "access_prefixes", access, "grace_period",
			 (json_int_t)an->cfg->grace_period, "bindings", ctx.arr, "tunnel", tun,
			 "counters", cnt, "saves", saves);
}

/* ---- daemon glue ---- */

static void on_timer(uv_timer_t *t);

static void rearm(struct anchor *an)
{
	uint64_t next = anchor_next_expiry(an), now, save;

	if (!an->timer_live)
		return;
	save = anchor_state_next(an, mono_ms());
	if (save < next)
		next = save;
	if (next == UINT64_MAX) {
		uv_timer_stop(&an->timer);
		return;
	}
	now = mono_ms();
	uv_timer_start(&an->timer, on_timer, next > now ? next - now : 0, 0);
}

static void on_timer(uv_timer_t *t)
{
	struct anchor *an = t->data;
	uint64_t now;

	/* the BUs that came before the bindings' ends first: an agent that
	 * did not run for a while runs its due timers before it polls, and
	 * let go a binding whose refresh waited in the socket (mhsock.h) */
	mhsock_read_now(an->mh);
	now = mono_ms();
	if (anchor_expire(an, now))
		anchor_state_touch(an, now);
	anchor_state_flush(an, now, 0);
	rearm(an);
}

/*
 * A Packet Too Big about a packet we tunnelled: passed on to the
 * correspondent that sent the inner one (ptbrelay.h), if the outer packet
 * was ours (from our address, to the care-of address its inner destination
 * is bound to: anyone can forge an error), within ANCHOR_PTB_RATE a second.
 */
static void on_ptb(void *arg, const uint8_t *msg, size_t len, const struct in6_addr *from)
{
	struct anchor *an = arg;
	char f[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN];
	uint8_t out[PTBRELAY_MAX_LEN];
	const struct binding *b;
	struct ptb_about p;
	uint64_t now = mono_ms();
	uint32_t mtu;
	int n, rc;

	if (ptbrelay_parse(msg, len, &p) < 0 || !addr_eq(&p.outer_src, &an->cfg->address))
		return;
	b = bcache_find_hoa(&an->bc, &p.inner_dst);
	/* a binding with a tunnel (an access claim on its own link has none:
	 * its addresses are all public, anyone could forge the quote) */
	if (!b || addr_eq(&b->coa, &b->hoa) || !addr_eq(&b->coa, &p.outer_dst))
		return;
	/* a path that cannot carry 1280 bytes inside (RFC 2473 section 7):
	 * nothing smaller to tell; a backend that fragments does, the others
	 * lose such packets, said at most once a minute */
	if (p.mtu >= PTBRELAY_MIN_MTU && p.mtu < PTBRELAY_MIN_MTU + 40 && an->tun &&
	    an->tun->ops && !an->tun->ops->outer_frag &&
	    ratelimit_spaced(&an->small_told_ms, ANCHOR_SMALL_PATH_GAP_MS, now))
		log_warnx("the path to care-of address %s carries %u bytes (a Packet Too Big from "
			  "%s), less than IPv6's 1280 and the encapsulation: packets to %s over %u "
			  "bytes are LOST, as the %s backend cannot fragment outer packets (RFC 2473 "
			  "section 7; see odmagent(8), Tunnel MTU): the userspace backend can",
			  ntop6(&p.outer_dst, c), p.mtu, ntop6(from, f), ntop6(&p.inner_dst, s),
			  p.mtu - 40, an->tun->ops->name);
	/* and a correspondent to tell: not us, not one of our hosts */
	if (!ptbrelay_may_tell(&p) || addr_eq(&p.inner_src, &an->cfg->address) ||
	    (an->pooled && pool_contains(&an->pool, &p.inner_src)) ||
	    !(mtu = ptbrelay_inner_mtu(&p)))
		return;
	/* one binding's flood does not use up the others' */
	if (!ratelimit_spaced(&an->ptb_last[(p.inner_dst.s6_addr[14] << 8 |
					     p.inner_dst.s6_addr[15]) % ANCHOR_PTB_SLOTS],
			      ANCHOR_PTB_GAP_MS, now) ||
	    !ratelimit_allow(&an->ptb_rl, now)) {
		an->cnt.ptb_limited++;
		return;
	}
	n = ptbrelay_build(&p, mtu, out, sizeof(out));
	rc = n < 0 ? n : icmpwatch_send(an->ptb, &p.inner_src, out, (size_t)n);
	if (rc == 0)
		an->cnt.ptb_relayed++;
	log_debug("Packet Too Big from %s (MTU %u) about the tunnel to %s: told %s MTU %u%s",
		  ntop6(from, f), p.mtu, ntop6(&p.outer_dst, c), ntop6(&p.inner_src, s), mtu,
		  rc < 0 ? " (NOT sent)" : "");
}

/* anchor->send_icmp for the daemon: through the socket bound to the
 * anchor's address (src is that address: nothing else reaches here) */
static int send_icmp(void *arg, const uint8_t *msg, size_t len, const struct in6_addr *src,
		     const struct in6_addr *dst)
{
	struct anchor *an = arg;

	return an->ptb ? icmpwatch_send_from(an->ptb, src, dst, msg, len) : -ENOTCONN;
}

static void on_mh(void *arg, const uint8_t *buf, size_t len, const struct in6_addr *src,
		  const struct in6_addr *dst, int ifindex, uint64_t at_ms)
{
	struct anchor *an = arg;
	uint8_t reply[MH_MAX_LEN];
	struct timespec rt;
	uint64_t ok_before = an->cnt.ba_ok;
	int n, rc;

	clock_gettime(CLOCK_REALTIME, &rt);
	an->rx_ifindex = ifindex;
	an->rx_at_ms = at_ms;
	an->rx = *mhsock_rx(an->mh);
	n = anchor_handle_bu(an, buf, len, src, dst, mono_ms(), &rt, reply, sizeof reply);
	an->rx_ifindex = 0;
	an->rx_at_ms = 0;
	memset(&an->rx, 0, sizeof an->rx);
	if (n > 0) {
		rc = mhsock_send(an->mh, reply, (size_t)n, &an->cfg->address, src);
		if (rc < 0) {
			char s[INET6_ADDRSTRLEN];

			log_warn(rc, "sending the answer to %s", ntop6(src, s));
		}
	}
	/* only an accepted BU changes the state (anchor.h) */
	if (an->cnt.ba_ok != ok_before)
		anchor_state_touch(an, mono_ms());
	rearm(an);
}

/*
 * anchor->is_local for the daemon: the host's interface addresses, read
 * only for BUs that passed authentication and for the tunnelled packets
 * the limit of "binding lost" Binding Errors lets through (anchor_lost_be),
 * and at most once per
 * LOCAL_ADDRS_MAX_AGE_MS: reading them, a netlink dump (getifaddrs() then,
 * which dumped every link too; netconf_addr_each now, the IPv6 addresses
 * alone), was most of an anchor's time per BU under load. An address added
 * to the host is refused as a care-of address from then on, one second
 * later at most.
 */
#define LOCAL_ADDRS_MAX_AGE_MS 1000
#define LOCAL_ADDRS_MAX 256

static struct in6_addr local_addrs[LOCAL_ADDRS_MAX];
static size_t n_local_addrs;
static uint64_t local_addrs_ms;
static int local_addrs_read, local_addrs_all; /* all: the list is complete */

struct local_read {
	const struct in6_addr *a;
	int found, all;
	size_t n;
};

static int take_local_addr(void *arg, const struct addrmsg *m)
{
	struct local_read *r = arg;

	r->found |= r->a && addr_eq(&m->addr, r->a);
	if (r->n < LOCAL_ADDRS_MAX)
		local_addrs[r->n++] = m->addr;
	else
		r->all = 0;
	return 0;
}

/* Read the host's addresses; with a (not NULL), 1 if a is one of them.
 * The list is left as it was when the dump fails (the walk then tells
 * nothing). */
static int read_local_addrs(uint64_t now, const struct in6_addr *a)
{
	struct local_read r = { .a = a, .all = 1 };

	if (netconf_addr_each(0, take_local_addr, &r) < 0)
		return 0;
	n_local_addrs = r.n;
	local_addrs_all = r.all;
	local_addrs_ms = now;
	local_addrs_read = 1;
	return r.found;
}

/* anchor->from_link for the daemon: src is on the link of the interface
 * the message came in on (a reverse-path check, RFC 3704 §2.2, against
 * that link's connected prefix: the anchor's own /128 route of the address
 * into the tunnel, while its host is away, does not count). A claim forged
 * across the core, or out of the tunnel device, arrives elsewhere. */
static int host_from_link(const struct anchor *an, const struct in6_addr *src)
{
	return an->rx_ifindex > 0 && an->rx_ifindex != an->tun->ifindex &&
	       netconf_on_link(src, an->rx_ifindex) == 1;
}

/* anchor->route for the daemon: hoa/128 into the tunnel device, more
 * specific than the on-link prefix it belongs to */
static int host_route(void *arg, const struct in6_addr *hoa, int add)
{
	struct anchor *an = arg;

	if (!an->nc || !an->tun)
		return 0;
	return add ? netconf_route_add(an->nc, hoa, 128, an->tun->ifindex, 0)
		   : netconf_route_del(an->nc, hoa, 128, an->tun->ifindex, 0);
}

static int host_has_address(void *arg, const struct in6_addr *a)
{
	uint64_t now = mono_ms();

	/* a host with more addresses than the list holds is read every time */
	if (!local_addrs_read || !local_addrs_all || now - local_addrs_ms >= LOCAL_ADDRS_MAX_AGE_MS)
		return read_local_addrs(now, a);
	for (size_t i = 0; i < n_local_addrs; i++)
		if (addr_eq(&local_addrs[i], a))
			return 1;
	return 0;
}

static void on_status(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	struct anchor *an = a->anchor;
	json_t *st = an ? anchor_status_json(an, mono_ms()) : NULL;

	if (!st) {
		control_reply_error(r, "EINVAL", "anchor status unavailable");
		return;
	}
	control_reply(r, st);
}

/* net.ipv6.conf.all.forwarding: 1 on, 0 off, -1 not known (no answer) */
static int forwarding_on(void)
{
	char v = '1';
	int fd = open("/proc/sys/net/ipv6/conf/all/forwarding", O_RDONLY | O_CLOEXEC), rc = -1;

	if (fd < 0)
		return -1;
	if (read(fd, &v, 1) == 1)
		rc = v != '0';
	close(fd);
	return rc;
}

/* A condition the anchor needs of its host and cannot set itself (the
 * administrator's): said once as it goes, once as it comes back, never at
 * each look. ok: 1 there, 0 not, < 0 not known (nothing said). */
static int host_need_says(int *lost, int ok)
{
	if (ok < 0 || ok == !*lost)
		return 0;
	*lost = !ok;
	return ok ? -1 : 1;
}

/* What the anchor needs of its host and leaves to its administrator, at
 * start and at each look (once a second): IPv6 forwarding (without it the
 * anchor decapsulates, but nothing leaves), and its address (without it
 * no BU and no tunnelled packet reaches it). Someone else turning either
 * off mid-session stalls every binding without another sign. */
static void host_needs_look(struct anchor *an)
{
	char ad[INET6_ADDRSTRLEN];

	switch (host_need_says(&an->forwarding_lost, forwarding_on())) {
	case 1:
		log_warnx("net.ipv6.conf.all.forwarding is 0: tunnelled traffic will not be "
			  "forwarded until it is 1 again");
		break;
	case -1:
		log_info("net.ipv6.conf.all.forwarding is 1 again: tunnelled traffic is forwarded");
		break;
	}
	switch (host_need_says(&an->address_lost, netconf_is_local(&an->cfg->address))) {
	case 1:
		log_warnx("the anchor's address %s is no address of this host (deleted, or not "
			  "yet usable): BUs and tunnelled packets to it go nowhere until it is "
			  "back", ntop6(&an->cfg->address, ad));
		break;
	case -1:
		log_info("the anchor's address %s is an address of this host again",
			 ntop6(&an->cfg->address, ad));
		break;
	}
}

static void on_timer_closed(uv_handle_t *h)
{
	struct anchor *an = h->data;

	free(an);
}

/* The tunnel device was deleted or set down under us: every binding's packets go
 * nowhere. The state saved (in-line, after a save under way), the agent
 * starts again in place and builds it anew (devwatch.h). */
static void on_device_gone(void *arg, const char *ifname, int ifindex, enum devwatch_what what)
{
	struct anchor *an = arg;
	char why[160];
	int saved;

	anchor_state_touch(an, mono_ms());
	/* saved, and holding nothing back: the next image need not hold back
	 * what a crash might have lost (reexec.h) */
	saved = anchor_state_flush(an, mono_ms(), 1) == 0 && !an->hold_until_ms;
	snprintf(why, sizeof(why), "the tunnel device %s (ifindex %d) was %s under the "
		 "anchor, with %zu binding(s) through it", ifname, ifindex,
		 devwatch_what_name(what), an->bc.count);
	agent_reexec(an->agent, why, saved);
}

/* Each second (devwatch.h): where packets to the pool go. The pool's route
 * into the device, deleted by someone else, is put back (the bindings'
 * packets would otherwise leave by the default route); one of someone
 * else's that sends the pool elsewhere is told, once. */
static void pool_route_look(struct anchor *an)
{
	const struct odm_config *cfg = an->cfg;
	char pf[INET6_ADDRSTRLEN], name[IF_NAMESIZE] = "?";
	uint64_t now = mono_ms();
	int rc, first, oif = netconf_route_oif(&cfg->pool, NULL);

	if (oif <= 0 && oif != -ENETUNREACH)
		return; /* the question failed: it says nothing */

	if (oif == an->tun->ifindex) {
		if (an->pool_route_told)
			log_info("packets to the pool %s/%u go into %s again", ntop6(&cfg->pool, pf),
				 cfg->pool_plen, an->tun->ifname);
		an->pool_route_told = 0;
		return;
	}
	/* told already: tried again now and then, said once */
	if (an->pool_route_told && now < an->pool_route_tried_ms + ANCHOR_POOL_ROUTE_RETRY_MS)
		return;
	first = !an->pool_route_told;
	an->pool_route_told = 1;
	an->pool_route_tried_ms = now;
	rc = netconf_route_add(an->nc, &cfg->pool, cfg->pool_plen, an->tun->ifindex, 0);
	if (rc < 0) {
		if (first)
			log_warn(rc, "the route of the pool %s/%u into %s is gone, and cannot be put "
				 "back (trying every %u s): packets to the bindings leave by another "
				 "way", ntop6(&cfg->pool, pf), cfg->pool_plen, an->tun->ifname,
				 ANCHOR_POOL_ROUTE_RETRY_MS / 1000);
		return;
	}
	oif = netconf_route_oif(&cfg->pool, NULL);
	if (oif == an->tun->ifindex) {
		log_warnx("the route of the pool %s/%u into %s was deleted by someone else: put back",
			  ntop6(&cfg->pool, pf), cfg->pool_plen, an->tun->ifname);
		an->pool_route_told = 0;
		return;
	}
	if (!first)
		return;
	if (oif > 0)
		if_indextoname((unsigned)oif, name);
	log_warnx("packets to the pool %s/%u leave by %s, not %s: a route of someone else's "
		  "sends them there", ntop6(&cfg->pool, pf), cfg->pool_plen,
		  oif > 0 ? name : "no route", an->tun->ifname);
}

/* Each look of devwatch (once a second, the device up): the routes of the
 * pool and of the access addresses whose hosts are away */
static void on_look(void *arg)
{
	struct anchor *an = arg;

	host_needs_look(an);
	/* the device's MTU as someone else set it (tunnel_mtu.h): a larger
	 * one has the bpf backend put packets the link cannot carry into
	 * outer ones, which are lost without a Packet Too Big */
	tunnel_mtu_keep(an->tun);
	if (an->pooled)
		pool_route_look(an);
	if (config_serves(an->cfg, ODM_MODE_ACCESS))
		anchor_routewatch_look(an);
}

/* Reverse order of anchor_start; also cleans up a half-done start. */
static void teardown(struct odm_agent *a, struct anchor *an)
{
	char p[INET6_ADDRSTRLEN];
	int rc;

	if (an->mh) {
		mhsock_close(an->mh);
		an->mh = NULL;
	}
	icmpwatch_close(an->ptb);
	an->ptb = NULL;
	devwatch_close(an->devw);
	an->devw = NULL;
	if (an->timer_live)
		uv_timer_stop(&an->timer);
	/* bindings first: their tunnel entries go before the device does; the
	 * state file keeps them for the next run (anchor_state.c) */
	/* the next run must still hold back what this one held, or what a
	 * failed last save did not record (agentlock.h) */
	if (an->loop && anchor_state_flush(an, mono_ms(), 1) < 0) {
		log_warnx("the last save failed: the next run holds back the pool as after a crash");
		a->keep_unclean_mark = 1;
	}
	if (an->hold_until_ms)
		a->keep_unclean_mark = 1;
	anchor_journal_close(an);
	statefile_close(&an->sf);
	anchor_fini(an);
	if (an->route_added) {
		rc = netconf_route_del(an->nc, &a->cfg.pool, a->cfg.pool_plen, an->tun->ifindex, 0);
		if (rc < 0)
			log_warn(rc, "removing the route to %s/%u",
				 ntop6(&a->cfg.pool, p), a->cfg.pool_plen);
		an->route_added = 0;
	}
	if (an->tun) {
		tunnel_close(an->tun);
		an->tun = NULL;
	}
	an->nc = NULL;
	a->anchor = NULL;
	if (an->timer_live) {
		an->timer_live = 0;
		uv_close((uv_handle_t *)&an->timer, on_timer_closed);
	} else {
		free(an);
	}
}

int anchor_start(struct odm_agent *a)
{
	struct odm_config *cfg = &a->cfg;
	struct anchor *an;
	char ad[INET6_ADDRSTRLEN], pf[INET6_ADDRSTRLEN], modes[32];
	char pool[INET6_ADDRSTRLEN + 32], access[64] = "";
	int n;
	int rc;

	an = malloc(sizeof *an);
	if (!an)
		return -ENOMEM;
	rc = anchor_init(an, cfg, NULL);
	if (rc < 0) {
		free(an);
		return rc;
	}
	an->loop = a->loop;
	an->is_local = host_has_address;
	anchor_lost_be_prepare(an);
	an->from_link = host_from_link;
	a->anchor = an;
	an->agent = a;

	rc = tunnel_open_encap(&an->tun, a->loop, cfg->tunnel_backend, cfg->tunnel_encap,
			       ODM_TUNNEL_ANCHOR, cfg->tunnel_ifname);
	if (rc < 0)
		goto fail;
	if (an->pooled)
		tunnel_set_guard(an->tun, &cfg->pool, cfg->pool_plen);

	an->tun->unbound = anchor_lost_hook;
	an->tun->unbound_arg = an;
	an->nc = a->nc; /* main.c opened it before starting the role */
	an->route = host_route;
	an->route_arg = an;
	if (an->pooled) {
		rc = netconf_route_add(an->nc, &cfg->pool, cfg->pool_plen, an->tun->ifindex, 0);
		if (rc < 0) {
			log_warn(rc, "route %s/%u dev %s", ntop6(&cfg->pool, pf), cfg->pool_plen,
				 an->tun->ifname);
			goto fail;
		}
		an->route_added = 1;
	}

	/* bindings of the last run: tunnel entries again before BUs come in */
	uv_update_time(a->loop);
	rc = anchor_state_load(an, mono_ms());
	if (rc < 0)
		goto fail;
	if (a->last_run_unclean || an->state_unread)
		anchor_hold_after_crash(an, mono_ms());
	if (an->tun->ops->settle)
		an->tun->ops->settle(an->tun);

	rc = uv_timer_init(a->loop, &an->timer);
	if (rc < 0)
		goto fail;
	an->timer.data = an;
	an->timer_live = 1;
	/* the restored bindings' expiries, the hold's end and the cooling's:
	 * due with no Binding Update coming (the hosts of the last run may be
	 * gone for good), not at the first one */
	rearm(an);

	rc = mhsock_open(&an->mh, a->loop, on_mh, an);
	if (rc < 0)
		goto fail;
	/* a data path without it still works, but stalls past a narrower link */
	ratelimit_init(&an->ptb_rl, ANCHOR_PTB_RATE, ANCHOR_PTB_RATE, mono_ms());
	rc = icmpwatch_open(&an->ptb, a->loop, &cfg->address, NULL, on_ptb, an);
	if (rc < 0)
		log_warn(rc, "the socket for Packets Too Big about the tunnel: none is passed on, "
			 "and no Parameter Problem answers a malformed Mobility Header");
	an->send_icmp = send_icmp;
	an->send_icmp_arg = an;

	rc = control_register(a, "status", on_status);
	if (rc < 0)
		log_warn(rc, "registering the status op");
	rc = devwatch_start(a->loop, an->tun->ifname, an->tun->ifindex, on_device_gone, an,
			    &an->devw);
	if (rc < 0)
		log_warn(rc, "watching the tunnel device %s: its deletion goes unnoticed",
			 an->tun->ifname);
	else
		devwatch_each_look(an->devw, on_look, an);
	host_needs_look(an);
	/* the modes as the file gives them: the first one first */
	n = snprintf(modes, sizeof(modes), "%s", config_mode_name(cfg->mode));
	for (int m = ODM_MODE_CHA; m <= ODM_MODE_ACCESS; m++)
		if (m != (int)cfg->mode && config_serves(cfg, (enum odm_anchor_mode)m) && n > 0 &&
		    (size_t)n < sizeof(modes))
			n += snprintf(modes + n, sizeof(modes) - (size_t)n, " %s",
				      config_mode_name((enum odm_anchor_mode)m));
	/* what a mode does not use is not said: an anchor that is only access
	 * has no pool (not "::/0"), one without access no grace period */
	if (an->pooled)
		snprintf(pool, sizeof(pool), "pool %s/%u (%u addresses)", ntop6(&cfg->pool, pf),
			 cfg->pool_plen, pool_free_count(&an->pool));
	else
		snprintf(pool, sizeof(pool), "no pool");
	if (config_serves(cfg, ODM_MODE_ACCESS))
		snprintf(access, sizeof(access), ", %zu access prefix(es) (grace period %us)",
			 cfg->n_access_prefixes, cfg->grace_period);
	log_info("anchor (%s) at %s, %s%s, max-lifetime %us, "
		 "%zu identities, answers to unverified BUs %u/s burst %u, tunnel %s on %s",
		 modes, ntop6(&cfg->address, ad), pool, access,
		 mh_lifetime_seconds(max_units(an)), cfg->n_identities, cfg->answer_rate,
		 cfg->answer_burst, tunnel_backend_name(an->tun), an->tun->ifname);
	return 0;
fail:
	teardown(a, an);
	return rc;
}

void anchor_state_dir_made(struct odm_agent *a)
{
	struct anchor *an = a->anchor;

	if (!an || !an->loop)
		return;
	statefile_forget(&an->sf);
	anchor_journal_reopen(an, mono_ms());
	/* on the agent's clock (monotime.h), as rearm() and on_timer() read
	 * it: libuv's loop time is CLOCK_MONOTONIC, and as old as the loop's
	 * turn */
	anchor_state_touch(an, mono_ms());
	rearm(an);
}

void anchor_stop(struct odm_agent *a)
{
	if (!a->anchor)
		return;
	/* the bindings are not dropped: the state file keeps them, and the
	 * next start takes them back (odmagent(8) Restarts); a failed save
	 * is said next, by teardown() */
	if (a->anchor->sf.path)
		log_info("anchor stopping: %zu binding(s) saved in %s for the next start to take "
			 "back; their tunnels end now", a->anchor->bc.count, a->anchor->sf.path);
	else
		log_info("anchor stopping: %zu binding(s) end, not saved (no state file)",
			 a->anchor->bc.count);
	teardown(a, a->anchor);
}
