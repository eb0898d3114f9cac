/* SPDX-License-Identifier: MIT */
/*
 * hook_sockopt.c — interposed setsockopt/getsockopt for the one socket
 * option bit the kernel does not keep: IPV6_REQUIRE_SRC_ON_NET in
 * IPV6_ADDR_PREFERENCES (RFC 8653 §6.2, an extension of RFC 5014 §3).
 *
 * Linux accepts the unknown bit in IPV6_ADDR_PREFERENCES and silently drops
 * it, so the shim strips it before the kernel (the RFC 5014 bits still go
 * there and are checked there), keeps it in the fd table (fdtable.h: shared
 * by dups, gone with the last close) once the kernel accepted the rest, and
 * ORs it back into what getsockopt returns. shim_connect.c reads it when the
 * socket takes a lease: such a socket asks the agent for a fresh address.
 *
 * getsockopt(SO_ERROR) also reads and clears a socket's pending error (an
 * event loop told POLLERR asks it): on a leased UDP socket, ECONNABORTED
 * there is the agent's ending of its lease (SOCK_DESTROY), which the shim
 * must learn as it does from a receive or a send that reports it
 * (fdtable_aborted), or the socket, its port taken again by its next send,
 * would go on sending from the ended address once the host no longer has
 * it (shim_connect.c).
 *
 * IPV6_RECVPKTINFO, which the shim sets on a UDP socket bound to [::] to
 * answer each client from the address it asked (replysrc.h): set by the
 * program, the shim leaves the socket alone from then on; read by a
 * program that did not set it, it is off, as the program left it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "fdtable.h"
#include "libc_real.h"
#include "ownpid.h"
#include "odm.h"
#include "replysrc.h"

#ifndef IPV6_ADDR_PREFERENCES
#define IPV6_ADDR_PREFERENCES 72 /* linux/in6.h */
#endif

static int is_prefs(int level, int optname)
{
	return level == IPPROTO_IPV6 && optname == IPV6_ADDR_PREFERENCES;
}

int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
	unsigned int want;
	int v, ret;

	/* the program's own: the shim's answers from the address asked stop
	 * (replysrc.h), whatever it sets */
	if (level == IPPROTO_IPV6 && optname == IPV6_RECVPKTINFO && !ownpid_foreign())
		replysrc_program_sets(fd);
	if (!is_prefs(level, optname) || !optval || optlen < (socklen_t)sizeof(int) ||
	    ownpid_foreign())
		return REAL(setsockopt)(fd, level, optname, optval, optlen);
	memcpy(&v, optval, sizeof(v));
	want = (unsigned int)v & IPV6_REQUIRE_SRC_ON_NET;
	v &= ~IPV6_REQUIRE_SRC_ON_NET;
	ret = REAL(setsockopt)(fd, level, optname, &v, sizeof(v));
	if (ret == 0 && fdtable_set_prefs(fdtable_global(want != 0), fd, want) == -ENOMEM) {
		errno = ENOMEM; /* the kernel has the rest; the caller may retry */
		return -1;
	}
	return ret;
}

int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	int ret = REAL(getsockopt)(fd, level, optname, optval, optlen);
	unsigned int kept;
	int v;

	if (ret == 0 && level == SOL_SOCKET && optname == SO_ERROR && optval && optlen &&
	    *optlen >= (socklen_t)sizeof(int)) {
		memcpy(&v, optval, sizeof(v));
		if (v == ECONNABORTED && fdtable_state(fdtable_global(0), fd) == FDT_LEASED)
			fdtable_aborted(fdtable_global(0), fd);
		return ret;
	}
	/* set by the shim (replysrc.h), not by the program: off, as it left it */
	if (ret == 0 && level == IPPROTO_IPV6 && optname == IPV6_RECVPKTINFO && optval && optlen &&
	    *optlen >= (socklen_t)sizeof(int) && replysrc_of(fd) && !ownpid_foreign()) {
		v = 0;
		memcpy(optval, &v, sizeof(v));
		return ret;
	}
	if (ret != 0 || !is_prefs(level, optname) || !optval || !optlen ||
	    *optlen < (socklen_t)sizeof(int))
		return ret;
	kept = fdtable_prefs(fdtable_global(0), fd) & IPV6_REQUIRE_SRC_ON_NET;
	if (kept) {
		memcpy(&v, optval, sizeof(v));
		v |= (int)kept;
		memcpy(optval, &v, sizeof(v));
	}
	return ret;
}
