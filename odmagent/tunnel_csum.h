/* SPDX-License-Identifier: MIT */
/*
 * tunnel_csum.h — the Internet checksum (RFC 1071) of TCP and UDP over
 * IPv6 (RFC 8200 §8.1), for the userspace tunnel's offloads (tunnel_gso.h,
 * tunnel_gro.h), which split and merge TCP segments and so must compute
 * or check their checksums themselves. Sums are 16-bit values in host
 * order that stand for the big-endian words of the bytes summed.
 */
#ifndef ODM_TUNNEL_CSUM_H
#define ODM_TUNNEL_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* sum plus the ones' complement sum of len bytes (an odd last byte is the
 * high half of a word), folded to 16 bits. Every chunk but the last of one
 * checksum must have an even length. */
uint16_t tcsum_add(uint16_t sum, const uint8_t *p, size_t len);
/* The sum of the IPv6 pseudo-header: src, dst, upper-layer length, next header */
uint16_t tcsum_pseudo6(const uint8_t *src, const uint8_t *dst, uint32_t len, uint8_t nh);

#endif
