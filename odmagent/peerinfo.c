/* SPDX-License-Identifier: MIT */
/* peerinfo.c — a control client's executable and groups from /proc (see peerinfo.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "peerinfo.h"

#define STATUS_MAX 8192 /* /proc/PID/status is about 1.5 KiB; Groups: comes early */

int peerinfo_parse_groups(const char *status, size_t len, gid_t *out, size_t max)
{
	static const char key[] = "Groups:";
	const char *p = status, *end = status + len, *eol;
	size_t n = 0;

	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) >= sizeof(key) - 1 && memcmp(p, key, sizeof(key) - 1) == 0)
			break;
		p = eol + 1;
	}
	if (p >= end)
		return -EINVAL;
	p += sizeof(key) - 1;
	for (;;) {
		unsigned long long v = 0;
		int digits = 0;

		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p == eol)
			break;
		while (p < eol && *p >= '0' && *p <= '9') {
			v = v * 10 + (unsigned long long)(*p - '0');
			if (v > (gid_t)-1 || ++digits > 10)
				return -EINVAL;
			p++;
		}
		if (p < eol && *p != ' ' && *p != '\t')
			return -EINVAL;
		if (n < max)
			out[n++] = (gid_t)v;
	}
	return (int)n;
}

void peerinfo_read(pid_t pid, int want_exe, int want_groups, struct peerinfo *pi)
{
	char path[64], buf[STATUS_MAX];
	ssize_t n;
	int fd, g;

	memset(pi, 0, sizeof(*pi));
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = want_exe ? readlink(path, pi->exe, sizeof(pi->exe) - 1) : -1;
	if (n > 0) {
		pi->exe[n] = '\0';
		pi->has_exe = 1;
	}
	if (!want_groups)
		return;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return;
	g = peerinfo_parse_groups(buf, (size_t)n, pi->groups, POLICY_GROUPS_MAX);
	pi->n_groups = g > 0 ? (size_t)g : 0;
}
