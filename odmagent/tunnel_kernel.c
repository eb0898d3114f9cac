/* SPDX-License-Identifier: MIT */
/*
 * tunnel_kernel.c — the "kernel" tunnel backend: the kernel encapsulates
 * and decapsulates (seg6 lightweight tunnels, tunnel_lwt.h), nftables keeps
 * the endpoint checks and counts (tunnel_nft.h); no packet passes through
 * the agent.
 *
 * Per binding of an anchored address ("inner") to (local, remote):
 *   ANCHOR side: route inner/128 in the main table, encapsulated from local
 *     to remote (the CoA); a move replaces that route.
 *   HOST side: route ::/0 from inner/128 (a source route in the table the
 *     host's rule for inner leads to, t->route_table), encapsulated from
 *     local (the CoA) to remote (the anchor); a move replaces it.
 *   Both: local/128 in the backend's own table decapsulates (host: End.DT6
 *     in the local table, as End.DX6 cannot deliver to a local address;
 *     anchor: End.DX6, forwarded by the routing tables), reached by a rule
 *     "to local ipproto 41" before the local table's rule.
 * The device is a persistent TUN device nobody reads: it only carries the
 * addresses and names the routes, and it, its routes and the nftables table
 * outlive the agent, so a killed agent does not stop the traffic, and a
 * restarted one takes it all over (every call here is idempotent). A
 * restarted anchor notes what the earlier run left (routes, nftables
 * elements), binds what it restores over it (each a replace, so no packet
 * of a restored binding is dropped), and then (settle) removes what no
 * restored binding explains (tunnel_adopt.h). A clean close removes the
 * device (and with it every route naming it), the rules and the nftables
 * table.
 *
 * The anchor's replay after a move (replay.h): the packets never reach the
 * agent, so a capture on the anchor's side of the tunnel keeps a bounded
 * copy of those it can send again (replaycap.h).
 */
#include "tunnel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "monotime.h"
#include "netconf.h"
#include "replaycap.h"
#include "tunnel_adopt.h"
#include "tunnel_dev.h"
#include "tunnel_guard.h"
#include "tunnel_lwt.h"
#include "tunnel_nft.h"
#include "tunnel_table.h"

#define PATH_MTU 1500
#define RT_MAIN 254
#define RT_LOCAL 255
/* The backend's decapsulation table: this base plus a hash of the device's
 * name (not its index: a restarted anchor makes its device anew). */
#define DECAP_TABLE_BASE 0x4f440000u
/* The table kp_probe tries its routes in: past every decapsulation table. */
#define TRIAL_TABLE (DECAP_TABLE_BASE + 0x10000u)
/* Counters read from nftables at most this often (ms); on the host side
 * also this often by a timer, so the last-traffic times a lease's
 * inactivity is judged by (lease.h) are this precise; on the anchor side
 * the unbound packets are looked for this often. */
#define READ_EVERY_MS 100

struct kp {
	struct odm_tunnel *t;
	struct nl_sock *sk;
	struct tunnel_nft *nft;
	struct tunnel_table tt;
	uint32_t decap_table;
	int local_rule_moved; /* the rule to the local table is at LWT_LOCAL_PRIO */
	uint64_t read_ms;
	struct odm_tunnel_stats total;
	uv_timer_t timer; /* host side: counters read every READ_EVERY_MS */
	int timer_on;
	struct replaycap *cap; /* anchor side; NULL: moves replay nothing */
	/* anchor side: what an earlier run left, until settled */
	int adopting;
	struct adopt_found *found;
	size_t n_found, cap_found;
};

static void refresh(struct kp *p);

/* Host side: the counters (last-traffic times); anchor side: the packets
 * for bindings it does not have, each reported to t->unbound (the anchor
 * answers with a Binding Error, rate-limited there). */
static void on_timer(uv_timer_t *h)
{
	struct kp *p = h->data;
	struct odm_tunnel *t = p->t;

	if (t->side == ODM_TUNNEL_HOST)
		refresh(p);
	else if (t->unbound)
		(void)tunnel_nft_take_unbound(p->nft, t->unbound, t->unbound_arg);
}

/* Whether this kernel takes the routes side's bindings are made of
 * (lwt_probe: a kernel with seg6 but without its lightweight tunnels has
 * the sysctl kp_probe looks for and refuses them all), tried out of lo in
 * a table of their own; 0 or -errno (logged, and why). Only the kernel's
 * refusals count: a passing failure (ENOBUFS, ENOMEM) is logged and let
 * through, as every bind would say so if it lasted. */
static int trial_routes(enum odm_tunnel_side side, int level, char *why, size_t len)
{
	struct nl_sock *sk = nl_socket_alloc();
	const char *what = "";
	int rc, lo = (int)if_nametoindex("lo");

	if (!sk)
		return -ENOMEM;
	rc = netconf_nl2errno(nl_connect(sk, NETLINK_ROUTE));
	if (rc == 0)
		rc = lwt_probe(sk, TRIAL_TABLE, lo, side == ODM_TUNNEL_HOST ? RT_LOCAL : 0, &what);
	nl_socket_free(sk);
	if (rc == -EOPNOTSUPP) {
		odm_log_at(level, rc, "kernel backend: this kernel does not take a route with %s "
			 "(seg6 lightweight tunnels, CONFIG_IPV6_SEG6_LWTUNNEL)", what);
		snprintf(why, len, "no seg6 lightweight tunnels in this kernel");
	} else if (rc == -EINVAL || rc == -EAFNOSUPPORT || rc == -EPROTONOSUPPORT) {
		odm_log_at(level, rc, "kernel backend: the kernel refused a trial route with %s", what);
		snprintf(why, len, "a trial seg6 route refused: %s", strerror(-rc));
	} else if (rc < 0) {
		log_warn(rc, "kernel backend: a trial route with %s failed; going on (a bind will "
			 "say so if it lasts)", what);
		rc = 0;
	}
	return rc;
}

static int kp_probe(enum odm_tunnel_side side, int level, char *why, size_t len)
{
	int rc;

	if (access("/proc/sys/net/ipv6/seg6_flowlabel", F_OK) != 0) {
		rc = -errno;
		odm_log_at(level, rc, "kernel backend: no seg6 lightweight tunnels in this kernel");
		return rc;
	}
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		rc = -errno;
		odm_log_at(level, rc, "kernel backend: /dev/net/tun");
		return rc;
	}
	rc = tunnel_nft_probe();
	if (rc < 0) {
		odm_log_at(level, rc, "kernel backend: nftables (needs CAP_NET_ADMIN)");
		return rc;
	}
	return trial_routes(side, level, why, len);
}

static uint32_t decap_table(const char *ifname)
{
	uint32_t h = 2166136261u; /* FNV-1a, folded to 16 bits */

	for (const char *c = ifname; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	return DECAP_TABLE_BASE + ((h ^ (h >> 16)) & 0xffff);
}

static void on_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

static void kp_free(struct kp *p)
{
	replaycap_close(p->cap);
	p->cap = NULL;
	tunnel_nft_close(p->nft);
	p->nft = NULL;
	if (p->sk) {
		(void)lwt_decap_rule_flush(p->sk, p->decap_table);
		(void)lwt_move_local_rule(p->sk, 1);
		nl_socket_free(p->sk);
	}
	p->sk = NULL;
	tunnel_table_free(&p->tt);
	free(p->found);
	p->found = NULL;
	if (p->timer_on)
		uv_close((uv_handle_t *)&p->timer, on_timer_closed); /* frees p */
	else
		free(p);
}

static void found_add(void *arg, const struct adopt_found *f)
{
	struct kp *p = arg;

	if (p->n_found == p->cap_found) {
		size_t cap = p->cap_found ? 2 * p->cap_found : 64;
		struct adopt_found *v = realloc(p->found, cap * sizeof *v);

		if (!v) {
			p->adopting = 0; /* nothing is removed on a partial list */
			return;
		}
		p->found = v;
		p->cap_found = cap;
	}
	p->found[p->n_found++] = *f;
}

static void found_route(void *arg, const struct in6_addr *dst, const struct in6_addr *tunsrc,
			const struct in6_addr *remote)
{
	struct adopt_found f = { .kind = ADOPT_ROUTE, .inner = *dst, .local = *tunsrc,
				 .remote = *remote };

	found_add(arg, &f);
}

/* Anchor restarted over the data path of an earlier run: what it left */
static void note_found(struct kp *p)
{
	int rc = lwt_encap_list(p->sk, RT_MAIN, p->t->ifindex, found_route, p);

	if (rc == 0)
		rc = tunnel_nft_found(p->nft, found_add, p);
	if (rc < 0 || !p->adopting) {
		log_warn(rc < 0 ? rc : -ENOMEM, "kernel backend: the earlier run's routes and "
			 "elements are kept as they are");
		p->adopting = 0;
		return;
	}
	log_info("kernel backend: adopting %zu routes and elements of an earlier run on %s",
		 p->n_found, p->t->ifname);
}

static int kp_open(struct odm_tunnel *t)
{
	struct kp *p = calloc(1, sizeof *p);
	int rc;

	if (!p)
		return -ENOMEM;
	p->t = t;
	rc = tunnel_table_init(&p->tt);
	if (rc < 0)
		goto fail;
	/* A host takes its data path over as it is; an anchor too, and
	 * settles it once it restored its bindings (kp_settle). */
	p->adopting = t->side == ODM_TUNNEL_ANCHOR && if_nametoindex(t->ifname) > 0;
	rc = tunnel_dev_persistent(t, PATH_MTU - TUNNEL_IP6IP6_OVERHEAD);
	if (rc < 0)
		goto fail_dev;
	p->decap_table = decap_table(t->ifname);
	p->sk = nl_socket_alloc();
	if (!p->sk) {
		rc = -ENOMEM;
		goto fail_dev;
	}
	rc = netconf_nl2errno(nl_connect(p->sk, NETLINK_ROUTE));
	if (rc < 0) {
		nl_socket_free(p->sk);
		p->sk = NULL;
		goto fail_dev;
	}
	if (t->side == ODM_TUNNEL_ANCHOR && !p->adopting) {
		(void)lwt_decap_rule_flush(p->sk, p->decap_table);
		(void)lwt_move_local_rule(p->sk, 1);
	}
	rc = tunnel_nft_open(&p->nft, t->ifname, t->side,
			     t->side == ODM_TUNNEL_ANCHOR && !p->adopting);
	if (rc < 0)
		goto fail_dev;
	if (p->adopting)
		note_found(p);
	if (uv_timer_init(t->loop, &p->timer) == 0) {
		p->timer.data = p;
		p->timer_on = 1;
		uv_timer_start(&p->timer, on_timer, READ_EVERY_MS, READ_EVERY_MS);
	}
	/* last: its absence only costs the replay after a move */
	if (t->side == ODM_TUNNEL_ANCHOR && (rc = replaycap_open(&p->cap, t->loop, tunnel_table_replayed, &p->tt)) < 0)
		log_warn(rc, "kernel backend: no capture of tunnelled packets, moves will not replay");
	t->priv = p;
	return 0;
fail_dev:
	tunnel_dev_drop(t);
fail:
	kp_free(p);
	return rc;
}

static void kp_close(struct odm_tunnel *t)
{
	struct kp *p = t->priv;

	if (!p)
		return;
	t->priv = NULL;
	if (p->timer_on)
		uv_timer_stop(&p->timer);
	tunnel_dev_drop(t); /* every route naming it goes with it */
	kp_free(p);
}

static int encap(struct kp *p, const struct tunnel_entry *e)
{
	const struct odm_tunnel *t = p->t;

	if (t->side == ODM_TUNNEL_ANCHOR)
		return lwt_encap_replace(p->sk, &e->inner, 128, NULL, 0, RT_MAIN, t->ifindex,
					 &e->local, &e->remote);
	return lwt_encap_replace(p->sk, &in6addr_any, 0, &e->inner, 128,
				 t->route_table ? t->route_table : RT_MAIN, t->ifindex, &e->local,
				 &e->remote);
}

/* Decapsulate at local; the first one moves the rule to the local table
 * behind the decapsulation rules (tunnel_lwt.h). */
static int decap_on(struct kp *p, const struct in6_addr *local)
{
	uint32_t lookup = p->t->side == ODM_TUNNEL_HOST ? RT_LOCAL : 0;
	int rc;

	if (!p->local_rule_moved) {
		rc = lwt_move_local_rule(p->sk, 0);
		if (rc < 0) {
			log_warn(rc, "moving the rule to the local table to priority %d",
				 LWT_LOCAL_PRIO);
			return rc;
		}
		p->local_rule_moved = 1;
	}
	rc = lwt_decap_replace(p->sk, local, p->decap_table, p->t->ifindex, lookup);
	if (rc == 0)
		rc = lwt_decap_rule_add(p->sk, local, p->decap_table);
	/* the anchor's capture copies what leaves from here on */
	if (rc == 0 && p->cap && (rc = replaycap_source(p->cap, local)) < 0) {
		log_warn(rc, "capture filter: moves will not replay");
		rc = 0;
	}
	return rc;
}

/* Stop decapsulating at local; with no binding left (last), the rule to
 * the local table goes back to priority 0. */
static void decap_off(struct kp *p, const struct in6_addr *local, int last)
{
	(void)lwt_decap_rule_del(p->sk, local, p->decap_table);
	(void)lwt_route_del(p->sk, local, 128, NULL, 0, p->decap_table, p->t->ifindex);
	if (last && p->cap)
		(void)replaycap_source(p->cap, NULL);
	if (last && p->local_rule_moved && lwt_move_local_rule(p->sk, 1) == 0)
		p->local_rule_moved = 0;
}

static int encap_del(struct kp *p, const struct in6_addr *inner)
{
	const struct odm_tunnel *t = p->t;

	if (t->side == ODM_TUNNEL_ANCHOR)
		return lwt_route_del(p->sk, inner, 128, NULL, 0, RT_MAIN, t->ifindex);
	return lwt_route_del(p->sk, &in6addr_any, 0, inner, 128,
			     t->route_table ? t->route_table : RT_MAIN, t->ifindex);
}

/*
 * New binding or move: what comes back to the new local endpoint is
 * accepted first (decapsulation, nftables), then the encapsulation route
 * is replaced (packets leave the new way from the next one on), then what
 * only the old binding needed goes.
 */
static int kp_bind(struct odm_tunnel *t, const struct in6_addr *inner,
		   const struct in6_addr *local, const struct in6_addr *remote)
{
	struct kp *p = t->priv;
	struct tunnel_entry *e, old, now;
	int had, rc, local_moved, drop_old_local = 0;

	if (!p || !inner || !local || !remote)
		return -EINVAL;
	if (tunnel_table_loops(&p->tt, t, inner, local, remote))
		return -ELOOP;
	replaycap_bind_began(p->cap, inner, mono_ms());
	e = tunnel_table_find(&p->tt, inner);
	had = e != NULL;
	if (had)
		old = *e;
	memset(&now, 0, sizeof now);
	now.inner = *inner;
	now.local = *local;
	now.remote = *remote;
	local_moved = !had || memcmp(&old.local, local, sizeof *local) != 0;
	/* a refresh: the kernel has this binding as it is (this run put it
	 * there, or settled on it), and its elements do not age; every route
	 * replace and nftables transaction here would cost a refresh about
	 * 100 us of the anchor's one core, for nothing */
	if (had && !local_moved && memcmp(&old.remote, remote, sizeof *remote) == 0)
		return 0;
	/* the anchor's one local endpoint is set up with its first binding;
	 * a host taking a lease over binds it before it knows its CoA (::) */
	if (local_moved && !IN6_IS_ADDR_UNSPECIFIED(local) &&
	    (t->side == ODM_TUNNEL_HOST || p->tt.count == 0) &&
	    (rc = decap_on(p, local)) < 0) {
		log_warn(rc, "seg6 decapsulation route and rule");
		return rc;
	}
	if ((rc = tunnel_nft_bind(p->nft, &now)) < 0)
		return rc;
	if ((rc = encap(p, &now)) < 0) {
		log_warn(rc, "seg6 encapsulation route");
		if (!had || local_moved || memcmp(&old.remote, remote, sizeof *remote) != 0)
			tunnel_nft_unbind(p->nft, &now, !had,
					  tunnel_table_count_local(&p->tt, local) == 0);
		return rc;
	}
	if (!had && !(e = tunnel_table_add(&p->tt, inner))) {
		(void)encap_del(p, inner);
		tunnel_nft_unbind(p->nft, &now, 1, 0);
		return -ENOMEM;
	}
	if (had && (local_moved || memcmp(&old.remote, remote, sizeof *remote) != 0)) {
		drop_old_local = local_moved && tunnel_table_count_local(&p->tt, &old.local) == 1;
		tunnel_nft_unbind(p->nft, &old, 0, drop_old_local);
		if (drop_old_local)
			decap_off(p, &old.local, 0);
	}
	e->local = *local;
	e->remote = *remote;
	return 0;
}

static int kp_unbind(struct odm_tunnel *t, const struct in6_addr *inner)
{
	struct kp *p = t->priv;
	struct tunnel_entry *e, old;
	int last;

	if (!p || !inner)
		return -EINVAL;
	e = tunnel_table_find(&p->tt, inner);
	if (!e)
		return -ENOENT;
	old = *e;
	replaycap_forget(p->cap, inner);
	/* the anchor's one local endpoint goes with its last binding */
	last = p->tt.count == 1 ||
	       (t->side == ODM_TUNNEL_HOST && tunnel_table_count_local(&p->tt, &old.local) == 1);
	(void)encap_del(p, inner);
	tunnel_nft_unbind(p->nft, &old, 1, last);
	if (last)
		decap_off(p, &old.local, p->tt.count == 1);
	return tunnel_table_del(&p->tt, inner);
}

static void refresh(struct kp *p)
{
	uint64_t now = mono_ms();
	struct odm_tunnel_stats sum;

	if (p->read_ms && now - p->read_ms < READ_EVERY_MS)
		return;
	p->read_ms = now;
	memset(&sum, 0, sizeof sum);
	if (tunnel_nft_read(p->nft, &p->tt, &sum, now) < 0)
		return;
	tunnel_table_sum(&p->tt, &sum);
	p->total = sum;
}

static int kp_stats(struct odm_tunnel *t, const struct in6_addr *inner,
		    struct odm_tunnel_stats *st)
{
	struct kp *p = t->priv;

	if (!p || !st)
		return -EINVAL;
	refresh(p);
	return tunnel_table_stats(&p->tt, &p->total, inner, st);
}

/*
 * Anchor side: inner has just moved (its route already goes to the new
 * care-of address): what the capture kept of its outage goes there again.
 * The host's "lost N ms ago" is counted back from when the move's bind
 * began: the bind's netlink and nftables work takes tens of ms on a busy
 * host, and counting from after it would cut the outage's start off.
 * The replay follows within REPLAYCAP_TOV_MS, so this returns 0.
 */
/* last_tag is not looked for: the capture keeps only the heads of
 * super-packets, which no host receives as such (replaycap.h) */
static size_t kp_moved(struct odm_tunnel *t, const struct in6_addr *inner, int has_lost,
		       uint32_t lost_ago_ms, uint32_t last_tag, int same)
{
	struct kp *p = t->priv;
	struct tunnel_entry *e = p ? tunnel_table_find(&p->tt, inner) : NULL;

	(void)last_tag;
	if (!e)
		return 0;
	replaycap_binding_moved(p->cap, e, has_lost, lost_ago_ms, same);
	return 0;
}

/* An entry of the table with these endpoints, for the nftables calls */
static struct tunnel_entry entry_of(const struct adopt_action *a)
{
	struct tunnel_entry e;

	memset(&e, 0, sizeof e);
	e.inner = a->inner;
	e.local = a->local;
	e.remote = a->remote;
	return e;
}

/*
 * The bindings are restored: what of the earlier run's state no restored
 * binding explains goes (its routes, its nftables elements, a local
 * endpoint none uses); an element of a binding that moved goes too (the
 * bind replaced the route and added the new one).
 */
static void kp_settle(struct odm_tunnel *t)
{
	struct kp *p = t->priv;
	size_t n, counts[3] = { 0, 0, 0 };
	struct adopt_action *plan;

	if (!p || !p->adopting)
		return;
	p->adopting = 0;
	n = tunnel_adopt_plan(p->found, p->n_found, &p->tt, NULL, 0);
	plan = n ? calloc(n, sizeof *plan) : NULL;
	if (n && !plan) {
		log_warn(-ENOMEM, "kernel backend: the earlier run's state is kept");
		return;
	}
	n = tunnel_adopt_plan(p->found, p->n_found, &p->tt, plan, n);
	for (size_t i = 0; i < n; i++) {
		const struct adopt_action *a = &plan[i];
		struct tunnel_entry e = entry_of(a);

		counts[a->op]++;
		if (a->op == ADOPT_ADD)
			continue; /* its bind put it there */
		if (a->kind == ADOPT_ROUTE && a->op == ADOPT_DEL)
			(void)encap_del(p, &a->inner);
		else if (a->kind == ADOPT_ELEM)
			tunnel_nft_unbind(p->nft, &e, a->op == ADOPT_DEL, 0);
		else if (a->kind == ADOPT_LOCAL) {
			tunnel_nft_unbind(p->nft, &e, 0, 1);
			decap_off(p, &a->local, p->tt.count == 0);
		}
	}
	/* nothing restored: no decapsulation at all, as after a clean stop */
	if (p->tt.count == 0) {
		(void)lwt_decap_rule_flush(p->sk, p->decap_table);
		(void)lwt_move_local_rule(p->sk, 1);
		p->local_rule_moved = 0;
	}
	free(plan);
	free(p->found);
	p->found = NULL;
	p->n_found = p->cap_found = 0;
	log_info("kernel backend: settled on %s: %zu bindings added, %zu moved, "
		 "%zu routes and elements of no restored binding removed",
		 t->ifname, counts[ADOPT_ADD], counts[ADOPT_REPLACE], counts[ADOPT_DEL]);
}

static void kp_guard(struct odm_tunnel *t)
{
	struct kp *p = t->priv;

	if (p && tunnel_nft_guard(p->nft, &t->guard, t->guard_plen) < 0)
		log_warnx("nftables: the guarded prefix is not in place");
}

const struct odm_tunnel_ops tunnel_kernel_ops = {
	.name = "kernel",
	.probe = kp_probe,
	.open = kp_open,
	.close = kp_close,
	.bind = kp_bind,
	.unbind = kp_unbind,
	.stats = kp_stats,
	.moved = kp_moved,
	.guard = kp_guard,
	.settle = kp_settle,
};
