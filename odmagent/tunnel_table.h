/* SPDX-License-Identifier: MIT */
/*
 * tunnel_table.h — the bindings of a tunnel backend: one entry per anchored
 * ("inner") address with its outer endpoints and counters, in a chained hash
 * table that doubles when it fills. Shared by the backends (tunnel.h), so
 * each looks an inner address up the same way.
 */
#ifndef ODM_TUNNEL_TABLE_H
#define ODM_TUNNEL_TABLE_H

#include <netinet/in.h>
#include <stddef.h>

#include "tunnel.h"

struct tunnel_entry {
	struct in6_addr inner, local, remote;
	struct odm_tunnel_stats st;
	struct tunnel_entry *next;
};

struct tunnel_table {
	struct tunnel_entry **tab;
	size_t nbuckets, count;
	/* the packets, bytes and replays of the entries deleted, so that the
	 * sums (a device's totals) do not fall when a binding ends */
	struct odm_tunnel_stats ended;
};

int tunnel_table_init(struct tunnel_table *tt);   /* 0 or -ENOMEM */
void tunnel_table_free(struct tunnel_table *tt);  /* every entry too */
struct tunnel_entry *tunnel_table_find(const struct tunnel_table *tt,
				       const struct in6_addr *inner);
/* A new zeroed entry for inner (not looked up first), or NULL (no memory). */
struct tunnel_entry *tunnel_table_add(struct tunnel_table *tt, const struct in6_addr *inner);
/* 0, or -ENOENT if inner has no entry; its counters go into tt->ended. */
int tunnel_table_del(struct tunnel_table *tt, const struct in6_addr *inner);
/* The stats op of a backend (tunnel.h): *total for inner NULL, else inner's
 * entry's; -ENOENT if it has none. */
int tunnel_table_stats(const struct tunnel_table *tt, const struct odm_tunnel_stats *total,
		       const struct in6_addr *inner, struct odm_tunnel_stats *st);
/* 1 if binding inner to (local, remote) in t (whose bindings tt holds)
 * would make a loop (tunnel.h, tunnel_guard.h): remote is inner itself, the
 * local endpoint, in t's guarded prefix, or an anchored address. */
int tunnel_table_loops(const struct tunnel_table *tt, const struct odm_tunnel *t,
		       const struct in6_addr *inner, const struct in6_addr *local,
		       const struct in6_addr *remote);
/* Every entry's traffic added into *sum: packets, bytes, replayed (also
 * those of the entries deleted), and the latest last_rx_ms and last_tx_ms. */
void tunnel_table_sum(const struct tunnel_table *tt, struct odm_tunnel_stats *sum);
/* sent packets of inner's were sent again after a move (replaycap.h's done
 * callback, arg a tunnel_table) */
void tunnel_table_replayed(void *tt, const struct in6_addr *inner, size_t sent);
/* How many entries have local as their local endpoint. */
size_t tunnel_table_count_local(const struct tunnel_table *tt, const struct in6_addr *local);

#endif
