/* SPDX-License-Identifier: MIT */
/*
 * sendfrom.c — a datagram from a chosen source address (sendfrom.h).
 */
#include "sendfrom.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int send_from(int fd, const void *buf, size_t len, const struct in6_addr *src,
	      const struct in6_addr *dst)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = *dst };
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &to, .msg_namelen = sizeof to,
		.msg_iov = &iov, .msg_iovlen = 1,
	};

	if (src) {
		struct in6_pktinfo pi = { .ipi6_addr = *src };
		struct cmsghdr *cm;

		memset(&cbuf, 0, sizeof cbuf);
		msg.msg_control = cbuf.b;
		msg.msg_controllen = sizeof cbuf.b;
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(cm), &pi, sizeof pi);
	}
	if (sendmsg(fd, &msg, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}
