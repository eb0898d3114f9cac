/* SPDX-License-Identifier: MIT */
/*
 * cmsgstrip.h — a received message's control data with the IPV6_PKTINFO
 * the shim asked for taken out, as the program would have had it from
 * the kernel without the shim (replysrc.h). Pure: no I/O.
 *
 * The kernel writes each control message as put_cmsg() in
 * net/core/scm.c does: none if less than a header's room is left (and
 * MSG_CTRUNC), a cut one if less than the whole (MSG_CTRUNC, its
 * cmsg_len the room that was left, and no room after it), each taking
 * CMSG_SPACE of its data. The program's buffer gets the kernel's other
 * control messages the same way, in the kernel's order.
 */
#ifndef ODM_CMSGSTRIP_H
#define ODM_CMSGSTRIP_H

#include <netinet/in.h>
#include <stddef.h>

/*
 * The control messages in in (inlen bytes, the kernel's msg_controllen,
 * complete: the caller gave the kernel room for them all) but
 * IPPROTO_IPV6/IPV6_PKTINFO go to out (outcap bytes; out may be NULL if
 * outcap is 0). Returns the bytes of out used (the program's
 * msg_controllen); *ctrunc 1 if one did not fit whole (MSG_CTRUNC).
 * The IPV6_PKTINFO found, if any, goes to *pi and *have_pi is 1.
 */
size_t cmsgstrip(const void *in, size_t inlen, void *out, size_t outcap, int *ctrunc,
		 struct in6_pktinfo *pi, int *have_pi);

/* 1 if the control data (len bytes) of a message to send holds an
 * IPPROTO_IPV6 IPV6_PKTINFO or IPV6_2292PKTINFO (the program chose the
 * source itself) */
int cmsg_has_pktinfo(const void *control, size_t len);

#endif
