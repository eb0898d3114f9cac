/* SPDX-License-Identifier: MIT */
/*
 * chalookup.h — the AAAA lookup of cha.<host> with c-ares, made when a
 * socket first needs the answer (setsc_to() with a host name, or the first
 * connect() to an address getaddrinfo() resolved the host to).
 *
 * One c-ares channel per process, created on first use (ares_library_init
 * once), recreated in a forked child, whenever the application closed
 * one of its sockets (see shield.h), and when /etc/resolv.conf changed
 * (resolvid.h: after a move, the new network's server and search list)
 * while no lookup is waited for. The channel is used under one mutex;
 * several threads may wait at once: one drives the channel (poll on its
 * sockets, ares_process_fd), the others sleep on a condition variable until
 * their own answer is in or their deadline passes. Callers hold the
 * recursion guard, so c-ares's own socket()/connect()/sendto() reach libc.
 * The c-ares sockets are CLOEXEC and non-blocking.
 *
 * getaddrinfo() does not ask at all for a name it has no answer for: it
 * notes the name and the destinations libc gave (chalookup_defer), and the
 * first connect() to one of them asks (chalookup_wait_dst). A process pays
 * for the c-ares set-up and the query only when a socket needs the answer,
 * and its getaddrinfo() costs what libc's does. Other threads connecting to
 * the same name meanwhile wait for that one answer.
 */
#ifndef ODM_CHALOOKUP_H
#define ODM_CHALOOKUP_H

#include <netinet/in.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

/* Upper bound on how long a caller waits for the cha answer (ms). */
#define CHALOOKUP_MAX_WAIT_MS 2000
/* Per-try timeout and tries given to c-ares (below the bound above). */
#define CHALOOKUP_TRY_MS 900
#define CHALOOKUP_TRIES 2
/* An answer, positive or negative, is kept at least this long (s), even
 * when the zone says TTL 0: the connect that asked reads it from the cache
 * (chalookup_wait_dst). No longer: a connect after the record's TTL asks
 * again (chalookup_refresh_dst), and one after the record changed must
 * follow it (RFC 1035 §3.2.1). */
#define CHALOOKUP_MIN_TTL 1
/* An answer that there is no record is kept as long as its zone's SOA
 * says (RFC 2308 §5), at most CHACACHE_NEG_TTL and at least
 * CHALOOKUP_MIN_TTL. */
/* A lookup that got no answer (the DNS out of reach, as during a move) is
 * not made again for this long (s) by the connects that find it so: each
 * would wait CHALOOKUP_MAX_WAIT_MS. Short, for meanwhile a program that
 * named its type gets EADDRNOTAVAIL for that peer (odm(7)). A new
 * getaddrinfo() of the name asks at once. */
#define CHALOOKUP_FAILED_RETRY_S 5
/* A lookup that got no answer serves the last answer its destinations had
 * from that name for CHALOOKUP_FAILED_RETRY_S, if its TTL ran out less
 * than this long ago (s; RFC 8767 §5 suggests 1 to 3 days). */
#define CHALOOKUP_STALE_MAX_S 86400
/* Longest host name looked up, with "cha." and the NUL. */
#define CHALOOKUP_NAME_MAX 256
/* Destinations of one name noted for a deferred lookup (the rest go plain). */
#define CHALOOKUP_MAX_DSTS 16
/* Names noted at once; the oldest not being looked up makes room. */
#define CHALOOKUP_MAX_DEFERRED 64

struct cha_query;

/*
 * Start the AAAA queries for "cha." + node, under the names the resolver's
 * search list makes of it, one after the other (chasearch.h). NULL if
 * c-ares is unavailable.
 */
struct cha_query *chalookup_start(const char *node);

/*
 * Wait for q until deadline_ms (chacache_now_ms() clock) and free it.
 * Returns CHA_FOUND (*cha, *ttl_s), CHA_NONE (NXDOMAIN or no AAAA; *ttl_s
 * is the negative TTL) or a negative errno: -ETIMEDOUT, -EIO (server
 * failure, refused...), -EMFILE or -ENFILE (no descriptor for a query: none
 * went out): then nothing is known.
 */
int chalookup_finish(struct cha_query *q, uint64_t deadline_ms, struct in6_addr *cha,
		     uint32_t *ttl_s);

/* dst[0..ndst) -> cha (result CHA_FOUND) or none, in the address cache;
 * none where another name of dst answered otherwise (for the shorter of
 * the two answers' TTLs, whatever names come after); nothing where another
 * name of dst is noted and not looked up yet (its connect asks). */
void chalookup_record(const char *node, const struct in6_addr *dst, size_t ndst, int result,
		      const struct in6_addr *cha, uint32_t ttl, uint64_t now);

/*
 * Note that node (no answer cached) resolved to dst[0..ndst): the first
 * chalookup_wait_dst() for one of them looks cha.<node> up. A name noted
 * again gains the new destinations (up to CHALOOKUP_MAX_DSTS).
 */
void chalookup_defer(const char *node, const struct in6_addr *dst, size_t ndst);

/*
 * If dst's name was noted, look it up now (or wait for the thread already
 * doing it) and record the answer for all its destinations, at most
 * CHALOOKUP_MAX_WAIT_MS a lookup; names of dst noted while this thread
 * waited or asked are looked up too, by it if nobody does, and three times
 * CHALOOKUP_MAX_WAIT_MS bounds the whole wait, other threads' lookups of
 * dst's names waited for included; 1 if so, with dst's answer
 * as the cache has it then in *answer (CHA_FOUND and *cha if cha is not
 * NULL, CHA_NONE, CHA_MISS: unknown), read under the lock a name of dst
 * noted afterwards takes it out with; 0 if dst was not noted (at once,
 * without a lock, when nothing is noted). dst noted for several names: all
 * are looked up, at once (dst's answer is theirs together,
 * chalookup_record).
 */
int chalookup_wait_dst(const struct in6_addr *dst, int *answer, struct in6_addr *cha);

/*
 * dst's cha answer is gone from the cache (its TTL ran out) although dst
 * came from a name: a program that resolved once and connects again to the
 * address it kept must not lose its anchor for it. Look cha.<that name> up
 * again now (as chalookup_wait_dst does) and record the answer; 1 if so
 * (*answer and *cha as chalookup_wait_dst sets them), 0
 * if no name is known for dst (the last CHALOOKUP_MAX_KNOWN destinations
 * resolved are), -1 without asking if the last lookup of that name got no
 * answer less than CHALOOKUP_FAILED_RETRY_S ago (whether it has a cha is
 * unknown).
 */
#define CHALOOKUP_MAX_KNOWN 128
int chalookup_refresh_dst(const struct in6_addr *dst, int *answer, struct in6_addr *cha);

/* In a forked child: reset the lock; the channel is replaced on next use. */
/* node's lookup got no answer: dst's last answer from node, if its TTL ran
 * out less than CHALOOKUP_STALE_MAX_S ago, again dst's in the address cache
 * for CHALOOKUP_FAILED_RETRY_S (serve-stale, RFC 8767): CHA_FOUND (and
 * *cha), CHA_NONE, or CHA_MISS (none to serve) */
int chalookup_stale(const char *node, const struct in6_addr *dst, struct in6_addr *cha,
		    uint64_t now);
void chalookup_atfork_child(void);

#pragma GCC visibility pop

#endif
