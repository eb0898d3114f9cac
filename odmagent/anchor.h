/* SPDX-License-Identifier: MIT */
/*
 * anchor.h — internals of the anchor role (anchor.c), exposed for the unit
 * tests. The daemon only uses anchor_start()/anchor_stop() from agent.h.
 *
 * BU processing is a pure function of (state, packet, clocks): no sockets,
 * no loop; its only side effects outside struct anchor go through the
 * tunnel ops table, so a test can plug a recording fake backend.
 *
 * Wire profile (the checks run in this order, the first
 * failing one decides the status; every rejection leaves the binding cache,
 * the pool and the identity's last sequence number and timestamp as they
 * were):
 *   sent to another address than
 *   cfg->address (another agent's)      dropped (a BU: info log, once a minute)
 *   from :: or a group                  dropped (debug log), nothing answered
 *   decode error                        dropped (debug log)
 *   unknown MH type                     Binding Error, status 2 (*)
 *   other MH types than BU              dropped (debug log)
 *   MN-ID missing / not an NAI          BA 160, unauthenticated (*)
 *   NAI unknown, auth missing, SPI or
 *   MAC wrong                           BA 146, unauthenticated, no options,
 *                                       the same bytes for all four (*)
 *   replay timestamp missing, > 7 s off
 *     or not after the last accepted    BA 145 with the anchor's time (*)
 *   sequence not newer than the last    BA 135 with the last accepted seq
 *   Alternate CoA missing or != source  BA 174 (invalid care-of address)
 *   HNP missing (or length != 128)      BA 158
 *   the mode (anchor_mode.c):
 *     Service Selection (RFC 5149) not
 *     an ODM type, non-persistent, or a
 *     type no mode served provides      BA 151
 *     HNP in an access-prefix           access
 *     else, an access anchor alone, or
 *     graceful-replacement              BA 132 (not home subnet)
 *     fixed                             home
 *     session-lasting                   cha (a home anchor too: pool)
 *     none: HNP ::                      cha if served, else home
 *     none: HNP bound                   the binding's mode
 *     none: HNP = the NAI's home addr   home, else cha
 *   CoA refused by anchor_coa_check()   BA 174
 *   then the mode decides (anchor_mode_cha.c, _home.c, _access.c):
 *   cha:
 *     HNP :: with lifetime > 0:
 *       BID missing or 0                BA 128 (allocation needs a BID)
 *       (NAI, BID) already bound        that binding, refreshed
 *       quota or pool exhausted         BA 130
 *     HNP bound to another identity,
 *     outside the pool, free but not
 *     held, or BID missing or naming
 *     another address                   BA 133
 *     HNP free and held after a crash
 *     (a binding the last run may have
 *     lost), lifetime > 0               bound again to (NAI, BID), BA 0
 *                                       (quota: 130)
 *     lifetime 0, or CoA = the home
 *     address (RFC 6275 §9.5.1)         binding removed, BA 0, lifetime 0
 *                                       (HNP :: deregisters (NAI, BID) if
 *                                       bound, else is accepted as a no-op)
 *     otherwise                         binding created/updated, BA 0
 *   home:
 *     HNP neither :: nor the NAI's
 *     home address                      BA 133
 *     lifetime 0 or CoA = home address  binding removed, BA 0 (the address
 *                                       stays the identity's)
 *     otherwise                         binding of the home address
 *                                       created/updated, BA 0 (created:
 *                                       quota 130)
 *   access:
 *     HNP = an address of the anchor    BA 129
 *     HNP held by another identity      BA 155 (nothing changes)
 *     lifetime 0                        binding removed, BA 0
 *     HNP unclaimed, CoA != HNP         BA 155 (claimed only from the link)
 *     HNP unclaimed, CoA = HNP          claimed, no tunnel (quota: 130)
 *     type differs from the claim's     BA 139
 *     CoA = HNP                         back on the link: tunnel removed
 *     otherwise                         tunnelled to the CoA; graceful:
 *                                       lifetime capped at the deadline
 * (*) answers to a BU not yet shown authentic and fresh, and Binding
 * Errors, share one token bucket (ratelimit.h; answer-rate, answer-burst):
 * beyond it nothing is sent and "limited" counts it.
 * A BA carries: BRA (80 % of the lifetime, when accepted with lifetime >= 2
 * units), HNP (only when an address is/was bound: the address /128), BID
 * and MN-ID echoed, Replay (the BU's timestamp, or the anchor's time on
 * 145), and MN-HA auth once the BU passed authentication, computed over
 * CoA = the BU's Alternate CoA (packet source if absent) and HoA = the
 * address in the BA's HNP option, or :: when the BA carries none. An
 * unauthenticated BA carries no authenticator.
 */
#ifndef ODM_ANCHOR_H
#define ODM_ANCHOR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "bgsave.h"
#include "binding.h"
#include "config.h"
#include "icmpwatch.h"
#include "log.h"
#include "mh.h"
#include "mhparam.h"
#include "pool.h"
#include "ratelimit.h"
#include "reqlog.h"
#include "state.h"
#include "statefile.h"
#include "tunnel.h"

#define ANCHOR_BA_INVALID_COA 174     /* IANA "invalid care-of address" */
#define ANCHOR_REPLAY_WINDOW_MS MH_REPLAY_WINDOW_MS /* RFC 4285 §6 default (mh.h) */
/* while an identity's last accepted timestamp is no floor (our clock went
 * back past it), how far above its last accepted number a BU's may be */
#define ANCHOR_WAIVED_SEQ_SPAN 256
#define ANCHOR_BRA_PERCENT 80
#define ANCHOR_POOL_MAX 65536u        /* addresses tracked per pool */

struct odm_agent;
struct mhsock;
struct netconf;

/* Per identity (parallel to cfg->identities): replay and sequence state */
struct anchor_ident {
	int has_last;
	uint16_t last_seq;
	uint64_t last_ts;       /* NTP 32.32 of the last accepted BU */
	uint32_t nbindings;
	uint64_t stale_told_ms; /* the last status 145 answer to a new BU (0: none) */
	uint64_t old_told_ms;   /* ... and to one numbered as a copy (0: none) */
	/* the newest sequence number of a stale BU from the address it
	 * signs (has_stale: one came since the start): anchor_stale_copy */
	int has_stale;
	uint16_t stale_seq;
	struct reqlog bu_log;   /* the lines its authentic BUs cause (reqlog.h) */
	/* the care-of address of the last accepted BU (has_last_coa), and
	 * the last BU numbered behind it from another one: anchor_twin */
	int has_last_coa, has_behind;
	struct in6_addr last_coa, behind_coa, behind_of;
	uint64_t behind_ms;
};
/*
 * An authentic, fresh BU from coa numbered behind the identity's last
 * accepted one (status 135) that came from another care-of address: 1 if
 * the one before such BU came from the address that last BU came from and
 * was behind one from coa, within ANCHOR_TWIN_WINDOW_MS: each of two
 * addresses numbered behind the other's, as two hosts configured with one
 * identity send (a host keeps its numbering across moves and restarts);
 * the binding follows whichever sent last. Notes this one either way.
 */
int anchor_twin(struct anchor_ident *st, const struct in6_addr *coa, uint64_t now_ms);
/* An NAI as it may appear in a log line (log_escape): it came from the
 * wire (a BU's mnid, or a binding's copy of it) */
const char *anchor_nai_esc(const char *nai, char out[LOG_ESC_MAX]);
#define ANCHOR_TWIN_WINDOW_MS 3600000
/* Lines an identity's authentic BUs cause: a host holds a key, not the
 * right to fill the anchor's log at the rate it can send; a move of
 * max-bindings' default of 64 bindings is said whole. */
#define ANCHOR_BU_LOG_BURST 100
#define ANCHOR_BU_LOG_RATE 10
/* Lines the answers to unverified senders cause (status 146 and 160,
 * Binding Errors), all senders together: anyone can send those messages,
 * at up to answer-rate answers a second for as long as they like; a host
 * with a mistyped key retransmits every 1, 2, 4... s, which this keeps. */
#define ANCHOR_UNVERIFIED_LOG_BURST 10
#define ANCHOR_UNVERIFIED_LOG_RATE 1
/* An identity's state as it starts (zeroed, with its bucket of lines) */
void anchor_ident_init(struct anchor_ident *st);
/* An authentic BU whose timestamp is stale gets the anchor's clock (status
 * 145) at most once per this many ms per identity, outside the limit on
 * answers to unverified senders: a flood of forged BUs must not keep a
 * host whose clock is off from learning the anchor's. */
#define ANCHOR_STALE_GAP_MS 200
/*
 * 1 if an authentic BU with a stale timestamp and sequence number seq is a
 * copy of one the identity sent before: seq is not newer (RFC 6275 §9.5.1)
 * than the last accepted, nor than the newest stale one already seen. A
 * host sends each BU, retransmissions included, with a newer number; a
 * copy (captured once, sent again from the host's forged address) gets no
 * place in the identity's pace for new BUs (ANCHOR_PACED_NEW), only one of
 * its own (ANCHOR_PACED_OLD, the same gap), so copies at any rate do not
 * keep the host's own next stale BUs from their answer. The second pace is
 * a host's that lost its numbering (a new install: a random first number,
 * older than the last accepted half the time): its BUs look like copies,
 * and a flood of forged BUs, which empties the bucket of answers to
 * unverified senders, must not keep it from the clock either. Notes seq
 * as seen; no I/O.
 */
int anchor_stale_copy(struct anchor_ident *st, uint16_t seq);
enum { ANCHOR_PACED_NEW = 1, ANCHOR_PACED_OLD = 2 };
/* Packets Too Big passed on to correspondents, a second at most (each
 * answers a packet that was lost: a burst of them is one TCP window), and
 * at most one per ANCHOR_PTB_GAP_MS per binding (hashed into SLOTS) */
#define ANCHOR_PTB_RATE 1000
#define ANCHOR_PTB_GAP_MS 10
#define ANCHOR_PTB_SLOTS 256
/* a path the backend cannot carry 1280 bytes inside on: said at most this often */
#define ANCHOR_SMALL_PATH_GAP_MS 60000
/* (inner, outer source) pairs anchor_lost_be remembers (hashed; a power
 * of 2): 8 bytes each, 512 KiB, allocated at the anchor's start */
#define ANCHOR_LOST_BE_SLOTS 65536
#define ANCHOR_POOL_ROUTE_RETRY_MS 30000 /* the pool route put back: tried again after */

struct anchor_counters {
	uint64_t bu_rx, ba_ok, ba_rejected, dropped, be_tx, expired;
	uint64_t limited;   /* answers not sent: rate limit */
	uint64_t pp_tx;     /* ICMPv6 Parameter Problems to malformed MH (mhparam.h) */
	uint64_t ptb_relayed; /* Packets Too Big passed on to a correspondent */
	uint64_t ptb_limited; /* ... not, for the rate limits */
};

struct anchor {
	const struct odm_config *cfg;
	struct odm_tunnel *tun;
	struct bcache bc;
	struct pool pool;
	struct anchor_ident *ids;
	struct anchor_counters cnt;
	struct ratelimit answers;  /* the (*) answers of the profile */
	/* the lines those answers cause: at most answer-rate of them a
	 * second, which a flood of forged messages keeps spending */
	struct reqlog unverified_log;
	int pooled;                /* serves cha or home: the pool is set up */
	struct in6_addr *home;     /* home: each identity's address (anchor_mode_home.c) */
	/* a /128 route into the tunnel device for hoa (add 1) or none (add 0),
	 * for addresses no pool route covers (access); NULL in unit tests */
	int (*route)(void *arg, const struct in6_addr *hoa, int add);
	void *route_arg;
	/* 1 if a is an address of this host (NULL: only cfg->address is known) */
	int (*is_local)(void *arg, const struct in6_addr *a);
	void *is_local_arg;
	/* 1 if the message being handled, from src, came from src's own link:
	 * it arrived (rx_ifindex) on an interface where src is on-link, not
	 * the tunnel device; asked only of a BU from the address it is about
	 * (an access claim or a return). NULL: every message does (unit
	 * tests). */
	int (*from_link)(const struct anchor *an, const struct in6_addr *src);
	int rx_ifindex; /* the interface the message being handled arrived on,
			 * 0 if not known */
	uint64_t rx_at_ms; /* when it arrived (mono_ms's clock, the kernel's
			    * stamp), 0 if not known */
	struct mhparam_rx rx; /* what the socket told of its IPv6 header (zero:
			       * not told, a malformed one draws no answer) */
	/* an ICMPv6 message (checksum 0) from src to dst: 0 or -errno; NULL:
	 * none is sent */
	int (*send_icmp)(void *arg, const uint8_t *msg, size_t len, const struct in6_addr *src,
			 const struct in6_addr *dst);
	void *send_icmp_arg;
	/* daemon only (NULL / 0 in unit tests) */
	uv_loop_t *loop;
	struct mhsock *mh;
	struct icmpwatch *ptb;  /* Packets Too Big about the tunnel (ptbrelay.h) */
	struct devwatch *devw;  /* the tunnel device deleted or set down under us (devwatch.h) */
	struct odm_agent *agent; /* the daemon's, to give up (agent_give_up) */
	struct ratelimit ptb_rl; /* ... passed on at most this often */
	uint64_t ptb_last[ANCHOR_PTB_SLOTS]; /* per binding (hashed): the last one */
	uint64_t small_told_ms; /* a path under 1320 the backend loses packets on: said then */
	struct netconf *nc;
	int route_added, timer_live;
	int pool_route_told;    /* the pool's route is missing or elsewhere: said once */
	uint64_t pool_route_tried_ms; /* when it was last put back (tried again later) */
	int routes_told;        /* a per-address route could not be put back: said once */
	int forwarding_lost, address_lost; /* off / not local: said once (host_needs_look) */
	uv_timer_t timer;
	struct statefile sf;    /* bindings across restarts (anchor_state.c) */
	uint64_t save_due_ms;   /* state to save then (coalesced), 0 = none */
	struct bgsave saver;    /* the save in progress (daemon: a child) */
	uint64_t save_at_ms;    /* the time the snapshot in progress is of */
	int64_t save_at_wall;   /* ... and its wall-clock time */
	uint64_t save_poll_ms;  /* the child is looked at then */
	unsigned fork_failed;   /* failed forks in a row */
	uint64_t save_after_ms; /* no save starts before then (pacing) */
	uint64_t save_took_ms;  /* how long the last save in a child ran */
	uint64_t hold_until_ms; /* the pool's hold lifts then, 0 = none */
	/* the journal of deregistrations (anchor_journal.h): its O_APPEND
	 * descriptor when jfd_open, the lines in it, and how many were in
	 * it when the save under way took its snapshot */
	int jfd, jfd_open;
	unsigned jn, jn_at_save;
	int j_err; /* the last append's -errno, told once */
	uint32_t restored_held; /* the last run's hold, from its state file */
	int state_unread;       /* a state file was there and could not be read */
	/* anchor_lost_be's memory: the pair each slot saw last (a tag of its
	 * hash, 0 = none) and when it was told (low 32 bits of the ms, odd;
	 * 0 = seen, not told); NULL until needed */
	struct anchor_lost_slot {
		uint32_t tag, told;
	} *lost_be;
	uint64_t lost_new_ms;     /* the last Binding Error to a pair seen once */
	struct ratelimit lost_seen; /* those to pairs seen again, all together */
	int lost_be_nomem;        /* the slots could not be had: not asked again */
	uint64_t lost_be_tx;
	uint64_t lost_log_ms;     /* anchor_lost_hook's last line ... */
	uint64_t lost_unlogged;   /* ... and the Binding Errors sent since, unsaid */
	uint64_t other_dst_log_ms; /* the last line on MH to another address ... */
	uint64_t other_dst_unsaid; /* ... and those dropped since, unsaid */
	/* the identities' indices sorted by NAI, for the identities array and
	 * count they were made for (made again when cfg's differ: a reload) */
	size_t *by_nai;
	const struct odm_identity *by_nai_of;
	size_t by_nai_n;
	uint64_t nai_compares; /* NAIs those lookups compared, all told: about
				* log2 of the identities each, whatever the NAI */
};
/* A message to another address of the host than cfg->address is dropped
 * (anchor_handle_bu); a BU there is said at info level, one line per this
 * many ms at most: a host told a wrong address for the anchor (a DNS
 * record, a Router Advertisement, its own configuration) otherwise fails
 * with nothing said at the anchor; a second agent on the host makes one
 * line a minute. */
#define ANCHOR_OTHER_DST_LOG_MS 60000

/* anchor_coa_check() */
enum { ANCHOR_COA_OK = 0, ANCHOR_COA_INVALID = 1, ANCHOR_COA_IS_HOA = 2 };

/*
 * Whether coa may be a care-of address: ANCHOR_COA_OK for a global unicast
 * address (2000::/3, or a unique local address) that is neither the
 * anchor's (cfg->address, dst the BU came to, is_local) nor inside its pool;
 * ANCHOR_COA_IS_HOA when it is hoa (may be NULL), the binding's own home
 * address; ANCHOR_COA_INVALID otherwise.
 */
int anchor_coa_check(const struct anchor *an, const struct in6_addr *coa,
		     const struct in6_addr *dst, const struct in6_addr *hoa);
/* anchor_coa_check(an, coa, NULL, NULL) without asking the host for its
 * addresses (is_local: a netlink dump at times, one each time on a host
 * with more addresses than its list holds): what the configuration alone
 * refuses, at no cost, for a check per packet */
int anchor_coa_check_cfg(const struct anchor *an, const struct in6_addr *coa);

/* The index in an->cfg->identities of the one with this NAI (what ties it
 * to its replay state, an->ids), or -1: about log2 of the identities
 * compared (an->by_nai, made again when they change), for a BU as for a
 * restore or a reload, whatever the NAI. */
long anchor_ident_find(struct anchor *an, const char *nai);

/* Set up state for cfg (pool, cache, identities); tun may be NULL. */
int anchor_init(struct anchor *an, const struct odm_config *cfg, struct odm_tunnel *tun);
/* Free every binding (tunnel entries unbound, addresses released) and state */
void anchor_fini(struct anchor *an);

/*
 * Process one received Mobility Header (buf, len) from src to dst at
 * monotonic time now_ms (also the rate limit's clock) and wall-clock time
 * realtime. Writes the answer (BA or BE, checksum left 0 for the kernel)
 * into reply and returns its length, 0 when nothing is to be sent (also
 * when the rate limit holds the answer back), or -errno.
 */
int anchor_handle_bu(struct anchor *an, const uint8_t *buf, size_t len,
		     const struct in6_addr *src, const struct in6_addr *dst,
		     uint64_t now_ms, const struct timespec *realtime,
		     uint8_t *reply, size_t cap);

/* Remove the bindings whose lifetime ran out by now_ms; returns how many */
unsigned anchor_expire(struct anchor *an, uint64_t now_ms);
/* Monotonic ms of the next expiry (a binding, the crash hold, the pool's
 * cooling), UINT64_MAX if none */
uint64_t anchor_next_expiry(const struct anchor *an);

/* End one binding: tunnel entry, pool address, identity count, cache */
void anchor_release(struct anchor *an, struct binding *b, const char *why);

/* anchor_state.c: the state on disk (state.h format) */
#define ANCHOR_STATE_FILE "anchor.json"
/* Bindings and per-identity replay state as state (free with state_anchor_free) */
int anchor_state_snapshot(const struct anchor *an, int64_t now_wall_ms, uint64_t now_mono_ms,
			  struct state_anchor *out);
/* Take s over into a freshly started anchor: replay state of the identities
 * still configured, bindings that are unexpired, of a configured identity,
 * within quota and free in the same pool (tunnel bound again), expiring no
 * later than their granted lifetime from now. Returns how many bindings
 * were restored. */
int anchor_state_restore(struct anchor *an, const struct state_anchor *s,
			 int64_t now_wall_ms, uint64_t now_mono_ms);
/* Open the file in cfg->state_dir and restore it (logged), then the
 * journal of deregistrations (anchor_journal.h): each restored binding it
 * ends is ended; 0.., -errno */
int anchor_state_load(struct anchor *an, uint64_t now_mono_ms);
/* b is deregistered by a BU of sequence number seq at now_ms (monotonic):
 * its line appended to the journal (anchor_journal.h), then b released
 * (anchor_release) */
void anchor_dereg(struct anchor *an, struct binding *b, uint16_t seq, uint64_t now_ms,
		  const char *why);
/* the journal closed (a stop, after the last save) */
void anchor_journal_close(struct anchor *an);
/* the state directory was made again: the journal opened anew in it */
void anchor_journal_reopen(struct anchor *an, uint64_t now_mono_ms);
/*
 * A tunnelled packet from inner, an address of our pool, from outer source
 * osrc, and no binding of inner to osrc: inner has none (a restart without
 * state lost it, or it expired), or one to another care-of address (the
 * anchor died before it saved the host's last move). An osrc that
 * anchor_coa_check refuses (the pool, an access prefix, the anchor's own
 * addresses, one not routable) is no host's care-of address: nothing is
 * told (the binding's own home address as the outer source, which any
 * correspondent knows, made every such packet a refresh of the host's
 * binding). Write into buf a
 * Binding Error status 1 naming inner (RFC 6275 §9.3.3, §11.3.6), which
 * makes the host refresh at once: the binding comes back, or follows the
 * host to osrc, or the host learns that it is gone. Rate limited like an
 * ICMP error (RFC 6275 §9.3.3 asks for a limit), in two tiers. A pair
 * (inner, osrc) seen for the first time shares one Binding Error per
 * ANCHOR_LOST_BE_GAP_MS with every other new pair, as all did before; a
 * pair seen again (its slot of ANCHOR_LOST_BE_SLOTS, hashed with a random
 * seed, still holds it) has a limit of its own, one per
 * ANCHOR_LOST_BE_GAP_MS. A real host sends from its pair again and again;
 * a flood from forged random outer sources sends each pair once, so it
 * draws about 10 Binding Errors a second in all (it was one per forged
 * packet with per-pair limits alone), and cannot spend a real host's
 * turn: that host is told at its next packet while its pair holds its
 * slot (~650 ms under 100 000 forged packets a second). Pairs seen again
 * are told ANCHOR_LOST_BE_SEEN_RATE times a second at most in all: a flood
 * that sends each forged pair twice draws that many, not one per two
 * packets (and may then keep a real host waiting, as any flood could
 * before). Without memory for the slots only the shared limit applies.
 * Returns the length, 0 when nothing is to be sent.
 */
#define ANCHOR_LOST_BE_GAP_MS 100
#define ANCHOR_LOST_BE_SEEN_RATE 1000 /* per second, a burst of a tenth */
int anchor_lost_be(struct anchor *an, const struct in6_addr *inner, const struct in6_addr *osrc,
		   uint64_t now_ms, uint8_t *buf, size_t cap);
/* anchor_lost_be's slots allocated and their pages touched (the agent at
 * its start, so its memory does not grow as pairs come; anchor_lost_be
 * does it at its first call otherwise); without memory, none */
void anchor_lost_be_prepare(struct anchor *an);
/* The tunnel's unbound hook (tunnel.h): anchor_lost_be, sent to osrc */
void anchor_lost_hook(void *arg, const struct in6_addr *inner, const struct in6_addr *osrc);
/*
 * The last run was killed or crashed (agentlock.h): bindings it made within
 * ANCHOR_SAVE_DELAY_MS of its end are not in the state file, and their
 * addresses are free in the pool although their hosts still use them.
 * Having been the lowest free ones then (past the last run's own hold, if
 * it had one), they would be the next ones handed to other hosts. So the
 * free addresses up to the highest one restored, or the last run's hold if
 * higher, plus ANCHOR_CRASH_HOLD are held back from allocation (pool_hold) for
 * max-lifetime seconds, when every binding of the last run has been
 * refreshed or has expired; a refresh naming one of them gets it
 * (anchor_mode_cha.c). anchor_expire lifts the hold; anchor_next_expiry
 * counts it. An allocation that finds only held addresses free gives the
 * top ANCHOR_CRASH_HOLD of them back to new bindings, or ends the hold
 * early when it holds no more (logged): a small pool must not refuse every
 * host meanwhile, and a hold over a whole large pool must last past the
 * first allocation.
 * A clean stop while it holds, or whose last save failed, leaves the mark
 * for the next run (odm_agent.keep_unclean_mark). A state file that was
 * there and could not be read (state_unread) restores nothing and tells
 * nothing of where the last run's bindings were: the whole pool is held
 * (the caller holds after such a start, clean mark or not).
 */
#define ANCHOR_CRASH_HOLD 4096
void anchor_hold_after_crash(struct anchor *an, uint64_t now_ms);
/* Save if anything changed since the last save: statefile_commit's answer */
int anchor_state_save(struct anchor *an, uint64_t now_mono_ms);
/* The state changed: save it within ANCHOR_SAVE_DELAY_MS, in one write for
 * all that changes meanwhile (a burst of BUs costs one file, not one each) */
#define ANCHOR_SAVE_DELAY_MS 50
void anchor_state_touch(struct anchor *an, uint64_t now_mono_ms);
/*
 * Save if a touch is due by now (force: whatever the time); the timer calls
 * it. A save that fails is due again ANCHOR_SAVE_RETRY_MS later. Returns 0,
 * or the failed save's -errno.
 *
 * The daemon (an->loop set) saves in a child process (bgsave.h): encoding
 * and writing 65 536 bindings takes ~0.3 s, which in-line would stall every
 * BU and every tunnelled packet of the userspace backend that long, once
 * per burst of changes. While a child runs, changes wait for the next save;
 * the timer polls the child (ANCHOR_SAVE_POLL_MS). The next save starts no
 * sooner than ANCHOR_SAVE_PACE times the last one's duration after it
 * ended (at most ANCHOR_SAVE_PACE_MAX_MS), so saving takes at most a
 * quarter of a core however busy the anchor is. A force waits for the child, then saves in-line what is still
 * due (a stop). Without a loop (unit tests), or when fork fails, the save
 * is in-line.
 */
#define ANCHOR_SAVE_RETRY_MS 1000
#define ANCHOR_SAVE_POLL_MS 20
#define ANCHOR_SAVE_PACE 3
#define ANCHOR_SAVE_PACE_MAX_MS 10000
int anchor_state_flush(struct anchor *an, uint64_t now_mono_ms, int force);
/* Monotonic ms the timer must fire at for the saving, UINT64_MAX if none */
uint64_t anchor_state_next(const struct anchor *an, uint64_t now_mono_ms);
/* After a reload swapped an->cfg's identities: replay state follows each
 * NAI; bindings of removed identities end. Returns how many ended. */
int anchor_state_rekey(struct anchor *an, const struct odm_identity *old_ids, size_t n_old);

/* The "status" control answer (new reference) */
json_t *anchor_status_json(const struct anchor *an, uint64_t now_ms);

#endif
