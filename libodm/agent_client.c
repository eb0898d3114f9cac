/* SPDX-License-Identifier: MIT */
/* agent_client.c — lease/release calls to odmagent (see agent_client.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent_client.h"
#include "chacache.h"
#include "heldlease.h"
#include "ipc.h"
#include "libc_real.h"
#include "odm.h"
#include "shield.h"
#include "shim_env.h"
#include "shim_log.h"

static pthread_mutex_t ag_lock = PTHREAD_MUTEX_INITIALIZER;
static int ag_fd = -1;
static pid_t ag_pid;
/* the effective ids the connection was made with: the agent judges by
 * them (SO_PEERCRED is taken at connect), so a process that changed them
 * (a daemon dropping root) connects again to be judged as it is now */
static uid_t ag_euid;
static gid_t ag_egid;
static uint64_t ag_retry_after; /* no connect attempt before this (ms) */
/* why not (-errno), said until then: the failed connect's own error (no
 * socket there, permission denied), not a made-up one */
static int ag_retry_err = -ECONNREFUSED;
static int ag_default = -1;     /* -1: not asked yet */
static int ag_fresh;            /* ag_fd was made by the current call */
static json_int_t ag_hint_id;   /* ids of hints, which are never answered */
static int said_unreachable, said_error, said_busy, said_silent, said_long, said_enosys,
	said_cha_slow, said_restart;

/* the agent's control socket: ODM_SOCKET at this connect, else as the
 * process was started with it (shim_env.h), else the default path */
const char *agent_client_socket_path(void)
{
	const char *p = shim_env(SHIM_ENV_SOCKET);

	return p && *p ? p : ODM_IPC_DEFAULT_PATH;
}
static int ag_no_cha_ops; /* the agent does not serve cha-check: not asked again */
/* a cha-check got no answer in time (agent stopped, hung, its queue full):
 * none asked before this (ms), so that the names of one lookup round do not
 * each wait their CHASHARE_ASK_MS in turn */
static uint64_t ag_cha_quiet_until;
static int ag_no_reply; /* the last call_locked's agent took the request, never answered */
/* a lease went unanswered for its whole time: the agent stopped or hung,
 * or its anchors silent; the next lease asks hello first (agent_lease) */
static int ag_suspect;
/* the last call_locked's agent died with its request and was not back by
 * its end (ag_died); the next call_locked waits for it to start again as
 * if it had sent its own request there (ag_wait_restart) */
static int ag_died, ag_wait_restart;

/* Lock held. Drop the connection; close it only if it is still ours. */
static void drop_locked(void)
{
	if (ag_fd >= 0 && shield_remove(ag_fd, SHIELD_AGENT))
		real_close(ag_fd);
	ag_fd = -1;
}

/*
 * Lock held. A connected fd, or -errno; connect_ms bounds a new connection
 * (0: only if the agent takes it at once).
 */
static int conn_locked(int connect_ms)
{
	uint64_t now;
	int fd;

	if (ag_fd >= 0 && ag_pid != getpid()) {
		/* Inherited from the parent (atfork handler did not run: vfork-like) */
		drop_locked();
	}
	if (ag_fd >= 0 && (ag_euid != geteuid() || ag_egid != getegid())) {
		shim_debug("the process's effective ids changed (uid %u gid %u -> %u %u): "
			   "connecting to the agent again, as them", (unsigned)ag_euid,
			   (unsigned)ag_egid, (unsigned)geteuid(), (unsigned)getegid());
		drop_locked();
	}
	if (ag_fd >= 0 && !shield_valid(ag_fd, SHIELD_AGENT)) {
		/* The application closed our socket (close_range, closefrom). */
		shim_debug("agent connection fd %d was closed by the application, reconnecting",
			   ag_fd);
		drop_locked();
	}
	if (ag_fd >= 0)
		return ag_fd;
	now = chacache_now_ms();
	if (now < ag_retry_after)
		return ag_retry_err;
	fd = ipc_connect(agent_client_socket_path(), connect_ms);
	if (fd >= 0)
		fd = shield_above_stdio(fd); /* never where the program's output goes */
	if (fd == -ENAMETOOLONG) {
		char v[48];

		/* a bad ODM_SOCKET, said as a bad ODM_TYPE is (odm(7)): no
		 * agent can ever be there, which ODM_DEBUG alone would tell */
		shim_warn_once(&said_long,
			       "ODM_SOCKET=\"%s\"%s is longer than a Unix socket path can be "
			       "(%zu bytes): no agent is reached there",
			       shim_log_clean(v, sizeof(v), agent_client_socket_path()),
			       strlen(agent_client_socket_path()) >= sizeof(v) ? " (cut)" : "",
			       sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	}
	if (fd < 0) {
		/* no agent at all: ask again in a while; a full queue: soon */
		if (fd != -ETIMEDOUT) {
			ag_retry_after = now + AGENT_RETRY_MS;
			ag_retry_err = fd;
			shim_debug_once(&said_unreachable, "agent unreachable at %s (%s)",
					agent_client_socket_path(), strerror(-fd));
		}
		return fd;
	}
	shield_add(fd, SHIELD_AGENT);
	ag_fd = fd;
	ag_pid = getpid();
	ag_euid = geteuid();
	ag_egid = getegid();
	ag_fresh = 1;
	return fd;
}

/*
 * A pause between tries, never past deadline (ms): 1 ms, doubling up to
 * 512, of which a random half to all is taken, so that processes an agent
 * refused together (its socket full: hundreds at once) neither come back
 * together nor every few ms: about 20 tries in AGENT_LEASE_MS, where a fixed
 * 50 ms made 80 a process.
 */
static void backoff(unsigned attempt, uint64_t deadline)
{
	uint64_t now = chacache_now_ms();
	unsigned base = 1u << (attempt < 9 ? attempt : 9), ms;
	/* no quality needed, and the program's rand() state is not ours */
	uint32_t r = (uint32_t)(now * 2654435761u) ^ ((uint32_t)getpid() * 40503u) ^
		     (attempt * 2246822519u);

	r ^= r >> 15;
	ms = base / 2 + r % (base - base / 2 + 1);
	if (now >= deadline)
		return;
	if (now + ms > deadline)
		ms = (unsigned)(deadline - now);
	poll(NULL, 0, (int)ms);
}

/* The agent refused the connection: EBUSY with no id, said to the
 * connection rather than to the request (its user's share is full). Other
 * errors said so (a line it could not parse, one too long) would come
 * again at every try: they are the answer. */
static int refused(const json_t *r)
{
	const json_t *id = json_object_get(r, "id");
	const char *err = json_string_value(json_object_get(r, "error"));

	return (!id || json_is_null(id)) && json_is_false(json_object_get(r, "ok")) && err &&
	       strcmp(err, "EBUSY") == 0;
}

/*
 * Lock held. One request/reply within timeout_ms; the reply is checked for
 * ok:true. The request is not dropped when the connection is: a connection
 * the agent closed while it was idle is replaced at once, and one it refused
 * (EBUSY: its user's share is full) or that it could not take yet (its
 * queue full) is tried again after a pause, until the time is up.
 */
static int call_locked(json_t *req, json_t **resp, int timeout_ms)
{
	uint64_t deadline = chacache_now_ms() + (uint64_t)timeout_ms;
	json_t *r = NULL, *ok;
	int fd, ret, sent, closed = ag_wait_restart;

	ag_wait_restart = 0;
	ag_died = 0;
	for (unsigned attempt = 0;; attempt++) {
		uint64_t now = chacache_now_ms();
		int left = now < deadline ? (int)(deadline - now) : 0;

		ag_fresh = 0;
		ag_no_reply = 0;
		fd = conn_locked(left < AGENT_CONNECT_MS ? left : AGENT_CONNECT_MS);
		if (fd >= 0) {
			now = chacache_now_ms();
			left = now < deadline ? (int)(deadline - now) : 0;
			ret = ipc_call_sent(fd, req, &r, left, &sent);
			ag_no_reply = ret == -ETIMEDOUT;
			/* closed with the request in it; a connection the agent
			 * had closed while idle took none (the send failed) */
			closed |= ret == -EPIPE && sent;
			if (ret == 0 && refused(r)) {
				/* as a connection closed on us: tried again */
				json_decref(r);
				r = NULL;
				ret = -EPIPE;
			}
			if (ret == 0)
				break;
			/* A timed-out reply could arrive late and confuse the stream: reconnect. */
			drop_locked();
		} else {
			ret = fd;
		}
		/* The agent closed the connection, and its socket, there still,
		 * refuses: it died (a clean stop removes the socket), the
		 * request on it unanswered. Its supervisor may start it again
		 * within the call's time: it is asked again until then, not
		 * taken for no agent at once. */
		if (closed && ret == -ECONNREFUSED) {
			if (chacache_now_ms() >= deadline) {
				ag_died = 1;
				break;
			}
			ag_retry_after = 0; /* tried again, not said from memory */
			shim_debug_once(&said_restart, "agent gone with the request, waiting for "
					"it to start again");
			backoff(attempt, deadline);
			continue;
		}
		if (ret != -EPIPE && ret != -ETIMEDOUT)
			break; /* no agent, or a real error */
		if (ret == -EPIPE && ag_fresh)
			shim_debug_once(&said_busy, "agent busy (connection refused), waiting");
		if (chacache_now_ms() >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		/* a reused connection found closed: replace it at once */
		if (ret != -EPIPE || ag_fresh)
			backoff(attempt, deadline);
	}
	json_decref(req);
	if (ret < 0)
		return ret;
	ok = json_object_get(r, "ok");
	if (!json_is_true(ok)) {
		const char *code = json_string_value(json_object_get(r, "error"));
		const char *msg = json_string_value(json_object_get(r, "message"));
		int enosys = code && strcmp(code, "ENOSYS") == 0;

		/* an op an older agent does not serve: said on its own, so that
		 * the first real refusal is said too */
		shim_debug_once(enosys ? &said_enosys : &said_error, "agent refused: %s%s%s",
				code ? code : "error", msg ? ": " : "", msg ? msg : "");
		/* code lives in r: decide before r goes */
		ret = enosys ? -ENOSYS : -EPROTO;
		if (code && strcmp(code, "EPERM") == 0)
			ret = -EPERM;
		/* the type is not to be had here (e.g. the policy forbids it) */
		else if (code && strcmp(code, "REQUIREDIPNOTSUPPORTED") == 0)
			ret = -EOPNOTSUPP;
		json_decref(r);
		return ret;
	}
	*resp = r;
	return 0;
}

/*
 * ag_lock is held across cancellation points (connect, poll, send): a
 * thread cancelled in one would end holding it, and every later call of
 * the process would wait for it in vain. Cancellation is put off while the
 * lock is held, and acted on at the program's next cancellation point
 * (pthreads(7)). nocancel gives the state to put back; unlock puts it back.
 */
static int nocancel(void)
{
	int old = PTHREAD_CANCEL_ENABLE;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	return old;
}

/* ag_lock if free at once (0, *cancel as nocancel gives it), else -EBUSY */
static int trylock(int *cancel)
{
	*cancel = nocancel();
	if (pthread_mutex_trylock(&ag_lock) == 0)
		return 0;
	pthread_setcancelstate(*cancel, NULL);
	return -EBUSY;
}

static void unlock(int cancel)
{
	pthread_mutex_unlock(&ag_lock);
	pthread_setcancelstate(cancel, NULL);
}

/*
 * Take ag_lock for a call of at most ms in all, the wait for the lock
 * included: the time left then, or -ETIMEDOUT. One connection serves the
 * process, one call at a time; without this bound a thread behind n others
 * would wait up to n + 1 times ms (an agent that is stopped, anchors that
 * are silent), and its program's connect() with it.
 */
static int lock_for(int ms, int *cancel)
{
	uint64_t deadline = chacache_now_ms() + (uint64_t)ms, now;
	struct timespec ts;

	*cancel = nocancel();

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (pthread_mutex_clocklock(&ag_lock, CLOCK_MONOTONIC, &ts) != 0) {
		pthread_setcancelstate(*cancel, NULL);
		return -ETIMEDOUT;
	}
	now = chacache_now_ms();
	/* too little left to be worth a request: it would be cut off
	 * unanswered, and the agent lease for no one */
	if (now + AGENT_MIN_CALL_MS > deadline) {
		unlock(*cancel);
		return -ETIMEDOUT;
	}
	return (int)(deadline - now);
}

/* Lock held. The agent left a hello unanswered: it is not asked again for
 * AGENT_RETRY_MS, and calls meanwhile fail -ETIME (not -ETIMEDOUT, which
 * call_locked() tries again on) */
static void hold_off_silent_locked(void)
{
	ag_retry_after = chacache_now_ms() + AGENT_RETRY_MS;
	ag_retry_err = -ETIME;
}

int agent_default_type(void)
{
	json_t *req, *resp = NULL;
	int t = __atomic_load_n(&ag_default, __ATOMIC_ACQUIRE), left, cancel;

	if (t >= 0)
		return t; /* known: no lock (every connect() asks) */
	left = lock_for(AGENT_LEASE_MS, &cancel);
	if (left < 0)
		return ODM_TYPE_NONE; /* the calls ahead took the time: asked again later */
	if (ag_default >= 0) {
		t = ag_default;
		unlock(cancel);
		return t;
	}
	t = ODM_TYPE_NONE;
	req = json_pack("{s:s}", "op", "hello");
	if (req && call_locked(req, &resp, left) == 0) {
		int v = odm_type_from_name(json_string_value(json_object_get(resp, "default_type")));
		t = v > 0 ? v : ODM_TYPE_NONE;
		/* asked once; an unreachable agent is asked again later */
		__atomic_store_n(&ag_default, t, __ATOMIC_RELEASE);
		json_decref(resp);
	} else if (ag_no_reply) {
		/*
		 * It took the connection and left a hello, which it answers at
		 * once, unanswered the whole time: stopped or hung. Not asked
		 * again for AGENT_RETRY_MS, as one that is not there, rather than
		 * making every call of the process wait. (A lease may take that
		 * long legitimately, its anchor silent: only hello says this.)
		 */
		hold_off_silent_locked();
		shim_debug_once(&said_silent, "agent at %s did not answer hello within %d ms; "
				"not asked again for %d ms", agent_client_socket_path(), AGENT_LEASE_MS,
				AGENT_RETRY_MS);
	}
	unlock(cancel);
	return t;
}

int agent_default_type_known(void)
{
	return __atomic_load_n(&ag_default, __ATOMIC_ACQUIRE);
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

/*
 * Lock held. After a lease left unanswered (ag_suspect): 0 when the agent
 * answers hello within AGENT_PROBE_MS (its anchors were slow: it is asked
 * as before), else -errno; unanswered, it is taken for stopped or hung and
 * not asked again for AGENT_RETRY_MS, as agent_default_type() does, so a
 * process's calls do not each wait their AGENT_LEASE_MS (odm(7)).
 */
static int probe_locked(int left)
{
	json_t *req = json_pack("{s:s}", "op", "hello"), *resp = NULL;
	int ret;

	if (!req)
		return -ENOMEM;
	ret = call_locked(req, &resp, left < AGENT_PROBE_MS ? left : AGENT_PROBE_MS);
	if (ret == 0) {
		json_decref(resp);
		ag_suspect = 0;
		return 0;
	}
	if (ag_no_reply || ret == -ETIMEDOUT) {
		hold_off_silent_locked();
		drop_locked();
		shim_debug_once(&said_silent, "agent at %s left a lease and then hello unanswered; "
				"not asked again for %d ms", agent_client_socket_path(), AGENT_RETRY_MS);
		return -ETIME;
	}
	return ret;
}

int agent_lease(int type, const struct in6_addr *dst, const struct in6_addr *cha,
		const char *proto, int fresh, struct agent_lease *out)
{
	char dbuf[INET6_ADDRSTRLEN], cbuf[INET6_ADDRSTRLEN];
	json_t *req, *resp = NULL;
	const char *addr;
	int ret, cancel;

	inet_ntop(AF_INET6, dst, dbuf, sizeof(dbuf));
	req = json_pack("{s:s, s:s, s:s, s:s}", "op", "lease", "type", odm_type_name(type), "dst",
			dbuf, "proto", proto);
	if (!req)
		return -ENOMEM;
	if (cha) {
		inet_ntop(AF_INET6, cha, cbuf, sizeof(cbuf));
		json_object_set_new(req, "cha", json_string(cbuf));
	}
	if (fresh)
		json_object_set_new(req, "fresh", json_true());
	ret = lock_for(AGENT_LEASE_MS, &cancel);
	if (ret < 0) {
		json_decref(req);
		shim_debug("lease for %s: the process's calls ahead of it took its %d ms", dbuf,
			   AGENT_LEASE_MS);
		return ret;
	}
	if (ag_suspect) {
		uint64_t deadline = chacache_now_ms() + (uint64_t)ret, now;
		int probed = probe_locked(ret), restart = 0;

		now = chacache_now_ms();
		/* killed with the hello (a watchdog's restart of the agent
		 * that left the last lease unanswered): the lease waits for it
		 * to start again, as one killed with the lease would */
		if (probed == -ECONNREFUSED && ag_died) {
			restart = 1;
			probed = 0;
		}
		if (probed == 0 && now + AGENT_MIN_CALL_MS > deadline)
			probed = -ETIMEDOUT;
		if (probed < 0) {
			json_decref(req);
			unlock(cancel);
			return probed;
		}
		ag_wait_restart = restart;
		ret = (int)(deadline - now);
	}
	ret = call_locked(req, &resp, ret);
	if (ret == -ETIMEDOUT && ag_no_reply)
		ag_suspect = 1;
	unlock(cancel);
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

/* Lock held. Send line whole without waiting: 0, -EAGAIN (nothing sent), -errno. */
static int send_nowait_locked(int fd, const char *line, size_t len)
{
	ssize_t n;

	do
		n = send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -EAGAIN;
	/* a cut line would garble the next request: this stream is done */
	drop_locked();
	return n < 0 ? -errno : -EIO;
}

/*
 * Send req (taken) with noreply:true, never waiting: 0 when sent, -EBUSY
 * (another thread holds the connection), -EAGAIN (buffer full), -errno.
 */
/* Send line (a whole request with its newline) without waiting; lock
 * held. 0, or -errno as notify() says. */
static int send_line_locked(const char *line, size_t len)
{
	int fd, ret = -EPIPE;

	/* a reused connection the agent closed as idle: one fresh try */
	for (int tries = 0; tries < 2 && ret == -EPIPE; tries++) {
		ag_fresh = 0;
		fd = conn_locked(0);
		if (fd < 0) {
			ret = fd;
			break;
		}
		ret = send_nowait_locked(fd, line, len);
		if (ret == -EPIPE && ag_fresh)
			break;
	}
	return ret;
}

static int notify(json_t *req)
{
	char *line;
	size_t len;
	int ret, cancel;

	if (!req)
		return -ENOMEM;
	/* a thread in a lease call holds the lock: drop it, never wait */
	if (trylock(&cancel) < 0) {
		json_decref(req);
		return -EBUSY;
	}
	line = json_object_set_new(req, "noreply", json_true()) == 0 &&
			       json_object_set_new(req, "id",
						   json_integer(++ag_hint_id &
								((UINT64_C(1) << 53) - 1))) == 0 ?
		       ipc_dump(req, &len) :
		       NULL;
	json_decref(req);
	if (!line) {
		unlock(cancel);
		return -ENOMEM;
	}
	ret = send_line_locked(line, len);
	unlock(cancel);
	free(line);
	return ret;
}

/*
 * The release hint is written without an allocation: close() may run in a
 * signal handler that interrupted malloc (signal-safety(7)), and the hint
 * goes from there. The line is the one the JSON encoder writes.
 */
int agent_release(const struct in6_addr *addr)
{
	char abuf[INET6_ADDRSTRLEN], line[160];
	int n, ret, cancel;

	inet_ntop(AF_INET6, addr, abuf, sizeof(abuf));
	if (trylock(&cancel) < 0)
		return -EBUSY;
	n = snprintf(line, sizeof(line), "{\"op\":\"release\",\"addr\":\"%s\","
		     "\"noreply\":true,\"id\":%llu}\n", abuf,
		     (unsigned long long)(++ag_hint_id & ((UINT64_C(1) << 53) - 1)));
	ret = n > 0 && (size_t)n < sizeof(line) ? send_line_locked(line, (size_t)n) : -ENOMEM;
	unlock(cancel);
	return ret;
}

int agent_fallback(int type, const struct in6_addr *dst, int err)
{
	char dbuf[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, dst, dbuf, sizeof(dbuf));
	return notify(json_pack("{s:s, s:s, s:s, s:i}", "op", "fallback", "type",
				odm_type_name(type), "dst", dbuf, "error", err));
}

/* req (taken; NULL: -ENOMEM) asked within ms in all, the lock's wait
 * included: 0 and *resp, or -errno as call_locked says */
static int call_within(json_t *req, json_t **resp, int ms)
{
	int ret, cancel;

	if (!req)
		return -ENOMEM;
	ret = lock_for(ms, &cancel);
	if (ret < 0) {
		json_decref(req);
		return ret;
	}
	ret = call_locked(req, resp, ret);
	unlock(cancel);
	return ret;
}

/* resp's member key, a count of milliseconds below an hour, or 0 (absent,
 * not a number, or out of that range) */
static unsigned reply_ms(json_t *resp, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(resp, key));

	return v > 0 && v < 3600 * 1000 ? (unsigned)v : 0;
}

int agent_cha_check(const char *name, int ms, int *probe, unsigned *left_ms)
{
	json_t *resp = NULL;
	int ret;

	*probe = 0;
	*left_ms = 0;
	if (__atomic_load_n(&ag_no_cha_ops, __ATOMIC_RELAXED))
		return -ENOSYS;
	if (chacache_now_ms() < __atomic_load_n(&ag_cha_quiet_until, __ATOMIC_RELAXED))
		return -ETIMEDOUT;
	ret = call_within(json_pack("{s:s, s:s}", "op", "cha-check", "name", name), &resp, ms);
	if (ret == -ENOSYS)
		__atomic_store_n(&ag_no_cha_ops, 1, __ATOMIC_RELAXED);
	/* the agent answers cha-check at once: one that did not within ms
	 * (the agent stopped or its queue full, or the process's connection
	 * busy with another thread's call: a lease may take seconds) is not
	 * asked again for a while (the lookups are waited for meanwhile, as
	 * without an agent) */
	if (ret == -ETIMEDOUT) {
		__atomic_store_n(&ag_cha_quiet_until, chacache_now_ms() + AGENT_RETRY_MS,
				 __ATOMIC_RELAXED);
		shim_debug_once(&said_cha_slow, "agent at %s did not answer cha-check within %d ms "
				"(or the process's other calls held it): not asked again for %d ms", agent_client_socket_path(), ms, AGENT_RETRY_MS);
	}
	if (ret < 0)
		return ret;
	ret = json_is_true(json_object_get(resp, "silent"));
	*left_ms = reply_ms(resp, "left_ms");
	*probe = json_is_true(json_object_get(resp, "probe"));
	json_decref(resp);
	return ret;
}

int agent_cha_result(const char *name, int answered)
{
	if (__atomic_load_n(&ag_no_cha_ops, __ATOMIC_RELAXED))
		return -ENOSYS;
	return notify(json_pack("{s:s, s:s, s:b}", "op", "cha-result", "name", name, "answered",
				answered));
}

static int ag_no_move_wait; /* the agent does not serve move-wait: not asked again */

int agent_move_wait(int ms, unsigned since_ms, unsigned *waited_ms)
{
	json_t *resp = NULL;
	int ret;

	*waited_ms = 0;
	if (__atomic_load_n(&ag_no_move_wait, __ATOMIC_RELAXED))
		return -ENOSYS;
	ret = call_within(since_ms ? json_pack("{s:s, s:I}", "op", "move-wait", "since_ms",
					      (json_int_t)since_ms)
				   : json_pack("{s:s}", "op", "move-wait"),
			  &resp, ms);
	if (ret == -ENOSYS)
		__atomic_store_n(&ag_no_move_wait, 1, __ATOMIC_RELAXED);
	if (ret < 0)
		return ret;
	ret = json_is_true(json_object_get(resp, "retry"));
	*waited_ms = reply_ms(resp, "waited_ms");
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
	heldlease_atfork_child();
}
