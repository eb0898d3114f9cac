/* SPDX-License-Identifier: MIT */
/*
 * reexec.h — the agent started again in place: the same program, pid and
 * arguments (execv of /proc/self/exe), as a supervisor would restart it
 * after a crash, for a fault only a fresh start mends (devwatch.h). Every
 * descriptor is closed by the exec, the lock of the state directory with
 * them; the new image finds the state the role saved just before, and this
 * run's pid in agent.lock, so it takes the leases or bindings over as after
 * a crash (an anchor holds addresses back, odmagent(8) Restarts).
 */
#ifndef ODM_REEXEC_H
#define ODM_REEXEC_H

/* The arguments main() got, kept for reexec_now (not copied: argv lives
 * as long as the process). */
void reexec_remember(char **argv);
/* The descriptor of agent.lock (agentlock.h), once taken; -1 before. */
void reexec_remember_lock(int fd);
/* Log why, then exec; never returns (exit status 1 if the exec fails).
 * saved: the role saved its whole state just before and holds nothing
 * back, so the lock is marked stopped and the next image starts as after
 * a clean stop (an anchor then holds no addresses back); else it starts
 * as after a crash. */
void reexec_now(const char *why, int saved) __attribute__((noreturn));

#endif
