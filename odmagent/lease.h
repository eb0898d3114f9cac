/* SPDX-License-Identifier: MIT */
/*
 * lease.h — the host role's leases: which typed addresses the host holds,
 * at which anchor, for which protocol, who is waiting for one, the pure
 * decisions about them (reuse, end of use), and their whole life cycle
 * (request, allocation, configuration, hand-out, reuse, move, end), driven
 * by the host engine (hostengine.h). No I/O here: facts come in through
 * the engine's ops and the time it was given, so every step can be tested
 * with made-up numbers.
 */
#ifndef ODM_LEASE_H
#define ODM_LEASE_H

#include <netinet/in.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "sockdiag.h"

struct reg_binding;

enum lease_state {
	LEASE_REGISTERING = 0, /* allocation BU out, waiters pending */
	LEASE_REGISTERED = 1,  /* address allocated and configured on the host */
};

struct lease {
	struct lease *next;
	uint16_t id;             /* also the BID: nonzero, unique among live leases */
	int type;                /* enum odm_addr_type */
	int proto;               /* IPPROTO_TCP or IPPROTO_UDP */
	enum lease_state state;
	struct in6_addr addr;    /* :: until the anchor allocated one */
	struct in6_addr anchor;
	struct in6_addr dst;     /* destination of the request that created it */
	uid_t uid;               /* owner: kernel credentials of that request;
				  * LEASE_UID_AGENT: held by the agent itself */
	pid_t pid;
	int fresh;               /* that request asked for a fresh address
				  * (IPV6_REQUIRE_SRC_ON_NET) */
	/* every user the address was given to (the owner first): more than
	 * one only for a shared access claim (accessclaim.h) */
	uid_t *uids;
	size_t n_uids, cap_uids;
	uint64_t created_ms;     /* monotonic ms */
	uint64_t registered_ms;  /* when the address was configured */
	uint64_t handed_ms;      /* when the address was last given to a client */
	uint64_t grace_end_ms;   /* its grace ends no sooner: the rest of it
				  * after the agent did not run (lease_woke) */
	struct sockdiag_count socks; /* last count, for status */
	unsigned host_cfg;       /* LEASE_CFG_* steps done on the host */
	struct reg_binding *rb;  /* its Binding Update List entry */
	int hinted;              /* a release hint came since the last count */
	unsigned handed;         /* times the address was given to a client */
	void **waiters;          /* opaque requests waiting for the address */
	size_t n_waiters, cap_waiters;
	/* an access address of the host claimed at the access anchor of its
	 * link (accessclaim.h): native there, tunnelled from elsewhere */
	int claimed;
	uint64_t deadline_ms;    /* Graceful-replacement: released then (0 = none) */
	int claim_retype;        /* the claim's type changed during an exchange:
				  * refresh again once it ends (accessclaim.c) */
	int relink_if;           /* the claim's address put back on its link by
				  * the agent, on this interface (0 = not) */
	/* an ICMPv6 error about a packet to its anchor (icmperr.h) last
	 * started a confirming refresh then (0 = never); probe_open until a BA
	 * answers it */
	uint64_t probed_ms;
	int probe_open;
	unsigned probe_failed;   /* connecting sockets failed since, for the log */
	uint64_t resent_ms;      /* a request for it while unconfirmed resent the BU */
	uint64_t asked_ms;       /* a BRR or BE of its anchor last started a refresh
				  * then (0 = never; HE_PROBE_GAP_MS apart) */
	/* the quiet check (HE_QUIET_MS): the last packet received and the
	 * count as the last look saw them, when its run of packets began,
	 * whether it was a stream (a long run or a burst), and for the last
	 * silence confirmed, its last packet and when the refresh started */
	uint64_t seen_rx_ms, seen_rx_packets, run_from_ms, quiet_rx_ms, quiet_ms;
	int streamed;
	/* when a move's re-registration of it was last accepted (0 = none
	 * since the last quiet check): an anchor killed before it saved that
	 * move comes back with the old care-of address (HE_QUIET_MS) */
	uint64_t moved_ba_ms;
	/* its last packet through the tunnel either way, as the last look
	 * saw it (0: none seen, or the tunnel could not say): for status */
	uint64_t seen_any_ms;
	/* a look found it idle while its anchor's care-of address was gone
	 * (lease.c judge_one): not ended, its idleness counted again from
	 * the first look after the outage */
	int idle_paused;
};

/* The owner of a lease the agent holds for itself (no user asked for it) */
#define LEASE_UID_AGENT ((uid_t)-1)

/* Host configuration steps of a lease, undone in reverse order */
#define LEASE_CFG_ADDR 0x1
#define LEASE_CFG_BIND 0x2
#define LEASE_CFG_ROUTE 0x4

struct lease_table {
	struct lease *head;
	size_t n;
	uint16_t last_id;        /* ids go up from a random start, skipping 0 */
};

/* first_id: where ids start (random, so a restarted host does not reuse the
 * BIDs its previous run held at an anchor) */
void lease_table_init(struct lease_table *t, uint16_t first_id);
/* Frees every lease; waiters must have been answered by the caller. */
void lease_table_clear(struct lease_table *t);

/* A new lease in state REGISTERING with a fresh id; NULL on ENOMEM or when
 * all 65535 ids are taken. */
struct lease *lease_new(struct lease_table *t, int type, int proto,
			const struct in6_addr *anchor, const struct in6_addr *dst,
			uint64_t now_ms);
/* Unlink and free; the caller has answered the waiters. */
void lease_free(struct lease_table *t, struct lease *l);

struct lease *lease_by_addr(const struct lease_table *t, const struct in6_addr *addr);
struct lease *lease_by_id(const struct lease_table *t, uint16_t id);

/*
 * A lease a request for (type, proto) at anchor by user uid may share
 * instead of allocating a new address: a registered one first, else (if
 * include_registering) one whose allocation is under way, so parallel
 * connects to the same anchor wait on one BU instead of allocating several.
 * Only the owner's leases are shared: two users never get the same address.
 */
struct lease *lease_find_reusable(const struct lease_table *t, int type, int proto,
				  const struct in6_addr *anchor, uid_t uid,
				  int include_registering);

/* Whether a lease's address is configured on the host / a request waits
 * for a lease's address (its BA, its local route, or a confirming
 * refresh). Each stops at the first such lease: they are asked as every
 * lease ends and at every save, and a count would walk thousands. */
int lease_any_configured(const struct lease_table *t);
int lease_any_waited_for(const struct lease_table *t);
/* Leases of user uid (owned or shared), registering ones included: what a
 * quota counts. */
size_t lease_count_uid(const struct lease_table *t, uid_t uid);

/* uid holds l: 0, or -ENOMEM (the agent's own uid is never recorded). */
int lease_add_holder(struct lease *l, uid_t uid);
/* Whether uid was given l's address. */
int lease_held_by(const struct lease *l, uid_t uid);
/* The users l's events are for (events.h): its holders; everyone for a
 * lease the agent holds for itself (the host's own Fixed address). */
struct events_audience;
void lease_audience(const struct lease *l, struct events_audience *to);

int lease_add_waiter(struct lease *l, void *req);   /* 0 or -ENOMEM */
/* Hands the waiters to the caller (who answers and frees the array). */
void **lease_take_waiters(struct lease *l, size_t *n);

struct lease_policy {
	uint32_t grace_ms;        /* after a hand-out, sockets may be invisible */
	uint32_t udp_inactivity_s; /* 0 = never expire idle UDP leases */
	/* leases one look at the sockets ends at most, the rest at the next
	 * (0: no bound): each end costs the kernel a walk of the routes and
	 * rules of every lease, ~2 ms with 4500 of them */
	uint32_t ends_per_look;
};

enum lease_verdict {
	LEASE_KEEP = 0,
	LEASE_END_UNUSED = 1, /* no socket uses the address any more */
	LEASE_END_IDLE = 2,   /* UDP lease without traffic for udp_inactivity */
};

/*
 * Whether a registered lease should end, from its socket count and the last
 * tunnel traffic for its address (monotonic ms, 0 = never). Within grace_ms
 * of the last hand-out the answer is always KEEP: a TCP socket that is bound
 * but not yet connected is in no table sock_diag dumps.
 */
/* When l was last used, as udp-inactivity counts it: the later of
 * traffic_ms (its last packet through the tunnel), its registration and
 * its hand-out */
uint64_t lease_last_use_ms(const struct lease *l, uint64_t traffic_ms);
enum lease_verdict lease_judge(const struct lease *l, const struct sockdiag_count *c,
			       uint64_t last_traffic_ms, uint64_t now_ms,
			       const struct lease_policy *p);

/*
 * Like lease_find_reusable, with the sharing rule of the request's type
 * (typetable.h): a lease at anchor that may_share accepts, a registered
 * one first.
 */
struct addrtype;
struct at_request;
struct lease *lease_find_shared(const struct lease_table *t, const struct addrtype *at,
				const struct at_request *rq, const struct in6_addr *anchor,
				int include_registering);

const char *lease_state_name(enum lease_state s);
const char *lease_verdict_name(enum lease_verdict v);

/* ---- the life cycle, called by the host engine (hostengine.c) ---- */

struct hostengine;
struct reg_event;

/* A request for an address at anchor: shared, waited for, or allocated. */
void lease_request_anchored(struct hostengine *e, const struct at_request *rq,
			    const struct in6_addr *anchor);
/* An exchange of a lease's binding ended (reg_ops.done; arg: the engine). */
void lease_reg_done(void *arg, struct reg_binding *b, const struct reg_event *ev);
/* A new CoA toward l's anchor: re-bound in the tunnel, re-registered (or
 * its allocation resent at once). 1 if a BU went out for it. */
int lease_moved(struct hostengine *e, struct lease *l, const struct in6_addr *coa);
/* Ask the kernel again about the addresses not usable yet. */
void lease_usable_poll(struct hostengine *e);
/* Past its grace, every socket of l is visible to a count. */
int lease_countable(const struct hostengine *e, const struct lease *l);
/* Count the sockets of every countable lease at once; end those done. */
/* The agent looks again after gap_ms without a look (HE_ASLEEP_MS; e->looked_ms
 * still the last look): each registered UDP lease's idleness counts from
 * e->now, and a lease still in its grace at the last look is not ended as
 * unused before the rest of that grace has passed from e->now */
void lease_woke(struct hostengine *e, uint64_t gap_ms);
void lease_count_and_judge(struct hostengine *e);
/* Requests that waited too long for a confirming refresh: ETIMEDOUT; and
 * while a refresh asked for by an ICMPv6 error stays unanswered, the TCP
 * connections still being set up on the lease's address are failed. */
void lease_confirm_overdue(struct hostengine *e);
/* An ICMPv6 error said a packet from coa to anchor was not taken: confirm
 * each registered lease there, reached from coa, with a refresh now (at most
 * once per HE_PROBE_GAP_MS each). How many refreshes were started. */
int lease_anchor_error(struct hostengine *e, const struct in6_addr *coa,
		       const struct in6_addr *anchor);
/* Configure every lease taken over from the last run again. */
void lease_adopt_all(struct hostengine *e);
/* End every lease (agent stopping): one deregistration BU each. */
void lease_end_all(struct hostengine *e);
/* A lease of type the host holds for itself (no request waits for it,
 * owner uid -1): its allocation at anchor starts now. NULL on ENOMEM. */
struct lease *lease_hold(struct hostengine *e, int type, const struct in6_addr *anchor);
/* End l now (deregistration BU, local state removed; the sockets on an
 * address it put on the host ended with it, as lost leases' are); reason:
 * the lease-ended event's, why: the log's. */
void lease_end(struct hostengine *e, struct lease *l, const char *reason, const char *why);

/* ---- steps of the life cycle, for accessclaim.c ---- */

/* Configure l's address on the tunnel device, bound to coa (0 or -errno,
 * undone on failure) / remove what was configured. */
int lease_host_configure(struct hostengine *e, struct lease *l, const struct in6_addr *coa);
void lease_host_unconfigure(struct hostengine *e, struct lease *l);
/* Answer l's waiters with its address. */
void lease_answer_waiters(struct hostengine *e, struct lease *l);

#endif
