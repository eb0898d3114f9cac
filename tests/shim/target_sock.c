/* SPDX-License-Identifier: MIT */
/*
 * target_sock.c — a small program the shim test (tests/net/test_shim.sh)
 * runs with and without LD_PRELOAD=libodm.so. Each mode prints what an
 * application would see (return values, errno names, addresses) so the two
 * runs can be compared line by line; mptcpwrap-tester and socket_wrapper's
 * torture tests check interposition the same way, with real processes.
 *
 *   target_sock gai NAME [N]            all addresses getaddrinfo returns (N times)
 *   target_sock connect NAME [nonblock] listen on NAME's first address
 *                                       (port 0), connect to it, print the
 *                                       result and the source address seen
 *   target_sock bind0 NAME              a TCP socket bound to [::]:0 connects,
 *                                       a UDP one so bound sends (Java and
 *                                       node bind every UDP socket so): the
 *                                       sources seen, the TCP one's address
 *                                       after its bind, and the UDP one's
 *                                       before and after its send
 *   target_sock errno NAME              errno across successful calls
 *   target_sock dupclose NAME           connect, dup/dup2/dup3/F_DUPFD, close all
 *   target_sock fork NAME               connect in parent and child
 *   target_sock closerange NAME [NAME2] connect, close_range(3, ~0), connect (to NAME2)
 *   target_sock closefrom NAME          connect, closefrom(3) with the socket open
 *   target_sock sigclose NAME SLOW      connect; a SIGALRM handler closes the
 *                                       socket while getaddrinfo() of SLOW
 *                                       waits for the DNS; connect again
 *   target_sock fclose NAME             connect, fdopen(3) the socket, fclose(3)
 *                                       it, make a pipe (its number), connect
 *                                       again and close()
 *   target_sock threads NAME N          resolve once, then N threads connect at
 *                                       the same moment; what each connect
 *                                       said, the sources the server sees
 *   target_sock vfork NAME NAME2        connect, a vfork child close_range()s
 *                                       and exits (Python's subprocess), connect
 *                                       to NAME2; is the first socket still open
 *   target_sock unspec NAME [ended]     a UDP socket connects to a receiver on
 *                                       NAME's address and sends, (is destroyed
 *                                       with ss -K,) disconnects (connect
 *                                       AF_UNSPEC) and sends with an address:
 *                                       the sources the receiver sees
 *   target_sock reconnect NAME N [dup]  a UDP socket connects to a receiver on
 *                                       NAME's address and sends, (is dup'ed,)
 *                                       is destroyed with ss -K, then N
 *                                       threads send() at once: what each
 *                                       said, the sources the receiver sees,
 *                                       the error left pending; closed (the
 *                                       dup 300 ms later)
 *   target_sock relet NAME N            an unconnected UDP socket sends to a
 *                                       receiver on NAME's address (sendto),
 *                                       is destroyed with ss -K, then N
 *                                       threads sendto() it at once: what
 *                                       each said, the sources the receiver
 *                                       sees
 *   target_sock recvended NAME          for each of recv, recvfrom, recvmsg,
 *                                       recvmmsg, read and readv: a
 *                                       non-blocking UDP socket connects to a
 *                                       receiver on NAME's address, sends, is
 *                                       destroyed with ss -K, and receives
 *                                       that way: "WAY: RC ERR"
 *   target_sock recvreused NAME         a thread connects a UDP socket to a
 *                                       receiver on NAME's address, sends and
 *                                       exits; a new thread (glibc gives it the
 *                                       same pthread_t: "reused: yes") waits in
 *                                       a blocking recv() while the socket is
 *                                       destroyed with ss -K and the main
 *                                       thread sends, answered: what its
 *                                       recv() said
 *   target_sock recvqueued NAME         a blocking UDP socket connects to a
 *                                       receiver on NAME's address, sends, is
 *                                       answered, is destroyed with ss -K with
 *                                       the answer unread, and receives it:
 *                                       by recv(), recv(MSG_PEEK) then recv(),
 *                                       recvmmsg() for two (an alarm ends a
 *                                       wait after 3 s, and says so) and a
 *                                       non-blocking recv(): "WAY: RC DATA|ERR"
 *   target_sock ended NAME send|sendto|sendmsg0 [unreach]
 *                                       a UDP socket connects to a receiver on
 *                                       NAME's address and sends, is destroyed
 *                                       with ss -K, sends with send(), with
 *                                       sendto() to that address, or with
 *                                       sendmsg() whose msg_name is set and
 *                                       msg_namelen 0 (no address) (unreach:
 *                                       while the address is off lo, no route
 *                                       to it), then with send(): what each
 *                                       said, the sources the receiver sees
 *   target_sock connectagain NAME       a TCP socket B connects to a port of
 *                                       NAME's address nobody listens on
 *                                       (refused) and again; then A connects
 *                                       to a listener there, B is closed,
 *                                       and C connects there: what each
 *                                       connect said, the sources seen
 *   target_sock connectcheck NAME       a non-blocking TCP socket connects to a
 *                                       port of NAME's address nobody listens
 *                                       on, polls, connects again for the
 *                                       result, again, polls, and once more:
 *                                       what each connect said
 *   target_sock connectsoerr NAME       the same, the result read with
 *                                       SO_ERROR before connecting again
 *   target_sock connectagainclose NAME NAME2
 *                                       A connects to a listener at NAME's
 *                                       address; B (on A's lease) to a port
 *                                       nobody listens on there, then again
 *                                       to one at NAME2's, while another
 *                                       thread closes it 300 ms in; then C
 *                                       connects to the listener: what each
 *                                       connect said, the sources seen
 *   target_sock ports NAME N            two listeners on NAME's address; N TCP
 *                                       sockets connect to each and stay open:
 *                                       how many of each connected (the first
 *                                       error), and whether the servers saw one
 *                                       source for all (which)
 *   target_sock noport NAME             a TCP socket with IP_BIND_ADDRESS_NO_PORT
 *                                       set (ip(7)) connects to a listener on
 *                                       NAME's address: what connect said, the
 *                                       source seen, the option read after
 *   target_sock refused NAME CALL       listen on NAME's address, then refuse
 *                                       CALL (getsockopt or getsockname) with
 *                                       EPERM (a seccomp filter), then a TCP
 *                                       socket connects there: what connect
 *                                       said, the source seen
 *   target_sock closewhile NAME         connect, while another thread closes
 *                                       the socket 300 ms in and opens a UDP
 *                                       one (the same number); what connect
 *                                       said, and where the UDP socket is
 *
 * With TARGET_RESOLVE=gethostbyname2 or gethostbyname2_r, NAME is resolved
 * with that (AF_INET6) instead of getaddrinfo; with getaddrinfo_a, by
 * getaddrinfo_a(GAI_WAIT) (the result read with no gai_error), with
 * getaddrinfo_a_poll by getaddrinfo_a(GAI_NOWAIT) and gai_error until done,
 * with getaddrinfo_a_suspend by getaddrinfo_a(GAI_NOWAIT) and gai_suspend
 * until done (the result read with no gai_error), with
 * getaddrinfo_a_suspend_late the same, gai_suspend called only once the
 * request is done (glibc then says EAI_ALLDONE, as it may for the first
 * whenever the lookup is quick).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e)
{
	switch (e) {
	case 0: return "0";
	case EINPROGRESS: return "EINPROGRESS";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ENETUNREACH: return "ENETUNREACH";
	case EDOM: return "EDOM";
	case EBADF: return "EBADF";
	case EDESTADDRREQ: return "EDESTADDRREQ";
	case EAGAIN: return "EAGAIN";
	case ECONNABORTED: return "ECONNABORTED";
	default: return strerror(e);
	}
}

static void ntop(const struct sockaddr *sa, char *buf, size_t len)
{
	if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)len);
	else if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
	else
		snprintf(buf, len, "family %d", sa->sa_family);
}

/* TARGET_RESOLVE=gethostbyname2 or gethostbyname2_r: resolve with that
 * (AF_INET6) rather than getaddrinfo */
static int resolve_hostent(const char *how, const char *name, struct sockaddr_storage *ss,
			   socklen_t *len)
{
	struct sockaddr_in6 *sa = (struct sockaddr_in6 *)ss;
	struct hostent hb, *h = NULL;
	char buf[1024];
	int herr = 0;

	if (strcmp(how, "gethostbyname2") == 0)
		h = gethostbyname2(name, AF_INET6);
	else if (gethostbyname2_r(name, AF_INET6, &hb, buf, sizeof(buf), &h, &herr) != 0)
		h = NULL;
	if (!h || !h->h_addr_list[0]) {
		printf("%s %s: failed\n", how, name);
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	sa->sin6_family = AF_INET6;
	memcpy(&sa->sin6_addr, h->h_addr_list[0], sizeof(sa->sin6_addr));
	*len = sizeof(*sa);
	return 0;
}

/* TARGET_RESOLVE=getaddrinfo_a, getaddrinfo_a_poll or getaddrinfo_a_suspend:
 * 0 and *res, or the error */
static int resolve_gai_a(const char *how, const char *name, const struct addrinfo *hints,
			 struct addrinfo **res)
{
	struct gaicb g = { .ar_name = name, .ar_request = hints }, *list[1] = { &g };
	int r;

	if (strcmp(how, "getaddrinfo_a") == 0) {
		r = getaddrinfo_a(GAI_WAIT, list, 1, NULL);
	} else if (strncmp(how, "getaddrinfo_a_suspend", 21) == 0) {
		const struct gaicb *wait[1] = { &g };
		struct timespec ts = { .tv_sec = 5 };

		r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
		/* _late: done first, seen in glibc's own field (gai_error would
		 * be the shim's note), at most 5 s */
		for (int i = 0; r == 0 && strcmp(how, "getaddrinfo_a_suspend_late") == 0 &&
				__atomic_load_n(&g.__return, __ATOMIC_ACQUIRE) == EAI_INPROGRESS &&
				i < 500;
		     i++)
			usleep(10000);
		if (r == 0)
			r = gai_suspend(wait, 1, &ts);
		/* one request: 0, or EAI_ALLDONE (glibc: it was done before the
		 * call), says it is done */
		if (r == EAI_ALLDONE)
			r = 0;
		if (r == 0 && !g.ar_result)
			r = EAI_NONAME;
	} else {
		r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
		for (int i = 0; r == 0 && (r = gai_error(&g)) == EAI_INPROGRESS && i < 500; i++) {
			usleep(10000);
			r = 0;
		}
	}
	*res = g.ar_result;
	return r;
}

static int resolve(const char *name, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	const char *how = getenv("TARGET_RESOLVE");
	int r;

	if (how && strncmp(how, "getaddrinfo_a", 13) == 0)
		r = resolve_gai_a(how, name, &hints, &res);
	else if (how && *how)
		return resolve_hostent(how, name, ss, len);
	else
		r = getaddrinfo(name, NULL, &hints, &res);

	if (r != 0) {
		printf("getaddrinfo %s: %s\n", name, gai_strerror(r));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void set_port(struct sockaddr_storage *ss, unsigned short port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = port;
	else
		((struct sockaddr_in *)ss)->sin_port = port;
}

/* A listener on dst's address; dst gets its port. */
static int listener(struct sockaddr_storage *dst, socklen_t len)
{
	struct sockaddr_storage me;
	socklen_t l = sizeof(me);
	int s = socket(dst->ss_family, SOCK_STREAM, 0), one = 1;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	set_port(dst, 0);
	if (bind(s, (struct sockaddr *)dst, len) != 0 || listen(s, 8) != 0) {
		printf("listen: %s\n", strerror(errno));
		exit(2);
	}
	getsockname(s, (struct sockaddr *)&me, &l);
	set_port(dst, dst->ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&me)->sin6_port
						 : ((struct sockaddr_in *)&me)->sin_port);
	return s;
}

/* Connect a new socket to name's listener; print what happened. Returns the fd. */
static int do_connect(const char *name, int nonblock, int print_src)
{
	struct sockaddr_storage dst, peer;
	socklen_t len, pl = sizeof(peer);
	char buf[INET6_ADDRSTRLEN];
	int ls, s, r, e, a;

	if (resolve(name, &dst, &len) != 0)
		exit(2);
	ls = listener(&dst, len);
	s = socket(dst.ss_family, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
	errno = 0;
	r = connect(s, (struct sockaddr *)&dst, len);
	e = errno;
	if (nonblock) {
		/* Loopback may finish at once; both outcomes are what libc gives. */
		printf("connect nonblock: %s\n", r == 0 ? "0" : ename(e));
		if (r != 0 && e == EINPROGRESS) {
			struct pollfd p = { .fd = s, .events = POLLOUT };
			int soerr = 0;
			socklen_t sl = sizeof(soerr);
			poll(&p, 1, 5000);
			getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl);
			printf("connect completed: %s\n", ename(soerr));
		}
	} else {
		printf("connect: %d %s\n", r, r == 0 ? "" : ename(e));
		if (r != 0) { /* nothing to accept */
			close(ls);
			return s;
		}
	}
	a = accept(ls, (struct sockaddr *)&peer, &pl);
	if (a >= 0 && print_src) {
		ntop((struct sockaddr *)&peer, buf, sizeof(buf));
		printf("server sees source %s\n", buf);
	}
	close(a);
	close(ls);
	return s;
}

static int mode_gai(const char *name, int times)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char buf[INET6_ADDRSTRLEN];

	while (times-- > 0) {
		int r = getaddrinfo(name, "80", &hints, &res);
		if (r != 0) {
			printf("getaddrinfo %s: %s\n", name, gai_strerror(r));
			continue;
		}
		for (ai = res; ai; ai = ai->ai_next) {
			ntop(ai->ai_addr, buf, sizeof(buf));
			printf("%d %d %s\n", ai->ai_family, ai->ai_socktype, buf);
		}
		freeaddrinfo(res);
	}
	return 0;
}

static int mode_errno(const char *name)
{
	struct addrinfo *res;
	int s;

	errno = EDOM;
	if (getaddrinfo(name, "80", NULL, &res) == 0)
		freeaddrinfo(res);
	printf("after getaddrinfo: %s\n", ename(errno));
	errno = EDOM;
	s = do_connect(name, 0, 0);
	errno = EDOM;
	s = dup(s);
	printf("after dup: %s\n", ename(errno));
	errno = EDOM;
	close(s);
	printf("after close: %s\n", ename(errno));
	errno = 0;
	s = close(-1);
	printf("close(-1): %d %s\n", s, ename(errno));
	errno = 0;
	s = close(999);
	printf("close(999): %d %s\n", s, ename(errno));
	return 0;
}

static int mode_dupclose(const char *name)
{
	int s = do_connect(name, 0, 1), a, b, c, d;

	a = dup(s);
	b = dup2(s, 40);
	c = dup3(s, 41, O_CLOEXEC);
	d = fcntl(s, F_DUPFD_CLOEXEC, 50);
	printf("dups: %d %d %s %s\n", b, c, d >= 50 ? "ok" : "bad", a >= 0 ? "ok" : "bad");
	close(s);
	close(a);
	close(b);
	close(c);
	printf("closed 4 of 5\n");
	fflush(stdout);
	close(d);
	printf("closed 5 of 5\n");
	return 0;
}

static int mode_fork(const char *name)
{
	int s = do_connect(name, 0, 1), st;
	pid_t pid;

	/* closed first: a socket the child inherits would hold the lease for
	 * it, and the child would not need to ask the agent at all */
	close(s);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int c = do_connect(name, 0, 1);
		close(c);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static int mode_closerange(const char *name, const char *name2)
{
	int s = do_connect(name, 0, 1);

	close(s);
	fflush(stdout);
	/* What ssh and daemons do: close everything above stderr. */
	printf("close_range: %d\n", close_range(3, ~0U, 0));
	s = do_connect(name2, 0, 1);
	close(s);
	return 0;
}

/* The leased socket still open: closefrom() takes it with the rest. */
static int mode_closefrom(const char *name)
{
	do_connect(name, 0, 1);
	fflush(stdout);
	closefrom(3);
	printf("closefrom: done\n");
	return 0;
}

/* A socket read through a stream (fdopen), closed with fclose(), which
 * closes inside the C library; its number then a pipe's (as a file opened
 * next would take it), not a socket's; then another connect. */
static int mode_fclose(const char *name)
{
	FILE *f = fdopen(do_connect(name, 0, 1), "r+");
	int p[2];

	if (!f) {
		printf("fdopen: %s\n", strerror(errno));
		return 1;
	}
	printf("fclose: %d\n", fclose(f));
	printf("pipe: %d\n", pipe(p));
	fflush(stdout);
	close(do_connect(name, 0, 1));
	return 0;
}

static int sig_fd = -1;

static void close_on_alarm(int sig)
{
	(void)sig;
	close(sig_fd);
}

/* A timeout's handler closes a connection while the program resolves a
 * name (inside the shim's getaddrinfo); then another connect. */
static int mode_sigclose(const char *name, const char *slow)
{
	struct sigaction sa = { .sa_handler = close_on_alarm };
	struct itimerval it = { .it_value = { 0, 300 * 1000 } };
	struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM }, *res;
	int r;

	sig_fd = do_connect(name, 0, 1);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	r = getaddrinfo(slow, "80", &hints, &res);
	if (r == 0)
		freeaddrinfo(res);
	printf("sigclose: closed in the handler: %s\n", fcntl(sig_fd, F_GETFD) < 0 ? "yes" : "no");
	fflush(stdout);
	close(do_connect(name, 0, 1));
	return 0;
}

static int mode_vfork(const char *name, const char *name2)
{
	int s = do_connect(name, 0, 1), s2, st = 0;
	struct sockaddr_in6 me;
	socklen_t ml = sizeof(me);
	char buf[INET6_ADDRSTRLEN];
	pid_t pid;

	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		close_range(3, ~0U, 0);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	printf("vfork child: pid %d exit %d\n", (int)pid, WEXITSTATUS(st));
	s2 = do_connect(name2, 0, 1);
	if (fcntl(s, F_GETFD) < 0 || getsockname(s, (struct sockaddr *)&me, &ml) != 0) {
		printf("first socket after the vfork child: %s\n", ename(errno));
	} else {
		ntop((struct sockaddr *)&me, buf, sizeof(buf));
		printf("first socket after the vfork child: open, source %s\n", buf);
	}
	close(s);
	close(s2);
	return 0;
}

struct thr {
	pthread_barrier_t *go;
	struct sockaddr_storage *dst;
	socklen_t len;
	int fd, rc;
};

static void *thr_connect(void *arg)
{
	struct thr *t = arg;

	t->fd = socket(t->dst->ss_family, SOCK_STREAM, 0);
	pthread_barrier_wait(t->go);
	t->rc = connect(t->fd, (struct sockaddr *)t->dst, t->len);
	return NULL;
}

static int mode_threads(const char *name, int n)
{
	struct sockaddr_storage dst, peer;
	socklen_t len, pl;
	pthread_barrier_t go;
	pthread_t th[16];
	struct thr t[16];
	char buf[INET6_ADDRSTRLEN];
	int ls;

	if (n < 1 || n > 16 || resolve(name, &dst, &len) != 0)
		return 2;
	ls = listener(&dst, len);
	pthread_barrier_init(&go, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		t[i] = (struct thr){ .go = &go, .dst = &dst, .len = len };
		pthread_create(&th[i], NULL, thr_connect, &t[i]);
	}
	int up = 0;

	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		printf("thread connect: %d\n", t[i].rc);
		up += t[i].rc == 0;
	}
	/* one accept per connection made: a failed one has none waiting */
	for (int i = 0; i < up; i++) {
		int a;
		pl = sizeof(peer);
		a = accept(ls, (struct sockaddr *)&peer, &pl);
		if (a < 0)
			continue;
		ntop((struct sockaddr *)&peer, buf, sizeof(buf));
		printf("server sees source %s\n", buf);
		close(a);
	}
	for (int i = 0; i < n; i++)
		close(t[i].fd);
	close(ls);
	return 0;
}

struct closer {
	int fd, ufd;
};

static void *thr_close(void *arg)
{
	struct closer *c = arg;

	usleep(300 * 1000);
	close(c->fd);
	c->ufd = socket(AF_INET6, SOCK_DGRAM, 0);
	return NULL;
}

static int mode_closewhile(const char *name)
{
	struct sockaddr_storage dst, me;
	socklen_t len, ml = sizeof(me);
	struct closer c = { .ufd = -1 };
	char buf[INET6_ADDRSTRLEN] = "-";
	pthread_t th;
	int ls, rc;

	if (resolve(name, &dst, &len) != 0)
		return 2;
	ls = listener(&dst, len);
	c.fd = socket(dst.ss_family, SOCK_STREAM, 0);
	pthread_create(&th, NULL, thr_close, &c);
	rc = connect(c.fd, (struct sockaddr *)&dst, len);
	printf("connect: %d %s\n", rc, ename(rc ? errno : 0));
	pthread_join(th, NULL);
	printf("udp socket: %s number\n", c.ufd == c.fd ? "the same" : "another");
	memset(&me, 0, sizeof(me));
	getsockname(c.ufd, (struct sockaddr *)&me, &ml);
	ntop((struct sockaddr *)&me, buf, sizeof(buf));
	printf("udp socket bound to %s port %u\n", buf,
	       (unsigned)ntohs(((struct sockaddr_in6 *)&me)->sin6_port));
	close(c.ufd);
	close(ls);
	return 0;
}

/* bind s to [::]:0; "bind0: 0" or the error */
static void bind_any0(int s)
{
	struct sockaddr_in6 any = { .sin6_family = AF_INET6 };
	int r = bind(s, (struct sockaddr *)&any, sizeof(any));

	printf("bind0: %d %s\n", r, r == 0 ? "" : ename(errno));
}

/* s's address and port, as "WHAT ADDR port N" */
static void say_sockname(int s, const char *what)
{
	struct sockaddr_in6 me;
	socklen_t l = sizeof(me);
	char buf[INET6_ADDRSTRLEN] = "?";

	memset(&me, 0, sizeof(me));
	getsockname(s, (struct sockaddr *)&me, &l);
	ntop((struct sockaddr *)&me, buf, sizeof(buf));
	printf("%s %s port %u\n", what, buf, (unsigned)ntohs(me.sin6_port));
}

static int mode_bind0(const char *name)
{
	struct sockaddr_storage dst, peer;
	socklen_t len, pl = sizeof(peer);
	char buf[INET6_ADDRSTRLEN];
	int ls, s, a, u, r;

	if (resolve(name, &dst, &len) != 0 || dst.ss_family != AF_INET6)
		return 2;
	ls = listener(&dst, len);
	s = socket(AF_INET6, SOCK_STREAM, 0);
	bind_any0(s);
	say_sockname(s, "tcp after its bind:");
	r = connect(s, (struct sockaddr *)&dst, len);
	printf("connect: %d %s\n", r, r == 0 ? "" : ename(errno));
	if (r == 0 && (a = accept(ls, (struct sockaddr *)&peer, &pl)) >= 0) {
		ntop((struct sockaddr *)&peer, buf, sizeof(buf));
		printf("server sees source %s\n", buf);
		close(a);
	}
	close(s);
	close(ls);
	/* a UDP receiver on the same address, and a client bound to [::]:0 */
	ls = socket(AF_INET6, SOCK_DGRAM, 0);
	set_port(&dst, 0);
	if (bind(ls, (struct sockaddr *)&dst, len) != 0)
		return 2;
	pl = sizeof(peer);
	getsockname(ls, (struct sockaddr *)&peer, &pl);
	set_port(&dst, ((struct sockaddr_in6 *)&peer)->sin6_port);
	u = socket(AF_INET6, SOCK_DGRAM, 0);
	bind_any0(u);
	say_sockname(u, "udp before its send:");
	r = (int)sendto(u, "x", 1, 0, (struct sockaddr *)&dst, len);
	printf("sendto: %d %s\n", r, r == 1 ? "" : ename(errno));
	pl = sizeof(peer);
	if (r == 1 && recvfrom(ls, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &pl) == 1) {
		ntop((struct sockaddr *)&peer, buf, sizeof(buf));
		printf("udp server sees source %s\n", buf);
	}
	say_sockname(u, "udp after its send:");
	close(u);
	close(ls);
	return 0;
}

/* recv one datagram on ls; print the source as "udp WHAT: server sees source X" */
static void udp_seen(int ls, const char *what)
{
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	char buf[INET6_ADDRSTRLEN];
	struct pollfd p = { .fd = ls, .events = POLLIN };

	if (poll(&p, 1, 3000) != 1 ||
	    recvfrom(ls, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &pl) < 0) {
		printf("udp %s: nothing arrived\n", what);
		return;
	}
	ntop((struct sockaddr *)&peer, buf, sizeof(buf));
	printf("udp %s: server sees source %s\n", what, buf);
}

/* A receiver on NAME's address (*ls, its address and port in *dst): -1 if
 * NAME has no IPv6 address or the receiver cannot be bound */
static int udp_receiver(const char *name, struct sockaddr_storage *dst, socklen_t *len, int *ls)
{
	struct sockaddr_storage me;
	socklen_t ml = sizeof(me);

	if (resolve(name, dst, len) != 0 || dst->ss_family != AF_INET6)
		return -1;
	*ls = socket(AF_INET6, SOCK_DGRAM, 0);
	set_port(dst, 0);
	if (bind(*ls, (struct sockaddr *)dst, *len) != 0)
		return -1;
	getsockname(*ls, (struct sockaddr *)&me, &ml);
	set_port(dst, ((struct sockaddr_in6 *)&me)->sin6_port);
	return 0;
}

/* udp_receiver, and a UDP socket (*u) connected to it that sends one
 * datagram */
static int udp_connected(const char *name, struct sockaddr_storage *dst, socklen_t *len, int *ls,
			 int *u)
{
	int r;

	if (udp_receiver(name, dst, len, ls) != 0)
		return -1;
	*u = socket(AF_INET6, SOCK_DGRAM, 0);
	r = connect(*u, (struct sockaddr *)dst, *len);
	printf("connect: %d %s\n", r, r == 0 ? "" : ename(errno));
	printf("send: %d\n", (int)send(*u, "x", 1, 0));
	udp_seen(*ls, "connected");
	return 0;
}

/* Destroy u's socket with ss -K, as the agent ends an idle lease's sockets */
static void destroy(int u)
{
	struct sockaddr_storage me;
	socklen_t ml = sizeof(me);
	char cmd[96];

	getsockname(u, (struct sockaddr *)&me, &ml);
	snprintf(cmd, sizeof(cmd), "ss -K -a -u -n 'sport = :%u' >/dev/null",
		 (unsigned)ntohs(((struct sockaddr_in6 *)&me)->sin6_port));
	printf("ss -K: %d\n", system(cmd));
	say_sockname(u, "destroyed:");
}

/* ended: the socket is destroyed first (ss -K), as the agent ends an idle
 * lease's sockets, before it disconnects */
static int mode_unspec(const char *name, int ended)
{
	struct sockaddr_storage dst;
	struct sockaddr none = { .sa_family = AF_UNSPEC };
	socklen_t len;
	int ls, u, r;

	if (udp_connected(name, &dst, &len, &ls, &u) != 0)
		return 2;
	if (ended)
		destroy(u);
	r = connect(u, &none, sizeof(none));
	printf("connect AF_UNSPEC: %d %s\n", r, r == 0 ? "" : ename(errno));
	r = (int)sendto(u, "y", 1, 0, (struct sockaddr *)&dst, len);
	printf("sendto: %d %s\n", r, r == 1 ? "" : ename(errno));
	udp_seen(ls, "disconnected");
	close(u);
	close(ls);
	return 0;
}

struct sthr {
	pthread_barrier_t *go;
	int fd;
	const struct sockaddr_storage *dst; /* sendto() it, or send() if NULL */
	socklen_t len;
	ssize_t rc;
	int err;
};

static void *thr_send(void *arg)
{
	struct sthr *t = arg;

	pthread_barrier_wait(t->go);
	if (t->dst)
		t->rc = sendto(t->fd, "t", 1, 0, (const struct sockaddr *)t->dst, t->len);
	else
		t->rc = send(t->fd, "t", 1, 0);
	t->err = errno;
	return NULL;
}

/* n threads (at most 16) send on u at the same moment, to dst if not NULL
 * (sendto), else without an address (send): what each said ("thread
 * send: RC ERR"), then the source the receiver ls saw for each datagram */
static void send_at_once(int u, const struct sockaddr_storage *dst, socklen_t len, int n, int ls)
{
	pthread_barrier_t go;
	pthread_t th[16];
	struct sthr t[16];

	pthread_barrier_init(&go, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		t[i] = (struct sthr){ .go = &go, .fd = u, .dst = dst, .len = len };
		pthread_create(&th[i], NULL, thr_send, &t[i]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		printf("thread send: %zd %s\n", t[i].rc, t[i].rc == 1 ? "" : ename(t[i].err));
	}
	for (int i = 0; i < n; i++)
		if (t[i].rc == 1)
			udp_seen(ls, "after");
	pthread_barrier_destroy(&go);
}

/* udp_receiver, and an unconnected UDP socket (*u) that sends it one
 * datagram, which the receiver says it saw as "udp WHAT" */
static int udp_unconnected(const char *name, struct sockaddr_storage *dst, socklen_t *len,
			   int *ls, int *u, const char *what)
{
	if (udp_receiver(name, dst, len, ls) != 0)
		return -1;
	*u = socket(AF_INET6, SOCK_DGRAM, 0);
	printf("sendto: %d\n", (int)sendto(*u, "x", 1, 0, (struct sockaddr *)dst, *len));
	udp_seen(*ls, what);
	return 0;
}

/* relet: an unconnected, leased UDP socket is destroyed (ss -K), as the
 * agent ends an idle lease's sockets; a second later N threads sendto() its
 * peer at the same moment */
static int mode_relet(const char *name, int n)
{
	struct sockaddr_storage dst;
	socklen_t len;
	int ls, u;

	if (n < 1 || n > 16 || udp_unconnected(name, &dst, &len, &ls, &u, "unconnected") != 0)
		return 2;
	destroy(u);
	/* a lease ends idle 30 s or more after its socket's last look: its
	 * next send is due one (the shim looks once a second at most) */
	usleep(1100 * 1000);
	send_at_once(u, &dst, len, n, ls);
	close(u);
	close(ls);
	return 0;
}

/* a's address (text) taken off lo (off) or put back */
static void lo_addr(const char *a, int off)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "ip -6 addr %s %s/128 dev lo%s", off ? "del" : "add", a,
		 off ? "" : " nodad");
	printf("own address %s: %d\n", off ? "taken off" : "back", system(cmd));
}

/* away: an unconnected, leased UDP socket whose address leaves the host
 * for a while (taken off lo, as a link down takes off an access address
 * claimed for it, its lease alive), a look due meanwhile (1.1 s): it sends
 * then, and again once its address is back. With "aborted", its socket was
 * destroyed first (ss -K, as the agent ends a lease's sockets), a receive
 * read the ECONNABORTED, and a send the shim does not see (a raw system
 * call) took a port again: then the address's absence is the lease's end.
 * With "sockerr", its socket was destroyed and the ECONNABORTED read by
 * getsockopt(SO_ERROR) (as an event loop does when poll says POLLERR), and
 * its next sendto(), within a second of a look, took a port again: the
 * same. With "forked", a child the program forked after the destruction
 * read the ECONNABORTED and took a port again (a raw system call), which
 * the program's own shim never sees: the same. */
static int mode_away(const char *name, int aborted, int sockerr, int forked)
{
	struct sockaddr_storage dst, me;
	socklen_t len, ml = sizeof(me);
	char buf[16], own[INET6_ADDRSTRLEN];
	int ls, u, r;

	if (udp_unconnected(name, &dst, &len, &ls, &u, "before") != 0)
		return 2;
	getsockname(u, (struct sockaddr *)&me, &ml);
	ntop((struct sockaddr *)&me, own, sizeof(own));
	if (aborted) {
		destroy(u);
		r = (int)recv(u, buf, sizeof(buf), MSG_DONTWAIT);
		printf("recv: %d %s\n", r, r < 0 ? ename(errno) : "");
		r = (int)syscall(SYS_sendto, u, "r", 1, 0, (struct sockaddr *)&dst, len);
		printf("raw sendto: %d %s\n", r, r < 0 ? ename(errno) : "");
		udp_seen(ls, "raw");
		say_sockname(u, "after the raw send:");
	}
	if (forked) {
		pid_t child;
		int st = -1;

		destroy(u);
		fflush(stdout);
		child = fork();
		if (child == 0) {
			r = (int)recv(u, buf, sizeof(buf), MSG_DONTWAIT);
			printf("child recv: %d %s\n", r, r < 0 ? ename(errno) : "");
			r = (int)syscall(SYS_sendto, u, "c", 1, 0, (struct sockaddr *)&dst, len);
			printf("child raw sendto: %d %s\n", r, r < 0 ? ename(errno) : "");
			fflush(stdout);
			_exit(0);
		}
		if (child > 0)
			waitpid(child, &st, 0);
		printf("child: %d\n", st);
		udp_seen(ls, "child");
		say_sockname(u, "after the child:");
	}
	if (sockerr) {
		int err = 0;
		socklen_t el = sizeof(err);

		/* a send now has the shim look at its lease: the next look is
		 * due a second later, after the send below */
		r = (int)sendto(u, "l", 1, 0, (struct sockaddr *)&dst, len);
		printf("sendto looked: %d\n", r);
		udp_seen(ls, "looked");
		destroy(u);
		r = getsockopt(u, SOL_SOCKET, SO_ERROR, &err, &el);
		printf("SO_ERROR: %d %s\n", r, r == 0 && err ? ename(err) : "none");
		r = (int)sendto(u, "s", 1, 0, (struct sockaddr *)&dst, len);
		printf("sendto after: %d %s\n", r, r == 1 ? "" : ename(errno));
		if (r == 1)
			udp_seen(ls, "after");
		say_sockname(u, "after the send:");
	}
	lo_addr(own, 1);
	usleep(1100 * 1000);
	r = (int)sendto(u, "a", 1, 0, (struct sockaddr *)&dst, len);
	printf("sendto away: %d %s\n", r, r == 1 ? "" : ename(errno));
	if (r == 1)
		udp_seen(ls, "away");
	lo_addr(own, 0);
	usleep(100 * 1000);
	r = (int)sendto(u, "b", 1, 0, (struct sockaddr *)&dst, len);
	printf("sendto back: %d %s\n", r, r == 1 ? "" : ename(errno));
	udp_seen(ls, "back");
	close(u);
	close(ls);
	return 0;
}

/* reconnect: a connected, leased UDP socket is destroyed (ss -K), as the
 * agent ends an idle lease's sockets, which disconnects it; then N threads
 * send() on it at the same moment */
static int mode_reconnect(const char *name, int n, int dup_it)
{
	struct sockaddr_storage dst;
	socklen_t len, sl = sizeof(int);
	int ls, u, d = -1, soerr = 0;

	if (n < 1 || n > 16 || udp_connected(name, &dst, &len, &ls, &u) != 0)
		return 2;
	if (dup_it)
		d = dup(u);
	destroy(u);
	send_at_once(u, NULL, 0, n, ls);
	getsockopt(u, SOL_SOCKET, SO_ERROR, &soerr, &sl);
	printf("pending error: %s\n", soerr ? ename(soerr) : "none");
	close(u);
	if (d >= 0) {
		usleep(300 * 1000); /* a release hint would be there by now */
		fprintf(stderr, "closing the dup\n");
		close(d);
	}
	close(ls);
	return 0;
}

/* recvended: what a receive of each kind says on a non-blocking socket
 * the agent's ending of its lease destroyed (ss -K). Built with
 * _FORTIFY_SOURCE, recv, recvfrom and read are __recv_chk and the like. */
static int mode_recvended(const char *name)
{
	static const char *const ways[] = { "recv", "recvfrom", "recvmsg", "recvmmsg", "read",
					    "readv" };
	struct sockaddr_storage dst, from;
	char buf[64];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	/* a length the compiler cannot see: _FORTIFY_SOURCE checks it at run
	 * time, in __recv_chk, __recvfrom_chk and __read_chk */
	volatile size_t vn = sizeof(buf);
	size_t n = vn;
	socklen_t len, fl;
	ssize_t r;
	int ls, u;

	for (size_t w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
		if (udp_connected(name, &dst, &len, &ls, &u) != 0)
			return 2;
		fcntl(u, F_SETFL, fcntl(u, F_GETFL) | O_NONBLOCK);
		destroy(u);
		fl = sizeof(from);
		errno = 0;
		switch (w) {
		case 0: r = recv(u, buf, n, 0); break;
		case 1: r = recvfrom(u, buf, n, 0, (struct sockaddr *)&from, &fl); break;
		case 2: r = recvmsg(u, &mm.msg_hdr, 0); break;
		case 3: r = recvmmsg(u, &mm, 1, 0, NULL); break;
		case 4: r = read(u, buf, n); break;
		default: r = readv(u, &iov, 1); break;
		}
		printf("%s: %zd %s\n", ways[w], r, r < 0 ? ename(errno) : "");
		close(u);
		close(ls);
	}
	return 0;
}

/* recvreused: the lease's thread gone, a new thread with its pthread_t
 * receives, blocking, while the main thread sends after the lease's end */
struct reused {
	int u;
	const struct sockaddr_storage *dst;
	socklen_t len;
};

static void *reused_first(void *arg)
{
	struct reused *a = arg;
	int r = connect(a->u, (const struct sockaddr *)a->dst, a->len);

	printf("connect: %d %s\n", r, r == 0 ? "" : ename(errno));
	printf("send: %d\n", (int)send(a->u, "x", 1, 0));
	return NULL;
}

static void *reused_recv(void *arg)
{
	struct reused *a = arg;
	char buf[64];
	ssize_t r = recv(a->u, buf, sizeof(buf) - 1, 0);

	buf[r > 0 ? r : 0] = '\0';
	printf("blocked recv: %zd %s\n", r, r >= 0 ? buf : ename(errno));
	fflush(stdout);
	return NULL;
}

static int mode_recvreused(const char *name)
{
	struct sockaddr_storage dst, peer;
	struct reused a;
	struct timespec until;
	socklen_t pl = sizeof(peer);
	pthread_t first, second;
	char buf[64];
	int ls;

	if (udp_receiver(name, &dst, &a.len, &ls) != 0)
		return 2;
	a.u = socket(AF_INET6, SOCK_DGRAM, 0);
	a.dst = &dst;
	pthread_create(&first, NULL, reused_first, &a);
	pthread_join(first, NULL);
	udp_seen(ls, "connected");
	usleep(100 * 1000); /* its stack back in glibc's cache */
	pthread_create(&second, NULL, reused_recv, &a);
	printf("reused: %s\n", pthread_equal(first, second) ? "yes" : "no");
	usleep(300 * 1000); /* in its recv() */
	destroy(a.u);
	usleep(300 * 1000);
	printf("send again: %d\n", (int)send(a.u, "y", 1, 0));
	if (recvfrom(ls, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &pl) > 0) {
		ntop((struct sockaddr *)&peer, buf, sizeof(buf));
		printf("udp again: server sees source %s\n", buf);
		sendto(ls, "answer", 6, 0, (struct sockaddr *)&peer, pl);
	}
	fflush(stdout);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 3;
	if (pthread_timedjoin_np(second, NULL, &until) != 0) {
		printf("blocked recv: still waiting\n");
		fflush(stdout);
		_exit(0);
	}
	close(a.u);
	close(ls);
	return 0;
}

static volatile sig_atomic_t rang;

static void on_alarm(int sig)
{
	(void)sig;
	rang = 1;
}

/* recvqueued: the answer left unread when the socket is destroyed */
static int mode_recvqueued(const char *name)
{
	static const char *const ways[] = { "recv", "peek", "recvmmsg2", "nonblocking" };
	struct sockaddr_storage dst, me;
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	char buf[2][64];
	struct iovec iov[2] = { { .iov_base = buf[0], .iov_len = sizeof(buf[0]) },
				{ .iov_base = buf[1], .iov_len = sizeof(buf[1]) } };
	struct mmsghdr mm[2] = { { .msg_hdr = { .msg_iov = &iov[0], .msg_iovlen = 1 } },
				 { .msg_hdr = { .msg_iov = &iov[1], .msg_iovlen = 1 } } };
	struct pollfd p;
	socklen_t len, ml;
	ssize_t r;
	int ls, u;

	sigaction(SIGALRM, &sa, NULL);
	for (size_t w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
		if (udp_connected(name, &dst, &len, &ls, &u) != 0)
			return 2;
		ml = sizeof(me);
		getsockname(u, (struct sockaddr *)&me, &ml);
		sendto(ls, "q", 1, 0, (struct sockaddr *)&me, ml);
		p = (struct pollfd){ .fd = u, .events = POLLIN };
		printf("answer queued: %d\n", poll(&p, 1, 3000));
		if (w == 3)
			fcntl(u, F_SETFL, fcntl(u, F_GETFL) | O_NONBLOCK);
		destroy(u);
		memset(buf, 0, sizeof(buf));
		errno = 0;
		rang = 0;
		alarm(3);
		switch (w) {
		case 0: r = recv(u, buf[0], sizeof(buf[0]) - 1, 0); break;
		case 1:
			r = recv(u, buf[0], sizeof(buf[0]) - 1, MSG_PEEK);
			printf("peeked: %zd %s\n", r, r >= 0 ? buf[0] : ename(errno));
			memset(buf, 0, sizeof(buf));
			r = recv(u, buf[0], sizeof(buf[0]) - 1, 0);
			break;
		case 2: r = recvmmsg(u, mm, 2, 0, NULL); break;
		default: r = recv(u, buf[0], sizeof(buf[0]) - 1, 0); break;
		}
		alarm(0);
		/* (a recvmmsg() the alarm ends returns what it had) */
		printf("%s: %zd %s%s\n", ways[w], r, r >= 0 ? buf[0] : ename(errno),
		       rang ? " (waited until the alarm)" : "");
		close(u);
		close(ls);
	}
	return 0;
}

/*
 * peer's address (dst) taken off lo (off) or put back. Put back, it is
 * waited for in the local table (5 s at most): the kernel inserts its
 * local route from a work queue after "ip addr add" returns (DAD's, run
 * even with nodad), and a datagram sent before that finds the /128
 * prefix route on lo, goes, and is dropped as it loops back (about one
 * time in 20 on a loaded machine).
 */
static void peer_addr(const struct sockaddr_storage *dst, int off)
{
	char addr[INET6_ADDRSTRLEN], cmd[160];
	int r, tries = 0;

	ntop((const struct sockaddr *)dst, addr, sizeof(addr));
	snprintf(cmd, sizeof(cmd), "ip -6 addr %s %s/128 dev lo%s", off ? "del" : "add", addr,
		 off ? "" : " nodad");
	r = system(cmd);
	snprintf(cmd, sizeof(cmd), "ip -6 route show table local %s | grep -q .", addr);
	while (!off && r == 0 && system(cmd) != 0 && ++tries < 100)
		usleep(50 * 1000);
	printf("peer's address %s: %d%s\n", off ? "taken off" : "back", r,
	       off || tries < 100 ? "" : " (no local route after 5 s)");
}

/* ended: a connected, leased UDP socket destroyed (ss -K), as the agent
 * ends an idle lease's sockets; it sends HOW (send, sendto to its peer,
 * sendmsg0), with unreach while there is no route to its peer (its address
 * off lo), then sends with send() */
static int mode_ended(const char *name, const char *how, int unreach)
{
	struct sockaddr_storage dst;
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	socklen_t len;
	ssize_t r;
	int ls, u;

	if (udp_connected(name, &dst, &len, &ls, &u) != 0)
		return 2;
	destroy(u);
	if (unreach)
		peer_addr(&dst, 1);
	mh.msg_name = &dst; /* msg_namelen 0: no address, for the kernel */
	if (strcmp(how, "sendto") == 0)
		r = sendto(u, "x", 1, 0, (struct sockaddr *)&dst, len);
	else if (strcmp(how, "sendmsg0") == 0)
		r = sendmsg(u, &mh, 0);
	else
		r = send(u, "x", 1, 0);
	printf("first send: %zd %s\n", r, r == 1 ? "" : ename(errno));
	if (r == 1)
		udp_seen(ls, "first");
	if (unreach)
		peer_addr(&dst, 0);
	r = send(u, "y", 1, 0);
	printf("then send: %zd %s\n", r, r == 1 ? "" : ename(errno));
	if (r == 1)
		udp_seen(ls, "then");
	close(u);
	close(ls);
	return 0;
}

/* connect s to dst (a listener's, ls: -1 if none), print what it said
 * under what, and the source the listener sees */
static void connect_say(const char *what, int s, const struct sockaddr_storage *dst,
			socklen_t len, int ls)
{
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	char buf[INET6_ADDRSTRLEN];
	int r, e, a;

	errno = 0;
	r = connect(s, (const struct sockaddr *)dst, len);
	e = errno;
	printf("%s: %d %s\n", what, r, r == 0 ? "" : ename(e));
	if (r != 0 || ls < 0)
		return;
	a = accept(ls, (struct sockaddr *)&peer, &pl);
	if (a >= 0) {
		ntop((struct sockaddr *)&peer, buf, sizeof(buf));
		printf("%s: server sees source %s\n", what, buf);
		close(a);
	}
}

/* last of the connect-again modes: C connects to the listener ls at dst,
 * then C, A and ls are closed */
static int c_connects(const struct sockaddr_storage *dst, socklen_t len, int ls, int a)
{
	int c = socket(AF_INET6, SOCK_STREAM, 0);

	connect_say("c connect", c, dst, len, ls);
	close(c);
	close(a);
	close(ls);
	return 0;
}

/* N connections held open to each of two listeners on NAME's address:
 * with few ephemeral ports (the test narrows ip_local_port_range), more
 * than there are ports in all, fewer than there are for each peer */
static int mode_ports(const char *name, int n)
{
	static const struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_storage dst[2], peer;
	char first[INET6_ADDRSTRLEN] = "", buf[INET6_ADDRSTRLEN];
	int ls[2], ok[2] = { 0, 0 }, one_source = 1;
	socklen_t len;

	if (n < 1 || n > 8 || resolve(name, &dst[0], &len) != 0)
		return 2;
	dst[1] = dst[0];
	for (int i = 0; i < 2; i++)
		ls[i] = listener(&dst[i], len);
	for (int i = 0; i < 2; i++) {
		int err = 0;

		for (int k = 0; k < n; k++) {
			int s = socket(AF_INET6, SOCK_STREAM, 0);

			if (connect(s, (const struct sockaddr *)&dst[i], len) == 0) {
				ok[i]++; /* held open: its port stays taken */
			} else {
				err = err ? err : errno;
				close(s);
			}
		}
		printf("ports %s: connected %d of %d%s%s\n", i ? "second" : "first", ok[i], n,
		       err ? ", first error " : "", err ? ename(err) : "");
	}
	/* only now, all of them open: a reset ends them (no TIME_WAIT left
	 * to take a port from a later run), which gives their ports back */
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < ok[i]; k++) {
			socklen_t pl = sizeof(peer);
			int a = accept(ls[i], (struct sockaddr *)&peer, &pl);

			if (a < 0)
				break;
			ntop((struct sockaddr *)&peer, buf, sizeof(buf));
			if (!first[0])
				snprintf(first, sizeof(first), "%s", buf);
			one_source &= strcmp(first, buf) == 0;
			setsockopt(a, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
			close(a);
		}
	printf("ports: %s %s\n", one_source ? "one source," : "several sources, the first", first);
	return 0;
}

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24 /* linux/in.h */
#endif

static int mode_noport(const char *name)
{
	struct sockaddr_storage dst;
	socklen_t len, l = sizeof(int);
	int ls, s, on = 1, v = -1;

	if (resolve(name, &dst, &len) != 0)
		return 2;
	ls = listener(&dst, len);
	s = socket(AF_INET6, SOCK_STREAM, 0);
	if (setsockopt(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof(on)) != 0)
		printf("noport: setsockopt: %s\n", strerror(errno));
	connect_say("noport connect", s, &dst, len, ls);
	if (getsockopt(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &v, &l) != 0)
		printf("noport: getsockopt: %s\n", strerror(errno));
	printf("noport: option %d after connect\n", v);
	close(s);
	close(ls);
	return 0;
}

/* A seccomp filter (seccomp(2)) that fails the system call nr with EPERM
 * from now on, as a sandboxed program's may; 0, or -1 (said) */
static int refuse_syscall(int nr)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		printf("seccomp: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int mode_refused(const char *name, const char *call)
{
	struct sockaddr_storage dst;
	socklen_t len;
	int ls, s;

	if (resolve(name, &dst, &len) != 0)
		return 2;
	ls = listener(&dst, len);
	if (refuse_syscall(strcmp(call, "getsockname") == 0 ? SYS_getsockname : SYS_getsockopt))
		return 2;
	s = socket(AF_INET6, SOCK_STREAM, 0);
	connect_say("refused connect", s, &dst, len, ls);
	close(s);
	close(ls);
	return 0;
}

static int mode_connectagain(const char *name)
{
	struct sockaddr_storage dst, shut;
	socklen_t len;
	int ls, b, a;

	if (resolve(name, &dst, &len) != 0)
		return 2;
	shut = dst;
	close(listener(&shut, len)); /* a port nobody listens on now */
	ls = listener(&dst, len);
	b = socket(AF_INET6, SOCK_STREAM, 0);
	connect_say("b connect", b, &shut, len, -1);
	connect_say("b connect again", b, &shut, len, -1);
	a = socket(AF_INET6, SOCK_STREAM, 0);
	connect_say("a connect", a, &dst, len, ls);
	close(b);
	return c_connects(&dst, len, ls, a);
}

/* A non-blocking TCP socket connects to a port of NAME's address nobody
 * listens on, and polls: the socket (its connect refused in the
 * background), -1 if NAME has no address */
static int refused_nonblock(const char *name, struct sockaddr_storage *shut, socklen_t *len)
{
	struct pollfd p;
	int s;

	if (resolve(name, shut, len) != 0)
		return -1;
	close(listener(shut, *len)); /* a port nobody listens on now */
	s = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect_say("connect", s, shut, *len, -1);
	p = (struct pollfd){ .fd = s, .events = POLLOUT };
	printf("poll: %d\n", poll(&p, 1, 5000));
	return s;
}

/* ... then a new try, its result learnt by connecting again */
static int try_again(int s, const struct sockaddr_storage *shut, socklen_t len)
{
	struct pollfd p = { .fd = s, .events = POLLOUT };

	connect_say("connect again", s, shut, len, -1);
	poll(&p, 1, 5000);
	connect_say("connect for its result", s, shut, len, -1);
	close(s);
	return 0;
}

/* A non-blocking connect refused in the background; the program learns
 * the result by connecting again, then tries again */
static int mode_connectcheck(const char *name)
{
	struct sockaddr_storage shut;
	socklen_t len;
	int s = refused_nonblock(name, &shut, &len);

	if (s < 0)
		return 2;
	connect_say("connect for its result", s, &shut, len, -1);
	return try_again(s, &shut, len);
}

/* The same, the program reading the result with SO_ERROR (as event loops
 * do): the connect after it says ECONNABORTED and starts nothing; the one
 * after that is a new try */
static int mode_connectsoerr(const char *name)
{
	struct sockaddr_storage shut;
	socklen_t len, el = sizeof(int);
	int s = refused_nonblock(name, &shut, &len), e = 0;

	if (s < 0)
		return 2;
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
		e = errno;
	printf("SO_ERROR: %s\n", strerror(e));
	connect_say("connect after SO_ERROR", s, &shut, len, -1);
	return try_again(s, &shut, len);
}

/* connect again while another thread closes the socket (thr_close) */
static int mode_connectagainclose(const char *name, const char *name2)
{
	struct sockaddr_storage dst, shut, shut2;
	struct closer cl = { .ufd = -1 };
	socklen_t len, len2;
	pthread_t th;
	int ls, a;

	if (resolve(name, &dst, &len) != 0 || resolve(name2, &shut2, &len2) != 0)
		return 2;
	shut = dst;
	close(listener(&shut, len)); /* ports nobody listens on now */
	close(listener(&shut2, len2));
	ls = listener(&dst, len);
	a = socket(AF_INET6, SOCK_STREAM, 0);
	connect_say("a connect", a, &dst, len, ls);
	cl.fd = socket(AF_INET6, SOCK_STREAM, 0);
	connect_say("b connect", cl.fd, &shut, len, -1);
	pthread_create(&th, NULL, thr_close, &cl);
	connect_say("b connect again", cl.fd, &shut2, len2, -1);
	pthread_join(th, NULL);
	close(cl.ufd);
	return c_connects(&dst, len, ls, a);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: %s gai|connect|errno|dupclose|fork|closerange NAME\n", argv[0]);
		return 2;
	}
	if (strcmp(argv[1], "threads") == 0)
		return mode_threads(argv[2], argc > 3 ? atoi(argv[3]) : 4);
	if (strcmp(argv[1], "gai") == 0)
		return mode_gai(argv[2], argc > 3 ? atoi(argv[3]) : 1);
	if (strcmp(argv[1], "connect") == 0) {
		close(do_connect(argv[2], argc > 3 && strcmp(argv[3], "nonblock") == 0, 1));
		return 0;
	}
	if (strcmp(argv[1], "errno") == 0)
		return mode_errno(argv[2]);
	if (strcmp(argv[1], "bind0") == 0)
		return mode_bind0(argv[2]);
	if (strcmp(argv[1], "dupclose") == 0)
		return mode_dupclose(argv[2]);
	if (strcmp(argv[1], "fork") == 0)
		return mode_fork(argv[2]);
	if (strcmp(argv[1], "vfork") == 0)
		return mode_vfork(argv[2], argc > 3 ? argv[3] : argv[2]);
	if (strcmp(argv[1], "closerange") == 0)
		return mode_closerange(argv[2], argc > 3 ? argv[3] : argv[2]);
	if (strcmp(argv[1], "closefrom") == 0)
		return mode_closefrom(argv[2]);
	if (strcmp(argv[1], "sigclose") == 0 && argc > 3)
		return mode_sigclose(argv[2], argv[3]);
	if (strcmp(argv[1], "fclose") == 0)
		return mode_fclose(argv[2]);
	if (strcmp(argv[1], "closewhile") == 0)
		return mode_closewhile(argv[2]);
	if (strcmp(argv[1], "noport") == 0)
		return mode_noport(argv[2]);
	if (strcmp(argv[1], "refused") == 0 && argc > 3)
		return mode_refused(argv[2], argv[3]);
	if (strcmp(argv[1], "ports") == 0 && argc > 3)
		return mode_ports(argv[2], atoi(argv[3]));
	if (strcmp(argv[1], "connectagain") == 0)
		return mode_connectagain(argv[2]);
	if (strcmp(argv[1], "connectsoerr") == 0)
		return mode_connectsoerr(argv[2]);
	if (strcmp(argv[1], "connectcheck") == 0)
		return mode_connectcheck(argv[2]);
	if (strcmp(argv[1], "connectagainclose") == 0 && argc > 3)
		return mode_connectagainclose(argv[2], argv[3]);
	if (strcmp(argv[1], "reconnect") == 0)
		return mode_reconnect(argv[2], argc > 3 ? atoi(argv[3]) : 4,
				      argc > 4 && strcmp(argv[4], "dup") == 0);
	if (strcmp(argv[1], "recvended") == 0)
		return mode_recvended(argv[2]);
	if (strcmp(argv[1], "recvreused") == 0)
		return mode_recvreused(argv[2]);
	if (strcmp(argv[1], "recvqueued") == 0)
		return mode_recvqueued(argv[2]);
	if (strcmp(argv[1], "away") == 0)
		return mode_away(argv[2], argc > 3 && strcmp(argv[3], "aborted") == 0,
				 argc > 3 && strcmp(argv[3], "sockerr") == 0,
				 argc > 3 && strcmp(argv[3], "forked") == 0);
	if (strcmp(argv[1], "relet") == 0)
		return mode_relet(argv[2], argc > 3 ? atoi(argv[3]) : 4);
	if (strcmp(argv[1], "ended") == 0 && argc > 3)
		return mode_ended(argv[2], argv[3], argc > 4 && strcmp(argv[4], "unreach") == 0);
	if (strcmp(argv[1], "unspec") == 0)
		return mode_unspec(argv[2], argc > 3 && strcmp(argv[3], "ended") == 0);
	fprintf(stderr, "unknown mode %s\n", argv[1]);
	return 2;
}
