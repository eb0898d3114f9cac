/* SPDX-License-Identifier: MIT */
/*
 * test_shim_reconnect.c — shim_connect.c's reconnect of a leased UDP socket
 * whose lease ended under it (shim_reconnect_ended): one at a time in the
 * process, under a lock that a cancelled thread must not take with it.
 * A real UDP socket on ::1, its lease put in the fd table by hand; no
 * agent listens (ODM_SOCKET names nothing), so the socket goes plain.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fdtable.h"
#include "odm.h"
#include "shim_connect.h"
#include "watchdog.h"

static char dir[64];

static void setup(void)
{
	char path[128];

	unit_watchdog(30);

	snprintf(dir, sizeof(dir), "/tmp/odm-shimrc-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/no-agent.sock", dir);
	setenv("ODM_SOCKET", path, 1);
	unsetenv("ODM_TYPE");
	unsetenv("ODM_DEBUG");
}

static void teardown(void)
{
	rmdir(dir);
}

TestSuite(shim_reconnect, .init = setup, .fini = teardown);

/* A UDP socket on [::1] leased there, connected to a receiver, then
 * disconnected as the agent's ending of its lease leaves it (SOCK_DESTROY) */
static int ended_socket(int *rx)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr none = { .sa_family = AF_UNSPEC };
	socklen_t l = sizeof(a);
	struct fd_lease fl;
	int u;

	*rx = socket(AF_INET6, SOCK_DGRAM, 0);
	cr_assert_geq(*rx, 0);
	cr_assert_eq(bind(*rx, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(*rx, (struct sockaddr *)&a, &l), 0);
	u = socket(AF_INET6, SOCK_DGRAM, 0);
	cr_assert_geq(u, 0);
	memset(&fl, 0, sizeof(fl));
	fl.addr = in6addr_loopback;
	fl.type = ODM_TYPE_SESSION_LASTING;
	fl.udp = 1;
	fl.tried = 1;
	fl.peer = a;
	strcpy(fl.lease, "1");
	cr_assert_eq(connect(u, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(fdtable_track(fdtable_global(1), u, &fl), 0);
	cr_assert_eq(connect(u, &none, sizeof(none)), 0);
	return u;
}

static void *reconnect_cancelled(void *arg)
{
	/* cancelled before it starts: acted on at its first cancellation point */
	pthread_cancel(pthread_self());
	shim_reconnect_ended(*(int *)arg);
	pthread_testcancel();
	return NULL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * A thread cancelled while it reconnects (its connect calls are
 * cancellation points) does not end holding the process's reconnect lock:
 * every later reconnect of the process would wait 5 s for it and give up,
 * leaving the program's sends failing with EDESTADDRREQ.
 */
Test(shim_reconnect, a_thread_cancelled_in_a_reconnect_leaves_the_lock_free)
{
	int rx, u = ended_socket(&rx), r;
	void *res = NULL;
	pthread_t t;
	uint64_t t0;

	pthread_create(&t, NULL, reconnect_cancelled, &u);
	pthread_join(t, &res);
	cr_assert_eq(res, PTHREAD_CANCELED);
	/* the next reconnect of the process: connected already (the
	 * cancelled one's work done), or to be connected now */
	t0 = now_ms();
	r = shim_reconnect_ended(u);
	cr_assert_eq(r, 1, "the next reconnect of the process did not connect (%d) after %llu ms",
		     r, (unsigned long long)(now_ms() - t0));
	cr_assert_lt(now_ms() - t0, 2000, "the next reconnect waited %llu ms for the lock",
		     (unsigned long long)(now_ms() - t0));
	close(u);
	close(rx);
}
