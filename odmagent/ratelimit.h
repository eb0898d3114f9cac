/* SPDX-License-Identifier: MIT */
/*
 * ratelimit.h — a token bucket, for answers the agent sends to messages it
 * could not authenticate (RFC 6275 §9.3.3 treats Binding Errors like ICMPv6
 * errors, whose rate RFC 4443 §2.4(f) bounds with such a bucket).
 *
 * Pure: time is passed in (monotonic ms), no clock is read. The bucket
 * holds at most `burst` tokens and gains `rate` tokens per second; each
 * answer takes one. Tokens are kept in thousandths so that rates below one
 * per millisecond refill without rounding drift.
 */
#ifndef ODM_RATELIMIT_H
#define ODM_RATELIMIT_H

#include <stdint.h>

struct ratelimit {
	uint32_t rate;      /* tokens per second; 0 = none after the first burst */
	uint32_t burst;     /* bucket size, >= 1 */
	uint64_t milli;     /* tokens held, in thousandths */
	uint64_t last_ms;   /* when milli was last brought up to date */
	uint64_t passed, limited;
};

/* A full bucket at now_ms (burst 0 is taken as 1). */
void ratelimit_init(struct ratelimit *rl, uint32_t rate, uint32_t burst, uint64_t now_ms);
/* A new rate and burst (a reload): the tokens held stay, up to the new
 * burst, and so do the counts. */
void ratelimit_set(struct ratelimit *rl, uint32_t rate, uint32_t burst);
/* 1 (and one token spent) if an answer may go out at now_ms, else 0. */
int ratelimit_allow(struct ratelimit *rl, uint64_t now_ms);
/*
 * The same in two steps, for an answer that needs two buckets at once (a
 * user's and everyone's): ratelimit_ready refills to now_ms and says
 * whether a token is there, spending none and counting nothing;
 * ratelimit_spend takes it (counted passed).
 */
int ratelimit_ready(struct ratelimit *rl, uint64_t now_ms);
void ratelimit_spend(struct ratelimit *rl);
/* 1 if the bucket is full at now_ms (refilled): as a new one would be. */
int ratelimit_full(struct ratelimit *rl, uint64_t now_ms);

/*
 * The simplest limit, one answer per gap_ms for one key (an identity, a
 * binding): 1 (and *last_ms set to now_ms) unless one went less than
 * gap_ms before now_ms (*last_ms 0: none yet); else 0.
 */
static inline int ratelimit_spaced(uint64_t *last_ms, uint64_t gap_ms, uint64_t now_ms)
{
	if (*last_ms && now_ms < *last_ms + gap_ms)
		return 0;
	*last_ms = now_ms;
	return 1;
}

#endif
