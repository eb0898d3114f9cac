/* SPDX-License-Identifier: MIT */
/* shim_env.c — the shim's variables, at the call or as loaded (see shim_env.h). */
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "shim_env.h"
#include "shim_policy.h"

static const char *const env_names[SHIM_ENV_N] = {
	[SHIM_ENV_TYPE] = SHIM_TYPE_ENV,
	[SHIM_ENV_SOCKET] = ODM_IPC_ENV,
	[SHIM_ENV_DEBUG] = "ODM_DEBUG",
};

/*
 * Static, not strdup()ed: the constructor runs before the program's own
 * (a malloc of its own may not be ready). A longer value is kept cut, which
 * changes no meaning: it names no type, is no Unix socket path
 * (sun_path is 108 bytes: ENAMETOOLONG all the same), and is not "0".
 */
#define ENV_KEPT_MAX 256
static char env_kept[SHIM_ENV_N][ENV_KEPT_MAX];
static char env_present[SHIM_ENV_N];
static int env_taken; /* written once, before main, with release */

void shim_env_take(void)
{
	/* a write that changes nothing, as this page's first touch: a read
	 * would map the kernel's zero page, which the writes below would then
	 * replace, a second fault (see df in chalookup.c) */
	if (__atomic_fetch_add(&env_taken, 0, __ATOMIC_ACQUIRE))
		return;
	for (int i = 0; i < SHIM_ENV_N; i++) {
		const char *v = secure_getenv(env_names[i]);
		size_t n;

		if (!v)
			continue;
		n = strnlen(v, ENV_KEPT_MAX - 1);
		memcpy(env_kept[i], v, n);
		env_kept[i][n] = '\0';
		env_present[i] = 1;
	}
	__atomic_store_n(&env_taken, 1, __ATOMIC_RELEASE);
}

const char *shim_env(enum shim_env_var var)
{
	const char *v = secure_getenv(env_names[var]);

	if (v)
		return v;
	if (!__atomic_load_n(&env_taken, __ATOMIC_ACQUIRE) || !env_present[var])
		return NULL;
	return env_kept[var];
}
