/* SPDX-License-Identifier: MIT */
/*
 * fuzz_hostengine.c — libFuzzer harness for the host engine
 * (odmagent/hostengine.c, lease.c, typetable.c): what applications ask
 * and what anchors, or anyone else, send to the host, in any order.
 *
 * The input is a script of steps against a host with a fake ops table,
 * with or without an access anchor on the host's link (accessclaim.h) and
 * a home anchor:
 * a lease request (any type, protocol, with or without a CHA, ON_NET or
 * not, one of three users), a BA built from fuzzer-chosen fields (which of
 * the last BUs it answers, status, address, right or wrong key) and signed
 * as an anchor would, raw bytes as an MH message (or, odd in length, which
 * BU's source and anchor an ICMPv6 error is about: one about a tunnelled
 * packet, or a Parameter Problem about the BU itself), a move (the CoA and the
 * host's addresses change, or no CoA at all; and which of the host's
 * address, tunnel binding, route, rule and link address additions fail
 * from then on), a tick with socket counts and maybe a datagram waiting
 * unread in the tunnel, a usability poll (maybe after someone else
 * deleted an address, rule or route the engine configured: the kernel's
 * news of it, he_*_gone), registration timers, a release hint, or time
 * going on. A raw message comes from the anchor of the first BU, a
 * stranger, a group or ::, to that BU's source or to a group.
 * Then the agent stops. Checked (abort() on a violation):
 *   - every request is answered exactly once, at the latest at the stop;
 *   - after the stop no address, rule, tunnel binding or route is left on
 *     the host, nor any claim's address put back on its link
 *     (link_addr_add), and nothing is removed that was not added (or
 *     deleted by someone else meanwhile), a link address from the
 *     interface it was put on;
 *   - a lease ends idle only in a step that read the tunnel's queues
 *     first (drain) and found nothing waiting there;
 *   - a type that is not offered never causes a BU (Graceful-replacement
 *     is offered only with the access anchor, Fixed only with the home
 *     anchor);
 *   - the host sends nothing but BUs, and Binding Errors: status 2, one
 *     per message of an unknown MH type (RFC 6275 section 9.2) from a
 *     unicast source to a unicast address, from that address to that
 *     source, and none for anything else; the first HE_BE_RATE such
 *     messages are all answered, and no more than HE_BE_RATE plus
 *     HE_BE_RATE a second since the start ever are (RFC 4443 2.4(e), (f)).
 * LeakSanitizer checks that he_cleanup() frees what was made.
 *
 * fuzz-flags: -max_len=1024
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_cursor.h"
#include "hostengine.h"
#include "log.h"
#include "mh.h"
#include "odm.h"

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			abort();                                          \
	} while (0)

#define MAX_REQ 32
#define MAX_STEPS 20
#define RING 8      /* BUs remembered for answering */
#define NADDR 4     /* addresses the host may have configured */
#define MAX_BOUND 64

static const uint8_t KEY[MH_AUTH_KEY_LEN] = { 0x21, 0x43, 0x65, 0x87, 0xa9, 0xcb, 0xed, 0x0f,
					       8,    7,    6,    5,    4,    3,    2,    1 };

struct aset {
	int n;
	struct in6_addr a[MAX_BOUND];
};

static struct {
	unsigned answers[MAX_REQ + 1];
	int nreq;
	/* configured now: addresses, rules, tunnel bindings, the route; and
	 * what someone else deleted under the engine (outside_delete) */
	struct aset addrs, routes, bound, addrs_taken, routes_taken;
	int rule, rule_taken; /* the one rule to the table, and whether someone took it */
	unsigned fail; /* which of addr_add, tun_bind, route_add, rule_add fail */
	int not_offered;                 /* requests for a type not offered */
	unsigned bus;
	uint8_t bu[RING][MH_MAX_LEN];
	size_t bulen[RING];
	struct in6_addr busrc[RING], budst[RING];
	struct in6_addr coa;
	int coa_rc;
	int usable;
	struct sockdiag_count count;
	uint64_t last_traffic, rx_packets;
	struct in6_addr host[2];
	int nhost;
	/* the raw message being handed over (raw_at), if of an unknown MH
	 * type (raw_unknown); the Binding Errors sent for it and in all */
	int raw_at, raw_unknown;
	struct in6_addr raw_src, raw_dst;
	unsigned be_now, be, eligible;
	/* claims' addresses put back on their link (link_addr_add), a
	 * datagram waiting unread in the tunnel, the drains of this step and
	 * whether one found something */
	struct aset linked;
	int waiting, drains, drained_traffic;
	uint64_t now;
} S;

static void addr_of(unsigned k, uint8_t net, struct in6_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[0] = 0x20;
	a->s6_addr[1] = 0x01;
	a->s6_addr[2] = 0x0d;
	a->s6_addr[3] = 0xb8;
	a->s6_addr[5] = net;
	a->s6_addr[15] = (uint8_t)(k + 1);
}

/* Sets of addresses: an add of one that is there finds it there (as
 * netconf takes EEXIST) */
static int aset_at(const struct aset *s, const struct in6_addr *a)
{
	for (int i = 0; i < s->n; i++)
		if (IN6_ARE_ADDR_EQUAL(&s->a[i], a))
			return i;
	return -1;
}
static void aset_add(struct aset *s, const struct in6_addr *a)
{
	if (aset_at(s, a) < 0) {
		CHECK(s->n < MAX_BOUND);
		s->a[s->n++] = *a;
	}
}
static int aset_del(struct aset *s, const struct in6_addr *a)
{
	int i = aset_at(s, a);

	if (i < 0)
		return 0;
	s->a[i] = s->a[--s->n];
	return 1;
}

static int f_addr_add(void *arg, const struct in6_addr *a)
{
	if (S.fail & 1)
		return -ENOBUFS;
	aset_add(&S.addrs, a);
	aset_del(&S.addrs_taken, a);
	return 0;
}
static int f_addr_del(void *arg, const struct in6_addr *a)
{
	/* only what was added, or what someone else deleted meanwhile */
	if (aset_del(&S.addrs, a))
		return 0;
	CHECK(aset_del(&S.addrs_taken, a));
	return -EADDRNOTAVAIL;
}
static int f_tun_bind(void *arg, const struct in6_addr *a, const struct in6_addr *coa,
		      const struct in6_addr *anchor)
{
	CHECK(coa && anchor);
	if (S.fail & 2)
		return -ENOBUFS;
	aset_add(&S.bound, a); /* or re-binds */
	return 0;
}
static int f_tun_unbind(void *arg, const struct in6_addr *a)
{
	return aset_del(&S.bound, a) ? 0 : -ENOENT; /* as the tunnels say it */
}
static int f_route_add(void *arg, const struct in6_addr *a)
{
	if (S.fail & 4)
		return -ENOBUFS;
	aset_add(&S.routes, a);
	aset_del(&S.routes_taken, a);
	return 0;
}
static int f_route_del(void *arg, const struct in6_addr *a)
{
	if (aset_del(&S.routes, a))
		return 0;
	CHECK(aset_del(&S.routes_taken, a));
	return -ESRCH;
}
static int f_rule_add(void *arg)
{
	CHECK(S.rule == 0);
	if (S.fail & 8)
		return -ENOBUFS;
	S.rule = 1;
	S.rule_taken = 0;
	return 0;
}
static int f_rule_del(void *arg)
{
	if (S.rule == 0 && S.rule_taken) {
		S.rule_taken = 0;
		return -ENOENT;
	}
	CHECK(S.rule-- == 1);
	return 0;
}
#define LINK_IF 7 /* the interface a link address goes on */
static int f_link_addr_add(void *arg, const struct in6_addr *a, const struct in6_addr *beside)
{
	CHECK(beside);
	if (S.fail & 16)
		return -ENODEV;
	aset_add(&S.linked, a);
	return LINK_IF;
}
static int f_link_addr_del(void *arg, const struct in6_addr *a, int ifindex)
{
	CHECK(ifindex == LINK_IF && aset_del(&S.linked, a));
	return 0;
}
/* what waits for the tunnel is read: its traffic counts from now */
static void f_drain(void *arg)
{
	S.drains++;
	if (S.waiting) {
		S.waiting = 0;
		S.last_traffic = S.now;
		S.rx_packets++;
		S.drained_traffic = 1;
	}
}
static int f_addr_usable(void *arg, const struct in6_addr *a)
{
	return S.usable;
}
static int f_last_traffic(void *arg, const struct in6_addr *a, struct he_traffic *t)
{
	t->rx_ms = t->any_ms = S.last_traffic;
	t->rx_packets = S.rx_packets;
	return 0;
}
static int f_count(void *arg, const struct in6_addr *addrs, const struct sockdiag_owner *owners,
		   size_t n, struct sockdiag_count *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = S.count;
	return 0;
}
static int f_destroy_tcp(void *arg, const struct in6_addr *a)
{
	return 1;
}
static int f_destroy_connecting(void *arg, const struct in6_addr *a)
{
	return 1;
}
static int f_coa(void *arg, const struct in6_addr *anchor, const struct in6_addr *cur,
		 struct in6_addr *coa)
{
	if (S.coa_rc)
		return S.coa_rc;
	*coa = S.coa;
	return 0;
}
static void f_ifname(void *arg, const struct in6_addr *a, char name[IF_NAMESIZE])
{
	snprintf(name, IF_NAMESIZE, "eth0");
}
static int f_host_addrs(void *arg, struct in6_addr *out, size_t max)
{
	size_t n = (size_t)S.nhost;

	memcpy(out, S.host, n * sizeof(*out));
	/* and the addresses put back on the link */
	for (int i = 0; i < S.linked.n && n < max; i++)
		out[n++] = S.linked.a[i];
	return (int)n;
}
static int f_send_bu(void *arg, const uint8_t *buf, size_t len, const struct in6_addr *src,
		     const struct in6_addr *dst)
{
	struct mh_msg m;
	unsigned i;

	CHECK(len <= MH_MAX_LEN);
	CHECK(mh_decode(buf, len, &m, NULL, NULL) == 0);
	if (m.type == MH_TYPE_BE) {
		/* one answer to the unknown type being handed over, to
		 * its source, from the address it came to */
		CHECK(S.raw_at && S.raw_unknown && S.be_now++ == 0);
		CHECK(m.status == MH_BE_UNKNOWN_MH);
		CHECK(IN6_ARE_ADDR_EQUAL(src, &S.raw_dst) && IN6_ARE_ADDR_EQUAL(dst, &S.raw_src));
		CHECK(!IN6_IS_ADDR_MULTICAST(dst) && !IN6_IS_ADDR_UNSPECIFIED(dst) &&
		      !IN6_IS_ADDR_MULTICAST(src));
		S.be++;
		return 0;
	}
	CHECK(m.type == MH_TYPE_BU);
	i = S.bus++ % RING;
	memcpy(S.bu[i], buf, len);
	S.bulen[i] = len;
	S.busrc[i] = *src;
	S.budst[i] = *dst;
	return 0;
}
static uint64_t f_ntp(void *arg)
{
	return (0xe9000000ull << 32) + S.bus;
}
static uint16_t f_random16(void *arg)
{
	return 7;
}
static void answered(void *req)
{
	intptr_t k = (intptr_t)req;

	CHECK(k >= 1 && k <= S.nreq);
	CHECK(S.answers[k]++ == 0);
}
static void f_reply(void *arg, void *req, json_t *resp)
{
	CHECK(resp);
	answered(req);
	json_decref(resp);
}
static void f_reply_error(void *arg, void *req, const char *code, const char *msg)
{
	answered(req);
}
static void f_cred(void *arg, const void *req, uid_t *uid, pid_t *pid)
{
	*uid = (uid_t)((intptr_t)req % 3);
	*pid = (pid_t)(100 + (intptr_t)req);
}
static void f_emit(void *arg, const char *kind, json_t *fields,
		   const struct events_audience *to)
{
	const char *why;

	CHECK(fields);
	CHECK(to && (to->everyone || !to->n || to->uids));
	/* ended idle: only once the tunnel was read and held nothing */
	why = json_string_value(json_object_get(fields, "reason"));
	if (!strcmp(kind, "lease-ended") && why && !strcmp(why, "idle"))
		CHECK(S.drains && !S.drained_traffic);
	json_decref(fields);
}
static void f_save(void *arg)
{
}

static const struct he_ops OPS = {
	.addr_add = f_addr_add, .addr_del = f_addr_del, .tun_bind = f_tun_bind,
	.tun_unbind = f_tun_unbind, .route_add = f_route_add, .route_del = f_route_del,
	.rule_add = f_rule_add, .rule_del = f_rule_del, .link_addr_add = f_link_addr_add,
	.link_addr_del = f_link_addr_del, .drain = f_drain, .addr_usable = f_addr_usable,
	.last_traffic = f_last_traffic, .count_sockets = f_count, .destroy_tcp = f_destroy_tcp,
	.destroy_connecting = f_destroy_connecting, .coa = f_coa, .ifname = f_ifname, .host_addrs = f_host_addrs, .send_bu = f_send_bu,
	.ntp_now = f_ntp, .random16 = f_random16, .reply = f_reply,
	.reply_error = f_reply_error, .cred = f_cred, .emit = f_emit, .save = f_save,
};

static const int TYPES[] = { ODM_TYPE_NONE, ODM_TYPE_NON_PERSISTENT, ODM_TYPE_SESSION_LASTING,
			     ODM_TYPE_SESSION_LASTING, ODM_TYPE_FIXED,
			     ODM_TYPE_GRACEFUL_REPLACEMENT };

static void request(struct hostengine *e, struct cursor *c, uint64_t now)
{
	uint8_t f = take8(c);
	struct at_request rq;

	if (S.nreq == MAX_REQ)
		return;
	memset(&rq, 0, sizeof(rq));
	rq.req = (void *)(intptr_t)++S.nreq;
	rq.type = TYPES[(f & 7) % (sizeof(TYPES) / sizeof(TYPES[0]))];
	rq.proto = f & 8 ? IPPROTO_UDP : IPPROTO_TCP;
	rq.has_cha = !(f & 16);
	addr_of(f & 32 ? 1 : 0, 0xca, &rq.cha);
	rq.fresh = !!(f & 64);
	addr_of(0, 0xc0, &rq.dst);
	f_cred(NULL, rq.req, &rq.uid, &rq.pid);
	he_lease_request(e, &rq, now);
	/* no anchor to ask: answered at once (BUs may go out meanwhile: a
	 * request first ends the bindings that ran out, hostengine.c
	 * expire_due, and what follows from their end is sent then) */
	if ((rq.type == ODM_TYPE_FIXED && !e->anchors.has_home) ||
	    (rq.type == ODM_TYPE_GRACEFUL_REPLACEMENT && !e->anchors.has_access))
		CHECK(S.answers[S.nreq] == 1);
}

/* A BA answering one of the last BUs, with fuzzer-chosen status, address, key */
static void ba(struct hostengine *e, struct cursor *c, uint64_t now)
{
	uint8_t f = take8(c), status = take8(c);
	unsigned i;
	struct mh_msg q, m;
	uint8_t buf[MH_MAX_LEN], key[MH_AUTH_KEY_LEN];
	int n;

	if (!S.bus)
		return;
	i = (S.bus - 1 - (f & 7) % (S.bus < RING ? S.bus : RING)) % RING;
	if (mh_decode(S.bu[i], S.bulen[i], &q, NULL, NULL) != 0)
		abort(); /* every BU we sent decodes (f_send_bu) */
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BA;
	m.status = status < 64 ? 0 : status; /* mostly accepted */
	m.seq = q.seq;
	m.lifetime = q.lifetime;
	m.present = MH_HAS_HNP | MH_HAS_BID | MH_HAS_MNID | MH_HAS_REPLAY | MH_HAS_AUTH;
	m.hnp_len = 128;
	if (IN6_IS_ADDR_UNSPECIFIED(&q.hnp))
		addr_of((f >> 3) % NADDR, 0x4a, &m.hnp);
	else
		m.hnp = q.hnp;
	m.bid = q.bid;
	m.bid_status = m.status;
	m.mnid_subtype = MH_MNID_SUBTYPE_NAI;
	m.mnid_len = (uint8_t)strlen("mn1@example.test");
	memcpy(m.mnid, "mn1@example.test", m.mnid_len + 1);
	m.replay_ts = q.replay_ts;
	m.auth_subtype = MH_AUTH_SUBTYPE_MNHA;
	m.auth_spi = 0x1234;
	memcpy(key, KEY, sizeof(key));
	if (f & 0x80)
		key[0] ^= 1; /* forged */
	n = mh_encode(&m, buf, sizeof(buf), key, &S.busrc[i], &m.hnp, NULL, NULL);
	if (n > 0)
		he_mh_input(e, buf, (size_t)n, &S.budst[i], &S.busrc[i], now);
}

/* Someone else deletes the k-th of set (it goes to taken) */
static int take(struct aset *set, struct aset *taken, unsigned k, struct in6_addr *a)
{
	if (!set->n)
		return 0;
	*a = set->a[k % (unsigned)set->n];
	aset_del(set, a);
	aset_add(taken, a);
	return 1;
}

/* Someone else deletes an address, a rule or the route the engine
 * configured (the kernel tells: he_*_gone), which it may put back */
static void outside_delete(struct hostengine *e, unsigned k, uint64_t now)
{
	struct in6_addr a;

	if (k % 3 == 0 && take(&S.addrs, &S.addrs_taken, k / 3, &a))
		he_addr_gone(e, &a, now);
	if (k % 3 == 1 && take(&S.routes, &S.routes_taken, k / 3, &a))
		he_route_gone(e, &a, now);
	if (k % 3 == 2 && S.rule) {
		S.rule = 0;
		S.rule_taken = 1;
		he_rule_gone(e, now);
	}
}

/*
 * Raw bytes as a Mobility Header message, from the anchor of the first BU
 * (or :: before one), a stranger, a group or ::, to that BU's source or to
 * a group: one of an unknown type draws a Binding Error only from a
 * unicast source to a unicast address, within the rate limit
 */
static void raw_mh(struct hostengine *e, const uint8_t *raw, size_t n, uint8_t w,
		   uint64_t now, uint64_t start)
{
	struct mh_msg m;

	S.raw_src = S.budst[0];
	if ((w & 3) == 1)
		addr_of(0, 0xee, &S.raw_src);
	else if ((w & 3) == 2)
		inet_pton(AF_INET6, "ff02::1", &S.raw_src);
	else if ((w & 3) == 3)
		S.raw_src = in6addr_any;
	S.raw_dst = S.busrc[0];
	if (w & 4)
		inet_pton(AF_INET6, "ff02::1", &S.raw_dst);
	S.raw_unknown = mh_decode(raw, n, &m, NULL, NULL) == MH_E_TYPE;
	S.raw_at = 1;
	S.be_now = 0;
	he_mh_input(e, raw, n, &S.raw_src, &S.raw_dst, now);
	S.raw_at = 0;
	if (S.raw_unknown && !IN6_IS_ADDR_MULTICAST(&S.raw_src) &&
	    !IN6_IS_ADDR_UNSPECIFIED(&S.raw_src) && !IN6_IS_ADDR_MULTICAST(&S.raw_dst)) {
		/* the bucket starts full: the first ones are answered */
		S.eligible++;
		CHECK(S.be_now || S.eligible > HE_BE_RATE);
	} else {
		CHECK(S.be_now == 0);
	}
	CHECK(S.be <= HE_BE_RATE + HE_BE_RATE * (now - start) / 1000);
}

static void move(struct cursor *c)
{
	uint8_t f = take8(c);

	S.coa_rc = f & 1 ? -ENETUNREACH : 0;
	addr_of((f >> 1) & 1, 0xa1, &S.coa);
	S.host[0] = S.coa;
	S.nhost = f & 4 ? 0 : 1;
	S.fail = (f >> 3) & 31;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int log_once;
	static struct hostengine e;
	struct cursor c = { data, size };
	struct reg_config rc = { 0 };
	struct lease_policy pol = { .grace_ms = HE_GRACE_MS, .udp_inactivity_s = 5 };
	const uint64_t start = 1000000;
	uint64_t now = start;
	uint8_t anchors;
	uint8_t raw[64] = { 0 };

	if (!log_once) {
		odm_log_init("fuzz_hostengine", ODM_LOG_ERR, 0);
		log_once = 1;
	}
	memset(&S, 0, sizeof(S));
	snprintf(rc.nai, sizeof(rc.nai), "mn1@example.test");
	rc.spi = 0x1234;
	memcpy(rc.key, KEY, sizeof(KEY));
	rc.lifetime_s = 20;
	S.usable = 1;
	move(&c);
	he_init(&e, &OPS, NULL, &rc, &pol, take16(&c));
	anchors = take8(&c);
	if (anchors & 1) {
		/* an access anchor on the link of the CoAs: claims of the host's
		 * own address (Session-lasting without a CHA, Graceful) */
		struct in6_addr ar;

		addr_of(9, 0xa1, &ar);
		access_set_anchors(&e, &ar, 1);
	}
	if (anchors & 2) {
		/* a home anchor: Fixed, and Session-lasting past a silent CHA */
		e.anchors.has_home = 1;
		addr_of(0, 0x4a, &e.anchors.home);
	}
	he_adopted(&e, now);
	for (int step = 0; step < MAX_STEPS && c.n; step++) {
		uint8_t op = take8(&c);

		S.drains = S.drained_traffic = 0;
		S.now = now;

		switch (op % 10) {
		case 0:
		case 1:
			request(&e, &c, now);
			break;
		case 2:
		case 3:
			ba(&e, &c, now);
			break;
		case 4: {
			size_t n = take8(&c) % sizeof(raw);

			for (size_t i = 0; i < n; i++)
				raw[i] = take8(&c);
			/* an ICMPv6 error about a packet from a BU's source to its
			 * anchor: a tunnelled one, or the BU ("unrecognized Next
			 * Header", the anchor's agent away) */
			if ((n & 3) == 1)
				he_icmp_error(&e, &S.busrc[raw[0] % RING], &S.budst[raw[1] % RING], now);
			else if (n & 1)
				he_icmp_bu_unheard(&e, &S.busrc[raw[0] % RING], &S.budst[raw[1] % RING],
						   now);
			else
				raw_mh(&e, raw, n, take8(&c), now, start);
			break;
		}
		case 5:
			move(&c);
			he_move(&e, now);
			break;
		case 6:
			S.count.tcp = take8(&c) & 1;
			S.count.udp = take8(&c) & 1;
			S.last_traffic = now - (take8(&c) & 1) * 6000;
			/* packets keep coming (a stream, a burst) or stop */
			S.rx_packets += (uint64_t)(take8(&c) & 3) * 100;
			/* and one may wait in the tunnel, not read yet */
			S.waiting = take8(&c) & 1;
			he_tick(&e, now);
			break;
		case 7: {
			uint8_t u = take8(&c);

			S.usable = u & 1;
			if (u & 2)
				outside_delete(&e, u >> 2, now);
			he_usable_poll(&e, now);
			break;
		}
		case 8:
			if (he_reg_deadline(&e) && he_reg_deadline(&e) > now)
				now = he_reg_deadline(&e);
			S.now = now;
			he_reg_timers(&e, now);
			break;
		case 9: {
			struct in6_addr a;

			addr_of(take8(&c) % NADDR, 0x4a, &a);
			he_release_hint(&e, &a, now, NULL);
			now += (uint64_t)take16(&c) * 4;
			break;
		}
		}
	}
	S.drains = S.drained_traffic = 0;
	S.now = now;
	he_stop(&e, now);
	for (int k = 1; k <= S.nreq; k++)
		CHECK(S.answers[k] == 1);
	CHECK(S.addrs.n == 0 && S.routes.n == 0 && S.rule == 0 && S.bound.n == 0 &&
	      S.linked.n == 0);
	he_cleanup(&e);
	return 0;
}
