/* SPDX-License-Identifier: MIT */
/*
 * hadisc.h — which home anchor the host uses, and why: the configured one
 * (home-anchor), else one found by DNS (SRV records _mip6._ipv6.DOMAIN for
 * the domains of the host's search list and of Router Advertisements,
 * RFC 5026 §5.2), else one a router advertises (a router with the Home
 * Agent flag, its address from a prefix option with the R flag and its
 * preference from the Home Agent Information option, RFC 6275 §7 and
 * §10.5.1). Candidates expire with their DNS TTL or advertised lifetime.
 * At start a router's candidate waits for the first DNS answers, at most
 * HADISC_DNS_WAIT_MS, so that a host whose DNS names a home anchor does not
 * register at a router first and move to the DNS's anchor a moment later.
 * A candidate whose anchor is on hold (it let the Fixed address's
 * allocation go unanswered: HE_SILENT_HOLD_MS, doubling, hostengine.h) is
 * passed over for the next best one not on hold, and chosen again when the
 * hold ends; when every candidate is on hold the best one stays.
 * Pure: callers pass in what they heard, the time and which anchors are on
 * hold.
 */
#ifndef ODM_HADISC_H
#define ODM_HADISC_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "raopt.h"

#define HADISC_CANDS_MAX 16
/* how long a start waits for the DNS before a router's candidate: c-ares's
 * two tries with one server (1 s, then 2 s; homefind.c) and a margin */
#define HADISC_DNS_WAIT_MS 3500
/* asking the DNS again: after an answer, before the first TTL runs out
 * (leaving HADISC_DNS_WAIT_MS to answer), at least this often */
#define HADISC_REQUERY_MIN_MS 5000
#define HADISC_REQUERY_MAX_MS (300 * 1000)
/* after rounds with no answer: 5 s, doubling up to a minute */
#define HADISC_RETRY_MAX_MS (60 * 1000)

enum hadisc_source { HADISC_NONE = 0, HADISC_CONFIG = 1, HADISC_DNS = 2, HADISC_RA = 3 };

struct hadisc_cand {
	struct in6_addr addr;
	enum hadisc_source src;
	int rank;                /* DNS: SRV priority (lower first); RA: -preference */
	int weight;              /* DNS: SRV weight (higher first) */
	uint64_t heard_ms;       /* for the tie: the most recently heard first */
	uint64_t expires_ms;     /* 0 = never (configuration) */
	char origin[RA_DOMAIN_MAX + 16]; /* "_mip6._ipv6.DOMAIN" or "router on IFNAME" */
};

struct hadisc {
	struct hadisc_cand c[HADISC_CANDS_MAX];
	size_t n;
	int discover;            /* 0: only the configured anchor counts */
	uint64_t dns_wait_until; /* before it, no router's candidate is chosen ... */
	int chosen;              /* ... unless one was chosen before */
};

/* A resolved SRV target (RFC 2782) */
struct hadisc_srv {
	struct in6_addr addr;
	uint16_t priority, weight;
	uint32_t ttl_s;
};

/* config: the configured home anchor or NULL; discover: also use DNS and RAs */
void hadisc_init(struct hadisc *h, const struct in6_addr *config, int discover);

/* An RA heard on ifname: adds, refreshes or (lifetime 0) removes its router. */
void hadisc_from_ra(struct hadisc *h, const struct ra_info *ra, const char *ifname,
		    uint64_t now_ms);

/* The SRV answer for domain (n = 0: none there): replaces that domain's.
 * An address that can be no anchor (neither global unicast nor unique
 * local: loopback, multicast, link-local...) is passed over: how many were
 * is returned, for the log. */
size_t hadisc_from_dns(struct hadisc *h, const char *domain, const struct hadisc_srv *srv,
		     size_t n, uint64_t now_ms);

/* How long the anchor at addr stays on hold after now_ms, in ms; 0 when
 * it is not on hold */
typedef uint64_t (*hadisc_held_fn)(void *arg, const struct in6_addr *addr, uint64_t now_ms);

/* A better candidate that hadisc_choose passed over, on hold */
struct hadisc_passed {
	const struct hadisc_cand *c; /* NULL: none was */
	uint64_t left_ms;            /* its hold's rest (held) */
};

/*
 * Drops what expired; the home anchor to use now, or NULL: the best
 * candidate that held (NULL: none is) says is not on hold, else the best
 * one. passed (may be NULL) gets the best candidate passed over, if any.
 */
const struct hadisc_cand *hadisc_choose(struct hadisc *h, uint64_t now_ms, hadisc_held_fn held,
					void *arg, struct hadisc_passed *passed);

const char *hadisc_source_name(enum hadisc_source s); /* "config", "dns-srv", "ra" */

/* The first DNS questions are out: until until_ms (0: the DNS has
 * answered, or failed) a router's candidate is not chosen, unless
 * something was chosen before. */
void hadisc_dns_wait(struct hadisc *h, uint64_t until_ms);

/*
 * When to ask the DNS again, in ms from now_ms, after a round of questions
 * ended: failures is how many rounds in a row got no answer (a timeout, a
 * refusal, SERVFAIL; not "no such record"), 0 if this one was answered.
 * Failed: HADISC_REQUERY_MIN_MS doubling to HADISC_RETRY_MAX_MS. Answered:
 * HADISC_DNS_WAIT_MS before the first DNS candidate expires, within
 * [HADISC_REQUERY_MIN_MS, HADISC_REQUERY_MAX_MS]. A candidate is kept to its
 * TTL when a later question gets no answer.
 */
uint64_t hadisc_requery_in(const struct hadisc *h, uint64_t now_ms, unsigned failures);
/*
 * Whether the failures-th round in a row without an answer is said at the
 * info level: the first, then each power of two (2, 4, 8, ...: a host
 * offline for hours, asking every minute, would otherwise write a line a
 * minute); the others at debug level. The next one said: *next (when
 * next is not NULL).
 */
int hadisc_dns_failure_said(unsigned failures, unsigned *next);

#endif
