/* SPDX-License-Identifier: MIT */
/*
 * control.h — odmagent's control socket (Unix stream, JSON lines, see
 * libodm/core/ipc.h). Set-up: unlink, umask, bind, chmod 0660, chown to
 * control-group. Every request is size-bounded and schema-checked before a
 * handler sees it; a slow or garbage client never stalls the loop; peer
 * credentials (SO_PEERCRED) are taken from the kernel, never from the client.
 * Connections and unanswered requests are shared fairly between uids
 * (ctlshare.h); a connection over its uid's share is answered "EBUSY" (id
 * null) and closed, an idle one is closed.
 *
 * A handler receives a request and must answer it exactly once, now or later
 * (e.g. when a BA arrives), with control_reply() or control_reply_error().
 * If the client has gone meanwhile, the answer is dropped quietly.
 * Handlers run only from the loop's own callbacks, never from inside
 * control_reply() or control_reply_error(): an answer that frees a slot
 * lets the requests held back take it in a round of their own.
 */
#ifndef ODM_CONTROL_H
#define ODM_CONTROL_H

#include <jansson.h>
#include <sys/socket.h>

struct odm_agent;
struct control_req;

typedef void (*control_handler_fn)(struct odm_agent *a, struct control_req *r,
				   const json_t *req);

struct ctlshare_limits;

int control_open(struct odm_agent *a);
void control_close(struct odm_agent *a);
/* Replace the fair-share numbers (ctlshare.h); control_open sets the defaults. */
void control_set_limits(struct odm_agent *a, const struct ctlshare_limits *lim);

/* A role registers the ops it serves; unregistered ops get "ENOSYS". */
int control_register(struct odm_agent *a, const char *op, control_handler_fn fn);

/* resp: the op's fields (ownership taken); "id" and "ok":true are added. */
void control_reply(struct control_req *r, json_t *resp);
/* code: an error code of ipc.h; the message names the bad input. */
void control_reply_error(struct control_req *r, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Kernel-provided credentials of the client that sent r. */
const struct ucred *control_req_cred(const struct control_req *r);
/* Its supplementary groups, as the kernel recorded them when it connected
 * (SO_PEERGROUPS); *n of them. */
const gid_t *control_req_groups(const struct control_req *r, size_t *n);
/* 1 if r's client is gone (its connection closed or closing): an answer
 * would be dropped, and r only holds the connection's memory until it is
 * answered. */
int control_req_gone(const struct control_req *r);

#endif
