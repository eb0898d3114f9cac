/*
 * tunnel.c — backend selection for the data plane (see tunnel.h). The ops
 * table per backend follows iproute2's `struct link_util` (one table per
 * link kind, looked up by name); "auto" takes the first backend in
 * preference order whose probe passes, so a faster kernel backend added
 * before "userspace" is picked where the kernel supports it.
 */
#include "tunnel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Preference order for "auto": fastest first, the portable one last. */
static const struct odm_tunnel_ops *const backends[] = {
	&tunnel_userspace_ops,
};

#define N_BACKENDS (sizeof backends / sizeof backends[0])

static const struct odm_tunnel_ops *pick(const char *name)
{
	int is_auto = !name || !*name || strcmp(name, "auto") == 0;

	for (size_t i = 0; i < N_BACKENDS; i++) {
		const struct odm_tunnel_ops *o = backends[i];

		if (!is_auto && strcmp(name, o->name) != 0)
			continue;
		if (o->probe() == 0)
			return o;
		if (!is_auto)
			return NULL; /* the probe logged why */
		log_info("backend %s unavailable, trying the next", o->name);
	}
	if (!is_auto)
		log_warnx("unknown tunnel backend \"%s\"", name);
	return NULL;
}

int tunnel_open(struct odm_tunnel **out, uv_loop_t *loop, const char *backend,
		enum odm_tunnel_side side, const char *ifname)
{
	const struct odm_tunnel_ops *ops;
	struct odm_tunnel *t;
	int rc;

	*out = NULL;
	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ) {
		log_warnx("bad tunnel device name \"%s\"", ifname ? ifname : "");
		return -EINVAL;
	}
	ops = pick(backend);
	if (!ops)
		return -ENODEV;
	t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	t->ops = ops;
	t->loop = loop;
	t->side = side;
	snprintf(t->ifname, sizeof t->ifname, "%s", ifname);
	rc = ops->open(t);
	if (rc < 0) {
		log_warn(rc, "backend %s could not open %s", ops->name, ifname);
		free(t);
		return rc;
	}
	log_info("tunnel backend %s on %s (ifindex %d, mtu %d, %s side)", ops->name,
		 t->ifname, t->ifindex, t->mtu, side == ODM_TUNNEL_ANCHOR ? "anchor" : "host");
	*out = t;
	return 0;
}

void tunnel_close(struct odm_tunnel *t)
{
	if (!t)
		return;
	t->ops->close(t);
	free(t);
}

const char *tunnel_backend_name(const struct odm_tunnel *t)
{
	return t && t->ops ? t->ops->name : "none";
}

void tunnel_set_guard(struct odm_tunnel *t, const struct in6_addr *prefix, uint8_t plen)
{
	t->guard = *prefix;
	t->guard_plen = plen;
	t->has_guard = 1;
}

json_t *tunnel_status_json(struct odm_tunnel *t)
{
	struct odm_tunnel_stats st;

	memset(&st, 0, sizeof st);
	if (t)
		(void)t->ops->stats(t, NULL, &st);
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "backend",
			 tunnel_backend_name(t), "device", t ? t->ifname : "", "rx",
			 (json_int_t)st.rx_packets, "tx", (json_int_t)st.tx_packets, "dropped",
			 (json_int_t)st.dropped, "replayed", (json_int_t)st.replayed, "looped",
			 (json_int_t)st.looped);
}
