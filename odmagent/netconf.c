/* SPDX-License-Identifier: MIT */
/*
 * netconf.c — addresses, routes, rules and links through libnl-route; the
 * host's addresses and devices from dumps of its own (rtnl_dump: nldump.c
 * reads the answer, addrmsg.c each address in it, as it reads the address
 * events).
 *
 * Every call is synchronous (libnl waits for the kernel's ACK) and
 * idempotent: the agent re-applies its whole state after a restart, so
 * "already there" on add and "already gone" on delete count as success.
 * libnl reports its own NLE_* codes; they are turned back into errno values
 * so callers see the same -errno convention as everywhere else.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

#include "log.h"
#include "netconf.h"
#include "nldump.h"

/* Routes ODM installs carry this protocol, so they are easy to tell apart. */
#define NETCONF_RTPROT RTPROT_STATIC

struct netconf {
	struct nl_sock *sk;
};

/* libnl error (negative NLE_*) -> -errno */
int netconf_nl2errno(int nle)
{
	static const struct {
		int nle, err;
	} map[] = {
		{ NLE_INTR, EINTR },		{ NLE_BAD_SOCK, EBADF },
		{ NLE_AGAIN, EAGAIN },		{ NLE_NOMEM, ENOMEM },
		{ NLE_EXIST, EEXIST },		{ NLE_INVAL, EINVAL },
		{ NLE_RANGE, ERANGE },		{ NLE_MSGSIZE, EMSGSIZE },
		{ NLE_OPNOTSUPP, EOPNOTSUPP },	{ NLE_AF_NOSUPPORT, EAFNOSUPPORT },
		{ NLE_OBJ_NOTFOUND, ENOENT },	{ NLE_NOADDR, EADDRNOTAVAIL },
		{ NLE_BUSY, EBUSY },		{ NLE_NOACCESS, EACCES },
		{ NLE_PERM, EPERM },		{ NLE_NODEV, ENODEV },
		{ NLE_MSG_TRUNC, EMSGSIZE },	{ NLE_MSG_OVERFLOW, ENOBUFS },
	};

	if (nle >= 0)
		return 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].nle == -nle)
			return -map[i].err;
	return -EIO;
}

int netconf_open(struct netconf **out)
{
	struct netconf *nc;
	int r;

	nc = calloc(1, sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	nc->sk = nl_socket_alloc();
	if (!nc->sk) {
		free(nc);
		return -ENOMEM;
	}
	r = nl_connect(nc->sk, NETLINK_ROUTE);
	if (r < 0) {
		r = netconf_nl2errno(r);
		log_err(r, "rtnetlink");
		nl_socket_free(nc->sk);
		free(nc);
		return r;
	}
	/* libnl's socket must not leak into children the mn role may spawn */
	fcntl(nl_socket_get_fd(nc->sk), F_SETFD, FD_CLOEXEC);
	*out = nc;
	return 0;
}

void netconf_close(struct netconf *nc)
{
	if (!nc)
		return;
	nl_socket_free(nc->sk);
	free(nc);
}

uint32_t netconf_portid(const struct netconf *nc)
{
	return nc ? nl_socket_get_local_port(nc->sk) : 0;
}

int netconf_ifindex(struct netconf *nc, const char *ifname)
{
	struct rtnl_link *link = NULL;
	int r, idx;

	if (!nc || !ifname || !*ifname || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	r = rtnl_link_get_kernel(nc->sk, 0, ifname, &link);
	if (r < 0)
		return netconf_nl2errno(r) == -ENOENT ? -ENODEV : netconf_nl2errno(r);
	idx = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return idx > 0 ? idx : -ENODEV;
}

static struct nl_addr *mkaddr(const struct in6_addr *a, int plen)
{
	struct nl_addr *na = nl_addr_build(AF_INET6, a, sizeof(*a));

	if (na)
		nl_addr_set_prefixlen(na, plen);
	return na;
}

static int addr_obj(struct rtnl_addr **out, int ifindex, const struct in6_addr *addr, int plen)
{
	struct rtnl_addr *ra;
	struct nl_addr *na;
	int r;

	if (ifindex <= 0 || !addr || plen < 0 || plen > 128)
		return -EINVAL;
	ra = rtnl_addr_alloc();
	na = mkaddr(addr, plen);
	if (!ra || !na) {
		if (ra)
			rtnl_addr_put(ra);
		nl_addr_put(na);
		return -ENOMEM;
	}
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, AF_INET6);
	r = rtnl_addr_set_local(ra, na);
	nl_addr_put(na);
	if (r < 0) {
		rtnl_addr_put(ra);
		return netconf_nl2errno(r);
	}
	rtnl_addr_set_prefixlen(ra, plen);
	*out = ra;
	return 0;
}

/* Append attribute type (len bytes of data) to the request h, which has
 * room for it (route_get's sizes) */
static void req_attr(struct nlmsghdr *h, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + (uint32_t)RTA_SPACE(len);
}

/*
 * The kernel's route to dst (from src, if not NULL) into *rtm, its output
 * interface into *oif (0 if it has none), and into *gw (may be NULL) the
 * gateway it leads to (:: for none); 1, 0 if there is no route at all, or
 * -errno. With want_oif (not 0): the route out of that interface alone, as
 * the entry of the table that matched (RTM_F_FIB_MATCH: its own prefix
 * length, where a plain answer always says 128). The kernel answers
 * RTM_GETROUTE in the sendto() call itself: the recv below waits on
 * nothing but that answer.
 */
static int route_get(const struct in6_addr *dst, const struct in6_addr *src, int want_oif,
		     struct rtmsg *rtm, int *oif, struct in6_addr *gw)
{
	union {
		struct nlmsghdr h;
		char b[NLMSG_SPACE(sizeof(struct rtmsg)) + 2 * RTA_SPACE(sizeof(struct in6_addr)) +
		       RTA_SPACE(sizeof(int))];
	} req;
	union {
		struct nlmsghdr h;
		char b[4096];
	} resp;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1 };
	struct rtmsg *r;
	ssize_t n;
	int fd, rc = -EIO;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_type = RTM_GETROUTE;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 1;
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(*r));
	r = NLMSG_DATA(&req.h);
	r->rtm_family = AF_INET6;
	r->rtm_dst_len = 128;
	req_attr(&req.h, RTA_DST, dst, sizeof(*dst));
	if (src) {
		r->rtm_src_len = 128;
		req_attr(&req.h, RTA_SRC, src, sizeof(*src));
	}
	if (want_oif > 0) {
		r->rtm_flags |= RTM_F_FIB_MATCH;
		req_attr(&req.h, RTA_OIF, &want_oif, sizeof(want_oif));
	}
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(fd, &resp, sizeof(resp), 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	if (!NLMSG_OK(&resp.h, (size_t)n))
		goto out;
	if (resp.h.nlmsg_type == NLMSG_ERROR) {
		rc = 0; /* no route at all (yet) */
		goto out;
	}
	if (resp.h.nlmsg_type == RTM_NEWROUTE &&
	    resp.h.nlmsg_len >= NLMSG_LENGTH(sizeof(struct rtmsg))) {
		struct rtmsg *m = NLMSG_DATA(&resp.h);
		int alen = (int)RTM_PAYLOAD(&resp.h);

		*rtm = *m;
		*oif = 0;
		if (gw)
			*gw = in6addr_any;
		for (struct rtattr *at = RTM_RTA(m); RTA_OK(at, alen); at = RTA_NEXT(at, alen)) {
			if (at->rta_type == RTA_OIF && RTA_PAYLOAD(at) >= sizeof(int))
				memcpy(oif, RTA_DATA(at), sizeof(int));
			if (at->rta_type == RTA_GATEWAY && gw && RTA_PAYLOAD(at) == sizeof(*gw))
				memcpy(gw, RTA_DATA(at), sizeof(*gw));
		}
		rc = 1;
	}
out:
	close(fd);
	return rc;
}

/* 1 if the kernel routes addr as local now, 0 if not, -errno. */
static int route_is_local(const struct in6_addr *addr)
{
	struct rtmsg rtm;
	int oif, r = route_get(addr, NULL, 0, &rtm, &oif, NULL);

	return r <= 0 ? r : rtm.rtm_type == RTN_LOCAL;
}

int netconf_route_oif(const struct in6_addr *dst, const struct in6_addr *src)
{
	struct rtmsg rtm;
	int oif, r;

	if (!dst)
		return -EINVAL;
	r = route_get(dst, src, 0, &rtm, &oif, NULL);
	if (r == 0 || (r > 0 && rtm.rtm_type != RTN_UNICAST))
		return -ENETUNREACH;
	if (r > 0 && oif <= 0)
		return -ENODEV;
	return r < 0 ? r : oif;
}

int netconf_on_link(const struct in6_addr *dst, int ifindex)
{
	struct rtmsg rtm;
	struct in6_addr gw;
	int oif, r;

	if (!dst || ifindex <= 0)
		return -EINVAL;
	r = route_get(dst, NULL, ifindex, &rtm, &oif, &gw);
	if (r <= 0)
		return r;
	/* a connected prefix: not a default route (length 0) or one through a
	 * gateway, nor a host route (128: the agent's own into a tunnel) */
	return rtm.rtm_type == RTN_UNICAST && oif == ifindex && IN6_IS_ADDR_UNSPECIFIED(&gw) &&
	       rtm.rtm_dst_len > 0 && rtm.rtm_dst_len < 128;
}

int netconf_router(int ifindex, const struct in6_addr *src, struct in6_addr *router)
{
	/* 2000::, the first global unicast address (RFC 4291 §2.4): what a
	 * host's default route covers, where no more specific route does */
	static const struct in6_addr global = { .s6_addr = { 0x20 } };
	struct rtmsg rtm;
	int oif, r;

	if (!src || !router || ifindex <= 0)
		return -EINVAL;
	r = route_get(&global, src, ifindex, &rtm, &oif, router);
	if (r <= 0)
		return r;
	return rtm.rtm_type == RTN_UNICAST && oif == ifindex && !IN6_IS_ADDR_UNSPECIFIED(router);
}

int netconf_next_hop(const struct in6_addr *dst, const struct in6_addr *src, int *oif,
		     struct in6_addr *gw)
{
	struct rtmsg rtm;
	int r;

	if (!dst || !oif || !gw)
		return -EINVAL;
	r = route_get(dst, src, 0, &rtm, oif, gw);
	if (r <= 0)
		return r;
	return rtm.rtm_type == RTN_UNICAST && *oif > 0;
}

int netconf_is_local(const struct in6_addr *addr)
{
	return addr ? route_is_local(addr) : -EINVAL;
}

int netconf_addr_usable(struct netconf *nc, const struct in6_addr *addr)
{
	if (!nc || !addr)
		return -EINVAL;
	return route_is_local(addr);
}

int netconf_addr_add(struct netconf *nc, int ifindex, const struct in6_addr *addr, int plen,
		     unsigned flags)
{
	struct rtnl_addr *ra;
	int r;

	if (!nc)
		return -EINVAL;
	r = addr_obj(&ra, ifindex, addr, plen);
	if (r < 0)
		return r;
	if (flags & NETCONF_ADDR_NODAD)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	/* valid forever; preferred 0 keeps legacy sockets from picking it */
	rtnl_addr_set_valid_lifetime(ra, 0xffffffffu);
	rtnl_addr_set_preferred_lifetime(ra, (flags & NETCONF_ADDR_DEPRECATED) ? 0 : 0xffffffffu);
	/* REPLACE: a re-apply updates lifetimes and flags of what is there */
	r = netconf_nl2errno(rtnl_addr_add(nc->sk, ra, NLM_F_REPLACE));
	rtnl_addr_put(ra);
	if (r == -EEXIST)
		r = 0;
	return r;
}

int netconf_addr_del(struct netconf *nc, int ifindex, const struct in6_addr *addr, int plen)
{
	struct rtnl_addr *ra;
	int r;

	if (!nc)
		return -EINVAL;
	r = addr_obj(&ra, ifindex, addr, plen);
	if (r < 0)
		return r;
	r = netconf_nl2errno(rtnl_addr_delete(nc->sk, ra, 0));
	rtnl_addr_put(ra);
	/* gone already, or its device is */
	if (r == -EADDRNOTAVAIL || r == -ENOENT || r == -ESRCH || r == -ENODEV)
		r = 0;
	return r;
}

/* What a walk collects from the kernel before it calls its callback, which
 * may then change what was walked: records of size bytes each */
struct records {
	void *v;
	size_t n, cap, size;
};

/* Add the record at p (size bytes); 0 or -ENOMEM */
static int records_add(struct records *rs, const void *p)
{
	if (rs->n == rs->cap) {
		size_t c = rs->cap ? 2 * rs->cap : 64;
		void *w = c <= SIZE_MAX / rs->size ? realloc(rs->v, c * rs->size) : NULL;

		if (!w)
			return -ENOMEM;
		rs->v = w;
		rs->cap = c;
	}
	memcpy((char *)rs->v + rs->n++ * rs->size, p, rs->size);
	return 0;
}

/*
 * One rtnetlink dump (rtnetlink(7)) of type, whose request carries the
 * family header fh of fhlen bytes: each message of the answer to
 * take(ctx, h) (nldump_read). 0, or -errno; -EAGAIN if the kernel is
 * silent for a second. Its own socket: nothing of another conversation can
 * come in between.
 */
static int rtnl_dump(uint16_t type, const void *fh, size_t fhlen,
		     int (*take)(void *ctx, const struct nlmsghdr *h), void *ctx)
{
	struct {
		struct nlmsghdr h;
		unsigned char f[sizeof(struct ifinfomsg)];
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1 };
	const uint32_t seq = 1;
	int fd, r;

	if (fhlen > sizeof(req.f))
		return -EINVAL;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(fhlen);
	req.h.nlmsg_type = type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = seq;
	memcpy(req.f, fh, fhlen);
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		r = -errno;
	else
		r = nldump_read(fd, seq, take, ctx);
	close(fd);
	return r;
}

/* A dump the kernel says was interrupted (an address added or deleted
 * meanwhile, as during a move) may miss what is there: asked again, at
 * most this many times in all */
#define DUMP_TRIES 4

/* rtnl_dump into rs (emptied first), asked again while the kernel says
 * the dump was interrupted */
static int rtnl_collect(uint16_t type, const void *fh, size_t fhlen,
			int (*take)(void *ctx, const struct nlmsghdr *h), void *ctx,
			struct records *rs)
{
	int r = -EINTR;

	for (int k = 0; k < DUMP_TRIES && r == -EINTR; k++) {
		rs->n = 0;
		r = rtnl_dump(type, fh, fhlen, take, ctx);
	}
	return r;
}

struct addr_walk {
	int ifindex; /* 0: every device's */
	int v4;      /* IPv4 addresses (addrmsg_parse4), not IPv6 */
	struct records rs;
};

static int take_addr(void *ctx, const struct nlmsghdr *h)
{
	struct addr_walk *w = ctx;
	struct addrmsg m;

	if (!(w->v4 ? addrmsg_parse4 : addrmsg_parse)(h, h->nlmsg_len, &m) || m.deleted ||
	    (w->ifindex && m.ifindex != w->ifindex))
		return 0;
	return records_add(&w->rs, &m);
}

/* One RTM_GETADDR dump of the family's addresses (of ifindex, 0: all),
 * read whole, then fn on each (netconf_addr_each) */
static int addr_walk_run(int v4, int ifindex, int (*fn)(void *arg, const struct addrmsg *a),
			 void *arg)
{
	struct ifaddrmsg ifa = { .ifa_family = v4 ? AF_INET : AF_INET6 };
	struct addr_walk w = { .ifindex = ifindex, .v4 = v4,
			       .rs = { .size = sizeof(struct addrmsg) } };
	int r;

	if (!fn || ifindex < 0)
		return -EINVAL;
	r = rtnl_collect(RTM_GETADDR, &ifa, sizeof(ifa), take_addr, &w, &w.rs);
	for (size_t i = 0; r == 0 && i < w.rs.n; i++)
		r = fn(arg, (const struct addrmsg *)w.rs.v + i);
	free(w.rs.v);
	return r;
}

int netconf_addr_each(int ifindex, int (*fn)(void *arg, const struct addrmsg *a), void *arg)
{
	return addr_walk_run(0, ifindex, fn, arg);
}

int netconf_addr4_each(int (*fn)(void *arg, const struct addrmsg *a), void *arg)
{
	return addr_walk_run(1, 0, fn, arg);
}

struct link_rec {
	int ifindex;
	unsigned flags;
	uint32_t carrier_down;
};

static int take_link(void *ctx, const struct nlmsghdr *h)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct link_rec l;
	int alen;

	/* the header, and of the attributes the carrier's count */
	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) ||
	    ifi->ifi_index <= 0)
		return 0;
	l.ifindex = ifi->ifi_index;
	l.flags = ifi->ifi_flags;
	l.carrier_down = 0;
	alen = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	for (const struct rtattr *at = IFLA_RTA(ifi); RTA_OK(at, alen); at = RTA_NEXT(at, alen))
		if (at->rta_type == IFLA_CARRIER_DOWN_COUNT && RTA_PAYLOAD(at) >= sizeof(uint32_t))
			memcpy(&l.carrier_down, RTA_DATA(at), sizeof(uint32_t));
	return records_add(ctx, &l);
}

int netconf_link_each(int (*fn)(void *arg, int ifindex, unsigned flags, uint32_t carrier_down),
		      void *arg)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct records rs = { .size = sizeof(struct link_rec) };
	int r;

	if (!fn)
		return -EINVAL;
	r = rtnl_collect(RTM_GETLINK, &ifi, sizeof(ifi), take_link, &rs, &rs);
	for (size_t i = 0; r == 0 && i < rs.n; i++) {
		const struct link_rec *l = (const struct link_rec *)rs.v + i;

		r = fn(arg, l->ifindex, l->flags, l->carrier_down);
	}
	free(rs.v);
	return r;
}

static int route_obj(struct rtnl_route **out, const struct in6_addr *dst, int plen,
		     int ifindex, uint32_t table)
{
	struct rtnl_route *rt;
	struct rtnl_nexthop *nh;
	struct nl_addr *na;
	int r;

	if (!dst || plen < 0 || plen > 128 || ifindex <= 0)
		return -EINVAL;
	rt = rtnl_route_alloc();
	na = mkaddr(dst, plen);
	nh = rtnl_route_nh_alloc();
	if (!rt || !na || !nh) {
		if (rt)
			rtnl_route_put(rt);
		nl_addr_put(na);
		if (nh)
			rtnl_route_nh_free(nh);
		return -ENOMEM;
	}
	rtnl_route_set_family(rt, AF_INET6);
	r = rtnl_route_set_dst(rt, na);
	nl_addr_put(na);
	if (r < 0) {
		rtnl_route_nh_free(nh);
		rtnl_route_put(rt);
		return netconf_nl2errno(r);
	}
	rtnl_route_set_table(rt, table ? table : RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, NETCONF_RTPROT);
	rtnl_route_set_type(rt, RTN_UNICAST);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(rt, nh); /* the route owns nh now */
	*out = rt;
	return 0;
}

int netconf_route_add(struct netconf *nc, const struct in6_addr *dst, int plen, int ifindex,
		      uint32_t table)
{
	struct rtnl_route *rt;
	int r;

	if (!nc)
		return -EINVAL;
	r = route_obj(&rt, dst, plen, ifindex, table);
	if (r < 0)
		return r;
	r = netconf_nl2errno(rtnl_route_add(nc->sk, rt, NLM_F_EXCL));
	rtnl_route_put(rt);
	return r == -EEXIST ? 0 : r;
}

int netconf_route_each128(struct netconf *nc, int ifindex, uint32_t table,
			  void (*fn)(void *arg, const struct in6_addr *dst), void *arg)
{
	struct nl_cache *cache;
	struct records dsts = { .size = sizeof(struct in6_addr) };
	int r;

	if (!nc || !fn)
		return -EINVAL;
	r = netconf_nl2errno(rtnl_route_alloc_cache(nc->sk, AF_INET6, 0, &cache));
	if (r < 0)
		return r;
	for (struct nl_object *o = nl_cache_get_first(cache); o && r == 0;
	     o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(rt);
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(rt, 0);

		if (rtnl_route_get_table(rt) != (table ? table : RT_TABLE_MAIN) || !dst ||
		    nl_addr_get_prefixlen(dst) != 128 || nl_addr_get_len(dst) != 16 || !nh ||
		    rtnl_route_nh_get_ifindex(nh) != ifindex)
			continue;
		r = records_add(&dsts, nl_addr_get_binary_addr(dst));
	}
	nl_cache_free(cache);
	for (size_t i = 0; r == 0 && i < dsts.n; i++)
		fn(arg, (const struct in6_addr *)dsts.v + i);
	free(dsts.v);
	return r;
}

int netconf_route_del(struct netconf *nc, const struct in6_addr *dst, int plen, int ifindex,
		      uint32_t table)
{
	struct rtnl_route *rt;
	int r;

	if (!nc)
		return -EINVAL;
	r = route_obj(&rt, dst, plen, ifindex, table);
	if (r < 0)
		return r;
	/* match any protocol: a route someone re-added by hand still goes */
	rtnl_route_set_protocol(rt, RTPROT_UNSPEC);
	r = netconf_nl2errno(rtnl_route_delete(nc->sk, rt, 0));
	rtnl_route_put(rt);
	if (r == -ENOENT || r == -ESRCH || r == -ENODEV)
		r = 0;
	return r;
}

/* A rule's or route's source when it is one /128: 1 and *out, else 0 */
static int src128(struct nl_addr *src, struct in6_addr *out)
{
	if (!src || nl_addr_get_family(src) != AF_INET6 || nl_addr_get_prefixlen(src) != 128 ||
	    nl_addr_get_len(src) != sizeof(struct in6_addr))
		return 0;
	memcpy(out, nl_addr_get_binary_addr(src), sizeof(*out));
	return 1;
}

/* a is one of keep[nkeep] */
static int kept(const struct in6_addr *a, const struct in6_addr *keep, size_t nkeep)
{
	for (size_t i = 0; i < nkeep; i++)
		if (IN6_ARE_ADDR_EQUAL(a, &keep[i]))
			return 1;
	return 0;
}

/* "default from from/128" out of ifindex in table at metric */
static int lease_route_obj(struct rtnl_route **out, const struct in6_addr *from, int ifindex,
			   uint32_t table, uint32_t metric)
{
	struct in6_addr any = IN6ADDR_ANY_INIT;
	struct rtnl_route *rt = NULL;
	struct nl_addr *src;
	int r;

	if (!from)
		return -EINVAL;
	r = route_obj(&rt, &any, 0, ifindex, table);
	if (r < 0)
		return r;
	src = mkaddr(from, 128);
	r = src ? netconf_nl2errno(rtnl_route_set_src(rt, src)) : -ENOMEM;
	nl_addr_put(src);
	if (r < 0) {
		rtnl_route_put(rt);
		return r;
	}
	rtnl_route_set_priority(rt, metric);
	*out = rt;
	return 0;
}

/* Add (add) or delete from's route; "already there" and "already gone"
 * are success */
static int lease_route(struct netconf *nc, int add, const struct in6_addr *from, int ifindex,
		       uint32_t table)
{
	struct rtnl_route *rt = NULL;
	int r;

	if (!nc || table == 0)
		return -EINVAL;
	r = lease_route_obj(&rt, from, ifindex, table, NETCONF_LEASE_METRIC);
	if (r < 0)
		return r;
	if (add) {
		r = netconf_nl2errno(rtnl_route_add(nc->sk, rt, NLM_F_EXCL));
	} else {
		/* match any protocol: a route someone re-added by hand still goes */
		rtnl_route_set_protocol(rt, RTPROT_UNSPEC);
		r = netconf_nl2errno(rtnl_route_delete(nc->sk, rt, 0));
	}
	rtnl_route_put(rt);
	if (r == -EEXIST || (!add && (r == -ENOENT || r == -ESRCH || r == -ENODEV)))
		r = 0;
	return r;
}

int netconf_lease_route_add(struct netconf *nc, const struct in6_addr *from, int ifindex,
			    uint32_t table)
{
	return lease_route(nc, 1, from, ifindex, table);
}

int netconf_lease_route_del(struct netconf *nc, const struct in6_addr *from, int ifindex,
			    uint32_t table)
{
	return lease_route(nc, 0, from, ifindex, table);
}

int netconf_table_flush_except(struct netconf *nc, uint32_t table, const struct in6_addr *keep,
			       size_t nkeep, netconf_gone_fn gone, void *gone_arg)
{
	struct records told = { .size = sizeof(struct in6_addr) };
	struct nl_cache *cache;
	int r, err = 0, deleted = 0;

	if (!nc || table == 0)
		return -EINVAL;
	r = netconf_nl2errno(rtnl_route_alloc_cache(nc->sk, AF_INET6, 0, &cache));
	if (r < 0)
		return r;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		struct in6_addr from;
		int src = src128(rtnl_route_get_src(rt), &from);

		if (rtnl_route_get_table(rt) != table || (src && kept(&from, keep, nkeep)))
			continue;
		r = netconf_nl2errno(rtnl_route_delete(nc->sk, rt, 0));
		if (r < 0 && r != -ENOENT && r != -ESRCH) {
			err = err ? err : r;
			continue;
		}
		deleted += r == 0;
		/* each address once (a kernel backend's lease has two routes) */
		if (r == 0 && src && gone && !kept(&from, told.v, told.n) &&
		    records_add(&told, &from) < 0 && !err)
			err = -ENOMEM;
	}
	nl_cache_free(cache);
	for (size_t i = 0; i < told.n; i++)
		gone(gone_arg, (const struct in6_addr *)told.v + i);
	free(told.v);
	return err ? err : deleted;
}

static int rule_obj(struct rtnl_rule **out, const struct in6_addr *from, uint32_t table,
		    uint32_t prio)
{
	struct rtnl_rule *ru;
	struct nl_addr *na;
	int r;

	if (table == 0)
		return -EINVAL;
	ru = rtnl_rule_alloc();
	na = from ? mkaddr(from, 128) : NULL;
	if (!ru || (from && !na)) {
		if (ru)
			rtnl_rule_put(ru);
		nl_addr_put(na);
		return -ENOMEM;
	}
	rtnl_rule_set_family(ru, AF_INET6);
	r = na ? rtnl_rule_set_src(ru, na) : 0;
	nl_addr_put(na);
	if (r < 0) {
		rtnl_rule_put(ru);
		return netconf_nl2errno(r);
	}
	rtnl_rule_set_table(ru, table);
	rtnl_rule_set_prio(ru, prio);
	rtnl_rule_set_action(ru, FR_ACT_TO_TBL);
	*out = ru;
	return 0;
}

int netconf_rule_add(struct netconf *nc, const struct in6_addr *from, uint32_t table,
		     uint32_t prio)
{
	struct rtnl_rule *ru;
	int r;

	if (!nc)
		return -EINVAL;
	r = rule_obj(&ru, from, table, prio);
	if (r < 0)
		return r;
	/* without EXCL the kernel happily adds a duplicate rule */
	r = netconf_nl2errno(rtnl_rule_add(nc->sk, ru, NLM_F_EXCL));
	rtnl_rule_put(ru);
	return r == -EEXIST ? 0 : r;
}

int netconf_rule_del(struct netconf *nc, const struct in6_addr *from, uint32_t table,
		     uint32_t prio)
{
	struct rtnl_rule *ru;
	int r;

	if (!nc)
		return -EINVAL;
	r = rule_obj(&ru, from, table, prio);
	if (r < 0)
		return r;
	r = netconf_nl2errno(rtnl_rule_delete(nc->sk, ru, 0));
	rtnl_rule_put(ru);
	if (r == -ENOENT || r == -ESRCH)
		r = 0;
	return r;
}

struct flush_ctx {
	struct netconf *nc;
	uint32_t table, prio;
	int keep_plain; /* the rule without a source stays */
	int deleted, err;
	const struct in6_addr *keep;
	size_t nkeep;
	netconf_gone_fn gone;
	void *gone_arg;
};


static void flush_one(struct nl_object *obj, void *arg)
{
	struct rtnl_rule *ru = (struct rtnl_rule *)obj;
	struct flush_ctx *fc = arg;
	struct nl_addr *src = rtnl_rule_get_src(ru);
	struct in6_addr from;
	int r;

	if (rtnl_rule_get_table(ru) != fc->table || rtnl_rule_get_prio(ru) != fc->prio ||
	    rtnl_rule_get_action(ru) != FR_ACT_TO_TBL ||
	    (fc->keep_plain && (!src || nl_addr_get_prefixlen(src) == 0)))
		return;
	r = netconf_nl2errno(rtnl_rule_delete(fc->nc->sk, ru, 0));
	if (r == 0) {
		fc->deleted++;
		if (fc->gone && src128(src, &from) && !kept(&from, fc->keep, fc->nkeep))
			fc->gone(fc->gone_arg, &from);
	}
	else if (r != -ENOENT && r != -ESRCH && !fc->err)
		fc->err = r;
}

/* Delete the rules fc names; how many, or -errno */
static int flush_rules(struct flush_ctx *fc)
{
	struct nl_cache *cache;
	int r;

	if (!fc->nc || fc->table == 0)
		return -EINVAL;
	r = rtnl_rule_alloc_cache(fc->nc->sk, AF_INET6, &cache);
	if (r < 0)
		return netconf_nl2errno(r);
	nl_cache_foreach(cache, flush_one, fc);
	nl_cache_free(cache);
	return fc->err ? fc->err : fc->deleted;
}

int netconf_rule_flush(struct netconf *nc, uint32_t table, uint32_t prio)
{
	struct flush_ctx fc = { nc, table, prio, 0, 0, 0, NULL, 0, NULL, NULL };

	return flush_rules(&fc);
}

int netconf_rule_flush_sourced(struct netconf *nc, uint32_t table, uint32_t prio,
			      const struct in6_addr *keep, size_t nkeep,
			      netconf_gone_fn gone, void *gone_arg)
{
	struct flush_ctx fc = { nc, table, prio, 1, 0, 0, keep, nkeep, gone, gone_arg };

	return flush_rules(&fc);
}
