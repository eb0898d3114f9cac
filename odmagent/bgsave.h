/* SPDX-License-Identifier: MIT */
/*
 * bgsave.h — writing a snapshot of the agent's state from a child process,
 * so the event loop does not wait for it.
 *
 * fork(2) gives the child a copy-on-write image of the state as it is at
 * that instant: the child encodes it and writes the file while the parent
 * goes on answering. The parent learns the outcome from the child's exit
 * status (waitpid(2), polled: no SIGCHLD handler, no extra loop handle).
 * One child at a time.
 *
 * The child is the parent's for its whole life: PR_SET_PDEATHSIG
 * (prctl(2)) kills it when the parent dies, so a save of a dead run never
 * lands over the file a restarted agent has written since. Its signal
 * handlers are set back to the defaults (the parent's would hand a signal
 * to the parent's loop; signals stay blocked from before the fork until
 * then), so a stop that signals the whole service stops it
 * too. It closes every descriptor but 0-2 first: the parent's sockets and
 * its lock on the state directory are the parent's alone (a restarted
 * agent takes the lock at once). It ends with _exit(2): no atexit handler of the parent runs twice.
 */
#ifndef ODM_BGSAVE_H
#define ODM_BGSAVE_H

#include <stdint.h>
#include <sys/types.h>

struct bgsave {
	pid_t pid;           /* the child, 0 = none */
	uint64_t started_ms; /* monotonic ms it was started at */
};

/*
 * Run work(arg) in a child started now (now_ms, monotonic). work returns 0
 * or -errno; the child exits with it. 0 when the child runs, -EBUSY when
 * one already does, -errno when fork failed (the caller then does the work
 * itself).
 */
int bgsave_start(struct bgsave *bg, uint64_t now_ms, int (*work)(void *arg), void *arg);

/* 1 while a child runs (or has ended and not been reaped) */
int bgsave_busy(const struct bgsave *bg);

/*
 * Whether the child has ended, at now_ms; block: wait until it has. 1 when
 * it has ended and is reaped: *rc is what work returned (-ECANCELED when a
 * signal ended the child) and *took_ms how long it ran. 0 when it still
 * runs, or there is none.
 */
int bgsave_reap(struct bgsave *bg, int block, uint64_t now_ms, int *rc, uint64_t *took_ms);

#endif
