/* SPDX-License-Identifier: MIT */
/* privilege.c — which needed capability is missing, and what for. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privilege.h"

static const struct {
	int cap;
	const char *name;
	const char *why;
} needed[] = {
	{ CAP_NET_ADMIN, "CAP_NET_ADMIN",
	  "to create the tunnel device and set its addresses, routes and rules" },
	{ CAP_NET_RAW, "CAP_NET_RAW",
	  "to open the raw sockets of Mobility Header and IPv6-in-IPv6 packets" },
};

int priv_missing(uint64_t capeff, char *out, size_t cap)
{
	size_t o = 0;
	int n = 0;

	if (out && cap)
		out[0] = '\0';
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		int k;

		if (capeff & (UINT64_C(1) << needed[i].cap))
			continue;
		if (out && o < cap) {
			k = snprintf(out + o, cap - o, "%s%s (%s)", n ? " and " : "",
				     needed[i].name, needed[i].why);
			o = k < 0 ? cap : o + (size_t)k;
		}
		n++;
	}
	return n;
}

int priv_has_ptrace(uint64_t capeff)
{
	return (capeff & (UINT64_C(1) << CAP_SYS_PTRACE)) != 0;
}

int priv_effective(uint64_t *capeff)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	*capeff = (uint64_t)data[1].effective << 32 | data[0].effective;
	return 0;
}
