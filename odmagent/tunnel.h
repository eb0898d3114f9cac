/* SPDX-License-Identifier: MIT */
/*
 * tunnel.h — the data plane: RFC 2473 IPv6-in-IPv6 between a host's care-of
 * address and an anchor, behind one ops table (the iproute2 link_util idea),
 * so backends can be swapped: "kernel" (seg6 lightweight tunnels and
 * nftables, tunnel_kernel.c: the kernel moves the packets) where the kernel
 * has them, "bpf" (tc programs, tunnel_bpf.c: the kernel moves the packets)
 * where it runs BPF, "userspace" (TUN + raw IPPROTO_IPV6 socket,
 * tunnel_user.c: the agent moves them) on any kernel.
 *
 * One tunnel device per agent carries every anchored address. Each anchored
 * address ("inner") is bound to a pair of outer endpoints (local, remote):
 *   ODM_TUNNEL_HOST   (mn):     packets the kernel routes into the device
 *                               with inner SOURCE == inner are sent local->remote;
 *                               received packets for inner DESTINATION == inner
 *                               are accepted only from outer source == remote.
 *   ODM_TUNNEL_ANCHOR (anchor): packets routed into the device with inner
 *                               DESTINATION == inner go local->remote (the CoA);
 *                               received packets with inner SOURCE == inner are
 *                               accepted only from outer source == remote.
 * Everything else is dropped and counted. Re-binding an inner address to new
 * endpoints (a move) is atomic for the packets that follow.
 *
 * Loops are impossible by construction (tunnel_guard.h): a remote endpoint
 * that is a bound inner address, the local endpoint, or inside the guarded
 * prefix (the anchor's pool, tunnel_set_guard) is refused at bind time and
 * again for every packet sent; on the anchor side a decapsulated packet
 * whose destination is anchored is not sent back toward the device; and a
 * packet nested deeper than TUNNEL_NEST_MAX never enters or leaves. Each
 * refusal is counted in "looped".
 */
#ifndef ODM_TUNNEL_H
#define ODM_TUNNEL_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>

enum odm_tunnel_side { ODM_TUNNEL_HOST = 0, ODM_TUNNEL_ANCHOR = 1 };
/* what carries the inner packets between the endpoints: RFC 2473
 * IPv6-in-IPv6 (both backends), or IPv6 | UDP 4191 | inner, the outer
 * encapsulation of RFC 5555 (userspace backend only: the kernel and UDP
 * segmentation offloads apply to it, tunnel_udp.h) */
enum odm_tunnel_encap { ODM_ENCAP_IP6IP6 = 0, ODM_ENCAP_UDP = 1 };

struct odm_tunnel_stats {
	uint64_t tx_packets, tx_bytes;  /* encapsulated and sent */
	uint64_t rx_packets, rx_bytes;  /* received and decapsulated */
	uint64_t last_tx_ms, last_rx_ms; /* mono_ms() (monotime.h), 0 = never */
	/* HOST side, where the backend sees each inner packet (userspace):
	 * the pkttag of the last one received (pkttag.h), 0 = not known */
	uint32_t last_rx_tag;
	uint64_t dropped;               /* failed the endpoint checks */
	uint64_t replayed;              /* sent again after a move (replay.h) */
	uint64_t looped;                /* refused by the loop guard */
};

struct odm_tunnel;

struct odm_tunnel_ops {
	const char *name;
	/* 1: stats' last_rx_ms is when the last packet was read (or, for the
	 * bpf backend, decapsulated), so none came after it (a host dates its
	 * loss by it, hostengine.c); 0: it is only when a poll of counters
	 * last saw them rise */
	int rx_each_packet;
	/* 1: an outer packet larger than its path carries leaves in the
	 * kernel's fragments, and fragments that come are reassembled and
	 * taken, as RFC 2473 section 7 asks of a tunnel entry point where the
	 * path cannot carry 1280 bytes inside (userspace); 0: such a packet
	 * is lost (kernel, bpf: see odmagent(8), Tunnel MTU) */
	int outer_frag;
	/* 0 if this backend can run on this kernel for side, -errno (logged
	 * at level: ODM_LOG_INFO where auto goes on to the next backend, as
	 * it is meant to) if not, and then, where it can, why in a few words
	 * (for auto's status: "no seg6 lightweight tunnels in this kernel") */
	int (*probe)(enum odm_tunnel_side side, int level, char *why, size_t len);
	int (*open)(struct odm_tunnel *t);
	void (*close)(struct odm_tunnel *t);
	/* add or replace the binding of inner to (local, remote) */
	int (*bind)(struct odm_tunnel *t, const struct in6_addr *inner,
		    const struct in6_addr *local, const struct in6_addr *remote);
	int (*unbind)(struct odm_tunnel *t, const struct in6_addr *inner);
	/* per inner address; inner NULL = totals of the device */
	int (*stats)(struct odm_tunnel *t, const struct in6_addr *inner,
		     struct odm_tunnel_stats *st);
	/* optional, ANCHOR side: inner was just bound to a new CoA after a
	 * move; the host said it lost its old one lost_ago_ms before its BU
	 * (has_lost), so what went to the old one since then may be sent
	 * again (replay.h); last_tag, when not 0, names the last packet it
	 * received there (pkttag.h), and a backend that keeps whole packets
	 * sends again those after it instead. same: the CoA is the one it
	 * had (its link came back after a time without carrier), so what
	 * went to it in the outage is sent again too. Returns how many
	 * packets were. */
	size_t (*moved)(struct odm_tunnel *t, const struct in6_addr *inner, int has_lost,
			uint32_t lost_ago_ms, uint32_t last_tag, int same);
	/* optional, HOST side: the care-of address local is gone and none
	 * has come yet (a move under way): the packets of the bindings from
	 * local to remote are dropped at once, as sent, until a bind gives
	 * them a care-of address again or local is routed again. Sent into a
	 * link that is down, they would count as sent and be lost, each a
	 * hole a TCP sender fills only at its retransmission timeout (200 ms
	 * at least); refused where they are sent, they stay in the sender's
	 * queue and go when the path is back (a UDP sender with IPV6_RECVERR
	 * sees ENOBUFS). */
	void (*hold)(struct odm_tunnel *t, const struct in6_addr *local,
		     const struct in6_addr *remote);
	/* optional: t->guard was just set (tunnel_set_guard) */
	void (*guard)(struct odm_tunnel *t);
	/* optional, HOST side, for a backend that cannot fragment outer
	 * packets (outer_frag 0): t->inner_max was just changed; the backend
	 * has the TCP connections made from now on agree on segments that fit
	 * it (the bpf backend: the MSS option of SYNs, both ways) */
	void (*path)(struct odm_tunnel *t);
	/* optional, HOST side: read the packets that have arrived and wait
	 * for the agent, so that stats' last_rx_ms covers them (a backend
	 * that queues them in a socket; hostengine.c dates a move's loss) */
	void (*drain_rx)(struct odm_tunnel *t);
	/* optional, HOST side: the same for what the host's programs sent
	 * into the device, so that stats' last_tx_ms covers it (a backend
	 * that reads the device; lease.c judges a UDP lease's silence) */
	void (*drain_tx)(struct odm_tunnel *t);
	/* optional: the bindings of the last run are restored (bound again);
	 * data path state of that run they do not explain may go now, and a
	 * data path the last run left running may be taken over */
	void (*settle)(struct odm_tunnel *t);
};

/* the outer IPv6 header every backend puts in front (no encapsulation
 * limit option); tunnel-encap udp adds 8 (TUDP_OVERHEAD) */
#define TUNNEL_IP6IP6_OVERHEAD 40

struct odm_tunnel {
	const struct odm_tunnel_ops *ops;
	uv_loop_t *loop;
	enum odm_tunnel_side side;
	enum odm_tunnel_encap encap; /* set before open */
	char ifname[IFNAMSIZ];
	int ifindex;   /* set by open */
	int mtu;       /* inner MTU set by open (path MTU - 40), fitted to the
			* host's link since (tunnel_mtu.h) */
	int mtu_max;   /* the MTU open set: the ceiling of fitting (0: not yet) */
	int mtu_keep_told; /* tunnel_mtu_keep could not put it back: said once */
	int small_told; /* a path under 1280 + the encapsulation fitted to: its
			 * MTU, said once (tunnel_fit_link), 0: none */
	int inner_max;  /* HOST side: the largest inner packet such a path
			 * carries whole, below the device's 1280 (0: none) */
	void *priv;    /* backend state */
	/* no outer destination inside guard/guard_plen (has_guard) */
	struct in6_addr guard;
	uint8_t guard_plen;
	int has_guard;
	/* ANCHOR side, optional: a tunnelled packet whose inner source has no
	 * binding (e.g. one a restart without state lost), or one to another
	 * endpoint (a move the anchor did not save), came from outer source
	 * osrc; called before it is dropped (the kernel backends report such
	 * pairs a poll later) */
	void (*unbound)(void *arg, const struct in6_addr *inner, const struct in6_addr *osrc);
	void *unbound_arg;
	/* HOST side: the routing table the host's rules for anchored
	 * addresses lead to (the kernel backend routes them there); 0 = main.
	 * Set before the first bind. */
	uint32_t route_table;
	char why[96]; /* why this backend was chosen, for the log and status */
};

/*
 * Create t with the backend named ("kernel", "userspace" or "user"), or
 * "auto": the first in order of preference whose probe passes and whose
 * open succeeds; the choice and why are logged and kept in t->why. Its
 * device ifname is up, addrgenmode none.
 */
int tunnel_open(struct odm_tunnel **out, uv_loop_t *loop, const char *backend,
		enum odm_tunnel_side side, const char *ifname);
/* The same with encapsulation encap: ODM_ENCAP_UDP makes "auto" pick the
 * userspace backend and "kernel" fail with -EPROTONOSUPPORT (logged). */
int tunnel_open_encap(struct odm_tunnel **out, uv_loop_t *loop, const char *backend,
		      enum odm_tunnel_encap encap, enum odm_tunnel_side side,
		      const char *ifname);
/* Whether backend ("auto": the first in auto's order) can run here, on both
 * sides: 0 or -errno (-ENOENT: no backend of that name); *chosen names the
 * backend it came to (NULL: none), why its probe's words (len bytes). */
int tunnel_probe(const char *backend, const char **chosen, char *why, size_t len);
/* "ip6ip6" or "udp" */
const char *tunnel_encap_name(enum odm_tunnel_encap encap);
void tunnel_close(struct odm_tunnel *t);
const char *tunnel_backend_name(const struct odm_tunnel *t);
/* Never send an outer packet to an address in prefix/plen (the anchor's pool) */
void tunnel_set_guard(struct odm_tunnel *t, const struct in6_addr *prefix, uint8_t plen);
/* {backend, encap, why, device, rx, tx, dropped, replayed, looped}: the device totals, for status replies
 * of both roles (t may be NULL: an empty backend and zero counts) */
json_t *tunnel_status_json(struct odm_tunnel *t);

/* tunnel_user.c */
extern const struct odm_tunnel_ops tunnel_userspace_ops;
/* tunnel_kernel.c */
extern const struct odm_tunnel_ops tunnel_kernel_ops;
/* tunnel_bpf.c */
extern const struct odm_tunnel_ops tunnel_bpf_ops;
/* The bpf backend's filters for device ifname off every interface: what an
 * earlier run on it left, when another backend takes the device over */
void tunnel_bpf_sweep(const char *ifname);
/* The priority of the bpf backend's filters for device ifname (on its
 * egress and every interface's ingress): a hash of the name, so two agents
 * on one host keep apart */
uint32_t tunnel_bpf_prio(const char *ifname);

#endif
