/* SPDX-License-Identifier: MIT */
/*
 * tunnel_gro.h — merging consecutive decapsulated TCP segments of one flow
 * into one TUN write (IFF_VNET_HDR, tunnel_dev.h) with a virtio_net_hdr
 * that says "TCPV6, gso_size N, checksum partial": the kernel then takes a
 * 64 KiB super-packet in one write() where it took 45 (the receive-side
 * counterpart of tunnel_gso.h, what GRO does in a NIC driver).
 *
 * Segments merge only when the result means exactly what they meant:
 * TCP over IPv6 without extension headers, same addresses, ports, traffic
 * class, flow label, hop limit, acknowledgement number, window and TCP
 * options (byte for byte), ACK set and nothing but ACK and PSH, payload
 * in sequence, every segment but the last exactly gso_size long (the
 * first one's), a PSH only on the last, each one's checksum correct (a
 * damaged segment must not be repaired by the merge: it is written alone
 * and the kernel drops it), and the whole at most 64 KiB and
 * TGRO_SEGS_MAX segments. Anything else is written as it came, alone.
 *
 * Pure: the group points into the caller's buffers, which must stay put
 * until tgro_flush.
 */
#ifndef ODM_TUNNEL_GRO_H
#define ODM_TUNNEL_GRO_H

#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define TGRO_SEGS_MAX 64
#define TGRO_IOV_MAX (TGRO_SEGS_MAX + 2) /* vnet header + headers + payloads */

struct tgro {
	size_t count;         /* segments in the group, 0 = empty */
	const uint8_t *head;  /* the first packet */
	size_t head_len, hlen; /* its length, its IPv6 + TCP header length */
	int mergeable;        /* the group takes further segments */
	uint32_t next_seq;
	uint16_t mss;
	size_t payload;       /* bytes of TCP payload so far */
	uint8_t psh;          /* the last segment had PSH */
	const uint8_t *seg[TGRO_SEGS_MAX]; /* each segment's payload ... */
	uint16_t seg_len[TGRO_SEGS_MAX];   /* ... and its length */
	struct virtio_net_hdr vh;
	uint8_t hdr[40 + 60]; /* the merged packet's headers */
};

void tgro_init(struct tgro *g);
/*
 * Add pkt (an IPv6 packet, n bytes) to the group: 1 if it joined, 0 if the
 * group is not empty and pkt cannot join (flush, then add again: an empty
 * group takes any packet).
 */
int tgro_add(struct tgro *g, const uint8_t *pkt, size_t n);
/*
 * The group as one TUN write: fills iov (TGRO_IOV_MAX entries) with the
 * virtio_net_hdr and the packet, returns the entry count (0 for an empty
 * group) and empties the group. The iov points into g and the packets.
 */
size_t tgro_flush(struct tgro *g, struct iovec *iov);

#endif
