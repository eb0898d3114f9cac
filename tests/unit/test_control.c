/*
 * test_control.c — a real control socket in a temporary directory, its loop
 * run by a thread, talked to through the client half of ipc.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "control.h"
#include "ipc.h"
#include "log.h"
#include "odm.h"

static struct odm_agent agent;
static uv_loop_t loop;
static uv_async_t wake;
static pthread_t loop_thread;
static char dir[64];

/* what the async handler saw; touched by the loop thread */
static struct control_req *held;
static pid_t held_pid;
static int stop_now, reply_now;

static void on_wake(uv_async_t *h)
{
	(void)h;
	if (__atomic_load_n(&reply_now, __ATOMIC_SEQ_CST)) {
		reply_now = 0;
		control_reply(held, json_pack("{s:s}", "late", "yes"));
		__atomic_store_n(&held, NULL, __ATOMIC_SEQ_CST);
	}
	if (__atomic_load_n(&stop_now, __ATOMIC_SEQ_CST)) {
		control_close(&agent);
		uv_close((uv_handle_t *)&wake, NULL);
	}
}

static void *run_loop(void *arg)
{
	(void)arg;
	uv_run(&loop, UV_RUN_DEFAULT);
	return NULL;
}

/* "status": answered later, from on_wake */
static void hold_handler(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	(void)a;
	(void)req;
	__atomic_store_n(&held, r, __ATOMIC_SEQ_CST);
	held_pid = control_req_cred(r)->pid;
}

/* "release": answered at once, echoing the address */
static void echo_handler(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	(void)a;
	control_reply(r, json_pack("{s:O}", "released", json_object_get(req, "addr")));
}

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	odm_log_init("test", ODM_LOG_ERR, 0);
	snprintf(dir, sizeof(dir), "/tmp/odm-ctl-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	memset(&agent, 0, sizeof(agent));
	config_defaults(&agent.cfg);
	agent.cfg.default_type = ODM_TYPE_SESSION_LASTING;
	/* a directory that does not exist yet: control_open makes it */
	snprintf(agent.cfg.control_path, sizeof(agent.cfg.control_path), "%s/run/odm.sock", dir);
	cr_assert_eq(uv_loop_init(&loop), 0);
	agent.loop = &loop;
	cr_assert_eq(control_open(&agent), 0);
	cr_assert_eq(control_register(&agent, "status", hold_handler), 0);
	cr_assert_eq(control_register(&agent, "release", echo_handler), 0);
	cr_assert_eq(control_register(&agent, "frobnicate", echo_handler), -EINVAL);
	uv_async_init(&loop, &wake, on_wake);
	pthread_create(&loop_thread, NULL, run_loop, NULL);
}

static void teardown(void)
{
	char cmd[128];

	__atomic_store_n(&stop_now, 1, __ATOMIC_SEQ_CST);
	uv_async_send(&wake);
	pthread_join(loop_thread, NULL);
	cr_assert_eq(uv_loop_close(&loop), 0, "a handle was left open");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(control, .init = setup, .fini = teardown, .timeout = 20);

static int connect_agent(void)
{
	int fd = ipc_connect(agent.cfg.control_path, 1000);

	cr_assert_geq(fd, 0, "connect: %s", strerror(-fd));
	return fd;
}

static json_t *call(int fd, const char *op)
{
	json_t *req = json_pack("{s:s}", "op", op), *resp = NULL;
	int r = ipc_call(fd, req, &resp, 2000);

	json_decref(req);
	cr_assert_eq(r, 0, "ipc_call %s: %s", op, strerror(-r));
	return resp;
}

/* Write a raw line and read one reply line. */
static json_t *raw(int fd, const char *line, size_t len)
{
	char buf[ODM_IPC_MAX + 1];
	size_t got = 0;

	cr_assert_eq(write(fd, line, len), (ssize_t)len);
	while (got < sizeof(buf) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		cr_assert_eq(poll(&p, 1, 2000), 1, "no reply");
		n = read(fd, buf + got, 1);
		if (n <= 0)
			break;
		if (buf[got++] == '\n')
			break;
	}
	return ipc_parse(buf, got, NULL, 0);
}

static const char *code(const json_t *r)
{
	return json_string_value(json_object_get(r, "error"));
}

Test(control, hello)
{
	int fd = connect_agent();
	json_t *r = call(fd, "hello");

	cr_assert(json_is_true(json_object_get(r, "ok")));
	cr_assert_str_eq(json_string_value(json_object_get(r, "role")), "mn");
	cr_assert_eq(json_integer_value(json_object_get(r, "version")), ODM_IPC_VERSION);
	cr_assert_str_eq(json_string_value(json_object_get(r, "default_type")), "session-lasting");
	json_decref(r);
	/* the same connection serves many requests */
	r = call(fd, "hello");
	json_decref(r);
	close(fd);
}

Test(control, second_agent_refused)
{
	struct odm_agent other;
	uv_loop_t l2;

	memset(&other, 0, sizeof(other));
	config_defaults(&other.cfg);
	memcpy(other.cfg.control_path, agent.cfg.control_path, sizeof(other.cfg.control_path));
	uv_loop_init(&l2);
	other.loop = &l2;
	cr_assert_eq(control_open(&other), -EADDRINUSE);
	uv_run(&l2, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&l2), 0);
	/* the first one still serves */
	int fd = connect_agent();
	json_decref(call(fd, "hello"));
	close(fd);
}

Test(control, stale_socket_replaced)
{
	struct odm_agent other;
	uv_loop_t l2;
	char path[96];
	int fd;

	/* a socket file nobody listens on, as a crashed agent leaves it */
	snprintf(path, sizeof(path), "%s/stale.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
		cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	}
	close(fd);
	memset(&other, 0, sizeof(other));
	config_defaults(&other.cfg);
	snprintf(other.cfg.control_path, sizeof(other.cfg.control_path), "%s", path);
	uv_loop_init(&l2);
	other.loop = &l2;
	cr_assert_eq(control_open(&other), 0);
	control_close(&other);
	uv_run(&l2, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&l2), 0);
	cr_assert_neq(access(path, F_OK), 0, "control_close left the socket behind");
}

Test(control, socket_mode)
{
	struct stat st;
	char parent[128];

	cr_assert_eq(stat(agent.cfg.control_path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0660, "mode %o", st.st_mode & 07777);
	snprintf(parent, sizeof(parent), "%s/run", dir);
	cr_assert_eq(stat(parent, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0755, "mode %o", st.st_mode & 07777);
}

Test(control, garbage_then_good)
{
	int fd = connect_agent();
	json_t *r = raw(fd, "this is not json\n", 17);

	cr_assert_not_null(r);
	cr_assert(json_is_false(json_object_get(r, "ok")));
	cr_assert_str_eq(code(r), "EINVAL");
	cr_assert(strstr(json_string_value(json_object_get(r, "message")), "bad JSON"));
	json_decref(r);
	r = call(fd, "hello");
	cr_assert(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	close(fd);
}

Test(control, schema_error_names_field)
{
	int fd = connect_agent();
	const char *l = "{\"op\":\"release\",\"id\":5,\"addr\":\"nope\"}\n";
	json_t *r = raw(fd, l, strlen(l));

	cr_assert_str_eq(code(r), "EINVAL");
	cr_assert_eq(json_integer_value(json_object_get(r, "id")), 5);
	cr_assert(strstr(json_string_value(json_object_get(r, "message")), "\"addr\""));
	json_decref(r);
	l = "{\"op\":\"release\",\"id\":6,\"addr\":\"2001:db8::1\"}\n";
	r = raw(fd, l, strlen(l));
	cr_assert(json_is_true(json_object_get(r, "ok")));
	cr_assert_str_eq(json_string_value(json_object_get(r, "released")), "2001:db8::1");
	json_decref(r);
	close(fd);
}

Test(control, unknown_op)
{
	int fd = connect_agent();
	json_t *r = call(fd, "lease"); /* in the schema, not served here */

	cr_assert_str_eq(code(r), "ENOSYS");
	json_decref(r);
	r = call(fd, "frobnicate"); /* not in the schema at all */
	cr_assert_str_eq(code(r), "ENOSYS");
	json_decref(r);
	close(fd);
}

Test(control, too_big)
{
	int fd = connect_agent();
	size_t n = ODM_IPC_MAX + 100;
	char *big = malloc(n), c;
	json_t *r;

	memset(big, ' ', n);
	big[0] = '{';
	r = raw(fd, big, n);
	cr_assert_not_null(r);
	cr_assert_str_eq(code(r), "ETOOBIG");
	json_decref(r);
	/* then the agent hangs up */
	cr_assert_leq(read(fd, &c, 1), 0);
	free(big);
	close(fd);

	/* exactly ODM_IPC_MAX with the newline is fine */
	fd = connect_agent();
	big = malloc(ODM_IPC_MAX);
	memset(big, ' ', ODM_IPC_MAX);
	memcpy(big, "{\"op\":\"hello\",\"id\":1}", 21);
	big[ODM_IPC_MAX - 1] = '\n';
	r = raw(fd, big, ODM_IPC_MAX);
	cr_assert(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	free(big);
	close(fd);
}

Test(control, async_reply_after_disconnect)
{
	int fd = connect_agent(), fd2;
	const char *l = "{\"op\":\"status\",\"id\":9}\n";
	json_t *r;

	cr_assert_eq(write(fd, l, strlen(l)), (ssize_t)strlen(l));
	/* a round trip on a second connection: the loop has seen the request */
	fd2 = connect_agent();
	json_decref(call(fd2, "hello"));
	cr_assert_not_null(held);
	cr_assert_eq(held_pid, getpid());
	close(fd);
	json_decref(call(fd2, "hello"));
	json_decref(call(fd2, "hello"));
	__atomic_store_n(&reply_now, 1, __ATOMIC_SEQ_CST);
	uv_async_send(&wake);
	for (int i = 0; i < 2000 && __atomic_load_n(&held, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	cr_assert_null(__atomic_load_n(&held, __ATOMIC_SEQ_CST), "the reply never ran");
	r = call(fd2, "hello");
	cr_assert(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	close(fd2);
}

Test(control, async_reply_arrives)
{
	int fd = connect_agent(), fd2 = connect_agent();
	const char *l = "{\"op\":\"status\",\"id\":9}\n";
	char buf[256];
	ssize_t n;

	cr_assert_eq(write(fd, l, strlen(l)), (ssize_t)strlen(l));
	json_decref(call(fd2, "hello"));
	__atomic_store_n(&reply_now, 1, __ATOMIC_SEQ_CST);
	uv_async_send(&wake);
	n = read(fd, buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_assert(strstr(buf, "\"late\":\"yes\""), "%s", buf);
	cr_assert(strstr(buf, "\"id\":9"), "%s", buf);
	close(fd);
	close(fd2);
}

Test(control, reader_that_never_reads_is_dropped)
{
	int fd = connect_agent();
	const char *l = "{\"op\":\"hello\",\"id\":1}\n";
	size_t len = strlen(l);
	time_t end = time(NULL) + 10;
	int dropped = 0, sz = 4096;

	/* small buffers so the agent's queue, not the kernel's, fills */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (time(NULL) < end && !dropped) {
		ssize_t n = send(fd, l, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			poll(&p, 1, 50);
			continue;
		}
		if (n < 0)
			dropped = 1;
	}
	cr_assert(dropped, "the agent kept a client that never reads");
	close(fd);
	/* and still serves others */
	fd = connect_agent();
	json_decref(call(fd, "hello"));
	close(fd);
}

Test(control, connection_cap)
{
	enum { N = 256 };
	int fds[N + 1], extra;
	char c;

	for (int i = 0; i < N; i++)
		fds[i] = connect_agent();
	/* make sure the agent has accepted them all */
	json_decref(call(fds[N - 1], "hello"));
	extra = connect_agent();
	{
		struct pollfd p = { .fd = extra, .events = POLLIN };

		cr_assert_eq(poll(&p, 1, 2000), 1);
		cr_assert_leq(read(extra, &c, 1), 0, "connection over the cap was served");
	}
	close(extra);
	close(fds[0]);
	/* a freed slot is usable again */
	for (int tries = 0; tries < 50; tries++) {
		json_t *req = json_pack("{s:s}", "op", "hello"), *resp = NULL;
		int fd = connect_agent(), r = ipc_call(fd, req, &resp, 500);

		json_decref(req);
		json_decref(resp);
		close(fd);
		if (r == 0)
			break;
		cr_assert_lt(tries, 49, "slot never freed");
		usleep(20000);
	}
	for (int i = 1; i < N; i++)
		close(fds[i]);
}
