/* SPDX-License-Identifier: MIT */
/*
 * ownpid.h — the process the shim's state belongs to.
 *
 * A child made by fork() gets a copy of the parent's memory, and the
 * shim's fork handler (hook_init.c) makes that copy the child's own. A
 * child made by vfork(), or by clone() with CLONE_VM as posix_spawn()
 * does, runs in the parent's memory until it execs, and no fork handler
 * runs in it: were its hooks to act, a close_range() before exec (Python's
 * subprocess does one) would drop the parent's leased sockets from the fd
 * table and reconnect the agent socket under a number that is an
 * application socket in the parent. So every hook asks ownpid_foreign()
 * before it touches the shim's state and, in such a child, only calls
 * libc. The pid is taken by the constructor and by the fork handler; a
 * process in which neither has run yet takes it on the first question.
 */
#ifndef ODM_OWNPID_H
#define ODM_OWNPID_H

#pragma GCC visibility push(hidden)

/* This process now owns the shim's state (the constructor, the fork handler). */
void ownpid_take(void);

/* Nonzero in a child that shares the owner's memory (vfork, CLONE_VM): hands
 * off. It never changes errno (getpid cannot fail). */
int ownpid_foreign(void);

#pragma GCC visibility pop

#endif
