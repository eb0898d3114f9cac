/* SPDX-License-Identifier: MIT */
/*
 * movement.h — movement detection for the mn role: a NETLINK_ROUTE socket
 * subscribed to address, route and link events on the agent's loop. An
 * event calls fn at once, the rest of its burst once more shortly after
 * (movepace.h); fn then asks movement_coa() for the care-of address toward
 * each anchor and compares. Parsing the events themselves would only guess what
 * the kernel's source selection will do; asking it is exact.
 */
#ifndef ODM_MOVEMENT_H
#define ODM_MOVEMENT_H

#include <netinet/in.h>
#include <stdint.h>
#include <uv.h>

struct movement;

typedef void (*movement_fn)(void *arg);

/* skip_ifindex: the tunnel device, whose addresses are never a CoA; a batch
 * of events about it alone (a lease's address, local route, link) calls
 * only the movement_on_event hook, not fn */
int movement_open(struct movement **out, uv_loop_t *loop, int skip_ifindex,
		  movement_fn fn, void *arg);
/*
 * fn is also called after every batch of events read, at once, with no
 * pacing: for waits that end with a kernel change of their own, such as
 * the local route the kernel adds once a new address has left the
 * tentative state (addr_usable.h). NULL stops it.
 */
void movement_on_event(struct movement *m, movement_fn fn, void *arg);
/*
 * Monotonic ms of the first event of the burst that the current call of fn
 * is about: when the change began, at or before the call (a link that went
 * down stopped receiving then).
 */
uint64_t movement_burst_ms(const struct movement *m);
/*
 * Link events too (RTM_NEWLINK, RTM_DELLINK: gone = 1): fn hears each as
 * it is read, before the look it leads to (linkprep_agent.h). name is the
 * interface's name, "" when the message had none; mtu its MTU, 0 when
 * the message had none.
 */
typedef void (*movement_link_fn)(void *arg, int ifindex, unsigned flags, unsigned short type,
				 unsigned mtu, const char *name, int gone);
void movement_watch_links(struct movement *m, movement_link_fn fn, void *arg);
/*
 * IPv6 policy rules from one address or from every source, added or
 * deleted by anyone (the agent's own included): fn hears each as it is
 * read (rulemsg.h), with the netlink port that asked for it (nlmsg_pid; 0:
 * the kernel's own doing). Rule events never lead to a look for a new
 * care-of address.
 */
struct rulemsg;
typedef void (*movement_rule_fn)(void *arg, const struct rulemsg *r, uint32_t sender);
void movement_watch_rules(struct movement *m, movement_rule_fn fn, void *arg);
/* The deletion of an IPv6 default route from one address (/128) in table
 * (routemsg.h), with the port that asked for it as above: fn hears each
 * as it is read. Route events of table (the leases' routes) never lead to
 * a look either. */
struct routemsg;
typedef void (*movement_route_fn)(void *arg, const struct routemsg *r, uint32_t sender);
void movement_watch_source_routes(struct movement *m, uint32_t table, movement_route_fn fn,
				  void *arg);
/* The deletion of an IPv6 address (/128) of a device (addrmsg.h), by
 * anyone, the agent itself included: fn hears each as it is read; it still
 * counts as an address event for the look that follows. */
typedef void (*movement_addr_fn)(void *arg, int ifindex, const struct in6_addr *addr);
void movement_watch_addr_deletions(struct movement *m, movement_addr_fn fn, void *arg);
/* Stops and frees (asynchronously: the handles close on the next loop turn). */
void movement_close(struct movement *m);

/*
 * 1 if src may be a care-of address toward anchor: toward an anchor of
 * global scope, only an address of global scope (addr_is_routable). The
 * kernel picks a link-local source for a global destination when the host
 * has no global address (RFC 6724 §5 rule 2 prefers a scope that fits, it
 * does not require one); a BU from it is refused by the kernel (EINVAL:
 * no scope) and could not be answered anyway. Pure.
 */
int movement_coa_scope_ok(const struct in6_addr *anchor, const struct in6_addr *src);

/*
 * The source address the kernel picks toward anchor (a UDP socket
 * connect()ed to [anchor]:4191, no packet sent, then getsockname()).
 * 0 and *coa, or -ENETUNREACH (no route, or no source of the anchor's
 * scope: movement_coa_scope_ok), -EAGAIN (the address is still
 * tentative or on the tunnel device: not usable as CoA), -errno.
 * current (may be NULL): the CoA in use; when the kernel picks it again it
 * is taken as it is, without the address dump that checks a new one; a new
 * one on its link is judged against its next hop (movement_coa_note).
 * m may be NULL: the kernel's pick is taken without that check.
 */
int movement_coa(struct movement *m, const struct in6_addr *anchor,
		 const struct in6_addr *current, struct in6_addr *coa);

/* destinations whose next hop is remembered; past that many, the oldest
 * is forgotten (its next new pick is trusted: coapick.h) */
#define MOVEMENT_HOPS 16
/*
 * coa is the care-of address toward anchor now (what movement_coa gave
 * the owner of the bindings there): its next hop, the interface and the
 * router the kernel routes toward anchor through, is noted when coa is
 * new for anchor (one route request then, none while it stays). A later
 * pick of another preferred address of the same link, while coa is still
 * preferred and the next hop the same, is no move (coapick.h), unless
 * coa's interface lost its carrier since (an L2 roam). Not called
 * with a care-of address someone else named (a Packet Too Big's quoted
 * source): that would set what a forged advertisement is judged by.
 */
void movement_coa_note(struct movement *m, const struct in6_addr *anchor,
		       const struct in6_addr *coa);

/*
 * The host's own IPv6 addresses that a move can take away (global unicast,
 * not on the tunnel device), into out: how many, or -errno; -E2BIG when
 * there are more than max (never a partial list, in which an address still
 * present would look gone). One synchronous RTM_GETADDR dump.
 */
int movement_addrs(struct movement *m, struct in6_addr *out, size_t max);

/*
 * The host's IPv6 addresses a program's packets can leave from now (a
 * move's gap is the time without one: movegap.h): those of
 * movement_addrs that are neither tentative nor DAD-failed, on a device
 * that is up and running (its carrier on: an address the kernel keeps
 * on a link that lost it reaches nothing). How many, into out, or -errno
 * (-E2BIG past max or VANISHED_MAX). An address dump, and a device dump
 * when there is a candidate. m may be NULL: the tunnel device is not
 * told apart then.
 */
int movement_usable_addrs(struct movement *m, struct in6_addr *out, size_t max);
/* The same, with down[i] the count of carrier losses of out[i]'s device
 * (netconf_link_each): a look that finds it grew knows the link went
 * and came back since, though it saw neither (the agent did not run) */
int movement_usable_addrs_down(struct movement *m, struct in6_addr *out, uint32_t *down,
			       size_t max);
/*
 * The device that holds addr (not the tunnel device) into *ifindex and its
 * count of carrier losses into *down (netconf_link_each): 0 when it is up
 * and running (its carrier on), -ENETDOWN when not, -ENODEV when no device
 * holds addr, -EIO. An address dump and a device dump. m may be NULL: the
 * tunnel device is not told apart then.
 */
int movement_addr_link(struct movement *m, const struct in6_addr *addr, int *ifindex,
		       uint32_t *down);

/*
 * The same of its IPv4 addresses (vanished_candidate4), each v4-mapped.
 * No IPv4 address is ever a care-of address or an anchor's: a move strands
 * only the plain TCP sockets on it.
 */
int movement_addrs4(struct movement *m, struct in6_addr *out, size_t max);

#endif
