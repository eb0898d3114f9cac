/* SPDX-License-Identifier: MIT */
/*
 * fdtable.h — which file descriptors hold a leased, bound socket.
 *
 * After socket_wrapper: an array indexed by fd holding a pointer to a
 * refcounted entry. dup/dup2/dup3/fcntl(F_DUPFD*) make two slots share one
 * entry; the lease is released when the last slot goes. A slot may also
 * hold FDT_SEEN ("decided, not ours"), so sendto() on a busy UDP socket does
 * not ask the kernel again each time, or FDT_INTERNAL (one of the shim's own
 * fds, see shield.h), so close() notices the application closing it without
 * a second lookup. A dup of an internal fd is the application's. An entry
 * may also exist before any decision, only to keep a socket option the
 * kernel drops (FDT_OPTS, fdtable_set_prefs). Lookups of an untracked fd
 * are one relaxed load and one compare; changes, and reading an entry's
 * state, take a mutex.
 *
 * A number handed out by socket()/accept() can be a fd that was closed
 * behind our back (raw syscall, a libc-internal close); callers purge the
 * slot then (fdtable_drop) so the new socket never inherits a stale lease.
 */
#ifndef ODM_FDTABLE_H
#define ODM_FDTABLE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

#define FDTABLE_MAX_FDS (1u << 20) /* fds above are never tracked */

struct fd_lease {
	struct in6_addr addr; /* the leased address the socket is bound to */
	char lease[64];       /* the agent's lease id (text), for messages */
	int type;             /* enum odm_addr_type */
	int tried;            /* a connect() was made with it (fdtable_connect) */
	int udp;              /* a UDP socket's (its lease may end under it, idle) */
	/* the peer a UDP socket is connected to (sin6_family AF_INET6), else
	 * zero: connected to again when its lease ends under it (odm(7)) */
	struct sockaddr_in6 peer;
	/* its socket's count in the process's held leases (heldlease.h) was
	 * given back as it was to be leased anew, and it kept this lease: its
	 * close or next lease gives back nothing more (shim_connect.c) */
	int unheld;
	/* a UDP socket's: the kernel reported ECONNABORTED on it since it was
	 * leased (fdtable_aborted), which the agent's ending of its lease
	 * leaves (SOCK_DESTROY): its address gone from the host is then the
	 * lease's end, not a link down for a moment (shim_connect.c) */
	int aborted;
	/* a UDP socket's: its port (network order) when it was leased, 0 if
	 * none yet. The agent's ending of its lease gives the port back, and
	 * the next send takes another: a port that changed is that ending as
	 * surely as fd_lease.aborted, also when the ECONNABORTED was read
	 * where the shim does not see it (another process: a forked child) */
	uint16_t port;
	/* a UDP socket's: the thread whose connect or send took this lease
	 * (threadserial_self(); 0: none known). A receive of that thread's,
	 * blocking, is not waited on past the lease's end: it would wait for
	 * its own next send (hook_recv.c) */
	uint64_t thread;
};

/*
 * FDT_OPTS: not decided yet, but the table keeps socket options for it
 * (fdtable_set_prefs); the entry is shared by dups like a lease's.
 */
enum { FDT_UNKNOWN = 0, FDT_SEEN = 1, FDT_LEASED = 2, FDT_INTERNAL = 3, FDT_OPTS = 4 };

struct fdtable;

struct fdtable *fdtable_new(unsigned int cap);
void fdtable_free(struct fdtable *t);
/* The process's table; created on first call with create != 0, else may be NULL. */
struct fdtable *fdtable_global(int create);

/*
 * FDT_UNKNOWN, FDT_SEEN, FDT_LEASED, FDT_INTERNAL or FDT_OPTS. t may be
 * NULL. An untracked fd costs one load, no lock; an fd with an entry locks.
 */
int fdtable_state(struct fdtable *t, int fd);
/*
 * fdtable_state() in the same one lock, and for a UDP lease (fd_lease.udp)
 * whether it is due a look, on clock's time (ms): from fdtable_track until
 * a look finds it alive and says when the next is due (fdtable_looked),
 * *due gets the lease; otherwise due->udp is 0. Every caller meanwhile
 * looks too: threads sending at once all find an ended lease ended, none
 * sends from it while another leases the socket anew. clock is called only
 * for a leased UDP socket. For the sends of a leased UDP socket, which must
 * not each pay a system call to learn whether its lease ended under it
 * (shim_connect.c): between its looks one is told without the lock (which
 * blocks signals, two system calls), from its entry's due time.
 */
int fdtable_state_due(struct fdtable *t, int fd, uint64_t (*clock)(void), struct fd_lease *due);
/* A look found fd's UDP lease alive: the next is due at next_ms. */
void fdtable_looked(struct fdtable *t, int fd, uint64_t next_ms);

/* fd's UDP lease is due a look at the next fdtable_state_due(). */
void fdtable_due_now(struct fdtable *t, int fd);
/* ECONNABORTED on fd's leased socket: fdtable_due_now, and its lease says
 * so (fd_lease.aborted) until the socket is leased anew. */
void fdtable_aborted(struct fdtable *t, int fd);

/*
 * fd's lease of addr is given back to the held leases (fd_lease.unheld): 1
 * if this call marked it, so the caller gives the count back; 0 if it was
 * marked already, or fd holds no lease of addr (closed meanwhile: its close
 * gives the count back). One lock decides, so a close on another thread and
 * this never both give it back.
 */
int fdtable_mark_unheld(struct fdtable *t, int fd, const struct in6_addr *addr);

/* Copy the lease of fd into *out; 1 if leased, else 0. */
int fdtable_get(struct fdtable *t, int fd, struct fd_lease *out);
/* Number of fds sharing fd's entry (0 if none): for tests and messages. */
int fdtable_refs(struct fdtable *t, int fd);

/*
 * fd now holds a fresh lease (refcount 1), or, when fd has an entry (an
 * options entry, FDT_OPTS/FDT_SEEN with prefs, or a lease its socket takes
 * anew), that entry takes the lease, shared by its dups. 0, -EBADF or
 * -ENOMEM.
 */
int fdtable_track(struct fdtable *t, int fd, const struct fd_lease *l);
/*
 * fdtable_track() for a lease asked without a lock held across the asking
 * (setsc(3): two threads may ask for one socket at once): only a socket that
 * holds no lease yet takes it. 0 when fd took l; 1 when it held one already,
 * which it keeps, copied into *held; -EBADF or -ENOMEM.
 */
int fdtable_track_first(struct fdtable *t, int fd, const struct fd_lease *l,
			struct fd_lease *held);
/* Remember that fd was decided and is not ours (no-op on a leased fd). */
void fdtable_mark_seen(struct fdtable *t, int fd);
/* fd's socket, leased, is not ours any more (leased anew and answered
 * plain): decided, for its dups too, with no lease to release at their
 * close; its options stay. No-op on an fd without a lease. */
void fdtable_unlease(struct fdtable *t, int fd);

/*
 * Socket option bits the shim keeps for fd's socket because the kernel does
 * not (IPV6_REQUIRE_SRC_ON_NET). They live in fd's entry, so dups of the
 * socket see the same bits and close of the last fd forgets them. Setting
 * non-zero bits on an untracked fd makes an FDT_OPTS entry (a decided one
 * stays decided); setting 0 on an untracked fd changes nothing. No-op on an
 * internal fd. 0, -EBADF or -ENOMEM.
 */
int fdtable_set_prefs(struct fdtable *t, int fd, unsigned int prefs);
/* The kept bits of fd's socket, 0 if none. */
unsigned int fdtable_prefs(struct fdtable *t, int fd);
/* A connect() of fd's leased socket: 1 and its lease in *out, tried as it
 * was (so that a connect made again after a failure is told from the
 * first, shim_connect.c), now noted as tried; 0 if fd holds no lease. */
int fdtable_connect(struct fdtable *t, int fd, struct fd_lease *out);

/*
 * fd's leased UDP socket is connected to peer now, or to none (NULL: it
 * disconnected); the lease keeps it (fd_lease.peer). No-op for a fd
 * without a UDP lease; a fd without an entry costs one load, no lock (it
 * runs after every connect).
 */
void fdtable_set_peer(struct fdtable *t, int fd, const struct sockaddr_in6 *peer);
/* fd's leased socket has port (network order) now, its program's
 * disconnect having given the old one back (fd_lease.port) */
void fdtable_set_port(struct fdtable *t, int fd, uint16_t port);

/* fd is one of the shim's own (set), or no longer (clear: only if internal). */
void fdtable_mark_internal(struct fdtable *t, int fd, int set);

/*
 * fd is gone (close) or was reused (purge). Returns 1 and fills *released
 * if that was the last fd of a lease, else 0.
 */
int fdtable_drop(struct fdtable *t, int fd, struct fd_lease *released);

/*
 * newfd became a copy of oldfd (dup family). Whatever newfd held is dropped
 * first (dup2 over a tracked fd closes it): returns 1 with *released filled
 * if that dropped the last reference of a lease, else 0.
 */
int fdtable_dup(struct fdtable *t, int oldfd, int newfd, struct fd_lease *released);

/*
 * close_range(first, last): drop every slot in range at once (the kernel
 * closed them all: a socket another thread makes on one of the numbers
 * meanwhile is not dropped with them). The leases whose last fd went are
 * kept in the table until fdtable_take_released hands them out, one at a
 * time, for their release hints outside the lock: no malloc under it
 * (close_range may run in a signal handler that interrupted malloc).
 * Returns how many were kept.
 */
size_t fdtable_drop_range(struct fdtable *t, unsigned int first, unsigned int last);
/* One lease fdtable_drop_range kept, into *out and forgotten: 1, or 0 if none. */
int fdtable_take_released(struct fdtable *t, struct fd_lease *out);

/* In a forked child: reset the lock (the table itself is inherited as is). */
void fdtable_atfork_child(struct fdtable *t);

#pragma GCC visibility pop

#endif
