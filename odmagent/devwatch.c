/* SPDX-License-Identifier: MIT */
/* devwatch.c — the tunnel device, watched (see devwatch.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devwatch.h"
#include "netconf.h"
#include "nlattr.h"
#include "pollerr.h"

struct devwatch {
	uv_timer_t timer;
	uv_poll_t poll;           /* link events (nl), when the socket opened */
	int nl;                   /* NETLINK_ROUTE, RTMGRP_LINK; -1: none */
	int handles;              /* open libuv handles: freed when the last closed */
	int told;                 /* fn was called: never again */
	int down_seen;            /* a link event said down: fn is due (on_down_seen) */
	char ifname[IF_NAMESIZE];
	int ifindex;
	devwatch_fn fn;
	void *arg;
	devwatch_look_fn look_fn;   /* devwatch_each_look */
	void *look_arg;
};

/* 0 if the device has no IPv6 now: its disable_ipv6 sysctl is gone (the
 * kernel took IPv6 off a device whose MTU went below 1280) or says 1;
 * 1 otherwise, also when the question finds no answer (EMFILE) */
static int has_ipv6(const char *ifname)
{
	char path[96], v = '0';
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT;
	if (read(fd, &v, 1) != 1)
		v = '0';
	close(fd);
	return v != '1';
}

enum devwatch_what devwatch_device(const char *ifname, int ifindex)
{
	struct ifreq ifr;
	unsigned now_index;
	int s, up = 1;

	errno = 0;
	now_index = if_nametoindex(ifname);
	if (devwatch_gone(ifindex, now_index, errno))
		return DEVWATCH_GONE;
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return DEVWATCH_UP;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0)
		up = !!(ifr.ifr_flags & IFF_UP);
	close(s);
	if (!up)
		return DEVWATCH_DOWN;
	return has_ipv6(ifname) ? DEVWATCH_UP : DEVWATCH_NO_IPV6;
}

const char *devwatch_what_name(enum devwatch_what what)
{
	switch (what) {
	case DEVWATCH_UP:
		break;
	case DEVWATCH_GONE:
		return "deleted";
	case DEVWATCH_DOWN:
		return "set down";
	case DEVWATCH_NO_IPV6:
		return "stripped of IPv6 (its MTU set below 1280, or IPv6 disabled on it)";
	}
	return "up";
}

enum devwatch_what devwatch_link_event(const struct nlmsghdr *h, size_t len, int ifindex)
{
	const struct ifinfomsg *ifi;
	const struct rtattr *a;
	uint32_t mtu;
	int left;

	if (!h || len < sizeof(*h) || h->nlmsg_len > len ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) ||
	    (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK))
		return DEVWATCH_UP;
	ifi = NLMSG_DATA(h);
	if (ifi->ifi_family != AF_UNSPEC || ifi->ifi_index != ifindex || ifindex <= 0)
		return DEVWATCH_UP;
	if (h->nlmsg_type == RTM_DELLINK)
		return DEVWATCH_GONE;
	if (!(ifi->ifi_flags & IFF_UP))
		return DEVWATCH_DOWN;
	left = (int)IFLA_PAYLOAD(h);
	for (a = IFLA_RTA(ifi); RTA_OK(a, left); a = RTA_NEXT(a, left))
		if (a->rta_type == IFLA_MTU && nlattr_take(a, &mtu, sizeof(mtu)) &&
		    mtu < DEVWATCH_IPV6_MIN_MTU)
			return DEVWATCH_NO_IPV6;
	return DEVWATCH_UP;
}

/* Tell fn, once: nothing is watched after that */
static void tell(struct devwatch *w, enum devwatch_what what)
{
	if (w->told)
		return;
	w->told = 1;
	uv_timer_stop(&w->timer);
	if (w->nl >= 0)
		uv_poll_stop(&w->poll);
	w->fn(w->arg, w->ifname, w->ifindex, what);
}

static void on_timer(uv_timer_t *t)
{
	struct devwatch *w = t->data;
	enum devwatch_what what = devwatch_device(w->ifname, w->ifindex);

	if (what != DEVWATCH_UP) {
		tell(w, what);
		return;
	}
	if (w->look_fn)
		w->look_fn(w->look_arg);
}

/* The first news of the device in the link events waiting (a bounded
 * read), DEVWATCH_UP if none: lost events (ENOBUFS) give what the device
 * is now. What follows it in the same datagram is not read. */
static enum devwatch_what next_news(struct devwatch *w)
{
	union {
		struct nlmsghdr h;
		char b[16384];
	} buf;
	enum devwatch_what what;
	ssize_t n;
	int left;

	for (int i = 0; i < 64; i++) {
		n = recv(w->nl, buf.b, sizeof(buf.b), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			what = devwatch_device(w->ifname, w->ifindex);
			if (what != DEVWATCH_UP)
				return what;
			continue;
		}
		if (n <= 0)
			break;
		left = (int)n; /* NLMSG_OK's own type: it goes below 0 at the end */
		for (struct nlmsghdr *h = &buf.h; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			what = devwatch_link_event(h, (size_t)left, w->ifindex);
			if (what != DEVWATCH_UP)
				return what;
		}
	}
	return DEVWATCH_UP;
}

/* The device was seen down: deleted by now (its name gone, or its
 * deletion among the events waiting), or down (or up again, its addresses
 * and routes gone all the same) */
static void on_down_seen(uv_timer_t *t)
{
	struct devwatch *w = t->data;
	enum devwatch_what what = devwatch_device(w->ifname, w->ifindex);

	/* each news read is one message less waiting: bounded all the same */
	for (int i = 0; i < 64 && what != DEVWATCH_GONE && w->nl >= 0; i++)
		if ((what = next_news(w)) == DEVWATCH_UP)
			break;
	tell(w, what == DEVWATCH_GONE ? DEVWATCH_GONE : DEVWATCH_DOWN);
}

/* What was learnt of the device: deleted, or stripped of IPv6, or seen
 * down, even if it is up again by now or its MTU back at 1280 or more
 * (either way its addresses and routes are gone all the same); nothing to
 * do for DEVWATCH_UP */
static void act_on(struct devwatch *w, enum devwatch_what what)
{
	if (what == DEVWATCH_GONE || what == DEVWATCH_NO_IPV6) {
		tell(w, what);
	} else if (what == DEVWATCH_DOWN) {
		/* a deletion sets the device down first: which it was is
		 * known a moment later */
		w->down_seen = 1;
		uv_poll_stop(&w->poll);
		uv_timer_start(&w->timer, on_down_seen, DEVWATCH_DECIDE_MS, 0);
	}
}

/* Link events */
static void read_events(struct devwatch *w)
{
	act_on(w, next_news(w));
}

static void on_link_events(uv_poll_t *p, int status, int events)
{
	(void)events;
	/* an overrun (ENOBUFS, taken off here) lost events: the device as it
	 * is now, as next_news does when its read meets the error */
	if (status < 0 && pollerr_resume(p, UV_READABLE, on_link_events,
					 "the netlink socket of the tunnel device's link events") != 0) {
		struct devwatch *w = p->data;
		enum devwatch_what what = devwatch_device(w->ifname, w->ifindex);

		if (what != DEVWATCH_UP) {
			act_on(w, what);
			return;
		}
	}
	read_events(p->data);
}

int devwatch_quiet(struct devwatch *w)
{
	if (!w)
		return 1;
	if (w->nl >= 0 && !w->told && !w->down_seen)
		read_events(w);
	return !w->told && !w->down_seen;
}

int devwatch_intact(struct devwatch *w, const char *ifname, int ifindex)
{
	enum devwatch_what what;

	if (!devwatch_quiet(w))
		return 0;
	what = devwatch_device(ifname, ifindex);
	if (what == DEVWATCH_UP)
		return 1;
	/* seen so now, perhaps as it is so only for a moment (IPv6 disabled
	 * and enabled again, of which no link event tells): its addresses and
	 * routes are gone all the same */
	if (w)
		act_on(w, what);
	return 0;
}

/* A socket that hears link events; -errno if none (the timer still looks) */
static int link_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

int devwatch_start(uv_loop_t *loop, const char *ifname, int ifindex, devwatch_fn fn, void *arg,
		   struct devwatch **out)
{
	struct devwatch *w;
	int rc;

	*out = NULL;
	if (!ifname || strlen(ifname) >= IF_NAMESIZE || ifindex <= 0 || !fn)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	strcpy(w->ifname, ifname);
	w->ifindex = ifindex;
	w->fn = fn;
	w->arg = arg;
	rc = uv_timer_init(loop, &w->timer);
	if (rc < 0) {
		free(w);
		return rc;
	}
	w->timer.data = w;
	w->handles = 1;
	w->nl = link_socket();
	if (w->nl >= 0 && uv_poll_init(loop, &w->poll, w->nl) < 0) {
		close(w->nl);
		w->nl = -1;
	}
	if (w->nl >= 0) {
		w->poll.data = w;
		w->handles++;
		uv_poll_start(&w->poll, UV_READABLE, on_link_events);
	}
	uv_timer_start(&w->timer, on_timer, DEVWATCH_PERIOD_MS, DEVWATCH_PERIOD_MS);
	*out = w;
	return 0;
}

void devwatch_each_look(struct devwatch *w, devwatch_look_fn fn, void *arg)
{
	if (!w)
		return;
	w->look_fn = fn;
	w->look_arg = arg;
}

static void on_closed(uv_handle_t *h)
{
	struct devwatch *w = h->data;

	if (--w->handles > 0)
		return;
	if (w->nl >= 0)
		close(w->nl);
	free(w);
}

void devwatch_close(struct devwatch *w)
{
	if (!w)
		return;
	w->told = 1;
	uv_timer_stop(&w->timer);
	uv_close((uv_handle_t *)&w->timer, on_closed);
	if (w->nl >= 0) {
		uv_poll_stop(&w->poll);
		uv_close((uv_handle_t *)&w->poll, on_closed);
	}
}
