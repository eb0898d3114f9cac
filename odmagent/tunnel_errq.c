/* SPDX-License-Identifier: MIT */
/* tunnel_errq.c — ICMPv6 errors about outer packets taken off the tunnel's
 * socket (see tunnel_errq.h). */
#include "tunnel_errq.h"

#include <errno.h>
#include <time.h> /* linux/errqueue.h needs struct timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define ICMP6_PACKET_TOO_BIG_ 2

int tunnel_errq_enable(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one) < 0 ? -errno : 0;
}

int tunnel_errq_take(int fd, struct tunnel_errq_stats *st)
{
	int taken = 0, soerr;
	socklen_t sl = sizeof soerr;

	for (; taken < TUNNEL_ERRQ_MAX; taken++) {
		union {
			struct cmsghdr align;
			uint8_t b[256];
		} ctl;
		uint8_t buf[1];
		struct iovec iov = { buf, sizeof buf };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
				     .msg_controllen = sizeof ctl.b };
		int ptb = 0;

		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			struct sock_extended_err ee;

			if (cm->cmsg_level != IPPROTO_IPV6 || cm->cmsg_type != IPV6_RECVERR ||
			    cm->cmsg_len < CMSG_LEN(sizeof ee))
				continue;
			memcpy(&ee, CMSG_DATA(cm), sizeof ee);
			if (ee.ee_origin == SO_EE_ORIGIN_ICMP6 && ee.ee_type == ICMP6_PACKET_TOO_BIG_) {
				ptb = 1;
				st->last_mtu = ee.ee_info;
			}
		}
		if (ptb)
			st->too_big++;
		else
			st->other++;
	}
	/* the pending error the last one set (reading the queue leaves the
	 * next one's there, 0 once it is empty); with none queued it is not
	 * theirs, and left for the caller to say */
	if (taken)
		(void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
	return taken;
}

int tunnel_errq_expected(int err)
{
	switch (err) {
	case EMSGSIZE:     /* Packet Too Big */
	case EHOSTUNREACH: /* Destination Unreachable, Time Exceeded */
	case ENETUNREACH:
	case EACCES:
	case ECONNREFUSED:
	case EPROTO:       /* Parameter Problem */
		return 1;
	default:
		return 0;
	}
}
