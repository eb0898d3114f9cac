/* SPDX-License-Identifier: MIT */
/*
 * test_agent_client.c — the shim's agent client against a scripted agent on
 * a temporary socket: a request is not lost when the agent refuses a
 * connection (EBUSY), closes an idle one, or dies with it and is started
 * again, and the release hint never waits for the agent.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent_client.h"
#include "odm.h"
#include "watchdog.h"

static char dir[64], path[96];
static int lfd = -1;

/* what the scripted agent does with each connection, in order */
enum step { REFUSE, SERVE_ONE_THEN_CLOSE, SERVE, HOLD_UNREAD, SERVE_NOT_SUPPORTED, SILENT, SERVE_OLD,
	    DIE };
static enum step script[8];
static int n_script;
static char got[4096]; /* the lines it read, concatenated */
static pthread_t agent_thread;

static void agent_setup(void)
{
	unit_watchdog(20);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/odm-agc-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/agent.sock", dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(listen(lfd, 8), 0);
	setenv("ODM_SOCKET", path, 1);
}

/* Read one line (without '\n') into buf; 0 at EOF. */
static size_t read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap && read(fd, buf + n, 1) == 1)
		if (buf[n++] == '\n')
			break;
	buf[n] = '\0';
	return n;
}

/* Answer the request line with the reply's fields (after its id). */
static void respond(int c, const char *line, const char *fields)
{
	const char *id = strstr(line, "\"id\":");
	char out[256];
	int n;

	cr_assert_not_null(id, "request without an id: %s", line);
	n = snprintf(out, sizeof(out), "{\"id\":%lld,%s}\n", atoll(id + 5), fields);
	cr_assert_eq(write(c, out, (size_t)n), n);
}

/* Answer a lease request with an address. */
static void answer(int c, const char *line)
{
	respond(c, line, "\"ok\":true,\"addr\":\"2001:db8:c4a::7\",\"lease\":\"1\"");
}

/* Refuse a lease request the way the agent's policy does. */
static void not_supported(int c, const char *line)
{
	respond(c, line, "\"ok\":false,\"error\":\"REQUIREDIPNOTSUPPORTED\","
			 "\"message\":\"policy: session-lasting is not allowed for uid 1\"");
}

/* The agent dies (killed: its socket stays, refusing) and is started
 * again after ms: listening at the same path anew */
static void die_and_restart(int ms)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	close(lfd);
	usleep((useconds_t)ms * 1000);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(listen(lfd, 8), 0);
}

static void *agent_main(void *arg)
{
	char line[1024];

	(void)arg;
	for (int i = 0; i < n_script; i++) {
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			return NULL;
		switch (script[i]) {
		case REFUSE: {
			const char *busy = "{\"id\":null,\"ok\":false,\"error\":\"EBUSY\","
					   "\"message\":\"the user holds its whole share\"}\n";

			cr_assert_eq(write(c, busy, strlen(busy)), (ssize_t)strlen(busy));
			close(c);
			break;
		}
		case SERVE_ONE_THEN_CLOSE:
		case SERVE:
		case SERVE_OLD:
			while (read_line(c, line, sizeof(line))) {
				strncat(got, line, sizeof(got) - strlen(got) - 1);
				if (strstr(line, "\"cha-check\"") && script[i] == SERVE_OLD)
					respond(c, line, "\"ok\":false,\"error\":\"ENOSYS\",\"message\":"
							 "\"op \\\"cha-check\\\" not served\"");
				else if (strstr(line, "\"cha-check\"") && strstr(line, "dead"))
					respond(c, line, "\"ok\":true,\"silent\":true,\"left_ms\":4000");
				else if (strstr(line, "\"cha-check\""))
					respond(c, line, "\"ok\":true,\"silent\":false,\"probe\":true");
				else if (strstr(line, "\"lease\""))
					answer(c, line);
				else if (strstr(line, "\"hello\""))
					respond(c, line, "\"ok\":true,\"role\":\"mn\","
							 "\"default_type\":\"graceful-replacement\"");
				if (script[i] == SERVE_ONE_THEN_CLOSE)
					break;
			}
			close(c);
			break;
		case HOLD_UNREAD:
			pause(); /* never reads: the test process ends it */
			break;
		case SILENT: /* reads, answers nothing, until the client closes */
			while (read_line(c, line, sizeof(line)))
				strncat(got, line, sizeof(got) - strlen(got) - 1);
			close(c);
			break;
		case SERVE_NOT_SUPPORTED:
			if (read_line(c, line, sizeof(line)))
				not_supported(c, line);
			close(c);
			break;
		case DIE: /* the request read, never answered */
			read_line(c, line, sizeof(line));
			close(c);
			die_and_restart(300);
			break;
		}
	}
	return NULL;
}

static void run_agent(const enum step *s, int n)
{
	memcpy(script, s, (size_t)n * sizeof(*s));
	n_script = n;
	pthread_create(&agent_thread, NULL, agent_main, NULL);
}

static void agent_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(agent_client, .init = agent_setup, .fini = agent_teardown);

static int lease(void)
{
	struct in6_addr dst, cha;
	struct agent_lease out;

	inet_pton(AF_INET6, "2001:db8:c0::10", &dst);
	inet_pton(AF_INET6, "2001:db8:ca::10", &cha);
	return agent_lease(ODM_TYPE_SESSION_LASTING, &dst, &cha, "tcp", 0, &out);
}

Test(agent_client, refused_connection_is_tried_again)
{
	static const enum step s[] = { REFUSE, REFUSE, SERVE };

	run_agent(s, 3);
	cr_assert_eq(lease(), 1, "the request was dropped with the refused connection");
	pthread_detach(agent_thread);
}

/* getaddrinfo() reads the default type without asking: only once asked is it known */
Test(agent_client, default_type_is_known_only_after_the_hello)
{
	static const enum step s[] = { SERVE };

	cr_assert_eq(agent_default_type_known(), -1, "known before the agent was asked");
	run_agent(s, 1);
	cr_assert_eq(agent_default_type(), ODM_TYPE_GRACEFUL_REPLACEMENT);
	cr_assert_eq(agent_default_type_known(), ODM_TYPE_GRACEFUL_REPLACEMENT);
	pthread_detach(agent_thread);
}

/* setsc() tells EAI_REQUIREDIPNOTSUPPORTED from EAI_REQUIREDIPFAILED by it */
Test(agent_client, a_type_the_agent_does_not_offer_is_eopnotsupp)
{
	static const enum step s[] = { SERVE_NOT_SUPPORTED };

	run_agent(s, 1);
	int r = lease();

	cr_assert_eq(r, -EOPNOTSUPP, "%d", r);
	pthread_join(agent_thread, NULL);
}

/* An ODM_SOCKET no socket can have (longer than sun_path) is said once on
 * standard error, as a bad ODM_TYPE is, not only under ODM_DEBUG. */
Test(agent_client, an_odm_socket_too_long_is_said_once)
{
	char longpath[200], buf[1024];
	size_t n;

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	setenv("ODM_SOCKET", longpath, 1);
	unsetenv("ODM_DEBUG");
	cr_redirect_stderr();
	cr_assert_lt(lease(), 0, "no agent can be there");
	cr_assert_lt(lease(), 0);
	fflush(stderr);
	n = fread(buf, 1, sizeof(buf) - 1, cr_get_redirected_stderr());
	buf[n] = '\0';
	cr_assert(strstr(buf, "odm: ODM_SOCKET=\"/aaaa"), "%s", buf);
	cr_assert(strstr(buf, "is longer than a Unix socket path can be (107 bytes)"), "%s", buf);
	cr_assert_null(strstr(strstr(buf, "ODM_SOCKET") + 1, "ODM_SOCKET"), "said twice: %s", buf);
}

Test(agent_client, connection_closed_while_idle_is_replaced)
{
	static const enum step s[] = { SERVE_ONE_THEN_CLOSE, SERVE };

	run_agent(s, 2);
	cr_assert_eq(lease(), 1);
	usleep(50000); /* the agent has closed the first connection by now */
	cr_assert_eq(lease(), 1, "the request was lost with the closed connection");
	cr_assert_eq(agent_release(&(struct in6_addr){ .s6_addr = { 0x20, 1, 0xd, 0xb8 } }), 0);
	pthread_detach(agent_thread);
	for (int i = 0; i < 200 && !strstr(got, "\"noreply\""); i++)
		usleep(10000);
	cr_assert(strstr(got, "\"op\":\"release\"") && strstr(got, "\"noreply\":true"),
		  "the hint is a release asking for no answer: %s", got);
}

/* An agent that dies with the request unanswered (its socket left there,
 * refusing) and is started again 300 ms later: the call is answered by the
 * new one, not failed at once as with no agent (odm(7) ODM_TYPE) */
Test(agent_client, an_agent_that_dies_with_the_request_is_asked_again_once_back)
{
	static const enum step s[] = { DIE, SERVE };

	run_agent(s, 2);
	cr_assert_eq(lease(), 1, "the call failed while the agent started again");
	pthread_detach(agent_thread);
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The agent closed the process's connection while it was idle, then died
 * (its socket left, refusing): the next call carried no request to it, and
 * fails at once, as one made with no agent does (setsc(3) EAI_REQUIREDIPFAILED:
 * well under 100 ms), not after the call's 4 s spent waiting for a restart. */
Test(agent_client, an_agent_gone_while_the_connection_was_idle_fails_the_call_at_once)
{
	static const enum step s[] = { SERVE_ONE_THEN_CLOSE };
	long long t0, took;
	int r;

	run_agent(s, 1);
	cr_assert_eq(lease(), 1);
	pthread_join(agent_thread, NULL); /* it has closed the connection */
	close(lfd);                       /* and died: the path stays, refusing */
	lfd = -1;
	t0 = now_us();
	r = lease();
	took = now_us() - t0;
	cr_assert_lt(r, 0, "no agent, yet a lease");
	cr_assert_lt(took, 2000000, "the call waited %lld ms for an agent it never asked", took / 1000);
}

Test(agent_client, release_hint_never_waits)
{
	static const enum step s[] = { HOLD_UNREAD };
	struct in6_addr a;
	long long worst = 0;
	int r = 0, sent = 0;

	inet_pton(AF_INET6, "2001:db8:c4a::7", &a);
	run_agent(s, 1);
	/* an agent that never reads: the socket buffer fills, hints are dropped */
	for (int i = 0; i < 200000 && r == 0; i++) {
		long long t0 = now_us();

		r = agent_release(&a);
		if (now_us() - t0 > worst)
			worst = now_us() - t0;
		sent += r == 0;
	}
	cr_assert_eq(r, -EAGAIN, "a full buffer gave %d, not -EAGAIN", r);
	cr_assert_gt(sent, 0);
	/* the synchronous hint it replaces waited 200 ms for an answer */
	cr_assert_lt(worst, 100000, "a hint waited %lld us", worst);
	pthread_detach(agent_thread);
}

Test(agent_client, fallback_is_told_without_waiting)
{
	static const enum step s[] = { SERVE };
	struct in6_addr dst;

	inet_pton(AF_INET6, "2001:db8:c0::10", &dst);
	run_agent(s, 1);
	cr_assert_eq(agent_fallback(ODM_TYPE_SESSION_LASTING, &dst, ETIMEDOUT), 0);
	pthread_detach(agent_thread);
	for (int i = 0; i < 200 && !strstr(got, "\"fallback\""); i++)
		usleep(10000);
	cr_assert(strstr(got, "\"op\":\"fallback\"") && strstr(got, "\"dst\":\"2001:db8:c0::10\"") &&
			  strstr(got, "\"noreply\":true"),
		  "%s", got);
}

static void *lease_then_cancel_point(void *arg)
{
	(void)arg;
	lease();
	pthread_testcancel();
	return NULL;
}

/* fn (a lease call, then what it does) started in *t; back once the
 * agent has the lease request */
static void lease_in_a_thread(pthread_t *t, void *(*fn)(void *))
{
	pthread_create(t, NULL, fn, NULL);
	for (int i = 0; i < 300 && !strstr(got, "\"lease\""); i++)
		usleep(10000);
	cr_assert(strstr(got, "\"lease\""), "the lease request never reached the agent");
}

/* A thread cancelled while its call waits for the agent's answer (in
 * poll(), a cancellation point) does not end holding the process's agent
 * lock: the next call of the process would wait for it in vain and fail.
 * The cancelled call ends first (its agent silent: at its time limit). */
Test(agent_client, a_thread_cancelled_in_a_call_leaves_the_lock_free)
{
	static const enum step s[] = { SILENT, SERVE };
	void *res = NULL;
	pthread_t t;

	run_agent(s, 2);
	lease_in_a_thread(&t, lease_then_cancel_point);
	usleep(50000); /* the caller is in its wait for the answer */
	pthread_cancel(t);
	pthread_join(t, &res);
	cr_assert_eq(res, PTHREAD_CANCELED);
	cr_assert_eq(lease(), 1, "the next call of the process got no lease");
	pthread_detach(agent_thread);
}

/* got holds want, within 2 s (a hint is read by the agent thread later) */
static int got_within(const char *want)
{
	for (int i = 0; i < 200; i++) {
		if (strstr(got, want))
			return 1;
		poll(NULL, 0, 10);
	}
	return 0;
}

/* cha-check and cha-result (chashare.h): the agent's word read, the
 * result told without an answer */
Test(agent_client, cha_check_and_result)
{
	static const enum step s[] = { SERVE };
	unsigned left;
	int probe;

	run_agent(s, 1);
	cr_assert_eq(agent_cha_check("dead.example.test", 200, &probe, &left), 1);
	cr_assert_eq(left, 4000);
	cr_assert_eq(probe, 0);
	cr_assert_eq(agent_cha_check("cn.example.test", 200, &probe, &left), 0);
	cr_assert_eq(probe, 1, "the agent's probe is passed on");
	cr_assert_eq(left, 0);
	cr_assert_eq(agent_cha_result("cn.example.test", 0), 0);
	cr_assert(got_within("{\"op\":\"cha-result\",\"name\":\"cn.example.test\","
			     "\"answered\":false,\"noreply\":true"), "sent: %s", got);
	pthread_detach(agent_thread);
}

/* an agent that does not serve cha-check (an older one) is asked once */
Test(agent_client, an_agent_without_cha_check_is_asked_once)
{
	static const enum step s[] = { SERVE_OLD };
	unsigned left;
	int probe;

	run_agent(s, 1);
	cr_assert_eq(agent_cha_check("cn.example.test", 200, &probe, &left), -ENOSYS);
	cr_assert_eq(agent_cha_check("cn2.example.test", 200, &probe, &left), -ENOSYS);
	cr_assert_eq(agent_cha_result("cn.example.test", 0), -ENOSYS);
	cr_assert(strstr(got, "cn.example.test") && !strstr(got, "cn2.example.test"),
		  "asked again: %s", got);
	cr_assert_eq(lease(), 1, "its leases go on");
	pthread_detach(agent_thread);
}

/* the first cha-check gets no answer within its 200 ms, and waits them;
 * four more right after it come back at once */
static void one_check_waits_the_next_do_not(void)
{
	long long t0, first, next;
	unsigned left;
	int probe;

	t0 = now_us();
	cr_assert_eq(agent_cha_check("cn.example.test", 200, &probe, &left), -ETIMEDOUT);
	first = now_us() - t0;
	cr_assert_geq(first, 150000, "the first check did not wait (%lld us)", first);
	t0 = now_us();
	for (int i = 0; i < 4; i++)
		cr_assert_eq(agent_cha_check("cn2.example.test", 200, &probe, &left), -ETIMEDOUT);
	next = now_us() - t0;
	cr_assert_lt(next, 50000, "4 checks more waited %lld us in all", next);
}

/* An agent that takes cha-check and never answers (stopped): the first
 * check waits its ms, the next ones of the process do not, for a while;
 * a round of lookups (chalookup.c resolve_deferred) asks one per name,
 * and with n names waited n times 200 ms. */
Test(agent_client, a_silent_agent_is_not_asked_cha_check_again_at_once)
{
	static const enum step s[] = { SILENT, SILENT, SILENT };

	run_agent(s, 3);
	one_check_waits_the_next_do_not();
	pthread_detach(agent_thread);
}

static void *lease_in_thread(void *arg)
{
	(void)arg;
	lease();
	return NULL;
}

/* Another thread's call holds the process's agent connection (a lease whose
 * agent says nothing: AGENT_LEASE_MS): the first cha-check waits its ms for
 * it, the next ones do not, for a while. Before, each waited its 200 ms
 * for the lock, and a round of lookups for n names n times that. */
Test(agent_client, cha_check_behind_a_slow_call_is_not_tried_at_once_again)
{
	static const enum step s[] = { SILENT };
	pthread_t t;

	run_agent(s, 1);
	lease_in_a_thread(&t, lease_in_thread);
	one_check_waits_the_next_do_not();
	pthread_join(t, NULL);
	pthread_detach(agent_thread);
}

/*
 * An agent that takes the requests and answers none (stopped, hung): the
 * first lease waits its AGENT_LEASE_MS, the next asks hello first and,
 * unanswered within AGENT_PROBE_MS, fails (-ETIME); the ones after it
 * fail at once for AGENT_RETRY_MS (odm(7): not asked again for a second).
 * Before, every call waited its 4 s: a program's connects, or setsc()
 * calls, one after the other, 4 s each. Once that second is over, an
 * agent that answers hello again (it runs: its anchors were what was
 * silent) is asked the lease as before, and served.
 */
Test(agent_client, a_silent_agent_is_not_asked_a_lease_again_at_once)
{
	static const enum step s[] = { SILENT, SILENT, SERVE };
	long long t0, us;

	run_agent(s, 3);
	t0 = now_us();
	cr_assert_eq(lease(), -ETIMEDOUT);
	us = now_us() - t0;
	cr_assert_geq(us, (AGENT_LEASE_MS - 100) * 1000LL, "the first lease waited %lld us", us);
	t0 = now_us();
	cr_assert_eq(lease(), -ETIME);
	us = now_us() - t0;
	cr_assert_lt(us, 2000000, "the second lease waited %lld us (AGENT_PROBE_MS %d)", us,
		     AGENT_PROBE_MS);
	t0 = now_us();
	for (int i = 0; i < 4; i++)
		cr_assert_eq(lease(), -ETIME);
	us = now_us() - t0;
	cr_assert_lt(us, 200000, "4 leases more waited %lld us in all", us);
	cr_assert(strstr(got, "\"op\":\"hello\""), "no hello asked: %s", got);
	/* the second over: the agent that answers hello is asked again */
	usleep((AGENT_RETRY_MS + 100) * 1000);
	cr_assert_eq(lease(), 1, "the lease after the agent's hello");
	cr_assert_eq(lease(), 1);
	pthread_detach(agent_thread);
}

/* A lease left unanswered (the agent hung), then the agent killed with the
 * next call's hello in it and started again 300 ms later (a supervisor's
 * watchdog): the call is answered by the agent started again, as one whose
 * agent died with its lease is (setsc(3), odm(7)). The hello's 250 ms
 * alone were its wait for the restart, and the call failed
 * (ECONNREFUSED), as did the calls of the next second. */
Test(agent_client, an_agent_killed_with_the_hello_after_a_silent_lease_is_waited_for)
{
	static const enum step s[] = { SILENT, DIE, SERVE };

	run_agent(s, 3);
	cr_assert_eq(lease(), -ETIMEDOUT);
	cr_assert_eq(lease(), 1, "the call failed while the agent started again");
	pthread_detach(agent_thread);
}
