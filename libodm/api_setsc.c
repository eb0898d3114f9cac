/* SPDX-License-Identifier: MIT */
/*
 * api_setsc.c — the RFC 8653 §6.1 calls setsc() and getsc(), and setsc_to(),
 * the variant that knows the peer (odm.h, setsc(3)).
 *
 * A Session-lasting address comes from an anchor; the only anchor ODM has
 * today is the destination's Corresponding Home Agent, found by name
 * (cha.<host>). setsc_to() takes the host name when the caller gives one
 * (cached by name, else looked up now: chalookup.h); without it, the entry
 * getaddrinfo() recorded for the address (hook_getaddrinfo.c, only in a
 * process whose type wants a CHA). Then it leases from
 * that CHA through the agent, exactly as the connect() hook would
 * (shim_connect.c): the same lease request, the same reuse of a lease one
 * of the process's sockets already holds (heldlease.h), the same fresh
 * request when IPV6_REQUIRE_SRC_ON_NET is set (hook_sockopt.c). The lease is
 * recorded on the fd (fdtable.h), so connect() does not lease again, and
 * close() sends the release hint. Unlike connect(), nothing is bound: the
 * application binds the address it got (RFC 8653 §4).
 *
 * setsc() has no peer, and ODM has no peer-independent anchor yet, so it
 * offers only Non-persistent: the source the kernel picks for a global
 * destination, found with a connected UDP socket (which sends nothing).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "agent_client.h"
#include "chacache.h"
#include "chalookup.h"
#include "chashare.h"
#include "fdtable.h"
#include "guard.h"
#include "heldlease.h"
#include "libc_real.h"
#include "odm.h"
#include "shim_connect.h"
#include "shim_log.h"
#include "shim_policy.h"

/*
 * A global destination for source selection (RFC 6724 §5): 2001:db8::/32
 * is the documentation prefix; connect() on a UDP socket only routes, it
 * sends no packet.
 */
static const struct in6_addr probe_dst = { { { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0,
					       0, 0, 0, 0, 1 } } };

/* The host's current access address: 0, or -errno (no route: no network). */
static int access_addr(struct in6_addr *out)
{
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6, .sin6_port = htons(9),
				    .sin6_addr = probe_dst };
	struct sockaddr_in6 me;
	socklen_t l = sizeof(me);
	int s, r = 0;

	s = REAL(socket)(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (s < 0)
		return -errno;
	if (REAL(connect)(s, (const struct sockaddr *)&dst, sizeof(dst)) != 0 ||
	    getsockname(s, (struct sockaddr *)&me, &l) != 0)
		r = -errno;
	else
		*out = me.sin6_addr;
	real_close(s);
	return r;
}

static int sys_error(int err)
{
	errno = err;
	return EAI_SYSTEM;
}

/* Non-persistent: no lease, the fd is settled as plain (connect() leaves it). */
static int non_persistent(int fd, struct in6_addr *src)
{
	int r = access_addr(src);

	if (r < 0) {
		shim_debug("setsc fd %d: no access address (%s)", fd, strerror(-r));
		return EAI_REQUIREDIPFAILED;
	}
	fdtable_mark_seen(fdtable_global(1), fd);
	return 0;
}

/*
 * fd takes the lease al of type for proto toward cha, into *src: 0 or an
 * EAI_* code. held: al is one of the process's held leases (heldlease.h),
 * not asked for this call. Another thread's setsc() on the same socket may
 * have recorded its lease meanwhile (neither holds a lock while the agent
 * answers): the socket keeps that one, answered as a lease it had before
 * the call (its address for the same type, else EISCONN), and al, which no
 * socket takes, is given back as a close gives back a lease.
 */
static int record(int fd, const struct agent_lease *al, int type, int pnum,
		  const struct in6_addr *cha, int held, struct in6_addr *src)
{
	struct fd_lease fl, first;
	int r;

	memset(&fl, 0, sizeof(fl));
	fl.addr = al->addr;
	fl.type = type;
	memcpy(fl.lease, al->lease, sizeof(fl.lease));
	r = fdtable_track_first(fdtable_global(1), fd, &fl, &first);
	if (r != 0) {
		/* (the process's other sockets may hold the same address) */
		if (!held && !(r == 1 && IN6_ARE_ADDR_EQUAL(&first.addr, &al->addr)) &&
		    heldlease_held(&al->addr) == 0)
			agent_release(&al->addr);
		if (r < 0)
			return sys_error(-r);
		shim_debug("setsc fd %d: another thread's call gave the socket its %s lease first",
			   fd, odm_type_name(first.type));
		if (first.type != type)
			return sys_error(EISCONN);
		*src = first.addr;
		return 0;
	}
	/* a fresh address (IPV6_REQUIRE_SRC_ON_NET) is its socket's own: never
	 * offered to the process's other sockets (as in shim_connect.c) */
	if (!(fdtable_prefs(fdtable_global(1), fd) & IPV6_REQUIRE_SRC_ON_NET))
		heldlease_note(type, pnum, cha, &al->addr, al->lease);
	*src = al->addr;
	return 0;
}

/*
 * The CHA of host (by name: the cache, else a lookup now, bounded by
 * CHALOOKUP_MAX_WAIT_MS), recorded for dst too; without host, the one
 * recorded for dst. CHA_FOUND, CHA_NONE or CHA_MISS (unknown).
 */
static int cha_of(const char *host, const struct in6_addr *dst, struct in6_addr *cha)
{
	uint64_t now = chacache_now_ms();
	struct cha_query *q;
	uint32_t ttl = 0;
	int r;

	if (!host) {
		r = chacache_get_addr(chacache_by_addr(), dst, cha, NULL, now);
		/* a getaddrinfo() before may still be waiting for its cha answer */
		if (r == CHA_MISS && !chalookup_wait_dst(dst, &r, cha))
			chalookup_refresh_dst(dst, &r, cha);
		return r;
	}
	r = chacache_get_name(chacache_by_name(), host, cha, &ttl, now);
	if (r == CHA_MISS) {
		int skip, probe = 0;

		q = chalookup_start(host);
		if (!q)
			return CHA_MISS;
		/* the query out, the agent is asked whether the user's other
		 * processes got no answer for it lately (chashare.h) */
		skip = chashare_skip(host, &probe);
		r = chalookup_finish(q, skip ? 0 : now + CHALOOKUP_MAX_WAIT_MS, cha, &ttl);
		if (!skip)
			chashare_said(host, r, probe);
		now = chacache_now_ms();
		/* no answer: the last one host gave dst, as a connect has it
		 * (serve-stale, RFC 8767) */
		if (r < 0)
			return chalookup_stale(host, dst, cha, now);
		chacache_put_name(chacache_by_name(), host, r == CHA_FOUND ? cha : NULL, ttl, now);
	}
	/* host's answer is this socket's; for dst, as the later connects of
	 * the process find it, it is one name's among others (chalookup.h) */
	chalookup_record(host, dst, 1, r, cha, ttl, now);
	return r;
}

/*
 * An address of type from the agent's own anchors (no CHA): the access
 * router's anchor or the home anchor (odm(7)). A plain answer means no
 * anchor could provide it here: EAI_REQUIREDIPFAILED.
 */
static int agent_anchored(int fd, struct in6_addr *src, sc_type type, const char *proto,
			  const struct in6_addr *dst)
{
	struct agent_lease al;
	int pnum = strcmp(proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	int on_net = (fdtable_prefs(fdtable_global(1), fd) & IPV6_REQUIRE_SRC_ON_NET) != 0;
	int r = agent_lease(type, dst, NULL, proto, on_net, &al);

	if (r <= 0) {
		shim_debug("setsc fd %d: %s", fd, r == 0 ? "no anchor for it here" : strerror(-r));
		return r == -EOPNOTSUPP ? EAI_REQUIREDIPNOTSUPPORTED : EAI_REQUIREDIPFAILED;
	}
	return record(fd, &al, type, pnum, &in6addr_any, 0, src);
}

static int session_lasting(int fd, struct in6_addr *src, const char *proto,
			   const struct sockaddr_in6 *d6, const char *host)
{
	struct fdtable *t = fdtable_global(1);
	struct agent_lease al;
	struct in6_addr cha;
	int pnum = strcmp(proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	int on_net, r;

	r = cha_of(host, &d6->sin6_addr, &cha);
	if (r == CHA_MISS) {
		shim_debug("setsc fd %d: the destination's cha is unknown", fd);
		return EAI_REQUIREDIPFAILED;
	}
	if (r != CHA_FOUND) {
		shim_debug("setsc fd %d: the destination has no cha", fd);
		return agent_anchored(fd, src, SESSION_LASTING_IPV6_ADDRESS, proto,
				      &d6->sin6_addr);
	}
	on_net = (fdtable_prefs(t, fd) & IPV6_REQUIRE_SRC_ON_NET) != 0;
	if (!on_net && heldlease_lookup(SESSION_LASTING_IPV6_ADDRESS, pnum, &cha, &al.addr,
					al.lease, sizeof(al.lease))) {
		return record(fd, &al, SESSION_LASTING_IPV6_ADDRESS, pnum, &cha, 1, src);
	}
	r = agent_lease(SESSION_LASTING_IPV6_ADDRESS, &d6->sin6_addr, &cha, proto, on_net, &al);
	if (r == 0)
		return EAI_REQUIREDIPNOTSUPPORTED; /* the agent's policy: plain */
	if (r < 0) {
		shim_debug("setsc fd %d: lease failed (%s)", fd, strerror(-r));
		/* the agent's policy refuses the type to this program or user */
		return r == -EOPNOTSUPP ? EAI_REQUIREDIPNOTSUPPORTED : EAI_REQUIREDIPFAILED;
	}
	return record(fd, &al, SESSION_LASTING_IPV6_ADDRESS, pnum, &cha, 0, src);
}

/* Fixed: the host's one address at its home anchor; dst (:: without a peer)
 * only tells the agent's log what it is for. */
static int fixed(int fd, struct in6_addr *src, const char *proto, const struct in6_addr *dst)
{
	int pnum = strcmp(proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	struct agent_lease al;
	int r = agent_lease(FIXED_IPV6_ADDRESS, dst, NULL, proto, 0, &al);

	if (r <= 0) {
		shim_debug("setsc fd %d: no Fixed address (%s)", fd, r ? strerror(-r) : "plain");
		/* not offered (no home anchor) or refused by the agent's policy */
		return r == 0 || r == -EOPNOTSUPP ? EAI_REQUIREDIPNOTSUPPORTED :
						    EAI_REQUIREDIPFAILED;
	}
	return record(fd, &al, FIXED_IPV6_ADDRESS, pnum, &in6addr_any, 0, src);
}

/* fd's protocol (shim_socket_proto), or NULL with errno EBADF or ENOTSOCK
 * (no socket), else EINVAL (not an AF_INET6 TCP or UDP one): never an
 * errno the program's last failed call left */
static const char *socket_proto(int fd)
{
	const char *proto;

	errno = 0;
	proto = shim_socket_proto(fd);
	if (!proto && errno != EBADF && errno != ENOTSOCK)
		errno = EINVAL;
	return proto;
}

/* An IPv4 destination, v4-mapped (::ffff:0:0/96) in dst: no type but
 * Non-persistent applies, ODM's addresses being IPv6 (odm(7) CAVEATS) */
static int ipv4_dst(int fd, const struct sockaddr *dst, socklen_t len)
{
	/* (dst, when given, is a whole sockaddr_in6: do_setsc checked it) */
	if (!shim_policy_dst_ipv4(dst, len))
		return 0;
	shim_debug("setsc fd %d: an IPv4 destination (IPv4-mapped): no anchored type applies "
		   "(ODM's addresses are IPv6)",
		   fd);
	return 1;
}

/*
 * 0 if fd has no source yet, else the errno that says it has one: EISCONN
 * connected, EINVAL bound (a port: bind(2), a listen, a UDP send, a
 * connect under way). RFC 8653 §3 asks for the type before the address is
 * chosen: an address given now could not be bound (bind(2): EINVAL), and
 * a connected socket keeps the source it has, whatever the call said.
 */
static int has_source(int fd)
{
	struct sockaddr_in6 sa;
	socklen_t l = sizeof(sa);

	if (getpeername(fd, (struct sockaddr *)&sa, &l) == 0)
		return EISCONN;
	l = sizeof(sa);
	/* an address without a port is bound too (IP_BIND_ADDRESS_NO_PORT) */
	if (getsockname(fd, (struct sockaddr *)&sa, &l) == 0 &&
	    (sa.sin6_port != 0 || !IN6_IS_ADDR_UNSPECIFIED(&sa.sin6_addr)))
		return EINVAL;
	return 0;
}

/* The checks and the type dispatch shared by setsc() and setsc_to(). */
static int do_setsc(int fd, struct in6_addr *src, sc_type type, const struct sockaddr *dst,
		    socklen_t len, const char *host)
{
	const char *proto;
	struct fd_lease held;
	int r;

	if (!src)
		return sys_error(EINVAL);
	/* a dst that is no sockaddr_in6 is a bad argument whatever the type,
	 * Non-persistent's included, which does not use it (setsc(3)) */
	if (dst && (len < (socklen_t)sizeof(struct sockaddr_in6) || dst->sa_family != AF_INET6))
		return sys_error(EINVAL);
	proto = socket_proto(fd);
	if (!proto)
		return sys_error(errno);
	/* a number that is no type is a bad argument, whatever the socket
	 * holds (not EISCONN on a leased one), toward any destination */
	if (type < FIXED_IPV6_ADDRESS || type > GRACEFUL_REPLACEMENT_IPV6_ADDRESS)
		return sys_error(EINVAL);
	/* already decided by an earlier setsc: the same type answers at once */
	if (fdtable_get(fdtable_global(0), fd, &held)) {
		if (held.type != type)
			return sys_error(EISCONN);
		*src = held.addr;
		return 0;
	}
	if ((r = has_source(fd)) != 0) {
		shim_debug("setsc fd %d: the socket is %s already: too late for a type", fd,
			   r == EISCONN ? "connected" : "bound");
		return sys_error(r);
	}
	if (type != NON_PERSISTENT_IPV6_ADDRESS && ipv4_dst(fd, dst, len))
		return EAI_REQUIREDIPNOTSUPPORTED; /* no lease, no Binding Update */
	switch (type) {
	case NON_PERSISTENT_IPV6_ADDRESS:
		return non_persistent(fd, src);
	case SESSION_LASTING_IPV6_ADDRESS:
		if (!dst) /* no peer: the host's own anchors */
			return agent_anchored(fd, src, type, proto, &in6addr_any);
		return session_lasting(fd, src, proto, (const struct sockaddr_in6 *)dst, host);
	case FIXED_IPV6_ADDRESS:
		return fixed(fd, src, proto,
			     dst ? &((const struct sockaddr_in6 *)dst)->sin6_addr : &in6addr_any);
	case GRACEFUL_REPLACEMENT_IPV6_ADDRESS:
		/* the current access address, anchored at the access router */
		return agent_anchored(fd, src, type, proto,
				      dst ? &((const struct sockaddr_in6 *)dst)->sin6_addr :
					    &in6addr_any);
	default: /* (no type: refused above) */
		return sys_error(EINVAL);
	}
}

int setsc_to(int sockfd, struct in6_addr *sourceAddress, sc_type addressType,
	     const struct sockaddr *dst, socklen_t dstlen, const char *host)
{
	int saved = errno, r;

	if (!dst)
		return sys_error(EINVAL);
	guard_enter();
	r = do_setsc(sockfd, sourceAddress, addressType, dst, dstlen, host);
	guard_leave();
	if (r != EAI_SYSTEM)
		errno = saved;
	return r;
}

int setsc(int sockfd, struct in6_addr *sourceAddress, sc_type addressType)
{
	int saved = errno, r;

	guard_enter();
	r = do_setsc(sockfd, sourceAddress, addressType, NULL, 0, NULL);
	guard_leave();
	if (r != EAI_SYSTEM)
		errno = saved;
	return r;
}

int getsc(int sockfd, struct in6_addr *sourceAddress, sc_type *addressType)
{
	struct sockaddr_in6 me;
	socklen_t l = sizeof(me);
	struct fd_lease fl;
	int r = 0;

	if (!sourceAddress || !addressType)
		return sys_error(EINVAL);
	guard_enter();
	if (fdtable_get(fdtable_global(0), sockfd, &fl)) {
		*sourceAddress = fl.addr;
		*addressType = (sc_type)fl.type;
	} else if (!socket_proto(sockfd)) {
		r = sys_error(errno);
	} else if (getsockname(sockfd, (struct sockaddr *)&me, &l) != 0) {
		r = sys_error(errno);
	} else {
		/* no lease: the socket's own address, of the current network */
		*sourceAddress = me.sin6_addr;
		*addressType = NON_PERSISTENT_IPV6_ADDRESS;
	}
	guard_leave();
	return r;
}
