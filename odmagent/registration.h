/* SPDX-License-Identifier: MIT */
/*
 * registration.h — the mn role's Binding Update List (RFC 6275 §11.1): per
 * anchor a sequence counter, a replay timestamp and the current care-of
 * address; per binding (one per lease, BID = lease id) the outstanding BU,
 * its retransmission schedule (§11.8) and when to refresh.
 *
 * No sockets and no clock here: BUs leave through ops->send, time comes in as
 * a monotonic "now" in ms plus ops->ntp_now for the replay timestamp, and
 * outcomes are reported through ops->done. The caller arms one timer for
 * reg_next_deadline() and calls reg_timers() when it fires.
 *
 * Profile (RFC 6275 §6.1.7 with the options of RFC 4283, RFC 4285,
 * RFC 5213 §8.3 and RFC 5648): BU type 5, flags A|H, lifetime in
 * 4-s units (0 = deregister), options Alternate CoA, HNP/128 (:: = allocate),
 * BID, MN-ID (NAI), Service Selection (RFC 5149, when the binding names its
 * type), Replay Protection (NTP), after a move the "care-of address lost"
 * experimental option (mh.h), MN-HA auth (last).
 */
#ifndef ODM_REGISTRATION_H
#define ODM_REGISTRATION_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "carrierlook.h"
#include "mh.h"

/* RFC 6275 §13 constants, in ms */
#define REG_INITIAL_TIMEOUT_MS 1000      /* INITIAL_BINDACK_TIMEOUT */
#define REG_INITIAL_TIMEOUT_FIRST_MS 1500 /* InitialBindackTimeoutFirstReg */
#define REG_MAX_TIMEOUT_MS 32000         /* MAX_BINDACK_TIMEOUT */
#define REG_MAX_UPDATE_RATE 3            /* BUs per second per binding */
#define REG_SEQ_HISTORY 8                /* BUs of one exchange we still match */
#define REG_MAX_RESYNC 3                 /* status 135 rounds per exchange */
#define REG_IGNORED_LOG_BURST 10         /* debug lines a second on ignored BAs */
#define REG_AUTH_FAIL_LOG_GAP_MS 60000   /* one line a minute per anchor on a 146 */
#define REG_RTT_MAX_MS 1000              /* round trips kept for the BU's transit */
#define REG_AWAY_RETRY_MS 2000           /* BU retry while the anchor's agent is away */
#define REG_AWAY_PACE_MS 120000          /* for so long after the first such error */
#define REG_AWAY_LOG_GAP_MS 60000        /* one warning a minute per anchor on it */
#define REG_UNHEARD_SAY_MS 3000          /* a re-registration unanswered so long is said */

enum reg_kind {
	REG_NONE = 0,   /* nothing outstanding */
	REG_ALLOC = 1,  /* first registration, HNP :: */
	REG_REFRESH = 2, /* re-registration (refresh or move), HNP = address */
	REG_DEREG = 3,  /* lifetime 0 */
};

enum reg_event_kind {
	REG_EV_ACCEPTED = 0, /* BA status < 128; for REG_ALLOC b->hnp is the address */
	REG_EV_REJECTED = 1, /* BA status >= 128 we cannot recover from */
	REG_EV_TIMEOUT = 2,  /* a first registration (REG_ALLOC, or a refresh of a
			      * binding never granted a lifetime: an access
			      * claim): no BA within alloc_timeout_ms */
	REG_EV_EXPIRED = 3,  /* the binding's lifetime ran out without a BA */
};

struct reg_event {
	enum reg_event_kind kind;
	enum reg_kind what;     /* the exchange it ends */
	uint8_t status;         /* BA status (ACCEPTED/REJECTED) */
	uint32_t lifetime_s;    /* granted (ACCEPTED) */
	int64_t rtt_ms;         /* BU of this BA sent -> BA in (ACCEPTED/REJECTED) */
	int after_move;         /* the exchange was started by a CoA change */
	const char *why;        /* short text for REJECTED when status says too
				 * little; for EXPIRED, when it was no anchor's
				 * silence (reg_expire_due) */
};

struct reg_anchor;

struct reg_sent {
	uint16_t seq;
	uint64_t sent_ms;
	struct in6_addr coa;   /* source of that BU, the auth CoA of its BA */
	uint64_t ts;           /* replay timestamp it carried */
	int tagged;            /* it named the host's last packet (coa_lost_tag) */
};

struct reg_binding {
	struct reg_binding *next;
	struct reg_anchor *anchor;
	void *user;             /* the lease; NULL once it has gone (dereg) */
	uint16_t bid;
	struct in6_addr hnp;    /* :: until allocated */
	/* Service Selection (RFC 5149) sent in its BUs: the odm.h name of the
	 * address type asked for, "" for none */
	char service[24];
	/* the lifetime its BUs ask for (s; 0: the configured one) */
	uint32_t lifetime_s;

	/* the outstanding exchange */
	enum reg_kind kind;
	int after_move;
	int tag_sent;           /* a BU of this exchange named the last packet */
	struct reg_sent sent[REG_SEQ_HISTORY]; /* ring of its BUs */
	unsigned n_sent;        /* BUs sent in this exchange */
	unsigned n_left;        /* of them, those whose send did not fail on
				 * the host (a care-of address gone under it:
				 * a link down) */
	uint64_t first_tx_ms;   /* when its first BU left (sent[] is a ring) */
	unsigned tries;         /* attempts, sent or not (no CoA): bounds a dereg */
	uint32_t timeout_ms;    /* current back-off */
	uint64_t next_tx_ms;    /* next (re)transmission, 0 = none */
	uint64_t give_up_ms;    /* end of the exchange, 0 = none */
	unsigned resyncs;       /* 135 rounds */
	int retried_145;        /* the one resend a 145 may cause */
	uint64_t rate[REG_MAX_UPDATE_RATE]; /* send times of the last BUs */
	unsigned rate_i;

	/* the binding at the anchor */
	int registered;
	uint32_t granted_s;
	uint64_t expires_ms;    /* the anchor forgets it then */
	uint64_t dereg_until_ms; /* a deregistration: when the anchor forgets the
				  * binding anyway (its expires_ms before) */
	int dereg_revived;      /* its BUs given up, sent again once the anchor
				 * answered another BU (reg_input) */
	uint64_t refresh_ms;    /* start a refresh then, 0 = none */
	uint16_t last_seq;      /* last BU sent, for status */
	/* set by the caller with the anchor's coa_lost_ms: the pkttag of the
	 * last packet the tunnel received for hnp before the loss (0 = not
	 * known), sent with "lost N ms ago" (mh.h) */
	uint32_t lost_tag;
};

struct reg_anchor {
	struct reg_anchor *next;
	struct in6_addr addr;
	uint16_t seq;           /* last number used; the next BU takes seq + 1 */
	uint64_t last_ts;       /* last replay timestamp sent */
	/* the anchor's clock minus ours (NTP units, modulo 2^64), as its
	 * last 145 told it: added to our clock for the timestamps of the
	 * BUs to it (RFC 4285 section 6); 0 until a 145 */
	int64_t clock_off;
	int64_t sort_key;       /* reg_anchors_trim's, while it sorts (then
				 * 1 for those it frees) */
	int has_coa;
	struct in6_addr coa;
	/* monotonic ms: the previous CoA stopped working then (set by the
	 * caller before the move's reg_anchor_set_coa; 0 = not known). The
	 * BUs of an exchange after a move say how long ago that was. */
	uint64_t coa_lost_ms;
	/* the engine's: when that loss was seen (monotonic ms; set with
	 * coa_lost_ms), to date it again when the move's BUs go */
	uint64_t coa_seen_ms;
	/* the engine's: the last look found no care-of address toward it
	 * (a single link without carrier), one having been bound; the same
	 * address back is a move all the same (hostengine.c back_same) */
	int coa_away;
	/* the engine's: the link of the care-of address at the last look
	 * that found it working, and its carrier losses then: a loss
	 * between two such looks that saw none is one the agent did not
	 * see (hostengine.c unseen_loss) */
	struct carrierlook carrier;
	/* the engine's: when a return of the same care-of address last
	 * re-registered (monotonic ms; 0: never), and when the one paced
	 * after it is due (0: none) */
	uint64_t back_ms, back_due_ms;
	/* the engine's: its bindings' exchanges re-register that same
	 * address back, not a move: one line for the anchor at info level
	 * (hostengine.c check_anchor), each lease's answer at debug */
	int back_rereg;
	/* twice in a row (tag_doubt_ms), a move's first BU named the host's
	 * last packet (the option's long form, mh.h), went unanswered, and a
	 * later one without it was accepted: an anchor older than that form
	 * refuses it, so no BU to this anchor names one any more (two lost
	 * BUs in a row do the same, and cost only the tag: the anchor
	 * replays by the time then) */
	int tag_unheard;
	/* when the last such refusal was answered (monotonic ms; 0: none
	 * since a BU naming the packet was accepted, or ever): one is
	 * forgiven, a lost BU or BA; a second, of an exchange that began
	 * after it (not another binding's of the same move, whose BUs a
	 * link that failed again lost together), makes it tag_unheard */
	uint64_t tag_doubt_ms;
	/* the last BU -> BA round trip with this anchor (ms, accepted BAs;
	 * 0 = none yet): added to "lost N ms ago" (build_bu) */
	uint32_t rtt_ms;
	/* the engine's: an allocation here went unanswered then (monotonic
	 * ms; 0 = it answered since) */
	uint64_t silent_ms;
	unsigned silent_n;  /* the engine's: allocations let time out in a row */
	/* the engine's: the last of them drew only an unauthenticated 146 */
	int silent_146;
	/* the engine's: an allocation here was refused for want of resources
	 * (status 130) then (monotonic ms; 0 = none since, or a binding of
	 * ours there ended or was granted since: HE_FULL_HOLD_MS) */
	uint64_t full_ms;
	/* its host said its agent is away (reg_anchor_agent_away), and no BA
	 * came since: said once in the log */
	int away;
	uint64_t away_ms;   /* when that began (monotonic ms) */
	/* when an outage was last said at warning level (monotonic ms; 0:
	 * never), and whether the one going on was: its end is said then */
	uint64_t away_told_ms;
	int away_told;
	/* a re-registration of a binding it holds (a refresh, a move's) went
	 * unanswered for REG_UNHEARD_SAY_MS, and no BA came since: when its
	 * first BU left (monotonic ms; 0: none unheard); when such a silence
	 * was last said at warning level (0: never), and whether this one
	 * was: its end is said then */
	uint64_t unheard_ms, unheard_told_ms;
	int unheard_told;
	/* when the last 146 answering a BU of ours came, and when one was
	 * last said (monotonic ms; 0: never) */
	uint64_t auth_fail_ms, auth_fail_told_ms;
	/* the engine's: since when the looks have found no care-of address
	 * toward it, one having been bound (monotonic ms; 0: they find one),
	 * why (a negative errno), and whether that was said (HE_NO_ROUTE_MS) */
	uint64_t no_route_ms;
	int no_route_err, no_route_told;
	struct reg_binding *bindings;
};

struct reg_config {
	char nai[MH_NAI_MAX + 1];
	uint32_t spi;
	uint8_t key[MH_AUTH_KEY_LEN];
	uint32_t lifetime_s;       /* asked for in BUs */
	uint32_t alloc_timeout_ms; /* give up a first registration after this */
	unsigned dereg_tries;      /* BUs for one deregistration at most */
};

struct reg_ctx;

struct reg_ops {
	/* Send one encoded BU; 0 or -errno (a failure counts as a lost BU). */
	int (*send)(void *arg, const uint8_t *buf, size_t len,
		    const struct in6_addr *src, const struct in6_addr *dst);
	/* Wall clock as NTP 32.32 (RFC 4285 replay protection). */
	uint64_t (*ntp_now)(void *arg);
	/*
	 * An exchange of a binding with a user ended. The callback may free or
	 * restart b (reg_binding_del, reg_dereg, reg_refresh) but must not
	 * touch other bindings.
	 */
	void (*done)(void *arg, struct reg_binding *b, const struct reg_event *ev);
};

struct reg_ctx {
	struct reg_config cfg;
	const struct reg_ops *ops;
	void *arg;
	struct reg_anchor *anchors;
	size_t n_anchors;          /* in the list, idle ones included */
	/* counters for status and tests */
	uint64_t bu_sent, ba_in, ba_ignored;
	/* rate limit of the lines about ignored BAs */
	uint64_t ign_log_ms, ign_suppressed;
	unsigned ign_log_n;
	/*
	 * When the message reg_input is given reached the host, as the kernel
	 * stamped it (socket(7), SO_TIMESTAMPNS; 0: not stamped): a BA's
	 * round trip with its anchor ends there, not when a loaded agent got
	 * round to reading it. Set by the caller for one reg_input.
	 */
	uint64_t rx_at_ms;
};

void reg_init(struct reg_ctx *c, const struct reg_config *cfg,
	      const struct reg_ops *ops, void *arg);
/* Frees all anchors and bindings, sends nothing. */
void reg_cleanup(struct reg_ctx *c);

struct reg_anchor *reg_anchor_find(struct reg_ctx *c, const struct in6_addr *addr);
/* Find or create; seq_start (random) seeds a new anchor's counter. NULL = ENOMEM */
struct reg_anchor *reg_anchor_get(struct reg_ctx *c, const struct in6_addr *addr,
				  uint16_t seq_start);
/*
 * An anchor stays in the list once its last binding is gone: its sequence
 * counter and replay timestamp go on from where they were (RFC 6275
 * §11.7.1), and its silence is remembered, if the host asks it again.
 * Idle ones are kept while the list holds at most max anchors; past that,
 * those whose last BU left longest ago are freed (before, every anchor the
 * host ever asked stayed: the cha.<host> of every destination a program
 * had a Session-lasting address for, each in memory, in the state file
 * and in a walk on every move). An anchor asked again after that starts
 * from a random number, as a new one does. Anchors with bindings are all
 * kept. Not while the list is walked or a binding's callback runs: the
 * host engine's tick calls it. Returns how many were freed.
 */
#define REG_ANCHORS_MAX 4096 /* as many as the state keeps (state.h) */
size_t reg_anchors_trim(struct reg_ctx *c, size_t max);
/* 1 if the CoA changed (or is new), 0 if the same */
int reg_anchor_set_coa(struct reg_anchor *an, const struct in6_addr *coa);

/* A new binding (not yet registered); NULL = ENOMEM */
struct reg_binding *reg_binding_add(struct reg_ctx *c, struct reg_anchor *an,
				    uint16_t bid, void *user);
/* Forget a binding at once, nothing sent. */
void reg_binding_del(struct reg_ctx *c, struct reg_binding *b);

/*
 * Start an exchange; each sends its first BU at once (subject to the rate
 * limit unless after_move) and returns the send result (a failed send is
 * retried on schedule). reg_alloc on a binding with an allocation already
 * outstanding resends it (same BID, so the anchor answers with the same
 * address). reg_dereg detaches the user: the binding frees itself after its
 * BA or dereg_tries BUs.
 */
int reg_alloc(struct reg_ctx *c, struct reg_binding *b, uint64_t now_ms, int after_move);
int reg_refresh(struct reg_ctx *c, struct reg_binding *b, uint64_t now_ms, int after_move);
int reg_dereg(struct reg_ctx *c, struct reg_binding *b, uint64_t now_ms);

/*
 * The deregistrations of hnp at an still waiting for their BA are dropped,
 * not sent again: a new binding of the same address (a claim, whose BUs
 * name the address rather than a BID) supersedes them, and one sent after
 * its BU, with a newer sequence number, would end it. Returns how many.
 */
unsigned reg_dereg_cancel(struct reg_ctx *c, struct reg_anchor *an, const struct in6_addr *hnp);
/* The next BU of b's outstanding exchange now rather than at its
 * retransmission time (subject to the rate limit; the back-off goes on
 * from there): the send result, -EINVAL when nothing is outstanding. */
int reg_resend_now(struct reg_ctx *c, struct reg_binding *b, uint64_t now_ms);
/*
 * The move's BUs still unanswered that left from coa for an anchor other
 * than skip, sent again now (a move's BUs are not rate limited). For the
 * host back on the link of an access claim, coa that claim's address: until
 * the claim's anchor took its BU, the anchor tunnelled what came for coa
 * toward the link the host had left, the other anchors' BAs too, which
 * would otherwise wait for their retransmission (1 s, RFC 6275 §11.8).
 * Returns how many.
 */
unsigned reg_resend_moved(struct reg_ctx *c, const struct reg_anchor *skip,
			  const struct in6_addr *coa, uint64_t now_ms);

/*
 * The anchor's host answered a BU sent from coa with a Parameter Problem,
 * "unrecognized Next Header" (RFC 4443 §3.4): nothing there takes Mobility
 * Header messages, i.e. its agent is not running (killed, restarting). The
 * allocations and refreshes out to it are then sent again at most every
 * REG_AWAY_RETRY_MS rather than on the back-off (which reaches
 * MAX_BINDACK_TIMEOUT, 32 s, RFC 6275 §11.8), so a restarted agent hears
 * the next BU within that: a host that only receives sends nothing else
 * the anchor could answer. Deregistrations keep their schedule. For
 * REG_AWAY_PACE_MS after the first such error of an outage only: an
 * agent stopped for good, or a forger, then has the back-off again (the
 * exponential back-off RFC 6275 §11.8 asks for is against a silent
 * anchor; this one says why it does not answer, and a restart is what is
 * waited for). Unproven (anyone can send such an error): it sends nothing
 * by itself, and the rate stays within MAX_UPDATE_RATE. The first answer
 * from the anchor (its agent back) brings the next BU of the other
 * exchanges out to it forward to then, those whose last BU left before
 * the one answered (one that left with it or since is answered too: a
 * burst is sent once). Returns how many exchanges were
 * brought forward; an->away is set when an allocation or refresh is out
 * (not for an error about a deregistration, which keeps its schedule).
 */
unsigned reg_anchor_agent_away(struct reg_anchor *an, const struct in6_addr *coa,
			       uint64_t now_ms);

/*
 * A Mobility Header message from src to dst (the kernel has checked its
 * checksum). Only a BA that answers an outstanding BU of ours acts: it must
 * come from that BU's anchor, carry MN-HA authentication with our SPI that
 * verifies with our key over (the CoA that BU left from, the HNP in the BA),
 * and echo that BU's sequence number and replay timestamp (RFC 6275
 * §11.7.3, RFC 4285 §6); 135 and 145 echo one of the two (see
 * registration.c). A 146 never acts: the anchor signs it only for a BU
 * whose MAC it could not verify with our key, which is not one we sent.
 * A 145 at most resends the BU once, it never ends an exchange. Anything
 * else changes no state: it is counted in ba_ignored and logged at debug
 * level (rate-limited). Returns 0 if acted upon, else why not:
 * -EBADMSG malformed, -EPROTONOSUPPORT not a BA, -ENOENT not from an anchor
 * of ours or no outstanding BU has its number, -EPERM unauthenticated,
 * foreign SPI or bad MAC, -EACCES status 146, -ENOMSG no timestamp,
 * -ESTALE our number with another timestamp (an old or harvested BA).
 */
int reg_input(struct reg_ctx *c, const uint8_t *buf, size_t len,
	      const struct in6_addr *src, const struct in6_addr *dst, uint64_t now_ms);

/* Retransmissions, refreshes, give-ups due at now_ms. */
void reg_timers(struct reg_ctx *c, uint64_t now_ms);
/*
 * Only the expiries of reg_timers(), and only late ones: each registered
 * binding with no exchange under way whose lifetime ran out by now_ms -
 * late_ms is told REG_EV_EXPIRED. For the caller's other work after the
 * agent did not run for a while (its timers all due at once, in no set
 * order): a binding the anchor has let go is not refreshed first. How many.
 */
unsigned reg_expire_due(struct reg_ctx *c, uint64_t now_ms, uint64_t late_ms);
/* Earliest time reg_timers() has work, 0 if none. */
uint64_t reg_next_deadline(const struct reg_ctx *c);

const char *reg_kind_name(enum reg_kind k);

/* Helpers for the schedule, exposed for the tests */
uint32_t reg_initial_timeout(enum reg_kind k);
uint32_t reg_next_timeout(uint32_t cur_ms);
/* A refresh starts at least this long before the binding expires (or at
 * half its lifetime, if that is shorter): room for three BUs, at 0, 1 and
 * 3 s (INITIAL_BINDACK_TIMEOUT, doubling) */
#define REG_REFRESH_SPAN_MS 3500
/* When to refresh after a BA: BRA if given (> 0 and < lifetime), else ~80 %;
 * not later than REG_REFRESH_SPAN_MS before the end (above) */
uint64_t reg_refresh_delay_ms(uint32_t granted_s, int has_bra, uint16_t bra_units);

#endif
