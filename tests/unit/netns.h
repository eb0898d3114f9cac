/* SPDX-License-Identifier: MIT */
/*
 * netns.h — put the current test process into a fresh network namespace
 * with lo up, so a test can add addresses, routes and sockets without
 * touching the host. Criterion runs each test in its own process, so the
 * namespace dies with the test. Needs root (CAP_NET_ADMIN); tests skip
 * otherwise.
 */
#ifndef ODM_TEST_NETNS_H
#define ODM_TEST_NETNS_H

#include <criterion/criterion.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static inline void test_netns_enter(void)
{
	struct ifreq ifr;
	int fd;

	if (geteuid() != 0)
		cr_skip_test("needs root for a network namespace");
	if (unshare(CLONE_NEWNET) < 0)
		cr_skip_test("unshare(CLONE_NEWNET): %s", strerror(errno));
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	cr_assert_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	cr_assert_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0, "lo up: %s", strerror(errno));
	close(fd);
}

#endif
