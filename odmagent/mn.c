/*
 * mn.c — the mobile-node role: glue between the control ops ("lease",
 * "release", "status"), the lease table (lease.c), the Binding Update List
 * (registration.c), movement detection (movement.c) and the host's data
 * plane (tunnel, addresses, routes, rules through netconf).
 *
 * Host side of an anchored address: the address sits on the
 * tunnel device as /128, nodad, preferred lifetime 0 (no legacy socket picks
 * it); the tunnel binds it to (CoA, anchor); a rule "from addr lookup table"
 * at rule-priority sends what a socket bound to it emits into that table,
 * whose only route is a default route out of the tunnel device. Rules apply
 * only to bound sockets, which is why the shim binds.
 * A new address is handed out only once the kernel routes it as local:
 * asked from a 1 ms timer for at most 500 ms (addr_usable.h), never by
 * sleeping on the loop.
 *
 * Release bound: a lease whose last socket has gone ends at the latest one
 * tick (MN_TICK_MS) after the later of the socket's close and the grace
 * period (MN_GRACE_MS) after the address was last handed out, i.e. within
 * 1 s of the close, and never later than 4 s after the last hand-out. A
 * "release" hint from the shim brings the next tick forward to MN_HINT_MS,
 * so the hints of many closes share one count. Each tick counts the
 * sockets of every lease with one sock_diag dump per protocol.
 * Idle UDP leases end within udp-inactivity + 1 s of their last packet.
 *
 * Restart: the registered leases and the per-anchor counters are saved
 * after every event (mn_state.c) and taken over by the next run, which
 * configures them again and re-registers each at once. A binding its
 * anchor lost ends the lease (lease_lost); connections waiting for it get
 * a fresh address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "addr_usable.h"
#include "addrtext.h"
#include "monotime.h"
#include "agent.h"
#include "control.h"
#include "lease.h"
#include "log.h"
#include "mh.h"
#include "mhsock.h"
#include "mn_state.h"
#include "movement.h"
#include "netconf.h"
#include "odm.h"
#include "registration.h"
#include "sockdiag.h"
#include "tunnel.h"
#include "vanished.h"

#define MN_TICK_MS 1000          /* lease usage check period */
#define MN_HINT_MS 100           /* a release hint: tick this soon, at the latest */
#define MN_GRACE_MS 3000         /* a bound TCP socket is invisible until it connects */
/* A lease request waits this long for its BA: just under the shim's own
 * wait (AGENT_LEASE_MS, 3 s, libodm/agent_client.h), so the client gets our
 * ETIMEDOUT naming the anchor rather than a bare timeout of its own. BUs go
 * at 0 and 1.5 s (InitialBindackTimeoutFirstReg). */
#define MN_ALLOC_TIMEOUT_MS 2900
#define MN_DEREG_TRIES 3         /* deregistration BUs before we stop caring */
/* A lease whose last BA is older than this is confirmed with a refresh
 * before it is handed out again, so an anchor that lost the binding (it
 * restarted without its state) is noticed at the next connection and that
 * connection gets a fresh address instead of a dead one. */
#define MN_CONFIRM_MS 5000

struct mn {
	struct odm_agent *a;
	struct netconf *nc;
	struct odm_tunnel *tun;
	struct mhsock *mh;
	struct movement *mv;
	struct lease_table leases;
	struct reg_ctx reg;
	struct lease_policy pol;
	uv_timer_t tick, regt;
	uv_timer_t usable_t;   /* asks the kernel again about mn->usable */
	struct addr_waits usable; /* leases whose address is not usable yet */
	int open_timers;       /* handles to close before mn is freed */
	int route_on;          /* default route of cfg.table installed */
	int stopping;
	uint64_t move_ms;      /* last CoA change, for the re-registration time */
	struct statefile sf;   /* leases and counters across restarts (mn_state.h) */
	int started;           /* mn_start completed: stopping may rewrite the state */
	unsigned lost;         /* bindings an anchor had lost, for status */
	struct in6_addr host_addrs[VANISHED_MAX]; /* access addresses at the last look */
	size_t n_host_addrs;
};

/* After every event that may change a lease or a counter: costs one
 * comparison when nothing changed (statefile.h). */
static void save_state(struct mn *mn)
{
	mnstate_save(&mn->sf, &mn->reg, &mn->leases);
}

static uint16_t random16(void)
{
	uint16_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = (uint16_t)(mono_ms() ^ (uint64_t)getpid());
	return v;
}

static const char *proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* ---- timers ---- */

static void on_regt(uv_timer_t *t);

/* One timer follows the earliest deadline of the Binding Update List. */
static void rearm(struct mn *mn)
{
	uint64_t d, now;

	if (mn->stopping)
		return;
	d = reg_next_deadline(&mn->reg);
	if (!d) {
		uv_timer_stop(&mn->regt);
		return;
	}
	now = mono_ms();
	uv_timer_start(&mn->regt, on_regt, d > now ? d - now : 0, 0);
}

static void on_regt(uv_timer_t *t)
{
	struct mn *mn = t->data;

	reg_timers(&mn->reg, mono_ms());
	rearm(mn);
	save_state(mn);
}

/* ---- host configuration of a lease ---- */

/* Remove what lease_configure() did, in reverse; describe it in buf. */
static void lease_unconfigure(struct mn *mn, struct lease *l, char *buf, size_t cap)
{
	struct odm_config *cfg = &mn->a->cfg;
	size_t off = 0;
	int rc;

	buf[0] = '\0';
#define STEP(...)                                                                   \
	do {                                                                        \
		if (off < cap)                                                      \
			off += (size_t)snprintf(buf + off, cap - off, __VA_ARGS__); \
	} while (0)
	if (l->host_cfg & LEASE_CFG_RULE) {
		rc = netconf_rule_del(mn->nc, &l->addr, cfg->table, cfg->rule_priority);
		STEP(", rule %s", rc < 0 ? "NOT removed" : "removed");
		if (rc < 0)
			log_warn(rc, "removing the rule for lease %u", l->id);
	}
	if (l->host_cfg & LEASE_CFG_BIND) {
		rc = mn->tun->ops->unbind(mn->tun, &l->addr);
		STEP(", tunnel %s", rc < 0 && rc != -ENOENT ? "NOT unbound" : "unbound");
	}
	if (l->host_cfg & LEASE_CFG_ADDR) {
		rc = netconf_addr_del(mn->nc, mn->tun->ifindex, &l->addr, 128);
		STEP(", address %s", rc < 0 ? "NOT removed" : "removed");
		if (rc < 0)
			log_warn(rc, "removing the address of lease %u", l->id);
	}
	l->host_cfg = 0;
	if (mn->route_on && lease_count_configured(&mn->leases) == 0) {
		struct in6_addr any = IN6ADDR_ANY_INIT;

		rc = netconf_route_del(mn->nc, &any, 0, mn->tun->ifindex, cfg->table);
		STEP(", default route of table %u %s", cfg->table,
		     rc < 0 ? "NOT removed" : "removed");
		if (rc < 0)
			log_warn(rc, "removing the default route of table %u", cfg->table);
		mn->route_on = 0;
	}
#undef STEP
}

static int lease_configure(struct mn *mn, struct lease *l, const struct in6_addr *coa)
{
	struct odm_config *cfg = &mn->a->cfg;
	char tmp[128];
	int rc;

	rc = netconf_addr_add(mn->nc, mn->tun->ifindex, &l->addr, 128,
			      NETCONF_ADDR_NODAD | NETCONF_ADDR_DEPRECATED);
	if (rc < 0) {
		log_warn(rc, "adding the address of lease %u", l->id);
		goto fail;
	}
	l->host_cfg |= LEASE_CFG_ADDR;
	rc = mn->tun->ops->bind(mn->tun, &l->addr, coa, &l->anchor);
	if (rc < 0) {
		log_warn(rc, "binding lease %u in the tunnel", l->id);
		goto fail;
	}
	l->host_cfg |= LEASE_CFG_BIND;
	if (!mn->route_on) {
		struct in6_addr any = IN6ADDR_ANY_INIT;

		rc = netconf_route_add(mn->nc, &any, 0, mn->tun->ifindex, cfg->table);
		if (rc < 0) {
			log_warn(rc, "default route of table %u via %s", cfg->table,
				 mn->tun->ifname);
			goto fail;
		}
		mn->route_on = 1;
	}
	rc = netconf_rule_add(mn->nc, &l->addr, cfg->table, cfg->rule_priority);
	if (rc < 0) {
		log_warn(rc, "rule for lease %u", l->id);
		goto fail;
	}
	l->host_cfg |= LEASE_CFG_RULE;
	return 0;
fail:
	lease_unconfigure(mn, l, tmp, sizeof(tmp));
	return rc;
}

/* ---- answering lease requests ---- */

static json_t *lease_json_reply(const struct lease *l)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];

	return json_pack("{s:s, s:i, s:s}", "addr", ntop6(&l->addr, a1), "lease", (int)l->id,
			 "anchor", ntop6(&l->anchor, a2));
}

/* Answer every waiter of l with its address, or with code/msg if code. */
static void answer_waiters(struct lease *l, const char *code, const char *msg)
{
	size_t n;
	void **w = lease_take_waiters(l, &n);

	for (size_t i = 0; i < n; i++) {
		if (code)
			control_reply_error(w[i], code, "%s", msg);
		else
			control_reply(w[i], lease_json_reply(l));
	}
	free(w);
}

/* Drop a lease that never got (or lost) its binding: no BU is sent. */
static void lease_drop(struct mn *mn, struct lease *l)
{
	char steps[160];

	addr_waits_del(&mn->usable, l);
	lease_unconfigure(mn, l, steps, sizeof(steps));
	if (l->rb)
		reg_binding_del(&mn->reg, l->rb);
	l->rb = NULL;
	lease_free(&mn->leases, l);
}

/*
 * End a lease: the deregistration BU goes first (retransmitted on its own
 * by registration.c until its BA or MN_DEREG_TRIES), local state goes at
 * once without waiting for the anchor.
 */
static void lease_end(struct mn *mn, struct lease *l, const char *why, int dereg_bu)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	char steps[160];
	char dereg[48] = "no deregistration (not registered)";
	uint16_t id = l->id;

	if (l->n_waiters)
		answer_waiters(l, "REQUIREDIPFAILED", "the lease ended before it was ready");
	/* one waiting for its address to turn usable is registered too */
	if (dereg_bu && l->rb &&
	    (l->state == LEASE_REGISTERED || addr_waits_find(&mn->usable, l))) {
		struct reg_binding *b = l->rb;
		int rc = reg_dereg(&mn->reg, b, mono_ms());

		snprintf(dereg, sizeof(dereg), "dereg BU seq %u %s", b->last_seq,
			 rc < 0 ? "NOT sent" : "sent");
		l->rb = NULL; /* the binding lives on until its BA */
	}
	lease_unconfigure(mn, l, steps, sizeof(steps));
	log_info("lease %u %s at %s ended (%s): %s%s", id, ntop6(&l->addr, a1),
		 ntop6(&l->anchor, a2), why, dereg, steps);
	lease_drop(mn, l);
	rearm(mn);
}

/* ---- usability of a configured address (addr_usable.h) ---- */

/* The wait for l's address is over: hand it out, or end the lease. */
static void usable_done(struct mn *mn, struct lease *l, enum addr_verdict v, uint64_t waited_ms)
{
	char a1[INET6_ADDRSTRLEN], msg[128];

	/* registered at the anchor all along: a failure deregisters */
	l->state = LEASE_REGISTERED;
	if (v == ADDR_READY) {
		l->handed_ms = mono_ms();
		log_debug("lease %u: %s usable after %llu ms, answering %zu waiting", l->id,
			  ntop6(&l->addr, a1), (unsigned long long)waited_ms, l->n_waiters);
		answer_waiters(l, NULL, NULL);
		return;
	}
	snprintf(msg, sizeof(msg), "the kernel did not make %s usable within %u ms",
		 ntop6(&l->addr, a1), (unsigned)ADDR_USABLE_BOUND_MS);
	log_warnx("lease %u: %s", l->id, msg);
	answer_waiters(l, "REQUIREDIPFAILED", msg);
	lease_end(mn, l, "address not usable", 1);
}

/* Every ADDR_USABLE_POLL_MS while some address is not usable yet. */
static void on_usable_poll(uv_timer_t *t)
{
	struct mn *mn = t->data;
	uint64_t now = mono_ms();
	size_t i = 0;

	while (i < mn->usable.n) {
		struct addr_wait e = mn->usable.v[i];
		enum addr_verdict v =
			addr_wait_judge(&e, netconf_addr_usable(mn->nc, &e.addr), now);

		if (v == ADDR_WAIT) {
			i++;
			continue;
		}
		/* deleting keeps the order: entry i is the next one now, and
		 * usable_done ends at most this lease */
		addr_waits_del(&mn->usable, e.key);
		usable_done(mn, (struct lease *)e.key, v, now - e.since_ms);
	}
	if (!mn->usable.n)
		uv_timer_stop(&mn->usable_t);
	save_state(mn);
}

/*
 * l's address was just configured: its waiters get it once the kernel lets
 * sockets bind it, at once if it does already, else from on_usable_poll.
 * The loop serves everything else meanwhile. A new lease stays
 * LEASE_REGISTERING until then, so a request that may reuse any lease
 * takes one that is ready (lease_find_reusable) and joins this one's
 * waiters only if there is none; an adopted lease (already registered)
 * is held back in lease_session.
 */
static void hand_out_when_usable(struct mn *mn, struct lease *l)
{
	uint64_t now = mono_ms();

	if (netconf_addr_usable(mn->nc, &l->addr) > 0) {
		usable_done(mn, l, ADDR_READY, 0);
		return;
	}
	if (addr_waits_add(&mn->usable, l, &l->addr, now) < 0) {
		answer_waiters(l, "REQUIREDIPFAILED", "out of memory");
		lease_end(mn, l, "out of memory", 1);
		return;
	}
	if (!uv_is_active((uv_handle_t *)&mn->usable_t))
		uv_timer_start(&mn->usable_t, on_usable_poll, ADDR_USABLE_POLL_MS,
			       ADDR_USABLE_POLL_MS);
}

/* ---- registration outcomes ---- */

static void alloc_accepted(struct mn *mn, struct lease *l, struct reg_binding *b,
			   const struct reg_event *ev)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], a3[INET6_ADDRSTRLEN];
	struct lease *other = lease_by_addr(&mn->leases, &b->hnp);
	int rc;

	if (other && other != l) {
		log_warnx("anchor %s gave lease %u the address %s of lease %u",
			  ntop6(&l->anchor, a1), l->id, ntop6(&b->hnp, a2), other->id);
		answer_waiters(l, "REQUIREDIPFAILED", "the anchor allocated an address in use");
		lease_drop(mn, l);
		return;
	}
	l->addr = b->hnp;
	rc = lease_configure(mn, l, &b->anchor->coa);
	if (rc < 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "configuring %s on the host: %s", ntop6(&l->addr, a1),
			 strerror(-rc));
		answer_waiters(l, "REQUIREDIPFAILED", msg);
		/* the anchor holds a binding for it: tell it to let go */
		reg_dereg(&mn->reg, b, mono_ms());
		l->rb = NULL;
		lease_drop(mn, l);
		return;
	}
	l->registered_ms = l->handed_ms = mono_ms();
	log_info("lease %u: %s from anchor %s via CoA %s, lifetime %us, BA after %lld ms, "
		 "%zu waiting",
		 l->id, ntop6(&l->addr, a1), ntop6(&l->anchor, a2), ntop6(&b->anchor->coa, a3),
		 ev->lifetime_s, (long long)ev->rtt_ms, l->n_waiters);
	hand_out_when_usable(mn, l);
}

static void lease_session(struct mn *mn, struct control_req *r, const struct in6_addr *dst,
			  const struct in6_addr *cha, int proto, int fresh);

/*
 * The anchor no longer holds l's binding (it refused a refresh, e.g. 133
 * after it restarted without its state, or the binding ran out): say so,
 * end the lease, and give the connections waiting to reuse it a fresh
 * allocation at the same anchor instead of the dead address.
 */
static void lease_lost(struct mn *mn, struct lease *l, const char *why, int dereg_bu)
{
	struct in6_addr dst = l->dst, cha = l->anchor;
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	int proto = l->proto;
	size_t n;
	void **w = lease_take_waiters(l, &n);

	mn->lost++;
	log_warnx("anchor %s no longer holds lease %u %s (%s): ending it, %zu waiting "
		  "connection(s) get a fresh address",
		  ntop6(&cha, a1), l->id, ntop6(&l->addr, a2), why, n);
	lease_end(mn, l, why, dereg_bu);
	for (size_t i = 0; i < n; i++)
		lease_session(mn, w[i], &dst, &cha, proto, 0);
	free(w);
}

static void on_reg_done(void *arg, struct reg_binding *b, const struct reg_event *ev)
{
	struct mn *mn = arg;
	struct lease *l = b->user;
	char a1[INET6_ADDRSTRLEN], msg[160];

	switch (ev->kind) {
	case REG_EV_ACCEPTED:
		if (ev->what == REG_ALLOC) {
			alloc_accepted(mn, l, b, ev);
		} else if (ev->after_move) {
			log_info("lease %u re-registered at %s after the move: BA round trip "
				 "%lld ms, %llu ms since the move, lifetime %us",
				 l->id, ntop6(&l->anchor, a1), (long long)ev->rtt_ms,
				 (unsigned long long)(mono_ms() - mn->move_ms), ev->lifetime_s);
		} else {
			log_debug("lease %u refreshed, BA after %lld ms, lifetime %us", l->id,
				  (long long)ev->rtt_ms, ev->lifetime_s);
		}
		if (ev->what == REG_REFRESH && l->n_waiters &&
		    !addr_waits_find(&mn->usable, l)) {
			/* connections that waited for the binding to be confirmed */
			l->handed_ms = mono_ms();
			answer_waiters(l, NULL, NULL);
		}
		break;
	case REG_EV_REJECTED:
		snprintf(msg, sizeof(msg), "anchor %s refused the %s: %s%s%s",
			 ntop6(&l->anchor, a1), reg_kind_name(ev->what), mh_status_name(ev->status),
			 ev->why ? ", " : "", ev->why ? ev->why : "");
		log_warnx("lease %u: %s", l->id, msg);
		if (l->state == LEASE_REGISTERING) {
			answer_waiters(l, "REQUIREDIPFAILED", msg);
			lease_drop(mn, l);
		} else {
			/* best effort, in case the anchor still holds something */
			lease_lost(mn, l, "refused by the anchor", 1);
		}
		break;
	case REG_EV_TIMEOUT:
		snprintf(msg, sizeof(msg), "no answer from anchor %s within %u ms",
			 ntop6(&l->anchor, a1), (unsigned)MN_ALLOC_TIMEOUT_MS);
		log_warnx("lease %u: %s", l->id, msg);
		answer_waiters(l, "ETIMEDOUT", msg);
		lease_drop(mn, l);
		break;
	case REG_EV_EXPIRED:
		log_warnx("lease %u: binding at %s expired without a BA", l->id,
			  ntop6(&l->anchor, a1));
		/* the anchor has forgotten it: no deregistration to send */
		lease_lost(mn, l, "binding expired", 0);
		break;
	}
}

/* ---- movement ---- */

/*
 * Re-evaluate the CoA toward one anchor. On a change, every lease there is
 * re-bound in the tunnel at once (upstream flows immediately) and a BU goes
 * out for each at once (the first BU after a move is not rate limited).
 * No route or no usable source: keep the old binding, the next event retries.
 */
static void check_anchor(struct mn *mn, struct reg_anchor *an)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], a3[INET6_ADDRSTRLEN];
	struct in6_addr coa, old = an->coa;
	int had = an->has_coa, n = 0, rc;
	uint64_t now;

	rc = movement_coa(mn->mv, &an->addr, had ? &old : NULL, &coa);
	if (rc < 0) {
		log_debug("no CoA toward %s (%s): keeping %s", ntop6(&an->addr, a1),
			  strerror(-rc), had ? ntop6(&old, a2) : "none");
		return;
	}
	if (!reg_anchor_set_coa(an, &coa))
		return;
	/*
	 * Also for the first CoA: an allocation sent while there was none
	 * (no route yet, address still tentative) goes out again at once
	 * instead of at its 1.5 s retransmission.
	 */
	now = mono_ms();
	mn->move_ms = now;
	for (struct reg_binding *b = an->bindings; b; b = b->next) {
		struct lease *l = b->user;

		if (!l)
			continue; /* deregistrations retransmit from the new CoA anyway */
		if (l->state == LEASE_REGISTERED || addr_waits_find(&mn->usable, l)) {
			rc = mn->tun->ops->bind(mn->tun, &l->addr, &coa, &an->addr);
			if (rc < 0)
				log_warn(rc, "re-binding lease %u to %s", l->id, ntop6(&coa, a1));
			reg_refresh(&mn->reg, b, now, 1);
			n++;
		} else if (b->kind == REG_ALLOC) {
			reg_alloc(&mn->reg, b, now, 1);
			n++;
		}
	}
	if (n)
		log_info("move: CoA %s -> %s, re-registering %d bindings at anchor %s",
			 had ? ntop6(&old, a1) : "none", ntop6(&coa, a2), n, ntop6(&an->addr, a3));
	else
		log_debug("CoA toward %s now %s (was %s), no lease there", ntop6(&an->addr, a3),
			  ntop6(&coa, a2), ntop6(&old, a1));
}

static void check_all(struct mn *mn)
{
	for (struct reg_anchor *an = mn->reg.anchors; an; an = an->next) {
		/* deregistrations in flight need a CoA too */
		if (an->bindings)
			check_anchor(mn, an);
		else
			an->has_coa = 0; /* looked up afresh by the next lease there */
	}
	rearm(mn);
}

/*
 * Look at the host's access addresses again. A TCP socket whose local
 * address has left the host can never send again; destroying it
 * (SOCK_DESTROY) gives its application ECONNABORTED now instead of after its
 * own timeout. UDP sockets are left alone (their owners may rebind or just
 * send from elsewhere), and lease addresses (anchored, on the tunnel device)
 * are never touched: they survive moves by design.
 */
static void destroy_vanished(struct mn *mn)
{
	struct in6_addr now[VANISHED_MAX], gone[VANISHED_MAX], *anch = NULL;
	size_t na = 0, ng;
	struct lease *l;
	int n;

	n = movement_addrs(mn->mv, now, VANISHED_MAX);
	if (n < 0) {
		/* keep the old snapshot: compared again at the next event */
		log_debug("no verdict on vanished addresses: %s", strerror(-n));
		return;
	}
	if (mn->leases.n)
		anch = malloc(mn->leases.n * sizeof(*anch));
	for (l = mn->leases.head; anch && l; l = l->next)
		anch[na++] = l->addr;
	ng = vanished_addrs(mn->host_addrs, mn->n_host_addrs, now, (size_t)n, anch, na, gone);
	free(anch);
	if (mn->leases.n && !anch)
		return; /* without the anchored set, no verdict is safe */
	for (size_t i = 0; i < ng; i++) {
		char t[INET6_ADDRSTRLEN];
		int r = sockdiag_destroy_tcp(&gone[i]);

		inet_ntop(AF_INET6, &gone[i], t, sizeof(t));
		if (r < 0)
			log_warn(r, "destroying the TCP sockets on vanished %s", t);
		else
			log_info("address %s vanished: %d TCP socket%s destroyed", t, r,
				 r == 1 ? "" : "s");
	}
	memcpy(mn->host_addrs, now, (size_t)n * sizeof(now[0]));
	mn->n_host_addrs = (size_t)n;
}

static void on_move(void *arg)
{
	struct mn *mn = arg;

	if (mn->stopping)
		return;
	destroy_vanished(mn);
	check_all(mn);
}

/* ---- lease usage ---- */

/* Past its grace: sock_diag can see every socket of the lease. */
static int lease_countable(const struct mn *mn, const struct lease *l, uint64_t now)
{
	/* a freshly handed-out address may have a bound socket that is not
	 * connected yet, which sock_diag cannot see: no verdict before grace */
	return l->state == LEASE_REGISTERED && now >= l->handed_ms + mn->pol.grace_ms;
}

/* Decide on l from its socket count c; ends the lease if it is done. */
static void judge_and_end(struct mn *mn, struct lease *l, const struct sockdiag_count *c,
			  uint64_t now)
{
	struct odm_tunnel_stats st;
	enum lease_verdict v;
	uint64_t last = 0;

	l->socks = *c;
	if (mn->tun->ops->stats(mn->tun, &l->addr, &st) == 0)
		last = st.last_rx_ms > st.last_tx_ms ? st.last_rx_ms : st.last_tx_ms;
	v = lease_judge(l, c, last, now, &mn->pol);
	if (v != LEASE_KEEP)
		lease_end(mn, l, lease_verdict_name(v), 1);
}

/* Count the sockets of every countable lease at once, and judge each. */
static void judge_all(struct mn *mn, uint64_t now)
{
	struct sockdiag_count *c;
	struct in6_addr *addrs;
	struct lease **ls, *l;
	size_t n = 0, i;
	int rc;

	if (!mn->leases.n)
		return;
	addrs = malloc(mn->leases.n * sizeof(*addrs));
	ls = malloc(mn->leases.n * sizeof(*ls));
	c = malloc(mn->leases.n * sizeof(*c));
	if (!addrs || !ls || !c) {
		log_warnx("no memory to count the sockets of %zu leases", mn->leases.n);
		goto out;
	}
	for (l = mn->leases.head; l; l = l->next)
		if (lease_countable(mn, l, now)) {
			ls[n] = l;
			addrs[n++] = l->addr;
		}
	if (!n)
		goto out;
	rc = sockdiag_count_many(addrs, n, c);
	if (rc < 0) {
		log_warn(rc, "counting the sockets of %zu leases", n);
		goto out;
	}
	/* lease_end frees only the lease it ends: the others in ls stay valid */
	for (i = 0; i < n; i++)
		judge_and_end(mn, ls[i], &c[i], now);
out:
	free(addrs);
	free(ls);
	free(c);
}

static void on_tick(uv_timer_t *t)
{
	struct mn *mn = t->data;

	struct lease *l;
	uint64_t now = mono_ms();

	judge_all(mn, now);
	/* judge_all may have ended leases: walk the list as it is now */
	for (l = mn->leases.head; l; l = l->next)
		if (l->n_waiters && l->state == LEASE_REGISTERED && l->rb &&
		    l->rb->kind == REG_REFRESH && l->rb->n_sent &&
		    now >= l->rb->sent[0].sent_ms + MN_ALLOC_TIMEOUT_MS)
			answer_waiters(l, "ETIMEDOUT", "the anchor does not confirm the binding");
	/* a safety net for lost netlink events (the socket can overrun) */
	check_all(mn);
	save_state(mn);
}

/* ---- control ops ---- */

static int get_addr(const json_t *req, const char *key, struct in6_addr *out)
{
	const char *s = json_string_value(json_object_get(req, key));

	return s && inet_pton(AF_INET6, s, out) == 1 ? 0 : -EINVAL;
}

static void lease_session(struct mn *mn, struct control_req *r, const struct in6_addr *dst,
			  const struct in6_addr *cha, int proto, int fresh)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], a3[INET6_ADDRSTRLEN];
	struct reg_anchor *an;
	struct lease *l = NULL;
	const struct ucred *who = control_req_cred(r);
	uint64_t now = mono_ms();

	if (!fresh)
		l = lease_find_reusable(&mn->leases, ODM_TYPE_SESSION_LASTING, proto, cha,
					who->uid, 1);
	if (l && addr_waits_find(&mn->usable, l)) {
		/* registered, but the kernel does not route its address yet */
		if (lease_add_waiter(l, r) < 0)
			control_reply_error(r, "REQUIREDIPFAILED", "out of memory");
		return;
	}
	if (l && l->state == LEASE_REGISTERED && l->rb &&
	    (l->rb->kind == REG_REFRESH ||
	     now >= l->rb->expires_ms - (uint64_t)l->rb->granted_s * 1000 + MN_CONFIRM_MS)) {
		/* not confirmed lately (or being confirmed): wait for the BA */
		if (lease_add_waiter(l, r) < 0) {
			control_reply_error(r, "REQUIREDIPFAILED", "out of memory");
			return;
		}
		if (l->rb->kind == REG_NONE) {
			log_debug("lease %u: confirming the binding before reuse", l->id);
			reg_refresh(&mn->reg, l->rb, now, 0);
			rearm(mn);
		}
		return;
	}
	if (l && l->state == LEASE_REGISTERED) {
		l->handed_ms = now;
		log_debug("lease %u %s reused for %s", l->id, ntop6(&l->addr, a1), ntop6(dst, a2));
		control_reply(r, lease_json_reply(l));
		return;
	}
	if (l) {
		if (lease_add_waiter(l, r) < 0)
			control_reply_error(r, "REQUIREDIPFAILED", "out of memory");
		return;
	}
	an = reg_anchor_get(&mn->reg, cha, random16());
	if (!an) {
		control_reply_error(r, "REQUIREDIPFAILED", "out of memory");
		return;
	}
	/* the CoA may be stale if no lease used this anchor lately */
	check_anchor(mn, an);
	l = lease_new(&mn->leases, ODM_TYPE_SESSION_LASTING, proto, cha, dst, now);
	if (!l || lease_add_waiter(l, r) < 0 ||
	    !(l->rb = reg_binding_add(&mn->reg, an, l->id, l))) {
		if (l)
			lease_free(&mn->leases, l); /* r is answered below */
		control_reply_error(r, "REQUIREDIPFAILED", "out of memory");
		return;
	}
	l->uid = who->uid;
	l->pid = who->pid;
	log_info("lease %u: asking anchor %s for an address from CoA %s (for %s %s, uid %u pid %d)",
		 l->id, ntop6(cha, a1), an->has_coa ? ntop6(&an->coa, a2) : "none yet",
		 proto_name(proto), ntop6(dst, a3), (unsigned)l->uid, (int)l->pid);
	reg_alloc(&mn->reg, l->rb, now, 0);
	rearm(mn);
}

static void on_lease(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	struct mn *mn = a->mn;
	const char *tname = json_string_value(json_object_get(req, "type"));
	const char *pname = json_string_value(json_object_get(req, "proto"));
	struct in6_addr dst, cha;
	int type = odm_type_from_name(tname);
	int proto = pname && strcmp(pname, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	int has_cha;

	if (!mn || mn->stopping) {
		control_reply_error(r, "REQUIREDIPFAILED", "the mn role is stopping");
		return;
	}
	if (get_addr(req, "dst", &dst) < 0) {
		control_reply_error(r, "EINVAL", "field \"dst\": not an IPv6 address");
		return;
	}
	has_cha = json_object_get(req, "cha") != NULL;
	if (has_cha && get_addr(req, "cha", &cha) < 0) {
		control_reply_error(r, "EINVAL", "field \"cha\": not an IPv6 address");
		return;
	}
	switch (type) {
	case ODM_TYPE_NONE:
	case ODM_TYPE_NON_PERSISTENT:
		control_reply(r, json_pack("{s:b}", "plain", 1));
		return;
	case ODM_TYPE_SESSION_LASTING:
		/* without a CHA the access router anchors it: a later issue */
		if (!has_cha) {
			control_reply(r, json_pack("{s:b}", "plain", 1));
			return;
		}
		lease_session(mn, r, &dst, &cha, proto, json_is_true(json_object_get(req, "fresh")));
		return;
	case ODM_TYPE_FIXED:
	case ODM_TYPE_GRACEFUL_REPLACEMENT:
		control_reply_error(r, "REQUIREDIPNOTSUPPORTED", "type \"%s\" is not offered yet",
				    tname);
		return;
	default:
		control_reply_error(r, "EINVAL", "field \"type\": unknown type \"%s\"",
				    tname ? tname : "");
		return;
	}
}

static void on_release(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	struct mn *mn = a->mn;
	struct in6_addr addr;
	struct lease *l;
	int soon = 0;
	uint64_t now = mono_ms();

	if (!mn || mn->stopping) {
		control_reply(r, json_pack("{s:b}", "released", 0));
		return;
	}
	if (get_addr(req, "addr", &addr) < 0) {
		control_reply_error(r, "EINVAL", "field \"addr\": not an IPv6 address");
		return;
	}
	/* only a hint: the kernel's socket count decides (a crashed or lying
	 * client cannot take an address from under another socket), at the
	 * next tick, brought forward so that a burst of closes shares a count */
	l = lease_by_addr(&mn->leases, &addr);
	if (l && lease_countable(mn, l, now)) {
		soon = 1;
		if (uv_timer_get_due_in(&mn->tick) > MN_HINT_MS)
			uv_timer_start(&mn->tick, on_tick, MN_HINT_MS, MN_TICK_MS);
	}
	/* "released": whether the lease will be looked at within MN_HINT_MS */
	control_reply(r, json_pack("{s:b}", "released", soon));
}

static void on_status(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	struct mn *mn = a->mn;
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], a3[INET6_ADDRSTRLEN];
	json_t *coa, *leases, *bindings, *resp;
	uint64_t now = mono_ms();

	(void)req;
	if (!mn) {
		control_reply_error(r, "ENOSYS", "the mn role is not running");
		return;
	}
	coa = json_object();
	bindings = json_array();
	for (struct reg_anchor *an = mn->reg.anchors; an; an = an->next) {
		if (an->has_coa)
			json_object_set_new(coa, ntop6(&an->addr, a1),
					    json_string(ntop6(&an->coa, a2)));
		for (struct reg_binding *b = an->bindings; b; b = b->next) {
			int64_t left = b->registered && b->expires_ms > now ?
					       (int64_t)(b->expires_ms - now) / 1000 : 0;

			json_array_append_new(
				bindings,
				json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:b, s:I}", "anchor",
					  ntop6(&an->addr, a1), "coa",
					  an->has_coa ? ntop6(&an->coa, a2) : "", "hnp",
					  ntop6(&b->hnp, a3), "bid", (int)b->bid, "seq",
					  (int)b->last_seq, "pending", reg_kind_name(b->kind),
					  "registered", b->registered, "lifetime_left",
					  (json_int_t)left));
		}
	}
	leases = json_array();
	for (struct lease *l = mn->leases.head; l; l = l->next) {
		const struct reg_binding *b = l->rb;
		int64_t left = b && b->registered && b->expires_ms > now ?
				       (int64_t)(b->expires_ms - now) / 1000 : 0;

		json_array_append_new(
			leases,
			json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:i, s:i, s:I, s:I}",
				  "addr", ntop6(&l->addr, a1), "type", odm_type_name(l->type),
				  "anchor", ntop6(&l->anchor, a2), "proto", proto_name(l->proto),
				  "state", lease_state_name(l->state), "sockets",
				  (int)(l->socks.tcp + l->socks.udp), "lifetime_left",
				  (json_int_t)left, "bid", (int)l->id, "seq",
				  b ? (int)b->last_seq : 0, "uid", (json_int_t)l->uid, "pid",
				  (json_int_t)l->pid));
	}
	resp = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:I}", "role", "mn", "nai",
			 mn->reg.cfg.nai, "coa", coa, "tunnel", tunnel_status_json(mn->tun),
			 "leases", leases, "bindings", bindings, "lost_bindings",
			 (json_int_t)mn->lost);
	if (resp)
		json_object_set_new(resp, "registration",
				    json_pack("{s:I, s:I, s:I}", "bu_sent", (json_int_t)mn->reg.bu_sent,
					      "ba_in", (json_int_t)mn->reg.ba_in, "ba_ignored",
					      (json_int_t)mn->reg.ba_ignored));
	if (!resp)
		control_reply_error(r, "ENOMEM", "cannot build the status");
	else
		control_reply(r, resp);
}

/* ---- MH socket and registration glue ---- */

/*
 * A Binding Refresh Request (RFC 6275 §11.7.4), or a Binding Error status 1
 * (§11.3.6: the anchor has no binding for a home address we use), from one
 * of our anchors: refresh its bindings at once. Neither is authenticated,
 * so neither changes anything by itself: the refresh is an authenticated
 * exchange (rate limited per binding), and only its BA decides, e.g. a 133
 * from an anchor that lost its state ends the lease (lease_lost).
 */
static void anchor_asks(struct mn *mn, const uint8_t *buf, size_t len,
			const struct in6_addr *src)
{
	struct reg_anchor *an = reg_anchor_find(&mn->reg, src);
	struct mh_msg m;
	char a1[INET6_ADDRSTRLEN];
	uint64_t now = mono_ms();
	int n = 0;

	if (!an || mh_decode(buf, len, &m, NULL, NULL) < 0) {
		log_debug("MH type %u from %s ignored", buf[2], ntop6(src, a1));
		return;
	}
	if (m.type == MH_TYPE_BE && m.status != MH_BE_UNKNOWN_HAO) {
		log_info("Binding Error status %u from anchor %s", m.status, ntop6(src, a1));
		return;
	}
	for (struct reg_binding *b = an->bindings; b; b = b->next) {
		struct lease *l = b->user;

		if (!l || l->state != LEASE_REGISTERED || b->kind != REG_NONE)
			continue;
		if (m.type == MH_TYPE_BE && !IN6_IS_ADDR_UNSPECIFIED(&m.be_home) &&
		    !IN6_ARE_ADDR_EQUAL(&m.be_home, &b->hnp))
			continue;
		reg_refresh(&mn->reg, b, now, 0);
		n++;
	}
	log_info("%s from anchor %s: refreshing %d binding(s)",
		 m.type == MH_TYPE_BRR ? "Binding Refresh Request" : "Binding Error (no binding)",
		 ntop6(src, a1), n);
}

static void on_mh(void *arg, const uint8_t *buf, size_t len, const struct in6_addr *src,
		  const struct in6_addr *dst)
{
	struct mn *mn = arg;

	if (mn->stopping)
		return;
	if (len >= 4 && (buf[2] == MH_TYPE_BRR || buf[2] == MH_TYPE_BE))
		anchor_asks(mn, buf, len, src);
	else
		reg_input(&mn->reg, buf, len, src, dst, mono_ms());
	rearm(mn);
	save_state(mn);
}

static int reg_send(void *arg, const uint8_t *buf, size_t len, const struct in6_addr *src,
		    const struct in6_addr *dst)
{
	struct mn *mn = arg;

	return mn->mh ? mhsock_send(mn->mh, buf, len, src, dst) : -ENOTCONN;
}

static uint64_t reg_ntp_now(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return mh_ntp_from_timespec(&ts);
}

static const struct reg_ops mn_reg_ops = {
	.send = reg_send,
	.ntp_now = reg_ntp_now,
	.done = on_reg_done,
};

/* ---- restart: leases taken over from the state file (mn_state.h) ---- */

static int adopt_state(struct mn *mn)
{
	struct odm_config *cfg = &mn->a->cfg;
	int rc = statefile_open(&mn->sf, cfg->state_dir, MN_STATE_FILE);

	if (rc < 0) {
		log_err(rc, "state directory %s", cfg->state_dir);
		return rc;
	}
	rc = mnstate_load(&mn->sf, mn->reg.cfg.nai, &mn->leases, &mn->reg);
	if (rc < 0)
		log_err(rc, "taking over %s", mn->sf.path);
	else if (rc > 0)
		log_info("%s: taking over %d lease(s) from the last run", mn->sf.path, rc);
	return rc;
}

static int flush_stale_rules(struct mn *mn)
{
	struct odm_config *cfg = &mn->a->cfg;
	struct in6_addr *keep = calloc(mn->leases.n + 1, sizeof(*keep));
	size_t n = 0;
	int rc;

	if (!keep)
		return -ENOMEM;
	for (struct lease *l = mn->leases.head; l; l = l->next)
		keep[n++] = l->addr;
	rc = netconf_rule_flush_except(mn->nc, cfg->table, cfg->rule_priority, keep, n);
	free(keep);
	return rc;
}

/* Address, tunnel binding, route and rule again for every lease taken
 * over, then a BU for each at once from the current CoA (check_all: the
 * CoA is new to this run, so every binding there is refreshed). */
static void configure_adopted(struct mn *mn)
{
	struct in6_addr none = IN6ADDR_ANY_INIT;
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	struct lease *l, *next;

	for (l = mn->leases.head; l; l = next) {
		next = l->next;
		if (lease_configure(mn, l, &none) < 0) {
			log_warnx("lease %u %s: cannot be configured again, dropped", l->id,
				  ntop6(&l->addr, a1));
			lease_drop(mn, l);
			continue;
		}
		log_info("lease %u %s at %s (uid %u pid %d) taken over, re-registering", l->id,
			 ntop6(&l->addr, a1), ntop6(&l->anchor, a2), (unsigned)l->uid,
			 (int)l->pid);
		hand_out_when_usable(mn, l); /* no waiters yet: only holds reuse back */
	}
	check_all(mn);
}

/* SIGHUP (main.c): the configuration has new keys, lifetimes, timers. */
void mn_reload(struct odm_agent *a)
{
	struct mn *mn = a->mn;
	const struct odm_identity *id = &a->cfg.identities[0];

	if (!mn || a->cfg.n_identities < 1)
		return;
	if (strcmp(id->nai, mn->reg.cfg.nai) != 0)
		log_warnx("identity %s replaces %s: the leases held keep their bindings until "
			  "the anchor refuses them", id->nai, mn->reg.cfg.nai);
	snprintf(mn->reg.cfg.nai, sizeof(mn->reg.cfg.nai), "%s", id->nai);
	mn->reg.cfg.spi = id->spi;
	memcpy(mn->reg.cfg.key, id->key, MH_AUTH_KEY_LEN);
	mn->reg.cfg.lifetime_s = a->cfg.lifetime ? a->cfg.lifetime : 300;
	mn->pol.udp_inactivity_s = a->cfg.udp_inactivity;
	log_info("mn reloaded: %s spi %u, lifetime %us, udp-inactivity %us; %zu lease(s) kept",
		 id->nai, id->spi, mn->reg.cfg.lifetime_s, a->cfg.udp_inactivity, mn->leases.n);
}

/* ---- start and stop ---- */

static void on_timer_closed(uv_handle_t *h)
{
	struct mn *mn = h->data;

	if (--mn->open_timers == 0)
		free(mn);
}

/* Reverse order of mn_start; also undoes a half-done start. */
static void teardown(struct odm_agent *a, struct mn *mn)
{
	struct lease *l;
	unsigned n = 0;

	mn->stopping = 1;
	a->mn = NULL;
	if (mn->open_timers) {
		uv_timer_stop(&mn->tick);
		uv_timer_stop(&mn->regt);
		uv_timer_stop(&mn->usable_t);
	}
	if (mn->mv)
		movement_close(mn->mv);
	mn->mv = NULL;
	/* best effort: one deregistration BU each, then local state goes */
	while ((l = mn->leases.head) != NULL) {
		if (l->state == LEASE_REGISTERED || addr_waits_find(&mn->usable, l))
			n++;
		if (l->n_waiters)
			answer_waiters(l, "REQUIREDIPFAILED", "odmagent is stopping");
		lease_end(mn, l, "agent stopping", 1);
	}
	/* a clean stop deregistered every lease: the file keeps the counters */
	if (mn->started)
		save_state(mn);
	statefile_close(&mn->sf);
	reg_cleanup(&mn->reg);
	lease_table_clear(&mn->leases);
	addr_waits_clear(&mn->usable);
	if (mn->mh) {
		mhsock_close(mn->mh);
		mn->mh = NULL;
	}
	if (mn->tun) {
		tunnel_close(mn->tun);
		mn->tun = NULL;
	}
	mn->nc = NULL;
	if (n)
		log_info("mn stopped: %u leases deregistered", n);
	if (mn->open_timers) {
		uv_close((uv_handle_t *)&mn->tick, on_timer_closed);
		uv_close((uv_handle_t *)&mn->regt, on_timer_closed);
		uv_close((uv_handle_t *)&mn->usable_t, on_timer_closed);
	} else {
		free(mn);
	}
}

int mn_start(struct odm_agent *a)
{
	struct odm_config *cfg = &a->cfg;
	struct reg_config rc_cfg;
	struct mn *mn;
	int rc;

	if (cfg->n_identities < 1) {
		log_err(0, "role mn needs an identity (NAI, SPI, key)");
		return -EINVAL;
	}
	mn = calloc(1, sizeof(*mn));
	if (!mn)
		return -ENOMEM;
	mn->a = a;
	addr_waits_init(&mn->usable);
	a->mn = mn;

	memset(&rc_cfg, 0, sizeof(rc_cfg));
	snprintf(rc_cfg.nai, sizeof(rc_cfg.nai), "%s", cfg->identities[0].nai);
	rc_cfg.spi = cfg->identities[0].spi;
	memcpy(rc_cfg.key, cfg->identities[0].key, MH_AUTH_KEY_LEN);
	rc_cfg.lifetime_s = cfg->lifetime ? cfg->lifetime : 300;
	rc_cfg.alloc_timeout_ms = MN_ALLOC_TIMEOUT_MS;
	rc_cfg.dereg_tries = MN_DEREG_TRIES;
	reg_init(&mn->reg, &rc_cfg, &mn_reg_ops, mn);
	lease_table_init(&mn->leases, random16());
	mn->pol.grace_ms = MN_GRACE_MS;
	mn->pol.udp_inactivity_s = cfg->udp_inactivity;

	mn->nc = a->nc; /* main.c opened it before starting the role */
	rc = adopt_state(mn);
	if (rc < 0)
		goto fail;
	/* A killed agent's tunnel device, its addresses and the table's routes
	 * die with it; its from-rules do not. They are ours by table and
	 * priority: those of the leases taken over stay (their sockets' packets
	 * keep their path), the others go. */
	rc = flush_stale_rules(mn);
	if (rc > 0)
		log_info("removed %d rule(s) to table %u left by an earlier run", rc,
			 cfg->table);
	else if (rc < 0)
		log_warn(rc, "looking for rules left by an earlier run");
	rc = tunnel_open(&mn->tun, a->loop, cfg->tunnel_backend, ODM_TUNNEL_HOST,
			 cfg->tunnel_ifname);
	if (rc < 0)
		goto fail;
	mn->tun->route_table = cfg->table;
	rc = mhsock_open(&mn->mh, a->loop, on_mh, mn);
	if (rc < 0) {
		log_err(rc, "MH socket");
		goto fail;
	}
	rc = movement_open(&mn->mv, a->loop, mn->tun->ifindex, on_move, mn);
	if (rc < 0) {
		log_err(rc, "netlink monitor");
		goto fail;
	}
	uv_timer_init(a->loop, &mn->tick);
	uv_timer_init(a->loop, &mn->regt);
	uv_timer_init(a->loop, &mn->usable_t);
	mn->tick.data = mn->regt.data = mn->usable_t.data = mn;
	mn->open_timers = 3;
	uv_timer_start(&mn->tick, on_tick, MN_TICK_MS, MN_TICK_MS);

	if ((rc = control_register(a, "lease", on_lease)) < 0 ||
	    (rc = control_register(a, "release", on_release)) < 0 ||
	    (rc = control_register(a, "status", on_status)) < 0) {
		log_err(rc, "registering the control ops");
		goto fail;
	}
	configure_adopted(mn);
	rc = movement_addrs(mn->mv, mn->host_addrs, VANISHED_MAX);
	mn->n_host_addrs = rc < 0 ? 0 : (size_t)rc;
	mn->started = 1;
	save_state(mn);
	log_info("mn %s (spi %u): tunnel %s on %s, table %u, rule priority %u, lifetime %us, "
		 "udp-inactivity %us",
		 rc_cfg.nai, rc_cfg.spi, tunnel_backend_name(mn->tun), mn->tun->ifname,
		 cfg->table, cfg->rule_priority, rc_cfg.lifetime_s, cfg->udp_inactivity);
	return 0;
fail:
	teardown(a, mn);
	return rc;
}

void mn_stop(struct odm_agent *a)
{
	if (!a->mn)
		return;
	log_info("mn stopping, %zu leases", a->mn->leases.n);
	teardown(a, a->mn);
}
