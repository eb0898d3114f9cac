/* SPDX-License-Identifier: MIT */
/*
 * monotime.h — the agent's one clock for timers and timestamps: monotonic
 * milliseconds that count the time the machine was suspended
 * (CLOCK_BOOTTIME, clock_gettime(2)). A binding's lifetime runs on at
 * the other end while this host sleeps: CLOCK_MONOTONIC stands still in a
 * suspend, and a host woken 3 s before its binding's end saw it as young
 * as when the lid closed, and refreshed it 12 s after the anchor had let
 * it go (its sessions ended). Both roles compare their readings with the
 * tunnel's traffic timestamps (UDP idle leases, the replay of a move), so
 * all must come from here (ODM_CLOCK; the bpf backend's programs stamp
 * with bpf_ktime_get_boot_ns, the same clock but the initial time
 * namespace's: the backend moves their stamps by the agent's namespace
 * offset, timens.h).
 */
#ifndef ODM_MONOTIME_H
#define ODM_MONOTIME_H

#include <stdint.h>
#include <time.h>

#define ODM_CLOCK CLOCK_BOOTTIME

static inline uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(ODM_CLOCK, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The same clock in microseconds, for measuring short waits */
static inline uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(ODM_CLOCK, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * CLOCK_MONOTONIC milliseconds: the clock of the times told to users
 * (odm_events(3)'s deadline, the "ms" of odmctl monitor's events), which
 * their programs read; never for the agent's own timers (a suspend does
 * not advance it)
 */
static inline uint64_t public_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* t, a time of mono_ms(), as public_ms() tells it (the suspends since
 * the machine started taken out) */
static inline uint64_t public_ms_of(uint64_t t)
{
	uint64_t m = mono_ms(), p = public_ms(), d = m > p ? m - p : 0;

	return t > d ? t - d : 0;
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

	clock_gettime(ODM_CLOCK, &m);
	clock_gettime(CLOCK_REALTIME, &w);
	return ((int64_t)w.tv_sec - m.tv_sec) * 1000000000 + (w.tv_nsec - m.tv_nsec);
}

static inline uint64_t mono_ms_of_wall(const struct timespec *wall, int64_t offset_ns)
{
	int64_t ns = (int64_t)wall->tv_sec * 1000000000 + wall->tv_nsec - offset_ns;

	return ns > 0 && (wall->tv_sec || wall->tv_nsec) ? (uint64_t)ns / 1000000 : 0;
}

#endif
