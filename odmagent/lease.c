/* SPDX-License-Identifier: MIT */
/* lease.c — the host role's leases: table, decisions, life cycle (see lease.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrtext.h"
#include "typetable.h"
#include "hostengine.h"
#include "lease.h"
#include "log.h"
#include "mh.h"
#include "odm.h"
#include "registration.h"
#include "accessclaim.h"
#include "events.h"

void lease_table_init(struct lease_table *t, uint16_t first_id)
{
	memset(t, 0, sizeof(*t));
	/* lease_new() pre-increments, so the first id handed out is first_id */
	t->last_id = (uint16_t)(first_id - 1);
}

static void lease_destroy(struct lease *l)
{
	free(l->uids);
	free(l->waiters);
	free(l);
}

void lease_table_clear(struct lease_table *t)
{
	struct lease *l, *next;

	for (l = t->head; l; l = next) {
		next = l->next;
		lease_destroy(l);
	}
	t->head = NULL;
	t->n = 0;
}

struct lease *lease_by_id(const struct lease_table *t, uint16_t id)
{
	for (struct lease *l = t->head; l; l = l->next)
		if (l->id == id)
			return l;
	return NULL;
}

struct lease *lease_by_addr(const struct lease_table *t, const struct in6_addr *addr)
{
	if (IN6_IS_ADDR_UNSPECIFIED(addr))
		return NULL;
	for (struct lease *l = t->head; l; l = l->next)
		if (IN6_ARE_ADDR_EQUAL(&l->addr, addr))
			return l;
	return NULL;
}

struct lease *lease_new(struct lease_table *t, int type, int proto,
			const struct in6_addr *anchor, const struct in6_addr *dst,
			uint64_t now_ms)
{
	struct lease *l;
	uint16_t id = t->last_id;
	unsigned tries;

	/* ids rise monotonically so a BID that just ended (its deregistration
	 * may still be in flight) is not handed out again for a long time */
	for (tries = 0; tries < 65536; tries++) {
		id++;
		if (id != 0 && !lease_by_id(t, id))
			break;
	}
	if (tries == 65536)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	t->last_id = id;
	l->id = id;
	l->type = type;
	l->proto = proto;
	l->state = LEASE_REGISTERING;
	l->anchor = *anchor;
	if (dst)
		l->dst = *dst;
	l->created_ms = now_ms;
	l->handed_ms = now_ms;
	l->next = t->head;
	t->head = l;
	t->n++;
	return l;
}

void lease_free(struct lease_table *t, struct lease *l)
{
	for (struct lease **pp = &t->head; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			t->n--;
			break;
		}
	}
	lease_destroy(l);
}

/* The first lease pred accepts, a registered one before one registering. */
static struct lease *find_first(const struct lease_table *t,
				int (*pred)(const struct lease *l, const void *ctx),
				const void *ctx, int include_registering)
{
	struct lease *pending = NULL;

	for (struct lease *l = t->head; l; l = l->next) {
		if (!pred(l, ctx))
			continue;
		if (l->state == LEASE_REGISTERED)
			return l;
		if (l->state == LEASE_REGISTERING && !pending)
			pending = l;
	}
	return include_registering ? pending : NULL;
}

struct reuse_key {
	int type, proto;
	const struct in6_addr *anchor;
	uid_t uid;
};

static int same_key(const struct lease *l, const void *ctx)
{
	const struct reuse_key *k = ctx;

	return l->type == k->type && l->proto == k->proto && l->uid == k->uid &&
	       IN6_ARE_ADDR_EQUAL(&l->anchor, k->anchor);
}

struct lease *lease_find_reusable(const struct lease_table *t, int type, int proto,
				  const struct in6_addr *anchor, uid_t uid,
				  int include_registering)
{
	struct reuse_key k = { type, proto, anchor, uid };

	return find_first(t, same_key, &k, include_registering);
}

struct share_key {
	const struct addrtype *at;
	const struct at_request *rq;
	const struct in6_addr *anchor;
};

static int shares(const struct lease *l, const void *ctx)
{
	const struct share_key *k = ctx;

	return k->at->may_share(l, k->rq, k->anchor);
}

struct lease *lease_find_shared(const struct lease_table *t, const struct addrtype *at,
				const struct at_request *rq, const struct in6_addr *anchor,
				int include_registering)
{
	struct share_key k = { at, rq, anchor };

	if (!at->may_share)
		return NULL;
	return find_first(t, shares, &k, include_registering);
}

int lease_any_configured(const struct lease_table *t)
{
	for (const struct lease *l = t->head; l; l = l->next)
		if (l->host_cfg)
			return 1;
	return 0;
}

int lease_any_waited_for(const struct lease_table *t)
{
	for (const struct lease *l = t->head; l; l = l->next)
		if (l->n_waiters)
			return 1;
	return 0;
}

size_t lease_count_uid(const struct lease_table *t, uid_t uid)
{
	size_t n = 0;

	for (struct lease *l = t->head; l; l = l->next)
		if (lease_held_by(l, uid))
			n++;
	return n;
}

int lease_held_by(const struct lease *l, uid_t uid)
{
	if (l->uid == uid)
		return 1;
	for (size_t i = 0; i < l->n_uids; i++)
		if (l->uids[i] == uid)
			return 1;
	return 0;
}

/* Room in *v (*cap elements of size) for element n: doubles, from first. */
static int room_for(void **v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c = *cap ? *cap * 2 : first;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

static int holders_append(struct lease *l, uid_t uid)
{
	if (room_for((void **)&l->uids, &l->cap_uids, l->n_uids, sizeof(uid_t), 2) < 0)
		return -ENOMEM;
	l->uids[l->n_uids++] = uid;
	return 0;
}

int lease_add_holder(struct lease *l, uid_t uid)
{
	if (uid == LEASE_UID_AGENT || l->uid == LEASE_UID_AGENT)
		return 0;
	for (size_t i = 0; i < l->n_uids; i++)
		if (l->uids[i] == uid)
			return 0;
	/* a lease taken over from the last run knows its owner alone */
	if (!l->n_uids && uid != l->uid && holders_append(l, l->uid) < 0)
		return -ENOMEM;
	return holders_append(l, uid);
}

void lease_audience(const struct lease *l, struct events_audience *to)
{
	memset(to, 0, sizeof(*to));
	if (l->uid == LEASE_UID_AGENT) {
		to->everyone = 1;
	} else if (l->n_uids) {
		to->uids = l->uids;
		to->n = l->n_uids;
	} else {
		/* taken over from the last run: the owner alone is known */
		to->uids = &l->uid;
		to->n = 1;
	}
}

int lease_add_waiter(struct lease *l, void *req)
{
	if (room_for((void **)&l->waiters, &l->cap_waiters, l->n_waiters, sizeof(void *), 4) < 0)
		return -ENOMEM;
	l->waiters[l->n_waiters++] = req;
	return 0;
}

void **lease_take_waiters(struct lease *l, size_t *n)
{
	void **w = l->waiters;

	*n = l->n_waiters;
	l->waiters = NULL;
	l->n_waiters = l->cap_waiters = 0;
	return w;
}

uint64_t lease_last_use_ms(const struct lease *l, uint64_t traffic_ms)
{
	uint64_t last = traffic_ms;

	if (l->registered_ms > last)
		last = l->registered_ms;
	if (l->handed_ms > last)
		last = l->handed_ms;
	return last;
}

enum lease_verdict lease_judge(const struct lease *l, const struct sockdiag_count *c,
			       uint64_t last_traffic_ms, uint64_t now_ms,
			       const struct lease_policy *p)
{
	if (l->state != LEASE_REGISTERED)
		return LEASE_KEEP;
	if (now_ms < l->handed_ms + p->grace_ms || now_ms < l->grace_end_ms)
		return LEASE_KEEP;
	if (c->tcp + c->udp == 0)
		return LEASE_END_UNUSED;
	/* A UDP socket never says it is done; silence on the tunnel does. A
	 * TCP socket on the address (not expected, leases are per protocol)
	 * would still hold it. Not for a claim of the access address on its
	 * own link (accessclaim.h): native there, its datagrams never pass
	 * the tunnel, so its silence says nothing; it is held while a socket
	 * is on it, and judged so again once a move puts it on the tunnel. */
	if (l->claimed && !(l->host_cfg & LEASE_CFG_ADDR))
		return LEASE_KEEP;
	if (l->proto == IPPROTO_UDP && p->udp_inactivity_s && c->tcp == 0 &&
	    now_ms >= lease_last_use_ms(l, last_traffic_ms) + (uint64_t)p->udp_inactivity_s * 1000)
		return LEASE_END_IDLE;
	return LEASE_KEEP;
}

const char *lease_state_name(enum lease_state s)
{
	switch (s) {
	case LEASE_REGISTERING:
		return "registering";
	case LEASE_REGISTERED:
		return "registered";
	}
	return "unknown";
}

const char *lease_verdict_name(enum lease_verdict v)
{
	switch (v) {
	case LEASE_KEEP:
		return "in use";
	case LEASE_END_UNUSED:
		return "no sockets";
	case LEASE_END_IDLE:
		return "UDP idle";
	}
	return "unknown";
}

/*
 * ---- the life cycle ----
 *
 * REGISTERING (allocation BU out, requests wait) -> the BA brings the
 * address: configured on the host, handed out once the kernel routes it as
 * local (asked every ADDR_USABLE_POLL_MS, at most ADDR_USABLE_BOUND_MS) ->
 * REGISTERED: shared by later requests of the same owner (confirmed first
 * by a refresh when its last BA is older than HE_CONFIRM_MS), re-bound and
 * re-registered on a move -> ended when its type's judge says so (last
 * socket gone, UDP idle), when its anchor refuses or forgets it, or when
 * the agent stops: a deregistration BU (retransmitted by registration.c),
 * local state removed at once.
 */

static json_t *grant_json(const struct lease *l)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];

	return json_pack("{s:s, s:i, s:s}", "addr", ntop6(&l->addr, a1), "lease", (int)l->id,
			 "anchor", ntop6(&l->anchor, a2));
}

/* Answer every waiter of l with its address, or with code/msg if code. */
static void answer_waiters(struct hostengine *e, struct lease *l, const char *code,
			   const char *msg)
{
	size_t n;
	void **w = lease_take_waiters(l, &n);
	int reused = l->handed > 0;

	for (size_t i = 0; i < n; i++) {
		if (code) {
			he_emit_refused(e, l->type, w[i], msg, code);
			e->ops->reply_error(e->arg, w[i], code, msg);
		} else {
			he_emit_granted(e, l, w[i], reused);
			e->ops->reply(e->arg, w[i], grant_json(l));
		}
	}
	if (!code && n)
		l->handed++;
	free(w);
}

/* Remove what configure() did, in reverse; describe it in buf. */
static void unconfigure(struct hostengine *e, struct lease *l, char *buf, size_t cap)
{
	const struct he_ops *o = e->ops;
	size_t off = 0;
	int rc;

	buf[0] = '\0';
#define STEP(...)                                                                   \
	do {                                                                        \
		if (off < cap)                                                      \
			off += (size_t)snprintf(buf + off, cap - off, __VA_ARGS__); \
	} while (0)
	if (l->host_cfg & LEASE_CFG_ROUTE) {
		rc = o->route_del(e->arg, &l->addr);
		STEP(", route %s", rc < 0 ? "NOT removed" : "removed");
		if (rc < 0)
			log_warn(rc, "removing the route of lease %u", l->id);
	}
	if (l->host_cfg & LEASE_CFG_BIND) {
		rc = o->tun_unbind(e->arg, &l->addr);
		STEP(", tunnel %s", rc < 0 && rc != -ENOENT ? "NOT unbound" : "unbound");
	}
	if (l->host_cfg & LEASE_CFG_ADDR) {
		rc = o->addr_del(e->arg, &l->addr);
		STEP(", address %s", rc < 0 ? "NOT removed" : "removed");
		if (rc < 0)
			log_warn(rc, "removing the address of lease %u", l->id);
	}
	l->host_cfg = 0;
	if (e->rule_on && !lease_any_configured(&e->leases)) {
		rc = o->rule_del(e->arg);
		STEP(", rule %s", rc < 0 ? "NOT removed" : "removed");
		if (rc < 0)
			log_warn(rc, "removing the rule to the leases' table");
		e->rule_on = 0;
	}
#undef STEP
}

static int configure(struct hostengine *e, struct lease *l, const struct in6_addr *coa)
{
	const struct he_ops *o = e->ops;
	char tmp[128];
	int rc;

	rc = o->addr_add(e->arg, &l->addr);
	if (rc < 0) {
		log_warn(rc, "adding the address of lease %u", l->id);
		goto fail;
	}
	l->host_cfg |= LEASE_CFG_ADDR;
	rc = o->tun_bind(e->arg, &l->addr, coa, &l->anchor);
	if (rc < 0) {
		log_warn(rc, "binding lease %u in the tunnel", l->id);
		goto fail;
	}
	l->host_cfg |= LEASE_CFG_BIND;
	rc = o->route_add(e->arg, &l->addr);
	if (rc < 0) {
		log_warn(rc, "route of lease %u", l->id);
		goto fail;
	}
	l->host_cfg |= LEASE_CFG_ROUTE;
	if (!e->rule_on) {
		rc = o->rule_add(e->arg);
		if (rc < 0) {
			log_warn(rc, "the rule to the leases' table");
			goto fail;
		}
		e->rule_on = 1;
	}
	return 0;
fail:
	unconfigure(e, l, tmp, sizeof(tmp));
	return rc;
}

/* Drop a lease that never got (or lost) its binding: no BU is sent. */
static void drop(struct hostengine *e, struct lease *l)
{
	char steps[160];

	addr_waits_del(&e->usable, l);
	unconfigure(e, l, steps, sizeof(steps));
	if (l->rb)
		reg_binding_del(&e->reg, l->rb);
	l->rb = NULL;
	lease_free(&e->leases, l);
}

/*
 * End a lease: the deregistration BU goes first (retransmitted on its own
 * by registration.c until its BA or HE_DEREG_TRIES), local state goes at
 * once without waiting for the anchor. reason: the lease-ended event's.
 */
static void end(struct hostengine *e, struct lease *l, const char *reason, const char *why,
		int dereg_bu)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	char steps[160];
	char dereg[48] = "no deregistration (not registered)";
	uint16_t id = l->id;

	if (l->n_waiters)
		answer_waiters(e, l, "REQUIREDIPFAILED", "the lease ended before it was ready");
	/* one waiting for its address to turn usable is registered too, and
	 * one whose first BU has left may be: the anchor may have bound it
	 * and its BA be lost or on the way (a deregistration of an allocation
	 * names no address, its BID says which) */
	if (dereg_bu && l->rb &&
	    (l->state == LEASE_REGISTERED || addr_waits_find(&e->usable, l) ||
	     (l->rb->kind != REG_NONE && l->rb->n_sent))) {
		struct reg_binding *b = l->rb;
		int rc = reg_dereg(&e->reg, b, e->now);

		snprintf(dereg, sizeof(dereg), "dereg BU seq %u %s", b->last_seq,
			 rc < 0 ? "NOT sent" : "sent");
		l->rb = NULL; /* the binding lives on until its BA */
	}
	if (l->state == LEASE_REGISTERED) {
		struct reg_anchor *an = reg_anchor_find(&e->reg, &l->anchor);

		/* a place there comes free (HE_FULL_HOLD_MS) */
		if (an)
			an->full_ms = 0;
	}
	unconfigure(e, l, steps, sizeof(steps));
	access_claim_unlink(e, l);
	log_info("lease %u %s at %s ended (%s): %s%s", id, ntop6(&l->addr, a1),
		 ntop6(&l->anchor, a2), why, dereg, steps);
	if (!IN6_IS_ADDR_UNSPECIFIED(&l->addr))
		he_emit_ended(e, l, reason);
	drop(e, l);
}

/* The wait for l's address is over: hand it out, or end the lease. */
static void usable_done(struct hostengine *e, struct lease *l, enum addr_verdict v,
			uint64_t waited_ms)
{
	char a1[INET6_ADDRSTRLEN], msg[128];

	/* registered at the anchor all along: a failure deregisters */
	l->state = LEASE_REGISTERED;
	if (v == ADDR_READY) {
		l->handed_ms = e->now;
		log_debug("lease %u: %s usable after %llu ms, answering %zu waiting", l->id,
			  ntop6(&l->addr, a1), (unsigned long long)waited_ms, l->n_waiters);
		answer_waiters(e, l, NULL, NULL);
		return;
	}
	snprintf(msg, sizeof(msg), "the kernel did not make %s usable within %u ms",
		 ntop6(&l->addr, a1), (unsigned)ADDR_USABLE_BOUND_MS);
	log_warnx("lease %u: %s", l->id, msg);
	answer_waiters(e, l, "REQUIREDIPFAILED", msg);
	end(e, l, "refused", "address not usable", 1);
}

void lease_usable_poll(struct hostengine *e)
{
	size_t i = 0;

	while (i < e->usable.n) {
		struct addr_wait w = e->usable.v[i];
		enum addr_verdict v =
			addr_wait_judge(&w, e->ops->addr_usable(e->arg, &w.addr), e->now);

		if (v == ADDR_WAIT) {
			i++;
			continue;
		}
		/* deleting keeps the order: entry i is the next one now, and
		 * usable_done ends at most this lease */
		addr_waits_del(&e->usable, w.key);
		usable_done(e, (struct lease *)w.key, v, e->now - w.since_ms);
	}
}

/*
 * l's address was just configured: its waiters get it once the kernel lets
 * sockets bind it, at once if it does already, else from lease_usable_poll.
 * A new lease stays LEASE_REGISTERING until then, so a request that may
 * share any lease takes one that is ready and joins this one's waiters
 * only if there is none; an adopted lease (already registered) is held
 * back in lease_request_anchored.
 */
static void hand_out_when_usable(struct hostengine *e, struct lease *l)
{
	if (e->ops->addr_usable(e->arg, &l->addr) > 0) {
		usable_done(e, l, ADDR_READY, 0);
		return;
	}
	if (addr_waits_add(&e->usable, l, &l->addr, e->now) < 0) {
		answer_waiters(e, l, "REQUIREDIPFAILED", "out of memory");
		end(e, l, "refused", "out of memory", 1);
	}
}

static void alloc_accepted(struct hostengine *e, struct lease *l, struct reg_binding *b,
			   const struct reg_event *ev)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], a3[INET6_ADDRSTRLEN];
	struct lease *other = lease_by_addr(&e->leases, &b->hnp);
	int rc;

	b->anchor->full_ms = 0; /* it had room (HE_FULL_HOLD_MS) */
	if (other && other != l) {
		log_warnx("anchor %s gave lease %u the address %s of lease %u",
			  ntop6(&l->anchor, a1), l->id, ntop6(&b->hnp, a2), other->id);
		answer_waiters(e, l, "REQUIREDIPFAILED", "the anchor allocated an address in use");
		drop(e, l);
		return;
	}
	l->addr = b->hnp;
	rc = configure(e, l, &b->anchor->coa);
	if (rc < 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "configuring %s on the host: %s", ntop6(&l->addr, a1),
			 strerror(-rc));
		answer_waiters(e, l, "REQUIREDIPFAILED", msg);
		/* the anchor holds a binding for it: tell it to let go */
		reg_dereg(&e->reg, b, e->now);
		l->rb = NULL;
		l->addr = in6addr_any; /* never granted: no lease-ended */
		drop(e, l);
		return;
	}
	/* the address too: a kill before the next save leaves the next run
	 * the sockets on it to end (the routes that said so die with a
	 * userspace backend's device) */
	if (e->ops->journal && l->type != ODM_TYPE_FIXED && !l->claimed)
		e->ops->journal(e->arg, &l->anchor, l->id, odm_type_name(l->type), &l->addr);
	l->registered_ms = l->handed_ms = e->now;
	log_info("lease %u: %s from anchor %s via CoA %s, lifetime %us, BA after %lld ms, "
		 "%zu waiting",
		 l->id, ntop6(&l->addr, a1), ntop6(&l->anchor, a2), ntop6(&b->anchor->coa, a3),
		 ev->lifetime_s, (long long)ev->rtt_ms, l->n_waiters);
	hand_out_when_usable(e, l);
}

/* The request l's waiters made, as far as the lease keeps it: its type,
 * protocol, destination and whether it asked for a fresh address (a
 * waiter that shared the lease is asked again as fresh: it then gets an
 * address of its own, never one it may not share); l's anchor stands as
 * the peer's CHA, so that passing it over (next_provider) passes over
 * whatever role it had. */
static struct at_request waiter_request(const struct lease *l)
{
	struct at_request rq = { .type = l->type, .proto = l->proto, .dst = l->dst,
				 .has_cha = 1, .cha = l->anchor, .fresh = l->fresh };

	return rq;
}

/*
 * l's address leaves the host for another reason than its UDP sockets'
 * idleness (the anchor lost the binding, a Graceful-replacement address's
 * grace period is over, the agent stops): a UDP socket still open on it
 * would go on sending from an address the host no longer has, unanswered
 * (the kernel sends from a bound address that is gone).
 * Each is told, as an idle lease's are (ECONNABORTED; the shim leases it
 * anew at its next send). So is, with tcp, a TCP connection on it, which
 * would retransmit into the void until its own timeout, minutes later.
 * Only an address the lease put on the host: a claim's on its own link is
 * the host's own access address, which stays (a claim away from its link
 * is on the tunnel device, and goes). Not the Fixed address either: the
 * host gets the same one again (the next run, the next allocation), and a
 * server or connection on it carries on then.
 */
static void tell_sockets(struct hostengine *e, struct lease *l, const char *why, int tcp)
{
	char a1[INET6_ADDRSTRLEN];
	int n;

	if (l->type == ODM_TYPE_FIXED || !(l->host_cfg & LEASE_CFG_ADDR))
		return;
	n = e->ops->destroy_udp ? e->ops->destroy_udp(e->arg, &l->addr) : 0;
	if (n > 0)
		log_info("lease %u %s: %d UDP socket(s) still open on it: ended (%s), each "
			 "with ECONNABORTED", l->id, ntop6(&l->addr, a1), n, why);
	n = tcp && e->ops->destroy_tcp ? e->ops->destroy_tcp(e->arg, &l->addr) : 0;
	if (n > 0)
		log_info("lease %u %s: %d TCP connection(s) on it: ended (%s), each with "
			 "ECONNABORTED", l->id, ntop6(&l->addr, a1), n, why);
}

/*
 * The anchor no longer holds l's binding (it refused a refresh, e.g. 133
 * after it restarted without its state, or the binding ran out): say so,
 * end the lease, and give the requests waiting to share it a fresh
 * allocation at the same anchor instead of the dead address.
 */
static void lost(struct hostengine *e, struct lease *l, const char *reason, const char *why,
		 int dereg_bu)
{
	struct at_request rq = waiter_request(l);
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	size_t n;
	void **w = lease_take_waiters(l, &n);

	e->lost++;
	log_warnx("anchor %s no longer holds lease %u %s (%s): ending it, %zu waiting "
		  "request(s) get a fresh address",
		  ntop6(&rq.cha, a1), l->id, ntop6(&l->addr, a2), why, n);
	tell_sockets(e, l, why, 1);
	end(e, l, reason, why, dereg_bu);
	for (size_t i = 0; i < n; i++) {
		rq.req = w[i];
		e->ops->cred(e->arg, w[i], &rq.uid, &rq.pid);
		lease_request_anchored(e, &rq, &rq.cha);
	}
	free(w);
}

static int fall_through(struct hostengine *e, const struct at_request *rq,
			const struct in6_addr *anchor, const char *why);

/*
 * l's waiters waited for an anchor that did not serve them (why: how):
 * each goes to the next anchor of its type if there is one (as one would
 * that came now), else is answered code (ETIMEDOUT, REQUIREDIPFAILED) with
 * msg. With end_l, l is dropped first (a lease that never was).
 */
static void pass_waiters(struct hostengine *e, struct lease *l, int end_l, const char *why,
			 const char *code, const char *msg)
{
	struct at_request rq = waiter_request(l);
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], line[320];
	unsigned id = l->id;
	size_t n;
	void **w = lease_take_waiters(l, &n);

	if (end_l)
		drop(e, l);
	for (size_t i = 0; i < n; i++) {
		rq.req = w[i];
		e->ops->cred(e->arg, w[i], &rq.uid, &rq.pid);
		if (fall_through(e, &rq, &rq.cha, why))
			continue;
		/* the request's own end, as for one that came while the anchor
		 * is on hold (anchor_on_hold); held to a rate of its own, so
		 * that it does not hide those lines (HE_WAITERS_LOG_RATE) */
		snprintf(line, sizeof(line), "lease %u: %s %s request of uid %u pid %d for %s "
			 "answered %s: anchor %s %s", id, odm_type_name(rq.type),
			 rq.proto == IPPROTO_UDP ? "udp" : "tcp", (unsigned)rq.uid, (int)rq.pid,
			 ntop6(&rq.dst, a1), code, ntop6(&rq.cha, a2), why);
		reqlog_say(&e->waiters_log, e->now, ODM_LOG_INFO, "%s", line);
		he_emit_refused(e, rq.type, w[i], msg, code);
		e->ops->reply_error(e->arg, w[i], code, msg);
	}
	free(w);
}

/*
 * l's first registration went unanswered: its anchor is put on hold,
 * HE_SILENT_HOLD_MS and doubled each time an exchange that began after the
 * last hold ended goes unanswered too (he_hold_ms); l ends, and its
 * waiters go on (pass_waiters). A registration none of whose BUs left
 * (no CoA) puts nothing on hold.
 */
static void silent(struct hostengine *e, struct lease *l, struct reg_binding *b)
{
	struct reg_anchor *an = b->anchor;
	char a1[INET6_ADDRSTRLEN], msg[224];
	int auth146;

	/* none of its BUs left: the host had no care-of address toward the
	 * anchor all along (no address of the anchor's scope, no route), or
	 * each send failed on the host (its care-of address gone under it:
	 * the link down for a moment, as each retransmission came), and the
	 * anchor, never asked, is not the one to hold; nor is there anything
	 * at the anchor to deregister */
	if (l->type == ODM_TYPE_FIXED)
		e->fixed_no_coa = !b->n_left; /* asked again on a move (fixed_moved) */
	if (!b->n_left) {
		snprintf(msg, sizeof(msg), "no care-of address toward anchor %s within %u ms: "
			 "%s", ntop6(&l->anchor, a1), (unsigned)HE_ALLOC_TIMEOUT_MS,
			 b->n_sent ? "no BU to it could be sent from this host" :
				     "no address of this host reaches it");
		log_warnx("lease %u: %s; the anchor was not asked", l->id, msg);
		pass_waiters(e, l, 1, "had no care-of address toward it", "ETIMEDOUT", msg);
		return;
	}
	if (!an->silent_ms)
		an->silent_n = 1;
	else if (b->first_tx_ms >= an->silent_ms + he_hold_ms(an) &&
		 he_hold_ms(an) < HE_SILENT_HOLD_MAX_MS)
		an->silent_n++;
	an->silent_ms = e->now;
	e->holds_begun++;
	/* a 146 came from its address, which cannot be authentic
	 * (registration.c say_auth_fail): say so, not that it was silent, nor
	 * that the anchor sent it (anyone can) */
	auth146 = an->auth_fail_ms && an->auth_fail_ms >= b->first_tx_ms;
	an->silent_146 = auth146;
	if (auth146)
		snprintf(msg, sizeof(msg), "no authentic answer from anchor %s within %u ms "
			 "(only an unauthenticated status 146 from its address: a key that "
			 "differs at the two ends, or forged)",
			 ntop6(&l->anchor, a1), (unsigned)HE_ALLOC_TIMEOUT_MS);
	else
		snprintf(msg, sizeof(msg), "no answer from anchor %s within %u ms",
			 ntop6(&l->anchor, a1), (unsigned)HE_ALLOC_TIMEOUT_MS);
	log_warnx("lease %u: %s; not asked for a new address for %llu s (requests go to the "
		  "next anchor of their type, if any, or are answered at once)",
		  l->id, msg, (unsigned long long)he_hold_ms(an) / 1000);
	/*
	 * The anchor may have bound it all the same, only its BAs lost or
	 * late: one deregistration by the BID (as at a stop: end()) lets it
	 * free the address and the binding's place in max-bindings now, not
	 * at the end of the lifetime; the journal keeps the BID until it is
	 * answered. Not the Fixed address (asked for again, and its anchor
	 * keys it by the identity), nor a claim, whose BUs name the address
	 * itself rather than a BID.
	 */
	if (!l->claimed && l->type != ODM_TYPE_FIXED) {
		reg_dereg(&e->reg, b, e->now);
		l->rb = NULL; /* the binding lives on until its BA */
	}
	pass_waiters(e, l, 1, auth146 ? "had no authentic answer to the allocation, only an "
					"unauthenticated status 146 from its address" :
					"did not answer the allocation", "ETIMEDOUT", msg);
}

/*
 * A Graceful-replacement claim away from its link whose grace period is
 * over, or within the 4 s the anchor's lifetimes are counted in (the
 * anchor's own end of it comes up to that much before the deadline told:
 * odm_events(3)): its binding expiring, or a refresh the anchor refuses,
 * is that end, not a binding lost.
 */
static int grace_ending(const struct hostengine *e, const struct lease *l)
{
	return l->claimed && l->deadline_ms && e->now + 4000 >= l->deadline_ms;
}

static void grace_over(struct hostengine *e, struct lease *l, int dereg_bu)
{
	tell_sockets(e, l, "grace period over", 1);
	end(e, l, "grace-over", "grace period over", dereg_bu);
}

/*
 * The host is back on the link of claim l, whose anchor has just taken the
 * move's BU (b's BA): until then that anchor tunnelled what came for the
 * address toward the link the host had left, and the BAs of the other
 * anchors, to whom the same move's BUs went from that address, could be
 * among it (an anchor one round trip away answers before the access
 * router has handled its own BU). The ones still unanswered are asked for
 * again now rather than at their retransmission 1 s later (RFC 6275
 * §11.8), once per move: the claim's exchange is over with this BA.
 */
static void claim_home_resend(struct hostengine *e, const struct lease *l,
			      const struct reg_binding *b)
{
	char a1[INET6_ADDRSTRLEN];
	unsigned n = reg_resend_moved(&e->reg, b->anchor, &l->addr, e->now);

	if (n)
		log_debug("lease %u native again: %u BU(s) of the move to other anchors sent "
			  "again from %s (their BAs may have gone into the claim's tunnel)",
			  l->id, n, ntop6(&l->addr, a1));
}

void lease_reg_done(void *arg, struct reg_binding *b, const struct reg_event *ev)
{
	struct hostengine *e = arg;
	struct lease *l = b->user;
	char a1[INET6_ADDRSTRLEN], msg[160];

	he_emit_ba(e);
	/* an answer ended the anchor's hold already (registration.c finish) */
	switch (ev->kind) {
	case REG_EV_ACCEPTED:
		/* at info level only when the anchor was silent long enough
		 * to fail requests or connections: a prompt answer says a
		 * forged error, or a brief loss, and a line for each lease at
		 * each error (once a second under a flood of forged ones,
		 * lease_anchor_error) would flood the log by the lease count */
		if (l->probe_open)
			odm_log_at(l->probe_failed || e->now >= l->probed_ms + HE_ALLOC_TIMEOUT_MS
					   ? ODM_LOG_INFO : ODM_LOG_DEBUG, 0,
				"lease %u: anchor %s confirmed the binding %llu ms after the "
				"ICMPv6 error%s", l->id, ntop6(&l->anchor, a1),
				(unsigned long long)(e->now - l->probed_ms),
				l->probe_failed ? "; connections failed meanwhile" : "");
		l->probe_open = 0;
		l->probe_failed = 0;
		if (l->claimed)
			access_claim_accepted(e, l, b, ev);
		if (ev->what == REG_ALLOC) {
			alloc_accepted(e, l, b, ev);
		} else if (ev->after_move) {
			l->moved_ba_ms = e->now;
			/* the same care-of address back (a link that flaps):
			 * its anchor's line said it, once a second at most
			 * (HE_BACK_GAP_MS), not one per lease per flap */
			odm_log_at(b->anchor->back_rereg ? ODM_LOG_DEBUG : ODM_LOG_INFO, 0,
				   "lease %u re-registered at %s after the %s: BA round trip "
				   "%lld ms, %llu ms since the %s, lifetime %us", l->id,
				   ntop6(&l->anchor, a1), b->anchor->back_rereg ? "return" : "move",
				   (long long)ev->rtt_ms, (unsigned long long)(e->now - e->move_ms),
				   b->anchor->back_rereg ? "return" : "move", ev->lifetime_s);
			if (l->claimed && !l->host_cfg && b->anchor->has_coa &&
			    IN6_ARE_ADDR_EQUAL(&b->anchor->coa, &l->addr))
				claim_home_resend(e, l, b);
		} else {
			log_debug("lease %u refreshed, BA after %lld ms, lifetime %us", l->id,
				  (long long)ev->rtt_ms, ev->lifetime_s);
		}
		if (ev->what == REG_REFRESH && l->n_waiters && b->kind == REG_NONE &&
		    !addr_waits_find(&e->usable, l)) {
			/* requests that waited for the binding to be confirmed */
			l->handed_ms = e->now;
			answer_waiters(e, l, NULL, NULL);
		}
		break;
	case REG_EV_REJECTED:
		snprintf(msg, sizeof(msg), "anchor %s refused the %s: %s (status %u)%s%s",
			 ntop6(&l->anchor, a1), reg_kind_name(ev->what), mh_status_name(ev->status),
			 ev->status, ev->why ? ", " : "", ev->why ? ev->why : "");
		log_warnx("lease %u: %s", l->id, msg);
		if (ev->what == REG_ALLOC && ev->status == MH_BA_INSUFFICIENT_RESOURCES)
			b->anchor->full_ms = e->now ? e->now : 1; /* HE_FULL_HOLD_MS */
		if (l->state == LEASE_REGISTERING) {
			/* it serves others, not us (a CHA of its own users, a
			 * full pool): the type's next anchor, if any */
			char why[96];

			snprintf(why, sizeof(why), "refused the %s (%s)", reg_kind_name(ev->what),
				 mh_status_name(ev->status));
			pass_waiters(e, l, 1, why, "REQUIREDIPFAILED", msg);
		} else if (l->claimed && access_claim_refused(e, l, b, ev)) {
			break;
		} else if (grace_ending(e, l)) {
			grace_over(e, l, 1);
		} else {
			/* best effort, in case the anchor still holds something */
			lost(e, l, "refused", "refused by the anchor", 1);
		}
		break;
	case REG_EV_TIMEOUT:
		silent(e, l, b);
		break;
	case REG_EV_EXPIRED:
		if (grace_ending(e, l)) {
			grace_over(e, l, 0);
			break;
		}
		log_warnx("lease %u: binding at %s expired %s", l->id, ntop6(&l->anchor, a1),
			  ev->why ? ev->why : "without a BA");
		/* the anchor has forgotten it: no deregistration to send */
		lost(e, l, "anchor-lost", "binding expired", 0);
		break;
	}
}

int lease_moved(struct hostengine *e, struct lease *l, const struct in6_addr *coa)
{
	char a1[INET6_ADDRSTRLEN];
	int rc;

	if (l->claimed)
		return access_claim_moved(e, l, coa);
	if (l->state == LEASE_REGISTERED || addr_waits_find(&e->usable, l)) {
		rc = e->ops->tun_bind(e->arg, &l->addr, coa, &l->anchor);
		if (rc < 0)
			log_warn(rc, "re-binding lease %u to %s", l->id, ntop6(coa, a1));
		reg_refresh(&e->reg, l->rb, e->now, 1);
		return 1;
	}
	if (l->rb->kind == REG_ALLOC) {
		reg_alloc(&e->reg, l->rb, e->now, 1);
		return 1;
	}
	return 0;
}

/* Queue r on l; on failure r is answered at once. */
static void wait_on(struct hostengine *e, struct lease *l, const struct at_request *rq)
{
	if (lease_add_waiter(l, rq->req) < 0) {
		he_refuse(e, rq, "REQUIREDIPFAILED", "out of memory");
	}
}

#define UNCONFIRMED_MSG "the anchor does not confirm the binding"

/* "has not confirmed lease N's binding for N ms", for a lease whose
 * refresh is out, into buf */
static void unconfirmed_why(const struct hostengine *e, const struct lease *l, char *buf,
			    size_t cap)
{
	snprintf(buf, cap, "has not confirmed lease %u's binding for %llu ms", l->id,
		 (unsigned long long)(e->now - l->rb->first_tx_ms));
}

/* 1 when l's refresh has gone unanswered for HE_ALLOC_TIMEOUT_MS */
static int unconfirmed(const struct hostengine *e, const struct lease *l)
{
	return l->state == LEASE_REGISTERED && l->rb && l->rb->kind == REG_REFRESH &&
	       l->rb->n_sent && e->now >= l->rb->first_tx_ms + HE_ALLOC_TIMEOUT_MS;
}

/*
 * A new lease for rq at anchor, its allocation BU sent; rq->req (if any)
 * waits for the address. NULL on ENOMEM, nothing answered.
 */
static struct lease *alloc_at(struct hostengine *e, const struct at_request *rq,
			      const struct in6_addr *anchor)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], a3[INET6_ADDRSTRLEN];
	const struct addrtype *at = addrtype_get(rq->type);
	struct reg_anchor *an = reg_anchor_get(&e->reg, anchor, e->ops->random16(e->arg));
	struct lease *l;

	if (!an)
		return NULL;
	/* the CoA may be stale if no lease used this anchor lately */
	he_check_anchor(e, an);
	l = lease_new(&e->leases, rq->type, rq->proto, anchor, &rq->dst, e->now);
	if (l) {
		l->uid = rq->uid;
		l->pid = rq->pid;
		l->fresh = rq->fresh;
	}
	if (!l || lease_add_holder(l, l->uid) < 0 || (rq->req && lease_add_waiter(l, rq->req) < 0) ||
	    !(l->rb = reg_binding_add(&e->reg, an, l->id, l))) {
		if (l)
			lease_free(&e->leases, l);
		return NULL;
	}
	snprintf(l->rb->service, sizeof(l->rb->service), "%s", at && at->service ? at->service : "");
	/* the host's own (Fixed) address has no flow, user or process: not
	 * "tcp ::, uid 4294967295 pid 0" */
	if (rq->req)
		log_info("lease %u: asking anchor %s for a %s address from CoA %s (for %s %s, "
			 "uid %u pid %d)",
			 l->id, ntop6(anchor, a1), odm_type_name(rq->type),
			 an->has_coa ? ntop6(&an->coa, a2) : "none yet",
			 rq->proto == IPPROTO_UDP ? "udp" : "tcp", ntop6(&rq->dst, a3),
			 (unsigned)l->uid, (int)l->pid);
	else
		log_info("lease %u: asking anchor %s for the host's own %s address from CoA %s",
			 l->id, ntop6(anchor, a1), odm_type_name(rq->type),
			 an->has_coa ? ntop6(&an->coa, a2) : "none yet");
	/* the address claimed is the CoA toward the anchor (access_claim_start) */
	if (access_is_claim(e, anchor, an->has_coa ? &an->coa : NULL)) {
		access_claim_start(e, l); /* the host's own access address */
		return l;
	}
	/* before the BU leaves: a kill after it must not leave the binding
	 * unknown to the next run (the Fixed address it asks for again) */
	if (e->ops->journal && rq->type != ODM_TYPE_FIXED)
		e->ops->journal(e->arg, anchor, l->id, odm_type_name(rq->type), NULL);
	reg_alloc(&e->reg, l->rb, e->now, 0);
	return l;
}

/* 1 if anchor let its last first exchange go unanswered and is on hold
 * (he_hold_ms) */
static int anchor_held(struct hostengine *e, const struct in6_addr *anchor)
{
	const struct reg_anchor *an = reg_anchor_find(&e->reg, anchor);

	return an && he_hold_left(an, e->now);
}

/* Pass over every role anchor has for rq (its CHA, the access anchor, the
 * home anchor) in *rq and *known; 0 if it has none left to pass over. */
static int pass_over(struct at_request *rq, struct at_anchors *known, const struct in6_addr *anchor)
{
	int n = 0;

	if (rq->has_cha && IN6_ARE_ADDR_EQUAL(&rq->cha, anchor)) {
		rq->has_cha = 0;
		n++;
	}
	if (known->has_access && IN6_ARE_ADDR_EQUAL(&known->access, anchor)) {
		known->has_access = 0;
		rq->skip |= AT_SKIP_ACCESS;
		n++;
	}
	if (known->has_home && IN6_ARE_ADDR_EQUAL(&known->home, anchor)) {
		known->has_home = 0;
		rq->skip |= AT_SKIP_HOME;
		n++;
	}
	return n;
}

/*
 * anchor does not answer: the provider that rq's type takes after it, in
 * the type's order (the peer's CHA, the access anchor, the home anchor,
 * typetable.c), passing over those on hold too. 1 with the request to make
 * there in *next and the anchor in *alt; 0 if the type has no other
 * anchor (the request is then refused, never made plain: a plain address
 * would not survive the move the type promises to survive).
 */
static int next_provider(struct hostengine *e, const struct at_request *rq,
			 const struct in6_addr *anchor, struct at_request *next,
			 struct in6_addr *alt)
{
	const struct addrtype *at = addrtype_get(rq->type);
	struct at_anchors known = e->anchors;
	struct in6_addr cur = *anchor;
	const char *why;

	*next = *rq;
	if (next->skip & AT_SKIP_ACCESS)
		known.has_access = 0;
	if (next->skip & AT_SKIP_HOME)
		known.has_home = 0;
	/* each turn passes over at least one of the three roles */
	for (int i = 0; i < 3; i++) {
		if (!pass_over(next, &known, &cur) || !at || !at->source ||
		    at->source(next, &known, alt, &why) != AT_ANCHORED)
			return 0;
		if (!anchor_held(e, alt))
			return 1;
		cur = *alt;
	}
	return 0;
}

/*
 * A line about one request and a silent anchor: at info level at most once
 * a second, the others at debug level, counted in the next info line (a
 * silent CHA and hundreds of connections to its server would otherwise
 * write hundreds of lines a second).
 */
static void say_passed(struct hostengine *e, const char *line)
{
	reqlog_say(&e->passed_log, e->now, ODM_LOG_INFO, "%s", line);
}

/* rq to the next provider after silent anchor (why: how it is silent), if
 * its type has one; 0 if not, nothing done */
static int fall_through(struct hostengine *e, const struct at_request *rq,
			const struct in6_addr *anchor, const char *why)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], a3[INET6_ADDRSTRLEN], line[320];
	struct at_request next;
	struct in6_addr alt;

	if (!next_provider(e, rq, anchor, &next, &alt))
		return 0;
	snprintf(line, sizeof(line), "%s %s request of pid %d for %s: anchor %s %s; asking anchor "
		 "%s instead", odm_type_name(rq->type), rq->proto == IPPROTO_UDP ? "udp" : "tcp",
		 (int)rq->pid, ntop6(&rq->dst, a1), ntop6(anchor, a2), why, ntop6(&alt, a3));
	say_passed(e, line);
	e->fell_through++;
	lease_request_anchored(e, &next, &alt);
	return 1;
}

/*
 * A request an anchor on hold will not serve (why says since when and until
 * when): passed to the type's next anchor, else answered code at once, its
 * line through say_passed. Always 1 (rq is dealt with).
 */
static int answer_passed(struct hostengine *e, const struct at_request *rq,
		     const struct in6_addr *anchor, const char *why, const char *code)
{
	char a1[INET6_ADDRSTRLEN], msg[224], line[288];

	if (fall_through(e, rq, anchor, why))
		return 1;
	snprintf(msg, sizeof(msg), "anchor %s %s", ntop6(anchor, a1), why);
	snprintf(line, sizeof(line), "request of pid %d answered %s: %s", (int)rq->pid, code, msg);
	say_passed(e, line);
	he_refuse(e, rq, code, msg);
	return 1;
}

/* 1 if anchor is on hold and rq was sent to the next provider or answered
 * ETIMEDOUT for it */
static int anchor_on_hold(struct hostengine *e, const struct at_request *rq,
			  const struct in6_addr *anchor)
{
	char why[144];
	struct reg_anchor *an = reg_anchor_find(&e->reg, anchor);
	uint64_t left = an ? he_hold_left(an, e->now) : 0;

	if (!left)
		return 0;
	/* a hold that only a 146 explains is no silence (silent()) */
	snprintf(why, sizeof(why), "%s an allocation %llu ms ago%s; asked again in %llu ms",
		 an->silent_146 ? "had no authentic answer to" : "did not answer",
		 (unsigned long long)(e->now - an->silent_ms),
		 an->silent_146 ? " (only an unauthenticated status 146 from its address)" : "",
		 (unsigned long long)left);
	return answer_passed(e, rq, anchor, why, "ETIMEDOUT");
}

/*
 * 1 if anchor refused an allocation for want of resources lately
 * (HE_FULL_HOLD_MS) and rq was dealt with as that refusal's waiters were:
 * passed to the type's next anchor, else answered REQUIREDIPFAILED at
 * once, no BU sent.
 */
static int anchor_full(struct hostengine *e, const struct at_request *rq,
		       const struct in6_addr *anchor)
{
	char why[160];
	const struct reg_anchor *an = reg_anchor_find(&e->reg, anchor);
	uint64_t left = an ? he_full_left(an, e->now) : 0;

	if (!left)
		return 0;
	snprintf(why, sizeof(why), "refused an allocation for want of resources %llu ms ago "
		 "(status %u); asked again when a binding there ends, or in %llu ms",
		 (unsigned long long)(e->now - an->full_ms), MH_BA_INSUFFICIENT_RESOURCES,
		 (unsigned long long)left);
	return answer_passed(e, rq, anchor, why, "REQUIREDIPFAILED");
}

void lease_request_anchored(struct hostengine *e, const struct at_request *rq,
			    const struct in6_addr *anchor)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], why[96], line[224];
	const struct addrtype *at = addrtype_get(rq->type);
	struct lease *l = lease_find_shared(&e->leases, at, rq, anchor, 1);
	uint64_t now = e->now;

	if (l && l->claimed && access_claim_join(e, l, rq))
		return;

	if (l && addr_waits_find(&e->usable, l)) {
		/* registered, but the kernel does not route its address yet */
		wait_on(e, l, rq);
		return;
	}
	if (l && unconfirmed(e, l)) {
		/* its anchor has been silent for as long as a request may wait.
		 * Ask it again now, at most once per HE_PROBE_GAP_MS: an anchor
		 * back from a restart is then known at the next request, not at
		 * the next retransmission, which the back-off puts up to 32 s
		 * away. */
		if (now >= l->resent_ms + HE_PROBE_GAP_MS) {
			l->resent_ms = now;
			reg_resend_now(&e->reg, l->rb, now);
		}
		unconfirmed_why(e, l, why, sizeof(why));
		if (fall_through(e, rq, anchor, why))
			return;
		snprintf(line, sizeof(line), "lease %u %s: request of pid %d answered ETIMEDOUT: "
			 "anchor %s has not confirmed the binding for %llu ms", l->id,
			 ntop6(&l->addr, a1), (int)rq->pid, ntop6(&l->anchor, a2),
			 (unsigned long long)(now - l->rb->first_tx_ms));
		say_passed(e, line);
		he_refuse(e, rq, "ETIMEDOUT", UNCONFIRMED_MSG);
		return;
	}
	if (l && l->state == LEASE_REGISTERED && l->rb &&
	    (l->rb->kind == REG_REFRESH ||
	     now >= l->rb->expires_ms - (uint64_t)l->rb->granted_s * 1000 + HE_CONFIRM_MS)) {
		/* not confirmed lately (or being confirmed): wait for the BA */
		wait_on(e, l, rq);
		if (l->n_waiters && l->rb->kind == REG_NONE) {
			log_debug("lease %u: confirming the binding before reuse", l->id);
			reg_refresh(&e->reg, l->rb, now, 0);
		}
		return;
	}
	if (l && l->state == LEASE_REGISTERED) {
		l->handed_ms = now;
		l->handed++;
		log_debug("lease %u %s reused for %s", l->id, ntop6(&l->addr, a1),
			  ntop6(&rq->dst, a2));
		he_emit_granted(e, l, rq->req, 1);
		e->ops->reply(e->arg, rq->req, grant_json(l));
		return;
	}
	if (l) {
		wait_on(e, l, rq);
		return;
	}
	if (anchor_on_hold(e, rq, anchor) || anchor_full(e, rq, anchor))
		return;
	if (alloc_at(e, rq, anchor))
		return;
	he_refuse(e, rq, "REQUIREDIPFAILED", "out of memory");
}

int lease_countable(const struct hostengine *e, const struct lease *l)
{
	/* a freshly handed-out address may have a bound socket that is not
	 * connected yet, which sock_diag cannot see: no verdict before grace */
	return l->state == LEASE_REGISTERED && e->now >= l->handed_ms + e->pol.grace_ms;
}

/* How long l may be silent before its binding is confirmed: HE_QUIET_MS,
 * or for UDP half of udp-inactivity if that is less (the lease is ended as
 * idle at udp-inactivity: the binding is confirmed before that) */
static uint64_t quiet_after_ms(const struct hostengine *e, const struct lease *l)
{
	uint64_t half = (uint64_t)e->pol.udp_inactivity_s * 500;

	return l->proto == IPPROTO_UDP && half && half < HE_QUIET_MS ? half : HE_QUIET_MS;
}

/* What the look at l sees of its traffic (t): a run of packets, and
 * whether it made a stream (HE_QUIET_MS). Each look, from the first. */
static void quiet_track(struct lease *l, const struct he_traffic *t)
{
	if (t->rx_ms == l->seen_rx_ms)
		return;
	/* packets since the last look: a new run after a gap, or after the
	 * counters were reset */
	if (!l->seen_rx_ms || t->rx_ms < l->seen_rx_ms ||
	    t->rx_ms > l->seen_rx_ms + HE_QUIET_RUN_GAP_MS || t->rx_packets < l->seen_rx_packets) {
		l->run_from_ms = t->rx_ms;
		l->streamed = 0;
	}
	if (t->rx_ms >= l->run_from_ms + HE_QUIET_RUN_MS ||
	    (t->rx_packets >= l->seen_rx_packets &&
	     t->rx_packets - l->seen_rx_packets >= HE_QUIET_BURST))
		l->streamed = 1;
	l->seen_rx_ms = t->rx_ms;
	l->seen_rx_packets = t->rx_packets;
}

/*
 * l was receiving when the host moved: its last packet came at most
 * HE_QUIET_RUN_GAP_MS before the move's BA was accepted, or at most that
 * long after it (a stream that went on longer shows the anchor has the
 * move). The anchor saves a move some 50 ms after it (odmagent(8)): one
 * killed meanwhile comes back with the old care-of address and sends
 * there, and a host that only receives sends nothing that would draw its
 * Binding Error, however young the stream.
 */
static int silent_since_move(const struct lease *l, uint64_t rx)
{
	return l->moved_ba_ms && rx + HE_QUIET_RUN_GAP_MS >= l->moved_ba_ms &&
	       rx < l->moved_ba_ms + HE_QUIET_RUN_GAP_MS;
}

/*
 * l, which sockets c still use, last received a tunnel packet at rx: if a
 * stream (quiet_track), or what it received around a move, has been
 * followed by a silence of quiet_after_ms with no BA since (but the move's),
 * confirm its binding (HE_QUIET_MS says why), once for this silence.
 */
static void quiet_check(struct hostengine *e, struct lease *l, const struct sockdiag_count *c,
			uint64_t rx)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	const struct reg_binding *b = l->rb;
	int moved = silent_since_move(l, rx);

	/* a claim that left its link received there natively, past the
	 * tunnel: nothing through it since the move's BA is the silence of
	 * its stream, counted from that BA */
	if (l->claimed && l->moved_ba_ms && rx < l->moved_ba_ms) {
		rx = l->moved_ba_ms;
		moved = 1;
	}

	/* an access claim on its link is native: nothing comes through the
	 * tunnel and there is no binding to lose; away from it, tunnelled by
	 * the anchor of the link it left, it is confirmed like any lease (an
	 * anchor that lost it, started again without its state, refuses the
	 * refresh from off its link, and the lease's sockets are told at
	 * once instead of waiting on a stream that never comes back); an
	 * exchange under way answers the question already; with no CoA, or
	 * one seen lost (no link, the address gone: he_check_anchor), nothing
	 * can be asked, and the move's BU will */
	if (!rx || !(l->streamed || moved) || !b ||
	    (l->claimed && IN6_ARE_ADDR_EQUAL(&b->anchor->coa, &l->addr)) || !b->registered ||
	    b->kind != REG_NONE || !b->anchor->has_coa || b->anchor->coa_lost_ms ||
	    !(c->tcp + c->udp) ||
	    rx == l->quiet_rx_ms || e->now < rx + quiet_after_ms(e, l))
		return;
	if (l->quiet_ms && e->now < l->quiet_ms + HE_QUIET_GAP_MS)
		return;
	/* accepted from a BU sent after the last packet (the lifetime counts
	 * from the BU): the anchor has the binding, unless that BA was the
	 * move's, which it may not have saved */
	if (!moved && b->expires_ms - (uint64_t)b->granted_s * 1000 > rx)
		return;
	l->moved_ba_ms = 0; /* once for the move */
	l->quiet_rx_ms = rx;
	l->quiet_ms = e->now;
	e->quiet_checks++;
	log_debug("lease %u %s: nothing received through the tunnel for %llu ms: confirming "
		  "the binding at %s", l->id, ntop6(&l->addr, a1),
		  (unsigned long long)(e->now - rx), ntop6(&l->anchor, a2));
	reg_refresh(&e->reg, l->rb, e->now, 0);
}

/* The look at l's traffic now (into t; zeros when the tunnel cannot say,
 * which the quiet check must not take for counters reset): followed for
 * the quiet check, and kept for the status (seen_any_ms) */
static void look(struct hostengine *e, struct lease *l, struct he_traffic *t)
{
	if (e->ops->last_traffic(e->arg, &l->addr, t) == 0)
		quiet_track(l, t);
	else
		memset(t, 0, sizeof(*t));
	l->seen_any_ms = t->any_ms;
}

/* Decide on l from its socket count c by its type's rule; end it if done
 * and may_end (else it is judged again at the next look). 1 if ended.
 * *drained: the tunnel's queues were read in this round of looks. */
static int judge_one(struct hostengine *e, struct lease *l, const struct sockdiag_count *c,
		     int may_end, int *drained)
{
	const struct addrtype *at = addrtype_get(l->type);
	enum lease_verdict v;
	struct he_traffic t;
	int outage;

	l->socks = *c;
	if (!at)
		return 0;
	/* looked at either way: the status tells how long it has been idle */
	look(e, l, &t);
	if (!at->judge) {
		/* the Fixed address is never ended for want of use, but a
		 * stream on it is confirmed as any lease's */
		quiet_check(e, l, c, t.rx_ms);
		return 0;
	}
	/* its anchor's care-of address gone (no link, the host's address
	 * vanished and none new yet): its datagrams have nowhere to go, so
	 * the tunnel's silence is the host's outage, not its sockets'
	 * idleness. Not ended idle meanwhile; once the outage is over, its
	 * idleness counts from then */
	outage = l->rb && (!l->rb->anchor->has_coa || l->rb->anchor->coa_lost_ms);
	if (l->idle_paused && !outage) {
		l->idle_paused = 0;
		l->registered_ms = e->now;
	}
	v = at->judge(l, c, t.any_ms, e->now, &e->pol);
	/*
	 * Silent as far as the tunnel has read. A look due while the agent
	 * did not run (stopped, loaded) runs before it reads again, and a
	 * datagram sent meanwhile still waits in the device or the socket: a
	 * UDP lease in use was ended idle at the agent's return, its socket
	 * aborted. Read those first (once a round), then judge again.
	 */
	if (v == LEASE_END_IDLE && !*drained && e->ops->drain) {
		*drained = 1;
		e->ops->drain(e->arg);
		look(e, l, &t);
		v = at->judge(l, c, t.any_ms, e->now, &e->pol);
	}
	if (v == LEASE_END_IDLE && outage) {
		l->idle_paused = 1;
		v = LEASE_KEEP;
	}
	if (v == LEASE_KEEP) {
		l->hinted = 0;
		quiet_check(e, l, c, t.rx_ms);
		return 0;
	}
	if (!may_end)
		return 0;
	/* a UDP socket still open on an address that goes would send from an
	 * address the host no longer has, into the void: its program is told */
	if (v == LEASE_END_IDLE && c->udp)
		tell_sockets(e, l, "UDP idle", 0);
	end(e, l, v == LEASE_END_IDLE ? "idle" : l->hinted ? "released" : "unused",
	    lease_verdict_name(v), 1);
	return 1;
}

void lease_woke(struct hostengine *e, uint64_t gap_ms)
{
	unsigned n = 0;

	for (struct lease *l = e->leases.head; l; l = l->next) {
		/* handed out shortly before: its program, asleep with the host,
		 * may not have connected the socket it bound yet, which no
		 * count sees (HE_GRACE_MS). Its grace ends at the later of the
		 * hand-out's and what an earlier wake left it. */
		uint64_t end = l->handed_ms + e->pol.grace_ms;

		if (l->grace_end_ms > end)
			end = l->grace_end_ms;
		if (l->state == LEASE_REGISTERED && e->looked_ms < end)
			l->grace_end_ms = end + gap_ms;
		if (l->state != LEASE_REGISTERED || l->proto != IPPROTO_UDP)
			continue;
		if (l->registered_ms < e->now)
			l->registered_ms = e->now;
		n++;
	}
	log_info("no look for %llu ms (the agent stopped, or the host asleep): the idleness "
		 "of %u UDP lease(s) counts from now", (unsigned long long)gap_ms, n);
}

void lease_count_and_judge(struct hostengine *e)
{
	struct sockdiag_count *c;
	struct sockdiag_owner *own;
	struct in6_addr *addrs;
	struct lease **ls, *l;
	size_t n = 0, i, ended = 0;
	int rc, drained = 0;

	if (!e->leases.n)
		return;
	addrs = malloc(e->leases.n * sizeof(*addrs));
	own = malloc(e->leases.n * sizeof(*own));
	ls = malloc(e->leases.n * sizeof(*ls));
	c = malloc(e->leases.n * sizeof(*c));
	if (!addrs || !own || !ls || !c) {
		log_warnx("no memory to count the sockets of %zu leases", e->leases.n);
		goto out;
	}
	for (l = e->leases.head; l; l = l->next) {
		if (lease_countable(e, l)) {
			/* its holders' sockets (and root's), not another
			 * user's bound to its address (sockdiag.h) */
			own[n] = (struct sockdiag_owner){ l->uid, l->uids, l->n_uids,
							  l->uid == LEASE_UID_AGENT };
			ls[n] = l;
			addrs[n++] = l->addr;
		} else if (l->state == LEASE_REGISTERED && addrtype_get(l->type) &&
			   addrtype_get(l->type)->judge) {
			/* in its grace: not judged yet, but its first packets
			 * may be the whole of a stream cut short */
			struct he_traffic t;

			look(e, l, &t);
		}
	}
	if (!n)
		goto out;
	rc = e->ops->count_sockets(e->arg, addrs, own, n, c);
	if (rc < 0) {
		log_warn(rc, "counting the sockets of %zu leases", n);
		goto out;
	}
	/* end() frees only the lease it ends: the others in ls stay valid */
	for (i = 0; i < n; i++)
		ended += (size_t)judge_one(e, ls[i], &c[i],
					   !e->pol.ends_per_look || ended < e->pol.ends_per_look,
					   &drained);
	if (e->pol.ends_per_look && ended >= e->pol.ends_per_look)
		log_debug("ended %zu leases in this look, the most it ends: the others unused "
			  "at the next", ended);
out:
	free(addrs);
	free(own);
	free(ls);
	free(c);
}

void lease_confirm_overdue(struct hostengine *e)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];

	for (struct lease *l = e->leases.head; l; l = l->next) {
		int n;

		if (!unconfirmed(e, l))
			continue;
		if (l->n_waiters) {
			char why[96];

			unconfirmed_why(e, l, why, sizeof(why));
			pass_waiters(e, l, 0, why, "ETIMEDOUT", UNCONFIRMED_MSG);
		}
		if (!l->probe_open)
			continue;
		/*
		 * An error said the anchor did not take our packets, and it has
		 * not answered since: a connection being set up on the address
		 * (handed out before, or taken from a process's own held
		 * leases) would retry its SYN for minutes. It fails now, at
		 * every look while this lasts; established connections are left
		 * to wait for the anchor, whose restart with its state carries
		 * them on (the refresh goes on until the binding runs out).
		 */
		n = e->ops->destroy_connecting(e->arg, &l->addr); /* < 0: logged there */
		if (n > 0) {
			l->probe_failed += (unsigned)n;
			log_warnx("lease %u %s: anchor %s has not answered for %llu ms after an "
				  "ICMPv6 error: failed %d connection(s) still being set up "
				  "(%u so far)",
				  l->id, ntop6(&l->addr, a1), ntop6(&l->anchor, a2),
				  (unsigned long long)(e->now - l->probed_ms), n, l->probe_failed);
		}
	}
}

int lease_anchor_error(struct hostengine *e, const struct in6_addr *coa,
		       const struct in6_addr *anchor)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], a3[INET6_ADDRSTRLEN];
	int n = 0;

	for (struct lease *l = e->leases.head; l; l = l->next) {
		/* access claims have their own exchanges (accessclaim.c) */
		if (l->state != LEASE_REGISTERED || !l->rb || l->claimed ||
		    !IN6_ARE_ADDR_EQUAL(&l->anchor, anchor) || !l->rb->anchor->has_coa ||
		    !IN6_ARE_ADDR_EQUAL(&l->rb->anchor->coa, coa))
			continue;
		/* an exchange is out already: its BA, or its silence, tells */
		if (l->rb->kind != REG_NONE)
			continue;
		if (l->probed_ms && e->now < l->probed_ms + HE_PROBE_GAP_MS)
			continue;
		l->probed_ms = e->now;
		l->probe_open = 1;
		l->probe_failed = 0;
		/* the first by name; the others counted in one line below: a
		 * host of thousands of leases at one anchor logs one line for
		 * an error, not thousands (nor for a flood of forged ones) */
		if (!n)
			ntop6(&l->addr, a1);
		log_debug("lease %u %s: confirming its binding at %s after an ICMPv6 error", l->id,
			  ntop6(&l->addr, a3), ntop6(anchor, a2));
		reg_refresh(&e->reg, l->rb, e->now, 0);
		n++;
	}
	if (n)
		log_info("an ICMPv6 error says anchor %s did not take a packet from CoA %s: "
			 "confirming %d binding(s) now (%s first)", ntop6(anchor, a2), ntop6(coa, a3),
			 n, a1);
	return n;
}

void lease_adopt_all(struct hostengine *e)
{
	struct in6_addr none = IN6ADDR_ANY_INIT;
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	struct lease *l, *next;

	for (l = e->leases.head; l; l = next) {
		next = l->next;
		if (access_adopt(e, l)) {
			/* the host's own address, on its link: native. The last
			 * run may have left it on the tunnel device, routed into
			 * it (killed while the claim was away, the host back on
			 * the claim's link before this start: a kernel backend's
			 * device outlives the agent). Left there, every packet
			 * from the address, the BUs of all leases among them,
			 * would go on into the tunnel toward a link the host has
			 * left: it goes, as at a return to the link */
			char steps[160];

			l->host_cfg = LEASE_CFG_ADDR | LEASE_CFG_BIND | LEASE_CFG_ROUTE;
			unconfigure(e, l, steps, sizeof(steps));
			log_debug("lease %u: the last run's tunnel state of %s cleared%s", l->id,
				  ntop6(&l->addr, a1), steps);
			l->handed = 1;
			hand_out_when_usable(e, l);
			continue;
		}
		if (configure(e, l, &none) < 0) {
			log_warnx("lease %u %s: cannot be configured again, dropped", l->id,
				  ntop6(&l->addr, a1));
			drop(e, l);
			continue;
		}
		log_info("lease %u %s at %s (uid %u pid %d) taken over, re-registering", l->id,
			 ntop6(&l->addr, a1), ntop6(&l->anchor, a2), (unsigned)l->uid,
			 (int)l->pid);
		/* a claim's names its own type already (access_adopt) */
		if (l->rb && !l->claimed)
			snprintf(l->rb->service, sizeof(l->rb->service), "%s",
				 addrtype_get(l->type) && addrtype_get(l->type)->service
					 ? addrtype_get(l->type)->service : "");
		l->handed = 1; /* handed out by the last run */
		hand_out_when_usable(e, l); /* no waiters yet: only holds sharing back */
	}
}

void lease_end_all(struct hostengine *e)
{
	struct lease *l;
	unsigned n = 0;

	while ((l = e->leases.head) != NULL) {
		if (l->state == LEASE_REGISTERED || addr_waits_find(&e->usable, l))
			n++;
		if (l->n_waiters)
			answer_waiters(e, l, "REQUIREDIPFAILED", "odmagent is stopping");
		tell_sockets(e, l, "agent stopping", 1);
		end(e, l, "stopping", "agent stopping", 1);
	}
	if (n)
		log_info("mn stopped: %u leases deregistered", n);
}

struct lease *lease_hold(struct hostengine *e, int type, const struct in6_addr *anchor)
{
	struct at_request rq = { .type = type, .proto = IPPROTO_TCP, .uid = LEASE_UID_AGENT };

	return alloc_at(e, &rq, anchor);
}

/* ---- steps of the life cycle, for accessclaim.c ---- */

int lease_host_configure(struct hostengine *e, struct lease *l, const struct in6_addr *coa)
{
	return configure(e, l, coa);
}

void lease_host_unconfigure(struct hostengine *e, struct lease *l)
{
	char steps[160];

	unconfigure(e, l, steps, sizeof(steps));
	log_debug("lease %u unconfigured%s", l->id, steps);
}

void lease_end(struct hostengine *e, struct lease *l, const char *reason, const char *why)
{
	tell_sockets(e, l, why, 1);
	end(e, l, reason, why, 1);
}

void lease_answer_waiters(struct hostengine *e, struct lease *l)
{
	answer_waiters(e, l, NULL, NULL);
}
