/* SPDX-License-Identifier: MIT */
/*
 * hfdomains.h — the domains whose _mip6._ipv6 SRV records home anchor
 * discovery asks for (RFC 5026 §5.1): the resolver's search list
 * (resolv.conf(5)), kept until the resolver's configuration names others
 * (hfd_set_resolver), and the DNS Search List of
 * Router Advertisements (RFC 8106 §5.2), each kept for the lifetime of the
 * last RA that named it; an RA naming it with lifetime 0 removes it at once.
 * Bounded: at most HFD_MAX; when full, a new domain from an RA takes the
 * place of the RA's domain that expires first, never a resolver's. Any
 * neighbour may send RAs: without that, one RA of eight domains kept every
 * later router's domains out until the agent stopped. Pure: the time is
 * passed in; a domain removed is told to gone (its candidates go with it).
 */
#ifndef ODM_HFDOMAINS_H
#define ODM_HFDOMAINS_H

#include <stddef.h>
#include <stdint.h>

#include "raopt.h" /* RA_DOMAIN_MAX */

#define HFD_MAX 8

struct hfd_entry {
	char name[RA_DOMAIN_MAX + 1]; /* without the final dot */
	uint64_t expires_ms;          /* 0: the resolver's, kept */
};

struct hfdomains {
	struct hfd_entry e[HFD_MAX];
	size_t n;
};

typedef void (*hfd_gone_fn)(void *arg, const char *name);

/* A domain of the resolver's search list: 1 if new, 0 if known, full or
 * not a name (empty, or longer than RA_DOMAIN_MAX). */
int hfd_add_resolver(struct hfdomains *d, const char *name);

/*
 * A domain of an RA's DNS Search List heard at now_ms with lifetime_s:
 * 1 if new (to be asked), 0 otherwise (known: its lifetime is the new one,
 * a resolver's stays; lifetime 0: removed if an RA's; full of the
 * resolver's: not taken). A domain removed or replaced is told to gone.
 */
int hfd_add_ra(struct hfdomains *d, const char *name, uint32_t lifetime_s, uint64_t now_ms,
	       hfd_gone_fn gone, void *arg);

/*
 * The resolver's search list is names[0..n) now (resolv.conf(5) read again
 * after it changed, as after a move): the resolver's domains not among
 * them are removed, each told to gone, and those new are added as
 * hfd_add_resolver() adds them. How many were added.
 */
size_t hfd_set_resolver(struct hfdomains *d, const char *const *names, size_t n, hfd_gone_fn gone,
			void *arg);

/* 1 if name (without the final dot) is in the list, 0 if not. */
int hfd_has(const struct hfdomains *d, const char *name);

/* Removes the RA domains expired at now_ms, each told to gone: how many. */
size_t hfd_expire(struct hfdomains *d, uint64_t now_ms, hfd_gone_fn gone, void *arg);

#endif
