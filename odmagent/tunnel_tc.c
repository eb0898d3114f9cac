/* SPDX-License-Identifier: MIT */
/* tunnel_tc.c — tc BPF programs on clsact hooks (see tunnel_tc.h). */
#include "tunnel_tc.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/pkt_sched.h>
#include <netlink/route/classifier.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define HANDLE 1

static enum bpf_tc_attach_point point(enum tunnel_tc_hook hook)
{
	return hook == TUNNEL_TC_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

int tunnel_tc_attach(int ifindex, enum tunnel_tc_hook hook, int prog_fd, uint32_t prio)
{
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex, .attach_point = point(hook));
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = HANDLE, .priority = prio, .prog_fd = prog_fd,
		    .flags = BPF_TC_F_REPLACE);
	int rc = bpf_tc_hook_create(&h), made = rc == 0;

	if (rc < 0 && rc != -EEXIST)
		return rc;
	rc = bpf_tc_attach(&h, &o);
	return rc < 0 ? rc : made;
}

/* the filters on ifindex's clsact hook min (TC_H_MIN_INGRESS, _EGRESS), or
 * -errno */
static int filters_at(struct nl_sock *sk, int ifindex, uint32_t min)
{
	struct nl_cache *c;
	int n = rtnl_cls_alloc_cache(sk, ifindex, TC_H_MAKE(TC_H_CLSACT, min), &c);

	if (n < 0)
		return -EIO;
	n = nl_cache_nitems(c);
	nl_cache_free(c);
	return n;
}

int tunnel_tc_release(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	struct nl_sock *sk = nl_socket_alloc();
	int in, eg, rc;

	if (!sk)
		return -ENOMEM;
	if (nl_connect(sk, NETLINK_ROUTE) < 0) {
		nl_socket_free(sk);
		return -EIO;
	}
	in = filters_at(sk, ifindex, TC_H_MIN_INGRESS);
	eg = filters_at(sk, ifindex, TC_H_MIN_EGRESS);
	nl_socket_free(sk);
	if (in < 0 || eg < 0)
		return in < 0 ? in : eg;
	if (in || eg)
		return 0;
	rc = bpf_tc_hook_destroy(&h);
	return rc < 0 ? rc : 1;
}

int tunnel_tc_detach(int ifindex, enum tunnel_tc_hook hook, uint32_t prio)
{
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex, .attach_point = point(hook));
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = HANDLE, .priority = prio);

	return bpf_tc_detach(&h, &o);
}

int tunnel_tc_prog_id(int ifindex, enum tunnel_tc_hook hook, uint32_t prio)
{
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex, .attach_point = point(hook));
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = HANDLE, .priority = prio);
	char name[IF_NAMESIZE];
	int rc = bpf_tc_query(&h, &o);

	if (rc == 0)
		return o.prog_id > 0 ? (int)o.prog_id : 0;
	/* the kernel's answer for a filter or a qdisc that is not there
	 * (ENOENT, EINVAL) is "none"; only a gone interface is an error */
	if (!if_indextoname((unsigned)ifindex, name))
		return -ENODEV;
	return rc == -ENOENT || rc == -EINVAL ? 0 : rc;
}

int tunnel_tc_is_ether(int ifindex)
{
	struct ifreq ifr;
	int s, rc;

	memset(&ifr, 0, sizeof ifr);
	if (!if_indextoname((unsigned)ifindex, ifr.ifr_name))
		return -errno;
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	rc = ioctl(s, SIOCGIFHWADDR, &ifr) < 0 ? -errno : ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER;
	close(s);
	return rc;
}
