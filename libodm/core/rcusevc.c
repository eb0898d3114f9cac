/* SPDX-License-Identifier: MIT */
/* rcusevc.c — resolv.conf's use-vc for a c-ares channel (see rcusevc.h). */
#include <stdlib.h>
#include <string.h>

#include "rcoptions.h"
#include "rcusevc.h"
#include "resolvll.h"

int rcusevc_wanted(const char *path)
{
	const char *env = getenv("RES_OPTIONS");
	size_t len;
	char *buf;
	int r;

	if (env && rcopt_use_vc_in(env, strlen(env)))
		return 1;
	buf = resolvll_read(path, &len);
	r = buf && rcopt_use_vc(buf, len);
	free(buf);
	return r;
}
