/* SPDX-License-Identifier: MIT */
/*
 * linkprep.h — what the host agent does to its access links so that a move
 * onto one costs what the network needs and not what the kernel's defaults
 * wait for (decision core: no I/O, time as an argument; linkprep_agent.h
 * does the I/O).
 *
 * With the kernel's defaults a move waits for Duplicate Address Detection
 * twice (RFC 4862 §5.4: the link-local address, then the SLAAC address, one
 * second each plus a random delay of up to one second) and for the first
 * Router Solicitation, which Linux sends only once the link-local address
 * has passed DAD. Two things cut that, each behind its own option:
 *
 *  - optimistic-dad: net.ipv6.conf.IF.optimistic_dad=1 and use_optimistic=1
 *    on every access interface (RFC 4429): a new address is usable while
 *    its DAD runs, so the Binding Update leaves from the new care-of
 *    address as soon as the kernel made it;
 *  - router-solicit: one Router Solicitation as soon as a link comes up,
 *    from the unspecified address (RFC 4861 §4.1, and RFC 4429 §3.2 for a
 *    host whose link-local address is still optimistic), without the random
 *    delay of RFC 4861 §6.3.7, which is a SHOULD meant to spread hosts that
 *    start together, not one host arriving on a link. Repeated at most
 *    MAX_RTR_SOLICITATIONS times, RTR_SOLICITATION_INTERVAL apart (RFC 4861
 *    §10), and no more once the link has been answered (§6.3.7).
 *
 * And one more, behind its own option:
 *
 *  - ignore-linkdown: net.ipv6.conf.IF.ignore_routes_with_linkdown=1 on
 *    every access interface. A link that loses its carrier (a cable pulled,
 *    an access point gone) keeps its addresses and its routes, which the
 *    kernel only marks "linkdown" and goes on using (ip-sysctl.rst): on a
 *    host with a second link up, its default route stays the preferred
 *    one, the source picked toward an anchor stays the dead link's address,
 *    and so does the care-of address (movement.h), until the router's
 *    neighbour entry fails (seen: 8.5 s), then again once that entry is
 *    gone, until the route's lifetime ends (up to AdvDefaultLifetime, 30 s
 *    on the test net). With it, the kernel routes around the link as its
 *    carrier goes, and picks the other link's address at once: the move is
 *    one Binding Update round trip. Its carrier back, the link's routes
 *    count again and the host moves back if they are preferred.
 *
 * Access interfaces are those movement.h watches: every interface but the
 * loopback and the tunnel device, of an Ethernet-like link type (the ones
 * on which Neighbor Discovery and SLAAC run).
 */
#ifndef ODM_LINKPREP_H
#define ODM_LINKPREP_H

#include <stddef.h>
#include <stdint.h>

#define LINKPREP_MAX_RS 3              /* MAX_RTR_SOLICITATIONS, RFC 4861 §10 */
#define LINKPREP_RS_INTERVAL_MS 4000u  /* RTR_SOLICITATION_INTERVAL, RFC 4861 §10 */
#define LINKPREP_RETRY_MS 100u         /* a send that failed: tried again after */
#define LINKPREP_IFS_MAX 64            /* interfaces followed; more are left alone */
#define LINKPREP_RS_LEN 48             /* IPv6 header + Router Solicitation */

/* What linkprep_link() asks of the caller (bits) */
enum {
	LINKPREP_SET_SYSCTLS = 1, /* a new access interface: apply linkprep_knobs */
	LINKPREP_SOLICIT = 2,     /* an RS became due: rearm the timer */
};

struct linkprep_if {
	int ifindex;
	int running;          /* last seen up with carrier */
	unsigned rs_sent;     /* solicitations since the link came up */
	uint64_t rs_due_ms;   /* the next one, 0 when none */
	int no_ipv6;          /* last seen with an MTU below IPv6's (linkprep_mtu) */
};

struct linkprep {
	struct linkprep_if ifs[LINKPREP_IFS_MAX];
	size_t n;
	int skip_ifindex;     /* the tunnel device */
	int optimistic;       /* optimistic-dad on */
	int linkdown;         /* ignore-linkdown on */
	int solicit;          /* router-solicit on */
};

/* What a knob is for: the option that turns it on */
enum linkprep_group {
	LINKPREP_OPTIMISTIC = 1, /* optimistic-dad */
	LINKPREP_LINKDOWN = 2,   /* ignore-linkdown */
};

/* One sysctl of net.ipv6.conf.IF and the value the agent wants there */
struct linkprep_knob {
	const char *name;
	int want;
	enum linkprep_group group;
};
#define LINKPREP_KNOBS 3
extern const struct linkprep_knob linkprep_knobs[LINKPREP_KNOBS];

void linkprep_init(struct linkprep *lp, int skip_ifindex, int optimistic, int solicit,
		   int linkdown);
/* 1 if knob k is to be set (its option is on) */
int linkprep_knob_on(const struct linkprep *lp, const struct linkprep_knob *k);

/* 1 if an interface of these IFF_* flags and ARPHRD_* type is an access
 * interface (see above) */
int linkprep_is_access(const struct linkprep *lp, int ifindex, unsigned flags,
		       unsigned short type);

/*
 * The kernel said interface ifindex exists with these flags (at start, or
 * in a link event). Returns LINKPREP_* bits: SET_SYSCTLS the first time an
 * access interface is seen (with optimistic-dad or ignore-linkdown on), SOLICIT when it went
 * from down to up and running (with router-solicit on; the RS is due at
 * now).
 */
unsigned linkprep_link(struct linkprep *lp, int ifindex, unsigned flags, unsigned short type,
		       uint64_t now);
/*
 * Interface ifindex, known to linkprep_link, has MTU mtu (the same event's
 * or dump's; 0: not said). IPv6 needs a link MTU of 1280 (RFC 8200 §5):
 * Linux takes IPv6 off an interface whose MTU goes below (its addresses,
 * routes and net.ipv6.conf.IF with them) and makes it anew from
 * net.ipv6.conf.default once the MTU is 1280 again (addrconf_notify,
 * NETDEV_CHANGEMTU), with the kernel's values in place of the agent's.
 * Returns LINKPREP_SET_SYSCTLS when IPv6 came back on an interface seen
 * without it (with optimistic-dad or ignore-linkdown on), else 0.
 */
#define LINKPREP_IPV6_MIN_MTU 1280u
unsigned linkprep_mtu(struct linkprep *lp, int ifindex, unsigned mtu);
/* 0 while interface ifindex was last seen without IPv6 (linkprep_mtu):
 * it has no sysctls to set; 1 otherwise */
int linkprep_has_ipv6(const struct linkprep *lp, int ifindex);
/* The interface went away: forget it (a new one of that index is new) */
void linkprep_gone(struct linkprep *lp, int ifindex);

/* An interface whose solicitation is due at now, or 0 */
int linkprep_rs_due(const struct linkprep *lp, uint64_t now);
/*
 * The caller is about to solicit on ifindex; answered: the link already
 * has a global address (a Router Advertisement was heard; not asked of the
 * first solicitation after the link came up, as addresses kept across the
 * link-down say nothing of the new link). 1: send one now, then report it
 * with linkprep_rs_result(); 0: nothing to send (answered, all sent, or
 * none due there).
 */
int linkprep_rs_take(struct linkprep *lp, int ifindex, int answered, uint64_t now);
/* How the send went (0 or -errno): the next one is due an interval later,
 * a failed one LINKPREP_RETRY_MS later; each counts, so at most
 * LINKPREP_MAX_RS go per link-up */
void linkprep_rs_result(struct linkprep *lp, int ifindex, int rc, uint64_t now);
/* The earliest due solicitation (monotonic ms), 0 when none */
uint64_t linkprep_next_ms(const struct linkprep *lp);

/* The value to write for knob k, given the value read (-1: could not be
 * read), or -1 when it is right already */
int linkprep_knob_write(const struct linkprep_knob *k, int cur);

/*
 * A Router Solicitation as it goes on the wire from the unspecified address
 * to all-routers (ff02::2), hop limit 255, no options (a host without an
 * address must not send a source link-layer address option, RFC 4861
 * §4.1), checksum filled: LINKPREP_RS_LEN bytes into buf, or 0 if len is
 * too small.
 */
size_t linkprep_rs_packet(uint8_t *buf, size_t len);

/*
 * One unsolicited Neighbor Advertisement for addr, the host's new address
 * on a link (RFC 4861 §7.2.6), with its link-layer address mac in a Target
 * Link-Layer Address option, from addr to all-nodes (ff02::1), hop limit
 * 255, the checksum filled: into buf, its length, or 0 if len is short.
 * The Override flag is clear, so it never replaces what a neighbour knows
 * of another owner of addr (RFC 4429 §3.3 lets an optimistic address send
 * it): it only completes an entry a router is still resolving. That is the
 * case it is for: a peer kept sending to addr while the host was away, so
 * the router is resolving it, and what it queued for addr (the anchor's
 * Binding Acknowledgement, the first data) would wait for its next
 * solicitation, up to RetransTimer (1 s) later.
 */
#define LINKPREP_NA_LEN 72             /* IPv6 header + NA + TLLA option */
size_t linkprep_na_packet(uint8_t *buf, size_t len, const struct in6_addr *addr,
			  const uint8_t mac[6]);

/*
 * A Neighbor Solicitation from addr, the host's new address, for router
 * (the link-local address its default route goes through), to router's
 * solicited-node group (RFC 4291 §2.7.1), with the host's link-layer
 * address mac in a Source Link-Layer Address option, hop limit 255, the
 * checksum filled: into buf, its length, or 0 if len is short. The
 * advertisement above completes only an entry a router has already; a
 * router that never heard of addr drops it (RFC 4861 §7.2.5; Linux keeps
 * to that unless accept_untracked_na is set). A solicitation with a source
 * link-layer address makes the router create the entry (RFC 4861 §7.2.3,
 * STALE: usable at once), so the first packets it forwards to addr (the
 * BA of the move's BU, the anchor's replay, the data behind it) go out at
 * once instead of queueing while it resolves addr; a queue Linux bounds
 * (unres_qlen_bytes) and empties from its head, the BA first, when a
 * burst overruns it.
 */
#define LINKPREP_NS_LEN 72             /* IPv6 header + NS + SLLA option */
size_t linkprep_ns_packet(uint8_t *buf, size_t len, const struct in6_addr *addr,
			  const struct in6_addr *router, const uint8_t mac[6]);
/* router's solicited-node group as a MAC: 33:33:ff and its last three
 * bytes (RFC 2464 §7) */
void linkprep_solicited_mac(uint8_t mac[6], const struct in6_addr *router);

#endif
