/* SPDX-License-Identifier: MIT */
/*
 * tunnel_bpf.c — the "bpf" tunnel backend: the kernel moves the packets,
 * through two tc programs (bpf/tunnel.bpf.c) that put and take the RFC 2473
 * header, for kernels that have neither seg6 lightweight tunnels nor
 * ip6tnl. No packet passes through the agent; it keeps the programs' maps.
 *
 * The tunnel device is a persistent TUN device nobody reads, as the kernel
 * backend's: the routes into it (the host's table of anchored addresses,
 * the anchor's routes to them) stay as they are for every backend. The
 * encapsulating program sits at its egress and sends each packet, once
 * encapsulated, out of the interface the routing tables give its outer
 * destination. The decapsulating program sits at the ingress of every
 * Ethernet interface (looked for again every second and whenever a
 * binding's local endpoint changes: a host's new access link, an anchor's
 * uplink made anew). Per binding of an anchored address
 * ("inner") to (local, remote) the agent writes one element of the map
 * "binds" and keeps local in "locals"; a move is one element written, so
 * the packets that follow take the new endpoints.
 *
 * A killed agent leaves the device, its routes and the programs (with
 * their maps) in place: the kernel keeps forwarding. A restarted agent
 * loads the programs anew and fills their maps with the bindings it
 * restores, while the earlier run's programs go on; when it has restored
 * them (settle) its programs take the earlier ones' places, one filter
 * replace per hook. A clean close removes the filters, the device, and
 * each clsact qdisc this run made, or the earlier one it took over from
 * (noted in the programs' conf map), that no other filter is left on.
 *
 * The anchor's replay after a move (replay.h) works as in the kernel
 * backend: a capture on the anchor's side keeps what it can send again
 * (replaycap.h).
 */
#include "tunnel.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "monotime.h"
#include "movement.h"
#include "netconf.h"
#include "oifmemo.h"
#include "replaycap.h"
#include "timens.h"
#include "tunnel_bpf_abi.h"
#include "tunnel_bpf_obj.h"
#include "tunnel_dev.h"
#include "tunnel_guard.h"
#include "tunnel_table.h"
#include "tunnel_tc.h"

#define PATH_MTU 1500
/* bindings the map holds: a host has a few, an anchor up to its pool */
#define HOST_BINDINGS 4096
#define ANCHOR_BINDINGS (1u << 20)
/* counters read at most this often (ms), and on the host side this often by
 * a timer (the last-traffic times, as tunnel_kernel.c); on the anchor side
 * the unbound packets are looked for this often */
#define READ_EVERY_MS 100
/* the host side looks its bindings' outgoing interfaces up this often (and
 * for new interfaces to decapsulate on); an anchor, with many, this many
 * of them every READ_EVERY_MS, in turn */
#define ROUTES_EVERY_MS 1000
#define ROUTES_PER_TICK 64
/* both sides look this often that their filters are still in place */
#define FILTERS_EVERY_MS 1000
#define UNROUTED_MAX 64
/* interfaces noted as having the decapsulating program, at most */
#define IFS_MAX 1024
/* the filters' priorities: this base plus a hash of the device's name */
#define PRIO_BASE 0xc000u

struct bp {
	struct odm_tunnel *t;
	struct bpf_object *obj;
	int binds, locals, conf, counts, unbound, unbound_again; /* map fds */
	uint32_t seed; /* conf's, for the decap program's seen slots */
	int encap_fd, decap_fd;                   /* program fds */
	uint32_t encap_id, decap_id;              /* and the kernel's ids */
	uint32_t prio;
	int attached; /* this run's programs are in place (else at settle) */
	int list_err; /* the error the last listing of the interfaces said */
	/* the local endpoints and how many bindings each has (an anchor has
	 * one, a host one per access link: a short list, no walk of the
	 * bindings per bind) */
	struct lref {
		struct in6_addr addr;
		size_t n;
	} *lrefs;
	size_t n_lrefs, cap_lrefs;
	/* the interfaces noted for this run's decap program, whether it
	 * went on (one that refused is not tried again), and whether its
	 * clsact qdisc was made for it, by this run or an earlier one
	 * (deleted at close if left empty) */
	struct hook_if {
		int idx, on, made;
	} *ifs;
	int made_dirty; /* a made changed since write_conf noted them */
	size_t n_ifs, cap_ifs;
	struct tunnel_table tt;
	struct odm_tunnel_stats total;
	uint64_t read_ms;
	uv_timer_t timer;
	int timer_on;
	struct replaycap *cap; /* anchor side; NULL: moves replay nothing */
	/* bindings with no outgoing interface yet, looked up again every tick
	 * (those past UNROUTED_MAX wait for their turn in reroute) */
	struct in6_addr unrouted[UNROUTED_MAX];
	size_t n_unrouted;
	uint64_t routes_ms; /* when the host side last looked them all up */
	uint64_t filters_ms; /* when keep_filters last looked */
	size_t cursor;      /* anchor side: the bucket the next look starts at */
	struct oifmemo memo; /* a reroute walk's answers, by (local, remote) */
	/* what the agent's time namespace adds to the programs' boot-time
	 * stamps (timens.h): 0 outside one */
	int64_t boot_off_ns;
};

/* libbpf's warnings into the agent's log; its chatter left out */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof line, fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	/* the kernel's word for a clsact qdisc that is there already (an
	 * earlier run's, or the other hook's): EEXIST, which tunnel_tc_attach
	 * takes as success, so no warning */
	if (strstr(line, "Exclusivity flag on")) {
		log_debug("libbpf: %s (the qdisc is there already)", line);
		return 0;
	}
	log_warnx("libbpf: %s", line);
	return 0;
}

/* The programs loaded into the kernel (verified), the binds map sized for
 * side; 0 or -errno. */
static int load(enum odm_tunnel_side side, struct bpf_object **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, o, .object_name = "odm_tunnel");
	struct bpf_object *obj;
	struct bpf_map *m;
	int rc;

	libbpf_set_print(libbpf_log);
	obj = bpf_object__open_mem(odm_tunnel_bpf_obj,
				   (size_t)(odm_tunnel_bpf_obj_end - odm_tunnel_bpf_obj), &o);
	if (!obj)
		return -errno;
	m = bpf_object__find_map_by_name(obj, "binds");
	if (!m) {
		bpf_object__close(obj);
		return -ENOENT;
	}
	(void)bpf_map__set_max_entries(m, side == ODM_TUNNEL_ANCHOR ? ANCHOR_BINDINGS
								    : HOST_BINDINGS);
	/* 2 MiB an anchor's decap program needs, a host's not */
	m = bpf_object__find_map_by_name(obj, "seen");
	if (m && side != ODM_TUNNEL_ANCHOR)
		(void)bpf_map__set_max_entries(m, 1);
	rc = bpf_object__load(obj);
	if (rc < 0) {
		bpf_object__close(obj);
		return rc;
	}
	*out = obj;
	return 0;
}

static int bpf_probe(enum odm_tunnel_side side, int level, char *why, size_t len)
{
	struct bpf_object *obj;
	int rc;

	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		rc = -errno;
		odm_log_at(level, rc, "bpf backend: /dev/net/tun");
		return rc;
	}
	rc = load(side, &obj);
	if (rc < 0) {
		odm_log_at(level, rc, "bpf backend: the kernel did not take the tc programs%s",
			 rc == -EPERM ? " (needs CAP_BPF and CAP_NET_ADMIN)" : "");
		snprintf(why, len, "tc programs refused: %s", strerror(-rc));
		return rc;
	}
	bpf_object__close(obj);
	return 0;
}

/* the kernel's id of the program fd, 0 if it cannot be had */
static uint32_t prog_id(int fd)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof info;

	memset(&info, 0, sizeof info);
	return bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ? 0 : info.id;
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

static int prog_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	return p ? bpf_program__fd(p) : -ENOENT;
}

static uint32_t prio_of(const char *ifname)
{
	uint32_t h = 2166136261u; /* FNV-1a, folded to 14 bits */

	for (const char *c = ifname; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	return PRIO_BASE + ((h ^ (h >> 14)) & 0x3fff);
}

/* side, nest limit and guarded prefix into the programs' conf */
static int write_conf(struct bp *p)
{
	const struct odm_tunnel *t = p->t;
	struct odm_bpf_conf c;
	uint32_t zero = 0;

	memset(&c, 0, sizeof c);
	c.side = t->side == ODM_TUNNEL_ANCHOR;
	c.nest_max = TUNNEL_NEST_MAX;
	c.seed = p->seed;
	/* the TCP and IPv6 headers (no options) take 60 of a segment */
	c.mss_max = t->side == ODM_TUNNEL_HOST && t->inner_max > 60 ? (uint32_t)t->inner_max - 60 : 0;
	c.has_guard = (uint32_t)t->has_guard;
	c.guard_plen = t->guard_plen;
	memcpy(&c.guard, &t->guard, sizeof c.guard);
	for (size_t i = 0, n = 0; i < p->n_ifs && n < ODM_BPF_MADE_MAX; i++)
		if (p->ifs[i].made)
			c.made[n++] = (uint32_t)p->ifs[i].idx;
	p->made_dirty = 0;
	return bpf_map_update_elem(p->conf, &zero, &c, BPF_ANY) < 0 ? -errno : 0;
}

static int has_if(const struct bp *p, int ifindex)
{
	for (size_t i = 0; i < p->n_ifs; i++)
		if (p->ifs[i].idx == ifindex)
			return 1;
	return 0;
}

/* 1 if the earlier run whose program prog_id holds a filter on ifindex
 * noted that interface's clsact qdisc as made by it (write_conf), else 0:
 * one whose conf cannot be read (an agent that kept no such note) did not */
static int earlier_made(int ifindex, uint32_t prog_id)
{
	uint32_t ids[16], zero = 0, len;
	struct bpf_prog_info pi;
	int pfd = bpf_prog_get_fd_by_id(prog_id), made = 0;

	if (pfd < 0)
		return 0;
	memset(&pi, 0, sizeof pi);
	pi.nr_map_ids = 16;
	pi.map_ids = (uint64_t)(uintptr_t)ids;
	len = sizeof pi;
	if (bpf_obj_get_info_by_fd(pfd, &pi, &len) < 0)
		pi.nr_map_ids = 0;
	for (uint32_t i = 0; i < pi.nr_map_ids && i < 16 && !made; i++) {
		struct bpf_map_info mi;
		struct odm_bpf_conf c;
		int mfd = bpf_map_get_fd_by_id(ids[i]);

		if (mfd < 0)
			continue;
		memset(&mi, 0, sizeof mi);
		len = sizeof mi;
		if (bpf_obj_get_info_by_fd(mfd, &mi, &len) == 0 && !strcmp(mi.name, "conf") &&
		    mi.value_size == sizeof c && bpf_map_lookup_elem(mfd, &zero, &c) == 0)
			for (size_t j = 0; j < ODM_BPF_MADE_MAX && c.made[j]; j++)
				made |= c.made[j] == (uint32_t)ifindex;
		close(mfd);
	}
	close(pfd);
	return made;
}

/* The decapsulating program on every Ethernet interface it is not on yet. */
static void attach_ingress(struct bp *p)
{
	struct if_nameindex *ni = if_nameindex(), *i;

	if (!ni) {
		int e = errno ? errno : ENOMEM;

		/* said once a streak: the look comes each second (an agent out
		 * of descriptors would say it every time) */
		if (e != p->list_err)
			log_warn(e, "bpf backend: listing the interfaces (looked at again each "
				 "second; said again if its error changes)");
		p->list_err = e;
		return;
	}
	if (p->list_err) {
		log_info("bpf backend: the interfaces are listed again");
		p->list_err = 0;
	}
	for (i = ni; i->if_index; i++) {
		int idx = (int)i->if_index, rc, prev;

		if (idx == p->t->ifindex || has_if(p, idx) || tunnel_tc_is_ether(idx) != 1)
			continue;
		if (p->n_ifs == IFS_MAX)
			p->n_ifs = 0; /* interfaces came and went: attach is a replace */
		if (p->n_ifs == p->cap_ifs) {
			size_t cap = p->cap_ifs ? 2 * p->cap_ifs : 8;
			struct hook_if *v = realloc(p->ifs, cap * sizeof *v);

			if (!v)
				break;
			p->ifs = v;
			p->cap_ifs = cap;
		}
		/* an earlier run's filter in place (a restart): the qdisc is
		 * this run's to delete at its close if that run noted it as
		 * made, read before the replace lets that program go */
		libbpf_set_print(NULL); /* the kernel's words for no qdisc */
		prev = tunnel_tc_prog_id(idx, TUNNEL_TC_INGRESS, p->prio);
		prev = prev > 0 && (uint32_t)prev != p->decap_id &&
		       earlier_made(idx, (uint32_t)prev);
		libbpf_set_print(libbpf_log);
		/* noted either way: one that refuses is not tried (and logged)
		 * again every second */
		rc = tunnel_tc_attach(idx, TUNNEL_TC_INGRESS, p->decap_fd, p->prio);
		p->ifs[p->n_ifs].idx = idx;
		p->ifs[p->n_ifs].made = rc > 0 || (rc == 0 && prev);
		p->made_dirty |= p->ifs[p->n_ifs].made;
		p->ifs[p->n_ifs++].on = rc >= 0;
		if (rc < 0)
			log_warn(rc, "bpf backend: no decapsulation on %s", i->if_name);
		else
			log_debug("bpf backend: decapsulating on %s (tc ingress, priority %u)",
				  i->if_name, p->prio);
	}
	if_freenameindex(ni);
}

/* The filters at prio off every interface's ingress and ifname's egress:
 * this run's, or before settle the earlier run's. */
static void detach_all(const char *ifname, uint32_t prio)
{
	struct if_nameindex *ni;
	int dev = (int)if_nametoindex(ifname);

	/* most interfaces have no such filter (or no clsact): libbpf would
	 * warn for each */
	libbpf_set_print(NULL);
	ni = if_nameindex();
	if (dev > 0)
		(void)tunnel_tc_detach(dev, TUNNEL_TC_EGRESS, prio);
	if (ni) {
		for (struct if_nameindex *i = ni; i->if_index; i++)
			if ((int)i->if_index != dev)
				(void)tunnel_tc_detach((int)i->if_index, TUNNEL_TC_INGRESS, prio);
		if_freenameindex(ni);
	}
	libbpf_set_print(libbpf_log);
}

void tunnel_bpf_sweep(const char *ifname)
{
	detach_all(ifname, prio_of(ifname));
}

uint32_t tunnel_bpf_prio(const char *ifname)
{
	return prio_of(ifname);
}

/* This run's programs in place of any earlier run's; 0 or -errno */
static int attach(struct bp *p)
{
	int rc = tunnel_tc_attach(p->t->ifindex, TUNNEL_TC_EGRESS, p->encap_fd, p->prio);

	if (rc < 0) {
		log_warn(rc, "bpf backend: encapsulation on %s (tc egress)", p->t->ifname);
		return rc;
	}
	p->attached = 1;
	attach_ingress(p);
	if (p->made_dirty && write_conf(p) < 0)
		log_warnx("bpf backend: the qdiscs made could not be noted for a restart");
	return 0;
}

/* this run's filter at hook of ifindex, found gone (found 0) or running
 * another program (found: that one's id), put back, with a warning; what
 * tunnel_tc_attach said */
static int put_back(struct bp *p, int ifindex, enum tunnel_tc_hook hook, int found)
{
	int egress = hook == TUNNEL_TC_EGRESS, rc;
	char name[IF_NAMESIZE];

	rc = tunnel_tc_attach(ifindex, hook, egress ? p->encap_fd : p->decap_fd, p->prio);
	if (!if_indextoname((unsigned)ifindex, name))
		snprintf(name, sizeof name, "#%d", ifindex);
	if (rc < 0)
		log_warn(rc, "bpf backend: the %s program's filter on %s (tc %s, priority %u) is "
			 "gone and could not be put back",
			 egress ? "encapsulating" : "decapsulating", name,
			 egress ? "egress" : "ingress", p->prio);
	else
		log_warnx("bpf backend: the %s program's filter on %s (tc %s, priority %u) %s: "
			  "put back",
			  egress ? "encapsulating" : "decapsulating", name,
			  egress ? "egress" : "ingress", p->prio,
			  found ? "ran another program" : "was deleted by someone else");
	return rc;
}

/*
 * This run's filters still in place: one deleted by someone else (tc filter
 * del, or the clsact qdisc deleted, which takes every filter of the
 * interface with it) or taken by another program is put back, with a
 * warning; until then the tunnel's packets pass that hook untouched, and
 * are lost. An interface that went is forgotten.
 */
static void keep_filters(struct bp *p)
{
	int id;

	if (!p->encap_id || !p->decap_id)
		return; /* ours cannot be told from another's */
	libbpf_set_print(NULL); /* the kernel's words for a missing filter */
	id = tunnel_tc_prog_id(p->t->ifindex, TUNNEL_TC_EGRESS, p->prio);
	if (id >= 0 && (uint32_t)id != p->encap_id)
		(void)put_back(p, p->t->ifindex, TUNNEL_TC_EGRESS, id);
	for (size_t i = 0; i < p->n_ifs;) {
		struct hook_if *h = &p->ifs[i];

		if (!h->on) {
			i++;
			continue;
		}
		id = tunnel_tc_prog_id(h->idx, TUNNEL_TC_INGRESS, p->prio);
		if (id == -ENODEV) {
			p->made_dirty |= h->made;
			*h = p->ifs[--p->n_ifs];
			continue;
		}
		if (id >= 0 && (uint32_t)id != p->decap_id &&
		    put_back(p, h->idx, TUNNEL_TC_INGRESS, id) > 0) {
			p->made_dirty |= !h->made;
			h->made = 1; /* the qdisc went with it: the new one is ours */
		}
		i++;
	}
	libbpf_set_print(libbpf_log);
}

static void on_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

static void bp_free(struct bp *p)
{
	replaycap_close(p->cap);
	p->cap = NULL;
	if (p->obj)
		bpf_object__close(p->obj);
	p->obj = NULL;
	tunnel_table_free(&p->tt);
	free(p->lrefs);
	free(p->ifs);
	p->ifs = NULL;
	if (p->timer_on)
		uv_close((uv_handle_t *)&p->timer, on_timer_closed); /* frees p */
	else
		free(p);
}

static void refresh(struct bp *p);
static void take_counters(struct bp *p, struct tunnel_entry *e);
static void take_unbound(struct bp *p);

static void reroute(struct bp *p, size_t budget);
static void retry_unrouted(struct bp *p);

static void on_timer(uv_timer_t *h)
{
	struct bp *p = h->data;
	uint64_t now = mono_ms();

	if (p->t->side == ODM_TUNNEL_HOST) {
		int due = now - p->routes_ms >= ROUTES_EVERY_MS;

		if (p->n_unrouted || due) {
			p->n_unrouted = 0; /* the walk notes those still without */
			reroute(p, SIZE_MAX); /* a host has a few */
		}
		if (due)
			p->routes_ms = now;
	} else {
		retry_unrouted(p);
		reroute(p, ROUTES_PER_TICK);
	}
	if (p->attached && now - p->filters_ms >= FILTERS_EVERY_MS) {
		p->filters_ms = now;
		keep_filters(p);
		/* an interface that came (back): a host's new access link, an
		 * anchor's uplink made anew */
		attach_ingress(p);
		if (p->made_dirty && write_conf(p) < 0)
			log_warnx("bpf backend: the qdiscs made could not be noted for a restart");
	}
	if (p->t->side == ODM_TUNNEL_HOST)
		refresh(p);
	else if (p->t->unbound)
		take_unbound(p);
}

static int bp_open(struct odm_tunnel *t)
{
	struct bp *p = calloc(1, sizeof *p);
	int rc, restart = 0;

	if (!p)
		return -ENOMEM;
	p->t = t;
	if (getrandom(&p->seed, sizeof p->seed, GRND_NONBLOCK) != sizeof p->seed)
		p->seed = (uint32_t)getpid();
	/* in a time namespace that moved the boot-time clock, the programs'
	 * stamps were that far off mono_ms(): a UDP lease in use ended idle
	 * at each look (a clock ahead), or never (one behind) */
	rc = timens_boot_offset(&p->boot_off_ns);
	if (rc < 0)
		log_warn(rc, "bpf backend: reading /proc/self/timens_offsets: the traffic times "
			     "of its programs are taken as this time namespace's");
	else if (p->boot_off_ns)
		log_info("bpf backend: in a time namespace whose boot-time clock is %+lld ms off "
			 "the kernel's: its programs' traffic times are moved by as much",
			 (long long)(p->boot_off_ns / 1000000));
	rc = tunnel_table_init(&p->tt);
	if (rc < 0)
		goto fail;
	/* an earlier run's device: its programs go on until settle */
	restart = if_nametoindex(t->ifname) > 0;
	rc = tunnel_dev_persistent(t, PATH_MTU - TUNNEL_IP6IP6_OVERHEAD);
	if (rc < 0)
		goto fail_dev;
	rc = load(t->side, &p->obj);
	if (rc < 0)
		goto fail_dev;
	p->binds = map_fd(p->obj, "binds");
	p->locals = map_fd(p->obj, "locals");
	p->conf = map_fd(p->obj, "conf");
	p->counts = map_fd(p->obj, "counts");
	p->unbound = map_fd(p->obj, "unbound");
	p->unbound_again = map_fd(p->obj, "unbound_again");
	p->encap_fd = prog_fd(p->obj, "odm_encap");
	p->decap_fd = prog_fd(p->obj, "odm_decap");
	if (p->binds < 0 || p->locals < 0 || p->conf < 0 || p->counts < 0 || p->unbound < 0 ||
	    p->unbound_again < 0 || p->encap_fd < 0 || p->decap_fd < 0) {
		rc = -ENOENT;
		goto fail_dev;
	}
	p->encap_id = prog_id(p->encap_fd);
	p->decap_id = prog_id(p->decap_fd);
	p->prio = prio_of(t->ifname);
	rc = write_conf(p);
	if (rc < 0)
		goto fail_dev;
	if (restart)
		log_info("bpf backend: %s was there: the earlier run's programs go on until "
			 "the bindings are restored", t->ifname);
	else if ((rc = attach(p)) < 0)
		goto fail_dev;
	if (uv_timer_init(t->loop, &p->timer) == 0) {
		p->timer.data = p;
		p->timer_on = 1;
		uv_timer_start(&p->timer, on_timer, READ_EVERY_MS, READ_EVERY_MS);
	}
	if (t->side == ODM_TUNNEL_ANCHOR && (rc = replaycap_open(&p->cap, t->loop, tunnel_table_replayed, &p->tt)) < 0)
		log_warn(rc, "bpf backend: no capture of tunnelled packets, moves will not replay");
	t->priv = p;
	return 0;
fail_dev:
	/* an earlier run's data path is left running (a backend opened in
	 * this one's place sweeps it, tunnel_bpf_sweep) */
	if (!restart) {
		detach_all(t->ifname, prio_of(t->ifname));
		tunnel_dev_drop(t);
	}
fail:
	bp_free(p);
	return rc;
}

static void bp_close(struct odm_tunnel *t)
{
	struct bp *p = t->priv;

	if (!p)
		return;
	t->priv = NULL;
	if (p->timer_on)
		uv_timer_stop(&p->timer);
	detach_all(t->ifname, p->prio); /* before settle: the earlier run's */
	/* a qdisc this run made goes too, unless another filter is on it */
	libbpf_set_print(NULL);
	for (size_t i = 0; i < p->n_ifs; i++)
		if (p->ifs[i].made)
			(void)tunnel_tc_release(p->ifs[i].idx);
	libbpf_set_print(libbpf_log);
	tunnel_dev_drop(t); /* its routes go with it */
	bp_free(p);
}

/* The interface the kernel routes local -> remote out of, or 0: no route
 * (yet), the binding of inner is noted to be looked up again each tick,
 * its packets dropped until then. */
static uint32_t out_of(struct bp *p, const struct in6_addr *inner, const struct in6_addr *local,
		       const struct in6_addr *remote)
{
	int oif;

	/* the kernel routes from a source the host no longer has as from any
	 * other (RTM_GETROUTE does not check it): a host's care-of address
	 * that is gone is no route, or a hold (bp_hold) would end at the next
	 * tick wherever a default route is (a new link's, its address still
	 * tentative), its packets sent from an address the host lacks */
	if (!oifmemo_get(&p->memo, local, remote, &oif)) {
		if (p->t->side == ODM_TUNNEL_HOST && !IN6_IS_ADDR_UNSPECIFIED(local) &&
		    netconf_is_local(local) == 0)
			oif = -EADDRNOTAVAIL;
		else
			oif = netconf_route_oif(remote,
						IN6_IS_ADDR_UNSPECIFIED(local) ? NULL : local);
		oifmemo_put(&p->memo, local, remote, oif);
	}
	if (oif > 0)
		return (uint32_t)oif;
	for (size_t i = 0; i < p->n_unrouted; i++)
		if (memcmp(&p->unrouted[i], inner, sizeof *inner) == 0)
			return 0;
	if (p->n_unrouted < UNROUTED_MAX)
		p->unrouted[p->n_unrouted++] = *inner;
	log_debug("bpf backend: no route to the outer destination yet (%s); looked for again",
		  strerror(-oif));
	return 0;
}

/* e's outgoing interface looked up again and written if it changed; 1 if
 * it has one now */
static int route_again(struct bp *p, const struct tunnel_entry *e)
{
	struct odm_bpf_bind v;
	uint32_t oif;

	if (IN6_IS_ADDR_UNSPECIFIED(&e->local) ||
	    bpf_map_lookup_elem(p->binds, &e->inner, &v) < 0)
		return 1; /* nothing to route (yet), or gone */
	oif = out_of(p, &e->inner, &e->local, &e->remote);
	if (oif != v.ifindex) {
		v.ifindex = oif;
		(void)bpf_map_update_elem(p->binds, &e->inner, &v, BPF_EXIST);
	}
	return oif != 0;
}

/* The bindings noted without an outgoing interface, looked up again. */
static void retry_unrouted(struct bp *p)
{
	size_t n = p->n_unrouted;
	struct in6_addr v[UNROUTED_MAX];

	memcpy(v, p->unrouted, n * sizeof v[0]);
	p->n_unrouted = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tunnel_entry *e = tunnel_table_find(&p->tt, &v[i]);

		if (e)
			(void)route_again(p, e);
	}
}

/*
 * Outgoing interfaces looked up again, as routes change between binds (a
 * link flaps, a default router goes): budget bindings (whole buckets, so a
 * few more) from where the last look stopped.
 */
static void reroute(struct bp *p, size_t budget)
{
	size_t done = 0, nb = p->tt.nbuckets;

	if (budget >= p->tt.count) {
		p->cursor = 0;
		budget = SIZE_MAX;
	}
	/* the bindings share a few (local, remote) pairs: one question each */
	oifmemo_begin(&p->memo);
	for (size_t k = 0; k < nb && done < budget; k++) {
		size_t b = (p->cursor + k) % nb;

		for (const struct tunnel_entry *e = p->tt.tab[b]; e; e = e->next, done++)
			(void)route_again(p, e);
		if (done >= budget)
			p->cursor = (b + 1) % nb;
	}
	oifmemo_end(&p->memo);
}

static struct lref *lref_find(struct bp *p, const struct in6_addr *a)
{
	for (size_t i = 0; i < p->n_lrefs; i++)
		if (memcmp(&p->lrefs[i].addr, a, sizeof *a) == 0)
			return &p->lrefs[i];
	return NULL;
}

/* one binding more at local a; 0 or -ENOMEM */
static int lref_inc(struct bp *p, const struct in6_addr *a)
{
	struct lref *r = lref_find(p, a);

	if (r) {
		r->n++;
		return 0;
	}
	if (p->n_lrefs == p->cap_lrefs) {
		size_t cap = p->cap_lrefs ? 2 * p->cap_lrefs : 4;
		struct lref *v = realloc(p->lrefs, cap * sizeof *v);

		if (!v)
			return -ENOMEM;
		p->lrefs = v;
		p->cap_lrefs = cap;
	}
	p->lrefs[p->n_lrefs].addr = *a;
	p->lrefs[p->n_lrefs++].n = 1;
	return 0;
}

/* one binding fewer at local a: how many it has left */
static size_t lref_dec(struct bp *p, const struct in6_addr *a)
{
	struct lref *r = lref_find(p, a);

	if (!r)
		return 0;
	if (--r->n)
		return r->n;
	*r = p->lrefs[--p->n_lrefs];
	return 0;
}

static int local_add(struct bp *p, const struct in6_addr *local)
{
	uint32_t one = 1;
	int rc;

	if (bpf_map_update_elem(p->locals, local, &one, BPF_ANY) < 0)
		return -errno;
	if (p->attached)
		attach_ingress(p); /* a host's new access link */
	/* the anchor's capture copies what leaves from here on */
	if (p->cap && (rc = replaycap_source(p->cap, local)) < 0)
		log_warn(rc, "capture filter: moves will not replay");
	return 0;
}

static void local_del(struct bp *p, const struct in6_addr *local)
{
	(void)bpf_map_delete_elem(p->locals, local);
}

/*
 * New binding or move: the new local endpoint is decapsulated at first,
 * then the binding's element is written (packets go and are taken the new
 * way from the next one on), then a local endpoint no binding uses goes.
 * The element keeps its counters across a move.
 */
static int bp_bind(struct odm_tunnel *t, const struct in6_addr *inner,
		   const struct in6_addr *local, const struct in6_addr *remote)
{
	struct bp *p = t->priv;
	struct tunnel_entry *e;
	struct odm_bpf_bind v;
	struct in6_addr src = *local, old_local;
	int had, rc, new_local;

	if (!p || !inner || !local || !remote)
		return -EINVAL;
	/* a host taking a lease over binds it before it knows its care-of
	 * address (::): the source the kernel picks toward the anchor */
	if (IN6_IS_ADDR_UNSPECIFIED(local) && (rc = movement_coa(NULL, remote, NULL, &src)) < 0)
		log_warn(rc, "bpf backend: no source address toward the anchor yet");
	if (tunnel_table_loops(&p->tt, t, inner, &src, remote))
		return -ELOOP;
	replaycap_bind_began(p->cap, inner, mono_ms());
	e = tunnel_table_find(&p->tt, inner);
	had = e != NULL;
	if (had && memcmp(&e->local, &src, sizeof src) == 0 &&
	    memcmp(&e->remote, remote, sizeof *remote) == 0)
		return 0; /* a refresh: nothing to write */
	new_local = !IN6_IS_ADDR_UNSPECIFIED(&src) && !lref_find(p, &src);
	if (new_local && (rc = local_add(p, &src)) < 0) {
		log_warn(rc, "bpf backend: local endpoint");
		return rc;
	}
	if (!IN6_IS_ADDR_UNSPECIFIED(&src) && (rc = lref_inc(p, &src)) < 0)
		goto undo;
	memset(&v, 0, sizeof v);
	if (had)
		(void)bpf_map_lookup_elem(p->binds, inner, &v);
	memcpy(&v.local, &src, sizeof v.local);
	memcpy(&v.remote, remote, sizeof v.remote);
	/* no source yet: dropped until a bind gives the care-of address */
	v.ifindex = IN6_IS_ADDR_UNSPECIFIED(&src) ? 0 : out_of(p, inner, &src, remote);
	if (!had && !(e = tunnel_table_add(&p->tt, inner))) {
		rc = -ENOMEM;
		goto undo_ref;
	}
	if (bpf_map_update_elem(p->binds, inner, &v, BPF_ANY) < 0) {
		rc = -errno;
		log_warn(rc, "bpf backend: binding element");
		if (!had)
			(void)tunnel_table_del(&p->tt, inner);
		goto undo_ref;
	}
	old_local = had ? e->local : src;
	e->local = src;
	e->remote = *remote;
	/* the binding's count moves from its old local endpoint to src */
	if (had && !IN6_IS_ADDR_UNSPECIFIED(&old_local) && lref_dec(p, &old_local) == 0)
		local_del(p, &old_local);
	return 0;
undo_ref:
	if (!IN6_IS_ADDR_UNSPECIFIED(&src))
		(void)lref_dec(p, &src);
undo:
	if (new_local)
		local_del(p, &src);
	return rc;
}

static int bp_unbind(struct odm_tunnel *t, const struct in6_addr *inner)
{
	struct bp *p = t->priv;
	struct tunnel_entry *e;
	struct in6_addr local;
	int rc;

	if (!p || !inner)
		return -EINVAL;
	e = tunnel_table_find(&p->tt, inner);
	if (!e)
		return -ENOENT;
	local = e->local;
	/* its last packets go into the totals, not only those the last poll saw */
	take_counters(p, e);
	replaycap_forget(p->cap, inner);
	(void)bpf_map_delete_elem(p->binds, inner);
	rc = tunnel_table_del(&p->tt, inner);
	if (!IN6_IS_ADDR_UNSPECIFIED(&local) && lref_dec(p, &local) == 0) {
		local_del(p, &local);
		if (p->cap && p->tt.count == 0)
			(void)replaycap_source(p->cap, NULL);
	}
	return rc;
}

/* dropped and looped, summed over the CPUs */
static void read_counts(struct bp *p, struct odm_tunnel_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v;

	if (ncpu <= 0 || !(v = calloc((size_t)ncpu, sizeof *v)))
		return;
	for (uint32_t k = 0; k < ODM_BPF_NCOUNT; k++) {
		uint64_t n = 0;

		if (bpf_map_lookup_elem(p->counts, &k, v) < 0)
			continue;
		for (int c = 0; c < ncpu; c++)
			n += v[c];
		if (k == ODM_BPF_DROPPED)
			sum->dropped = n;
		else
			sum->looped = n;
	}
	free(v);
}

/* e's binding element's counters and times, read now, into e's stats; the
 * programs stamp each packet (CLOCK_BOOTTIME, monotime.h's clock, but the
 * initial time namespace's: timens.h) */
static void take_counters(struct bp *p, struct tunnel_entry *e)
{
	struct odm_bpf_bind v;

	if (bpf_map_lookup_elem(p->binds, &e->inner, &v) < 0)
		return;
	if (v.rx_at_ns)
		e->st.last_rx_ms = timens_stamp_ms(v.rx_at_ns, p->boot_off_ns);
	if (v.tx_at_ns)
		e->st.last_tx_ms = timens_stamp_ms(v.tx_at_ns, p->boot_off_ns);
	e->st.rx_packets = v.rx_packets;
	e->st.rx_bytes = v.rx_bytes;
	e->st.tx_packets = v.tx_packets;
	e->st.tx_bytes = v.tx_bytes;
}

static void refresh(struct bp *p)
{
	uint64_t now = mono_ms();
	struct odm_tunnel_stats sum;

	if (p->read_ms && now - p->read_ms < READ_EVERY_MS)
		return;
	p->read_ms = now;
	memset(&sum, 0, sizeof sum);
	read_counts(p, &sum);
	for (size_t i = 0; i < p->tt.nbuckets; i++)
		for (struct tunnel_entry *e = p->tt.tab[i]; e; e = e->next) {
			take_counters(p, e);
		}
	tunnel_table_sum(&p->tt, &sum);
	p->total = sum;
}

/* Anchor side: every (inner source, outer source) the programs found no
 * binding for since the last look, to t->unbound, and forgotten: those
 * seen again first (a flood of forged sources does not reach them), then
 * those seen once (tunnel_bpf_abi.h). */
static void take_unbound_of(struct bp *p, int fd)
{
	struct odm_bpf_unbound keys[ODM_BPF_UNBOUND_MAX];
	size_t n = 0;
	int more;

	more = bpf_map_get_next_key(fd, NULL, &keys[0]) == 0;
	while (more && n < ODM_BPF_UNBOUND_MAX) {
		int dup = 0;

		/* a walk whose last key the program's updates pushed out of the
		 * LRU map starts again from the first key: a pair read twice
		 * would look to the anchor like one seen again (anchor.h) */
		for (size_t j = 0; j < n && !dup; j++)
			dup = memcmp(&keys[j], &keys[n], sizeof(keys[n])) == 0;
		if (dup)
			break;
		n++;
		if (n < ODM_BPF_UNBOUND_MAX)
			more = bpf_map_get_next_key(fd, &keys[n - 1], &keys[n]) == 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct in6_addr inner, osrc;

		(void)bpf_map_delete_elem(fd, &keys[i]);
		memcpy(&inner, &keys[i].inner, sizeof inner);
		memcpy(&osrc, &keys[i].osrc, sizeof osrc);
		p->t->unbound(p->t->unbound_arg, &inner, &osrc);
	}
}

static void take_unbound(struct bp *p)
{
	take_unbound_of(p, p->unbound_again);
	take_unbound_of(p, p->unbound);
}

static int bp_stats(struct odm_tunnel *t, const struct in6_addr *inner,
		    struct odm_tunnel_stats *st)
{
	struct bp *p = t->priv;
	struct tunnel_entry *e;

	if (!p || !st)
		return -EINVAL;
	refresh(p);
	/* one binding's read fresh, not as the last poll left it: a host dates
	 * a move's loss by its last packet received (hostengine.c) */
	if (inner && (e = tunnel_table_find(&p->tt, inner)))
		take_counters(p, e);
	return tunnel_table_stats(&p->tt, &p->total, inner, st);
}

/* Anchor side: inner moved; the capture sends its outage again (as
 * tunnel_kernel.c's, counted back from when the move's bind began). */
/* last_tag is not looked for: the capture keeps only the heads of
 * super-packets, which no host receives as such (replaycap.h) */
static size_t bp_moved(struct odm_tunnel *t, const struct in6_addr *inner, int has_lost,
		       uint32_t lost_ago_ms, uint32_t last_tag, int same)
{
	struct bp *p = t->priv;
	struct tunnel_entry *e = p ? tunnel_table_find(&p->tt, inner) : NULL;

	if (!e)
		return 0;
	/* the last packet from the host as the programs stamped it, not as
	 * the last poll saw it (up to READ_EVERY_MS older) */
	take_counters(p, e);
	(void)last_tag;
	replaycap_binding_moved(p->cap, e, has_lost, lost_ago_ms, same);
	return 0;
}

static void bp_guard(struct odm_tunnel *t)
{
	struct bp *p = t->priv;

	if (p && write_conf(p) < 0)
		log_warnx("bpf backend: the guarded prefix is not in place");
}

static void bp_path(struct odm_tunnel *t)
{
	struct bp *p = t->priv;

	if (p && write_conf(p) < 0)
		log_warnx("bpf backend: the MSS for a path of %d bytes inside is not in place",
			  t->inner_max);
}

struct stale {
	struct bp *p;
	struct netconf *nc;
	size_t n;
};

/* an anchor's route to an anchored address into the device, of the
 * earlier run, whose binding this run did not restore: it goes */
static void stale_route(void *arg, const struct in6_addr *dst)
{
	struct stale *st = arg;

	if (tunnel_table_find(&st->p->tt, dst))
		return;
	if (netconf_route_del(st->nc, dst, 128, st->p->t->ifindex, 0) == 0)
		st->n++;
}

/*
 * The bindings are restored: this run's programs take the earlier run's
 * places (nothing to do on a fresh start: they are in place since open);
 * on an anchor, the routes into the device of bindings it did not restore
 * go too (removed from the state, or expired while it was down).
 */
static void bp_settle(struct odm_tunnel *t)
{
	struct bp *p = t->priv;
	struct stale st = { .p = p };
	int rc;

	if (!p || p->attached)
		return;
	if (attach(p) < 0)
		return;
	if (t->side == ODM_TUNNEL_ANCHOR && netconf_open(&st.nc) == 0) {
		rc = netconf_route_each128(st.nc, t->ifindex, 0, stale_route, &st);
		if (rc < 0)
			log_warn(rc, "bpf backend: looking for the earlier run's routes");
		netconf_close(st.nc);
	}
	log_info("bpf backend: this run's programs replace the earlier run's on %s, with %zu "
		 "bindings; %zu routes of no restored binding removed", t->ifname, p->tt.count, st.n);
}

/* tunnel.h hold: interface 0, which the encapsulating program drops with
 * TC_ACT_SHOT (the sender's transmit fails: NET_XMIT_DROP); noted as
 * unrouted, so each tick looks again until a route from local is back,
 * should the same care-of address return without a bind */
static void bp_hold(struct odm_tunnel *t, const struct in6_addr *local,
		    const struct in6_addr *remote)
{
	struct bp *p = t->priv;
	struct odm_bpf_bind v;
	size_t n = 0;

	if (!p)
		return;
	for (size_t k = 0; k < p->tt.nbuckets; k++)
		for (const struct tunnel_entry *e = p->tt.tab[k]; e; e = e->next) {
			if (!IN6_ARE_ADDR_EQUAL(&e->local, local) ||
			    !IN6_ARE_ADDR_EQUAL(&e->remote, remote) ||
			    bpf_map_lookup_elem(p->binds, &e->inner, &v) < 0 || !v.ifindex)
				continue;
			v.ifindex = 0;
			if (bpf_map_update_elem(p->binds, &e->inner, &v, BPF_EXIST) == 0)
				n++;
			if (p->n_unrouted < UNROUTED_MAX)
				p->unrouted[p->n_unrouted++] = e->inner;
		}
	if (n)
		log_debug("bpf backend: %zu bindings hold their packets back (no care-of address)",
			  n);
}

const struct odm_tunnel_ops tunnel_bpf_ops = {
	.name = "bpf",
	.rx_each_packet = 1, /* the programs stamp each packet: rx_at_ns */
	.probe = bpf_probe,
	.open = bp_open,
	.close = bp_close,
	.bind = bp_bind,
	.unbind = bp_unbind,
	.stats = bp_stats,
	.moved = bp_moved,
	.hold = bp_hold,
	.guard = bp_guard,
	.path = bp_path,
	.settle = bp_settle,
};
