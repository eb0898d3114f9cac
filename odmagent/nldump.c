/* SPDX-License-Identifier: MIT */
/* nldump.c — the answer to a netlink dump request, read (see nldump.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "nldump.h"

ssize_t nldump_recv(int fd, void *buf, size_t len)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			     .msg_iovlen = 1 };

	for (;;) {
		ssize_t n = recvmsg(fd, &mh, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		/* a cut message would lose part of the answer; never guess */
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (from.nl_pid != 0)
			continue; /* not from the kernel */
		return n;
	}
}

int nldump_read(int fd, uint32_t seq, int (*take)(void *ctx, const struct nlmsghdr *h),
		void *ctx)
{
	char *buf = malloc(NLDUMP_BUF);
	int r = -ELOOP, intr = 0; /* a dump that never ends */

	if (!buf)
		return -ENOMEM;
	for (unsigned round = 0; round < NLDUMP_MAX_RECV; round++) {
		ssize_t n = nldump_recv(fd, buf, NLDUMP_BUF);
		int left;

		if (n < 0) {
			r = (int)n;
			goto out;
		}
		left = (int)n; /* NLMSG_OK's own type: it goes below 0 at the end */
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;
			/* the kernel's tables changed under the dump */
			intr |= (h->nlmsg_flags & NLM_F_DUMP_INTR) != 0;
			if (h->nlmsg_type == NLMSG_DONE) {
				r = intr ? -EINTR : 0;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				r = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error < 0
					    ? e->error
					    : -EIO;
				goto out;
			}
			r = take(ctx, h);
			if (r < 0)
				goto out;
			r = -ELOOP;
		}
	}
out:
	free(buf);
	return r;
}
