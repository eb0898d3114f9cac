/* SPDX-License-Identifier: MIT */
/* devwatch.c — the tunnel device, watched (see devwatch.h). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devwatch.h"

struct devwatch {
	uv_timer_t timer;
	char ifname[IF_NAMESIZE];
	int ifindex;
	devwatch_fn fn;
	void *arg;
};

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
	return up ? DEVWATCH_UP : DEVWATCH_DOWN;
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
	}
	return "up";
}

static void on_timer(uv_timer_t *t)
{
	struct devwatch *w = t->data;
	enum devwatch_what what = devwatch_device(w->ifname, w->ifindex);

	if (what == DEVWATCH_UP)
		return;
	uv_timer_stop(&w->timer); /* told once */
	w->fn(w->arg, w->ifname, w->ifindex, what);
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
	uv_timer_start(&w->timer, on_timer, DEVWATCH_PERIOD_MS, DEVWATCH_PERIOD_MS);
	*out = w;
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void devwatch_close(struct devwatch *w)
{
	if (!w)
		return;
	uv_timer_stop(&w->timer);
	uv_close((uv_handle_t *)&w->timer, on_closed);
}
