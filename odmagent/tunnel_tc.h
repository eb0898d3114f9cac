/* SPDX-License-Identifier: MIT */
/*
 * tunnel_tc.h — a tc BPF program on an interface's clsact hook, in direct
 * action mode (tc-bpf(8) "da"), through libbpf's netlink calls. A program
 * is one filter, named by its priority (each tunnel device has its own, so
 * two agents on one host do not take each other's place) and handle 1;
 * attaching where that filter is replaces its program in one step, so no
 * packet passes the hook without one.
 */
#ifndef ODM_TUNNEL_TC_H
#define ODM_TUNNEL_TC_H

#include <stdint.h>

enum tunnel_tc_hook { TUNNEL_TC_INGRESS = 0, TUNNEL_TC_EGRESS = 1 };

/* The clsact qdisc (made if missing) and the program prog_fd at prio on
 * hook of ifindex, added or replacing; 1 when this call made the qdisc, 0
 * when it was there, or -errno. */
int tunnel_tc_attach(int ifindex, enum tunnel_tc_hook hook, int prog_fd, uint32_t prio);
/* The filter at prio on hook of ifindex removed (the qdisc stays: other
 * filters may be on it); 0, or -errno (-ENOENT: none there). */
int tunnel_tc_detach(int ifindex, enum tunnel_tc_hook hook, uint32_t prio);
/* ifindex's clsact qdisc, which tunnel_tc_attach made, deleted if no
 * filter is left on either of its hooks (one of another program's keeps
 * it); 1 deleted, 0 kept, -errno (the filters could not be listed: kept). */
int tunnel_tc_release(int ifindex);
/* The id of the program of the filter at prio on hook of ifindex: > 0, 0
 * if there is no such filter (or no clsact qdisc: someone deleted it), or
 * -errno (-ENODEV: the interface is gone). */
int tunnel_tc_prog_id(int ifindex, enum tunnel_tc_hook hook, uint32_t prio);
/* 1 if ifindex is an Ethernet-framed interface (ARPHRD_ETHER), 0 if not,
 * -errno if it cannot be told (gone). */
int tunnel_tc_is_ether(int ifindex);

#endif
