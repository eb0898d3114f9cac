/* SPDX-License-Identifier: MIT */
/*
 * lease_load.c — many processes, each holding a few connections, for the
 * shim under load (tests/net/test_load.sh, make bench). Forks P children
 * that all start together; each resolves HOST (so the shim learns its CHA),
 * opens N TCP connections to HOST PORT and keeps them, then closes them one
 * by one. connect() is non-blocking, so its time is what the call itself
 * costs (the shim's work and the SYN going out), and the time until the
 * connection is up is given apart (it includes the path, e.g. a tunnel).
 * One line per connection, written whole to stdout:
 *   <child> <i> <connect_call_ns> <close_ns> <source address> <connected_ns>
 *   <child> <i> ERR <errno name>
 *   lease_load HOST PORT P N
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_N 64

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One line with a single write, so children's lines never interleave. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && write(1, line, (size_t)n) != n)
		_exit(3);
}

static int child(int id, const char *host, const char *port, int n)
{
	struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM }, *ai;
	long long t_conn[MAX_N], t_up[MAX_N], t0;
	int fds[MAX_N], r;
	char src[MAX_N][INET6_ADDRSTRLEN];

	r = getaddrinfo(host, port, &hints, &ai);
	if (r != 0) {
		say("%d 0 ERR getaddrinfo:%s\n", id, gai_strerror(r));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct sockaddr_in6 me;
		socklen_t ml = sizeof(me);

		struct pollfd pf;
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		fds[i] = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
		t0 = now_ns();
		r = connect(fds[i], ai->ai_addr, ai->ai_addrlen);
		t_conn[i] = now_ns() - t0;
		if (r != 0 && errno == EINPROGRESS) {
			pf.fd = fds[i];
			pf.events = POLLOUT;
			if (poll(&pf, 1, 20000) != 1)
				soerr = ETIMEDOUT;
			else if (getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
				soerr = errno;
			r = soerr ? -1 : 0;
			errno = soerr;
		}
		t_up[i] = now_ns() - t0;
		if (r != 0) {
			say("%d %d ERR %s\n", id, i, strerrorname_np(errno));
			close(fds[i]);
			fds[i] = -1;
			continue;
		}
		getsockname(fds[i], (struct sockaddr *)&me, &ml);
		inet_ntop(AF_INET6, &me.sin6_addr, src[i], sizeof(src[i]));
	}
	freeaddrinfo(ai);
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		t0 = now_ns();
		close(fds[i]);
		say("%d %d %lld %lld %s %lld\n", id, i, t_conn[i], now_ns() - t0, src[i], t_up[i]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int p, n, go[2], bad = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: lease_load HOST PORT P N\n");
		return 2;
	}
	p = atoi(argv[3]);
	n = atoi(argv[4]);
	if (p < 1 || p > 2000 || n < 1 || n > MAX_N) {
		fprintf(stderr, "lease_load: P must be 1..2000, N 1..%d\n", MAX_N);
		return 2;
	}
	if (pipe(go) != 0) {
		perror("pipe");
		return 1;
	}
	for (int i = 0; i < p; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			bad = 1;
			break;
		}
		if (pid == 0) {
			char c;

			close(go[1]);
			/* all start together: the parent closes the pipe */
			while (read(go[0], &c, 1) > 0)
				;
			close(go[0]);
			_exit(child(i, argv[1], argv[2], n));
		}
	}
	close(go[0]);
	close(go[1]);
	for (;;) {
		int st;
		pid_t w = wait(&st);

		if (w < 0)
			break;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	}
	return bad;
}
