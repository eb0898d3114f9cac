/* SPDX-License-Identifier: MIT */
/* accessclaim.c — access addresses claimed at access anchors (see accessclaim.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accessclaim.h"
#include "addrtext.h"
#include "hostengine.h"
#include "lease.h"
#include "log.h"
#include "odm.h"
#include "registration.h"

/* same /64: the prefix length SLAAC gives a link (RFC 4291 §2.5.1) */
static int same_link_prefix(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a->s6_addr, b->s6_addr, 8) == 0;
}

int access_anchor_pick(const struct access_anchors *list, const struct in6_addr *host,
		       size_t nh)
{
	for (size_t i = 0; i < list->n; i++)
		for (size_t j = 0; j < nh; j++)
			if (same_link_prefix(&list->v[i], &host[j]))
				return (int)i;
	return -1;
}

void access_set_anchors(struct hostengine *e, const struct in6_addr *v, size_t n)
{
	if (n > ACCESS_ANCHORS_MAX)
		n = ACCESS_ANCHORS_MAX;
	memcpy(e->access.v, v, n * sizeof(*v));
	e->access.n = n;
	access_update(e);
}

void access_learn_from_ra(struct hostengine *e, int on)
{
	e->access_ra_on = on;
	if (!on)
		memset(&e->access_ra, 0, sizeof(e->access_ra));
	access_update(e);
}

void access_ra_heard(struct hostengine *e, const struct ra_info *ra, const char *ifname,
		     uint64_t now)
{
	e->now = now;
	if (!e->access_ra_on)
		return;
	accessra_from_ra(&e->access_ra, ra, ifname, now);
	access_update(e);
}

/*
 * The host's address on the link it sends by: the source the kernel picks
 * toward a destination off every link, 2000:: (the first address of the
 * global unicast space), which its default route covers; RFC 6724 rule 5
 * makes it an address of that route's interface. 0 when there is none.
 */
static int sending_addr(struct hostengine *e, struct in6_addr *out)
{
	static const struct in6_addr off_link = { { { 0x20 } } };

	return e->ops->coa && e->ops->coa(e->arg, &off_link, NULL, out) == 0;
}

void access_update(struct hostengine *e)
{
	char a1[INET6_ADDRSTRLEN];
	const struct accessra_entry *r = NULL;
	const struct in6_addr *cur;
	struct in6_addr sending;
	enum access_src src;
	int i = -1;

	if (!e->access.n && !e->access_ra_on)
		return; /* none configured: the anchors known stay as they are */
	accessra_expire(&e->access_ra, e->now);
	/* a host on two links at once (Ethernet and Wi-Fi) holds an address
	 * in the /64 of both links' anchors: the link's anchor is the one of
	 * the link it sends by, if that link has one (else the one RA heard
	 * last would be, changing at each RA of either link) */
	if (sending_addr(e, &sending)) {
		i = access_anchor_pick(&e->access, &sending, 1);
		if (i < 0)
			r = accessra_pick(&e->access_ra, &sending, 1);
	}
	if (i < 0 && !r)
		i = access_anchor_pick(&e->access, e->host_addrs, e->n_host_addrs);
	if (i < 0 && !r)
		r = accessra_pick(&e->access_ra, e->host_addrs, e->n_host_addrs);
	if (i < 0 && !r) {
		if (e->anchors.has_access)
			reqlog_say(&e->access_log, e->now, ODM_LOG_INFO,
				   "no access anchor on this link any more: %s (%s) shares a /64 "
				   "with none of the host's addresses",
				   ntop6(&e->anchors.access, a1),
				   e->access_src == ACCESS_SRC_RA ? "ra" : "config");
		e->anchors.has_access = 0;
		e->access_src = ACCESS_SRC_NONE;
		return;
	}
	cur = i >= 0 ? &e->access.v[i] : &r->addr;
	src = i >= 0 ? ACCESS_SRC_CONFIG : ACCESS_SRC_RA;
	if (!e->anchors.has_access || !IN6_ARE_ADDR_EQUAL(&e->anchors.access, cur) ||
	    e->access_src != src) {
		/* held to a rate: any neighbour's RA may change it */
		if (r)
			reqlog_say(&e->access_log, e->now, ODM_LOG_INFO,
				   "access anchor of this link: %s (ra: router on %s)", ntop6(cur, a1),
				   r->ifname);
		else
			reqlog_say(&e->access_log, e->now, ODM_LOG_INFO,
				   "access anchor of this link: %s (config)", ntop6(cur, a1));
	}
	e->anchors.has_access = 1;
	e->anchors.access = *cur;
	e->access_src = src;
}

int access_is_claim(const struct hostengine *e, const struct in6_addr *anchor,
		    const struct in6_addr *addr)
{
	int mine = addr && same_link_prefix(anchor, addr);

	for (size_t i = 0; i < e->access.n; i++)
		if (IN6_ARE_ADDR_EQUAL(&e->access.v[i], anchor))
			return 1;
	if (!e->access_ra_on || !accessra_find(&e->access_ra, anchor))
		return 0;
	/* or the router of a link the host is on (a /64 of one of its
	 * addresses, as access_update picks it): on a renumbered link the
	 * address toward it is of the new /64, its own of the old one */
	for (size_t i = 0; i < e->n_host_addrs && !mine; i++)
		mine = same_link_prefix(anchor, &e->host_addrs[i]);
	return mine;
}

json_t *access_status_json(const struct hostengine *e, uint64_t now)
{
	static const char *const src_name[] = { "none", "config", "ra" };
	char a1[INET6_ADDRSTRLEN];
	json_t *conf = json_array(), *learned = json_array();

	for (size_t i = 0; i < e->access.n; i++)
		json_array_append_new(conf, json_string(ntop6(&e->access.v[i], a1)));
	for (size_t i = 0; i < e->access_ra.n; i++) {
		const struct accessra_entry *r = &e->access_ra.e[i];

		json_array_append_new(
			learned,
			json_pack("{s:s, s:s, s:I}", "addr", ntop6(&r->addr, a1), "ifname", r->ifname,
				  "expires_in_s",
				  (json_int_t)(r->expires_ms > now ? (r->expires_ms - now) / 1000
								       : 0)));
	}
	return json_pack("{s:s?, s:s, s:b, s:o, s:o}", "addr",
			 e->anchors.has_access ? ntop6(&e->anchors.access, a1) : NULL, "source",
			 src_name[e->anchors.has_access ? e->access_src : ACCESS_SRC_NONE], "from_ra",
			 e->access_ra_on, "configured", conf, "learned", learned);
}

int access_claim_join(struct hostengine *e, struct lease *l, const struct at_request *rq)
{
	char a1[INET6_ADDRSTRLEN];

	if (lease_add_holder(l, rq->uid) < 0 ||
	    (rq->type == ODM_TYPE_SESSION_LASTING && l->type != rq->type &&
	     lease_add_waiter(l, rq->req) < 0)) {
		he_emit_refused(e, rq->type, rq->req, "out of memory", "REQUIREDIPFAILED");
		e->ops->reply_error(e->arg, rq->req, "REQUIREDIPFAILED", "out of memory");
		return 1;
	}
	if (rq->type != ODM_TYPE_SESSION_LASTING || l->type == rq->type)
		return 0;
	/* a Session-lasting socket has no deadline: neither has the claim now */
	l->type = ODM_TYPE_SESSION_LASTING;
	snprintf(l->rb->service, sizeof(l->rb->service), "%s", odm_type_name(l->type));
	log_info("lease %u: claim of %s is Session-lasting now (uid %u joins)", l->id,
		 ntop6(&l->addr, a1), (unsigned)rq->uid);
	if (l->state == LEASE_REGISTERED && l->rb->kind == REG_NONE)
		reg_refresh(&e->reg, l->rb, e->now, 0); /* its BA answers rq */
	else
		l->claim_retype = 1; /* the exchange out carries the old type */
	return 1;
}

void access_claim_start(struct hostengine *e, struct lease *l)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	struct reg_binding *b = l->rb;
	struct reg_anchor *an = b->anchor;
	struct lease *other = an->has_coa ? lease_by_addr(&e->leases, &an->coa) : NULL;

	if (!an->has_coa) {
		log_warnx("lease %u: no access address toward the access anchor %s", l->id,
			  ntop6(&an->addr, a2));
		lease_end(e, l, "refused", "no address to claim"); /* answers the waiter */
		return;
	}
	if (other) {
		/* a request that could not share that claim (one for a fresh
		 * address, IPV6_REQUIRE_SRC_ON_NET, shares nothing) */
		log_warnx("lease %u: the access address %s is lease %u's claim already, and an "
			  "address is claimed once", l->id, ntop6(&an->coa, a1), other->id);
		lease_end(e, l, "refused", "no address to claim"); /* answers the waiter */
		return;
	}
	l->claimed = 1;
	l->addr = an->coa;
	b->hnp = an->coa;
	snprintf(b->service, sizeof(b->service), "%s", odm_type_name(l->type));
	log_info("lease %u: claiming access address %s at anchor %s (%s)", l->id,
		 ntop6(&l->addr, a1), ntop6(&an->addr, a2), b->service);
	/* an earlier claim's deregistration still unanswered would, sent
	 * again after this BU, end this claim at the anchor */
	if (reg_dereg_cancel(&e->reg, an, &l->addr))
		log_info("lease %u: the deregistration of the last claim of %s is not sent again",
			 l->id, ntop6(&l->addr, a1));
	reg_refresh(&e->reg, b, e->now, 0);
}

void access_claim_accepted(struct hostengine *e, struct lease *l, struct reg_binding *b,
			   const struct reg_event *ev)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	struct events_audience to;
	uint64_t deadline;

	if (l->claim_retype) {
		/* answered for the type before: ask again, the waiters wait */
		l->claim_retype = 0;
		if (l->state == LEASE_REGISTERING) {
			l->state = LEASE_REGISTERED;
			l->registered_ms = l->handed_ms = e->now;
		}
		reg_refresh(&e->reg, b, e->now, 0);
		return;
	}
	if (l->state == LEASE_REGISTERING) {
		/* the address is the host's own, on its link: usable already */
		l->state = LEASE_REGISTERED;
		l->registered_ms = l->handed_ms = e->now;
		log_info("lease %u: %s claimed at %s, lifetime %us", l->id, ntop6(&l->addr, a1),
			 ntop6(&l->anchor, a2), ev->lifetime_s);
		lease_answer_waiters(e, l);
		return;
	}
	if (l->type != ODM_TYPE_GRACEFUL_REPLACEMENT || !l->host_cfg)
		return;
	/* away from its link: the lifetime granted runs to the grace period's
	 * end at most; the anchor started counting when the BU arrived */
	deadline = e->now + (uint64_t)ev->lifetime_s * 1000;
	if (ev->rtt_ms > 0 && deadline > (uint64_t)ev->rtt_ms / 2)
		deadline -= (uint64_t)ev->rtt_ms / 2;
	if (l->deadline_ms && l->deadline_ms <= deadline)
		return;
	l->deadline_ms = deadline;
	log_info("lease %u: %s kept until %llu ms from now, replacement %s", l->id,
		 ntop6(&l->addr, a1), (unsigned long long)(deadline - e->now),
		 ntop6(&b->anchor->coa, a2));
	lease_audience(l, &to);
	e->ops->emit(e->arg, "graceful-replacement",
		     json_pack("{s:i, s:s, s:s, s:I, s:I}", "id", (int)l->id, "addr",
			       ntop6(&l->addr, a1), "replacement", ntop6(&b->anchor->coa, a2),
			       "deadline", (json_int_t)deadline, "left_ms",
			       (json_int_t)(deadline - e->now)),
		     &to);
}

/* What l's BUs ask for: away from its link a Graceful-replacement claim
 * asks for the longest lifetime, so that the anchor's answer ends where
 * its grace period does (it grants no more than asked: a shorter
 * configured lifetime would end first, and its end is no deadline), which
 * access_claim_accepted takes for the deadline; else the configured one */
static void claim_ask(struct lease *l, int away)
{
	l->rb->lifetime_s = away && l->type == ODM_TYPE_GRACEFUL_REPLACEMENT ? MH_LIFETIME_MAX_S : 0;
}

int access_claim_refused(struct hostengine *e, struct lease *l, struct reg_binding *b,
			 const struct reg_event *ev)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	size_t n;
	void **w;

	/* the host turns a claim Session-lasting from its link only, where
	 * the anchor may change the type; if that BU was lost and the host
	 * moved before it went again, the move's BU asks for Session-lasting
	 * from off the link, which the anchor refuses (139): it still holds
	 * the claim as Graceful-replacement, and the claim carries on so */
	if (ev->status != MH_BA_REG_TYPE_CHANGE || l->type != ODM_TYPE_SESSION_LASTING ||
	    l->state != LEASE_REGISTERED)
		return 0;
	l->type = ODM_TYPE_GRACEFUL_REPLACEMENT;
	l->claim_retype = 0;
	snprintf(b->service, sizeof(b->service), "%s", odm_type_name(l->type));
	w = lease_take_waiters(l, &n);
	log_info("lease %u: anchor %s still holds the claim of %s as Graceful-replacement (the "
		 "change was not heard before the move): kept so, %zu waiting request(s) asked "
		 "for again", l->id, ntop6(&l->anchor, a1), ntop6(&l->addr, a2), n);
	claim_ask(l, l->host_cfg != 0);
	reg_refresh(&e->reg, b, e->now, ev->after_move);
	/* the Session-lasting sockets that waited for the change: a claim
	 * away from its link takes nobody new, so they are asked for where
	 * the host is now, as if they came now (the new link's claim) */
	for (size_t i = 0; i < n; i++) {
		struct at_request rq = { .req = w[i], .type = ODM_TYPE_SESSION_LASTING,
					 .proto = l->proto, .dst = l->dst };

		e->ops->cred(e->arg, w[i], &rq.uid, &rq.pid);
		he_lease_request(e, &rq, e->now);
	}
	free(w);
	return 1;
}

int access_claim_moved(struct hostengine *e, struct lease *l, const struct in6_addr *coa)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	int rc;

	if (l->state != LEASE_REGISTERED)
		return 0; /* a claim in flight: only its link's BA can grant it */
	if (IN6_ARE_ADDR_EQUAL(coa, &l->addr)) {
		/* back on its link: native again, the anchor drops the tunnel */
		if (l->host_cfg)
			lease_host_unconfigure(e, l);
		l->deadline_ms = 0;
		log_info("lease %u: back on the link of %s, %s is native again", l->id,
			 ntop6(&l->anchor, a1), ntop6(&l->addr, a2));
	} else if (!l->host_cfg) {
		access_claim_unlink(e, l); /* away again: on the tunnel device only */
		rc = lease_host_configure(e, l, coa);
		if (rc < 0) {
			lease_end(e, l, "refused", "cannot keep the address on the tunnel");
			return 0;
		}
		/* its UDP idleness is counted on the tunnel from now on
		 * (lease_judge): not from before, while it was native */
		l->registered_ms = e->now;
	} else {
		rc = e->ops->tun_bind(e->arg, &l->addr, coa, &l->anchor);
		if (rc < 0)
			log_warn(rc, "re-binding lease %u to %s", l->id, ntop6(coa, a1));
	}
	claim_ask(l, !IN6_ARE_ADDR_EQUAL(coa, &l->addr));
	reg_refresh(&e->reg, l->rb, e->now, 1);
	return 1;
}

/* whether addr is one of the host's addresses (as last looked at) */
static int on_host(const struct hostengine *e, const struct in6_addr *addr)
{
	for (size_t i = 0; i < e->n_host_addrs; i++)
		if (IN6_ARE_ADDR_EQUAL(&e->host_addrs[i], addr))
			return 1;
	return 0;
}

int access_claim_relink(struct hostengine *e, const struct reg_anchor *an,
			struct in6_addr *pick, int was_away)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	struct lease *l;
	int ifindex;

	if (!e->ops->link_addr_add)
		return 0;
	for (l = e->leases.head; l; l = l->next) {
		if (!l->claimed || l->state != LEASE_REGISTERED || !l->rb || l->rb->anchor != an ||
		    !same_link_prefix(pick, &l->addr) || IN6_ARE_ADDR_EQUAL(pick, &l->addr) ||
		    on_host(e, &l->addr))
			continue;
		/* back from elsewhere (on the tunnel device), or off the link
		 * and back; not a native claim whose address the kernel let go
		 * while the host stayed (its valid lifetime over: it ends) */
		if (!l->host_cfg && !l->relink_if && !was_away)
			continue;
		ifindex = e->ops->link_addr_add(e->arg, &l->addr, pick);
		if (ifindex <= 0) {
			log_warn(ifindex ? ifindex : -ENODEV,
				 "lease %u: putting %s back on the link of %s", l->id,
				 ntop6(&l->addr, a1), ntop6(pick, a2));
			return 0;
		}
		if (l->relink_if != ifindex)
			log_info("lease %u: back on the link of %s, which %s is gone from: put back "
				 "on it (deprecated), native again", l->id, ntop6(&an->addr, a1),
				 ntop6(&l->addr, a2));
		l->relink_if = ifindex;
		*pick = l->addr;
		return 1;
	}
	return 0;
}

void access_claim_unlink(struct hostengine *e, struct lease *l)
{
	char a1[INET6_ADDRSTRLEN];
	int rc;

	if (!l->relink_if)
		return;
	rc = e->ops->link_addr_del(e->arg, &l->addr, l->relink_if);
	if (rc < 0)
		log_warn(rc, "lease %u: taking %s off its link", l->id, ntop6(&l->addr, a1));
	l->relink_if = 0;
}

int access_claim_first_coa(const struct hostengine *e, const struct reg_anchor *an,
			   struct in6_addr *pick)
{
	for (const struct lease *l = e->leases.head; l; l = l->next)
		if (l->claimed && !l->host_cfg && l->rb && l->rb->anchor == an &&
		    same_link_prefix(pick, &l->addr) && !IN6_ARE_ADDR_EQUAL(pick, &l->addr) &&
		    on_host(e, &l->addr)) {
			*pick = l->addr;
			return 1;
		}
	return 0;
}

int access_claim_pins(const struct hostengine *e, const struct reg_anchor *an,
		      const struct in6_addr *pick)
{
	const struct lease *l;

	if (!an->has_coa || IN6_ARE_ADDR_EQUAL(pick, &an->coa) ||
	    !same_link_prefix(pick, &an->coa))
		return 0;
	l = lease_by_addr(&e->leases, &an->coa);
	if (!l || !l->claimed || l->host_cfg || !l->rb || l->rb->anchor != an)
		return 0;
	return on_host(e, &l->addr);
}

/*
 * A lease of the last run that was a claim: at a configured access anchor,
 * or (access-anchor ra, its router not heard again yet) at an anchor of the
 * address's own /64, which is what a learned access anchor is (accessra.h);
 * a CHA's or home anchor's addresses come from a pool of its own.
 */
static int was_claim(const struct hostengine *e, const struct lease *l)
{
	return access_is_claim(e, &l->anchor, &l->addr) ||
	       (e->access_ra_on && l->type != ODM_TYPE_FIXED &&
		same_link_prefix(&l->anchor, &l->addr));
}

int access_adopt(struct hostengine *e, struct lease *l)
{
	char a1[INET6_ADDRSTRLEN];
	int ifindex;

	if (!was_claim(e, l))
		return 0;
	l->claimed = 1;
	snprintf(l->rb->service, sizeof(l->rb->service), "%s", odm_type_name(l->type));
	if (!on_host(e, &l->addr))
		return 0;
	log_info("lease %u: claimed access address %s taken over, native", l->id,
		 ntop6(&l->addr, a1));
	/* put back on its link by the last run (access_claim_relink), which
	 * was killed: this run takes it off when the host leaves the link or
	 * the claim ends, as that run would have */
	if (e->ops->link_addr_found && (ifindex = e->ops->link_addr_found(e->arg, &l->addr)) > 0) {
		l->relink_if = ifindex;
		log_info("lease %u: %s was put back on its link by the last run: taken off again "
			 "when the host leaves it or the claim ends", l->id, a1);
	}
	return 1;
}

uint64_t access_next_deadline(const struct hostengine *e)
{
	uint64_t d = 0;

	for (const struct lease *l = e->leases.head; l; l = l->next)
		if (l->claimed && l->deadline_ms && (!d || l->deadline_ms < d))
			d = l->deadline_ms;
	return d;
}

void access_deadlines(struct hostengine *e)
{
	struct lease *l, *next;

	if (accessra_expire(&e->access_ra, e->now))
		access_update(e); /* a router's offer ran out */
	for (l = e->leases.head; l; l = next) {
		next = l->next;
		if (l->claimed && l->deadline_ms && e->now >= l->deadline_ms)
			lease_end(e, l, "grace-over", "grace period over");
	}
}
