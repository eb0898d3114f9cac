/* SPDX-License-Identifier: MIT */
/* shim_connect.c — lease and bind before the first send (see shim_connect.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_client.h"
#include "chacache.h"
#include "chalookup.h"
#include "fdtable.h"
#include "guard.h"
#include "heldlease.h"
#include "libc_real.h"
#include "odm.h"
#include "ownpid.h"
#include "shim_connect.h"
#include "threadserial.h"
#include "shim_env.h"
#include "shim_log.h"
#include "shim_policy.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/*
 * ODM_TYPE's type, or ODM_TYPE_NONE (a bad value said once on stderr): read
 * once, at the first getaddrinfo or socket decided, and kept (getenv walks
 * the whole environment, and this runs in every connect()): its value then,
 * or, when the program has cleared it from its environment by then (nginx's
 * worker processes keep only TZ), the value it was started with
 * (shim_env.h). A program that changes its ODM_TYPE later does not change
 * its type (odm(7)).
 */
#define ENV_TYPE_UNREAD (-100)
static int env_type_read = ENV_TYPE_UNREAD;

static int env_type(void)
{
	static int said_bad;
	const char *env;
	int bad, t = __atomic_load_n(&env_type_read, __ATOMIC_RELAXED);

	if (t != ENV_TYPE_UNREAD)
		return t;
	env = shim_env(SHIM_ENV_TYPE);
	t = shim_policy_type(env, -1, &bad);
	if (bad) {
		char v[48];

		/* quoted, so blanks show; cut long values, and say so */
		shim_warn_once(&said_bad,
			       "%s=\"%s\"%s names no address type (session-lasting, fixed, "
			       "non-persistent, graceful-replacement, or 1-4): the agent's "
			       "default type applies",
			       SHIM_TYPE_ENV, shim_log_clean(v, sizeof(v), env),
			       strlen(env) >= sizeof(v) ? " (cut)" : "");
	}
	__atomic_store_n(&env_type_read, t, __ATOMIC_RELAXED);
	return t;
}

int shim_process_type(void)
{
	int t = env_type();

	/* Only now ask the agent: with ODM_TYPE set no hello is needed. */
	return t != ODM_TYPE_NONE ? t : agent_default_type();
}

int shim_process_type_known(void)
{
	int t = env_type();

	return t != ODM_TYPE_NONE ? t : agent_default_type_known();
}

/*
 * A look at fd that failed with err: 0 when fd is no socket (EBADF,
 * ENOTSOCK: the program's call says so itself), else -err: the kernel
 * would not let the socket be looked at, as a seccomp filter that returns
 * an error for getsockopt(2) or getsockname(2) makes it (seccomp(2),
 * SECCOMP_RET_ERRNO), and the shim cannot tell what it is
 */
static int look_failed(int err)
{
	return err == EBADF || err == ENOTSOCK ? 0 : -err;
}

/* 1 if fd is an AF_INET6 socket, its type and protocol read (socket(7));
 * 0 if it is not, or no socket; -errno if it could not be looked at
 * (look_failed) */
static int socket_inet6(int fd, int *type, int *proto)
{
	int domain = 0;
	socklen_t l = sizeof(int);

	*type = *proto = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l) != 0)
		return look_failed(errno);
	if (domain != AF_INET6)
		return 0;
	l = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, type, &l) != 0)
		return look_failed(errno);
	l = sizeof(int);
	return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, proto, &l) == 0 ? 1 : look_failed(errno);
}

/* "tcp" (MPTCP too, as mptcpize makes), "udp", or NULL: any other kind */
static const char *proto_name(int type, int proto)
{
	if (type == SOCK_STREAM && (proto == IPPROTO_TCP || proto == IPPROTO_MPTCP))
		return "tcp";
	return type == SOCK_DGRAM && proto == IPPROTO_UDP ? "udp" : NULL;
}

const char *shim_socket_proto(int fd)
{
	int type, proto;

	if (socket_inet6(fd, &type, &proto) <= 0)
		return NULL;
	return proto_name(type, proto);
}

/* fd's own address into *me (zeroed first): 0, or -1 (errno) */
static int own_name(int fd, struct sockaddr_in6 *me)
{
	socklen_t l = sizeof(*me);

	memset(me, 0, sizeof(*me));
	return getsockname(fd, (struct sockaddr *)me, &l);
}

/*
 * Whether fd's source is still ours to choose before what (the call):
 * SB_NONE, not bound yet (getsockname says :: port 0); SB_LEAVE, the
 * program chose it: bound to an address, or bound to a port only (bind(::,
 * port), or port 0, which picks one at once) and sending with an address
 * (a server's replies); SB_PORT, bound to a port only and connecting: it
 * can take no other address any more (bind(2) says EINVAL), *port set;
 * SB_BLIND, getsockname(2) refused (look_failed), its source unknown:
 * *port is then the refusal's errno.
 */
enum { SB_LEAVE, SB_NONE, SB_PORT, SB_BLIND };
static int socket_unbound(int fd, const char *what, unsigned *port)
{
	struct sockaddr_in6 me;

	if (own_name(fd, &me) != 0) {
		if (!look_failed(errno))
			return SB_LEAVE;
		*port = (unsigned)errno;
		return SB_BLIND;
	}
	if (!IN6_IS_ADDR_UNSPECIFIED(&me.sin6_addr))
		return SB_LEAVE;
	if (me.sin6_port == 0)
		return SB_NONE;
	*port = ntohs(me.sin6_port);
	return strcmp(what, "connect") == 0 ? SB_PORT : SB_LEAVE;
}

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36 /* linux/in6.h */
#endif

/* 1 if fd sends with hop limit 255 (IPV6_UNICAST_HOPS or
 * IPV6_MULTICAST_HOPS, ipv6(7)), as a Neighbor Discovery sender must
 * (RFC 4861 §6.1.1, §7.1.1) and sets once on its socket (radvd, ndisc6) */
static int nd_hops(int fd)
{
	int opts[] = { IPV6_UNICAST_HOPS, IPV6_MULTICAST_HOPS }, hops;
	socklen_t l;

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		hops = 0;
		l = sizeof(hops);
		if (getsockopt(fd, IPPROTO_IPV6, opts[i], &hops, &l) == 0 && hops == 255)
			return 1;
	}
	return 0;
}

/*
 * fd, an AF_INET6 socket that is neither TCP nor UDP (an ICMPv6 one, as
 * ping's, a raw one, UDP-Lite, SCTP): its words in kind, and 1. The agent
 * leases to TCP and UDP sockets only (its sock_diag listings of them say
 * whether a lease is in use), so such a socket can have no lease; the
 * host's Fixed address, which no socket holds, it can have. *bound, as
 * socket_unbound says before what: SB_LEAVE when its source is the
 * program's already (bound to an address, or a raw socket that writes its
 * own IPv6 header: IPPROTO_RAW, IPV6_HDRINCL, raw(7); a raw ICMPv6 one
 * that sends with hop limit 255, Neighbor Discovery's, whose source must
 * be an address of the link, never the Fixed one), or when it is bound
 * to a port on :: (*port) and sends with an address (a UDP-Lite or SCTP
 * server's replies: it can take no other address, bind(2) says EINVAL);
 * SB_PORT, so bound and connecting (a socket of streams connects whatever
 * the call, as TCP); SB_BLIND (*port the errno), refused a look at it
 * (look_failed), whatever it is; else SB_NONE. A raw socket's port is its protocol
 * (raw(7)): its address alone counts. 2 for a socket of streams
 * (SOCK_STREAM, SOCK_SEQPACKET), 1 for one of datagrams; 0 for TCP, UDP,
 * or a socket of another family (the kernel says what it makes of an IPv6
 * address there).
 */
static int socket_other(int fd, const char *what, char *kind, size_t len, int *bound,
			unsigned *port)
{
	int type, proto, hdrincl = 0, r;
	struct sockaddr_in6 me;
	socklen_t l;

	*bound = SB_NONE;
	*port = 0;
	r = socket_inet6(fd, &type, &proto);
	if (r < 0) {
		snprintf(kind, len, "a socket of an unknown kind");
		*bound = SB_BLIND;
		*port = (unsigned)-r;
		return 1;
	}
	if (!r || proto_name(type, proto))
		return 0;
	if (type == SOCK_RAW && proto == IPPROTO_ICMPV6 && nd_hops(fd)) {
		snprintf(kind, len, "a raw ICMPv6 socket with hop limit 255 (Neighbor Discovery's: "
			 "its source one of the link's, RFC 4861 §6.1)");
		*bound = SB_LEAVE;
		return 1;
	}
	if (type == SOCK_RAW)
		snprintf(kind, len, "a raw socket of protocol %d", proto);
	else if (proto == IPPROTO_ICMPV6)
		snprintf(kind, len, "an ICMPv6 socket");
	else if (proto == IPPROTO_UDPLITE)
		snprintf(kind, len, "a UDP-Lite socket");
	else if (proto == IPPROTO_SCTP)
		snprintf(kind, len, "an SCTP socket");
	else
		snprintf(kind, len, "a socket of type %d, protocol %d", type, proto);
	l = sizeof(int);
	if (type == SOCK_RAW) {
		if ((own_name(fd, &me) == 0 && !IN6_IS_ADDR_UNSPECIFIED(&me.sin6_addr)) ||
		    proto == IPPROTO_RAW ||
		    (getsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &hdrincl, &l) == 0 && hdrincl))
			*bound = SB_LEAVE;
	} else {
		*bound = socket_unbound(fd, type == SOCK_STREAM ? "connect" : what, port);
	}
	return type == SOCK_STREAM || type == SOCK_SEQPACKET ? 2 : 1;
}

/* ODM_DEBUG: fd, found SB_LEAVE, is bound to an address of the program's
 * choosing, which it keeps (odm(7)): said, or a program that picks its
 * source itself (ngtcp2's client binds the one its route names) would go
 * out plain with nothing said about it */
static void say_own_address(int fd, const char *what, const char *dbuf)
{
	struct sockaddr_in6 me;
	char abuf[INET6_ADDRSTRLEN];

	if (!shim_debug_on() || own_name(fd, &me) != 0 || me.sin6_family != AF_INET6 ||
	    IN6_IS_ADDR_UNSPECIFIED(&me.sin6_addr))
		return;
	inet_ntop(AF_INET6, &me.sin6_addr, abuf, sizeof(abuf));
	shim_debug("%s fd %d -> %s: bound by the program to %s, which it keeps: plain", what, fd,
		   dbuf, abuf);
}

/* 1 if what (the call) connects a TCP socket: connect(), or a sendto() or
 * sendmsg() with MSG_FASTOPEN, which connects and sends at once (tcp(7)) */
static int connects(const char *what)
{
	return strcmp(what, "connect") == 0 || strstr(what, "(MSG_FASTOPEN)") != NULL;
}

/* ODM_DEBUG: fd, found SB_LEAVE (port: the one it is bound to on ::, or
 * 0), keeps the source it has: a server's replies, or one the program
 * chose. Its port may be the kernel's, taken by a datagram to an IPv4 peer
 * before (a dual-stack socket, odm(7) CAVEATS) */
static void say_left(int fd, const char *what, const char *dbuf, unsigned port)
{
	if (!port)
		say_own_address(fd, what, dbuf);
	else
		shim_debug("%s fd %d: bound to port %u and sending with an address: taken for a "
			   "server's replies, left to the kernel", what, fd, port);
}

/* ODM_DEBUG: fd, of kind (socket_other), found SB_LEAVE: its source is
 * the program's, or (port: the one it is bound to on ::) a server's
 * replies go from the address the kernel picks, as a UDP socket's do */
static void say_other_left(int fd, const char *what, const char *dbuf, const char *kind,
			   unsigned port)
{
	if (!port)
		shim_debug("%s fd %d -> %s: %s, whose source the program or the kernel picks: "
			   "plain", what, fd, dbuf, kind);
	else
		shim_debug("%s fd %d -> %s: %s bound to port %u and sending with an address: "
			   "taken for a server's replies, left to the kernel", what, fd, dbuf, kind,
			   port);
}

/* no_lease's words for a socket that socket_unbound found SB_PORT */
static void port_why(char *why, size_t len, unsigned port)
{
	snprintf(why, len, "bound to port %u before it connected, so its source address can "
		 "no longer be chosen", port);
}

/* no_lease's words for a socket found SB_BLIND (err: the refusal's) */
static void blind_why(char *why, size_t len, int err)
{
	snprintf(why, len, "the kernel refused the shim a look at its socket (%s; a seccomp "
		 "filter?): its kind and source are unknown", strerror(err));
}

/* no_lease's words for a socket bound to device dev (SO_BINDTODEVICE,
 * curl --interface): its packets leave there whatever the routing rules
 * say, never into the tunnel, so an anchored source would go out
 * untunnelled and get no answer */
static void device_why(char *why, size_t len, const char *dev)
{
	snprintf(why, len, "bound to device %s (SO_BINDTODEVICE): its packets cannot take the "
		 "tunnel", dev);
}

/* 1 if the program asked for its type itself ($ODM_TYPE names one). */
static int type_asked(void)
{
	return env_type() != ODM_TYPE_NONE;
}

/*
 * No lease for fd (err: why, errno): a program that asked for the type gets
 * the error, one that did not goes out plain. Both are said with ODM_DEBUG;
 * a fallback is also told to the agent, for its log.
 */
static int no_lease(int fd, const char *what, int type, const struct in6_addr *dst,
		    const char *dbuf, int err, const char *why)
{
	if (type_asked()) {
		shim_debug("%s fd %d -> %s: no lease (%s), failing with EADDRNOTAVAIL", what, fd,
			   dbuf, why);
		return -EADDRNOTAVAIL;
	}
	shim_debug("%s fd %d -> %s: no lease (%s), falling back to plain", what, fd, dbuf, why);
	agent_fallback(type, dst, err);
	return 0;
}

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24 /* linux/in.h */
#endif

/*
 * Bind fd to addr, port 0: 0 or -errno. A TCP socket (tcp) gets no port
 * from the bind (IP_BIND_ADDRESS_NO_PORT, ip(7)): its connect picks one,
 * as it does for a socket the program left unbound, for its four-tuple,
 * so connections to different peers share the ports. A port taken at the
 * bind would be the address's alone, and a process holding more
 * connections on one lease than there are ephemeral ports (or leaving
 * that many in TIME_WAIT) would fail to connect where it does not
 * without the shim. The option acts at the bind alone: one the program
 * left off is put back off after it, so that getsockopt() reads what the
 * program set, on or off.
 */
static int bind_to(int fd, const struct in6_addr *addr, int tcp)
{
	struct sockaddr_in6 src = { .sin6_family = AF_INET6, .sin6_addr = *addr };
	int on = 1, off = 0, was = 0, r;
	socklen_t l = sizeof(was);

	/* set by the program already (or unreadable): left as it is */
	if (tcp && (getsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &was, &l) != 0 || was))
		tcp = 0;
	if (tcp)
		(void)REAL(setsockopt)(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof(on));
	r = REAL(bind)(fd, (const struct sockaddr *)&src, sizeof(src)) == 0 ? 0 : -errno;
	if (tcp)
		(void)REAL(setsockopt)(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &off, sizeof(off));
	return r;
}

/* 1 and its name in dev if fd is bound to a device (SO_BINDTODEVICE) */
static int bound_device(int fd, char *dev, size_t len)
{
	socklen_t l = (socklen_t)len;

	memset(dev, 0, len);
	return getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, &l) == 0 && l > 0 && dev[0];
}

/* The kernel's id of fd's socket (SO_COOKIE), never reused; 0 if none */
static uint64_t socket_cookie(int fd)
{
	uint64_t c = 0;
	socklen_t l = sizeof(c);

	return getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &l) == 0 ? c : 0;
}

/* A socket leased again (after a failed connect) onto addr, or let go of
 * its old source (addr ::, plain): none needed if it has that source
 * already (its port, given back or not, follows); else bound anew, which
 * works once its port was given back. */
static int rebind_to(int fd, const struct in6_addr *addr, int tcp)
{
	struct sockaddr none = { .sa_family = AF_UNSPEC };
	struct sockaddr_in6 me;
	int r;

	if (own_name(fd, &me) == 0 && IN6_ARE_ADDR_EQUAL(&me.sin6_addr, addr))
		return 0;
	r = bind_to(fd, addr, tcp);
	if (r == -EINVAL) {
		/* a port taken meanwhile: another thread's send on the UDP
		 * socket, for which the kernel binds one even as it fails
		 * (EDESTADDRREQ). Given back, the address can be bound */
		(void)REAL(connect)(fd, &none, sizeof(none));
		r = bind_to(fd, addr, tcp);
	}
	return r;
}

int shim_bind_deferred(int fd)
{
	const char *proto;
	unsigned port = 0;
	int saved = errno, type, r = 0;

	/* as in shim_before_send: a vfork child decides nothing */
	type = shim_process_type_known();
	if ((type < 0 || type == ODM_TYPE_FIXED || shim_policy_wants_lease(type)) &&
	    ownpid_foreign())
		goto out;
	type = shim_process_type();
	if (type != ODM_TYPE_FIXED && !shim_policy_wants_lease(type))
		goto out;
	/* a bound socket's bind fails (EINVAL): the kernel says so, not us.
	 * UDP only: a TCP socket so bound may be a server's, about to listen,
	 * whose port the program reads at once (Java's ServerSocket(0) asks
	 * right after its bind and fails "Not bound" on port 0) */
	proto = shim_socket_proto(fd);
	r = proto && strcmp(proto, "udp") == 0 && socket_unbound(fd, "connect", &port) == SB_NONE;
	if (r)
		shim_debug("bind fd %d to [::]:0 (a %s socket): left to its first connect or send, "
			   "which binds it to its address", fd, proto);
out:
	errno = saved;
	return r;
}

/*
 * Fixed (RFC 8653 §3.1): the host's one address at its home anchor, from
 * the agent, which holds it whether or not a socket uses it (no CHA, no
 * held-lease cache); bound before the first send. 0, or -errno for a
 * program that asked for the type and cannot have it (never a plain
 * address in its place).
 */
static int fixed_before_send(int fd, const struct sockaddr_in6 *d6, const char *what)
{
	char dbuf[INET6_ADDRSTRLEN], abuf[INET6_ADDRSTRLEN] = "";
	struct fdtable *t = fdtable_global(1);
	const char *proto = shim_socket_proto(fd);
	struct agent_lease al;
	struct fd_lease fl;
	unsigned port = 0;
	int r, ret, bound = SB_LEAVE, other = 0, on_dev;
	char kind[128], dev[IF_NAMESIZE];

	inet_ntop(AF_INET6, &d6->sin6_addr, dbuf, sizeof(dbuf));
	/* an ICMPv6, raw, UDP-Lite or SCTP socket: bound to the Fixed
	 * address as well, unless its source is the program's (the agent's
	 * "proto" knows TCP and UDP: the one it is like, which decides
	 * nothing for the one Fixed address, held whatever the sockets) */
	if (!proto && (other = socket_other(fd, what, kind, sizeof(kind), &bound, &port)) != 0)
		proto = other == 2 ? "tcp" : "udp";
	else if (proto) /* a TCP sendto with an address is a connect (MSG_FASTOPEN) */
		bound = socket_unbound(fd, strcmp(proto, "tcp") == 0 ? "connect" : what, &port);
	if (bound == SB_BLIND) {
		char why[160];

		blind_why(why, sizeof(why), (int)port);
		ret = no_lease(fd, what, ODM_TYPE_FIXED, &d6->sin6_addr, dbuf, (int)port, why);
		if (ret == 0)
			fdtable_mark_seen(t, fd);
		return ret;
	}
	if (bound == SB_LEAVE) {
		if (other)
			say_other_left(fd, what, dbuf, kind, port);
		else if (proto)
			say_left(fd, what, dbuf, port);
		fdtable_mark_seen(t, fd);
		return 0;
	}
	/* bound to a device, it would send from the Fixed address outside the
	 * tunnel, as a leased one would (shim_before_send) */
	on_dev = bound == SB_NONE && bound_device(fd, dev, sizeof(dev));
	r = bound == SB_PORT || on_dev
		    ? -EINVAL /* not asked: it could not be bound, or used */
		    : agent_lease(ODM_TYPE_FIXED, &d6->sin6_addr, NULL, proto, 0, &al);
	if (r > 0) {
		inet_ntop(AF_INET6, &al.addr, abuf, sizeof(abuf));
		r = bind_to(fd, &al.addr, !other && strcmp(proto, "tcp") == 0); /* 0 or -errno */
	} else if (r == 0) {
		r = -EADDRNOTAVAIL; /* a plain address is never a Fixed one */
	}
	if (r < 0) {
		char why[128];

		if (bound == SB_PORT)
			port_why(why, sizeof(why), port);
		else if (on_dev)
			device_why(why, sizeof(why), dev);
		else if (!abuf[0] && r == -EADDRNOTAVAIL)
			snprintf(why, sizeof(why), "the agent answered plain");
		else
			snprintf(why, sizeof(why), "%s%s%s%s", abuf[0] ? "bind to " : "", abuf,
				 abuf[0] ? ": " : "", strerror(-r));
		ret = no_lease(fd, what, ODM_TYPE_FIXED, &d6->sin6_addr, dbuf,
			       bound == SB_PORT || on_dev ? EADDRNOTAVAIL : -r, why);
		if (ret == 0)
			fdtable_mark_seen(t, fd);
		return ret;
	}
	memset(&fl, 0, sizeof(fl));
	fl.addr = al.addr;
	fl.type = ODM_TYPE_FIXED;
	memcpy(fl.lease, al.lease, sizeof(fl.lease));
	/* untracked (no memory) only loses the close's hint: Fixed stays held */
	r = fdtable_track(t, fd, &fl);
	shim_debug("%s fd %d -> Fixed %s%s%s%s%s", what, fd, abuf, other ? " (" : "",
		   other ? kind : "", other ? ")" : "", r == 0 ? "" : " (untracked)");
	return 0;
}

/*
 * 1 if fd is a TCP socket in the CLOSE state: after a connect that failed
 * (refused, timed out, reset) it is there again, its port given back unless
 * the program bound one, its source address kept. sock_diag lists it no
 * more, so the agent may end its lease meanwhile.
 */
static int tcp_closed(int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) == 0 && ti.tcpi_state == TCP_CLOSE;
}

/*
 * 1 if fd has an error that no call has reported yet, seen without taking
 * it (poll(2) says POLLERR; SO_ERROR would clear it): a non-blocking
 * connect that failed in the background (refused, timed out). The next
 * connect() on it reports that error and starts nothing (the kernel's
 * __inet_stream_connect, for a socket still connecting): a program that
 * learns its connect's result so (an event loop told the socket is
 * writable) must get it, not a lease anew and, the error taken,
 * ECONNABORTED.
 */
static int error_pending(int fd)
{
	struct pollfd p = { .fd = fd, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

/*
 * fd, a TCP socket in the CLOSE state, may still be connecting for the
 * kernel (SS_CONNECTING: a non-blocking connect, or one cut short by a
 * signal or SO_SNDTIMEO, whose try failed in the background): its next
 * connect() then only reports that failure (the pending error, or
 * ECONNABORTED once SO_ERROR took it) and starts nothing; so does one
 * connected once (SS_CONNECTED, reset since: EISCONN). The kernel is
 * asked: a connect() with an address too short for any TCP socket is
 * refused with EINVAL by an unconnected socket, untouched (the address is
 * checked before anything: tcp_v6_connect); any other ignores the address
 * and gives its answer, which is then this connect's, made (a failure
 * reported, the socket unconnected). -EINVAL: a new try (or a security
 * module refused the address first), else that answer (-errno, or 0).
 */
static int connecting_answer(int fd)
{
	struct sockaddr_in6 none = { .sin6_family = AF_INET6 };

	return REAL(connect)(fd, (const struct sockaddr *)&none, sizeof(none.sin6_family)) == 0
		       ? 0
		       : -errno;
}

/* An error left pending on a closed socket since its failed connect (the
 * agent aborts a lease's sockets as it ends it) is not the next connect's:
 * taken off (SO_ERROR reads and clears it), or that call would report it. */
static void clear_error(int fd)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	(void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
}

/* the least udp-inactivity (odmagent.conf(5)), in ms */
#define UDP_LOOK_MS 1000

/* 1 if addr is still one of the host's: a socket can be bound to it */
static int addr_on_host(const struct in6_addr *addr)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = *addr };
	int s = REAL(socket)(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return 1; /* cannot tell: as it was */
	r = REAL(bind)(s, (const struct sockaddr *)&a, sizeof(a)) == 0 || errno != EADDRNOTAVAIL;
	REAL(close)(s);
	return r;
}

/*
 * 1 if fd, a UDP socket leased on fl->addr, was left behind by its lease:
 * the lease ended (idle, the anchor lost it, the agent stopped), and the
 * kernel would still send from its address, which the host no longer has,
 * outside the tunnel, unanswered. The agent ends a lease's UDP sockets as
 * it ends the lease (SOCK_DESTROY), which gives their port back (0 until
 * the next send) a moment before the address goes. A send since then took
 * a port again, but the kernel said ECONNABORTED to it or to a receive
 * (fl->aborted), or its port is not the one it was leased with (fl->port:
 * the error read where the shim does not see it, in a forked child): then
 * the address's absence says it. Not without that: an
 * access address claimed for the socket is off the host for a moment,
 * its lease alive, while its link is down or a move puts it on the tunnel
 * device (odmagent(8)); leased anew then, the socket would leave its
 * address for another and its peer would see it change.
 */
static int udp_ended(int fd, const struct fd_lease *fl)
{
	struct sockaddr_in6 me;

	if (own_name(fd, &me) != 0 || !IN6_ARE_ADDR_EQUAL(&me.sin6_addr, &fl->addr))
		return 0;
	return me.sin6_port == 0 ||
	       ((fl->aborted || (fl->port && me.sin6_port != fl->port)) && !addr_on_host(&fl->addr));
}

/* fd's port (network order), 0 if none */
static uint16_t own_port(int fd)
{
	struct sockaddr_in6 me;

	return own_name(fd, &me) == 0 ? me.sin6_port : 0;
}

/* 1 if fd's socket is on addr with a port of its own */
static int has_port_on(int fd, const struct in6_addr *addr)
{
	struct sockaddr_in6 me;

	return own_name(fd, &me) == 0 && IN6_ARE_ADDR_EQUAL(&me.sin6_addr, addr) &&
	       me.sin6_port != 0;
}

int shim_disconnect(int fd, const struct sockaddr *addr, socklen_t len)
{
	char abuf[INET6_ADDRSTRLEN];
	struct fd_lease fl;
	int r, saved, again;

	/* only a port the program's disconnect gives back is taken again:
	 * one the agent's ending of the lease took already is left at 0, the
	 * sign its next send looks for (udp_ended) */
	again = fdtable_get(fdtable_global(0), fd, &fl) && fl.udp && has_port_on(fd, &fl.addr);
	r = REAL(connect)(fd, addr, len);
	saved = errno;
	if (r == 0)
		fdtable_set_peer(fdtable_global(0), fd, NULL); /* its own choice: kept */
	if (r != 0 || !again || has_port_on(fd, &fl.addr))
		goto out;
	inet_ntop(AF_INET6, &fl.addr, abuf, sizeof(abuf));
	/* the address gone already (its lease did end): the next send finds
	 * that and leases anew */
	again = bind_to(fd, &fl.addr, 0);
	if (again == 0) /* its port the program's choice: not an ending */
		fdtable_set_port(fdtable_global(0), fd, own_port(fd));
	shim_debug("connect fd %d to AF_UNSPEC: disconnected, %s %s%s%s", fd,
		   again == 0 ? "bound again on its lease's address" : "its lease's address", abuf,
		   again == 0 ? "" : " cannot be bound again: ", again == 0 ? "" : strerror(-again));
out:
	errno = saved;
	return r;
}

/* shim_reconnect_ended, its lock held */
static int reconnect_locked(int fd)
{
	char pbuf[INET6_ADDRSTRLEN], abuf[INET6_ADDRSTRLEN];
	struct fdtable *t = fdtable_global(0);
	struct sockaddr_in6 peer;
	struct fd_lease fl, now;
	socklen_t l = sizeof(peer);
	int r;

	/* another thread's send connected it again meanwhile: this one may
	 * go (asked first: going plain, that thread took it out of the table) */
	if (getpeername(fd, (struct sockaddr *)&peer, &l) == 0)
		return 1;
	if (!fdtable_get(t, fd, &fl) || !fl.udp || fl.peer.sin6_family != AF_INET6 ||
	    fl.type == ODM_TYPE_FIXED)
		return 0;
	/*
	 * Disconnected, not by its program (whose disconnect forgets the
	 * peer): the agent ended its lease. Not asked of udp_ended(), which
	 * reads the port: the failed send took one (the kernel binds a port
	 * before it looks for an address), and so may other threads' sends
	 * while this one waits for the agent; nor the address, which the
	 * agent takes off the host a moment after it ends the sockets.
	 */
	peer = fl.peer;
	inet_ntop(AF_INET6, &peer.sin6_addr, pbuf, sizeof(pbuf));
	inet_ntop(AF_INET6, &fl.addr, abuf, sizeof(abuf));
	shim_debug("send fd %d: its lease of %s ended under it, which disconnected it from %s: "
		   "connecting it again", fd, abuf, pbuf);
	r = shim_before_send(fd, (const struct sockaddr *)&peer, sizeof(peer), "reconnect");
	if (r < 0)
		return r;
	/* leased anew (or plain, for a program that named no type and got
	 * no lease): the new lease keeps the peer before the connect, which
	 * may fail (no route for a moment): the next send tries again */
	if (fdtable_get(t, fd, &now))
		fdtable_set_peer(t, fd, &peer);
	if (REAL(connect)(fd, (const struct sockaddr *)&peer, sizeof(peer)) != 0) {
		r = -errno;
		shim_debug("send fd %d: connect to %s again: %s", fd, pbuf, strerror(-r));
		return r;
	}
	return 1;
}

/*
 * One reconnect at a time: threads sending on the socket at once all fail
 * so; the first connects it again (an agent call), the others then find
 * it connected and send. Taken with trylock: a signal handler's send on
 * the thread that holds it waits a while and keeps its failure, rather
 * than for ever (the agent's calls end within 4 s).
 */
static pthread_mutex_t reconnecting = PTHREAD_MUTEX_INITIALIZER;

/*
 * reconnecting taken: 1, or 0 after 5 s of trying (10 ms naps). It is held
 * across cancellation points (connect, the agent's call): a thread
 * cancelled in one would end holding it, and every later reconnect of the
 * process would wait for it in vain. As agent_client.c does for its lock,
 * cancellation is put off while it is held (*cancel: the state
 * relet_unlock puts back) and acted on at the program's next cancellation
 * point (pthreads(7)); the naps before it is taken remain ones.
 */
static int relet_lock(int *cancel)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int waits = 0;; waits++) {
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, cancel);
		if (pthread_mutex_trylock(&reconnecting) == 0)
			return 1;
		pthread_setcancelstate(*cancel, NULL);
		if (waits >= 500)
			return 0;
		nanosleep(&tick, NULL);
	}
}

static void relet_unlock(int cancel)
{
	pthread_mutex_unlock(&reconnecting);
	pthread_setcancelstate(cancel, NULL);
}

int shim_reconnect_ended(int fd)
{
	uint64_t cookie = socket_cookie(fd);
	int r, cancel;

	if (!relet_lock(&cancel))
		return 0;
	/* another thread closed fd while this one waited, and its number is
	 * another socket's now: not this send's to connect or retry */
	r = cookie && socket_cookie(fd) != cookie ? 0 : reconnect_locked(fd);
	relet_unlock(cancel);
	return r;
}

void shim_connect_atfork_child(void)
{
	pthread_mutex_init(&reconnecting, NULL); /* its holder is not here */
}

int shim_send_plain(int fd)
{
	int type = shim_process_type_known();

	/* (shim_before_send's own way for such a type and socket: no getpid,
	 * no fixed path, no lease, and a socket leased by setsc_to() left to
	 * its look there) */
	return type >= 0 && type != ODM_TYPE_FIXED && !shim_policy_wants_lease(type) &&
	       fdtable_state(fdtable_global(0), fd) != FDT_LEASED;
}

int shim_before_send(int fd, const struct sockaddr *dst, socklen_t len, const char *what)
{
	const struct sockaddr_in6 *d6 = (const struct sockaddr_in6 *)dst;
	char dbuf[INET6_ADDRSTRLEN], abuf[INET6_ADDRSTRLEN], cbuf[INET6_ADDRSTRLEN];
	struct fdtable *t;
	struct agent_lease al;
	struct in6_addr cha;
	struct fd_lease fl, now;
	const char *proto, *how = "";
	int saved = errno, type, r, ret = 0, pnum, st, on_net, has_cha, bound, relet = 0;
	int looked, cha_unknown, again = strcmp(what, "reconnect") == 0, relet_held = 0, ended = 0;
	int relet_cancel = PTHREAD_CANCEL_ENABLE; /* relet_lock's, for relet_unlock */
	/* a connected socket the agent's ending of its lease disconnected,
	 * sending with an address: connected again to its peer once leased
	 * anew (or plain), as its program left it (peer_again) */
	int restore = 0, peer_again = 0;
	struct sockaddr_in6 peer;
	unsigned port = 0;
	uint64_t cookie = 0; /* fd's socket before a wait (socket_cookie), 0: none yet */
	char dev[IF_NAMESIZE], kind[128];
	int other = 0;

	/* a leased UDP socket is looked at once a second at most (udp_ended):
	 * its lease ends only after it idled that long (udp-inactivity) */
	st = fdtable_state_due(fdtable_global(0), fd, chacache_now_ms, &fl);
	/* the look: alive, the next in a second; ended, it stays due, so that
	 * every thread sending on it now finds it so (below) */
	if (st == FDT_LEASED && fl.udp && !again) {
		ended = fl.type != ODM_TYPE_FIXED && udp_ended(fd, &fl);
		if (!ended)
			fdtable_looked(fdtable_global(0), fd, chacache_now_ms() + UDP_LOOK_MS);
	}
	/* shim_reconnect_ended's: leased anew, whatever its look says */
	if (again && st == FDT_LEASED && !fl.udp)
		(void)fdtable_get(fdtable_global(0), fd, &fl);
	/*
	 * connect() again after a failed one (Linux allows it; a
	 * sendto(MSG_FASTOPEN) is one too): the socket
	 * keeps its leased source, which may be gone from the host now. It is
	 * leased again as a new one would be, of its type, and bound anew
	 * (its port was given back); never sent from an address the host no
	 * longer has (odm(7)).
	 */
	if (st == FDT_LEASED && connects(what) &&
	    fdtable_connect(fdtable_global(0), fd, &fl) && fl.tried &&
	    fl.type != ODM_TYPE_FIXED && tcp_closed(fd)) {
		if (strcmp(what, "connect") == 0 && (r = connecting_answer(fd)) != -EINVAL) {
			shim_debug("%s fd %d: the kernel starts no new try on it, its answer (%s) "
				   "is this call's: not leased anew", what, fd,
				   r < 0 ? strerror(-r) : "0");
			ret = r;
			goto out;
		}
		if (error_pending(fd)) {
			shim_debug("%s fd %d: its connect failed meanwhile, unreported: this call "
				   "reports it, as the kernel's does; leased anew at the next", what,
				   fd);
			goto out;
		}
		relet = 1;
		/* its count goes back once (fd_lease.unheld): noted on its lease
		 * before, so that its close on another thread meanwhile gives
		 * back nothing more, and it keeps saying so if it keeps that
		 * lease (refused, a vfork child's); a lease anew replaces it */
		if (fdtable_mark_unheld(fdtable_global(0), fd, &fl.addr))
			heldlease_release(&fl.addr);
		inet_ntop(AF_INET6, &fl.addr, abuf, sizeof(abuf));
		shim_debug("%s fd %d: again after a failed connect from %s: leasing it anew", what,
			   fd, abuf);
	} else if (st == FDT_LEASED && fl.udp && fl.type != ODM_TYPE_FIXED && (again || ended)) {
		/* a UDP socket whose lease ended under it (idle, or lost),
		 * sending again: leased anew, as a new socket would be (the
		 * peer sees a new address), never sent from the old one. The
		 * lease ended with sockets on it: forgotten whatever their
		 * count, or the next of them would be handed it again as held */
		struct sockaddr none = { .sa_family = AF_UNSPEC };

		/*
		 * One at a time in the process (the reconnect's lock; a
		 * reconnect holds it already): the other threads sending on
		 * the socket meanwhile look too (it stays due), find it ended
		 * and wait here, then find it leased anew (or decided plain)
		 * and send from there, rather than from the ended address
		 * while this thread asks the agent.
		 */
		if (!again) {
			relet_held = relet_lock(&relet_cancel);
			if (!fdtable_get(fdtable_global(0), fd, &now) ||
			    !IN6_ARE_ADDR_EQUAL(&now.addr, &fl.addr) || !udp_ended(fd, &now))
				goto out; /* another thread's send did it */
		}
		relet = 1;
		heldlease_invalidate(&fl.addr);
		(void)fdtable_mark_unheld(fdtable_global(0), fd, &fl.addr);
		peer = fl.peer;
		restore = !again && strcmp(what, "connect") != 0 && peer.sin6_family == AF_INET6;
		/* its port, if a send took one since, goes back: bound anew below */
		(void)REAL(connect)(fd, &none, sizeof(none));
		inet_ntop(AF_INET6, &fl.addr, abuf, sizeof(abuf));
		shim_debug("%s fd %d: its lease of %s ended under it: leasing it anew", what, fd,
			   abuf);
	} else if (st != FDT_UNKNOWN && st != FDT_OPTS) {
		goto out; /* decided before (leased, or plain) */
	}
	/*
	 * A vfork child must neither ask the agent nor lease (ownpid.h); a
	 * process whose type needs no lease does not pay getpid() to know.
	 */
	type = shim_process_type_known();
	if ((type < 0 || type == ODM_TYPE_FIXED || shim_policy_wants_lease(type)) &&
	    ownpid_foreign())
		goto out;
	/*
	 * The process's type first: a type that needs no lease settles the
	 * socket without inspecting it and without touching the fd table, so
	 * its close() stays on the one-load fast path (hook_close.c). Fixed
	 * has its own path (the host's one address); session-lasting and
	 * graceful-replacement ask for a lease.
	 */
	type = relet ? fl.type : shim_process_type();
	if (type == ODM_TYPE_FIXED) {
		ret = fixed_before_send(fd, d6, what);
		goto out;
	}
	if (!shim_policy_wants_lease(type))
		goto out;
	t = fdtable_global(1);
	proto = shim_socket_proto(fd);
	inet_ntop(AF_INET6, &d6->sin6_addr, dbuf, sizeof(dbuf));
	if (relet && !proto)
		goto closed; /* by another thread, while this one waited to relet it */
	/* an ICMPv6, raw, UDP-Lite or SCTP socket can have no lease (the
	 * agent sees TCP and UDP sockets only): a program that named its type
	 * hears so, another goes plain, said (not silently, as before) */
	if (!relet && !proto &&
	    (other = socket_other(fd, what, kind, sizeof(kind), &bound, &port)) != 0 &&
	    bound != SB_BLIND) {
		char why[192];

		if (bound == SB_LEAVE) {
			say_other_left(fd, what, dbuf, kind, port);
			goto seen;
		}
		snprintf(why, sizeof(why), "%s: leases are for TCP and UDP sockets only", kind);
		ret = no_lease(fd, what, type, &d6->sin6_addr, dbuf, EPROTONOSUPPORT, why);
		goto decided;
	}
	if (relet)
		bound = SB_NONE; /* its own address, to be bound anew */
	else if (!proto && other)
		; /* SB_BLIND (socket_other): below */
	/* a TCP sendto with an address is a connect (MSG_FASTOPEN) */
	else if (!proto || (bound = socket_unbound(fd, strcmp(proto, "tcp") == 0 ? "connect" : what,
						   &port)) == SB_LEAVE) {
		if (proto)
			say_left(fd, what, dbuf, port);
		goto seen;
	}
	if (bound == SB_BLIND) {
		char why[160];

		/* neither left nor leased unseen: a program that named its
		 * type hears it could not be had */
		blind_why(why, sizeof(why), (int)port);
		ret = no_lease(fd, what, type, &d6->sin6_addr, dbuf, (int)port, why);
		goto decided;
	}
	/* bound to a device (SO_BINDTODEVICE, curl --interface): its packets
	 * leave there whatever the routing rules say, never into the tunnel,
	 * so a leased source would go out untunnelled and get no answer */
	if (bound_device(fd, dev, sizeof(dev))) {
		char why[IF_NAMESIZE + 96];

		device_why(why, sizeof(why), dev);
		ret = no_lease(fd, what, type, &d6->sin6_addr, dbuf, EADDRNOTAVAIL, why);
		goto decided;
	}
	/* without a CHA the agent's own anchors decide (the access router's,
	 * the home anchor), or it says plain and tells why (a fallback event) */
	has_cha = 0;
	cha_unknown = 0;
	if (shim_policy_wants_cha(type)) {
		r = chacache_get_addr(chacache_by_addr(), &d6->sin6_addr, &cha, NULL,
				      chacache_now_ms());
		/* getaddrinfo may have returned before the cha answer: wait for
		 * the rest of it, fd's socket noted first (a wait may outlast it) */
		if (r == CHA_MISS) {
			cookie = socket_cookie(fd);
			looked = chalookup_wait_dst(&d6->sin6_addr, &r, &cha);
			if (!looked)
				looked = chalookup_refresh_dst(&d6->sin6_addr, &r, &cha);
			/* its name's cha was asked for and got no answer (the DNS
			 * unreachable, as during a move): the destination may
			 * well have one */
			cha_unknown = looked != 0 && r == CHA_MISS;
		}
		has_cha = r == CHA_FOUND;
	}
	if (has_cha)
		inet_ntop(AF_INET6, &cha, cbuf, sizeof(cbuf));
	else
		snprintf(cbuf, sizeof(cbuf), "none");
	pnum = strcmp(proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	/* RFC 8653 §6.2: with IPV6_REQUIRE_SRC_ON_NET, a new address, never a held one */
	on_net = (fdtable_prefs(t, fd) & IPV6_REQUIRE_SRC_ON_NET) != 0;
	/* one of our sockets holds a lease for this already: no need to ask
	 * (by CHA only: which access anchor is current is the agent's to say) */
	if (bound == SB_PORT) {
		char why[128];

		/* never asked for: it could not be bound. With a CHA a lease
		 * was certain (a program that named its type hears so); without
		 * one the agent's anchors might have answered plain anyway */
		if (!has_cha) {
			shim_debug("%s fd %d -> %s: bound to a port before it connected, no cha: "
				   "plain", what, fd, dbuf);
			goto seen;
		}
		port_why(why, sizeof(why), port);
		ret = no_lease(fd, what, type, &d6->sin6_addr, dbuf, EADDRNOTAVAIL, why);
		goto decided;
	}
	if (cookie && socket_cookie(fd) != cookie)
		goto closed;
	if (has_cha && !on_net &&
	    heldlease_lookup(type, pnum, &cha, &al.addr, al.lease, sizeof(al.lease))) {
		inet_ntop(AF_INET6, &al.addr, abuf, sizeof(abuf));
		r = relet ? rebind_to(fd, &al.addr, pnum == IPPROTO_TCP)
			  : bind_to(fd, &al.addr, pnum == IPPROTO_TCP);
		if (r == 0) {
			how = " (held)";
			goto bound;
		}
		/* gone from under us (the lease ended another way): ask afresh */
		shim_debug("%s fd %d: held lease %s unusable (%s), asking the agent", what, fd,
			   abuf, strerror(-r));
		heldlease_invalidate(&al.addr);
	}
	if (!cookie)
		cookie = socket_cookie(fd);
	r = agent_lease(type, &d6->sin6_addr, has_cha ? &cha : NULL, proto, on_net, &al);
	/* the agent's answer took a while: another thread may have closed fd
	 * meanwhile, its number now another socket's, which is not ours to
	 * bind or connect; the call fails as on a closed fd */
	if (cookie && socket_cookie(fd) != cookie) {
		if (r > 0)
			agent_release(&al.addr);
		goto closed;
	}
	if (r == 0 && cha_unknown) {
		/* a plain address where a CHA may be: an error for a program
		 * that named its type, a fallback the agent hears of otherwise */
		ret = no_lease(fd, what, type, &d6->sin6_addr, dbuf, ETIMEDOUT,
			       "the agent says plain, and the lookup of the destination's cha got "
			       "no answer");
		goto decided;
	}
	if (r == 0) {
		shim_debug("%s fd %d -> %s: agent says plain", what, fd, dbuf);
		goto plain;
	}
	if (r < 0) {
		ret = no_lease(fd, what, type, &d6->sin6_addr, dbuf, -r, strerror(-r));
		goto decided;
	}
	inet_ntop(AF_INET6, &al.addr, abuf, sizeof(abuf));
	r = relet ? rebind_to(fd, &al.addr, pnum == IPPROTO_TCP)
		  : bind_to(fd, &al.addr, pnum == IPPROTO_TCP);
	if (r < 0) {
		char why[96];

		snprintf(why, sizeof(why), "bind to %s: %s", abuf, strerror(-r));
		agent_release(&al.addr);
		ret = no_lease(fd, what, type, &d6->sin6_addr, dbuf, -r, why);
		goto decided;
	}
bound:
	if (relet)
		clear_error(fd);
	memset(&fl, 0, sizeof(fl));
	fl.addr = al.addr;
	fl.type = type;
	memcpy(fl.lease, al.lease, sizeof(fl.lease));
	/* its connect (or first send) follows: a later connect is one again */
	fl.tried = 1;
	fl.udp = pnum == IPPROTO_UDP;
	if (fl.udp) {
		fl.port = own_port(fd);
		fl.thread = threadserial_self();
	}
	if (restore)
		fl.peer = peer; /* kept, should its connect again (out) fail */
	peer_again = restore;
	if (fdtable_track(t, fd, &fl) == 0) {
		/* counted only when tracked: its close is what uncounts it. A
		 * fresh address is its socket's own: never offered to others */
		if (has_cha && !on_net)
			heldlease_note(type, pnum, &cha, &al.addr, al.lease);
		shim_debug("%s fd %d -> lease %s via cha %s%s%s", what, fd, abuf, cbuf, how,
			   on_net ? " (fresh: IPV6_REQUIRE_SRC_ON_NET)" : "");
		goto out;
	}
	/* Bound but untracked (no memory): the agent's sock_diag still frees it. */
	shim_debug("%s fd %d -> lease %s via cha %s (untracked)", what, fd, abuf, cbuf);
	goto seen;
closed:
	shim_debug("%s fd %d -> %s: the socket was closed meanwhile (its number is another's "
		   "now): failing with EBADF", what, fd, dbuf);
	ret = -EBADF;
	goto out;
decided:
	/* refused: the socket stays undecided, so a later call asks again
	 * (a UDP socket leased again: at its next send, not a second on) */
	if (ret < 0) {
		if (relet && fl.udp)
			fdtable_due_now(fdtable_global(0), fd);
		goto out;
	}
plain:
	/* leased again and not to be: the old source goes, the kernel picks
	 * one (bind to ::), or the call fails rather than send from it */
	if (relet) {
		r = rebind_to(fd, &in6addr_any, proto && strcmp(proto, "tcp") == 0);
		if (r < 0) {
			shim_debug("%s fd %d: its old source cannot be let go (%s): failing with "
				   "EADDRNOTAVAIL", what, fd, strerror(-r));
			ret = -EADDRNOTAVAIL;
			goto out;
		}
		fdtable_unlease(t, fd); /* its dups' lease too: one socket */
		clear_error(fd);
		peer_again = restore;
	}
seen:
	fdtable_mark_seen(t, fd);
out:
	if (peer_again && REAL(connect)(fd, (const struct sockaddr *)&peer, sizeof(peer)) != 0)
		shim_debug("%s fd %d: connect to its peer again: %s", what, fd, strerror(errno));
	if (relet_held)
		relet_unlock(relet_cancel);
	errno = saved;
	return ret;
}

void shim_release_hint(int fd, const struct fd_lease *l)
{
	char abuf[INET6_ADDRSTRLEN];
	int saved = errno, r, inside = guard_active();

	inet_ntop(AF_INET6, &l->addr, abuf, sizeof(abuf));
	/* its count was given back already (fd_lease.unheld): nothing to
	 * give back, the others' count says whether it was the last. Given
	 * back from inside the shim too (held leases' lock holds signals
	 * off: a handler never finds it taken on its own thread), or the
	 * count would stay up for good: the process's next socket bound to
	 * the address as held, its last close hinting nothing */
	r = (int)(l->unheld ? heldlease_held(&l->addr) : heldlease_release(&l->addr));
	guard_enter();
	if (r > 0) {
		/* our other sockets keep the lease: nothing for the agent to count */
		shim_debug("close fd %d -> %s still held by %d socket(s), no hint", fd, abuf, r);
	} else if (inside) {
		/* a signal handler that interrupted the shim, which may hold
		 * the agent's lock: no call; the agent finds it gone itself */
		shim_debug("close fd %d -> %s: closed inside the shim (a signal handler), no hint",
			   fd, abuf);
	} else {
		r = agent_release(&l->addr);
		shim_debug("close fd %d -> release hint for %s %s%s", fd, abuf,
			   r < 0 ? "dropped: " : "sent", r < 0 ? strerror(-r) : "");
	}
	guard_leave();
	errno = saved;
}
