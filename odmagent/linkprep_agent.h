/* SPDX-License-Identifier: MIT */
/*
 * linkprep_agent.h — the host agent's hands for linkprep.h: it writes the
 * optimistic-DAD and linkdown sysctls of each access interface (net.ipv6.conf.IF.*,
 * through /proc/sys) once, and again when the kernel made them anew
 * (linkprep_mtu), logging what it changed, and sends the Router
 * Solicitations the core asks for as whole IPv6 packets on a packet socket
 * (packet(7), SOCK_DGRAM: the kernel adds the Ethernet header), so they
 * leave from the unspecified address whatever state the link-local address
 * is in (IPv6 output refuses to send while it is tentative and not
 * optimistic: seen as EADDRNOTAVAIL). Interfaces present at start come
 * from one link dump, later ones from movement.h's link events. Failures
 * (no such sysctl, EPERM, a send refused) are logged and the agent carries
 * on: the host then moves at the kernel's own pace.
 */
#ifndef ODM_LINKPREP_AGENT_H
#define ODM_LINKPREP_AGENT_H

#include <netinet/in.h>
#include <uv.h>

#include "movement.h"

struct linkprep_agent;

/* optimistic: optimistic-dad on; solicit: router-solicit on; linkdown:
 * ignore-linkdown on. With all off nothing is opened and *out is NULL. */
int linkprep_agent_open(struct linkprep_agent **out, uv_loop_t *loop, struct movement *mv,
			int skip_ifindex, int optimistic, int solicit, int linkdown);
/* Stops and frees (asynchronously); NULL is fine. Sysctls stay as set. */
void linkprep_agent_close(struct linkprep_agent *la);
/* One unsolicited Neighbor Advertisement for addr, the host's new address
 * on Ethernet interface ifname (linkprep_na_packet); needs router-solicit on
 * (its packet socket): -EBADF without, -EAFNOSUPPORT on a link without
 * MAC addresses. */
int linkprep_agent_announce(struct linkprep_agent *la, const char *ifname,
			    const struct in6_addr *addr);
/* One Neighbor Solicitation from addr for router, the link's router
 * (linkprep_ns_packet), so it knows addr before it forwards anything to
 * it; the same needs and errors. */
int linkprep_agent_solicit(struct linkprep_agent *la, const char *ifname,
			   const struct in6_addr *addr, const struct in6_addr *router);

#endif
