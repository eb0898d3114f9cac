/* SPDX-License-Identifier: MIT */
/*
 * sockdiag.c — ask the kernel which sockets use an address (inet_diag over
 * NETLINK_SOCK_DIAG) and, for addresses that must fail fast, destroy them
 * (SOCK_DESTROY). The kernel is the only witness that cannot lie or crash:
 * a process that died without telling the agent shows up here as gone.
 *
 * Each call opens its own netlink socket, so the module has no state and a
 * stuck dump cannot poison the next one. Loops are bounded by a count of
 * receive calls and of collected sockets.
 *
 * Counting is batched: one dump per protocol counts the sockets of every
 * address asked about, each socket's source looked up in the sorted set
 * (sockdiag_match), so the work per tick is one pass over the sockets
 * however many leases there are, not one pass per lease. The kernel's
 * socket-destroy multicast groups (SKNLGRP_INET6_TCP_DESTROY, _UDP_DESTROY)
 * would save even that pass, but the count has to be taken afresh anyway
 * for sockets that go without a close the shim sees (a killed program, a
 * static one) and after a restart, and a lost multicast message would leave
 * a lease forever; one dump a tick is the simpler witness.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include "log.h"
#include "nldump.h"
#include "sockdiag.h"

#define TCP_STATE_SYN_SENT 2  /* the kernel's TCP states (include/net/tcp_states.h) */
#define TCP_STATE_TIME_WAIT 6
/* every state (including TCP_BOUND_INACTIVE, bit 13, for bound-only sockets
 * on kernels that dump them) but TIME_WAIT, which holds no process */
#define TCP_STATES (0xffffffffu & ~(1u << TCP_STATE_TIME_WAIT))
#define UDP_STATES 0xffffffffu

#define DIAG_MAX_SOCKS 1000000 /* sockets collected for destruction */

struct diag_req {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 r;
};

struct victims {
	struct inet_diag_sockid *ids;
	size_t n, cap;
};

static int diag_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (fd < 0)
		return -errno;
	return fd;
}

static int diag_send(int fd, uint16_t type, uint16_t flags, uint32_t seq, uint8_t family,
		     uint8_t proto, uint32_t states, const struct inet_diag_sockid *id)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	struct diag_req req;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = type;
	req.nlh.nlmsg_flags = flags;
	req.nlh.nlmsg_seq = seq;
	req.r.sdiag_family = family;
	req.r.sdiag_protocol = proto;
	req.r.idiag_states = states;
	if (id)
		req.r.id = *id;
	for (;;) {
		ssize_t n = sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl));

		if (n == (ssize_t)sizeof(req))
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : -EIO;
	}
}

static int addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct in6_addr));
}

long sockdiag_match(const struct in6_addr *set, size_t n, const void *src)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(src, &set[mid], sizeof(set[mid]));

		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

struct diag_take {
	uint8_t family; /* the sockets of this family (AF_INET6's include the v4-mapped) */
	uint8_t proto;
	const struct in6_addr *set;
	const struct sockdiag_owner *const *owners; /* per set entry; NULL: all count */
	size_t n_set;
	unsigned *counts;
	struct victims *v;
};

/* uid's socket counts for an address o describes */
static bool owned_by(const struct sockdiag_owner *o, uid_t uid)
{
	if (o->anyone || uid == 0 || uid == o->uid)
		return true;
	for (size_t i = 0; i < o->n_more; i++)
		if (o->more[i] == uid)
			return true;
	return false;
}

/* One message of the dump: an owned socket bound to an address of the set
 * is counted and, if victims are collected, collected */
static int diag_take(void *ctx, const struct nlmsghdr *h)
{
	struct diag_take *d = ctx;
	struct victims *v = d->v;
	const struct inet_diag_msg *m;
	long idx;

	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return 0;
	m = NLMSG_DATA(h);
	if (m->idiag_family != d->family || m->idiag_inode == 0)
		return 0;
	if (d->proto == IPPROTO_TCP && m->idiag_state == TCP_STATE_TIME_WAIT)
		return 0;
	idx = sockdiag_match(d->set, d->n_set, m->id.idiag_src);
	if (idx < 0 || (d->owners && !owned_by(d->owners[idx], m->idiag_uid)))
		return 0;
	d->counts[idx]++;
	if (!v)
		return 0;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		struct inet_diag_sockid *ids;

		if (cap > DIAG_MAX_SOCKS)
			return -E2BIG;
		ids = realloc(v->ids, cap * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		v->ids = ids;
		v->cap = cap;
	}
	v->ids[v->n++] = m->id;
	return 0;
}

/*
 * Dump proto's sockets of family, counting the owned ones bound to an
 * address of set (sorted, n of them) into counts[its index] and, if v is
 * given, collecting their ids. An AF_INET socket's source is in the first
 * of idiag_src's four words, the others 0: set holds it so.
 */
static int diag_dump(int fd, uint32_t seq, uint8_t family, uint8_t proto, uint32_t states,
		     const struct in6_addr *set, const struct sockdiag_owner *const *owners,
		     size_t n_set, unsigned *counts, struct victims *v)
{
	struct diag_take d = { family, proto, set, owners, n_set, counts, v };
	int r;

	r = diag_send(fd, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq, family, proto,
		      states, NULL);
	return r < 0 ? r : nldump_read(fd, seq, diag_take, &d);
}

int sockdiag_count(const struct in6_addr *addr, struct sockdiag_count *out)
{
	return sockdiag_count_many(addr, NULL, addr ? 1 : 0, out);
}

/* An address to count and whose sockets count there, sorted by address */
struct counted {
	struct in6_addr addr;
	const struct sockdiag_owner *owner;
};

int sockdiag_count_many(const struct in6_addr *addrs, const struct sockdiag_owner *owners,
			size_t n, struct sockdiag_count *out)
{
	const struct sockdiag_owner **own = NULL;
	struct in6_addr *set = NULL;
	struct counted *sorted = NULL;
	unsigned *tcp = NULL, *udp = NULL;
	size_t *where = NULL;
	int fd = -1, r = -ENOMEM;

	if (!addrs || !out || n == 0 || n > DIAG_MAX_SOCKS)
		return -EINVAL;
	set = malloc(n * sizeof(*set));
	sorted = malloc(n * sizeof(*sorted));
	own = owners ? malloc(n * sizeof(*own)) : NULL;
	where = malloc(n * sizeof(*where));
	tcp = calloc(n, sizeof(*tcp));
	udp = calloc(n, sizeof(*udp));
	if (!set || !sorted || (owners && !own) || !where || !tcp || !udp)
		goto out;
	/* the address first in struct counted: addr_cmp sorts them by it */
	for (size_t i = 0; i < n; i++)
		sorted[i] = (struct counted){ addrs[i], owners ? &owners[i] : NULL };
	qsort(sorted, n, sizeof(*sorted), addr_cmp);
	for (size_t i = 0; i < n; i++) {
		set[i] = sorted[i].addr;
		if (own)
			own[i] = sorted[i].owner;
	}
	/* the caller's order, and the same address twice, map into the set */
	for (size_t i = 0; i < n; i++)
		where[i] = (size_t)sockdiag_match(set, n, &addrs[i]);
	fd = diag_open();
	if (fd < 0) {
		r = fd;
		goto out;
	}
	r = diag_dump(fd, 1, AF_INET6, IPPROTO_TCP, TCP_STATES, set, own, n, tcp, NULL);
	if (r == 0)
		r = diag_dump(fd, 2, AF_INET6, IPPROTO_UDP, UDP_STATES, set, own, n, udp, NULL);
	if (r < 0) {
		log_warn(r, "inet_diag dump");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		out[i].tcp = tcp[where[i]];
		out[i].udp = udp[where[i]];
	}
out:
	if (fd >= 0)
		close(fd);
	free(set);
	free(sorted);
	free(own);
	free(where);
	free(tcp);
	free(udp);
	return r;
}

/* Wait for the ACK of one SOCK_DESTROY. */
static int diag_ack(int fd, uint32_t seq, char *buf)
{
	for (unsigned round = 0; round < 16; round++) {
		ssize_t n = nldump_recv(fd, buf, NLDUMP_BUF);
		struct nlmsghdr *h;
		size_t left;

		if (n < 0)
			return (int)n;
		left = (size_t)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EIO;
			return e->error;
		}
	}
	return -EIO;
}

static int destroy_proto(int fd, uint32_t *seq, uint8_t family, uint8_t proto,
			 uint32_t states, const struct in6_addr *addr, char *buf)
{
	struct victims v = { 0 };
	unsigned found = 0;
	int r, done = 0;

	r = diag_dump(fd, ++*seq, family, proto, states, addr, NULL, 1, &found, &v);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < v.n; i++) {
		r = diag_send(fd, SOCK_DESTROY, NLM_F_REQUEST | NLM_F_ACK, ++*seq, family, proto,
			      states, &v.ids[i]);
		if (r == 0)
			r = diag_ack(fd, *seq, buf);
		if (r == 0)
			done++;
		else if (r != -ENOENT) /* closed meanwhile: fine */
			goto out;
	}
	r = done;
out:
	free(v.ids);
	return r;
}

/* proto's sockets of addr in states: an IPv4 address (v4-mapped) has them
 * in both families, AF_INET6's dual-stack sockets with it v4-mapped
 * (SOCK_DESTROY finds them by it, inet_diag_find_one_icsk()) and AF_INET's
 * with it in the first word. How many, or -errno. */
static int destroy_family(int fd, uint32_t *seq, uint8_t proto, uint32_t states,
			  const struct in6_addr *addr, char *buf)
{
	struct in6_addr v4 = IN6ADDR_ANY_INIT;
	int r6, r4;

	r6 = destroy_proto(fd, seq, AF_INET6, proto, states, addr, buf);
	if (r6 < 0 || !IN6_IS_ADDR_V4MAPPED(addr))
		return r6;
	memcpy(&v4.s6_addr[0], &addr->s6_addr[12], 4);
	r4 = destroy_proto(fd, seq, AF_INET, proto, states, &v4, buf);
	return r4 < 0 ? r4 : r6 + r4;
}

/* Destroy addr's TCP sockets in tcp_states and, if udp, its UDP ones: how
 * many, or -errno. */
static int destroy_on(const struct in6_addr *addr, uint32_t tcp_states, int udp)
{
	uint32_t seq = 100;
	char *buf;
	int fd, t, u = 0;

	if (!addr)
		return -EINVAL;
	fd = diag_open();
	if (fd < 0)
		return fd;
	buf = malloc(NLDUMP_BUF);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	t = tcp_states ? destroy_family(fd, &seq, IPPROTO_TCP, tcp_states, addr, buf) : 0;
	if (t >= 0 && udp)
		u = destroy_family(fd, &seq, IPPROTO_UDP, UDP_STATES, addr, buf);
	free(buf);
	close(fd);
	if (t < 0 || u < 0) {
		log_warn(t < 0 ? t : u, "SOCK_DESTROY");
		return t < 0 ? t : u;
	}
	return t + u;
}

int sockdiag_destroy(const struct in6_addr *addr)
{
	return destroy_on(addr, TCP_STATES, 1);
}

int sockdiag_destroy_tcp(const struct in6_addr *addr)
{
	return destroy_on(addr, TCP_STATES, 0);
}

int sockdiag_destroy_udp(const struct in6_addr *addr)
{
	return destroy_on(addr, 0, 1);
}

int sockdiag_destroy_connecting(const struct in6_addr *addr)
{
	return destroy_on(addr, 1u << TCP_STATE_SYN_SENT, 0);
}
