/* SPDX-License-Identifier: MIT */
/*
 * resolvll.h — a resolv.conf nameserver written with a scope (a router's
 * link-local address and its interface, "fe80::1%eth0", as network
 * managers write a link-local RDNSS, RFC 8106 §5.1) for a c-ares channel.
 * c-ares 1.18 drops such a line, and asks 127.0.0.1 when it was the only
 * one, while glibc's resolver uses it. When the file has one, the
 * channel's servers are set from its nameserver lines (rcnameserver.h),
 * in their order, and the link-local ones' interfaces are kept: the
 * channel's connect function (ares_set_socket_functions) gives their
 * address the scope (resolvll_scoped), which c-ares keeps none of.
 */
#ifndef ODM_RESOLVLL_H
#define ODM_RESOLVLL_H

#include <ares.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "rcnameserver.h"

/* the bytes of the file read (glibc reads it all; nameserver lines come
 * first in what network managers write) */
#define RESOLVLL_READ_MAX 16384

struct resolvll {
	struct {
		struct in6_addr addr;
		unsigned ifindex;
	} e[RCNS_MAX];
	size_t n;
};

/* The first RESOLVLL_READ_MAX bytes of path, *len of them, in a buffer
 * the caller frees; NULL (and *len 0) if it cannot be read */
char *resolvll_read(const char *path, size_t *len);

/*
 * Reads path: when a nameserver line has a scope, sets c's servers from
 * the lines (a scope naming no interface leaves its line out) and notes
 * the link-local ones in *t; else *t is empty and c as it was. Returns the
 * number of lines left out, or -1 if c's servers could not be set.
 */
int resolvll_apply(struct resolvll *t, ares_channel c, const char *path);

/* sa (len bytes) is a link-local IPv6 address with no scope that t
 * notes: 1 and *out as sa with the scope; else 0 */
int resolvll_scoped(const struct resolvll *t, const struct sockaddr *sa, size_t len,
		    struct sockaddr_in6 *out);

#endif
