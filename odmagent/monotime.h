/* SPDX-License-Identifier: MIT */
/*
 * monotime.h — the agent's one clock for timers and timestamps: monotonic
 * milliseconds. The host role compares its own readings with the tunnel's
 * traffic timestamps (UDP idle leases), so both must come from here.
 */
#ifndef ODM_MONOTIME_H
#define ODM_MONOTIME_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The same clock in microseconds, for measuring short waits */
static inline uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Wall-clock milliseconds since the epoch: only for what outlives the
 * process (state files, state.h), never for timers */
static inline int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
