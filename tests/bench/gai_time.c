/* SPDX-License-Identifier: MIT */
/*
 * gai_time.c — what getaddrinfo() costs a fresh process, plain libc against
 * libc behind the shim, measured side by side.
 *
 *   gai_time NAME [PORT]
 *       one process: times the first getaddrinfo() of NAME (cold: the
 *       resolver's and the shim's first use in the process), then a second
 *       one (warm), and with PORT the first connect() to the first address
 *       (with the shim, where a session-lasting socket's cha.<host> lookup
 *       and lease happen). Prints "cold_ns warm_ns done_ns conn_ns": done_ns
 *       is CLOCK_MONOTONIC when the first call returned, conn_ns -1 without
 *       PORT.
 *
 *   gai_time -r ROUNDS NAME VAR=VALUE...
 *       the comparison: ROUNDS rounds, each spawning this program once
 *       plain (this environment without LD_PRELOAD) and once with the
 *       VAR=VALUE settings added (LD_PRELOAD=libodm.so ...), the order
 *       alternating from round to round (ABBA) so drift and order effects
 *       fall on both alike. Three figures, each the median over the rounds
 *       in microseconds, plain then shim, then the median of the per-round
 *       differences (shim - plain):
 *         cold   the first call, inside the process;
 *         warm   the second call;
 *         start  from posix_spawn() to the return of the first call:
 *                exec, the dynamic loader (libodm.so and the libraries it
 *                needs), constructors and the first call — what a program
 *                that resolves one name pays for the shim in all.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_ROUNDS 10000
#define MAX_ENV 512

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long timed_gai(const char *name, struct addrinfo **res)
{
	struct addrinfo hints;
	long long t0, ns;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET6;
	hints.ai_socktype = SOCK_STREAM;
	t0 = now_ns();
	rc = getaddrinfo(name, "80", &hints, res);
	ns = now_ns() - t0;
	if (rc != 0) {
		fprintf(stderr, "gai_time: %s: %s\n", name, gai_strerror(rc));
		exit(1);
	}
	return ns;
}

static int one_process(const char *name, const char *port)
{
	struct addrinfo *res = NULL, *res2 = NULL;
	long long cold, warm, done, conn = -1, t0;
	int fd;

	cold = timed_gai(name, &res);
	done = now_ns();
	warm = timed_gai(name, &res2);
	freeaddrinfo(res2);
	if (port) {
		((struct sockaddr_in6 *)res->ai_addr)->sin6_port = htons((unsigned short)atoi(port));
		t0 = now_ns();
		fd = socket(res->ai_family, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
			perror("gai_time: connect");
			return 1;
		}
		conn = now_ns() - t0;
		close(fd);
	}
	freeaddrinfo(res);
	printf("%lld %lld %lld %lld\n", cold, warm, done, conn);
	return 0;
}

/* One child with environment env: its cold, warm and spawn-to-first-return (ns). */
static int spawn_one(const char *name, char **env, long long out[3])
{
	char *argv[] = { "gai_time", (char *)name, NULL };
	posix_spawn_file_actions_t fa;
	long long cold, warm, done, conn, t0;
	char buf[256];
	ssize_t n;
	size_t len = 0;
	int p[2], st, rc;
	pid_t pid;

	if (pipe(p) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	t0 = now_ns();
	rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		errno = rc;
		return -1;
	}
	while (len < sizeof(buf) - 1 && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(p[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	if (sscanf(buf, "%lld %lld %lld %lld", &cold, &warm, &done, &conn) != 4)
		return -1;
	out[0] = cold;
	out[1] = warm;
	out[2] = done - t0;
	return 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* Median of v[0..n) in microseconds (v is sorted in place). */
static double median_us(long long *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_ll);
	return (n % 2 ? (double)v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0) / 1000.0;
}

static int compare(int rounds, const char *name, char **sets, int nsets)
{
	static char *plain_env[MAX_ENV], *shim_env[MAX_ENV];
	static long long v[2][3][MAX_ROUNDS], d[3][MAX_ROUNDS];
	static const char *fig[3] = { "cold", "warm", "start" };
	int np = 0, ns = 0;

	for (char **e = environ; *e; e++) {
		if (strncmp(*e, "LD_PRELOAD=", 11) == 0)
			continue;
		if (np >= MAX_ENV - 1 - nsets) {
			fprintf(stderr, "gai_time: environment too large\n");
			return 2;
		}
		plain_env[np++] = *e;
		shim_env[ns++] = *e;
	}
	for (int i = 0; i < nsets; i++)
		shim_env[ns++] = sets[i];
	plain_env[np] = shim_env[ns] = NULL;
	for (int r = 0; r < rounds; r++) {
		/* ABBA: plain first in rounds 0, 3, 4, 7, 8, ...; shim first in the others */
		int shim_first = (r % 4 == 1 || r % 4 == 2);
		for (int k = 0; k < 2; k++) {
			int shim = k ^ shim_first;
			long long out[3];
			if (spawn_one(name, shim ? shim_env : plain_env, out) != 0) {
				fprintf(stderr, "gai_time: round %d (%s) failed\n", r,
					shim ? "shim" : "plain");
				return 1;
			}
			for (int f = 0; f < 3; f++)
				v[shim][f][r] = out[f];
		}
		for (int f = 0; f < 3; f++)
			d[f][r] = v[1][f][r] - v[0][f][r];
	}
	for (int f = 0; f < 3; f++)
		printf("%s %.1f %.1f %.1f\n", fig[f], median_us(v[0][f], rounds),
		       median_us(v[1][f], rounds), median_us(d[f], rounds));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "-r") == 0) {
		int rounds = atoi(argv[2]);
		if (rounds < 1 || rounds > MAX_ROUNDS) {
			fprintf(stderr, "gai_time: ROUNDS must be 1..%d\n", MAX_ROUNDS);
			return 2;
		}
		for (int i = 4; i < argc; i++)
			if (!strchr(argv[i], '=')) {
				fprintf(stderr, "gai_time: %s is not VAR=VALUE\n", argv[i]);
				return 2;
			}
		return compare(rounds, argv[3], argv + 4, argc - 4);
	}
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: gai_time NAME [PORT]\n"
				"       gai_time -r ROUNDS NAME VAR=VALUE...\n");
		return 2;
	}
	return one_process(argv[1], argc == 3 ? argv[2] : NULL);
}
