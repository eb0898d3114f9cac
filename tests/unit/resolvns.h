/* SPDX-License-Identifier: MIT */
/*
 * resolvns.h — the test process in a network namespace of its own (lo
 * only, netns.h) and a mount namespace of its own, where /etc/resolv.conf
 * is a file of the test's bind-mounted over the system's, holding text;
 * and a UDP socket bound to loopback port 53 that nobody reads (a DNS
 * server that never answers). Needs root; tests skip otherwise.
 */
#ifndef ODM_TEST_RESOLVNS_H
#define ODM_TEST_RESOLVNS_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"

/* Enters the namespaces, /etc/resolv.conf holding text; the socket on
 * [::1]:53 nobody reads */
static inline int test_resolv_ns_enter(const char *text)
{
	char path[] = "/tmp/odm-resolv-XXXXXX";
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(53) };
	size_t len = strlen(text);
	int fd;

	test_netns_enter();
	if (unshare(CLONE_NEWNS) < 0)
		cr_skip_test("unshare(CLONE_NEWNS): %s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	cr_assert_eq(mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL), 0, "%s",
		     strerror(errno));
	unlink(path);
	sa.sin6_addr = in6addr_loopback;
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

#endif
