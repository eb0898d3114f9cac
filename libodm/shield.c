/* SPDX-License-Identifier: MIT */
/* shield.c — records of the shim's internal fds (see shield.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdtable.h"
#include "libc_real.h"
#include "shield.h"
#include "sigblock.h"

#define SHIELD_MAX 64

struct shield_rec {
	int used;
	int fd;
	enum shield_owner owner;
	int dead; /* closed by the application: never ours again */
	dev_t dev;
	ino_t ino;
};

static pthread_mutex_t shield_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shield_rec recs[SHIELD_MAX];
static atomic_int shield_count; /* lets close() skip the lock when empty */

static int find(int fd, enum shield_owner owner)
{
	for (int i = 0; i < SHIELD_MAX; i++)
		if (recs[i].used && recs[i].fd == fd && recs[i].owner == owner)
			return i;
	return -1;
}

static int same_socket(const struct shield_rec *r)
{
	struct stat st;
	int saved = errno, ok;

	/* F_GETFD first: a closed fd fails without filling in stat. */
	ok = !r->dead && REAL(fcntl)(r->fd, F_GETFD) >= 0 && fstat(r->fd, &st) == 0 &&
	     st.st_dev == r->dev && st.st_ino == r->ino;
	errno = saved;
	return ok;
}

int shield_add(int fd, enum shield_owner owner)
{
	sigset_t old;
	struct stat st;
	int i, saved = errno;

	if (fstat(fd, &st) != 0) {
		int err = errno;
		errno = saved;
		return -err;
	}
	sigblock_lock(&shield_lock, &old);
	i = find(fd, owner);
	if (i < 0)
		for (i = 0; i < SHIELD_MAX && recs[i].used; i++)
			;
	if (i >= SHIELD_MAX) {
		sigblock_unlock(&shield_lock, &old);
		return -ENOSPC;
	}
	if (!recs[i].used)
		atomic_fetch_add(&shield_count, 1);
	recs[i] = (struct shield_rec){
		.used = 1, .fd = fd, .owner = owner, .dev = st.st_dev, .ino = st.st_ino
	};
	sigblock_unlock(&shield_lock, &old);
	fdtable_mark_internal(fdtable_global(1), fd, 1);
	return 0;
}

int shield_remove(int fd, enum shield_owner owner)
{
	sigset_t old;
	int i, ok = 0;

	sigblock_lock(&shield_lock, &old);
	i = find(fd, owner);
	if (i >= 0) {
		ok = same_socket(&recs[i]);
		recs[i] = (struct shield_rec){ .used = 0 };
		atomic_fetch_sub(&shield_count, 1);
	}
	sigblock_unlock(&shield_lock, &old);
	if (ok)
		fdtable_mark_internal(fdtable_global(0), fd, 0);
	return ok;
}

int shield_valid(int fd, enum shield_owner owner)
{
	sigset_t old;
	int i, ok = 0;

	sigblock_lock(&shield_lock, &old);
	i = find(fd, owner);
	if (i >= 0)
		ok = same_socket(&recs[i]);
	sigblock_unlock(&shield_lock, &old);
	return ok;
}

int shield_above_stdio(int fd)
{
	int moved, err, saved = errno;

	if (fd > STDERR_FILENO)
		return fd;
	moved = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	err = errno;
	real_close(fd);
	errno = saved;
	return moved < 0 ? -err : moved;
}

void shield_app_closed(unsigned int first, unsigned int last)
{
	sigset_t old;
	if (atomic_load_explicit(&shield_count, memory_order_relaxed) == 0)
		return;
	sigblock_lock(&shield_lock, &old);
	for (int i = 0; i < SHIELD_MAX; i++) {
		if (!recs[i].used)
			continue;
		if ((unsigned int)recs[i].fd >= first && (unsigned int)recs[i].fd <= last) {
			/*
			 * Keep the record but mark it dead: the owner (agent
			 * client, c-ares) finds it invalid and will not close
			 * a number that may be reused by the application.
			 */
			recs[i].dead = 1;
		}
	}
	sigblock_unlock(&shield_lock, &old);
}

void shield_atfork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

	shield_lock = fresh;
}
