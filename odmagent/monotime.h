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

/*
 * A kernel receive timestamp (SO_TIMESTAMPNS: CLOCK_REALTIME) as this
 * clock's ms, given the two clocks' difference read once by the caller
 * (mono_wall_offset_ns) for a batch of packets; 0 for no stamp.
 */
static inline int64_t mono_wall_offset_ns(void)
{
	struct timespec m, w;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &w);
	return ((int64_t)w.tv_sec - m.tv_sec) * 1000000000 + (w.tv_nsec - m.tv_nsec);
}

static inline uint64_t mono_ms_of_wall(const struct timespec *wall, int64_t offset_ns)
{
	int64_t ns = (int64_t)wall->tv_sec * 1000000000 + wall->tv_nsec - offset_ns;

	return ns > 0 && (wall->tv_sec || wall->tv_nsec) ? (uint64_t)ns / 1000000 : 0;
}

#endif
