/* SPDX-License-Identifier: MIT */
/*
 * rcnameserver.h — the nameserver lines of a resolv.conf(5), as glibc
 * reads them: a line starting with "nameserver", blanks, an address (IPv4,
 * or IPv6 with an optional "%" and a scope: an interface name or number,
 * as glibc's resolver takes one, RFC 4007 §11), the rest of the line
 * ignored. c-ares 1.18 drops a nameserver written with a scope (it falls
 * back to 127.0.0.1 when that was the only one), so the shim reads the
 * lines itself. Pure: bounded, no I/O; a line that names no address as
 * above is skipped, as glibc skips it.
 */
#ifndef ODM_RCNAMESERVER_H
#define ODM_RCNAMESERVER_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>

#define RCNS_MAX 8 /* lines taken; glibc uses the first 3 (MAXNS) */

struct rcns {
	int family;        /* AF_INET or AF_INET6 */
	struct in_addr a4;
	struct in6_addr a6;
	char scope[IF_NAMESIZE]; /* "" for none; an interface name or number */
};

/* The nameserver lines of text[0..len) into out[0..max): how many. */
size_t rcns_parse(const char *text, size_t len, struct rcns *out, size_t max);

#endif
