/* SPDX-License-Identifier: MIT */
/*
 * heldlease.h — the leases this process holds, so that a new socket toward
 * the same anchor takes the address at once instead of asking the agent.
 *
 * The agent shares one lease among all sockets of a user with the same
 * type, protocol and anchor (odmagent lease reuse), and keeps it while any
 * socket is bound to it (sock_diag). So while this process itself has a
 * socket bound to a leased address, the lease cannot end under it, and a new
 * socket with the same (type, proto, anchor) may bind there directly: no
 * round trip, nothing for the agent to do. (A UDP lease idle too long ends
 * with its sockets, each told: shim_connect.c forgets it whatever its
 * count, heldlease_invalidate.) Entries count the process's
 * sockets on the address; the last one going removes the entry, and only
 * then is a release hint worth sending.
 *
 * A fixed table (HELDLEASE_MAX entries; more leases are simply asked for),
 * pure functions on it, plus the process's instance under its own lock.
 */
#ifndef ODM_HELDLEASE_H
#define ODM_HELDLEASE_H

#include <netinet/in.h>

#pragma GCC visibility push(hidden)

#define HELDLEASE_MAX 32

struct heldlease_entry {
	struct in6_addr anchor, addr;
	int type, proto;     /* proto: IPPROTO_TCP or IPPROTO_UDP */
	unsigned sockets;    /* 0: the slot is free */
	char lease[64];      /* the agent's lease id, for messages */
};

struct heldlease {
	struct heldlease_entry e[HELDLEASE_MAX];
};

/* The entry for (type, proto, anchor), or NULL. */
const struct heldlease_entry *heldlease_find(const struct heldlease *h, int type, int proto,
					     const struct in6_addr *anchor);
/* One more socket bound to addr for (type, proto, anchor). 0, or -ENOSPC. */
int heldlease_add(struct heldlease *h, int type, int proto, const struct in6_addr *anchor,
		  const struct in6_addr *addr, const char *lease);
/* One socket on addr gone: the sockets left there (0 also when unknown). */
unsigned heldlease_drop(struct heldlease *h, const struct in6_addr *addr);
/* addr is no longer usable (bind failed): forget it whatever the count. */
void heldlease_forget(struct heldlease *h, const struct in6_addr *addr);
/* The sockets counted on addr (0 also when unknown), unchanged. */
unsigned heldlease_count(const struct heldlease *h, const struct in6_addr *addr);

/* The process's table, under a lock: the same operations. */
int heldlease_lookup(int type, int proto, const struct in6_addr *anchor, struct in6_addr *addr,
		     char *lease, size_t lease_len);
int heldlease_note(int type, int proto, const struct in6_addr *anchor,
		   const struct in6_addr *addr, const char *lease);
unsigned heldlease_release(const struct in6_addr *addr);
void heldlease_invalidate(const struct in6_addr *addr);
unsigned heldlease_held(const struct in6_addr *addr);
/* In a forked child: a fresh lock; the table (the inherited sockets) stays. */
void heldlease_atfork_child(void);

#pragma GCC visibility pop

#endif
