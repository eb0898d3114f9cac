/* SPDX-License-Identifier: MIT */
/* devwatch.c — the tunnel device, watched (see devwatch.h). */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "devwatch.h"

struct devwatch {
	uv_timer_t timer;
	char ifname[IF_NAMESIZE];
	int ifindex;
	devwatch_fn fn;
	void *arg;
};

int devwatch_device_gone(const char *ifname, int ifindex)
{
	unsigned now_index;

	errno = 0;
	now_index = if_nametoindex(ifname);
	return devwatch_gone(ifindex, now_index, errno);
}

static void on_timer(uv_timer_t *t)
{
	struct devwatch *w = t->data;

	if (!devwatch_device_gone(w->ifname, w->ifindex))
		return;
	uv_timer_stop(&w->timer); /* told once */
	w->fn(w->arg, w->ifname, w->ifindex);
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
