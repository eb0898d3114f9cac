/* SPDX-License-Identifier: MIT */
/*
 * pkttag.h — a 32-bit name for one tunnelled packet, computed the same way
 * by the anchor that sent it and the host that received it.
 *
 * After a move the host names, in its BU, the last packet its tunnel got
 * from the anchor at the old care-of address (the "care-of address lost"
 * option, mh.h); the anchor finds that packet among those it kept and
 * sends again exactly the ones after it (replay.h). A time alone cannot
 * say that much: a packet that waited in a queue on the way left the
 * anchor earlier than the host's clock and the last round trip suggest,
 * and what the queue held when the old link went down was missed.
 *
 * The tag covers the inner packet's length and its first PKTTAG_BYTES
 * bytes: the IPv6 header and, for TCP, ports, sequence and acknowledgement
 * numbers and options; for UDP, ports and the first bytes of the payload,
 * where streams carry their own sequence numbers. It is never 0 (0 means
 * "no packet"). Two packets alike in all of that share a tag; the anchor
 * takes the newer, which at worst replays less.
 */
#ifndef ODM_PKTTAG_H
#define ODM_PKTTAG_H

#include <stddef.h>
#include <stdint.h>

#define PKTTAG_BYTES 96

uint32_t pkttag(const uint8_t *pkt, size_t len);

#endif
