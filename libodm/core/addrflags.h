/* SPDX-License-Identifier: MIT */
/*
 * addrflags.h — the kernel's answer to RTM_GETADDR for one IPv6 address
 * (rtnetlink(7)): whether the address is deprecated, which ODM's
 * addresses are (the agent adds them with preferred lifetime 0, so that
 * the kernel picks none of them by itself, odmagent(8)). Pure: the
 * caller asks the kernel. Strict and bounded: the answer's lengths are
 * checked before anything in it is read.
 */
#ifndef ODM_ADDRFLAGS_H
#define ODM_ADDRFLAGS_H

#include <stddef.h>

/*
 * buf, len bytes of the answer: 1 if it is an RTM_NEWADDR whose flags
 * (IFA_FLAGS, else ifa_flags) say IFA_F_DEPRECATED or whose
 * IFA_CACHEINFO says preferred lifetime 0; 0 if it says neither; -errno
 * for the kernel's NLMSG_ERROR (-EADDRNOTAVAIL: not the host's), -EBADMSG
 * for anything else.
 */
int addrflags_deprecated(const void *buf, size_t len);

#endif
