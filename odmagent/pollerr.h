/* SPDX-License-Identifier: MIT */
/*
 * pollerr.h — a socket's pending error, seen on the agent's loop.
 *
 * When poll(2) reports POLLERR for a socket a uv_poll_t watches, libuv
 * stops the handle and calls its callback with UV_EBADF, whatever the
 * error was (an ICMP error taken by a socket, an overrun of a netlink
 * socket): left so, the socket is never read again, and an agent whose
 * Mobility Header socket it is answers no BU any more. pollerr_resume
 * takes the error off (SO_ERROR reads and clears it; a queued error,
 * MSG_ERRQUEUE, is read too, up to a bound, but on a netlink socket, which
 * has no error queue and would give its events instead), logs it by its
 * name, and
 * starts the handle again with events and cb. A socket whose error will
 * not clear (poll still says POLLERR) is left stopped, said at error level,
 * rather than spinning the loop.
 */
#ifndef ODM_POLLERR_H
#define ODM_POLLERR_H

#include <uv.h>

/* what names the socket in the log ("the MH socket"). Returns the error
 * taken off (a positive errno, 0 if none was pending), or -errno when the
 * handle could not be started again (it stays stopped). */
int pollerr_resume(uv_poll_t *h, int events, uv_poll_cb cb, const char *what);

#endif
