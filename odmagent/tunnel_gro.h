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
 * The kernel may have merged before us: a NIC with GRO (the default on
 * physical links) coalesces IPv6-in-IPv6 packets too, and the protocol-41
 * socket then hands over one inner TCP packet of up to 64 KiB whose
 * checksum field holds only the pseudo-header sum of its whole length
 * (the kernel verified each segment, then left the checksum "partial" for
 * whoever sends it on). Written as it came it would be dropped for its
 * checksum; tgro_partial recognises it and describes it as what it is:
 * NEEDS_CSUM, and TCPV6 with a gso_size that fits the tunnel's MTU when
 * its payload is longer than that (TCP may be cut anywhere, and the
 * kernel cuts it again only if it has to send it on).
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
	size_t mtu;           /* the tunnel's MTU: gso_size of a partial packet */
};

/* An empty group; mtu: the tunnel device's, for tgro_partial */
void tgro_init(struct tgro *g, size_t mtu);
/*
 * pkt (n bytes) as the kernel's GRO leaves a TCP packet it coalesced: TCP
 * over IPv6 without extension headers, lengths that agree, a checksum that
 * does not verify and whose field is exactly the pseudo-header sum of the
 * whole TCP length. Then 1, and vh describes it for one TUN write:
 * NEEDS_CSUM at 40 + 16, and GSO_TCPV6 (with GSO_ECN if CWR is set) of
 * gso_size mtu - 40 - the TCP header when the payload is longer. Else 0,
 * vh untouched (a packet with a full checksum, or a damaged one, which
 * goes as it came and is checked by the kernel). Pure.
 */
int tgro_partial(const uint8_t *pkt, size_t n, size_t mtu, struct virtio_net_hdr *vh);
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
