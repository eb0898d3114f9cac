/* SPDX-License-Identifier: MIT */
/*
 * agent_client.h — the shim's calls to odmagent over ipc.h.
 *
 * Lazy: the connection is made on the first call, CLOEXEC, and recorded in
 * the shield (shield.h) so a close_range() by the application is noticed
 * and the next call reconnects. After fork the child drops the parent's
 * connection and makes its own (the agent identifies clients by SO_PEERCRED,
 * so the child's pid must be its own). Every call is bounded by a short
 * timeout and failure is never fatal: the caller falls back to a plain
 * socket. A failed connect is not retried for AGENT_RETRY_MS, so a host
 * without an agent pays one failed connect per second at most; calls
 * meanwhile fail with that connect's error (ENOENT, EACCES). Calls are
 * serialised by one mutex (replies are matched by id on one stream).
 * Callers hold the recursion guard.
 *
 * The agent may close a connection (idle for its timeout) or refuse one
 * ("EBUSY": the user's share of connections is taken, odmagent(8)): a call
 * then connects again, at once for a reused connection, after a pause
 * growing to 50 ms for a refused one, until its own time is up. The release
 * hint never waits: it is sent without blocking and without an answer, or
 * dropped (the agent counts the sockets on its own every second anyway).
 */
#ifndef ODM_AGENT_CLIENT_H
#define ODM_AGENT_CLIENT_H

#include <netinet/in.h>

#pragma GCC visibility push(hidden)

#define AGENT_CONNECT_MS 500
/* the agent answers a lease request within its allocation timeout (2.9 s),
 * or, when that anchor is silent, once the type's next anchor has answered:
 * a second is left for that */
#define AGENT_LEASE_MS 4000
/* a call with less than this left once the process's calls ahead of it
 * are done is not made: it fails as one that timed out */
#define AGENT_MIN_CALL_MS 50
#define AGENT_RETRY_MS 1000
/* after a lease left unanswered for its whole time, the agent's hello is
 * awaited this long before the next lease is asked (agent_lease) */
#define AGENT_PROBE_MS 250

struct agent_lease {
	struct in6_addr addr;
	char lease[64]; /* the agent's lease id as text */
	char anchor[64];
};

/* the agent's control socket: ODM_SOCKET as the process has it at the
 * call, or, when it is gone from the environment, as the process was
 * started with it (shim_env.h), or the default path */
const char *agent_client_socket_path(void);

/*
 * The agent's default type for this process (hello), or ODM_TYPE_NONE if
 * the agent is unreachable or did not say. Asked once per process.
 */
int agent_default_type(void);

/* The agent's default type if agent_default_type() already has it, else -1
 * (never asks: no connection, no lock). */
int agent_default_type_known(void);

/*
 * lease {type, dst, cha?, proto, fresh?}: fresh asks for a new address
 * rather than a share of one the agent already holds. Returns 1 with *out filled, 0 for
 * {plain:true}, or -errno (agent unreachable, timeout, error reply; the
 * reason is printed once with ODM_DEBUG): -EOPNOTSUPP for the agent's
 * "REQUIREDIPNOTSUPPORTED" (the type is not offered, or policy forbids it).
 * A lease the agent took and left unanswered for its whole time (the agent
 * stopped or hung, or its anchors silent) makes the next call ask hello
 * first, within AGENT_PROBE_MS: unanswered, the agent is not asked again for
 * AGENT_RETRY_MS (-ETIME at once), as for a hello that went unanswered; an
 * agent that dies with the hello is waited for, as one that dies with the
 * lease is, within the call's time.
 */
int agent_lease(int type, const struct in6_addr *dst, const struct in6_addr *cha,
		const char *proto, int fresh, struct agent_lease *out);

/*
 * release {addr, noreply}: a hint that never waits. Returns 0 when sent;
 * -EBUSY (another thread holds the connection), -EAGAIN (the socket buffer
 * is full) or -errno when dropped.
 */
int agent_release(const struct in6_addr *addr);

/*
 * fallback {type, dst, error, noreply}: tell the agent, for its log, that a
 * program that did not ask for a type went out plain because its lease
 * failed with errno err. Never waits, like agent_release.
 */
int agent_fallback(int type, const struct in6_addr *dst, int err);

/*
 * cha-check {name}: whether this user's processes saw the lookup of
 * cha.<name> get no answer lately (chalookup.h). 1: they did, a lookup now
 * would wait in vain (*left_ms: for how long the agent says so still); 0:
 * look it up, *probe 1 when this process is the one to look again after
 * such a memory (it says how it went: agent_cha_result); -errno (no agent,
 * an older one, no answer within ms, the lock's wait included). No
 * answer within ms (the agent's, or the lock held by another thread's call)
 * and the agent is not asked again for AGENT_RETRY_MS (-ETIMEDOUT at
 * once): a round of lookups asks for each of its names.
 */
int agent_cha_check(const char *name, int ms, int *probe, unsigned *left_ms);

/*
 * cha-result {name, answered, noreply}: the lookup of cha.<name> got no
 * answer within its wait (answered 0), or an answer after a probe
 * (answered 1). Never waits, like agent_release.
 */
int agent_cha_result(const char *name, int answered);

/*
 * move-wait {}: a name lookup of the program failed for want of a route
 * (lookupgap.h); since_ms above 0, move-wait {since_ms}: the shim's cha
 * lookup got no answer within since_ms, and is the move's only if the
 * host moved meanwhile (0 at once if it did not; an older agent refuses
 * the field, -EINVAL). 1: the host's move's gap ended, the lookup is to
 * be made again; 0: not a move's gap (or no link came back within the agent's
 * bound); -errno (no agent, an older one: -ENOSYS, and not asked again;
 * no answer within ms, the lock's wait included). *waited_ms: how long
 * the agent held the question.
 */
int agent_move_wait(int ms, unsigned since_ms, unsigned *waited_ms);

/* In a forked child: reset the lock, forget the parent's connection. */
void agent_client_atfork_child(void);

#pragma GCC visibility pop

#endif
