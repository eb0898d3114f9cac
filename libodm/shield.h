/* SPDX-License-Identifier: MIT */
/*
 * shield.h — the shim's own file descriptors (agent connection, c-ares
 * sockets) and whether the application has closed them behind our back.
 *
 * Programs like ssh close every descriptor they did not open (closefrom,
 * close_range); proxychains issue #273 came from that. The shim does not
 * refuse such a close. Instead each internal fd is recorded with the
 * st_dev/st_ino of its socket; before the shim uses one again it checks the
 * fd still refers to that socket, and if not it forgets the fd WITHOUT
 * closing it (the number may now belong to the application) and reconnects.
 *
 * Each record names its owner: after a close_range the kernel may give the
 * agent connection's old number to a new c-ares socket, or the other way
 * round, and the record the new socket's owner makes must not pass for the
 * old owner's (the agent client sent its request on the DNS socket, then
 * closed it under c-ares).
 */
#ifndef ODM_SHIELD_H
#define ODM_SHIELD_H

#pragma GCC visibility push(hidden)

/* who an fd is recorded for */
enum shield_owner { SHIELD_AGENT = 1, SHIELD_CARES };

/*
 * fd, a descriptor the shim opened to keep, made one above the standard
 * streams: fd itself when it is above 2, else a copy at 3 or above
 * (close-on-exec) and fd closed. A program started with its standard
 * output closed (prog >&-) writes there anyway, and must get EBADF as
 * without the shim, not have its output go to the agent or a DNS server
 * on the shim's socket, which the kernel gave the lowest free number.
 * The new fd, or -errno (fd closed then too: EMFILE when the process has
 * no other number free).
 */
int shield_above_stdio(int fd);
/* Record fd as internal, owner's. Returns 0 or -errno (-ENOSPC when the
 * table is full). */
int shield_add(int fd, enum shield_owner owner);
/* Forget owner's fd; returns 1 if it was recorded for owner and still is
 * the same socket. */
int shield_remove(int fd, enum shield_owner owner);
/* 1 if fd is recorded for owner and still refers to the same socket, else 0. */
int shield_valid(int fd, enum shield_owner owner);
/* The application closed fd or [first, last]: forget those entries. */
void shield_app_closed(unsigned int first, unsigned int last);
/* In a forked child: the mutex may be held by a thread that no longer exists. */
void shield_atfork_child(void);

#pragma GCC visibility pop

#endif
