/* SPDX-License-Identifier: MIT */
/*
 * dnsnegttl.h — how long a negative DNS answer (NXDOMAIN, or NOERROR with
 * no record of the type asked) may be cached: RFC 2308 §5, the smaller of
 * the TTL of the SOA record in the answer's authority section and that
 * SOA's MINIMUM field. A server's message, so read strictly: any count,
 * name or length that runs past the message, a compression pointer that
 * does not point back, or an SOA whose RDATA is not two names and five
 * 32-bit fields exactly, and the message is taken as carrying no SOA.
 */
#ifndef ODM_DNSNEGTTL_H
#define ODM_DNSNEGTTL_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

/* 0 and *ttl_s (seconds) from the message's first SOA of class IN in its
 * authority section; -1 if it has none or is malformed (*ttl_s untouched) */
int dns_negative_ttl(const unsigned char *msg, size_t len, uint32_t *ttl_s);

#pragma GCC visibility pop

#endif
