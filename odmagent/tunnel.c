/* SPDX-License-Identifier: MIT */
/*
 * tunnel.c — backend selection for the data plane (see tunnel.h). The ops
 * table per backend follows iproute2's `struct link_util` (one table per
 * link kind, looked up by name); "auto" takes the first backend in
 * preference order whose probe passes and that opens: the kernel backend
 * where the kernel supports it, "userspace" elsewhere.
 */
#include "tunnel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Preference order for "auto": fastest first, the portable one last. */
static const struct odm_tunnel_ops *const backends[] = {
	&tunnel_kernel_ops,
	&tunnel_bpf_ops,
	&tunnel_userspace_ops,
};

#define N_BACKENDS (sizeof backends / sizeof backends[0])

/* The backend a configured name means, or NULL: "user" is "userspace". */
static const struct odm_tunnel_ops *by_name(const char *name)
{
	if (strcmp(name, "user") == 0)
		name = "userspace";
	for (size_t i = 0; i < N_BACKENDS; i++)
		if (strcmp(name, backends[i]->name) == 0)
			return backends[i];
	return NULL;
}

/* The level a backend's probe logs its failure at: a warning where it was
 * asked for by name or is auto's last; information where auto goes on to
 * the next, as it is meant to on a kernel without that backend. */
static int probe_level(int is_auto, size_t i)
{
	return is_auto && i + 1 < N_BACKENDS ? ODM_LOG_INFO : ODM_LOG_WARN;
}

/* Probe (its failure logged at level) and open ops for t; 0 or -errno
 * (logged), and in why (len bytes) the probe's own words for it, or "" */
static int try_open(struct odm_tunnel *t, const struct odm_tunnel_ops *ops, int level,
		    char *why, size_t len)
{
	int rc;

	why[0] = '\0';
	rc = ops->probe(t->side, level, why, len);

	if (rc < 0)
		return rc; /* the probe logged why */
	t->ops = ops;
	rc = ops->open(t);
	if (rc < 0)
		log_warn(rc, "backend %s could not open %s", ops->name, t->ifname);
	else if (ops != &tunnel_bpf_ops)
		tunnel_bpf_sweep(t->ifname); /* the device may have had them */
	return rc;
}

const char *tunnel_encap_name(enum odm_tunnel_encap encap)
{
	return encap == ODM_ENCAP_UDP ? "udp" : "ip6ip6";
}

/* 1 if the backend can carry encapsulation encap */
static int carries(const struct odm_tunnel_ops *ops, enum odm_tunnel_encap encap)
{
	return encap == ODM_ENCAP_IP6IP6 || ops == &tunnel_userspace_ops;
}

/* 0 if ops can run here on both sides, -errno (why: its probe's words) */
static int probe_both(const struct odm_tunnel_ops *ops, int level, char *why, size_t len)
{
	int rc;

	why[0] = '\0';
	rc = ops->probe(ODM_TUNNEL_HOST, level, why, len);
	return rc < 0 ? rc : ops->probe(ODM_TUNNEL_ANCHOR, level, why, len);
}

int tunnel_probe(const char *backend, const char **chosen, char *why, size_t len)
{
	int rc = -ENODEV;

	*chosen = NULL;
	why[0] = '\0';
	if (backend && *backend && strcmp(backend, "auto") != 0) {
		const struct odm_tunnel_ops *ops = by_name(backend);

		if (!ops)
			return -ENOENT;
		*chosen = ops->name;
		return probe_both(ops, probe_level(0, 0), why, len);
	}
	for (size_t i = 0; i < N_BACKENDS && rc < 0; i++) {
		*chosen = backends[i]->name;
		rc = probe_both(backends[i], probe_level(1, i), why, len);
	}
	return rc;
}

int tunnel_open(struct odm_tunnel **out, uv_loop_t *loop, const char *backend,
		enum odm_tunnel_side side, const char *ifname)
{
	return tunnel_open_encap(out, loop, backend, ODM_ENCAP_IP6IP6, side, ifname);
}

int tunnel_open_encap(struct odm_tunnel **out, uv_loop_t *loop, const char *backend,
		      enum odm_tunnel_encap encap, enum odm_tunnel_side side,
		      const char *ifname)
{
	int is_auto = !backend || !*backend || strcmp(backend, "auto") == 0;
	struct odm_tunnel *t;
	int rc = -ENODEV;

	*out = NULL;
	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ) {
		log_warnx("bad tunnel device name \"%s\"", ifname ? ifname : "");
		return -EINVAL;
	}
	t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	t->loop = loop;
	t->side = side;
	t->encap = encap;
	if (!is_auto) {
		const struct odm_tunnel_ops *ops = by_name(backend);
		char why[64];

		snprintf(t->ifname, sizeof t->ifname, "%s", ifname);
		if (!ops)
			log_warnx("unknown tunnel backend \"%s\"", backend);
		else if (!carries(ops, encap)) {
			log_warnx("tunnel %s cannot carry tunnel-encap %s: only the userspace "
				  "backend can (use tunnel auto or tunnel userspace)", ops->name,
				  tunnel_encap_name(encap));
			rc = -EPROTONOSUPPORT;
		} else if ((rc = try_open(t, ops, probe_level(0, 0), why, sizeof why)) == 0) {
			snprintf(t->why, sizeof t->why, "configured (tunnel %s)", backend);
		} else {
			log_warnx("tunnel %s: the %s backend cannot run on this host%s%s%s; "
				  "\"tunnel auto\" takes the one that can", backend, ops->name,
				  why[0] ? " (" : "", why, why[0] ? ")" : "");
		}
	} else {
		const char *failed = NULL;
		char why[56], failed_why[56] = "";

		for (size_t i = 0; i < N_BACKENDS; i++) {
			snprintf(t->ifname, sizeof t->ifname, "%s", ifname);
			if (!carries(backends[i], encap)) {
				log_info("backend %s skipped: it cannot carry tunnel-encap %s",
					 backends[i]->name, tunnel_encap_name(encap));
				continue;
			}
			rc = try_open(t, backends[i], probe_level(1, i), why, sizeof why);
			if (rc == 0)
				break;
			if (!failed) {
				failed = backends[i]->name;
				snprintf(failed_why, sizeof failed_why, "%s",
					 why[0] ? why : strerror(-rc));
			}
			log_info("backend %s unavailable (%s), trying the next", backends[i]->name,
				 strerror(-rc));
		}
		if (rc == 0 && encap != ODM_ENCAP_IP6IP6)
			snprintf(t->why, sizeof t->why, "auto: tunnel-encap %s is userspace only",
				 tunnel_encap_name(encap));
		else if (rc == 0 && failed)
			snprintf(t->why, sizeof t->why, "auto: %s unavailable on this host: %s", failed,
				 failed_why);
		else if (rc == 0)
			snprintf(t->why, sizeof t->why, "auto: the fastest available");
	}
	if (rc < 0) {
		free(t);
		return rc;
	}
	log_info("tunnel backend %s, encap %s, on %s (ifindex %d, mtu %d, %s side): %s",
		 t->ops->name, tunnel_encap_name(encap), t->ifname, t->ifindex, t->mtu,
		 side == ODM_TUNNEL_ANCHOR ? "anchor" : "host", t->why);
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
	if (t->ops && t->ops->guard)
		t->ops->guard(t);
}

json_t *tunnel_status_json(struct odm_tunnel *t)
{
	struct odm_tunnel_stats st;

	memset(&st, 0, sizeof st);
	if (t)
		(void)t->ops->stats(t, NULL, &st);
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "backend",
			 tunnel_backend_name(t), "encap", t ? tunnel_encap_name(t->encap) : "", "why", t ? t->why : "", "device", t ? t->ifname : "", "rx",
			 (json_int_t)st.rx_packets, "tx", (json_int_t)st.tx_packets, "dropped",
			 (json_int_t)st.dropped, "replayed", (json_int_t)st.replayed, "looped",
			 (json_int_t)st.looped);
}
