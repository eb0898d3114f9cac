/* SPDX-License-Identifier: MIT */
/* hostengine.c — the host role's event handling, no I/O (see hostengine.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrtext.h"
#include "hostengine.h"
#include "log.h"
#include "odm.h"
#include "mhparam.h"
#include "ratelimit.h"
#include "replay.h"

static const char *proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* ---- events ---- */

void he_emit_granted(struct hostengine *e, const struct lease *l, const void *req, int reused)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	uid_t uid = l->uid;
	pid_t pid = l->pid;
	struct events_audience to = { .uids = &uid, .n = 1 };

	e->ops->cred(e->arg, req, &uid, &pid);
	e->ops->emit(e->arg, "lease-granted",
		     json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:I, s:b}", "id", (int)l->id,
			       "addr", ntop6(&l->addr, a1), "type", odm_type_name(l->type),
			       "proto", proto_name(l->proto), "anchor", ntop6(&l->anchor, a2),
			       "uid", (json_int_t)uid, "pid", (json_int_t)pid, "reused", reused),
		     &to);
}

void he_emit_ended(struct hostengine *e, const struct lease *l, const char *reason)
{
	char a1[INET6_ADDRSTRLEN];
	struct events_audience to;

	lease_audience(l, &to);
	e->ops->emit(e->arg, "lease-ended",
		     json_pack("{s:i, s:s, s:s, s:s}", "id", (int)l->id, "addr",
			       ntop6(&l->addr, a1), "type", odm_type_name(l->type), "reason",
			       reason),
		     &to);
}

void he_emit_refused(struct hostengine *e, int type, const void *req, const char *reason,
		     const char *code)
{
	uid_t uid = (uid_t)-1;
	pid_t pid = 0;
	struct events_audience to = { .uids = &uid, .n = 1 };

	e->ops->cred(e->arg, req, &uid, &pid);
	e->ops->emit(e->arg, "lease-refused",
		     json_pack("{s:s, s:I, s:I, s:s, s:s}", "type", odm_type_name(type), "uid",
			       (json_int_t)uid, "pid", (json_int_t)pid, "reason", reason,
			       "error",
			       strcmp(code, "REQUIREDIPNOTSUPPORTED") == 0 ?
				       "EAI_REQUIREDIPNOTSUPPORTED" :
				       "EAI_REQUIREDIPFAILED"),
		     &to);
}

/* Who hears of a BU or BA for binding bid (0: none named) and address addr:
 * the holders of its lease; root alone for one no lease has any more (a
 * deregistration after the lease went). */
static void mh_audience(const struct hostengine *e, const struct mh_msg *m,
			struct events_audience *to)
{
	const struct lease *l = m->present & MH_HAS_BID ? lease_by_id(&e->leases, m->bid) : NULL;

	/* an allocation names no address yet: the BID says whose it is */
	if (!l || (!IN6_IS_ADDR_UNSPECIFIED(&l->addr) && !(m->present & MH_HAS_HNP &&
							   IN6_ARE_ADDR_EQUAL(&l->addr, &m->hnp))))
		l = m->present & MH_HAS_HNP ? lease_by_addr(&e->leases, &m->hnp) : NULL;
	if (l)
		lease_audience(l, to);
	else
		*to = events_root_only;
}

void he_emit_ba(struct hostengine *e)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	const struct mh_msg *m = e->ba;
	struct events_audience to;

	if (!m)
		return;
	e->ba = NULL;
	mh_audience(e, m, &to);
	e->ops->emit(e->arg, "ba-received",
		     json_pack("{s:s, s:s, s:i, s:i}", "addr",
			       ntop6(m->present & MH_HAS_HNP ? &m->hnp : &in6addr_any, a1),
			       "anchor", ntop6(e->ba_src, a2), "seq", (int)m->seq, "status",
			       (int)m->status),
		     &to);
}

/* registration.c's way out: every BU sent is told as bu-sent */
static int reg_send(void *arg, const uint8_t *buf, size_t len, const struct in6_addr *src,
		    const struct in6_addr *dst)
{
	struct hostengine *e = arg;
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	struct events_audience to;
	struct mh_msg m;
	int rc = e->ops->send_bu(e->arg, buf, len, src, dst);

	if (rc < 0 || mh_decode(buf, len, &m, NULL, NULL) != 0)
		return rc;
	mh_audience(e, &m, &to);
	e->ops->emit(e->arg, "bu-sent",
			     json_pack("{s:s, s:s, s:i, s:I}", "addr",
				       ntop6(m.present & MH_HAS_HNP ? &m.hnp : &in6addr_any, a1),
				       "anchor", ntop6(dst, a2), "seq", (int)m.seq, "lifetime",
				       (json_int_t)m.lifetime * 4),
		     &to);
	return rc;
}

static uint64_t reg_ntp_now(void *arg)
{
	struct hostengine *e = arg;

	return e->ops->ntp_now(e->arg);
}

static const struct reg_ops he_reg_ops = {
	.send = reg_send,
	.ntp_now = reg_ntp_now,
	.done = lease_reg_done,
};

/* ---- set-up ---- */

void he_init(struct hostengine *e, const struct he_ops *ops, void *arg,
	     const struct reg_config *reg, const struct lease_policy *pol, uint16_t first_id)
{
	struct reg_config rc = *reg;

	memset(e, 0, sizeof(*e));
	e->ops = ops;
	e->arg = arg;
	ratelimit_init(&e->asks_log, HE_ASKS_LOG_RATE, HE_ASKS_LOG_RATE, 0);
	ratelimit_init(&e->be_limit, HE_BE_RATE, HE_BE_RATE, 0);
	rc.alloc_timeout_ms = HE_ALLOC_TIMEOUT_MS;
	rc.dereg_tries = HE_DEREG_TRIES;
	reg_init(&e->reg, &rc, &he_reg_ops, e);
	lease_table_init(&e->leases, first_id);
	e->pol = *pol;
	addr_waits_init(&e->usable);
	reqlog_init(&e->passed_log, 1, 1, 0); /* a line a second */
	reqlog_init(&e->waiters_log, HE_WAITERS_LOG_RATE, HE_WAITERS_LOG_BURST, 0);
	reqlog_users_init(&e->plain_log, REQLOG_RATE, REQLOG_BURST, REQLOG_ALL_RATE,
			  REQLOG_ALL_BURST, 0);
	reqlog_init(&e->access_log, HE_ACCESS_LOG_RATE, HE_ACCESS_LOG_BURST, 0);
}

void he_cleanup(struct hostengine *e)
{
	reg_cleanup(&e->reg);
	lease_table_clear(&e->leases);
	addr_waits_clear(&e->usable);
}

/* ---- requests ---- */

void he_refuse(struct hostengine *e, const struct at_request *rq, const char *code,
	       const char *msg)
{
	he_emit_refused(e, rq->type, rq->req, msg, code);
	e->ops->reply_error(e->arg, rq->req, code, msg);
}

static void expire_due(struct hostengine *e);

void he_lease_request(struct hostengine *e, const struct at_request *rq, uint64_t now)
{
	const struct addrtype *at = addrtype_get(rq->type);
	struct in6_addr anchor;
	const char *why = NULL;
	char msg[96];

	e->now = now;
	if (e->stopping) {
		he_refuse(e, rq, "REQUIREDIPFAILED", "the mn role is stopping");
		return;
	}
	/* a program woken with the host may ask before the tick looks: a
	 * lease to share whose binding ran out meanwhile ends first, and the
	 * request gets a fresh allocation, not a confirming refresh the
	 * anchor can only refuse */
	expire_due(e);
	if (!at) {
		e->ops->reply_error(e->arg, rq->req, "EINVAL", "field \"type\": unknown type");
		return;
	}
	switch (at->source ? at->source(rq, &e->anchors, &anchor, &why) : AT_NOT_OFFERED) {
	case AT_NOT_OFFERED:
		snprintf(msg, sizeof(msg), "type \"%s\" is not offered %s",
			 odm_type_name(rq->type), why ? why : "yet");
		he_refuse(e, rq, "REQUIREDIPNOTSUPPORTED", msg);
		break;
	case AT_PLAIN:
		if (why) {
			/* asked for more than a plain address: a fallback,
			 * at a rate any local user can make high */
			reqlog_user_say(&e->plain_log, rq->uid, now, ODM_LOG_INFO,
					"%s for uid %u pid %d: %s", odm_type_name(rq->type),
					(unsigned)rq->uid, (int)rq->pid, why);
			struct events_audience to = { .uids = &rq->uid, .n = 1 };

			e->ops->emit(e->arg, "fallback",
				     json_pack("{s:I, s:I, s:s, s:s}", "uid", (json_int_t)rq->uid,
					       "pid", (json_int_t)rq->pid, "type",
					       odm_type_name(rq->type), "reason", why),
				     &to);
		}
		e->ops->reply(e->arg, rq->req, json_pack("{s:b}", "plain", 1));
		break;
	case AT_ANCHORED:
		lease_request_anchored(e, rq, &anchor);
		break;
	}
	e->ops->save(e->arg);
}

int he_release_hint(struct hostengine *e, const struct in6_addr *addr, uint64_t now,
		    const char **why)
{
	struct lease *l;
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	e->now = now;
	if (e->stopping) {
		*why = "stopping";
		return 0;
	}
	/* only a hint: the kernel's socket count decides (a crashed or lying
	 * client cannot take an address from under another socket) */
	l = lease_by_addr(&e->leases, addr);
	if (!l || !lease_countable(e, l)) {
		*why = !l ? "no-lease" : l->state == LEASE_REGISTERING ? "registering" : "grace";
		return 0;
	}
	l->hinted = 1;
	return 1;
}

/* The lease of addr, if it still has step (LEASE_CFG_*) configured on the
 * host: else the deletion was the agent's own (the lease is gone, or no
 * longer has it) */
static struct lease *still_configured(struct hostengine *e, const struct in6_addr *addr,
				      unsigned step)
{
	struct lease *l = lease_by_addr(&e->leases, addr);

	return l && (l->host_cfg & step) && !e->stopping ? l : NULL;
}

/* Says what putting l's what back (rc) came to; without: what it costs */
static int told_put_back(const struct lease *l, const char *what, int rc, const char *without)
{
	char a1[INET6_ADDRSTRLEN];

	if (rc < 0) {
		log_warn(rc, "lease %u %s: its %s was deleted by someone else, and cannot be "
			 "put back: %s", l->id, ntop6(&l->addr, a1), what, without);
		return rc;
	}
	log_warnx("lease %u %s: its %s was deleted by someone else: put back", l->id,
		  ntop6(&l->addr, a1), what);
	return 1;
}

int he_route_gone(struct hostengine *e, const struct in6_addr *addr, uint64_t now)
{
	struct lease *l;

	e->now = now;
	l = still_configured(e, addr, LEASE_CFG_ROUTE);
	if (!l)
		return 0;
	/* an old event about a route the agent has added again since: the
	 * add finds it there, which ops->route_add takes as success */
	return told_put_back(l, "route", e->ops->route_add(e->arg, addr),
			     "its packets leave untunnelled");
}

int he_rule_gone(struct hostengine *e, uint64_t now)
{
	int rc;

	e->now = now;
	/* the agent's own deletion, with its last lease, cleared rule_on */
	if (!e->rule_on || e->stopping)
		return 0;
	rc = e->ops->rule_add(e->arg);
	if (rc < 0) {
		log_warn(rc, "the rule to the leases' table was deleted by someone else, and cannot "
			 "be put back: the leases' packets leave untunnelled");
		return rc;
	}
	log_warnx("the rule to the leases' table was deleted by someone else: put back");
	return 1;
}

int he_addr_gone(struct hostengine *e, const struct in6_addr *addr, uint64_t now)
{
	struct lease *l;

	e->now = now;
	l = still_configured(e, addr, LEASE_CFG_ADDR);
	/* or an old event about an address added again since */
	if (!l || e->ops->addr_usable(e->arg, addr) > 0)
		return 0;
	return told_put_back(l, "address", e->ops->addr_add(e->arg, addr),
			     "its sockets receive nothing");
}

/* ---- Mobility Header input ---- */

/* 1 if a line about a BRR or Binding Error may go to the log now (else
 * counted) */
static int asks_may_log(struct hostengine *e)
{
	if (ratelimit_allow(&e->asks_log, e->now))
		return 1;
	e->asks_unlogged++;
	return 0;
}

/* The suffix of such a line: how many went unlogged before it (reset) */
static const char *asks_unlogged(struct hostengine *e)
{
	static char s[64];

	s[0] = '\0';
	if (e->asks_unlogged)
		snprintf(s, sizeof(s), " (and %llu more BRRs or BEs not logged)",
			 (unsigned long long)e->asks_unlogged);
	e->asks_unlogged = 0;
	return s;
}

/*
 * A Binding Refresh Request (RFC 6275 §11.7.4), or a Binding Error status 1
 * (§11.3.6: the anchor has no binding for a home address we use), from one
 * of our anchors: refresh its bindings at once. Neither is authenticated,
 * so neither changes anything by itself: the refresh is an authenticated
 * exchange (rate limited per binding), and only its BA decides: an anchor
 * that lost the binding binds the address again (anchor_mode_cha.c), a 133
 * (the address is someone else's now) ends the lease. A binding is
 * refreshed so at most once per HE_PROBE_GAP_MS, like after an ICMPv6 error.
 * A binding whose refresh is out already (a move's, unanswered while the
 * anchor was away) has that BU sent again now: the message says the anchor
 * runs again, and the back-off (RFC 6275 §11.8, up to MAX_BINDACK_TIMEOUT,
 * 32 s) would otherwise leave its sessions stalled until its next try.
 * Returns how many bindings it refreshed.
 */
static int anchor_asks(struct hostengine *e, const struct mh_msg *m,
		       const struct in6_addr *src)
{
	struct reg_anchor *an = reg_anchor_find(&e->reg, src);
	char a1[INET6_ADDRSTRLEN];
	int n = 0;

	if (!an) {
		log_debug("MH type %u from %s ignored", m->type, ntop6(src, a1));
		return 0;
	}
	if (m->type == MH_TYPE_BE && m->status != MH_BE_UNKNOWN_HAO) {
		if (asks_may_log(e))
			log_info("Binding Error status %u from anchor %s%s", m->status,
				 ntop6(src, a1), asks_unlogged(e));
		return 0;
	}
	for (struct reg_binding *b = an->bindings; b; b = b->next) {
		struct lease *l = b->user;

		if (!l || l->state != LEASE_REGISTERED ||
		    (b->kind != REG_NONE && b->kind != REG_REFRESH))
			continue;
		if (m->type == MH_TYPE_BE && !IN6_IS_ADDR_UNSPECIFIED(&m->be_home) &&
		    !IN6_ARE_ADDR_EQUAL(&m->be_home, &b->hnp))
			continue;
		/* as for an ICMPv6 error: each forged message would otherwise
		 * cost one authenticated BU per binding, as fast as the anchor
		 * answers them (3 a second each, MAX_UPDATE_RATE) */
		if (l->asked_ms && e->now < l->asked_ms + HE_PROBE_GAP_MS)
			continue;
		l->asked_ms = e->now;
		if (b->kind == REG_REFRESH)
			reg_resend_now(&e->reg, b, e->now);
		else
			reg_refresh(&e->reg, b, e->now, 0);
		n++;
	}
	/* one that moved nothing is only counted: it takes no token, so a
	 * forged flood of them hides no line that matters */
	if (!n) {
		e->asks_unlogged++;
		return 0;
	}
	if (asks_may_log(e))
		log_info("%s from anchor %s: refreshing %d binding(s)%s",
			 m->type == MH_TYPE_BRR ? "Binding Refresh Request"
						: "Binding Error (no binding)",
			 ntop6(src, a1), n, asks_unlogged(e));
	return n;
}

/*
 * Before a look, a move, an anchor's word or a lease request refreshes
 * bindings: the ones whose lifetime ran out while the agent did not run
 * (HE_EXPIRED_LATE_MS) end as expired first. The agent that was stopped,
 * or whose host was paused or asleep, has its timers due at once, in no
 * set order (or, after a suspend, its requests before its tick); the
 * anchor let such a binding go (its lifetime counts from the BU, RFC 6275
 * section 11.7.1), and a refresh of it would only be refused (status 133)
 * and cost a deregistration BU too.
 */
static void expire_due(struct hostengine *e)
{
	unsigned n = reg_expire_due(&e->reg, e->now, HE_EXPIRED_LATE_MS);

	if (n)
		log_info("%u binding(s) expired while the agent did not run: ended as such", n);
}

/*
 * A Mobility Header message of a type this host does not know: a Binding
 * Error, status 2, to its sender (RFC 6275 section 9.2), so that a peer
 * that speaks a later version learns it; rate-limited as ICMPv6 errors are
 * (RFC 6275 section 9.3.3, RFC 4443 section 2.4(f)): anyone may send such
 * messages, from any source. None for a message sent to a group or from no
 * single node (RFC 4443 section 2.4(e)). The anchor does the same
 * (anchor.c).
 */
static void unknown_type(struct hostengine *e, uint8_t type, const struct in6_addr *src,
			 const struct in6_addr *dst)
{
	char a1[INET6_ADDRSTRLEN];
	struct mh_msg be;
	uint8_t buf[64];
	int n;

	if (IN6_IS_ADDR_MULTICAST(dst) || IN6_IS_ADDR_MULTICAST(src) ||
	    IN6_IS_ADDR_UNSPECIFIED(src) || !ratelimit_allow(&e->be_limit, e->now)) {
		log_debug("MH type %u from %s ignored", type, ntop6(src, a1));
		return;
	}
	memset(&be, 0, sizeof(be));
	be.type = MH_TYPE_BE;
	be.status = MH_BE_UNKNOWN_MH;
	n = mh_encode(&be, buf, sizeof(buf), NULL, NULL, NULL, NULL, NULL);
	/* the way out of every message of the host (send_bu) */
	if (n > 0 && e->ops->send_bu(e->arg, buf, (size_t)n, dst, src) == 0)
		e->be_tx++;
	log_debug("MH type %u from %s: Binding Error status %u", type, ntop6(src, a1),
		  MH_BE_UNKNOWN_MH);
}

/*
 * A message whose Payload Proto is not 59, or whose Header Len is below its
 * type's least: discarded, and answered with an ICMPv6 Parameter Problem
 * pointing at that field (RFC 6275 sections 6.1.1 and 9.2), which the raw
 * socket keeps the kernel from sending (mhparam.h). It takes its tokens
 * from the Binding Errors' limit: one bound for every answer to anyone.
 */
static void malformed(struct hostengine *e, const uint8_t *buf, size_t len,
		      const struct in6_addr *src, const struct in6_addr *dst)
{
	char a1[INET6_ADDRSTRLEN];
	uint8_t out[MHPARAM_MAX_LEN];
	int n;

	if (!e->ops->send_icmp)
		return;
	n = mhparam_build(buf, len, src, dst, &e->rx, out, sizeof(out));
	if (n <= 0)
		return;
	if (!ratelimit_allow(&e->be_limit, e->now)) {
		log_debug("malformed MH from %s: no Parameter Problem (rate limit)", ntop6(src, a1));
		return;
	}
	if (e->ops->send_icmp(e->arg, out, (size_t)n, dst, src) == 0)
		e->pp_tx++;
	log_debug("malformed MH from %s: Parameter Problem, pointer %u", ntop6(src, a1),
		  MHPARAM_IP6_HDR + (unsigned)mhparam_field(buf, len));
}

void he_mh_input(struct hostengine *e, const uint8_t *buf, size_t len,
		 const struct in6_addr *src, const struct in6_addr *dst, uint64_t now)
{
	char a1[INET6_ADDRSTRLEN];
	struct mh_msg m;
	int rc, decoded, acted = 0;

	e->now = now;
	if (e->stopping)
		return;
	rc = mh_decode(buf, len, &m, NULL, NULL);
	if (rc == MH_E_TYPE) {
		unknown_type(e, m.type, src, dst);
		return;
	}
	if (rc < 0)
		malformed(e, buf, len, src, dst);
	decoded = rc == 0;
	if (decoded && (m.type == MH_TYPE_BRR || m.type == MH_TYPE_BE)) {
		expire_due(e);
		acted = anchor_asks(e, &m, src) > 0;
	} else if (len >= 4 && (buf[2] == MH_TYPE_BRR || buf[2] == MH_TYPE_BE)) {
		log_debug("MH type %u from %s ignored", buf[2], ntop6(src, a1));
	} else {
		/* told as ba-received once registration.c has acted on it,
		 * before what it causes (he_emit_ba) */
		e->ba = decoded && m.type == MH_TYPE_BA ? &m : NULL;
		e->ba_src = src;
		if (reg_input(&e->reg, buf, len, src, dst, now) == 0) {
			he_emit_ba(e);
			acted = 1;
		}
		e->ba = NULL;
	}
	/* only what was acted on changes what the state file holds: a save
	 * snapshots every lease, and anyone may send a flood of messages that
	 * are ignored (no key, not from an anchor, not a BA at all) */
	if (acted)
		e->ops->save(e->arg);
}

/* ---- movement ---- */

/*
 * When an's old CoA stopped working, on the host's clock: the arrival of
 * the last packet the tunnel received from an for any of its bindings
 * (the backends that say rx_each_packet stamp arrivals: tunnel.h). Until
 * the BA, an sends to the old CoA only, so nothing came after it: what an
 * sent later was lost or is still in flight. That holds whether it came
 * before the change was seen (the netlink burst that showed it, as the
 * agent read it) or after: a burst can begin before the old link goes (a
 * new address first), and the old link may still carry packets while the
 * move's BUs go. Without such a packet, the moment the change was seen
 * less what the kernel's notice and the agent's read of it may have taken
 * (replay.h).
 */
static uint64_t loss_moment(struct hostengine *e, struct reg_anchor *an, uint64_t seen,
			    uint64_t until)
{
	uint64_t last = 0, ms;
	uint32_t tag;

	for (struct reg_binding *b = an->bindings; b; b = b->next) {
		/* each binding's last packet, named for the anchor (replay.h) */
		tag = 0;
		if (!e->ops->last_rx || !b->registered ||
		    e->ops->last_rx(e->arg, &b->hnp, &ms, &tag) < 0) {
			b->lost_tag = 0;
			continue;
		}
		if (ms > until) {
			/* came after the return: the first look's stays */
			if (an->coa_lost_ms > last)
				last = an->coa_lost_ms;
			continue;
		}
		b->lost_tag = ms ? tag : 0;
		if (ms > last)
			last = ms;
	}
	if (last)
		return last;
	return seen > REPLAY_NOTICE_MS ? seen - REPLAY_NOTICE_MS : seen;
}

/* 1 while a binding at an is in an exchange a move started */
static int moving(const struct reg_anchor *an)
{
	for (const struct reg_binding *b = an->bindings; b; b = b->next)
		if (b->kind != REG_NONE && b->after_move)
			return 1;
	return 0;
}

static void check_anchor(struct hostengine *e, struct reg_anchor *an, int nested);

void he_check_anchor(struct hostengine *e, struct reg_anchor *an)
{
	check_anchor(e, an, 0);
}

/*
 * The new CoA is the address of a claim away from its link (back on it
 * now), still on the tunnel device with its route: that claim's anchor
 * is looked at first, which makes the address native again; else the BUs
 * of this move, sent from that address, would go into the tunnel toward
 * the link the host has left, and wait for their retransmission. Whoever
 * sees the CoA first (a move, the tick's look, a new lease's) does so.
 */
static void claim_first(struct hostengine *e, const struct reg_anchor *an,
			const struct in6_addr *coa, int nested)
{
	struct lease *l = lease_by_addr(&e->leases, coa);

	if (!nested && l && l->claimed && l->host_cfg && l->rb && l->rb->anchor != an)
		check_anchor(e, l->rb->anchor, 1);
}

/*
 * The care-of address toward an is back, the same, after a look that found
 * none (its link had no carrier): 1 to re-register as a move does, so that
 * an replays the outage (HE_BACK_GAP_MS); 0 when one did less than that
 * ago: the next is due at its end (he_reg_timers), and meanwhile the
 * tunnel takes the bindings' packets again (a hold ends: tunnel.h).
 */
static int back_now(struct hostengine *e, struct reg_anchor *an)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];

	if (ratelimit_spaced(&an->back_ms, HE_BACK_GAP_MS, e->now))
		return 1;
	if (!an->back_due_ms)
		an->back_due_ms = an->back_ms + HE_BACK_GAP_MS;
	for (struct reg_binding *b = an->bindings; b; b = b->next) {
		struct lease *l = b->user;

		if (l && l->host_cfg && l->state == LEASE_REGISTERED)
			(void)e->ops->tun_bind(e->arg, &l->addr, &an->coa, &l->anchor);
	}
	log_debug("CoA %s back toward %s: re-registering in %llu ms", ntop6(&an->coa, a1),
		  ntop6(&an->addr, a2), (unsigned long long)(an->back_due_ms - e->now));
	return 0;
}

/* The link of coa and its carrier losses (the coa_link op) into
 * e->link_memo, asked once a look: its answer */
static int coa_link(struct hostengine *e, const struct in6_addr *coa)
{
	struct he_link_memo *m = &e->link_memo;

	if (!e->ops->coa_link)
		return -ENOSYS;
	if (m->at_ms != e->now || !IN6_ARE_ADDR_EQUAL(&m->coa, coa)) {
		m->rc = e->ops->coa_link(e->arg, coa, &m->ifindex, &m->downs);
		m->coa = *coa;
		m->at_ms = e->now;
	}
	return m->rc;
}

/*
 * The care-of address toward an works at this look, as it did at the last,
 * and its link lost its carrier and got it back between
 * the two without a look that found it gone (carrierlook.h): 1, the loss
 * dated from the last look, as the return of one seen is re-registered
 * (back_now). The packets the tunnel received since that look may be the
 * outage's end, not its start: they do not count (loss_moment), nor a
 * packet an earlier loss named. A link that is not up, or not known, leaves
 * the last look as it was, for the next.
 */
static int unseen_loss(struct hostengine *e, struct reg_anchor *an)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	uint64_t up = 0;

	if (coa_link(e, &an->coa) < 0 ||
	    !carrierlook_seen(&an->carrier, e->link_memo.ifindex, e->link_memo.downs, e->now,
			      &up))
		return 0;
	if (!an->coa_lost_ms) {
		for (struct reg_binding *b = an->bindings; b; b = b->next)
			b->lost_tag = 0;
		an->coa_seen_ms = up;
		an->coa_lost_ms = loss_moment(e, an, up, up);
	}
	log_debug("CoA %s toward %s: its link lost its carrier and got it back since the look "
		  "%llu ms ago", ntop6(&an->coa, a1), ntop6(&an->addr, a2),
		  (unsigned long long)(e->now - up));
	return 1;
}

/* The link of an's care-of address and its count noted as this look's
 * (carrierlook.h), after a move or a return this look re-registers */
static void note_link(struct hostengine *e, struct reg_anchor *an)
{
	uint64_t up;

	if (coa_link(e, &an->coa) == 0)
		(void)carrierlook_seen(&an->carrier, e->link_memo.ifindex, e->link_memo.downs,
				       e->now, &up);
}

static void check_anchor(struct hostengine *e, struct reg_anchor *an, int nested)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], a3[INET6_ADDRSTRLEN];
	char ifname[IF_NAMESIZE] = "";
	struct in6_addr coa, old = an->coa;
	int had = an->has_coa, n = 0, rc, moved, back;

	rc = e->ops->coa(e->arg, &an->addr, had ? &old : NULL, &coa);
	/* the old CoA stopped working now, unless that was seen already (the
	 * BUs of the move say when: replay.h) */
	if (had && rc < 0)
		an->coa_away = 1; /* its return is a move too (back_now) */
	if (had && (rc < 0 || !IN6_ARE_ADDR_EQUAL(&coa, &old)) && !an->coa_lost_ms) {
		an->coa_seen_ms = e->change_ms ? e->change_ms : e->now;
		an->coa_lost_ms = loss_moment(e, an, an->coa_seen_ms, UINT64_MAX);
		/* none to go to yet: what the host sends meanwhile waits in
		 * its senders rather than die on the old link */
		if (rc < 0 && e->ops->tun_hold)
			e->ops->tun_hold(e->arg, &old, &an->addr);
	}
	if (rc < 0) {
		/* no route or no usable source: keep the old binding, the
		 * next event retries; a long loss is said (no_route_say) */
		if (had && !an->no_route_ms)
			an->no_route_ms = e->now ? e->now : 1;
		an->no_route_err = rc;
		log_debug("no CoA toward %s (%s): keeping %s", ntop6(&an->addr, a1),
			  strerror(-rc), had ? ntop6(&old, a2) : "none");
		return;
	}
	an->no_route_ms = 0;
	an->no_route_told = 0;
	/* back on the link of a claim there whose address the kernel let
	 * go: put back, it is the CoA (accessclaim.h) */
	if (access_claim_relink(e, an, &coa, an->coa_away)) {
		log_debug("CoA toward %s: %s, a claim's put back on its link", ntop6(&an->addr, a1),
			  ntop6(&coa, a2));
	/* still on the link of a native claim there, its address still
	 * the host's: it stays the CoA (accessclaim.h) */
	} else if (had && access_claim_pins(e, an, &coa)) {
		log_debug("CoA toward %s stays %s, a native claim, not %s", ntop6(&an->addr, a1),
			  ntop6(&old, a2), ntop6(&coa, a3));
		coa = old;
	/* a new run's first look: a native claim taken over there whose
	 * address the kernel no longer picks is the CoA (accessclaim.h) */
	} else if (!had && access_claim_first_coa(e, an, &coa)) {
		log_debug("CoA toward %s: %s, a native claim taken over", ntop6(&an->addr, a1),
			  ntop6(&coa, a2));
	}
	claim_first(e, an, &coa, nested);
	moved = reg_anchor_set_coa(an, &coa);
	if (moved)
		carrierlook_forget(&an->carrier);
	/* a move or a return seen: its link is noted after its BUs, which
	 * the dumps would hold (carrierlook.h) */
	if (!moved && !an->coa_away && unseen_loss(e, an))
		an->coa_away = 1;
	back = !moved && an->coa_away;
	an->coa_away = 0;
	if (moved)
		an->back_due_ms = 0; /* the move's BUs say when the loss began */
	if (back && !back_now(e, an)) {
		note_link(e, an);
		return;
	}
	if (!moved && !back) {
		/* the CoA works: once the move's exchanges are over, the
		 * next loss is a new one (one a paced return still has to
		 * tell is not over) */
		if (an->coa_lost_ms && !moving(an) && !an->back_due_ms)
			an->coa_lost_ms = 0;
		return;
	}
	an->back_rereg = back;
	/*
	 * Also for the first CoA: an allocation sent while there was none
	 * (no route yet, address still tentative) goes out again at once
	 * instead of at its 1.5 s retransmission. The first BU after a move
	 * is not rate limited.
	 */
	e->move_ms = e->now;
	/*
	 * The move's BUs go now: date the loss again. Packets that reached
	 * the host before the change was seen but were still queued then have
	 * been read since (the tunnel stamps their arrival, not their read);
	 * without them the anchor would replay what the host already got. The
	 * moment only moves later. The same CoA back: the anchor sent to it
	 * all along, and what reached it since the link came back (before the
	 * agent saw the return) is not the outage's start but its end: a
	 * packet stamped after the loss was seen does not count, or the
	 * anchor would replay only what came after it, none of the outage.
	 */
	if (an->coa_lost_ms && an->coa_seen_ms) {
		uint64_t again = loss_moment(e, an, an->coa_seen_ms,
					     back ? an->coa_seen_ms : UINT64_MAX);

		if (again > an->coa_lost_ms)
			an->coa_lost_ms = again;
	}
	if (!e->has_coa || !IN6_ARE_ADDR_EQUAL(&e->last_coa, &coa)) {
		/* one event per move of the host, whatever the number of anchors */
		e->ops->ifname(e->arg, &coa, ifname);
		e->ops->emit(e->arg, "move",
			     json_pack("{s:o, s:s, s:s}", "from",
				       e->has_coa ? json_string(ntop6(&e->last_coa, a1)) :
						    json_null(),
				       "to", ntop6(&coa, a2), "ifname", ifname),
			     &events_everyone);
		e->last_coa = coa;
		e->has_coa = 1;
		memcpy(e->last_ifname, ifname, sizeof(e->last_ifname));
	}
	for (struct reg_binding *b = an->bindings; b; b = b->next) {
		struct lease *l = b->user;
		const struct addrtype *at;

		if (!l)
			continue; /* deregistrations retransmit from the new CoA anyway */
		if (back && l->claimed && !l->host_cfg)
			continue; /* native on its link: not tunnelled, nothing to replay */
		at = addrtype_get(l->type);
		if (at && at->move == AT_MOVE_REREGISTER)
			n += lease_moved(e, l, &coa);
	}
	if (n) {
		/* the device as looked up for the host's move event, not once
		 * more for each anchor while their BUs wait; another CoA's
		 * (an anchor reached from another link) looked up */
		if (IN6_ARE_ADDR_EQUAL(&coa, &e->last_coa))
			memcpy(ifname, e->last_ifname, sizeof(ifname));
		else
			e->ops->ifname(e->arg, &coa, ifname);
		if (back)
			log_info("CoA %s back on %s after a time without a route, re-registering "
				 "%d binding(s) at anchor %s", ntop6(&coa, a2),
				 ifname[0] ? ifname : "?", n, ntop6(&an->addr, a3));
		else
			log_info("move: CoA %s -> %s on %s, re-registering %d binding(s) at "
				 "anchor %s", had ? ntop6(&old, a1) : "none", ntop6(&coa, a2),
				 ifname[0] ? ifname : "?", n, ntop6(&an->addr, a3));
	}
	else
		log_debug("CoA toward %s now %s (was %s), no lease there", ntop6(&an->addr, a3),
			  ntop6(&coa, a2), ntop6(&old, a1));
	note_link(e, an);
}

static void check_all(struct hostengine *e)
{
	for (struct reg_anchor *an = e->reg.anchors; an; an = an->next) {
		/* deregistrations in flight need a CoA too */
		if (an->bindings) {
			he_check_anchor(e, an);
		} else {
			an->has_coa = 0; /* looked up afresh by the next lease there */
			an->no_route_ms = 0;
		}
	}
}

/* Care-of addresses without a route toward their anchor for HE_NO_ROUTE_MS:
 * said once each loss (its end is said by the return's or the move's line) */
static void no_route_say(struct hostengine *e)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];

	for (struct reg_anchor *an = e->reg.anchors; an; an = an->next) {
		unsigned n = 0;

		if (!an->no_route_ms || an->no_route_told || e->now < an->no_route_ms ||
		    e->now - an->no_route_ms < HE_NO_ROUTE_MS)
			continue;
		an->no_route_told = 1;
		for (struct reg_binding *b = an->bindings; b; b = b->next)
			n++;
		log_info("no route toward anchor %s from CoA %s for %llu ms (%s): %u binding(s) "
			 "held until one comes back", ntop6(&an->addr, a1), ntop6(&an->coa, a2),
			 (unsigned long long)(e->now - an->no_route_ms),
			 an->no_route_err == -EAGAIN ? "no usable address"
						      : strerror(-an->no_route_err),
			 n);
	}
}

/* gone[0..ng): addresses that left the host; their TCP sockets ended if
 * the plain addresses' type says so (vanished()) */
static void destroy_vanished(struct hostengine *e, const struct in6_addr *gone, size_t ng)
{
	const struct addrtype *plain = addrtype_get(ODM_TYPE_NON_PERSISTENT);

	for (size_t i = 0; i < ng && plain->move == AT_MOVE_ABORT_TCP; i++) {
		char t[INET6_ADDRSTRLEN];
		int r = e->ops->destroy_tcp(e->arg, &gone[i]);

		ntop46(&gone[i], t);
		if (r < 0) {
			log_warn(r, "destroying the TCP sockets on vanished %s", t);
			continue;
		}
		/* at the info level only when sockets were destroyed: an
		 * address with none is no news, and anyone on the link makes
		 * addresses come and go with forged RAs (short-lived prefixes,
		 * or an answer to each DAD probe), up to the kernel's 16 per
		 * interface each round, as often as they like */
		odm_log_at(r ? ODM_LOG_INFO : ODM_LOG_DEBUG, 0,
			   "address %s vanished: %d TCP socket%s destroyed", t, r,
			   r == 1 ? "" : "s");
		/* it counts every user's sockets: for root alone */
		e->ops->emit(e->arg, "socket-destroyed",
			     json_pack("{s:s, s:i}", "addr", t, "count", r), &events_root_only);
	}
}

/*
 * The host's IPv4 addresses: never an anchor's nor a care-of address, all
 * plain, so one that left the host is judged as a plain IPv6 one (below).
 * A DHCP client takes its address off at a link's loss (the kernel keeps an
 * IPv4 address on a link that went down: its sockets then wait for the
 * link, as the host may come back).
 */
static void vanished4(struct hostengine *e)
{
	struct in6_addr now[VANISHED_MAX], gone[VANISHED_MAX];
	int n;

	if (!e->ops->host_addrs4)
		return;
	n = e->ops->host_addrs4(e->arg, now, VANISHED_MAX);
	if (n < 0) {
		log_debug("no verdict on vanished IPv4 addresses: %s", strerror(-n));
		return;
	}
	destroy_vanished(e, gone,
			 vanished_addrs(e->host_addrs4, e->n_host_addrs4, now, (size_t)n, NULL, 0,
					gone));
	memcpy(e->host_addrs4, now, (size_t)n * sizeof(now[0]));
	e->n_host_addrs4 = (size_t)n;
}

/*
 * Look at the host's access addresses again. An address that left the host
 * is a plain one, and the type of plain addresses says what a move does to
 * them (typetable.h): AT_MOVE_ABORT_TCP destroys its TCP sockets, which can
 * never send again, so their applications get ECONNABORTED now instead of
 * after their own timeouts. UDP sockets are left alone (their owners may
 * rebind or just send from elsewhere), and lease addresses (anchored, on
 * the tunnel device) are never touched: they survive moves by design.
 */
static void vanished(struct hostengine *e)
{
	struct in6_addr now[VANISHED_MAX], gone[VANISHED_MAX], *anch = NULL;
	size_t na = 0, ng;
	struct lease *l;
	int n;

	vanished4(e);
	n = e->ops->host_addrs(e->arg, now, VANISHED_MAX);
	if (n < 0) {
		/* keep the old snapshot: compared again at the next event */
		log_debug("no verdict on vanished addresses: %s", strerror(-n));
		return;
	}
	if (e->leases.n)
		anch = malloc(e->leases.n * sizeof(*anch));
	for (l = e->leases.head; anch && l; l = l->next)
		anch[na++] = l->addr;
	ng = vanished_addrs(e->host_addrs, e->n_host_addrs, now, (size_t)n, anch, na, gone);
	free(anch);
	if (e->leases.n && !anch)
		return; /* without the anchored set, no verdict is safe */
	destroy_vanished(e, gone, ng);
	memcpy(e->host_addrs, now, (size_t)n * sizeof(now[0]));
	e->n_host_addrs = (size_t)n;
	access_update(e);
}

/* The host's addresses and each binding's care-of address, looked at
 * again: at a move, and at a wake (the host may be on another network) */
static void look_addrs(struct hostengine *e)
{
	vanished(e);
	check_all(e);
}

void he_move(struct hostengine *e, uint64_t now)
{
	he_move_since(e, now, now);
}

void he_move_since(struct hostengine *e, uint64_t now, uint64_t since_ms)
{
	e->now = now;
	if (e->stopping)
		return;
	expire_due(e);
	e->change_ms = since_ms && since_ms <= now ? since_ms : now;
	look_addrs(e);
	fixed_moved(e);
	e->change_ms = 0; /* any other look at the CoA sees a change now */
	e->ops->save(e->arg);
}

/* ---- timers ---- */

/*
 * 1 when the agent did not run since the last look (HE_ASLEEP_MS). The host
 * may have moved meanwhile (woken on another network): the kernel's word
 * of it waits behind the first timer to fire, the look (its confirming
 * refreshes) or the Binding Update List's (a refresh or a retransmission
 * come due meanwhile), whose BUs would leave from a care-of address the
 * host no longer has (refused by the kernel, a warning each). So a wake
 * looks at the addresses first, as a move does (look_addrs).
 */
static int woke(const struct hostengine *e, uint64_t now)
{
	return e->looked_ms && now > e->looked_ms + HE_ASLEEP_MS;
}


void he_tick(struct hostengine *e, uint64_t now)
{
	e->now = now;
	if (e->stopping)
		return;
	/* the count of a flood's last unlogged lines, once it has stopped */
	if (e->asks_unlogged && ratelimit_allow(&e->asks_log, now)) {
		log_info("%llu Binding Refresh Requests or Binding Errors from anchors not logged",
			 (unsigned long long)e->asks_unlogged);
		e->asks_unlogged = 0;
	}
	expire_due(e);
	if (woke(e, now)) {
		lease_woke(e, now - e->looked_ms);
		look_addrs(e);
	}
	e->looked_ms = now;
	lease_count_and_judge(e);
	access_deadlines(e);
	/* the count may have ended leases: the overdue look walks the list
	 * as it is now */
	lease_confirm_overdue(e);
	/* the Fixed address is held from the start, and asked for again
	 * after its anchor refused, forgot or never answered it */
	fixed_keep(e);
	/* a safety net for lost netlink events (the socket can overrun) */
	check_all(e);
	no_route_say(e);
	/* out of every walk of the anchors (registration.h) */
	reg_anchors_trim(&e->reg, REG_ANCHORS_MAX);
	e->ops->save(e->arg);
}

void he_reg_timers(struct hostengine *e, uint64_t now)
{
	e->now = now;
	/* before the look: lease_woke waits for it (he_tick) */
	if (!e->stopping && woke(e, now))
		look_addrs(e);
	/* returns of a care-of address paced by back_now: looked at again
	 * as a return (or as the move or the loss the look finds now) */
	for (struct reg_anchor *an = e->reg.anchors; !e->stopping && an; an = an->next)
		if (an->back_due_ms && now >= an->back_due_ms) {
			an->back_due_ms = 0;
			an->coa_away = 1;
			he_check_anchor(e, an);
		}
	reg_timers(&e->reg, now);
	access_deadlines(e);
	e->ops->save(e->arg);
}

uint64_t he_reg_deadline(const struct hostengine *e)
{
	uint64_t r, a;

	if (e->stopping)
		return 0;
	r = reg_next_deadline(&e->reg);
	a = access_next_deadline(e);
	r = !r || (a && a < r) ? a : r;
	for (const struct reg_anchor *an = e->reg.anchors; an; an = an->next)
		if (an->back_due_ms && (!r || an->back_due_ms < r))
			r = an->back_due_ms;
	return r;
}

void he_usable_poll(struct hostengine *e, uint64_t now)
{
	e->now = now;
	lease_usable_poll(e);
	e->ops->save(e->arg);
}

size_t he_usable_pending(const struct hostengine *e)
{
	return e->usable.n;
}

void he_adopted(struct hostengine *e, uint64_t now)
{
	size_t taken = e->leases.n;
	int n, rc;

	e->now = now;
	/* the access addresses first: a claimed address still on its link
	 * is adopted native (accessclaim.h) */
	n = e->ops->host_addrs(e->arg, e->host_addrs, VANISHED_MAX);
	e->n_host_addrs = n < 0 ? 0 : (size_t)n;
	n = e->ops->host_addrs4 ? e->ops->host_addrs4(e->arg, e->host_addrs4, VANISHED_MAX) : 0;
	e->n_host_addrs4 = n < 0 ? 0 : (size_t)n;
	access_update(e);
	lease_adopt_all(e);
	/* the last run's rule, kept through the start for the leases taken
	 * over (hostengine.h he_adopted): none configured again, it goes */
	if (taken && !e->rule_on && (rc = e->ops->rule_del(e->arg)) < 0)
		log_warn(rc, "removing the rule to the leases' table left by the last run");
	fixed_keep(e);
	check_all(e);
	e->ops->save(e->arg);
}

/* The binding of bid at an, NULL if none */
static struct reg_binding *binding_of(const struct reg_anchor *an, uint16_t bid)
{
	for (struct reg_binding *b = an->bindings; b; b = b->next)
		if (b->bid == bid)
			return b;
	return NULL;
}

int he_deregister_orphans(struct hostengine *e, const struct in6_addr *anchor,
			  const uint16_t *bid, const char *const *type, size_t n, uint64_t now)
{
	char a1[INET6_ADDRSTRLEN];
	int count = 0;

	e->now = now;
	for (size_t i = 0; i < n; i++) {
		struct reg_anchor *an;
		struct reg_binding *b;

		/* taken over with the state, or the id is in use again */
		if (lease_by_id(&e->leases, bid[i]))
			continue;
		an = reg_anchor_get(&e->reg, &anchor[i], e->ops->random16(e->arg));
		if (!an)
			return -ENOMEM;
		if (binding_of(an, bid[i]))
			continue; /* a line twice */
		b = reg_binding_add(&e->reg, an, bid[i], NULL);
		if (!b)
			return -ENOMEM;
		snprintf(b->service, sizeof(b->service), "%s", type[i]);
		he_check_anchor(e, an);
		/* (the caller says how many, at the info level) */
		log_debug("BID %u at anchor %s: asked for by the last run and not taken over: "
			  "deregistering it", bid[i], ntop6(&anchor[i], a1));
		reg_dereg(&e->reg, b, now);
		count++;
	}
	if (count)
		e->ops->save(e->arg);
	return count;
}

int he_journal_keep(const struct hostengine *e, const struct in6_addr *anchor, uint16_t bid)
{
	const struct reg_anchor *an = reg_anchor_find((struct reg_ctx *)&e->reg, anchor);
	const struct reg_binding *b = an ? binding_of(an, bid) : NULL;

	/* kept while the binding lives, saved in the state or not: a next run
	 * that cannot read the state (a file cut short, damaged, of another
	 * version) still deregisters it and ends the sockets on its address */
	return b != NULL; /* else it ended (deregistered, or never granted) */
}

void he_stop(struct hostengine *e, uint64_t now)
{
	e->now = now;
	e->stopping = 1;
	lease_end_all(e);
}

/* ---- status ---- */

/* One lease of the status: who holds it is "owner": "agent" for the one
 * the agent holds for itself (no uid: no user asked for it), else the
 * owner's uid and pid, and "uids" when users share it (an access claim). */
static json_t *lease_status_json(const struct lease *l, uint64_t now)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	const struct reg_binding *b = l->rb;
	int64_t left = b && b->registered && b->expires_ms > now ?
			       (int64_t)(b->expires_ms - now) / 1000 : 0;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:i, s:i}", "addr",
			      ntop6(&l->addr, a1), "type", odm_type_name(l->type), "anchor",
			      ntop6(&l->anchor, a2), "proto", proto_name(l->proto), "state",
			      lease_state_name(l->state), "sockets",
			      (int)(l->socks.tcp + l->socks.udp), "lifetime_left",
			      (json_int_t)left, "bid", (int)l->id, "seq",
			      b ? (int)b->last_seq : 0);
	uint64_t last = lease_last_use_ms(l, l->seen_any_ms);
	json_t *uids;

	if (!o)
		return NULL;
	/* what the UDP idle judge measures (lease_judge), as the last look saw
	 * it */
	if (l->state == LEASE_REGISTERED && last && last <= now)
		json_object_set_new(o, "idle_ms", json_integer((json_int_t)(now - last)));
	/* a Graceful-replacement claim away from its link: when it goes */
	if (l->deadline_ms)
		json_object_set_new(o, "grace_left_ms",
				    json_integer(l->deadline_ms > now ?
							 (json_int_t)(l->deadline_ms - now) : 0));
	if (l->uid == LEASE_UID_AGENT) {
		json_object_set_new(o, "owner", json_string("agent"));
		return o;
	}
	json_object_set_new(o, "owner", json_string("user"));
	json_object_set_new(o, "uid", json_integer((json_int_t)l->uid));
	json_object_set_new(o, "pid", json_integer((json_int_t)l->pid));
	if (l->n_uids > 1 && (uids = json_array())) {
		for (size_t i = 0; i < l->n_uids; i++)
			json_array_append_new(uids, json_integer((json_int_t)l->uids[i]));
		json_object_set_new(o, "uids", uids);
	}
	return o;
}

json_t *he_status_json(const struct hostengine *e, uint64_t now)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], a3[INET6_ADDRSTRLEN];
	json_t *coa = json_object(), *leases = json_array(), *bindings = json_array(), *resp;
	json_t *hold = json_array(), *no_route = json_array(), *o;

	for (struct reg_anchor *an = e->reg.anchors; an; an = an->next) {
		if (an->has_coa)
			json_object_set_new(coa, ntop6(&an->addr, a1),
					    json_string(ntop6(&an->coa, a2)));
		if (an->no_route_ms && an->has_coa && now >= an->no_route_ms)
			json_array_append_new(no_route,
					      json_pack("{s:s, s:s, s:I}", "anchor",
							ntop6(&an->addr, a1), "coa",
							ntop6(&an->coa, a2), "for_ms",
							(json_int_t)(now - an->no_route_ms)));
		if (he_hold_left(an, now))
			json_array_append_new(hold, json_pack("{s:s, s:I}", "anchor",
							      ntop6(&an->addr, a1), "hold_left_ms",
							      (json_int_t)he_hold_left(an, now)));
		for (struct reg_binding *b = an->bindings; b; b = b->next) {
			int64_t left = b->registered && b->expires_ms > now ?
					       (int64_t)(b->expires_ms - now) / 1000 : 0;

			o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:b, s:I}", "anchor",
				      ntop6(&an->addr, a1), "coa",
				      an->has_coa ? ntop6(&an->coa, a2) : "", "hnp",
				      ntop6(&b->hnp, a3), "bid", (int)b->bid, "seq",
				      (int)b->last_seq, "pending", reg_kind_name(b->kind),
				      "registered", b->registered, "lifetime_left", (json_int_t)left);
			/* how long the anchor has left the outstanding exchange unanswered */
			if (o && b->kind != REG_NONE && b->n_sent && now >= b->first_tx_ms)
				json_object_set_new(o, "unanswered_ms",
						    json_integer((json_int_t)(now - b->first_tx_ms)));
			json_array_append_new(bindings, o);
		}
	}
	for (struct lease *l = e->leases.head; l; l = l->next)
		json_array_append_new(leases, lease_status_json(l, now));
	resp = json_pack("{s:s, s:s, s:o, s:o, s:o, s:I}", "role", "mn", "nai", e->reg.cfg.nai,
			 "coa", coa, "leases", leases, "bindings", bindings, "lost_bindings",
			 (json_int_t)e->lost);
	if (resp) {
		json_object_set_new(resp, "registration",
				    json_pack("{s:I, s:I, s:I}", "bu_sent", (json_int_t)e->reg.bu_sent,
					      "ba_in", (json_int_t)e->reg.ba_in, "ba_ignored",
					      (json_int_t)e->reg.ba_ignored));
		/* anchors not asked for an allocation now (he_hold_ms) */
		json_object_set_new(resp, "anchors_on_hold", hold);
		/* care-of addresses without a route toward their anchor now */
		json_object_set_new(resp, "no_route", no_route);
		/* requests that went to their type's next anchor past a silent one */
		json_object_set_new(resp, "fell_through", json_integer((json_int_t)e->fell_through));
		/* refreshes of leases that fell silent (HE_QUIET_MS) */
		json_object_set_new(resp, "quiet_checks", json_integer((json_int_t)e->quiet_checks));
	} else {
		json_decref(hold);
		json_decref(no_route);
	}
	return resp;
}

/* ---- ICMPv6 errors ---- */

int he_icmp_error(struct hostengine *e, const struct in6_addr *src, const struct in6_addr *dst,
		  uint64_t now)
{
	int n;

	e->now = now;
	if (e->stopping || !reg_anchor_find(&e->reg, dst))
		return 0;
	expire_due(e);
	n = lease_anchor_error(e, src, dst);
	if (n)
		e->ops->save(e->arg);
	return n;
}

int he_icmp_bu_unheard(struct hostengine *e, const struct in6_addr *src,
		       const struct in6_addr *dst, uint64_t now)
{
	struct reg_anchor *an;
	char a1[INET6_ADDRSTRLEN];
	int was_away;
	unsigned n;

	e->now = now;
	an = e->stopping ? NULL : reg_anchor_find(&e->reg, dst);
	if (!an)
		return 0;
	was_away = an->away;
	n = reg_anchor_agent_away(an, src, now);
	/* once per outage (a BA ends it): the error comes after every BU. At
	 * warning level once per REG_AWAY_LOG_GAP_MS per anchor: anyone can
	 * forge the error after each BA of ours, each exchange an outage */
	if (an->away && !was_away) {
		an->away_told = ratelimit_spaced(&an->away_told_ms, REG_AWAY_LOG_GAP_MS, now);
		odm_log_at(an->away_told ? ODM_LOG_WARN : ODM_LOG_DEBUG, 0,
			   "anchor %s: its host answers our BUs \"unrecognized Next Header\" "
			   "(its agent is not running?): the BUs out to it go every %u ms until "
			   "it answers, for %u s at most", ntop6(dst, a1), REG_AWAY_RETRY_MS,
			   REG_AWAY_PACE_MS / 1000);
	}
	return (int)n;
}
