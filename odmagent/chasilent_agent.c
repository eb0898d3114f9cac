/* SPDX-License-Identifier: MIT */
/* chasilent_agent.c — "cha-check" and "cha-result" (see chasilent_agent.h). */
#include <errno.h>
#include <stdlib.h>

#include "agent.h"
#include "chasilent.h"
#include "chasilent_agent.h"
#include "control.h"
#include "log.h"
#include "monotime.h"

/* cha-check {name} -> {silent, left_ms?, probe?} */
static void on_check(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	const struct ucred *who = control_req_cred(r);
	const char *name = json_string_value(json_object_get(req, "name"));
	uint64_t left = 0;
	int probe = 0, silent;

	if (!a->cha_silent) {
		control_reply(r, json_pack("{s:b}", "silent", 0));
		return;
	}
	silent = chasilent_check(a->cha_silent, who->uid, name, mono_ms(), &left, &probe);
	if (silent)
		control_reply(r, json_pack("{s:b,s:I}", "silent", 1, "left_ms", (json_int_t)left));
	else
		control_reply(r, probe ? json_pack("{s:b,s:b}", "silent", 0, "probe", 1)
				       : json_pack("{s:b}", "silent", 0));
}

/* cha-result {name, answered, noreply?} -> {} */
static void on_result(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	const struct ucred *who = control_req_cred(r);
	const char *name = json_string_value(json_object_get(req, "name"));
	int answered = json_is_true(json_object_get(req, "answered"));

	if (a->cha_silent &&
	    chasilent_note(a->cha_silent, who->uid, name, answered, mono_ms()) == 0)
		log_debug("uid %u pid %d: cha.%s %s", (unsigned)who->uid, (int)who->pid, name,
			  answered ? "answered again: its lookups go on"
				   : "got no answer: the user's processes skip it for a while");
	control_reply(r, json_object());
}

int chasilent_agent_open(struct odm_agent *a)
{
	int rc;

	a->cha_silent = calloc(1, sizeof(*a->cha_silent));
	if (!a->cha_silent)
		return -ENOMEM;
	if ((rc = control_register(a, "cha-check", on_check)) < 0 ||
	    (rc = control_register(a, "cha-result", on_result)) < 0) {
		chasilent_agent_close(a);
		return rc;
	}
	return 0;
}

void chasilent_agent_close(struct odm_agent *a)
{
	free(a->cha_silent);
	a->cha_silent = NULL;
}
