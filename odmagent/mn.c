/* SPDX-License-Identifier: MIT */
/*
 * mn.c — the mobile-node role's I/O: the timers, the sockets (MH, control
 * ops "lease", "release", "status"), netlink (movement, addresses, routes,
 * the rule) and the tunnel, as the ops of the host engine (hostengine.h),
 * which makes every decision. Each engine call is followed by one rearm of
 * the timers the engine's state asks for.
 *
 * A new address is handed out only once the kernel routes it as local:
 * asked again at each netlink event (the kernel announces the local route
 * it adds when the address leaves the tentative state) and from a 1 ms
 * timer, for at most 500 ms (addr_usable.h), never by sleeping on the loop.
 *
 * Release bound: a lease whose last socket has gone ends at the latest one
 * tick (MN_TICK_MS) after the later of the socket's close and the grace
 * period (HE_GRACE_MS) after the address was last handed out, i.e. within
 * 1 s of the close, and never later than 4 s after the last hand-out. A
 * "release" hint from the shim brings the next tick forward to MN_HINT_MS,
 * so the hints of many closes share one count. Each tick counts the
 * sockets of every lease with one sock_diag dump per protocol.
 * Idle UDP leases end within udp-inactivity + 1 s of their last packet.
 *
 * Fixed: the home anchor homefind chose (looked at every tick) is told to
 * the engine, which holds the Fixed address there (fixedaddr.h); with
 * dns-publish fixed that address, once registered, is the host's AAAA.
 *
 * Restart: the registered leases and the per-anchor counters are saved
 * (mn_state.c) and taken over by the next run, which configures them again
 * and re-registers each at once. A change is saved MN_SAVE_MS after it,
 * with the changes that follow, and not while a request waits for an
 * address (at most MN_SAVE_MAX_MS late): replacing a file costs the loop
 * 0.3 to several ms (ext4 writes the new file's data out at the rename),
 * which must not sit between a BA and the answer it brings. A kill -9 can
 * thus lose the last MN_SAVE_MAX_MS of changes: the next run then lacks a
 * lease made in that window. A save that fails is tried again
 * MN_SAVE_RETRY_MS later (or with the next change, if sooner), and at once when the
 * state-dir is made again under the agent (mn_state_dir_made). Each
 * allocation is journaled before its BU leaves (mn_journal.h, one
 * write), so the next run deregisters its
 * binding at the anchor rather than leave it to expire, and it ends the
 * TCP sockets on its address (found in the journal, or by the route it
 * left in the table where the device outlived it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "addr_usable.h"
#include "addrscope.h"
#include "agent.h"
#include "addrsig.h"
#include "chasilent.h"
#include "chasilent_agent.h"
#include "movegap_agent.h"
#include "control.h"
#include "devwatch.h"
#include "dnspub.h"
#include "homefind.h"
#include "hostengine.h"
#include "log.h"
#include "mh.h"
#include "mhsock.h"
#include "mn_journal.h"
#include "mn_state.h"
#include "monotime.h"
#include "movement.h"
#include "movepace.h"
#include "netconf.h"
#include "routemsg.h"
#include "rulemsg.h"
#include "addrtext.h"
#include "icmpwatch.h"
#include "linkprep_agent.h"
#include "odm.h"
#include "policy_agent.h"
#include "sockdiag.h"
#include "tunnel.h"
#include "tunnel_mtu.h"
#include "ptbrelay.h"
#include "ratelimit.h"

#define MN_TICK_MS 1000          /* lease usage check period */
#define MN_HINT_MS 100           /* a release hint: tick this soon, at the latest */
#define MN_SAVE_MS 20            /* a change is saved this long after it */
#define MN_SAVE_RETRY_MS 1000    /* a save that failed is tried again */
#define MN_ANNOUNCED_MAX 16      /* access addresses announced to their link */
#define MN_SAVE_MAX_MS 200       /* ... or later while requests wait, up to this */

struct mn {
	struct odm_agent *a;
	uint64_t addrs_sig; /* the host's access addresses at the last move (addrsig.h) */
	struct netconf *nc;
	struct odm_tunnel *tun;
	struct mhsock *mh;
	struct movement *mv;
	struct linkprep_agent *lp; /* optimistic DAD, RS on link-up (linkprep.h) */
	struct devwatch *devw;     /* the tunnel device deleted or set down under us (devwatch.h) */
	struct hostengine e;
	uv_timer_t tick, regt;
	uv_timer_t usable_t;   /* asks the kernel again about addresses not usable yet */
	uv_timer_t save_t;     /* the state file's next save (MN_SAVE_MS) */
	struct announced {
		struct in6_addr addr;
		int router_told; /* its router solicited from it, or never to be */
	} announced[MN_ANNOUNCED_MAX]; /* access addresses already announced */
	size_t n_announced;
	int open_timers;       /* handles to close before mn is freed */
	struct statefile sf;   /* leases and counters across restarts (mn_state.h) */
	struct mnjournal jr;   /* allocations not saved in sf yet (mn_journal.h) */
	uint64_t dirty_ms;     /* the first change not saved yet (save_t runs) */
	bool save_retry;       /* save_t is the retry of a failed save */
	int started;           /* mn_start completed: stopping may rewrite the state */
	struct dnspub *dns;    /* dns-publish current|fixed: the host's AAAA record */
	struct homefind *home; /* the home anchor: configured or discovered */
	struct icmpwatch *icmp; /* ICMPv6 errors and Packets Too Big about packets to anchors */
	int path_cap;            /* the least MTU a Packet Too Big gave for the
				  * path from path_coa (0: none) */
	struct in6_addr path_coa;
	struct in6_addr path_anchor; /* the anchor that path led to */
	uint64_t path_cap_ms;    /* when path_cap was learnt (tunnel_pmtu_aged) */
	struct in6_addr bound_coa, bound_anchor; /* the last binding's: the device
						  * fits their link (link_follow) */
	int bound;               /* bound_coa is set */
	uint64_t own_cha_told_ms; /* the last lease request refused for a cha of
				   * this host's, logged then */
	int leave_told;          /* the leases' packets leave elsewhere: said once */
};

/* at most one log line per this long about cha answers naming this host */
#define MN_OWN_CHA_GAP_MS 1000

static uint16_t random16(void)
{
	uint16_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = (uint16_t)(mono_ms() ^ (uint64_t)getpid());
	return v;
}

/* ---- timers ---- */

static void on_regt(uv_timer_t *t);
static void on_usable_poll(uv_timer_t *t);

/* dns-publish fixed: the Fixed address, once registered (dnspub does
 * nothing when it is already the published one) */
static void publish_fixed(struct mn *mn)
{
	const struct in6_addr *fixed;

	/* after every engine call: the Fixed lease is looked for only here */
	if (!mn->dns || mn->a->cfg.dns_publish != DNS_PUBLISH_FIXED)
		return;
	if ((fixed = he_fixed_addr(&mn->e)))
		dnspub_publish(mn->dns, fixed);
}

/* After every engine call: one timer follows the earliest deadline of the
 * Binding Update List, another polls while an address is not usable. */
static void rearm(struct mn *mn)
{
	uint64_t d, now;

	if (mn->e.stopping || !mn->open_timers)
		return;
	publish_fixed(mn);
	d = he_reg_deadline(&mn->e);
	if (!d) {
		uv_timer_stop(&mn->regt);
	} else {
		now = mono_ms();
		uv_timer_start(&mn->regt, on_regt, d > now ? d - now : 0, 0);
	}
	if (!he_usable_pending(&mn->e))
		uv_timer_stop(&mn->usable_t);
	else if (!uv_is_active((uv_handle_t *)&mn->usable_t))
		uv_timer_start(&mn->usable_t, on_usable_poll, ADDR_USABLE_POLL_MS,
			       ADDR_USABLE_POLL_MS);
}

static void follow_home(struct mn *mn);

static void on_regt(uv_timer_t *t)
{
	struct mn *mn = t->data;
	unsigned holds = mn->e.holds_begun;

	/* the BAs that came in time first: a binding whose refresh was
	 * answered just before its end, read late, ended as expired (its
	 * connections aborted) while the anchor held it */
	mhsock_read_now(mn->mh);
	he_reg_timers(&mn->e, mono_ms());
	/* an allocation that timed out put its anchor on hold: when that is
	 * the home anchor, the choice passes over it now, not at the tick
	 * (asked only then: this timer runs for every retransmission) */
	if (mn->e.holds_begun != holds)
		follow_home(mn);
	rearm(mn);
}

static void on_usable_poll(uv_timer_t *t)
{
	struct mn *mn = t->data;

	he_usable_poll(&mn->e, mono_ms());
	rearm(mn);
}

/* Any netlink event may be the local route of an address a lease waits
 * for: ask the kernel again now rather than at the next poll. */
static void on_netlink(void *arg)
{
	struct mn *mn = arg;

	if (!he_usable_pending(&mn->e))
		return;
	he_usable_poll(&mn->e, mono_ms());
	rearm(mn);
}

/* Our rule to the table (every source) deleted by someone else
 * (hostengine.h); our own deletions are told with our netlink port and
 * left alone */
static void on_rule(void *arg, const struct rulemsg *r, uint32_t sender)
{
	struct mn *mn = arg;

	if (r->deleted && r->src_len == 0 && r->table == mn->a->cfg.table &&
	    r->priority == mn->a->cfg.rule_priority && sender != netconf_portid(mn->nc))
		he_rule_gone(&mn->e, mono_ms());
}

/* The tunnel device neither deleted nor set down, as far as the link
 * events sent so far and the device itself say: a deletion of an address
 * or route on it was not the kernel's, with the device (devwatch.h starts
 * the agent again for those) */
static int device_intact(struct mn *mn)
{
	return devwatch_intact(mn->devw, mn->tun->ifname, mn->tun->ifindex);
}

/* A lease's route in our table (movement_watch_source_routes: the table is
 * checked there) deleted by someone else (hostengine.h): the one into the
 * tunnel (netconf.h), not a kernel backend's encapsulation route. Not our
 * own deletion, and not the kernel's with the device itself or as it was
 * set down: devwatch.h starts the agent again for those. */
static void on_route_gone(void *arg, const struct routemsg *r, uint32_t sender)
{
	struct mn *mn = arg;

	if (r->metric == NETCONF_LEASE_METRIC && mn->tun && r->oif == mn->tun->ifindex &&
	    sender != netconf_portid(mn->nc) && device_intact(mn))
		he_route_gone(&mn->e, &r->from, mono_ms());
}

/* A lease's address deleted from the tunnel device (hostengine.h), not
 * with the device itself or as it was set down (devwatch.h) */
static void on_addr_gone(void *arg, int ifindex, const struct in6_addr *addr)
{
	struct mn *mn = arg;

	/* the lease first: most deletions are the agent's own, as leases end */
	if (mn->tun && ifindex == mn->tun->ifindex && lease_by_addr(&mn->e.leases, addr) &&
	    device_intact(mn))
		he_addr_gone(&mn->e, addr, mono_ms());
}

/* homefind's choice, told to the engine (the Fixed address comes from it).
 * Made again at every tick, so a hold that ends (he_hold_left) gives the
 * better candidate it passed over another try within MN_TICK_MS. */
static void follow_home(struct mn *mn)
{
	if (mn->home)
		he_set_home(&mn->e, homefind_anchor(mn->home), mono_ms());
}

/* homefind asks whether an anchor is on hold: the choice passes over it */
static uint64_t home_held(void *arg, const struct in6_addr *addr, uint64_t now)
{
	struct mn *mn = arg;

	return he_anchor_hold_left(&mn->e, addr, now);
}

/* access-anchor ra: every valid RA, for the access anchors it offers */
static void on_ra_heard(void *arg, const struct ra_info *ra, const char *ifname)
{
	struct mn *mn = arg;

	access_ra_heard(&mn->e, ra, ifname, mono_ms());
	rearm(mn);
}

static int fit_to_link(struct mn *mn, const struct in6_addr *coa, const struct in6_addr *anchor,
		       const char *why_more);

/* The path MTU a Packet Too Big gave, aged out (tunnel_mtu.h): the device
 * fits the link of the care-of address again; a narrower hop still there
 * says so again with the next full-size packet. */
static void pmtu_age(struct mn *mn, uint64_t now)
{
	char why[64];

	if (!mn->path_cap || !tunnel_pmtu_aged(mn->path_cap_ms, now))
		return;
	mn->path_cap = 0;
	mn->path_cap_ms = 0;
	snprintf(why, sizeof(why), " (a Packet Too Big of %d min ago aged out)",
		 TUNNEL_PMTU_AGE_MS / 60000);
	(void)fit_to_link(mn, &mn->path_coa, &mn->path_anchor, why);
}

/*
 * Once a tick: where the kernel sends a packet from a lease's address (the
 * first one with its route in the table) to its anchor. A rule of someone
 * else's ahead of the agent's (a VPN's, a network manager's, an
 * administrator's "lookup main") sends the leases' packets out of the
 * access link untunnelled, where ingress filtering drops them, and leaves
 * every route and rule of the agent's in place: nothing else would tell.
 * The agent cannot undo someone else's rule: said once as it begins, once
 * as it ends.
 */
static void leave_look(struct mn *mn)
{
	char a1[INET6_ADDRSTRLEN], name[IF_NAMESIZE] = "no route";
	struct lease *l;
	int oif;

	for (l = mn->e.leases.head; l && !(l->host_cfg & LEASE_CFG_ROUTE); l = l->next)
		;
	if (!l || !mn->tun)
		return;
	oif = netconf_route_oif(&l->anchor, &l->addr);
	if (oif <= 0 && oif != -ENETUNREACH)
		return; /* the question failed: it says nothing */
	if (oif == mn->tun->ifindex) {
		if (mn->leave_told)
			log_info("packets from the leases' addresses go into %s again",
				 mn->tun->ifname);
		mn->leave_told = 0;
		return;
	}
	if (mn->leave_told)
		return;
	mn->leave_told = 1;
	if (oif > 0)
		if_indextoname((unsigned)oif, name);
	log_warnx("packets from lease %u's address %s leave by %s, not %s: a rule or route of "
		  "someone else's, ahead of the rule to table %u (priority %u), sends them "
		  "there untunnelled", l->id, ntop6(&l->addr, a1), name, mn->tun->ifname,
		  mn->a->cfg.table, mn->a->cfg.rule_priority);
}

/*
 * Once a tick: the link of the last binding's care-of address may have
 * had its MTU changed since (an administrator, a network manager, a Router
 * Advertisement's MTU option) with no move to fit the device again: fitted
 * now, either way (tunnel_fit_link does nothing when it fits already).
 */
static void link_follow(struct mn *mn)
{
	if (mn->bound && mn->tun)
		(void)fit_to_link(mn, &mn->bound_coa, &mn->bound_anchor, " (its MTU changed)");
}

static void on_tick(uv_timer_t *t)
{
	struct mn *mn = t->data;

	pmtu_age(mn, mono_ms());
	link_follow(mn);
	tunnel_mtu_keep(mn->tun);
	leave_look(mn);
	follow_home(mn);
	/* as for the BU List's timers (on_regt): an overdue refresh's
	 * waiters are failed only if its BA is not there */
	mhsock_read_now(mn->mh);
	he_tick(&mn->e, mono_ms());
	rearm(mn);
}

/*
 * dns-publish current: the address that reaches the DNS server is the one
 * the host is reachable on now (the kernel's choice, as for a CoA).
 */
static void publish_dns(struct mn *mn)
{
	struct in6_addr cur;
	char a1[INET6_ADDRSTRLEN];
	int rc;

	if (!mn->dns || mn->a->cfg.dns_publish != DNS_PUBLISH_CURRENT)
		return;
	/* judged as a care-of address is (coapick.h): another address of the
	 * same link, that anyone on it can bring with a Router Advertisement,
	 * does not replace the published one while the host has not moved */
	rc = movement_coa(mn->mv, dnspub_server(mn->dns), dnspub_wanted(mn->dns), &cur);
	if (rc == 0) {
		movement_coa_note(mn->mv, dnspub_server(mn->dns), &cur);
		dnspub_publish(mn->dns, &cur);
	} else {
		log_debug("DNS: no usable address toward %s yet (%s)",
			  inet_ntop(AF_INET6, dnspub_server(mn->dns), a1, sizeof(a1)),
			  strerror(-rc));
	}
}

/* An access address with its device and flags */
struct addr_found {
	struct in6_addr addr;
	int ifindex;
	uint32_t flags;
};

/* The device of the address arg (its index), where it is that address */
static int addr_device(void *arg, const struct addrmsg *m)
{
	return IN6_ARE_ADDR_EQUAL(&m->addr, (const struct in6_addr *)arg) ? m->ifindex : 0;
}

/* The host's access addresses now (not the tunnel device's), each with
 * its device and flags: one address dump */
struct access_addrs {
	int skip_ifindex;
	size_t n;
	struct addr_found a[MN_ANNOUNCED_MAX];
};

static int take_access(void *arg, const struct addrmsg *m)
{
	struct access_addrs *t = arg;

	if (m->ifindex == t->skip_ifindex || !vanished_candidate(&m->addr) ||
	    t->n == MN_ANNOUNCED_MAX)
		return 0;
	t->a[t->n].addr = m->addr;
	t->a[t->n].ifindex = m->ifindex;
	t->a[t->n].flags = m->flags;
	t->n++;
	return 0;
}

/* Tell f's link about f->addr, a new access address: an unsolicited
 * Neighbor Advertisement the first time (told_na: not yet), so a router
 * still resolving it because a peer kept sending there while the host was
 * away hands over what it queued now rather than at its next
 * solicitation, up to 1 s later; and a Neighbor Solicitation of the router
 * from it, so a router that never knew it creates its entry before the
 * move's BA comes (linkprep_ns_packet says why: a burst behind the BA
 * would push it out of the router's queue). -EAGAIN while the address may
 * not be a CoA yet (movepace_flags_usable; or not routed as local: the
 * router's answer must find the local route); told at a later look, the
 * one that makes it a CoA. Else 1 once the router is told or never can be
 * (DAD failed: never announced), 0 while it is not: the router not known
 * yet (no default route there), or the address optimistic, whose link-layer
 * address in a solicitation could override a real owner's (RFC 4429 §3.3):
 * told at the look its DAD's end brings. */
static int announce_addr(struct mn *mn, const struct addr_found *f, int told_na)
{
	struct in6_addr router;
	char name[IF_NAMESIZE];
	int rc;

	if (f->flags & IFA_F_DADFAILED)
		return 1;
	if (!movepace_flags_usable(f->flags) || netconf_addr_usable(mn->nc, &f->addr) == 0)
		return -EAGAIN;
	if (!if_indextoname((unsigned)f->ifindex, name))
		return 1; /* gone meanwhile */
	if (!told_na) {
		rc = linkprep_agent_announce(mn->lp, name, &f->addr);
		if (rc < 0 && rc != -EBADF)
			log_debug("neighbor advertisement for a new address on %s: %s", name,
				  strerror(-rc));
	}
	if ((f->flags & IFA_F_OPTIMISTIC) || netconf_router(f->ifindex, &f->addr, &router) != 1)
		return 0;
	rc = linkprep_agent_solicit(mn->lp, name, &f->addr, &router);
	if (rc < 0 && rc != -EBADF)
		log_debug("neighbor solicitation of the router on %s: %s", name, strerror(-rc));
	return 1;
}

/*
 * Each access address of the host now: announced to its link once
 * (announce_addr), as soon as it is usable. Called before a move's look,
 * so a router learns the new address before the BUs from it bring
 * answers: one address dump (the look makes its own), and for a new
 * address a route lookup or two.
 */
static void announce_new_addrs(struct mn *mn)
{
	struct access_addrs cur = { .skip_ifindex = mn->tun->ifindex };
	struct announced done[MN_ANNOUNCED_MAX];
	size_t n = 0;
	int rc = netconf_addr_each(0, take_access, &cur);

	if (rc < 0) {
		log_debug("announcing new addresses: %s", strerror(-rc));
		return;
	}
	for (size_t i = 0; i < cur.n; i++) {
		const struct announced *known = NULL;
		int told;

		for (size_t j = 0; j < mn->n_announced && !known; j++)
			if (IN6_ARE_ADDR_EQUAL(&mn->announced[j].addr, &cur.a[i].addr))
				known = &mn->announced[j];
		told = known && known->router_told ? 1 : announce_addr(mn, &cur.a[i], !!known);
		if (told == -EAGAIN)
			continue;
		done[n].addr = cur.a[i].addr;
		done[n].router_told = told;
		n++;
	}
	memcpy(mn->announced, done, n * sizeof(done[0]));
	mn->n_announced = n;
}

/*
 * cha lookups that got no answer before a move (the old network's DNS, or
 * none during it) keep no process of the new network from asking
 * (chasilent.h). A move, not any burst of netlink events (a lease's
 * address on the tunnel device, a route): the host's access addresses
 * changed since the last look.
 */
static void forget_silent(struct mn *mn)
{
	uint64_t sig = addrs_signature(mn->e.host_addrs, mn->e.n_host_addrs), was;
	size_t n;

	/* (the first look at the start: nothing is held yet) */
	was = mn->addrs_sig;
	mn->addrs_sig = sig;
	if (sig == was || !mn->a->cha_silent)
		return;
	n = chasilent_forget_all(mn->a->cha_silent, mono_ms());
	if (n)
		log_info("moved: %zu cha lookup(s) that got no answer forgotten: the next "
			 "process asks again", n);
}

static void on_move(void *arg)
{
	struct mn *mn = arg;

	announce_new_addrs(mn);
	he_move_since(&mn->e, mono_ms(), movement_burst_ms(mn->mv));
	rearm(mn);
	publish_dns(mn);
	homefind_moved(mn->home, mn->e.host_addrs, mn->e.n_host_addrs);
	forget_silent(mn);
	movegap_agent_look(mn->a, movement_burst_ms(mn->mv));
}

static void on_mh(void *arg, const uint8_t *buf, size_t len, const struct in6_addr *src,
		  const struct in6_addr *dst, int ifindex, uint64_t at_ms)
{
	struct mn *mn = arg;

	/* a BA's round trip ends at its arrival, not at this read */
	mn->e.reg.rx_at_ms = at_ms;
	mn->e.rx = *mhsock_rx(mn->mh);
	he_mh_input(&mn->e, buf, len, src, dst, mono_ms());
	mn->e.reg.rx_at_ms = 0;
	memset(&mn->e.rx, 0, sizeof(mn->e.rx));
	rearm(mn);
}

/* ---- the engine's ops ---- */

static int op_addr_add(void *arg, const struct in6_addr *addr)
{
	struct mn *mn = arg;

	return netconf_addr_add(mn->nc, mn->tun->ifindex, addr, 128,
				NETCONF_ADDR_NODAD | NETCONF_ADDR_DEPRECATED);
}

static int op_addr_del(void *arg, const struct in6_addr *addr)
{
	struct mn *mn = arg;

	return netconf_addr_del(mn->nc, mn->tun->ifindex, addr, 128);
}

/* /128: the link's prefix route is the router's (RA) already */
static int op_link_addr_add(void *arg, const struct in6_addr *addr, const struct in6_addr *beside)
{
	struct mn *mn = arg;
	struct in6_addr want = *beside;
	int ifindex = netconf_addr_each(0, addr_device, &want), rc;

	if (ifindex <= 0 || ifindex == mn->tun->ifindex)
		return ifindex < 0 ? ifindex : -ENODEV;
	rc = netconf_addr_add(mn->nc, ifindex, addr, 128,
			      NETCONF_ADDR_NODAD | NETCONF_ADDR_DEPRECATED);
	return rc < 0 ? rc : ifindex;
}

static int op_link_addr_del(void *arg, const struct in6_addr *addr, int ifindex)
{
	struct mn *mn = arg;

	return netconf_addr_del(mn->nc, ifindex, addr, 128);
}

/* An address as op_link_addr_add puts it: a /128 without DAD, deprecated,
 * off the tunnel device (the kernel's own addresses of a link are /64) */
struct relinked {
	struct in6_addr addr;
	int skip_ifindex;
};

static int relinked_device(void *arg, const struct addrmsg *m)
{
	const struct relinked *r = arg;

	if (m->ifindex == r->skip_ifindex || m->plen != 128 ||
	    !IN6_ARE_ADDR_EQUAL(&m->addr, &r->addr) || !(m->flags & IFA_F_NODAD) ||
	    (!(m->flags & IFA_F_DEPRECATED) && m->preferred != 0))
		return 0;
	return m->ifindex;
}

static int op_link_addr_found(void *arg, const struct in6_addr *addr)
{
	struct mn *mn = arg;
	struct relinked r = { *addr, mn->tun->ifindex };

	return netconf_addr_each(0, relinked_device, &r);
}

/*
 * The device fitted to the link the outer packets from coa to anchor leave
 * by (tunnel_mtu.h), less a narrower hop beyond told for that CoA; why_more
 * ends the reason logged. 1 when the MTU changed. A Packet Too Big's path
 * MTU is for the CoA it was about: op_tun_bind forgets it at a move.
 */
static int fit_to_link(struct mn *mn, const struct in6_addr *coa, const struct in6_addr *anchor,
		       const char *why_more)
{
	char name[IF_NAMESIZE] = "", why[128];
	int oif, link, beyond;

	if ((oif = netconf_route_oif(anchor, coa)) <= 0 || (link = tunnel_link_mtu(oif)) <= 0)
		return 0;
	beyond = mn->path_cap && mn->path_cap < link;
	snprintf(why, sizeof(why), "the link of the care-of address, %s%s%s",
		 if_indextoname((unsigned)oif, name) ? name : "?",
		 beyond ? ", and a narrower hop beyond" : "", why_more);
	return tunnel_fit_link(mn->tun, beyond ? mn->path_cap : link, why) > 0;
}

static int op_tun_bind(void *arg, const struct in6_addr *addr, const struct in6_addr *coa,
		       const struct in6_addr *anchor)
{
	struct mn *mn = arg;
	int rc = mn->tun->ops->bind(mn->tun, addr, coa, anchor);

	/* the link the outer packets now leave by: the device fits it
	 * (tunnel_mtu.h); a move rebinds, and so fits it again. A narrower
	 * hop further on, told by a Packet Too Big, holds for that CoA */
	if (!IN6_ARE_ADDR_EQUAL(coa, &mn->path_coa))
		mn->path_cap = 0;
	if (rc == 0) {
		mn->bound_coa = *coa;
		mn->bound_anchor = *anchor;
		mn->bound = 1;
		(void)fit_to_link(mn, coa, anchor, "");
	}
	return rc;
}

static int op_tun_unbind(void *arg, const struct in6_addr *addr)
{
	struct mn *mn = arg;

	return mn->tun->ops->unbind(mn->tun, addr);
}

static void op_tun_hold(void *arg, const struct in6_addr *coa, const struct in6_addr *anchor)
{
	struct mn *mn = arg;

	if (mn->tun->ops->hold)
		mn->tun->ops->hold(mn->tun, coa, anchor);
}

static int op_route_add(void *arg, const struct in6_addr *addr)
{
	struct mn *mn = arg;

	return netconf_lease_route_add(mn->nc, addr, mn->tun->ifindex, mn->a->cfg.table);
}

static int op_route_del(void *arg, const struct in6_addr *addr)
{
	struct mn *mn = arg;

	return netconf_lease_route_del(mn->nc, addr, mn->tun->ifindex, mn->a->cfg.table);
}

static int op_rule_add(void *arg)
{
	struct mn *mn = arg;

	return netconf_rule_add(mn->nc, NULL, mn->a->cfg.table, mn->a->cfg.rule_priority);
}

static int op_rule_del(void *arg)
{
	struct mn *mn = arg;

	return netconf_rule_del(mn->nc, NULL, mn->a->cfg.table, mn->a->cfg.rule_priority);
}

static int op_addr_usable(void *arg, const struct in6_addr *addr)
{
	struct mn *mn = arg;

	return netconf_addr_usable(mn->nc, addr);
}

/* the tunnel's traffic for addr: last packets, packets received */
static int op_last_traffic(void *arg, const struct in6_addr *addr, struct he_traffic *t)
{
	struct mn *mn = arg;
	struct odm_tunnel_stats st;
	int rc = mn->tun->ops->stats(mn->tun, addr, &st);

	if (rc < 0)
		return rc;
	t->rx_ms = st.last_rx_ms;
	t->any_ms = st.last_rx_ms > st.last_tx_ms ? st.last_rx_ms : st.last_tx_ms;
	t->rx_packets = st.rx_packets;
	return 0;
}

static void op_drain(void *arg)
{
	struct mn *mn = arg;

	if (mn->tun->ops->drain_rx)
		mn->tun->ops->drain_rx(mn->tun);
	if (mn->tun->ops->drain_tx)
		mn->tun->ops->drain_tx(mn->tun);
}

/* only where the backend stamps each packet it receives (tunnel.h) */
static int op_last_rx(void *arg, const struct in6_addr *addr, uint64_t *ms, uint32_t *tag)
{
	struct mn *mn = arg;
	struct odm_tunnel_stats st;
	int rc;

	if (!mn->tun->ops->rx_each_packet)
		return -EOPNOTSUPP;
	if (mn->tun->ops->drain_rx)
		mn->tun->ops->drain_rx(mn->tun);
	rc = mn->tun->ops->stats(mn->tun, addr, &st);
	if (rc < 0)
		return rc;
	*ms = st.last_rx_ms;
	*tag = st.last_rx_tag;
	return 0;
}

static int op_count_sockets(void *arg, const struct in6_addr *addrs,
			    const struct sockdiag_owner *owners, size_t n, struct sockdiag_count *out)
{
	(void)arg;
	return sockdiag_count_many(addrs, owners, n, out);
}

static int op_destroy_connecting(void *arg, const struct in6_addr *addr)
{
	(void)arg;
	return sockdiag_destroy_connecting(addr);
}

static int op_destroy_tcp(void *arg, const struct in6_addr *addr)
{
	(void)arg;
	return sockdiag_destroy_tcp(addr);
}

static int op_destroy_udp(void *arg, const struct in6_addr *addr)
{
	(void)arg;
	return sockdiag_destroy_udp(addr);
}

static int op_coa(void *arg, const struct in6_addr *anchor, const struct in6_addr *current,
		  struct in6_addr *coa)
{
	struct mn *mn = arg;
	int rc;

	if (!mn->mv)
		return -ENOTCONN;
	rc = movement_coa(mn->mv, anchor, current, coa);
	/* the engine's own CoA toward anchor (current is its own too) */
	if (rc == 0)
		movement_coa_note(mn->mv, anchor, coa);
	return rc;
}

static int op_coa_link(void *arg, const struct in6_addr *coa, int *ifindex, uint32_t *downs)
{
	struct mn *mn = arg;

	return mn->mv ? movement_addr_link(mn->mv, coa, ifindex, downs) : -ENOTCONN;
}

/* The name of the first device that has addr, "" if none does */
static void op_ifname(void *arg, const struct in6_addr *addr, char name[IF_NAMESIZE])
{
	struct in6_addr want = *addr;
	int ifindex = netconf_addr_each(0, addr_device, &want);

	(void)arg;
	if (ifindex <= 0 || !if_indextoname((unsigned)ifindex, name))
		name[0] = '\0';
}

static int op_host_addrs(void *arg, struct in6_addr *out, size_t max)
{
	struct mn *mn = arg;

	return mn->mv ? movement_addrs(mn->mv, out, max) : -ENOTCONN;
}

static int op_host_addrs4(void *arg, struct in6_addr *out, size_t max)
{
	struct mn *mn = arg;

	return mn->mv ? movement_addrs4(mn->mv, out, max) : -ENOTCONN;
}

static int op_send_bu(void *arg, const uint8_t *buf, size_t len, const struct in6_addr *src,
		      const struct in6_addr *dst)
{
	struct mn *mn = arg;

	return mn->mh ? mhsock_send(mn->mh, buf, len, src, dst) : -ENOTCONN;
}

static int op_send_icmp(void *arg, const uint8_t *buf, size_t len, const struct in6_addr *src,
			const struct in6_addr *dst)
{
	struct mn *mn = arg;

	return mn->icmp ? icmpwatch_send_from(mn->icmp, src, dst, buf, len) : -ENOTCONN;
}

static uint64_t op_ntp_now(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return mh_ntp_from_timespec(&ts);
}

static uint16_t op_random16(void *arg)
{
	(void)arg;
	return random16();
}

static void op_reply(void *arg, void *req, json_t *resp)
{
	(void)arg;
	control_reply(req, resp);
}

static void op_reply_error(void *arg, void *req, const char *code, const char *msg)
{
	(void)arg;
	control_reply_error(req, code, "%s", msg);
}

static void op_cred(void *arg, const void *req, uid_t *uid, pid_t *pid)
{
	const struct ucred *c = control_req_cred(req);

	(void)arg;
	*uid = c->uid;
	*pid = c->pid;
}

static void op_emit(void *arg, const char *kind, json_t *fields,
		    const struct events_audience *to)
{
	struct mn *mn = arg;

	json_t *dl = fields ? json_object_get(fields, "deadline") : NULL;

	/* told on the users' clock (monotime.h public_ms) */
	if (json_is_integer(dl))
		json_object_set_new(fields, "deadline",
				    json_integer((json_int_t)public_ms_of(
					    (uint64_t)json_integer_value(dl))));
	events_emit_to(&mn->a->events, kind, fields, to, public_ms());
}

/* a journal entry still needed after a save (he_journal_keep) */
static int journal_keep(void *arg, const struct mnj_entry *je)
{
	struct mn *mn = arg;

	return he_journal_keep(&mn->e, &je->anchor, je->bid);
}

static void on_save(uv_timer_t *t);

static void save_now(struct mn *mn)
{
	if (mn->open_timers)
		uv_timer_stop(&mn->save_t);
	mn->save_retry = false;
	if (!mn->sf.path)
		return;
	/* the journal keeps only what the file does not hold */
	if (mnstate_save(&mn->sf, &mn->e.reg, &mn->e.leases) >= 0)
		mnj_settle(&mn->jr, journal_keep, mn);
	else if (mn->open_timers && !mn->e.stopping)
		/* tried again, not only at the next change: a host that holds
		 * its leases quietly would keep a stale file (or none) for as
		 * long (said once per run of failures, statefile_account) */
		mn->save_retry = uv_timer_start(&mn->save_t, on_save, MN_SAVE_RETRY_MS, 0) == 0;
}

void mn_state_dir_made(struct odm_agent *a)
{
	struct mn *mn = a->mn;

	if (!mn || mn->e.stopping)
		return;
	/* written whole again, even if what it would hold is what the lost
	 * file held */
	statefile_forget(&mn->sf);
	save_now(mn);
}

/* The tunnel device was deleted under us: no lease carries anything, and
 * none can be made. The state saved, the agent starts again in place and
 * builds it anew, taking its leases over (devwatch.h). */
static void on_device_gone(void *arg, const char *ifname, int ifindex, enum devwatch_what what)
{
	struct mn *mn = arg;
	char why[160];

	save_now(mn);
	snprintf(why, sizeof(why), "the tunnel device %s (ifindex %d) was %s under the "
		 "host agent, with %zu lease(s) through it", ifname, ifindex,
		 devwatch_what_name(what), mn->e.leases.n);
	/* the host's mark only adds a log line */
	agent_reexec(mn->a, why, 0);
}

static void on_save(uv_timer_t *t)
{
	struct mn *mn = t->data;

	if (lease_any_waited_for(&mn->e.leases) && mono_ms() < mn->dirty_ms + MN_SAVE_MAX_MS) {
		uv_timer_start(&mn->save_t, on_save, MN_SAVE_MS, 0);
		return;
	}
	save_now(mn);
}

/* After every event that may change a lease or a counter: the save comes
 * later, on save_t (costs one comparison then when nothing changed,
 * statefile.h); at once while stopping, when no timer runs any more. */
static void op_save(void *arg)
{
	struct mn *mn = arg;

	if (mn->e.stopping || !mn->open_timers) {
		save_now(mn);
		return;
	}
	/* a change waits MN_SAVE_MS, not for the retry of a failed save: the
	 * failure may be gone, and the change is a kill -9 away from lost */
	if (uv_is_active((uv_handle_t *)&mn->save_t) && !mn->save_retry)
		return;
	mn->save_retry = false;
	mn->dirty_ms = mono_ms();
	uv_timer_start(&mn->save_t, on_save, MN_SAVE_MS, 0);
}

static void op_journal(void *arg, const struct in6_addr *anchor, uint16_t bid,
		       const char *type, const struct in6_addr *addr)
{
	struct mn *mn = arg;
	struct mnj_entry je = { .anchor = *anchor, .bid = bid };

	if (addr)
		je.addr = *addr;
	snprintf(je.type, sizeof(je.type), "%s", type ? type : "");
	mnj_append(&mn->jr, &je);
}

static const struct he_ops mn_ops = {
	.addr_add = op_addr_add,
	.addr_del = op_addr_del,
	.link_addr_add = op_link_addr_add,
	.link_addr_del = op_link_addr_del,
	.link_addr_found = op_link_addr_found,
	.tun_bind = op_tun_bind,
	.tun_unbind = op_tun_unbind,
	.tun_hold = op_tun_hold,
	.route_add = op_route_add,
	.route_del = op_route_del,
	.rule_add = op_rule_add,
	.rule_del = op_rule_del,
	.addr_usable = op_addr_usable,
	.last_traffic = op_last_traffic,
	.drain = op_drain,
	.last_rx = op_last_rx,
	.count_sockets = op_count_sockets,
	.destroy_tcp = op_destroy_tcp,
	.destroy_connecting = op_destroy_connecting,
	.destroy_udp = op_destroy_udp,
	.coa = op_coa,
	.coa_link = op_coa_link,
	.ifname = op_ifname,
	.host_addrs = op_host_addrs,
	.host_addrs4 = op_host_addrs4,
	.send_bu = op_send_bu,
	.send_icmp = op_send_icmp,
	.ntp_now = op_ntp_now,
	.random16 = op_random16,
	.reply = op_reply,
	.reply_error = op_reply_error,
	.cred = op_cred,
	.emit = op_emit,
	.save = op_save,
	.journal = op_journal,
};

/* ---- control ops ---- */

static int get_addr(const json_t *req, const char *key, struct in6_addr *out)
{
	const char *s = json_string_value(json_object_get(req, key));

	return s && inet_pton(AF_INET6, s, out) == 1 ? 0 : -EINVAL;
}

/* A "lease" request as the engine takes it; -1 after answering r. */
static int parse_lease(struct control_req *r, const json_t *req, struct at_request *rq)
{
	const char *tname = json_string_value(json_object_get(req, "type"));
	const char *pname = json_string_value(json_object_get(req, "proto"));
	const struct ucred *who = control_req_cred(r);

	memset(rq, 0, sizeof(*rq));
	rq->req = r;
	/* no type: the policy's default for this program (policy_gate_lease) */
	rq->type = tname ? odm_type_from_name(tname) : ODM_TYPE_NONE;
	rq->proto = pname && strcmp(pname, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	rq->uid = who->uid;
	rq->pid = who->pid;
	rq->fresh = json_is_true(json_object_get(req, "fresh"));
	if (get_addr(req, "dst", &rq->dst) < 0) {
		control_reply_error(r, "EINVAL", "field \"dst\": not an IPv6 address");
		return -1;
	}
	rq->has_cha = json_object_get(req, "cha") != NULL;
	if (rq->has_cha && get_addr(req, "cha", &rq->cha) < 0) {
		control_reply_error(r, "EINVAL", "field \"cha\": not an IPv6 address");
		return -1;
	}
	/* the agent sends Binding Updates there */
	if (rq->has_cha && !addr_is_routable(&rq->cha)) {
		char a1[INET6_ADDRSTRLEN];

		control_reply_error(r, "EINVAL", "field \"cha\": %s is not a global unicast or "
				    "unique local address", ntop6(&rq->cha, a1));
		return -1;
	}
	if (!addrtype_get(rq->type)) {
		control_reply_error(r, "EINVAL", "field \"type\": unknown type \"%s\"",
				    tname ? tname : "");
		return -1;
	}
	return 0;
}

static void on_lease(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	struct mn *mn = a->mn;
	struct at_request rq;

	if (!mn || mn->e.stopping) {
		control_reply_error(r, "REQUIREDIPFAILED", "the mn role is stopping");
		return;
	}
	/* parse -> (policy: the final type, or a refusal) -> engine */
	if (parse_lease(r, req, &rq) < 0)
		return;
	/* Binding Updates to itself would go unanswered for the whole
	 * allocation time: a cha.<host> record naming this host (a zone's
	 * mistake, or a forged answer), one of its leases' addresses too */
	if (rq.has_cha && netconf_is_local(&rq.cha) == 1) {
		char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];

		if (ratelimit_spaced(&mn->own_cha_told_ms, MN_OWN_CHA_GAP_MS, mono_ms()))
			log_warnx("lease request of pid %d for %s refused: its cha %s is an address "
				  "of this host (more such requests within %d ms: not logged)",
				  (int)rq.pid, ntop6(&rq.dst, a1), ntop6(&rq.cha, a2),
				  MN_OWN_CHA_GAP_MS);
		control_reply_error(r, "EINVAL", "field \"cha\": %s is an address of this host",
				    ntop6(&rq.cha, a2));
		return;
	}
	/* ---- policy (policy_agent.h): the kernel's credentials of the
	 * requester decide the type (the default when it asked for none), or
	 * refuse it (type not allowed, uid over its lease quota) ---- */
	if (policy_gate_lease(a, r, req, &rq.type, &mn->e.leases, rq.proto,
			      rq.has_cha ? &rq.cha : NULL) < 0)
		return; /* refused: r is answered */
	/* ---- end of policy ---- */
	he_lease_request(&mn->e, &rq, mono_ms());
	rearm(mn);
}

static void on_release(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	struct mn *mn = a->mn;
	struct in6_addr addr;
	const char *why = NULL;
	int soon;

	if (!mn || mn->e.stopping) {
		control_reply(r, json_pack("{s:b,s:s}", "released", 0, "reason", "stopping"));
		return;
	}
	if (get_addr(req, "addr", &addr) < 0) {
		control_reply_error(r, "EINVAL", "field \"addr\": not an IPv6 address");
		return;
	}
	/* the next tick, brought forward so that a burst of closes shares a count */
	soon = he_release_hint(&mn->e, &addr, mono_ms(), &why);
	if (soon && uv_timer_get_due_in(&mn->tick) > MN_HINT_MS)
		uv_timer_start(&mn->tick, on_tick, MN_HINT_MS, MN_TICK_MS);
	/* "released": whether the lease will be looked at within MN_HINT_MS;
	 * if not, "reason" says why (odmctl release exits 1 for "no-lease") */
	control_reply(r, soon ? json_pack("{s:b}", "released", 1)
			      : json_pack("{s:b,s:s}", "released", 0, "reason", why));
}

/*
 * A user other than root sees its own leases and the agent's, as the event
 * stream shows it only its own (events_audience_has): which programs of
 * other users hold which addresses, and their pids, are theirs.
 */
static void leases_for(json_t *resp, uid_t uid)
{
	json_t *leases = json_object_get(resp, "leases"), *binds = json_object_get(resp, "bindings");
	json_t *l, *u, *v, *shown = json_object();
	size_t i = 0, k;
	int mine, own;

	if (uid == 0 || !json_is_array(leases) || !shown) {
		json_decref(shown);
		return;
	}
	while (i < json_array_size(leases)) {
		l = json_array_get(leases, i);
		u = json_object_get(l, "uid");
		own = mine = !u || (uid_t)json_integer_value(u) == uid;
		json_array_foreach(json_object_get(l, "uids"), k, v)
			mine |= (uid_t)json_integer_value(v) == uid;
		if (!mine) {
			json_array_remove(leases, i);
			continue;
		}
		/* shared with the user (an access claim): not who asked first */
		if (!own)
			json_object_del(l, "pid");
		json_object_set(shown, json_string_value(json_object_get(l, "addr")), json_true());
		i++;
	}
	/* the anchors' bindings of the leases not shown go too */
	i = 0;
	while (json_is_array(binds) && i < json_array_size(binds)) {
		const char *hnp = json_string_value(json_object_get(json_array_get(binds, i), "hnp"));

		if (hnp && json_object_get(shown, hnp))
			i++;
		else
			json_array_remove(binds, i);
	}
	json_decref(shown);
}

static void on_status(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	struct mn *mn = a->mn;
	json_t *resp;

	(void)req;
	if (!mn) {
		control_reply_error(r, "ENOSYS", "the mn role is not running");
		return;
	}
	resp = he_status_json(&mn->e, mono_ms());
	if (resp)
		leases_for(resp, control_req_cred(r)->uid);
	if (resp)
		json_object_set_new(resp, "tunnel", tunnel_status_json(mn->tun));
	if (resp && mn->dns)
		json_object_set_new(resp, "dns", dnspub_status_json(mn->dns));
	if (resp && mn->home)
		json_object_set_new(resp, "home_anchor", homefind_status_json(mn->home));
	if (resp)
		json_object_set_new(resp, "access_anchor", access_status_json(&mn->e, mono_ms()));
	if (!resp)
		control_reply_error(r, "ENOMEM", "cannot build the status");
	else
		control_reply(r, resp);
}

/* ---- restart: leases taken over from the state file (mn_state.h) ---- */

static int adopt_state(struct mn *mn)
{
	struct odm_config *cfg = &mn->a->cfg;
	int rc = statefile_open(&mn->sf, cfg->state_dir, MN_STATE_FILE);

	if (rc < 0) {
		log_err(rc, "state directory %s", cfg->state_dir);
		return rc;
	}
	/* the leases describe kernel state that a reboot loses anyway: a save
	 * need survive a crash of the agent (atomic rename), not a power loss,
	 * and a lease's answer should not wait for fsync */
	statefile_set_volatile(&mn->sf);
	rc = mnstate_load(&mn->sf, mn->e.reg.cfg.nai, &mn->e.leases, &mn->e.reg);
	/* room to save the leases in, should the file system fill up */
	statefile_keep_reserve(&mn->sf);
	if (rc < 0)
		log_err(rc, "taking over %s", mn->sf.path);
	else if (rc > 0)
		log_info("%s: taking over %d lease(s) from the last run", mn->sf.path, rc);
	if (rc >= 0 && mnj_open(&mn->jr, cfg->state_dir) == 0)
		/* new leases take no BID of a binding the journal names */
		mn->e.leases.last_id = mnj_resume_id(mn->e.leases.last_id, mn->jr.v, mn->jr.n);
	return rc;
}

/* The journal's bindings that no lease taken over has: the last run asked
 * for them and was killed before it saved them (mn_journal.h). */
static void deregister_orphans(struct mn *mn)
{
	size_t n = mn->jr.n;
	struct in6_addr *anchor = calloc(n + 1, sizeof(*anchor));
	uint16_t *bid = calloc(n + 1, sizeof(*bid));
	const char **type = calloc(n + 1, sizeof(*type));
	int rc = -ENOMEM;

	if (anchor && bid && type) {
		for (size_t i = 0; i < n; i++) {
			anchor[i] = mn->jr.v[i].anchor;
			bid[i] = mn->jr.v[i].bid;
			type[i] = mn->jr.v[i].type;
		}
		rc = he_deregister_orphans(&mn->e, anchor, bid, type, n, mono_ms());
	}
	if (rc < 0)
		log_warn(rc, "deregistering the bindings %s names", mn->jr.sf.path);
	else if (rc > 0)
		log_info("%s: %d binding(s) of the last run not taken over (not saved, or "
			 "the state not read): deregistered", mn->jr.sf.path, rc);
	free(anchor);
	free(bid);
	free(type);
}

/* The leases taken over, journaled where the journal read lacks them (one
 * of an earlier version, which dropped saved leases from it, or one that
 * did not parse): a next run that cannot read the state still knows them
 * (mn_journal.h). Neither the Fixed address nor a claim is journaled. */
static void journal_taken_over(struct mn *mn)
{
	struct mnj_entry *v = calloc(mn->e.leases.n + 1, sizeof(*v));
	size_t n = 0;

	if (!v) {
		log_warn(-ENOMEM, "journaling the leases taken over");
		return;
	}
	for (struct lease *l = mn->e.leases.head; l; l = l->next) {
		if (l->type == ODM_TYPE_FIXED || l->claimed || IN6_IS_ADDR_UNSPECIFIED(&l->addr))
			continue;
		v[n].anchor = l->anchor;
		v[n].bid = l->id;
		v[n].addr = l->addr;
		snprintf(v[n].type, sizeof(v[n].type), "%s", odm_type_name(l->type));
		n++;
	}
	mnj_cover(&mn->jr, v, n);
	free(v);
}

/*
 * An address the last run journaled (mn_journal.h) or routed (a route of
 * its table, or a rule of an earlier version) that no lease taken over
 * has: a lease it made and was killed before saving. Its address is gone
 * with it (its binding at the anchor expires), so a TCP socket on it could
 * only retransmit into the void until its own timeout: a connect() in
 * progress would wait some two minutes. They are ended (ECONNABORTED), as
 * at the end of a lease.
 */
static void stale_lease_gone(void *arg, const struct in6_addr *from)
{
	char a[INET6_ADDRSTRLEN];
	int n = sockdiag_destroy_tcp(from);

	(void)arg;
	ntop6(from, a);
	if (n < 0)
		log_warn(n, "ending the TCP sockets on %s, a lease of an earlier run not saved", a);
	else if (n > 0)
		log_info("%s, a lease of an earlier run not taken over (not saved, or the state "
			 "not read): %d TCP socket(s) on it ended, each with ECONNABORTED", a, n);
}

/*
 * What a killed agent left in the kernel (and with a kernel backend its
 * device, below): the routes of its table and its rule to it. Those of the
 * leases taken over stay (their sockets' packets keep their path), and the
 * rule with them; the rest goes. The rules from one address of an earlier
 * version (one a lease) all go: the leases taken over get routes instead.
 * The journal names the addresses of the last moments, whose routes died
 * with a userspace backend's device.
 */
static void flush_stale_routing(struct mn *mn)
{
	struct odm_config *cfg = &mn->a->cfg;
	struct in6_addr *keep = calloc(mn->e.leases.n + 1, sizeof(*keep));
	size_t n = 0;
	int rc;

	if (!keep) {
		log_warn(-ENOMEM, "looking for routes and rules left by an earlier run");
		return;
	}
	for (struct lease *l = mn->e.leases.head; l; l = l->next)
		keep[n++] = l->addr;
	rc = netconf_table_flush_except(mn->nc, cfg->table, keep, n, stale_lease_gone, NULL);
	if (rc > 0)
		log_info("removed %d route(s) of table %u left by an earlier run", rc, cfg->table);
	else if (rc < 0)
		log_warn(rc, "looking for routes of table %u left by an earlier run", cfg->table);
	rc = netconf_rule_flush_sourced(mn->nc, cfg->table, cfg->rule_priority, keep, n,
					stale_lease_gone, NULL);
	/* the rule for every source stays while a lease is taken over:
	 * configuring it finds it there (he_adopted removes it if none is) */
	if (rc >= 0 && !n) {
		int all = netconf_rule_flush(mn->nc, cfg->table, cfg->rule_priority);

		rc = all < 0 ? all : rc + all;
	}
	if (rc > 0)
		log_info("removed %d rule(s) to table %u left by an earlier run", rc, cfg->table);
	else if (rc < 0)
		log_warn(rc, "looking for rules left by an earlier run");
	for (size_t i = 0; i < mn->jr.n; i++) {
		const struct in6_addr *a = &mn->jr.v[i].addr;

		if (!IN6_IS_ADDR_UNSPECIFIED(a) && !lease_by_addr(&mn->e.leases, a))
			stale_lease_gone(NULL, a);
	}
	free(keep);
}

struct stale {
	struct mn *mn;
	int n;
};

static int flush_stale_one(void *arg, const struct addrmsg *m)
{
	struct stale *s = arg;
	struct mn *mn = s->mn;
	int rc;

	if (m->plen != 128 || IN6_IS_ADDR_LINKLOCAL(&m->addr) ||
	    lease_by_addr(&mn->e.leases, &m->addr))
		return 0;
	rc = netconf_addr_del(mn->nc, mn->tun->ifindex, &m->addr, 128);
	if (rc < 0)
		log_warn(rc, "removing an address an earlier run left on %s", mn->tun->ifname);
	else
		s->n++;
	return 0;
}

/* The global /128 addresses on the tunnel device that no lease taken over
 * has: a kernel backend's device outlives a killed agent, with its leases'
 * addresses (a userspace one dies with it). How many removed, or -errno. */
static int flush_stale_addrs(struct mn *mn)
{
	struct stale s = { mn, 0 };
	int rc;

	if (mn->tun->ifindex <= 0)
		return -ENODEV; /* 0 would walk every device */
	rc = netconf_addr_each(mn->tun->ifindex, flush_stale_one, &s);
	return rc < 0 ? rc : s.n;
}

/* SIGHUP (main.c): the configuration has new keys, lifetimes, timers. */
void mn_reload(struct odm_agent *a)
{
	struct mn *mn = a->mn;
	const struct odm_identity *id = &a->cfg.identities[0];
	struct reg_config *rc;

	if (!mn || a->cfg.n_identities < 1)
		return;
	rc = &mn->e.reg.cfg;
	if (strcmp(id->nai, rc->nai) != 0)
		log_warnx("identity %s replaces %s: the leases held keep their bindings until "
			  "the anchor refuses them", id->nai, rc->nai);
	snprintf(rc->nai, sizeof(rc->nai), "%s", id->nai);
	rc->spi = id->spi;
	memcpy(rc->key, id->key, MH_AUTH_KEY_LEN);
	rc->lifetime_s = a->cfg.lifetime ? a->cfg.lifetime : 300;
	mn->e.pol.udp_inactivity_s = a->cfg.udp_inactivity;
	if (mn->dns)
		dnspub_reconfigure(mn->dns, &a->cfg.dns);
	log_info("mn reloaded: %s spi %u, lifetime %us, udp-inactivity %us; %zu lease(s) kept",
		 id->nai, id->spi, rc->lifetime_s, a->cfg.udp_inactivity, mn->e.leases.n);
}

/* ---- start and stop ---- */

static void on_timer_closed(uv_handle_t *h)
{
	struct mn *mn = h->data;

	if (--mn->open_timers == 0)
		free(mn);
}

/*
 * A Packet Too Big about a packet this host tunnelled to one of its anchors
 * (from its care-of address): a hop beyond the access link is narrower.
 * The device is fitted to it until the care-of address changes, so the
 * host's TCP sends segments that fit (only the size is taken from it: a
 * forged one can make the host's packets smaller, down to 1280, no more).
 */
static void on_ptb(void *arg, const uint8_t *msg, size_t len, const struct in6_addr *from)
{
	struct mn *mn = arg;
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], why[128];
	struct ptb_about p;
	struct in6_addr coa;
	int cap;

	if (ptbrelay_parse(msg, len, &p) < 0 || !reg_anchor_find(&mn->e.reg, &p.outer_dst) ||
	    !mn->mv || movement_coa(mn->mv, &p.outer_dst, &p.outer_src, &coa) < 0 ||
	    !IN6_ARE_ADDR_EQUAL(&coa, &p.outer_src) ||
	    !(cap = tunnel_pmtu_take(mn->path_cap, p.mtu, mn->tun->mtu)))
		return; /* not ours, below 1280, or no reduction */
	mn->path_cap = cap;
	mn->path_coa = p.outer_src;
	mn->path_anchor = p.outer_dst;
	mn->path_cap_ms = mono_ms();
	snprintf(why, sizeof(why), "the path to anchor %s (a Packet Too Big from %s)",
		 ntop6(&p.outer_dst, a1), ntop6(from, a2));
	tunnel_fit_link(mn->tun, mn->path_cap, why);
}

/* An ICMPv6 error about a packet we sent: one to an anchor of ours makes
 * the engine confirm its bindings now (he_icmp_error). */
static void on_icmp_error(void *arg, const struct icmperr *err, const struct in6_addr *from)
{
	struct mn *mn = arg;
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], a3[INET6_ADDRSTRLEN];

	log_debug("ICMPv6 %s (code %u) from %s about a packet %s -> %s, next header %u",
		  err->type == 1 ? "Destination Unreachable" : "Parameter Problem", err->code,
		  ntop6(from, a1), ntop6(&err->src, a2), ntop6(&err->dst, a3), err->proto);
	if (err->proto == ICMPERR_PROTO_MH) {
		if (he_icmp_bu_unheard(&mn->e, &err->src, &err->dst, mono_ms()) > 0)
			rearm(mn);
	} else if (he_icmp_error(&mn->e, &err->src, &err->dst, mono_ms()) > 0) {
		rearm(mn);
	}
}

/* Reverse order of mn_start; also undoes a half-done start. */
static void teardown(struct odm_agent *a, struct mn *mn)
{
	a->mn = NULL;
	if (mn->open_timers) {
		uv_timer_stop(&mn->tick);
		uv_timer_stop(&mn->regt);
		uv_timer_stop(&mn->usable_t);
		uv_timer_stop(&mn->save_t);
	}
	icmpwatch_close(mn->icmp);
	mn->icmp = NULL;
	devwatch_close(mn->devw);
	mn->devw = NULL;
	linkprep_agent_close(mn->lp);
	mn->lp = NULL;
	if (mn->mv)
		movement_close(mn->mv);
	mn->mv = NULL;
	/* the DNS record stays: the host is likely back soon at the same name */
	dnspub_close(mn->dns);
	mn->dns = NULL;
	homefind_close(mn->home);
	mn->home = NULL;
	chasilent_agent_close(a);
	movegap_agent_close(a);
	/* best effort: one deregistration BU each, then local state goes */
	he_stop(&mn->e, mono_ms());
	/* a clean stop deregistered every lease: the file keeps the counters */
	if (mn->started)
		save_now(mn);
	statefile_close(&mn->sf);
	mnj_close(&mn->jr);
	he_cleanup(&mn->e);
	if (mn->mh) {
		mhsock_close(mn->mh);
		mn->mh = NULL;
	}
	if (mn->tun) {
		tunnel_close(mn->tun);
		mn->tun = NULL;
	}
	mn->nc = NULL;
	if (mn->open_timers) {
		uv_close((uv_handle_t *)&mn->tick, on_timer_closed);
		uv_close((uv_handle_t *)&mn->regt, on_timer_closed);
		uv_close((uv_handle_t *)&mn->usable_t, on_timer_closed);
		uv_close((uv_handle_t *)&mn->save_t, on_timer_closed);
	} else {
		free(mn);
	}
}

int mn_start(struct odm_agent *a)
{
	struct odm_config *cfg = &a->cfg;
	struct reg_config rc_cfg;
	struct lease_policy pol = { .grace_ms = HE_GRACE_MS,
				    .udp_inactivity_s = cfg->udp_inactivity,
				    .ends_per_look = HE_ENDS_PER_LOOK };
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
	a->mn = mn;

	memset(&rc_cfg, 0, sizeof(rc_cfg));
	snprintf(rc_cfg.nai, sizeof(rc_cfg.nai), "%s", cfg->identities[0].nai);
	rc_cfg.spi = cfg->identities[0].spi;
	memcpy(rc_cfg.key, cfg->identities[0].key, MH_AUTH_KEY_LEN);
	rc_cfg.lifetime_s = cfg->lifetime ? cfg->lifetime : 300;
	he_init(&mn->e, &mn_ops, mn, &rc_cfg, &pol, random16());
	access_set_anchors(&mn->e, cfg->access_anchors, cfg->n_access_anchors);
	access_learn_from_ra(&mn->e, cfg->access_from_ra);

	mn->nc = a->nc; /* main.c opened it before starting the role */
	rc = adopt_state(mn);
	if (rc < 0)
		goto fail;
	flush_stale_routing(mn);
	rc = tunnel_open_encap(&mn->tun, a->loop, cfg->tunnel_backend, cfg->tunnel_encap,
			       ODM_TUNNEL_HOST, cfg->tunnel_ifname);
	if (rc < 0)
		goto fail;
	mn->tun->route_table = cfg->table;
	rc = flush_stale_addrs(mn);
	if (rc > 0)
		log_info("removed %d address(es) on %s left by an earlier run", rc, mn->tun->ifname);
	else if (rc < 0)
		log_warn(rc, "looking for addresses left by an earlier run on %s", mn->tun->ifname);
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
	rc = linkprep_agent_open(&mn->lp, a->loop, mn->mv, mn->tun->ifindex, cfg->optimistic_dad,
				 cfg->router_solicit, cfg->ignore_linkdown);
	if (rc < 0) {
		log_err(rc, "access link preparation");
		goto fail;
	}
	movement_on_event(mn->mv, on_netlink, mn);
	movement_watch_rules(mn->mv, on_rule, mn);
	movement_watch_source_routes(mn->mv, cfg->table, on_route_gone, mn);
	movement_watch_addr_deletions(mn->mv, on_addr_gone, mn);
	rc = devwatch_start(a->loop, mn->tun->ifname, mn->tun->ifindex, on_device_gone, mn,
			    &mn->devw);
	if (rc < 0)
		log_warn(rc, "watching the tunnel device %s: its deletion goes unnoticed",
			 mn->tun->ifname);
	rc = icmpwatch_open(&mn->icmp, a->loop, NULL, on_icmp_error, on_ptb, mn);
	if (rc < 0)
		/* not fatal: a silent anchor is then noticed at its next exchange,
		 * a narrower hop is not */
		log_warn(rc, "raw ICMPv6 socket for errors about packets to anchors");
	uv_timer_init(a->loop, &mn->tick);
	uv_timer_init(a->loop, &mn->regt);
	uv_timer_init(a->loop, &mn->usable_t);
	uv_timer_init(a->loop, &mn->save_t);
	mn->tick.data = mn->regt.data = mn->usable_t.data = mn->save_t.data = mn;
	mn->open_timers = 4;
	uv_timer_start(&mn->tick, on_tick, MN_TICK_MS, MN_TICK_MS);

	if ((rc = control_register(a, "lease", on_lease)) < 0 ||
	    (rc = control_register(a, "release", on_release)) < 0 ||
	    (rc = control_register(a, "status", on_status)) < 0 ||
	    (rc = chasilent_agent_open(a)) < 0 || (rc = movegap_agent_open(a, mn->mv)) < 0) {
		log_err(rc, "registering the control ops");
		goto fail;
	}
	rc = homefind_open(&mn->home, a->loop, cfg->has_home_anchor ? &cfg->home_anchor : NULL,
			   cfg->home_discovery, mn->tun->ifindex, &a->events);
	if (rc < 0) {
		log_err(rc, "home anchor discovery");
		goto fail;
	}
	homefind_watch_hold(mn->home, home_held, mn);
	if (cfg->access_from_ra && (rc = homefind_watch_ra(mn->home, on_ra_heard, mn)) < 0) {
		log_err(rc, "access-anchor ra: raw ICMPv6 socket for Router Advertisements");
		goto fail;
	}
	if (cfg->dns_publish != DNS_PUBLISH_OFF) {
		rc = dnspub_open(&mn->dns, a->loop, &cfg->dns, &a->events);
		if (rc < 0) {
			log_err(rc, "DNS registration socket");
			goto fail;
		}
		publish_dns(mn);
	}
	/* what the last run left first: a Fixed lease asked for before would
	 * be taken for one of them */
	he_adopted(&mn->e, mono_ms());
	deregister_orphans(mn);
	journal_taken_over(mn);
	/* the leases taken over are bound again: a backend that kept the
	 * earlier run's data path until then may take it over now */
	if (mn->tun->ops->settle)
		mn->tun->ops->settle(mn->tun);
	follow_home(mn);
	rearm(mn);
	mn->started = 1;
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
	log_info("mn stopping, %zu leases", a->mn->e.leases.n);
	teardown(a, a->mn);
}
