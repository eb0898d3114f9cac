/* SPDX-License-Identifier: MIT */
/*
 * replymem.h — a UDP socket bound to the unspecified address: which of
 * the host's addresses each peer's datagrams last came to, so that the
 * answers go out from it (RFC 1122 §4.1.3.5: a request/response
 * application answers from the specific destination of the request).
 * The pure part of the shim's reply-source logic (replysrc.h): no I/O,
 * time passed in, bounded.
 *
 * At most REPLYMEM_PEERS peers (address and port) are remembered; a new
 * one takes the place of the one least recently noted or found. Of the
 * addresses the socket's datagrams came to, at most REPLYMEM_ADDRS are
 * remembered with whether they must be answered from (one the kernel
 * never picks by itself: deprecated, as ODM's addresses are, odm(7)) and
 * when that was learned.
 */
#ifndef ODM_REPLYMEM_H
#define ODM_REPLYMEM_H

#include <netinet/in.h>
#include <stdint.h>

#define REPLYMEM_PEERS 16
#define REPLYMEM_ADDRS 4
/* how long what was learned of an address holds (ms) */
#define REPLYMEM_VERDICT_MS 1000

struct replymem_peer {
	struct in6_addr peer;
	struct in6_addr local; /* the address its datagrams came to */
	uint64_t used;         /* the memory's tick when last noted or found; 0: free */
	uint16_t port;         /* network order */
};

struct replymem_addr {
	struct in6_addr addr;
	uint64_t at_ms; /* when learned; 0: free */
	int answer_from; /* 1: answers go out from it */
};

struct replymem {
	struct replymem_peer p[REPLYMEM_PEERS];
	struct replymem_addr a[REPLYMEM_ADDRS];
	uint64_t tick;
	unsigned int n; /* peers remembered */
};

void replymem_init(struct replymem *m);

/* peer's (address, port; network order) datagrams came to local: answers
 * to it go out from local */
void replymem_note(struct replymem *m, const struct in6_addr *peer, uint16_t port,
		   const struct in6_addr *local);
/* peer's datagrams came to an address answered from as the kernel picks */
void replymem_forget(struct replymem *m, const struct in6_addr *peer, uint16_t port);
/* 1 and the address in *local if answers to peer go out from one */
int replymem_find(struct replymem *m, const struct in6_addr *peer, uint16_t port,
		  struct in6_addr *local);

/* 1 and *answer_from if what is known of addr was learned less than
 * REPLYMEM_VERDICT_MS before now_ms; 0 if it must be learned (again) */
int replymem_known(const struct replymem *m, const struct in6_addr *addr, uint64_t now_ms,
		   int *answer_from);
/* what was learned of addr at now_ms (the oldest learned makes room) */
void replymem_learned(struct replymem *m, const struct in6_addr *addr, int answer_from,
		      uint64_t now_ms);

#endif
