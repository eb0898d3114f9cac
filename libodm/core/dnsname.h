/* SPDX-License-Identifier: MIT */
/*
 * dnsname.h — a DNS name as a key: the shim's cha cache (chacache.c) and
 * the agent's memory of silent lookups (chasilent.c) compare names the
 * same way, case-insensitively in ASCII only (RFC 4343 §3; never by the
 * program's locale) and without a trailing dot.
 */
#ifndef ODM_DNSNAME_H
#define ODM_DNSNAME_H

#include <stddef.h>

/* name folded into out (room for max + 1 bytes: NUL-terminated): its
 * length, or 0 if it is NULL, empty or longer than max */
size_t dnsname_fold(const char *name, char *out, size_t max);

#endif
