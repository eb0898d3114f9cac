/* SPDX-License-Identifier: MIT */
/*
 * tunnel_user.c — the "userspace" tunnel backend: a TUN device for the
 * inner packets plus one raw IPPROTO_IPV6 (41) socket for the outer ones.
 *
 * Why it works on kernels without ip6_tunnel (raw(7), ipv6(7)): a raw
 * socket for protocol 41 receives the INNER packet of every IPv6-in-IPv6
 * packet addressed to this host (outer source in msg_name, outer destination
 * via IPV6_PKTINFO) and, while open, stops the kernel's Parameter Problem
 * reply; sending an inner packet on it to the remote endpoint emits
 * IPv6(NH=41) + inner, which is what ip6tnl sends with `encaplimit none`.
 * The raw socket is therefore opened before the device exists, so no packet
 * can arrive while nothing is listening.
 *
 * Inner addresses are looked up in a chained hash table; re-binding changes
 * the entry in place, so the next packet already uses the new endpoints.
 * All I/O is non-blocking and bounded per wakeup (BURST reads, BURST
 * datagrams), so a busy tunnel cannot starve the rest of the loop; a full
 * TUN queue or socket buffer means drop and count, never wait.
 *
 * Per-packet system calls are what limited this backend (each costs a
 * wakeup of the whole stack), so they are amortised both ways. The device
 * has IFF_VNET_HDR with TSO6 and checksum offload: the kernel hands over
 * TCP super-packets of up to 64 KiB, which are cut into MTU-sized segments
 * here (tunnel_gso.h) and sent with one sendmmsg(2) per BURST outer
 * packets. Outer packets are taken BURST per recvmmsg(2); consecutive
 * in-order TCP segments of one flow among them are merged into one
 * super-packet per write (tunnel_gro.h), which the kernel segments again
 * only if it has to. On the wire nothing changes: every outer packet is
 * one plain IPv6 header and one MTU-sized inner packet. Where the
 * receiving link has GRO, the kernel has merged them already: such an
 * inner packet (up to 64 KiB, its TCP checksum left partial) is written
 * as one GSO write as well.
 *
 * With "tunnel-encap udp" (tunnel_udp.h) the raw socket is replaced by one
 * UDP socket bound to port 4191 on any address, on both sides, and only
 * datagrams from port 4191 are accepted (the endpoint checks below are the
 * same: outer source the binding's remote, outer destination its local).
 * Then the kernel carries the segments of a super-packet as one skb too:
 * a run of equal-sized inner packets goes out as one sendmsg(2) with
 * UDP_SEGMENT (per-packet datagrams when sizes differ), and UDP_GRO hands
 * over coalesced datagrams, cut back into inner packets here.
 */
#include "tunnel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "monotime.h"
#include "pollerr.h"
#include "pkttag.h"
#include "replay.h"
#include "sockbuf.h"
#include "tunnel_dev.h"
#include "tunnel_ecn.h"
#include "tunnel_errq.h"
#include "tunnel_gro.h"
#include "tunnel_gso.h"
#include "tunnel_guard.h"
#include "tunnel_table.h"
#include "tunnel_udp.h"

#define BURST 64
#define PATH_MTU 1500
/* one read from the device: a virtio_net_hdr and up to a 64 KiB super-packet */
#define BUF_SIZE (TGSO_VNET_LEN + 65536 + 64)
/* one inner packet going out: the device's MTU (1460) fits */
#define TX_SLOT 2048
/*
 * one inner packet coming in: with GRO on the receiving link (the default
 * of physical NICs) the kernel coalesces IPv6-in-IPv6 packets and the raw
 * socket hands over one inner packet of up to 64 KiB (tunnel_gro.h,
 * tgro_partial); anything longer is truncated and dropped. 64 of them:
 * 4 MiB, touched once at open.
 */
#define RX_SLOT (40 + 65535)
/*
 * Replay after a move (replay.h), anchor side: the last REPLAY_SLOTS packets
 * sent into the tunnel are kept; when a binding moves to a new CoA, those of
 * its packets sent during the host's outage (replay_from_ms) are sent again.
 * 4096 slots (~6 MiB) hold ~80 ms at 600 Mbit/s, more than the outage of a
 * move on the test network (30-60 ms). The host side does not replay on
 * re-binding: it re-binds before the anchor has the new CoA, which would
 * drop what it sent.
 */
#define REPLAY_SLOTS 4096
/* UDP encapsulation: datagrams per recvmmsg(2), each up to a 64 KiB
 * UDP_GRO buffer */
#define URX_BURST 16
#define URX_SLOT 65536

/* outer packets queued for one sendmmsg(2) */
struct tx_batch {
	size_t n;
	struct mmsghdr msg[BURST];
	struct iovec iov[BURST];
	struct sockaddr_in6 to[BURST];
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf[BURST];
	struct tunnel_entry *e[BURST];
	uint8_t slot[BURST][TX_SLOT];
};

/* UDP encapsulation: the queued packets as runs, one sendmmsg(2) */
struct utx_batch {
	struct mmsghdr msg[BURST];
	size_t first[BURST], count[BURST]; /* the run's slots in tx_batch */
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint16_t))];
	} cbuf[BURST];
};

/* UDP encapsulation: datagrams (or UDP_GRO trains of them) per recvmmsg(2) */
struct urx_batch {
	struct mmsghdr msg[URX_BURST];
	struct iovec iov[URX_BURST];
	struct sockaddr_in6 from[URX_BURST];
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + 2 * CMSG_SPACE(sizeof(int)) +
			  CMSG_SPACE(sizeof(struct timespec)) + 64];
	} cbuf[URX_BURST];
	uint8_t slot[URX_BURST][URX_SLOT];
};

/* outer packets taken by one recvmmsg(2) */
struct rx_batch {
	struct mmsghdr msg[BURST];
	struct iovec iov[BURST];
	struct sockaddr_in6 from[BURST];
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)) +
			  CMSG_SPACE(sizeof(struct timespec)) + 64];
	} cbuf[BURST];
	uint8_t slot[BURST][RX_SLOT];
};

struct tu_priv {
	struct odm_tunnel *t;
	enum odm_tunnel_side side;
	int tun_fd, raw_fd;          /* raw_fd: the outer socket, protocol 41 or UDP */
	int udp;                     /* tunnel-encap udp */
	int udp_gso_off;             /* UDP_SEGMENT failed once: per packet from then on */
	uv_poll_t tun_poll, raw_poll;
	int open_handles;            /* freed when the last close callback ran */
	struct tunnel_table tt;      /* bindings by inner address */
	struct odm_tunnel_stats total;
	uint64_t unrouted;           /* from the device with no binding */
	struct replay_ring *replay;  /* anchor side only; NULL if none */
	struct tx_batch tx;
	struct rx_batch rx;
	struct utx_batch *utx;       /* tunnel-encap udp only */
	struct urx_batch *urx;       /* tunnel-encap udp only */
	struct tunnel_errq_stats errq; /* ICMPv6 errors about outer packets (tunnel_errq.h) */
	struct tgro gro;             /* decapsulated segments merged for one write */
	struct tunnel_entry *rx_e;   /* the binding of the group's packets */
	size_t rx_bytes;             /* their bytes as they came */
	uint64_t rx_at_ms;           /* the newest one's arrival (kernel stamp), 0 if none */
	const uint8_t *rx_last;      /* the newest one (HOST side: its pkttag is kept) */
	size_t rx_last_len;
	uint8_t buf[BUF_SIZE];
};

static struct tunnel_entry *find(const struct tu_priv *p, const struct in6_addr *inner)
{
	return tunnel_table_find(&p->tt, inner);
}

/* ---- packet paths ---- */

static int inner_ok(const uint8_t *pkt, ssize_t n)
{
	return n >= (ssize_t)sizeof(struct ip6_hdr) && (pkt[0] >> 4) == 6;
}

/*
 * 1 if an outer packet from local to remote could come back into this
 * tunnel (tunnel_guard.h): remote is local, an inner address bound here, or
 * inside the guarded prefix.
 */
static int remote_loops(const struct tu_priv *p, const struct in6_addr *local,
			const struct in6_addr *remote)
{
	const struct odm_tunnel *t = p->t;

	return memcmp(local, remote, sizeof *remote) == 0 ||
	       (t->has_guard && tunnel_prefix_contains(&t->guard, t->guard_plen, remote)) ||
	       find(p, remote) != NULL;
}

/* Send one inner packet to e's remote from e's local; 0 or -errno
 * (-ELOOP: refused by the loop guard, counted here). */
/* Count one packet sent to e's remote */
static void count_tx(struct tu_priv *p, struct tunnel_entry *e, size_t n, uint64_t now)
{
	e->st.tx_packets++;
	e->st.tx_bytes += n;
	e->st.last_tx_ms = p->total.last_tx_ms = now;
	p->total.tx_packets++;
	p->total.tx_bytes += n;
}

static void count_drop(struct tu_priv *p, struct tunnel_entry *e)
{
	if (e)
		e->st.dropped++;
	p->total.dropped++;
}

/* One datagram of a sendmmsg/recvmmsg batch: peer, one buffer, control */
static void msg_setup(struct msghdr *m, struct sockaddr_in6 *peer, struct iovec *iov, void *buf,
		      size_t len, void *ctl, size_t ctllen)
{
	iov->iov_base = buf;
	iov->iov_len = len;
	memset(m, 0, sizeof *m);
	m->msg_name = peer;
	m->msg_namelen = sizeof *peer;
	m->msg_iov = iov;
	m->msg_iovlen = 1;
	m->msg_control = ctl;
	m->msg_controllen = ctllen;
}

/* Where e's outer packets go: its remote, on port 4191 with the UDP encapsulation */
static void outer_peer(const struct tu_priv *p, const struct tunnel_entry *e,
		       struct sockaddr_in6 *to)
{
	memset(to, 0, sizeof *to);
	to->sin6_family = AF_INET6;
	to->sin6_addr = e->remote;
	to->sin6_port = p->udp ? htons(TUDP_PORT) : 0;
}

/* m's first control message: IPV6_PKTINFO with src as the outer source
 * (m's control buffer zeroed, room for it); returned for a next one */
static struct cmsghdr *put_pktinfo(struct msghdr *m, const struct in6_addr *src)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(m);
	struct in6_pktinfo pi = { .ipi6_addr = *src };

	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof pi);
	memcpy(CMSG_DATA(cm), &pi, sizeof pi);
	return cm;
}

static int send_outer(struct tu_priv *p, struct tunnel_entry *e, const uint8_t *pkt, size_t n)
{
	struct sockaddr_in6 to;
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct iovec iov;
	struct msghdr msg;

	if (remote_loops(p, &e->local, &e->remote)) {
		e->st.looped++;
		p->total.looped++;
		return -ELOOP;
	}
	outer_peer(p, e, &to);
	memset(&cbuf, 0, sizeof cbuf);
	msg_setup(&msg, &to, &iov, (void *)pkt, n, cbuf.b, sizeof cbuf.b);
	put_pktinfo(&msg, &e->local);
	if (sendmsg(p->raw_fd, &msg, MSG_DONTWAIT) < 0) {
		int rc = -errno;

		if (rc != -EAGAIN && rc != -ENOBUFS)
			log_debug("sendmsg to the tunnel peer: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

/* Send the queued outer packets, as many per sendmmsg(2) as it takes;
 * one that fails is dropped and counted, the rest still go. */
static void utx_flush(struct tu_priv *p);

static void tx_flush(struct tu_priv *p)
{
	struct tx_batch *b = &p->tx;
	uint64_t now = mono_ms();
	size_t i = 0;

	if (p->udp && b->n) {
		utx_flush(p);
		return;
	}

	while (i < b->n) {
		int r = sendmmsg(p->raw_fd, b->msg + i, (unsigned)(b->n - i), MSG_DONTWAIT);

		if (r <= 0) {
			if (r < 0 && errno != EAGAIN && errno != ENOBUFS)
				log_debug("sendmmsg to the tunnel peer: %s", strerror(errno));
			count_drop(p, b->e[i]);
			i++;
			continue;
		}
		for (int k = 0; k < r; k++, i++)
			count_tx(p, b->e[i], b->msg[i].msg_len, now);
	}
	b->n = 0;
}

/*
 * Make message m of the UDP batch: count slots of the tx batch from first
 * on, one datagram each, as one send; with UDP_SEGMENT when more than one.
 */
static void utx_msg(struct tu_priv *p, size_t m, size_t first, size_t count)
{
	struct tx_batch *b = &p->tx;
	struct utx_batch *u = p->utx;
	struct msghdr *h = &u->msg[m].msg_hdr;
	struct cmsghdr *cm;

	memset(h, 0, sizeof *h);
	memset(&u->cbuf[m], 0, sizeof u->cbuf[m]);
	h->msg_name = &b->to[first];
	h->msg_namelen = sizeof b->to[first];
	h->msg_iov = &b->iov[first]; /* the slots' iovecs follow each other */
	h->msg_iovlen = count;
	h->msg_control = u->cbuf[m].b;
	h->msg_controllen = count > 1 ? sizeof u->cbuf[m].b :
			    CMSG_SPACE(sizeof(struct in6_pktinfo));
	cm = put_pktinfo(h, &b->e[first]->local);
	if (count > 1) {
		uint16_t gso = (uint16_t)b->iov[first].iov_len;

		cm = CMSG_NXTHDR(h, cm);
		cm->cmsg_level = IPPROTO_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof gso);
		memcpy(CMSG_DATA(cm), &gso, sizeof gso);
	}
	u->first[m] = first;
	u->count[m] = count;
}

/* The UDP batch's message m could not go: per packet if it was a run
 * (and no more runs if the kernel refused the segmentation), else drop */
static void utx_failed(struct tu_priv *p, size_t m, int err, uint64_t now)
{
	struct tx_batch *b = &p->tx;
	struct utx_batch *u = p->utx;

	if (u->count[m] > 1 && (err == EIO || err == EINVAL || err == ENOPROTOOPT) &&
	    !p->udp_gso_off) {
		p->udp_gso_off = 1;
		log_warnx("UDP_SEGMENT refused (%s): one datagram per send from now on",
			  strerror(err));
	}
	for (size_t k = u->first[m]; k < u->first[m] + u->count[m]; k++) {
		struct tunnel_entry *e = b->e[k];

		if (u->count[m] > 1 && err != EAGAIN && err != ENOBUFS &&
		    send_outer(p, e, b->iov[k].iov_base, b->iov[k].iov_len) == 0)
			count_tx(p, e, b->iov[k].iov_len, now);
		else
			count_drop(p, e);
	}
}

/*
 * Send the queued inner packets over UDP: each run of one binding's
 * packets that tudp_run accepts (a cut super-packet) as one UDP_SEGMENT
 * send, the rest one datagram each, all in one sendmmsg(2) where it takes
 * them.
 */
static void utx_flush(struct tu_priv *p)
{
	struct tx_batch *b = &p->tx;
	struct utx_batch *u = p->utx;
	uint64_t now = mono_ms();
	size_t lens[BURST], nmsg = 0, i = 0;

	for (size_t k = 0; k < b->n; k++)
		lens[k] = b->iov[k].iov_len;
	while (i < b->n) {
		size_t same = 1, run;

		while (i + same < b->n && b->e[i + same] == b->e[i])
			same++;
		run = p->udp_gso_off ? 1 : tudp_run(lens + i, same);
		utx_msg(p, nmsg++, i, run);
		i += run;
	}
	for (i = 0; i < nmsg;) {
		int r = sendmmsg(p->raw_fd, u->msg + i, (unsigned)(nmsg - i), MSG_DONTWAIT);

		if (r <= 0) {
			int err = r < 0 ? errno : EIO;

			if (err != EAGAIN && err != ENOBUFS)
				log_debug("sendmmsg to the tunnel peer: %s", strerror(err));
			utx_failed(p, i, err, now);
			i++;
			continue;
		}
		for (int m = 0; m < r; m++, i++)
			for (size_t k = u->first[i]; k < u->first[i] + u->count[i]; k++)
				count_tx(p, b->e[k], b->iov[k].iov_len, now);
	}
	b->n = 0;
}

/* Queue slot k of the batch (len bytes, an inner packet for e) */
static void tx_queue(struct tu_priv *p, struct tunnel_entry *e, size_t k, size_t len,
		     uint64_t now)
{
	struct tx_batch *b = &p->tx;
	struct msghdr *m = &b->msg[k].msg_hdr;

	/* kept even when the send fails: after a move it may go out again */
	replay_record(p->replay, &e->inner, now, b->slot[k], len);
	outer_peer(p, e, &b->to[k]);
	memset(&b->cbuf[k], 0, sizeof b->cbuf[k]);
	msg_setup(m, &b->to[k], &b->iov[k], b->slot[k], len, b->cbuf[k].b, sizeof b->cbuf[k].b);
	put_pktinfo(m, &e->local);
	b->e[k] = e;
	b->n = k + 1;
}

/* A super-packet for e: cut it (tunnel_gso.h) straight into the batch */
static void encap_gso(struct tu_priv *p, struct tunnel_entry *e,
		      const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t n,
		      uint64_t now)
{
	size_t off = 0, lens[BURST];

	for (;;) {
		size_t at;
		int k;

		if (p->tx.n == BURST)
			tx_flush(p);
		at = p->tx.n;
		k = tgso_split(vh, pkt, n, &off, p->tx.slot[at], TX_SLOT, lens, BURST - at);
		if (k < 0) {
			log_debug("super-packet from %s refused: %s", p->t->ifname, strerror(-k));
			count_drop(p, e);
			return;
		}
		if (k == 0)
			return;
		for (int i = 0; i < k; i++)
			tx_queue(p, e, at + (size_t)i, lens[i], now);
	}
}

/* inner packet from the device (vh its virtio_net_hdr) -> encapsulate to
 * the bound remote */
static void encap_one(struct tu_priv *p, const struct virtio_net_hdr *vh, uint8_t *pkt,
		      size_t n)
{
	/* HOST: our anchored address is the inner source; ANCHOR: the
	 * host's anchored address is the inner destination. */
	const uint8_t *key = pkt + (p->side == ODM_TUNNEL_HOST ? 8 : 24);
	struct in6_addr k;
	struct tunnel_entry *e;
	uint64_t now;

	memcpy(&k, key, sizeof k);
	e = find(p, &k);
	if (!e) {
		p->unrouted++;
		return;
	}
	if (tunnel_too_deep(pkt, n) || remote_loops(p, &e->local, &e->remote)) {
		e->st.looped++;
		p->total.looped++;
		return;
	}
	now = mono_ms();
	if (tgso_is_gso(vh)) {
		encap_gso(p, e, vh, pkt, n, now);
		return;
	}
	if (tgso_complete(vh, pkt, n) < 0) {
		count_drop(p, e);
		return;
	}
	if (n > TX_SLOT) {
		/* larger than the device MTU allows: alone, as it came */
		replay_record(p->replay, &e->inner, now, pkt, n);
		if (send_outer(p, e, pkt, n) < 0)
			count_drop(p, e);
		else
			count_tx(p, e, n, now);
		return;
	}
	if (p->tx.n == BURST)
		tx_flush(p);
	memcpy(p->tx.slot[p->tx.n], pkt, n);
	tx_queue(p, e, p->tx.n, n, now);
}

/* Up to BURST packets from the device, encapsulated and sent: how many read */
static int tun_readable(struct tu_priv *p)
{
	int i;

	for (i = 0; i < BURST; i++) {
		ssize_t n = read(p->tun_fd, p->buf, sizeof p->buf);
		struct virtio_net_hdr vh;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn(errno, "read from %s", p->t->ifname);
			break;
		}
		if (n < (ssize_t)TGSO_VNET_LEN || !inner_ok(p->buf + TGSO_VNET_LEN,
							    n - (ssize_t)TGSO_VNET_LEN)) {
			p->unrouted++;
			continue;
		}
		memcpy(&vh, p->buf, sizeof vh);
		encap_one(p, &vh, p->buf + TGSO_VNET_LEN, (size_t)n - TGSO_VNET_LEN);
	}
	tx_flush(p);
	return i;
}

/*
 * 1 if the decapsulated packet pkt must not reach the device: nested too
 * deep, or (anchor side) addressed to an anchored address, which the route
 * to the pool would send straight back into the tunnel.
 */
static int came_back(const struct tu_priv *p, const uint8_t *pkt, size_t n)
{
	const struct odm_tunnel *t = p->t;
	struct in6_addr d;

	if (tunnel_too_deep(pkt, n))
		return 1;
	if (p->side != ODM_TUNNEL_ANCHOR)
		return 0;
	memcpy(&d, pkt + 24, sizeof d);
	return (t->has_guard && tunnel_prefix_contains(&t->guard, t->guard_plen, &d)) ||
	       find(p, &d) != NULL;
}

/*
 * The checks on an outer packet from the raw socket (inner only): its
 * binding if it may reach the device, else NULL (counted).
 */
static struct tunnel_entry *decap_check(struct tu_priv *p, const uint8_t *pkt, size_t n,
					const struct in6_addr *osrc,
					const struct in6_addr *odst)
{
	struct in6_addr k;
	struct tunnel_entry *e;

	memcpy(&k, pkt + (p->side == ODM_TUNNEL_HOST ? 24 : 8), sizeof k);
	e = find(p, &k);
	if (!e || memcmp(osrc, &e->remote, sizeof *osrc) != 0 ||
	    (odst && memcmp(odst, &e->local, sizeof *odst) != 0)) {
		/* a spoofed or stale outer source must not inject traffic
		 * for an anchored address */
		count_drop(p, e);
		/* no binding, or one to another care-of address: the anchor
		 * may tell the host (anchor_lost_be); not for a packet sent to
		 * a group, which nothing answers (RFC 4443 section 2.4(e)):
		 * every anchor of the link would */
		if (p->side == ODM_TUNNEL_ANCHOR && p->t->unbound &&
		    !(odst && IN6_IS_ADDR_MULTICAST(odst)) &&
		    (!e || memcmp(osrc, &e->remote, sizeof *osrc) != 0))
			p->t->unbound(p->t->unbound_arg, &k, osrc);
		if (odm_log_level() >= ODM_LOG_DEBUG) {
			char s[INET6_ADDRSTRLEN], i[INET6_ADDRSTRLEN];

			inet_ntop(AF_INET6, osrc, s, sizeof s);
			inet_ntop(AF_INET6, &k, i, sizeof i);
			log_debug("dropped: inner %s from outer %s (%s)", i, s,
				  e ? "wrong endpoint" : "not bound");
		}
		return NULL;
	}
	if (came_back(p, pkt, n)) {
		e->st.looped++;
		p->total.looped++;
		return NULL;
	}
	if (tunnel_inner_nd(pkt, n) || tunnel_inner_scoped(pkt, n)) {
		/* tunnel_guard.h: no ND through the tunnel, nor an address no
		 * router passes on */
		count_drop(p, e);
		return NULL;
	}
	return e;
}

/* Write the merged group (tunnel_gro.h) to the device */
static void rx_flush(struct tu_priv *p)
{
	struct iovec iov[TGRO_IOV_MAX];
	struct tunnel_entry *e = p->rx_e;
	size_t segs = p->gro.count, cnt;
	/* the newest packet's name, for the BU after a move (replay.h):
	 * taken before the group's buffers go back to the next read */
	uint32_t tag = p->side == ODM_TUNNEL_HOST && segs ? pkttag(p->rx_last, p->rx_last_len) : 0;

	cnt = tgro_flush(&p->gro, iov);
	if (cnt == 0)
		return;
	if (writev(p->tun_fd, iov, (int)cnt) < 0) {
		if (errno != EAGAIN)
			log_debug("write to %s: %s", p->t->ifname, strerror(errno));
		e->st.dropped += segs;
		p->total.dropped += segs;
		return;
	}
	e->st.rx_packets += segs;
	e->st.rx_bytes += p->rx_bytes;
	/* when the newest packet reached the host, not when the agent got to
	 * it: a host that moves dates its loss by this (hostengine.c) */
	e->st.last_rx_ms = p->total.last_rx_ms = p->rx_at_ms ? p->rx_at_ms : mono_ms();
	e->st.last_rx_tag = tag;
	p->total.rx_packets += segs;
	p->total.rx_bytes += p->rx_bytes;
}

/* A checked inner packet for e: into the group, or the group out first */
static void rx_push(struct tu_priv *p, struct tunnel_entry *e, const uint8_t *pkt, size_t n,
		    uint64_t at_ms)
{
	if (p->gro.count && (e != p->rx_e || !tgro_add(&p->gro, pkt, n))) {
		rx_flush(p);
	} else if (p->gro.count) {
		p->rx_bytes += n;
		if (at_ms > p->rx_at_ms)
			p->rx_at_ms = at_ms;
		p->rx_last = pkt;
		p->rx_last_len = n;
		return;
	}
	tgro_add(&p->gro, pkt, n);
	p->rx_e = e;
	p->rx_bytes = n;
	p->rx_at_ms = at_ms;
	p->rx_last = pkt;
	p->rx_last_len = n;
}

static void rx_prepare(struct tu_priv *p)
{
	struct rx_batch *b = &p->rx;

	for (size_t k = 0; k < BURST; k++) {
		msg_setup(&b->msg[k].msg_hdr, &b->from[k], &b->iov[k], b->slot[k], RX_SLOT,
			  b->cbuf[k].b, sizeof b->cbuf[k].b);
	}
}

/* Up to n datagrams from the outer socket: how many, or 0 (logged) */
static int recv_batch(struct tu_priv *p, struct mmsghdr *msg, unsigned n)
{
	int r = recvmmsg(p->raw_fd, msg, n, MSG_DONTWAIT, NULL);

	/* an ICMPv6 error about an outer packet fails one receive, whatever
	 * waits behind it (tunnel_errq.h; the queued error itself is on_poll's
	 * to take): the failure took it, so the packets are read now, not at
	 * the next wake-up, which a host's drain at a move does not wait for */
	if (r < 0 && !p->udp && tunnel_errq_expected(errno)) {
		log_debug("recvmmsg on the protocol-41 socket: %s (an ICMPv6 error about an "
			  "outer packet)", strerror(errno));
		r = recvmmsg(p->raw_fd, msg, n, MSG_DONTWAIT, NULL);
	}
	if (r < 0) {
		if (!p->udp && tunnel_errq_expected(errno))
			log_debug("recvmmsg on the protocol-41 socket: %s again", strerror(errno));
		else if (errno != EAGAIN && errno != EINTR)
			log_warn(errno, "recvmmsg on the %s socket", p->udp ? "UDP" : "protocol-41");
		return 0;
	}
	return r;
}

/*
 * A received datagram's control messages: 1 and its outer destination in
 * *dst if IPV6_PKTINFO came, else 0; its UDP_GRO size in *gso (if gso is
 * not NULL; 0 if none came); its arrival in *at_ms, on mono_ms's clock
 * (SO_TIMESTAMPNS, the two clocks' difference given; 0 if none came); the
 * outer header's ECN field in *ecn (IPV6_TCLASS; Not-ECT if none came).
 */
static int outer_cmsgs(struct msghdr *m, struct in6_addr *dst, int *gso, uint64_t *at_ms,
		       int64_t wall_offset_ns, unsigned *ecn)
{
	int have_dst = 0;

	if (gso)
		*gso = 0;
	*at_ms = 0;
	*ecn = TUNNEL_ECN_NOT_ECT;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(cm), sizeof ts);
			*at_ms = mono_ms_of_wall(&ts, wall_offset_ns);
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof pi);
			*dst = pi.ipi6_addr;
			have_dst = 1;
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_TCLASS &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int tclass;

			memcpy(&tclass, CMSG_DATA(cm), sizeof tclass);
			*ecn = (unsigned)tclass & 3u;
		} else if (gso && cm->cmsg_level == IPPROTO_UDP && cm->cmsg_type == UDP_GRO &&
			   cm->cmsg_len >= CMSG_LEN(sizeof *gso)) {
			memcpy(gso, CMSG_DATA(cm), sizeof *gso);
		}
	}
	return have_dst;
}

/*
 * The outer header's congestion mark carried to the inner packet pkt of
 * e's binding (tunnel_ecn.h, RFC 6040 section 4.2): 1 if pkt goes on, 0
 * if it is dropped (counted): marked on a packet that cannot carry it.
 */
static int ecn_decap(struct tu_priv *p, struct tunnel_entry *e, uint8_t *pkt, unsigned outer)
{
	int ecn = tunnel_ecn_decap(outer, tunnel_ecn_of(pkt));

	if (ecn == TUNNEL_ECN_DROP) {
		count_drop(p, e);
		return 0;
	}
	tunnel_ecn_set(pkt, (unsigned)ecn);
	return 1;
}

/* One batch from the raw socket: how many datagrams it read */
static int raw_readable(struct tu_priv *p)
{
	struct rx_batch *b = &p->rx;
	int r;

	int64_t off;

	rx_prepare(p);
	r = recv_batch(p, b->msg, BURST);
	off = r > 0 ? mono_wall_offset_ns() : 0;
	for (int k = 0; k < r; k++) {
		struct msghdr *m = &b->msg[k].msg_hdr;
		size_t n = b->msg[k].msg_len;
		struct tunnel_entry *e;
		struct in6_addr dst;
		uint64_t at;
		unsigned ecn;
		int have_dst = outer_cmsgs(m, &dst, NULL, &at, off, &ecn);

		if ((m->msg_flags & MSG_TRUNC) || !inner_ok(b->slot[k], (ssize_t)n) ||
		    b->from[k].sin6_family != AF_INET6) {
			p->total.dropped++;
			continue;
		}
		e = decap_check(p, b->slot[k], n, &b->from[k].sin6_addr, have_dst ? &dst : NULL);
		if (e && ecn_decap(p, e, b->slot[k], ecn))
			rx_push(p, e, b->slot[k], n, at);
	}
	/* the group points into the slots the next recvmmsg overwrites */
	rx_flush(p);
	return r;
}

/*
 * The UDP socket: each read may be a train of datagrams the kernel
 * coalesced (UDP_GRO, its size in a control message); each datagram must
 * come from port 4191, hold one whole inner packet and pass the same
 * checks as one from the raw socket.
 */
static int udp_readable(struct tu_priv *p)
{
	struct urx_batch *b = p->urx;
	int64_t wall;
	int r;

	for (size_t k = 0; k < URX_BURST; k++)
		msg_setup(&b->msg[k].msg_hdr, &b->from[k], &b->iov[k], b->slot[k], URX_SLOT,
			  b->cbuf[k].b, sizeof b->cbuf[k].b);
	r = recv_batch(p, b->msg, URX_BURST);
	wall = r > 0 ? mono_wall_offset_ns() : 0;
	for (int k = 0; k < r; k++) {
		struct msghdr *m = &b->msg[k].msg_hdr;
		size_t n = b->msg[k].msg_len, off[URX_SLOT / TUDP_INNER_MIN],
		       len[URX_SLOT / TUDP_INNER_MIN];
		struct in6_addr dst;
		uint64_t at;
		unsigned ecn;
		int gso, cnt, have_dst = outer_cmsgs(m, &dst, &gso, &at, wall, &ecn);

		if ((m->msg_flags & MSG_TRUNC) || b->from[k].sin6_family != AF_INET6 ||
		    b->from[k].sin6_port != htons(TUDP_PORT) || gso < 0 ||
		    (cnt = tudp_split(n, (size_t)gso, off, len, sizeof off / sizeof off[0])) < 0) {
			p->total.dropped++;
			continue;
		}
		for (int i = 0; i < cnt; i++) {
			uint8_t *pkt = b->slot[k] + off[i];
			struct tunnel_entry *e;

			if (!tudp_inner_ok(pkt, len[i])) {
				p->total.dropped++;
				continue;
			}
			e = decap_check(p, pkt, len[i], &b->from[k].sin6_addr,
					have_dst ? &dst : NULL);
			if (e && ecn_decap(p, e, pkt, ecn))
				rx_push(p, e, pkt, len[i], at);
		}
	}
	/* the group points into the slots the next recvmmsg overwrites */
	rx_flush(p);
	return r;
}

/*
 * POLLERR on the protocol-41 socket: the ICMPv6 errors about outer packets
 * taken off quietly (tunnel_errq.h; the kernel has lowered its path MTU
 * for a Packet Too Big) and the socket watched again: 0, or -1 when
 * something else is amiss (pollerr_resume then says what).
 *
 * Anyone who knows an outer packet's two addresses can send such errors,
 * as fast as they like: POLLERR may well be there again as soon as they
 * are taken. That is no fault of the socket (pollerr_resume would give
 * it up, and the tunnel with it), only the next wake-up's business, each
 * taking at most TUNNEL_ERRQ_MAX. A POLLERR with no error to take, queued
 * or pending, is something else.
 */
static void on_poll(uv_poll_t *h, int status, int events);

static int raw_errors(uv_poll_t *h, struct tu_priv *p)
{
	uint64_t ptb = p->errq.too_big;
	int n = tunnel_errq_take(p->raw_fd, &p->errq);

	if (n < 0)
		return -1;
	if (n == 0) {
		/* an error not queued (the receive buffer was full) still sets
		 * the pending one: of the same kind, quiet; any other is said */
		int err = 0;
		socklen_t sl = sizeof err;

		if (getsockopt(p->raw_fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err == 0)
			return -1;
		if (!tunnel_errq_expected(err))
			log_warn(err, "the tunnel's raw socket: reading on");
	}
	if (p->errq.too_big != ptb)
		log_debug("%s: %llu Packet(s) Too Big about outer packets (the last: MTU %u): "
			  "the kernel fragments what exceeds it", p->t->ifname,
			  (unsigned long long)(p->errq.too_big - ptb), p->errq.last_mtu);
	return uv_poll_start(h, UV_READABLE, on_poll) < 0 ? -1 : 0;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct tu_priv *p = h->data;

	if (status < 0) {
		if (h == &p->raw_poll && !p->udp && raw_errors(h, p) == 0)
			return;
		/* the device's descriptor fails as the device is deleted
		 * (devwatch.h starts the agent again for that); a socket's
		 * error is taken off and it is read on */
		if (h == &p->tun_poll)
			log_warnx("%s: poll error: %s (the device deleted under the agent?)",
				  p->t->ifname, uv_strerror(status));
		else
			(void)pollerr_resume(h, UV_READABLE, on_poll,
					     p->udp ? "the tunnel's UDP socket" : "the tunnel's raw socket");
		return;
	}
	if (!(events & UV_READABLE))
		return;
	if (h == &p->tun_poll)
		(void)tun_readable(p);
	else if (p->udp)
		(void)udp_readable(p);
	else
		(void)raw_readable(p);
}

/*
 * What has reached the host and waits in the socket, read now (a bounded
 * number of batches): a host dating a move's loss by its last packet
 * received must not miss those the agent had not got to (tunnel.h).
 */
#define DRAIN_BATCHES 16
static void tu_drain_rx(struct odm_tunnel *t)
{
	struct tu_priv *p = t->priv;

	if (!p)
		return;
	for (int i = 0; i < DRAIN_BATCHES; i++)
		if ((p->udp ? udp_readable(p) : raw_readable(p)) <= 0)
			break;
}

/* What the host's programs sent into the device and waits there, read and
 * sent now (as many batches): a UDP lease judged idle must not miss it */
static void tu_drain_tx(struct odm_tunnel *t)
{
	struct tu_priv *p = t->priv;

	if (!p)
		return;
	for (int i = 0; i < DRAIN_BATCHES; i++)
		if (tun_readable(p) < BURST)
			break;
}

/*
 * The raw socket is the only queue between the wire and the agent: with the
 * default buffer a burst that arrives while the agent is off the CPU
 * overflows it, and each drop costs the tunnelled TCP flow a retransmission
 * (measured: one drop in ten packets at 400 Mbit/s on two cores).
 */
#define RAW_BUF (4 * 1024 * 1024)

/* Each packet's arrival, stamped by the kernel (socket(7), SO_TIMESTAMPNS):
 * the agent may read it some ms later on a loaded host */
static void stamp_arrivals(int fd)
{
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0)
		log_warn(errno, "SO_TIMESTAMPNS: arrivals dated when read");
}

static int open_raw41(void)
{
	int one = 1, rc;
	int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IPV6);

	if (fd < 0)
		return -errno;
	sockbuf_grow(fd, RAW_BUF, "tunnel socket");
	stamp_arrivals(fd);
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	/* the kernel learns the path MTU of the outer packets, and fragments
	 * them to fit (RFC 2473 section 7), only with it (tunnel_errq.h) */
	if ((rc = tunnel_errq_enable(fd)) < 0)
		log_warn(rc, "IPV6_RECVERR on the protocol-41 socket: outer packets larger "
			 "than a narrower path carries will be lost");
	return fd;
}

/*
 * The UDP socket of tunnel-encap udp: port 4191 on any address (the
 * endpoint checks compare each datagram's outer addresses with its
 * binding), the outer destination reported, coalesced receives asked for.
 */
static int open_udp(void)
{
	int one = 1;
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(TUDP_PORT),
				   .sin6_addr = IN6ADDR_ANY_INIT };
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);

	if (fd < 0)
		return -errno;
	sockbuf_grow(fd, RAW_BUF, "tunnel socket");
	stamp_arrivals(fd);
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	if (setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one, sizeof one) < 0)
		log_warn(errno, "UDP_GRO: one datagram per receive");
	return fd;
}

/* ---- ops ---- */

static int tu_probe(enum odm_tunnel_side side, int level, char *why, size_t len)
{
	(void)side, (void)level, (void)why, (void)len;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int rc = -errno;

		odm_log_at(level, rc, "userspace backend: /dev/net/tun");
		return rc;
	}
	close(fd);
	fd = open_raw41();
	if (fd < 0) {
		odm_log_at(level, fd, "userspace backend: raw protocol-41 socket (needs CAP_NET_RAW)");
		return fd;
	}
	close(fd);
	return 0;
}

static void priv_free(struct tu_priv *p)
{
	free(p->utx);
	free(p->urx);
	free(p);
}

static void on_closed(uv_handle_t *h)
{
	struct tu_priv *p = h->data;

	if (--p->open_handles == 0)
		priv_free(p);
}

/* The batch buffers' pages are touched at open, not one by one as deeper
 * batches come: the agent's RSS is then what it stays, and one that grows
 * means a leak. Volatile, so the zero stores into calloc()'s zeroed memory
 * are not optimised away. */
static void prefault(void *mem, size_t len)
{
	volatile uint8_t *b = mem;

	for (size_t i = 0; i < len; i += 4096)
		b[i] = 0;
}

static int tu_open(struct odm_tunnel *t)
{
	struct tu_priv *p = calloc(1, sizeof *p);
	int rc, offloaded = 0;

	if (!p)
		return -ENOMEM;
	prefault(p, sizeof *p);
	p->t = t;
	p->side = t->side;
	p->tun_fd = p->raw_fd = -1;
	rc = tunnel_table_init(&p->tt);
	if (rc < 0)
		goto fail;
	p->udp = t->encap == ODM_ENCAP_UDP;
	if (p->udp && (!(p->utx = calloc(1, sizeof *p->utx)) || !(p->urx = calloc(1, sizeof *p->urx)))) {
		rc = -ENOMEM;
		goto fail;
	}
	if (p->udp) {
		prefault(p->utx, sizeof *p->utx);
		prefault(p->urx, sizeof *p->urx);
	}
	p->raw_fd = p->udp ? open_udp() : open_raw41();
	if (p->raw_fd < 0) {
		rc = p->raw_fd;
		log_warn(rc, p->udp ? "UDP socket on port 4191" : "raw protocol-41 socket");
		goto fail;
	}
	p->tun_fd = tunnel_dev_open_offload(t, &offloaded);
	if (p->tun_fd < 0) {
		rc = p->tun_fd;
		log_warn(rc, "TUN device %s", t->ifname);
		goto fail;
	}
	log_info("%s: %s", t->ifname, offloaded ?
		 "TSO6 and checksum offload: super-packets cut here, segments merged on the way in" :
		 "no offloads: one packet per read and per write");
	t->mtu = PATH_MTU - (p->udp ? TUDP_OVERHEAD : TUNNEL_IP6IP6_OVERHEAD);
	tgro_init(&p->gro, t->mtu);
	rc = tunnel_dev_setup(t);
	if (rc < 0)
		goto fail;
	t->ifindex = (int)if_nametoindex(t->ifname);
	if (t->ifindex <= 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = uv_poll_init(t->loop, &p->raw_poll, p->raw_fd)) < 0)
		goto fail;
	p->raw_poll.data = p;
	p->open_handles++;
	if ((rc = uv_poll_init(t->loop, &p->tun_poll, p->tun_fd)) < 0)
		goto fail_handles;
	p->tun_poll.data = p;
	p->open_handles++;
	if ((rc = uv_poll_start(&p->raw_poll, UV_READABLE, on_poll)) < 0 ||
	    (rc = uv_poll_start(&p->tun_poll, UV_READABLE, on_poll)) < 0)
		goto fail_handles;
	/* last, so no failure path above has to free it; its absence only
	 * costs the replay after a move */
	if (p->side == ODM_TUNNEL_ANCHOR && (rc = replay_open(&p->replay, REPLAY_SLOTS)) < 0)
		log_warn(rc, "replay ring: moves will not replay packets");
	t->priv = p;
	return 0;

fail_handles:
	/* the handles own p from here on: their close callbacks free it */
	tunnel_table_free(&p->tt);
	close(p->tun_fd);
	close(p->raw_fd);
	if (p->open_handles >= 1)
		uv_close((uv_handle_t *)&p->raw_poll, on_closed);
	if (p->open_handles == 2)
		uv_close((uv_handle_t *)&p->tun_poll, on_closed);
	return rc;
fail:
	tunnel_table_free(&p->tt);
	if (p->tun_fd >= 0)
		close(p->tun_fd);
	if (p->raw_fd >= 0)
		close(p->raw_fd);
	priv_free(p);
	return rc;
}

static void tu_close(struct odm_tunnel *t)
{
	struct tu_priv *p = t->priv;

	if (!p)
		return;
	t->priv = NULL;
	uv_poll_stop(&p->tun_poll);
	uv_poll_stop(&p->raw_poll);
	/* closing the TUN fd removes the (non-persistent) device */
	close(p->tun_fd);
	close(p->raw_fd);
	tunnel_table_free(&p->tt);
	replay_close(p->replay);
	p->replay = NULL;
	p->t = NULL;
	uv_close((uv_handle_t *)&p->raw_poll, on_closed);
	uv_close((uv_handle_t *)&p->tun_poll, on_closed);
}

struct replay_ctx {
	struct tu_priv *p;
	struct tunnel_entry *e;
	size_t sent;
};

static int replay_one(void *arg, const uint8_t *pkt, size_t n)
{
	struct replay_ctx *c = arg;

	if (send_outer(c->p, c->e, pkt, n) != 0)
		return 0;
	c->sent++;
	return 1;
}

/*
 * inner has just moved to new endpoints: send again what went to the old
 * ones during the host's outage (replay.h).
 */
static size_t tu_moved(struct odm_tunnel *t, const struct in6_addr *inner, int has_lost,
		       uint32_t lost_ago_ms, uint32_t last_tag, int same)
{
	struct tu_priv *p = t->priv;
	struct tunnel_entry *e = p ? find(p, inner) : NULL;
	struct replay_ctx c = { p, e, 0 };
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	uint64_t now = mono_ms(), since;
	size_t n = REPLAY_NO_TAG;

	(void)same; /* the ring keeps what went to any care-of address */
	if (!e || !p->replay)
		return 0;
	/* after the last packet the host got, looked for as far back as a
	 * loss is ever taken to reach (replay.h) */
	if (has_lost && last_tag) {
		n = replay_after(p->replay, &e->inner, last_tag,
				 now > REPLAY_LOST_MAX_MS ? now - REPLAY_LOST_MAX_MS : 0, replay_one, &c);
		if (n == REPLAY_NO_TAG)
			log_debug("the last packet %s received is no longer kept: replaying by time",
				  inet_ntop(AF_INET6, &e->inner, a, sizeof a));
	}
	if (n != REPLAY_NO_TAG) {
		if (n)
			log_info("replayed %zu of %zu packets for %s to %s (the host's outage: "
				 "those after the last packet it received)",
				 c.sent, n, inet_ntop(AF_INET6, &e->inner, a, sizeof a),
				 inet_ntop(AF_INET6, &e->remote, b, sizeof b));
	} else {
		since = replay_from_ms(now, has_lost, lost_ago_ms, e->st.last_rx_ms);
		n = replay_since(p->replay, &e->inner, since, replay_one, &c);
		if (n)
			log_info("replayed %zu of %zu packets for %s to %s (sent in the last %llu ms; %s)",
				 c.sent, n, inet_ntop(AF_INET6, &e->inner, a, sizeof a),
				 inet_ntop(AF_INET6, &e->remote, b, sizeof b),
				 (unsigned long long)(now - since),
				 has_lost ? "the host's outage" : "no outage given: since last heard from");
	}
	e->st.replayed += c.sent;
	p->total.replayed += c.sent;
	return c.sent;
}

static int tu_bind(struct odm_tunnel *t, const struct in6_addr *inner,
		   const struct in6_addr *local, const struct in6_addr *remote)
{
	struct tu_priv *p = t->priv;
	struct tunnel_entry *e;

	if (!p || !inner || !local || !remote)
		return -EINVAL;
	if (memcmp(inner, remote, sizeof *remote) == 0 || remote_loops(p, local, remote))
		return -ELOOP;
	e = find(p, inner);
	if (e) {
		e->local = *local;
		e->remote = *remote;
		return 0;
	}
	e = tunnel_table_add(&p->tt, inner);
	if (!e)
		return -ENOMEM;
	e->local = *local;
	e->remote = *remote;
	return 0;
}

/* Returns -ENOENT for an inner address that is not bound. */
static int tu_unbind(struct odm_tunnel *t, const struct in6_addr *inner)
{
	struct tu_priv *p = t->priv;
	int rc;

	if (!p || !inner)
		return -EINVAL;
	rc = tunnel_table_del(&p->tt, inner);
	if (rc == 0)
		replay_forget(p->replay, inner);
	return rc;
}

static int tu_stats(struct odm_tunnel *t, const struct in6_addr *inner,
		    struct odm_tunnel_stats *st)
{
	struct tu_priv *p = t->priv;

	if (!p || !st)
		return -EINVAL;
	return tunnel_table_stats(&p->tt, &p->total, inner, st);
}

const struct odm_tunnel_ops tunnel_userspace_ops = {
	.name = "userspace",
	.probe = tu_probe,
	.open = tu_open,
	.close = tu_close,
	.bind = tu_bind,
	.unbind = tu_unbind,
	.stats = tu_stats,
	.moved = tu_moved,
	.drain_rx = tu_drain_rx,
	.drain_tx = tu_drain_tx,
	.rx_each_packet = 1,
	.outer_frag = 1, /* the kernel's, with IPV6_RECVERR (tunnel_errq.h) */
};
