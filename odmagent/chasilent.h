/* SPDX-License-Identifier: MIT */
/*
 * chasilent.h — the host agent's short memory of cha.<host> lookups that
 * got no answer, kept for the shims of one user's processes (no I/O; time
 * is an argument).
 *
 * A shim looks cha.<host> up when a socket first needs the answer and waits
 * for it up to 2 s (odm(7)); a process remembers a lookup that got no
 * answer, but a new process knows nothing of it. With the DNS out of reach
 * (silent, not refusing), every short-lived process (a shell loop of curl)
 * waited the whole 2 s again. A shim whose lookup got no answer says so
 * (chasilent_note); one about to look the name up asks first
 * (chasilent_check) and, told so, does not wait: it goes on as after a
 * lookup that got no answer.
 *
 * What one user's shims say holds for that user's processes only: no other
 * user can make anyone's lookups be skipped. A report holds for
 * CHASILENT_HOLD_MS; after that the first process to ask looks the name up
 * again (it is told it probes), and the others are told to skip it for
 * CHASILENT_PROBE_MS more, while its lookup runs, so that a burst of
 * processes does not all wait at once. Its answer ends the memory
 * (chasilent_note, answered), its silence starts a new hold; a probe that
 * says nothing ends it too.
 *
 * Bounded: CHASILENT_MAX names in all, CHASILENT_PER_UID of one user. A
 * name evicted early costs a process the wait it would have had anyway.
 */
#ifndef ODM_CHASILENT_H
#define ODM_CHASILENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CHASILENT_MAX 256
#define CHASILENT_PER_UID 64
#define CHASILENT_HOLD_MS 10000
/* a lookup waits 2 s at most (odm(7)): the probe's with time to say so */
#define CHASILENT_PROBE_MS 3000
/* a host name, without "cha.", as the control protocol takes it (ipc.h) */
#define CHASILENT_NAME_MAX 249 /* ODM_IPC_NAME_MAX */

struct chasilent_entry {
	int used;
	uid_t uid;
	uint64_t until_ms;       /* the hold ends then */
	uint64_t probe_until_ms; /* 0, or a probe runs until then */
	char name[CHASILENT_NAME_MAX + 1]; /* lower case, no trailing dot */
};

struct chasilent {
	struct chasilent_entry e[CHASILENT_MAX];
	uint64_t notes, spared; /* reports taken; checks told to skip */
};

/*
 * Whether uid's process about to look cha.<name> up at now should not:
 * 1, and *left_ms the time the memory holds still; 0 to look it up, with
 * *probe 1 when it is the process that looks again after a hold (it says
 * how its lookup went, whatever it was), else 0.
 */
int chasilent_check(struct chasilent *s, uid_t uid, const char *name, uint64_t now,
		    uint64_t *left_ms, int *probe);

/* uid's lookup of cha.<name> got no answer (answered 0: held anew from
 * now) or an answer (answered 1: forgotten). 0, or -EINVAL for a name
 * that is empty or longer than CHASILENT_NAME_MAX. */
int chasilent_note(struct chasilent *s, uid_t uid, const char *name, int answered,
		   uint64_t now);

/* The host moved (its access addresses changed): the DNS it reaches may
 * be another (resolv.conf rewritten for the new network), and what went
 * unanswered before says nothing of it; every name is forgotten, so that
 * the next process looks it up again. How many names were held at now. */
size_t chasilent_forget_all(struct chasilent *s, uint64_t now);

/* names held at now (a probe included) */
size_t chasilent_count(const struct chasilent *s, uint64_t now);

#endif
