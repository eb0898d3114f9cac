/* SPDX-License-Identifier: MIT */
/*
 * test_hostengine.c — the host role's engine without root or sockets: a
 * recording ops table stands for the host (addresses, tunnel, sock_diag,
 * MH socket, control replies, events), time is passed in, BAs are built
 * here with the codec as an anchor would. Each address type is taken
 * through its whole life: request, grant, reuse, fresh, move, last socket
 * closed, UDP idle, refusal, anchor silent, agent stopping.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hostengine.h"
#include "log.h"
#include "logread.h"
#include "mh.h"
#include "mn_state.h"
#include "odm.h"
#include "replay.h"
#include "reqlog.h"
#include "testaddr.h"

#define T0 5000000ull
#define MAXLOG 1024
#define MAXBU 128
#define MAXREP 32
#define MAXEV 128

static const uint8_t KEY[MH_AUTH_KEY_LEN] = { 0x21, 0x43, 0x65, 0x87, 0xa9, 0xcb, 0xed, 0x0f,
					       8,    7,    6,    5,    4,    3,    2,    1 };

/* What the fake host was asked, and what it answers */
static struct {
	char log[MAXLOG][128]; /* host operations, in order */
	int nlog;
	uint8_t bu[MAXBU][MH_MAX_LEN];
	size_t bulen[MAXBU];
	struct in6_addr busrc[MAXBU], budst[MAXBU];
	int nbu;
	uint8_t icmp[4][MHPARAM_MAX_LEN]; /* ICMPv6 messages sent (send_icmp) */
	size_t icmplen[4];
	struct in6_addr icmpsrc[4], icmpdst[4];
	int nicmp;
	struct {
		intptr_t req;
		char code[32];   /* "" for a success */
		char addr[INET6_ADDRSTRLEN];
		int plain;
	} rep[MAXREP];
	int nrep;
	json_t *ev[MAXEV];
	int nev;
	int saves;

	int usable;                 /* addr_usable's answer */
	struct sockdiag_count count; /* every address's socket count */
	long count_owner;           /* the owner the last count named first (-1: none) */
	uint64_t last_traffic;
	uint64_t queued_traffic;    /* a packet the tunnel has not read yet (drain: 0 none) */
	int drains;
	uint64_t rx_seen;           /* last_traffic's rx */
	uint64_t rx_packets;        /* ... and its count of packets received */
	int traffic_rc;             /* last_traffic's answer */
	uint64_t last_rx;
	uint32_t last_tag;          /* last_rx's tag */
	struct in6_addr coa;
	int coa_rc;
	uint32_t downs;             /* coa_link's count of carrier losses */
	int link_rc;                /* coa_link's answer */
	int link_nbu;               /* nbu at coa_link's last call; -1: none */
	struct in6_addr host[4];
	int nhost;
	struct in6_addr host4[4];   /* IPv4 ones, v4-mapped */
	int nhost4;
	int destroyed;              /* destroy_tcp's answer */
	int connecting;             /* destroy_connecting's answer */
	int fail_route;             /* route_add fails */
	int fail_rule;              /* rule_add fails */
	int fail_addr;              /* addr_add fails */
	int link_found;             /* link_addr_found's answer: where a killed
				     * run left an address it put back */
	uint16_t ba_units;          /* lifetime the anchor grants (0: 300 s) */
	int send_rc;                /* send_bu's answer (the BU is kept either way) */
} F;

static struct hostengine E;
static struct in6_addr ANCHOR, CN, COA1, COA2, HOA1, HOA2, WLAN;

/* Records "op[ a[ b]]" */
static void logf_(const char *op, const struct in6_addr *a, const struct in6_addr *b)
{
	char s1[INET6_ADDRSTRLEN] = "", s2[INET6_ADDRSTRLEN] = "";

	cr_assert_lt(F.nlog, MAXLOG);
	if (a)
		inet_ntop(AF_INET6, a, s1, sizeof(s1));
	if (b)
		inet_ntop(AF_INET6, b, s2, sizeof(s2));
	snprintf(F.log[F.nlog++], sizeof(F.log[0]), "%s%s%s%s%s", op, a ? " " : "", s1,
		 b ? " " : "", s2);
}

static int f_addr_add(void *arg, const struct in6_addr *a)
{
	logf_("addr_add", a, NULL);
	return F.fail_addr ? -ENODEV : 0;
}
static int f_addr_del(void *arg, const struct in6_addr *a)
{
	logf_("addr_del", a, NULL);
	return 0;
}
static int f_link_addr_add(void *arg, const struct in6_addr *a, const struct in6_addr *beside)
{
	logf_("link_addr_add", a, beside);
	return 7; /* eth0's index */
}
static int f_link_addr_del(void *arg, const struct in6_addr *a, int ifindex)
{
	logf_(ifindex == 7 ? "link_addr_del" : "link_addr_del (another interface)", a, NULL);
	return 0;
}
static int f_link_addr_found(void *arg, const struct in6_addr *a)
{
	logf_("link_addr_found", a, NULL);
	return F.link_found;
}
static int f_tun_bind(void *arg, const struct in6_addr *a, const struct in6_addr *coa,
		      const struct in6_addr *anchor)
{
	logf_("bind", a, coa);
	return 0;
}
static void f_tun_hold(void *arg, const struct in6_addr *coa, const struct in6_addr *anchor)
{
	logf_("hold", coa, anchor);
}
static int f_tun_unbind(void *arg, const struct in6_addr *a)
{
	logf_("unbind", a, NULL);
	return 0;
}
static int f_route_add(void *arg, const struct in6_addr *a)
{
	logf_("route_add", a, NULL);
	return F.fail_route ? -EEXIST : 0;
}
static int f_route_del(void *arg, const struct in6_addr *a)
{
	logf_("route_del", a, NULL);
	return 0;
}
static int f_rule_add(void *arg)
{
	logf_("rule_add", NULL, NULL);
	return F.fail_rule ? -EPERM : 0;
}
static int f_rule_del(void *arg)
{
	logf_("rule_del", NULL, NULL);
	return 0;
}
static int f_addr_usable(void *arg, const struct in6_addr *a)
{
	return F.usable;
}
static int f_last_traffic(void *arg, const struct in6_addr *a, struct he_traffic *t)
{
	t->rx_ms = F.rx_seen;
	t->any_ms = F.last_traffic;
	t->rx_packets = F.rx_packets;
	return F.traffic_rc;
}
static void f_drain(void *arg)
{
	F.drains++;
	if (F.queued_traffic > F.last_traffic)
		F.last_traffic = F.queued_traffic;
	F.queued_traffic = 0;
}
static int f_last_rx(void *arg, const struct in6_addr *a, uint64_t *ms, uint32_t *tag)
{
	*ms = F.last_rx;
	*tag = F.last_tag;
	return 0;
}
static int f_count(void *arg, const struct in6_addr *addrs, const struct sockdiag_owner *owners,
		   size_t n, struct sockdiag_count *out)
{
	F.count_owner = owners && n ? (long)owners[0].uid : -1;
	for (size_t i = 0; i < n; i++)
		out[i] = F.count;
	logf_("count", NULL, NULL);
	return 0;
}
static int f_destroy_tcp(void *arg, const struct in6_addr *a)
{
	logf_("destroy_tcp", a, NULL);
	return F.destroyed;
}
static int f_destroy_udp(void *arg, const struct in6_addr *a)
{
	logf_("destroy_udp", a, NULL);
	return 1;
}
static int f_destroy_connecting(void *arg, const struct in6_addr *a)
{
	logf_("destroy_connecting", a, NULL);
	return F.connecting;
}
static int f_coa(void *arg, const struct in6_addr *anchor, const struct in6_addr *cur,
		 struct in6_addr *coa)
{
	if (F.coa_rc < 0)
		return F.coa_rc;
	*coa = F.coa;
	return 0;
}
static int f_coa_link(void *arg, const struct in6_addr *coa, int *ifindex, uint32_t *downs)
{
	F.link_nbu = F.nbu;
	if (F.link_rc < 0)
		return F.link_rc;
	*ifindex = IN6_ARE_ADDR_EQUAL(coa, &COA2) ? 3 : 2;
	*downs = F.downs;
	return 0;
}
static void f_ifname(void *arg, const struct in6_addr *a, char name[IF_NAMESIZE])
{
	snprintf(name, IF_NAMESIZE, "%s", IN6_ARE_ADDR_EQUAL(a, &COA2) ? "wlan0" : "eth0");
}
static int f_host_addrs(void *arg, struct in6_addr *out, size_t max)
{
	memcpy(out, F.host, (size_t)F.nhost * sizeof(*out));
	return F.nhost;
}
static int f_host_addrs4(void *arg, struct in6_addr *out, size_t max)
{
	memcpy(out, F.host4, (size_t)F.nhost4 * sizeof(*out));
	return F.nhost4;
}
static int f_send_bu(void *arg, const uint8_t *buf, size_t len, const struct in6_addr *src,
		     const struct in6_addr *dst)
{
	cr_assert_lt(F.nbu, MAXBU);
	memcpy(F.bu[F.nbu], buf, len);
	F.bulen[F.nbu] = len;
	F.busrc[F.nbu] = *src;
	F.budst[F.nbu] = *dst;
	F.nbu++;
	logf_("send_bu", NULL, NULL);
	return F.send_rc;
}
static int f_send_icmp(void *arg, const uint8_t *buf, size_t len, const struct in6_addr *src,
		       const struct in6_addr *dst)
{
	int i = F.nicmp++ % 4;

	cr_assert_leq(len, sizeof(F.icmp[i]));
	memcpy(F.icmp[i], buf, len);
	F.icmplen[i] = len;
	F.icmpsrc[i] = *src;
	F.icmpdst[i] = *dst;
	return 0;
}
static uint64_t f_ntp(void *arg)
{
	return (0xe9000000ull << 32) + (uint64_t)F.nbu; /* rises with every BU */
}
static uint16_t f_random16(void *arg)
{
	return 4000;
}
static void f_reply(void *arg, void *req, json_t *resp)
{
	const char *addr = json_string_value(json_object_get(resp, "addr"));

	cr_assert_lt(F.nrep, MAXREP);
	F.rep[F.nrep].req = (intptr_t)req;
	F.rep[F.nrep].code[0] = '\0';
	snprintf(F.rep[F.nrep].addr, sizeof(F.rep[0].addr), "%s", addr ? addr : "");
	F.rep[F.nrep].plain = json_is_true(json_object_get(resp, "plain"));
	F.nrep++;
	json_decref(resp);
}
static void f_reply_error(void *arg, void *req, const char *code, const char *msg)
{
	cr_assert_lt(F.nrep, MAXREP);
	F.rep[F.nrep].req = (intptr_t)req;
	snprintf(F.rep[F.nrep].code, sizeof(F.rep[0].code), "%s", code);
	F.rep[F.nrep].addr[0] = '\0';
	F.rep[F.nrep].plain = 0;
	F.nrep++;
}
/* request k comes from uid 1000 + k / 10, pid 200 + k */
static void f_cred(void *arg, const void *req, uid_t *uid, pid_t *pid)
{
	*uid = (uid_t)(1000 + (intptr_t)req / 10);
	*pid = (pid_t)(200 + (intptr_t)req);
}
static void f_emit(void *arg, const char *kind, json_t *fields,
		   const struct events_audience *to)
{
	cr_assert_not_null(fields, "event %s without fields", kind);
	cr_assert_lt(F.nev, MAXEV);
	json_object_set_new(fields, "event", json_string(kind));
	/* who it is for, as the recorder's own fields (never sent) */
	cr_assert_not_null(to, "event %s without an audience", kind);
	json_object_set_new(fields, "_everyone", json_boolean(to->everyone));
	json_object_set_new(fields, "_uids", json_array());
	for (size_t i = 0; i < to->n; i++)
		json_array_append_new(json_object_get(fields, "_uids"),
				      json_integer((json_int_t)to->uids[i]));
	F.ev[F.nev++] = fields;
}
static void f_save(void *arg)
{
	F.saves++;
}
/* allocations journaled, and how many BUs had left by then */
static struct {
	struct in6_addr anchor;
	uint16_t bid;
	char type[24];
	struct in6_addr addr; /* :: for none */
	int bus_before;
} JR[8];
static int NJR;
static void f_journal(void *arg, const struct in6_addr *anchor, uint16_t bid, const char *type,
		      const struct in6_addr *addr)
{
	if (NJR == 8)
		return; /* (tests that need more do not look) */
	JR[NJR].addr = addr ? *addr : in6addr_any;
	JR[NJR].anchor = *anchor;
	JR[NJR].bid = bid;
	snprintf(JR[NJR].type, sizeof(JR[0].type), "%s", type);
	JR[NJR].bus_before = F.nbu;
	NJR++;
}

static const struct he_ops OPS = {
	.tun_hold = f_tun_hold,
	.addr_add = f_addr_add, .addr_del = f_addr_del, .tun_bind = f_tun_bind,
	.link_addr_add = f_link_addr_add, .link_addr_del = f_link_addr_del,
	.link_addr_found = f_link_addr_found,
	.tun_unbind = f_tun_unbind, .route_add = f_route_add, .route_del = f_route_del,
	.rule_add = f_rule_add, .rule_del = f_rule_del, .addr_usable = f_addr_usable,
	.last_traffic = f_last_traffic, .drain = f_drain, .last_rx = f_last_rx, .count_sockets = f_count, .destroy_tcp = f_destroy_tcp,
	.destroy_udp = f_destroy_udp,
	.destroy_connecting = f_destroy_connecting, .coa = f_coa, .coa_link = f_coa_link, .ifname = f_ifname, .host_addrs = f_host_addrs, .host_addrs4 = f_host_addrs4, .send_bu = f_send_bu,
	.send_icmp = f_send_icmp, .ntp_now = f_ntp, .random16 = f_random16, .reply = f_reply,
	.reply_error = f_reply_error, .cred = f_cred, .emit = f_emit, .save = f_save,
	.journal = f_journal,
};

static void setup(void)
{
	struct reg_config rc = { 0 };
	struct lease_policy pol = { .grace_ms = HE_GRACE_MS, .udp_inactivity_s = 30 };

	odm_log_init("test", ODM_LOG_ERR, 0);
	memset(&F, 0, sizeof(F));
	NJR = 0;
	ANCHOR = A("2001:db8:ca::10");
	CN = A("2001:db8:c0::80");
	COA1 = A("2001:db8:a1::5");
	COA2 = A("2001:db8:a2::5");
	HOA1 = A("2001:db8:c4a::101");
	HOA2 = A("2001:db8:c4a::102");
	WLAN = A("2001:db8:a1::5");
	F.usable = 1;
	F.coa = COA1;
	F.host[0] = COA1;
	F.nhost = 1;
	inet_pton(AF_INET6, "::ffff:198.18.1.100", &F.host4[0]);
	F.nhost4 = 1;
	snprintf(rc.nai, sizeof(rc.nai), "mn1@example.test");
	rc.spi = 0x1234;
	memcpy(rc.key, KEY, sizeof(KEY));
	rc.lifetime_s = 300;
	he_init(&E, &OPS, NULL, &rc, &pol, 100);
	he_adopted(&E, T0); /* nothing to adopt: takes the first address snapshot */
}

static void teardown(void)
{
	he_stop(&E, T0);
	he_cleanup(&E);
	for (int i = 0; i < F.nev; i++)
		json_decref(F.ev[i]);
}

TestSuite(hostengine, .init = setup, .fini = teardown);

/* ---- helpers ---- */

static void request(intptr_t req, int type, int proto, int with_cha, int fresh, uint64_t now)
{
	struct at_request rq = { .req = (void *)req, .type = type, .proto = proto,
				 .dst = CN, .has_cha = with_cha, .cha = ANCHOR,
				 .fresh = fresh };

	f_cred(NULL, rq.req, &rq.uid, &rq.pid);
	he_lease_request(&E, &rq, now);
}

static struct mh_msg bu(int i)
{
	struct mh_msg m;

	cr_assert_lt(i, F.nbu, "BU %d was never sent (%d sent)", i, F.nbu);
	cr_assert_eq(mh_decode(F.bu[i], F.bulen[i], &m, NULL, NULL), 0);
	cr_assert_eq(m.type, MH_TYPE_BU);
	return m;
}

static int bu_hnp_is(int i, const struct in6_addr *a)
{
	struct mh_msg m = bu(i);

	return IN6_ARE_ADDR_EQUAL(&m.hnp, a);
}

/* The BU i names the service (NULL: none) */
static int bu_service_is(int i, const char *svc)
{
	struct mh_msg m = bu(i);

	if (!svc)
		return !(m.present & MH_HAS_SERVICE);
	return (m.present & MH_HAS_SERVICE) && m.service_len == strlen(svc) &&
	       memcmp(m.service, svc, m.service_len) == 0;
}

/* The anchor answers BU i with status, the address hnp (NULL: the BU's). */
static void answer(int i, uint8_t status, const struct in6_addr *hnp, uint64_t now)
{
	struct mh_msg q = bu(i), m;
	uint8_t buf[MH_MAX_LEN];
	int n;

	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BA;
	m.status = status;
	m.seq = q.seq;
	m.lifetime = F.ba_units ? F.ba_units : mh_lifetime_units(300);
	m.present = MH_HAS_HNP | MH_HAS_BID | MH_HAS_MNID | MH_HAS_REPLAY | MH_HAS_AUTH;
	m.hnp_len = 128;
	m.hnp = hnp ? *hnp : q.hnp;
	m.bid = q.bid;
	m.bid_status = status;
	m.mnid_subtype = MH_MNID_SUBTYPE_NAI;
	m.mnid_len = (uint8_t)strlen("mn1@example.test");
	strcpy(m.mnid, "mn1@example.test");
	m.replay_ts = q.replay_ts;
	m.auth_subtype = MH_AUTH_SUBTYPE_MNHA;
	m.auth_spi = 0x1234;
	n = mh_encode(&m, buf, sizeof(buf), KEY, &F.busrc[i], &m.hnp, NULL, NULL);
	cr_assert_gt(n, 0);
	he_mh_input(&E, buf, (size_t)n, &F.budst[i], &F.busrc[i], now);
}

/* Index of the first log line from `from` on equal to s, -1 if none. */
static int logged(const char *s, int from)
{
	for (int i = from; i < F.nlog; i++)
		if (strcmp(F.log[i], s) == 0)
			return i;
	return -1;
}

static int logged_addr(const char *op, const struct in6_addr *a, int from)
{
	char s[128], t[INET6_ADDRSTRLEN];

	snprintf(s, sizeof(s), "%s %s", op, inet_ntop(AF_INET6, a, t, sizeof(t)));
	return logged(s, from);
}

static int logged_pair(const char *op, const struct in6_addr *a, const struct in6_addr *b, int from)
{
	char s[160], t[INET6_ADDRSTRLEN], u[INET6_ADDRSTRLEN];

	snprintf(s, sizeof(s), "%s %s %s", op, inet_ntop(AF_INET6, a, t, sizeof(t)),
		 inet_ntop(AF_INET6, b, u, sizeof(u)));
	return logged(s, from);
}

/* The n-th (0-based) event of kind, NULL if none. */
static json_t *event(const char *kind, int n)
{
	for (int i = 0; i < F.nev; i++)
		if (strcmp(json_string_value(json_object_get(F.ev[i], "event")), kind) == 0 &&
		    n-- == 0)
			return F.ev[i];
	return NULL;
}

static int event_index(const char *kind)
{
	for (int i = 0; i < F.nev; i++)
		if (strcmp(json_string_value(json_object_get(F.ev[i], "event")), kind) == 0)
			return i;
	return -1;
}

static const char *str(json_t *ev, const char *key)
{
	cr_assert_not_null(ev);
	return json_string_value(json_object_get(ev, key));
}

/* Request 1 granted HOA1 through a full allocation; returns at T0 + 50. */
/* granted()'s 50 ms round trip: what a move's BU adds for the last packet's
 * way to the host and its own to the anchor (registration.c) */
#define GRANTED_WAY 50

static void granted(int proto)
{
	request(1, ODM_TYPE_SESSION_LASTING, proto, 1, 0, T0);
	cr_assert_eq(F.nbu, 1);
	answer(0, MH_BA_ACCEPTED, &HOA1, T0 + 50);
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "");
	assert_addr(&E.leases.head->addr, "2001:db8:c4a::101");
}

/* ---- session-lasting ---- */

Test(hostengine, session_request_allocates_configures_and_grants)
{
	struct mh_msg m;
	int a, b, r, u;

	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	cr_assert_eq(F.nbu, 1, "one allocation BU");
	m = bu(0);
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&m.hnp), "an allocation asks for ::");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[0], &COA1), "sent from the CoA");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[0], &ANCHOR));
	cr_assert_eq(F.nrep, 0, "no answer before the BA");
	cr_assert_str_eq(str(event("bu-sent", 0), "addr"), "::");
	cr_assert_eq(json_integer_value(json_object_get(event("bu-sent", 0), "seq")), m.seq);

	answer(0, MH_BA_ACCEPTED, &HOA1, T0 + 40);
	a = logged_addr("addr_add", &HOA1, 0);
	b = logged("bind 2001:db8:c4a::101 2001:db8:a1::5", 0);
	r = logged_addr("route_add", &HOA1, 0);
	u = logged("rule_add", 0);
	cr_assert(a >= 0 && a < b && b < r && r < u,
		  "address, tunnel binding, route, rule in order (%d %d %d %d)", a, b, r, u);
	cr_assert_eq(F.nrep, 1);
	cr_assert_eq(F.rep[0].req, 1);
	cr_assert_str_eq(F.rep[0].addr, "2001:db8:c4a::101");
	cr_assert_str_eq(str(event("lease-granted", 0), "addr"), "2001:db8:c4a::101");
	cr_assert_str_eq(str(event("lease-granted", 0), "type"), "session-lasting");
	cr_assert_str_eq(str(event("lease-granted", 0), "proto"), "tcp");
	cr_assert(json_is_false(json_object_get(event("lease-granted", 0), "reused")));
	cr_assert_eq(json_integer_value(json_object_get(event("lease-granted", 0), "pid")), 201);
	cr_assert_lt(event_index("ba-received"), event_index("lease-granted"),
		     "the BA is told before what it caused");
	cr_assert_eq(json_integer_value(json_object_get(event("ba-received", 0), "status")), 0);
	cr_assert_gt(F.saves, 0, "state saved after the events");
}

/* ---- the journal of allocations not saved yet (mn_journal.h) ---- */

Test(hostengine, an_allocation_is_journaled_before_its_bu_and_while_its_binding_lives)
{
	uint16_t bid;

	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	cr_assert_eq(NJR, 1, "one allocation, one line");
	cr_assert_eq(JR[0].bus_before, 0, "journaled before its BU left");
	cr_assert(IN6_ARE_ADDR_EQUAL(&JR[0].anchor, &ANCHOR));
	bid = bu(0).bid;
	cr_assert_eq(JR[0].bid, bid);
	cr_assert_str_eq(JR[0].type, "session-lasting");
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&JR[0].addr), "no address before the BA");
	cr_assert(he_journal_keep(&E, &ANCHOR, bid), "needed while the BA is awaited");
	answer(0, MH_BA_ACCEPTED, &HOA1, T0 + 40);
	/* its address once configured: the next run ends the sockets on it
	 * even where nothing in the kernel names it any more */
	cr_assert_eq(NJR, 2, "a second line, with the address");
	cr_assert_eq(JR[1].bid, bid);
	cr_assert(IN6_ARE_ADDR_EQUAL(&JR[1].anchor, &ANCHOR));
	cr_assert(IN6_ARE_ADDR_EQUAL(&JR[1].addr, &HOA1));
	cr_assert_str_eq(JR[1].type, "session-lasting");
	/* saved in the state too: a next run that cannot read the state
	 * (cut short, damaged, of another version) still deregisters it and
	 * ends the sockets on its address (odmagent(8) Restarts) */
	cr_assert(he_journal_keep(&E, &ANCHOR, bid), "a registered lease is kept all the same");
	he_tick(&E, T0 + 1000);
	cr_assert(he_journal_keep(&E, &ANCHOR, bid), "and while it is in use");
	cr_assert_not(he_journal_keep(&E, &COA2, bid), "another anchor holds nothing");
	/* it ends: its deregistration in flight is not in the state */
	F.count = (struct sockdiag_count){ 0 };
	he_tick(&E, T0 + HE_GRACE_MS + 1000);
	cr_assert_eq(E.leases.n, 0);
	cr_assert(he_journal_keep(&E, &ANCHOR, bid), "needed until its deregistration's BA");
	answer(F.nbu - 1, MH_BA_ACCEPTED, &HOA1, T0 + HE_GRACE_MS + 1040);
	cr_assert_not(he_journal_keep(&E, &ANCHOR, bid), "gone with its BA");
}

Test(hostengine, the_orphans_of_the_last_run_are_deregistered_by_bid)
{
	struct in6_addr anchors[3];
	uint16_t bids[3] = { 0, 77, 77 };
	const char *types[3] = { "session-lasting", "session-lasting", "session-lasting" };
	struct mh_msg m;
	int n0;

	granted(IPPROTO_TCP); /* a lease taken over: its BID is no orphan */
	bids[0] = E.leases.head->id;
	anchors[0] = anchors[1] = anchors[2] = ANCHOR;
	n0 = F.nbu;
	cr_assert_eq(he_deregister_orphans(&E, anchors, bids, types, 3, T0 + 100), 1,
		     "one orphan: the lease's BID and a line twice are not");
	cr_assert_eq(F.nbu, n0 + 1);
	m = bu(n0);
	cr_assert_eq(m.lifetime, 0, "a deregistration");
	cr_assert_eq(m.bid, 77);
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&m.hnp), "by its BID alone");
	cr_assert(m.present & MH_HAS_SERVICE, "in its type's mode, never the home one");
	cr_assert_eq(m.service_len, strlen("session-lasting"));
	cr_assert(!memcmp(m.service, "session-lasting", m.service_len));
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[n0], &ANCHOR));
	cr_assert(he_journal_keep(&E, &ANCHOR, 77), "kept in the journal until answered");
	answer(n0, MH_BA_ACCEPTED, NULL, T0 + 140);
	cr_assert_not(he_journal_keep(&E, &ANCHOR, 77));
	cr_assert_eq(E.leases.n, 1, "the lease taken over is left alone");
}

Test(hostengine, same_owner_shares_other_owner_and_fresh_do_not)
{
	granted(IPPROTO_TCP);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 100);
	cr_assert_eq(F.nbu, 1, "sharing sends no BU");
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:c4a::101");
	cr_assert(json_is_true(json_object_get(event("lease-granted", 1), "reused")));

	request(3, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 1, 0, T0 + 110);
	cr_assert_eq(F.nbu, 2, "another protocol: its own address");
	request(11, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 120);
	cr_assert_eq(F.nbu, 3, "another user (uid 1001): its own address");
	request(4, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 1, T0 + 130);
	cr_assert_eq(F.nbu, 4, "ON_NET (fresh): a new allocation");
	cr_assert(bu_hnp_is(3, &in6addr_any));
	answer(3, MH_BA_ACCEPTED, &HOA2, T0 + 160);
	cr_assert_str_eq(F.rep[F.nrep - 1].addr, "2001:db8:c4a::102");
	cr_assert_eq(F.rep[F.nrep - 1].req, 4);
	/* the fresh address stays its socket's own: a later ordinary request
	 * of the same user shares the first lease, never the fresh one */
	request(5, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 200);
	cr_assert_eq(F.nbu, 4, "sharing sends no BU");
	cr_assert_eq(F.rep[F.nrep - 1].req, 5);
	cr_assert_str_eq(F.rep[F.nrep - 1].addr, "2001:db8:c4a::101");
}

/* A lease's route deleted by someone else is put back; one deleted by the
 * agent itself as the lease ended is not. */
Test(hostengine, a_route_deleted_under_a_lease_is_put_back)
{
	int mark;

	granted(IPPROTO_TCP);
	mark = F.nlog;
	cr_assert_eq(he_route_gone(&E, &HOA1, T0 + 100), 1);
	cr_assert_geq(logged_addr("route_add", &HOA1, mark), 0, "the route is added again");
	mark = F.nlog;
	cr_assert_eq(he_route_gone(&E, &HOA2, T0 + 110), 0, "no lease of that address");
	cr_assert_eq(F.nlog, mark, "nothing done for it");
	F.fail_route = 1;
	cr_assert_lt(he_route_gone(&E, &HOA1, T0 + 120), 0, "a failure to put it back is told");
	F.fail_route = 0;
	lease_end(&E, E.leases.head, "unused", "test");
	mark = F.nlog;
	cr_assert_eq(he_route_gone(&E, &HOA1, T0 + 130), 0, "the agent's own deletion");
	cr_assert_eq(logged_addr("route_add", &HOA1, mark), -1);
}

/* A lease's address deleted by someone else is put back; not when the
 * kernel has it again (an old event), nor after the lease ended. */
Test(hostengine, an_address_deleted_under_a_lease_is_put_back)
{
	int mark;

	granted(IPPROTO_TCP);
	F.usable = 0;
	mark = F.nlog;
	cr_assert_eq(he_addr_gone(&E, &HOA1, T0 + 100), 1);
	cr_assert_geq(logged_addr("addr_add", &HOA1, mark), 0, "the address is added again");
	F.usable = 1;
	mark = F.nlog;
	cr_assert_eq(he_addr_gone(&E, &HOA1, T0 + 105), 0, "there again: an old event");
	cr_assert_eq(logged_addr("addr_add", &HOA1, mark), -1);
	F.usable = 0;
	cr_assert_eq(he_addr_gone(&E, &HOA2, T0 + 110), 0, "no lease of that address");
	F.fail_addr = 1;
	cr_assert_lt(he_addr_gone(&E, &HOA1, T0 + 120), 0, "a failure to put it back is told");
	F.fail_addr = 0;
	lease_end(&E, E.leases.head, "unused", "test");
	mark = F.nlog;
	cr_assert_eq(he_addr_gone(&E, &HOA1, T0 + 130), 0, "the agent's own deletion");
	cr_assert_eq(logged_addr("addr_add", &HOA1, mark), -1);
}

/* The rule to the table deleted by someone else: put back while a lease
 * is configured; not after the agent removed it with its last lease. */
Test(hostengine, the_rule_deleted_under_leases_is_put_back)
{
	int mark;

	cr_assert_eq(he_rule_gone(&E, T0), 0, "no lease, no rule to keep");
	granted(IPPROTO_TCP);
	mark = F.nlog;
	cr_assert_eq(he_rule_gone(&E, T0 + 100), 1);
	cr_assert_geq(logged("rule_add", mark), 0, "the rule is added again");
	F.fail_rule = 1;
	cr_assert_lt(he_rule_gone(&E, T0 + 110), 0, "a failure to put it back is told");
	F.fail_rule = 0;
	lease_end(&E, E.leases.head, "unused", "test");
	mark = F.nlog;
	cr_assert_eq(he_rule_gone(&E, T0 + 130), 0, "the agent's own deletion");
	cr_assert_eq(logged("rule_add", mark), -1);
}

/* Two leases share the one rule: it is added with the first and removed
 * with the last, while each lease's route comes and goes with it. */
Test(hostengine, one_rule_for_all_leases)
{
	int mark;

	granted(IPPROTO_TCP);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 1, T0 + 50);
	answer(F.nbu - 1, MH_BA_ACCEPTED, &HOA2, T0 + 60);
	cr_assert_eq(F.nrep, 2);
	cr_assert_geq(logged_addr("route_add", &HOA2, 0), 0, "the second lease's route");
	cr_assert_eq(logged("rule_add", logged("rule_add", 0) + 1), -1, "the rule added once");
	mark = F.nlog;
	lease_end(&E, E.leases.head, "unused", "test");
	cr_assert_eq(logged("rule_del", mark), -1, "a lease is left: the rule stays");
	lease_end(&E, E.leases.head, "unused", "test");
	cr_assert_geq(logged("rule_del", mark), 0, "the last one gone: the rule goes");
	cr_assert_geq(logged_addr("route_del", &HOA1, mark), 0);
	cr_assert_geq(logged_addr("route_del", &HOA2, mark), 0);
}

Test(hostengine, parallel_requests_wait_on_one_allocation)
{
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 1);
	cr_assert_eq(F.nbu, 1, "the second request joins the first allocation");
	answer(0, MH_BA_ACCEPTED, &HOA1, T0 + 30);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[0].addr, "2001:db8:c4a::101");
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:c4a::101");
}

Test(hostengine, old_binding_is_confirmed_before_reuse)
{
	granted(IPPROTO_TCP);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 50 + HE_CONFIRM_MS);
	cr_assert_eq(F.nbu, 2, "a refresh BU confirms the binding");
	cr_assert(bu_hnp_is(1, &HOA1));
	cr_assert_eq(F.nrep, 1, "no answer before the confirming BA");
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 100 + HE_CONFIRM_MS);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:c4a::101");
	cr_assert(json_is_true(json_object_get(event("lease-granted", 1), "reused")));
}

Test(hostengine, address_handed_out_only_once_usable)
{
	F.usable = 0;
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	answer(0, MH_BA_ACCEPTED, &HOA1, T0 + 20);
	cr_assert_eq(F.nrep, 0, "not routed as local yet: no answer");
	cr_assert_eq(he_usable_pending(&E), 1);
	he_usable_poll(&E, T0 + 21);
	cr_assert_eq(F.nrep, 0);
	F.usable = 1;
	he_usable_poll(&E, T0 + 22);
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].addr, "2001:db8:c4a::101");
	cr_assert_eq(he_usable_pending(&E), 0);
}

Test(hostengine, address_never_usable_fails_within_bound)
{
	F.usable = 0;
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	answer(0, MH_BA_ACCEPTED, &HOA1, T0 + 20);
	he_usable_poll(&E, T0 + 20 + ADDR_USABLE_BOUND_MS - 1);
	cr_assert_eq(F.nrep, 0);
	he_usable_poll(&E, T0 + 20 + ADDR_USABLE_BOUND_MS);
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "REQUIREDIPFAILED");
	cr_assert_eq(bu(1).lifetime, 0, "the anchor is told to let go");
	cr_assert_geq(logged_addr("addr_del", &HOA1, 0), 0);
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "refused");
	cr_assert_str_eq(str(event("lease-refused", 0), "error"), "EAI_REQUIREDIPFAILED");
	cr_assert_null(E.leases.head);
}

Test(hostengine, move_rebinds_and_reregisters)
{
	int mark;

	granted(IPPROTO_TCP);
	cr_assert_not_null(event("move", 0), "the first CoA toward the anchor");
	cr_assert(json_is_null(json_object_get(event("move", 0), "from")));
	mark = F.nlog;
	he_move(&E, T0 + 1000);
	cr_assert_eq(F.nbu, 1, "no new CoA: nothing sent");
	cr_assert_null(event("move", 1));

	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, T0 + 2000);
	cr_assert_geq(logged("bind 2001:db8:c4a::101 2001:db8:a2::5", mark), 0,
		      "re-bound to the new CoA in the tunnel");
	cr_assert_eq(F.nbu, 2, "a BU at once");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[1], &COA2));
	cr_assert(bu_hnp_is(1, &HOA1));
	cr_assert_str_eq(str(event("move", 1), "from"), "2001:db8:a1::5");
	cr_assert_str_eq(str(event("move", 1), "to"), "2001:db8:a2::5");
	cr_assert_str_eq(str(event("move", 1), "ifname"), "wlan0");
	cr_assert_eq(logged_addr("destroy_tcp", &HOA1, 0), -1,
		     "an anchored address survives the move");
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 2030);
	cr_assert_eq(E.leases.head->state, LEASE_REGISTERED);
}

Test(hostengine, a_new_lease_from_the_same_coa_is_no_move)
{
	granted(IPPROTO_TCP);
	F.count.tcp = 0;
	he_tick(&E, T0 + 60 + HE_GRACE_MS);
	cr_assert_null(E.leases.head);
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 70 + HE_GRACE_MS); /* the deregistration's */
	he_tick(&E, T0 + 80 + HE_GRACE_MS); /* the anchor has no binding left */
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 90 + HE_GRACE_MS);
	cr_assert_eq(F.nbu, 3);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[2], &COA1));
	cr_assert_not_null(event("move", 0));
	cr_assert_null(event("move", 1), "the host did not move");
}

/* The end of many leases at once is spread over looks (HE_ENDS_PER_LOOK;
 * 1 here): each look ends that many, the next one the rest. */
Test(hostengine, one_look_ends_at_most_its_share_of_leases)
{
	granted(IPPROTO_TCP);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 1, T0 + 60);
	answer(1, MH_BA_ACCEPTED, &HOA2, T0 + 70);
	cr_assert_eq(E.leases.n, 2);
	E.pol.ends_per_look = 1;
	F.count.tcp = 0;
	he_tick(&E, T0 + 80 + HE_GRACE_MS);
	cr_assert_eq(E.leases.n, 1, "one look ended %zu of the 2 unused leases, not 1",
		     2 - E.leases.n);
	he_tick(&E, T0 + 1080 + HE_GRACE_MS);
	cr_assert_eq(E.leases.n, 0, "the next look ends the other");
}

Test(hostengine, last_socket_closed_ends_lease_after_grace)
{
	int mark, r, u, a, d;

	granted(IPPROTO_TCP);
	F.count.tcp = 0;
	he_tick(&E, T0 + 50 + HE_GRACE_MS - 1);
	cr_assert_eq(logged("count", 0), -1, "not counted within the grace period");
	cr_assert_not_null(E.leases.head);

	F.count.tcp = 1;
	he_tick(&E, T0 + 50 + HE_GRACE_MS);
	cr_assert_geq(logged("count", 0), 0);
	cr_assert_eq(F.count_owner, 1000, "only its holder's sockets count, not another user's");
	cr_assert_not_null(E.leases.head, "a socket holds it");

	F.count.tcp = 0;
	mark = F.nlog;
	he_tick(&E, T0 + 60 + HE_GRACE_MS);
	cr_assert_null(E.leases.head);
	cr_assert_eq(F.nbu, 2);
	cr_assert_eq(bu(1).lifetime, 0, "a deregistration BU");
	r = logged_addr("route_del", &HOA1, mark);
	u = logged_addr("unbind", &HOA1, mark);
	a = logged_addr("addr_del", &HOA1, mark);
	d = logged("rule_del", mark);
	cr_assert(r >= 0 && r < u && u < a && a < d, "undone in reverse (%d %d %d %d)", r, u,
		  a, d);
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "unused");
}

Test(hostengine, the_tick_trims_the_anchors_the_host_no_longer_uses)
{
	struct in6_addr a = A("2001:db8:cb::");

	/* a lease at ANCHOR, and the cha.<host> anchors of as many
	 * destinations as the host ever asked, all idle now */
	granted(IPPROTO_TCP);
	for (unsigned i = 1; i <= REG_ANCHORS_MAX + 100; i++) {
		a.s6_addr[14] = (uint8_t)(i >> 8);
		a.s6_addr[15] = (uint8_t)i;
		cr_assert_not_null(reg_anchor_get(&E.reg, &a, 1));
	}
	cr_assert_eq(E.reg.n_anchors, REG_ANCHORS_MAX + 101);
	F.count.tcp = 1;
	he_tick(&E, T0 + 50 + HE_GRACE_MS);
	cr_assert_eq(E.reg.n_anchors, (size_t)REG_ANCHORS_MAX, "trimmed to the bound");
	cr_assert_not_null(reg_anchor_find(&E.reg, &ANCHOR), "the lease's anchor stays");
	cr_assert_not_null(E.leases.head, "and the lease");
}

Test(hostengine, release_hint_counts_soon_and_says_released)
{
	granted(IPPROTO_TCP);
	{
		const char *why;

		cr_assert_eq(he_release_hint(&E, &HOA1, T0 + 100, &why), 0, "within grace: no verdict");
		cr_assert_str_eq(why, "grace");
		cr_assert_eq(he_release_hint(&E, &HOA2, T0 + 50 + HE_GRACE_MS, &why), 0, "not ours");
		cr_assert_str_eq(why, "no-lease");
	}
	cr_assert_eq(he_release_hint(&E, &HOA1, T0 + 50 + HE_GRACE_MS, NULL), 1);
	F.count.tcp = 0;
	he_tick(&E, T0 + 150 + HE_GRACE_MS);
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "released");
}

Test(hostengine, udp_lease_ends_when_idle)
{
	granted(IPPROTO_UDP);
	F.count.udp = 1;
	F.last_traffic = T0 + 10000;
	he_tick(&E, T0 + 10000 + 30000 - 1);
	cr_assert_not_null(E.leases.head, "traffic within udp-inactivity");
	cr_assert_eq(logged_addr("destroy_udp", &HOA1, 0), -1);
	he_tick(&E, T0 + 10000 + 30000);
	cr_assert_null(E.leases.head);
	/* its socket, still open, is told rather than left sending into the void */
	cr_assert_geq(logged_addr("destroy_udp", &HOA1, 0), 0);
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "idle");
	cr_assert_eq(bu(1).lifetime, 0);
}

/*
 * A look due while the agent did not run (stopped for a moment, a loaded
 * host) runs before the agent reads the tunnel again: a datagram the
 * lease's program sent just before its udp-inactivity ran out still waits
 * in the device. It is read first, and the lease is kept; it was ended
 * idle (its socket aborted) 300 ms after that datagram, and the network
 * showed it (the agent stopped across the deadline).
 */
Test(hostengine, udp_lease_is_not_ended_idle_before_the_queued_traffic_is_read)
{
	granted(IPPROTO_UDP);
	F.count.udp = 1;
	F.last_traffic = T0 + 10000;
	F.queued_traffic = T0 + 10000 + 30000 - 300;
	he_tick(&E, T0 + 10000 + 30000 + 600);
	cr_assert_not_null(E.leases.head, "its last datagram came within udp-inactivity");
	cr_assert_eq(F.drains, 1);
	cr_assert_eq(logged_addr("destroy_udp", &HOA1, 0), -1);
	/* nothing waits: read again once a round of looks, then ended */
	for (uint64_t t = T0 + 41600; t < T0 + 39700 + 30000; t += 1000)
		he_tick(&E, t);
	cr_assert_not_null(E.leases.head);
	cr_assert_eq(F.drains, 1, "nothing read while not idle");
	he_tick(&E, T0 + 39700 + 30000);
	cr_assert_null(E.leases.head);
	cr_assert_eq(F.drains, 2);
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "idle");
}

/* the lease's idle_ms in the status: since the last packet the last look
 * saw, or since the hand-out when there was none (what udp-inactivity
 * counts); none before the first look */
static json_int_t lease_field(const char *key, uint64_t now)
{
	json_t *st = he_status_json(&E, now), *l, *v;
	json_int_t r;

	l = json_array_get(json_object_get(st, "leases"), 0);
	cr_assert_not_null(l);
	v = json_object_get(l, key);
	r = v ? json_integer_value(v) : -1;
	json_decref(st);
	return r;
}

static json_int_t lease_idle_ms(uint64_t now)
{
	return lease_field("idle_ms", now);
}

Test(hostengine, status_says_how_long_a_lease_has_been_idle)
{
	uint64_t handed;

	granted(IPPROTO_UDP);
	handed = E.leases.head->handed_ms;
	cr_assert_eq(lease_idle_ms(handed + 700), 700, "from the hand-out");
	F.count.udp = 1;
	F.last_traffic = T0 + 10000;
	he_tick(&E, T0 + 12000);
	cr_assert_eq(lease_idle_ms(T0 + 12500), 2500, "from the packet the look saw");
	/* a packet after the look is not seen until the next one */
	F.last_traffic = T0 + 12400;
	cr_assert_eq(lease_idle_ms(T0 + 12500), 2500);
	he_tick(&E, T0 + 13000);
	cr_assert_eq(lease_idle_ms(T0 + 13000), 600);
	/* a look that cannot say keeps to the hand-out */
	F.traffic_rc = -EIO;
	he_tick(&E, T0 + 14000);
	cr_assert_eq(lease_idle_ms(T0 + 14000), (json_int_t)(T0 + 14000 - handed));
}

Test(hostengine, anchor_refusal_answers_and_configures_nothing)
{
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	answer(0, MH_BA_PROHIBITED, &in6addr_any, T0 + 10);
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "REQUIREDIPFAILED");
	cr_assert_eq(logged("rule_add", 0), -1);
	cr_assert_null(E.leases.head);
	cr_assert_str_eq(str(event("lease-refused", 0), "error"), "EAI_REQUIREDIPFAILED");
	cr_assert_eq(json_integer_value(json_object_get(event("lease-refused", 0), "uid")), 1000);
	cr_assert_null(event("lease-ended", 0), "never granted, never ended");
}

/*
 * An anchor that refused an allocation for want of resources (status 130:
 * its max-bindings for the host, or its pool, full) is not asked for
 * another at once: the requests meanwhile are refused REQUIREDIPFAILED with
 * no BU, until a binding of the host's there ends or HE_FULL_HOLD_MS pass.
 * Before, each new request cost a BU, its refusal and two log lines: 2048
 * in 2 s from one user's four processes connecting in a loop.
 */
Test(hostengine, an_anchor_out_of_resources_is_not_asked_again_at_once)
{
	uint64_t t1 = T0 + 50 + HE_GRACE_MS - 500, t2;

	granted(IPPROTO_TCP);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 1, t1);
	cr_assert_eq(F.nbu, 2);
	answer(1, MH_BA_INSUFFICIENT_RESOURCES, &in6addr_any, t1 + 10);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].code, "REQUIREDIPFAILED");
	request(3, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 1, t1 + 20);
	request(4, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 1, 1, t1 + 10 + HE_FULL_HOLD_MS - 1);
	cr_assert_eq(F.nrep, 4, "answered at once");
	cr_assert_str_eq(F.rep[2].code, "REQUIREDIPFAILED");
	cr_assert_str_eq(F.rep[3].code, "REQUIREDIPFAILED");
	cr_assert_eq(F.nbu, 2, "no BU for them");
	/* the hold over: asked again, and refused again */
	request(5, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 1, t1 + 10 + HE_FULL_HOLD_MS);
	cr_assert_eq(F.nbu, 3, "a new allocation BU");
	t2 = t1 + 20 + HE_FULL_HOLD_MS;
	answer(2, MH_BA_INSUFFICIENT_RESOURCES, &in6addr_any, t2);
	request(6, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 1, t2 + 10);
	cr_assert_eq(F.nbu, 3);
	cr_assert_eq(F.nrep, 6);
	/* the host's binding there ends (its last socket gone): room again,
	 * the next request asks at once */
	F.count.tcp = 0;
	he_tick(&E, t2 + 20);
	cr_assert_null(E.leases.head);
	cr_assert_eq(F.nbu, 4);
	cr_assert_eq(bu(3).lifetime, 0, "its deregistration");
	request(7, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 1, t2 + 30);
	cr_assert_eq(F.nbu, 5, "an allocation BU");
	cr_assert_neq(bu(4).lifetime, 0);
	cr_assert_eq(F.nrep, 6, "waiting for its answer");
	answer(4, MH_BA_ACCEPTED, &HOA2, t2 + 40);
	cr_assert_str_eq(F.rep[6].addr, "2001:db8:c4a::102");
}

Test(hostengine, refresh_refused_ends_lease_and_waiters_get_a_new_one)
{
	granted(IPPROTO_TCP);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 50 + HE_CONFIRM_MS);
	cr_assert_eq(F.nbu, 2);
	answer(1, MH_BA_NOT_HA_FOR_MN, NULL, T0 + 60 + HE_CONFIRM_MS);
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "refused");
	cr_assert_eq(E.lost, 1);
	cr_assert_eq(F.nrep, 1, "the waiting request is not failed...");
	cr_assert_gt(F.nbu, 2);
	cr_assert(bu_hnp_is(F.nbu - 1, &in6addr_any), "...it gets a new allocation");
	answer(F.nbu - 1, MH_BA_ACCEPTED, &HOA2, T0 + 90 + HE_CONFIRM_MS);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:c4a::102");
}

Test(hostengine, silent_anchor_times_out)
{
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	cr_assert_eq(he_reg_deadline(&E), T0 + REG_INITIAL_TIMEOUT_FIRST_MS);
	he_reg_timers(&E, T0 + REG_INITIAL_TIMEOUT_FIRST_MS);
	cr_assert_eq(F.nbu, 2, "one retransmission");
	cr_assert_eq(F.nrep, 0);
	while (he_reg_deadline(&E) && he_reg_deadline(&E) <= T0 + HE_ALLOC_TIMEOUT_MS)
		he_reg_timers(&E, he_reg_deadline(&E));
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "ETIMEDOUT");
	cr_assert_null(E.leases.head);
	cr_assert_eq(logged("rule_add", 0), -1);
	cr_assert_str_eq(str(event("lease-refused", 0), "error"), "EAI_REQUIREDIPFAILED");
}

/* An allocation that timed out may have been bound at the anchor, only its
 * BAs lost (or late): one deregistration by its BID lets the anchor free
 * the address and the binding's place in max-bindings, instead of holding
 * them for the whole lifetime; the journal keeps the BID until it is
 * answered (a run killed meanwhile deregisters it at its start). */
Test(hostengine, a_silent_allocation_is_deregistered_by_its_bid)
{
	struct mh_msg a, d;
	int n;

	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	a = bu(0);
	while (!F.nrep && he_reg_deadline(&E) && he_reg_deadline(&E) <= T0 + HE_ALLOC_TIMEOUT_MS)
		he_reg_timers(&E, he_reg_deadline(&E));
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "ETIMEDOUT");
	n = F.nbu;
	cr_assert_geq(n, 3, "the allocation's BUs and one more");
	d = bu(n - 1);
	cr_assert_eq(d.lifetime, 0, "a deregistration");
	cr_assert_eq(d.bid, a.bid, "by the allocation's BID");
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&d.hnp), "no address known");
	cr_assert(bu_service_is(n - 1, "session-lasting"), "in its type's mode");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[n - 1], &ANCHOR));
	cr_assert(he_journal_keep(&E, &ANCHOR, a.bid), "journaled until it is answered");
	answer(n - 1, MH_BA_ACCEPTED, NULL, T0 + HE_ALLOC_TIMEOUT_MS + 30);
	cr_assert_not(he_journal_keep(&E, &ANCHOR, a.bid));
	cr_assert_null(E.leases.head);
	/* that answer is the anchor's: it is not on hold any more, the next
	 * request is asked of it at once (odmagent(8): any BA ends the wait) */
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + HE_ALLOC_TIMEOUT_MS + 40);
	cr_assert_eq(F.nbu, n + 1, "an allocation BU for the next request");
	cr_assert_eq(F.nrep, 1, "not refused at once");
}

Test(hostengine, silent_anchor_is_not_asked_again_for_a_while)
{
	uint64_t t;
	int n;

	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	while (he_reg_deadline(&E) && he_reg_deadline(&E) <= T0 + HE_ALLOC_TIMEOUT_MS)
		he_reg_timers(&E, he_reg_deadline(&E));
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "ETIMEDOUT");
	cr_assert_eq(F.nbu, 3, "two allocation BUs and its deregistration");
	n = F.nbu;
	t = T0 + HE_ALLOC_TIMEOUT_MS;
	/* the next requests are answered at once, nothing sent */
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + 1);
	request(3, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 1, 1, t + HE_SILENT_HOLD_MS - 1);
	cr_assert_eq(F.nrep, 3);
	cr_assert_str_eq(F.rep[1].code, "ETIMEDOUT");
	cr_assert_str_eq(F.rep[2].code, "ETIMEDOUT");
	cr_assert_eq(F.nbu, n, "no BU for them");
	cr_assert_null(E.leases.head);
	{
		json_t *st = he_status_json(&E, t + 100), *h;

		h = json_array_get(json_object_get(st, "anchors_on_hold"), 0);
		cr_assert_not_null(h, "status names the anchor on hold");
		cr_assert_str_eq(str(h, "anchor"), "2001:db8:ca::10");
		cr_assert_eq(json_integer_value(json_object_get(h, "hold_left_ms")),
			     HE_SILENT_HOLD_MS - 100);
		json_decref(st);
	}
	/* after the hold: asked again, and an answer ends the hold */
	request(4, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + HE_SILENT_HOLD_MS);
	cr_assert_eq(F.nbu, n + 1, "a new allocation BU");
	cr_assert_eq(F.nrep, 3);
	answer(n, MH_BA_ACCEPTED, &HOA1, t + HE_SILENT_HOLD_MS + 20);
	cr_assert_str_eq(F.rep[3].addr, "2001:db8:c4a::101");
	{
		json_t *st = he_status_json(&E, t + HE_SILENT_HOLD_MS + 25);

		cr_assert_eq(json_array_size(json_object_get(st, "anchors_on_hold")), 0);
		json_decref(st);
	}
	request(5, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 1, 0, t + HE_SILENT_HOLD_MS + 30);
	cr_assert_eq(F.nbu, n + 2, "a UDP lease is asked for as usual");
}

/* An allocation whose BUs never left, for want of a care-of address (the
 * host had no address of global scope: movement_coa_scope_ok), is no
 * silence of the anchor's: the request fails saying so, and the anchor is
 * not put on hold; once the host has a CoA, the next request asks it at
 * once. */
/* With *fail set to rc, request 1 (Session-lasting toward the CHA) at T0,
 * its allocation timed out: refused ETIMEDOUT for a reason of the host's,
 * which says why, the anchor not put on hold; *fail back to 0, the next
 * request asks the anchor at once, for a new allocation. The BUs sent. */
static int allocation_failed_on_the_host(int *fail, int rc, const char *why)
{
	json_t *st;
	int n;

	*fail = rc;
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	while (he_reg_deadline(&E) && he_reg_deadline(&E) <= T0 + HE_ALLOC_TIMEOUT_MS)
		he_reg_timers(&E, he_reg_deadline(&E));
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "ETIMEDOUT");
	cr_assert_null(E.leases.head);
	cr_assert(strstr(str(event("lease-refused", 0), "reason"), why),
		  "the reason is the host's: %s", str(event("lease-refused", 0), "reason"));
	st = he_status_json(&E, T0 + HE_ALLOC_TIMEOUT_MS + 1);
	cr_assert_eq(json_array_size(json_object_get(st, "anchors_on_hold")), 0,
		     "the anchor is not on hold");
	json_decref(st);
	n = F.nbu;
	*fail = 0;
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + HE_ALLOC_TIMEOUT_MS + 10);
	cr_assert_eq(F.nbu, n + 1, "asked at once");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[n], &ANCHOR));
	cr_assert(bu_hnp_is(n, &in6addr_any), "a new allocation");
	cr_assert_eq(F.nrep, 1, "not refused at once");
	return n;
}

Test(hostengine, an_allocation_without_a_coa_does_not_hold_the_anchor)
{
	cr_assert_eq(allocation_failed_on_the_host(&F.coa_rc, -ENETUNREACH, "no care-of address"),
		     0, "no BU left");
}

/* ...nor is one each of whose BUs failed to leave the host (sendmsg
 * failing: the care-of address the kernel picked gone under it, a link
 * down for a moment as each retransmission came; found by a stress run of
 * flaps, where a home anchor that never heard of the request was put on
 * hold for 10 s) */
Test(hostengine, an_allocation_whose_bus_all_failed_to_leave_does_not_hold_the_anchor)
{
	cr_assert_gt(allocation_failed_on_the_host(&F.send_rc, -EINVAL, "no BU to it could be sent"),
		     1, "tried, and again");
}

Test(hostengine, silent_anchor_fails_a_confirmation_in_time)
{
	granted(IPPROTO_TCP);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 50 + HE_CONFIRM_MS);
	cr_assert_eq(F.nbu, 2, "confirming refresh");
	F.count.tcp = 1;
	he_tick(&E, T0 + 50 + HE_CONFIRM_MS + HE_ALLOC_TIMEOUT_MS - 1);
	cr_assert_eq(F.nrep, 1, "still waiting");
	he_tick(&E, T0 + 50 + HE_CONFIRM_MS + HE_ALLOC_TIMEOUT_MS);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].code, "ETIMEDOUT");
	cr_assert_not_null(E.leases.head, "the lease itself stays for its sockets");
}

/* ---- a lease fallen silent (HE_QUIET_MS) ---- */

/* The agent's looks, a second apart, after from up to to (a look at to
 * itself): a look that comes more than HE_ASLEEP_MS after the last is
 * one after the agent did not run */
static void ticks(uint64_t from, uint64_t to)
{
	for (uint64_t t = from + 1000; t < to; t += 1000)
		he_tick(&E, t);
	he_tick(&E, to);
}

/* A lease handed out (BA at T0 + 50) and looked at once at T0 + 1000, no
 * socket seen (a TCP socket bound, not connected yet: invisible); then the
 * host sleeps 9 s, its program with it, and the agent's next look comes at
 * T0 + 10000. The lease is not ended as unused at once (it was: its grace
 * had run out by the clock while nothing ran): what was left of its grace,
 * 2050 ms, counts from the wake. */
/* The look at wake after a sleep, with no socket seen: the lease is kept
 * at it and until left ms after it, and ended then. */
static void kept_from_wake(uint64_t wake, uint64_t left)
{
	he_tick(&E, wake);
	cr_assert_eq(E.leases.n, 1, "kept after the wake at T0 + %llu",
		     (unsigned long long)(wake - T0));
	he_tick(&E, wake + left - 1);
	cr_assert_eq(E.leases.n, 1, "kept for the rest of its grace");
	he_tick(&E, wake + left);
	cr_assert_eq(E.leases.n, 0, "no socket once the grace is over: ended");
}

Test(hostengine, a_wake_leaves_a_young_lease_the_rest_of_its_grace)
{
	granted(IPPROTO_TCP);
	F.count = (struct sockdiag_count){ 0 };
	he_tick(&E, T0 + 1000);
	kept_from_wake(T0 + 10000, 2050);
}

/* Two sleeps in a row: at the look between them (T0 + 11000) the lease
 * still had 1050 ms of the grace the first wake gave back; the second
 * wake leaves it that much again, from T0 + 20000 (it ended the lease at
 * once: only a grace by the hand-out's clock was given back). */
Test(hostengine, a_second_wake_leaves_a_young_lease_the_rest_of_its_grace)
{
	granted(IPPROTO_TCP);
	F.count = (struct sockdiag_count){ 0 };
	he_tick(&E, T0 + 1000);
	he_tick(&E, T0 + 10000);
	he_tick(&E, T0 + 11000);
	cr_assert_eq(E.leases.n, 1);
	kept_from_wake(T0 + 20000, 1050);
}

/* One whose grace was over before the host slept is judged at once. */
Test(hostengine, a_wake_gives_no_grace_back_to_a_lease_past_it)
{
	granted(IPPROTO_TCP);
	F.count = (struct sockdiag_count){ .tcp = 1 };
	ticks(T0, T0 + HE_GRACE_MS + 1000);
	F.count = (struct sockdiag_count){ 0 };
	he_tick(&E, T0 + HE_GRACE_MS + 10000);
	cr_assert_eq(E.leases.n, 0, "its socket gone while the host slept: ended");
}

/* quiet_checks of the status at now */
static long long quiet_checks(uint64_t now)
{
	json_t *st = he_status_json(&E, now);
	long long n = json_integer_value(json_object_get(st, "quiet_checks"));

	json_decref(st);
	return n;
}

/* packets received from `from` to `to`, as looks once a second see them */
static void stream(uint64_t from, uint64_t to)
{
	for (uint64_t t = from; t <= to; t += 1000) {
		F.rx_seen = F.last_traffic = t;
		he_tick(&E, t);
	}
}

/* After a wake on COA2 at now, one BU (the move's, from COA2, for HOA1)
 * and nothing more when the kernel's word of the move comes late */
static void only_the_moves_bu(uint64_t now)
{
	cr_assert_eq(F.nbu, 2, "one BU");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[1], &COA2), "from the new CoA");
	cr_assert(bu_hnp_is(1, &HOA1));
	he_move(&E, now + 10);
	cr_assert_eq(F.nbu, 2, "nothing more");
}

/* A stream falls silent as the host sleeps; it wakes on another network
 * (COA2), and the agent's first look comes before the kernel's word of
 * the move. The look takes the move first: its BU goes from COA2, and no
 * confirming refresh from COA1, an address the host no longer has (the
 * kernel refused it, EINVAL, a warning at every such wake). */
Test(hostengine, a_wake_on_another_network_sends_nothing_from_the_old_coa)
{
	uint64_t rx = T0 + 6000;

	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	stream(T0 + 3000, rx);
	cr_assert_eq(F.nbu, 1);
	F.coa = COA2;
	F.host[0] = COA2;
	he_tick(&E, rx + 20000);
	only_the_moves_bu(rx + 20000);
}

/* The same wake, but the binding's refresh came due while the agent did
 * not run, and its timer (he_reg_timers) fires before the look (he_tick):
 * the event loop runs whichever was due first. The timer takes the move
 * first too: the refresh goes from COA2 as the move's, none from COA1. */
Test(hostengine, a_refresh_due_at_a_wake_on_another_network_leaves_from_the_new_coa)
{
	uint64_t d;

	F.ba_units = mh_lifetime_units(20);
	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	d = he_reg_deadline(&E);
	cr_assert_eq(d, T0 + 50 + 16000, "the refresh");
	ticks(T0, d - 1000);
	cr_assert_eq(F.nbu, 1);
	F.coa = COA2;
	F.host[0] = COA2;
	he_reg_timers(&E, d + 3000);
	only_the_moves_bu(d + 3000);
	he_tick(&E, d + 3020);
	cr_assert_eq(F.nbu, 2, "nothing more at the look");
}

Test(hostengine, a_stream_that_falls_silent_is_confirmed_once_a_silence)
{
	uint64_t rx = T0 + 6000, t;

	granted(IPPROTO_TCP); /* BU at T0, BA at T0 + 50 */
	F.count.tcp = 1;
	/* looked at from the end of the grace on (HE_GRACE_MS) */
	stream(T0 + 3000, rx);
	cr_assert_eq(F.nbu, 1, "receiving");
	he_tick(&E, rx + HE_QUIET_MS - 1);
	cr_assert_eq(F.nbu, 1, "not silent for long enough yet");
	he_tick(&E, rx + HE_QUIET_MS);
	cr_assert_eq(F.nbu, 2, "a refresh BU");
	cr_assert(bu_hnp_is(1, &HOA1));
	cr_assert_neq(bu(1).lifetime, 0);
	cr_assert_eq(quiet_checks(rx + HE_QUIET_MS), 1);
	he_tick(&E, rx + HE_QUIET_MS + 100);
	cr_assert_eq(F.nbu, 2, "its exchange under way: nothing more");
	t = rx + HE_QUIET_MS + 30;
	answer(1, MH_BA_ACCEPTED, NULL, t);
	he_tick(&E, t + 60000);
	cr_assert_eq(F.nbu, 2, "the same silence: asked once");
	/* a stream again, after that BA, then silence: asked again */
	t += 61000;
	stream(t, t + 3000);
	he_tick(&E, t + 3000 + HE_QUIET_MS);
	cr_assert_eq(F.nbu, 3);
	t += 3000 + HE_QUIET_MS;
	answer(2, MH_BA_ACCEPTED, NULL, t + 30);
	/* a silence that begins within HE_QUIET_GAP_MS of that check waits
	 * for the end of the gap */
	stream(t + 1000, t + 4000);
	he_tick(&E, t + 4000 + HE_QUIET_MS);
	cr_assert_eq(F.nbu, 3, "within the gap");
	he_tick(&E, t + HE_QUIET_GAP_MS);
	cr_assert_eq(F.nbu, 4, "at its end");
	cr_assert_eq(quiet_checks(t + HE_QUIET_GAP_MS), 3);
}

Test(hostengine, a_silent_stream_with_an_exchange_under_way_or_no_coa_is_left)
{
	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	stream(T0 + 3000, T0 + 6000);
	/* a refresh already out (here for an ICMPv6 error), unanswered */
	cr_assert_eq(he_icmp_error(&E, &COA1, &ANCHOR, T0 + 6500), 1);
	cr_assert_eq(F.nbu, 2);
	he_tick(&E, T0 + 6000 + HE_QUIET_MS);
	cr_assert_eq(F.nbu, 2, "its answer, or its silence, tells");
	cr_assert_eq(quiet_checks(T0 + 6000 + HE_QUIET_MS), 0);
	/* no CoA: nothing can be asked */
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 6000 + HE_QUIET_MS + 10);
	stream(T0 + 20000, T0 + 23000);
	E.reg.anchors->has_coa = 0;
	F.coa_rc = -ENETUNREACH; /* and the kernel has none either: no link */
	he_tick(&E, T0 + 23000 + HE_QUIET_MS);
	cr_assert_eq(F.nbu, 2, "no CoA: no BU");
	cr_assert_eq(quiet_checks(T0 + 23000 + HE_QUIET_MS), 0);
	/* the CoA kept, but seen lost (the address vanished, no new one yet) */
	E.reg.anchors->has_coa = 1;
	E.reg.anchors->coa_lost_ms = T0 + 23500;
	he_tick(&E, T0 + 23000 + HE_QUIET_MS + 1000);
	cr_assert_eq(F.nbu, 2, "a CoA seen lost: no BU from it");
	cr_assert_eq(quiet_checks(T0 + 23000 + HE_QUIET_MS + 1000), 0);
}

/* What the test wrote to its redirected stderr so far (see stderr_count) */
static int stderr_count(char *buf, size_t cap, const char *needle);

/*
 * The agent did not run for longer than a binding's lifetime (stopped with
 * SIGSTOP, its host paused, starved of the CPU): its timers all come due at
 * once when it runs again, the tick's look as likely first as the timer of
 * the Binding Update List. The binding expired at the anchor meanwhile
 * (its lifetime counts from the BU, RFC 6275 section 11.7.1), so the lease
 * ends as expired, with no BU. Found by stopping the host agent for 15 s
 * under a live TCP connection with lifetime 8 s: the look confirmed the
 * binding first (the connection's stream had fallen silent), the anchor
 * refused that refresh (status 133: the address released), and the lease
 * ended "refused by the anchor" with a deregistration BU, two BUs for each
 * such lease at the wake-up, for a binding the host knew had expired.
 */
Test(hostengine, a_binding_that_expired_while_the_agent_did_not_run_ends_without_a_bu)
{
	char buf[16384];
	json_t *ev;

	F.ba_units = 2; /* 8 s: the BU at T0, the BA at T0 + 50 */
	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	stream(T0 + 3000, T0 + 5000);
	cr_assert_eq(F.nbu, 1);
	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	/* stopped from T0 + 5000 to T0 + 20000; the tick runs first */
	he_tick(&E, T0 + 20000);
	/* the warning says why: no BU went, none could (it blamed a BA) */
	cr_assert_eq(stderr_count(buf, sizeof(buf),
				  "binding at 2001:db8:ca::10 expired while the agent did not run"),
		     1, "%s", buf);
	cr_assert_null(strstr(buf, "without a BA"), "%s", buf);
	cr_assert_eq(F.nbu, 1, "no BU for a binding that has expired");
	cr_assert_null(E.leases.head, "ended at once");
	ev = event("lease-ended", 0);
	cr_assert_str_eq(str(ev, "reason"), "anchor-lost");
	/* the timer of the Binding Update List, late too: nothing left */
	he_reg_timers(&E, T0 + 20001);
	cr_assert_eq(F.nbu, 1);
}

/* The same when the host moved meanwhile: the move, heard first, sends
 * no BU for the binding that expired */
Test(hostengine, a_binding_that_expired_while_the_agent_did_not_run_moves_no_bu)
{
	F.ba_units = 2;
	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, T0 + 20000);
	cr_assert_eq(F.nbu, 1, "no BU for a binding that has expired");
	cr_assert_null(E.leases.head);
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "anchor-lost");
	/* one that had not expired moves: the BU goes */
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 20010);
	cr_assert_eq(F.nbu, 2);
	answer(1, MH_BA_ACCEPTED, &HOA2, T0 + 20020);
	F.coa = COA1;
	F.host[0] = COA1;
	he_move(&E, T0 + 25000);
	cr_assert_eq(F.nbu, 3, "the move's BU");
	cr_assert(bu_hnp_is(2, &HOA2));
}

/*
 * The same when a program asks first: woken with the host, it may ask for
 * a lease to share before the tick's look (after a suspend the tick is up
 * to a second away, the program's request at once). The binding that ran
 * out meanwhile ends as expired and the request gets a fresh allocation,
 * not a confirming refresh of it that the anchor could only refuse (133),
 * followed by a deregistration and only then the allocation.
 */
Test(hostengine, a_request_after_the_agent_did_not_run_gets_a_fresh_lease_not_a_refresh)
{
	F.ba_units = 2; /* 8 s: the BU at T0, the BA at T0 + 50 */
	granted(IPPROTO_TCP);
	/* no tick from T0 + 50 to T0 + 20000; the request comes first */
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 20000);
	cr_assert_eq(F.nbu, 2, "one BU");
	cr_assert(bu_hnp_is(1, &in6addr_any),
		  "an allocation, not a refresh of the binding that ran out");
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "anchor-lost");
	answer(1, MH_BA_ACCEPTED, &HOA2, T0 + 20050);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].code, "");
	cr_assert(IN6_ARE_ADDR_EQUAL(&E.leases.head->addr, &HOA2));
	cr_assert_eq(F.nbu, 2, "no deregistration");
}

/*
 * The agent did not run for longer than udp-inactivity (stopped, or the
 * host asleep): its looks stopped, and with the userspace backend so did
 * the tunnel that stamps the traffic. A UDP lease whose program kept
 * sending is not ended idle at the first look after: its idleness counts
 * from that look. Found by stopping the host agent for 6 s (udp-inactivity
 * 3 s) under a shimmed client sending a datagram every 0.3 s: its lease
 * was ended "UDP idle" at the wake-up, its socket with ECONNABORTED, the
 * datagrams it had sent meanwhile still queued in the tunnel device.
 */
Test(hostengine, a_udp_lease_is_not_idle_for_the_time_the_agent_did_not_run)
{
	uint64_t t = T0 + 50;

	granted(IPPROTO_UDP);
	F.count.udp = 1;
	for (uint64_t now = t + 1000; now <= t + 10000; now += 1000) {
		F.last_traffic = now;
		he_tick(&E, now);
	}
	/* no look from t + 10 s to t + 50 s; the last packet stamped at 10 s */
	he_tick(&E, t + 50000);
	cr_assert_not_null(E.leases.head, "ended idle for the time the agent did not run");
	ticks(t + 50000, t + 50000 + 29000);
	cr_assert_not_null(E.leases.head);
	he_tick(&E, t + 50000 + 30000);
	cr_assert_null(E.leases.head, "silent for udp-inactivity since the agent ran again: ended");
}

/* A UDP lease whose anchor's care-of address is gone (no link: the
 * host's address vanished, none new yet) is not ended idle meanwhile: its
 * datagrams had nowhere to go, the tunnel's silence is the outage's.
 * Found by a move to a link where the new address failed DAD: a stream of
 * 20 datagrams a second through the CHA had its lease ended "UDP idle"
 * 3.8 s into the outage (udp-inactivity 3), and its socket leased anew
 * elsewhere once the host was back (its peer saw another address). Once
 * the outage is over, its idleness counts from then. */
Test(hostengine, a_udp_lease_is_not_idle_while_its_anchor_has_no_coa)
{
	uint64_t t = T0 + 50;

	granted(IPPROTO_UDP);
	F.count.udp = 1;
	F.last_traffic = t;
	ticks(t, t + 10000);
	cr_assert_not_null(E.leases.head);
	/* the link goes: the CoA seen lost, no new one */
	F.coa_rc = -ENETUNREACH;
	he_move(&E, t + 10000);
	cr_assert_neq(E.reg.anchors->coa_lost_ms, 0);
	ticks(t + 10000, t + 45000);
	cr_assert_not_null(E.leases.head, "ended as UDP idle during the outage");
	ticks(t + 45000, t + 90000);
	cr_assert_not_null(E.leases.head);
	/* back on a link: the move's BA; the tick's look sees the CoA work
	 * (the outage over), and its idleness counts from the next look */
	F.coa_rc = 0;
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, t + 90100);
	answer(F.nbu - 1, MH_BA_ACCEPTED, &HOA1, t + 90110);
	he_tick(&E, t + 91000);
	cr_assert_not_null(E.leases.head, "ended right after the outage");
	he_tick(&E, t + 92000);
	cr_assert_eq(E.reg.anchors->coa_lost_ms, 0, "the outage over");
	cr_assert_not_null(E.leases.head, "ended at the first look after the outage");
	ticks(t + 92000, t + 92000 + 29000);
	cr_assert_not_null(E.leases.head);
	he_tick(&E, t + 92000 + 30000);
	cr_assert_null(E.leases.head, "silent on the tunnel for udp-inactivity since: ended");
}

/* A young download (a few packets, no run a look could time) when the
 * host moves: an anchor killed before it saved the move sends to the old
 * CoA, and a host that only receives draws no Binding Error. Its silence
 * right after the move is confirmed, once; a lease that received nothing
 * around the move is left alone. */
Test(hostengine, a_lease_silent_right_after_a_move_is_confirmed_once)
{
	uint64_t m = T0 + 600, rx = m + 20;

	granted(IPPROTO_TCP); /* BU 0 at T0 */
	F.count.tcp = 1;
	F.rx_seen = F.last_traffic = T0 + 500;
	F.rx_packets = 20;
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, m);
	cr_assert_eq(F.nbu, 2, "the move's BU");
	answer(1, MH_BA_ACCEPTED, NULL, m + 5);
	/* what the anchor sent during the outage, replayed after the BA */
	F.rx_seen = F.last_traffic = rx;
	F.rx_packets = 38;
	he_tick(&E, T0 + 1000);
	he_tick(&E, rx + HE_QUIET_MS - 1);
	cr_assert_eq(F.nbu, 2, "not silent for long enough yet");
	he_tick(&E, rx + HE_QUIET_MS);
	cr_assert_eq(F.nbu, 3, "a refresh BU, though the move's BA came after the last packet");
	cr_assert(bu_hnp_is(2, &HOA1));
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[2], &COA2), "from where the host is");
	cr_assert_eq(quiet_checks(rx + HE_QUIET_MS), 1);
	answer(2, MH_BA_ACCEPTED, NULL, rx + HE_QUIET_MS + 10);
	he_tick(&E, rx + HE_QUIET_GAP_MS + 30000);
	cr_assert_eq(F.nbu, 3, "once for the move");
	/* nothing received around the next move: nothing to confirm */
	F.coa = COA1;
	F.host[0] = COA1;
	m = rx + HE_QUIET_GAP_MS + 40000;
	he_move(&E, m);
	cr_assert_eq(F.nbu, 4);
	answer(3, MH_BA_ACCEPTED, NULL, m + 5);
	he_tick(&E, m + HE_QUIET_MS + 2000);
	cr_assert_eq(F.nbu, 4, "its last packet long before the move");
}

/* a download cut short within the lease's grace, before any run a look
 * could time: its count of packets says it was a stream */
Test(hostengine, a_bulk_transfer_cut_short_in_its_grace_is_confirmed)
{
	uint64_t rx = T0 + 600;

	granted(IPPROTO_TCP); /* BU at T0 */
	F.count.tcp = 1;
	F.rx_seen = F.last_traffic = rx;
	F.rx_packets = HE_QUIET_BURST; /* since the lease began, by the look at T0 + 1000 */
	he_tick(&E, T0 + 1000);
	he_tick(&E, rx + HE_QUIET_MS - 1);
	cr_assert_eq(F.nbu, 1);
	he_tick(&E, rx + HE_QUIET_MS);
	cr_assert_eq(F.nbu, 2, "a refresh BU");
	cr_assert(bu_hnp_is(1, &HOA1));
}

/* a slow stream that ran within the lease's grace only: the looks time it
 * from its first packet */
Test(hostengine, a_stream_within_the_grace_is_timed_from_its_start)
{
	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	for (int i = 1; i <= 3; i++) {
		F.rx_packets = 50 * (uint64_t)i; /* 150 in all: no burst */
		F.rx_seen = F.last_traffic = T0 + 1000 * (uint64_t)i;
		he_tick(&E, T0 + 1000 * (uint64_t)i);
	}
	he_tick(&E, T0 + 3000 + HE_QUIET_MS);
	cr_assert_eq(F.nbu, 2, "a refresh BU");
}

/* a look whose counters the tunnel could not give is no reset of them:
 * the next one is not a burst of everything since the lease began */
Test(hostengine, a_failed_look_at_the_counters_makes_no_burst)
{
	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	F.rx_packets = 250; /* a page, long ago */
	F.rx_seen = F.last_traffic = T0 + 500;
	he_tick(&E, T0 + 1000);
	F.traffic_rc = -ENOENT;
	he_tick(&E, T0 + 20000);
	F.traffic_rc = 0;
	F.rx_packets = 260; /* a few more */
	F.rx_seen = F.last_traffic = T0 + 20500;
	he_tick(&E, T0 + 21000);
	he_tick(&E, T0 + 20500 + HE_QUIET_MS + 1000);
	cr_assert_eq(F.nbu, 1, "no stream: no BU");
	cr_assert_eq(quiet_checks(T0 + 30000), 0);
}

Test(hostengine, a_short_exchange_in_its_grace_is_left)
{
	uint64_t rx = T0 + 600;

	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	F.rx_seen = F.last_traffic = rx;
	F.rx_packets = HE_QUIET_BURST - 1; /* a page, not a stream */
	he_tick(&E, T0 + 1000);
	he_tick(&E, rx + HE_QUIET_MS + 5000);
	cr_assert_eq(F.nbu, 1);
	cr_assert_eq(quiet_checks(rx + HE_QUIET_MS + 5000), 0);
}

Test(hostengine, a_lease_that_only_exchanged_a_little_is_left_when_silent)
{
	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	/* one packet, then another 1.6 s later: two runs of nothing */
	stream(T0 + 3000, T0 + 3000);
	stream(T0 + 4600, T0 + 4600);
	he_tick(&E, T0 + 4600 + HE_QUIET_MS + 5000);
	cr_assert_eq(F.nbu, 1, "no stream stopped: no BU");
	/* a run just short of HE_QUIET_RUN_MS */
	stream(T0 + 20000, T0 + 20000 + HE_QUIET_RUN_MS - 1000);
	he_tick(&E, T0 + 40000);
	cr_assert_eq(F.nbu, 1);
	cr_assert_eq(quiet_checks(T0 + 40000), 0);
}

/* a UDP lease is ended after udp-inactivity without a packet: confirmed
 * after half of it when that is shorter than HE_QUIET_MS, before the end */
Test(hostengine, a_silent_udp_lease_is_confirmed_before_it_counts_as_idle)
{
	uint64_t rx = T0 + 6000;

	E.pol.udp_inactivity_s = 3;
	granted(IPPROTO_UDP);
	F.count.udp = 1;
	stream(T0 + 3000, rx);
	he_tick(&E, rx + 1499);
	cr_assert_eq(F.nbu, 1);
	he_tick(&E, rx + 1500);
	cr_assert_eq(F.nbu, 2, "confirmed after half of udp-inactivity");
	answer(1, MH_BA_ACCEPTED, NULL, rx + 1510);
	/* the stream resumes: kept */
	F.rx_seen = F.last_traffic = rx + 1520;
	he_tick(&E, rx + 3500);
	cr_assert_not_null(E.leases.head);
	cr_assert_eq(F.nbu, 2);
}

Test(hostengine, a_silent_lease_confirmed_since_its_last_packet_is_left)
{
	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	stream(T0 + 3000, T0 + 6000);
	/* a refresh (here for an ICMPv6 error) sent after the last packet,
	 * and accepted */
	cr_assert_eq(he_icmp_error(&E, &COA1, &ANCHOR, T0 + 6050), 1);
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 6060);
	he_tick(&E, T0 + 6000 + HE_QUIET_MS + 5000);
	cr_assert_eq(F.nbu, 2, "confirmed since its last packet: the anchor has it");
	cr_assert_eq(quiet_checks(T0 + 100000), 0);
}

/* ---- an ICMPv6 error about a packet to the anchor (icmperr.h) ---- */

Test(hostengine, icmp_error_confirms_the_binding_at_once)
{
	uint64_t t = T0 + 1000; /* well within HE_CONFIRM_MS of the BA */

	granted(IPPROTO_TCP);
	cr_assert_eq(he_icmp_error(&E, &COA1, &ANCHOR, t), 1);
	cr_assert_eq(F.nbu, 2, "a refresh BU at once");
	cr_assert(bu_hnp_is(1, &HOA1));
	cr_assert_neq(bu(1).lifetime, 0);
	/* a request meanwhile waits for the answer instead of taking the
	 * address on trust */
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + 10);
	cr_assert_eq(F.nrep, 1, "no answer before the confirming BA");
	cr_assert_eq(F.nbu, 2, "the outstanding refresh serves it");
	/* more errors: nothing more is sent for them */
	cr_assert_eq(he_icmp_error(&E, &COA1, &ANCHOR, t + 20), 0);
	cr_assert_eq(F.nbu, 2);
	answer(1, MH_BA_ACCEPTED, NULL, t + 30);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:c4a::101");
	cr_assert_eq(logged_addr("destroy_connecting", &HOA1, 0), -1, "nothing failed");
	/* confirmed: the next error within HE_PROBE_GAP_MS of the last is
	 * ignored (errors are easy to forge), a later one asks again */
	cr_assert_eq(he_icmp_error(&E, &COA1, &ANCHOR, t + HE_PROBE_GAP_MS - 1), 0);
	cr_assert_eq(F.nbu, 2);
	cr_assert_eq(he_icmp_error(&E, &COA1, &ANCHOR, t + HE_PROBE_GAP_MS), 1);
	cr_assert_eq(F.nbu, 3);
}

Test(hostengine, icmp_error_about_other_packets_changes_nothing)
{
	struct in6_addr other = A("2001:db8:ca::11");

	granted(IPPROTO_TCP);
	cr_assert_eq(he_icmp_error(&E, &COA1, &other, T0 + 1000), 0, "not our anchor");
	cr_assert_eq(he_icmp_error(&E, &COA2, &ANCHOR, T0 + 1000), 0, "not from our CoA");
	cr_assert_eq(he_icmp_error(&E, &HOA1, &CN, T0 + 1000), 0, "an inner packet");
	cr_assert_eq(F.nbu, 1);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 1000);
	cr_assert_eq(F.nrep, 2, "reused at once");
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:c4a::101");
}

Test(hostengine, icmp_error_then_silence_fails_connecting_sockets)
{
	uint64_t t = T0 + 1000;
	int mark, nbu;

	granted(IPPROTO_TCP);
	F.count.tcp = 2; /* one established, one connecting: the lease stays */
	F.connecting = 1;
	cr_assert_eq(he_icmp_error(&E, &COA1, &ANCHOR, t), 1);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + 10);
	he_tick(&E, t + HE_ALLOC_TIMEOUT_MS - 1);
	cr_assert_eq(F.nrep, 1, "still waiting");
	cr_assert_eq(logged_addr("destroy_connecting", &HOA1, 0), -1, "not yet");
	he_tick(&E, t + HE_ALLOC_TIMEOUT_MS);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].code, "ETIMEDOUT");
	{
		json_t *st = he_status_json(&E, t + HE_ALLOC_TIMEOUT_MS), *b;

		b = json_array_get(json_object_get(st, "bindings"), 0);
		cr_assert_str_eq(str(b, "pending"), "refresh");
		cr_assert_eq(json_integer_value(json_object_get(b, "unanswered_ms")),
			     HE_ALLOC_TIMEOUT_MS, "status says how long the anchor is silent");
		json_decref(st);
	}
	mark = logged_addr("destroy_connecting", &HOA1, 0);
	cr_assert_geq(mark, 0, "connections still being set up fail");
	cr_assert_eq(logged_addr("destroy_tcp", &HOA1, 0), -1, "established ones are left");
	cr_assert_not_null(E.leases.head, "the lease stays for its sockets");
	/* a later request is answered at once, not after another wait, and
	 * asks the anchor again now (once a second at most) */
	nbu = F.nbu;
	request(3, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + HE_ALLOC_TIMEOUT_MS + 5);
	cr_assert_eq(F.nrep, 3);
	cr_assert_str_eq(F.rep[2].code, "ETIMEDOUT");
	cr_assert_eq(F.nbu, nbu + 1, "the refresh BU again, now");
	cr_assert(bu_hnp_is(nbu, &HOA1));
	request(6, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + HE_ALLOC_TIMEOUT_MS + 10);
	cr_assert_str_eq(F.rep[3].code, "ETIMEDOUT");
	cr_assert_eq(F.nbu, nbu + 1, "not again within a second");
	/* and at each look while the anchor stays silent, the connections
	 * set up since (a process's own held lease) fail too */
	he_tick(&E, t + HE_ALLOC_TIMEOUT_MS + 1000);
	cr_assert_geq(logged_addr("destroy_connecting", &HOA1, mark + 1), 0);
	/* the anchor comes back (restarted with its state): all is as before */
	while (he_reg_deadline(&E) && he_reg_deadline(&E) <= t + 8000)
		he_reg_timers(&E, he_reg_deadline(&E));
	answer(F.nbu - 1, MH_BA_ACCEPTED, NULL, t + 8000);
	mark = F.nlog;
	he_tick(&E, t + 8500);
	cr_assert_eq(logged_addr("destroy_connecting", &HOA1, mark), -1, "confirmed: no more");
	request(4, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + 8600);
	cr_assert_str_eq(F.rep[F.nrep - 1].addr, "2001:db8:c4a::101");
}

Test(hostengine, binding_that_expires_is_anchor_lost)
{
	int nbu;

	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	while (E.leases.head && he_reg_deadline(&E) && he_reg_deadline(&E) < T0 + 400000)
		he_reg_timers(&E, he_reg_deadline(&E));
	cr_assert_null(E.leases.head, "the anchor never answered its refreshes");
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "anchor-lost");
	cr_assert_eq(E.lost, 1);
	nbu = F.nbu;
	cr_assert_neq(bu(nbu - 1).lifetime, 0, "no deregistration for a binding already gone");
}

Test(hostengine, stopping_deregisters_and_answers_waiters)
{
	int mark;

	granted(IPPROTO_TCP);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 1, 0, T0 + 100);
	cr_assert_eq(F.nbu, 2);
	mark = F.nlog;
	he_stop(&E, T0 + 200);
	cr_assert_null(E.leases.head);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].code, "REQUIREDIPFAILED", "the waiting request is answered");
	cr_assert_eq(F.nbu, 4, "one deregistration for each lease, the one allocating too");
	cr_assert_eq(bu(2).lifetime, 0);
	cr_assert_eq(bu(3).lifetime, 0);
	cr_assert_geq(logged_addr("addr_del", &HOA1, mark), 0);
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "stopping");
	request(3, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 300);
	cr_assert_str_eq(F.rep[2].code, "REQUIREDIPFAILED", "nothing accepted once stopping");
	cr_assert_eq(F.nbu, 4);
}

/* An allocation whose BU has left may have made a binding at the anchor
 * (its BA lost or still on the way): a stop deregisters it by its BID
 * (HNP ::, as the anchor keys an allocation), and the journal keeps it
 * until that deregistration is answered, for the next run should the BU
 * be lost too. */
Test(hostengine, stopping_deregisters_an_allocation_in_flight_by_its_bid)
{
	struct mh_msg a, d;

	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	cr_assert_eq(F.nbu, 1);
	a = bu(0);
	he_stop(&E, T0 + 30);
	cr_assert_eq(F.nbu, 2, "a deregistration for the allocation out");
	d = bu(1);
	cr_assert_eq(d.lifetime, 0);
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&d.hnp), "no address known: by its BID");
	cr_assert_eq(d.bid, a.bid);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[1], &ANCHOR));
	cr_assert(he_journal_keep(&E, &ANCHOR, a.bid), "journaled until it is answered");
}

/* A lease whose BU never left (no care-of address yet) has nothing at its
 * anchor to deregister */
Test(hostengine, stopping_sends_nothing_for_an_allocation_never_sent)
{
	F.coa_rc = -ENETUNREACH;
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	cr_assert_eq(F.nbu, 0);
	he_stop(&E, T0 + 30);
	cr_assert_eq(F.nbu, 0);
}

Test(hostengine, session_without_anchor_falls_back_to_plain)
{
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 0, 0, T0);
	cr_assert_eq(F.nbu, 0);
	cr_assert_eq(F.nrep, 1);
	cr_assert(F.rep[0].plain);
	cr_assert_str_eq(str(event("fallback", 0), "type"), "session-lasting");
	cr_assert_eq(json_integer_value(json_object_get(event("fallback", 0), "pid")), 201);
}

/* The engine's state saved at T0 + 100, and taken over by a new run at
 * T0 + 1100 (the old one was killed: it is left in *first, to be freed
 * without a word to anyone), with the same configured access anchors */
static void new_run(struct hostengine *first)
{
	struct reg_config rc = E.reg.cfg;
	struct state_mn st;

	cr_assert_eq(mnstate_snapshot(&E.reg, &E.leases, 1700000000000, T0 + 100, &st), 0);
	*first = E;
	he_init(&E, &OPS, NULL, &rc, &first->pol, 900);
	access_set_anchors(&E, first->access.v, first->access.n);
	cr_assert_eq(mnstate_adopt(&st, "mn1@example.test", &E.leases, &E.reg, 1700000001000,
				   T0 + 1100),
		     1);
	state_mn_free(&st);
}

Test(hostengine, restart_takes_leases_over_and_reregisters)
{
	struct hostengine first;
	int mark, b0, a, b1;

	granted(IPPROTO_TCP);
	new_run(&first);
	mark = F.nlog;
	he_adopted(&E, T0 + 1100);
	a = logged_addr("addr_add", &HOA1, mark);
	b0 = logged("bind 2001:db8:c4a::101 ::", mark);
	b1 = logged("bind 2001:db8:c4a::101 2001:db8:a1::5", mark);
	cr_assert(a >= 0 && a < b0 && b0 < b1,
		  "configured again, then bound to the current CoA (%d %d %d)", a, b0, b1);
	cr_assert_eq(logged("rule_del", mark), -1, "a lease configured again: the rule stays");
	cr_assert_eq(F.nbu, 2, "re-registered at once");
	cr_assert(bu_hnp_is(1, &HOA1));
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 1200);
	cr_assert_eq(F.nrep, 1, "a request waits for the re-registration's BA");
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 1230);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:c4a::101");
	/* the first run's engine is dropped without a word to anyone */
	he_cleanup(&first);
}

Test(hostengine, session_without_cha_uses_a_known_access_anchor)
{
	struct in6_addr access = A("2001:db8:ac::10");

	E.anchors.has_access = 1;
	E.anchors.access = access;
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 0, 0, T0);
	cr_assert_eq(F.nbu, 1, "allocated at the access anchor");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[0], &access));
	cr_assert_null(event("fallback", 0));
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 1);
	cr_assert_eq(F.nbu, 2, "the peer's CHA is another anchor: not shared");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[1], &ANCHOR));
}

/* ---- non-persistent ---- */

Test(hostengine, nonpersistent_is_plain_and_aborted_by_a_move)
{
	request(1, ODM_TYPE_NON_PERSISTENT, IPPROTO_TCP, 1, 0, T0);
	request(2, ODM_TYPE_NONE, IPPROTO_TCP, 1, 0, T0);
	cr_assert_eq(F.nbu, 0, "never anchored");
	cr_assert(F.rep[0].plain && F.rep[1].plain);
	cr_assert_null(event("fallback", 0), "what was asked for: no fallback");
	cr_assert_null(event("lease-granted", 0));

	F.destroyed = 2;
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, T0 + 1000);
	cr_assert_geq(logged_addr("destroy_tcp", &COA1, 0), 0,
		      "TCP sockets on the address that left are destroyed");
	cr_assert_eq(logged_addr("destroy_tcp", &COA2, 0), -1);
	cr_assert_str_eq(str(event("socket-destroyed", 0), "addr"), "2001:db8:a1::5");
	cr_assert_eq(json_integer_value(json_object_get(event("socket-destroyed", 0), "count")), 2);
}

/* An IPv4 address is plain too: its TCP sockets are ended when it leaves
 * the host (a DHCP client takes it off at a link's loss), whether or not an
 * IPv6 address left with it, and the event names it in its dotted form. */
Test(hostengine, a_vanished_ipv4_address_has_its_tcp_sockets_ended)
{
	struct in6_addr v4_1 = F.host4[0], v4_2;

	inet_pton(AF_INET6, "::ffff:198.18.2.100", &v4_2);
	F.destroyed = 1;
	/* the IPv6 move first, the IPv4 address still on the downed link */
	F.coa = COA2;
	F.host[0] = COA2;
	F.host4[1] = v4_2;
	F.nhost4 = 2;
	he_move(&E, T0 + 1000);
	cr_assert_eq(logged_addr("destroy_tcp", &v4_1, 0), -1, "still on the host");
	cr_assert_geq(logged_addr("destroy_tcp", &COA1, 0), 0);
	/* then the DHCP client takes it off: an address event, a look */
	F.host4[0] = v4_2;
	F.nhost4 = 1;
	he_move(&E, T0 + 1500);
	cr_assert_geq(logged_addr("destroy_tcp", &v4_1, 0), 0,
		      "the TCP sockets on the IPv4 address that left are ended");
	cr_assert_eq(logged_addr("destroy_tcp", &v4_2, 0), -1);
	cr_assert_str_eq(str(event("socket-destroyed", 1), "addr"), "198.18.1.100");
	cr_assert_eq(json_integer_value(json_object_get(event("socket-destroyed", 1), "count")), 1);
}

/* ---- fixed: the identity's one address at the home anchor ---- */

static struct in6_addr HOME, HOA_F;

/* A home anchor becomes known at T0; it answers the allocation with HOA_F */
static void fixed_registered(void)
{
	HOME = A("2001:db8:4a::10");
	HOA_F = A("2001:db8:4a::1:f00d");
	he_set_home(&E, &HOME, T0);
	cr_assert_eq(F.nbu, 1, "the Fixed address is asked for at once, no socket needed");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[0], &HOME));
	cr_assert(bu_hnp_is(0, &in6addr_any));
	cr_assert(bu_service_is(0, "fixed"), "the BU names the type (RFC 5149)");
	cr_assert_null(he_fixed_addr(&E), "nothing registered before the BA");
	answer(0, MH_BA_ACCEPTED, &HOA_F, T0 + 20);
	cr_assert_eq(F.nrep, 0, "nobody waited for it");
	cr_assert_not_null(he_fixed_addr(&E));
	cr_assert(IN6_ARE_ADDR_EQUAL(he_fixed_addr(&E), &HOA_F));
	cr_assert_geq(logged_addr("addr_add", &HOA_F, 0), 0, "configured on the host");
	cr_assert_geq(logged_addr("route_add", &HOA_F, 0), 0);
}

/*
 * The Fixed address is never ended for want of use, but a download on it
 * is a stream like any other: the home anchor killed before it saved the
 * move comes back with the old care-of address, and a host that only
 * receives draws no Binding Error. Its silence after the move is
 * confirmed as any lease's (a download stalled for 60 s and timed out
 * before, its lease never looked at).
 */
Test(hostengine, a_silent_stream_on_the_fixed_address_is_confirmed_after_a_move)
{
	uint64_t rx = T0 + 8000;
	int n;

	fixed_registered();
	F.count.tcp = 1;
	stream(T0 + 3000, rx);
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, rx + 200);
	n = F.nbu;
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[n - 1], &HOME), "the move's BU");
	answer(n - 1, MH_BA_ACCEPTED, &HOA_F, rx + 230);
	he_tick(&E, rx + HE_QUIET_MS - 1);
	cr_assert_eq(F.nbu, n, "not silent for long enough yet");
	he_tick(&E, rx + HE_QUIET_MS);
	cr_assert_eq(F.nbu, n + 1, "a refresh BU of the Fixed binding");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[n], &HOME));
	cr_assert_eq(quiet_checks(rx + HE_QUIET_MS), 1);
}

/*
 * The Fixed address is held whether or not it is used: one that a server
 * listens on and that receives nothing costs no refresh for its silence,
 * before a move or after it, and one whose stream was confirmed long
 * before the move is not confirmed again for it. Counted over 30 s of
 * looks after each.
 */
Test(hostengine, an_idle_fixed_address_is_not_confirmed_for_its_silence)
{
	uint64_t ba;
	int n;

	fixed_registered();
	F.count.tcp = 1; /* a server's listening socket on it */
	ticks(T0, T0 + 30000);
	cr_assert_eq(F.nbu, 1, "never received: nothing to confirm");
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, T0 + 31000);
	n = F.nbu;
	ba = T0 + 31030;
	answer(n - 1, MH_BA_ACCEPTED, &HOA_F, ba);
	ticks(ba, ba + 30000);
	cr_assert_eq(F.nbu, n, "nothing after the move either");

	/* a download that ended, confirmed once; a move long after it */
	stream(ba + 31000, ba + 34000);
	ticks(ba + 34000, ba + 34000 + HE_QUIET_MS);
	cr_assert_eq(F.nbu, n + 1, "the stream's silence is confirmed");
	answer(n, MH_BA_ACCEPTED, &HOA_F, ba + 34000 + HE_QUIET_MS + 20);
	F.coa = COA1;
	F.host[0] = COA1;
	he_move(&E, ba + 60000);
	n = F.nbu;
	answer(n - 1, MH_BA_ACCEPTED, &HOA_F, ba + 60030);
	ticks(ba + 60030, ba + 90030);
	cr_assert_eq(F.nbu, n, "its old silence is not confirmed again for the move");
	cr_assert_eq(quiet_checks(ba + 90030), 1);
}

/* the next run asks the home anchor for the same binding again */
Test(hostengine, the_fixed_address_is_not_journaled)
{
	fixed_registered();
	cr_assert_eq(NJR, 0);
}

/* the Fixed address, which no judge ends, is looked at all the same: its
 * status says since when nothing has passed */
Test(hostengine, status_says_how_long_the_fixed_address_has_been_idle)
{
	fixed_registered();
	F.last_traffic = T0 + 40000;
	he_tick(&E, T0 + 41000);
	cr_assert_eq(lease_field("idle_ms", T0 + 41000), 1000);
}

Test(hostengine, fixed_is_refused_without_a_home_anchor)
{
	request(1, ODM_TYPE_FIXED, IPPROTO_TCP, 1, 0, T0);
	he_tick(&E, T0 + 10000);
	cr_assert_eq(F.nbu, 0, "no BU without a home anchor, whatever the CHA");
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "REQUIREDIPNOTSUPPORTED");
	cr_assert_str_eq(str(event("lease-refused", 0), "error"), "EAI_REQUIREDIPNOTSUPPORTED");
	cr_assert_str_eq(str(event("lease-refused", 0), "type"), "fixed");
	cr_assert(strstr(str(event("lease-refused", 0), "reason"), "home anchor"));
}

Test(hostengine, graceful_is_not_offered_yet)
{
	request(2, ODM_TYPE_GRACEFUL_REPLACEMENT, IPPROTO_TCP, 1, 0, T0);
	cr_assert_eq(F.nbu, 0, "no BU for a type no anchor offers");
	cr_assert_str_eq(F.rep[0].code, "REQUIREDIPNOTSUPPORTED");
	cr_assert_str_eq(str(event("lease-refused", 0), "type"), "graceful-replacement");
}

Test(hostengine, fixed_is_held_from_the_start_without_sockets)
{
	int nbu;

	fixed_registered();
	/* no socket uses it, long after any grace: kept */
	F.count.tcp = F.count.udp = 0;
	for (uint64_t t = T0 + 1000; t <= T0 + 60000; t += 1000)
		he_tick(&E, t);
	cr_assert_null(event("lease-ended", 0), "a Fixed address never ends for want of sockets");
	cr_assert_eq(logged_addr("addr_del", &HOA_F, 0), -1);
	cr_assert(IN6_ARE_ADDR_EQUAL(he_fixed_addr(&E), &HOA_F));
	/* and refreshed before the anchor forgets it (lifetime 300 s) */
	nbu = F.nbu;
	for (uint64_t t = T0 + 60000; t <= T0 + 300000 && F.nbu == nbu; t += 1000)
		he_reg_timers(&E, t);
	cr_assert_eq(F.nbu, nbu + 1, "a refresh went out within the lifetime");
	cr_assert(bu_hnp_is(nbu, &HOA_F));
	cr_assert(bu_service_is(nbu, "fixed"));
	cr_assert_neq(bu(nbu).lifetime, 0);
}

Test(hostengine, every_fixed_request_gets_the_held_address)
{
	fixed_registered();
	request(1, ODM_TYPE_FIXED, IPPROTO_TCP, 0, 0, T0 + 100);
	request(25, ODM_TYPE_FIXED, IPPROTO_UDP, 0, 1, T0 + 110); /* another user, fresh */
	cr_assert_eq(F.nbu, 1, "no new allocation");
	cr_assert_eq(F.nrep, 2, "answered at once");
	cr_assert_str_eq(F.rep[0].addr, "2001:db8:4a::1:f00d");
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:4a::1:f00d");
	cr_assert(json_is_true(json_object_get(event("lease-granted", 0), "reused")));
	cr_assert_eq(json_integer_value(json_object_get(event("lease-granted", 1), "uid")), 1002);
	/* Session-lasting is a different address even at the same anchor */
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 120);
	cr_assert_eq(F.nbu, 2, "Session-lasting allocates its own");
	/* named: a home anchor would give the Fixed address to a BU naming
	 * no type (odmagent.conf(5)) */
	cr_assert(bu_service_is(1, "session-lasting"));
}

Test(hostengine, fixed_waiting_for_its_allocation_gets_it_with_the_ba)
{
	HOME = A("2001:db8:4a::10");
	HOA_F = A("2001:db8:4a::1:f00d");
	he_set_home(&E, &HOME, T0);
	request(1, ODM_TYPE_FIXED, IPPROTO_TCP, 0, 0, T0 + 5);
	cr_assert_eq(F.nbu, 1, "joins the allocation under way");
	cr_assert_eq(F.nrep, 0);
	answer(0, MH_BA_ACCEPTED, &HOA_F, T0 + 20);
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].addr, "2001:db8:4a::1:f00d");
}

Test(hostengine, fixed_is_reregistered_on_a_move)
{
	int nbu;

	fixed_registered();
	nbu = F.nbu;
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, T0 + 1000);
	cr_assert_eq(F.nbu, nbu + 1, "one BU for the move");
	cr_assert(bu_hnp_is(nbu, &HOA_F));
	cr_assert(bu_service_is(nbu, "fixed"));
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[nbu], &COA2), "sent from the new CoA");
	cr_assert_geq(logged("bind 2001:db8:4a::1:f00d 2001:db8:a2::5", 0), 0,
		      "re-bound in the tunnel to the new CoA");
	answer(nbu, MH_BA_ACCEPTED, NULL, T0 + 1030);
	cr_assert(IN6_ARE_ADDR_EQUAL(he_fixed_addr(&E), &HOA_F), "the same address after it");
}

Test(hostengine, fixed_is_asked_for_again_after_a_silent_anchor)
{
	HOME = A("2001:db8:4a::10");
	he_set_home(&E, &HOME, T0);
	cr_assert_eq(F.nbu, 1);
	for (uint64_t t = T0; t <= T0 + HE_ALLOC_TIMEOUT_MS + 10; t += 10)
		he_reg_timers(&E, t);
	cr_assert_null(E.leases.head, "the allocation gave up");
	cr_assert_eq(F.nbu, 2, "with its one retransmission");
	he_tick(&E, T0 + 3000);
	cr_assert_eq(F.nbu, 2, "not again before FIXED_RETRY_MS");
	he_tick(&E, T0 + FIXED_RETRY_MS);
	cr_assert_eq(F.nbu, 3, "asked again");
	cr_assert(bu_hnp_is(2, &in6addr_any));
	cr_assert(bu_service_is(2, "fixed"));
	/* silent again: the next try waits twice as long */
	for (uint64_t t = T0 + FIXED_RETRY_MS; t <= T0 + FIXED_RETRY_MS + HE_ALLOC_TIMEOUT_MS + 10;
	     t += 10)
		he_reg_timers(&E, t);
	cr_assert_null(E.leases.head);
	he_tick(&E, T0 + 3 * FIXED_RETRY_MS - 1);
	cr_assert_eq(F.nbu, 4, "not before twice FIXED_RETRY_MS");
	he_tick(&E, T0 + 3 * FIXED_RETRY_MS);
	cr_assert_eq(F.nbu, 5, "asked a third time");
	/* an answer starts the count again */
	answer(4, MH_BA_ACCEPTED, &HOA1, T0 + 3 * FIXED_RETRY_MS + 20);
	he_tick(&E, T0 + 3 * FIXED_RETRY_MS + 1000);
	cr_assert_eq(E.fixed_tries, 0);
}

/* A host started before its network: the Fixed allocations fail for want
 * of a care-of address (none of their BUs left) and wait as after a silent
 * anchor; the move that gives one asks at once, not at the end of the
 * wait. A move after a silent anchor's failure does not. */
Test(hostengine, fixed_is_asked_for_at_the_move_that_gives_a_care_of_address)
{
	uint64_t t = T0;

	HOME = A("2001:db8:4a::10");
	F.coa_rc = -ENETUNREACH;
	he_set_home(&E, &HOME, T0);
	for (int tries = 1; tries <= 2; tries++) {
		uint64_t t0 = t;

		cr_assert_not_null(E.leases.head, "try %d under way", tries);
		for (; E.leases.head && t <= t0 + HE_ALLOC_TIMEOUT_MS + 10; t += 10)
			he_reg_timers(&E, t);
		cr_assert_null(E.leases.head, "try %d gave up", tries);
		he_move(&E, t); /* an event that brings no care-of address */
		cr_assert_null(E.leases.head, "no try without one");
		t = t0 + fixed_retry_ms((unsigned)tries);
		he_tick(&E, t);
	}
	cr_assert_eq(F.nbu, 0, "nothing sent without a care-of address");
	for (uint64_t t0 = t; E.leases.head && t <= t0 + HE_ALLOC_TIMEOUT_MS + 10; t += 10)
		he_reg_timers(&E, t);
	cr_assert_null(E.leases.head);
	/* the network comes, well within the wait after the third try (20 s) */
	F.coa_rc = 0;
	F.coa = COA1;
	he_move(&E, t + 100);
	cr_assert_eq(F.nbu, 1, "asked at the move");
	cr_assert(bu_service_is(0, "fixed"));
	answer(0, MH_BA_ACCEPTED, &HOA1, t + 120);
	cr_assert(IN6_ARE_ADDR_EQUAL(he_fixed_addr(&E), &HOA1));
}

/* a silent home anchor (its BUs left) waits on, moves or not */
Test(hostengine, fixed_after_a_silent_anchor_waits_across_a_move)
{
	uint64_t t;

	HOME = A("2001:db8:4a::10");
	he_set_home(&E, &HOME, T0);
	for (t = T0; E.leases.head && t <= T0 + HE_ALLOC_TIMEOUT_MS + 10; t += 10)
		he_reg_timers(&E, t);
	cr_assert_null(E.leases.head);
	cr_assert_eq(F.nbu, 2);
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, t + 100);
	cr_assert_eq(F.nbu, 2, "not asked again before FIXED_RETRY_MS");
	he_tick(&E, T0 + FIXED_RETRY_MS);
	cr_assert_eq(F.nbu, 3, "then asked again");
}

/* The care-of address comes while a Fixed try, begun without one after a
 * try that had none, is under way: that try's BU leaves at the move and is
 * the first the anchor sees; if the anchor lets it go unanswered, the next
 * try waits FIXED_RETRY_MS from its start, as after any first silence, not
 * none at all */
Test(hostengine, fixed_try_under_way_at_the_move_counts_as_the_first)
{
	uint64_t t, t2 = T0 + FIXED_RETRY_MS;

	HOME = A("2001:db8:4a::10");
	F.coa_rc = -ENETUNREACH;
	he_set_home(&E, &HOME, T0);
	for (t = T0; E.leases.head && t <= T0 + HE_ALLOC_TIMEOUT_MS + 10; t += 10)
		he_reg_timers(&E, t);
	cr_assert_null(E.leases.head, "try 1 gave up");
	he_tick(&E, t2);
	cr_assert_not_null(E.leases.head, "try 2 under way");
	cr_assert_eq(F.nbu, 0);
	F.coa_rc = 0;
	F.coa = COA1;
	he_move(&E, t2 + 500);
	cr_assert_eq(F.nbu, 1, "try 2's BU leaves at the move");
	for (t = t2 + 500; E.leases.head && t <= t2 + HE_ALLOC_TIMEOUT_MS + 10; t += 10)
		he_reg_timers(&E, t);
	cr_assert_null(E.leases.head, "the anchor let try 2 go unanswered");
	cr_assert_eq(F.nbu, 2);
	he_tick(&E, t + 10);
	cr_assert_eq(F.nbu, 2, "not asked again at once");
	he_tick(&E, t2 + FIXED_RETRY_MS - 1);
	cr_assert_eq(F.nbu, 2, "nor before FIXED_RETRY_MS after try 2 began");
	he_tick(&E, t2 + FIXED_RETRY_MS);
	cr_assert_eq(F.nbu, 3, "then asked again");
}

/* The home anchor's choice asks the engine which anchors are on hold
 * (hadisc.h): a home anchor that let the Fixed allocation go unanswered is,
 * HE_SILENT_HOLD_MS, and any answer ends it */
Test(hostengine, a_silent_home_anchor_is_said_to_be_on_hold)
{
	struct in6_addr other = A("2001:db8:4b::10");
	uint64_t t, silent = 0;

	HOME = A("2001:db8:4a::10");
	cr_assert_eq(he_anchor_hold_left(&E, &HOME, T0), 0, "an anchor never asked");
	he_set_home(&E, &HOME, T0);
	for (t = T0; t <= T0 + HE_ALLOC_TIMEOUT_MS + 10 && !silent; t += 10) {
		he_reg_timers(&E, t);
		if (!E.leases.head)
			silent = t;
	}
	cr_assert_neq(silent, 0, "the allocation gave up");
	cr_assert_eq(he_anchor_hold_left(&E, &HOME, silent), HE_SILENT_HOLD_MS);
	cr_assert_eq(he_anchor_hold_left(&E, &HOME, silent + HE_SILENT_HOLD_MS - 1), 1);
	cr_assert_eq(he_anchor_hold_left(&E, &HOME, silent + HE_SILENT_HOLD_MS), 0);
	cr_assert_eq(he_anchor_hold_left(&E, &other, silent), 0, "only that anchor");
	/* asked again after the hold and silent again: twice as long */
	he_tick(&E, silent + HE_SILENT_HOLD_MS);
	cr_assert_eq(F.nbu, 3, "asked again");
	for (t = silent + HE_SILENT_HOLD_MS; E.leases.head && t <= silent + 20000; t += 10)
		he_reg_timers(&E, t);
	cr_assert_null(E.leases.head);
	cr_assert_eq(he_anchor_hold_left(&E, &HOME, t - 10), 2 * HE_SILENT_HOLD_MS);
	/* an answer ends it */
	he_tick(&E, t + 2 * HE_SILENT_HOLD_MS);
	cr_assert_eq(F.nbu, 5);
	answer(4, MH_BA_ACCEPTED, &HOA1, t + 2 * HE_SILENT_HOLD_MS + 20);
	cr_assert_eq(he_anchor_hold_left(&E, &HOME, t + 2 * HE_SILENT_HOLD_MS + 20), 0);
}

Test(hostengine, fixed_retry_doubles_to_a_minute)
{
	cr_assert_eq(fixed_retry_ms(1), FIXED_RETRY_MS);
	cr_assert_eq(fixed_retry_ms(2), 2 * FIXED_RETRY_MS);
	cr_assert_eq(fixed_retry_ms(4), 8 * FIXED_RETRY_MS);
	cr_assert_eq(fixed_retry_ms(5), FIXED_RETRY_MAX_MS);
	cr_assert_eq(fixed_retry_ms(1000), FIXED_RETRY_MAX_MS);
}

Test(hostengine, a_new_home_anchor_takes_the_fixed_address_over)
{
	struct in6_addr home2 = A("2001:db8:4b::10"), hoa2 = A("2001:db8:4b::1:f00d");
	int nbu;

	fixed_registered();
	nbu = F.nbu;
	he_set_home(&E, &home2, T0 + 1000);
	cr_assert_eq(F.nbu, nbu + 1, "an allocation, no deregistration yet");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[nbu], &home2));
	cr_assert(bu_service_is(nbu, "fixed"));
	cr_assert_null(event("lease-ended", 0), "the old address is kept until then");
	cr_assert_eq(logged_addr("addr_del", &HOA_F, 0), -1);
	cr_assert_null(he_fixed_addr(&E), "none from the new anchor before it answers");
	answer(nbu, MH_BA_ACCEPTED, &hoa2, T0 + 1020);
	cr_assert(IN6_ARE_ADDR_EQUAL(he_fixed_addr(&E), &hoa2));
	he_tick(&E, T0 + 1100);
	cr_assert_eq(F.nbu, nbu + 2, "then the old anchor is told to let go");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[nbu + 1], &HOME));
	cr_assert_eq(bu(nbu + 1).lifetime, 0);
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "anchor-changed");
	cr_assert_str_eq(str(event("lease-ended", 0), "addr"), "2001:db8:4a::1:f00d");
	cr_assert_geq(logged_addr("addr_del", &HOA_F, 0), 0);
	cr_assert(IN6_ARE_ADDR_EQUAL(he_fixed_addr(&E), &hoa2));
	/* losing every anchor refuses new requests, keeps nothing else */
	he_set_home(&E, NULL, T0 + 2000);
	request(1, ODM_TYPE_FIXED, IPPROTO_TCP, 0, 0, T0 + 2001);
	cr_assert_str_eq(F.rep[F.nrep - 1].code, "REQUIREDIPNOTSUPPORTED");
	cr_assert_eq(logged_addr("addr_del", &hoa2, 0), -1);
}

/* A new home anchor that never answers (a rogue DNSSL's, a wrong SRV
 * record): the Fixed address at the old one is kept all along, and the
 * choice back to the old one (its hold, hadisc.h) finds it registered */
Test(hostengine, a_silent_new_home_anchor_leaves_the_fixed_address_as_it_was)
{
	struct in6_addr bogus = A("2001:db8:c2::66");
	int nbu;
	uint64_t t;

	fixed_registered();
	nbu = F.nbu;
	he_set_home(&E, &bogus, T0 + 1000);
	cr_assert_eq(F.nbu, nbu + 1);
	for (t = T0 + 1000; t <= T0 + 1000 + HE_ALLOC_TIMEOUT_MS + 10; t += 10)
		he_reg_timers(&E, t);
	cr_assert_gt(he_anchor_hold_left(&E, &bogus, t), 0, "the silent one is on hold");
	cr_assert_null(event("lease-ended", 0), "the old Fixed lease never ended");
	cr_assert_eq(logged_addr("addr_del", &HOA_F, 0), -1);
	nbu = F.nbu;
	he_set_home(&E, &HOME, t);
	cr_assert_eq(F.nbu, nbu, "no new allocation: the address is held there");
	cr_assert(IN6_ARE_ADDR_EQUAL(he_fixed_addr(&E), &HOA_F));
	he_tick(&E, t + 1000);
	cr_assert_eq(F.nbu, nbu);
	cr_assert_null(event("lease-ended", 0));
	/* back to the silent one while its allocation is under way, then
	 * home again before it times out: that allocation ends, not the
	 * address */
	he_set_home(&E, &bogus, t + 20000);
	cr_assert_eq(F.nbu, nbu + 1, "asked again after its hold");
	he_set_home(&E, &HOME, t + 20100);
	cr_assert_eq(E.leases.n, 1, "only the registered Fixed lease is left");
	cr_assert(IN6_ARE_ADDR_EQUAL(&E.leases.head->anchor, &HOME));
	cr_assert(IN6_ARE_ADDR_EQUAL(he_fixed_addr(&E), &HOA_F));
}

Test(hostengine, fixed_taken_over_after_a_restart_keeps_its_service)
{
	struct hostengine first;
	int nbu;

	fixed_registered();
	new_run(&first);
	nbu = F.nbu;
	he_set_home(&E, &HOME, T0 + 1100);
	cr_assert_eq(F.nbu, nbu, "the taken-over lease is the Fixed one: no new allocation");
	he_adopted(&E, T0 + 1100);
	cr_assert_eq(F.nbu, nbu + 1, "re-registered at once");
	cr_assert(bu_hnp_is(nbu, &HOA_F));
	cr_assert(bu_service_is(nbu, "fixed"));
	he_cleanup(&first);
}

Test(hostengine, type_table_has_every_type)
{
	cr_assert_not_null(addrtype_get(ODM_TYPE_NON_PERSISTENT));
	cr_assert_not_null(addrtype_get(ODM_TYPE_SESSION_LASTING));
	cr_assert_not_null(addrtype_get(ODM_TYPE_FIXED));
	cr_assert_not_null(addrtype_get(ODM_TYPE_GRACEFUL_REPLACEMENT));
	cr_assert_eq(addrtype_get(ODM_TYPE_NONE), addrtype_get(ODM_TYPE_NON_PERSISTENT));
	cr_assert_null(addrtype_get(99));
	cr_assert_not_null(addrtype_get(ODM_TYPE_GRACEFUL_REPLACEMENT)->source,
			   "graceful-replacement: from the access anchor");
	cr_assert_not_null(addrtype_get(ODM_TYPE_FIXED)->source, "fixed: from the home anchor");
	cr_assert_null(addrtype_get(ODM_TYPE_FIXED)->judge, "fixed: never ended for want of use");
}

/* ---- host configuration failure ---- */

/* A lease granted while a configuration step fails: refused, what was
 * done undone, and the anchor told to let go */
static void configured_with_a_failure(void)
{
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	answer(0, MH_BA_ACCEPTED, &HOA1, T0 + 20);
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "REQUIREDIPFAILED");
	cr_assert_geq(logged_addr("addr_del", &HOA1, 0), 0, "the address is removed again");
	cr_assert_geq(logged_addr("unbind", &HOA1, 0), 0);
	cr_assert_eq(bu(1).lifetime, 0, "the anchor is told to let go");
	cr_assert_null(E.leases.head);
}

Test(hostengine, host_configuration_failure_deregisters_and_undoes)
{
	F.fail_route = 1;
	configured_with_a_failure();
	cr_assert_eq(logged("rule_add", 0), -1, "no rule without a route");
}

Test(hostengine, rule_failure_undoes_the_route_too)
{
	F.fail_rule = 1;
	configured_with_a_failure();
	cr_assert_geq(logged_addr("route_del", &HOA1, 0), 0, "the route is removed again");
	cr_assert_eq(logged("rule_del", 0), -1, "the rule was never there");
}

/* ---- the outage a move's BU reports (replay.h) ---- */

/*
 * One move from COA1 to COA2: the link goes at T0 + 1000 (the burst of
 * events that shows it), the new CoA is there at T0 + 1040, the tunnel last
 * received from the anchor at last_rx (0 = never). The BU's "lost N ms ago".
 */
static uint32_t lost_ago_read_late(uint64_t last_rx, uint64_t last_rx_at_bu)
{
	struct mh_msg m;

	granted(IPPROTO_UDP);
	F.last_rx = last_rx;
	F.coa_rc = -ENETUNREACH;
	F.nhost = 0;
	he_move_since(&E, T0 + 1010, T0 + 1000); /* a burst of events from T0 + 1000 */
	he_move(&E, T0 + 1020); /* more events while deaf: still the first */
	cr_assert_eq(F.nbu, 1, "nothing to send from");
	F.last_rx = last_rx_at_bu;
	F.coa_rc = 0;
	F.coa = COA2;
	F.host[0] = COA2;
	F.nhost = 1;
	he_move(&E, T0 + 1040);
	cr_assert_eq(F.nbu, 2, "the move's BU");
	m = bu(1);
	cr_assert(m.present & MH_HAS_COA_LOST);
	return m.coa_lost_ms;
}

/*
 * The same CoA back after a time without one (a single link's carrier lost
 * and back): a re-registration that says the loss, as a move's does, so
 * the anchor replays it; returns within HE_BACK_GAP_MS of it wait for its
 * end and make one more, whatever their number, the tunnel bound again at
 * each (the bpf backend's hold ends).
 */
Test(hostengine, the_same_coa_back_re_registers_at_most_once_per_gap)
{
	uint64_t t = T0 + 1000, due;
	struct mh_msg m;
	int from;

	granted(IPPROTO_UDP);
	F.coa_rc = -ENETUNREACH;
	he_move(&E, t);
	cr_assert_eq(F.nbu, 1, "nothing to send from");
	F.coa_rc = 0;
	he_move(&E, t + 500);
	cr_assert_eq(F.nbu, 2, "the return's BU");
	m = bu(1);
	cr_assert(bu_hnp_is(1, &HOA1));
	cr_assert(m.present & MH_HAS_COA_LOST, "it says the loss");
	answer(1, MH_BA_ACCEPTED, &HOA1, t + 510);
	/* the link flaps: 20 losses and returns in the next second */
	from = F.nlog;
	for (int i = 1; i <= 20; i++) {
		F.coa_rc = -ENETUNREACH;
		he_move(&E, t + 500 + 40 * i);
		F.coa_rc = 0;
		he_move(&E, t + 520 + 40 * i);
	}
	cr_assert_eq(F.nbu, 2, "no BU within the gap");
	cr_assert_geq(logged_pair("bind", &HOA1, &COA1, from), 0, "bound again all the same");
	due = he_reg_deadline(&E);
	cr_assert_eq(due, t + 500 + HE_BACK_GAP_MS, "one due at the gap's end");
	he_reg_timers(&E, due);
	cr_assert_eq(F.nbu, 3, "one BU for them all");
	m = bu(2);
	cr_assert(m.present & MH_HAS_COA_LOST);
	answer(2, MH_BA_ACCEPTED, &HOA1, due + 10);
	he_tick(&E, due + 20);
	he_reg_timers(&E, due + 30);
	cr_assert_eq(F.nbu, 3, "and no more once the link stays");
	cr_assert_eq(E.reg.anchors->coa_lost_ms, 0, "the outage over");
}

/*
 * The same CoA back: the anchor sent to it all along, so what the tunnel
 * receives once the link is back, before the agent sees the return, is the
 * outage's end. The return's BU still names the last packet from before the
 * loss and counts from it; naming the newer one made the anchor replay only
 * what it sent after that packet, none of the outage (a 80/s stream across a
 * 1 s carrier loss lost all 80 datagrams on a loaded machine).
 */
Test(hostengine, the_same_coa_back_names_the_last_packet_before_the_loss)
{
	uint64_t t = T0 + 1000;
	struct mh_msg m;

	granted(IPPROTO_UDP);
	F.last_rx = t - 10;
	F.last_tag = 0x5eed1e55;
	F.coa_rc = -ENETUNREACH;
	he_move(&E, t);
	cr_assert_eq(F.nbu, 1, "nothing to send from");
	/* the link back: a packet came 20 ms before the agent looked */
	F.last_rx = t + 480;
	F.last_tag = 0x0afe12;
	F.coa_rc = 0;
	he_move(&E, t + 500);
	cr_assert_eq(F.nbu, 2, "the return's BU");
	m = bu(1);
	cr_assert(m.present & MH_HAS_COA_LOST);
	cr_assert_eq(m.coa_lost_tag, 0x5eed1e55, "the packet before the loss, not %#x",
		     m.coa_lost_tag);
	cr_assert_eq(m.coa_lost_ms, 510 + GRANTED_WAY, "counted from it: %u ms", m.coa_lost_ms);
}

/* The BUs that say a loss among F.bu[from..) */
static int bus_saying_a_loss(int from)
{
	int n = 0;

	for (int i = from; i < F.nbu; i++)
		n += (bu(i).present & MH_HAS_COA_LOST) != 0;
	return n;
}

/*
 * The carrier lost and back while the agent did not run (stopped before
 * the loss, continued after the return): no look found the CoA gone, and
 * the events of the loss and the return are read together, the same CoA
 * working. The link's count of carrier losses grew since the last look:
 * the return re-registers once, the loss dated from that look (what the
 * tunnel received since may be the outage's end). Without it nothing was
 * re-registered and the outage was lost whole (80 datagrams of a 80/s
 * stream across a 1 s loss).
 */
Test(hostengine, an_outage_the_agent_did_not_see_is_re_registered_once_at_its_wake)
{
	uint64_t t = T0 + 1000;
	struct mh_msg m;

	granted(IPPROTO_UDP);
	F.count.udp = 1; /* its socket open */
	F.last_rx = t - 5;
	F.last_tag = 0x5eed1e55;
	he_tick(&E, t); /* the last look before the agent stopped */
	cr_assert_eq(F.nbu, 1);
	/* stopped; the link lost and back; a packet came after the return */
	F.downs = 1;
	F.last_rx = t + 1900;
	F.last_tag = 0x0afe12;
	he_move_since(&E, t + 2000, t + 2000); /* the events, read at the wake */
	cr_assert_eq(F.nbu, 2, "the return's BU");
	cr_assert(bu_hnp_is(1, &HOA1));
	m = bu(1);
	cr_assert(m.present & MH_HAS_COA_LOST, "it says the loss");
	cr_assert_eq(m.coa_lost_ms, 2000 + REPLAY_NOTICE_MS + GRANTED_WAY,
		     "from the last look that found the link as it was: %u ms", m.coa_lost_ms);
	cr_assert_eq(m.coa_lost_tag, 0, "not the packet after the return");
	answer(1, MH_BA_ACCEPTED, &HOA1, t + 2010);
	he_tick(&E, t + 2500);
	he_move(&E, t + 2600);
	he_reg_timers(&E, t + 2700);
	cr_assert_eq(F.nbu, 2, "once");
}

/* A look that finds the same count (a stop of the agent alone, however
 * long) or the CoA on another link (a move) makes no return of it */
Test(hostengine, a_stop_of_the_agent_alone_re_registers_nothing)
{
	uint64_t t = T0 + 1000;

	F.downs = 4;
	granted(IPPROTO_UDP);
	F.count.udp = 1; /* its socket open */
	he_tick(&E, t);
	he_tick(&E, t + 30000); /* 30 s without a run */
	he_move(&E, t + 30010);
	cr_assert_eq(bus_saying_a_loss(1), 0, "no BU says a loss");
	F.link_rc = -ENODEV; /* cannot tell: nothing either */
	F.downs = 5;
	he_tick(&E, t + 31000);
	cr_assert_eq(bus_saying_a_loss(1), 0, "no BU says a loss");
}

/*
 * A return seen (a look found no CoA meanwhile) is re-registered once, not
 * once more for the count; so is a link whose carrier went while the CoA
 * still had a route (ignore-linkdown off): compared at its return with the
 * look before the loss
 */
Test(hostengine, a_loss_seen_or_a_link_looked_at_without_carrier_counts_once)
{
	uint64_t t = T0 + 1000;
	struct mh_msg m;

	granted(IPPROTO_UDP);
	F.count.udp = 1; /* its socket open */
	he_tick(&E, t);
	F.downs = 1;
	F.coa_rc = -ENETUNREACH;
	he_move(&E, t + 100);
	F.coa_rc = 0;
	he_move(&E, t + 600);
	cr_assert_eq(F.nbu, 2, "the return's BU");
	answer(1, MH_BA_ACCEPTED, &HOA1, t + 610);
	he_tick(&E, t + 1700);
	cr_assert_eq(F.nbu, 2, "no second for the count");
	F.link_rc = -ENETDOWN;
	F.downs = 2;
	he_tick(&E, t + 2700);
	cr_assert_eq(F.nbu, 2, "not while the link has no carrier");
	F.link_rc = 0;
	he_move(&E, t + 3200);
	cr_assert_eq(F.nbu, 3, "at its return");
	m = bu(2);
	cr_assert(m.present & MH_HAS_COA_LOST);
	cr_assert_eq(m.coa_lost_ms, 1500 + REPLAY_NOTICE_MS + 10,
		     "from the last look with carrier, and the last round trip: %u ms",
		     m.coa_lost_ms);
}

/*
 * A move, or a return seen, re-registers before the care-of address's link
 * is looked up (an address and a link dump, up to milliseconds on a host
 * of many addresses): its BUs do not wait for them. The link so noted
 * still tells of a loss the agent then does not see.
 */
Test(hostengine, a_move_or_a_return_sends_its_bus_before_looking_up_the_link)
{
	uint64_t t = T0 + 1000;

	granted(IPPROTO_UDP);
	F.count.udp = 1; /* its socket open */
	F.coa = COA2;
	F.host[0] = COA2;
	F.link_nbu = -1;
	he_move(&E, t);
	cr_assert_eq(F.nbu, 2, "the move's BU");
	cr_assert_eq(F.link_nbu, 2, "the link looked up after it, not before");
	answer(1, MH_BA_ACCEPTED, &HOA1, t + 10);
	F.coa_rc = -ENETUNREACH; /* a loss seen */
	he_move(&E, t + 1500);
	F.coa_rc = 0;
	F.link_nbu = -1;
	he_move(&E, t + 2000);
	cr_assert_eq(F.nbu, 3, "the return's BU");
	cr_assert_eq(F.link_nbu, 3, "the link looked up after it, not before");
	answer(2, MH_BA_ACCEPTED, &HOA1, t + 2010);
	he_tick(&E, t + 2500);
	cr_assert_eq(F.nbu, 3, "nothing new");
	F.downs++; /* then one it does not see */
	he_move(&E, t + 3000);
	cr_assert_eq(F.nbu, 4, "re-registered");
	cr_assert(bu(3).present & MH_HAS_COA_LOST, "it says the loss");
}

/* Losses the agent did not see, one at each look of a flapping link:
 * paced as those it sees, one re-registration a gap (HE_BACK_GAP_MS) */
Test(hostengine, unseen_losses_of_a_flapping_link_re_register_once_a_gap)
{
	uint64_t t = T0 + 1000, due;

	granted(IPPROTO_UDP);
	F.count.udp = 1; /* its socket open */
	he_tick(&E, t);
	for (int i = 1; i <= 20; i++) {
		F.downs++;
		he_move(&E, t + 50 * i);
	}
	cr_assert_eq(F.nbu, 2, "the first return's BU alone");
	answer(1, MH_BA_ACCEPTED, &HOA1, t + 60);
	due = he_reg_deadline(&E);
	cr_assert_eq(due, t + 50 + HE_BACK_GAP_MS, "one due at the gap's end");
	he_reg_timers(&E, due);
	cr_assert_eq(F.nbu, 3, "one BU for the others");
	cr_assert(bu(2).present & MH_HAS_COA_LOST);
	answer(2, MH_BA_ACCEPTED, &HOA1, due + 10);
	he_tick(&E, due + 500);
	he_reg_timers(&E, due + 600);
	cr_assert_eq(F.nbu, 3, "no more once the link stays");
}

/* A link that flaps with many leases: the return is said once per anchor
 * at info level (at most once a second), each lease's answer at debug, as
 * a refresh's is; with 100 leases, one line per lease per flap flooded the
 * log with 100 a second. A move's lines per lease stay at info. */
Test(hostengine, the_same_coa_back_is_said_once_per_anchor_not_per_lease)
{
	uint64_t t = T0 + 1000;
	char buf[16384];
	int n;

	granted(IPPROTO_UDP);
	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	F.coa_rc = -ENETUNREACH;
	he_move(&E, t);
	F.coa_rc = 0;
	he_move(&E, t + 500);
	cr_assert_eq(F.nbu, 2, "the return's BU");
	answer(1, MH_BA_ACCEPTED, &HOA1, t + 510);
	n = stderr_count(buf, sizeof(buf), " back on ");
	cr_assert_eq(n, 1, "the anchor's line:\n%s", buf);
	cr_assert_null(strstr(buf, " re-registered at "), "no line per lease at info:\n%s", buf);
	he_tick(&E, t + 1500);
	he_move_since(&E, t + 3000, t + 2990);
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, t + 3010);
	cr_assert_eq(F.nbu, 3, "the move's BU");
	answer(2, MH_BA_ACCEPTED, &HOA1, t + 3050);
	n = stderr_count(buf, sizeof(buf), " re-registered at 2001:db8:ca::10 after the move: ");
	cr_assert_eq(n, 1, "a move's line per lease as before:\n%s", buf);
}

/* The anchors odmctl status lists without a route from their CoA now */
static json_t *no_route_now(uint64_t now)
{
	json_t *st = he_status_json(&E, now), *a = json_incref(json_object_get(st, "no_route"));

	json_decref(st);
	cr_assert(json_is_array(a));
	return a;
}

/*
 * No route toward the anchor for HE_NO_ROUTE_MS (a default route removed
 * while the link stays up, the address's valid lifetime out): said once per
 * loss, and listed by odmctl status for as long as it lasts. Before, the
 * host said nothing until a route came back, and status went on naming
 * the old CoA as if it worked. Shorter losses (a flap's) are not said.
 */
Test(hostengine, a_long_time_without_a_route_is_said_once_and_listed)
{
	uint64_t t = T0 + 1000;
	char buf[16384];
	json_t *a;

	granted(IPPROTO_TCP);
	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	a = no_route_now(t);
	cr_assert_eq(json_array_size(a), 0, "a route at first");
	json_decref(a);
	/* flaps, each shorter than HE_NO_ROUTE_MS, ticks in between */
	for (int i = 0; i < 4; i++, t += 1000) {
		F.coa_rc = -ENETUNREACH;
		he_move(&E, t);
		he_tick(&E, t + 400);
		F.coa_rc = 0;
		he_move(&E, t + 800);
	}
	cr_assert_eq(stderr_count(buf, sizeof(buf), " no route toward "), 0,
		     "short losses are not said:\n%s", buf);
	/* a long one */
	F.coa_rc = -ENETUNREACH;
	he_move(&E, t);
	he_tick(&E, t + 1000);
	a = no_route_now(t + 1000);
	cr_assert_eq(json_array_size(a), 1, "listed at once");
	cr_assert_str_eq(str(json_array_get(a, 0), "anchor"), "2001:db8:ca::10");
	cr_assert_str_eq(str(json_array_get(a, 0), "coa"), "2001:db8:a1::5");
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(a, 0), "for_ms")), 1000);
	json_decref(a);
	cr_assert_eq(stderr_count(buf, sizeof(buf), " no route toward "), 0, "not said yet:\n%s",
		     buf);
	for (int i = 2; i <= 5; i++)
		he_tick(&E, t + 1000 * (uint64_t)i);
	cr_assert_eq(stderr_count(buf, sizeof(buf),
				 " no route toward anchor 2001:db8:ca::10 from CoA 2001:db8:a1::5 "
				 "for 2000 ms (Network is unreachable): 1 binding(s) held"),
		     1, "said:\n%s", buf);
	he_tick(&E, t + 5400);
	cr_assert_eq(stderr_count(buf, sizeof(buf), " no route toward "), 0, "once:\n%s", buf);
	F.coa_rc = 0;
	he_move(&E, t + 5500);
	a = no_route_now(t + 5500);
	cr_assert_eq(json_array_size(a), 0, "a route again");
	json_decref(a);
	/* the next long loss is said again */
	F.coa_rc = -ENETUNREACH;
	he_move(&E, t + 7000);
	he_tick(&E, t + 8000);
	he_tick(&E, t + 9000);
	cr_assert_eq(stderr_count(buf, sizeof(buf), " no route toward "), 1, "%s", buf);
}

/*
 * The old CoA gone with no new one yet: the tunnel holds the bindings'
 * packets back (refused where they are sent, so TCP keeps them queued
 * instead of losing them on the dead link) once per loss, and the next CoA
 * binds them again; a CoA that changes with no gap holds nothing.
 */
Test(hostengine, a_lost_coa_holds_the_packets_back_until_the_next_binds)
{
	int from, held;

	granted(IPPROTO_UDP);
	F.coa_rc = -ENETUNREACH;
	F.nhost = 0;
	from = F.nlog;
	he_move_since(&E, T0 + 1010, T0 + 1000);
	held = logged_pair("hold", &COA1, &ANCHOR, from);
	cr_assert_geq(held, 0, "held at the loss");
	he_move(&E, T0 + 1020);
	cr_assert_lt(logged_pair("hold", &COA1, &ANCHOR, held + 1), 0, "held once");
	F.coa_rc = 0;
	F.coa = COA2;
	F.host[0] = COA2;
	F.nhost = 1;
	from = F.nlog;
	he_move(&E, T0 + 1040);
	cr_assert_geq(logged_pair("bind", &HOA1, &COA2, from), 0, "bound to the new CoA");
	answer(1, MH_BA_ACCEPTED, &HOA1, T0 + 1050);
	/* straight from one CoA to another: nothing to hold */
	F.coa = COA1;
	F.host[0] = COA1;
	from = F.nlog;
	he_move(&E, T0 + 3000);
	cr_assert_geq(logged_pair("bind", &HOA1, &COA1, from), 0);
	for (int i = from; i < F.nlog; i++)
		cr_assert_neq(strncmp(F.log[i], "hold", 4), 0, "%s", F.log[i]);
}

/* a later move back to COA1, with no event in between (make-before-break):
 * the change seen at T0 + 7990, the CoA there at T0 + 9000 */
static void move_back_to_coa1(void)
{
	he_move_since(&E, T0 + 8000, T0 + 7990);
	F.coa = COA1;
	F.host[0] = COA1;
	he_move(&E, T0 + 9000);
}

static uint32_t lost_ago_with_last_rx(uint64_t last_rx)
{
	return lost_ago_read_late(last_rx, last_rx);
}

Test(hostengine, a_moves_bu_says_when_the_old_coa_stopped_working)
{
	struct mh_msg m;

	cr_assert_eq(lost_ago_with_last_rx(0), 40 + REPLAY_NOTICE_MS + GRANTED_WAY,
		     "nothing received: deaf since the burst of the first event without a CoA, "
		     "less the notice it may have taken");
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 1070);
	he_tick(&E, T0 + 1500); /* the CoA works, the move is over */

	/* make-before-break: the CoA changes with no event in between */
	move_back_to_coa1();
	cr_assert_eq(F.nbu, 3);
	m = bu(2);
	cr_assert(m.present & MH_HAS_COA_LOST);
	/* the move's BA came 30 ms after its BU: 30 ms added now */
	cr_assert_eq(m.coa_lost_ms, REPLAY_NOTICE_MS + 30, "a new loss, measured from this move");
}

/* the tunnel's last packet from the anchor, when it came before the events
 * that showed the loss, is the loss's start: nothing came after it */
Test(hostengine, a_moves_bu_counts_the_loss_from_the_last_packet_received)
{
	uint32_t ago = lost_ago_with_last_rx(T0 + 996);

	cr_assert_eq(ago, 44 + GRANTED_WAY, "the last packet came 4 ms before the burst: %u ms", ago);
}

/* the BU also names that packet, by the tag the tunnel gave it (pkttag.h):
 * the anchor replays what it sent after it */
Test(hostengine, a_moves_bu_names_the_last_packet_received)
{
	struct mh_msg m;

	F.last_tag = 0x5eed1e55;
	lost_ago_with_last_rx(T0 + 996);
	m = bu(1);
	cr_assert_eq(m.coa_lost_tag, 0x5eed1e55, "%#x", m.coa_lost_tag);
}

static uint32_t move_answered_untagged_only(uint64_t now, const struct in6_addr *coa);

/*
 * Only the move's first BU names the packet: an anchor older than the
 * option's long form refuses it as malformed and answers the retransmission
 * without it. One such refusal may be a lost BU (a link that flaps loses
 * the BUs of a return): the next move names the packet again; after a
 * second in a row the anchor is named no packet any more.
 */
Test(hostengine, an_anchor_that_answers_only_without_the_tag_twice_is_named_none_after)
{
	struct mh_msg m;

	F.last_tag = 0x5eed1e55;
	lost_ago_with_last_rx(T0 + 996); /* the move's first BU: bu(1) */
	cr_assert_eq(bu(1).coa_lost_tag, 0x5eed1e55);
	he_reg_timers(&E, he_reg_deadline(&E)); /* unanswered: sent again */
	cr_assert_eq(F.nbu, 3, "the retransmission");
	m = bu(2);
	cr_assert(m.present & MH_HAS_COA_LOST, "still says how long ago");
	cr_assert_eq(m.coa_lost_tag, 0, "without naming the packet");
	answer(2, MH_BA_ACCEPTED, NULL, T0 + 2100);
	he_tick(&E, T0 + 3000); /* the move is over */

	cr_assert_eq(move_answered_untagged_only(T0 + 8000, &COA1), 0x5eed1e55,
		     "one refusal may be a lost BU: named again");
	he_move_since(&E, T0 + 20000, T0 + 19990); /* a third move */
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, T0 + 21000);
	m = bu(F.nbu - 1);
	cr_assert(m.present & MH_HAS_COA_LOST);
	cr_assert_eq(m.coa_lost_tag, 0, "refused twice in a row: named no packet any more");
}

/* ...but an anchor that once accepted a BU naming the packet knows the
 * long form: a later move's first BU left unanswered was lost, or its BA
 * was (seen after a move back to a router still resolving the host's
 * address: the BA of one of two bindings' first BUs lost, the other
 * answered), and the anchor is still named the packet after that */
Test(hostengine, an_anchor_that_answered_the_tag_once_is_not_named_none_for_a_lost_ba)
{
	F.last_tag = 0x5eed1e55;
	lost_ago_with_last_rx(T0 + 996); /* the move's first BU: bu(1) */
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 1070);
	he_tick(&E, T0 + 1500);
	move_back_to_coa1();
	cr_assert_eq(F.nbu, 3);
	cr_assert_eq(bu(2).coa_lost_tag, 0x5eed1e55);
	he_reg_timers(&E, he_reg_deadline(&E)); /* its BA lost: sent again */
	cr_assert_eq(F.nbu, 4, "the retransmission");
	cr_assert_eq(bu(3).coa_lost_tag, 0, "without naming the packet");
	answer(3, MH_BA_ACCEPTED, NULL, T0 + 10100);
	he_tick(&E, T0 + 11000);
	he_move_since(&E, T0 + 15000, T0 + 14990); /* another move */
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, T0 + 16000);
	cr_assert_eq(F.nbu, 5);
	cr_assert_eq(bu(4).coa_lost_tag, 0x5eed1e55, "still named the packet");
}

/* a move of the host (from now on), whose first BU is left unanswered
 * and whose retransmission, without the tag, is accepted: what an anchor
 * that refuses the long form does. The tag its first BU named: returned */
static uint32_t move_answered_untagged_only(uint64_t now, const struct in6_addr *coa)
{
	int first;
	uint32_t tag;
	uint64_t d;

	F.last_traffic = now - 20; /* its socket sends */
	he_move_since(&E, now, now - 10);
	F.coa = *coa;
	F.host[0] = *coa;
	first = F.nbu;
	he_move(&E, now + 1000);
	cr_assert_eq(F.nbu, first + 1, "the move's BU");
	tag = bu(first).coa_lost_tag;

	d = he_reg_deadline(&E);
	he_reg_timers(&E, d); /* unanswered: sent again */
	cr_assert_eq(F.nbu, first + 2, "the retransmission");
	cr_assert_eq(bu(first + 1).coa_lost_tag, 0, "without naming the packet");
	answer(first + 1, MH_BA_ACCEPTED, NULL, d + 50);
	he_tick(&E, d + 500);
	return tag;
}

/* ...yet an anchor that knew the form and then really changed (restarted
 * as an older version, or another at its address) is not named the packet
 * for ever: one lost BA is forgiven, not every later refusal. Named it at
 * every move, it would cost every move one retransmission timeout. */
Test(hostengine, an_anchor_that_answered_the_tag_once_and_then_refuses_it_is_named_none)
{
	F.last_tag = 0x5eed1e55;
	lost_ago_with_last_rx(T0 + 996);
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 1070);
	F.count.udp = 1; /* a socket on the lease, which lives on */
	he_tick(&E, T0 + 1500); /* it accepted the tag: it knows the form */
	/* replaced by an older one: each move's tagged BU goes unanswered */
	cr_assert_eq(move_answered_untagged_only(T0 + 8000, &COA1), 0x5eed1e55);
	cr_assert_eq(move_answered_untagged_only(T0 + 20000, &COA2), 0x5eed1e55,
		     "one refusal may be a lost BA: named again");
	he_move_since(&E, T0 + 32000, T0 + 31990);
	F.coa = COA1;
	F.host[0] = COA1;
	he_move(&E, T0 + 33000);
	cr_assert_eq(bu(F.nbu - 1).coa_lost_tag, 0,
		     "refused after every move since: named no packet any more");
}

/* a move's first BU that named the packet but could not leave the host
 * (its new care-of address still tentative: optimistic DAD off, or no
 * route yet) was refused by no anchor: the next BU names the packet, and
 * its acceptance without the tag does not make the anchor one that refuses
 * the long form for the agent's life (every later replay by the time) */
Test(hostengine, a_tagged_bu_whose_send_failed_is_no_refusal_of_the_tag)
{
	uint64_t d;

	F.last_tag = 0x5eed1e55;
	F.send_rc = -EADDRNOTAVAIL;
	lost_ago_with_last_rx(T0 + 996); /* the move's first BU: bu(1), not sent */
	cr_assert_eq(bu(1).coa_lost_tag, 0x5eed1e55);
	F.send_rc = 0;
	d = he_reg_deadline(&E);
	he_reg_timers(&E, d);
	cr_assert_eq(F.nbu, 3, "sent again");
	cr_assert_eq(bu(2).coa_lost_tag, 0x5eed1e55, "the first BU that leaves names the packet");
	answer(2, MH_BA_ACCEPTED, NULL, d + 50);
	he_tick(&E, d + 500);
	move_back_to_coa1();
	cr_assert_eq(F.nbu, 4);
	cr_assert_eq(bu(3).coa_lost_tag, 0x5eed1e55, "the next move still names the packet");
}

/* A move's BUs of two bindings, each naming the packet, both lost (a link
 * that failed again at once), their retransmissions accepted: one refusal,
 * not two in a row; the next move still names the packet */
Test(hostengine, the_bindings_of_one_move_refused_together_are_one_refusal)
{
	uint64_t d;
	int first;

	F.last_tag = 0x5eed1e55;
	granted(IPPROTO_UDP);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 100);
	cr_assert_eq(F.nbu, 2, "another protocol: its own address");
	answer(1, MH_BA_ACCEPTED, &HOA2, T0 + 150);
	he_tick(&E, T0 + 500);
	F.last_rx = T0 + 900;
	F.last_traffic = T0 + 980;
	first = F.nbu;
	he_move_since(&E, T0 + 1000, T0 + 990);
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, T0 + 2000);
	cr_assert_eq(F.nbu, first + 2, "the move's BUs");
	cr_assert_eq(bu(first).coa_lost_tag, 0x5eed1e55);
	cr_assert_eq(bu(first + 1).coa_lost_tag, 0x5eed1e55);
	d = he_reg_deadline(&E);
	he_reg_timers(&E, d); /* both unanswered: sent again */
	cr_assert_eq(F.nbu, first + 4, "the retransmissions");
	cr_assert_eq(bu(first + 2).coa_lost_tag, 0);
	cr_assert_eq(bu(first + 3).coa_lost_tag, 0);
	answer(first + 2, MH_BA_ACCEPTED, NULL, d + 50);
	answer(first + 3, MH_BA_ACCEPTED, NULL, d + 60);
	he_tick(&E, d + 500);
	move_back_to_coa1();
	cr_assert_eq(F.nbu, first + 6);
	cr_assert_eq(bu(first + 4).coa_lost_tag, 0x5eed1e55, "one move's refusals are one: named again");
}

/* a first BU that is answered keeps the anchor named packets */
Test(hostengine, an_anchor_that_answers_the_tag_keeps_being_named_the_packet)
{
	F.last_tag = 0x5eed1e55;
	lost_ago_with_last_rx(T0 + 996);
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 1070);
	he_tick(&E, T0 + 1500);
	move_back_to_coa1();
	cr_assert_eq(F.nbu, 3);
	cr_assert_eq(bu(2).coa_lost_tag, 0x5eed1e55);
}

Test(hostengine, no_packet_received_names_none)
{
	struct mh_msg m;

	F.last_tag = 0x5eed1e55; /* a tunnel that says "never" has no packet to name */
	lost_ago_with_last_rx(0);
	m = bu(1);
	cr_assert_eq(m.coa_lost_tag, 0);
}

/* a packet that arrived before the burst but was read after it (queued
 * while the agent handled the events) moves the loss's start when the
 * move's BU goes; one that arrived after the burst does not */
Test(hostengine, a_moves_bu_dates_the_loss_with_packets_read_since)
{
	uint32_t ago = lost_ago_read_late(T0 + 990, T0 + 998);

	cr_assert_eq(ago, 42 + GRANTED_WAY, "the newest arrival, 2 ms before the burst: %u ms",
		     ago);
}

Test(hostengine, a_later_look_never_dates_the_loss_earlier)
{
	uint32_t ago = lost_ago_read_late(T0 + 996, T0 + 990);

	cr_assert_eq(ago, 44 + GRANTED_WAY, "kept: the newest packet of the first look: %u ms",
		     ago);
}

/* a packet that arrived after the burst began: the old path still worked
 * then (the burst began before the old link went, or it still carries
 * packets while the BUs go), so the loss is after it */
Test(hostengine, a_packet_that_arrived_after_the_burst_dates_the_loss_after_it)
{
	uint32_t ago = lost_ago_with_last_rx(T0 + 1003);

	cr_assert_eq(ago, 37 + GRANTED_WAY, "%u ms", ago);
}

Test(hostengine, a_packet_read_by_the_time_the_bu_goes_dates_the_loss_after_it)
{
	uint32_t ago = lost_ago_read_late(T0 + 996, T0 + 1030);

	cr_assert_eq(ago, 10 + GRANTED_WAY, "%u ms", ago);
}

/* ---- access anchors: Session-lasting without a CHA, Graceful-replacement ---- */

static struct in6_addr AR1, AR2;

/* access anchors on the links of COA1 and COA2; the host is on COA1's */
static void access_anchors(void)
{
	struct in6_addr v[2];

	AR1 = A("2001:db8:a1::1");
	AR2 = A("2001:db8:a2::1");
	v[0] = AR2;
	v[1] = AR1;
	access_set_anchors(&E, v, 2);
	cr_assert(E.anchors.has_access);
	assert_addr(&E.anchors.access, "2001:db8:a1::1");
}

/* Request 1 of type claims COA1 at AR1 and gets it; returns at T0 + 20. */
static void claimed(int type)
{
	struct mh_msg m;

	access_anchors();
	request(1, type, IPPROTO_TCP, 0, 0, T0);
	cr_assert_eq(F.nbu, 1);
	m = bu(0);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[0], &AR1), "to the anchor of the link");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[0], &COA1), "sent from the address claimed");
	cr_assert(bu_hnp_is(0, &COA1), "the HNP is the host's access address");
	cr_assert(IN6_ARE_ADDR_EQUAL(&m.altcoa, &COA1), "CoA = HNP: on the link");
	cr_assert(m.present & MH_HAS_SERVICE);
	cr_assert_eq(m.service_len, strlen(odm_type_name(type)));
	cr_assert_eq(memcmp(m.service, odm_type_name(type), m.service_len), 0);
	cr_assert_eq(F.nrep, 0, "granted only by the anchor's BA");
	answer(0, MH_BA_ACCEPTED, NULL, T0 + 20);
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].addr, "2001:db8:a1::5");
	cr_assert_eq(logged("addr_add 2001:db8:a1::5", 0), -1, "native: nothing configured");
	cr_assert_eq(logged("rule_add", 0), -1);
	cr_assert_str_eq(str(event("lease-granted", 0), "anchor"), "2001:db8:a1::1");
}

/* the host moves from COA1's link to COA2's at now */
static void move_to_coa2(uint64_t now)
{
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, now);
}

Test(hostengine, access_anchor_of_the_link_is_picked_by_prefix)
{
	struct access_anchors l = { .n = 2 };
	struct in6_addr h[2] = { A("2001:db8:ff::9"), A("2001:db8:a2::77") };

	l.v[0] = A("2001:db8:a1::1");
	l.v[1] = A("2001:db8:a2::1");
	cr_assert_eq(access_anchor_pick(&l, h, 2), 1);
	cr_assert_eq(access_anchor_pick(&l, h, 1), -1, "no access anchor on 2001:db8:ff::/64");
	h[0] = A("2001:db8:a1:1::9"); /* another /64 of the same /48 */
	cr_assert_eq(access_anchor_pick(&l, h, 1), -1);
}

/* A host on two links at once (Ethernet and Wi-Fi) holds an address in
 * both anchors' /64: the link's anchor is the one of the link the kernel
 * sends by (its source off every link), whichever the list names first,
 * and a Graceful-replacement claim is that link's address; it follows
 * the kernel when the other link becomes the one it sends by. */
Test(hostengine, access_anchor_of_two_links_is_the_sending_links)
{
	struct in6_addr v[2] = { A("2001:db8:a1::1"), A("2001:db8:a2::1") };

	F.host[0] = COA1;
	F.host[1] = COA2;
	F.nhost = 2;
	F.coa = COA2;
	access_set_anchors(&E, v, 2);
	assert_addr(&E.anchors.access, "2001:db8:a2::1");
	request(1, ODM_TYPE_GRACEFUL_REPLACEMENT, IPPROTO_TCP, 0, 0, T0);
	cr_assert_eq(F.nbu, 1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[0], &v[1]), "to the anchor of the sending link");
	cr_assert(bu_hnp_is(0, &COA2), "claiming the sending link's address");
	F.coa = COA1;
	he_move(&E, T0 + 100);
	assert_addr(&E.anchors.access, "2001:db8:a1::1");
	/* the kernel names no source (no default route): the first of the
	 * list whose /64 holds one of the host's addresses, as before */
	F.coa_rc = -ENETUNREACH;
	v[0] = A("2001:db8:a2::1");
	v[1] = A("2001:db8:a1::1");
	access_set_anchors(&E, v, 2);
	assert_addr(&E.anchors.access, "2001:db8:a2::1");
}

Test(hostengine, session_without_cha_claims_the_access_address_and_returns_native)
{
	int mark;

	claimed(ODM_TYPE_SESSION_LASTING);
	F.count.tcp = 1;
	F.destroyed = 1;
	mark = F.nlog;
	move_to_coa2(T0 + 1000);
	assert_addr(&E.anchors.access, "2001:db8:a2::1");
	cr_assert_eq(logged_addr("destroy_tcp", &COA1, mark), -1,
		     "the sockets of an access-anchored address survive the move");
	cr_assert_geq(logged("addr_add 2001:db8:a1::5", mark), 0, "on the tunnel device now");
	cr_assert_geq(logged("bind 2001:db8:a1::5 2001:db8:a2::5", mark), 0);
	cr_assert_geq(logged("route_add 2001:db8:a1::5", mark), 0);
	cr_assert_eq(F.nbu, 2);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[1], &AR1), "registered with the router it left");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[1], &COA2));
	cr_assert(bu_hnp_is(1, &COA1));
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 1030);
	cr_assert_null(event("graceful-replacement", 0), "Session-lasting has no deadline");

	/* back on ar1's link: native again */
	mark = F.nlog;
	F.coa = COA1;
	F.host[0] = COA1;
	he_move(&E, T0 + 5000);
	cr_assert_geq(logged("route_del 2001:db8:a1::5", mark), 0);
	cr_assert_geq(logged("addr_del 2001:db8:a1::5", mark), 0, "off the tunnel device");
	cr_assert_eq(F.nbu, 3);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[2], &COA1), "from the address: CoA = HNP");
	cr_assert(bu_hnp_is(2, &COA1));
	cr_assert_neq(bu(2).lifetime, 0, "the claim stays while its sockets live");
	answer(2, MH_BA_ACCEPTED, NULL, T0 + 5010);

	/* the last socket closes: deregistered */
	F.count.tcp = 0;
	he_tick(&E, T0 + 9000);
	cr_assert_null(E.leases.head);
	cr_assert_eq(F.nbu, 4);
	cr_assert_eq(bu(3).lifetime, 0);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[3], &AR1));
}

/*
 * Still on the claim's link, the kernel picks another address of it (a
 * temporary address's rotation, RFC 8981: the claimed one deprecated, a
 * new one preferred): the claim stays native and its CoA the claimed
 * address while it is there. Before, the host re-registered the claim
 * from the new address, the anchor refused a care-of address of its own
 * link (174), and the claim ended with its sockets at every rotation.
 * Once the claimed address is gone, the pick is taken.
 */
Test(hostengine, a_claim_stays_native_while_another_address_of_its_link_is_picked)
{
	struct in6_addr tmp = A("2001:db8:a1::6c");
	struct mh_msg m;
	int mark;

	claimed(ODM_TYPE_SESSION_LASTING);
	F.count.tcp = 1;
	mark = F.nlog;
	F.coa = tmp;
	F.host[1] = tmp;
	F.nhost = 2;
	he_move(&E, T0 + 1000);
	he_tick(&E, T0 + 2000);
	cr_assert_eq(F.nbu, 1, "no BU: the host has not left the link");
	cr_assert_eq(logged("addr_add 2001:db8:a1::5", mark), -1, "still native");
	cr_assert_not_null(E.leases.head);
	cr_assert_eq(E.leases.head->state, LEASE_REGISTERED);
	assert_addr(&E.leases.head->rb->anchor->coa, "2001:db8:a1::5");
	/* its refresh goes from the address claimed */
	reg_refresh(&E.reg, E.leases.head->rb, T0 + 3000, 0);
	cr_assert_eq(F.nbu, 2);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[1], &COA1));
	m = bu(1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&m.altcoa, &COA1), "CoA = HNP: on the link");
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 3010);
	/* the claimed address gone (its valid lifetime over): the pick */
	F.host[0] = tmp;
	F.nhost = 1;
	he_move(&E, T0 + 4000);
	assert_addr(&E.reg.anchors->coa, "2001:db8:a1::6c");
}

/*
 * The claim was a temporary address (RFC 8981), which the kernel let go
 * when the host left its link; back on it, the kernel makes another one
 * and picks it toward the anchor. The claimed address is put back on the
 * link (deprecated) and the claim is native again, its BU sent from it
 * (CoA = HNP), its sockets kept; the address leaves the link when the
 * host does again, and when the claim ends. Before, the claim was
 * refreshed from the new address, the anchor refused a care-of address of
 * its own link (174), and the claim ended with its sockets.
 */
Test(hostengine, a_claimed_temporary_address_is_put_back_when_the_host_returns)
{
	struct in6_addr stable = A("2001:db8:a1::5e"), tmp2 = A("2001:db8:a1::7e");
	struct mh_msg m;
	int mark;

	claimed(ODM_TYPE_SESSION_LASTING);
	F.count.tcp = 1;
	F.destroyed = 1;
	move_to_coa2(T0 + 1000);
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 1030);
	cr_assert_geq(logged("addr_add 2001:db8:a1::5", 0), 0, "on the tunnel device");

	/* back: the link's addresses are the stable one and a new temporary
	 * one, which the kernel picks; the claimed one is gone */
	mark = F.nlog;
	F.coa = tmp2;
	F.host[0] = stable;
	F.host[1] = tmp2;
	F.nhost = 2;
	he_move(&E, T0 + 5000);
	cr_assert_geq(logged("link_addr_add 2001:db8:a1::5 2001:db8:a1::7e", mark), 0,
		      "put back on the link of the kernel's pick");
	cr_assert_geq(logged("addr_del 2001:db8:a1::5", mark), 0, "off the tunnel device");
	cr_assert_eq(F.nbu, 3);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[2], &COA1), "from the address: CoA = HNP");
	m = bu(2);
	cr_assert(IN6_ARE_ADDR_EQUAL(&m.altcoa, &COA1));
	answer(2, MH_BA_ACCEPTED, NULL, T0 + 5010);
	cr_assert_not_null(E.leases.head);
	cr_assert_eq(logged_addr("destroy_tcp", &COA1, mark), -1, "its sockets kept");

	/* the kernel shows it now, deprecated: the CoA stays */
	F.host[2] = COA1;
	F.nhost = 3;
	he_move(&E, T0 + 6000);
	reg_refresh(&E.reg, E.leases.head->rb, T0 + 7000, 0);
	cr_assert_eq(F.nbu, 4);
	m = bu(3);
	cr_assert(IN6_ARE_ADDR_EQUAL(&m.altcoa, &COA1), "its refresh still native");
	answer(3, MH_BA_ACCEPTED, NULL, T0 + 7010);

	/* away again: off the link, on the tunnel device */
	mark = F.nlog;
	F.nhost = 1;
	move_to_coa2(T0 + 8000);
	cr_assert_geq(logged("link_addr_del 2001:db8:a1::5", mark), 0);
	cr_assert_geq(logged("addr_add 2001:db8:a1::5", mark), 0);
	answer(4, MH_BA_ACCEPTED, NULL, T0 + 8030);

	/* back once more, then the last socket closes: off the link */
	F.coa = tmp2;
	F.host[0] = stable;
	F.host[1] = tmp2;
	F.nhost = 2;
	he_move(&E, T0 + 9000);
	answer(5, MH_BA_ACCEPTED, NULL, T0 + 9010);
	mark = F.nlog;
	F.count.tcp = 0;
	he_tick(&E, T0 + 14000);
	cr_assert_null(E.leases.head);
	cr_assert_geq(logged("link_addr_del 2001:db8:a1::5", mark), 0, "the claim ended");
}

/*
 * A claim away from its link receives through the tunnel of the anchor it
 * left, as a CHA's lease does: a stream on it that falls silent is
 * confirmed like any lease's. An access anchor started again without its
 * state lost the claim and tunnels nothing; the host's refresh from off
 * the link is refused (155), and the lease's sockets are told at once,
 * instead of a download waiting for its own timeout (odmagent(8)
 * Restarts). On its link the claim is native: nothing to confirm.
 */
Test(hostengine, a_claim_away_from_its_link_that_falls_silent_is_confirmed)
{
	uint64_t rx;
	int n, mark;

	claimed(ODM_TYPE_SESSION_LASTING);
	F.count.tcp = 1;
	F.destroyed = 1;
	/* received natively on the link: no quiet check */
	stream(T0 + 3000, T0 + 4000);
	he_tick(&E, T0 + 4000 + HE_QUIET_MS + 100);
	cr_assert_eq(F.nbu, 1, "a native claim is not confirmed");
	move_to_coa2(T0 + 9000);
	n = F.nbu;
	answer(n - 1, MH_BA_ACCEPTED, NULL, T0 + 9030);
	rx = T0 + 12000;
	stream(T0 + 10000, rx);
	cr_assert_eq(F.nbu, n, "receiving through the tunnel");
	he_tick(&E, rx + HE_QUIET_MS);
	cr_assert_eq(F.nbu, n + 1, "a refresh BU of the claim");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[n], &AR1), "to the anchor of the link it left");
	cr_assert(bu_hnp_is(n, &COA1));
	cr_assert_eq(quiet_checks(rx + HE_QUIET_MS), 1);
	mark = F.nlog;
	answer(n, MH_BA_NOT_AUTHORIZED_FOR_HNP, NULL, rx + HE_QUIET_MS + 20);
	cr_assert_null(E.leases.head, "the claim the anchor lost ends");
	cr_assert_geq(logged_addr("destroy_tcp", &COA1, mark), 0, "and its sockets are told");
}

/*
 * A claim that received on its link, natively, leaves it; the anchor
 * answers the move's BU and is killed before it saved the move (some 50 ms
 * later, odmagent(8)): started again, it holds the claim as native and
 * sends the host's packets onto its link. A host that only receives sends
 * nothing that would draw a Binding Error, and its tunnel never saw the
 * stream: the claim is confirmed once when nothing came through the
 * tunnel for HE_QUIET_MS after the move's BA (a download stalled 32 s, to
 * the end of its grace period, before).
 */
Test(hostengine, a_claim_that_left_its_link_and_hears_nothing_is_confirmed)
{
	uint64_t ba = T0 + 9030;
	int n;

	claimed(ODM_TYPE_GRACEFUL_REPLACEMENT);
	F.count.tcp = 1;
	F.destroyed = 1;
	/* on the link its stream is native: the tunnel saw none of it */
	ticks(T0, T0 + 8000);
	cr_assert_eq(F.rx_seen, 0);
	move_to_coa2(T0 + 9000);
	n = F.nbu;
	answer(n - 1, MH_BA_ACCEPTED, NULL, ba);
	he_tick(&E, ba + HE_QUIET_MS - 1);
	cr_assert_eq(F.nbu, n, "not silent for long enough yet");
	he_tick(&E, ba + HE_QUIET_MS);
	cr_assert_eq(F.nbu, n + 1, "a refresh BU of the claim");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[n], &AR1), "to the anchor of the link it left");
	cr_assert(bu_hnp_is(n, &COA1));
	answer(n, MH_BA_ACCEPTED, NULL, ba + HE_QUIET_MS + 20);
	he_tick(&E, ba + 60000);
	cr_assert_eq(F.nbu, n + 1, "once for the move");
	cr_assert_eq(quiet_checks(ba + 60000), 1);
}

Test(hostengine, access_claim_refused_fails_the_request)
{
	access_anchors();
	request(1, ODM_TYPE_GRACEFUL_REPLACEMENT, IPPROTO_TCP, 0, 0, T0);
	answer(0, MH_BA_NOT_AUTHORIZED_FOR_HNP, NULL, T0 + 20);
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "REQUIREDIPFAILED");
	cr_assert_null(E.leases.head);
}

Test(hostengine, graceful_is_kept_until_the_deadline_the_anchor_grants)
{
	json_t *ev;
	int mark;

	claimed(ODM_TYPE_GRACEFUL_REPLACEMENT);
	F.count.tcp = 1;
	move_to_coa2(T0 + 1000);
	cr_assert_eq(F.nbu, 2);
	F.ba_units = 5; /* 20 s left of the anchor's grace period */
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 1040);
	ev = event("graceful-replacement", 0);
	cr_assert_not_null(ev, "the deadline is told");
	cr_assert_str_eq(str(ev, "addr"), "2001:db8:a1::5");
	cr_assert_str_eq(str(ev, "replacement"), "2001:db8:a2::5");
	cr_assert_eq(json_integer_value(json_object_get(ev, "deadline")), T0 + 1040 + 20000 - 20,
		     "BA time + lifetime - half the round trip");
	/* later refreshes with shorter lifetimes do not tell it again */
	cr_assert_null(event("graceful-replacement", 1));

	he_tick(&E, T0 + 21000);
	cr_assert_not_null(E.leases.head, "still within the grace period");
	mark = F.nlog;
	he_tick(&E, T0 + 21020);
	cr_assert_null(E.leases.head, "released at the deadline, sockets or not");
	cr_assert_geq(logged("addr_del 2001:db8:a1::5", mark), 0);
	/* (the look at T0 + 21000 confirmed the claim, silent since the
	 * move's BA) */
	cr_assert_eq(bu(F.nbu - 1).lifetime, 0, "and deregistered");
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "grace-over");
}

/* A Graceful-replacement claim of COA1 with a socket on it, moved to COA2's
 * link at T0 + 1000; ar1 grants 20 s at T0 + 1040 (the deadline told is
 * T0 + 21020: half the 40 ms round trip earlier) */
static void graceful_moved(void)
{
	claimed(ODM_TYPE_GRACEFUL_REPLACEMENT);
	F.count.tcp = 1;
	move_to_coa2(T0 + 1000);
	F.ba_units = 5;
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 1040);
}

/* The deadline is a timer of its own, not the next tick's business: the
 * anchor drops the binding then, and a packet from the address meanwhile
 * would draw a Binding Error and a refused refresh, a "lost" binding. The
 * sockets still on the address, which leaves the host, are ended. */
Test(hostengine, graceful_deadline_is_timed_and_ends_the_sockets_on_it)
{
	uint64_t deadline = T0 + 1040 + 20000 - 20;
	int mark;

	graceful_moved();
	cr_assert_leq(he_reg_deadline(&E), deadline, "the engine wakes by the deadline (%llu)",
		      (unsigned long long)he_reg_deadline(&E));
	/* the refreshes meanwhile, answered with the anchor's lifetime in
	 * whole units of 4 s: never shorter than what is left */
	for (int seen = F.nbu; E.leases.head && he_reg_deadline(&E) && he_reg_deadline(&E) < deadline;) {
		he_reg_timers(&E, he_reg_deadline(&E));
		for (; seen < F.nbu; seen++) {
			F.ba_units = (uint16_t)((deadline + 20 - E.now + 3999) / 4000);
			answer(seen, MH_BA_ACCEPTED, NULL, E.now);
		}
	}
	cr_assert_eq(he_reg_deadline(&E), deadline, "%lld ms off, lease %p",
		     (long long)(he_reg_deadline(&E) - deadline), (void *)E.leases.head);
	mark = F.nlog;
	he_reg_timers(&E, deadline);
	cr_assert_null(E.leases.head, "ended at its deadline, with no tick");
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "grace-over");
	cr_assert_geq(logged_addr("destroy_tcp", &COA1, mark), 0, "its TCP sockets ended");
	cr_assert_geq(logged_addr("destroy_udp", &COA1, mark), 0, "and its UDP ones");
	cr_assert_eq(E.lost, 0, "not counted as a lost binding");
}

/* BU i answered at now as an access anchor answers a claim in its grace
 * period that ends at deadline (anchor_mode_access.c): the lifetime asked
 * for, capped at what is left of the grace period in units of 4 s */
static void answer_in_grace(int i, uint64_t deadline, uint64_t now)
{
	uint64_t left = deadline > now ? (deadline - now + 3999) / 4000 : 1;
	uint16_t asked = bu(i).lifetime;

	F.ba_units = left < asked ? (uint16_t)left : asked;
	answer(i, MH_BA_ACCEPTED, NULL, now);
	F.ba_units = 0;
}

/* The host asks for a lifetime shorter than the anchor's grace period: the
 * first BA after the move is then not capped by the grace period, and its
 * end is no deadline. The deadline told is the grace period's, and the
 * claim is kept (refreshed) until then. */
Test(hostengine, graceful_with_a_lifetime_shorter_than_the_grace_period_lasts_it)
{
	uint64_t grace_end = T0 + 1020 + 60000; /* the anchor's: 60 s from the BU's arrival */
	json_t *ev;

	E.reg.cfg.lifetime_s = 20;
	claimed(ODM_TYPE_GRACEFUL_REPLACEMENT);
	F.count.tcp = 1;
	move_to_coa2(T0 + 1000);
	cr_assert_eq(F.nbu, 2);
	answer_in_grace(1, grace_end, T0 + 1040);
	ev = event("graceful-replacement", 0);
	cr_assert_not_null(ev);
	cr_assert_geq(json_integer_value(json_object_get(ev, "deadline")), grace_end - 4000,
		      "the deadline told is the grace period's end, not the lifetime's (%lld ms "
		      "early)", (long long)(grace_end - json_integer_value(json_object_get(ev,
										      "deadline"))));
	/* refreshed until then, answered as the anchor would */
	for (int seen = F.nbu; E.leases.head && he_reg_deadline(&E) &&
			       he_reg_deadline(&E) < grace_end - 4000;) {
		he_reg_timers(&E, he_reg_deadline(&E));
		he_tick(&E, E.now);
		for (; seen < F.nbu; seen++)
			answer_in_grace(seen, grace_end, E.now);
	}
	he_tick(&E, grace_end - 4000);
	cr_assert_not_null(lease_by_addr(&E.leases, &COA1), "kept within the grace period");
	cr_assert_null(event("lease-ended", 0));
}

/* the status says how long a Graceful-replacement address away from its
 * link has left, and nothing of the kind back on its link */
Test(hostengine, status_says_when_a_graceful_address_goes)
{
	graceful_moved();
	cr_assert_eq(lease_field("grace_left_ms", T0 + 2040), 21020 - 2040);
	F.coa = COA1;
	F.host[0] = COA1;
	he_move(&E, T0 + 3000);
	cr_assert_eq(lease_field("grace_left_ms", T0 + 3010), -1, "back on its link: no deadline");
}

/* An access anchor gone silent after the move: the binding expires when
 * the grace period ends, and that is what the lease ends for (not counted
 * as a binding lost). */
Test(hostengine, graceful_with_a_silent_anchor_ends_for_its_deadline)
{
	uint64_t deadline = T0 + 1040 + 20000;

	graceful_moved();
	while (E.leases.head && he_reg_deadline(&E) && he_reg_deadline(&E) <= deadline)
		he_reg_timers(&E, he_reg_deadline(&E));
	cr_assert_null(E.leases.head, "ended by the deadline");
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "grace-over", "ended at %llu",
			 (unsigned long long)(E.now - T0));
	cr_assert_eq(E.lost, 0, "not counted as a lost binding");
}

/* The anchor ends a binding in grace up to the 4 s of its lifetime units
 * before the deadline told: a refresh it refuses then ends the lease for
 * its grace period, not as a binding lost. */
Test(hostengine, graceful_refused_in_its_last_seconds_ends_for_its_deadline)
{
	graceful_moved();
	while (he_reg_deadline(&E) && he_reg_deadline(&E) < T0 + 17100)
		he_reg_timers(&E, he_reg_deadline(&E));
	cr_assert_gt(F.nbu, 2, "a refresh is out");
	answer(F.nbu - 1, MH_BA_NOT_AUTHORIZED_FOR_HNP, NULL, T0 + 17100);
	cr_assert_null(E.leases.head);
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "grace-over");
	cr_assert_eq(E.lost, 0, "not counted as a lost binding");
}

Test(hostengine, graceful_back_on_the_link_has_no_deadline)
{
	graceful_moved();
	F.coa = COA1;
	F.host[0] = COA1;
	he_move(&E, T0 + 2000);
	F.ba_units = 0;
	answer(2, MH_BA_ACCEPTED, NULL, T0 + 2010);
	he_tick(&E, T0 + 30000);
	cr_assert_not_null(E.leases.head, "native again: no grace period runs");
	cr_assert_eq(E.leases.head->deadline_ms, 0);
}

/* Back on the link of a claim that was away: its address leaves the tunnel
 * device (its from-rule goes) before the move's BUs to other anchors go out
 * from that same address, which the rule would have sent into the tunnel. */
static void claim_back_before_bus(int by_tick)
{
	int mark, del, first;

	claimed(ODM_TYPE_GRACEFUL_REPLACEMENT);   /* COA1 at AR1, BU 0 */
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 30); /* at the CHA */
	answer(1, MH_BA_ACCEPTED, &HOA1, T0 + 40);
	F.count.tcp = 1;
	move_to_coa2(T0 + 1000);
	cr_assert_eq(F.nbu, 4);
	answer(2, MH_BA_ACCEPTED, NULL, T0 + 1010);
	answer(3, MH_BA_ACCEPTED, NULL, T0 + 1010);
	cr_assert_geq(logged("route_add 2001:db8:a1::5", 0), 0, "away: on the tunnel");
	mark = F.nlog;
	F.coa = COA1;
	F.host[0] = COA1;
	if (by_tick)
		he_tick(&E, T0 + 3000);
	else
		he_move(&E, T0 + 3000);
	cr_assert_eq(F.nbu, 6, "a BU to each anchor");
	del = logged("route_del 2001:db8:a1::5", mark);
	first = logged("send_bu", mark);
	cr_assert_geq(del, 0, "native again");
	cr_assert_lt(del, first, "before any BU of the move (rule_del at %d, first BU at %d)", del,
		     first);
}

Test(hostengine, a_claim_back_on_its_link_is_native_before_the_other_bus_leave)
{
	claim_back_before_bus(0);
}

/* the same when the tick's look sees the new CoA before the move's event
 * has told the host's addresses */
Test(hostengine, a_claim_back_seen_by_the_tick_is_native_before_the_other_bus_leave)
{
	claim_back_before_bus(1);
}

/* Back on the link of a claim that was away, the claim's anchor tunnelled
 * what came for the address toward the old link until it took the move's
 * BU: the CHA's BA, sent to that address, may have gone that way. Once the
 * claim's BA is in, the CHA's BU still unanswered goes again at once (not
 * at its retransmission 1 s later), once; one already answered does not. */
Test(hostengine, back_on_a_claims_link_its_ba_sends_the_unanswered_bus_again)
{
	claim_back_before_bus(0);                  /* BU 4 to AR1, BU 5 to the CHA */
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[4], &AR1));
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[5], &ANCHOR));
	answer(4, MH_BA_ACCEPTED, NULL, T0 + 3002);
	cr_assert_eq(F.nbu, 7, "the CHA's BU of the move again, at once");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[6], &ANCHOR));
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[6], &COA1), "from the address native again");
	answer(6, MH_BA_ACCEPTED, NULL, T0 + 3004);
	cr_assert_eq(F.nbu, 7);
	he_reg_timers(&E, T0 + 4500);
	cr_assert_eq(F.nbu, 7, "nothing left to retransmit");
}

Test(hostengine, back_on_a_claims_link_an_answered_bu_is_not_sent_again)
{
	claim_back_before_bus(0);
	answer(5, MH_BA_ACCEPTED, NULL, T0 + 3001); /* the CHA's BA came through */
	answer(4, MH_BA_ACCEPTED, NULL, T0 + 3002);
	cr_assert_eq(F.nbu, 6, "no BU again");
}

/* One move re-registers the bindings at every anchor in the same event, and
 * an anchor that never answers holds up no other. */
Test(hostengine, one_move_reregisters_at_every_anchor_at_once)
{
	int before;

	claimed(ODM_TYPE_SESSION_LASTING);         /* COA1 at AR1, BU 0 */
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 30); /* at the CHA */
	cr_assert_eq(F.nbu, 2);
	answer(1, MH_BA_ACCEPTED, &HOA1, T0 + 40);
	cr_assert_eq(F.nrep, 2);
	before = F.nbu;
	move_to_coa2(T0 + 1000);
	cr_assert_eq(F.nbu, before + 2, "a BU to each anchor from the one move event");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[before], &COA2) &&
		  IN6_ARE_ADDR_EQUAL(&F.busrc[before + 1], &COA2));
	cr_assert(!IN6_ARE_ADDR_EQUAL(&F.budst[before], &F.budst[before + 1]), "two anchors");
	/* the CHA answers, ar1 stays silent: the CHA's lease is re-registered */
	answer(IN6_ARE_ADDR_EQUAL(&F.budst[before], &ANCHOR) ? before : before + 1, MH_BA_ACCEPTED,
	       NULL, T0 + 1010);
	cr_assert_not_null(event("ba-received", 2));
	he_reg_timers(&E, T0 + 2100);
	cr_assert_geq(F.nbu, before + 3, "the silent anchor gets its retransmission");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[F.nbu - 1], &AR1));
}

/* A claimed address is taken over by a new run: native if still on its
 * link (nothing configured), re-registered from the address itself. */
/* A Graceful-replacement claim away from its link, taken over by a new run
 * in its grace period: re-registered as Graceful-replacement (an anchor
 * refuses a binding in grace turned Session-lasting: 139), and the
 * deadline comes again from the anchor's answer. */
Test(hostengine, restart_in_the_grace_period_keeps_the_claim_graceful)
{
	struct hostengine first;
	int n;

	graceful_moved();
	new_run(&first);
	n = F.nbu;
	he_adopted(&E, T0 + 2000);
	cr_assert(E.leases.head && E.leases.head->claimed);
	cr_assert_eq(F.nbu, n + 1, "re-registered at once");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[n], &COA2), "from the new link");
	cr_assert(bu_service_is(n, "graceful-replacement"), "as what it is");
	F.ba_units = 5;
	answer(n, MH_BA_ACCEPTED, NULL, T0 + 2010);
	cr_assert_neq(E.leases.head->deadline_ms, 0, "a deadline again");
	he_cleanup(&first);
}

/* The last run was killed while its claim was away (the address on the
 * tunnel device, routed into it: a kernel backend's device outlives the
 * agent), and the host is back on the claim's link when the next run
 * starts: the address is native, and what the tunnel held of it goes
 * before any BU leaves from it, or the kernel would send them all into
 * the tunnel toward the link the host has left. */
Test(hostengine, restart_back_on_a_claims_link_clears_the_last_runs_tunnel_state)
{
	struct hostengine first;
	int mark, route, addr, first_bu, n;

	graceful_moved();                          /* COA1 claimed, away on COA2 */
	cr_assert_geq(logged("route_add 2001:db8:a1::5", 0), 0, "away: on the tunnel");
	new_run(&first);
	F.coa = COA1;                              /* back on ar1's link meanwhile */
	F.host[0] = COA1;
	mark = F.nlog;
	n = F.nbu;
	he_adopted(&E, T0 + 2000);
	cr_assert(E.leases.head && E.leases.head->claimed);
	route = logged("route_del 2001:db8:a1::5", mark);
	addr = logged("addr_del 2001:db8:a1::5", mark);
	first_bu = logged("send_bu", mark);
	cr_assert_geq(route, 0, "the last run's route of the address goes");
	cr_assert_geq(addr, 0, "and the address, from the tunnel device");
	cr_assert_lt(route, first_bu, "before the first BU (%d, %d)", route, first_bu);
	cr_assert_eq(logged("addr_add 2001:db8:a1::5", mark), -1, "native: not put back");
	cr_assert_geq(F.nbu, n + 1, "re-registered at once");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[n], &COA1), "from the address, on its link");
	he_cleanup(&first);
}

Test(hostengine, restart_takes_a_claimed_address_over_native)
{
	struct hostengine first;
	struct mh_msg m;
	int mark;

	claimed(ODM_TYPE_SESSION_LASTING);
	new_run(&first);
	mark = F.nlog;
	he_adopted(&E, T0 + 1100);
	cr_assert_eq(logged("addr_add 2001:db8:a1::5", mark), -1, "native: not on the tunnel");
	cr_assert(E.leases.head->claimed);
	/* the last run's rule, kept through the start for the leases taken
	 * over (mn.c): none is configured again, so it goes, or nothing would
	 * ever remove it, not even the agent's stop */
	cr_assert_geq(logged("rule_del", mark), 0, "the rule left by the last run goes");
	cr_assert_eq(E.rule_on, 0);
	cr_assert_eq(F.nbu, 2, "re-registered at once");
	m = bu(1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[1], &COA1) && IN6_ARE_ADDR_EQUAL(&m.altcoa, &COA1),
		  "from the address itself");
	cr_assert(m.present & MH_HAS_SERVICE, "with its type");
	he_cleanup(&first);
}

/*
 * The last run put its claim's address back on the link (a temporary
 * address the kernel let go while the host was away) and was killed: the
 * address is on the link as that run put it there (a /128, deprecated,
 * without DAD: link_addr_found). The next run takes the claim over native
 * and takes the address off the link when the claim ends, as the killed
 * run would have. Before, it never did: the address stayed on the link,
 * deprecated, until the link went down. One that is the host's own (not
 * found so) is left alone.
 */
Test(hostengine, a_claims_address_put_back_by_a_killed_run_is_taken_off_by_the_next)
{
	struct hostengine first;
	int mark;

	claimed(ODM_TYPE_SESSION_LASTING);
	F.count.tcp = 1;
	new_run(&first);
	F.link_found = 7; /* eth0 */
	he_adopted(&E, T0 + 1100);
	cr_assert(E.leases.head && E.leases.head->claimed);
	cr_assert_eq(logged("link_addr_del", 0), -1, "native: it stays while the claim does");
	answer(F.nbu - 1, MH_BA_ACCEPTED, NULL, T0 + 1110);
	mark = F.nlog;
	F.count.tcp = 0;
	he_tick(&E, T0 + 14000);
	cr_assert_null(E.leases.head, "the claim ended");
	cr_assert_geq(logged("link_addr_del 2001:db8:a1::5", mark), 0, "off the link it was put on");
	he_cleanup(&first);
}

/*
 * A new run takes over a native claim whose address is no longer the
 * kernel's pick on its link (a temporary address put back on the link, or
 * one RFC 8981 rotated: the kernel picks the link's newer one): the
 * claimed address is the CoA toward its anchor, its refresh goes from it
 * (CoA = HNP). Before, the new run's first look took the kernel's pick,
 * the refresh went from that other address of the anchor's own link, the
 * anchor refused it (174) and the claim ended with its sockets.
 */
Test(hostengine, a_claim_taken_over_native_stays_the_coa_when_the_kernel_picks_another)
{
	struct in6_addr stable = A("2001:db8:a1::5e"), tmp2 = A("2001:db8:a1::7e");
	struct hostengine first;
	struct mh_msg m;
	int n;

	claimed(ODM_TYPE_SESSION_LASTING);
	F.count.tcp = 1;
	new_run(&first);
	F.coa = tmp2; /* the kernel's pick now */
	F.host[0] = stable;
	F.host[1] = tmp2;
	F.host[2] = COA1;
	F.nhost = 3;
	n = F.nbu;
	he_adopted(&E, T0 + 1100);
	cr_assert(E.leases.head && E.leases.head->claimed);
	cr_assert_geq(F.nbu, n + 1, "re-registered at once");
	m = bu(n);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[n], &COA1), "from the claimed address");
	cr_assert(IN6_ARE_ADDR_EQUAL(&m.altcoa, &COA1), "CoA = HNP: native");
	he_cleanup(&first);
}

Test(hostengine, a_claims_own_address_taken_over_stays_when_the_claim_ends)
{
	struct hostengine first;

	claimed(ODM_TYPE_SESSION_LASTING);
	F.count.tcp = 1;
	new_run(&first);
	F.link_found = 0; /* the host's own, as the kernel made it */
	he_adopted(&E, T0 + 1100);
	cr_assert_geq(logged("link_addr_found 2001:db8:a1::5", 0), 0, "asked");
	answer(F.nbu - 1, MH_BA_ACCEPTED, NULL, T0 + 1110);
	F.count.tcp = 0;
	he_tick(&E, T0 + 14000);
	cr_assert_null(E.leases.head, "the claim ended");
	cr_assert_eq(logged("link_addr_del", 0), -1, "the host's own address stays");
	he_cleanup(&first);
}

/* ---- one claim per access address, shared by every user and type ---- */

/* Whether the recorded event ev is for uid (besides root, who hears all) */
static int event_for(json_t *ev, uid_t uid)
{
	json_t *u;
	size_t i;

	cr_assert_not_null(ev);
	if (json_is_true(json_object_get(ev, "_everyone")))
		return 1;
	json_array_foreach(json_object_get(ev, "_uids"), i, u)
		if ((uid_t)json_integer_value(u) == uid)
			return 1;
	return 0;
}

/* Request 11 comes from uid 1001, request 1 from uid 1000 (f_cred) */
Test(hostengine, two_users_share_one_graceful_claim)
{
	json_t *st, *uids;

	claimed(ODM_TYPE_GRACEFUL_REPLACEMENT); /* uid 1000 */
	request(11, ODM_TYPE_GRACEFUL_REPLACEMENT, IPPROTO_UDP, 0, 0, T0 + 30);
	cr_assert_eq(F.nbu, 1, "no second claim");
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].code, "", "another user is not refused");
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:a1::5");
	cr_assert_eq(E.leases.n, 1);
	cr_assert_eq(lease_count_uid(&E.leases, 1000), 1);
	cr_assert_eq(lease_count_uid(&E.leases, 1001), 1, "the quota counts a shared claim");
	cr_assert_eq(lease_count_uid(&E.leases, 1002), 0);
	st = he_status_json(&E, T0 + 40);
	uids = json_object_get(json_array_get(json_object_get(st, "leases"), 0), "uids");
	cr_assert_eq(json_array_size(uids), 2);
	cr_assert_eq(json_integer_value(json_array_get(uids, 1)), 1001);
	json_decref(st);
	/* each lease-granted is for its requester alone */
	cr_assert(event_for(event("lease-granted", 0), 1000));
	cr_assert_not(event_for(event("lease-granted", 0), 1001));
	cr_assert(event_for(event("lease-granted", 1), 1001));
	cr_assert_not(event_for(event("lease-granted", 1), 1000));
	cr_assert_not(event_for(event("lease-granted", 1), 1002));

	/* a move: the deadline is told to both holders, nobody else */
	F.count.tcp = 2;
	move_to_coa2(T0 + 1000);
	cr_assert_eq(F.nbu, 2, "one BU for the one binding");
	F.ba_units = 5;
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 1040);
	cr_assert(event_for(event("graceful-replacement", 0), 1000));
	cr_assert(event_for(event("graceful-replacement", 0), 1001));
	cr_assert_not(event_for(event("graceful-replacement", 0), 1002));
	cr_assert(event_for(event("move", 0), 1002), "a move is the host's, for everyone");
	/* a new request after the move does not join the claim of the old link */
	request(21, ODM_TYPE_GRACEFUL_REPLACEMENT, IPPROTO_TCP, 0, 0, T0 + 1100);
	cr_assert_eq(E.leases.n, 2);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[F.nbu - 1], &AR2), "claims the new address");
	/* the deadline ends it for both, sockets or not */
	he_tick(&E, T0 + 21100);
	cr_assert_null(lease_by_addr(&E.leases, &COA1));
	cr_assert(event_for(event("lease-ended", 0), 1001));
	cr_assert_not(event_for(event("lease-ended", 0), 1002));
}

Test(hostengine, session_lasting_joining_a_graceful_claim_lifts_its_deadline)
{
	int mark;

	claimed(ODM_TYPE_GRACEFUL_REPLACEMENT); /* uid 1000 */
	request(11, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 0, 0, T0 + 30);
	cr_assert_eq(F.nrep, 1, "waits for the anchor to take the new type");
	cr_assert_eq(F.nbu, 2);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[1], &COA1), "from the link");
	cr_assert(bu_hnp_is(1, &COA1));
	cr_assert(bu_service_is(1, "session-lasting"));
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 40);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:a1::5");
	cr_assert_eq(E.leases.n, 1);
	cr_assert_eq(E.leases.head->type, ODM_TYPE_SESSION_LASTING);
	/* a later Graceful request changes nothing back */
	request(21, ODM_TYPE_GRACEFUL_REPLACEMENT, IPPROTO_TCP, 0, 0, T0 + 50);
	cr_assert_eq(F.nrep, 3);
	cr_assert_eq(F.nbu, 2);

	/* after a move: no deadline, kept while a socket is bound to it */
	F.count.tcp = 1;
	move_to_coa2(T0 + 1000);
	cr_assert(bu_service_is(2, "session-lasting"));
	F.ba_units = 5;
	answer(2, MH_BA_ACCEPTED, NULL, T0 + 1040);
	cr_assert_null(event("graceful-replacement", 0));
	/* refreshed by the timer of the Binding Update List, as the agent
	 * does (a binding the look finds long expired ended as such) */
	he_reg_timers(&E, T0 + 1040 + 16000);
	cr_assert_eq(F.nbu, 4, "the refresh");
	F.ba_units = 0;
	answer(3, MH_BA_ACCEPTED, NULL, T0 + 1040 + 16030);
	he_tick(&E, T0 + 60000);
	cr_assert_not_null(lease_by_addr(&E.leases, &COA1), "no grace period ends it");
	mark = F.nlog;
	F.count.tcp = 0;
	he_tick(&E, T0 + 61000);
	cr_assert_null(lease_by_addr(&E.leases, &COA1), "the last socket closed");
	cr_assert_geq(logged("addr_del 2001:db8:a1::5", mark), 0);
	cr_assert_eq(bu(F.nbu - 1).lifetime, 0, "deregistered");
	cr_assert(event_for(event("lease-ended", 0), 1000));
	cr_assert(event_for(event("lease-ended", 0), 1001));
	cr_assert(event_for(event("lease-ended", 0), 1002));
}

/* The claim is still out when a Session-lasting request joins it: the
 * claim's BA is for the old type, so a refresh follows before anyone is
 * answered. */
Test(hostengine, session_lasting_joining_a_claim_in_flight_waits_for_its_type)
{
	access_anchors();
	request(1, ODM_TYPE_GRACEFUL_REPLACEMENT, IPPROTO_TCP, 0, 0, T0);
	request(11, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 0, 0, T0 + 5);
	cr_assert_eq(F.nbu, 1, "one claim");
	cr_assert(bu_service_is(0, "graceful-replacement"));
	answer(0, MH_BA_ACCEPTED, NULL, T0 + 20);
	cr_assert_eq(F.nrep, 0, "not answered for the old type");
	cr_assert_eq(F.nbu, 2);
	cr_assert(bu_service_is(1, "session-lasting"));
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 30);
	cr_assert_eq(F.nrep, 2, "both answered");
	cr_assert_str_eq(F.rep[0].addr, "2001:db8:a1::5");
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:a1::5");
	cr_assert_eq(E.leases.n, 1);
}

/* The BU that turns a Graceful-replacement claim Session-lasting is lost,
 * and the host moves before its retransmission: the anchor still holds the
 * claim as Graceful-replacement and refuses the move's Session-lasting BU
 * from off the link (139). That says which type the anchor holds: the
 * claim carries on as Graceful-replacement (its sockets and deadline are
 * the anchor's grace period's), and the Session-lasting request, which no
 * claim away from its link can serve, is asked for again where the host
 * is now (the new link's claim). */
Test(hostengine, session_lasting_join_lost_before_a_move_keeps_the_claim_graceful)
{
	int n, at_ar1 = -1, at_ar2 = -1;

	claimed(ODM_TYPE_GRACEFUL_REPLACEMENT); /* uid 1000 */
	request(11, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 0, 0, T0 + 30);
	cr_assert_eq(F.nbu, 2);
	cr_assert(bu_service_is(1, "session-lasting"), "from the link: may change the type");
	/* BU 1 is lost; the host moves before it is sent again */
	F.count.tcp = 1;
	F.destroyed = 1;
	move_to_coa2(T0 + 100);
	cr_assert_eq(F.nbu, 3);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[2], &COA2) && bu_hnp_is(2, &COA1));
	answer(2, MH_BA_REG_TYPE_CHANGE, NULL, T0 + 140);
	cr_assert_not_null(lease_by_addr(&E.leases, &COA1), "the claim is not lost");
	cr_assert_eq(E.lost, 0, "not counted as a lost binding");
	cr_assert_eq(logged_addr("destroy_tcp", &COA1, 0), -1, "its connections live on");
	cr_assert_eq(lease_by_addr(&E.leases, &COA1)->type, ODM_TYPE_GRACEFUL_REPLACEMENT);
	n = F.nbu;
	for (int i = 3; i < n; i++) {
		if (IN6_ARE_ADDR_EQUAL(&F.budst[i], &AR1))
			at_ar1 = i;
		else if (IN6_ARE_ADDR_EQUAL(&F.budst[i], &AR2))
			at_ar2 = i;
	}
	cr_assert_geq(at_ar1, 0, "re-registered at once as what the anchor holds");
	cr_assert(bu_hnp_is(at_ar1, &COA1) && IN6_ARE_ADDR_EQUAL(&F.busrc[at_ar1], &COA2));
	cr_assert(bu_service_is(at_ar1, "graceful-replacement"));
	F.ba_units = 5;
	answer(at_ar1, MH_BA_ACCEPTED, NULL, T0 + 180);
	cr_assert_not_null(event("graceful-replacement", 0), "the grace period's deadline is told");
	/* the Session-lasting request claims the new link's address */
	cr_assert_geq(at_ar2, 0, "request 11 asked for again at the new link's anchor");
	cr_assert(bu_hnp_is(at_ar2, &COA2) && IN6_ARE_ADDR_EQUAL(&F.busrc[at_ar2], &COA2));
	cr_assert(bu_service_is(at_ar2, "session-lasting"));
	cr_assert_eq(F.nrep, 1, "request 11 not answered with the graceful claim");
	F.ba_units = 0;
	answer(at_ar2, MH_BA_ACCEPTED, NULL, T0 + 190);
	cr_assert_eq(F.nrep, 2);
	cr_assert_eq(F.rep[1].req, 11);
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:a2::5");
}

/* A socket that asked for a fresh address never shares a claim */
Test(hostengine, fresh_request_does_not_share_a_claim)
{
	claimed(ODM_TYPE_SESSION_LASTING);
	request(11, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 0, 1, T0 + 30);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].code, "REQUIREDIPFAILED");
	cr_assert_eq(E.leases.n, 1);
}

/* The audiences of BUs, BAs and destroyed sockets */
Test(hostengine, event_audiences_of_a_lease)
{
	granted(IPPROTO_TCP); /* request 1, uid 1000, at the CHA */
	cr_assert(event_for(event("bu-sent", 0), 1000), "an allocation: its BID says whose");
	cr_assert_not(event_for(event("bu-sent", 0), 1001));
	cr_assert(event_for(event("ba-received", 0), 1000));
	cr_assert_not(event_for(event("ba-received", 0), 1001));
	F.count.tcp = 1;
	F.destroyed = 2;
	F.host[0] = COA2;
	F.coa = COA2;
	he_move(&E, T0 + 1000);
	cr_assert_not(event_for(event("socket-destroyed", 0), 1000), "counts everyone's sockets");
	cr_assert(event_for(event("bu-sent", 1), 1000), "the re-registration of uid 1000's lease");
	cr_assert_not(event_for(event("bu-sent", 1), 1001));

}

/* The Fixed lease the agent holds for itself has no user: status says so */
Test(hostengine, the_agents_own_lease_has_owner_agent)
{
	json_t *st, *l;

	fixed_registered();
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 30);
	answer(1, MH_BA_ACCEPTED, &HOA1, T0 + 40);
	st = he_status_json(&E, T0 + 2000);
	cr_assert_eq(json_array_size(json_object_get(st, "leases")), 2);
	for (size_t i = 0; (l = json_array_get(json_object_get(st, "leases"), i)); i++) {
		if (strcmp(json_string_value(json_object_get(l, "type")), "fixed") == 0) {
			cr_assert_str_eq(json_string_value(json_object_get(l, "owner")), "agent");
			cr_assert_null(json_object_get(l, "uid"), "no uid 4294967295");
			cr_assert_null(json_object_get(l, "pid"));
		} else {
			cr_assert_str_eq(json_string_value(json_object_get(l, "owner")), "user");
			cr_assert_eq(json_integer_value(json_object_get(l, "uid")), 1000);
		}
	}
	json_decref(st);
	/* the host's Fixed address is no secret: its events are for everyone */
	cr_assert(event_for(event("ba-received", 0), 1002));
	cr_assert_not(event_for(event("ba-received", 1), 1002), "uid 1000's lease");
	/* a user given the Fixed address hears of it; it is no lease of theirs */
	request(11, ODM_TYPE_FIXED, IPPROTO_TCP, 0, 0, T0 + 2100);
	cr_assert(event_for(event("lease-granted", 1), 1001));
	cr_assert_eq(lease_count_uid(&E.leases, 1001), 0);
}

/* access-anchor ra: the router of the link, heard in its RA (accessra.h) */
static struct ra_info ra_router(const char *addr, int h)
{
	struct ra_info ra = { .home_agent = h, .ha_lifetime = 1800, .n_router_addrs = 1 };

	ra.router_addrs[0] = A(addr);
	return ra;
}

Test(hostengine, access_anchor_learned_from_the_ra_of_the_link)
{
	struct ra_info r1 = ra_router("2001:db8:a1::1", 1), r2 = ra_router("2001:db8:a2::1", 1);
	struct ra_info plain = ra_router("2001:db8:a1::1", 0);
	json_t *st;

	AR1 = A("2001:db8:a1::1");
	AR2 = A("2001:db8:a2::1");
	access_learn_from_ra(&E, 1);
	cr_assert(!E.anchors.has_access, "an access anchor before any RA");
	access_ra_heard(&E, &r2, "eth2", T0);
	cr_assert(!E.anchors.has_access, "another link's router taken as this link's");
	access_ra_heard(&E, &r1, "eth1", T0);
	cr_assert(E.anchors.has_access);
	assert_addr(&E.anchors.access, "2001:db8:a1::1");
	cr_assert_eq(E.access_src, ACCESS_SRC_RA);
	st = access_status_json(&E, T0);
	cr_assert_str_eq(json_string_value(json_object_get(st, "source")), "ra");
	cr_assert_str_eq(json_string_value(json_object_get(st, "addr")), "2001:db8:a1::1");
	cr_assert_eq(json_array_size(json_object_get(st, "learned")), 2);
	json_decref(st);

	/* a Graceful-replacement socket's claim goes to it */
	request(1, ODM_TYPE_GRACEFUL_REPLACEMENT, IPPROTO_TCP, 0, 0, T0 + 1);
	cr_assert_eq(F.nbu, 1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[0], &AR1), "the claim went elsewhere");
	cr_assert(bu_hnp_is(0, &COA1), "not a claim of the host's access address");

	/* moved: the new link's router (heard before) is the current one, the
	 * router left stays known (it anchors the claimed address) */
	move_to_coa2(T0 + 100);
	cr_assert(E.anchors.has_access);
	assert_addr(&E.anchors.access, "2001:db8:a2::1");
	cr_assert(access_is_claim(&E, &AR1, &COA1), "the anchor left behind was forgotten");
	access_ra_heard(&E, &r2, "eth2", T0 + 200);
	/* kept for the advertised lifetime, not longer */
	he_tick(&E, T0 + 1800 * 1000 - 1);
	cr_assert(access_is_claim(&E, &AR1, &COA1), "forgotten before its lifetime ran out");
	he_tick(&E, T0 + 1800 * 1000);
	cr_assert(!access_is_claim(&E, &AR1, &COA1), "kept past its lifetime");
	cr_assert(E.anchors.has_access, "the current link's (heard later) dropped with it");
	access_ra_heard(&E, &r1, "eth1", T0 + 1800 * 1000 + 1);

	/* the router stops offering: withdrawn at once */
	access_ra_heard(&E, &plain, "eth1", T0 + 300);
	cr_assert(!access_is_claim(&E, &AR1, &COA1), "a withdrawn offer still counts");
}

/* An RA is anyone's on the link, and its R flag may name any address: one
 * naming the CHA's is no access anchor for the host's address of another
 * /64. Before, the host's Session-lasting requests at that CHA became
 * claims of its access address there, which the CHA refuses (133), for
 * as long as the rogue RA's home agent lifetime said. */
Test(hostengine, an_ra_naming_the_cha_does_not_make_requests_there_claims)
{
	struct ra_info rogue = ra_router("2001:db8:ca::10", 1);
	struct in6_addr same64 = A("2001:db8:ca::77");

	access_learn_from_ra(&E, 1);
	access_ra_heard(&E, &rogue, "eth1", T0);
	cr_assert(!E.anchors.has_access, "the CHA taken as this link's access anchor");
	cr_assert(!access_is_claim(&E, &ANCHOR, &COA1), "a claim of another /64's address");
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 1);
	cr_assert_eq(F.nbu, 1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[0], &ANCHOR));
	cr_assert(bu_hnp_is(0, &in6addr_any), "not an allocation at the CHA");
	answer(0, MH_BA_ACCEPTED, &HOA1, T0 + 50);
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "");
	cr_assert_str_eq(F.rep[0].addr, "2001:db8:c4a::101");
	/* a router of the host's own /64 still is one */
	cr_assert(access_is_claim(&E, &ANCHOR, &same64));
}

/* A renumbered link: the router's address (the anchor its RA names) is of
 * the old /64, now deprecated, and the kernel picks the new /64's address
 * toward it (RFC 6724 rule 3): the claim of that address still goes to the
 * link's anchor, as it did before the /64 check, not an allocation it has
 * no pool for. The host's address of the anchor's /64 says it is the
 * link's. Without a care-of address toward it yet, the request is refused
 * as before ("no address to claim"), not sent as an allocation. */
Test(hostengine, a_renumbered_links_anchor_still_takes_the_claim)
{
	struct ra_info r1 = ra_router("2001:db8:a1::1", 1);
	struct in6_addr fresh64 = A("2001:db8:b1::5");

	AR1 = A("2001:db8:a1::1");
	F.host[0] = COA1; /* 2001:db8:a1::5, deprecated */
	F.host[1] = fresh64;
	F.nhost = 2;
	F.coa = fresh64;
	he_move(&E, T0);
	access_learn_from_ra(&E, 1);
	access_ra_heard(&E, &r1, "eth1", T0);
	assert_addr(&E.anchors.access, "2001:db8:a1::1");
	request(1, ODM_TYPE_GRACEFUL_REPLACEMENT, IPPROTO_TCP, 0, 0, T0 + 1);
	cr_assert_eq(F.nbu, 1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[0], &AR1), "the claim went elsewhere");
	cr_assert(bu_hnp_is(0, &fresh64), "the link's anchor asked for an allocation, not a claim");

	/* no care-of address toward it (yet): no address to claim */
	AR2 = A("2001:db8:b1::1");
	r1 = ra_router("2001:db8:b1::1", 1);
	access_ra_heard(&E, &r1, "eth1", T0 + 2);
	assert_addr(&E.anchors.access, "2001:db8:b1::1");
	F.coa_rc = -ENETUNREACH;
	request(2, ODM_TYPE_GRACEFUL_REPLACEMENT, IPPROTO_TCP, 0, 0, T0 + 3);
	cr_assert_eq(F.nbu, 1, "an allocation sent to the link's anchor");
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "REQUIREDIPFAILED");
}

Test(hostengine, a_configured_access_anchor_comes_before_a_learned_one)
{
	struct ra_info r1 = ra_router("2001:db8:a1::1", 1);
	struct in6_addr conf = A("2001:db8:a1::99");

	access_set_anchors(&E, &conf, 1);
	access_learn_from_ra(&E, 1);
	access_ra_heard(&E, &r1, "eth1", T0);
	assert_addr(&E.anchors.access, "2001:db8:a1::99");
	cr_assert_eq(E.access_src, ACCESS_SRC_CONFIG);
	/* learning off: what the RAs said is forgotten */
	access_set_anchors(&E, &conf, 0);
	access_learn_from_ra(&E, 0);
	access_ra_heard(&E, &r1, "eth1", T0);
	cr_assert_eq(E.access_ra.n, 0, "learned with access-anchor ra off");
}

/* access-anchor ra: a new run adopts a claim at a learned anchor before it
 * hears that router again (its table starts empty) */
Test(hostengine, restart_takes_a_claim_at_a_learned_anchor_over_native)
{
	struct ra_info r1 = ra_router("2001:db8:a1::1", 1);
	struct hostengine first;
	int mark;

	AR1 = A("2001:db8:a1::1");
	access_learn_from_ra(&E, 1);
	access_ra_heard(&E, &r1, "eth1", T0);
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 0, 0, T0);
	cr_assert_eq(F.nbu, 1);
	answer(0, MH_BA_ACCEPTED, NULL, T0 + 20);
	cr_assert(E.leases.head->claimed);
	new_run(&first);
	access_learn_from_ra(&E, 1);
	cr_assert_eq(E.access_ra.n, 0, "the new run heard no RA yet");
	mark = F.nlog;
	he_adopted(&E, T0 + 1100);
	cr_assert(E.leases.head->claimed, "taken over as an ordinary anchored lease");
	cr_assert_eq(logged("addr_add 2001:db8:a1::5", mark), -1, "native: not on the tunnel");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[F.nbu - 1], &COA1), "re-registered from the address");
	he_cleanup(&first);
}

/* ---- a silent anchor: the type's next provider (typetable.c) ---- */

/* Run the registration timers due until then */
static void timers_until(uint64_t until)
{
	while (he_reg_deadline(&E) && he_reg_deadline(&E) <= until)
		he_reg_timers(&E, he_reg_deadline(&E));
}

/* Run the registration timers until the first allocation times out */
static void time_out_first_allocation(void)
{
	timers_until(T0 + HE_ALLOC_TIMEOUT_MS);
}

static json_int_t fell_through(uint64_t now)
{
	json_t *st = he_status_json(&E, now);
	json_int_t n = json_integer_value(json_object_get(st, "fell_through"));

	json_decref(st);
	return n;
}

/* The peer's CHA does not answer: Session-lasting goes to the type's next
 * provider, the access anchor of the link (typetable.c), both for the
 * request that waited for the CHA and for those that come while it is on
 * hold; after the hold the CHA is asked again. */
Test(hostengine, silent_cha_sends_requests_to_the_access_anchor)
{
	uint64_t t = T0 + HE_ALLOC_TIMEOUT_MS;
	int n;

	access_anchors();
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[0], &ANCHOR), "the CHA is asked first");
	time_out_first_allocation();
	cr_assert_eq(F.nrep, 0, "the request is not failed...");
	n = F.nbu;
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[n - 1], &AR1), "...it goes to the access anchor");
	cr_assert(bu_hnp_is(n - 1, &COA1), "a claim of the host's access address");
	answer(n - 1, MH_BA_ACCEPTED, NULL, t + 20);
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "");
	cr_assert_str_eq(F.rep[0].addr, "2001:db8:a1::5");
	/* while the CHA is on hold: straight to the access anchor's claim */
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + 30);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:a1::5");
	cr_assert_eq(F.nbu, n, "nothing sent to the CHA on hold");
	cr_assert_eq(fell_through(t + 40), 2);
	/* the hold over: the CHA is asked again */
	request(3, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + HE_SILENT_HOLD_MS);
	cr_assert_eq(F.nbu, n + 1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[n], &ANCHOR));
	cr_assert(bu_hnp_is(n, &in6addr_any), "a new allocation there");
}

/* A lease at the CHA whose refresh goes unanswered: the request waiting
 * for it, and those that would share it later, go to the home anchor (no
 * access anchor here) rather than being answered ETIMEDOUT; the CHA is
 * still asked again at once for the later ones. */
/* The first BU from index from on to the home anchor that is not for the
 * agent's own Fixed lease; -1 if none */
static int home_session_bu(int from)
{
	for (int i = from; i < F.nbu; i++)
		if (IN6_ARE_ADDR_EQUAL(&F.budst[i], &HOME) && !bu_service_is(i, "fixed"))
			return i;
	return -1;
}

Test(hostengine, unconfirmed_cha_sends_requests_to_the_home_anchor)
{
	uint64_t t = T0 + 50 + HE_CONFIRM_MS;
	int n, k;

	HOME = A("2001:db8:4a::10");
	E.anchors.has_home = 1;
	E.anchors.home = HOME;
	granted(IPPROTO_TCP);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t);
	cr_assert_eq(F.nbu, 2, "confirming refresh");
	F.count.tcp = 1;
	n = F.nbu;
	he_tick(&E, t + HE_ALLOC_TIMEOUT_MS);
	cr_assert_eq(F.nrep, 1, "the waiter is not answered ETIMEDOUT...");
	/* (the tick also starts the agent's own Fixed lease there) */
	k = home_session_bu(n);
	cr_assert_geq(k, 0, "...it goes to the home anchor");
	cr_assert(bu_hnp_is(k, &in6addr_any));
	n = F.nbu;
	request(3, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + HE_ALLOC_TIMEOUT_MS + 5);
	cr_assert_eq(F.nrep, 1, "a later one is not answered ETIMEDOUT either...");
	cr_assert_eq(F.nbu, n + 1, "the CHA is asked again at once, nothing else sent");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[n], &ANCHOR));
	answer(k, MH_BA_ACCEPTED, &HOA2, t + HE_ALLOC_TIMEOUT_MS + 30);
	cr_assert_eq(F.nrep, 3, "...both get the home anchor's address");
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:c4a::102");
	cr_assert_str_eq(F.rep[2].addr, "2001:db8:c4a::102");
	cr_assert_eq(fell_through(t + HE_ALLOC_TIMEOUT_MS + 40), 2);
}

/* Every provider of the type silent: answered ETIMEDOUT at once, nothing
 * sent, never a plain address; Fixed has no provider but the home anchor. */
Test(hostengine, every_silent_provider_is_passed_over_then_etimedout)
{
	uint64_t t = T0 + HE_ALLOC_TIMEOUT_MS;
	int n;

	HOME = A("2001:db8:4a::10");
	E.anchors.has_home = 1;
	E.anchors.home = HOME;
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	time_out_first_allocation();
	n = F.nbu;
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[n - 1], &HOME), "the home anchor is asked next");
	for (uint64_t u = t; u <= t + HE_ALLOC_TIMEOUT_MS + 1000; u += 10)
		he_reg_timers(&E, u);
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "ETIMEDOUT");
	n = F.nbu;
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 1, 0, t + HE_ALLOC_TIMEOUT_MS + 1010);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].code, "ETIMEDOUT", "both on hold");
	request(3, ODM_TYPE_FIXED, IPPROTO_TCP, 1, 0, t + HE_ALLOC_TIMEOUT_MS + 1020);
	cr_assert_eq(F.nrep, 3);
	cr_assert_str_eq(F.rep[2].code, "ETIMEDOUT");
	cr_assert_eq(F.nbu, n, "nothing sent");
	cr_assert_null(E.leases.head);
}

static uint64_t hold_left(uint64_t now)
{
	struct reg_anchor *an = reg_anchor_find(&E.reg, &ANCHOR);

	cr_assert_not_null(an);
	return he_hold_left(an, now);
}

/* An anchor that stays silent is held twice as long each time it lets an
 * allocation time out again after a hold, up to HE_SILENT_HOLD_MAX_MS; a BA
 * starts the count again. */
Test(hostengine, a_silent_anchor_is_held_longer_each_time_in_a_row)
{
	uint64_t t = T0 + HE_ALLOC_TIMEOUT_MS, want = HE_SILENT_HOLD_MS;
	intptr_t id = 1;
	int n;

	request(id++, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	time_out_first_allocation();
	cr_assert_eq(hold_left(t), HE_SILENT_HOLD_MS);
	for (int round = 0; round < 6; round++) {
		/* on hold until its end: answered at once, nothing sent */
		n = F.nbu;
		request(id++, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + want - 1);
		cr_assert_eq(F.nbu, n, "round %d: held for %llu ms", round,
			     (unsigned long long)want);
		cr_assert_str_eq(F.rep[F.nrep - 1].code, "ETIMEDOUT");
		/* then asked again, and silent again */
		request(id++, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + want);
		cr_assert_eq(F.nbu, n + 1, "round %d: asked again after the hold", round);
		t += want + HE_ALLOC_TIMEOUT_MS;
		timers_until(t);
		want = want * 2 < HE_SILENT_HOLD_MAX_MS ? want * 2 : HE_SILENT_HOLD_MAX_MS;
		cr_assert_eq(hold_left(t), want, "round %d", round);
	}
	cr_assert_eq(want, HE_SILENT_HOLD_MAX_MS, "the doubling reached its bound");
	/* an answer: the next silence holds it for HE_SILENT_HOLD_MS again */
	request(id++, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + want);
	n = F.nbu;
	answer(n - 1, MH_BA_ACCEPTED, &HOA1, t + want + 10);
	cr_assert_eq(hold_left(t + want + 10), 0);
	t += want + 10;
	request(id++, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 1, 0, t);
	cr_assert_eq(F.nbu, n + 1, "a UDP lease of its own");
	timers_until(t + HE_ALLOC_TIMEOUT_MS);
	cr_assert_eq(hold_left(t + HE_ALLOC_TIMEOUT_MS), HE_SILENT_HOLD_MS);
}

/* Two allocations at the anchor time out together (a TCP and a UDP socket):
 * one hold of HE_SILENT_HOLD_MS, not a doubled one; an exchange begun
 * during a hold (the agent's own Fixed retry) doubles nothing either. */
Test(hostengine, allocations_silent_together_hold_once)
{
	uint64_t t = T0 + HE_ALLOC_TIMEOUT_MS + 100;

	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 1, 0, T0 + 100);
	cr_assert_eq(F.nbu, 2, "two allocations");
	timers_until(t);
	cr_assert_eq(F.nrep, 2);
	cr_assert_eq(hold_left(t), HE_SILENT_HOLD_MS, "the second timeout holds 10 s from it");
}

/* A BA from the anchor on hold (here the refresh of a lease it already
 * holds) ends the hold at once. */
Test(hostengine, a_ba_during_the_hold_ends_it)
{
	uint64_t t;
	int n;

	granted(IPPROTO_TCP);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 1, 0, T0 + 100);
	t = T0 + 100 + HE_ALLOC_TIMEOUT_MS;
	timers_until(t);
	cr_assert_str_eq(F.rep[1].code, "ETIMEDOUT");
	cr_assert_eq(hold_left(t), HE_SILENT_HOLD_MS);
	F.count.tcp = 1;
	n = F.nbu;
	request(3, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + 2500);
	cr_assert_eq(F.nbu, n + 1, "the TCP lease, older than 5 s, is confirmed first");
	answer(n, MH_BA_ACCEPTED, NULL, t + 2510);
	cr_assert_eq(hold_left(t + 2510), 0, "the BA ended the hold");
	request(4, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 1, 0, t + 2520);
	cr_assert_eq(F.nbu, n + 2, "a UDP socket's allocation is asked for again");
}

/* An access anchor that does not answer the claim: the request is answered
 * ETIMEDOUT within the allocation timeout (the claim is not asked again
 * and again while it waits), the anchor is on hold like any other, and
 * with a home anchor the requests go there. */
Test(hostengine, a_silent_access_anchor_is_passed_over_too)
{
	uint64_t t = T0 + HE_ALLOC_TIMEOUT_MS;
	int n, k;

	access_anchors();
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 0, 0, T0);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[0], &AR1), "the claim");
	timers_until(t - 1);
	cr_assert_eq(F.nrep, 0, "waits as long as an allocation");
	timers_until(t);
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "ETIMEDOUT");
	n = F.nbu;
	timers_until(t + 30000);
	cr_assert_eq(F.nbu, n, "nothing sent once the request is answered");
	request(2, ODM_TYPE_GRACEFUL_REPLACEMENT, IPPROTO_TCP, 0, 0, t + 30);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].code, "ETIMEDOUT", "on hold: at once");
	cr_assert_eq(F.nbu, n);
	/* with a home anchor, Session-lasting goes there instead */
	HOME = A("2001:db8:4a::10");
	E.anchors.has_home = 1;
	E.anchors.home = HOME;
	request(3, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 0, 0, t + 40);
	k = home_session_bu(n);
	cr_assert_geq(k, 0, "asked at the home anchor");
	answer(k, MH_BA_ACCEPTED, &HOA2, t + 60);
	cr_assert_eq(F.nrep, 3);
	cr_assert_str_eq(F.rep[2].addr, "2001:db8:c4a::102");
}

/* A request for a fresh address (IPV6_REQUIRE_SRC_ON_NET) stays one when
 * its CHA is passed over: it is not given the access claim others share. */
Test(hostengine, a_fresh_request_past_a_silent_cha_shares_nothing)
{
	claimed(ODM_TYPE_SESSION_LASTING);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 1, T0 + 30);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[F.nbu - 1], &ANCHOR));
	timers_until(T0 + 30 + HE_ALLOC_TIMEOUT_MS);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_neq(F.rep[1].addr, "2001:db8:a1::5", "not the shared claim");
	cr_assert_str_neq(F.rep[1].code, "", "refused: %s", F.rep[1].code);
}

/* A CHA that refuses the allocation (it serves other users, or its pool is
 * full) is passed over as a silent one is: Session-lasting goes to the
 * access anchor. It answered, so it is not on hold. */
Test(hostengine, a_cha_that_refuses_is_passed_over)
{
	access_anchors();
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	answer(0, MH_BA_PROHIBITED, &in6addr_any, T0 + 10);
	cr_assert_eq(F.nrep, 0, "not failed...");
	cr_assert_eq(F.nbu, 2);
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[1], &AR1), "...claimed at the access anchor");
	answer(1, MH_BA_ACCEPTED, NULL, T0 + 20);
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].addr, "2001:db8:a1::5");
	cr_assert_eq(hold_left(T0 + 20), 0, "an anchor that answers is not on hold");
	cr_assert_eq(fell_through(T0 + 30), 1);
}

/* What the test wrote to its redirected stderr so far, into buf (cap
 * bytes, NUL-terminated); how many times needle occurs in it. */
static int stderr_count(char *buf, size_t cap, const char *needle)
{
	return log_count(log_read(buf, cap), needle);
}

/* Any neighbour may send RAs, as many as it likes, each naming another
 * router of the host's /64: each changes the link's access anchor (the one
 * heard last). The lines saying so are held to HE_ACCESS_LOG_RATE a second
 * after a burst of HE_ACCESS_LOG_BURST, the rest at debug level and counted
 * in the next; before, each RA wrote one at info level. */
Test(hostengine, a_flood_of_ras_changing_the_access_anchor_is_said_at_a_bounded_rate)
{
	const char *needle = "access anchor of this link: ";
	char buf[16384], addr[64];
	int lines;

	access_learn_from_ra(&E, 1);
	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	for (int i = 1; i <= 100; i++) {
		struct ra_info r;

		snprintf(addr, sizeof(addr), "2001:db8:a1::%x", 0x100 + i);
		r = ra_router(addr, 1);
		access_ra_heard(&E, &r, "eth1", T0 + (uint64_t)i);
		assert_addr(&E.anchors.access, addr);
	}
	/* the last one's line, a while later */
	{
		struct ra_info r = ra_router("2001:db8:a1::1", 1);

		access_ra_heard(&E, &r, "eth1", T0 + 2000);
	}
	lines = stderr_count(buf, sizeof(buf), needle);
	cr_assert_eq(lines, HE_ACCESS_LOG_BURST + 1, "%d lines at info level:\n%s", lines, buf);
	cr_assert(strstr(buf, "2001:db8:a1::1 (ra: router on eth1) (and 95 more such line(s) "
			      "since the last: debug level)"), "%s", buf);
}

/* Anyone on the link makes the host's addresses come and go (RAs with
 * short-lived prefixes, or an answer to each DAD probe): one that held no
 * TCP socket is said at the debug level only, so such a flood writes
 * nothing at info level; one whose sockets were destroyed is still said.
 * Before, each wrote a line at info level (measured on the test network:
 * 70 in 10 s from one forged RA a second). */
Test(hostengine, addresses_that_vanish_with_no_tcp_socket_log_nothing_at_info_level)
{
	char buf[16384];
	int lines;

	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	he_move(&E, T0); /* the snapshot: COA1 alone */
	for (int i = 0; i < 64; i++) {
		char a[64];

		snprintf(a, sizeof(a), "2001:db8:%x::5", 0x1000 + i);
		inet_pton(AF_INET6, a, &F.host[1]);
		F.nhost = 2;
		he_move(&E, T0 + 10 + 2 * (uint64_t)i);
		F.nhost = 1;
		he_move(&E, T0 + 11 + 2 * (uint64_t)i);
		cr_assert_geq(logged_addr("destroy_tcp", &F.host[1], 0), 0,
			      "its sockets were looked for");
	}
	lines = stderr_count(buf, sizeof(buf), " vanished: ");
	cr_assert_eq(lines, 0, "%d lines at info level:\n%s", lines, buf);
	/* one with sockets destroyed is said */
	inet_pton(AF_INET6, "2001:db8:2000::5", &F.host[1]);
	F.nhost = 2;
	he_move(&E, T0 + 1000);
	F.nhost = 1;
	F.destroyed = 3;
	he_move(&E, T0 + 1001);
	lines = stderr_count(buf, sizeof(buf), " vanished: ");
	cr_assert_eq(lines, 1, "%d lines at info level:\n%s", lines, buf);
	cr_assert(strstr(buf, "address 2001:db8:2000::5 vanished: 3 TCP sockets destroyed"), "%s",
		  buf);
}

/* A save snapshots every lease (mn_state.c): only a message acted on asks
 * for one. Before, every Mobility Header message did, ignored ones too, so
 * anyone could make the agent encode its whole state 50 times a second
 * (measured: 0.3 ms each with 64 leases) with 50 junk packets a second. */
Test(hostengine, ignored_mobility_messages_ask_for_no_save)
{
	uint8_t junk[16] = { 59, 1, 6, 0, 0, 0, 0, 0, 0, 1, 0, 1, 9, 250, 1, 0 };
	uint8_t brr[8] = { 59, 0, MH_TYPE_BRR, 0, 0, 0, 0, 0 };
	struct mh_msg m = { .type = MH_TYPE_BA, .seq = 7, .lifetime = 10 };
	uint8_t ba[64];
	int n, saves;

	granted(IPPROTO_TCP);
	saves = F.saves;
	n = mh_encode(&m, ba, sizeof(ba), NULL, NULL, NULL, NULL, NULL);
	cr_assert_gt(n, 0);
	he_mh_input(&E, junk, sizeof(junk), &ANCHOR, &COA1, T0 + 1000);
	he_mh_input(&E, ba, (size_t)n, &ANCHOR, &COA1, T0 + 1001); /* unauthenticated */
	he_mh_input(&E, ba, (size_t)n, &CN, &COA1, T0 + 1002);     /* not from an anchor */
	he_mh_input(&E, brr, sizeof(brr), &CN, &COA1, T0 + 1003);
	cr_assert_eq(E.reg.ba_ignored, 3);
	cr_assert_eq(F.saves, saves, "a save asked for an ignored message");
	/* one acted on: a refresh Request from the anchor sends a BU */
	he_mh_input(&E, brr, sizeof(brr), &ANCHOR, &COA1, T0 + 1004);
	cr_assert_eq(F.nbu, 2, "the refresh");
	cr_assert_gt(F.saves, saves, "no save for what changed the anchor's number");
}

/* Requests passed over a silent anchor are logged at info level once a
 * second, the others at debug level and counted in the next info line. */
Test(hostengine, requests_past_a_silent_anchor_are_said_once_a_second)
{
	uint64_t t = T0 + HE_ALLOC_TIMEOUT_MS;
	const char *needle = "asking anchor 2001:db8:a1::1 instead";
	char buf[8192];
	int lines;

	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	access_anchors();
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	time_out_first_allocation(); /* said: the first */
	answer(F.nbu - 1, MH_BA_ACCEPTED, NULL, t + 5);
	for (intptr_t i = 2; i <= 5; i++) /* within the second: debug */
		request(i, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + 10 * (uint64_t)i);
	request(6, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + 1100); /* said, with 4 */
	cr_assert_eq(F.nrep, 6);
	cr_assert_eq(fell_through(t + 1200), 6);
	lines = stderr_count(buf, sizeof(buf), needle);
	cr_assert_eq(lines, 2, "two lines at info level:\n%s", buf);
	cr_assert(strstr(buf, "instead (and 4 more such line(s) since the last: debug level)"), "%s",
		  buf);
}

/* Requests that fall back to a plain address (Session-lasting with no
 * anchor to ask) are said at info level REQLOG_BURST at once, then
 * REQLOG_RATE a second, for each user; REQLOG_ALL_BURST and
 * REQLOG_ALL_RATE for all users together; the others at debug level,
 * counted in the next line of that user's let through: a local user's one
 * control connection sends a hundred thousand of them a second (reqlog.h).
 * The fixture's requests are of a hundred users (f_cred: ten requests
 * each), so the bound on all of them is what holds here. */
Test(hostengine, plain_fallbacks_are_said_at_a_bounded_rate)
{
	static char buf[1 << 18];
	const char *needle = "no anchor for this destination: plain address";
	int lines;

	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	for (intptr_t i = 1; i <= 1001; i++) {
		/* 1000 in half a second; a second later a token is back: the
		 * last one is said, with the count */
		request(i, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 0, 0,
			i <= 1000 ? T0 + (uint64_t)i / 2 : T0 + 1500);
		cr_assert_eq(F.nrep, 1, "request %ld answered", (long)i);
		cr_assert(F.rep[0].plain, "request %ld answered plain", (long)i);
		/* the fixture keeps a few replies and events */
		for (int k = 0; k < F.nev; k++)
			json_decref(F.ev[k]);
		F.nrep = F.nev = 0;
	}
	lines = stderr_count(buf, sizeof(buf), needle);
	cr_assert_geq(lines, REQLOG_ALL_BURST, "%d lines", lines);
	cr_assert_leq(lines, REQLOG_ALL_BURST + REQLOG_ALL_RATE / 2 + 1 + 1,
		      "%d lines at info level for 1001 requests", lines);
	cr_assert(strstr(buf, "plain address (and "), "the count of those held back:\n%s",
		  buf + (strlen(buf) > 2000 ? strlen(buf) - 2000 : 0));
}

/* The line of an allocation names the type asked for, and the flow and
 * process it is for; the host's own Fixed address is for no flow, user or
 * process, and its line names none (not "tcp ::, uid 4294967295 pid 0"). */
Test(hostengine, an_allocation_is_said_with_its_type_and_for_whom)
{
	char buf[8192];

	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	fixed_registered();
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 30);
	cr_assert_eq(stderr_count(buf, sizeof(buf), "asking anchor 2001:db8:ca::10 for a "
				  "session-lasting address from CoA 2001:db8:a1::5 (for tcp "
				  "2001:db8:c0::80, uid "), 1, "%s", buf);
	cr_assert(strstr(buf, "asking anchor 2001:db8:4a::10 for the host's own fixed address "
			      "from CoA 2001:db8:a1::5\n"), "%s", buf);
	cr_assert_null(strstr(buf, "uid 4294967295"), "%s", buf);
}

/* A move is said once per anchor, each line with the old and new CoA and
 * the device the new one is on. */
Test(hostengine, a_move_is_said_with_its_device_at_every_anchor)
{
	char buf[8192];

	claimed(ODM_TYPE_SESSION_LASTING);
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + 30);
	answer(1, MH_BA_ACCEPTED, &HOA1, T0 + 40);
	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	move_to_coa2(T0 + 1000);
	cr_assert_eq(stderr_count(buf, sizeof(buf), "move: CoA 2001:db8:a1::5 -> 2001:db8:a2::5 "
				  "on wlan0, re-registering 1 binding(s) at anchor "), 2, "%s", buf);
}

/* Leaving the last access anchor's /64 is said with the anchor left. */
Test(hostengine, leaving_the_access_anchors_links_is_said_with_the_anchor)
{
	char buf[8192];

	access_anchors();
	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	F.coa = A("2001:db8:ff::5");
	F.host[0] = F.coa;
	he_move(&E, T0 + 1000);
	cr_assert_not(E.anchors.has_access);
	cr_assert_eq(stderr_count(buf, sizeof(buf), "no access anchor on this link any more: "
				  "2001:db8:a1::1 (config) shares a /64 with none of the host's "
				  "addresses"), 1, "%s", buf);
}

/* An ICMPv6 error about a packet to the anchor confirms every binding there
 * from that CoA, said in one line at info level: errors are easy to forge,
 * and a host of thousands of leases at one anchor must not log thousands
 * of lines for each. */
Test(hostengine, an_icmp_error_is_said_in_one_line_for_all_its_bindings)
{
	const char *needle = "did not take a packet from CoA";
	struct in6_addr hoa[3] = { HOA1, HOA2, A("2001:db8:c4a::103") };
	char buf[8192];
	int lines;

	for (intptr_t i = 0; i < 3; i++) {
		request(i + 1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 1, T0 + (uint64_t)i);
		answer(F.nbu - 1, MH_BA_ACCEPTED, &hoa[i], T0 + 10 + (uint64_t)i);
	}
	cr_assert_eq(F.nrep, 3);
	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	cr_assert_eq(he_icmp_error(&E, &COA1, &ANCHOR, T0 + 1000), 3, "each binding confirmed");
	lines = stderr_count(buf, sizeof(buf), needle);
	cr_assert_eq(lines, 1, "one line at info level:\n%s", buf);
	cr_assert(strstr(buf, "confirming 3 binding(s) now"), "%s", buf);
}

/* The anchor's answers to the refreshes an ICMPv6 error started are said
 * at info level only when it was silent long enough to matter (requests
 * answered ETIMEDOUT meanwhile): a prompt one is what a forged error gets,
 * once a second under a flood of them, and a line for each lease then would
 * flood the log by the lease count. */
Test(hostengine, prompt_confirmations_after_an_icmp_error_are_not_said_per_lease)
{
	const char *needle = "confirmed the binding";
	struct in6_addr hoa[3] = { HOA1, HOA2, A("2001:db8:c4a::103") };
	uint64_t t = T0 + 1000;
	char buf[8192];
	int lines;

	for (intptr_t i = 0; i < 3; i++) {
		request(i + 1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 1, T0 + (uint64_t)i);
		answer(F.nbu - 1, MH_BA_ACCEPTED, &hoa[i], T0 + 10 + (uint64_t)i);
	}
	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	/* a forged error at each second, each answered at once */
	for (int round = 0; round < 3; round++, t += HE_PROBE_GAP_MS) {
		int first = F.nbu;

		cr_assert_eq(he_icmp_error(&E, &COA1, &ANCHOR, t), 3);
		for (int i = first; i < F.nbu; i++)
			answer(i, MH_BA_ACCEPTED, NULL, t + 5);
	}
	/* then a real loss: the anchor answers only after HE_ALLOC_TIMEOUT_MS */
	cr_assert_eq(he_icmp_error(&E, &COA1, &ANCHOR, t), 3);
	answer(F.nbu - 1, MH_BA_ACCEPTED, NULL, t + HE_ALLOC_TIMEOUT_MS);
	lines = stderr_count(buf, sizeof(buf), needle);
	cr_assert_eq(lines, 1, "the late answer alone at info level:\n%s", buf);
	cr_assert(strstr(buf, "confirmed the binding 2900 ms after the ICMPv6 error"), "%s", buf);
}

/* Requests answered ETIMEDOUT because they would share a lease whose anchor
 * has not confirmed it (and no other anchor serves the type) are logged at
 * info level once a second too, the others at debug level and counted. */
Test(hostengine, requests_at_an_unconfirmed_lease_are_said_once_a_second)
{
	uint64_t t = T0 + 1000, u = t + HE_ALLOC_TIMEOUT_MS;
	const char *needle = "has not confirmed the binding for";
	char buf[8192];
	int lines;

	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	cr_assert_eq(he_icmp_error(&E, &COA1, &ANCHOR, t), 1);
	he_tick(&E, u);
	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	for (intptr_t i = 2; i <= 6; i++) /* the first said, four within its second */
		request(i, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, u + 10 * (uint64_t)i);
	request(7, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, u + 1100); /* said, with 4 */
	cr_assert_eq(F.nrep, 7);
	for (int i = 1; i < 7; i++)
		cr_assert_str_eq(F.rep[i].code, "ETIMEDOUT");
	lines = stderr_count(buf, sizeof(buf), needle);
	cr_assert_eq(lines, 2, "two lines at info level:\n%s", buf);
	cr_assert(strstr(buf, "ms (and 4 more such line(s) since the last: debug level)"), "%s", buf);
}

/* Binding Refresh Requests and Binding Errors carry no authenticator:
 * anyone may send a flood of them from the anchor's address. The host's
 * log says HE_ASKS_LOG_RATE of them a second, then how many it left out. */
Test(hostengine, a_flood_of_refresh_requests_is_said_at_a_bounded_rate)
{
	uint64_t t = T0 + 1000;
	const char *needle = "Binding Refresh Request from anchor 2001:db8:ca::10";
	struct mh_msg m;
	uint8_t buf[MH_MAX_LEN], be[MH_MAX_LEN];
	char log[65536];
	int n, nbe, lines;

	granted(IPPROTO_TCP);
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BRR;
	n = mh_encode(&m, buf, sizeof(buf), NULL, NULL, NULL, NULL, NULL);
	cr_assert_gt(n, 0);
	m.type = MH_TYPE_BE;
	m.status = 2; /* unrecognized MH type */
	nbe = mh_encode(&m, be, sizeof(be), NULL, NULL, NULL, NULL, NULL);
	cr_assert_gt(nbe, 0);
	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	for (int i = 0; i < 200; i++) {
		he_mh_input(&E, buf, (size_t)n, &ANCHOR, &COA1, t + (uint64_t)i);
		he_mh_input(&E, be, (size_t)nbe, &ANCHOR, &COA1, t + (uint64_t)i);
	}
	/* a second later: said again, with the count of those left out */
	he_mh_input(&E, be, (size_t)nbe, &ANCHOR, &COA1, t + 1300);
	lines = stderr_count(log, sizeof(log), "from anchor 2001:db8:ca::10");
	cr_assert_leq(lines, 2 * HE_ASKS_LOG_RATE + 1, "%d lines for 401 messages:\n%s", lines,
		      log);
	cr_assert_geq(lines, 2, "%s", log);
	cr_assert(strstr(log, needle), "%s", log);
	cr_assert(strstr(log, "Binding Error status 2 from anchor 2001:db8:ca::10 (and "), "%s", log);
	cr_assert(strstr(log, "more BRRs or BEs not logged)"), "%s", log);
	/* a flood's last count is said at the next tick, once it has room */
	for (int i = 0; i < 50; i++)
		he_mh_input(&E, buf, (size_t)n, &ANCHOR, &COA1, t + 1400);
	he_tick(&E, t + 3000);
	lines = stderr_count(log, sizeof(log), "Binding Errors from anchors not logged");
	cr_assert_eq(lines, 1, "%s", log);
}

/* A forged Binding Refresh Request (or Binding Error) from the anchor's
 * address costs each binding at most one refresh per HE_PROBE_GAP_MS, as an
 * ICMPv6 error does, however fast the anchor answers: not one per message
 * (each would be an authenticated BU per lease, a flood's amplifier). */
Test(hostengine, refresh_requests_refresh_a_binding_once_per_gap)
{
	uint64_t t = T0 + 1000;
	struct mh_msg m;
	uint8_t brr[MH_MAX_LEN];
	int n, i;

	granted(IPPROTO_TCP);
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BRR;
	n = mh_encode(&m, brr, sizeof(brr), NULL, NULL, NULL, NULL, NULL);
	cr_assert_gt(n, 0);
	he_mh_input(&E, brr, (size_t)n, &ANCHOR, &COA1, t);
	cr_assert_eq(F.nbu, 2, "the first one refreshes the binding");
	answer(1, MH_BA_ACCEPTED, &HOA1, t + 5);
	for (i = 0; i < 50; i++) {
		he_mh_input(&E, brr, (size_t)n, &ANCHOR, &COA1, t + 10 + (uint64_t)i * 10);
		if (F.nbu > 2)
			answer(F.nbu - 1, MH_BA_ACCEPTED, &HOA1, t + 15 + (uint64_t)i * 10);
	}
	cr_assert_eq(F.nbu, 2, "%d BUs for 50 more requests within %d ms", F.nbu - 2,
		     HE_PROBE_GAP_MS);
	he_mh_input(&E, brr, (size_t)n, &ANCHOR, &COA1, t + HE_PROBE_GAP_MS);
	cr_assert_eq(F.nbu, 3, "once the gap is over, the next one refreshes it again");
}

/* The anchor's agent was away while the host moved: the move's BU went
 * unanswered and its retransmissions back off (1, 2, 4, 8 s, ... up to
 * 32 s). The agent back, the first packet the host sends from the lease
 * draws a Binding Error (no binding to that care-of address): the BU
 * outstanding goes again at once, not at the back-off's next time (found
 * on the test network: an anchor restarted 20 s after it died moved the
 * binding 11 s later, 5 s after its Binding Error, and the sessions
 * stalled meanwhile). Once per HE_PROBE_GAP_MS, as a forged flood may
 * come from the anchor's address; an error of another status, or for
 * another home address, sends nothing. */
Test(hostengine, a_binding_error_resends_the_move_s_bu_at_once)
{
	uint64_t t = T0 + 2000;
	struct mh_msg m;
	uint8_t be[MH_MAX_LEN], other[MH_MAX_LEN], st2[MH_MAX_LEN];
	int n, no, n2, sent;

	granted(IPPROTO_TCP);
	F.count.tcp = 1; /* a session on it all along */
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, t);
	cr_assert_eq(F.nbu, 2, "the move's BU");
	/* unanswered: 1 + 2 + 4 + 8 s of back-off, the next 16 s away */
	for (uint64_t u = t; u <= t + 20000; u += 250) {
		he_reg_timers(&E, u);
		if (u % 1000 == t % 1000)
			he_tick(&E, u);
	}
	sent = F.nbu;
	cr_assert_geq(sent, 6, "%d BUs by 20 s into the back-off", sent);
	cr_assert_not_null(E.leases.head);
	cr_assert_eq(E.leases.head->rb->kind, REG_REFRESH, "the move's exchange is out");
	cr_assert_gt(he_reg_deadline(&E), t + 25000, "its next try is more than 5 s away");
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BE;
	m.status = MH_BE_UNKNOWN_HAO;
	m.be_home = HOA1;
	n = mh_encode(&m, be, sizeof(be), NULL, NULL, NULL, NULL, NULL);
	cr_assert_gt(n, 0);
	m.be_home = HOA2;
	no = mh_encode(&m, other, sizeof(other), NULL, NULL, NULL, NULL, NULL);
	cr_assert_gt(no, 0);
	m.be_home = HOA1;
	m.status = 2;
	n2 = mh_encode(&m, st2, sizeof(st2), NULL, NULL, NULL, NULL, NULL);
	cr_assert_gt(n2, 0);
	he_mh_input(&E, other, (size_t)no, &ANCHOR, &COA2, t + 20000);
	he_mh_input(&E, st2, (size_t)n2, &ANCHOR, &COA2, t + 20000);
	cr_assert_eq(F.nbu, sent, "an error for another address, or of another status, sends nothing");
	he_mh_input(&E, be, (size_t)n, &ANCHOR, &COA2, t + 20010);
	cr_assert_eq(F.nbu, sent + 1, "the BU goes again at once");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[sent], &COA2), "from the new care-of address");
	cr_assert(bu_hnp_is(sent, &HOA1));
	for (int i = 1; i <= 20; i++)
		he_mh_input(&E, be, (size_t)n, &ANCHOR, &COA2, t + 20010 + (uint64_t)i * 10);
	cr_assert_eq(F.nbu, sent + 1, "not again within %d ms", HE_PROBE_GAP_MS);
	answer(sent, MH_BA_ACCEPTED, NULL, t + 20300);
	cr_assert_eq(E.leases.head->state, LEASE_REGISTERED);
	cr_assert_eq(E.leases.head->rb->kind, REG_NONE, "the BA ended the move's exchange");
}

/* The anchor's agent is down while the host moves (killed, restarting):
 * its host's kernel answers each BU "unrecognized Next Header". A host that
 * only receives sends nothing else the anchor could answer, so without
 * this the move's BU backs off to 32 s and a restarted anchor hears it up
 * to that late (found by a chaos run: 11 s after a restart 20 s after the
 * kill). The error keeps the BU going every REG_AWAY_RETRY_MS; it sends
 * nothing by itself, so a forged flood costs nothing; an error about a BU
 * from an address no longer ours, or to no anchor of ours, changes
 * nothing; and a BA ends it. */
Test(hostengine, an_anchor_whose_agent_is_away_hears_the_move_s_bu_within_2_s)
{
	uint64_t t = T0 + 2000, u, last = 0, gap = 0, late_gap = 0, deadline;
	int sent = 0;

	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, t);
	cr_assert_eq(F.nbu, 2, "the move's BU");
	cr_assert_eq(E.leases.head->rb->kind, REG_REFRESH);
	cr_assert_eq(he_icmp_bu_unheard(&E, &COA1, &ANCHOR, t + 5), 0,
		     "about a BU from the old care-of address: nothing");
	cr_assert_eq(he_icmp_bu_unheard(&E, &COA2, &HOA1, t + 5), 0, "to no anchor: nothing");
	/* each BU of the move draws the error; 60 s of it, then the back-off
	 * again once REG_AWAY_PACE_MS has passed */
	for (u = t; u <= t + 200000; u += 50) {
		int before = F.nbu;

		he_reg_timers(&E, u);
		if (u % 1000 == t % 1000)
			he_tick(&E, u);
		if (F.nbu > before) {
			if (last && u <= t + 60000 && u - last > gap)
				gap = u - last;
			if (last && u > t + REG_AWAY_PACE_MS + 10000 && u - last > late_gap)
				late_gap = u - last;
			last = u;
			/* and a flood of forged ones between: no BU of their own */
			for (int i = 0; i < 10; i++)
				he_icmp_bu_unheard(&E, &COA2, &ANCHOR, u + 5);
			cr_assert_eq(F.nbu, before + 1, "the errors send nothing themselves");
		}
		if (u == t + 60000) {
			sent = F.nbu;
			deadline = he_reg_deadline(&E);
			cr_assert_leq(deadline, u + REG_AWAY_RETRY_MS, "the next BU is due within 2 s");
		}
	}
	cr_assert_leq(gap, REG_AWAY_RETRY_MS + 50, "the longest wait between BUs: %llu ms",
		      (unsigned long long)gap);
	cr_assert_geq(sent, 2 + 25, "%d BUs in 60 s", sent - 2);
	cr_assert_leq(sent, 2 + 61, "%d BUs in 60 s: within MAX_UPDATE_RATE", sent - 2);
	cr_assert_geq(late_gap, 4 * REG_AWAY_RETRY_MS,
		      "%u s after the first error the back-off is back (longest gap %llu ms)",
		      REG_AWAY_PACE_MS / 1000, (unsigned long long)late_gap);
	/* the anchor is back: its BA ends the exchange and the mark */
	answer(F.nbu - 1, MH_BA_ACCEPTED, NULL, u + 10);
	cr_assert_eq(E.leases.head->rb->kind, REG_NONE, "the BA ended the move's exchange");
	cr_assert_eq(E.leases.head->rb->anchor->away, 0);
}

/* Review: an error about a deregistration's BU (a lease ended while the
 * anchor's agent is away) paces nothing, deregistrations keeping their
 * schedule; it must not mark the anchor away either: the log would say
 * "the BUs out to it go every 2000 ms" with none out, and, the mark lasting
 * until a BA the unanswered deregistration never gets, the outage would go
 * unsaid when an allocation to that anchor is out later. */
Test(hostengine, an_error_about_a_deregistration_does_not_mark_the_anchor_away)
{
	uint64_t t = T0 + 60 + HE_GRACE_MS;
	struct reg_anchor *an;

	granted(IPPROTO_TCP);
	F.count.tcp = 0;
	he_tick(&E, t);
	cr_assert_null(E.leases.head, "the lease ended");
	cr_assert_eq(F.nbu, 2);
	cr_assert_eq(bu(1).lifetime, 0, "its deregistration");
	an = reg_anchor_find(&E.reg, &ANCHOR);
	cr_assert_not_null(an);
	cr_assert_eq(he_icmp_bu_unheard(&E, &COA1, &ANCHOR, t + 5), 0, "nothing brought forward");
	cr_assert_eq(an->away, 0, "an error about a deregistration marks the anchor away");
	/* an allocation to it, still away: that error is the one said */
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, t + 100);
	cr_assert_eq(F.nbu, 3, "an allocation BU");
	cr_assert(bu(2).lifetime != 0 && bu_hnp_is(2, &in6addr_any), "an allocation BU");
	he_icmp_bu_unheard(&E, &COA1, &ANCHOR, t + 105);
	cr_assert_eq(an->away, 1, "the allocation's error marks it away");
}

/* A claim's address is the host's own access address: on its link the
 * claim's datagrams never pass the tunnel, so the tunnel's silence is no
 * idleness (found by a stress run: a stream of 20 datagrams a second on a
 * native claim ended "UDP idle" udp-inactivity after the claim, and the
 * next move left its sockets with an address anchored nowhere). It lives
 * while sockets are on it; when they are gone it ends, and the sockets on
 * that address are not the lease's (the address stays), so none is
 * destroyed. */
Test(hostengine, udp_claim_on_its_link_is_kept_while_sockets_are_on_it)
{
	access_anchors();
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 0, 0, T0);
	cr_assert_eq(F.nbu, 1);
	cr_assert(bu_hnp_is(0, &COA1), "a claim of the host's access address");
	answer(0, MH_BA_ACCEPTED, NULL, T0 + 20);
	cr_assert_eq(F.nrep, 1);
	F.count.udp = 3;
	F.last_traffic = T0;
	he_tick(&E, T0 + 20 + 60000);
	cr_assert_not_null(E.leases.head, "the native claim was ended as UDP idle");
	F.count.udp = 0;
	he_tick(&E, T0 + 20 + 61000);
	cr_assert_null(E.leases.head, "its sockets gone, the claim ended");
	cr_assert_eq(logged_addr("destroy_udp", &COA1, 0), -1,
		     "the host's own UDP sockets are left alone");
}

/* ...and once a move puts it on the tunnel, its idleness is counted from
 * then, not from its last tunnelled packet of before (or its claim): a
 * stream that goes on through the tunnel is not ended at its first look */
Test(hostengine, udp_claim_moved_away_is_judged_idle_from_the_move)
{
	uint64_t t = T0 + 20 + 60000;

	access_anchors();
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 0, 0, T0);
	answer(0, MH_BA_ACCEPTED, NULL, T0 + 20);
	cr_assert_eq(F.nrep, 1);
	F.count.udp = 1;
	F.last_traffic = 0;
	he_tick(&E, t);
	move_to_coa2(t + 100);
	cr_assert_eq(F.nbu, 2, "the claim re-registered from COA2");
	answer(1, MH_BA_ACCEPTED, NULL, t + 110);
	cr_assert_neq(logged_addr("addr_add", &COA1, 0), -1, "on the tunnel now");
	he_tick(&E, t + 1000);
	cr_assert_not_null(E.leases.head, "ended as UDP idle at its first look after the move");
	ticks(t + 1000, t + 100 + 30000 + 1000);
	cr_assert_null(E.leases.head, "silent on the tunnel for udp-inactivity: ended");
	cr_assert_neq(logged_addr("destroy_udp", &COA1, 0), -1,
		      "its sockets, on an address that leaves the host, are told");
}

/* Review: the home anchor that holds the registered Fixed address lets
 * another allocation go unanswered (here a Session-lasting one, it being
 * the peer's CHA too: one lost BU, a moment's overload): silent() puts it
 * on hold, and he_anchor_hold_left, which homefind's choice asks
 * (hadisc_choose via mn.c home_held), says so for HE_SILENT_HOLD_MS. The
 * choice then passes over it for the next candidate, whose Fixed lease,
 * once registered, ends the one at this anchor (fixedaddr.c end_stale);
 * at the end of the hold the choice comes back and the Fixed address
 * moves again: two changes of the address that is meant not to change,
 * for one unanswered allocation that says nothing about the binding the
 * anchor keeps refreshing. */
Test(hostengine, the_anchor_of_the_registered_fixed_address_is_not_passed_over)
{
	struct at_request rq = { .req = (void *)7, .type = ODM_TYPE_SESSION_LASTING,
				 .proto = IPPROTO_TCP, .dst = CN, .has_cha = 1 };
	uint64_t t;

	fixed_registered();
	rq.cha = HOME;
	f_cred(NULL, rq.req, &rq.uid, &rq.pid);
	he_lease_request(&E, &rq, T0 + 1000);
	for (t = T0 + 1000; t <= T0 + 1000 + HE_ALLOC_TIMEOUT_MS + 10; t += 10)
		he_reg_timers(&E, t);
	cr_assert(IN6_ARE_ADDR_EQUAL(he_fixed_addr(&E), &HOA_F), "the Fixed lease is registered");
	cr_assert_eq(he_anchor_hold_left(&E, &HOME, t), 0,
		     "the home anchor holding the registered Fixed address is not on hold for "
		     "the home choice (%llu ms said)",
		     (unsigned long long)he_anchor_hold_left(&E, &HOME, t));
}

/* A lease that ends for another reason than its UDP sockets' idleness
 * tells them too: left open on the address, they would send from one the
 * host no longer has (the kernel sends from a bound address that is gone). */
Test(hostengine, a_lost_lease_tells_its_sockets)
{
	granted(IPPROTO_UDP);
	F.count.udp = 1;
	F.last_traffic = T0 + 60;
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 1, 0, T0 + 50 + HE_CONFIRM_MS);
	cr_assert_eq(F.nbu, 2);
	cr_assert_eq(logged_addr("destroy_udp", &HOA1, 0), -1);
	answer(1, MH_BA_NOT_HA_FOR_MN, NULL, T0 + 60 + HE_CONFIRM_MS);
	cr_assert_str_eq(str(event("lease-ended", 0), "reason"), "refused");
	cr_assert_geq(logged_addr("destroy_udp", &HOA1, 0), 0);
	cr_assert_geq(logged_addr("destroy_tcp", &HOA1, 0), 0,
		      "a connection there would retransmit into the void");
}

Test(hostengine, stopping_tells_the_sockets_of_its_leases)
{
	granted(IPPROTO_UDP);
	F.count.udp = 1;
	he_stop(&E, T0 + 200);
	cr_assert_null(E.leases.head);
	cr_assert_geq(logged_addr("destroy_udp", &HOA1, 0), 0);
	cr_assert_geq(logged_addr("destroy_tcp", &HOA1, 0), 0, "and its TCP connections");
}

Test(hostengine, stopping_leaves_the_fixed_addresss_sockets_alone)
{
	fixed_registered();
	he_stop(&E, T0 + 200);
	cr_assert_null(E.leases.head);
	cr_assert_geq(logged_addr("addr_del", &HOA_F, 0), 0, "the address goes");
	cr_assert_eq(logged_addr("destroy_udp", &HOA_F, 0), -1,
		     "the same address comes back: its sockets carry on then");
	cr_assert_eq(logged_addr("destroy_tcp", &HOA_F, 0), -1);
}

Test(hostengine, stopping_leaves_a_claims_udp_sockets_alone)
{
	access_anchors();
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, 0, 0, T0);
	answer(0, MH_BA_ACCEPTED, NULL, T0 + 20);
	cr_assert_eq(F.nrep, 1);
	F.count.udp = 1;
	he_stop(&E, T0 + 200);
	cr_assert_null(E.leases.head);
	cr_assert_eq(logged_addr("destroy_udp", &COA1, 0), -1,
		     "the host's own access address: its sockets are not ours");
}

/* A claim ends (its deregistration's BA lost) and a new one of the same
 * access address begins at once: the old deregistration, sent again
 * after the new claim's BU (each with a newer sequence number), would end
 * the new claim at the anchor. The new claim supersedes it: never sent
 * again once the new claim's BU has left. */
Test(hostengine, a_new_claim_of_the_address_stops_the_old_claims_deregistration)
{
	int dereg, claim;

	claimed(ODM_TYPE_GRACEFUL_REPLACEMENT);
	F.count.tcp = 0;
	he_tick(&E, T0 + 9000);
	cr_assert_null(E.leases.head);
	dereg = F.nbu - 1;
	cr_assert_eq(bu(dereg).lifetime, 0, "the old claim's deregistration");
	cr_assert(bu_hnp_is(dereg, &COA1));
	request(2, ODM_TYPE_GRACEFUL_REPLACEMENT, IPPROTO_TCP, 0, 0, T0 + 9010);
	claim = F.nbu - 1;
	cr_assert_gt(claim, dereg, "a new claim BU");
	cr_assert_neq(bu(claim).lifetime, 0);
	cr_assert(bu_hnp_is(claim, &COA1), "of the same address");
	answer(claim, MH_BA_ACCEPTED, NULL, T0 + 9030);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].addr, "2001:db8:a1::5");
	while (he_reg_deadline(&E) && he_reg_deadline(&E) <= T0 + 20000)
		he_reg_timers(&E, he_reg_deadline(&E));
	for (int i = claim + 1; i < F.nbu; i++)
		cr_assert(bu(i).lifetime != 0 || !bu_hnp_is(i, &COA1),
			  "BU %d deregisters the address the new claim holds", i);
}

/* A request that waited for an anchor that never answered, with no other
 * anchor of its type to go to, is refused: the log says so, naming the
 * program and why (before, only the lease's own line was written, and the
 * program's refusal nowhere but in its own error). Programs make such
 * requests: the lines are held to HE_WAITERS_LOG_BURST at once. */
Test(hostengine, a_waiter_refused_after_a_silent_anchor_is_said)
{
	const char *needle = "info: pass_waiters: lease 100: session-lasting tcp request of uid 1000 "
			     "pid 201 for 2001:db8:c0::80 answered ETIMEDOUT: anchor "
			     "2001:db8:ca::10 did not answer the allocation";
	char buf[16384];
	int lines;

	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	for (intptr_t r = 1; r <= 6; r++) /* one lease, six waiting */
		request(r, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	while (he_reg_deadline(&E) && he_reg_deadline(&E) <= T0 + HE_ALLOC_TIMEOUT_MS)
		he_reg_timers(&E, he_reg_deadline(&E));
	cr_assert_eq(F.nrep, 6);
	cr_assert_str_eq(F.rep[0].code, "ETIMEDOUT");
	lines = stderr_count(buf, sizeof(buf), needle);
	cr_assert_eq(lines, 1, "%d lines:\n%s", lines, buf);
	cr_assert_eq(log_count(buf, "info: pass_waiters: lease 100: "), HE_WAITERS_LOG_BURST, "%s",
		     buf);
}


/* The anchor's agent away is a warning (its bindings carry nothing until
 * it is back), said once however many errors come; its return is said
 * once too, at its first BA. */
Test(hostengine, an_anchor_away_and_back_is_said_once_each)
{
	char buf[16384];
	uint64_t t = T0 + 2000;

	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	F.coa = COA2;
	F.host[0] = COA2;
	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	he_move(&E, t);
	for (int i = 0; i < 5; i++)
		he_icmp_bu_unheard(&E, &COA2, &ANCHOR, t + 5 + (uint64_t)i);
	answer(F.nbu - 1, MH_BA_ACCEPTED, NULL, t + 100);
	cr_assert_eq(stderr_count(buf, sizeof(buf), "warn: he_icmp_bu_unheard: anchor "
				  "2001:db8:ca::10: its host answers our BUs"), 1, "%s", buf);
	cr_assert_eq(log_count(buf, "info: answered: anchor 2001:db8:ca::10 answers our BUs again: "
				   "its agent is back"), 1, "%s", buf);
}

/* An anchor that does not hold our key answers each BU with an
 * unauthenticated 146: the allocation ends as one unanswered would, but
 * neither the log nor the program's error says the anchor was silent. */
Test(hostengine, an_allocation_answered_only_146_says_so)
{
	struct mh_msg m, q;
	uint8_t buf[MH_MAX_LEN];
	char out[16384];
	int n;

	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	request(1, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0);
	q = bu(0);
	memset(&m, 0, sizeof(m)); /* the anchor's bare answer: no options */
	m.type = MH_TYPE_BA;
	m.status = MH_BA_AUTH_FAIL;
	m.seq = q.seq;
	n = mh_encode(&m, buf, sizeof(buf), NULL, NULL, NULL, NULL, NULL);
	cr_assert_gt(n, 0);
	he_mh_input(&E, buf, (size_t)n, &F.budst[0], &F.busrc[0], T0 + 5);
	while (he_reg_deadline(&E) && he_reg_deadline(&E) <= T0 + HE_ALLOC_TIMEOUT_MS)
		he_reg_timers(&E, he_reg_deadline(&E));
	cr_assert_eq(F.nrep, 1);
	cr_assert_str_eq(F.rep[0].code, "ETIMEDOUT");
	/* anyone can send that 146 (an anchor that is not there at all: the
	 * 146 of test_strayba.sh): what came is said, not that the anchor
	 * answered */
	cr_assert_eq(stderr_count(out, sizeof(out), "warn: silent: lease 100: no authentic answer "
				  "from anchor 2001:db8:ca::10 within 2900 ms (only an "
				  "unauthenticated status 146 from its address: a key that differs "
				  "at the two ends, or forged)"), 1, "%s", out);
	cr_assert_null(strstr(out, "no answer from"), "%s", out);
	cr_assert(strstr(out, "pid 201 for 2001:db8:c0::80 answered ETIMEDOUT: anchor "
			      "2001:db8:ca::10 had no authentic answer to the allocation, only an "
			      "unauthenticated status 146 from its address"), "%s", out);
	/* the next request, while the anchor is on hold for it: the same
	 * (it said "did not answer an allocation 100 ms ago") */
	request(2, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, 1, 0, T0 + HE_ALLOC_TIMEOUT_MS + 100);
	cr_assert_eq(F.nrep, 2);
	cr_assert_str_eq(F.rep[1].code, "ETIMEDOUT");
	log_read(out, sizeof(out));
	cr_assert(strstr(out, "answered ETIMEDOUT: anchor 2001:db8:ca::10 had no authentic answer "
			      "to an allocation 100 ms ago (only an unauthenticated status 146 from "
			      "its address); asked again in "), "%s", out);
	cr_assert_null(strstr(out, "did not answer"), "%s", out);
}

/* The "unrecognized Next Header" error is anyone's to forge (its quoted BU
 * needs only our care-of address and the anchor's), and each BA of ours
 * ends the outage it starts: one forged after each exchange would write
 * two lines per BA, a host's every move and each refresh of each of its
 * bindings. The warning is held to one a minute per anchor, and the
 * return is said only of an outage that was. */
Test(hostengine, forged_away_errors_after_each_exchange_are_said_once_a_minute)
{
	char buf[16384];
	uint64_t t = T0 + 2000;

	granted(IPPROTO_TCP);
	F.count.tcp = 1;
	cr_redirect_stderr();
	odm_log_init("test", ODM_LOG_INFO, 0);
	for (int i = 0; i < 10; i++, t += 5000) { /* 10 moves in 50 s */
		struct in6_addr coa = i % 2 ? COA1 : COA2;

		F.coa = coa;
		F.host[0] = coa;
		he_move(&E, t);
		he_icmp_bu_unheard(&E, &coa, &ANCHOR, t + 5);
		answer(F.nbu - 1, MH_BA_ACCEPTED, NULL, t + 100);
		cr_assert_eq(E.leases.head->rb->anchor->away, 0, "move %d: the BA ended it", i);
	}
	/* a minute after the first, the next is said again */
	t = T0 + 2000 + REG_AWAY_LOG_GAP_MS;
	F.coa = COA2;
	F.host[0] = COA2;
	he_move(&E, t);
	he_icmp_bu_unheard(&E, &COA2, &ANCHOR, t + 5);
	answer(F.nbu - 1, MH_BA_ACCEPTED, NULL, t + 100);
	cr_assert_eq(stderr_count(buf, sizeof(buf), "warn: he_icmp_bu_unheard: anchor "
				  "2001:db8:ca::10: its host answers our BUs"), 2, "%s", buf);
	cr_assert_eq(log_count(buf, "info: answered: anchor 2001:db8:ca::10 answers our BUs again"),
		     2, "%s", buf);
}

/* RFC 6275 section 9.2: a Mobility Header message of a type the host does
 * not know draws a Binding Error, status 2, to its sender, from the address
 * it was sent to; none for one sent to a group; a flood draws at most
 * HE_BE_RATE a second. Before, the host dropped them without a word (and
 * its raw socket kept the kernel's ICMPv6 Parameter Problem away too). */
Test(hostengine, unknown_mh_type_draws_a_binding_error)
{
	uint8_t mh[16] = { 59, 1, 42, 0 };
	struct in6_addr group = A("ff02::1");
	struct mh_msg m;
	int n0 = F.nbu, i;

	he_mh_input(&E, mh, sizeof(mh), &CN, &COA1, T0 + 1000);
	cr_assert_eq(F.nbu, n0 + 1, "no answer to MH type 42");
	cr_assert_eq(mh_decode(F.bu[n0], F.bulen[n0], &m, NULL, NULL), 0);
	cr_assert_eq(m.type, MH_TYPE_BE);
	cr_assert_eq(m.status, MH_BE_UNKNOWN_MH);
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&m.be_home));
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.budst[n0], &CN), "not to the sender");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.busrc[n0], &COA1), "not from the address it came to");
	cr_assert_eq(E.be_tx, 1);

	he_mh_input(&E, mh, sizeof(mh), &CN, &group, T0 + 2000);
	cr_assert_eq(F.nbu, n0 + 1, "an answer to a message sent to a group");

	for (i = 0; i < 200; i++)
		he_mh_input(&E, mh, sizeof(mh), &CN, &COA1, T0 + 3000 + (uint64_t)i);
	cr_assert_leq(F.nbu - (n0 + 1), HE_BE_RATE + 1, "%d answers to 200 in 0.2 s",
		      F.nbu - (n0 + 1));
	cr_assert_geq(F.nbu - (n0 + 1), 1);
}

/* RFC 6275 sections 6.1.1 and 9.2: a message whose Payload Proto is not 59
 * draws an ICMPv6 Parameter Problem pointing at it (offset 40), one whose
 * Header Len is below its type's least one pointing at Header Len (41),
 * from the address it came to, quoting the packet; none while the socket
 * told nothing of the IPv6 header; they share the Binding Errors' limit.
 * Before, the host dropped both without a word. */
Test(hostengine, malformed_mh_draws_a_parameter_problem)
{
	uint8_t proto[16] = { 6, 1, MH_TYPE_BA, 0 }, hdrlen[8] = { 59, 0, MH_TYPE_BA, 0 };
	uint8_t unknown[16] = { 59, 1, 42, 0 };
	int i, n0;

	E.rx = (struct mhparam_rx){ .told = 1, .hoplimit = 63 };
	he_mh_input(&E, proto, sizeof(proto), &ANCHOR, &COA1, T0 + 1000);
	cr_assert_eq(F.nicmp, 1, "no answer to Payload Proto 6");
	cr_assert_eq(F.icmplen[0], 8 + 40 + sizeof(proto));
	cr_assert_eq(F.icmp[0][0], 4);
	cr_assert_eq(F.icmp[0][1], 0);
	cr_assert_eq(F.icmp[0][7], 40, "pointer %u", F.icmp[0][7]);
	cr_assert_eq(F.icmp[0][15], 63, "the hop limit it came with");
	cr_assert_arr_eq(F.icmp[0] + 48, proto, sizeof(proto));
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.icmpdst[0], &ANCHOR), "not to the sender");
	cr_assert(IN6_ARE_ADDR_EQUAL(&F.icmpsrc[0], &COA1), "not from the address it came to");
	cr_assert_eq(E.pp_tx, 1);

	he_mh_input(&E, hdrlen, sizeof(hdrlen), &ANCHOR, &COA1, T0 + 1001);
	cr_assert_eq(F.nicmp, 2, "no answer to a BA of Header Len 0");
	cr_assert_eq(F.icmp[1][7], 41, "pointer %u", F.icmp[1][7]);
	cr_assert_arr_eq(F.icmp[1] + 48, hdrlen, sizeof(hdrlen));

	memset(&E.rx, 0, sizeof(E.rx));
	he_mh_input(&E, proto, sizeof(proto), &ANCHOR, &COA1, T0 + 1002);
	cr_assert_eq(F.nicmp, 2, "an answer with the IPv6 header not told");

	/* the Binding Errors' bucket: spent by them, none is left for these */
	E.rx = (struct mhparam_rx){ .told = 1, .hoplimit = 63 };
	for (i = 0; i < 3 * HE_BE_RATE; i++)
		he_mh_input(&E, unknown, sizeof(unknown), &CN, &COA1, T0 + 1003);
	n0 = F.nicmp;
	he_mh_input(&E, proto, sizeof(proto), &CN, &COA1, T0 + 1003);
	cr_assert_eq(F.nicmp, n0, "a Parameter Problem past the Binding Errors' limit");
	for (i = 0; i < 200; i++)
		he_mh_input(&E, proto, sizeof(proto), &CN, &COA1, T0 + 3000 + (uint64_t)i);
	cr_assert_leq(F.nicmp - n0, HE_BE_RATE + 1, "%d answers to 200 in 0.2 s", F.nicmp - n0);
	cr_assert_geq(F.nicmp - n0, 1);
}
