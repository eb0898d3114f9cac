/*
 * chalookup.h — the AAAA lookup of cha.<host> with c-ares, run alongside
 * the real getaddrinfo.
 *
 * One c-ares channel per process, created on first use (ares_library_init
 * once), recreated in a forked child and whenever the application closed
 * one of its sockets (see shield.h). The channel is used under one mutex;
 * several threads may wait at once: one drives the channel (poll on its
 * sockets, ares_process_fd), the others sleep on a condition variable until
 * their own answer is in or their deadline passes. Callers hold the
 * recursion guard, so c-ares's own socket()/connect()/sendto() reach libc.
 * The c-ares sockets are CLOEXEC and non-blocking.
 */
#ifndef ODM_CHALOOKUP_H
#define ODM_CHALOOKUP_H

#include <netinet/in.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

/* Upper bound on how long getaddrinfo waits for the cha answer (ms). */
#define CHALOOKUP_MAX_WAIT_MS 2000
/* Per-try timeout and tries given to c-ares (below the bound above). */
#define CHALOOKUP_TRY_MS 900
#define CHALOOKUP_TRIES 2
/* A positive answer is kept at least this long: it must outlive the gap
 * between getaddrinfo() and connect() even when the zone says TTL 0. */
#define CHALOOKUP_MIN_TTL 10

struct cha_query;

/*
 * Start the AAAA query for "cha." + node (c-ares applies the resolver's
 * search domains for short names). NULL if c-ares is unavailable.
 */
struct cha_query *chalookup_start(const char *node);

/*
 * Wait for q until deadline_ms (chacache_now_ms() clock) and free it.
 * Returns CHA_FOUND (*cha, *ttl_s), CHA_NONE (NXDOMAIN or no AAAA; *ttl_s
 * is the negative TTL) or a negative errno: -ETIMEDOUT, -EIO (server
 * failure, refused...): then nothing is known.
 */
int chalookup_finish(struct cha_query *q, uint64_t deadline_ms, struct in6_addr *cha,
		     uint32_t *ttl_s);

/* Give up on q without waiting (the real getaddrinfo failed, say). */
void chalookup_abandon(struct cha_query *q);

/* In a forked child: reset the lock; the channel is replaced on next use. */
void chalookup_atfork_child(void);

#pragma GCC visibility pop

#endif
