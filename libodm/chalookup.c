/* SPDX-License-Identifier: MIT */
/* chalookup.c — cha.<host> AAAA lookups with c-ares (see chalookup.h). */
#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "agent_client.h"
#include "chacache.h"
#include "chalookup.h"
#include "chasearch.h"
#include "chashare.h"
#include "dnsnegttl.h"
#include "libc_real.h"
#include "lookupgap.h"
#include "rcusevc.h"
#include "resolvll.h"
#include "resolvid.h"
#include "shield.h"
#include "shim_log.h"
#include "shim_policy.h"

struct cha_query {
	int done;      /* the search ended (the callback of its last query ran) */
	int abandoned; /* its waiter left: the callback frees it */
	int result;    /* CHA_FOUND, CHA_NONE or -errno */
	struct in6_addr cha;
	uint32_t ttl;
	uint32_t negttl; /* the shortest negative TTL of the answers so far */
	int unusable; /* CHA_NONE: the answer held no address an anchor can have */
	struct chasearch search; /* the names asked so far (chasearch.h) */
	size_t at, n;            /* names[at] is being asked, of n */
	char names[CHASEARCH_MAX][CHASEARCH_NAME_MAX];
};

static pthread_mutex_t ch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ch_cond; /* CLOCK_MONOTONIC (deadline_ts); set up in lib_init */
static ares_channel ch;
/* a query got no answer while the host moved: its sockets may be bound to
 * an address the host no longer has (gap_over), and are made anew */
static int ch_renew;
static pid_t ch_pid;
static int ch_driving;    /* a thread is polling the channel's sockets */
static int ch_inherited;  /* forked while the lock was held: leak, never touch */
static int ch_lib_ok;
/* the resolver's search list and ndots, as c-ares read them (resolv.conf,
 * LOCALDOMAIN, RES_OPTIONS) when the channel was made */
static char ch_domains[CHASEARCH_MAX - 1][CHASEARCH_NAME_MAX];
static size_t ch_ndomains;
static int ch_ndots = 1;
/* the file c-ares reads the servers, search list and options from, as it
 * was just before the channel was made (resolvid.h) */
#define RESOLV_CONF "/etc/resolv.conf"
static struct resolvid ch_rcid;
/* queries whose waiter is still there (neither done nor abandoned) */
static int ch_waiting;
/* the link-local servers of resolv.conf and the interfaces their scopes
 * name: c-ares connects to them without one (resolvll.h) */
static struct resolvll ch_ll;
static pthread_once_t ch_once = PTHREAD_ONCE_INIT;

#define MAX_SOCKS 16
static int ch_socks[MAX_SOCKS]; /* sockets the channel opened, -1 = free */
/* why the channel's last socket could not be opened (errno; 0: it was) */
static int ch_open_err;
/* the channel's sends that found no route (ENETUNREACH: the host in a
 * move's gap, lookupgap.h), counted */
static atomic_uint ch_noroute;

static void lib_init(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ch_cond, &ca);
	pthread_condattr_destroy(&ca);
	for (int i = 0; i < MAX_SOCKS; i++)
		ch_socks[i] = -1;
}

/*
 * 1 once c-ares is initialised: at the first lookup, or at a later one
 * while it is not. libcares.so is loaded at the first call into it
 * (lazylib.c), and a load that failed (the process out of descriptors for
 * a moment) is tried again a second later, so a failure here is not kept
 * for the life of the process either: every cha lookup would have gone
 * without a record from then on.
 */
static int lib_ready(void)
{
	int ok;

	pthread_once(&ch_once, lib_init);
	if (__atomic_load_n(&ch_lib_ok, __ATOMIC_ACQUIRE))
		return 1;
	pthread_mutex_lock(&ch_lock);
	ok = ch_lib_ok || ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS;
	if (ok)
		__atomic_store_n(&ch_lib_ok, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ch_lock);
	return ok;
}

/* --- c-ares socket functions: CLOEXEC, shielded, and closed only if ours --- */

static ares_socket_t sock_open(int domain, int type, int proto, void *user)
{
	int fd = REAL(socket)(domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);

	if (fd >= 0)
		fd = shield_above_stdio(fd); /* never where the program's output goes */
	else
		fd = -errno;
	ch_open_err = fd < 0 ? -fd : 0;
	if (fd < 0)
		return ARES_SOCKET_BAD;
	shield_add(fd, SHIELD_CARES);
	for (int i = 0; i < MAX_SOCKS; i++)
		if (ch_socks[i] < 0) {
			ch_socks[i] = fd;
			break;
		}
	return fd;
}

static int sock_close(ares_socket_t fd, void *user)
{
	for (int i = 0; i < MAX_SOCKS; i++)
		if (ch_socks[i] == fd)
			ch_socks[i] = -1;
	/* Closed by the application already? Then the number is not ours. */
	if (shield_remove(fd, SHIELD_CARES))
		return real_close(fd);
	return 0;
}

static int sock_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len, void *user)
{
	struct sockaddr_in6 scoped;

	/* a link-local server of resolv.conf: the scope it was written with
	 * (c-ares keeps none); ch_ll is set under ch_lock, which every caller
	 * of c-ares holds */
	int r;

	if (resolvll_scoped(&ch_ll, sa, len, &scoped))
		r = REAL(connect)(fd, (struct sockaddr *)&scoped, sizeof(scoped));
	else
		r = REAL(connect)(fd, sa, len);
	if (r < 0 && errno == ENETUNREACH)
		atomic_fetch_add(&ch_noroute, 1);
	return r;
}

static ares_ssize_t sock_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
				  struct sockaddr *from, ares_socklen_t *fromlen, void *user)
{
	return recvfrom(fd, buf, len, flags, from, fromlen);
}

static ares_ssize_t sock_sendv(ares_socket_t fd, const struct iovec *iov, int n, void *user)
{
	ares_ssize_t r = writev(fd, iov, n);

	if (r < 0 && errno == ENETUNREACH)
		atomic_fetch_add(&ch_noroute, 1);
	return r;
}

static const struct ares_socket_functions sock_funcs = {
	.asocket = sock_open,
	.aclose = sock_close,
	.aconnect = sock_connect,
	.arecvfrom = sock_recvfrom,
	.asendv = sock_sendv,
};

/* --- the channel --- */

static int channel_sockets_ok(void)
{
	for (int i = 0; i < MAX_SOCKS; i++)
		if (ch_socks[i] >= 0 && !shield_valid(ch_socks[i], SHIELD_CARES))
			return 0;
	return 1;
}

/* Lock held. A usable channel for this process, or NULL. */
static ares_channel channel_get(void)
{
	struct ares_options opt;
	int mask;

	if (ch && ch_pid != getpid()) {
		/* Forked: the child needs its own sockets and query ids. */
		if (ch_inherited) {
			ch = NULL; /* state may be half-updated: leak it */
			for (int i = 0; i < MAX_SOCKS; i++)
				ch_socks[i] = -1;
		} else {
			ares_destroy(ch);
			ch = NULL;
		}
		ch_inherited = 0;
	}
	if (ch && !channel_sockets_ok()) {
		/* The application closed one of our sockets: start afresh. */
		ares_destroy(ch);
		ch = NULL;
	}
	if (ch) {
		struct resolvid now;

		/*
		 * The system's resolver configuration changed since the
		 * channel read it (a move: the new network's DNS server,
		 * often one the old link alone reached, and its search list):
		 * the lookups follow it, as getaddrinfo(3) does, rather than
		 * wait on the old server for the process's life. Not under a
		 * query someone waits for: it ends within its bound, and the
		 * next lookup looks again; queries whose waiter left go with
		 * the old channel.
		 */
		resolvid_read(RESOLV_CONF, &now);
		if ((resolvid_same(&now, &ch_rcid) && !ch_renew) || ch_waiting > 0 || ch_driving)
			return ch;
		if (ch_renew)
			shim_debug("cha lookup: a query got no answer while the host moved: the "
				   "channel's sockets made anew");
		else
			shim_debug("cha lookup: %s changed: read again", RESOLV_CONF);
		ares_destroy(ch);
		ch = NULL;
	}
	ch_renew = 0;
	memset(&opt, 0, sizeof(opt));
	opt.timeout = CHALOOKUP_TRY_MS;
	opt.tries = CHALOOKUP_TRIES;
	mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
	/* before c-ares reads it: a change in between is seen next time */
	resolvid_read(RESOLV_CONF, &ch_rcid);
	if (rcusevc_wanted(RESOLV_CONF)) { /* c-ares does not read it */
		opt.flags = ARES_FLAG_USEVC;
		mask |= ARES_OPT_FLAGS;
	}
	if (ares_init_options(&ch, &opt, mask) != ARES_SUCCESS) {
		ch = NULL;
		return NULL;
	}
	/*
	 * The names are searched here, not by c-ares (chasearch.h): in libc's
	 * order for the name libc resolved (resolv.conf(5) search, ndots), a
	 * short name's cha.<name>.<domain> before cha.<name> as it is.
	 */
	{
		struct ares_options cur;
		int cur_mask = 0;

		ch_ndomains = 0;
		ch_ndots = 1;
		if (ares_save_options(ch, &cur, &cur_mask) == ARES_SUCCESS) {
			ch_ndots = cur.ndots;
			for (int i = 0; i < cur.ndomains && ch_ndomains < CHASEARCH_MAX - 1; i++) {
				size_t l = cur.domains[i] ? strlen(cur.domains[i]) : 0;

				if (l == 0 || l >= CHASEARCH_NAME_MAX)
					continue;
				memcpy(ch_domains[ch_ndomains++], cur.domains[i], l + 1);
			}
			ares_destroy_options(&cur);
		}
	}
	/* a nameserver written with a scope (fe80::1%eth0), which c-ares
	 * drops: the servers set from resolv.conf's lines (resolvll.h) */
	if (resolvll_apply(&ch_ll, ch, RESOLV_CONF) != 0)
		shim_debug("cha lookup: %s: a nameserver with a scope naming no interface, or the "
			   "servers not set: some left out", RESOLV_CONF);
	ares_set_socket_functions(ch, &sock_funcs, NULL);
	ch_pid = getpid();
	return ch;
}

/* What an AAAA query's answer says of its name (chasearch.h) */
static enum chasearch_answer answer_of(int status, int has_aaaa)
{
	if (has_aaaa)
		return CHASEARCH_FOUND;
	switch (status) {
	case ARES_SUCCESS: /* an answer with no AAAA record in it */
	case ARES_ENODATA:
		return CHASEARCH_NODATA;
	case ARES_ENOTFOUND:
	/* a name no DNS message can carry (a label over 63 octets, RFC 1035
	 * §2.3.4: a name libc found in /etc/hosts): no record can be there */
	case ARES_EBADNAME:
		return CHASEARCH_NXDOMAIN;
	case ARES_ESERVFAIL:
		return CHASEARCH_SERVFAIL;
	default:
		return CHASEARCH_FAILED;
	}
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen);

/* Lock held: ask q's current name */
static void ask(struct cha_query *q)
{
	ares_query(ch, q->names[q->at], ns_c_in, ns_t_aaaa, on_answer, q);
}

/* Runs under ch_lock, from ares_process_fd or ares_destroy. */
static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct cha_query *q = arg;
	struct ares_addr6ttl rr[8];
	enum chasearch_verdict v;
	int n = 8, has;

	has = status == ARES_SUCCESS &&
	      ares_parse_aaaa_reply(abuf, alen, NULL, rr, &n) == ARES_SUCCESS && n > 0;
	if (!has && abuf && alen > 0 &&
	    (status == ARES_SUCCESS || status == ARES_ENODATA || status == ARES_ENOTFOUND)) {
		/* no such name, or no AAAA record: kept no longer than its zone's
		 * SOA says (RFC 2308 §5); an answer without an SOA is to be kept
		 * not at all, here the least the shim keeps one */
		uint32_t t = CHALOOKUP_MIN_TTL;

		if (dns_negative_ttl(abuf, (size_t)alen, &t) == 0 && t < CHALOOKUP_MIN_TTL)
			t = CHALOOKUP_MIN_TTL;
		if (t < q->negttl)
			q->negttl = t;
	}
	v = chasearch_step(&q->search, answer_of(status, has), q->at + 1 >= q->n);
	/* the channel going away (ARES_EDESTRUCTION) or its waiter gone: no
	 * more names */
	if (v == CHASEARCH_GO_ON && !q->abandoned && status != ARES_EDESTRUCTION &&
	    status != ARES_ECANCELLED && ch) {
		q->at++;
		ask(q);
		return;
	}
	if (v == CHASEARCH_GO_ON)
		v = CHASEARCH_UNKNOWN;
	if (v == CHASEARCH_IS) {
		struct in6_addr a[8];
		int ttl = rr[0].ttl, pick;
		for (int i = 0; i < n; i++) {
			memcpy(&a[i], &rr[i].ip6addr, sizeof(a[i]));
			if (rr[i].ttl < ttl)
				ttl = rr[i].ttl;
		}
		/* the first record that can be an anchor; none: no CHA, the
		 * first record kept for the log (chalookup_finish) */
		pick = shim_policy_cha_pick(a, (size_t)n);
		q->cha = a[pick < 0 ? 0 : pick];
		q->unusable = pick < 0;
		q->ttl = ttl < CHALOOKUP_MIN_TTL ? CHALOOKUP_MIN_TTL : (uint32_t)ttl;
		q->result = pick < 0 ? CHA_NONE : CHA_FOUND;
	} else if (v == CHASEARCH_NONE) {
		/* NXDOMAIN or NODATA under every name, or NODATA under one
		 * (res_search(3)): this host has no CHA, for the shortest
		 * negative TTL of those answers */
		q->ttl = q->negttl;
		q->result = CHA_NONE;
	} else if (status != ARES_ETIMEOUT && (ch_open_err == EMFILE || ch_open_err == ENFILE)) {
		/* no socket for the query: the process (or the system) out of
		 * descriptors, not the DNS silent */
		q->result = -ch_open_err;
	} else {
		q->result = status == ARES_ETIMEOUT ? -ETIMEDOUT : -EIO;
	}
	if (!q->abandoned)
		ch_waiting--;
	q->done = 1;
	if (q->abandoned)
		free(q);
	else
		pthread_cond_broadcast(&ch_cond);
}

struct cha_query *chalookup_start(const char *node)
{
	const char *domains[CHASEARCH_MAX - 1];
	struct cha_query *q;
	ares_channel c;

	if (!node || !lib_ready())
		return NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->negttl = CHACACHE_NEG_TTL;
	pthread_mutex_lock(&ch_lock);
	c = channel_get();
	if (!c) {
		pthread_mutex_unlock(&ch_lock);
		free(q);
		return NULL;
	}
	for (size_t i = 0; i < ch_ndomains; i++)
		domains[i] = ch_domains[i];
	/* the search list's names, as res_search(3) tries them (chasearch.h) */
	q->n = chasearch_names(node, domains, ch_ndomains, ch_ndots, q->names, CHASEARCH_MAX);
	if (q->n == 0) {
		/* every name longer than a DNS name may be (RFC 1035 §2.3.4): no
		 * record can be there */
		q->ttl = CHACACHE_NEG_TTL;
		q->result = CHA_NONE;
		q->done = 1;
	} else {
		ch_waiting++; /* (ask() may answer at once) */
		ask(q);
	}
	pthread_mutex_unlock(&ch_lock);
	return q;
}

/* Deadline ms on chacache_now_ms()'s clock (CLOCK_BOOTTIME) as a time
 * of CLOCK_MONOTONIC, the only other clock a condition variable waits on
 * (pthread_condattr_setclock(3)) */
static void deadline_ts(uint64_t ms, struct timespec *ts)
{
	uint64_t now = chacache_now_ms(), left = ms > now ? ms - now : 0;

	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(left / 1000);
	ts->tv_nsec += (long)(left % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Lock held on entry and exit; dropped around poll(). */
static void drive_once(uint64_t deadline_ms)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	struct timeval maxtv, tvbuf, *tv;
	uint64_t now = chacache_now_ms(), left;
	int bits, n = 0, ms, ready;

	left = deadline_ms > now ? deadline_ms - now : 0;
	bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
	for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		short ev = 0;
		/* c-ares' ARES_GETSOCK_WRITABLE shifts an int 1 by up to 31: the
		 * same bits, taken unsigned (UBSan stopped the shim on it) */
		if ((unsigned)bits & (1u << i))
			ev |= POLLIN;
		if ((unsigned)bits & (1u << (i + ARES_GETSOCK_MAXNUM)))
			ev |= POLLOUT;
		if (!ev)
			continue;
		pfd[n].fd = socks[i];
		pfd[n].events = ev;
		pfd[n].revents = 0;
		n++;
	}
	maxtv.tv_sec = (time_t)(left / 1000);
	maxtv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	tv = ares_timeout(ch, &maxtv, &tvbuf);
	ms = (int)(tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000);
	ch_driving = 1;
	pthread_mutex_unlock(&ch_lock);
	ready = poll(pfd, (nfds_t)n, ms);
	pthread_mutex_lock(&ch_lock);
	ch_driving = 0;
	if (!ch || ch_pid != getpid())
		return;
	if (ready > 0) {
		for (int i = 0; i < n; i++) {
			short r = pfd[i].revents;
			if (!r)
				continue;
			ares_process_fd(ch, (r & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD,
					(r & (POLLOUT | POLLERR)) ? pfd[i].fd : ARES_SOCKET_BAD);
		}
	} else {
		/* Timeouts: lets c-ares retry or fail the query. */
		ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	}
	pthread_cond_broadcast(&ch_cond);
}

int chalookup_finish(struct cha_query *q, uint64_t deadline_ms, struct in6_addr *cha,
		     uint32_t *ttl_s)
{
	int ret, cancel;

	if (!q)
		return -EIO;
	/* poll() and the condition wait are cancellation points; a thread
	 * cancelled in them would leave the channel driven by nobody for good
	 * (ch_driving), or ch_lock held: the program's connect() is one, and it
	 * is cancelled when the program returns to it (pthreads(7)) */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	pthread_mutex_lock(&ch_lock);
	while (!q->done && chacache_now_ms() < deadline_ms) {
		if (!ch) {
			break; /* destroyed under us without the callback: give up */
		} else if (!ch_driving) {
			drive_once(deadline_ms);
		} else {
			struct timespec ts;
			deadline_ts(deadline_ms, &ts);
			pthread_cond_timedwait(&ch_cond, &ch_lock, &ts);
		}
	}
	if (!q->done) {
		q->abandoned = 1; /* the callback (or ares_destroy) frees it */
		ch_waiting--;
		pthread_mutex_unlock(&ch_lock);
		pthread_setcancelstate(cancel, NULL);
		return -ETIMEDOUT;
	}
	pthread_mutex_unlock(&ch_lock);
	pthread_setcancelstate(cancel, NULL);
	ret = q->result;
	if (q->unusable) {
		char abuf[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &q->cha, abuf, sizeof(abuf));
		shim_debug("cha lookup: the answer's %s can be no anchor (neither global unicast nor "
			   "unique local): taken as no cha", abuf);
	}
	if (ret == CHA_FOUND && cha)
		*cha = q->cha;
	if (ttl_s)
		*ttl_s = q->ttl;
	free(q);
	return ret;
}

/* --- deferred lookups: getaddrinfo notes the name, the first connect() asks --- */

struct cha_defer {
	struct cha_defer *next;
	int claimed; /* a thread is looking it up: the others wait */
	int closed;  /* its answer is being recorded: it takes no more
		      * destinations (a name noted again gets a new entry) */
	size_t ndst;
	struct in6_addr dst[CHALOOKUP_MAX_DSTS];
	char node[CHALOOKUP_NAME_MAX];
};

/*
 * The list's state, in one cache line and so on one page, which a note
 * writes before it reads (chalookup_defer): on Linux the first read of a
 * page of zeroed data (.bss) maps the kernel's shared zero page, and the
 * first write after it replaces that mapping, a second page fault and a
 * TLB flush. In a fresh process that first note is the first
 * getaddrinfo's, and the process's next getaddrinfo then ran 4-5 us slower
 * (make bench, warm); written first, the page takes one fault and the next
 * call costs what it costs. The write is a volatile store of its own
 * (touched), not an add of 0 to any: a compiler may make an add that
 * changes nothing a load or a bare fence (clang does), and drop a plain
 * store nothing reads; C allows both, not for a volatile object.
 */
static struct {
	pthread_mutex_t lock;
	struct cha_defer *head; /* newest first */
	size_t count;
	atomic_int any; /* lets connect() skip the lock when nothing waits */
	volatile atomic_char touched; /* written, never read: see above */
} df __attribute__((aligned(64))) = { .lock = PTHREAD_MUTEX_INITIALIZER };
_Static_assert(sizeof(df) <= 64, "the deferred list's state fits one cache line");
static pthread_cond_t df_cond = PTHREAD_COND_INITIALIZER;

static int has_dst(const struct cha_defer *d, const struct in6_addr *a)
{
	for (size_t i = 0; i < d->ndst; i++)
		if (IN6_ARE_ADDR_EQUAL(&d->dst[i], a))
			return 1;
	return 0;
}

/* destination -> the name it was resolved from, kept past the cha answer's
 * TTL (chalookup_refresh_dst); the oldest is overwritten. Under df.lock. */
struct cha_known {
	struct in6_addr dst;
	uint64_t failed_ms; /* the last lookup again got no answer then (0: none) */
	int nofd;           /* the last lookup had no descriptor for its query */
	uint64_t conflict_ms; /* two of its names' answers differ until then (0: none) */
	/* the last answer recorded for it from node, kept past its TTL for a
	 * lookup that gets no answer (serve-stale, RFC 8767): CHA_FOUND with
	 * last_cha, CHA_NONE, or CHA_MISS (none) */
	int last;
	struct in6_addr last_cha;
	uint64_t last_expires_ms; /* that answer's TTL ran out then */
	char node[CHALOOKUP_NAME_MAX];
};
static struct cha_known kn[CHALOOKUP_MAX_KNOWN];
static size_t kn_next, kn_used;

/* DNS names compare in ASCII without case (RFC 4343), here with no libc call:
 * getaddrinfo notes a name through this on every call */
static int same_name(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
		if (x != y)
			return 0;
		if (!x)
			return 1;
	}
}

/* Lock held. dst's entry, or NULL */
static struct cha_known *known_locked(const struct in6_addr *dst)
{
	for (size_t i = 0; i < kn_used; i++)
		if (IN6_ARE_ADDR_EQUAL(&kn[i].dst, dst))
			return &kn[i];
	return NULL;
}

/* Lock held. dst came from node: remembered (again). */
static void know_locked(const char *node, const struct in6_addr *dst)
{
	size_t n = strlen(node);
	struct cha_known *k;

	if (n == 0 || n >= CHALOOKUP_NAME_MAX)
		return;
	k = known_locked(dst);
	if (!k) {
		k = &kn[kn_next];
		k->dst = *dst;
		k->conflict_ms = 0;
		k->last = CHA_MISS;
		kn_next = (kn_next + 1) % CHALOOKUP_MAX_KNOWN;
		if (kn_used < CHALOOKUP_MAX_KNOWN)
			kn_used++;
	}
	if (!same_name(k->node, node))
		k->last = CHA_MISS; /* another name's answer says nothing of node's */
	memcpy(k->node, node, n + 1);
	k->failed_ms = 0;
	k->nofd = 0;
}

/* failed_ms: 0, or when the lookup of node's cha got no answer; nofd:
 * it had no descriptor for its query (asked again at the next connect) */
static void know(const char *node, const struct in6_addr *dst, size_t ndst, uint64_t failed_ms,
		 int nofd)
{
	struct cha_known *k;

	pthread_mutex_lock(&df.lock);
	for (size_t i = 0; i < ndst; i++) {
		know_locked(node, &dst[i]);
		if ((k = known_locked(&dst[i]))) {
			k->failed_ms = failed_ms;
			k->nofd = nofd;
		}
	}
	pthread_mutex_unlock(&df.lock);
}

/* Lock held. 1 and its name in prev if dst was last resolved from a name
 * other than node */
static int other_name_locked(const struct in6_addr *dst, const char *node,
			     char prev[CHALOOKUP_NAME_MAX])
{
	struct cha_known *k = known_locked(dst);

	if (!k || same_name(k->node, node))
		return 0;
	memcpy(prev, k->node, CHALOOKUP_NAME_MAX);
	return 1;
}

/* Lock held. 1 if a name other than node has dst noted and its answer is
 * not in yet (its entry not closed): what dst's answer is waits for it */
static int other_pending_locked(const struct in6_addr *dst, const char *node)
{
	for (struct cha_defer *d = df.head; d; d = d->next)
		if (!d->closed && !same_name(d->node, node) && has_dst(d, dst))
			return 1;
	return 0;
}

/* Lock held. The seconds left of a disagreement seen between two names of
 * dst, 0 if none holds at now */
static uint32_t conflict_left_locked(const struct in6_addr *dst, uint64_t now)
{
	struct cha_known *k = known_locked(dst);

	if (!k || k->conflict_ms <= now)
		return 0;
	return (uint32_t)((k->conflict_ms - now + 999) / 1000);
}

/* Why answer_for_dst_locked() gave no CHA (for the log, written later) */
enum { WHY_AS_ASKED, WHY_CONFLICT_HOLDS, WHY_DIFFERS };

/*
 * Lock held. node's answer for dst, against that of the other name dst
 * was last resolved from while that one is still cached: a connect names
 * an address, not a name, so two names of one address whose cha records
 * disagree (one a name anyone can point at any address) give it no CHA
 * while both are known, rather than the anchor of the one looked up last
 * for the connections of both. *ttl: then the shorter of the two; *why and
 * prev (the other name) say why.
 */
static int answer_for_dst_locked(const char *node, const struct in6_addr *dst, int result,
				 const struct in6_addr *cha, uint32_t *ttl, uint64_t now, int *why,
				 char prev[CHALOOKUP_NAME_MAX])
{
	struct chacache *names = chacache_by_name_if_made();
	struct cha_known *k;
	struct in6_addr pcha;
	uint32_t pttl = 0, left;
	int pr;

	*why = WHY_AS_ASKED;
	left = conflict_left_locked(dst, now);
	/* a disagreement holds whatever names come after: a third name
	 * agreeing with the second (both an attacker's) does not undo it */
	if (left && result != CHA_NONE) {
		if (left < *ttl)
			*ttl = left;
		*why = WHY_CONFLICT_HOLDS;
		return CHA_NONE;
	}
	if (!other_name_locked(dst, node, prev) || !names)
		return result;
	pr = chacache_get_name(names, prev, &pcha, &pttl, now);
	if (pr == CHA_MISS || chacache_same_answer(pr, &pcha, result, cha))
		return result;
	if (pttl < *ttl)
		*ttl = pttl;
	if ((k = known_locked(dst)) && k->conflict_ms < now + (uint64_t)*ttl * 1000)
		k->conflict_ms = now + (uint64_t)*ttl * 1000;
	*why = WHY_DIFFERS;
	return CHA_NONE;
}

void chalookup_record(const char *node, const struct in6_addr *dst, size_t ndst, int result,
		      const struct in6_addr *cha, uint32_t ttl, uint64_t now)
{
	char dbuf[INET6_ADDRSTRLEN], cbuf[INET6_ADDRSTRLEN];
	struct chacache *c = chacache_by_addr();
	int rs[CHALOOKUP_MAX_DSTS], wait[CHALOOKUP_MAX_DSTS], why[CHALOOKUP_MAX_DSTS];
	char prev[CHALOOKUP_MAX_DSTS][CHALOOKUP_NAME_MAX];
	uint32_t ttls[CHALOOKUP_MAX_DSTS];

	if (ndst > CHALOOKUP_MAX_DSTS)
		ndst = CHALOOKUP_MAX_DSTS;
	/*
	 * One hold of the lock from the comparison to the cache: a name noted
	 * (chalookup_defer) or recorded by another thread meanwhile would
	 * otherwise find dst's answer not yet compared with it, or have its
	 * own put over; and a connect's wait reads the cache under it too
	 * (chalookup_wait_dst).
	 */
	pthread_mutex_lock(&df.lock);
	for (size_t i = 0; i < ndst; i++) {
		ttls[i] = ttl;
		/* (before know_locked() makes node the name of dst) */
		rs[i] = answer_for_dst_locked(node, &dst[i], result, cha, &ttls[i], now, &why[i],
					      prev[i]);
		know_locked(node, &dst[i]);
		/* another name of dst still to be asked (its connect waits for
		 * it, chalookup_wait_dst): this answer alone is not dst's; the
		 * two are compared then */
		wait[i] = other_pending_locked(&dst[i], node);
		if (wait[i]) {
			chacache_del_addr(c, &dst[i]);
		} else {
			struct cha_known *k = known_locked(&dst[i]);

			chacache_put_addr(c, &dst[i], rs[i] == CHA_FOUND ? cha : NULL, ttls[i], now);
			if (k) {
				k->last = rs[i];
				if (rs[i] == CHA_FOUND)
					k->last_cha = *cha;
				k->last_expires_ms = now + (uint64_t)ttls[i] * 1000;
			}
		}
	}
	pthread_mutex_unlock(&df.lock);
	if (!shim_debug_on())
		return;
	if (result == CHA_FOUND)
		inet_ntop(AF_INET6, cha, cbuf, sizeof(cbuf));
	for (size_t i = 0; i < ndst; i++) {
		inet_ntop(AF_INET6, &dst[i], dbuf, sizeof(dbuf));
		if (why[i] == WHY_CONFLICT_HOLDS)
			shim_debug("%s: two of its names' cha answers differ: no cha for it (%u s)",
				   dbuf, ttls[i]);
		else if (why[i] == WHY_DIFFERS)
			shim_debug("%s: the cha answers of %s and of %s differ: no cha for it (%u s)",
				   dbuf, prev[i], node, ttls[i]);
		if (wait[i])
			shim_debug("getaddrinfo %s: %s waits for the cha answer of another of its "
				   "names", node, dbuf);
		else if (rs[i] == CHA_FOUND)
			shim_debug("getaddrinfo %s: %s has cha %s (ttl %u s)", node, dbuf, cbuf,
				   ttls[i]);
		else
			shim_debug("getaddrinfo %s: %s has no cha (ttl %u s)", node, dbuf, ttls[i]);
	}
}

/* Lock held. Unlink d (it is in the list). */
static void unlink_locked(struct cha_defer *d)
{
	for (struct cha_defer **p = &df.head; *p; p = &(*p)->next)
		if (*p == d) {
			*p = d->next;
			df.count--;
			break;
		}
	atomic_store(&df.any, df.head != NULL);
}

void chalookup_defer(const char *node, const struct in6_addr *dst, size_t ndst)
{
	struct cha_defer *d, *oldest = NULL;
	size_t n = node ? strlen(node) : 0;

	if (n == 0 || n + 5 > CHALOOKUP_NAME_MAX || ndst == 0)
		return;
	/* a write before the lock reads the page (see df above) */
	atomic_store_explicit(&df.touched, 1, memory_order_relaxed);
	pthread_mutex_lock(&df.lock);
	for (d = df.head; d; d = d->next)
		if (same_name(d->node, node) && !d->closed)
			break;
	if (!d) {
		/* Full: the oldest name nobody is asking for makes room. */
		if (df.count >= CHALOOKUP_MAX_DEFERRED) {
			for (struct cha_defer *e = df.head; e; e = e->next)
				if (!e->claimed)
					oldest = e;
			if (!oldest)
				goto out;
			unlink_locked(oldest);
			free(oldest);
		}
		d = calloc(1, sizeof(*d));
		if (!d)
			goto out;
		memcpy(d->node, node, n + 1);
		d->next = df.head;
		df.head = d;
		df.count++;
		atomic_store(&df.any, 1);
	}
	for (size_t i = 0; i < ndst && d->ndst < CHALOOKUP_MAX_DSTS; i++)
		if (!has_dst(d, &dst[i]))
			d->dst[d->ndst++] = dst[i];
	/* an address resolved from another name before keeps that name's
	 * answer no longer: its next connect asks for this name's too
	 * (chalookup_record) */
	for (size_t i = 0; i < ndst; i++) {
		char prev[CHALOOKUP_NAME_MAX];

		if (other_name_locked(&dst[i], node, prev))
			chacache_del_addr(chacache_by_addr(), &dst[i]);
	}
out:
	pthread_mutex_unlock(&df.lock);
}

/*
 * Lock held. node's lookup got no answer (the DNS silent or failing): if
 * dst had an answer from node whose TTL ran out less than
 * CHALOOKUP_STALE_MAX_S ago, it is dst's again in the address cache for
 * CHALOOKUP_FAILED_RETRY_S (RFC 8767 §4, serve-stale): its anchor very
 * likely still serves it, and a program's connects would otherwise go
 * without one (or fail, ODM_TYPE) until the DNS answers again. That
 * answer (CHA_FOUND with *cha), or CHA_MISS.
 */
static int stale_locked(const char *node, const struct in6_addr *dst, struct in6_addr *cha,
			uint64_t now)
{
	char dbuf[INET6_ADDRSTRLEN];
	struct cha_known *k = known_locked(dst);

	if (!k || k->last == CHA_MISS || !same_name(k->node, node) ||
	    now >= k->last_expires_ms + (uint64_t)CHALOOKUP_STALE_MAX_S * 1000)
		return CHA_MISS;
	chacache_put_addr(chacache_by_addr(), dst, k->last == CHA_FOUND ? &k->last_cha : NULL,
			  CHALOOKUP_FAILED_RETRY_S, now);
	if (cha && k->last == CHA_FOUND)
		*cha = k->last_cha;
	if (shim_debug_on()) {
		inet_ntop(AF_INET6, dst, dbuf, sizeof(dbuf));
		shim_debug("%s: no answer for cha.%s: its last answer (%s) kept %d s more (stale)",
			   dbuf, node, k->last == CHA_FOUND ? "a cha" : "none",
			   CHALOOKUP_FAILED_RETRY_S);
	}
	return k->last;
}

static void serve_stale(const char *node, const struct in6_addr *dst, size_t ndst, uint64_t now)
{
	pthread_mutex_lock(&df.lock);
	for (size_t i = 0; i < ndst; i++)
		stale_locked(node, &dst[i], NULL, now);
	pthread_mutex_unlock(&df.lock);
}

int chalookup_stale(const char *node, const struct in6_addr *dst, struct in6_addr *cha,
		    uint64_t now)
{
	int r;

	pthread_mutex_lock(&df.lock);
	r = stale_locked(node, dst, cha, now);
	pthread_mutex_unlock(&df.lock);
	return r;
}

/*
 * A lookup failed (c-ares: the server refused, or no server reachable)
 * while the channel found no route since noroute was read: the host may
 * be in a move's gap, as a program's own lookup (hook_getaddrinfo.c), and
 * the agent is asked whether to wait for the new link (agent_move_wait,
 * odm(7)), not past bound. Or it got no answer (-ETIMEDOUT) from asked
 * on: its query, or the answer, may have been lost with the old link, and
 * the agent is asked whether the host moved since (a gap now, or one that
 * ended since asked: agent_move_wait's since_ms), and if so to wait for
 * the new link; a lookup the host did not move in is the DNS's silence.
 * Asked once per round: *gap 0 before, then 1 if the lookups are to be
 * made again, -1 if not.
 */
static int gap_over(int *gap, int r, unsigned noroute, uint64_t asked, const char *node,
		    uint64_t bound)
{
	uint64_t now = chacache_now_ms();
	unsigned waited = 0, since = 0;
	int ms;

	if (*gap)
		return *gap > 0;
	*gap = -1;
	if (now + 100 >= bound)
		return 0;
	if (r == -ETIMEDOUT)
		since = now > asked ? (unsigned)(now - asked) : 1;
	else if (atomic_load(&ch_noroute) == noroute)
		return 0;
	ms = bound - now < LOOKUPGAP_CALL_MS ? (int)(bound - now) : LOOKUPGAP_CALL_MS;
	r = agent_move_wait(ms, since, &waited);
	if (r > 0 || waited)
		shim_debug("getaddrinfo %s: cha.%s %s, in a move's gap: waited %u ms for the new "
			   "link, %s", node, node,
			   since ? "got no answer while the host moved" : "found no route to the DNS",
			   waited, r > 0 ? "asking again" : "none came");
	if (r > 0)
		*gap = 1;
	if (r > 0 && since) {
		pthread_mutex_lock(&ch_lock);
		ch_renew = 1;
		pthread_mutex_unlock(&ch_lock);
	}
	return r > 0;
}

/* The lookups for ds[0..n) (claimed by the caller, lock not held), made
 * at once and so within one CHALOOKUP_MAX_WAIT_MS, and not past
 * deadline_ms; those that found no route, or got no answer while the host
 * moved, made again once a move's gap is over (gap_over), within
 * deadline_ms; records the answers */
static void resolve_deferred(struct cha_defer **ds, size_t n, uint64_t deadline_ms)
{
	uint64_t start = chacache_now_ms(), now, bound = deadline_ms;
	unsigned noroute = atomic_load(&ch_noroute);
	int gap = 0;

	if (deadline_ms > start + CHALOOKUP_MAX_WAIT_MS)
		deadline_ms = start + CHALOOKUP_MAX_WAIT_MS;
	struct cha_query *q[CHALOOKUP_MAX_DEFERRED];
	struct in6_addr cha[CHALOOKUP_MAX_DEFERRED];
	uint32_t ttl[CHALOOKUP_MAX_DEFERRED];
	int r[CHALOOKUP_MAX_DEFERRED], skip[CHALOOKUP_MAX_DEFERRED], probe[CHALOOKUP_MAX_DEFERRED];

	for (size_t i = 0; i < n; i++)
		q[i] = chalookup_start(ds[i]->node);
	/* the queries out, the agent is asked whether the user's other
	 * processes got no answer for them lately (chashare.h) */
	for (size_t i = 0; i < n; i++) {
		probe[i] = 0;
		skip[i] = q[i] && chashare_skip(ds[i]->node, &probe[i]);
	}
	for (size_t i = 0; i < n; i++) {
		ttl[i] = 0;
		/* skipped: given up at once, as one that got no answer */
		r[i] = chalookup_finish(q[i], skip[i] ? 0 : deadline_ms, &cha[i], &ttl[i]);
		if ((r[i] == -EIO || r[i] == -ETIMEDOUT) && q[i] && !skip[i] &&
		    gap_over(&gap, r[i], noroute, start, ds[i]->node, bound)) {
			now = chacache_now_ms();
			r[i] = chalookup_finish(chalookup_start(ds[i]->node),
						now + CHALOOKUP_MAX_WAIT_MS < bound ?
							now + CHALOOKUP_MAX_WAIT_MS : bound,
						&cha[i], &ttl[i]);
		}
		if (q[i] && !skip[i])
			chashare_said(ds[i]->node, r[i], probe[i]);
	}
	now = chacache_now_ms();
	/* their destinations as they are now: other threads' getaddrinfo of
	 * the names added theirs meanwhile (chalookup_defer, under the lock);
	 * from now on they go to new entries, asked for anew, and these stay
	 * as they are */
	pthread_mutex_lock(&df.lock);
	for (size_t i = 0; i < n; i++)
		ds[i]->closed = 1;
	pthread_mutex_unlock(&df.lock);
	for (size_t i = 0; i < n; i++) {
		struct cha_defer *d = ds[i];

		shim_debug("getaddrinfo %s: cha.%s %s after %llu ms (asked on first use%s)", d->node,
			   d->node, r[i] == CHA_FOUND ? "found" : r[i] == CHA_NONE ? "absent" : "unknown",
			   (unsigned long long)(now - start), skip[i] ? ", not waited for" : "");
		if (r[i] < 0) {
			int nofd = r[i] == -EMFILE || r[i] == -ENFILE;

			/* nothing is known, not even that there is none: the
			 * connects that follow are told so
			 * (chalookup_refresh_dst), and do not each wait for the
			 * DNS again; unless no query could go out for want of a
			 * descriptor, which costs the next connect no wait */
			if (nofd)
				shim_debug("cha.%s: no descriptor for its query (%s): asked again at "
					   "the next connect", d->node, strerror(-r[i]));
			know(d->node, d->dst, d->ndst, nofd ? 0 : now ? now : 1, nofd);
			serve_stale(d->node, d->dst, d->ndst, now);
			continue;
		}
		chacache_put_name(chacache_by_name(), d->node, r[i] == CHA_FOUND ? &cha[i] : NULL,
				  ttl[i], now);
		chalookup_record(d->node, d->dst, d->ndst, r[i], &cha[i], ttl[i], now);
	}
}

/* The bound on one wait, in lookups' worth: it makes rounds of lookups
 * itself for names of dst noted by other threads while it made one (they
 * hold dst's answer back, chalookup_record), or noted again after another
 * thread's lookup, and waits for the rounds of others */
#define WAIT_ROUNDS 3

int chalookup_wait_dst(const struct in6_addr *dst, int *answer, struct in6_addr *cha)
{
	struct cha_defer *d, *mine[CHALOOKUP_MAX_DEFERRED];
	int waited = 0, cancel;
	uint64_t deadline;
	struct timespec ts;

	if (!atomic_load(&df.any))
		return 0;
	/* the condition wait is a cancellation point: cancelled in it, the
	 * thread would keep df.lock, and the names it claimed, for good
	 * (chalookup_finish) */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	/* the whole wait, other threads' lookups included: they may go on
	 * noting and asking for names of dst one after the other */
	deadline = chacache_now_ms() + (uint64_t)WAIT_ROUNDS * CHALOOKUP_MAX_WAIT_MS;
	deadline_ts(deadline, &ts);
	pthread_mutex_lock(&df.lock);
	for (;;) {
		size_t n = 0;
		int others = 0;

		if (waited && chacache_now_ms() >= deadline)
			break;
		/* every name dst was noted for: its answer is theirs together
		 * (chalookup_record), so all are asked, at once */
		for (d = df.head; d; d = d->next) {
			if (!has_dst(d, dst))
				continue;
			if (d->claimed)
				others = 1;
			else if (n < CHALOOKUP_MAX_DEFERRED)
				mine[n++] = d;
		}
		if (n) {
			for (size_t i = 0; i < n; i++)
				mine[i]->claimed = 1;
			pthread_mutex_unlock(&df.lock);
			resolve_deferred(mine, n, deadline);
			pthread_mutex_lock(&df.lock);
			for (size_t i = 0; i < n; i++)
				unlink_locked(mine[i]);
			pthread_cond_broadcast(&df_cond);
			pthread_mutex_unlock(&df.lock);
			for (size_t i = 0; i < n; i++)
				free(mine[i]);
			pthread_mutex_lock(&df.lock);
			waited = 1;
			continue;
		}
		if (!others)
			break;
		/* Another thread asks for one of them: its answer serves us
		 * too. Once it is in, a name may be queued again (a refresh, a
		 * getaddrinfo that found it expired): nobody asks for that one
		 * unless a connect does, so this thread does, rather than wait
		 * on a lookup nobody makes. */
		waited = 1;
		pthread_cond_clockwait(&df_cond, &df.lock, CLOCK_MONOTONIC, &ts);
	}
	/* read under the lock: a name of dst noted from now on takes dst's
	 * answer out of the cache (chalookup_defer), and one that reached the
	 * cache is not taken for unknown */
	if (waited)
		*answer = chacache_get_addr(chacache_by_addr(), dst, cha, NULL, chacache_now_ms());
	pthread_mutex_unlock(&df.lock);
	pthread_setcancelstate(cancel, NULL);
	return waited;
}

int chalookup_refresh_dst(const struct in6_addr *dst, int *answer, struct in6_addr *cha)
{
	char node[CHALOOKUP_NAME_MAX], dbuf[INET6_ADDRSTRLEN];
	uint64_t now = chacache_now_ms();
	struct cha_known *k;
	int r, failed, nofd = 0;

	pthread_mutex_lock(&df.lock);
	k = known_locked(dst);
	/* a lookup that failed (DNS down) is not tried again on every
	 * connect: each would wait CHALOOKUP_MAX_WAIT_MS */
	failed = k && k->failed_ms && now < k->failed_ms + (uint64_t)CHALOOKUP_FAILED_RETRY_S * 1000;
	if (k && !failed) {
		memcpy(node, k->node, sizeof(node));
		nofd = k->nofd;
	}
	pthread_mutex_unlock(&df.lock);
	if (failed)
		return -1;
	if (!k)
		return 0;
	inet_ntop(AF_INET6, dst, dbuf, sizeof(dbuf));
	if (nofd) /* there was no answer to expire */
		shim_debug("%s: the last lookup of cha.%s had no descriptor for its query: asking "
			   "again", dbuf, node);
	else
		shim_debug("%s: the cha answer for %s has expired: asking cha.%s again", dbuf, node,
			   node);
	chalookup_defer(node, dst, 1);
	r = chalookup_wait_dst(dst, answer, cha);
	now = chacache_now_ms();
	if (r > 0 && *answer == CHA_MISS) {
		nofd = 0;
		pthread_mutex_lock(&df.lock);
		if ((k = known_locked(dst)) && !(nofd = k->nofd))
			k->failed_ms = now ? now : 1;
		pthread_mutex_unlock(&df.lock);
		if (!nofd)
			shim_debug("%s: no answer for cha.%s; not asked again for %d s", dbuf, node,
				   CHALOOKUP_FAILED_RETRY_S);
	}
	return r;
}

void chalookup_atfork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t fresh_cond = PTHREAD_COND_INITIALIZER;

	/*
	 * Deferred names: a lookup in flight belongs to a thread the child
	 * does not have, so the child asks again; a list caught mid-change
	 * (lock held) is dropped, and those names go plain in the child.
	 */
	if (pthread_mutex_trylock(&df.lock) != 0) {
		df.head = NULL;
		df.count = 0;
		atomic_store(&df.any, 0);
	}
	for (struct cha_defer *d = df.head; d; d = d->next)
		d->claimed = 0;
	df.lock = fresh;
	df_cond = fresh_cond;

	/* A lock held at fork time belongs to a thread the child does not have. */
	if (pthread_mutex_trylock(&ch_lock) != 0)
		ch_inherited = 1;
	ch_lock = fresh;
	ch_driving = 0;
	ch_waiting = 0; /* their threads are not in the child */
	if (ch_lib_ok) {
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&ch_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
}
