/* SPDX-License-Identifier: MIT */
/*
 * threadserial.h — a number for the calling thread that no other thread of
 * the process has had or will have.
 *
 * pthread_self() is no such number: glibc hands an exited thread's stack,
 * and with it its pthread_t, to the next thread it creates (a thread pool
 * renewing its workers gets the same values again). A lease that notes the
 * thread that took it (fd_lease.thread) must not take a later thread for
 * it. The serial is taken from a counter of the process at the thread's
 * first question; a child of fork() inherits the counter and its forking
 * thread's serial (its only thread, that thread's continuation), never
 * another thread's.
 */
#ifndef ODM_THREADSERIAL_H
#define ODM_THREADSERIAL_H

#include <stdint.h>

#pragma GCC visibility push(hidden)

/* The calling thread's serial: never 0, never another thread's. */
uint64_t threadserial_self(void);

#pragma GCC visibility pop

#endif
