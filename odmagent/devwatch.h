/* SPDX-License-Identifier: MIT */
/*
 * devwatch.h — the tunnel device, watched. Deleted under a running agent
 * (ip link del, a network manager's clean-up), or set down (ip link set
 * down, which also deletes its addresses and routes), it carries nothing
 * more: every session through it stops, and every new lease or binding
 * that needs it fails, until the agent builds it again. A timer looks once
 * a second whether the device's name still names its index, and whether it
 * is up (two ioctls); the role then starts the agent again in place
 * (reexec.h), which builds the device or sets it up, and takes its leases
 * or bindings over as after a crash.
 */
#ifndef ODM_DEVWATCH_H
#define ODM_DEVWATCH_H

#include <errno.h>
#include <uv.h>

#define DEVWATCH_PERIOD_MS 1000

struct devwatch;

enum devwatch_what {
	DEVWATCH_UP = 0, /* there, and up */
	DEVWATCH_GONE,   /* deleted, or renamed */
	DEVWATCH_DOWN,   /* there, set down */
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
 * up (another). A question the kernel does not answer (no descriptor)
 * says DEVWATCH_UP: nothing is known to be wrong. */
enum devwatch_what devwatch_device(const char *ifname, int ifindex);
/* "deleted", "set down" (a log line's words), "up" */
const char *devwatch_what_name(enum devwatch_what what);

/* Watch ifname (ifindex): fn once, when it is gone or down. 0, or -errno. */
int devwatch_start(uv_loop_t *loop, const char *ifname, int ifindex, devwatch_fn fn, void *arg,
		   struct devwatch **out);
/* Stop watching (NULL: nothing); the memory goes when the timer closed. */
void devwatch_close(struct devwatch *w);

#endif
