/* SPDX-License-Identifier: MIT */
/*
 * chashare.h — what a shim's cha.<host> lookups (chalookup.h) share with
 * the other processes of its user, through the agent (odmagent(8),
 * cha-check and cha-result).
 *
 * A process remembers a lookup that got no answer; a new one knew nothing
 * of it, and with the DNS silent every short-lived process waited the
 * whole CHALOOKUP_MAX_WAIT_MS again. Now a lookup that gets no answer is
 * said to the agent, and one about to be waited for asks it first, while
 * its query is already out (so an agent's answer costs nothing where the
 * DNS answers later than it does): told that another process of the user
 * got no answer for that name lately, it is not waited for, and ends as a
 * lookup with no answer would after its wait (odm(7)). After the agent's
 * memory ends, the first process to ask looks again (a probe) while the
 * others are still told to skip it, and says how it went.
 *
 * The agent call is bounded by CHASHARE_ASK_MS, waiting for the process's
 * agent connection included; without an agent (or an older one) the
 * lookup goes on as before. Only lookups made for a socket are concerned:
 * nothing here runs in getaddrinfo() or in a connect() that needs no
 * lease. Names the protocol does not carry (ipc_name_ok) are not shared.
 */
#ifndef ODM_CHASHARE_H
#define ODM_CHASHARE_H

#pragma GCC visibility push(hidden)

#define CHASHARE_ASK_MS 200

/* 1: the user's processes saw cha.<node> get no answer lately, do not
 * wait for it (said with ODM_DEBUG); 0: wait, *probe 1 when this one is
 * to say how it went (chashare_said) whatever it was */
int chashare_skip(const char *node, int *probe);

/* The lookup of cha.<node> that chashare_skip let be waited for ended with
 * r (chalookup_finish's): said to the agent when it got no answer in time,
 * or when it was a probe (chashare_report) */
void chashare_said(const char *node, int r, int probe);

/*
 * What a lookup that ended with r (probe: this process was the one to
 * look again) tells the agent: -1 nothing, 0 that it got no answer, 1 that
 * it got one. One that could send no query (-EMFILE, -ENFILE) says
 * nothing, a probe's too: the agent forgets the name when the probe's
 * 3 s are up (odmagent(8) cha-check), the others skipping it till then.
 * A process in secure-execution mode (secure: getauxval(3) AT_SECURE, a
 * set-user-ID program and the like) never says it got no answer: the user
 * who started it can stop it (kill(2) SIGSTOP: its real uid is theirs)
 * past its wait, and its report would make the processes of the user it
 * runs as (root's) skip that name.
 */
int chashare_report(int r, int probe, int secure);

#pragma GCC visibility pop

#endif
