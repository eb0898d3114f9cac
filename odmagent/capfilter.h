/* SPDX-License-Identifier: MIT */
/*
 * capfilter.h — the classic BPF program of the anchor's capture of its own
 * tunnelled packets (replaycap.h), built in code.
 *
 * It runs on a packet socket of type SOCK_DGRAM (packet(7)), where a packet
 * starts at its IPv6 header, and lets through, whole when it is at most
 * max_len bytes long, else (a GSO or GRO super-packet) its first head_len
 * bytes (capframe.h makes the head of a TCP one a segment), only a packet
 * that
 *   - is leaving this host (packet type PACKET_OUTGOING; the socket is
 *     bound to every protocol, as only such a one sees what leaves),
 *   - is IPv6 (the link layer's protocol number, then the version),
 *   - has next header 41 (IPv6-in-IPv6, RFC 2473; the seg6
 *     encap.red routes of the kernel backend put no SRH in),
 *   - has the outer source src (the anchor's tunnel endpoint).
 * Every such packet goes to a bound care-of address: the kernel
 * encapsulates from src only on the routes of bindings. Everything else
 * costs the few instructions that refuse it. A NULL src gives the program
 * that lets nothing through (no binding yet).
 */
#ifndef ODM_CAPFILTER_H
#define ODM_CAPFILTER_H

#include <linux/filter.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define CAPFILTER_LEN 22 /* instructions of a program, at most */

/* Writes the program into prog (cap instructions); returns its length,
 * or 0 when cap is too small, max_len or head_len is 0, or head_len is
 * above max_len. */
size_t capfilter_build(struct sock_filter *prog, size_t cap, const struct in6_addr *src,
		       uint32_t max_len, uint32_t head_len);

#endif
