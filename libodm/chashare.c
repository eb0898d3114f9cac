/* SPDX-License-Identifier: MIT */
/* chashare.c — cha lookups that got no answer, shared (see chashare.h). */
#include <errno.h>
#include <string.h>

#include "agent_client.h"
#include "chashare.h"
#include "ipc.h"
#include "shim_log.h"

int chashare_skip(const char *node, int *probe)
{
	unsigned left = 0;
	int r;

	*probe = 0;
	if (!node || !ipc_name_ok(node, strlen(node)))
		return 0;
	r = agent_cha_check(node, CHASHARE_ASK_MS, probe, &left);
	if (r > 0)
		shim_debug("cha.%s: another process of this user got no answer for it lately (the "
			   "agent says so for %u ms more): not waited for", node, left);
	else if (*probe)
		shim_debug("cha.%s: got no answer lately for this user's processes; asked again "
			   "by this one", node);
	return r > 0;
}

void chashare_said(const char *node, int r, int probe)
{
	if (!node || !ipc_name_ok(node, strlen(node)))
		return;
	if (r == -ETIMEDOUT)
		(void)agent_cha_result(node, 0);
	else if (probe)
		(void)agent_cha_result(node, 1);
}
