/* SPDX-License-Identifier: MIT */
/*
 * privilege.h — the capabilities odmagent needs (capabilities(7)), and which
 * of them a process lacks, told in words an operator can act upon:
 *   CAP_NET_ADMIN  create the tunnel device, set its addresses, routes and
 *                  rules (rtnetlink)
 *   CAP_NET_RAW    open the raw sockets of Mobility Header messages
 *                  (RFC 6275 section 6.1) and of IPv6-in-IPv6 packets
 * and, only for a host policy's exe rules, CAP_SYS_PTRACE.
 */
#ifndef ODM_PRIVILEGE_H
#define ODM_PRIVILEGE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Describe the needed capabilities missing from capeff (bit N set = holds
 * capability N), one clause each with what it is needed for, in out (cap
 * bytes). Returns how many are missing; 0 leaves out empty.
 */
int priv_missing(uint64_t capeff, char *out, size_t cap);

/* 1 if capeff holds CAP_SYS_PTRACE, which the host agent needs to read
 * /proc/PID/exe of other users' programs for the policy's exe rules
 * (odmagent(8) Privileges) */
int priv_has_ptrace(uint64_t capeff);

/* The effective capability set of this process (capget(2)); 0 or -errno. */
int priv_effective(uint64_t *capeff);

#endif
