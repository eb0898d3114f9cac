/* SPDX-License-Identifier: MIT */
/*
 * api_events.c — odm_events_fd() and odm_event_read() (odm_events(3)): a
 * connection to the agent's control socket subscribed to its event stream
 * ("monitor", filtered to the kinds a program can act on), read one line
 * (one JSON object) at a time without keeping state between calls: a line
 * is taken off the socket only once it is complete (MSG_PEEK first). The
 * subscription's answer comes first on the stream: a refusal is said by
 * odm_event_read(), never skipped as a line that is no event.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent_client.h"
#include "guard.h"
#include "ipc.h"
#include "odm.h"

#define EVENT_KINDS "graceful-replacement"

/*
 * The errno for an answer that refuses the subscription ("ok": false): the
 * agent's own code where a program can act on it (EBUSY: its user holds its
 * share of the agent's connections, odmagent(8); ENOMEM), else EPROTO (the
 * agent serves no such subscription). 0 for any other line.
 */
static int refusal(json_t *o)
{
	static const struct {
		const char *code;
		int err;
	} codes[] = { { "EBUSY", EBUSY }, { "ENOMEM", ENOMEM } };
	const char *code = json_string_value(json_object_get(o, "error"));

	if (!json_is_false(json_object_get(o, "ok")))
		return 0;
	for (size_t i = 0; code && i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(code, codes[i].code) == 0)
			return codes[i].err;
	return EPROTO;
}

/*
 * The refusal the agent left on fd before it closed it (a connection over
 * its user's share is told EBUSY at once, odmagent(8)), as refusal() says,
 * or 0: why a subscription could not be sent.
 */
static int told_refusal(int fd)
{
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	const char *nl = n > 0 ? memchr(buf, '\n', (size_t)n) : NULL;
	json_t *o = nl ? json_loadb(buf, (size_t)(nl - buf), 0, NULL) : NULL;
	int err = o ? refusal(o) : 0;

	json_decref(o);
	return err;
}

int odm_events_fd(void)
{
	static const char req[] = "{\"id\":1,\"op\":\"monitor\",\"events\":\"" EVENT_KINDS "\"}\n";
	ssize_t n;
	int fd;

	guard_enter();
	fd = ipc_connect(agent_client_socket_path(), 1000);
	if (fd < 0) {
		guard_leave();
		errno = -fd;
		return -1;
	}
	n = send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL);
	/* ipc_connect hands back a blocking descriptor; an event loop's must
	 * not block (odm_events(3)) */
	if (n == (ssize_t)sizeof(req) - 1) {
		int fl = fcntl(fd, F_GETFL);

		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
			n = -1;
	}
	if (n != (ssize_t)sizeof(req) - 1) {
		int err = n < 0 ? errno : EPIPE, why = told_refusal(fd);

		close(fd);
		if (why)
			err = why;
		guard_leave();
		errno = err;
		return -1;
	}
	guard_leave();
	return fd;
}

static int addr_field(json_t *o, const char *key, struct in6_addr *out)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
}

/* 1 if o is an event a program is told about, filled into *ev */
static int decode(json_t *o, struct odm_event *ev)
{
	const char *kind = json_string_value(json_object_get(o, "event"));
	json_t *dl = json_object_get(o, "deadline");

	memset(ev, 0, sizeof(*ev));
	if (!kind || strcmp(kind, "graceful-replacement") != 0)
		return 0; /* the subscription's answer, "lost", kinds of later releases */
	if (addr_field(o, "addr", &ev->addr) < 0 || addr_field(o, "replacement", &ev->replacement) < 0 ||
	    !json_is_integer(dl) || json_integer_value(dl) < 0)
		return 0;
	ev->kind = ODM_EVENT_GRACEFUL_REPLACEMENT;
	ev->deadline_ms = (uint64_t)json_integer_value(dl);
	return 1;
}

int odm_event_read(int fd, struct odm_event *ev)
{
	char buf[ODM_IPC_MAX]; /* one line at most; no state kept */
	int saved = errno;

	if (!ev) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
		char *nl;
		json_t *o;
		int got, refused;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			errno = saved;
			return 0;
		}
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
		nl = memchr(buf, '\n', (size_t)n);
		if (!nl) {
			if ((size_t)n == sizeof(buf)) {
				errno = EPROTO; /* no line is that long */
				return -1;
			}
			errno = saved;
			return 0; /* the rest of the line is on its way */
		}
		n = recv(fd, buf, (size_t)(nl - buf) + 1, MSG_DONTWAIT);
		if (n <= 0)
			return -1;
		o = json_loadb(buf, (size_t)n - 1, 0, NULL);
		/* a refused subscription: no event will ever come on fd */
		refused = o ? refusal(o) : 0;
		got = o && !refused && decode(o, ev);
		json_decref(o);
		if (refused) {
			errno = refused;
			return -1;
		}
		if (got) {
			errno = saved;
			return 1;
		}
	}
}
