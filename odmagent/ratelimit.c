/* SPDX-License-Identifier: MIT */
/* ratelimit.c — token bucket (see ratelimit.h). */
#include "ratelimit.h"

#define MILLI 1000u

void ratelimit_init(struct ratelimit *rl, uint32_t rate, uint32_t burst, uint64_t now_ms)
{
	rl->rate = rate;
	rl->burst = burst ? burst : 1;
	rl->milli = (uint64_t)rl->burst * MILLI;
	rl->last_ms = now_ms;
	rl->passed = rl->limited = 0;
}

void ratelimit_set(struct ratelimit *rl, uint32_t rate, uint32_t burst)
{
	rl->rate = rate;
	rl->burst = burst ? burst : 1;
	if (rl->milli > (uint64_t)rl->burst * MILLI)
		rl->milli = (uint64_t)rl->burst * MILLI;
}

int ratelimit_ready(struct ratelimit *rl, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)rl->burst * MILLI;

	/* a clock that went back refills nothing; it only moves the mark */
	if (now_ms > rl->last_ms) {
		uint64_t dt = now_ms - rl->last_ms;

		/* rate tokens/s = rate thousandths/ms; dt is capped so the
		 * product cannot overflow (a full bucket needs at most
		 * burst*1000 ms at rate 1) */
		if (dt > cap)
			dt = cap;
		rl->milli += dt * rl->rate;
		if (rl->milli > cap)
			rl->milli = cap;
	}
	rl->last_ms = now_ms;
	return rl->milli >= MILLI;
}

void ratelimit_spend(struct ratelimit *rl)
{
	rl->milli -= rl->milli >= MILLI ? MILLI : rl->milli;
	rl->passed++;
}

int ratelimit_full(struct ratelimit *rl, uint64_t now_ms)
{
	ratelimit_ready(rl, now_ms);
	return rl->milli >= (uint64_t)rl->burst * MILLI;
}

int ratelimit_allow(struct ratelimit *rl, uint64_t now_ms)
{
	if (!ratelimit_ready(rl, now_ms)) {
		rl->limited++;
		return 0;
	}
	ratelimit_spend(rl);
	return 1;
}
