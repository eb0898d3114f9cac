/* SPDX-License-Identifier: MIT */
/* test_pollerr.c — odmagent/pollerr.h: a socket's error does not leave it
 * unread. A UDP socket connected to a port where nothing listens takes the
 * ICMPv6 port unreachable of its datagram as its error (ECONNREFUSED), as
 * an agent's socket may take one: poll says POLLERR, and libuv stops the
 * handle. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "log.h"
#include "netns.h"
#include "pollerr.h"

struct seen {
	int errors, reads, resume_rc, resume;
	char data[16];
};

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct seen *s = h->data;
	uv_os_fd_t fd;
	ssize_t n;

	(void)events;
	if (status < 0) {
		s->errors++;
		if (s->resume)
			s->resume_rc = pollerr_resume(h, UV_READABLE, on_poll, "the test's socket");
		return;
	}
	cr_assert_eq(uv_fileno((uv_handle_t *)h, &fd), 0);
	n = recv(fd, s->data, sizeof(s->data) - 1, MSG_DONTWAIT);
	if (n > 0) {
		s->data[n] = '\0';
		s->reads++;
	}
}

/* Runs the loop until the socket read something or 50 turns of 10 ms */
static void spin(uv_loop_t *loop, const struct seen *s)
{
	for (int i = 0; i < 50 && !s->reads; i++) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(10000);
	}
}

/* resume: the callback takes the error off and reads on (pollerr_resume),
 * or does what the agent's callbacks did before: return */
static void error_then_data(int resume, struct seen *s)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t al = sizeof(a);
	uv_loop_t loop;
	uv_poll_t h;
	int c, r;

	test_netns_enter();
	odm_log_init("test", ODM_LOG_ERR, 0);
	/* a port nothing listens on: bound once to learn a free one */
	r = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(r, 0);
	cr_assert_eq(bind(r, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(r, (struct sockaddr *)&a, &al), 0);
	close(r);
	c = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	cr_assert_geq(c, 0);
	cr_assert_eq(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(uv_loop_init(&loop), 0);
	cr_assert_eq(uv_poll_init_socket(&loop, &h, c), 0);
	memset(s, 0, sizeof(*s));
	s->resume = resume;
	h.data = s;
	cr_assert_eq(uv_poll_start(&h, UV_READABLE, on_poll), 0);
	cr_assert_eq(send(c, "x", 1, 0), 1);
	for (int i = 0; i < 50 && !s->errors; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(10000);
	}
	cr_assert_eq(s->errors, 1, "the port unreachable made no error (%d)", s->errors);
	/* now something listens there and answers the connected socket */
	r = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(r, 0);
	cr_assert_eq(bind(r, (struct sockaddr *)&a, sizeof(a)), 0);
	al = sizeof(a);
	cr_assert_eq(getsockname(c, (struct sockaddr *)&a, &al), 0);
	cr_assert_eq(sendto(r, "hello", 5, 0, (struct sockaddr *)&a, sizeof(a)), 5);
	spin(&loop, s);
	close(r);
	uv_close((uv_handle_t *)&h, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	close(c);
}

Test(pollerr, a_socket_error_taken_off_and_the_socket_read_on)
{
	struct seen s;

	error_then_data(1, &s);
	cr_assert_eq(s.resume_rc, ECONNREFUSED, "the error taken off: %d", s.resume_rc);
	cr_assert_eq(s.reads, 1, "the answer after the error was not read");
	cr_assert_str_eq(s.data, "hello");
}

/* The premise: without it, libuv never calls again (what the agent's
 * Mobility Header socket, ICMPv6 socket and others did) */
Test(pollerr, without_it_the_socket_is_deaf)
{
	struct seen s;

	error_then_data(0, &s);
	cr_assert_eq(s.reads, 0);
}

/* A netlink socket has no error queue: a recvmsg with MSG_ERRQUEUE reads
 * its events instead. Taking a netlink socket's error off (an overrun, as
 * the agent's address and link event sockets see) must leave the events
 * that wait: here, the answer to a dump of the links. */
Test(pollerr, a_netlink_socket_keeps_its_events)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = { .h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		  .i = { .ifi_family = AF_UNSPEC } };
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	char buf[8192];
	uv_loop_t loop;
	uv_poll_t h;
	struct seen s = { 0 };
	int fd, waiting;

	test_netns_enter();
	odm_log_init("test", ODM_LOG_ERR, 0);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	cr_assert_geq(fd, 0);
	cr_assert_eq(sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&k, sizeof(k)),
		     (ssize_t)sizeof(req));
	/* the answer is there before the call (the kernel answers in sendto) */
	waiting = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT) > 0;
	cr_assert(waiting, "no dump answer to test with");
	cr_assert_eq(uv_loop_init(&loop), 0);
	cr_assert_eq(uv_poll_init_socket(&loop, &h, fd), 0);
	h.data = &s;
	cr_assert_eq(pollerr_resume(&h, UV_READABLE, on_poll, "the test's netlink socket"), 0);
	cr_assert_gt(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), 0, "the dump's answer was eaten");
	uv_close((uv_handle_t *)&h, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	close(fd);
}
