/* SPDX-License-Identifier: MIT */
/*
 * own_ipc.c — a library that defines its own ipc_call(), a name libodm uses
 * internally, and calls it through the dynamic linker (built -fPIC without
 * -Bsymbolic, so the call is resolved like any library's would be). If
 * libodm.so exported its ipc_call, a preloaded shim would take this call.
 */
int ipc_call(void);
int own_ipc_result(void);

int ipc_call(void)
{
	return 4242;
}

int own_ipc_result(void)
{
	return ipc_call();
}
