/* SPDX-License-Identifier: MIT */
/*
 * ipc.h — the control protocol between odmagent and its clients (libodm's
 * shim and API, odmctl). Shared code: the agent and every client link it.
 *
 * Transport: a Unix stream socket (default ODM_IPC_DEFAULT_PATH, overridden
 * by $ODM_SOCKET or the agent's "control" directive). Framing: each message
 * is one JSON object on one line, terminated by '\n', at most ODM_IPC_MAX
 * bytes including the newline (a reply: ODM_IPC_REPLY_MAX). Each request
 * carries "op" and an integer "id" that the reply echoes. Replies carry
 * "ok": true plus the op's fields, or "ok": false, "error": <code>,
 * "message": <text naming the bad input>.
 * The authoritative schema (every op, field and type) is the table in
 * ipc.c, checked by ipc_validate_request(); man/odmagent.8 documents it.
 *
 * Ops (mn role unless noted):
 *   hello    {}                             -> {role, version, default_type}
 *   cha-check  {name}                        -> {silent, left_ms?, probe?}
 *   cha-result {name, answered, noreply?}    -> {}
 *            (a shim's cha.<name> lookups: whether the user's processes
 *            saw it get no answer lately, and how its own went: odm(7))
 *   move-wait  {}                            -> {retry, waited_ms}
 *            (a shim's name lookup failed for want of a route: answered
 *            when the host's move's gap ends, or at once when it is in
 *            none, or at its bound: odm(7))
 *   lease    {type?, dst, cha?, proto, fresh?, uid?, exe?}
 *                                           -> {addr, lease, anchor} or {plain:true}
 *            (no type: the policy's default; uid and exe are never believed)
 *   release  {addr}                         -> {released, reason?}
 *   status   {}                             -> {role, coa?, leases[], bindings[]} (both roles)
 *   reload   {}                             -> {config, policy, rules} (root; both roles)
 *   policy-show {}                          -> {file, default, allow, quota, rules[]}
 *   policy-add  {rule, at?}                 -> {rule, rules} (root)
 *   policy-del  {rule}                      -> {rules} (root)
 *   policy-test {uid, gid?, exe?, type?}    -> {type, allowed, rule, quota, reason?}
 *   monitor  {}                             -> {monitor:true}, then one line per event of
 *                                              the agent, {event, ms, ...} (no id, no ok)
 * Error codes: "EINVAL" (bad request), "ENOSYS" (op unknown to this role),
 * "EPERM" (an op for root only), "EIO" (the policy file could not be written),
 * "REQUIREDIPNOTSUPPORTED", "REQUIREDIPFAILED",
 * "ETIMEDOUT", "ETOOBIG" (request over ODM_IPC_MAX, reply over ODM_IPC_REPLY_MAX),
 * "EBUSY" (the agent holds too many replies not yet read).
 */
#ifndef ODM_IPC_H
#define ODM_IPC_H

#include <jansson.h>
#include <stddef.h>

#define ODM_IPC_VERSION 1
#define ODM_IPC_MAX 16384
/* A reply may be longer: the status of an anchor with 65 536 bindings is
 * about 10 MB. Clients read one up to this; requests stay within
 * ODM_IPC_MAX. */
#define ODM_IPC_REPLY_MAX (16 * 1024 * 1024)
#define ODM_IPC_DEFAULT_PATH "/run/odm/odmagent.sock"
#define ODM_IPC_ENV "ODM_SOCKET"

/* A host name as cha-check and cha-result take it: "cha." and it make a
 * DNS name (RFC 1035 §2.3.4: 255 octets in all, 253 in text) */
#define ODM_IPC_NAME_MAX 249

/* move-wait: the agent answers within this of the start of the move's gap
 * the host is in (odmagent movegap.h) */
#define ODM_IPC_MOVE_WAIT_MS 3000

/* Path of the agent socket: $ODM_SOCKET if set, else the default. */
const char *ipc_socket_path(void);

/*
 * Parse one line (without or with its '\n') into a JSON object. Strict:
 * must be a single object, at most ODM_IPC_MAX bytes. On error returns NULL
 * and writes a message naming the problem into err.
 */
json_t *ipc_parse(const char *buf, size_t len, char *err, size_t errlen);
/* The same, with max instead of ODM_IPC_MAX (replies: ODM_IPC_REPLY_MAX) */
json_t *ipc_parse_max(const char *buf, size_t len, size_t max, char *err, size_t errlen);

/*
 * Check a request against the schema: "op" known, "id" an integer, every
 * field of the op present with the right type, no unknown fields, addresses
 * parse as IPv6, type names known. Returns 0, or -EINVAL with err naming the
 * offending field.
 */
int ipc_validate_request(const json_t *req, char *err, size_t errlen);

/* 1 if s (len bytes) is such a host name: 1 to ODM_IPC_NAME_MAX letters,
 * digits, '-', '_' and '.', no NUL */
int ipc_name_ok(const char *s, size_t len);

/* 1 if op names an op of the schema, else 0 (added by the agent frame). */
int ipc_op_known(const char *op);

/* Serialise obj compactly plus '\n' into a malloc'd buffer; NULL if > max. */
char *ipc_dump(const json_t *obj, size_t *len);
/* The same, with max instead of ODM_IPC_MAX (replies: ODM_IPC_REPLY_MAX) */
char *ipc_dump_max(const json_t *obj, size_t *len, size_t max);

struct sockaddr_un;
/* sun for path: 0, or -ENAMETOOLONG when it does not fit */
int ipc_sockaddr(const char *path, struct sockaddr_un *sun);
/* Client side: connect with CLOEXEC, non-blocking connect bounded by timeout. */
int ipc_connect(const char *path, int timeout_ms);          /* fd or -errno */
/*
 * Send req (an "id" is added) and wait for the reply line with the same id,
 * at most timeout_ms in all. Returns 0 and *resp (caller decrefs), or -errno
 * (-ETIMEDOUT, -EPIPE, -EPROTO for a garbled reply). An error the agent
 * said to the connection (id null: it refused it, EBUSY, and closed it) is
 * the reply too, read even when the send found the connection closed.
 */
int ipc_call(int fd, json_t *req, json_t **resp, int timeout_ms);
/*
 * The same, and *was_sent: 1 when the whole request went out (the agent could
 * read it: a connection closed after that closed with it unanswered), 0 when
 * the send failed (a connection the agent had closed before: the request
 * never reached it).
 */
int ipc_call_sent(int fd, json_t *req, json_t **resp, int timeout_ms, int *was_sent);

#endif
