/*
 * netconf.h — addresses, routes, rules and links through rtnetlink (libnl-3,
 * libnl-route-3). All calls are synchronous and return 0 or -errno; adding
 * what exists already and deleting what is gone both succeed (idempotent), so
 * a restarted agent can re-apply its state.
 */
#ifndef ODM_NETCONF_H
#define ODM_NETCONF_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct netconf;

#define NETCONF_ADDR_NODAD 0x1      /* IFA_F_NODAD */
#define NETCONF_ADDR_DEPRECATED 0x2 /* preferred lifetime 0: never picked by default */

int netconf_open(struct netconf **out);
void netconf_close(struct netconf *nc);

int netconf_ifindex(struct netconf *nc, const char *ifname); /* >0 or -errno */

int netconf_addr_add(struct netconf *nc, int ifindex, const struct in6_addr *addr,
		     int plen, unsigned flags);
int netconf_addr_del(struct netconf *nc, int ifindex, const struct in6_addr *addr, int plen);

/* Route dst/plen out of ifindex (no gateway) in table (0 = main). */
int netconf_route_add(struct netconf *nc, const struct in6_addr *dst, int plen,
		      int ifindex, uint32_t table);
int netconf_route_del(struct netconf *nc, const struct in6_addr *dst, int plen,
		      int ifindex, uint32_t table);

/* Rule "from addr/128 lookup table" at priority prio. */
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
/* The same, except the rules "from a/128" for every a in keep: those of the
 * leases a restarted agent takes over keep routing their sockets' packets. */
int netconf_rule_flush_except(struct netconf *nc, uint32_t table, uint32_t prio,
			      const struct in6_addr *keep, size_t nkeep);

#endif
