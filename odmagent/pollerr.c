/* SPDX-License-Identifier: MIT */
/*
 * pollerr.c — a socket's pending error taken off and its watch started
 * again (see pollerr.h).
 */
#include "pollerr.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

#define ERRQUEUE_MAX 64 /* queued errors read at most, per POLLERR */

int pollerr_resume(uv_poll_t *h, int events, uv_poll_cb cb, const char *what)
{
	uv_os_fd_t fd;
	int soerr = 0, domain = 0, rc;
	socklen_t sl = sizeof(soerr);
	struct pollfd pf;

	if (uv_fileno((const uv_handle_t *)h, &fd) < 0)
		return -EBADF;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		return -errno; /* not a socket: nothing to take off */
	/* a netlink socket has no error queue: its recvmsg ignores the flag
	 * and would eat the events waiting (an overrun loses enough) */
	sl = sizeof(domain);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &sl) < 0 || domain == AF_NETLINK)
		domain = -1;
	for (int i = 0; i < ERRQUEUE_MAX && domain >= 0; i++) {
		char buf[1];
		struct iovec iov = { buf, sizeof(buf) };
		char ctl[256];
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };

		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
	}
	pf.fd = fd;
	pf.events = 0;
	pf.revents = 0;
	if (poll(&pf, 1, 0) == 1 && (pf.revents & POLLERR)) {
		log_err(0, "%s: its error (%s) does not clear: no longer read", what,
			  soerr ? strerror(soerr) : "none pending");
		return -EIO;
	}
	log_warnx("%s: %s; reading on", what, soerr ? strerror(soerr) : "an error, none pending now");
	rc = uv_poll_start(h, events, cb);
	if (rc < 0) {
		log_err(rc, "%s: watching it again failed: no longer read", what);
		return rc;
	}
	return soerr;
}
