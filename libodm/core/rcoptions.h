/* SPDX-License-Identifier: MIT */
/*
 * rcoptions.h — the "options" of a resolv.conf(5) that the shim's cha
 * lookups take over from the C library's resolver and c-ares 1.18 does
 * not: "use-vc" (every query over TCP, RFC 7766; a network whose DNS is
 * reached over TCP only), set by an "options" line (a line starting with
 * "options" and a blank, the options separated by blanks, as glibc reads
 * it) or by the RES_OPTIONS environment variable, which holds options
 * alone. Pure: bounded, no I/O; an option other than these is ignored, as
 * c-ares reads the ones it knows itself (ndots, rotate).
 */
#ifndef ODM_RCOPTIONS_H
#define ODM_RCOPTIONS_H

#include <stddef.h>

/* 1 if an options line of the resolv.conf text[0..len) names use-vc */
int rcopt_use_vc(const char *text, size_t len);

/* 1 if the options s[0..len) (RES_OPTIONS: no keyword) name use-vc */
int rcopt_use_vc_in(const char *s, size_t len);

#endif
