/* SPDX-License-Identifier: MIT */
/*
 * netconf.h — addresses, routes, rules and links through rtnetlink (libnl-3,
 * libnl-route-3; the walks of addresses and links read dumps of their own).
 * All calls are synchronous and return 0 or -errno; adding what exists
 * already and deleting what is gone both succeed (idempotent), so a
 * restarted agent can re-apply its state.
 */
#ifndef ODM_NETCONF_H
#define ODM_NETCONF_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "addrmsg.h"

struct netconf;

#define NETCONF_ADDR_NODAD 0x1      /* IFA_F_NODAD */
#define NETCONF_ADDR_DEPRECATED 0x2 /* preferred lifetime 0: never picked by default */

/* A libnl error code (negative NLE_*) as -errno; 0 for nle >= 0 */
int netconf_nl2errno(int nle);

int netconf_open(struct netconf **out);
void netconf_close(struct netconf *nc);

int netconf_ifindex(struct netconf *nc, const char *ifname); /* >0 or -errno */
/* The netlink port of nc's socket: the nlmsg_pid of the kernel's
 * notifications of the changes nc asked for (0 without nc). */
uint32_t netconf_portid(const struct netconf *nc);

/* Returns once the kernel has the address, which is still tentative then
 * (even with NODAD, RFC 4862 §5.4 runs on a workqueue): see
 * netconf_addr_usable(). It does not wait for that. */
int netconf_addr_add(struct netconf *nc, int ifindex, const struct in6_addr *addr,
		     int plen, unsigned flags);
/* 1 if the kernel routes addr as local (bind() to it works), 0 not yet,
 * -errno. One rtnetlink question, never a sleep: callers on the loop ask
 * again from a timer (addr_usable.h). */
int netconf_addr_usable(struct netconf *nc, const struct in6_addr *addr);
int netconf_addr_del(struct netconf *nc, int ifindex, const struct in6_addr *addr, int plen);

/* The interface the kernel sends a packet to dst from src (NULL: any
 * source) out of: its index (> 0), -ENETUNREACH if no unicast route leads
 * there, or -errno. Needs no netconf handle (one netlink request). */
int netconf_route_oif(const struct in6_addr *dst, const struct in6_addr *src);
/* 1 if the kernel routes addr as local (an address of this host, not a
 * tentative one), 0 if not, -errno. One netlink request. netconf_route_oif
 * does not ask: the kernel answers a route from a source it does not have. */
int netconf_is_local(const struct in6_addr *addr);
/* 1 if dst is on the link of interface ifindex: asked for a route out of
 * it alone, the kernel has a connected prefix there (no gateway, not a
 * default or a host route); 0 if not, -errno. One netlink request. */
int netconf_on_link(const struct in6_addr *dst, int ifindex);

/*
 * Every IPv6 address of the host (ifindex 0) or of the device ifindex, as
 * fn(arg, a), in the kernel's order, from one RTM_GETADDR dump
 * (rtnetlink(7)) read whole before the first call: fn may change addresses.
 * Tentative, deprecated and DAD-failed addresses are told too: fn reads
 * a->flags. fn returns 0 to go on; any other value ends the walk and is
 * returned. 0 after the last, or -errno (the dump failed: fn was not
 * called). Needs no netconf handle.
 */
int netconf_addr_each(int ifindex, int (*fn)(void *arg, const struct addrmsg *a), void *arg);

/* The same of the host's IPv4 addresses, each a->addr v4-mapped
 * (addrmsg_parse4) */
int netconf_addr4_each(int (*fn)(void *arg, const struct addrmsg *a), void *arg);

/*
 * Every network device of the host, as fn(arg, ifindex, flags,
 * carrier_down) with its IFF_* flags (netdevice(7)) and its count of
 * carrier losses since it was made (IFLA_CARRIER_DOWN_COUNT, Linux 4.16; 0
 * where the kernel does not say), in the kernel's order, from one
 * RTM_GETLINK dump read whole before the first call; fn and the result as
 * above.
 */
int netconf_link_each(int (*fn)(void *arg, int ifindex, unsigned flags, uint32_t carrier_down),
		      void *arg);

/* The router a packet from src to the Internet goes through out of
 * ifindex (the gateway of the host's default route there, a link-local
 * address as a rule) into *router: 1, 0 when no route through a router
 * leaves there (none yet, a multipath one), or -errno. */
int netconf_router(int ifindex, const struct in6_addr *src, struct in6_addr *router);

/* The next hop of a packet from src (NULL: any source) to dst: the
 * interface it leaves by into *oif and the router it goes through into
 * *gw (:: when dst is on that link); 1, 0 when no unicast route leads
 * there, or -errno. One netlink request. */
int netconf_next_hop(const struct in6_addr *dst, const struct in6_addr *src, int *oif,
		     struct in6_addr *gw);

/* Route dst/plen out of ifindex (no gateway) in table (0 = main). */
int netconf_route_add(struct netconf *nc, const struct in6_addr *dst, int plen,
		      int ifindex, uint32_t table);
int netconf_route_del(struct netconf *nc, const struct in6_addr *dst, int plen,
		      int ifindex, uint32_t table);

/* Every IPv6 /128 route in table (0 = main) out of ifindex, as
 * fn(arg, dst), from one dump (fn may delete them); 0 or -errno. */
int netconf_route_each128(struct netconf *nc, int ifindex, uint32_t table,
			  void (*fn)(void *arg, const struct in6_addr *dst), void *arg);

/* Rule "from addr/128 lookup table" at priority prio; addr NULL: the rule
 * "lookup table" for every source. The kernel compares the source of a
 * rule only when the rule asked for has one: the rule for every source is
 * "there" while any rule of its table and priority is, and its deletion
 * takes the first of them. */
int netconf_rule_add(struct netconf *nc, const struct in6_addr *from, uint32_t table,
		     uint32_t prio);
int netconf_rule_del(struct netconf *nc, const struct in6_addr *from, uint32_t table,
		     uint32_t prio);
/*
 * Delete every IPv6 rule "lookup table" at priority prio, whatever its
 * source: what a previous run of the agent left when it was killed.
 * Returns how many were deleted, or -errno.
 */
int netconf_rule_flush(struct netconf *nc, uint32_t table, uint32_t prio);
/* Told the address of what was deleted: a lease the last run made and the
 * state did not keep. */
typedef void (*netconf_gone_fn)(void *arg, const struct in6_addr *from);
/* The same for the rules that have a source only (the per-address rules of
 * earlier versions): the one without stays. gone (if not NULL) is told the
 * address of each rule "from a/128" deleted whose a is not in keep. */
int netconf_rule_flush_sourced(struct netconf *nc, uint32_t table, uint32_t prio,
			       const struct in6_addr *keep, size_t nkeep,
			       netconf_gone_fn gone, void *gone_arg);

/*
 * A lease's source route in table: "default from addr/128" out of ifindex
 * at NETCONF_LEASE_METRIC. A kernel backend's encapsulation route from
 * addr (metric 1024, the kernel's default) goes before it; a deletion
 * names the metric, so it leaves that one alone.
 */
#define NETCONF_LEASE_METRIC 2048u
int netconf_lease_route_add(struct netconf *nc, const struct in6_addr *from, int ifindex,
			    uint32_t table);
int netconf_lease_route_del(struct netconf *nc, const struct in6_addr *from, int ifindex,
			    uint32_t table);
/* Delete every IPv6 route of table except those from a/128 for each a in
 * keep (the leases a restarted agent takes over); gone (if not NULL) is
 * told each address of a deleted route from one /128, once. How many
 * routes were deleted, or -errno. */
int netconf_table_flush_except(struct netconf *nc, uint32_t table, const struct in6_addr *keep,
			       size_t nkeep, netconf_gone_fn gone, void *gone_arg);

#endif
