/* SPDX-License-Identifier: MIT */
/*
 * cksum.h — the Internet checksum (RFC 1071) over the IPv6 pseudo-header
 * (RFC 8200 §8.1): of Mobility Headers, of TCP and UDP packets the anchor
 * sends again (replaycap.h), and of the TCP segments the userspace tunnel
 * splits and merges (tunnel_gso.h, tunnel_gro.h). Running sums are 16-bit
 * values in host order that stand for the big-endian words summed.
 */
#ifndef ODM_CKSUM_H
#define ODM_CKSUM_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* sum plus the ones' complement sum of len bytes (an odd last byte is the
 * high half of a word), folded to 16 bits. Every chunk but the last of one
 * checksum must have an even length. */
uint16_t cksum_add(uint16_t sum, const uint8_t *p, size_t len);
/* The sum of the IPv6 pseudo-header: src, dst, upper-layer length, next header */
uint16_t cksum_pseudo6(const uint8_t *src, const uint8_t *dst, uint32_t len, uint8_t nh);

/*
 * Checksum of the upper-layer packet buf[0..len) with next header nh from
 * src to dst, its own checksum field (two bytes at the even offset
 * cksum_off) taken as zero; cksum_off beyond the packet: none. Host order.
 */
uint16_t inet6_cksum(const uint8_t *buf, size_t len, const struct in6_addr *src,
		     const struct in6_addr *dst, uint8_t nh, size_t cksum_off);

#endif
