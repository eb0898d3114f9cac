/* SPDX-License-Identifier: MIT */
/* cksum.h — the Internet checksum over the IPv6 pseudo-header (cksum.c). */
#ifndef ODM_CKSUM_H
#define ODM_CKSUM_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Checksum of the upper-layer packet buf[0..len) with next header nh from
 * src to dst (RFC 8200 §8.1), its own checksum field (two bytes at
 * cksum_off) taken as zero; cksum_off beyond the packet: none. Host order.
 */
uint16_t inet6_cksum(const uint8_t *buf, size_t len, const struct in6_addr *src,
		     const struct in6_addr *dst, uint8_t nh, size_t cksum_off);

#endif
