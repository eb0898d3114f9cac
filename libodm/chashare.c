/* SPDX-License-Identifier: MIT */
/* chashare.c — cha lookups that got no answer, shared (see chashare.h). */
#include <errno.h>
#include <string.h>
#include <sys/auxv.h>

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

int chashare_report(int r, int probe, int secure)
{
	if (r == -ETIMEDOUT)
		return secure ? -1 : 0;
	/* no query went out (the process or the system out of descriptors,
	 * chalookup_finish): a probe's says nothing of the DNS, and said as
	 * an answer it would end the user's memory of its silence */
	if (r == -EMFILE || r == -ENFILE)
		return -1;
	return probe ? 1 : -1;
}

void chashare_said(const char *node, int r, int probe)
{
	int say;

	if (!node || !ipc_name_ok(node, strlen(node)))
		return;
	say = chashare_report(r, probe, getauxval(AT_SECURE) != 0);
	if (say >= 0)
		(void)agent_cha_result(node, say);
}
