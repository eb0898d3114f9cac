/* SPDX-License-Identifier: MIT */
/*
 * rcusevc.h — whether the C library's resolver asks every question over
 * TCP here (RFC 7766; a network whose DNS is reached over TCP only):
 * "options use-vc" in a resolv.conf(5), or in the RES_OPTIONS environment
 * variable, which c-ares 1.18 reads neither of. A c-ares channel that is
 * to ask as the C library does (the shim's cha lookups, the host agent's
 * home anchor discovery) gets ARES_FLAG_USEVC when this says so. Reads
 * the file (resolvll_read); the options are parsed by rcoptions.h.
 */
#ifndef ODM_RCUSEVC_H
#define ODM_RCUSEVC_H

/* 1 if RES_OPTIONS or the resolv.conf at path names use-vc, else 0 (a
 * file that cannot be read names nothing) */
int rcusevc_wanted(const char *path);

#endif
