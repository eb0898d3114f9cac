/* SPDX-License-Identifier: MIT */
/*
 * anchor_mode.h — what differs between the anchor's modes, as one ops
 * table per mode (the model is iproute2's struct link_util, one per link
 * kind). anchor.c runs what every mode shares (decoding, authentication,
 * replay and sequence checks, the care-of address check, the BA) and hands
 * a BU that passed them to the mode it is for; the mode decides where the
 * address comes from, who may claim it and when the binding ends, and
 * changes the binding cache only through the helpers below.
 *
 *   cha     anchor_mode_cha.c     lowest free address of the pool
 *   home    anchor_mode_home.c    one address per identity, derived from it
 *   access  anchor_mode_access.c  the host's own on-link address, claimed
 *                                 from that link, tunnelled after a move
 */
#ifndef ODM_ANCHOR_MODE_H
#define ODM_ANCHOR_MODE_H

#include <netinet/in.h>
#include <stdint.h>

#include "config.h"
#include "mh.h"

struct anchor;
struct binding;

/* What the BA will say; filled as the checks go */
struct ba_plan {
	uint8_t status;
	uint16_t seq;
	uint16_t lifetime;
	long ident;                /* -1: the BA is not authenticated */
	int bare;                  /* an outsider's answer: no options at all */
	int throttled;             /* the answer goes through the rate limit */
	int paced;                 /* ... or the identity's (ANCHOR_STALE_GAP_MS):
				    * ANCHOR_PACED_NEW or ANCHOR_PACED_OLD */
	int has_hoa;
	struct in6_addr hoa;
	int has_replay;
	uint64_t replay_ts;
};

/* One authenticated, fresh BU with a valid care-of address, as a mode sees it */
struct anchor_req {
	const struct mh_msg *bu;
	long ident;                /* index in cfg->identities */
	int coa_is_hoa;            /* CoA = the address the BU is about */
	int from_link;             /* ... and the BU came from its link (anchor.h;
				    * access mode only) */
	int graceful;              /* Service Selection "graceful-replacement" */
	uint64_t now_ms;
};

struct anchor_mode_ops {
	enum odm_anchor_mode mode;
	/* 1: each binding gets a /128 route into the tunnel device while it is
	 * tunnelled (addresses of an on-link prefix); 0: the pool route covers it */
	int per_address_route;
	/* The address a BU is about (for the care-of address check): its HNP,
	 * or for HNP :: what the mode would bind; NULL if nothing yet */
	const struct in6_addr *(*target)(const struct anchor *an, const struct mh_msg *bu,
					 long ident);
	/* Decide the BU; change the cache; fill p (has_hoa, hoa, lifetime).
	 * Returns the BA status; a status >= 128 leaves everything as it was. */
	uint8_t (*apply)(struct anchor *an, const struct anchor_req *r, struct ba_plan *p);
	/* A binding of this mode ended: give its address back */
	void (*put_addr)(struct anchor *an, const struct in6_addr *hoa);
	/* A saved binding comes back after a restart: take its address for
	 * identity ident. 0, or -errno when the mode would not hand it out */
	int (*take_addr)(struct anchor *an, const struct in6_addr *hoa, size_t ident);
};

extern const struct anchor_mode_ops anchor_mode_cha, anchor_mode_home, anchor_mode_access;

/* anchor_mode.c */
const struct anchor_mode_ops *anchor_mode_ops(enum odm_anchor_mode mode);
/* 1 if a is in one of the anchor's access prefixes */
int anchor_in_access_prefix(const struct anchor *an, const struct in6_addr *a);
/*
 * The mode a BU is for (the rules are in anchor.h), or NULL with *status
 * the refusal. *graceful is set when the BU asks for Graceful-replacement.
 */
const struct anchor_mode_ops *anchor_mode_select(const struct anchor *an,
						 const struct mh_msg *bu, long ident,
						 int *graceful, uint8_t *status);
/* The mode a saved binding of identity ident for hoa belongs to, NULL if
 * this anchor (its configuration may have changed) would not hold it */
const struct anchor_mode_ops *anchor_mode_of(const struct anchor *an, const struct in6_addr *hoa,
					     size_t ident);

/* anchor.c: what the modes share */
/* The lifetime granted for asked (4-s units), capped by max-lifetime */
uint16_t anchor_grant(const struct anchor *an, uint16_t asked);
/* 1 (logged) when identity ident holds max-bindings already */
int anchor_quota_full(struct anchor *an, long ident, uint64_t now_ms);
/* A binding template for r's BU: hoa, CoA = the BU's, identity, BID,
 * sequence number, granted lifetime and expiry from now, mode */
void anchor_binding_tmpl(const struct anchor_req *r, const struct in6_addr *hoa,
			 uint16_t granted, enum odm_anchor_mode mode, struct binding *tmpl);
/*
 * A new binding from tmpl (hoa, coa, nai, bid, seq, lifetime, expiry,
 * ident, mode, graceful, deadline): tunnel entry and route when coa != hoa,
 * cache, the identity's count. 0 or -errno (nothing changed).
 */
int anchor_binding_add(struct anchor *an, const struct binding *tmpl, struct binding **out);
/*
 * b follows a BU at now_ms: care-of address (tunnel entry moved, or removed
 * when the new CoA is the home address; the outage it names sent again,
 * replay.h), sequence number, granted lifetime, expiry.
 * 0 or -errno (nothing changed).
 */
int anchor_binding_update(struct anchor *an, struct binding *b, const struct mh_msg *bu,
			  const struct in6_addr *coa, uint16_t granted, uint64_t now_ms,
			  uint64_t expires_ms);

/* anchor_mode_home.c */
/*
 * The k-th candidate home address of nai in prefix/plen (plen 64..96): the
 * host bits are the first bits of SHA-256("odm-home" ‖ prefix ‖ plen ‖ k ‖
 * nai). 0, or -EINVAL when the candidate is one home mode never hands out
 * (the pool's dynamic range, the anycast top of the prefix, exclude).
 */
int anchor_home_candidate(const struct in6_addr *prefix, uint8_t plen, const char *nai,
			  uint32_t k, const struct in6_addr *exclude, struct in6_addr *out);
/* Derive every configured identity's home address (an->home); 0 or -errno */
int anchor_home_build(struct anchor *an);
/* Identity ident's home address, NULL if the anchor does not serve home */
const struct in6_addr *anchor_home_addr(const struct anchor *an, size_t ident);

#endif
