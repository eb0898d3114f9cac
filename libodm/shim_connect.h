/* SPDX-License-Identifier: MIT */
/*
 * shim_connect.h — the step connect()/sendto()/sendmsg()/sendmmsg() take
 * before the real call: on an unbound IPv6 TCP/UDP socket with an eligible
 * destination, pick the type (shim_policy.h); for session-lasting with a
 * known CHA, lease an address from the agent, bind the socket to it (port
 * 0) and record the lease in the fd table. A lease one of the process's
 * sockets already holds for the same (type, protocol, anchor) is taken
 * without asking (heldlease.h), and only the last socket on it sends a
 * release hint.
 *
 * A program that asked for the type itself ($ODM_TYPE) gets it or an error:
 * when the lease cannot be had (no agent, agent busy past the lease time,
 * agent error, bind failure) the call fails with EADDRNOTAVAIL, never goes
 * out from a plain address. A program that did not ask (the agent's default
 * type) falls back to plain, and says so with ODM_DEBUG. An agent that
 * answers "plain", or a destination without a CHA, is plain for both.
 */
#ifndef ODM_SHIM_CONNECT_H
#define ODM_SHIM_CONNECT_H

#include <sys/socket.h>

#pragma GCC visibility push(hidden)

/*
 * what: "connect", "sendto", "sendmsg", "sendmmsg" (for messages),
 * "sendto(MSG_FASTOPEN)" or "sendmsg(MSG_FASTOPEN)" (a TCP socket's connect
 * and first data at once, tcp(7)), or "reconnect" (shim_reconnect_ended:
 * fd is leased anew whatever it looks like). Caller holds the guard and has checked
 * shim_policy_dst_eligible(dst, len). Returns 0 to go on with the real
 * call, or -EADDRNOTAVAIL: fail it with that errno. Leaves errno as it was.
 */
int shim_before_send(int fd, const struct sockaddr *dst, socklen_t len, const char *what);

/*
 * 1 if shim_before_send(fd, ...) would do nothing, told at once: the
 * process's type is known and takes no lease and is not fixed, and fd is
 * not leased (setsc_to() leases a socket of any process). Every connect
 * and send of a process of such a type (non-persistent, the agent's usual
 * default) asks this first, and pays for the rest only when it says 0.
 * Caller holds the guard.
 */
int shim_send_plain(int fd);

/*
 * 1 if the program's bind() of fd to [::]:0 (shim_policy_bind_chooses_nothing)
 * is left to its first connect or send, where a lease binds it to its
 * address: fd is an unbound AF_INET6 UDP socket (not TCP: a server's, whose
 * port the program may read before it listens) and the process's
 * type takes an address of the agent's. Bound at once, such a socket could
 * take no other address (Java and node bind every UDP socket so). Caller
 * holds the guard; errno is left as it was.
 */
int shim_bind_deferred(int fd);

/*
 * connect(fd, addr, len) for a leased fd and addr of AF_UNSPEC (a
 * disconnect): the real call's result and errno. A UDP socket so
 * disconnected gives its port back and keeps its address, the look the
 * agent's ending of an idle lease gives it too: one that had a port is
 * bound again on its address (a new port), so that its next send is not
 * taken for one whose lease ended under it. Caller holds the guard.
 */
int shim_disconnect(int fd, const struct sockaddr *addr, socklen_t len);

/*
 * A send without an address on fd failed with EDESTADDRREQ. If fd is a
 * leased UDP socket that was connected (fd_lease.peer) and its lease ended
 * under it (the agent ends an idle lease's sockets, SOCK_DESTROY, which
 * disconnects them), it is connected to its peer again, through
 * shim_before_send, which leases it anew as its first connect did: 1, the
 * send may be made again. 0: not such a socket (the failure stands);
 * -errno: connecting it again failed (EADDRNOTAVAIL: its program named its
 * type and no lease could be had). One call at a time in a process: the
 * others wait (up to 5 s, then 0). Caller holds the guard; errno may change.
 */
int shim_reconnect_ended(int fd);

/* In a forked child: the reconnect lock is free (its holder stayed behind). */
void shim_connect_atfork_child(void);

/* "tcp", "udp", or NULL for a socket the shim leaves alone (not AF_INET6 TCP/UDP). */
const char *shim_socket_proto(int fd);

/* The type policy gives this process (ODM_TYPE, else the agent's default). */
int shim_process_type(void);

/*
 * The same if it is known without asking the agent (ODM_TYPE, or the
 * agent's answer to an earlier hello), else -1: for getaddrinfo(), which
 * must not wait for the agent.
 */
int shim_process_type_known(void);

/*
 * fd (or several) is gone, l the lease whose last fd went: its count in
 * the held leases given back, and the release hint sent when no socket of
 * the process is left on it. Called from inside the shim (a signal
 * handler that interrupted it: guard.h), the count alone, no call.
 */
struct fd_lease;
void shim_release_hint(int fd, const struct fd_lease *l);

#pragma GCC visibility pop

#endif
