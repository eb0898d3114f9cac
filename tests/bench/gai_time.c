/*
 * gai_time.c — time getaddrinfo() for one name, ROUNDS times in fresh
 * processes is the caller's job (the shim caches cha answers per process);
 * this prints the microseconds of the first call in this process.
 *   gai_time NAME
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct addrinfo hints, *res = NULL;
	struct timespec t0, t1;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: gai_time NAME\n");
		return 2;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET6;
	hints.ai_socktype = SOCK_STREAM;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = getaddrinfo(argv[1], "80", &hints, &res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc != 0) {
		fprintf(stderr, "gai_time: %s: %s\n", argv[1], gai_strerror(rc));
		return 1;
	}
	freeaddrinfo(res);
	printf("%ld\n", (long)((t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000));
	return 0;
}
