/* SPDX-License-Identifier: MIT */
/*
 * homefind.c — listening for routers and asking the DNS for the home
 * anchor (see homefind.h).
 */
#include <arpa/inet.h>
#include <ares.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "addrscope.h"
#include "addrsig.h"
#include "addrtext.h"
#include "events.h"
#include "hadisc.h"
#include "hfdomains.h"
#include "homefind.h"
#include "log.h"
#include "monotime.h"
#include "netconf.h"
#include "pollerr.h"
#include "ratelimit.h"
#include "rcusevc.h"
#include "reqlog.h"
#include "resolvid.h"
#include "resolvll.h"

#define HF_TARGETS_MAX 4
#define HF_REQUERY_MS HADISC_REQUERY_MAX_MS /* ask the DNS again at least this often */
#define HF_POLLS_MAX 16
#define HF_MOVE_SETTLE_MS 200
/* what c-ares reads its servers and search list from (resolv.conf(5)) */
#define HF_RESOLV_CONF "/etc/resolv.conf"
/* the rounds of questions RAs naming new search domains start: five at
 * once, then one a second (ratelimit.h), the others put off to the next
 * (at most HF_RA_ASK_DUE_MS away): any neighbour may send a flood of RAs,
 * each naming domains never heard before, and each round asks about every
 * domain of the list */
#define HF_RA_ASK_RATE 1
#define HF_RA_ASK_BURST 5
#define HF_RA_ASK_DUE_MS 1000
/* lines saying the choice changed: any neighbour may send a flood of RAs,
 * each naming a home agent of its own (reqlog.h) */
#define HF_CHOICE_LOG_RATE 1
#define HF_CHOICE_LOG_BURST 5

struct hf_poll {
	uv_poll_t h;
	ares_socket_t fd;
	struct homefind *hf;
	bool used;
};

/* One SRV lookup and the AAAA lookups of its targets */
struct hf_query {
	struct homefind *hf;
	char domain[RA_DOMAIN_MAX + 1];
	bool failed;                      /* no answer (timeout, refused, SERVFAIL) */
	unsigned pending;                 /* AAAA answers still to come */
	struct hadisc_srv srv[HF_TARGETS_MAX];
	size_t n;
	uint64_t gen;                     /* homefind's generation when asked */
};

struct hf_aaaa {
	struct hf_query *q;
	uint16_t priority, weight;
};

struct homefind {
	uv_loop_t *loop;
	struct events *ev;
	struct hadisc hd;
	int discover;
	int skip_ifindex;                 /* the tunnel device: no RS there */
	uint64_t links_sig;               /* the host's access addresses at the last look (0: none yet) */
	/* RAs */
	int rafd;
	uv_poll_t ra_poll;
	bool ra_open;
	/* DNS */
	ares_channel ch;
	bool ch_ok;
	struct resolvid rcid;             /* HF_RESOLV_CONF when the channel was last made */
	struct resolvll ll;               /* its link-local servers' scopes (resolvll.h) */
	uv_timer_t ares_t, requery_t, moved_t, hold_t;
	struct hf_poll polls[HF_POLLS_MAX];
	struct hfdomains doms;            /* what the DNS is asked about */
	unsigned queries;                 /* in flight */
	bool round_failed;                /* a query since the last round ended got no answer */
	unsigned dns_failures;            /* rounds in a row with no answer */
	uint64_t gen;
	struct ratelimit ra_ask;          /* rounds RAs' new domains start */
	bool ask_due;                     /* an RA's new domain waits for the next round */
	/* every valid RA is told to ra_fn too (homefind_watch_ra) */
	homefind_ra_fn ra_fn;
	void *ra_arg;
	/* which anchors are on hold (homefind_watch_hold) */
	homefind_held_fn held_fn;
	void *held_arg;
	/* the choice */
	bool have;
	struct hadisc_cand chosen;
	struct reqlog choice_log;         /* the lines saying it changed */
	bool passing;                     /* chosen in place of passed, on hold */
	struct in6_addr passed;
	uint64_t ras_heard, ras_refused;
	int open_handles;
	bool closing;
};

static void rechoose(struct homefind *hf)
{
	struct hadisc_passed p;
	const struct hadisc_cand *c = hadisc_choose(&hf->hd, mono_ms(), hf->held_fn, hf->held_arg,
						    &p);
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	bool was_passed = hf->passing && c && memcmp(&c->addr, &hf->passed, 16) == 0;

	hf->passing = p.c != NULL;
	if (p.c)
		hf->passed = p.c->addr;
	if (!c) {
		if (hf->have)
			reqlog_say(&hf->choice_log, mono_ms(), ODM_LOG_WARN,
				   "home anchor %s (%s) is gone; none known now",
				   ntop6(&hf->chosen.addr, a1), hadisc_source_name(hf->chosen.src));
		if (hf->have)
			events_emit(hf->ev, "home-anchor", json_pack("{s:n, s:s}", "addr", "source",
								       "none"), public_ms());
		hf->have = false;
		return;
	}
	if (hf->have && memcmp(&c->addr, &hf->chosen.addr, 16) == 0 && c->src == hf->chosen.src) {
		hf->chosen = *c;
		return;
	}
	hf->chosen = *c;
	hf->have = true;
	if (p.c)
		reqlog_say(&hf->choice_log, mono_ms(), ODM_LOG_INFO,
			   "home anchor %s, from %s (%s), in place of %s from %s (%s), on hold for "
			   "%llu.%llu s more: it let an allocation go unanswered",
			   ntop6(&c->addr, a1), hadisc_source_name(c->src), c->origin,
			   ntop6(&p.c->addr, a2), hadisc_source_name(p.c->src), p.c->origin,
			   (unsigned long long)(p.left_ms / 1000),
			   (unsigned long long)(p.left_ms % 1000 / 100));
	else
		reqlog_say(&hf->choice_log, mono_ms(), ODM_LOG_INFO, "home anchor %s, from %s (%s)%s",
			   ntop6(&c->addr, a1), hadisc_source_name(c->src), c->origin,
			   was_passed ? ": its hold is over, it is asked again" : "");
	events_emit(hf->ev, "home-anchor",
		    json_pack("{s:s, s:s, s:s, s:s?}", "addr", ntop6(&c->addr, a1), "source",
			      hadisc_source_name(c->src), "origin", c->origin, "passed_over",
			      p.c ? ntop6(&p.c->addr, a2) : NULL),
		    public_ms());
}

/* ------------------------------------------------------------ the DNS */

static void on_ares_timer(uv_timer_t *t);

static void ares_timer_set(struct homefind *hf)
{
	struct timeval tv, *tvp;

	if (!hf->ch_ok || hf->closing)
		return;
	tvp = ares_timeout(hf->ch, NULL, &tv);
	if (tvp)
		uv_timer_start(&hf->ares_t, on_ares_timer,
			       (uint64_t)tvp->tv_sec * 1000 + (uint64_t)tvp->tv_usec / 1000 + 1, 0);
	else
		uv_timer_stop(&hf->ares_t);
}

static void on_ares_timer(uv_timer_t *t)
{
	struct homefind *hf = t->data;

	ares_process_fd(hf->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	ares_timer_set(hf);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct hf_poll *p = h->data;
	struct homefind *hf = p->hf;
	ares_socket_t fd = p->fd;

	if (status < 0)
		events = UV_READABLE | UV_WRITABLE; /* let c-ares find the error */
	ares_process_fd(hf->ch, (events & UV_READABLE) ? fd : ARES_SOCKET_BAD,
			(events & UV_WRITABLE) ? fd : ARES_SOCKET_BAD);
	ares_timer_set(hf);
}

static void on_poll_closed(uv_handle_t *h)
{
	struct hf_poll *p = h->data;
	struct homefind *hf = p->hf;

	p->used = false;
	if (--hf->open_handles == 0 && hf->closing)
		free(hf);
}

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct homefind *hf = data;
	struct hf_poll *p = NULL, *free_slot = NULL;

	for (size_t i = 0; i < HF_POLLS_MAX; i++) {
		if (hf->polls[i].used && hf->polls[i].fd == fd &&
		    !uv_is_closing((uv_handle_t *)&hf->polls[i].h))
			p = &hf->polls[i];
		else if (!hf->polls[i].used && !free_slot)
			free_slot = &hf->polls[i];
	}
	if (!readable && !writable) {
		if (p) {
			uv_poll_stop(&p->h);
			uv_close((uv_handle_t *)&p->h, on_poll_closed);
		}
		return;
	}
	if (!p) {
		if (!free_slot || uv_poll_init_socket(hf->loop, &free_slot->h, fd) < 0) {
			log_warnx("home anchor discovery: no room to watch DNS socket %d", fd);
			return;
		}
		p = free_slot;
		p->used = true;
		p->fd = fd;
		p->hf = hf;
		p->h.data = p;
		hf->open_handles++;
	}
	uv_poll_start(&p->h, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0), on_poll);
}

static void on_requery(uv_timer_t *t);

/* Every question of the last round answered or given up: the choice may
 * go to a router now, and the next round is set (hadisc_requery_in). */
static void round_done(struct homefind *hf)
{
	uint64_t in;
	unsigned was = hf->dns_failures, next;

	hf->dns_failures = hf->round_failed ? hf->dns_failures + 1 : 0;
	hf->round_failed = false;
	hadisc_dns_wait(&hf->hd, 0);
	in = hadisc_requery_in(&hf->hd, mono_ms(), hf->dns_failures);
	if (hf->ask_due && in > HF_RA_ASK_DUE_MS)
		in = HF_RA_ASK_DUE_MS;
	if (hf->dns_failures) {
		int said = hadisc_dns_failure_said(hf->dns_failures, &next);

		odm_log_at(said ? ODM_LOG_INFO : ODM_LOG_DEBUG, 0,
			   "home anchor discovery: the DNS did not answer (%u time(s) in a row); "
			   "asking again in %llu s (this line again at %u in a row)",
			   hf->dns_failures, (unsigned long long)(in / 1000), next);
	} else if (was) {
		log_info("home anchor discovery: the DNS answers again, after %u round(s) of "
			 "questions it did not answer", was);
	}
	uv_timer_start(&hf->requery_t, on_requery, in, 0);
}

static void query_done(struct hf_query *q)
{
	struct homefind *hf = q->hf;
	char a1[INET6_ADDRSTRLEN];

	hf->queries--;
	if (!hf->closing && q->failed)
		hf->round_failed = true;
	/* no answer at all: what the DNS said before stays to its TTL */
	/* an answer about a domain dropped meanwhile (domain_gone) is none */
	if (!hf->closing && q->gen == hf->gen && !(q->failed && q->n == 0) &&
	    hfd_has(&hf->doms, q->domain)) {
		size_t unfit = hadisc_from_dns(&hf->hd, q->domain, q->srv, q->n, mono_ms());

		if (unfit)
			log_warnx("home anchor discovery: _mip6._ipv6.%s names %zu address(es) that "
				  "can be no anchor (neither global unicast nor unique local): "
				  "passed over", q->domain, unfit);
		for (size_t i = 0; i < q->n; i++)
			log_debug("home anchor candidate %s from _mip6._ipv6.%s (priority %u weight %u)%s",
				  ntop6(&q->srv[i].addr, a1), q->domain, q->srv[i].priority,
				  q->srv[i].weight, addr_is_routable(&q->srv[i].addr) ? "" :
				  ": passed over, not a global unicast or unique local address");
	}
	if (!hf->closing && hf->queries == 0)
		round_done(hf);
	if (!hf->closing)
		rechoose(hf);
	free(q);
}

/* whether status means the DNS gave no answer (rather than "none here") */
static bool no_answer(int status)
{
	return status != ARES_SUCCESS && status != ARES_ENOTFOUND && status != ARES_ENODATA &&
	       status != ARES_EDESTRUCTION;
}

static void on_aaaa(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct hf_aaaa *t = arg;
	struct hf_query *q = t->q;
	struct ares_addr6ttl rr[4];
	int n = 4;

	(void)timeouts;
	if (no_answer(status))
		q->failed = true;
	if (status == ARES_SUCCESS &&
	    ares_parse_aaaa_reply(abuf, alen, NULL, rr, &n) == ARES_SUCCESS) {
		for (int i = 0; i < n && q->n < HF_TARGETS_MAX; i++) {
			struct hadisc_srv *s = &q->srv[q->n++];

			memcpy(&s->addr, &rr[i].ip6addr, 16);
			s->priority = t->priority;
			s->weight = t->weight;
			s->ttl_s = rr[i].ttl > 0 ? (uint32_t)rr[i].ttl : 1;
		}
	}
	free(t);
	if (--q->pending == 0)
		query_done(q);
}

static void on_srv(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct hf_query *q = arg;
	struct homefind *hf = q->hf;
	struct ares_srv_reply *srv = NULL, *s;
	unsigned asked = 0;

	(void)timeouts;
	if (status != ARES_SUCCESS || hf->closing ||
	    ares_parse_srv_reply(abuf, alen, &srv) != ARES_SUCCESS) {
		if (no_answer(status)) {
			q->failed = true;
			log_info("home anchor discovery: _mip6._ipv6.%s: %s", q->domain,
				 ares_strerror(status));
		}
		query_done(q);
		return;
	}
	/* one lookup for every target first, so none completes the query early */
	q->pending = 1;
	for (s = srv; s && asked < HF_TARGETS_MAX; s = s->next) {
		struct hf_aaaa *t;

		/* "." means: no such service here (RFC 2782) */
		if (!s->host || !s->host[0] || strcmp(s->host, ".") == 0)
			continue;
		t = calloc(1, sizeof(*t));
		if (!t)
			break;
		t->q = q;
		t->priority = s->priority;
		t->weight = s->weight;
		q->pending++;
		asked++;
		ares_query(hf->ch, s->host, ns_c_in, ns_t_aaaa, on_aaaa, t);
	}
	ares_free_data(srv);
	if (--q->pending == 0)
		query_done(q);
}

/* A domain dropped (its RA's lifetime over or 0, or another's in its
 * place): its candidates go with it, and so do the answers still to come
 * for it (query_done: it is no longer listed); the other domains' answers
 * still count */
static void domain_gone(void *arg, const char *name)
{
	struct homefind *hf = arg;

	hadisc_from_dns(&hf->hd, name, NULL, 0, mono_ms());
}

static void dns_reread(struct homefind *hf);

static void ask_dns(struct homefind *hf)
{
	dns_reread(hf);
	if (!hf->ch_ok || !hf->discover || hf->closing)
		return;
	hfd_expire(&hf->doms, mono_ms(), domain_gone, hf);
	hf->gen++;
	hf->ask_due = false;
	for (size_t i = 0; i < hf->doms.n; i++) {
		struct hf_query *q = calloc(1, sizeof(*q));
		char name[RA_DOMAIN_MAX + 16];

		if (!q)
			return;
		q->hf = hf;
		q->gen = hf->gen;
		snprintf(q->domain, sizeof(q->domain), "%s", hf->doms.e[i].name);
		snprintf(name, sizeof(name), "_mip6._ipv6.%s", q->domain);
		hf->queries++;
		ares_query(hf->ch, name, ns_c_in, ns_t_srv, on_srv, q);
	}
	ares_timer_set(hf);
}

static void on_requery(uv_timer_t *t)
{
	struct homefind *hf = t->data;

	ask_dns(hf);
	if (!hf->queries) /* nothing to ask yet (no domain): look again later */
		uv_timer_start(&hf->requery_t, on_requery, HF_REQUERY_MS, 0);
}

/* An RA named a domain new to the list: a round now, or, past the rate,
 * the next one within HF_RA_ASK_DUE_MS (round_done keeps that time) */
static void ask_new_domain(struct homefind *hf)
{
	if (ratelimit_allow(&hf->ra_ask, mono_ms())) {
		ask_dns(hf);
		return;
	}
	hf->ask_due = true;
	if (!uv_is_active((uv_handle_t *)&hf->requery_t) ||
	    uv_timer_get_due_in(&hf->requery_t) > HF_RA_ASK_DUE_MS)
		uv_timer_start(&hf->requery_t, on_requery, HF_RA_ASK_DUE_MS, 0);
}


/* c-ares's socket calls, as its own but for connect: a link-local server
 * of resolv.conf gets the scope it was written with (resolvll.h) */
static ares_socket_t hf_socket(int domain, int type, int proto, void *user)
{
	(void)user;
	return socket(domain, type | SOCK_CLOEXEC, proto);
}

static int hf_close(ares_socket_t fd, void *user)
{
	(void)user;
	return close(fd);
}

static int hf_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len, void *user)
{
	struct homefind *hf = user;
	struct sockaddr_in6 scoped;

	if (resolvll_scoped(&hf->ll, sa, len, &scoped))
		return connect(fd, (struct sockaddr *)&scoped, sizeof(scoped));
	return connect(fd, sa, len);
}

static ares_ssize_t hf_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
				struct sockaddr *from, ares_socklen_t *fromlen, void *user)
{
	(void)user;
	return recvfrom(fd, buf, len, flags, from, fromlen);
}

static ares_ssize_t hf_sendv(ares_socket_t fd, const struct iovec *iov, int n, void *user)
{
	(void)user;
	return writev(fd, iov, n);
}

static const struct ares_socket_functions hf_sock_funcs = {
	.asocket = hf_socket,
	.aclose = hf_close,
	.aconnect = hf_connect,
	.arecvfrom = hf_recvfrom,
	.asendv = hf_sendv,
};

static int dns_open(struct homefind *hf)
{
	struct ares_options opt = { 0 };
	int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
	int rc;

	opt.sock_state_cb = sock_state;
	opt.sock_state_cb_data = hf;
	opt.timeout = 1000;
	opt.tries = 2;
	/* before c-ares reads it: a change in between is seen next time */
	resolvid_read(HF_RESOLV_CONF, &hf->rcid);
	/* "options use-vc" (or RES_OPTIONS): every question over TCP, as the
	 * C library asks, which c-ares 1.18 does not read itself */
	if (rcusevc_wanted(HF_RESOLV_CONF)) {
		opt.flags |= ARES_FLAG_USEVC;
		mask |= ARES_OPT_FLAGS;
	}
	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS ||
	    (rc = ares_init_options(&hf->ch, &opt, mask)) != ARES_SUCCESS) {
		log_warnx("home anchor discovery by DNS off: c-ares: %s", ares_strerror(rc));
		return -EIO;
	}
	hf->ch_ok = true;
	/* a nameserver written with a scope (fe80::1%eth0), which c-ares
	 * drops: the servers set from resolv.conf's lines */
	if (resolvll_apply(&hf->ll, hf->ch, HF_RESOLV_CONF) != 0)
		log_warnx("home anchor discovery: %s: a nameserver with a scope naming no interface, "
			  "or the servers not set: some left out", HF_RESOLV_CONF);
	ares_set_socket_functions(hf->ch, &hf_sock_funcs, hf);
	/* the search list of resolv.conf(5); a list read again replaces the
	 * one before (its domains gone go with their candidates) */
	{
		struct ares_options saved;
		int m = 0;

		if (ares_save_options(hf->ch, &saved, &m) == ARES_SUCCESS) {
			hfd_set_resolver(&hf->doms, (const char *const *)saved.domains,
					 saved.ndomains > 0 ? (size_t)saved.ndomains : 0, domain_gone,
					 hf);
			ares_destroy_options(&saved);
		}
	}
	return 0;
}

/*
 * resolv.conf changed since the channel was made (a move: a network
 * manager wrote the new network's DNS server and search list, RFC 8106
 * RDNSS and DNSSL, or DHCPv6's), and no question is out: the channel is
 * made again from it, as the C library's resolver reads it again, rather
 * than asking the old network's server, which the new link may not reach,
 * for the agent's life.
 */
static void dns_reread(struct homefind *hf)
{
	struct resolvid now;

	if (!hf->discover || hf->closing || hf->queries)
		return;
	resolvid_read(HF_RESOLV_CONF, &now);
	if (resolvid_same(&now, &hf->rcid))
		return;
	log_info("home anchor discovery: %s changed: read again", HF_RESOLV_CONF);
	if (hf->ch_ok) {
		ares_destroy(hf->ch); /* no query out: only its sockets go */
		hf->ch_ok = false;
	}
	dns_open(hf);
}

/* ------------------------------------------------------------ routers */

struct rs_links {
	int skip;         /* the tunnel device */
	unsigned idx[8];  /* the first 8 access links, in the kernel's order */
	size_t n;
};

static int take_rs_link(void *arg, int ifindex, unsigned flags, uint32_t carrier_down)
{
	struct rs_links *l = arg;

	/* a link dump names each device once */
	if (ifindex == l->skip || (flags & IFF_LOOPBACK) || !(flags & IFF_UP) ||
	    !(flags & IFF_MULTICAST))
		return 0;
	l->idx[l->n++] = (unsigned)ifindex;
	return l->n == sizeof(l->idx) / sizeof(l->idx[0]); /* full: the walk ends */
}

/*
 * An RS on every access link: up, multicast, not loopback and not the
 * tunnel device (whose only addresses are anchored ones: an RS there would
 * go through the tunnel as traffic of a lease). Every link, with an IPv6
 * address or not: the device walk (netconf_link_each), not the address
 * walk.
 */
static void send_rs(struct homefind *hf)
{
	/* RFC 4861 §4.1: type 133, code 0, checksum (the kernel's), reserved */
	uint8_t rs[8] = { 133, 0, 0, 0, 0, 0, 0, 0 };
	struct sockaddr_in6 all_routers = { .sin6_family = AF_INET6 };
	struct rs_links l = { .skip = hf->skip_ifindex, .n = 0 };

	if (hf->rafd < 0 || netconf_link_each(take_rs_link, &l) < 0)
		return;
	inet_pton(AF_INET6, "ff02::2", &all_routers.sin6_addr);
	for (size_t k = 0; k < l.n; k++) {
		all_routers.sin6_scope_id = l.idx[k];
		/* a link that is down says ENETDOWN: nothing to ask there */
		(void)sendto(hf->rafd, rs, sizeof(rs), 0, (struct sockaddr *)&all_routers,
			     sizeof(all_routers));
	}
}

static void on_ra(uv_poll_t *h, int status, int events)
{
	struct homefind *hf = h->data;
	uint8_t buf[1500], ctl[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct sockaddr_in6 from;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			     .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };

	(void)events;
	if (status < 0) {
		(void)pollerr_resume(h, UV_READABLE, on_ra, "the Router Advertisement socket");
		return;
	}
	for (int burst = 0; burst < 16; burst++) {
		struct ra_info ra;
		struct cmsghdr *c;
		int hop = -1;
		unsigned ifindex = 0;
		char ifname[IF_NAMESIZE] = "?";
		bool new_domain = false;
		ssize_t n;

		mh.msg_namelen = sizeof(from);
		mh.msg_controllen = sizeof(ctl);
		n = recvmsg(hf->rafd, &mh, MSG_DONTWAIT);
		if (n < 0)
			return;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != IPPROTO_IPV6)
				continue;
			if (c->cmsg_type == IPV6_HOPLIMIT)
				memcpy(&hop, CMSG_DATA(c), sizeof(hop));
			else if (c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				ifindex = pi.ipi6_ifindex;
			}
		}
		/* only from an access link: the tunnel device's other end is
		 * an anchor, and what comes out of it was decapsulated from an
		 * outer packet whose source anyone can forge, with the inner
		 * hop limit (255) and link-local source RFC 4861 §6.1.2 takes
		 * for a neighbour's intact; an arrival on no known interface
		 * cannot be told apart from one there */
		if (!ifindex || (int)ifindex == hf->skip_ifindex ||
		    ra_parse(buf, (size_t)n, hop, &from.sin6_addr, &ra) < 0) {
			hf->ras_refused++;
			continue;
		}
		hf->ras_heard++;
		if (ifindex)
			if_indextoname(ifindex, ifname);
		if (hf->ra_fn)
			hf->ra_fn(hf->ra_arg, &ra, ifname);
		hadisc_from_ra(&hf->hd, &ra, ifname, mono_ms());
		hfd_expire(&hf->doms, mono_ms(), domain_gone, hf);
		for (size_t i = 0; i < ra.n_domains && hf->discover; i++)
			new_domain |= hfd_add_ra(&hf->doms, ra.domains[i], ra.dnssl_lifetime,
						 mono_ms(), domain_gone, hf) == 1;
		if (new_domain)
			ask_new_domain(hf);
		rechoose(hf);
	}
}

static int ra_open(struct homefind *hf)
{
	struct icmp6_filter f;
	int on = 1, fd;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return -errno;
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ND_ROUTER_ADVERT, &f);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	{
		/* RSs go out with hop limit 255 (RFC 4861 §4.1) */
		int hl = 255;

		setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hl, sizeof(hl));
	}
	hf->rafd = fd;
	if (uv_poll_init(hf->loop, &hf->ra_poll, fd) < 0) {
		close(fd);
		hf->rafd = -1;
		return -EIO;
	}
	hf->ra_poll.data = hf;
	hf->ra_open = true;
	hf->open_handles++;
	uv_poll_start(&hf->ra_poll, UV_READABLE, on_ra);
	return 0;
}

/* ------------------------------------------------------------ life */

static void on_closed(uv_handle_t *h)
{
	struct homefind *hf = h->data;

	if (--hf->open_handles == 0)
		free(hf);
}

/* the wait for the DNS is over: a router's candidate may be chosen */
static void on_hold(uv_timer_t *t)
{
	rechoose(t->data);
}

int homefind_watch_ra(struct homefind *hf, homefind_ra_fn fn, void *arg)
{
	int rc;

	hf->ra_fn = fn;
	hf->ra_arg = arg;
	if (!hf->ra_open) {
		if ((rc = ra_open(hf)) < 0)
			return rc;
		send_rs(hf);
	}
	return 0;
}

void homefind_watch_hold(struct homefind *hf, homefind_held_fn fn, void *arg)
{
	hf->held_fn = fn;
	hf->held_arg = arg;
}

int homefind_open(struct homefind **out, uv_loop_t *loop, const struct in6_addr *config,
		  int discover, int skip_ifindex, struct events *ev)
{
	struct homefind *hf = calloc(1, sizeof(*hf));
	int rc;

	if (!hf)
		return -ENOMEM;
	hf->loop = loop;
	hf->ev = ev;
	hf->rafd = -1;
	hf->discover = discover;
	hf->skip_ifindex = skip_ifindex;
	hadisc_init(&hf->hd, config, discover);
	reqlog_init(&hf->choice_log, HF_CHOICE_LOG_RATE, HF_CHOICE_LOG_BURST, mono_ms());
	ratelimit_init(&hf->ra_ask, HF_RA_ASK_RATE, HF_RA_ASK_BURST, mono_ms());
	uv_timer_init(loop, &hf->ares_t);
	uv_timer_init(loop, &hf->requery_t);
	uv_timer_init(loop, &hf->moved_t);
	uv_timer_init(loop, &hf->hold_t);
	hf->ares_t.data = hf->requery_t.data = hf->moved_t.data = hf->hold_t.data = hf;
	hf->open_handles = 4;
	*out = hf;
	if (discover) {
		if ((rc = ra_open(hf)) < 0)
			log_warn(rc, "home anchor discovery by router advertisements off: raw ICMPv6 socket");
		dns_open(hf);
		/* a router's candidate waits for the DNS's first answers, a while */
		if (hf->ch_ok) {
			hadisc_dns_wait(&hf->hd, mono_ms() + HADISC_DNS_WAIT_MS);
			uv_timer_start(&hf->hold_t, on_hold, HADISC_DNS_WAIT_MS, 0);
		}
		send_rs(hf);
		uv_timer_start(&hf->requery_t, on_requery, HF_REQUERY_MS, 0);
		ask_dns(hf);
	}
	rechoose(hf);
	return 0;
}

void homefind_close(struct homefind *hf)
{
	if (!hf)
		return;
	hf->closing = true;
	if (hf->ch_ok) {
		/* answers every query with ARES_EDESTRUCTION: they free themselves */
		ares_destroy(hf->ch);
		hf->ch_ok = false;
	}
	if (hf->ra_open) {
		uv_poll_stop(&hf->ra_poll);
		uv_close((uv_handle_t *)&hf->ra_poll, on_closed);
	}
	if (hf->rafd >= 0)
		close(hf->rafd);
	for (size_t i = 0; i < HF_POLLS_MAX; i++)
		if (hf->polls[i].used && !uv_is_closing((uv_handle_t *)&hf->polls[i].h))
			uv_close((uv_handle_t *)&hf->polls[i].h, on_poll_closed);
	uv_close((uv_handle_t *)&hf->ares_t, on_closed);
	uv_close((uv_handle_t *)&hf->requery_t, on_closed);
	uv_close((uv_handle_t *)&hf->moved_t, on_closed);
	uv_close((uv_handle_t *)&hf->hold_t, on_closed);
}

static void on_moved(uv_timer_t *t)
{
	struct homefind *hf = t->data;

	send_rs(hf);
	ask_dns(hf);
}

void homefind_moved(struct homefind *hf, const struct in6_addr *addrs, size_t n)
{
	uint64_t sig, was;

	if (!hf || (!hf->discover && !hf->ra_fn))
		return;
	/* a netlink burst that leaves the host's access addresses as they were
	 * (a lease's address on the tunnel device, a route) is no move; the
	 * first list seen only tells what "before" was (the start asked) */
	sig = addrs_signature(addrs, n);
	was = hf->links_sig;
	hf->links_sig = sig;
	/* a move is a burst of link, address and route events: ask once, when
	 * the burst is over and the new link has its address */
	if (!was || sig == was || uv_is_active((uv_handle_t *)&hf->moved_t))
		return;
	uv_timer_start(&hf->moved_t, on_moved, HF_MOVE_SETTLE_MS, 0);
}

const struct in6_addr *homefind_anchor(struct homefind *hf)
{
	rechoose(hf);
	return hf->have ? &hf->chosen.addr : NULL;
}

json_t *homefind_status_json(struct homefind *hf)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	uint64_t now = mono_ms();
	json_t *cands = json_array(), *doms = json_array();

	rechoose(hf);
	for (size_t i = 0; i < hf->hd.n; i++) {
		const struct hadisc_cand *c = &hf->hd.c[i];
		uint64_t hold = hf->held_fn ? hf->held_fn(hf->held_arg, &c->addr, now) : 0;

		json_array_append_new(cands,
				      json_pack("{s:s, s:s, s:s, s:i, s:I, s:I}", "addr",
						ntop6(&c->addr, a1), "source",
						hadisc_source_name(c->src), "origin", c->origin,
						"rank", c->rank, "expires_in_s",
						c->expires_ms ? (json_int_t)((c->expires_ms - now) / 1000)
							      : (json_int_t)-1,
						"on_hold_ms", (json_int_t)hold));
	}
	for (size_t i = 0; i < hf->doms.n; i++)
		json_array_append_new(doms, json_string(hf->doms.e[i].name));
	return json_pack("{s:s?, s:s, s:s?, s:s?, s:o, s:o, s:I, s:I, s:i}", "addr",
			 hf->have ? ntop6(&hf->chosen.addr, a1) : NULL, "source",
			 hf->have ? hadisc_source_name(hf->chosen.src) : "none", "origin",
			 hf->have ? hf->chosen.origin : NULL, "passed_over",
			 hf->have && hf->passing ? ntop6(&hf->passed, a2) : NULL, "candidates",
			 cands, "domains", doms, "ras_heard", (json_int_t)hf->ras_heard,
			 "ras_refused", (json_int_t)hf->ras_refused, "dns_failures",
			 (int)hf->dns_failures);
}
