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
 * cleanly and writes AGENTLOCK_STOPPED over it: anything else found there
 * when the lock is taken (a pid, or nothing in a file that was there)
 * means the last run was killed or crashed, or could not even record its
 * pid (an anchor then holds back addresses it may have handed out without
 * saving, anchor.h). The mark is written over the pid, never after an
 * emptied file, so the file keeps its block: a full file system, when the
 * agent is most likely to crash with unsaved state, does not stop the next
 * run from writing its pid in place.
 */
#ifndef ODM_AGENTLOCK_H
#define ODM_AGENTLOCK_H

#include <stddef.h>

#define AGENTLOCK_FILE "agent.lock"
#define AGENTLOCK_STOPPED "stopped\n" /* as long as the longest pid and '\n' */

/*
 * Lock dir (made as statefile_dir makes it): the lock's fd (>= 0), or
 * -EWOULDBLOCK when another process holds it, or another -errno; err says
 * which, naming the directory and, when it can be read, the holder's pid.
 * On success *unclean is 1 if the last holder did not stop cleanly (no
 * AGENTLOCK_STOPPED in a file that was there), else 0. A pid this run
 * cannot record is logged, and the file emptied, which marks it unclean.
 */
int agentlock_take(const char *dir, int *unclean, char *err, size_t errlen);
/* Drop the lock (fd < 0: nothing); clean: the agent stopped as asked and
 * saved its state, so the next one finds AGENTLOCK_STOPPED. */
void agentlock_release(int fd, int clean);
/* Write AGENTLOCK_STOPPED over the pid now, keeping the lock (an agent
 * about to start again in place with its state saved, reexec.h); 0 or
 * -errno. */
int agentlock_mark_stopped(int fd);
/*
 * Is fd still the lock file at dir's AGENTLOCK_FILE? Looked at once a
 * second by the running agent: were the state-dir removed (rm -rf) or the
 * file removed or replaced under it, a second agent could take the
 * directory, and a crash of this one would leave the next run no mark of
 * it. The directory is then made again and the lock taken again in a new
 * file with this agent's pid (said once, naming the path): the new fd is
 * returned and fd closed. fd itself while the file is its, or when the
 * lock cannot be taken again (logged once for each error, *said keeping
 * the last one, 0 at first; tried again at the next look).
 */
int agentlock_check(int fd, const char *dir, int *said);

#endif
