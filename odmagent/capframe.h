/* SPDX-License-Identifier: MIT */
/*
 * capframe.h — one IPv6-in-IPv6 packet the anchor's capture saw leave
 * toward a care-of address (replaycap.h): checked strictly, and made ready
 * to be sent again as it is.
 *
 * The capture hands over packets as the kernel was about to send them: an
 * outer IPv6 header (next header 41, RFC 2473 §3) and the inner packet.
 * When the device was to finish the upper-layer checksum (checksum offload,
 * the capture's TP_STATUS_CSUMNOTREADY), the checksum field holds only the
 * pseudo-header's sum; capframe_check completes it for TCP and UDP directly
 * after the inner header, and refuses any other such packet, so whatever it
 * accepts can go out again from userspace.
 */
#ifndef ODM_CAPFRAME_H
#define ODM_CAPFRAME_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define CAPFRAME_HDRS 80 /* the outer and the inner IPv6 header */

enum capframe_err {
	CAPF_SHORT = -1,   /* truncated by the capture, or shorter than its headers */
	CAPF_BIG = -2,     /* longer than the largest packet kept */
	CAPF_FORM = -3,    /* not IPv6 in IPv6, or its lengths disagree */
	CAPF_CSUM = -4,    /* an unfinished checksum this code cannot finish */
};

struct capframe {
	struct in6_addr osrc, odst; /* the outer endpoints */
	struct in6_addr inner_dst;  /* the anchored address it was for */
	int head;                   /* the first bytes of a longer packet */
};

/*
 * Check pkt (caplen bytes captured of a wirelen-byte packet, at most max_len
 * accepted) and fill f; csum_partial: the capture said the checksum is not
 * finished, which is then done in pkt. Returns 0 or a capframe_err.
 *
 * A longer packet captured in its first bytes, fewer than max_len (the
 * capture's filter cuts there, capfilter.h), is taken when the inner
 * packet is TCP directly after the inner header with payload in those
 * bytes and its checksum left to the device (csum_partial, as for every
 * GSO and GRO super-packet; a finished one covers bytes not captured and
 * is not replaced by one over the head): pkt is then made into the packet
 * of that head (lengths, checksum;
 * FIN and PSH cleared, as they go with the last segment), a TCP segment
 * carrying the first bytes of the super-packet a sender handed over whole
 * (segmentation offload), and f->head is set. Anything else longer is
 * CAPF_BIG.
 */
int capframe_check(uint8_t *pkt, size_t caplen, size_t wirelen, size_t max_len,
		   int csum_partial, struct capframe *f);
/* Point the checked packet pkt at a new outer destination. */
void capframe_retarget(uint8_t *pkt, const struct in6_addr *odst);
/*
 * The capture's time stamp (CLOCK_REALTIME, sec and nsec) on the monotonic
 * clock, in ms, given both clocks read now (ns); 0 when it would be before
 * the monotonic clock's start.
 */
uint64_t capframe_mono_ms(uint32_t sec, uint32_t nsec, uint64_t real_now_ns,
			  uint64_t mono_now_ns);

#endif
