/* SPDX-License-Identifier: MIT */
/*
 * shim_policy.h — which address type a legacy socket gets, and which
 * sockets and names the shim touches at all. Pure functions (no I/O), so
 * the unit tests cover them.
 *
 * Type: $ODM_TYPE when set to a known type ("session-lasting", "fixed",
 * "non-persistent", "graceful-replacement"; case and '_' vs '-' do not
 * matter; the numbers 1-4 are accepted too), else the default_type of the
 * agent's hello reply, else none (plain). The agent still enforces policy on
 * every lease; this only decides what the shim asks for.
 */
#ifndef ODM_SHIM_POLICY_H
#define ODM_SHIM_POLICY_H

#include <netdb.h>
#include <sys/socket.h>

#pragma GCC visibility push(hidden)

#define SHIM_TYPE_ENV "ODM_TYPE"

/*
 * The type for a socket: env_value ($ODM_TYPE, may be NULL) if it parses,
 * else agent_default (a type, or <= 0 if unknown). Sets *env_bad to 1 when
 * env_value is set but unknown (the caller says so once), else 0.
 */
int shim_policy_type(const char *env_value, int agent_default, int *env_bad);

/* 1 if sockets of this type may need a CHA (session-lasting). */
int shim_policy_wants_cha(int type);
/* 1 if sockets of this type ask the agent for a lease: session-lasting
 * (CHA, else the host's own anchors) and graceful-replacement (the access
 * router's anchor); fixed has its own path (the host's Fixed address). */
int shim_policy_wants_lease(int type);

/*
 * 1 if a destination is worth a lease: AF_INET6, and not unspecified,
 * loopback, link-local, multicast or v4-mapped/compatible.
 */
int shim_policy_dst_eligible(const struct sockaddr *sa, socklen_t len);

/*
 * The index of the first of the n AAAA records of a cha.<host> answer that
 * can be an anchor (a global unicast or unique local address: the agent
 * sends Binding Updates there), or -1 if none can: an answer of loopback,
 * multicast, link-local, unspecified or v4-mapped addresses is no CHA.
 */
int shim_policy_cha_pick(const struct in6_addr *a, size_t n);

/* 1 if a destination is IPv4: AF_INET, or an IPv4-mapped AF_INET6 address
 * (never worth a lease: ODM's addresses are IPv6). */
int shim_policy_dst_ipv4(const struct sockaddr *sa, socklen_t len);

/*
 * The kind of an IPv6 destination no address type applies to, in words
 * ("loopback", "link-local", "multicast", "unspecified", "IPv4-compatible"),
 * or NULL: not AF_INET6, IPv4-mapped (shim_policy_dst_ipv4), or eligible.
 */
const char *shim_policy_dst_local(const struct sockaddr *sa, socklen_t len);

/*
 * 1 if a bind() to sa chooses nothing: AF_INET6, the unspecified address
 * (::) and port 0, which Java's DatagramSocket and node's dgram (libuv) do
 * to every UDP socket before its first datagram. The shim leaves such a
 * bind to the first send, where the socket's type picks its address.
 */
int shim_policy_bind_chooses_nothing(const struct sockaddr *sa, socklen_t len);

/*
 * 1 if getaddrinfo(node, hints) should start a cha.<node> lookup: node is a
 * host name (not numeric, AI_NUMERICHOST not set), not localhost, and
 * short enough that "cha." + node is a valid name.
 */
int shim_policy_name_eligible(const char *node, const struct addrinfo *hints);

#pragma GCC visibility pop

#endif
