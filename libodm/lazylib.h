/* SPDX-License-Identifier: MIT */
/*
 * lazylib.h — c-ares and jansson, loaded by libodm.so the first time the
 * shim calls them (lazylib.c), and tried again after a failed load.
 */
#ifndef ODM_LAZYLIB_H
#define ODM_LAZYLIB_H

#pragma GCC visibility push(hidden)

/* ms after a failed dlopen() of either before it is tried again */
#define LAZY_RETRY_MS 1000

/* In a fork child: the lock a thread of the parent may have held, reset. */
void lazylib_atfork_child(void);

#pragma GCC visibility pop

#endif
