/* SPDX-License-Identifier: MIT */
/*
 * mhsock.c — the raw Mobility Header socket on the libuv loop (mhsock.h).
 *
 * The kernel's preset IPV6_CHECKSUM offset 4 (rawv6_init_sk for IPPROTO_MH)
 * is left alone: it fills the checksum on send and silently drops damaged
 * packets on receive, so the codec never needs the pseudo-header here.
 * Reads are bounded per wakeup so a flood of BUs cannot starve the loop;
 * what is left stays queued for the next wakeup. A message sent to a
 * multicast group is dropped here, for both roles.
 */
#include "mhsock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addrtext.h"
#include "log.h"
#include "pollerr.h"
#include "sendfrom.h"
#include "mh.h"
#include "monotime.h"
#include "sockbuf.h"

/* about 4 500 small packets */
#define MH_SOCK_BUF (4 * 1024 * 1024)

#define RECV_BURST 32

#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO 11 /* linux/in6.h: on receive, the flow information word */
#endif

struct mhsock {
	int fd;
	uv_poll_t poll;
	mhsock_recv_fn fn;
	void *arg;
	struct mhparam_rx rx; /* of the message being handed to fn */
	uint8_t buf[MH_MAX_LEN];
};

/* Up to RECV_BURST messages that wait, each handed to fn */
static void read_burst(struct mhsock *s)
{
	for (int i = 0; i < RECV_BURST; i++) {
		struct sockaddr_in6 from;
		union {
			struct cmsghdr align;
			uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
				  CMSG_SPACE(sizeof(struct timespec)) + 2 * CMSG_SPACE(sizeof(int)) +
				  256];
		} cbuf;
		struct iovec iov = { .iov_base = s->buf, .iov_len = sizeof s->buf };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof from,
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf.b, .msg_controllen = sizeof cbuf.b,
		};
		struct in6_addr dst = IN6ADDR_ANY_INIT;
		int ifindex = 0;
		ssize_t n = recvmsg(s->fd, &msg, MSG_DONTWAIT);
		uint64_t at_ms = 0;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn(errno, "recvmsg");
			return;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			log_debug("dropped a Mobility Header longer than %d bytes", MH_MAX_LEN);
			continue;
		}
		memset(&s->rx, 0, sizeof s->rx);
		/* control data cut: an extension header too long for it */
		s->rx.ext = !!(msg.msg_flags & MSG_CTRUNC);
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(cm), sizeof pi);
				dst = pi.ipi6_addr;
				ifindex = (int)pi.ipi6_ifindex;
			} else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS &&
				   cm->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(cm), sizeof ts);
				at_ms = mono_ms_of_wall(&ts, mono_wall_offset_ns());
			} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT &&
				   cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
				int hl;

				memcpy(&hl, CMSG_DATA(cm), sizeof hl);
				s->rx.hoplimit = (uint8_t)hl;
				s->rx.told = 1;
			} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_FLOWINFO &&
				   cm->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
				uint32_t fi;

				memcpy(&fi, CMSG_DATA(cm), sizeof fi);
				s->rx.flowinfo = ntohl(fi) & 0x0fffffffu;
			} else if (cm->cmsg_level == IPPROTO_IPV6 &&
				   (cm->cmsg_type == IPV6_HOPOPTS || cm->cmsg_type == IPV6_DSTOPTS ||
				    cm->cmsg_type == IPV6_RTHDR)) {
				s->rx.ext = 1;
			}
		}
		if (from.sin6_family != AF_INET6)
			continue;
		/* RFC 6275 addresses every message to one node, and nothing
		 * answers a packet sent to a group (RFC 4443 section 2.4(e),
		 * which section 9.3.3 applies to Binding Errors): one forged
		 * to ff02::1 would draw an answer from every agent on the link */
		if (IN6_IS_ADDR_MULTICAST(&dst)) {
			char a[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];

			log_debug("Mobility Header message from %s to group %s: dropped",
				  ntop6(&from.sin6_addr, a), ntop6(&dst, g));
			continue;
		}
		s->fn(s->arg, s->buf, (size_t)n, &from.sin6_addr, &dst, ifindex, at_ms);
	}
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct mhsock *s = h->data;

	if (status < 0) {
		(void)pollerr_resume(h, UV_READABLE, on_readable, "the Mobility Header socket");
		return;
	}
	if (events & UV_READABLE)
		read_burst(s);
}

const struct mhparam_rx *mhsock_rx(const struct mhsock *s)
{
	return &s->rx;
}

void mhsock_read_now(struct mhsock *s)
{
	if (s && s->fd >= 0)
		read_burst(s);
}

int mhsock_open(struct mhsock **out, uv_loop_t *loop, mhsock_recv_fn fn, void *arg)
{
	struct mhsock *s;
	int one = 1, rc;

	*out = NULL;
	s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->fn = fn;
	s->arg = arg;
	s->fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_MH);
	if (s->fd < 0) {
		rc = -errno;
		log_warn(rc, "raw IPPROTO_MH socket (needs CAP_NET_RAW)");
		free(s);
		return rc;
	}
	/* a move rebinds every lease at once: a host with a few hundred gets
	 * that many BAs in a burst, past the default buffer's ~250 packets
	 * (each one dropped costs its binding a retransmission, 1 s); an
	 * anchor gets such bursts from its hosts */
	sockbuf_grow(s->fd, MH_SOCK_BUF, "Mobility Header socket");
	if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) < 0) {
		rc = -errno;
		log_warn(rc, "IPV6_RECVPKTINFO");
		goto fail;
	}
	/* what a Parameter Problem quotes of the IPv6 header (mhparam.h):
	 * the hop limit, the flow information (sent only when not 0), and
	 * whether extension headers came before the message */
	if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one) < 0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_FLOWINFO, &one, sizeof one) < 0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVHOPOPTS, &one, sizeof one) < 0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVDSTOPTS, &one, sizeof one) < 0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVRTHDR, &one, sizeof one) < 0)
		log_warn(errno, "the IPv6 header's fields on the Mobility Header socket: malformed "
			 "messages draw no Parameter Problem");
	/* each message's arrival (socket(7)): an anchor that reads a BU late
	 * counts the host's loss back from when it came (anchor.c) */
	if (setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0)
		log_warn(errno, "SO_TIMESTAMPNS on the Mobility Header socket: messages dated "
			 "when read");
	rc = uv_poll_init(loop, &s->poll, s->fd);
	if (rc < 0) {
		log_warnx("uv_poll_init: %s", uv_strerror(rc));
		goto fail;
	}
	s->poll.data = s;
	rc = uv_poll_start(&s->poll, UV_READABLE, on_readable);
	if (rc < 0) {
		log_warnx("uv_poll_start: %s", uv_strerror(rc));
		mhsock_close(s);
		return rc;
	}
	*out = s;
	return 0;
fail:
	close(s->fd);
	free(s);
	return rc;
}

int mhsock_send(struct mhsock *s, const uint8_t *buf, size_t len,
		const struct in6_addr *src, const struct in6_addr *dst)
{
	if (!s || !buf || !dst)
		return -EINVAL;
	return send_from(s->fd, buf, len, src, dst);
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void mhsock_close(struct mhsock *s)
{
	if (!s)
		return;
	uv_poll_stop(&s->poll);
	close(s->fd);
	s->fd = -1;
	/* s is freed by the close callback, once libuv has let go of it */
	uv_close((uv_handle_t *)&s->poll, on_closed);
}
