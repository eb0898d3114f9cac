/* SPDX-License-Identifier: MIT */
/*
 * peerinfo.h — what the kernel says about a control client beyond what it
 * recorded at connect (SO_PEERCRED's uid, gid and pid, SO_PEERGROUPS's
 * groups: control.h): its executable (/proc/PID/exe, see proc(5)). Read by
 * the agent (root) for policy decisions; never taken from the client's own
 * words.
 *
 * The pid is the one SO_PEERCRED recorded when the client connected. The
 * shim's connection is close-on-exec and made again after fork, so that pid
 * runs the program that asks; if it has exited meanwhile the exe is unknown
 * and rules naming an exe do not match it (the program is no boundary,
 * odm-policy(5): a pid gone to another process names that one's).
 */
#ifndef ODM_PEERINFO_H
#define ODM_PEERINFO_H

#include <limits.h>
#include <sys/types.h>

struct peerinfo {
	char exe[PATH_MAX];
	int has_exe;
};

/*
 * Fill pi for pid: its exe if want_exe (what is not wanted or cannot be
 * read stays unknown). It costs a /proc read (measured on the 2-core test
 * machine under load: readlink of exe 14 us), so the policy asks only when
 * its rules name a program.
 */
void peerinfo_read(pid_t pid, int want_exe, struct peerinfo *pi);

#endif
