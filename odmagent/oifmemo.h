/* SPDX-License-Identifier: MIT */
/*
 * oifmemo.h — the outgoing interface of (local, remote), remembered for one
 * walk over a tunnel's bindings.
 *
 * A walk that looks up every binding's route again (tunnel_bpf.c reroute)
 * asks the kernel the same question over and over: on a host, every
 * binding goes from one care-of address to one of a few anchors. Each
 * RTM_GETROUTE costs the kernel a choice of source address among every
 * address of the host (rt6_fill_node), so one look per binding grows as
 * bindings x addresses: 1 000 leases made the host agent spend a quarter
 * of a core on it, looking every second. The memo answers a pair's repeat
 * within the walk; it is emptied before each walk, so what it says is never
 * older than the walk itself. Pure: no I/O, the caller asks the kernel.
 */
#ifndef ODM_OIFMEMO_H
#define ODM_OIFMEMO_H

#include <netinet/in.h>
#include <stddef.h>

/* pairs remembered in one walk: a host's care-of addresses x anchors; a
 * pair past these is asked of the kernel each time, as before */
#define OIFMEMO_MAX 16

struct oifmemo {
	struct oifmemo_pair {
		struct in6_addr local, remote;
		int oif; /* the answer: an ifindex, 0 or -errno */
	} v[OIFMEMO_MAX];
	size_t n;
	int on; /* a walk is under way: answers are kept */
};

/* A walk begins: nothing remembered, answers kept until oifmemo_end. */
void oifmemo_begin(struct oifmemo *m);
void oifmemo_end(struct oifmemo *m);
/* The answer remembered for (local, remote) into *oif: 1, or 0 when none
 * is (or no walk is under way). */
int oifmemo_get(const struct oifmemo *m, const struct in6_addr *local,
		const struct in6_addr *remote, int *oif);
/* Remember oif for (local, remote), during a walk and while room is left. */
void oifmemo_put(struct oifmemo *m, const struct in6_addr *local,
		 const struct in6_addr *remote, int oif);

#endif
