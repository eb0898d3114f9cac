/* SPDX-License-Identifier: MIT */
/*
 * test_api_events.c — odm_event_read() on a socketpair standing for the
 * agent's event stream: the subscription's answer and other kinds are
 * skipped, a line is taken only once complete, the agent going is EPIPE.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "odm.h"

static int sv[2];

static void setup(void)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
}

static void teardown(void)
{
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
}

TestSuite(api_events, .init = setup, .fini = teardown);

static void agent_says(const char *s)
{
	cr_assert_eq(write(sv[1], s, strlen(s)), (ssize_t)strlen(s));
}

Test(api_events, graceful_replacement_event_is_decoded_whole_lines_only)
{
	static const char ev1[] = "{\"event\":\"graceful-replacement\",\"ms\":5,\"id\":7,"
				  "\"addr\":\"2001:db8:a1::5\",";
	static const char ev2[] = "\"replacement\":\"2001:db8:a2::5\",\"deadline\":123456}\n";
	struct odm_event ev;
	char t[INET6_ADDRSTRLEN];

	agent_says("{\"id\":1,\"ok\":true,\"monitor\":true}\n");
	agent_says("{\"event\":\"move\",\"ms\":4,\"from\":null,\"to\":\"2001:db8:a2::5\"}\n");
	cr_assert_eq(odm_event_read(sv[0], &ev), 0, "nothing a program acts on yet");
	agent_says(ev1);
	errno = 1234;
	cr_assert_eq(odm_event_read(sv[0], &ev), 0, "half a line is not an event");
	cr_assert_eq(errno, 1234, "errno is left alone");
	agent_says(ev2);
	cr_assert_eq(odm_event_read(sv[0], &ev), 1);
	cr_assert_eq(ev.kind, ODM_EVENT_GRACEFUL_REPLACEMENT);
	cr_assert_str_eq(inet_ntop(AF_INET6, &ev.addr, t, sizeof(t)), "2001:db8:a1::5");
	cr_assert_str_eq(inet_ntop(AF_INET6, &ev.replacement, t, sizeof(t)), "2001:db8:a2::5");
	cr_assert_eq(ev.deadline_ms, 123456);
	cr_assert_eq(odm_event_read(sv[0], &ev), 0, "read once");
}

Test(api_events, malformed_events_are_skipped)
{
	struct odm_event ev;

	agent_says("{\"event\":\"graceful-replacement\",\"addr\":\"nope\","
		   "\"replacement\":\"2001:db8:a2::5\",\"deadline\":1}\n");
	agent_says("{\"event\":\"graceful-replacement\",\"addr\":\"2001:db8:a1::5\","
		   "\"replacement\":\"2001:db8:a2::5\",\"deadline\":-1}\n");
	agent_says("not json\n");
	cr_assert_eq(odm_event_read(sv[0], &ev), 0);
}

Test(api_events, agent_gone_is_epipe)
{
	struct odm_event ev;

	close(sv[1]);
	sv[1] = -1;
	cr_assert_eq(odm_event_read(sv[0], &ev), -1);
	cr_assert_eq(errno, EPIPE);
	cr_assert_eq(odm_event_read(sv[0], NULL), -1);
	cr_assert_eq(errno, EINVAL);
}

/*
 * The agent refuses a subscription by answering it "ok": false: EBUSY to a
 * connection over its user's share (then it closes it), EINVAL to a kind it
 * does not know (an older agent), ENOMEM. Skipped as lines that are no
 * event, they left a program reading nothing but 0 (an agent that keeps the
 * connection) or EPIPE, "subscribe again", at once and forever after.
 */
Test(api_events, a_refused_subscription_is_said)
{
	static const struct {
		const char *line;
		int err;
	} cases[] = {
		{ "{\"id\":null,\"ok\":false,\"error\":\"EBUSY\",\"message\":\"uid-share\"}\n",
		  EBUSY },
		{ "{\"id\":1,\"ok\":false,\"error\":\"ENOMEM\",\"message\":\"m\"}\n", ENOMEM },
		{ "{\"id\":1,\"ok\":false,\"error\":\"EINVAL\",\"message\":\"unknown kind\"}\n",
		  EPROTO },
	};
	struct odm_event ev;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		agent_says(cases[i].line);
		errno = 0;
		cr_assert_eq(odm_event_read(sv[0], &ev), -1, "%s", cases[i].line);
		cr_assert_eq(errno, cases[i].err, "%s: errno %d", cases[i].line, errno);
	}
	/* a graceful-replacement event of an accepted one is read as before */
	agent_says("{\"id\":1,\"ok\":true,\"monitor\":true}\n"
		   "{\"event\":\"graceful-replacement\",\"addr\":\"2001:db8:a1::5\","
		   "\"replacement\":\"2001:db8:a2::5\",\"deadline\":9}\n");
	cr_assert_eq(odm_event_read(sv[0], &ev), 1);
	cr_assert_eq(ev.deadline_ms, 9);
}

Test(api_events, no_agent_no_fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/nonexistent-odm-test-%d.sock", (int)getpid());
	setenv("ODM_SOCKET", path, 1);
	errno = 0;
	cr_assert_eq(odm_events_fd(), -1);
	cr_assert(errno == ENOENT || errno == ECONNREFUSED, "errno %d", errno);
}

Test(api_events, the_fd_is_non_blocking_and_close_on_exec)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/odm-events-XXXXXX", line[256];
	int lfd, fd, conn;
	ssize_t n;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/agent.sock", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(lfd, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(listen(lfd, 4), 0);
	setenv("ODM_SOCKET", sun.sun_path, 1);
	fd = odm_events_fd();
	cr_assert_geq(fd, 0, "errno %d", errno);
	cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK, "an event loop's descriptor does not block");
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	conn = accept(lfd, NULL, NULL);
	cr_assert_geq(conn, 0);
	n = read(conn, line, sizeof(line) - 1);
	cr_assert_gt(n, 0);
	line[n] = '\0';
	cr_assert(strstr(line, "\"op\":\"monitor\""), "%s", line);
	close(conn);
	close(fd);
	close(lfd);
	unlink(sun.sun_path);
	rmdir(dir);
}
