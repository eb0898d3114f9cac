/* SPDX-License-Identifier: MIT */
/*
 * devwatch.h — the tunnel device, watched. Deleted under a running agent
 * (ip link del, a network manager's clean-up), or set down (ip link set
 * down, which also deletes its addresses and routes), or stripped of IPv6
 * (an MTU below 1280, or disable_ipv6: the kernel deletes them too, and
 * none can be put back), it carries nothing more: every session through it stops, and every new lease or binding
 * that needs it fails, until the agent builds it again. The kernel's link
 * events say so at once (a device set down and straight up again has lost
 * its addresses and routes all the same); a timer also looks once a second
 * whether the device's name still names its index, whether it is up (two
 * ioctls) and whether it has IPv6 (a sysctl read), for what the events do
 * not say (a rename, lost events, disable_ipv6).
 * The role then starts the agent again in place (reexec.h), which builds
 * the device or sets it up, and takes its leases or bindings over as after
 * a crash.
 */
#ifndef ODM_DEVWATCH_H
#define ODM_DEVWATCH_H

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <uv.h>

#define DEVWATCH_PERIOD_MS 1000
#define DEVWATCH_DECIDE_MS 20 /* a device seen down: deleted, or only down? */
#define DEVWATCH_IPV6_MIN_MTU 1280 /* RFC 8200 §5: below it Linux takes IPv6 off */

struct devwatch;

enum devwatch_what {
	DEVWATCH_UP = 0, /* there, and up */
	DEVWATCH_GONE,   /* deleted, or renamed */
	DEVWATCH_DOWN,   /* there, set down */
	DEVWATCH_NO_IPV6, /* there and up, without IPv6: its MTU set below
			   * 1280 or IPv6 disabled on it, and so its addresses
			   * and routes deleted by the kernel */
};
typedef void (*devwatch_fn)(void *arg, const char *ifname, int ifindex, enum devwatch_what what);

/* 1 if the device of ifindex is gone: its name names no device now
 * (if_nametoindex gave 0 with errno ENODEV) or another one. 0 with
 * another errno (no descriptor for the ioctl: EMFILE, ENOMEM) says
 * nothing about the device, so it is not gone. */
static inline int devwatch_gone(int ifindex, unsigned now_index, int err)
{
	return now_index == 0 ? err == ENODEV : (int)now_index != ifindex;
}

/* What the device is now: devwatch_gone (one ioctl), then whether it is
 * up (another), then whether it has IPv6 (its disable_ipv6 sysctl there,
 * and 0). A question the kernel does not answer (no descriptor) says
 * DEVWATCH_UP: nothing is known to be wrong. */
enum devwatch_what devwatch_device(const char *ifname, int ifindex);
/* What one rtnetlink message says of the device of ifindex: RTM_DELLINK
 * of it, GONE; RTM_NEWLINK of it without IFF_UP, DOWN; with an IFLA_MTU
 * below 1280, NO_IPV6; anything else (other devices, families, messages),
 * UP. Bounded by h->nlmsg_len, which must be within len. */
struct nlmsghdr;
enum devwatch_what devwatch_link_event(const struct nlmsghdr *h, size_t len, int ifindex);
/* Whether the link events sent so far leave the device as it was: they
 * are read now (the kernel tells the deletions of a device's addresses and
 * routes before the down that caused them). 0 once one said deleted,
 * down or stripped of IPv6, even if the device is up again or its MTU back
 * (fn is called, or due). w NULL: 1. */
int devwatch_quiet(struct devwatch *w);
/* devwatch_quiet, and the device (ifname, ifindex: w's) up with IPv6 now
 * (devwatch_device); what it is seen to be otherwise is acted on as a link
 * event saying it would be (fn is called, or due), since it may be so only
 * for a moment, and then 0. */
int devwatch_intact(struct devwatch *w, const char *ifname, int ifindex);
/* "deleted", "set down", "stripped of IPv6 ..." (a log line's words), "up" */
const char *devwatch_what_name(enum devwatch_what what);

/* Watch ifname (ifindex): fn once, when it is gone or down. 0, or -errno. */
int devwatch_start(uv_loop_t *loop, const char *ifname, int ifindex, devwatch_fn fn, void *arg,
		   struct devwatch **out);
/* Also call fn at each look that finds the device there and up: what else
 * the role checks once a second on the same clock (the anchor: where
 * packets to its pool and to its access addresses go). */
typedef void (*devwatch_look_fn)(void *arg);
void devwatch_each_look(struct devwatch *w, devwatch_look_fn fn, void *arg);
/* Stop watching (NULL: nothing); the memory goes when its handles closed. */
void devwatch_close(struct devwatch *w);

#endif
