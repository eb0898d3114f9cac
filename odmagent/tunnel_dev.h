/* SPDX-License-Identifier: MIT */
/*
 * tunnel_dev.h — the TUN device that carries a tunnel's anchored addresses
 * and routes, shared by the backends (tunnel.h). The userspace backend
 * reads and writes it; the kernel backend only needs it as the device its
 * routes name, so it makes it persistent (TUNSETPERSIST): the device, its
 * addresses and its routes then outlive the agent, and the kernel keeps
 * forwarding while the agent is down.
 */
#ifndef ODM_TUNNEL_DEV_H
#define ODM_TUNNEL_DEV_H

#include "tunnel.h"

/* An interface's MTU: read (SIOCGIFMTU) or set (SIOCSIFMTU) *mtu of
 * ifname; 0 or -errno */
int tunnel_dev_mtu(unsigned long req, const char *ifname, int *mtu);

/* Attach to (or create) the TUN device t->ifname; the fd, or -errno.
 * t->ifname gets the kernel's name for it. */
int tunnel_dev_open(struct odm_tunnel *t);
/*
 * The same with IFF_VNET_HDR: every read and write carries a struct
 * virtio_net_hdr first (tunnel_gso.h, tunnel_gro.h); *offloaded is set
 * when the kernel also took TSO6 and checksum offload (TUNSETOFFLOAD).
 * The fd, or -errno.
 */
int tunnel_dev_open_offload(struct odm_tunnel *t, int *offloaded);
/* Make the device of fd persistent (on) or not; 0 or -errno. */
int tunnel_dev_persist(int fd, int on);
/* A kernel backend's device: t->ifname made (or found) persistent, set up
 * (tunnel_dev_setup) with inner MTU mtu, t->mtu and t->ifindex set, no fd
 * kept; 0 or -errno (the device may then be there: tunnel_dev_drop). */
int tunnel_dev_persistent(struct odm_tunnel *t, int mtu);
/* The persistent device t->ifname made not persistent and gone (with
 * every route naming it); nothing if it is not there. */
void tunnel_dev_drop(struct odm_tunnel *t);
/* addrgenmode none, no RAs, MTU t->mtu, a long queue, up; 0 or -errno */
int tunnel_dev_setup(struct odm_tunnel *t);

#endif
