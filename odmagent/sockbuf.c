/* SPDX-License-Identifier: MIT */
/* sockbuf.c — socket buffers past the kernel's default (see sockbuf.h). */
#include <errno.h>
#include <sys/socket.h>

#include "log.h"
#include "sockbuf.h"

void sockbuf_grow(int fd, int bytes, const char *what)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) < 0)
		log_warn(-errno, "%s: receive buffer", what);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes) < 0)
		log_warn(-errno, "%s: send buffer", what);
}
