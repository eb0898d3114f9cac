/* SPDX-License-Identifier: MIT */
/*
 * monitor.c — "odmctl monitor": the agent's events as they happen, one line
 * each, flushed at once (like `ip monitor`): with -j the event's JSON object
 * as the agent sent it (the stream has no protocol fields to strip), else a
 * line of text "SECONDS KIND key value ...".
 *
 * Exit status: 0 after SIGINT or SIGTERM, 1 when the agent cannot be reached,
 * refuses, goes away, or sends something that is not an event.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ipc.h"

#define MON_HELLO_MS 5000

static volatile sig_atomic_t mon_stop;

static void on_signal(int sig)
{
	(void)sig;
	mon_stop = 1;
}

/* SIGINT/SIGTERM end the wait (no SA_RESTART): poll returns EINTR. */
static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* One event as text: monotonic seconds, kind, then its fields in order. */
static void print_text(const json_t *ev)
{
	const char *kind = json_string_value(json_object_get(ev, "event"));
	json_int_t ms = json_integer_value(json_object_get(ev, "ms"));
	const char *key;
	json_t *v;

	printf("%lld.%03lld ", (long long)(ms / 1000), (long long)(ms % 1000));
	if (kind && strcmp(kind, "lost") == 0) {
		const char *sep = " (";

		printf("lost %lld events",
		       (long long)json_integer_value(json_object_get(ev, "count")));
		/* and how many of each kind */
		json_object_foreach(json_object_get(ev, "kinds"), key, v) {
			printf("%s%s %lld", sep, key, (long long)json_integer_value(v));
			sep = ", ";
		}
		puts(*sep == ',' ? ")" : "");
		return;
	}
	fputs(kind ? kind : "?", stdout);
	json_object_foreach((json_t *)ev, key, v) {
		if (strcmp(key, "event") == 0 || strcmp(key, "ms") == 0)
			continue;
		printf(" %s ", key);
		ctl_print_value(v);
	}
	putchar('\n');
}

/* A line from the agent; 0, or -1 when it is not an event. */
static int print_line(const struct ctl_opts *o, const char *line, size_t len)
{
	char err[128];
	json_t *ev = ipc_parse(line, len, err, sizeof(err));

	if (!ev || !json_is_string(json_object_get(ev, "event"))) {
		ctl_errx("monitor: not an event from the agent: %s", ev ? "no \"event\"" : err);
		json_decref(ev);
		return -1;
	}
	if (o->json)
		ctl_print(o, ev);
	else
		print_text(ev);
	json_decref(ev);
	return fflush(stdout) == 0 ? 0 : -1;
}

/* Read and print events until a signal (0) or the end of the stream (1). */
static int stream(const struct ctl_opts *o, int fd, const char *path)
{
	static char buf[ODM_IPC_MAX + 1];
	size_t len = 0;

	while (!mon_stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char *nl;
		ssize_t n;

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			ctl_errx("monitor: poll: %s", strerror(errno));
			return CTL_EXIT_ERR;
		}
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ctl_errx("monitor: the agent at %s went away%s%s", path, n < 0 ? ": " : "",
				 n < 0 ? strerror(errno) : "");
			return CTL_EXIT_ERR;
		}
		len += (size_t)n;
		while ((nl = memchr(buf, '\n', len))) {
			size_t l = (size_t)(nl - buf);

			if (print_line(o, buf, l) < 0)
				return CTL_EXIT_ERR;
			memmove(buf, nl + 1, len - l - 1);
			len -= l + 1;
		}
		if (len == sizeof(buf) - 1) {
			ctl_errx("monitor: a line longer than %d bytes from the agent", ODM_IPC_MAX);
			return CTL_EXIT_ERR;
		}
	}
	return 0;
}

int cmd_monitor(const struct ctl_opts *o, int argc, char **argv)
{
	const char *path = o->socket ? o->socket : ipc_socket_path();
	json_t *req, *resp = NULL;
	int fd, r;

	if (argc > 1) {
		ctl_errx("monitor: unexpected %s \"%s\"",
			 argv[1][0] == '-' ? "option" : "argument", argv[1]);
		return ctl_usage_of("monitor");
	}
	catch_signals();
	fd = ipc_connect(path, MON_HELLO_MS);
	if (fd < 0) {
		ctl_connect_err(path, fd);
		return CTL_EXIT_ERR;
	}
	req = json_pack("{s:s}", "op", "monitor");
	r = req ? ipc_call(fd, req, &resp, MON_HELLO_MS) : -ENOMEM;
	json_decref(req);
	if (r < 0) {
		ctl_errx("monitor: no answer from %s: %s", path, strerror(-r));
		close(fd);
		return CTL_EXIT_ERR;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		const char *code = json_string_value(json_object_get(resp, "error"));
		const char *msg = json_string_value(json_object_get(resp, "message"));

		ctl_errx("monitor: %s: %s", code ? code : "error", msg ? msg : "(no message)");
		json_decref(resp);
		close(fd);
		return CTL_EXIT_ERR;
	}
	json_decref(resp);
	r = stream(o, fd, path);
	close(fd);
	return r;
}
