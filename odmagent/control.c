/* SPDX-License-Identifier: MIT */
/*
 * control.c — the agent's control socket on the libuv loop.
 *
 * Each connection has a fixed read buffer of ODM_IPC_MAX bytes: a line that
 * does not fit is answered "ETOOBIG" and the connection is shut; a line that
 * is not JSON or breaks the schema is answered "EINVAL" and the connection
 * goes on. Nothing a client does makes the agent grow without bound: the
 * number of connections, of unanswered requests per connection and of bytes
 * queued for a client that does not read are all capped. A reply may be
 * longer than a request (ODM_IPC_REPLY_MAX: the status of a large anchor);
 * the long ones queued to all clients together are capped (CTL_MAX_BIG),
 * past which one is answered "EBUSY"; so are those queued to one uid other
 * than root (one longest reply's worth), and to all of them together (all
 * but one longest reply's worth, kept for root), so that users leaving
 * theirs unread cannot keep root's from being answered. A client with CTL_MAX_WQ bytes of
 * replies unread is not read until it has read them (a pipelining client
 * that reads is only slowed); one that reads nothing for the idle time
 * meanwhile is closed.
 *
 * Fairness (ctlshare.h decides, this file counts): connections and
 * unanswered requests are counted per uid; a connection over its uid's share
 * is told "EBUSY" and closed, so the client knows to come back rather than
 * seeing a silent hang-up; a uid at its pending cap is simply not read until
 * an answer frees a slot (its requests wait in the socket, none is dropped);
 * a connection silent for the idle time with nothing pending is closed.
 * A request with "noreply":true is served but not answered.
 *
 * Monitors: a connection that sent "monitor" is subscribed to the agent's
 * event stream (events.h) and gets one line per event from then on, until
 * it goes. It counts in its uid's share like any connection, but is never
 * closed as idle. A monitor that reads slower than events come is never
 * waited for: its queue holds CTL_MON_WQ bytes, and monshare.h decides what
 * goes in (another user's events take a share of it only; a source that
 * had one dropped has its events dropped until the queue has drained) and
 * when the monitor is told what it lost, with one
 * {"event":"lost","count":N,"kinds":{...}} line, so its memory stays
 * bounded and one user's flood neither crowds out the other events nor
 * turns the stream into "lost" lines.
 *
 * Lifetimes: a connection is refcounted (one for its handle, one per
 * unanswered request, one per queued write), so a handler may answer long
 * after the client left; the answer is then dropped. The control struct
 * outlives control_close() until the last handle has closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "control.h"
#include "ctlshare.h"
#include "ipc.h"
#include "log.h"
#include "monotime.h"
#include "monshare.h"
#include "reqlog.h"
#include "statefile.h"
#include "odm.h"

/* connections over the shares are accepted only to be told EBUSY; past
 * this many more they are hung up on at once */
#define CTL_REFUSING_MAX 64
#define CTL_MAX_PENDING 32           /* unanswered requests per connection */
/* bytes queued to one client past which it is not read (its requests wait
 * in the socket) until it has read its replies down below this */
#define CTL_MAX_WQ (4 * ODM_IPC_MAX)
/* bytes of replies longer than ODM_IPC_MAX (a large status) queued to all
 * clients together, past which such a reply is refused with EBUSY */
#define CTL_MAX_BIG (64u * 1024 * 1024)
/* bytes queued to a monitor past which its events are dropped (and
 * counted) instead of queued; another user's events take a quarter of it
 * at most, all other users' three quarters together (the host's keep a
 * quarter), and a source behind is taken again once it has drained to an
 * eighth (monshare.h; odmagent(8), monitor) */
#define CTL_MON_WQ (4 * ODM_IPC_MAX)
#define CTL_MAX_OPS 16
/*
 * Open files kept for the rest of the agent besides the served connections:
 * those being refused, and its own sockets, netlink, state files and DNS,
 * with room for the short-lived ones (a look at the addresses opens one or
 * two).
 */
#define CTL_FD_OVERHEAD (CTL_REFUSING_MAX + 128)
#define CTL_OP_NAME 32
/* the lines a second of the fallbacks, and of the refused connections, for
 * all users together (one each) */
#define CTL_PER_USER_LOG_ALL 4
/* how often the control path is looked at (watch_tick) */
#define CTL_WATCH_MS 1000

struct ctl_op {
	char name[CTL_OP_NAME];
	control_handler_fn fn;
};

struct ctl_conn;

/* What one uid holds: admitted connections and their unanswered requests. */
struct ctl_uid {
	uid_t uid;
	unsigned conns, pending;
};

struct control {
	struct odm_agent *a;
	uv_pipe_t *server;    /* listening at the path (serve_at) */
	dev_t sock_dev;       /* what serve_at bound there, to know it again */
	ino_t sock_ino;
	uv_timer_t idle;      /* closes silent connections */
	uv_idle_t resume;     /* takes up held-back connections (resume_soon) */
	uv_timer_t watch;     /* looks that the path still names the socket */
	int watch_err;        /* the last failure said (watch_tick), 0 none */
	int fd_short;         /* -EMFILE or -ENFILE while the agent has no open
			       * file to spare (watch_fds), 0 otherwise */
	bool accept_stalled;  /* a connection left unaccepted (hang_up) */
	int accept_err;       /* the accept(2) error the socket was closed for
			       * (close_on_accept_error), 0 none */
	unsigned handles;     /* servers + timers + resume + open connections;
			       * freed at 0 */
	unsigned n_conns;     /* open handles, refused ones included */
	unsigned n_admitted;  /* connections counted in the shares */
	bool closing;
	bool waking;          /* wake_uid is running: a nested call only flags */
	bool wake_again;
	struct ctlshare_limits lim;
	struct ctl_uid *uids; /* one per uid with a connection or a request */
	size_t n_uids, cap_uids;
	size_t big_queued;    /* bytes of long replies queued (CTL_MAX_BIG) */
	size_t big_others;    /* of them, to uids other than lim.trusted_uid */
	uint64_t refused;     /* connections refused so far */
	struct reqlog_users refused_log; /* their lines: per user (reqlog.h) */
	uint64_t fallbacks;   /* the shim's fallbacks so far */
	struct reqlog_users fallback_log; /* their lines: per user (reqlog.h) */
	struct ctl_conn *conns; /* open connections, for control_close */
	struct ctl_op ops[CTL_MAX_OPS];
	size_t n_ops;
};

struct ctl_conn {
	uv_pipe_t pipe;
	struct control *ctl; /* NULL once closed: the control may be gone */
	struct ctl_conn *next, *prev;
	struct ucred cred;
	gid_t *groups;        /* its supplementary groups when it connected */
	size_t n_groups;
	unsigned refs;
	unsigned pending;     /* requests handed to handlers, not yet answered */
	uint64_t last_ms;     /* when it last sent something (or connected) */
	uint64_t read_ms;     /* when it last took a reply off its queue */
	bool admitted;        /* counted in its uid's share */
	bool dead;            /* closing or closed: replies are dropped */
	bool reading;
	bool in_process;      /* guards against re-entry from synchronous replies */
	bool monitor;         /* subscribed to the agent's events */
	bool eof;             /* the client shut its side down: answer what it
			       * sent, then close */
	bool gone;            /* the client closed its socket: no answer can
			       * reach it, only its "noreply" requests are served */
	struct events_filter kinds; /* wanted by the monitor (zeroed: all) */
	struct monshare mon;  /* what the monitor's queue takes (monshare.h) */
	size_t big_queued;    /* bytes of its long replies queued */
	size_t len;
	char buf[ODM_IPC_MAX];
};

struct control_req {
	struct ctl_conn *conn;
	json_t *id; /* the request's id, echoed; NULL if it had none */
	bool quiet; /* "noreply": the answer is not sent */
};

struct ctl_write {
	uv_write_t w;
	struct ctl_conn *conn;
	size_t len;
	bool other; /* a long reply counted in big_others */
	struct monshare_src *mon; /* an event counted there (monshare_take) */
	char *data;
};

static void conn_process(struct ctl_conn *c);
static void conn_resume(struct ctl_conn *c);
static void conn_read_start(struct ctl_conn *c);
static void wake_uid(struct control *ctl, uid_t uid);
static bool peer_gone(struct ctl_conn *c);

static void ctl_unref(struct control *ctl)
{
	if (--ctl->handles == 0) {
		free(ctl->uids);
		free(ctl);
	}
}

/* ---- per-uid accounting ---- */

static struct ctl_uid *uid_find(struct control *ctl, uid_t uid)
{
	for (size_t i = 0; i < ctl->n_uids; i++)
		if (ctl->uids[i].uid == uid)
			return &ctl->uids[i];
	return NULL;
}

/* The entry of uid, made if needed; NULL on ENOMEM. */
static struct ctl_uid *uid_get(struct control *ctl, uid_t uid)
{
	struct ctl_uid *u = uid_find(ctl, uid);

	if (u)
		return u;
	if (ctl->n_uids == ctl->cap_uids) {
		size_t cap = ctl->cap_uids ? ctl->cap_uids * 2 : 8;

		u = realloc(ctl->uids, cap * sizeof(*u));
		if (!u)
			return NULL;
		ctl->uids = u;
		ctl->cap_uids = cap;
	}
	u = &ctl->uids[ctl->n_uids++];
	u->uid = uid;
	u->conns = u->pending = 0;
	return u;
}

/* Forget uid's entry once it holds nothing. */
static void uid_tidy(struct control *ctl, struct ctl_uid *u)
{
	if (u->conns || u->pending)
		return;
	*u = ctl->uids[--ctl->n_uids];
}

static unsigned uid_pending(struct control *ctl, uid_t uid)
{
	struct ctl_uid *u = uid_find(ctl, uid);

	return u ? u->pending : 0;
}

/* A connection may take one more request: its own cap and its uid's. */
static bool conn_may_take(struct ctl_conn *c)
{
	return c->pending < CTL_MAX_PENDING &&
	       uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) <= CTL_MAX_WQ &&
	       ctlshare_may_read(&c->ctl->lim, uid_pending(c->ctl, c->cred.uid));
}

static void mon_event(void *ctx, const json_t *ev, const struct events_audience *to);

/* No more replies or events for c; it leaves the event stream at once. */
static void conn_set_dead(struct ctl_conn *c)
{
	c->dead = true;
	if (c->monitor && c->ctl)
		events_unsubscribe(&c->ctl->a->events, mon_event, c);
	c->monitor = false;
}

static void conn_unref(struct ctl_conn *c)
{
	if (--c->refs == 0) {
		free(c->groups);
		free(c);
	}
}

/* c no longer counts in its uid's share */
static void conn_uncount(struct control *ctl, struct ctl_conn *c)
{
	struct ctl_uid *u;

	if (!c->admitted)
		return;
	u = uid_find(ctl, c->cred.uid);
	/* its unanswered requests stop counting against the uid now */
	if (u) {
		u->conns--;
		u->pending -= c->pending < u->pending ? c->pending : u->pending;
		uid_tidy(ctl, u);
	}
	ctl->n_admitted--;
	c->admitted = false;
	if (c->pending && !ctl->closing)
		wake_uid(ctl, c->cred.uid);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct ctl_conn *c = h->data;
	struct control *ctl = c->ctl;

	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
	ctl->n_conns--;
	conn_uncount(ctl, c);
	c->ctl = NULL;
	ctl_unref(ctl);
	conn_unref(c);
}

static void conn_close(struct ctl_conn *c)
{
	if (c->dead)
		return;
	conn_set_dead(c);
	uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

static void on_shutdown(uv_shutdown_t *sr, int status)
{
	struct ctl_conn *c = sr->data;

	free(sr);
	if (!uv_is_closing((uv_handle_t *)&c->pipe))
		uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
	conn_unref(c);
}

/* Close after what is queued has been written (e.g. the ETOOBIG answer). */
static void conn_finish(struct ctl_conn *c)
{
	uv_shutdown_t *sr;

	if (c->dead)
		return;
	conn_set_dead(c);
	uv_read_stop((uv_stream_t *)&c->pipe);
	sr = malloc(sizeof(*sr));
	if (sr) {
		sr->data = c;
		c->refs++;
		if (uv_shutdown(sr, (uv_stream_t *)&c->pipe, on_shutdown) == 0)
			return;
		c->refs--;
		free(sr);
	}
	uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

static void mon_tell_lost(struct ctl_conn *c);

/* ---- long replies queued (CTL_MAX_BIG) ---- */

/* Bytes of long replies queued to uid's connections. */
static size_t uid_big(const struct control *ctl, uid_t uid)
{
	size_t n = 0;

	for (const struct ctl_conn *o = ctl->conns; o; o = o->next)
		if (o->cred.uid == uid)
			n += o->big_queued;
	return n;
}

/* A long reply of len bytes to c may be queued: within the cap of all, and
 * for a uid other than root (lim.trusted_uid) within one longest reply's
 * worth of its own and, with the others', short of the room root keeps. */
static bool big_room(const struct ctl_conn *c, size_t len)
{
	const struct control *ctl = c->ctl;

	if (ctl->big_queued + len > CTL_MAX_BIG)
		return false;
	if (c->cred.uid == ctl->lim.trusted_uid)
		return true;
	return ctl->big_others + len <= CTL_MAX_BIG - ODM_IPC_REPLY_MAX &&
	       uid_big(ctl, c->cred.uid) + len <= ODM_IPC_REPLY_MAX;
}

static void big_count(struct ctl_conn *c, struct ctl_write *cw)
{
	if (cw->len <= ODM_IPC_MAX || !c->ctl)
		return;
	cw->other = c->cred.uid != c->ctl->lim.trusted_uid;
	c->ctl->big_queued += cw->len;
	c->ctl->big_others += cw->other ? cw->len : 0;
	c->big_queued += cw->len;
}

static void big_uncount(struct ctl_conn *c, const struct ctl_write *cw)
{
	if (cw->len <= ODM_IPC_MAX || !c->ctl)
		return;
	c->ctl->big_queued -= cw->len;
	c->ctl->big_others -= cw->other ? cw->len : 0;
	c->big_queued -= cw->len;
}

static void on_write(uv_write_t *w, int status)
{
	struct ctl_write *cw = (struct ctl_write *)w;
	struct ctl_conn *c = cw->conn;

	big_uncount(c, cw);
	if (cw->mon)
		monshare_done(&c->mon, cw->mon, cw->len);
	free(cw->data);
	free(cw);
	/* the client is gone (EPIPE, ECONNRESET): its connection closes now,
	 * so what it left unread in the socket is not read and answered into
	 * the void, at the cost of everyone else's answers */
	if (status < 0 && status != UV_ECANCELED) {
		log_debug("write to client failed: %s; its connection closes", uv_strerror(status));
		conn_close(c);
		conn_unref(c);
		return;
	}
	c->read_ms = mono_ms();
	/* a monitor that dropped events hears how many once it has drained */
	if (c->monitor && !c->dead)
		mon_tell_lost(c);
	/* one held back for its unread replies goes on: the lines it sent
	 * meanwhile, then reading */
	if (!c->dead && (!c->reading || c->len) && c->admitted && c->ctl && !c->ctl->closing)
		conn_resume(c);
	conn_unref(c);
}

/* Queue line (malloc'd, taken) to the client, an event counted in mon's
 * share if mon; -1 if c was closed for it. */
static int conn_write_line(struct ctl_conn *c, char *line, size_t len, struct monshare_src *mon)
{
	struct ctl_write *cw;
	uv_buf_t b;
	int r;

	cw = calloc(1, sizeof(*cw));
	if (!cw) {
		free(line);
		conn_close(c);
		return -1;
	}
	cw->conn = c;
	cw->data = line;
	cw->len = len;
	cw->mon = mon;
	big_count(c, cw);
	c->refs++;
	b = uv_buf_init(line, (unsigned)len);
	r = uv_write(&cw->w, (uv_stream_t *)&c->pipe, &b, 1, on_write);
	if (r < 0) {
		log_debug("uv_write: %s", uv_strerror(r));
		big_uncount(c, cw);
		if (mon)
			monshare_done(&c->mon, mon, len);
		free(line);
		free(cw);
		conn_unref(c);
		conn_close(c);
		return -1;
	}
	return 0;
}

/* Queue one line to the client (conn_may_take stops reading it while it
 * has too much to read). */
static void conn_send(struct ctl_conn *c, json_t *msg)
{
	const char *code = "ETOOBIG", *why;
	char too_big[64];
	size_t len;
	char *line;

	if (c->dead)
		return;
	/* the limit by its number: a client knows no macro's name */
	snprintf(too_big, sizeof(too_big), "reply longer than %d bytes", ODM_IPC_REPLY_MAX);
	why = too_big;
	line = ipc_dump_max(msg, &len, ODM_IPC_REPLY_MAX);
	if (line && len > ODM_IPC_MAX && !big_room(c, len)) {
		free(line);
		line = NULL;
		code = "EBUSY";
		why = "long replies not yet read by their clients fill the agent's queue; "
		      "try again";
		log_warnx("a reply of %zu bytes to pid %d (uid %u) refused: %zu bytes of long "
			  "replies are queued, %zu of them to uid %u", len, (int)c->cred.pid,
			  (unsigned)c->cred.uid, c->ctl->big_queued, uid_big(c->ctl, c->cred.uid),
			  (unsigned)c->cred.uid);
	}
	if (!line) {
		/* the answer itself cannot go: say why instead */
		json_t *e = json_pack("{s:O?,s:b,s:s,s:s}", "id", json_object_get(msg, "id"), "ok",
				      0, "error", code, "message", why);

		line = e ? ipc_dump(e, &len) : NULL;
		json_decref(e);
		if (!line) {
			conn_close(c);
			return;
		}
	}
	conn_write_line(c, line, len, NULL);
}

static void send_error(struct ctl_conn *c, json_t *id, const char *code, const char *msg)
{
	json_t *e = json_pack("{s:O?,s:b,s:s,s:s}", "id", id, "ok", 0, "error", code,
			      "message", msg);

	/* a message quotes a client's string cut to a number of bytes (ipc.c's
	 * "%.64s", a full buffer), which may end inside a UTF-8 sequence, and
	 * JSON text is UTF-8 only (RFC 8259 section 8.1): such a message goes
	 * escaped (log.h), the client answered all the same */
	if (!e) {
		char esc[LOG_ESC_MAX];

		e = json_pack("{s:O?,s:b,s:s,s:s}", "id", id, "ok", 0, "error", code, "message",
			      log_escape(esc, sizeof(esc), msg, strlen(msg)));
	}
	if (e)
		conn_send(c, e);
	json_decref(e);
}

/* A client that shut its side down (a request, then shutdown(SHUT_WR), as
 * nc -N and socat do) has its answers written, then the connection ends:
 * once nothing it sent is left unanswered. */
static void conn_end_if_done(struct ctl_conn *c)
{
	if (c->eof && !c->dead && !c->in_process && c->pending == 0 &&
	    !memchr(c->buf, '\n', c->len))
		conn_finish(c);
}

/* Take up buffered lines and reading again on a connection with room. */
static void conn_resume(struct ctl_conn *c)
{
	if (c->dead || c->in_process || !conn_may_take(c))
		return;
	/* held back, it was not read meanwhile: a client that closed its
	 * socket since has the lines it left served as on_read would serve
	 * them, only its "noreply" ones */
	if (!c->gone && !c->reading && c->len && peer_gone(c))
		c->gone = true;
	conn_process(c);
	if (!c->dead && !c->reading && conn_may_take(c) && !c->eof)
		conn_read_start(c);
	conn_end_if_done(c);
}

/*
 * uid's pending count went down: resume its connections that were waiting
 * for a slot (whichever of its connections the answer or the closing was
 * on). Answers given meanwhile (handlers may answer at once) only flag
 * another round, so the stack stays flat however many connections wait.
 */
static void wake_uid(struct control *ctl, uid_t uid)
{
	if (ctl->waking) {
		ctl->wake_again = true;
		return;
	}
	ctl->waking = true;
	do {
		ctl->wake_again = false;
		for (struct ctl_conn *o = ctl->conns; o; o = o->next)
			if (o->cred.uid == uid && !o->reading && o->admitted)
				conn_resume(o);
	} while (ctl->wake_again);
	ctl->waking = false;
}

/*
 * Connections held back by a cap, taken up once an answer freed a slot
 * (req_done): in a round of the loop's own, never inside the answer, whose
 * caller must not find another request handled under it (the host engine
 * answers a lease's waiters, then frees the lease: a request handled
 * meanwhile could join it and be freed unanswered).
 */
static void on_resume(uv_idle_t *h)
{
	struct control *ctl = h->data;

	uv_idle_stop(h);
	for (struct ctl_conn *o = ctl->conns; o; o = o->next)
		if (!o->reading && o->admitted)
			conn_resume(o);
}

static void resume_soon(struct control *ctl)
{
	if (!ctl->closing)
		uv_idle_start(&ctl->resume, on_resume);
}

static void req_done(struct control_req *r)
{
	struct ctl_conn *c = r->conn;
	struct control *ctl = c->ctl;

	json_decref(r->id);
	free(r);
	c->pending--;
	if (ctl && c->admitted) {
		struct ctl_uid *u = uid_find(ctl, c->cred.uid);

		if (u && u->pending)
			u->pending--;
		/* a slot came free: this connection, or any of the uid's */
		resume_soon(ctl);
	}
	conn_unref(c);
}

void control_reply(struct control_req *r, json_t *resp)
{
	if (!r) {
		json_decref(resp);
		return;
	}
	if (!r->conn->dead && !r->quiet) {
		if (!resp)
			resp = json_object();
		if (resp && json_is_object(resp) &&
		    json_object_set(resp, "id", r->id ? r->id : json_null()) == 0 &&
		    json_object_set_new(resp, "ok", json_true()) == 0)
			conn_send(r->conn, resp);
		else
			send_error(r->conn, r->id, "ENOMEM", "cannot build the reply");
	}
	json_decref(resp);
	req_done(r);
}

void control_reply_error(struct control_req *r, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!r)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!r->conn->dead && !r->quiet)
		send_error(r->conn, r->id, code ? code : "EINVAL", msg);
	req_done(r);
}

const struct ucred *control_req_cred(const struct control_req *r)
{
	return r ? &r->conn->cred : NULL;
}

const gid_t *control_req_groups(const struct control_req *r, size_t *n)
{
	*n = r ? r->conn->n_groups : 0;
	return r ? r->conn->groups : NULL;
}

int control_req_gone(const struct control_req *r)
{
	return r && r->conn->dead;
}

static control_handler_fn find_handler(struct control *ctl, const char *op)
{
	for (size_t i = 0; i < ctl->n_ops; i++)
		if (strcmp(ctl->ops[i].name, op) == 0)
			return ctl->ops[i].fn;
	return NULL;
}

/* One complete line (without '\n'). */
static void handle_line(struct ctl_conn *c, const char *line, size_t len)
{
	struct control *ctl = c->ctl;
	char err[256];
	control_handler_fn fn;
	struct control_req *r;
	json_t *req, *id, *op;

	/* a gone client's line that cannot be a hint is not even parsed */
	if (c->gone && !memmem(line, len, "noreply", 7))
		return;
	req = ipc_parse(line, len, err, sizeof(err));
	if (!req) {
		send_error(c, NULL, "EINVAL", err);
		return;
	}
	id = json_object_get(req, "id");
	if (!json_is_integer(id))
		id = NULL;
	op = json_object_get(req, "op");
	/* what a client that closed its socket left unread here: its release
	 * hints (noreply) are served, what wants an answer is not (a status,
	 * a lease nobody would hear of) */
	if (c->gone && !json_is_true(json_object_get(req, "noreply"))) {
		json_decref(req);
		return;
	}
	/* an op this role does not serve, known to the schema or not (newer client) */
	if (json_is_string(op) && !find_handler(ctl, json_string_value(op))) {
		char m[128];

		snprintf(m, sizeof(m), "op \"%.64s\" not served by this agent (role %s)",
			 json_string_value(op), config_role_name(ctl->a->cfg.role));
		send_error(c, id, "ENOSYS", m);
		json_decref(req);
		return;
	}
	if (ipc_validate_request(req, err, sizeof(err)) < 0) {
		send_error(c, id, "EINVAL", err);
		json_decref(req);
		return;
	}
	fn = find_handler(ctl, json_string_value(op));
	r = calloc(1, sizeof(*r));
	if (!r) {
		send_error(c, id, "ENOMEM", "out of memory");
		json_decref(req);
		return;
	}
	r->conn = c;
	r->id = json_incref(id);
	r->quiet = json_is_true(json_object_get(req, "noreply"));
	c->refs++;
	c->pending++;
	{
		struct ctl_uid *u = uid_find(ctl, c->cred.uid);

		if (u)
			u->pending++;
	}
	log_debug("op %s id %lld from pid %d uid %d", json_string_value(op),
		  (long long)json_integer_value(id), (int)c->cred.pid, (int)c->cred.uid);
	fn(ctl->a, r, req);
	json_decref(req);
}

/* Handle the complete lines in the buffer while the pending cap allows. */
static void conn_process(struct ctl_conn *c)
{
	size_t off = 0;

	c->in_process = true;
	c->refs++; /* a handler may close the connection under us */
	while (!c->dead && conn_may_take(c)) {
		char *nl = memchr(c->buf + off, '\n', c->len - off);

		if (!nl)
			break;
		handle_line(c, c->buf + off, (size_t)(nl - (c->buf + off)));
		off = (size_t)(nl - c->buf) + 1;
	}
	if (off) {
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
	if (!c->dead && c->len == sizeof(c->buf) && !memchr(c->buf, '\n', c->len)) {
		char why[80];

		snprintf(why, sizeof(why), "request longer than %d bytes (its newline included)",
			 ODM_IPC_MAX);
		send_error(c, NULL, "ETOOBIG", why);
		conn_finish(c);
	}
	/* at a cap: stop reading until answers free a slot */
	if (!c->dead && !conn_may_take(c) && c->reading) {
		uv_read_stop((uv_stream_t *)&c->pipe);
		c->reading = false;
	}
	c->in_process = false;
	conn_unref(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct ctl_conn *c = h->data;

	(void)suggested;
	/* never zero-sized: conn_process ends a connection with a full buffer */
	*b = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

/* The client closed its socket (both directions shut, POLLHUP), rather
 * than only its sending side */
static bool peer_gone(struct ctl_conn *c)
{
	struct pollfd p = { .events = 0 };
	uv_os_fd_t fd;

	if (uv_fileno((const uv_handle_t *)&c->pipe, &fd) != 0)
		return true;
	p.fd = fd;
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct ctl_conn *c = s->data;

	(void)b;
	if (n == UV_EOF) {
		if (peer_gone(c)) {
			conn_close(c); /* closed, not half: its requests free their slots now */
			return;
		}
		uv_read_stop(s);
		c->reading = false;
		c->eof = true;
		if (!c->in_process)
			conn_process(c);
		conn_end_if_done(c);
		return;
	}
	if (n < 0) {
		log_debug("read from client: %s", uv_strerror((int)n));
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	if (n > 0)
		c->last_ms = mono_ms();
	if (n > 0 && !c->gone && peer_gone(c))
		c->gone = true;
	if (!c->in_process)
		conn_process(c);
}

static void conn_read_start(struct ctl_conn *c)
{
	int r = uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);

	if (r < 0) {
		log_warnx("uv_read_start: %s", uv_strerror(r));
		conn_close(c);
		return;
	}
	c->reading = true;
}

static void on_reject_closed(uv_handle_t *h)
{
	free(h);
}

/*
 * Accept and hang up at once, or libuv would stop accepting altogether
 * (until uv_accept(3) is called). Without the memory for that, the
 * connection waits, and no other is taken, until the next look
 * (watch_tick) finds the memory: said once, and when it works again.
 */
static void hang_up(struct control *ctl, uv_stream_t *server)
{
	uv_pipe_t *p = malloc(sizeof(*p));

	if (!p) {
		if (!ctl->accept_stalled)
			log_warn(-ENOMEM, "cannot take a control connection: none is taken until "
					  "there is memory again; tried again each second");
		ctl->accept_stalled = true;
		return;
	}
	if (ctl->accept_stalled)
		log_warnx("memory again: control connections are taken again");
	ctl->accept_stalled = false;
	uv_pipe_init(ctl->a->loop, p, 0);
	if (uv_accept(server, (uv_stream_t *)p) == 0)
		log_debug("%u connections: hanging up on one more", ctl->n_conns);
	uv_close((uv_handle_t *)p, on_reject_closed);
}

/*
 * c's supplementary groups as the kernel recorded them when it connected
 * (SO_PEERGROUPS, socket(7)), like SO_PEERCRED's ids: never looked up later
 * under its pid, which may have exited and gone to another process by then.
 */
static int peer_groups(int fd, struct ctl_conn *c)
{
	socklen_t sl = 0;
	gid_t *g;

	/* asked with no room first: the kernel says how much it needs */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &sl) == 0)
		return 0; /* none */
	if (errno != ERANGE)
		return -errno;
	g = malloc(sl);
	if (!g)
		return -ENOMEM;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &sl) < 0) {
		int r = -errno;

		free(g);
		return r;
	}
	c->groups = g;
	c->n_groups = sl / sizeof(*g);
	return 0;
}

/*
 * The connection of uid that has waited for nothing longest, if it is spare
 * (ctlshare_spare): no request unanswered, no part of a line read, no reply
 * unread, not a monitor (its silence is listening); NULL if none is, or if
 * that one has sent what the agent has not read yet (its close would drop
 * it: a "noreply" hint is sent once).
 */
static struct ctl_conn *spare_conn(struct control *ctl, uid_t uid, uint64_t now)
{
	struct ctl_conn *best = NULL;
	uint64_t best_since = 0;
	uv_os_fd_t fd;
	int unread = 0;

	for (struct ctl_conn *o = ctl->conns; o; o = o->next) {
		uint64_t since = o->read_ms > o->last_ms ? o->read_ms : o->last_ms;

		if (o->cred.uid != uid || !o->admitted || o->dead || !o->reading || o->monitor ||
		    o->eof || o->len || o->big_queued ||
		    uv_stream_get_write_queue_size((uv_stream_t *)&o->pipe) > 0 ||
		    !ctlshare_spare(&ctl->lim, o->pending, since, now))
			continue;
		if (!best || since < best_since) {
			best = o;
			best_since = since;
		}
	}
	if (best && (uv_fileno((uv_handle_t *)&best->pipe, &fd) != 0 ||
		     ioctl(fd, FIONREAD, &unread) != 0 || unread > 0))
		return NULL;
	return best;
}

/* Count c in its uid's share, or tell it EBUSY and close it. */
static void admit(struct control *ctl, struct ctl_conn *c)
{
	struct ctl_uid *u = uid_find(ctl, c->cred.uid);
	enum ctlshare_verdict v;
	uint64_t now = mono_ms();
	struct ctl_conn *old;

	v = ctlshare_admit(&ctl->lim, c->cred.uid, ctl->n_admitted, u ? u->conns : 0);
	/* in the place of one of its own that waits for nothing (odmagent(8),
	 * Fair shares): the shim connects again on its next call */
	if (v != CTLSHARE_ADMIT && u &&
	    ctlshare_may_replace(&ctl->lim, c->cred.uid, ctl->n_admitted, u->conns) &&
	    (old = spare_conn(ctl, c->cred.uid, now))) {
		log_debug("closing the spare control connection of uid %u pid %d for its pid %d",
			  (unsigned)c->cred.uid, (int)old->cred.pid, (int)c->cred.pid);
		conn_uncount(ctl, old);
		conn_close(old);
		u = uid_find(ctl, c->cred.uid);
		v = CTLSHARE_ADMIT;
	}
	if (v == CTLSHARE_ADMIT && !(u = uid_get(ctl, c->cred.uid)))
		v = CTLSHARE_FULL;
	if (v != CTLSHARE_ADMIT) {
		ctl->refused++;
		/* once a second for each user: one user's connections over its
		 * share do not hide another's refused */
		reqlog_user_say(&ctl->refused_log, c->cred.uid, now, ODM_LOG_WARN,
				"refusing a control connection of uid %u pid %d: %s (%u open of "
				"that uid, %u of all; %llu refused so far)",
				(unsigned)c->cred.uid, (int)c->cred.pid, ctlshare_verdict_name(v),
				u ? u->conns : 0, ctl->n_admitted, (unsigned long long)ctl->refused);
		send_error(c, NULL, "EBUSY", ctlshare_verdict_name(v));
		conn_finish(c);
		return;
	}
	u->conns++;
	ctl->n_admitted++;
	c->admitted = true;
	conn_read_start(c);
}

static int path_is_ours(const struct control *ctl);
static void on_server_closed(uv_handle_t *h);

/*
 * accept(2) failed where libuv's own remedy does not reach (uv_accept(3)):
 * out of open files with its reserve descriptor gone (it is given back
 * and opened again, which fails when the limit was lowered below the
 * descriptors open, or when another process takes the system's last file,
 * ENFILE), or short of kernel memory. libuv then calls again at once for
 * the connection still queued, with the same error, for as long as it
 * lasts: a core spent and a line a call (2 million in 5 s measured). The
 * socket is closed instead and its path removed: a client is refused at
 * once (ENOENT), and the next look (watch_tick) binds it again once a
 * descriptor can be had. Said once until then.
 */
static void close_on_accept_error(struct control *ctl, uv_stream_t *server, int status)
{
	struct rlimit rl = { 0 };

	if ((uv_stream_t *)ctl->server != server) /* an old one, closing */
		return;
	(void)getrlimit(RLIMIT_NOFILE, &rl);
	if (!ctl->accept_err)
		log_warn(status, "accept(2) on the control socket %s (limit on open files %llu): "
				 "the socket is closed and made again once it can be (looked at "
				 "each second; ulimit -n; systemd: LimitNOFILE=); clients are "
				 "refused meanwhile",
			 ctl->a->cfg.control_path, (unsigned long long)rl.rlim_cur);
	ctl->accept_err = status;
	/* the socket made again will report its own failure afresh */
	ctl->watch_err = status;
	if (path_is_ours(ctl) == 1)
		unlink(ctl->a->cfg.control_path);
	uv_close((uv_handle_t *)server, on_server_closed);
	ctl->server = NULL;
	ctl->accept_stalled = false;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct control *ctl = server->data;
	struct ctl_conn *c;
	socklen_t sl;
	uv_os_fd_t fd;
	int r;

	if (status < 0) {
		close_on_accept_error(ctl, server, status);
		return;
	}
	if (ctl->n_conns >= ctl->lim.max_conns + CTL_REFUSING_MAX || !(c = calloc(1, sizeof(*c)))) {
		hang_up(ctl, server);
		return;
	}
	uv_pipe_init(ctl->a->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->ctl = ctl;
	c->refs = 1;
	c->last_ms = mono_ms();
	c->read_ms = c->last_ms;
	ctl->handles++;
	ctl->n_conns++;
	c->next = ctl->conns;
	if (ctl->conns)
		ctl->conns->prev = c;
	ctl->conns = c;
	r = uv_accept(server, (uv_stream_t *)&c->pipe);
	if (r < 0) {
		log_warnx("uv_accept: %s", uv_strerror(r));
		conn_close(c);
		return;
	}
	sl = sizeof(c->cred);
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &sl) < 0) {
		log_warn(errno, "SO_PEERCRED");
		conn_close(c);
		return;
	}
	/* a gid rule of the policy could not be judged without them */
	r = peer_groups(fd, c);
	if (r < 0) {
		log_warn(r, "SO_PEERGROUPS of pid %d", (int)c->cred.pid);
		conn_close(c);
		return;
	}
	admit(ctl, c);
}

/* Close the connections that have been silent, with nothing pending, too long. */
static void on_idle_tick(uv_timer_t *t)
{
	struct control *ctl = t->data;
	uint64_t now = mono_ms();

	for (struct ctl_conn *c = ctl->conns; c; c = c->next) {
		/* (since its last request too: the pause began no earlier) */
		uint64_t since = c->read_ms > c->last_ms ? c->read_ms : c->last_ms;

		/* one whose last replies wait for it to read (conn_finish: it
		 * half-closed, or was told ETOOBIG; dead, its handle not yet
		 * closing): as long as any other reader */
		if (c->dead && ctl->lim.idle_ms && !uv_is_closing((uv_handle_t *)&c->pipe) &&
		    uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) > 0 &&
		    now - since >= ctl->lim.idle_ms) {
			log_warnx("client pid %d has read none of its last replies for %llu ms; "
				  "dropping it", (int)c->cred.pid, (unsigned long long)(now - since));
			uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
			continue;
		}

		if (!c->dead && c->admitted && !c->reading && ctl->lim.idle_ms &&
		    uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) > CTL_MAX_WQ &&
		    now - since >= ctl->lim.idle_ms) {
			log_warnx("client pid %d has read none of its replies for %llu ms; "
				  "dropping it", (int)c->cred.pid, (unsigned long long)(now - since));
			conn_close(c);
			continue;
		}
		/* one held back by a cap has requests waiting: not idle */
		/* a monitor listens: its silence is not idleness */
		/* (a part of a line, then silence, is silence) */
		if (c->dead || !c->admitted || !c->reading || c->monitor ||
		    !ctlshare_idle(&ctl->lim, c->pending, c->last_ms, now))
			continue;
		log_debug("closing the idle control connection of uid %u pid %d",
			  (unsigned)c->cred.uid, (int)c->cred.pid);
		conn_close(c);
	}
}

/* How often idle connections are looked for: a quarter of the idle time. */
static void idle_timer_set(struct control *ctl)
{
	uint64_t every = ctl->lim.idle_ms / 4;

	if (!ctl->lim.idle_ms) {
		uv_timer_stop(&ctl->idle);
		return;
	}
	if (every < 10)
		every = 10;
	if (every > 1000)
		every = 1000;
	uv_timer_start(&ctl->idle, on_idle_tick, every, every);
}

void control_set_limits(struct odm_agent *a, const struct ctlshare_limits *lim)
{
	struct control *ctl = a ? a->control : NULL;

	if (!ctl || !lim)
		return;
	ctl->lim = *lim;
	idle_timer_set(ctl);
}

/* ---- monitors ---- */

static size_t mon_queued(struct ctl_conn *c)
{
	return uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe);
}

/* Tell c what it lost, once its queue has drained (monshare_tell_now): one
 * line with the count, and the count of each kind. */
static void mon_tell_lost(struct ctl_conn *c)
{
	json_t *e, *kinds;
	size_t len;
	char *line;

	if (!monshare_tell_now(&c->mon))
		return;
	kinds = json_object();
	for (size_t k = 0; kinds && k < events_n_kinds; k++)
		if (c->mon.lost_kind[k] &&
		    json_object_set_new(kinds, events_kinds[k],
					json_integer((json_int_t)c->mon.lost_kind[k])) < 0)
			break;
	e = kinds ? json_pack("{s:s,s:I,s:I,s:o}", "event", "lost", "ms", (json_int_t)public_ms(),
			      "count", (json_int_t)c->mon.lost, "kinds", kinds)
		  : NULL;
	line = e ? ipc_dump(e, &len) : NULL;
	json_decref(e);
	if (!line)
		return; /* told at the next chance */
	conn_write_line(c, line, len, monshare_told(&c->mon, len));
}

/* Whether ev's kind is among those c asked for ("lost" always is). */
static bool mon_wants(const struct ctl_conn *c, const json_t *ev)
{
	return events_filter_has(&c->kinds, json_string_value(json_object_get(ev, "event")));
}

/* events.h subscriber: one line per event, never waiting for the client;
 * only the events for the user the kernel says c belongs to (SO_PEERCRED). */
static void mon_event(void *ctx, const json_t *ev, const struct events_audience *to)
{
	struct ctl_conn *c = ctx;

	const uid_t *about = to && !to->everyone && to->n ? &to->uids[0] : NULL;
	const char *kind = json_string_value(json_object_get(ev, "event"));
	struct monshare_src *src;
	size_t len;
	char *line;

	if (c->dead || !events_audience_has(to, c->cred.uid) || !mon_wants(c, ev))
		return;
	mon_tell_lost(c);
	/* its source behind, it is dropped unwritten (a flood costs no
	 * line's text per event) */
	if (monshare_behind(&c->mon, kind, about))
		return;
	line = ipc_dump(ev, &len);
	if (!line) {
		monshare_take(&c->mon, c->mon.cap, kind, about, 1); /* no room: lost */
		return;
	}
	src = monshare_take(&c->mon, mon_queued(c), kind, about, len);
	if (!src) {
		free(line);
		return;
	}
	conn_write_line(c, line, len, src);
}

/*
 * "monitor": answer {monitor:true}, then stream events on this connection;
 * "events" (comma-separated kinds, events_filter_parse) keeps only those,
 * e.g. a linked program's odm_events_fd() asks for "graceful-replacement".
 * A request refused (a kind that is none, no room to subscribe) changes
 * nothing: what an earlier one asked for stays as it was.
 */
static void monitor_handler(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	struct ctl_conn *c = r->conn;
	const char *kinds = json_string_value(json_object_get(req, "events"));
	struct events_filter want = c->kinds;
	char err[160];

	if (kinds && events_filter_parse(kinds, &want, err, sizeof(err)) < 0) {
		control_reply_error(r, "EINVAL", "%s", err);
		return;
	}
	if (!c->monitor) {
		if (events_subscribe(&a->events, mon_event, c) < 0) {
			control_reply_error(r, "ENOMEM", "cannot subscribe to the events");
			return;
		}
		c->monitor = true;
		monshare_init(&c->mon, c->cred.uid, CTL_MON_WQ, CTL_MON_WQ / 4, CTL_MON_WQ / 4 * 3,
			      CTL_MON_WQ / 8);
		log_debug("uid %u pid %d monitors the events (%zu monitors)",
			  (unsigned)c->cred.uid, (int)c->cred.pid, events_subscribers(&a->events));
	}
	c->kinds = want;
	control_reply(r, json_pack("{s:b}", "monitor", 1));
}

static void hello_handler(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	(void)req;
	control_reply(r, json_pack("{s:s,s:i,s:s}", "role",
				   config_role_name(a->cfg.role), "version",
				   ODM_IPC_VERSION, "default_type",
				   odm_type_name(a->cfg.default_type)));
}

/*
 * "fallback": a shim whose program did not ask for a type could not lease
 * one and sent the connection out from a plain address. Logged, so an
 * operator sees it: at most once a second for each user and
 * CTL_PER_USER_LOG_ALL times a second for all (one user's flood of them
 * does not hide another's), with a running count; the fields were checked
 * against the schema and the error is printed by number, never as sent.
 */
static void fallback_handler(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	struct control *ctl = a->control;
	const struct ucred *who = control_req_cred(r);
	json_int_t err = json_integer_value(json_object_get(req, "error"));
	uint64_t now = mono_ms();
	struct events_audience to = { .uids = &who->uid, .n = 1 };

	events_emit_to(&a->events, "fallback",
		       json_pack("{s:I,s:I,s:s?,s:s}", "uid", (json_int_t)who->uid, "pid",
				 (json_int_t)who->pid, "type",
				 json_string_value(json_object_get(req, "type")), "reason",
				 err > 0 && err < 4096 ? strerror((int)err) : "unknown error"),
		       &to, public_ms());
	if (ctl) {
		ctl->fallbacks++;
		reqlog_user_say(&ctl->fallback_log, who->uid, now, ODM_LOG_WARN,
				"uid %u pid %d: a %s connection toward %s went out from a plain "
				"address (lease failed: %s; %llu such so far)",
				(unsigned)who->uid, (int)who->pid,
				json_string_value(json_object_get(req, "type")),
				json_string_value(json_object_get(req, "dst")),
				err > 0 && err < 4096 ? strerror((int)err) : "unknown error",
				(unsigned long long)ctl->fallbacks);
	}
	control_reply(r, json_object());
}

int control_register(struct odm_agent *a, const char *op, control_handler_fn fn)
{
	struct control *ctl = a ? a->control : NULL;

	if (!ctl || !op || !fn || strlen(op) >= CTL_OP_NAME)
		return -EINVAL;
	if (!ipc_op_known(op)) {
		log_warnx("op \"%s\" is not in the IPC schema", op);
		return -EINVAL;
	}
	for (size_t i = 0; i < ctl->n_ops; i++)
		if (strcmp(ctl->ops[i].name, op) == 0) {
			ctl->ops[i].fn = fn; /* a role may take over a built-in */
			return 0;
		}
	if (ctl->n_ops == CTL_MAX_OPS)
		return -ENOSPC;
	snprintf(ctl->ops[ctl->n_ops].name, CTL_OP_NAME, "%s", op);
	ctl->ops[ctl->n_ops++].fn = fn;
	return 0;
}

/* A directory made 0755 whatever the umask (its systemd unit sets
 * UMask=0077, which would leave it to root alone, and the control group
 * unable to reach the socket in it); one that is there is left as it is */
static int make_dir(const char *dir)
{
	int fd, r = 0;

	if (mkdir(dir, 0755) < 0)
		return errno == EEXIST ? 0 : -errno;
	/* no link followed: the one just made, or nothing */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0755) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	return r;
}

/* mkdir -p of the socket's directory, 0755, for a fresh /run, or one
 * removed under the agent (watch_tick). */
static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	int r;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *c = dir + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if ((r = make_dir(dir)) < 0)
			return r;
		*c = '/';
	}
	return make_dir(dir);
}

/*
 * The socket's directory, made, held to the state-dir's rule (statefile.h):
 * whoever may write it may put a socket of their own in this one's place,
 * which the shim and odmctl would take for the agent's (odmagent.conf(5)).
 * 0, or -errno and why (cap bytes).
 */
static int make_parent_trusted(const char *path, char *why, size_t cap)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *slash;
	struct stat st;
	int r = make_parent(path);

	if (r < 0) {
		snprintf(why, cap, "cannot create the directory of %s: %s", path, strerror(-r));
		return r;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	slash[slash == dir] = '\0'; /* "/x.sock": "/" */
	r = statefile_dir(dir, why, cap);
	if (r == -EPERM && stat(dir, &st) == 0) {
		if (st.st_mode & S_IWOTH)
			snprintf(why, cap, "%s, the directory of %s, is writable by others (mode "
				 "%04o): anyone could put a socket there in the agent's place; "
				 "chmod o-w it", dir, path, (unsigned)(st.st_mode & 07777));
		else
			snprintf(why, cap, "%s, the directory of %s, is owned by uid %u, neither "
				 "this agent's user nor root: that user could put a socket there in "
				 "the agent's place; chown it", dir, path, (unsigned)st.st_uid);
	} else if (r < 0) {
		snprintf(why, cap, "%s, the directory of %s: %s", dir, path, strerror(-r));
	}
	return r;
}

static void on_server_closed(uv_handle_t *h)
{
	struct control *ctl = h->data;

	free(h);
	ctl_unref(ctl);
}

/* the idle and watch timers' and the resume handle's: one of ctl's handles gone */
static void on_handle_closed(uv_handle_t *h)
{
	ctl_unref(h->data);
}

/*
 * Each process that uses the shim holds a connection, so the soft limit on
 * open files is taken up to NOFILE_WANT where the hard limit allows (systemd
 * starts a service at 1024), and no more connections are served than the
 * limit then leaves room for. The agent waits with epoll, never select(),
 * and starts no other program, so no one is handed descriptors past
 * FD_SETSIZE.
 */
#define NOFILE_WANT 4096

static int fit_fd_limit(struct control *ctl)
{
	unsigned want = ctl->lim.max_conns, got;
	struct rlimit rl;
	rlim_t raised, was;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn(errno, "getrlimit RLIMIT_NOFILE: serving up to %u control connections",
			 want);
		return 0;
	}
	raised = rl.rlim_max < NOFILE_WANT ? rl.rlim_max : NOFILE_WANT;
	if (rl.rlim_cur < raised) {
		log_debug("limit on open files: %llu -> %llu (hard %llu)",
			  (unsigned long long)rl.rlim_cur, (unsigned long long)raised,
			  (unsigned long long)rl.rlim_max);
		was = rl.rlim_cur;
		rl.rlim_cur = raised;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_warn(errno, "setrlimit RLIMIT_NOFILE %llu", (unsigned long long)raised);
			rl.rlim_cur = was;
		}
	}
	/* RLIM_INFINITY is the largest rlim_t: ctlshare takes it as no limit */
	got = ctlshare_fit_fds(&ctl->lim, rl.rlim_cur, CTL_FD_OVERHEAD);
	if (!got) {
		log_err(0, "the limit on open files (%llu) is too low: the agent needs %u or more "
			   "(ulimit -n; systemd: LimitNOFILE=)",
			(unsigned long long)rl.rlim_cur, CTLSHARE_MIN_CONNS + CTL_FD_OVERHEAD);
		return -EMFILE;
	}
	if (got < want)
		log_warnx("the limit on open files (%llu, hard %llu) leaves room for %u control "
			  "connections, not %u: processes past that are refused with EBUSY "
			  "(ulimit -n; systemd: LimitNOFILE=)",
			  (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, got,
			  want);
	return 0;
}

/* A stale socket from a previous run at path is removed; never anything
 * else. 0 when the path is free. */
static int clear_path(const char *path)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		log_err(EEXIST, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	/* someone answers: another agent is running, leave it be */
	fd = ipc_connect(path, 200);
	if (fd >= 0) {
		close(fd);
		log_err(EADDRINUSE, "another agent listens on %s", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0) {
		r = -errno;
		log_err(r, "unlink %s", path);
		return r;
	}
	return 0;
}

/* 1 when the control path names the socket serve_at bound, 0 when it
 * names nothing, -1 when it names something else */
static int path_is_ours(const struct control *ctl)
{
	struct stat st;

	if (lstat(ctl->a->cfg.control_path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	return S_ISSOCK(st.st_mode) && st.st_dev == ctl->sock_dev && st.st_ino == ctl->sock_ino
		       ? 1 : -1;
}

/* A Unix stream socket bound at path (free), not listening yet: 0 and *fd */
static int bind_unix(const char *path, int *fd)
{
	struct sockaddr_un sun;
	mode_t old;
	int s, r = ipc_sockaddr(path, &sun);

	if (r < 0)
		return r;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	/* no window in which the socket exists with looser permissions */
	old = umask(0117);
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		r = -errno;
	umask(old);
	if (r < 0) {
		close(s);
		return r;
	}
	*fd = s;
	return 0;
}

/*
 * A new listening socket at the control path (free), in place of the one
 * served so far if any: bound with mode 0660 and control-group, listening.
 * 0, or -errno with nothing left at the path.
 */
static int serve_at(struct control *ctl)
{
	const char *path = ctl->a->cfg.control_path;
	uv_pipe_t *srv = malloc(sizeof(*srv));
	struct stat st;
	int r, fd = -1;

	if (!srv)
		return -ENOMEM;
	r = uv_pipe_init(ctl->a->loop, srv, 0);
	if (r < 0) {
		free(srv);
		return r;
	}
	srv->data = ctl;
	ctl->handles++;
	/* bound here, not by uv_pipe_bind: libuv would unlink the path when
	 * the handle closes, whatever is there by then (another agent's
	 * socket, after this one's was removed) */
	r = bind_unix(path, &fd);
	if (r == 0 && (r = uv_pipe_open(srv, fd)) < 0)
		close(fd);
	if (r < 0) {
		log_err(r, "bind %s", path);
		goto fail;
	}
	/* what is at the path must be the socket just bound, and no link is
	 * followed (a directory others could write would otherwise let them
	 * point the chmod and chown at a file of their choice); the mode is
	 * set again, as a default ACL of the directory may have narrowed it */
	errno = 0;
	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
		r = errno ? -errno : -EEXIST;
		log_err(r, "%s is not the socket just bound", path);
		goto fail;
	}
	if (fchmodat(AT_FDCWD, path, 0660, AT_SYMLINK_NOFOLLOW) < 0) {
		r = -errno;
		log_err(r, "chmod %s", path);
		goto fail_unlink;
	}
	if (ctl->a->cfg.control_gid != (gid_t)-1 &&
	    lchown(path, (uid_t)-1, ctl->a->cfg.control_gid) < 0) {
		r = -errno;
		/* without CAP_CHOWN a process may give a file only a group it is in */
		if (r == -EPERM)
			log_err(r, "chown %s to group %u (control-group): the agent is not in "
				   "that group and lacks CAP_CHOWN; under systemd add "
				   "SupplementaryGroups= for it (odmagent.conf(5))",
				path, (unsigned)ctl->a->cfg.control_gid);
		else
			log_err(r, "chown %s to group %u (control-group)", path,
				(unsigned)ctl->a->cfg.control_gid);
		goto fail_unlink;
	}
	/* a burst of clients waits in the kernel's queue rather than being refused */
	r = uv_listen((uv_stream_t *)srv, SOMAXCONN, on_connection);
	if (r < 0) {
		log_err(r, "listen %s", path);
		goto fail_unlink;
	}
	/* the old one is reached by no path any more: its clients are served
	 * on, its queue of connections not yet accepted is lost */
	if (ctl->server)
		uv_close((uv_handle_t *)ctl->server, on_server_closed);
	ctl->server = srv;
	ctl->sock_dev = st.st_dev;
	ctl->sock_ino = st.st_ino;
	return 0;
fail_unlink:
	unlink(path);
fail:
	uv_close((uv_handle_t *)srv, on_server_closed);
	return r;
}

/*
 * Out of open files (accept(2): EMFILE, ENFILE), libuv takes each new
 * connection with a descriptor it keeps in reserve and closes it at once
 * (uv_accept(3)): the client reads end of file, and the agent hears
 * nothing of it. So each tick a descriptor is asked for and given back;
 * a failure is logged once, naming the limit, and so is the return of
 * room.
 */
static void watch_fds(struct control *ctl)
{
	struct rlimit rl = { 0 };
	uv_os_fd_t fd;
	int d, r = 0;

	/* the loop's epoll descriptor: open while the listening socket may
	 * not be (close_on_accept_error) */
	fd = uv_backend_fd(ctl->a->loop);
	if (fd < 0)
		return;
	d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (d >= 0)
		close(d);
	else if (errno == EMFILE || errno == ENFILE)
		r = -errno;
	if (r == ctl->fd_short)
		return;
	if (r < 0) {
		(void)getrlimit(RLIMIT_NOFILE, &rl);
		log_warn(r, "no open file to spare (limit on open files %llu): new control "
			    "connections are closed unanswered until some are freed (ulimit -n; "
			    "systemd: LimitNOFILE=); said once, looked at again each second",
			 (unsigned long long)rl.rlim_cur);
	} else {
		log_warnx("open files to spare again: control connections are served");
	}
	ctl->fd_short = r;
}

/*
 * Once a second: the control path must still name the socket served. One
 * removed under the agent (by hand, a clean-up of the run directory) would
 * leave every client refused and the agent running unreachable; it is
 * bound again at once, with a warning. Something else there (another
 * agent's socket, a file) is not touched: said once, looked at again.
 */
static void watch_tick(uv_timer_t *t)
{
	struct control *ctl = t->data;
	const char *path = ctl->a->cfg.control_path;
	char why[512]; /* two paths of up to 107 bytes, and the advice */
	int ours, r;

	if (ctl->closing)
		return;
	watch_fds(ctl);
	/* the connection left waiting, hung up on now: libuv listens again */
	if (ctl->accept_stalled && ctl->server)
		hang_up(ctl, (uv_stream_t *)ctl->server);
	ours = path_is_ours(ctl);
	if (ours == 1)
		return;
	/* closed for want of descriptors (close_on_accept_error): not tried
	 * while there is still none, which serve_at would log each time */
	if (ours == 0 && ctl->accept_err && ctl->fd_short)
		return;
	if (ours < 0) {
		if (ctl->watch_err != -EEXIST)
			log_warnx("%s is not the agent's control socket any more (something else "
				  "is there): clients cannot reach this agent; said once, looked "
				  "at again each second", path);
		ctl->watch_err = -EEXIST;
		return;
	}
	why[0] = '\0';
	r = make_parent_trusted(path, why, sizeof(why));
	if (r == 0)
		r = serve_at(ctl);
	if (r < 0) {
		if (r != ctl->watch_err)
			log_warn(why[0] ? 0 : r, "the control socket %s was %s and cannot be made "
				 "again%s%s: clients cannot reach this agent; tried again each second",
				 path, ctl->accept_err ? "closed" : "removed", why[0] ? ": " : "",
				 why);
		ctl->watch_err = r;
		return;
	}
	ctl->watch_err = 0;
	if (ctl->accept_err)
		log_warnx("the control socket %s, closed as accept(2) failed, is made again: "
			  "listening on it again", path);
	else
		log_warnx("the control socket %s was removed under the agent: listening on it "
			  "again", path);
	ctl->accept_err = 0;
}

int control_open(struct odm_agent *a)
{
	const char *path = a->cfg.control_path;
	struct control *ctl;
	char why[512]; /* two paths of up to 107 bytes, and the advice */
	int r;

	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->a = a;
	ctlshare_defaults(&ctl->lim);
	reqlog_users_init(&ctl->fallback_log, 1, 1, CTL_PER_USER_LOG_ALL, CTL_PER_USER_LOG_ALL,
			  mono_ms());
	reqlog_users_init(&ctl->refused_log, 1, 1, CTL_PER_USER_LOG_ALL, CTL_PER_USER_LOG_ALL,
			  mono_ms());
	r = fit_fd_limit(ctl);
	if (r < 0) {
		free(ctl);
		return r;
	}
	r = make_parent_trusted(path, why, sizeof(why));
	if (r < 0) {
		log_err(0, "%s", why);
		free(ctl);
		return r;
	}
	r = clear_path(path);
	if (r < 0) {
		free(ctl);
		return r;
	}
	ctl->handles = 3;
	uv_timer_init(a->loop, &ctl->idle);
	ctl->idle.data = ctl;
	uv_timer_init(a->loop, &ctl->watch);
	ctl->watch.data = ctl;
	uv_idle_init(a->loop, &ctl->resume);
	ctl->resume.data = ctl;
	r = serve_at(ctl);
	if (r < 0)
		goto fail;
	a->control = ctl;
	r = control_register(a, "hello", hello_handler);
	if (r == 0)
		r = control_register(a, "fallback", fallback_handler);
	if (r == 0)
		r = control_register(a, "monitor", monitor_handler);
	if (r < 0) {
		a->control = NULL;
		unlink(path);
		uv_close((uv_handle_t *)ctl->server, on_server_closed);
		goto fail;
	}
	idle_timer_set(ctl);
	uv_timer_start(&ctl->watch, watch_tick, CTL_WATCH_MS, CTL_WATCH_MS);
	log_info("listening on %s", path);
	return 0;
fail:
	uv_close((uv_handle_t *)&ctl->idle, on_handle_closed);
	uv_close((uv_handle_t *)&ctl->watch, on_handle_closed);
	uv_close((uv_handle_t *)&ctl->resume, on_handle_closed);
	return r;
}

void control_close(struct odm_agent *a)
{
	struct control *ctl = a ? a->control : NULL;

	if (!ctl)
		return;
	a->control = NULL;
	ctl->closing = true;
	/* only the socket it bound: one another agent put there meanwhile
	 * (the path was removed under this one) stays */
	if (path_is_ours(ctl) == 1)
		unlink(a->cfg.control_path);
	for (struct ctl_conn *c = ctl->conns; c; c = c->next) {
		/* one waiting to write its last replies (conn_finish) is not
		 * waited for either: a client that never reads them would keep
		 * the agent from stopping */
		if (c->dead && !uv_is_closing((uv_handle_t *)&c->pipe))
			uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
		else
			conn_close(c);
	}
	uv_close((uv_handle_t *)&ctl->idle, on_handle_closed);
	uv_close((uv_handle_t *)&ctl->watch, on_handle_closed);
	uv_close((uv_handle_t *)&ctl->resume, on_handle_closed);
	if (ctl->server)
		uv_close((uv_handle_t *)ctl->server, on_server_closed);
}
