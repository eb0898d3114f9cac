/* SPDX-License-Identifier: MIT */
/* peerinfo.c — a control client's executable from /proc (see peerinfo.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "peerinfo.h"

void peerinfo_read(pid_t pid, int want_exe, struct peerinfo *pi)
{
	char path[64];
	ssize_t n;

	memset(pi, 0, sizeof(*pi));
	if (pid <= 0 || !want_exe)
		return;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, pi->exe, sizeof(pi->exe) - 1);
	if (n > 0) {
		pi->exe[n] = '\0';
		pi->has_exe = 1;
	}
}
