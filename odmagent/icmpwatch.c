/* SPDX-License-Identifier: MIT */
/*
 * icmpwatch.c — ICMPv6 errors about our packets to anchors, read on the
 * loop (icmpwatch.h).
 */
#include "icmpwatch.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "pollerr.h"
#include "sendfrom.h"

#define RECV_BURST 32
/* an error carries at most what fits in the minimum MTU (RFC 4443 §2.4 (c)) */
#define ICMP_MAX 1280

struct icmpwatch {
	int fd;
	uv_poll_t poll;
	icmpwatch_fn fn;      /* errors about packets to anchors (icmperr_parse) */
	icmpwatch_raw_fn ptb; /* Packets Too Big, as they come */
	void *arg;
	uint8_t buf[ICMP_MAX];
};

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct icmpwatch *w = h->data;

	if (status < 0) {
		(void)pollerr_resume(h, UV_READABLE, on_readable, "the ICMPv6 socket");
		return;
	}
	for (int i = 0; i < RECV_BURST && (events & UV_READABLE); i++) {
		struct sockaddr_in6 from;
		socklen_t fl = sizeof(from);
		struct icmperr err;
		ssize_t n = recvfrom(w->fd, w->buf, sizeof(w->buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn(errno, "recvfrom");
			return;
		}
		/* a longer one is cut to the buffer: its invoking header is read */
		if (fl < sizeof(from) || from.sin6_family != AF_INET6)
			continue;
		/* the filter passes only the types asked for */
		if (n > 0 && w->buf[0] == ICMP6_PACKET_TOO_BIG)
			w->ptb(w->arg, w->buf, (size_t)n, &from.sin6_addr);
		else if (icmperr_parse(w->buf, (size_t)n, &err) == 0)
			w->fn(w->arg, &err, &from.sin6_addr);
	}
}

int icmpwatch_open(struct icmpwatch **out, uv_loop_t *loop, const struct in6_addr *local,
		   icmpwatch_fn fn, icmpwatch_raw_fn ptb, void *arg)
{
	struct icmp6_filter f;
	struct icmpwatch *w;
	int rc;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->ptb = ptb;
	w->arg = arg;
	w->fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
	if (w->fd < 0) {
		rc = -errno;
		free(w);
		return rc;
	}
	ICMP6_FILTER_SETBLOCKALL(&f);
	if (ptb)
		ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
	if (fn) {
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
	}
	if (local) {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = *local };
		int one = 1;

		/* what comes to that address only; what is sent, from it. FREEBIND:
		 * the address may not be up yet (or still tentative) at start */
		(void)setsockopt(w->fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
		if (bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			rc = -errno;
			close(w->fd);
			free(w);
			return rc;
		}
	}
	if (setsockopt(w->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0) {
		rc = -errno;
		close(w->fd);
		free(w);
		return rc;
	}
	rc = uv_poll_init(loop, &w->poll, w->fd);
	if (rc < 0) {
		close(w->fd);
		free(w);
		return rc;
	}
	w->poll.data = w;
	*out = w;
	rc = uv_poll_start(&w->poll, UV_READABLE, on_readable);
	if (rc < 0) {
		icmpwatch_close(w);
		*out = NULL;
		return rc;
	}
	return 0;
}

int icmpwatch_send(struct icmpwatch *w, const struct in6_addr *dst, const uint8_t *msg,
		   size_t len)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = *dst };

	/* a raw ICMPv6 socket: the kernel fills the checksum (RFC 3542 §3.1) */
	if (sendto(w->fd, msg, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

int icmpwatch_send_from(struct icmpwatch *w, const struct in6_addr *src,
			const struct in6_addr *dst, const uint8_t *msg, size_t len)
{
	if (!w)
		return -ENOTCONN;
	return send_from(w->fd, msg, len, src, dst);
}

static void on_closed(uv_handle_t *h)
{
	struct icmpwatch *w = h->data;

	close(w->fd);
	free(w);
}

void icmpwatch_close(struct icmpwatch *w)
{
	if (!w)
		return;
	uv_poll_stop(&w->poll);
	uv_close((uv_handle_t *)&w->poll, on_closed);
}
