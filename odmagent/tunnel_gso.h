/* SPDX-License-Identifier: MIT */
/*
 * tunnel_gso.h — what the userspace tunnel does with a packet read from a
 * TUN device with IFF_VNET_HDR and TSO6/CSUM offloads (tunnel_dev.h): the
 * kernel may hand over a TCP "super-packet" of up to 64 KiB with one
 * virtio_net_hdr (virtio 1.x §5.1.6.2, the legacy native-endian layout
 * tun(4) uses by default) and a checksum left partial. Before it goes into
 * the tunnel it is cut into segments of gso_size payload bytes, each a
 * complete TCP/IPv6 packet with its own length, sequence number, flags
 * (FIN and PSH on the last only, CWR on the first only, as the kernel's
 * own segmentation does) and checksum. A packet that is not a
 * super-packet but whose checksum is partial gets it completed.
 *
 * Strict: a header naming anything but TCP over IPv6 without extension
 * headers (checksum at 40 + 16), lengths that disagree with the packet,
 * or a segment that would not fit the caller's slot is refused; the
 * caller drops and counts it. Pure: no I/O.
 */
#ifndef ODM_TUNNEL_GSO_H
#define ODM_TUNNEL_GSO_H

#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>

#define TGSO_VNET_LEN sizeof(struct virtio_net_hdr)

/*
 * A packet without GSO: complete its partial checksum if vh says it has
 * one (the field holds the pseudo-header sum; csum_start..end is summed).
 * 0, or -EINVAL (checksum position outside the packet), -EPROTONOSUPPORT
 * (a GSO packet: use tgso_split).
 */
int tgso_complete(const struct virtio_net_hdr *vh, uint8_t *pkt, size_t n);

/* 1 if vh describes a super-packet tgso_split must cut, else 0 */
int tgso_is_gso(const struct virtio_net_hdr *vh);

/*
 * Cut the TCP/IPv6 super-packet pkt (n bytes, vh its header) into segments
 * written to out, one per stride bytes, their lengths to lens; at most max
 * of them per call, starting at payload offset *off (0 at first), which is
 * advanced. Returns how many were written (0: none left), or -EINVAL (a
 * malformed header or packet), -EPROTONOSUPPORT (not TCP over IPv6 without
 * extension headers), -EMSGSIZE (a segment would exceed stride).
 */
int tgso_split(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t n, size_t *off,
	       uint8_t *out, size_t stride, size_t *lens, size_t max);

#endif
