/* SPDX-License-Identifier: MIT */
/*
 * movement.c — netlink monitor and care-of address selection for the mn
 * role (see movement.h).
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "addrscope.h"
#include "log.h"
#include "pollerr.h"
#include "monotime.h"
#include "coapick.h"
#include "movement.h"
#include "movepace.h"
#include "netconf.h"
#include "addrmsg.h"
#include "routemsg.h"
#include "rulemsg.h"
#include "vanished.h"

/* DSMIPv6 port (RFC 5555): a connect() to it sends nothing, any port would do */
#define MOVEMENT_PROBE_PORT 4191

/* The next hop toward anchor when coa was taken as its care-of address;
 * left: the link of oif lost its carrier since (the host may be on another
 * network on the same interface now) */
struct hopmemo {
	struct in6_addr anchor, coa, gw;
	int oif, set, left;
};

struct movement {
	uv_loop_t *loop;
	struct nl_sock *events;  /* multicast subscriber */
	uv_poll_t poll;
	uv_timer_t later;        /* the look that covers the rest of a burst */
	struct movepace pace;    /* when to look (movepace.h) */
	uint64_t look_burst_ms;  /* the burst the current call of fn is about */
	int skip_ifindex;
	movement_fn fn;
	void *arg;
	movement_link_fn link_fn; /* movement_watch_links(), may be NULL */
	void *link_arg;
	movement_rule_fn rule_fn; /* movement_watch_rules(), may be NULL */
	void *rule_arg;
	movement_route_fn route_fn; /* movement_watch_source_routes(), may be NULL */
	void *route_arg;
	uint32_t route_table;     /* its table: no look for its route events (0: none) */
	movement_addr_fn addr_fn; /* movement_watch_addr_deletions(), may be NULL */
	void *addr_arg;
	movement_fn event_fn;    /* every batch of events, unpaced (movement_on_event) */
	void *event_arg;
	int open_handles;        /* freed when the last handle has closed */
	int stopping;
	unsigned others;         /* events of this batch not about skip_ifindex */
	int usable;              /* one of them: a usable global address (new or refreshed) */
	struct hopmemo hops[MOVEMENT_HOPS];
	unsigned next_hop;       /* the slot a new anchor takes */
};

/* The table of a route event, or 0 (not a route, or malformed) */
static uint32_t event_table(struct nlmsghdr *h)
{
	struct rtattr *a;
	uint32_t table;
	int len;

	if ((h->nlmsg_type != RTM_NEWROUTE && h->nlmsg_type != RTM_DELROUTE) ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return 0;
	table = ((struct rtmsg *)NLMSG_DATA(h))->rtm_table;
	len = (int)RTM_PAYLOAD(h);
	for (a = RTM_RTA(NLMSG_DATA(h)); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == RTA_TABLE && RTA_PAYLOAD(a) == sizeof(uint32_t))
			memcpy(&table, RTA_DATA(a), sizeof(table));
	return table;
}

/* The interface an address, route or link event is about, or 0 (unknown). */
static int event_ifindex(struct nlmsghdr *h)
{
	struct rtattr *a;
	int len;

	switch (h->nlmsg_type) {
	case RTM_NEWADDR:
	case RTM_DELADDR:
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
			return 0;
		return (int)((struct ifaddrmsg *)NLMSG_DATA(h))->ifa_index;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
			return 0;
		return ((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
			return 0;
		len = (int)RTM_PAYLOAD(h);
		for (a = RTM_RTA(NLMSG_DATA(h)); RTA_OK(a, len); a = RTA_NEXT(a, len))
			if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= sizeof(int))
				return *(int *)RTA_DATA(a);
		return 0; /* multipath or none: not one device's */
	default:
		return 0;
	}
}

/*
 * The link of ifindex lost its carrier (or went down, or away): a host that
 * comes back on it may be on another network, whose router has the same
 * link-local address as the old one (fe80::1 is common) and the old
 * care-of address still preferred (an L2 roam: another Wi-Fi network on
 * the same interface). The next hop noted for a care-of address there
 * tells nothing then: the kernel's next pick is taken (coapick.h), until
 * the care-of address changes.
 */
static void hops_left(struct movement *m, int ifindex)
{
	for (unsigned i = 0; i < MOVEMENT_HOPS; i++)
		if (m->hops[i].set && m->hops[i].oif == ifindex)
			m->hops[i].left = 1;
}

/*
 * Whether the addresses may have moved is the kernel's to say when asked
 * (movement_coa); an event only says when to ask. Events about the tunnel
 * device alone (the host's own leases: their addresses, local routes and
 * link) never change a CoA: they do not count. A link event is also handed
 * to the link watcher, if any.
 */
static int on_valid(struct nl_msg *msg, void *arg)
{
	struct movement *m = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	const struct ifinfomsg *ifi;
	struct nlattr *name, *mtu_attr;
	char ifname[IF_NAMESIZE] = "";
	unsigned mtu = 0;
	struct rulemsg rule;
	struct routemsg route;
	struct in6_addr addr;
	int ifindex;

	if (h->nlmsg_type == RTM_NEWRULE || h->nlmsg_type == RTM_DELRULE) {
		if (m->rule_fn && rulemsg_parse(h, h->nlmsg_len, &rule))
			m->rule_fn(m->rule_arg, &rule, h->nlmsg_pid);
		return NL_OK; /* no address or route moved */
	}
	if (m->route_fn && routemsg_source_deleted(h, h->nlmsg_len, &route) &&
	    route.table == m->route_table)
		m->route_fn(m->route_arg, &route, h->nlmsg_pid);
	if (m->route_table && event_table(h) == m->route_table)
		return NL_OK; /* the leases' routes: no address or route moved */
	if (m->addr_fn && addrmsg_deleted128(h, h->nlmsg_len, &ifindex, &addr))
		m->addr_fn(m->addr_arg, ifindex, &addr);
	if (event_ifindex(h) != m->skip_ifindex || m->skip_ifindex <= 0) {
		m->others++;
		m->usable |= movepace_addr_usable(h, h->nlmsg_len);
	}
	if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
	    !nlmsg_valid_hdr(h, sizeof(*ifi)))
		return NL_OK;
	ifi = nlmsg_data(h);
	if (h->nlmsg_type == RTM_DELLINK ||
	    (ifi->ifi_flags & (IFF_UP | IFF_RUNNING)) != (IFF_UP | IFF_RUNNING))
		hops_left(m, ifi->ifi_index);
	if (!m->link_fn)
		return NL_OK;
	name = nlmsg_find_attr(h, sizeof(*ifi), IFLA_IFNAME);
	if (name)
		nla_strlcpy(ifname, name, sizeof(ifname));
	mtu_attr = nlmsg_find_attr(h, sizeof(*ifi), IFLA_MTU);
	if (mtu_attr && nla_len(mtu_attr) >= (int)sizeof(uint32_t))
		mtu = nla_get_u32(mtu_attr);
	m->link_fn(m->link_arg, ifi->ifi_index, ifi->ifi_flags, ifi->ifi_type, mtu, ifname,
		   h->nlmsg_type == RTM_DELLINK);
	return NL_OK;
}

void movement_watch_links(struct movement *m, movement_link_fn fn, void *arg)
{
	m->link_fn = fn;
	m->link_arg = arg;
}

void movement_watch_rules(struct movement *m, movement_rule_fn fn, void *arg)
{
	m->rule_fn = fn;
	m->rule_arg = arg;
}

void movement_watch_source_routes(struct movement *m, uint32_t table, movement_route_fn fn,
				  void *arg)
{
	m->route_table = table;
	m->route_fn = fn;
	m->route_arg = arg;
}

void movement_watch_addr_deletions(struct movement *m, movement_addr_fn fn, void *arg)
{
	m->addr_fn = fn;
	m->addr_arg = arg;
}

/* one look at the addresses: fn, told when the change began */
static void look(struct movement *m)
{
	uint64_t now = mono_ms();

	m->look_burst_ms = movepace_burst_ms(&m->pace);
	movepace_looked(&m->pace, now);
	if (!m->stopping)
		m->fn(m->arg);
}

static void on_later(uv_timer_t *t)
{
	struct movement *m = t->data;

	if (movepace_pending(&m->pace))
		look(m);
}

uint64_t movement_burst_ms(const struct movement *m)
{
	return m->look_burst_ms;
}

/* Something changed: look at once, or once the burst's hold is over
 * (urgent: an address became usable). */
static void schedule(struct movement *m, int urgent)
{
	uint64_t wait = movepace_event(&m->pace, mono_ms(), urgent);

	if (wait == 0) {
		uv_timer_stop(&m->later);
		look(m);
	} else if (!uv_is_active((uv_handle_t *)&m->later)) {
		uv_timer_start(&m->later, on_later, wait, 0);
	}
}

/* Read every event already queued (bounded), so that one look covers the
 * whole of what the kernel said so far (an RA's route and address).
 * -1 when events may have been lost (then a look is due whatever was read). */
static int drain(struct movement *m)
{
	struct nl_cb *cb = nl_socket_get_cb(m->events);
	int lost = 0;

	for (int i = 0; cb && i < 64; i++) {
		/* messages handled, 0 when none was waiting */
		int rc = nl_recvmsgs_report(m->events, cb);

		if (rc < 0 && rc != -NLE_AGAIN) {
			log_debug("netlink receive: %s (re-evaluating anyway)", nl_geterror(rc));
			lost = 1;
		}
		if (rc <= 0)
			break;
	}
	if (cb)
		nl_cb_put(cb);
	return cb && !lost ? 0 : -1;
}

static void on_readable(uv_poll_t *p, int status, int events)
{
	struct movement *m = p->data;
	int lost;

	(void)events;
	if (status < 0) {
		/*
		 * An overrun sets the socket's error (ENOBUFS): poll reports
		 * POLLERR and libuv stops this handle, saying EBADF. The error
		 * is taken off and the handle started again (pollerr.h), what
		 * is queued read, and a look made for the events that were
		 * lost; without this, moves would be seen only by the 1 s tick.
		 */
		(void)pollerr_resume(&m->poll, UV_READABLE, on_readable,
				     "the netlink socket of address and route events (events lost: "
				     "looking again)");
		(void)nl_recvmsgs_default(m->events);
		schedule(m, 0);
		return;
	}
	m->others = 0;
	m->usable = 0;
	lost = drain(m) < 0;
	/* first what waits for the kernel (a lease's answer), then the look */
	if (m->event_fn && !m->stopping)
		m->event_fn(m->event_arg);
	/* an overrun (ENOBUFS) lost events: look anyway */
	if (lost || m->others)
		schedule(m, m->usable);
}

void movement_on_event(struct movement *m, movement_fn fn, void *arg)
{
	m->event_fn = fn;
	m->event_arg = arg;
}

static void on_close(uv_handle_t *h)
{
	struct movement *m = h->data;

	if (--m->open_handles == 0)
		free(m);
}

int movement_open(struct movement **out, uv_loop_t *loop, int skip_ifindex,
		  movement_fn fn, void *arg)
{
	struct movement *m = calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return -ENOMEM;
	m->loop = loop;
	m->skip_ifindex = skip_ifindex;
	m->fn = fn;
	m->arg = arg;
	m->events = nl_socket_alloc();
	if (!m->events) {
		rc = -ENOMEM;
		goto fail;
	}
	nl_socket_disable_seq_check(m->events);
	nl_socket_modify_cb(m->events, NL_CB_VALID, NL_CB_CUSTOM, on_valid, m);
	if ((rc = nl_connect(m->events, NETLINK_ROUTE)) < 0 ||
	    (rc = nl_socket_add_memberships(m->events, RTNLGRP_IPV6_IFADDR,
					    RTNLGRP_IPV6_ROUTE, RTNLGRP_LINK,
					    RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_RULE, 0)) < 0 ||
	    (rc = nl_socket_set_nonblocking(m->events)) < 0) {
		log_err(0, "netlink: %s", nl_geterror(rc));
		rc = -EIO;
		goto fail;
	}
	/* a burst at a move must not overrun us; an overrun is survivable */
	nl_socket_set_buffer_size(m->events, 1 << 20, 0);
	{
		/* SO_RCVBUF is capped at net.core.rmem_max (~208 KiB); the
		 * agent has CAP_NET_ADMIN, so ask past it: fewer overruns */
		int sz = 1 << 20;

		(void)setsockopt(nl_socket_get_fd(m->events), SOL_SOCKET, SO_RCVBUFFORCE, &sz,
				 sizeof sz);
	}
	rc = uv_poll_init(loop, &m->poll, nl_socket_get_fd(m->events));
	if (rc < 0)
		goto fail;
	m->poll.data = m;
	m->open_handles++;
	uv_timer_init(loop, &m->later);
	m->later.data = m;
	m->open_handles++;
	rc = uv_poll_start(&m->poll, UV_READABLE, on_readable);
	if (rc < 0) {
		movement_close(m);
		return rc;
	}
	*out = m;
	return 0;
fail:
	if (m->events)
		nl_socket_free(m->events);
	free(m);
	return rc;
}

void movement_close(struct movement *m)
{
	if (!m)
		return;
	m->stopping = 1;
	uv_poll_stop(&m->poll);
	uv_timer_stop(&m->later);
	/* the poll handle watches this fd: free the sockets only after it
	 * stopped, which uv_poll_stop() guarantees */
	nl_socket_free(m->events);
	m->events = NULL;
	uv_close((uv_handle_t *)&m->poll, on_close);
	uv_close((uv_handle_t *)&m->later, on_close);
}

/* each address of the dump, for coapick */
static int coa_seen(void *arg, const struct addrmsg *x)
{
	coapick_add(arg, x);
	return 0;
}

/* The memo of anchor, NULL if none */
static struct hopmemo *hop_of(struct movement *m, const struct in6_addr *anchor)
{
	for (unsigned i = 0; i < MOVEMENT_HOPS; i++)
		if (m->hops[i].set && IN6_ARE_ADDR_EQUAL(&m->hops[i].anchor, anchor))
			return &m->hops[i];
	return NULL;
}

void movement_coa_note(struct movement *m, const struct in6_addr *anchor,
		       const struct in6_addr *coa)
{
	struct hopmemo *h = hop_of(m, anchor);

	if (h && IN6_ARE_ADDR_EQUAL(&h->coa, coa))
		return;
	if (!h) {
		h = &m->hops[m->next_hop];
		m->next_hop = (m->next_hop + 1) % MOVEMENT_HOPS;
	}
	memset(h, 0, sizeof(*h));
	if (netconf_next_hop(anchor, coa, &h->oif, &h->gw) <= 0)
		return; /* not known: the next pick is trusted */
	h->anchor = *anchor;
	h->coa = *coa;
	h->set = 1;
}

/* The next hop toward anchor from pick against the one noted when cur was
 * taken */
static enum coapick_hop hop_now(struct movement *m, const struct in6_addr *anchor,
				const struct in6_addr *pick, const struct in6_addr *cur)
{
	struct hopmemo *h = hop_of(m, anchor);
	struct in6_addr gw;
	int oif;

	if (!h || h->left || !IN6_ARE_ADDR_EQUAL(&h->coa, cur) ||
	    netconf_next_hop(anchor, pick, &oif, &gw) <= 0)
		return COAPICK_HOP_UNKNOWN;
	return oif == h->oif && IN6_ARE_ADDR_EQUAL(&gw, &h->gw) ? COAPICK_HOP_SAME
								 : COAPICK_HOP_CHANGED;
}

/*
 * Whether the kernel's choice a is usable as a CoA: not on the tunnel device
 * and not (non-optimistic) tentative or DAD-failed, nor deprecated while
 * cur, the CoA in use, is preferred, nor another address of cur's link
 * while cur is preferred and the next hop toward anchor is the one of when
 * cur was taken (coapick.h: then *keep is set, and the CoA stays cur). An
 * address the dump does not show (it went away meanwhile) is not usable
 * either. Nor is one the
 * kernel does not route as local yet: it tells of a new address (and picks
 * it as a source) before its DAD work adds the local route, even with DAD
 * off, so the BA to a BU sent then was dropped as not the host's (seen: 1
 * packet a move, and all 300 BAs of a burst on a loaded machine, each
 * lease then waiting 1 s for its retransmission). The route's own event
 * brings the next look.
 */
static int coa_usable(struct movement *m, const struct in6_addr *anchor,
		      const struct in6_addr *a, const struct in6_addr *cur, int *keep)
{
	struct coapick c;
	int r;

	coapick_init(&c, a, cur, m->skip_ifindex);
	r = netconf_addr_each(0, coa_seen, &c);
	if (r < 0)
		return 0; /* cannot tell; the kernel chose it, so trust it */
	if (coapick_needs_hop(&c))
		coapick_hop(&c, hop_now(m, anchor, a, cur));
	if (coapick_needs_route(&c)) {
		int oif = netconf_route_oif(anchor, a);

		coapick_route(&c, oif > 0 ? oif : 0);
	}
	switch (coapick_verdict(&c)) {
	case COAPICK_UNUSABLE:
		return -EAGAIN;
	case COAPICK_KEEP:
		*keep = 1;
		return 0;
	default:
		return netconf_is_local(a) == 0 ? -EAGAIN : 0;
	}
}

int movement_coa_scope_ok(const struct in6_addr *anchor, const struct in6_addr *src)
{
	return !addr_is_routable(anchor) || addr_is_routable(src);
}

int movement_coa(struct movement *m, const struct in6_addr *anchor,
		 const struct in6_addr *current, struct in6_addr *coa)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons(MOVEMENT_PROBE_PORT) };
	socklen_t sl = sizeof(sa);
	int fd, rc, keep = 0;

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	sa.sin6_addr = *anchor;
	/* a UDP connect() only routes and picks the source; nothing is sent */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		rc = -errno;
		close(fd);
		/* EINVAL/EADDRNOTAVAIL also mean: no usable source right now */
		return rc == -ENETUNREACH || rc == -EHOSTUNREACH || rc == -EADDRNOTAVAIL ||
			       rc == -EINVAL ? -ENETUNREACH : rc;
	}
	close(fd);
	if (IN6_IS_ADDR_UNSPECIFIED(&sa.sin6_addr) || !movement_coa_scope_ok(anchor, &sa.sin6_addr))
		return -ENETUNREACH;
	if (current && IN6_ARE_ADDR_EQUAL(current, &sa.sin6_addr))
		rc = 0; /* no move: nothing new to check */
	else
		rc = m ? coa_usable(m, anchor, &sa.sin6_addr, current, &keep) : 0;
	if (rc < 0)
		return rc;
	*coa = keep ? *current : sa.sin6_addr;
	return 0;
}

struct addrs_take {
	int skip_ifindex;
	struct in6_addr *out;
	size_t max, n;
};

static int take_vanishable(void *arg, const struct addrmsg *x)
{
	struct addrs_take *t = arg;

	if (x->ifindex == t->skip_ifindex ||
	    !(IN6_IS_ADDR_V4MAPPED(&x->addr) ? vanished_candidate4(&x->addr)
					      : vanished_candidate(&x->addr)))
		return 0;
	if (t->n == t->max)
		return 1; /* a partial list would make present addresses look gone */
	t->out[t->n++] = x->addr;
	return 0;
}

int movement_addrs(struct movement *m, struct in6_addr *out, size_t max)
{
	struct addrs_take t = { m->skip_ifindex, out, max, 0 };
	int rc = netconf_addr_each(0, take_vanishable, &t);

	if (rc < 0) {
		log_debug("address dump: %s", strerror(-rc));
		return -EIO;
	}
	return rc == 1 ? -E2BIG : (int)t.n;
}

int movement_addrs4(struct movement *m, struct in6_addr *out, size_t max)
{
	struct addrs_take t = { m->skip_ifindex, out, max, 0 };
	int rc = netconf_addr4_each(take_vanishable, &t);

	if (rc < 0) {
		log_debug("IPv4 address dump: %s", strerror(-rc));
		return -EIO;
	}
	return rc == 1 ? -E2BIG : (int)t.n;
}

/* movement_usable_addrs: the candidates, with their device, then the
 * devices that run */
struct usable_take {
	int skip_ifindex;
	struct in6_addr *out;
	int ifindex[VANISHED_MAX];
	int running[VANISHED_MAX];
	uint32_t down[VANISHED_MAX]; /* its device's carrier losses */
	size_t max, n;
};

static int take_usable(void *arg, const struct addrmsg *x)
{
	struct usable_take *t = arg;

	if (x->ifindex == t->skip_ifindex || !vanished_candidate(&x->addr) ||
	    (x->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)))
		return 0;
	if (t->n == t->max || t->n == VANISHED_MAX)
		return 1;
	t->ifindex[t->n] = x->ifindex;
	t->running[t->n] = 0;
	t->out[t->n++] = x->addr;
	return 0;
}

static int mark_running(void *arg, int ifindex, unsigned flags, uint32_t carrier_down)
{
	struct usable_take *t = arg;

	if ((flags & (IFF_UP | IFF_RUNNING)) != (IFF_UP | IFF_RUNNING))
		return 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->ifindex[i] == ifindex) {
			t->running[i] = 1;
			t->down[i] = carrier_down;
		}
	return 0;
}

int movement_usable_addrs_down(struct movement *m, struct in6_addr *out, uint32_t *down,
			       size_t max)
{
	struct usable_take t = { .skip_ifindex = m ? m->skip_ifindex : 0, .out = out, .max = max };
	size_t n = 0;
	int rc = netconf_addr_each(0, take_usable, &t);

	if (rc < 0)
		return -EIO;
	if (rc == 1)
		return -E2BIG;
	if (t.n && netconf_link_each(mark_running, &t) < 0)
		return -EIO;
	for (size_t i = 0; i < t.n; i++)
		if (t.running[i]) {
			if (down)
				down[n] = t.down[i];
			out[n++] = out[i];
		}
	return (int)n;
}

int movement_usable_addrs(struct movement *m, struct in6_addr *out, size_t max)
{
	return movement_usable_addrs_down(m, out, NULL, max);
}

/* movement_addr_link: the device of an address, then its flags and count */
struct addr_link {
	struct in6_addr addr;
	int skip_ifindex, ifindex;
	unsigned flags;
	uint32_t down;
};

static int take_addr_device(void *arg, const struct addrmsg *x)
{
	struct addr_link *t = arg;

	if (x->ifindex == t->skip_ifindex || !IN6_ARE_ADDR_EQUAL(&x->addr, &t->addr))
		return 0;
	t->ifindex = x->ifindex;
	return 1;
}

static int take_link(void *arg, int ifindex, unsigned flags, uint32_t carrier_down)
{
	struct addr_link *t = arg;

	if (ifindex != t->ifindex)
		return 0;
	t->flags = flags;
	t->down = carrier_down;
	return 1;
}

int movement_addr_link(struct movement *m, const struct in6_addr *addr, int *ifindex,
		       uint32_t *down)
{
	struct addr_link t = { .addr = *addr, .skip_ifindex = m ? m->skip_ifindex : 0 };
	int rc = netconf_addr_each(0, take_addr_device, &t);

	if (rc < 0)
		return -EIO;
	if (!t.ifindex)
		return -ENODEV;
	rc = netconf_link_each(take_link, &t);
	if (rc < 0)
		return -EIO;
	if (rc == 0)
		return -ENODEV;
	if ((t.flags & (IFF_UP | IFF_RUNNING)) != (IFF_UP | IFF_RUNNING))
		return -ENETDOWN;
	*ifindex = t.ifindex;
	*down = t.down;
	return 0;
}
