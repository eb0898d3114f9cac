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
/*
 * taken: written once, before main, with release. touched: written, never
 * read, as the page's first touch (shim_env_take): a read first would map
 * the kernel's zero page (Linux), which the writes after it replace, a
 * second fault. A volatile store of its own, not an add of 0 to taken,
 * which a compiler may make a load, nor a plain store nothing reads, which
 * it may drop (clang does both; C allows it, not for a volatile object).
 * One small struct: both on one page.
 */
static struct {
	int taken;
	volatile char touched;
} env_st __attribute__((aligned(8)));

void shim_env_take(void)
{
	__atomic_store_n(&env_st.touched, 1, __ATOMIC_RELAXED); /* (see env_st) */
	if (__atomic_load_n(&env_st.taken, __ATOMIC_ACQUIRE))
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
	__atomic_store_n(&env_st.taken, 1, __ATOMIC_RELEASE);
}

const char *shim_env(enum shim_env_var var)
{
	const char *v = secure_getenv(env_names[var]);

	if (v)
		return v;
	if (!__atomic_load_n(&env_st.taken, __ATOMIC_ACQUIRE) || !env_present[var])
		return NULL;
	return env_kept[var];
}
