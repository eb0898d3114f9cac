/* SPDX-License-Identifier: MIT */
/*
 * registration.c — the mn role's Binding Update List: building and sending
 * BUs, retransmitting them with back-off, refreshing before expiry and acting
 * on BAs (see registration.h for the profile and the ownership rules).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addrtext.h"
#include "log.h"
#include "ratelimit.h"
#include "registration.h"

/* A BA this far off our clock is worth a line in the log (status 145),
 * and the clock of our next timestamps to that anchor */
#define REG_CLOCK_SKEW_LOG_MS 3000

/*
 * How far the anchor's clock (the timestamp of its 145, stamped as it
 * answered) is at least from ours: with the two clocks together it lies
 * between our BU's timestamp and that plus the time since the BU left
 * (elapsed_ms, to the BA's arrival), whatever the BU or the BA waited on
 * the way (an anchor that did not run for a while, RFC 4285 section 6:
 * the BU's timestamp is then simply old). *late_ms: how long after the BU
 * left the anchor stamped its answer, had the clocks been together.
 */
static int64_t skew_at_least(uint64_t anchor_ts, uint64_t bu_ts, uint64_t elapsed_ms,
			     int64_t *late_ms)
{
	int64_t d = mh_ntp_diff_ms(anchor_ts, bu_ts);

	*late_ms = d;
	if (d < 0)
		return d;
	return (uint64_t)d > elapsed_ms ? d - (int64_t)elapsed_ms : 0;
}

const char *reg_kind_name(enum reg_kind k)
{
	switch (k) {
	case REG_NONE:
		return "none";
	case REG_ALLOC:
		return "allocation";
	case REG_REFRESH:
		return "refresh";
	case REG_DEREG:
		return "deregistration";
	}
	return "unknown";
}

uint32_t reg_initial_timeout(enum reg_kind k)
{
	return k == REG_ALLOC ? REG_INITIAL_TIMEOUT_FIRST_MS : REG_INITIAL_TIMEOUT_MS;
}

uint32_t reg_next_timeout(uint32_t cur_ms)
{
	return cur_ms >= REG_MAX_TIMEOUT_MS / 2 ? REG_MAX_TIMEOUT_MS : cur_ms * 2;
}

uint64_t reg_refresh_delay_ms(uint32_t granted_s, int has_bra, uint16_t bra_units)
{
	uint64_t life_ms = (uint64_t)granted_s * 1000;
	uint64_t d, span;

	/* RFC 6275 §6.2.4: the advice must be shorter than the lifetime */
	if (has_bra && bra_units && (uint64_t)bra_units * 4000 < life_ms)
		d = (uint64_t)bra_units * 4000;
	else
		d = life_ms * 8 / 10;
	/* a short lifetime: early enough for the refresh's retransmissions
	 * (RFC 6275 §11.8: 1 s, then doubling) to go before the binding
	 * expires, one lost BU costing no session; never before half of it */
	span = life_ms > 2 * REG_REFRESH_SPAN_MS ? REG_REFRESH_SPAN_MS : life_ms / 2;
	if (life_ms - d < span)
		d = life_ms - span;
	return d < 1000 ? 1000 : d;
}

void reg_init(struct reg_ctx *c, const struct reg_config *cfg,
	      const struct reg_ops *ops, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	if (!c->cfg.dereg_tries)
		c->cfg.dereg_tries = 1;
	c->ops = ops;
	c->arg = arg;
}

void reg_cleanup(struct reg_ctx *c)
{
	struct reg_anchor *an, *an_next;
	struct reg_binding *b, *b_next;

	for (an = c->anchors; an; an = an_next) {
		an_next = an->next;
		for (b = an->bindings; b; b = b_next) {
			b_next = b->next;
			free(b);
		}
		free(an);
	}
	c->anchors = NULL;
	c->n_anchors = 0;
}

struct reg_anchor *reg_anchor_find(struct reg_ctx *c, const struct in6_addr *addr)
{
	for (struct reg_anchor *an = c->anchors; an; an = an->next)
		if (IN6_ARE_ADDR_EQUAL(&an->addr, addr))
			return an;
	return NULL;
}

struct reg_anchor *reg_anchor_get(struct reg_ctx *c, const struct in6_addr *addr,
				  uint16_t seq_start)
{
	struct reg_anchor *an = reg_anchor_find(c, addr);

	if (an)
		return an;
	an = calloc(1, sizeof(*an));
	if (!an)
		return NULL;
	an->addr = *addr;
	/* the first BU takes seq + 1, so this makes it seq_start */
	an->seq = (uint16_t)(seq_start - 1);
	an->next = c->anchors;
	c->anchors = an;
	c->n_anchors++;
	return an;
}

/*
 * How long ago (NTP units, on our clock) an's last BU left: its timestamp
 * less the anchor's offset (a 145 moves it by the anchor's clock), from
 * now modulo 2^64. The timestamps themselves do not order the anchors: the
 * seconds wrap in 2036 (RFC 5905 section 6), and an anchor a day behind
 * ours looked idle a day longer. Signed: after our clock was set back,
 * the latest is still the least idle. Never sent: the longest.
 */
static int64_t idle_for(const struct reg_anchor *an, uint64_t now)
{
	return an->last_ts ? (int64_t)(now - (an->last_ts - (uint64_t)an->clock_off))
			   : INT64_MAX;
}

/* idle anchors, the one whose last BU left longest ago first (their
 * sort_key: idle_for, set by reg_anchors_trim) */
static int idle_longer(const void *a, const void *b)
{
	int64_t ta = (*(struct reg_anchor *const *)a)->sort_key;
	int64_t tb = (*(struct reg_anchor *const *)b)->sort_key;

	return ta > tb ? -1 : ta < tb;
}

size_t reg_anchors_trim(struct reg_ctx *c, size_t max)
{
	struct reg_anchor **idle, **pp;
	size_t n = 0, drop;
	uint64_t now;

	if (c->n_anchors <= max)
		return 0;
	idle = malloc(c->n_anchors * sizeof(*idle));
	if (!idle)
		return 0; /* the next tick tries again */
	now = c->ops->ntp_now(c->arg);
	for (struct reg_anchor *an = c->anchors; an; an = an->next)
		if (!an->bindings) {
			an->sort_key = idle_for(an, now);
			idle[n++] = an;
		}
	drop = c->n_anchors - max < n ? c->n_anchors - max : n;
	qsort(idle, n, sizeof(*idle), idle_longer);
	for (size_t i = 0; i < n; i++)
		idle[i]->sort_key = i < drop; /* 1: freed below */
	for (pp = &c->anchors; *pp;) {
		struct reg_anchor *an = *pp;

		if (!an->bindings && an->sort_key) {
			*pp = an->next;
			free(an);
			c->n_anchors--;
		} else {
			pp = &an->next;
		}
	}
	free(idle);
	return drop;
}

int reg_anchor_set_coa(struct reg_anchor *an, const struct in6_addr *coa)
{
	if (an->has_coa && IN6_ARE_ADDR_EQUAL(&an->coa, coa))
		return 0;
	an->coa = *coa;
	an->has_coa = 1;
	return 1;
}

struct reg_binding *reg_binding_add(struct reg_ctx *c, struct reg_anchor *an,
				    uint16_t bid, void *user)
{
	struct reg_binding *b = calloc(1, sizeof(*b));

	(void)c;
	if (!b)
		return NULL;
	b->anchor = an;
	b->bid = bid;
	b->user = user;
	b->next = an->bindings;
	an->bindings = b;
	return b;
}

void reg_binding_del(struct reg_ctx *c, struct reg_binding *b)
{
	(void)c;
	if (!b)
		return;
	for (struct reg_binding **pp = &b->anchor->bindings; *pp; pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	}
	free(b);
}

/* Next replay timestamp for an anchor: now, but strictly above the last.
 * "Above" modulo 2^64, as the anchor compares them: the seconds field
 * wraps in 2036 (RFC 5905 section 6, NTP era 1), and a plain comparison
 * would keep every later BU at the last timestamp of era 0, one fraction
 * unit at a time, and the anchor would refuse them all (145) 7 s on. */
static uint64_t next_timestamp(struct reg_ctx *c, struct reg_anchor *an)
{
	uint64_t ts = c->ops->ntp_now(c->arg) + (uint64_t)an->clock_off;

	if (an->last_ts && (int64_t)(ts - an->last_ts) <= 0)
		ts = an->last_ts + 1; /* one fraction unit, ~0.23 ns */
	an->last_ts = ts;
	return ts;
}

/* whether b's BU at now says when the old care-of address was lost: one
 * of the exchange a move started, the loss dated and past */
static int says_lost(const struct reg_binding *b, uint64_t now)
{
	const struct reg_anchor *an = b->anchor;

	return b->after_move && an->coa_lost_ms && an->coa_lost_ms <= now;
}

/*
 * Whether b's next BU names the host's last packet: in the first BU of the
 * exchange that leaves the host only, so that an anchor that refuses the
 * option's long form (one older than it) gets the retransmissions without
 * it, a move costing it one retransmission timeout, twice (tag_unheard).
 * One whose send failed (its tentative care-of address, no route yet)
 * reached no anchor: the next names the packet again.
 */
static int names_packet(const struct reg_binding *b)
{
	return b->lost_tag && b->n_left == 0 && !b->anchor->tag_unheard;
}

static int build_bu(struct reg_ctx *c, struct reg_binding *b, uint16_t seq,
		    uint64_t ts, uint64_t now, uint8_t *buf, size_t cap)
{
	struct reg_anchor *an = b->anchor;
	struct mh_msg m;
	size_t nai_len = strlen(c->cfg.nai);

	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BU;
	m.seq = seq;
	m.flags = MH_BU_A | MH_BU_H;
	m.lifetime = b->kind == REG_DEREG ? 0 :
		     mh_lifetime_units(b->lifetime_s ? b->lifetime_s : c->cfg.lifetime_s);
	m.present = MH_HAS_ALTCOA | MH_HAS_HNP | MH_HAS_BID | MH_HAS_MNID |
		    MH_HAS_REPLAY | MH_HAS_AUTH;
	m.altcoa = an->coa;
	m.hnp_len = 128;
	/* :: asks the anchor to allocate; the BID makes that idempotent */
	m.hnp = b->kind == REG_ALLOC ? in6addr_any : b->hnp;
	m.bid = b->bid;
	if (b->service[0]) {
		m.present |= MH_HAS_SERVICE;
		m.service_len = (uint8_t)strnlen(b->service, sizeof(b->service));
		memcpy(m.service, b->service, m.service_len);
	}
	m.mnid_subtype = MH_MNID_SUBTYPE_NAI;
	m.mnid_len = (uint8_t)nai_len;
	memcpy(m.mnid, c->cfg.nai, nai_len + 1);
	m.replay_ts = ts;
	/*
	 * How long ago the host went deaf at its old CoA: the anchor replays
	 * what it sent since then (replay.h). The host dates that by the last
	 * packet it received, which left the anchor one way earlier, and the
	 * anchor counts back from when the BU reaches it, one way later: the
	 * last round trip with that anchor is added for the two (on a 40 ms
	 * path, 40 ms of packets the replay would otherwise miss).
	 */
	if (says_lost(b, now)) {
		uint64_t ago = now - an->coa_lost_ms + an->rtt_ms;

		m.present |= MH_HAS_COA_LOST;
		m.coa_lost_ms = ago > UINT32_MAX ? UINT32_MAX : (uint32_t)ago;
		/* and which packet that was, where the tunnel knows: the
		 * anchor then replays exactly what came after it */
		if (names_packet(b))
			m.coa_lost_tag = b->lost_tag;
	}
	m.auth_subtype = MH_AUTH_SUBTYPE_MNHA;
	m.auth_spi = c->cfg.spi;
	/* auth HoA = the HNP as sent (:: for an allocation), auth CoA = CoA */
	return mh_encode(&m, buf, cap, c->cfg.key, &an->coa, &m.hnp, NULL, NULL);
}

static void schedule_retransmit(struct reg_binding *b, uint64_t now)
{
	b->next_tx_ms = now + b->timeout_ms;
	b->timeout_ms = reg_next_timeout(b->timeout_ms);
}

/*
 * Send the next BU of b's exchange. Every BU, retransmissions included,
 * takes a new sequence number (RFC 6275 §11.8). Without a CoA nothing can
 * be sent; that counts as a lost BU, so the schedule goes on and the next
 * CoA event restarts the exchange at once.
 */
static int transmit(struct reg_ctx *c, struct reg_binding *b, uint64_t now, int bypass_rate)
{
	struct reg_anchor *an = b->anchor;
	uint8_t buf[MH_MAX_LEN];
	struct reg_sent *s;
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	uint64_t ts;
	uint16_t seq;
	int len, rc;

	/* MAX_UPDATE_RATE: the oldest of the last 3 BUs must be 1 s old */
	if (!bypass_rate && b->rate[b->rate_i] && now < b->rate[b->rate_i] + 1000) {
		b->next_tx_ms = b->rate[b->rate_i] + 1000;
		log_debug("BU for bid %u deferred %llu ms (rate limit)", b->bid,
			  (unsigned long long)(b->next_tx_ms - now));
		return -EAGAIN;
	}
	b->rate[b->rate_i] = now ? now : 1;
	b->rate_i = (b->rate_i + 1) % REG_MAX_UPDATE_RATE;
	if (!an->has_coa) {
		log_debug("no CoA toward %s: %s BU for bid %u not sent",
			  ntop6(&an->addr, a1), reg_kind_name(b->kind), b->bid);
		b->tries++; /* an attempt all the same: bounds deregistrations */
		schedule_retransmit(b, now);
		return -ENETUNREACH;
	}
	seq = (uint16_t)(an->seq + 1);
	ts = next_timestamp(c, an);
	len = build_bu(c, b, seq, ts, now, buf, sizeof(buf));
	if (len < 0) {
		log_err(0, "cannot encode BU for bid %u: %s", b->bid, mh_strerror(len));
		schedule_retransmit(b, now);
		return -EINVAL;
	}
	an->seq = seq;
	if (!b->n_sent)
		b->first_tx_ms = now;
	s = &b->sent[b->n_sent % REG_SEQ_HISTORY];
	s->seq = seq;
	s->sent_ms = now;
	s->coa = an->coa;
	s->ts = ts;
	s->tagged = says_lost(b, now) && names_packet(b);
	b->tag_sent |= s->tagged;
	b->n_sent++;
	b->tries++;
	b->last_seq = seq;
	rc = c->ops->send(c->arg, buf, (size_t)len, &an->coa, &an->addr);
	c->bu_sent++;
	if (rc >= 0)
		b->n_left++;
	if (rc < 0)
		log_warn(rc, "BU seq %u to %s", seq, ntop6(&an->addr, a1));
	else
		log_debug("%s BU seq %u bid %u %s -> %s (BU %u of this exchange)",
			  reg_kind_name(b->kind), seq, b->bid, ntop6(&an->coa, a1),
			  ntop6(&an->addr, a2), b->n_sent);
	schedule_retransmit(b, now);
	return rc < 0 ? rc : 0;
}

/* b's exchange registers a binding that never was: an allocation, or the
 * refresh that claims an address the host has (no lifetime granted yet).
 * It gives up after alloc_timeout_ms, and its silence is REG_EV_TIMEOUT. */
static int first_registration(const struct reg_binding *b)
{
	return b->kind == REG_ALLOC || (b->kind == REG_REFRESH && !b->expires_ms);
}

static int start(struct reg_ctx *c, struct reg_binding *b, enum reg_kind kind,
		 uint64_t now, int after_move)
{
	uint64_t keep_give_up = b->kind == REG_ALLOC ? b->give_up_ms : 0;

	b->kind = kind;
	b->after_move = after_move;
	b->tag_sent = 0;
	/* BAs to the BUs of an earlier exchange must not end this one: one sent
	 * from the old CoA would leave the anchor pointing there */
	b->n_sent = 0;
	b->n_left = 0;
	b->tries = 0;
	b->resyncs = 0;
	b->retried_145 = 0;
	b->timeout_ms = reg_initial_timeout(kind);
	b->refresh_ms = 0;
	switch (kind) {
	case REG_ALLOC:
		/* a resend (after a move) does not extend the client's wait */
		b->give_up_ms = keep_give_up ? keep_give_up : now + c->cfg.alloc_timeout_ms;
		break;
	case REG_REFRESH:
		/* retry until the anchor forgets the binding, but give at least
		 * one BU a chance of an answer; a first registration as long as
		 * an allocation */
		if (first_registration(b))
			b->give_up_ms = now + c->cfg.alloc_timeout_ms;
		else
			b->give_up_ms = b->expires_ms > now + REG_INITIAL_TIMEOUT_MS ?
						b->expires_ms : now + REG_INITIAL_TIMEOUT_MS;
		break;
	default:
		b->give_up_ms = 0; /* bounded by dereg_tries */
		break;
	}
	return transmit(c, b, now, after_move);
}

int reg_alloc(struct reg_ctx *c, struct reg_binding *b, uint64_t now_ms, int after_move)
{
	return start(c, b, REG_ALLOC, now_ms, after_move);
}

int reg_refresh(struct reg_ctx *c, struct reg_binding *b, uint64_t now_ms, int after_move)
{
	return start(c, b, REG_REFRESH, now_ms, after_move);
}

int reg_dereg(struct reg_ctx *c, struct reg_binding *b, uint64_t now_ms)
{
	b->user = NULL;
	b->dereg_until_ms = b->registered ? b->expires_ms : 0;
	b->registered = 0;
	b->expires_ms = 0;
	return start(c, b, REG_DEREG, now_ms, 1);
}

unsigned reg_dereg_cancel(struct reg_ctx *c, struct reg_anchor *an, const struct in6_addr *hnp)
{
	struct reg_binding *b, *next;
	unsigned n = 0;

	for (b = an->bindings; b; b = next) {
		next = b->next;
		if (b->kind == REG_DEREG && !b->user && IN6_ARE_ADDR_EQUAL(&b->hnp, hnp)) {
			log_debug("deregistration of bid %u dropped: a new binding of its address "
				  "supersedes it", b->bid);
			reg_binding_del(c, b);
			n++;
		}
	}
	return n;
}

/* End b's exchange and tell the user; bindings without one are ours to free. */
static void finish(struct reg_ctx *c, struct reg_binding *b, struct reg_event *ev)
{
	ev->what = b->kind;
	ev->after_move = b->after_move;
	b->kind = REG_NONE;
	b->next_tx_ms = 0;
	b->give_up_ms = 0;
	if (!b->user) {
		reg_binding_del(c, b);
		return;
	}
	c->ops->done(c->arg, b, ev);
}

int reg_resend_now(struct reg_ctx *c, struct reg_binding *b, uint64_t now_ms)
{
	if (b->kind == REG_NONE || b->kind == REG_DEREG)
		return -EINVAL;
	return transmit(c, b, now_ms, 0);
}

unsigned reg_resend_moved(struct reg_ctx *c, const struct reg_anchor *skip,
			  const struct in6_addr *coa, uint64_t now_ms)
{
	unsigned n = 0;

	for (struct reg_anchor *an = c->anchors; an; an = an->next) {
		if (an == skip || !an->has_coa || !IN6_ARE_ADDR_EQUAL(&an->coa, coa))
			continue;
		for (struct reg_binding *b = an->bindings; b; b = b->next) {
			if ((b->kind != REG_ALLOC && b->kind != REG_REFRESH) || !b->after_move ||
			    !b->n_sent)
				continue;
			transmit(c, b, now_ms, 1);
			n++;
		}
	}
	return n;
}

unsigned reg_anchor_agent_away(struct reg_anchor *an, const struct in6_addr *coa,
			       uint64_t now_ms)
{
	unsigned n = 0;
	int out = 0;

	if (!an->has_coa || !IN6_ARE_ADDR_EQUAL(&an->coa, coa))
		return 0; /* about a BU from an address no longer ours */
	if (an->away && now_ms >= an->away_ms + REG_AWAY_PACE_MS)
		return 0; /* away too long: the back-off again, until a BA */
	for (struct reg_binding *b = an->bindings; b; b = b->next) {
		if (b->kind != REG_ALLOC && b->kind != REG_REFRESH)
			continue;
		out = 1;
		if (b->timeout_ms > REG_AWAY_RETRY_MS)
			b->timeout_ms = REG_AWAY_RETRY_MS;
		if (b->next_tx_ms > now_ms + REG_AWAY_RETRY_MS) {
			b->next_tx_ms = now_ms + REG_AWAY_RETRY_MS;
			n++;
		}
	}
	/* about a deregistration (or nothing of ours): nothing goes at that
	 * pace, and the outage is said when an exchange it paces is out */
	if (out && !an->away) {
		an->away = 1;
		an->away_ms = now_ms;
	}
	return n;
}

/* how many re-registrations of bindings an holds are out to it */
static unsigned rereg_out(const struct reg_anchor *an)
{
	unsigned n = 0;

	for (const struct reg_binding *o = an->bindings; o; o = o->next)
		n += o->kind == REG_REFRESH && !first_registration(o) && o->n_sent;
	return n;
}

/*
 * b's re-registration (a refresh, a move's) has gone unanswered for
 * REG_UNHEARD_SAY_MS: the anchor is not reached or does not answer, and
 * after a move it tunnels the host's packets to the care-of address before
 * it until it does, up to the binding's expiry (minutes), which alone was
 * said. Said once per silence of the anchor (a BA ends it: answered()), at
 * warning level once per REG_AWAY_LOG_GAP_MS per anchor: dropping BUs is
 * anyone's on the path, at every exchange. Not an allocation's (the engine
 * says those: lease.c silent()), nor one whose anchor's host said its agent
 * is away (he_icmp_bu_unheard said it), that has no care-of address toward
 * it (the engine says so), or that drew a 146 (say_auth_fail said it).
 */
static void say_unheard(struct reg_binding *b, uint64_t now)
{
	struct reg_anchor *an = b->anchor;
	char a1[INET6_ADDRSTRLEN];

	if (b->kind != REG_REFRESH || first_registration(b) || !b->n_sent || an->unheard_ms ||
	    an->away || !an->has_coa || an->auth_fail_ms >= b->first_tx_ms ||
	    now < b->first_tx_ms + REG_UNHEARD_SAY_MS)
		return;
	an->unheard_ms = b->first_tx_ms;
	an->unheard_told = ratelimit_spaced(&an->unheard_told_ms, REG_AWAY_LOG_GAP_MS, now);
	odm_log_at(an->unheard_told ? ODM_LOG_WARN : ODM_LOG_DEBUG, 0,
		   "anchor %s has not answered the %s of bid %u for %llu ms (%u BU(s); %u "
		   "re-registration(s) out to it)%s: BUs go on until the binding expires in %llu s",
		   ntop6(&an->addr, a1), b->after_move ? "move's re-registration" : "refresh",
		   b->bid, (unsigned long long)(now - b->first_tx_ms), b->n_sent, rereg_out(an),
		   b->after_move ? ", so it tunnels to the care-of address before the move" : "",
		   (unsigned long long)(b->expires_ms > now ? (b->expires_ms - now + 999) / 1000 : 0));
}

static void binding_timers(struct reg_ctx *c, struct reg_binding *b, uint64_t now)
{
	struct reg_event ev = { 0 };
	char a1[INET6_ADDRSTRLEN];

	if (b->kind != REG_NONE) {
		if (b->give_up_ms && now >= b->give_up_ms) {
			ev.kind = first_registration(b) ? REG_EV_TIMEOUT : REG_EV_EXPIRED;
			/* the last unheard one ends the silence said (its
			 * expiry is said by the user): the next is said anew */
			if (ev.kind == REG_EV_EXPIRED && rereg_out(b->anchor) <= 1)
				b->anchor->unheard_ms = 0;
			if (b->kind == REG_REFRESH)
				b->registered = 0;
			finish(c, b, &ev);
			return;
		}
		if (b->next_tx_ms && now >= b->next_tx_ms) {
			if (b->kind == REG_DEREG && b->tries >= c->cfg.dereg_tries) {
				log_debug("no BA for the deregistration of bid %u at %s after %u BUs",
					  b->bid, ntop6(&b->anchor->addr, a1), b->tries);
				/* no more BUs; but an anchor that did not run
				 * meanwhile (stopped, starved) answers them
				 * late, with 145 for a stale timestamp: until
				 * the binding would have ended there, such an
				 * answer gets its one resend (reg_input) */
				if (now < b->dereg_until_ms) {
					b->next_tx_ms = 0;
					b->give_up_ms = b->dereg_until_ms;
					return;
				}
				reg_binding_del(c, b);
				return;
			}
			transmit(c, b, now, 0);
			say_unheard(b, now);
		}
		return;
	}
	if (!b->registered)
		return;
	if (now >= b->expires_ms) {
		b->registered = 0;
		ev.kind = REG_EV_EXPIRED;
		finish(c, b, &ev);
	} else if (b->refresh_ms && now >= b->refresh_ms) {
		start(c, b, REG_REFRESH, now, 0);
	}
}

void reg_timers(struct reg_ctx *c, uint64_t now_ms)
{
	for (struct reg_anchor *an = c->anchors; an; an = an->next) {
		struct reg_binding *b, *next;

		for (b = an->bindings; b; b = next) {
			next = b->next; /* the callback may free b, nothing else */
			binding_timers(c, b, now_ms);
		}
	}
}

unsigned reg_expire_due(struct reg_ctx *c, uint64_t now_ms, uint64_t late_ms)
{
	struct reg_event ev = { 0 };
	unsigned n = 0;

	for (struct reg_anchor *an = c->anchors; an; an = an->next) {
		struct reg_binding *b, *next;

		for (b = an->bindings; b; b = next) {
			next = b->next; /* the callback may free b, nothing else */
			if (b->kind != REG_NONE || !b->registered ||
			    now_ms < b->expires_ms + late_ms)
				continue;
			b->registered = 0;
			memset(&ev, 0, sizeof(ev));
			ev.kind = REG_EV_EXPIRED;
			/* no BU went, and none could: not an anchor's silence */
			ev.why = "while the agent did not run";
			finish(c, b, &ev);
			n++;
		}
	}
	return n;
}

static void min_deadline(uint64_t *best, uint64_t t)
{
	if (t && (!*best || t < *best))
		*best = t;
}

uint64_t reg_next_deadline(const struct reg_ctx *c)
{
	uint64_t best = 0;

	for (const struct reg_anchor *an = c->anchors; an; an = an->next) {
		for (const struct reg_binding *b = an->bindings; b; b = b->next) {
			if (b->kind != REG_NONE) {
				min_deadline(&best, b->next_tx_ms);
				min_deadline(&best, b->give_up_ms);
			} else if (b->registered) {
				min_deadline(&best, b->refresh_ms);
				min_deadline(&best, b->expires_ms);
			}
		}
	}
	return best;
}

/*
 * Which BU of b's exchange a BA answers, by what the anchor echoes
 * (RFC 6275 §11.7.3, RFC 4285 §6). Most BAs copy both the sequence number
 * and the replay timestamp of the BU. Two statuses put the anchor's own
 * value in one of them, so the other field alone names the BU:
 *   135  the Sequence field is the anchor's last accepted number; only the
 *        newest BU counts (an older one's 135 is stale once we resynced);
 *   145  the timestamp is the anchor's clock (status 145 never ends an
 *        exchange, see reg_input).
 * Returns the BU, or NULL; *seq_hit says a BU had the BA's number (for the
 * log: a BA with our number and a foreign timestamp is a harvested one).
 */
static struct reg_sent *answered_bu(struct reg_binding *b, const struct mh_msg *m,
				    int *seq_hit)
{
	unsigned n = b->n_sent < REG_SEQ_HISTORY ? b->n_sent : REG_SEQ_HISTORY;

	for (unsigned i = 0; i < n; i++) {
		/* newest first */
		struct reg_sent *s = &b->sent[(b->n_sent - 1 - i) % REG_SEQ_HISTORY];

		if (m->status == MH_BA_SEQ_OUT_OF_WINDOW)
			return i == 0 && s->ts == m->replay_ts ? s : NULL;
		if (s->seq != m->seq)
			continue;
		*seq_hit = 1;
		if (m->status == MH_BA_MESG_ID_REQD || s->ts == m->replay_ts)
			return s;
	}
	return NULL;
}

/*
 * Find the outstanding BU a BA answers and check its authenticator with the
 * key of that anchor and the CoA that BU left from. Only exchanges still
 * outstanding count: a finished exchange (kind REG_NONE) or an earlier one
 * (n_sent restarts at 0) answers nothing. Without a BID option any binding
 * at that anchor may match.
 * Returns 0 (with the binding and the BU it answers), -ENOENT (no BU of
 * ours has that number), -ESTALE (one has, but not that timestamp), -EPERM
 * (matches, bad authenticator).
 */
static int match_ba(struct reg_ctx *c, struct reg_anchor *an, const uint8_t *buf,
		    size_t len, const struct mh_msg *m, struct reg_binding **bp,
		    struct reg_sent **sp)
{
	const struct in6_addr *hoa = (m->present & MH_HAS_HNP) ? &m->hnp : &in6addr_any;
	int bad_auth = 0, seq_hit = 0;

	for (struct reg_binding *b = an->bindings; b; b = b->next) {
		struct reg_sent *s;

		if (b->kind == REG_NONE || !b->n_sent)
			continue;
		if ((m->present & MH_HAS_BID) && m->bid != b->bid)
			continue;
		s = answered_bu(b, m, &seq_hit);
		if (!s)
			continue;
		if (mh_auth_verify(buf, len, m, c->cfg.key, &s->coa, hoa) != 0) {
			bad_auth = 1;
			continue;
		}
		*bp = b;
		*sp = s;
		return 0;
	}
	return bad_auth ? -EPERM : seq_hit ? -ESTALE : -ENOENT;
}

/*
 * A BA that changes nothing: count it and say why at debug level, at most
 * REG_IGNORED_LOG_BURST lines a second (a flood must not flood the log).
 * Wire strings are never part of the line. Returns rc.
 */
static int ignored(struct reg_ctx *c, uint64_t now, int rc, const struct in6_addr *src,
		   const struct mh_msg *m, const char *why)
{
	char a1[INET6_ADDRSTRLEN];

	c->ba_ignored++;
	if (now >= c->ign_log_ms + 1000) {
		if (c->ign_suppressed)
			log_debug("%llu more ignored BAs not logged",
				  (unsigned long long)c->ign_suppressed);
		c->ign_log_ms = now;
		c->ign_log_n = 0;
		c->ign_suppressed = 0;
	}
	if (c->ign_log_n >= REG_IGNORED_LOG_BURST) {
		c->ign_suppressed++;
		return rc;
	}
	c->ign_log_n++;
	if (m)
		log_debug("%s seq %u status %u from %s ignored: %s", mh_type_name(m->type),
			  m->seq, m->status, ntop6(src, a1), why);
	else
		log_debug("MH from %s ignored: %s", ntop6(src, a1), why);
	return rc;
}

/*
 * A 146 (authentication failed, RFC 4285 section 6) from one of our
 * anchors, answering by its number a BU of ours still outstanding: the
 * anchor does not hold this host's identity with its key and SPI (a key
 * file or spi that differs at the two ends, or an identity the anchor does
 * not know). The anchor cannot sign that answer with a key it does not
 * share, so it changes nothing here; but without this line the host would
 * only say later that the anchor did not answer. At warning level, once
 * per anchor per REG_AUTH_FAIL_LOG_GAP_MS: anyone can forge a 146 from the
 * anchor's address.
 */
static void say_auth_fail(struct reg_ctx *c, struct reg_anchor *an, const struct mh_msg *m,
			  uint64_t now)
{
	char a1[INET6_ADDRSTRLEN];
	int hit = 0;

	for (struct reg_binding *b = an->bindings; b && !hit; b = b->next)
		if (b->kind != REG_NONE && b->n_sent)
			(void)answered_bu(b, m, &hit);
	if (!hit)
		return;
	an->auth_fail_ms = now;
	if (!ratelimit_spaced(&an->auth_fail_told_ms, REG_AUTH_FAIL_LOG_GAP_MS, now))
		return;
	log_warnx("anchor %s answered our BU seq %u with status 146 (authentication failed): "
		  "it does not hold identity %s with this host's key and spi %u (compare "
		  "identity and key-file at both ends), unless the answer is forged: it is not "
		  "authenticated, so nothing changes and the BU is sent again",
		  ntop6(&an->addr, a1), m->seq, c->cfg.nai, c->cfg.spi);
}

/* when b's last BU left; 0 before its first */
static uint64_t last_sent_ms(const struct reg_binding *b)
{
	return b->n_sent ? b->sent[(b->n_sent - 1) % REG_SEQ_HISTORY].sent_ms : 0;
}

/* A BA from b's anchor, to b's BU that left at sent_ms: it answers, and
 * whatever hold the engine put it on (silent_ms) ends, a deregistration's
 * answer too, which no user hears of */
static void answered(struct reg_binding *b, uint64_t sent_ms, uint64_t now)
{
	char a1[INET6_ADDRSTRLEN];

	/* the end of what he_icmp_bu_unheard() said at warning level (at
	 * debug level if that was held back) */
	if (b->anchor->away) {
		odm_log_at(b->anchor->away_told ? ODM_LOG_INFO : ODM_LOG_DEBUG, 0,
			   "anchor %s answers our BUs again: its agent is back",
			   ntop6(&b->anchor->addr, a1));
		/* the other exchanges out to it went at the outage's pace
		 * (reg_anchor_agent_away): their next BU goes now, not up to
		 * REG_AWAY_RETRY_MS later, the anchor being back. Not one whose
		 * last BU left with or after the one answered: that one reached
		 * the anchor back too, and its answer is on the way (sent again,
		 * each BA would cost a BU per exchange out, and a forged error
		 * before each BA of a move's burst one per BA: RFC 6275 §11.8) */
		for (struct reg_binding *o = b->anchor->bindings; o; o = o->next)
			if (o != b && (o->kind == REG_ALLOC || o->kind == REG_REFRESH) &&
			    o->next_tx_ms > now && (!o->n_sent || last_sent_ms(o) < sent_ms))
				o->next_tx_ms = now;
	}
	/* the end of what say_unheard() said */
	if (b->anchor->unheard_ms)
		odm_log_at(b->anchor->unheard_told ? ODM_LOG_INFO : ODM_LOG_DEBUG, 0,
			   "anchor %s answers our BUs again, %llu ms after the first it left "
			   "unanswered", ntop6(&b->anchor->addr, a1),
			   (unsigned long long)(now - b->anchor->unheard_ms));
	b->anchor->unheard_ms = 0;
	b->anchor->unheard_told = 0;
	b->anchor->silent_ms = 0;
	b->anchor->silent_n = 0;
	b->anchor->away = 0;
	b->anchor->away_told = 0;
}

static void reject(struct reg_ctx *c, struct reg_binding *b, const struct mh_msg *m,
		   const struct reg_sent *s, uint64_t now, const char *why)
{
	struct reg_event ev = { 0 };
	int64_t rtt = (int64_t)(now - s->sent_ms);

	answered(b, s->sent_ms, now);
	ev.kind = REG_EV_REJECTED;
	ev.status = m->status < 128 ? MH_BA_UNSPECIFIED : m->status;
	ev.rtt_ms = rtt;
	ev.why = why;
	if (b->kind == REG_REFRESH)
		b->registered = 0;
	finish(c, b, &ev);
}

static void accepted(struct reg_ctx *c, struct reg_binding *b, const struct mh_msg *m,
		     const struct reg_sent *s, uint64_t now)
{
	struct reg_event ev = { 0 };
	uint32_t life = mh_lifetime_seconds(m->lifetime);
	int64_t rtt = (int64_t)(now - s->sent_ms), path = rtt;
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];

	answered(b, s->sent_ms, now);
	if (b->kind == REG_DEREG) {
		log_debug("deregistration of bid %u acknowledged", b->bid);
		reg_binding_del(c, b);
		return;
	}
	if (b->kind == REG_ALLOC) {
		if (!(m->present & MH_HAS_HNP) || IN6_IS_ADDR_UNSPECIFIED(&m->hnp)) {
			reject(c, b, m, s, now, "BA without a home network prefix");
			return;
		}
		b->hnp = m->hnp;
	} else if ((m->present & MH_HAS_HNP) && !IN6_ARE_ADDR_EQUAL(&m->hnp, &b->hnp)) {
		log_warnx("BA for bid %u names %s, the binding is %s; keeping ours",
			  b->bid, ntop6(&m->hnp, a1), ntop6(&b->hnp, a2));
	}
	if (life == 0) {
		reject(c, b, m, s, now, "BA granted lifetime 0");
		return;
	}
	b->registered = 1;
	b->granted_s = life;
	/* the lifetime runs from when the BU left (RFC 6275 §11.7.1) */
	b->expires_ms = s->sent_ms + (uint64_t)life * 1000;
	b->refresh_ms = now + reg_refresh_delay_ms(life, !!(m->present & MH_HAS_BRA),
						    m->bra_refresh);
	if (b->refresh_ms >= b->expires_ms)
		b->refresh_ms = s->sent_ms + (uint64_t)life * 800;
	/* a BA can only be for a BU sent before it: 0 <= rtt; a round trip
	 * beyond REG_RTT_MAX_MS says more of a lost BU than of the path. The
	 * path's is kept up to the BA's arrival (rx_at_ms): the time a loaded
	 * agent took to read it is no way of a packet, and a move's BU that
	 * added it would name its loss that much too early (the host stopped
	 * 100 ms with the BA queued: a move's BU then said 273 ms for an
	 * outage of 92; with the stamp, 127 for 26, the anchor's own 100 ms
	 * late answer still in it) */
	if (c->rx_at_ms && c->rx_at_ms <= now)
		path = c->rx_at_ms > s->sent_ms ? (int64_t)(c->rx_at_ms - s->sent_ms) : 0;
	if (path >= 0 && path <= REG_RTT_MAX_MS)
		b->anchor->rtt_ms = (uint32_t)path;
	ev.kind = REG_EV_ACCEPTED;
	ev.status = m->status;
	ev.lifetime_s = life;
	ev.rtt_ms = rtt;
	finish(c, b, &ev);
}

/* whether another binding of an than d holds d's address (a new claim of
 * it, or an anchor started again without its state that gave it anew) */
static int hnp_taken(const struct reg_anchor *an, const struct reg_binding *d)
{
	for (const struct reg_binding *o = an->bindings; o; o = o->next)
		if (o != d && o->kind != REG_DEREG && IN6_ARE_ADDR_EQUAL(&o->hnp, &d->hnp))
			return 1;
	return 0;
}

/*
 * Anchor an answered a BU (except: this one's, b): it runs. A
 * deregistration there whose dereg_tries BUs all went unanswered (the
 * anchor down, or its link), parked until the binding would end there,
 * goes again, dereg_tries BUs at most, once: else the anchor kept the
 * binding, its address and its place in the host's quota, and tunnelled
 * to the host's old care-of address, for the rest of its lifetime. Not
 * one whose address another binding of ours has now: it would end that.
 */
static void revive_deregs(struct reg_ctx *c, struct reg_anchor *an, const struct reg_binding *b,
			  uint64_t now)
{
	char a1[INET6_ADDRSTRLEN];

	for (struct reg_binding *d = an->bindings; d; d = d->next) {
		if (d == b || d->kind != REG_DEREG || d->next_tx_ms || d->dereg_revived ||
		    d->tries < c->cfg.dereg_tries || now >= d->dereg_until_ms || hnp_taken(an, d))
			continue;
		d->dereg_revived = 1;
		d->tries = 0;
		d->timeout_ms = reg_initial_timeout(REG_DEREG);
		log_info("anchor %s answers again: the deregistration of bid %u, given up, "
			 "sent again", ntop6(&an->addr, a1), d->bid);
		transmit(c, d, now, 0);
	}
}

int reg_input(struct reg_ctx *c, const uint8_t *buf, size_t len,
	      const struct in6_addr *src, const struct in6_addr *dst, uint64_t now_ms)
{
	struct reg_binding *b = NULL;
	struct reg_sent *s = NULL;
	struct reg_anchor *an;
	struct mh_msg m;
	char a1[INET6_ADDRSTRLEN];
	int rc;

	(void)dst;
	rc = mh_decode(buf, len, &m, NULL, NULL);
	if (rc < 0)
		return ignored(c, now_ms, -EBADMSG, src, NULL, mh_strerror(rc));
	if (m.type != MH_TYPE_BA)
		return ignored(c, now_ms, -EPROTONOSUPPORT, src, &m, "not a BA");
	an = reg_anchor_find(c, src);
	if (!an)
		return ignored(c, now_ms, -ENOENT, src, &m, "not from an anchor of ours");
	if (!(m.present & MH_HAS_AUTH)) {
		if (m.status == MH_BA_AUTH_FAIL)
			say_auth_fail(c, an, &m, now_ms);
		return ignored(c, now_ms, -EPERM, src, &m, "unauthenticated");
	}
	if (m.auth_spi != c->cfg.spi)
		return ignored(c, now_ms, -EPERM, src, &m, "foreign SPI");
	/* If the anchor holds our key and still says our MAC was wrong, it is
	 * answering a BU someone else forged from our fields: never ours. */
	if (m.status == MH_BA_AUTH_FAIL)
		return ignored(c, now_ms, -EACCES, src, &m, "146 answers a BU we did not send");
	if (!(m.present & MH_HAS_REPLAY))
		return ignored(c, now_ms, -ENOMSG, src, &m, "no replay timestamp");
	rc = match_ba(c, an, buf, len, &m, &b, &s);
	if (rc == -EPERM)
		return ignored(c, now_ms, rc, src, &m, "fails authentication");
	if (rc == -ESTALE)
		return ignored(c, now_ms, rc, src, &m,
			       "timestamp is not the one our BU with that number carried");
	if (rc < 0)
		return ignored(c, now_ms, rc, src, &m, "answers no outstanding BU");
	c->ba_in++;
	revive_deregs(c, an, b, now_ms);
	if (m.status < 128) {
		if (s->tagged)
			an->tag_doubt_ms = 0;
		/* one such refusal is forgiven (a lost BU or BA: a link that
		 * flaps loses the BUs of a return), not a second in a row
		 * with no tagged BU accepted between: an anchor older than the
		 * form (or one restarted as such, another at its address),
		 * which naming the packet would cost every move a
		 * retransmission timeout */
		else if (b->tag_sent && !an->tag_doubt_ms)
			an->tag_doubt_ms = now_ms ? now_ms : 1;
		else if (b->tag_sent && b->first_tx_ms > an->tag_doubt_ms && !an->tag_unheard) {
			an->tag_unheard = 1;
			log_info("anchor %s answered BUs after two moves in a row only once they no "
				 "longer named the host's last packet: none named to it any more (an "
				 "anchor older than that option's long form, or two lost BUs); its "
				 "replays go by the time", ntop6(&an->addr, a1));
		}
		accepted(c, b, &m, s, now_ms);
		return 0;
	}
	if (m.status == MH_BA_MESG_ID_REQD) {
		/* RFC 4285 §6: the anchor did not like our timestamp and sent its
		 * clock instead of echoing ours, so nothing proves this BA answers
		 * this BU rather than an old copy of it. Resend once with a fresh
		 * timestamp; never end the exchange on it (its timers do). */
		int64_t late, skew = skew_at_least(m.replay_ts, s->ts,
						    now_ms >= s->sent_ms ? now_ms - s->sent_ms : 0,
						    &late);

		if (skew > REG_CLOCK_SKEW_LOG_MS || skew < -REG_CLOCK_SKEW_LOG_MS)
			log_warnx("anchor %s refused our timestamp; its clock is %+lld ms from ours",
				  ntop6(src, a1), (long long)skew);
		else if (late > REG_CLOCK_SKEW_LOG_MS && !b->retried_145)
			log_info("anchor %s refused the timestamp of our BU seq %u as old: it "
				 "answered %lld ms after the BU left (it did not run meanwhile, or "
				 "the way held the BU), our clocks agree; sending it again",
				 ntop6(src, a1), s->seq, (long long)late);
		/*
		 * Its clock, authenticated, is the one our timestamps to it
		 * must agree with (RFC 4285 section 6): ours set wrong, or set
		 * back, left every BU refused the same way until the binding
		 * ended. Taken as it arrives (the way back, a few ms, is in
		 * the window) when it is more than REG_CLOCK_SKEW_LOG_MS off
		 * the clock of our timestamps: one nearer is in the window,
		 * and our own keeps our BUs above those it accepted; an anchor
		 * that answered late agrees with ours. And a timestamp more
		 * than the window ahead of its clock, refused (ours set ahead
		 * a while, then right again), is not the least for the next
		 * one: later BUs kept above it were refused for as long as our
		 * clock had been ahead.
		 */
		uint64_t ours = c->ops->ntp_now(c->arg);
		int64_t off = mh_ntp_diff_ms(m.replay_ts, ours + (uint64_t)an->clock_off);

		if (off > REG_CLOCK_SKEW_LOG_MS || off < -REG_CLOCK_SKEW_LOG_MS)
			an->clock_off = (int64_t)(m.replay_ts - ours);
		if (mh_ntp_diff_ms(an->last_ts, m.replay_ts) > MH_REPLAY_WINDOW_MS)
			an->last_ts = m.replay_ts;
		if (b->retried_145)
			return 0;
		b->retried_145 = 1;
		transmit(c, b, now_ms, 1);
		return 0;
	}
	if (m.status == MH_BA_SEQ_OUT_OF_WINDOW && b->resyncs < REG_MAX_RESYNC) {
		/* the anchor tells us its last accepted number: go on above it
		 * (a deregistration too: a restarted host's first ones may be
		 * behind). Unless it lies between this BU's number and our
		 * last one: the BUs sent since (a restarted host's burst) are
		 * past it already, and going back would send numbers the
		 * anchor has accepted since, refused again in turn. */
		if ((uint16_t)(m.seq - s->seq) > (uint16_t)(an->seq - s->seq))
			an->seq = m.seq;
		log_info("anchor %s: sequence %u out of window (its last %u), resyncing to %u",
			 ntop6(src, a1), s->seq, m.seq, (uint16_t)(an->seq + 1));
		b->resyncs++;
		transmit(c, b, now_ms, 1);
		return 0;
	}
	if (b->kind == REG_DEREG) {
		log_info("deregistration of bid %u at %s refused: %s", b->bid,
			 ntop6(src, a1), mh_status_name(m.status));
		answered(b, s->sent_ms, now_ms);
		reg_binding_del(c, b);
		return 0;
	}
	reject(c, b, &m, s, now_ms, NULL);
	return 0;
}
