/* SPDX-License-Identifier: MIT */
/*
 * agentlock.h — one agent per state directory. odmagent.conf(5) says two
 * agents must not share a state-dir: the second would take over the first
 * one's leases or bindings from its state file, re-register and end them,
 * and remove the tunnel device, rules and routes the first one still uses.
 *
 * The agent takes an exclusive flock(2) on DIR/agent.lock before it touches
 * anything (control socket, netlink, state, tunnel) and holds it for its
 * life. The kernel drops it when the process ends, however it ends (kill -9
 * too), so an agent started again never waits for it. The file holds the
 * holder's pid, for the message that names it, until the holder stops
 * cleanly and empties it: a pid found there when the lock is taken means
 * the last run was killed or crashed (an anchor then holds back addresses
 * it may have handed out without saving, anchor.h).
 */
#ifndef ODM_AGENTLOCK_H
#define ODM_AGENTLOCK_H

#include <stddef.h>

#define AGENTLOCK_FILE "agent.lock"

/*
 * Lock dir (made as statefile_dir makes it): the lock's fd (>= 0), or
 * -EWOULDBLOCK when another process holds it, or another -errno; err says
 * which, naming the directory and, when it can be read, the holder's pid.
 * On success *unclean is 1 if the last holder did not stop cleanly (its pid
 * is still in the file), else 0.
 */
int agentlock_take(const char *dir, int *unclean, char *err, size_t errlen);
/* Drop the lock (fd < 0: nothing); clean: the agent stopped as asked and
 * saved its state, so the next one finds the file empty. */
void agentlock_release(int fd, int clean);

#endif
