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

#include <stdint.h>

/* At most this many starts in place within the window; the next fault
 * within it stops the agent cleanly (agent_give_up) with exit status
 * REEXEC_EXIT_STATUS, which the packaged unit does not restart
 * (RestartPreventExitStatus), rather than starting again for ever (a device
 * something keeps setting down). The count goes from image to image in
 * REEXEC_ENV; a start by the supervisor counts afresh. */
#define REEXEC_MAX 5
#define REEXEC_WINDOW_MS 60000
#define REEXEC_ENV "ODM_REEXECS"
#define REEXEC_EXIT_STATUS 3

struct reexec_count {
	unsigned n;        /* starts in place since first_ms */
	uint64_t first_ms; /* mono_ms() of the first of them, 0: none */
};
/* The count as the last image left it in text ("N FIRST_MS": decimal
 * digits, one space, nothing else), else
 * none (NULL, or anything else: a count not read is a fresh start). */
void reexec_count_parse(struct reexec_count *c, const char *text);
/* One more start in place at now_ms: 1 if allowed (and counted), 0 if it
 * would be the (REEXEC_MAX + 1)th within REEXEC_WINDOW_MS. */
int reexec_count_take(struct reexec_count *c, uint64_t now_ms);

/* The arguments main() got, kept for reexec_now (not copied: argv lives
 * as long as the process); also reads (and clears) REEXEC_ENV. */
void reexec_remember(char **argv);
/* The descriptor of agent.lock (agentlock.h), once taken; -1 before. */
void reexec_remember_lock(int fd);
/* Log why, then exec; does not return (exit status 1 if the exec fails),
 * but with -EAGAIN, logged, when it would be the (REEXEC_MAX + 1)th start
 * in place within REEXEC_WINDOW_MS: the caller then gives up.
 * saved: the role saved its whole state just before and holds nothing
 * back, so the lock is marked stopped and the next image starts as after
 * a clean stop (an anchor then holds no addresses back); else it starts
 * as after a crash. */
int reexec_now(const char *why, int saved);

#endif
