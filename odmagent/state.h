/* SPDX-License-Identifier: MIT */
/*
 * state.h — what each agent keeps on disk so that a restarted agent takes
 * over where the last one stopped, as JSON text (jansson): encoding, a
 * strict and bounded decoder (unknown or missing keys, wrong types, values
 * out of range, duplicate keys, more entries than the limits: all refused,
 * with a message), and the pure decisions of a restore. No I/O here
 * (statefile.h writes and reads the text).
 *
 * Times on disk are wall-clock milliseconds since the epoch (monotonic time
 * does not survive a reboot and means nothing to another process); they
 * are turned back into monotonic deadlines with state_deadline().
 *
 * Host ("role": "mn"):
 *   {"version":1, "role":"mn", "nai":S, "last_id":N,
 *    "anchors":[{"addr":A, "seq":N, "last_ts":N}],
 *    "leases":[{"bid":N, "type":N, "proto":N, "addr":A, "anchor":A, "dst":A,
 *               "uid":N, "pid":N, "created":MS, "expires":MS
 *               [, "holders":[N, ...]]}]}
 *   ("holders": every user the lease's address was given to, its owner
 *   first, when more than the owner share it: an access claim, lease.h)
 * Anchor ("role": "anchor"):
 *   {"version":1, "role":"anchor", "pool":"PREFIX/LEN",
 *    "identities":[{"nai":S, "seq":N, "last_ts":N}],   (only those with one)
 *    "bindings":[{"hoa":A, "coa":A, "nai":S, "bid":N, "seq":N,
 *                 "lifetime":UNITS, "expires":MS
 *                 [, "graceful":true [, "deadline":MS]]}]}
 *   (an access binding of a Graceful-replacement address has "graceful",
 *   and "deadline" while its grace period runs; no other has them)
 * last_ts values are NTP 32.32 timestamps (RFC 4285 §6), written as decimal
 * strings because JSON numbers lose precision above 2^53.
 */
#ifndef ODM_STATE_H
#define ODM_STATE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "mh.h"

#define STATE_VERSION 1
#define STATE_MAX_ANCHORS 4096
#define STATE_MAX_LEASES 65535
#define STATE_MAX_IDENTITIES 100000
#define STATE_MAX_BINDINGS 65536
#define STATE_MAX_COOLING 65536   /* a pool tracks at most ANCHOR_POOL_MAX */
#define STATE_MAX_HOLDERS 32      /* users sharing one lease that are kept */

struct state_mn_anchor {
	struct in6_addr addr;
	uint16_t seq;      /* last sequence number sent */
	uint64_t last_ts;  /* last replay timestamp sent */
};

struct state_mn_lease {
	uint16_t bid;      /* lease id = BID, nonzero */
	int type;          /* enum odm_addr_type */
	int proto;         /* IPPROTO_TCP or IPPROTO_UDP */
	struct in6_addr addr, anchor, dst;
	uint32_t uid;
	int32_t pid;
	uint32_t holders[STATE_MAX_HOLDERS]; /* the owner first; none if alone */
	size_t n_holders;
	int fresh;          /* made for IPV6_REQUIRE_SRC_ON_NET: never shared */
	int64_t created_ms; /* wall clock */
	int64_t expires_ms; /* wall clock: the anchor forgets the binding then */
};

struct state_mn {
	char nai[MH_NAI_MAX + 1];
	uint16_t last_id;
	struct state_mn_anchor *anchors;
	size_t n_anchors;
	struct state_mn_lease *leases;
	size_t n_leases;
};

struct state_anchor_ident {
	char nai[MH_NAI_MAX + 1];
	uint16_t seq;      /* last accepted */
	uint64_t last_ts;  /* last accepted */
};

struct state_anchor_binding {
	struct in6_addr hoa, coa;
	char nai[MH_NAI_MAX + 1];
	uint16_t bid, seq, lifetime; /* lifetime in 4-s units */
	int64_t expires_ms;          /* wall clock */
	uint8_t graceful;            /* Graceful-replacement (access) */
	int64_t deadline_ms;         /* wall clock end of its grace period, 0 = none */
};

/* A pool address released less than POOL_COOL_MS before the save (pool.h) */
struct state_anchor_cooling {
	uint32_t off;         /* its offset in the pool */
	int64_t released_ms;  /* wall clock */
};

struct state_anchor {
	struct in6_addr pool;
	uint8_t pool_plen;
	struct state_anchor_ident *idents;
	size_t n_idents;
	struct state_anchor_binding *bindings;
	size_t n_bindings;
	struct state_anchor_cooling *cooling; /* in release order */
	size_t n_cooling;
	uint32_t held;   /* the pool's offsets to hold after a crash (anchor.h):
			  * the run's own hold, or its highest cooling address;
			  * 0 = none */
};

/* Encode as one line of JSON (malloc'ed, NUL-terminated); NULL on ENOMEM */
char *state_mn_encode(const struct state_mn *s);
char *state_anchor_encode(const struct state_anchor *s);

/* Decode text (len bytes, need not be NUL-terminated). 0, or -EINVAL with
 * a reason in err; on error *s holds nothing to free. */
int state_mn_decode(const char *text, size_t len, struct state_mn *s, char *err,
		    size_t errlen);
int state_anchor_decode(const char *text, size_t len, struct state_anchor *s, char *err,
			size_t errlen);
void state_mn_free(struct state_mn *s);
void state_anchor_free(struct state_anchor *s);

/*
 * Restore decisions. A deadline stored as wall-clock ms becomes a
 * monotonic one; 0 means "already past by now" (with a margin of
 * margin_ms: a binding about to expire is not worth adopting).
 */
uint64_t state_deadline(int64_t wall_ms, int64_t now_wall_ms, uint64_t now_mono_ms,
			uint32_t margin_ms);
/* Where a restarted host's sequence counter toward an anchor resumes: past
 * the stored one by the BUs that may have left after the last save. */
#define STATE_SEQ_SLACK 16
uint16_t state_seq_resume(uint16_t stored);

#endif
