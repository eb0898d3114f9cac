/* agent_client.c — lease/release calls to odmagent (see agent_client.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent_client.h"
#include "chacache.h"
#include "ipc.h"
#include "libc_real.h"
#include "odm.h"
#include "shield.h"
#include "shim_log.h"

static pthread_mutex_t ag_lock = PTHREAD_MUTEX_INITIALIZER;
static int ag_fd = -1;
static pid_t ag_pid;
static uint64_t ag_retry_after; /* no connect attempt before this (ms) */
static int ag_default = -1;     /* -1: not asked yet */
static int said_unreachable, said_error;

/* Lock held. Drop the connection; close it only if it is still ours. */
static void drop_locked(void)
{
	if (ag_fd >= 0 && shield_remove(ag_fd))
		real_close(ag_fd);
	ag_fd = -1;
}

/* Lock held. A connected fd, or -errno. */
static int conn_locked(void)
{
	uint64_t now;
	int fd;

	if (ag_fd >= 0 && ag_pid != getpid()) {
		/* Inherited from the parent (atfork handler did not run: vfork-like) */
		drop_locked();
	}
	if (ag_fd >= 0 && !shield_valid(ag_fd)) {
		/* The application closed our socket (close_range, closefrom). */
		shim_debug("agent connection fd %d was closed by the application, reconnecting",
			   ag_fd);
		drop_locked();
	}
	if (ag_fd >= 0)
		return ag_fd;
	now = chacache_now_ms();
	if (now < ag_retry_after)
		return -ECONNREFUSED;
	fd = ipc_connect(ipc_socket_path(), AGENT_CONNECT_MS);
	if (fd < 0) {
		ag_retry_after = now + AGENT_RETRY_MS;
		shim_debug_once(&said_unreachable, "agent unreachable at %s (%s), sockets stay plain",
				ipc_socket_path(), strerror(-fd));
		return fd;
	}
	shield_add(fd);
	ag_fd = fd;
	ag_pid = getpid();
	return fd;
}

/* Lock held. One request/reply; the reply is checked for ok:true. */
static int call_locked(json_t *req, json_t **resp, int timeout_ms)
{
	json_t *r = NULL, *ok;
	int fd, ret;

	fd = conn_locked();
	if (fd < 0) {
		json_decref(req);
		return fd;
	}
	ret = ipc_call(fd, req, &r, timeout_ms);
	json_decref(req);
	if (ret < 0) {
		/* A timed-out reply could arrive late and confuse the stream: reconnect. */
		drop_locked();
		return ret;
	}
	ok = json_object_get(r, "ok");
	if (!json_is_true(ok)) {
		const char *code = json_string_value(json_object_get(r, "error"));
		const char *msg = json_string_value(json_object_get(r, "message"));
		shim_debug_once(&said_error, "agent refused: %s%s%s", code ? code : "error",
				msg ? ": " : "", msg ? msg : "");
		json_decref(r);
		return code && strcmp(code, "EPERM") == 0 ? -EPERM : -EPROTO;
	}
	*resp = r;
	return 0;
}

int agent_default_type(void)
{
	json_t *req, *resp = NULL;
	int t;

	pthread_mutex_lock(&ag_lock);
	if (ag_default >= 0) {
		t = ag_default;
		pthread_mutex_unlock(&ag_lock);
		return t;
	}
	t = ODM_TYPE_NONE;
	req = json_pack("{s:s}", "op", "hello");
	if (req && call_locked(req, &resp, AGENT_LEASE_MS) == 0) {
		int v = odm_type_from_name(json_string_value(json_object_get(resp, "default_type")));
		t = v > 0 ? v : ODM_TYPE_NONE;
		ag_default = t; /* asked once; an unreachable agent is asked again later */
		json_decref(resp);
	}
	pthread_mutex_unlock(&ag_lock);
	return t;
}

static void copy_text(char *dst, size_t size, json_t *v)
{
	if (json_is_string(v))
		snprintf(dst, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(dst, size, "%lld", (long long)json_integer_value(v));
	else
		dst[0] = '\0';
}

int agent_lease(int type, const struct in6_addr *dst, const struct in6_addr *cha,
		const char *proto, struct agent_lease *out)
{
	char dbuf[INET6_ADDRSTRLEN], cbuf[INET6_ADDRSTRLEN];
	json_t *req, *resp = NULL;
	const char *addr;
	int ret;

	inet_ntop(AF_INET6, dst, dbuf, sizeof(dbuf));
	req = json_pack("{s:s, s:s, s:s, s:s}", "op", "lease", "type", odm_type_name(type), "dst",
			dbuf, "proto", proto);
	if (!req)
		return -ENOMEM;
	if (cha) {
		inet_ntop(AF_INET6, cha, cbuf, sizeof(cbuf));
		json_object_set_new(req, "cha", json_string(cbuf));
	}
	pthread_mutex_lock(&ag_lock);
	ret = call_locked(req, &resp, AGENT_LEASE_MS);
	pthread_mutex_unlock(&ag_lock);
	if (ret < 0)
		return ret;
	if (json_is_true(json_object_get(resp, "plain"))) {
		json_decref(resp);
		return 0;
	}
	addr = json_string_value(json_object_get(resp, "addr"));
	if (!addr || inet_pton(AF_INET6, addr, &out->addr) != 1) {
		shim_debug_once(&said_error, "agent lease reply without a valid addr");
		json_decref(resp);
		return -EPROTO;
	}
	copy_text(out->lease, sizeof(out->lease), json_object_get(resp, "lease"));
	copy_text(out->anchor, sizeof(out->anchor), json_object_get(resp, "anchor"));
	json_decref(resp);
	return 1;
}

int agent_release(const struct in6_addr *addr)
{
	char abuf[INET6_ADDRSTRLEN];
	json_t *req, *resp = NULL;
	int ret;

	inet_ntop(AF_INET6, addr, abuf, sizeof(abuf));
	req = json_pack("{s:s, s:s}", "op", "release", "addr", abuf);
	if (!req)
		return -ENOMEM;
	pthread_mutex_lock(&ag_lock);
	ret = call_locked(req, &resp, AGENT_RELEASE_MS);
	pthread_mutex_unlock(&ag_lock);
	if (ret == 0)
		json_decref(resp);
	return ret;
}

void agent_client_atfork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

	ag_lock = fresh;
	/*
	 * Close the child's copy of the parent's connection now (it is ours:
	 * the child has run no application code yet), so the parent's stream
	 * is never shared; the child connects with its own pid on first use.
	 */
	drop_locked();
	ag_retry_after = 0;
}
