/* SPDX-License-Identifier: MIT */
/*
 * hostengine.h — the host (mn) role's decisions, with no I/O: an engine fed
 * events (a lease request, a Mobility Header message, a move, a timer, a
 * release hint, stop) with the monotonic time passed in, acting only through
 * an ops table (configure an address, bind it in the tunnel, count or
 * destroy sockets, send a BU, reply, emit an event, save state). mn.c
 * implements the ops with netlink, the tunnel, sock_diag and the control
 * socket, and keeps the timers; the unit tests implement them with a
 * recorder. What each address type means comes from typetable.h; the life
 * of a lease (request, grant, reuse, move, end) is in lease.c.
 *
 * Host side of an anchored address: the address sits on the tunnel device
 * as /128, nodad, preferred lifetime 0 (no legacy socket picks it); the
 * tunnel binds it to (CoA, anchor); a source route "default from addr"
 * in the host's table sends what a socket bound to it emits out of the
 * tunnel device. One rule "lookup table" (no selector) leads every lookup
 * there while a lease is configured: a lookup whose source is no lease's
 * finds nothing in the table and goes on to the next rule, and the kernel
 * adds or removes a route without the walk a rule change costs.
 */
#ifndef ODM_HOSTENGINE_H
#define ODM_HOSTENGINE_H

#include <jansson.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "accessclaim.h"
#include "addr_usable.h"
#include "events.h"
#include "fixedaddr.h"
#include "mhparam.h"
#include "ratelimit.h"
#include "typetable.h"
#include "lease.h"
#include "mh.h"
#include "registration.h"
#include "reqlog.h"
#include "sockdiag.h"
#include "ratelimit.h"
#include "vanished.h"

#define HE_GRACE_MS 3000         /* a bound TCP socket is invisible until it connects */
/* Leases ended by one look at their sockets (one a second), the others at
 * the next: so that the end of thousands at once (a program holding them
 * exits) does not hold the agent's loop for seconds, its control socket
 * and the other leases' BAs unanswered meanwhile (lease_policy) */
#define HE_ENDS_PER_LOOK 256
/* A lease request waits this long for its BA (an allocation, or the first
 * BU of an access claim), then goes to its type's next anchor if it has
 * one, else gets our ETIMEDOUT naming the anchor: the shim's own wait (4 s)
 * leaves a second for that next anchor, so the client does not see a bare
 * timeout of its own (unless the next anchor is silent too and not yet
 * known to be: then the shim gives up first). BUs go at 0 and 1.5 s
 * (InitialBindackTimeoutFirstReg, RFC 6275 §13). */
#define HE_ALLOC_TIMEOUT_MS 2900
#define HE_DEREG_TRIES 3         /* deregistration BUs before we stop caring */
/* A lease whose last BA is older than this is confirmed with a refresh
 * before it is handed out again, so an anchor that lost the binding (it
 * restarted without its state) is noticed at the next connection and that
 * connection gets a fresh address instead of a dead one. */
#define HE_CONFIRM_MS 5000
/* An ICMPv6 error about a packet to an anchor (icmperr.h), a Binding
 * Refresh Request or a Binding Error from it, makes its leases confirmed at
 * once, but not more often than this each: none is authenticated, and all a
 * forged one costs is a BU a second per lease. */
#define HE_PROBE_GAP_MS 1000
/* A lease with sockets that had been receiving a stream through the
 * tunnel (for HE_QUIET_RUN_MS or more, with no gap of HE_QUIET_RUN_GAP_MS
 * between the packets seen at two looks; or HE_QUIET_BURST packets or more
 * between two looks, a bulk transfer cut short) and then received nothing
 * for HE_QUIET_MS, with no BA since its last packet, is confirmed by a
 * refresh, once for each such silence and at most once in
 * HE_QUIET_GAP_MS: a download that only receives sends nothing that would
 * draw the Binding Error of an anchor that lost its binding (restarted
 * without it), so without this it would wait for the next periodic
 * refresh, minutes away. A connection that exchanges a little now and
 * then is not a stream that stopped: it costs nothing. A UDP lease, ended
 * as idle after udp-inactivity, is confirmed after half of that if it is
 * shorter. The looks follow a lease from its first packet, its grace
 * (HE_GRACE_MS) included. */
#define HE_QUIET_MS 4000
#define HE_QUIET_RUN_MS 2000
#define HE_QUIET_RUN_GAP_MS 1500
#define HE_QUIET_BURST 256
#define HE_QUIET_GAP_MS 20000
/*
 * A binding whose lifetime ran out more than this long ago, still
 * registered, was missed by the timer of the Binding Update List, which
 * ends it when it runs out: the agent did not run meanwhile (stopped, its
 * host paused). A look, a move, an anchor's word or a lease request ends
 * it as expired before refreshing anything (hostengine.c expire_due). The
 * tick's period: within it the two timers may simply have come due in the
 * same turn.
 */
#define HE_EXPIRED_LATE_MS 1000

/*
 * A host with a single link that loses its carrier has no care-of address
 * until the carrier comes back, most often with the same address: that
 * return re-registers the bindings as a move does, so that their anchors
 * replay what they sent meanwhile (replay.h; else TCP waits for its
 * retransmission timeout, and a datagram is lost). A link that flaps
 * re-registers so at most once in this long per anchor (MAX_UPDATE_RATE's
 * second, RFC 6275 section 11.8): a return within it is re-registered at
 * its end, for every outage since, with one Binding Update per binding
 * and one line.
 */
#define HE_BACK_GAP_MS 1000

/*
 * A care-of address that has had no route toward its anchor for this long
 * (a default route removed or expired, or an address gone, while the link
 * stays up; a carrier lost on a single link) is said once in the log, and
 * odmctl status lists the anchor until a route comes back. Shorter losses
 * (a move's, a flap's) are not: their return or their move is said.
 */
#define HE_NO_ROUTE_MS 2000

/*
 * Looks (he_tick) come a second apart; one that comes more than this long
 * after the last finds an agent that did not run in between (stopped, its
 * host asleep, starved): the silence of its UDP leases meanwhile is not
 * their programs' (the userspace backend's tunnel, in the agent, carried
 * nothing; a sleeping host sent nothing), and their idleness
 * (udp-inactivity) counts from that look.
 */
#define HE_ASLEEP_MS 3000

/* An anchor that let an allocation (or a claim's first BU) time out is not
 * asked for another one for this long: requests for it go to their type's
 * next anchor, or are answered ETIMEDOUT at once, instead of each waiting
 * HE_ALLOC_TIMEOUT_MS (a server whose CHA is down would cost every new
 * connection that wait). Each allocation it lets time out again right
 * after a hold doubles the next one, up to HE_SILENT_HOLD_MAX_MS: an anchor
 * that stays down costs one such wait every few minutes, not every 10 s.
 * Any BA from it ends the hold and the doubling. */
#define HE_SILENT_HOLD_MS 10000
#define HE_SILENT_HOLD_MAX_MS 160000
/* An anchor that refused an allocation for want of resources (status 130,
 * RFC 6275 6.1.8: its max-bindings for this host, or its pool, full) is
 * not asked for another one until a binding of the host's there ends or
 * is granted, or for this long: each new request would cost a BU and its
 * refusal, a thousand a second from one user's loop of connects, and as
 * many log lines. Requests meanwhile go on as after a refusal. */
#define HE_FULL_HOLD_MS 1000

/* A lease's tunnel traffic (he_ops.last_traffic): its last packet received
 * and last packet either way (monotonic ms, 0 = never), and how many it
 * received */
struct he_traffic {
	uint64_t rx_ms, any_ms;
	uint64_t rx_packets;
};

/*
 * What the engine asks of the host. Each returns 0 (or a count) or -errno
 * unless said otherwise; a failure is logged and decided on by the engine.
 */
struct he_ops {
	/* host configuration of an anchored address, undone in reverse */
	int (*addr_add)(void *arg, const struct in6_addr *addr);  /* on the tunnel device */
	int (*addr_del)(void *arg, const struct in6_addr *addr);
	int (*tun_bind)(void *arg, const struct in6_addr *addr, const struct in6_addr *coa,
			const struct in6_addr *anchor);               /* also re-binds */
	int (*tun_unbind)(void *arg, const struct in6_addr *addr);
	/* optional: no care-of address toward anchor since coa went: the
	 * data path refuses the bindings' packets where they are sent, until
	 * bound again (tunnel.h hold) */
	void (*tun_hold)(void *arg, const struct in6_addr *coa, const struct in6_addr *anchor);
	/* addr's source route in the table: "default from addr" out of the
	 * tunnel device */
	int (*route_add)(void *arg, const struct in6_addr *addr);
	int (*route_del)(void *arg, const struct in6_addr *addr);
	int (*rule_add)(void *arg);  /* the one rule "lookup table" */
	int (*rule_del)(void *arg);
	/* optional: addr put on the interface that holds beside (an address
	 * of addr's link), deprecated and without DAD (an access claim back
	 * on its link, its address let go by the kernel meanwhile: a
	 * temporary address, RFC 8981): that interface's index, or -errno;
	 * and taken off that interface again */
	int (*link_addr_add)(void *arg, const struct in6_addr *addr, const struct in6_addr *beside);
	int (*link_addr_del)(void *arg, const struct in6_addr *addr, int ifindex);
	/* optional: the interface that holds addr as link_addr_add puts it
	 * (a /128, deprecated, without DAD, not on the tunnel device): one a
	 * run killed -9 put back; 0 if none, or -errno */
	int (*link_addr_found)(void *arg, const struct in6_addr *addr);

	/* facts about the host */
	int (*addr_usable)(void *arg, const struct in6_addr *addr); /* 1 yes, 0 not yet */
	/* the tunnel's traffic for addr, as its counters last showed it */
	int (*last_traffic)(void *arg, const struct in6_addr *addr, struct he_traffic *t);
	/* optional: read what waits for the tunnel either way (queued while
	 * the agent did not run), so that last_traffic counts it: a look due
	 * while the agent was stopped runs before any read (lease.c) */
	void (*drain)(void *arg);
	/* optional: a time (monotonic ms, 0 = never) at or after the arrival
	 * of the last tunnel packet received for addr, with none received
	 * since: the earliest provable start of a loss (replay.h); and that
	 * packet's pkttag in *tag (pkttag.h; 0 where the tunnel does not
	 * know it); -errno when the tunnel cannot say (it does not stamp
	 * each packet) */
	int (*last_rx)(void *arg, const struct in6_addr *addr, uint64_t *ms, uint32_t *tag);
	/* sockets bound to each of addrs[0..n) that owners[i] says count
	 * (its lease's holders' and root's, sockdiag.h), into out[0..n) */
	int (*count_sockets)(void *arg, const struct in6_addr *addrs,
			     const struct sockdiag_owner *owners, size_t n,
			     struct sockdiag_count *out);
	/* destroy the TCP sockets bound to addr: how many */
	int (*destroy_tcp)(void *arg, const struct in6_addr *addr);
	/* destroy only those still connecting (SYN_SENT): how many */
	int (*destroy_connecting)(void *arg, const struct in6_addr *addr);
	/* destroy the UDP sockets bound to addr (their programs get
	 * ECONNABORTED): how many */
	int (*destroy_udp)(void *arg, const struct in6_addr *addr);
	/* the source the kernel picks toward anchor; current: the CoA in use */
	int (*coa)(void *arg, const struct in6_addr *anchor, const struct in6_addr *current,
		   struct in6_addr *coa);
	/* optional: the link that holds coa (not the tunnel device) in
	 * *ifindex and its count of carrier losses in *downs
	 * (carrierlook.h): 0 when it is up with its carrier on, -ENETDOWN
	 * when not, -ENODEV when no link holds coa, -errno */
	int (*coa_link)(void *arg, const struct in6_addr *coa, int *ifindex, uint32_t *downs);
	/* the interface that holds addr ("" if none known) */
	void (*ifname)(void *arg, const struct in6_addr *addr, char name[IF_NAMESIZE]);
	/* the host's access addresses a move can take away: how many */
	int (*host_addrs)(void *arg, struct in6_addr *out, size_t max);
	/* its IPv4 addresses a move can take away, v4-mapped: how many (NULL:
	 * none looked at) */
	int (*host_addrs4)(void *arg, struct in6_addr *out, size_t max);

	/* messages */
	int (*send_bu)(void *arg, const uint8_t *buf, size_t len, const struct in6_addr *src,
		       const struct in6_addr *dst);
	/* optional: an ICMPv6 message (checksum 0) from src to dst */
	int (*send_icmp)(void *arg, const uint8_t *buf, size_t len, const struct in6_addr *src,
			 const struct in6_addr *dst);
	uint64_t (*ntp_now)(void *arg);  /* wall clock, NTP 32.32 (RFC 4285 §6) */
	uint16_t (*random16)(void *arg); /* a new anchor's first sequence number */
	/* answer a request exactly once; resp's reference is taken */
	void (*reply)(void *arg, void *req, json_t *resp);
	void (*reply_error)(void *arg, void *req, const char *code, const char *msg);
	/* the kernel's credentials of a request's sender */
	void (*cred)(void *arg, const void *req, uid_t *uid, pid_t *pid);
	/* an event for the stream (events.h), for the users of to; fields'
	 * reference is taken */
	void (*emit)(void *arg, const char *kind, json_t *fields,
		     const struct events_audience *to);
	/* leases or counters may have changed: persist them */
	void (*save)(void *arg);
	/* optional: an allocation's first BU is about to leave for anchor
	 * (BID bid, for an address of type, odm.h's name; addr NULL), or its
	 * address addr was just configured on the host: note it where a
	 * killed agent's next run finds it (mn_journal.h) */
	void (*journal)(void *arg, const struct in6_addr *anchor, uint16_t bid,
			const char *type, const struct in6_addr *addr);
};

struct hostengine {
	const struct he_ops *ops;
	void *arg;
	struct lease_table leases;
	struct reg_ctx reg;          /* the Binding Update List */
	unsigned holds_begun;        /* anchors put on hold so far (lease.c silent):
				      * the home anchor's choice may have to move */
	/* lines about BRRs and Binding Errors (unauthenticated: anyone may
	 * send a flood of them): HE_ASKS_LOG_RATE a second, the rest counted */
#define HE_ASKS_LOG_RATE 5
	struct ratelimit asks_log;
	uint64_t asks_unlogged;
	/* Binding Errors to Mobility Header messages of a type the host does
	 * not know (RFC 6275 section 9.2): anyone may send those too, from
	 * any source: HE_BE_RATE answers a second at most */
#define HE_BE_RATE 10
	struct ratelimit be_limit;
	uint64_t be_tx;
	/* and ICMPv6 Parameter Problems to malformed ones (mhparam.h), under
	 * the same limit; rx: what the socket told of the IPv6 header of the
	 * message he_mh_input is given (zero: not told, no answer) */
	struct mhparam_rx rx;
	uint64_t pp_tx;
	struct lease_policy pol;
	struct at_anchors anchors;   /* besides the peers' CHAs (he_set_home) */
	struct access_anchors access; /* configured access anchors (accessclaim.h) */
	struct accessra access_ra;   /* learned from RAs when access_ra_on (accessra.h) */
	int access_ra_on;
	/* lines saying the link's access anchor changed: an RA may change it,
	 * and any neighbour may send a flood of RAs (reqlog.h) */
#define HE_ACCESS_LOG_RATE 1
#define HE_ACCESS_LOG_BURST 5
	struct reqlog access_log;
	enum access_src access_src;  /* of anchors.access */
	uint64_t fixed_try_ms;       /* last allocation of the Fixed address (fixedaddr.c) */
	unsigned fixed_tries;        /* allocations since it was last registered */
	int fixed_no_coa;            /* the last one had no care-of address (fixed_moved) */
	struct addr_waits usable;    /* leases whose address is not usable yet */
	uint64_t now;                /* time of the event being handled */
	uint64_t looked_ms;          /* the last he_tick's time (0: none yet) */
	int rule_on;                 /* the rule to the table is installed */
	int stopping;
	uint64_t move_ms;            /* last CoA change */
	uint64_t change_ms;          /* he_move_since: when its change began; else 0 */
	/* coa_link's last answer, for the care-of address coa at the look
	 * at_ms (0: none): the other anchors the look finds on the same one
	 * ask no more dumps */
	struct he_link_memo {
		struct in6_addr coa;
		uint64_t at_ms;
		int rc, ifindex;
		uint32_t downs;
	} link_memo;
	int has_coa;                 /* last_coa: the host's CoA last told as a move */
	struct in6_addr last_coa;
	char last_ifname[IF_NAMESIZE]; /* its device, for the log of each anchor's move */
	unsigned lost;               /* bindings an anchor had lost, for status */
	unsigned fell_through;       /* requests sent past a silent anchor, for status */
	unsigned quiet_checks;       /* refreshes for a silent lease (HE_QUIET_MS) */
	struct reqlog passed_log;    /* their log lines at info level (say_passed) */
	/* the lines of requests that waited for an anchor that did not serve
	 * them and had no other to go to (each answered with an error): lines
	 * a second, and at once (a lease may have had many waiting) */
#define HE_WAITERS_LOG_RATE 1
#define HE_WAITERS_LOG_BURST 4
	struct reqlog waiters_log;
	struct reqlog_users plain_log; /* requests made plain for want of an
					* anchor: their lines, per user (reqlog.h) */
	struct in6_addr host_addrs[VANISHED_MAX]; /* access addresses at the last look */
	size_t n_host_addrs;
	struct in6_addr host_addrs4[VANISHED_MAX]; /* IPv4 ones (v4-mapped) at the last look */
	size_t n_host_addrs4;
	const struct mh_msg *ba;     /* the BA being handled, until told as an event */
	const struct in6_addr *ba_src;
};

/* reg: identity, lifetime (timeouts are the engine's); first_id: the first
 * lease id (random, see lease_table_init). */
void he_init(struct hostengine *e, const struct he_ops *ops, void *arg,
	     const struct reg_config *reg, const struct lease_policy *pol, uint16_t first_id);
/* Frees everything, sends nothing (after he_stop). */
void he_cleanup(struct hostengine *e);

/*
 * A request for an address (already parsed and judged by policy): answered
 * through ops->reply / ops->reply_error now or when its BA comes.
 * Replies: {"plain":true}, {"addr","lease","anchor"}, or an error code
 * REQUIREDIPNOTSUPPORTED, REQUIREDIPFAILED, ETIMEDOUT, EINVAL.
 */
void he_lease_request(struct hostengine *e, const struct at_request *rq, uint64_t now);

/* A "release" hint for addr: 1 if its lease is countable now, and the
 * caller should bring the next he_tick forward; nothing changes. */
int he_release_hint(struct hostengine *e, const struct in6_addr *addr, uint64_t now,
		    const char **why); /* why: NULL, or set when 0: "no-lease", "registering", "grace", "stopping" */

/*
 * The route from addr into the tunnel in the host's table was deleted
 * (routemsg.h): by the agent itself when a lease ends, or by someone else,
 * after which the lease's packets would leave untunnelled. A lease that still
 * has its route configured gets it back. 1 if it was put back, 0 if not
 * needed, -errno if putting it back failed.
 */
int he_route_gone(struct hostengine *e, const struct in6_addr *addr, uint64_t now);
/* The same for the rule to the host's table (rulemsg.h; one for all
 * leases): put back while a lease is configured. */
int he_rule_gone(struct hostengine *e, uint64_t now);
/* The same for a lease's address on the tunnel device (addrmsg.h): without
 * it the lease's sockets receive nothing and new ones cannot bind. The
 * kernel does not say who deleted it, so the engine asks whether it is
 * there (ops->addr_usable) before it puts it back. */
int he_addr_gone(struct hostengine *e, const struct in6_addr *addr, uint64_t now);

/* A Mobility Header message from src to dst (checksum already checked). */
void he_mh_input(struct hostengine *e, const uint8_t *buf, size_t len,
		 const struct in6_addr *src, const struct in6_addr *dst, uint64_t now);

/* The host's addresses or routes changed: new CoAs, vanished addresses. */
void he_move(struct hostengine *e, uint64_t now);
/* The same, for a change that began at since_ms (<= now: the first of a
 * burst of events); an old CoA that no longer works was lost then. */
void he_move_since(struct hostengine *e, uint64_t now, uint64_t since_ms);

/* The periodic look: socket counts, unconfirmed waits, a missed move. */
void he_tick(struct hostengine *e, uint64_t now);

/* An ICMPv6 error (icmperr.h) about a packet from src to dst: if dst is an
 * anchor of ours reached from src, its leases are confirmed now
 * (lease_anchor_error). How many refreshes were started. */
int he_icmp_error(struct hostengine *e, const struct in6_addr *src, const struct in6_addr *dst,
		  uint64_t now);
/* A Parameter Problem "unrecognized Next Header" about a BU (Mobility
 * Header) from src to dst: if dst is an anchor of ours reached from src,
 * its agent is not running, and the BUs out to it go again at the pace of
 * reg_anchor_agent_away. How many were brought forward (the timer is to be
 * set again). */
int he_icmp_bu_unheard(struct hostengine *e, const struct in6_addr *src,
		       const struct in6_addr *dst, uint64_t now);

/* Binding Update List timers, and the deadlines of Graceful-replacement
 * leases away from their link: run at he_reg_deadline() (0 = none). */
void he_reg_timers(struct hostengine *e, uint64_t now);
uint64_t he_reg_deadline(const struct hostengine *e);

/* Addresses not usable yet: ask again (every ADDR_USABLE_POLL_MS while
 * he_usable_pending() is nonzero). */
void he_usable_poll(struct hostengine *e, uint64_t now);
size_t he_usable_pending(const struct hostengine *e);

/* Leases taken over from the last run (already in e->leases and e->reg):
 * configured again and re-registered from the current CoA. The access
 * addresses of now are the first snapshot for vanished-address checks.
 * The caller keeps the last run's rule to the table while leases are
 * taken over; when none of them is configured again it is removed here. */
void he_adopted(struct hostengine *e, uint64_t now);

/*
 * Bindings the last run asked anchors for (the journal, mn_journal.h) that
 * no lease taken over has (not saved, or the state not read): each (anchor[i], bid[i], type[i]) that no lease taken over
 * has gets a deregistration BU (lifetime 0, RFC 6275 §11.7.1) by its BID,
 * with an unspecified home address and the type as Service Selection, so
 * the anchor releases only what that BID holds in that type's mode (never
 * the Fixed address, which a home anchor keys by the identity alone);
 * retransmitted as any deregistration. Call after he_adopted. Returns how
 * many, or -ENOMEM.
 */
int he_deregister_orphans(struct hostengine *e, const struct in6_addr *anchor,
			  const uint16_t *bid, const char *const *type, size_t n, uint64_t now);
/* 1 when the binding (anchor, bid) lives in the Binding Update List: its
 * journal entry is still needed, saved in the state (mn_state.h) or not */
int he_journal_keep(const struct hostengine *e, const struct in6_addr *anchor, uint16_t bid);

/* The agent stops: every lease deregistered (one BU each) and unconfigured,
 * every waiting request answered. Nothing is accepted afterwards. */
void he_stop(struct hostengine *e, uint64_t now);

/* The "status" answer without the tunnel (the caller adds it). */
json_t *he_status_json(const struct hostengine *e, uint64_t now);

/* ---- for lease.c and typetable.c: the engine's shared helpers ---- */

/* Look at the CoA toward an anchor again; on a change re-bind its leases and
 * re-register them (RFC 6275 §11.7.1). */
void he_check_anchor(struct hostengine *e, struct reg_anchor *an);

/* Events of the stream (fields as listed in events.h's users' contract). */
void he_emit_granted(struct hostengine *e, const struct lease *l, const void *req, int reused);
void he_emit_ended(struct hostengine *e, const struct lease *l, const char *reason);
void he_emit_refused(struct hostengine *e, int type, const void *req, const char *reason,
		     const char *code);
/* Answer rq with the error code and msg, and tell it as an event. */
void he_refuse(struct hostengine *e, const struct at_request *rq, const char *code,
	       const char *msg);
/* The hold of anchor an after the allocations it let time out in a row:
 * HE_SILENT_HOLD_MS, doubled for each one after the first, at most
 * HE_SILENT_HOLD_MAX_MS. */
static inline uint64_t he_hold_ms(const struct reg_anchor *an)
{
	uint64_t ms = HE_SILENT_HOLD_MS;

	for (unsigned i = 1; i < an->silent_n && ms < HE_SILENT_HOLD_MAX_MS; i++)
		ms *= 2;
	return ms < HE_SILENT_HOLD_MAX_MS ? ms : HE_SILENT_HOLD_MAX_MS;
}
/* How long anchor an is still on hold after an allocation it let time
 * out (he_hold_ms), in ms; 0 when it is not. */
static inline uint64_t he_hold_left(const struct reg_anchor *an, uint64_t now)
{
	uint64_t end = an->silent_ms + he_hold_ms(an);

	return an->silent_ms && now < end ? end - now : 0;
}
/* How long anchor an is still not asked for an allocation after one it
 * refused for want of resources (HE_FULL_HOLD_MS), in ms; 0 when it is. */
static inline uint64_t he_full_left(const struct reg_anchor *an, uint64_t now)
{
	uint64_t end = an->full_ms + HE_FULL_HOLD_MS;

	return an->full_ms && now < end ? end - now : 0;
}
/* The BA being handled (e->ba), told once before what it causes. */
void he_emit_ba(struct hostengine *e);

#endif
