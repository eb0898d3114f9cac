/* SPDX-License-Identifier: MIT */
/*
 * fdtable.c — fd -> refcounted lease entry (see fdtable.h).
 * Layout after cwrap's socket_wrapper (array indexed by fd, shared entries
 * for dup'ed fds); no code taken from it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fdtable.h"
#include "sigblock.h"

struct fd_entry {
	struct fd_entry *next_spare; /* on the table's spare list, once unused */
	int refs;           /* slots pointing here; changed under the table lock */
	int state;          /* FDT_LEASED, FDT_SEEN or FDT_OPTS; under the lock */
	unsigned int prefs; /* socket option bits kept here (fdtable_set_prefs) */
	struct fd_lease lease; /* valid when state is FDT_LEASED */
	/* a UDP lease: when it is next due (fdtable_state_due); read without
	 * the lock, so non-zero only while the entry is a leased UDP socket's */
	_Atomic uint64_t due_ms;
	/* how many times the entry was taken from the spare list: a look
	 * without the lock that read it before tells that it may be another
	 * socket's since (state_of) */
	_Atomic unsigned int gen;
};

/* Slot value meaning "decided, not ours": never dereferenced. */
#define SEEN ((struct fd_entry *)(uintptr_t)1)
/* Slot value meaning "the shim's own fd". */
#define INTERNAL ((struct fd_entry *)(uintptr_t)2)
#define IS_ENTRY(e) ((uintptr_t)(e) > (uintptr_t)2)

struct fdtable {
	pthread_mutex_t lock;
	struct fd_entry *spare; /* entries no slot points to, for reuse */
	/* entries of leases whose last fd a close_range dropped, their
	 * release not yet handed out (fdtable_take_released) */
	struct fd_entry *released;
	unsigned int cap;
	unsigned int high; /* 1 + highest fd ever set, bounds range scans */
	_Atomic(struct fd_entry *) *slot;
};

struct fdtable *fdtable_new(unsigned int cap)
{
	struct fdtable *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	/* Large calloc is an untouched mmap: pages cost memory only when used. */
	t->slot = calloc(cap, sizeof(*t->slot));
	if (!t->slot) {
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->cap = cap;
	return t;
}

void fdtable_free(struct fdtable *t)
{
	if (!t)
		return;
	while (t->spare) {
		struct fd_entry *e = t->spare;

		t->spare = e->next_spare;
		free(e);
	}
	while (t->released) {
		struct fd_entry *e = t->released;

		t->released = e->next_spare;
		free(e);
	}
	for (unsigned int fd = 0; fd < t->high; fd++) {
		struct fd_entry *e = atomic_load(&t->slot[fd]);
		if (IS_ENTRY(e) && --e->refs == 0)
			free(e);
	}
	pthread_mutex_destroy(&t->lock);
	free(t->slot);
	free(t);
}

static _Atomic(struct fdtable *) global;
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;

struct fdtable *fdtable_global(int create)
{
	struct fdtable *t = atomic_load_explicit(&global, memory_order_acquire);

	if (t || !create)
		return t;
	pthread_mutex_lock(&global_lock);
	t = atomic_load(&global);
	if (!t) {
		t = fdtable_new(FDTABLE_MAX_FDS);
		atomic_store_explicit(&global, t, memory_order_release);
	}
	pthread_mutex_unlock(&global_lock);
	return t;
}

static inline int in_range(const struct fdtable *t, int fd)
{
	return t && fd >= 0 && (unsigned int)fd < t->cap;
}

/*
 * The table's lock, every signal held off (sigblock.h). Nothing under it
 * calls malloc or free either (entries are recycled through the spare
 * list): a handler that interrupted malloc may still close a leased socket.
 */
static void lock(struct fdtable *t, sigset_t *old)
{
	sigblock_lock(&t->lock, old);
}

static void unlock(struct fdtable *t, const sigset_t *old)
{
	sigblock_unlock(&t->lock, old);
}

/*
 * An unused entry, zeroed: a spare one, else NULL (lock held). Its gen goes
 * up before it can be any slot's again, and its atomics are stored, not
 * overwritten by memset: state_of may be reading them without the lock.
 */
static struct fd_entry *spare_locked(struct fdtable *t)
{
	struct fd_entry *e = t->spare;

	if (e) {
		t->spare = e->next_spare;
		atomic_fetch_add(&e->gen, 1);
		atomic_store(&e->due_ms, 0);
		e->next_spare = NULL;
		e->refs = 0;
		e->state = 0;
		e->prefs = 0;
		memset(&e->lease, 0, sizeof(e->lease));
	}
	return e;
}

static void retire_locked(struct fdtable *t, struct fd_entry *e)
{
	e->next_spare = t->spare;
	t->spare = e;
}

/* A new entry: a spare one, or (outside the lock) a fresh allocation */
static struct fd_entry *entry_new(struct fdtable *t)
{
	struct fd_entry *e;
	sigset_t old;

	lock(t, &old);
	e = spare_locked(t);
	unlock(t, &old);
	return e ? e : calloc(1, sizeof(*e));
}

static int entry_state(struct fdtable *t, int fd, struct fd_entry *e, uint64_t (*clock)(void),
		       struct fd_lease *due);

/*
 * fd's state; with clock, a leased UDP socket whose look is due (clock()
 * at or past its due time, which only fdtable_looked moves on) also gets
 * its lease in *due (due->udp is 0 otherwise). The clock is read only
 * then: the shim's other sockets pay one atomic load, as they did.
 */
static int state_of(struct fdtable *t, int fd, uint64_t (*clock)(void), struct fd_lease *due)
{
	struct fd_entry *e;

	if (due)
		due->udp = 0;
	if (!in_range(t, fd))
		return FDT_UNKNOWN;
	e = atomic_load_explicit(&t->slot[fd], memory_order_acquire);
	if (!e)
		return FDT_UNKNOWN;
	if (e == SEEN)
		return FDT_SEEN;
	if (e == INTERNAL)
		return FDT_INTERNAL;
	return entry_state(t, fd, e, clock, due);
}

/*
 * state_of's way for a slot with an entry, apart (not inlined): the common
 * case, a fd the table knows nothing of, then saves and restores none of
 * the registers this part needs (every socket, connect and close of a
 * program comes to state_of).
 */
static __attribute__((noinline)) int entry_state(struct fdtable *t, int fd, struct fd_entry *e,
						 uint64_t (*clock)(void), struct fd_lease *due)
{
	sigset_t old;
	int st;

	/*
	 * A leased UDP socket not due a look is told so without the lock: its
	 * sends with an address each come here, and the lock costs two system
	 * calls (the signal mask). Entries are recycled, never freed, so a
	 * stale one is still memory to read; the slot read again says whether
	 * it is still fd's, and gen unchanged that it was not closed and taken
	 * again for the same number meanwhile (another socket's, maybe none's
	 * lease).
	 */
	if (clock) {
		unsigned int g = atomic_load(&e->gen);
		uint64_t d = atomic_load(&e->due_ms);

		if (d && clock() < d && atomic_load(&t->slot[fd]) == e && atomic_load(&e->gen) == g)
			return FDT_LEASED;
	}
	/* An entry: read its state under the lock (a close may retire it). */
	lock(t, &old);
	e = atomic_load(&t->slot[fd]);
	if (IS_ENTRY(e)) {
		st = e->state;
		if (clock && st == FDT_LEASED && e->lease.udp && clock() >= e->due_ms)
			*due = e->lease;
	} else {
		st = !e ? FDT_UNKNOWN : e == SEEN ? FDT_SEEN : FDT_INTERNAL;
	}
	unlock(t, &old);
	return st;
}

int fdtable_state(struct fdtable *t, int fd)
{
	return state_of(t, fd, NULL, NULL);
}

int fdtable_state_due(struct fdtable *t, int fd, uint64_t (*clock)(void), struct fd_lease *due)
{
	return state_of(t, fd, clock, due);
}

/* fn(fd's entry, arg) under the lock, if fd has an entry: a fd without one
 * costs one load, no lock (state_of's fast path) */
static void edit(struct fdtable *t, int fd, void (*fn)(struct fd_entry *, const void *),
		 const void *arg)
{
	sigset_t old;
	struct fd_entry *e;

	if (!in_range(t, fd) || !IS_ENTRY(atomic_load_explicit(&t->slot[fd], memory_order_relaxed)))
		return;
	lock(t, &old);
	e = atomic_load(&t->slot[fd]);
	if (IS_ENTRY(e))
		fn(e, arg);
	unlock(t, &old);
}

static void make_due(struct fd_entry *e, const void *arg)
{
	(void)arg;
	e->due_ms = 0;
}

void fdtable_due_now(struct fdtable *t, int fd)
{
	edit(t, fd, make_due, NULL);
}

struct unheld_mark {
	const struct in6_addr *addr;
	int *set;
};

static void set_unheld(struct fd_entry *e, const void *arg)
{
	const struct unheld_mark *m = arg;

	if (e->state == FDT_LEASED && !e->lease.unheld &&
	    IN6_ARE_ADDR_EQUAL(&e->lease.addr, m->addr)) {
		e->lease.unheld = 1;
		*m->set = 1;
	}
}

int fdtable_mark_unheld(struct fdtable *t, int fd, const struct in6_addr *addr)
{
	int set = 0;
	struct unheld_mark m = { addr, &set };

	edit(t, fd, set_unheld, &m);
	return set;
}

static void make_aborted(struct fd_entry *e, const void *arg)
{
	(void)arg;
	e->due_ms = 0;
	if (e->state == FDT_LEASED)
		e->lease.aborted = 1;
}

void fdtable_aborted(struct fdtable *t, int fd)
{
	edit(t, fd, make_aborted, NULL);
}

static void set_next_look(struct fd_entry *e, const void *arg)
{
	/* (a lease's only: due_ms is non-zero only for a leased UDP socket) */
	if (e->state == FDT_LEASED && e->lease.udp)
		e->due_ms = *(const uint64_t *)arg;
}

void fdtable_looked(struct fdtable *t, int fd, uint64_t next_ms)
{
	edit(t, fd, set_next_look, &next_ms);
}

int fdtable_get(struct fdtable *t, int fd, struct fd_lease *out)
{
	sigset_t old;
	struct fd_entry *e;
	int ret = 0;

	if (fdtable_state(t, fd) != FDT_LEASED)
		return 0;
	lock(t, &old);
	e = atomic_load(&t->slot[fd]);
	if (IS_ENTRY(e) && e->state == FDT_LEASED) {
		*out = e->lease;
		ret = 1;
	}
	unlock(t, &old);
	return ret;
}

static void set_peer(struct fd_entry *e, const void *peer)
{
	if (e->state != FDT_LEASED || !e->lease.udp)
		return;
	if (peer)
		e->lease.peer = *(const struct sockaddr_in6 *)peer;
	else
		memset(&e->lease.peer, 0, sizeof(e->lease.peer));
}

void fdtable_set_peer(struct fdtable *t, int fd, const struct sockaddr_in6 *peer)
{
	edit(t, fd, set_peer, peer);
}

static void set_port(struct fd_entry *e, const void *arg)
{
	if (e->state == FDT_LEASED)
		e->lease.port = *(const uint16_t *)arg;
}

void fdtable_set_port(struct fdtable *t, int fd, uint16_t port)
{
	edit(t, fd, set_port, &port);
}

int fdtable_refs(struct fdtable *t, int fd)
{
	sigset_t old;
	struct fd_entry *e;
	int refs = 0;

	if (!in_range(t, fd))
		return 0;
	lock(t, &old);
	e = atomic_load(&t->slot[fd]);
	if (IS_ENTRY(e))
		refs = e->refs;
	unlock(t, &old);
	return refs;
}

/* Empty slot fd; lock held. 1 + *released if that was a lease's last fd. */
static int clear_locked(struct fdtable *t, int fd, struct fd_lease *released)
{
	struct fd_entry *e = atomic_exchange(&t->slot[fd], NULL);
	int ret;

	if (!IS_ENTRY(e))
		return 0;
	if (--e->refs > 0)
		return 0;
	ret = e->state == FDT_LEASED;
	if (ret && released)
		*released = e->lease;
	retire_locked(t, e);
	return ret;
}

static void set_locked(struct fdtable *t, int fd, struct fd_entry *e)
{
	atomic_store(&t->slot[fd], e);
	if ((unsigned int)fd >= t->high)
		t->high = (unsigned int)fd + 1;
}

/* fdtable_track(); with held, only onto a socket with no lease yet: one
 * that has one keeps it, told in *held (1) */
static int track(struct fdtable *t, int fd, const struct fd_lease *l, struct fd_lease *held)
{
	sigset_t old;
	struct fd_entry *e, *cur;

	if (!in_range(t, fd))
		return -EBADF;
	e = entry_new(t);
	if (!e)
		return -ENOMEM;
	e->refs = 1;
	e->state = FDT_LEASED;
	e->lease = *l;
	lock(t, &old);
	cur = atomic_load(&t->slot[fd]);
	if (held && IS_ENTRY(cur) && cur->state == FDT_LEASED) {
		*held = cur->lease;
		retire_locked(t, e);
		unlock(t, &old);
		return 1;
	}
	if (IS_ENTRY(cur)) {
		/* the socket's entry (its options, or the lease it is taking
		 * anew), maybe shared by dups: it takes the lease, theirs too */
		cur->state = FDT_LEASED;
		cur->lease = *l;
		cur->due_ms = 0;
		retire_locked(t, e);
		unlock(t, &old);
		return 0;
	}
	clear_locked(t, fd, NULL);
	set_locked(t, fd, e);
	unlock(t, &old);
	return 0;
}

int fdtable_track(struct fdtable *t, int fd, const struct fd_lease *l)
{
	return track(t, fd, l, NULL);
}

int fdtable_track_first(struct fdtable *t, int fd, const struct fd_lease *l,
			struct fd_lease *held)
{
	return track(t, fd, l, held);
}

void fdtable_mark_seen(struct fdtable *t, int fd)
{
	sigset_t old;
	struct fd_entry *e;

	if (!in_range(t, fd))
		return;
	lock(t, &old);
	e = atomic_load(&t->slot[fd]);
	if (!e)
		set_locked(t, fd, SEEN);
	else if (IS_ENTRY(e) && e->state == FDT_OPTS)
		e->state = FDT_SEEN; /* decided; the options stay */
	unlock(t, &old);
}

static void unlease(struct fd_entry *e, const void *arg)
{
	(void)arg;
	if (e->state != FDT_LEASED)
		return;
	atomic_store(&e->due_ms, 0); /* not a lease's any more (state_of) */
	e->state = FDT_SEEN; /* its dups' too; the options stay */
	memset(&e->lease, 0, sizeof(e->lease));
}

void fdtable_unlease(struct fdtable *t, int fd)
{
	edit(t, fd, unlease, NULL);
}

int fdtable_set_prefs(struct fdtable *t, int fd, unsigned int prefs)
{
	sigset_t old;
	struct fd_entry *e, *n = NULL;

	if (!in_range(t, fd))
		return -EBADF;
	if (prefs) {
		n = entry_new(t);
		if (!n)
			return -ENOMEM;
		n->refs = 1;
		n->prefs = prefs;
	}
	lock(t, &old);
	e = atomic_load(&t->slot[fd]);
	if (IS_ENTRY(e)) {
		e->prefs = prefs;
	} else if (n && e != INTERNAL) {
		n->state = e == SEEN ? FDT_SEEN : FDT_OPTS;
		set_locked(t, fd, n);
		n = NULL;
	}
	if (n)
		retire_locked(t, n);
	unlock(t, &old);
	return 0;
}

unsigned int fdtable_prefs(struct fdtable *t, int fd)
{
	sigset_t old;
	struct fd_entry *e;
	unsigned int prefs = 0;

	if (fdtable_state(t, fd) == FDT_UNKNOWN)
		return 0;
	lock(t, &old);
	e = atomic_load(&t->slot[fd]);
	if (IS_ENTRY(e))
		prefs = e->prefs;
	unlock(t, &old);
	return prefs;
}

int fdtable_connect(struct fdtable *t, int fd, struct fd_lease *out)
{
	struct fd_entry *e;
	sigset_t old;
	int ret = 0;

	if (fdtable_state(t, fd) != FDT_LEASED)
		return 0;
	lock(t, &old);
	e = atomic_load(&t->slot[fd]);
	if (IS_ENTRY(e) && e->state == FDT_LEASED) {
		*out = e->lease;
		e->lease.tried = 1;
		ret = 1;
	}
	unlock(t, &old);
	return ret;
}

void fdtable_mark_internal(struct fdtable *t, int fd, int set)
{
	sigset_t old;
	if (!in_range(t, fd))
		return;
	lock(t, &old);
	if (set) {
		clear_locked(t, fd, NULL);
		set_locked(t, fd, INTERNAL);
	} else if (atomic_load(&t->slot[fd]) == INTERNAL) {
		atomic_store(&t->slot[fd], NULL);
	}
	unlock(t, &old);
}

int fdtable_drop(struct fdtable *t, int fd, struct fd_lease *released)
{
	sigset_t old;
	int ret;

	/* The common case: an fd the shim never touched. One load, one compare. */
	if (fdtable_state(t, fd) == FDT_UNKNOWN)
		return 0;
	lock(t, &old);
	ret = clear_locked(t, fd, released);
	unlock(t, &old);
	return ret;
}

int fdtable_dup(struct fdtable *t, int oldfd, int newfd, struct fd_lease *released)
{
	sigset_t old;
	struct fd_entry *e;
	int ret;

	if (!in_range(t, newfd) || oldfd == newfd)
		return 0;
	if (fdtable_state(t, oldfd) == FDT_UNKNOWN && fdtable_state(t, newfd) == FDT_UNKNOWN)
		return 0;
	lock(t, &old);
	ret = clear_locked(t, newfd, released);
	e = in_range(t, oldfd) ? atomic_load(&t->slot[oldfd]) : NULL;
	if (e && e != INTERNAL) {
		if (IS_ENTRY(e))
			e->refs++;
		set_locked(t, newfd, e);
	}
	unlock(t, &old);
	return ret;
}

size_t fdtable_drop_range(struct fdtable *t, unsigned int first, unsigned int last)
{
	sigset_t old;
	size_t n = 0;

	if (!t)
		return 0;
	lock(t, &old);
	for (unsigned int fd = first; fd <= last && fd < t->high; fd++) {
		struct fd_entry *e = atomic_exchange(&t->slot[fd], NULL);

		if (!IS_ENTRY(e) || --e->refs > 0)
			continue;
		if (e->state != FDT_LEASED) {
			retire_locked(t, e);
			continue;
		}
		/* kept, lease and all, until its release is taken */
		e->next_spare = t->released;
		t->released = e;
		n++;
	}
	unlock(t, &old);
	return n;
}

int fdtable_take_released(struct fdtable *t, struct fd_lease *out)
{
	sigset_t old;
	struct fd_entry *e;

	if (!t || !t->released) /* (a look without the lock: a miss waits for the next call) */
		return 0;
	lock(t, &old);
	e = t->released;
	if (e) {
		t->released = e->next_spare;
		*out = e->lease;
		retire_locked(t, e);
	}
	unlock(t, &old);
	return e != NULL;
}

void fdtable_atfork_child(struct fdtable *t)
{
	if (t)
		pthread_mutex_init(&t->lock, NULL);
}
