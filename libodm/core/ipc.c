/* SPDX-License-Identifier: MIT */
/*
 * ipc.c — the control protocol: framing, the request schema and a blocking
 * client. The schema table below is the one authority on what a request may
 * contain; the agent checks every request against it and odmctl checks its
 * own before sending, so both ends reject the same things with the same words.
 *
 * The client half runs inside applications through the LD_PRELOAD shim, so it
 * keeps no global state, never prints, never exits, and every fd it makes is
 * close-on-exec.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "odm.h"

/* What a field must hold. Strings with a meaning are checked for it. */
enum ipc_kind {
	IPC_STRING, /* any string */
	IPC_INT,    /* JSON integer */
	IPC_BOOL,   /* true or false */
	IPC_ADDR,   /* string, IPv6 address in text form */
	IPC_TYPE,   /* string, an address type name of odm.h */
	IPC_PROTO,  /* string, "tcp" or "udp" */
	IPC_NAME,   /* string, a host name (ipc_name_ok) */
};

struct ipc_field {
	const char *name;
	enum ipc_kind kind;
	bool required;
};

struct ipc_op {
	const char *name;
	const struct ipc_field *fields; /* terminated by a NULL name */
};

/* Fields every request carries, whatever its op. */
static const struct ipc_field common_fields[] = {
	{ "op", IPC_STRING, true },
	{ "id", IPC_INT, true },
	{ NULL, 0, false },
};

static const struct ipc_field no_fields[] = { { NULL, 0, false } };

static const struct ipc_field lease_fields[] = {
	{ "type", IPC_TYPE, false },    /* absent: the program did not ask (policy default) */
	{ "dst", IPC_ADDR, true },
	{ "cha", IPC_ADDR, false },
	{ "proto", IPC_PROTO, true },
	{ "fresh", IPC_BOOL, false },
	/* what a client says about itself: logged when it differs from the
	 * kernel's word, never used to decide (odm-policy(5)) */
	{ "uid", IPC_INT, false },
	{ "exe", IPC_STRING, false },
	{ NULL, 0, false },
};

/* the policy (odm-policy(5)) and the reload; add, del and reload are root's */
static const struct ipc_field policy_add_fields[] = {
	{ "rule", IPC_STRING, true },   /* the words after "rule" in the file */
	{ "at", IPC_INT, false },       /* before rule number at (1-based); absent: last */
	{ NULL, 0, false },
};

static const struct ipc_field policy_del_fields[] = {
	{ "rule", IPC_INT, true },      /* its number, as policy-show lists it */
	{ NULL, 0, false },
};

static const struct ipc_field policy_test_fields[] = {
	{ "uid", IPC_INT, true },
	{ "gid", IPC_INT, false },
	{ "exe", IPC_STRING, false },
	{ "type", IPC_TYPE, false },    /* absent: a program that does not ask */
	{ NULL, 0, false },
};

static const struct ipc_field release_fields[] = {
	{ "addr", IPC_ADDR, true },
	{ "noreply", IPC_BOOL, false }, /* a hint: served, not answered */
	{ NULL, 0, false },
};

static const struct ipc_field fallback_fields[] = {
	{ "type", IPC_TYPE, true },     /* the type the program was to get */
	{ "dst", IPC_ADDR, true },
	{ "error", IPC_INT, true },     /* errno of the failed lease */
	{ "noreply", IPC_BOOL, false },
	{ NULL, 0, false },
};

/* a shim's cha.<name> lookups (odm(7)): asked before one, told after */
static const struct ipc_field cha_check_fields[] = {
	{ "name", IPC_NAME, true },
	{ NULL, 0, false },
};

static const struct ipc_field cha_result_fields[] = {
	{ "name", IPC_NAME, true },
	{ "answered", IPC_BOOL, true }, /* false: no answer within the wait */
	{ "noreply", IPC_BOOL, false },
	{ NULL, 0, false },
};

#define IPC_SINCE_MS_MAX 60000 /* move-wait's since_ms: 1 to this */

static const struct ipc_field move_wait_fields[] = {
	{ "since_ms", IPC_INT, false }, /* a cha lookup unanswered this long */
	{ NULL, 0, false },
};

/* "events": the kinds wanted, comma-separated (absent: all) */
static const struct ipc_field monitor_fields[] = {
	{ "events", IPC_STRING, false },
	{ NULL, 0, false },
};

/* THE schema. man/odmagent.8 (CONTROL PROTOCOL) mirrors this table. */
static const struct ipc_op ipc_ops[] = {
	{ "hello", no_fields },
	{ "cha-check", cha_check_fields },
	{ "cha-result", cha_result_fields },
	{ "fallback", fallback_fields },
	{ "lease", lease_fields },
	{ "policy-add", policy_add_fields },
	{ "policy-del", policy_del_fields },
	{ "policy-show", no_fields },
	{ "policy-test", policy_test_fields },
	{ "release", release_fields },
	{ "reload", no_fields },
	{ "status", no_fields },
	{ "move-wait", move_wait_fields },
	{ "monitor", monitor_fields }, /* then one event object per line, see control.c */
};

#define N_OPS (sizeof(ipc_ops) / sizeof(ipc_ops[0]))

const char *ipc_socket_path(void)
{
	const char *p = secure_getenv(ODM_IPC_ENV);

	/* an over-long value could not be bound anyway; fall back loudly later */
	if (p && *p)
		return p;
	return ODM_IPC_DEFAULT_PATH;
}

static const struct ipc_op *find_op(const char *name)
{
	for (size_t i = 0; i < N_OPS; i++)
		if (strcmp(ipc_ops[i].name, name) == 0)
			return &ipc_ops[i];
	return NULL;
}

int ipc_op_known(const char *op)
{
	return op && find_op(op) != NULL;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

json_t *ipc_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	return ipc_parse_max(buf, len, ODM_IPC_MAX, err, errlen);
}

json_t *ipc_parse_max(const char *buf, size_t len, size_t max, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *obj;

	if (!buf) {
		seterr(err, errlen, "no message");
		return NULL;
	}
	if (len > max) {
		seterr(err, errlen, "message of %zu bytes exceeds %zu", len, max);
		return NULL;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	/* a second line inside one message would break the framing */
	if (memchr(buf, '\n', len)) {
		seterr(err, errlen, "message spans more than one line");
		return NULL;
	}
	if (len == 0) {
		seterr(err, errlen, "empty message");
		return NULL;
	}
	obj = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj) {
		seterr(err, errlen, "bad JSON at column %d: %s", jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(obj)) {
		seterr(err, errlen, "message is not a JSON object");
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static const char *kind_name(enum ipc_kind k)
{
	switch (k) {
	case IPC_INT:
		return "an integer";
	case IPC_BOOL:
		return "a boolean";
	case IPC_ADDR:
		return "an IPv6 address string";
	case IPC_TYPE:
		return "an address type name";
	case IPC_PROTO:
		return "\"tcp\" or \"udp\"";
	case IPC_NAME:
		return "a host name";
	case IPC_STRING:
	default:
		return "a string";
	}
}

int ipc_name_ok(const char *s, size_t len)
{
	if (!s || len == 0 || len > ODM_IPC_NAME_MAX || strlen(s) != len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

static int check_value(const char *name, enum ipc_kind kind, const json_t *v,
		       char *err, size_t errlen)
{
	struct in6_addr a;
	const char *s;

	switch (kind) {
	case IPC_INT:
		if (!json_is_integer(v))
			goto type;
		if (strcmp(name, "id") == 0 && json_integer_value(v) < 0) {
			seterr(err, errlen, "field \"id\": must not be negative");
			return -EINVAL;
		}
		/* move-wait's: how long a lookup went unanswered, never more
		 * than the connect's bound; 0 or less is no lookup's */
		if (strcmp(name, "since_ms") == 0 &&
		    (json_integer_value(v) < 1 || json_integer_value(v) > IPC_SINCE_MS_MAX)) {
			seterr(err, errlen, "field \"since_ms\": must be from 1 to %d",
			       IPC_SINCE_MS_MAX);
			return -EINVAL;
		}
		return 0;
	case IPC_BOOL:
		if (!json_is_boolean(v))
			goto type;
		return 0;
	case IPC_STRING:
		if (!json_is_string(v))
			goto type;
		if (strlen(json_string_value(v)) != json_string_length(v)) {
			seterr(err, errlen, "field \"%s\": contains a NUL character", name);
			return -EINVAL;
		}
		return 0;
	case IPC_ADDR:
		if (!json_is_string(v))
			goto type;
		s = json_string_value(v);
		/* inet_pton stops at NUL; a string with an embedded one is bad */
		if (strlen(s) != json_string_length(v) || inet_pton(AF_INET6, s, &a) != 1) {
			seterr(err, errlen, "field \"%s\": not an IPv6 address: \"%.64s\"", name, s);
			return -EINVAL;
		}
		return 0;
	case IPC_TYPE:
		if (!json_is_string(v))
			goto type;
		s = json_string_value(v);
		if (strlen(s) != json_string_length(v) || odm_type_from_name(s) <= 0) {
			seterr(err, errlen, "field \"%s\": unknown address type \"%.64s\"", name, s);
			return -EINVAL;
		}
		return 0;
	case IPC_PROTO:
		if (!json_is_string(v))
			goto type;
		s = json_string_value(v);
		if (strcmp(s, "tcp") != 0 && strcmp(s, "udp") != 0) {
			seterr(err, errlen, "field \"%s\": must be \"tcp\" or \"udp\", not \"%.64s\"",
			       name, s);
			return -EINVAL;
		}
		if (json_string_length(v) != 3)
			goto type;
		return 0;
	case IPC_NAME:
		if (!json_is_string(v))
			goto type;
		s = json_string_value(v);
		if (!ipc_name_ok(s, json_string_length(v))) {
			seterr(err, errlen, "field \"%s\": not a host name of 1 to %d letters, "
			       "digits, '-', '_' and '.': \"%.64s\"", name, ODM_IPC_NAME_MAX, s);
			return -EINVAL;
		}
		return 0;
	}
type:
	seterr(err, errlen, "field \"%s\": must be %s", name, kind_name(kind));
	return -EINVAL;
}

static const struct ipc_field *find_field(const struct ipc_field *f, const char *name)
{
	for (; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

int ipc_validate_request(const json_t *req, char *err, size_t errlen)
{
	const struct ipc_op *op;
	const struct ipc_field *f;
	const char *key;
	json_t *v;
	int r;

	if (!json_is_object(req)) {
		seterr(err, errlen, "request is not a JSON object");
		return -EINVAL;
	}
	for (f = common_fields; f->name; f++) {
		v = json_object_get(req, f->name);
		if (!v) {
			seterr(err, errlen, "field \"%s\": missing", f->name);
			return -EINVAL;
		}
		r = check_value(f->name, f->kind, v, err, errlen);
		if (r < 0)
			return r;
	}
	op = find_op(json_string_value(json_object_get(req, "op")));
	if (!op) {
		seterr(err, errlen, "field \"op\": unknown op \"%.64s\"",
		       json_string_value(json_object_get(req, "op")));
		return -EINVAL;
	}
	for (f = op->fields; f->name; f++) {
		v = json_object_get(req, f->name);
		if (!v) {
			if (f->required) {
				seterr(err, errlen, "field \"%s\": missing (op %s)", f->name,
				       op->name);
				return -EINVAL;
			}
			continue;
		}
		r = check_value(f->name, f->kind, v, err, errlen);
		if (r < 0)
			return r;
	}
	/* json_object_foreach wants a non-const object; nothing is modified */
	json_object_foreach((json_t *)req, key, v) {
		if (!find_field(common_fields, key) && !find_field(op->fields, key)) {
			seterr(err, errlen, "field \"%.64s\": not part of op %s", key, op->name);
			return -EINVAL;
		}
	}
	return 0;
}

char *ipc_dump(const json_t *obj, size_t *len)
{
	return ipc_dump_max(obj, len, ODM_IPC_MAX);
}

char *ipc_dump_max(const json_t *obj, size_t *len, size_t max)
{
	char *s, *line;
	size_t n;

	if (!obj)
		return NULL;
	s = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		return NULL;
	n = strlen(s);
	if (n + 1 > max) {
		free(s);
		return NULL;
	}
	line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return line;
}

/* Client side ------------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline, 0 when it has passed. */
static int left_ms(int64_t deadline)
{
	int64_t d = deadline - now_ms();

	if (d <= 0)
		return 0;
	return d > INT32_MAX ? INT32_MAX : (int)d;
}

/* Wait for events on fd until deadline: 1 ready, -ETIMEDOUT, -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	for (;;) {
		int t = left_ms(deadline);

		if (t == 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, t);
		if (n > 0)
			return 1;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int ipc_sockaddr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

int ipc_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sun;
	int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	int fd, r, flags;

	if (!path)
		path = ipc_socket_path();
	if ((r = ipc_sockaddr(path, &sun)) < 0)
		return r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			/* the agent's backlog is full: retry briefly, within the bound */
			if (left_ms(deadline) == 0) {
				r = -ETIMEDOUT;
				goto fail;
			}
			poll(NULL, 0, 2);
			continue;
		}
		if (errno == EINPROGRESS) {
			int soerr = 0;
			socklen_t sl = sizeof(soerr);

			r = wait_fd(fd, POLLOUT, deadline);
			if (r < 0)
				goto fail;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) {
				r = -errno;
				goto fail;
			}
			if (soerr) {
				r = -soerr;
				goto fail;
			}
			break;
		}
		r = -errno;
		goto fail;
	}
	/* hand back a blocking fd; ipc_call never blocks on it anyway */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return r;
}

/* Send all of buf before deadline. */
static int send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = wait_fd(fd, POLLOUT, deadline);

			if (r < 0)
				return r;
			continue;
		}
		return n < 0 ? -errno : -EPIPE;
	}
	return 0;
}

/*
 * Read one line into buf (cap bytes, NUL-terminated without the '\n').
 * Only bytes up to and including the newline are taken off the socket, so
 * whatever the agent sends next stays there for the next call.
 */
/*
 * One line into *bufp (grown as needed, from *capp up to max bytes with the
 * newline): NUL-terminated, its length without the newline in *out_len.
 */
static int recv_line(int fd, char **bufp, size_t *capp, size_t max, size_t *out_len,
		     int64_t deadline)
{
	size_t len = 0;

	for (;;) {
		ssize_t n, take;
		char *nl, *buf;
		int r;

		if (len + 1 >= *capp) {
			size_t cap = *capp * 2 > max + 1 ? max + 1 : *capp * 2;

			if (len + 1 >= cap)
				return -EPROTO; /* longer than any valid message */
			buf = realloc(*bufp, cap);
			if (!buf)
				return -ENOMEM;
			*bufp = buf;
			*capp = cap;
		}
		buf = *bufp;
		n = recv(fd, buf + len, *capp - 1 - len, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				r = wait_fd(fd, POLLIN, deadline);
				if (r < 0)
					return r;
				continue;
			}
			return errno == ECONNRESET ? -EPIPE : -errno;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		take = nl ? (nl - (buf + len)) + 1 : n;
		/* consume exactly what was seen; a short read just loops */
		n = recv(fd, buf + len, (size_t)take, MSG_DONTWAIT);
		if (n <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			return n == 0 ? -EPIPE : -errno;
		}
		len += (size_t)n;
		if (buf[len - 1] == '\n') {
			buf[len - 1] = '\0';
			*out_len = len - 1;
			return 0;
		}
	}
}

/* An id unlikely to match a stale reply left by an earlier, timed-out call. */
static json_int_t fresh_id(int fd)
{
	struct timespec ts;
	uint64_t x;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	x = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	x ^= (uint64_t)getpid() << 20 ^ (uint64_t)(unsigned)fd;
	/* stay below 2^53 so every JSON reader keeps it exact */
	return (json_int_t)(x & ((UINT64_C(1) << 53) - 1));
}

int ipc_call(int fd, json_t *req, json_t **resp, int timeout_ms)
{
	return ipc_call_sent(fd, req, resp, timeout_ms, NULL);
}

int ipc_call_sent(int fd, json_t *req, json_t **resp, int timeout_ms, int *was_sent)
{
	int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	json_t *id_v, *reply = NULL;
	json_int_t id;
	char *line, *buf;
	size_t len, cap;
	int r, sent;

	if (resp)
		*resp = NULL;
	if (was_sent)
		*was_sent = 0;
	if (fd < 0 || !json_is_object(req) || !resp)
		return -EINVAL;
	id_v = json_object_get(req, "id");
	if (json_is_integer(id_v)) {
		id = json_integer_value(id_v);
	} else {
		id = fresh_id(fd);
		if (json_object_set_new(req, "id", json_integer(id)) < 0)
			return -ENOMEM;
	}
	line = ipc_dump(req, &len);
	if (!line)
		return -EMSGSIZE;
	sent = send_all(fd, line, len, deadline);
	free(line);
	if (was_sent)
		*was_sent = sent == 0;
	/* refused, the agent may have closed before it read us: why it did
	 * (EBUSY) may still wait to be read */
	if (sent < 0 && sent != -EPIPE && sent != -ECONNRESET)
		return sent;

	cap = ODM_IPC_MAX + 1;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		json_t *rid;

		r = recv_line(fd, &buf, &cap, ODM_IPC_REPLY_MAX, &len, deadline);
		if (r < 0)
			break;
		reply = ipc_parse_max(buf, len, ODM_IPC_REPLY_MAX, NULL, 0);
		if (!reply) {
			r = -EPROTO;
			break;
		}
		rid = json_object_get(reply, "id");
		/* ours, or an error said to the connection (its id null): the
		 * agent refused it, or could not read a line of it */
		if ((json_is_integer(rid) && json_integer_value(rid) == id) ||
		    ((!rid || json_is_null(rid)) &&
		     json_is_false(json_object_get(reply, "ok")))) {
			if (!json_is_boolean(json_object_get(reply, "ok"))) {
				r = -EPROTO;
				break;
			}
			*resp = reply;
			reply = NULL;
			r = 0;
			break;
		}
		/* a late answer to an earlier call: skip it */
		json_decref(reply);
		reply = NULL;
	}
	json_decref(reply);
	free(buf);
	return r < 0 && sent < 0 ? sent : r;
}
