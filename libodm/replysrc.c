/* SPDX-License-Identifier: MIT */
/* replysrc.c — a wildcard UDP server's answers from the address asked (see replysrc.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addrflags.h"
#include "addrscope.h"
#include "cmsgstrip.h"
#include "fdtable.h"
#include "libc_real.h"
#include "ownpid.h"
#include "replymem.h"
#include "replysrc.h"
#include "shim_log.h"
#include "sigblock.h"

struct replysrc {
	struct replysrc *next_spare;
	_Atomic int refs;  /* fds sharing it (dups) */
	_Atomic int off;   /* its program set IPV6_RECVPKTINFO: left alone */
	_Atomic int armed; /* the shim set IPV6_RECVPKTINFO (at a first receive) */
	_Atomic int lock;  /* over mem (rs_lock) */
	struct replymem mem;
};

/* fd -> its socket's, NULL if none; made at the first bind that needs it */
static _Atomic(_Atomic(struct replysrc *) *) slots;
/* 1 + the highest fd ever given one: bounds close_range's walk */
static _Atomic unsigned int high;
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static struct replysrc *spare;

/* the control room for the shim's IPV6_PKTINFO */
#define PI_SPACE CMSG_SPACE(sizeof(struct in6_pktinfo))
/* a program's control buffer up to this is copied on the stack */
#define STACK_CTL 2048

static _Atomic(struct replysrc *) *table(int create)
{
	_Atomic(struct replysrc *) *s = atomic_load_explicit(&slots, memory_order_acquire), *n;

	if (s || !create)
		return s;
	n = calloc(FDTABLE_MAX_FDS, sizeof(*n));
	if (!n)
		return NULL;
	s = NULL;
	if (!atomic_compare_exchange_strong(&slots, &s, n)) {
		free(n);
		return s;
	}
	return n;
}

struct replysrc *replysrc_of(int fd)
{
	_Atomic(struct replysrc *) *s = atomic_load_explicit(&slots, memory_order_acquire);
	struct replysrc *rs;

	if (!s || fd < 0 || (unsigned int)fd >= FDTABLE_MAX_FDS)
		return NULL;
	rs = atomic_load_explicit(&s[fd], memory_order_acquire);
	return rs && !atomic_load_explicit(&rs->off, memory_order_relaxed) ? rs : NULL;
}

/* the lock over rs->mem: 1 when held, 0 if it stayed taken (a handler
 * that interrupted its holder on this thread would wait for ever) */
static int rs_lock(struct replysrc *rs)
{
	for (int i = 0; i < 1000; i++) {
		if (!atomic_exchange_explicit(&rs->lock, 1, memory_order_acquire))
			return 1;
		if (i >= 32)
			sched_yield();
	}
	return 0;
}

static void rs_unlock(struct replysrc *rs)
{
	atomic_store_explicit(&rs->lock, 0, memory_order_release);
}

static void put_back(struct replysrc *rs)
{
	sigset_t old;

	if (atomic_fetch_sub(&rs->refs, 1) != 1)
		return;
	sigblock_lock(&spare_lock, &old);
	rs->next_spare = spare;
	spare = rs;
	sigblock_unlock(&spare_lock, &old);
}

static struct replysrc *rs_new(void)
{
	struct replysrc *rs;
	sigset_t old;

	sigblock_lock(&spare_lock, &old);
	rs = spare;
	if (rs)
		spare = rs->next_spare;
	sigblock_unlock(&spare_lock, &old);
	if (!rs)
		rs = malloc(sizeof(*rs));
	if (!rs)
		return NULL;
	/* (a spare one may still be read by a call racing its socket's
	 * close: its memory is never freed) */
	rs->next_spare = NULL;
	atomic_store(&rs->refs, 1);
	atomic_store(&rs->off, 0);
	atomic_store(&rs->armed, 0);
	atomic_store(&rs->lock, 0);
	replymem_init(&rs->mem);
	return rs;
}

/* fd's slot holds rs now (what it held is put back) */
static void set_slot(_Atomic(struct replysrc *) *s, int fd, struct replysrc *rs)
{
	unsigned int h = atomic_load(&high);

	while (h <= (unsigned int)fd && !atomic_compare_exchange_weak(&high, &h, (unsigned int)fd + 1))
		;
	rs = atomic_exchange(&s[fd], rs);
	if (rs)
		put_back(rs);
}

/* fd has an entry (one load; no syscall, unlike ownpid_foreign()) */
static int held(_Atomic(struct replysrc *) *s, int fd)
{
	return s && fd >= 0 && (unsigned int)fd < FDTABLE_MAX_FDS &&
	       atomic_load_explicit(&s[fd], memory_order_relaxed);
}

void replysrc_drop(int fd)
{
	_Atomic(struct replysrc *) *s = table(0);
	struct replysrc *rs;

	/* ownpid_foreign() (a getpid() syscall) only once fd has an entry:
	 * every close() and socket() of every program comes here */
	if (!held(s, fd) || ownpid_foreign())
		return;
	rs = atomic_exchange(&s[fd], NULL);
	if (rs)
		put_back(rs);
}

void replysrc_drop_range(unsigned int first, unsigned int last)
{
	unsigned int h = atomic_load(&high);

	if (!table(0) || !h)
		return;
	if (last >= h)
		last = h - 1;
	for (unsigned int fd = first; fd <= last && fd >= first; fd++)
		replysrc_drop((int)fd);
}

void replysrc_dup(int oldfd, int newfd)
{
	_Atomic(struct replysrc *) *s = table(0);
	struct replysrc *rs;

	if (!s || oldfd == newfd || (!held(s, oldfd) && !held(s, newfd)) || ownpid_foreign())
		return;
	replysrc_drop(newfd);
	if (oldfd < 0 || (unsigned int)oldfd >= FDTABLE_MAX_FDS || newfd < 0 ||
	    (unsigned int)newfd >= FDTABLE_MAX_FDS)
		return;
	rs = atomic_load(&s[oldfd]);
	if (!rs)
		return;
	atomic_fetch_add(&rs->refs, 1);
	set_slot(s, newfd, rs);
}

void replysrc_atfork_child(void)
{
	_Atomic(struct replysrc *) *s = table(0);
	unsigned int h = atomic_load(&high);

	pthread_mutex_init(&spare_lock, NULL);
	for (unsigned int fd = 0; s && fd < h; fd++) {
		struct replysrc *rs = atomic_load(&s[fd]);

		if (rs)
			atomic_store(&rs->lock, 0);
	}
}

void replysrc_program_sets(int fd)
{
	struct replysrc *rs = replysrc_of(fd);

	if (rs)
		atomic_store(&rs->off, 1);
}

void replysrc_bound(int fd, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
	_Atomic(struct replysrc *) *s;
	struct replysrc *rs;
	int saved = errno, v = 0, type = 0;
	socklen_t l = sizeof(v);

	if (!addr || len < (socklen_t)sizeof(*a) || a->sin6_family != AF_INET6 ||
	    !IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr) || a->sin6_port == 0 || fd < 0 ||
	    (unsigned int)fd >= FDTABLE_MAX_FDS)
		return;
	/* a UDP socket (bound as AF_INET6: an IPv6 one) whose program has
	 * not asked for the option itself */
	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_TYPE, &type, &l) != 0 || type != SOCK_DGRAM)
		goto out;
	l = sizeof(v);
	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_PROTOCOL, &v, &l) != 0 || v != IPPROTO_UDP)
		goto out;
	l = sizeof(v);
	if (REAL(getsockopt)(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &v, &l) != 0 || v)
		goto out;
	s = table(1);
	rs = s ? rs_new() : NULL;
	if (rs)
		set_slot(s, fd, rs); /* (else answered as the kernel picks) */
out:
	errno = saved;
}

/* The first receive of this process on rs's socket sets IPV6_RECVPKTINFO:
 * not its bind, so that a socket bound by one process and received on by
 * another it executes (a service manager's or inetd's, odm(7)) never has
 * it; the kernel writes IPV6_PKTINFO at the receive, so a datagram queued
 * before it has it too. */
static void arm(struct replysrc *rs, int fd)
{
	int saved, one = 1;

	if (atomic_load_explicit(&rs->armed, memory_order_relaxed))
		return;
	saved = errno;
	if (REAL(setsockopt)(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) != 0)
		atomic_store(&rs->off, 1); /* as without the shim */
	atomic_store(&rs->armed, 1);
	errno = saved;
}

/* 1 if the kernel says addr is a deprecated address of the host (ODM's
 * are: odmagent(8)); 0 if not, or if it cannot tell */
static int kernel_deprecated(const struct in6_addr *addr)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg ifa;
		struct rtattr a;
		struct in6_addr addr;
	} req;
	union {
		struct nlmsghdr h;
		unsigned char b[1024];
	} ans;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int fd, r = 0;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETADDR;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 1;
	req.ifa.ifa_family = AF_INET6;
	req.ifa.ifa_prefixlen = 128;
	req.a.rta_type = IFA_ADDRESS;
	req.a.rta_len = RTA_LENGTH(sizeof(*addr));
	req.addr = *addr;
	fd = REAL(socket)(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return 0;
	/* the kernel answers before sendto returns: no wait */
	if (REAL(sendto)(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) ==
	    (ssize_t)sizeof(req)) {
		n = REAL(recv)(fd, &ans, sizeof(ans), MSG_DONTWAIT);
		if (n > 0)
			r = addrflags_deprecated(&ans, (size_t)n) > 0;
	}
	real_close(fd);
	return r;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* a datagram from (from, fromlen) came to pi's address (have_pi): its
 * sender's answers go out from it if it is one the kernel never picks */
static void noted(struct replysrc *rs, const void *from, socklen_t fromlen,
		  const struct in6_pktinfo *pi, int have_pi)
{
	struct sockaddr_in6 f;
	uint64_t now;
	int known, answer_from = 0;

	if (!have_pi || !from || fromlen < (socklen_t)sizeof(f))
		return;
	memcpy(&f, from, sizeof(f));
	if (f.sin6_family != AF_INET6)
		return;
	now = now_ms();
	if (!rs_lock(rs))
		return;
	/* (an IPv4 datagram's, v4-mapped, is none of ODM's) */
	known = !addr_is_routable(&pi->ipi6_addr) ||
		replymem_known(&rs->mem, &pi->ipi6_addr, now, &answer_from);
	if (!known) {
		rs_unlock(rs);
		answer_from = kernel_deprecated(&pi->ipi6_addr);
		if (!rs_lock(rs))
			return;
		replymem_learned(&rs->mem, &pi->ipi6_addr, answer_from, now);
	}
	if (answer_from) {
		struct in6_addr was;
		int same = replymem_find(&rs->mem, &f.sin6_addr, f.sin6_port, &was) &&
			   IN6_ARE_ADDR_EQUAL(&was, &pi->ipi6_addr);

		replymem_note(&rs->mem, &f.sin6_addr, f.sin6_port, &pi->ipi6_addr);
		rs_unlock(rs);
		if (!same && shim_debug_on()) {
			char pb[INET6_ADDRSTRLEN], lb[INET6_ADDRSTRLEN];

			inet_ntop(AF_INET6, &f.sin6_addr, pb, sizeof(pb));
			inet_ntop(AF_INET6, &pi->ipi6_addr, lb, sizeof(lb));
			shim_debug("udp server: [%s]:%u sent to %s, deprecated (ODM's): answered "
				   "from it", pb, ntohs(f.sin6_port), lb);
		}
		return;
	}
	replymem_forget(&rs->mem, &f.sin6_addr, f.sin6_port);
	rs_unlock(rs);
}

/* 1 and *src if answers to dst go out from an address the socket learned */
static int source_for(struct replysrc *rs, const struct sockaddr *dst, socklen_t len,
		      struct in6_addr *src)
{
	struct sockaddr_in6 d;
	int r;

	if (!dst || len < (socklen_t)sizeof(d) || dst->sa_family != AF_INET6 ||
	    !__atomic_load_n(&rs->mem.n, __ATOMIC_RELAXED))
		return 0;
	memcpy(&d, dst, sizeof(d));
	if (!rs_lock(rs))
		return 0;
	r = replymem_find(&rs->mem, &d.sin6_addr, d.sin6_port, src);
	rs_unlock(rs);
	return r;
}

/* a send with src failed as one from an address the host no longer has
 * (EINVAL, RFC 3542 §6.1 in Linux): its peer is answered as the kernel
 * picks from now on */
static int src_gone(struct replysrc *rs, const struct sockaddr *dst, int err)
{
	struct sockaddr_in6 d;

	if (err != EINVAL && err != EADDRNOTAVAIL)
		return 0;
	memcpy(&d, dst, sizeof(d));
	if (rs_lock(rs)) {
		replymem_forget(&rs->mem, &d.sin6_addr, d.sin6_port);
		rs_unlock(rs);
	}
	return 1;
}

/* c (room PI_SPACE) holds one IPV6_PKTINFO with src */
static void put_pktinfo(void *c, const struct in6_addr *src)
{
	struct in6_pktinfo pi = { .ipi6_addr = *src };
	struct cmsghdr h = { .cmsg_len = CMSG_LEN(sizeof(pi)), .cmsg_level = IPPROTO_IPV6,
			     .cmsg_type = IPV6_PKTINFO };

	memset(c, 0, PI_SPACE);
	memcpy(c, &h, sizeof(h));
	memcpy((unsigned char *)c + CMSG_LEN(0), &pi, sizeof(pi));
}

/*
 * One received message's name and control data, from the shim's buffers
 * (kname, knamelen; kctl, kctllen) to the program's msg as the kernel
 * would have written them, and its sender noted. kflags: the kernel's.
 */
static void hand_over(struct replysrc *rs, struct msghdr *msg, const void *kname,
		      socklen_t knamelen, const void *kctl, size_t kctllen, int kflags,
		      int remember)
{
	struct in6_pktinfo pi;
	int have_pi, ctrunc;
	size_t used;

	used = cmsgstrip(kctl, kctllen, msg->msg_control, msg->msg_control ? msg->msg_controllen : 0,
			 &ctrunc, &pi, &have_pi);
	msg->msg_controllen = used;
	msg->msg_flags = (kflags & ~MSG_CTRUNC) | (ctrunc || (kflags & MSG_CTRUNC) ? MSG_CTRUNC : 0);
	if (msg->msg_name) {
		memcpy(msg->msg_name, kname,
		       knamelen < msg->msg_namelen ? knamelen : msg->msg_namelen);
		msg->msg_namelen = knamelen;
	}
	if (remember)
		noted(rs, kname, knamelen, &pi, have_pi);
}

/* a received message's control room for a program that gave ctllen */
static size_t ctl_room(size_t ctllen)
{
	return CMSG_ALIGN(ctllen) + PI_SPACE;
}

ssize_t replysrc_recvmsg(struct replysrc *rs, int fd, struct msghdr *msg, int flags)
{
	union {
		struct cmsghdr h;
		unsigned char b[STACK_CTL + PI_SPACE];
	} stack_ctl;
	struct sockaddr_in6 name;
	struct msghdr k;
	size_t room;
	void *ctl;
	ssize_t r;
	int saved;

	if (!msg)
		return REAL(recvmsg)(fd, msg, flags);
	arm(rs, fd);
	room = ctl_room(msg->msg_control ? msg->msg_controllen : 0);
	ctl = room <= sizeof(stack_ctl) ? stack_ctl.b : malloc(room);
	if (!ctl) {
		errno = ENOMEM;
		return -1;
	}
	k = *msg;
	k.msg_name = &name;
	k.msg_namelen = sizeof(name);
	k.msg_control = ctl;
	k.msg_controllen = room;
	r = REAL(recvmsg)(fd, &k, flags);
	saved = errno;
	if (r >= 0)
		hand_over(rs, msg, &name, k.msg_namelen, ctl, k.msg_controllen, k.msg_flags,
			  !(flags & MSG_ERRQUEUE));
	if (ctl != stack_ctl.b)
		free(ctl);
	errno = saved;
	return r;
}

ssize_t replysrc_recvfrom(struct replysrc *rs, int fd, void *buf, size_t n, int flags,
			  struct sockaddr *addr, socklen_t *len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = n };
	struct msghdr m = { .msg_name = addr, .msg_namelen = addr && len ? *len : 0,
			    .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t r;

	if (!addr || !len)
		m.msg_name = NULL;
	r = replysrc_recvmsg(rs, fd, &m, flags);
	if (r >= 0 && m.msg_name)
		*len = m.msg_namelen;
	return r;
}

int replysrc_recvmmsg(struct replysrc *rs, int fd, struct mmsghdr *vec, unsigned int vlen,
		      int flags, struct timespec *timeout)
{
	struct saved_hdr {
		void *name, *ctl;
		socklen_t namelen;
		size_t ctllen;
	} *sv;
	struct sockaddr_in6 *names;
	unsigned char *ctls;
	size_t *off, total = 0;
	unsigned int i, cnt = vlen > 1024 ? 1024 : vlen; /* the kernel's UIO_MAXIOV */
	int r, saved;

	if (!vec || !cnt)
		return REAL(recvmmsg)(fd, vec, vlen, flags, timeout);
	arm(rs, fd);
	for (i = 0; i < cnt; i++)
		total += ctl_room(vec[i].msg_hdr.msg_control ? vec[i].msg_hdr.msg_controllen : 0);
	sv = malloc(cnt * (sizeof(*sv) + sizeof(*names) + sizeof(*off)) + total + 16);
	if (!sv) {
		errno = ENOMEM;
		return -1;
	}
	names = (struct sockaddr_in6 *)(sv + cnt);
	off = (size_t *)(names + cnt);
	ctls = (unsigned char *)(off + cnt);
	ctls += (16 - ((uintptr_t)ctls & 15)) & 15;
	total = 0;
	for (i = 0; i < cnt; i++) {
		struct msghdr *h = &vec[i].msg_hdr;

		sv[i] = (struct saved_hdr){ h->msg_name, h->msg_control, h->msg_namelen,
					    h->msg_controllen };
		off[i] = total;
		h->msg_name = &names[i];
		h->msg_namelen = sizeof(names[i]);
		h->msg_control = ctls + total;
		h->msg_controllen = ctl_room(sv[i].ctl ? sv[i].ctllen : 0);
		total += h->msg_controllen;
	}
	r = REAL(recvmmsg)(fd, vec, cnt, flags, timeout);
	saved = errno;
	for (i = 0; i < cnt; i++) {
		struct msghdr *h = &vec[i].msg_hdr;
		socklen_t knamelen = h->msg_namelen;
		size_t kctllen = h->msg_controllen;
		int kflags = h->msg_flags;

		h->msg_name = sv[i].name;
		h->msg_namelen = sv[i].namelen;
		h->msg_control = sv[i].ctl;
		h->msg_controllen = sv[i].ctllen;
		if (r > 0 && i < (unsigned int)r)
			hand_over(rs, h, &names[i], knamelen, ctls + off[i], kctllen, kflags,
				  !(flags & MSG_ERRQUEUE));
	}
	free(sv);
	errno = saved;
	return r;
}

/* m, to send, with IPV6_PKTINFO src put before its control data, in ctl
 * (room ctl_room(m->msg_controllen)). Before, not after: the kernel walks
 * the program's messages (CMSG_NXTHDR, cmsg(3)) up to its msg_controllen,
 * which may end past its last message by less than a header (left
 * unread); one put after would start in that tail, and the send fail
 * (EINVAL) or the source be skipped. Shifted by PI_SPACE, a multiple of
 * the alignment, the program's walk is the same as without the shim. */
static void with_source(struct msghdr *m, void *ctl, const struct in6_addr *src)
{
	size_t have = m->msg_control ? m->msg_controllen : 0;

	put_pktinfo(ctl, src);
	if (have)
		memcpy((unsigned char *)ctl + PI_SPACE, m->msg_control, have);
	m->msg_control = ctl;
	m->msg_controllen = PI_SPACE + have;
}

/* 1 and *src if msg, to send on rs's socket, is to get a source */
static int wants_source(struct replysrc *rs, const struct msghdr *msg, struct in6_addr *src)
{
	return msg && msg->msg_name && msg->msg_namelen &&
	       !(msg->msg_control && cmsg_has_pktinfo(msg->msg_control, msg->msg_controllen)) &&
	       source_for(rs, msg->msg_name, msg->msg_namelen, src);
}

ssize_t replysrc_sendmsg(struct replysrc *rs, int fd, const struct msghdr *msg, int flags)
{
	union {
		struct cmsghdr h;
		unsigned char b[STACK_CTL + PI_SPACE];
	} stack_ctl;
	struct in6_addr src;
	struct msghdr k;
	size_t room;
	void *ctl;
	ssize_t r;

	if (!wants_source(rs, msg, &src))
		return REAL(sendmsg)(fd, msg, flags);
	k = *msg;
	room = ctl_room(msg->msg_control ? msg->msg_controllen : 0);
	ctl = room <= sizeof(stack_ctl) ? stack_ctl.b : malloc(room);
	if (!ctl) {
		errno = ENOMEM;
		return -1;
	}
	with_source(&k, ctl, &src);
	r = REAL(sendmsg)(fd, &k, flags);
	if (r < 0 && src_gone(rs, msg->msg_name, errno))
		r = REAL(sendmsg)(fd, msg, flags);
	if (ctl != stack_ctl.b) {
		int saved = errno;

		free(ctl);
		errno = saved;
	}
	return r;
}

ssize_t replysrc_sendto(struct replysrc *rs, int fd, const void *buf, size_t n, int flags,
			const struct sockaddr *addr, socklen_t len)
{
	union {
		struct cmsghdr h;
		unsigned char b[PI_SPACE];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = n };
	struct msghdr m = { .msg_name = (void *)addr, .msg_namelen = len, .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	struct in6_addr src;
	ssize_t r;

	if (!source_for(rs, addr, len, &src))
		return REAL(sendto)(fd, buf, n, flags, addr, len);
	put_pktinfo(ctl.b, &src);
	r = REAL(sendmsg)(fd, &m, flags);
	if (r < 0 && src_gone(rs, addr, errno))
		r = REAL(sendto)(fd, buf, n, flags, addr, len);
	return r;
}

int replysrc_sendmmsg(struct replysrc *rs, int fd, struct mmsghdr *vec, unsigned int vlen,
		      int flags)
{
	struct mmsghdr *k;
	unsigned char *ctls;
	struct in6_addr src;
	unsigned int i, cnt = vlen > 1024 ? 1024 : vlen, any = 0;
	size_t total = 0;
	int r, saved;

	if (!vec || !cnt || !__atomic_load_n(&rs->mem.n, __ATOMIC_RELAXED))
		return REAL(sendmmsg)(fd, vec, vlen, flags);
	for (i = 0; i < cnt; i++)
		total += ctl_room(vec[i].msg_hdr.msg_control ? vec[i].msg_hdr.msg_controllen : 0);
	k = malloc(cnt * sizeof(*k) + total + 16);
	if (!k) {
		errno = ENOMEM;
		return -1;
	}
	ctls = (unsigned char *)(k + cnt);
	ctls += (16 - ((uintptr_t)ctls & 15)) & 15;
	total = 0;
	for (i = 0; i < cnt; i++) {
		k[i] = vec[i];
		if (wants_source(rs, &vec[i].msg_hdr, &src)) {
			with_source(&k[i].msg_hdr, ctls + total, &src);
			/* (the next one aligned) */
			total += ctl_room(vec[i].msg_hdr.msg_control ?
						  vec[i].msg_hdr.msg_controllen : 0);
			any = 1;
		}
	}
	r = any ? REAL(sendmmsg)(fd, k, cnt, flags) : REAL(sendmmsg)(fd, vec, vlen, flags);
	saved = errno;
	if (any && r < 0 && vec[0].msg_hdr.msg_name &&
	    k[0].msg_hdr.msg_control != vec[0].msg_hdr.msg_control &&
	    src_gone(rs, vec[0].msg_hdr.msg_name, saved)) {
		/* the first's source is gone: it goes as the kernel picks (the
		 * others, maybe the same, are sent by the program's next call) */
		k[0] = vec[0];
		r = REAL(sendmmsg)(fd, k, 1, flags);
		saved = errno;
	}
	if (any)
		for (i = 0; r > 0 && i < (unsigned int)r; i++)
			vec[i].msg_len = k[i].msg_len;
	free(k);
	errno = saved;
	return r;
}
