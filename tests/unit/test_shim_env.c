/* SPDX-License-Identifier: MIT */
/*
 * test_shim_env.c — shim_env.c: ODM_TYPE, ODM_SOCKET and ODM_DEBUG as the
 * process has them at the call, else as it was started with them
 * (shim_env_take stands in for the constructor, which the unit tests do
 * not have). Criterion runs each test in a process of its own, so what one
 * takes and caches does not reach the next.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent_client.h"
#include "ipc.h"
#include "odm.h"
#include "shim_connect.h"
#include "shim_env.h"
#include "shim_log.h"

/* a program that clears its environment (nginx's workers) keeps them */
Test(shim_env, cleared_after_the_start_the_values_started_with_stay)
{
	setenv("ODM_SOCKET", "/nonexistent/started.sock", 1);
	setenv("ODM_TYPE", "fixed", 1);
	setenv("ODM_DEBUG", "1", 1);
	shim_env_take();
	cr_assert_eq(clearenv(), 0);
	cr_assert_str_eq(agent_client_socket_path(), "/nonexistent/started.sock");
	cr_assert_eq(shim_process_type(), ODM_TYPE_FIXED);
	cr_assert(shim_debug_on());
}

/* a program linked with libodm that sets them in main() before its first
 * call is heard (setsc(3), odm_events(3)): the value at the call wins */
Test(shim_env, set_by_the_program_before_its_first_call_they_are_heard)
{
	unsetenv("ODM_SOCKET");
	unsetenv("ODM_TYPE");
	unsetenv("ODM_DEBUG");
	shim_env_take();
	setenv("ODM_SOCKET", "/nonexistent/set-in-main.sock", 1);
	setenv("ODM_TYPE", "non-persistent", 1);
	setenv("ODM_DEBUG", "1", 1);
	cr_assert_str_eq(agent_client_socket_path(), "/nonexistent/set-in-main.sock");
	cr_assert_eq(shim_process_type(), NON_PERSISTENT_IPV6_ADDRESS);
	cr_assert(shim_debug_on());
}

/* changed (not cleared) after the start: the new value, as before the
 * values were taken at load; ODM_DEBUG=0 set by the program turns it off */
Test(shim_env, changed_after_the_start_the_new_value_wins)
{
	setenv("ODM_SOCKET", "/nonexistent/started.sock", 1);
	setenv("ODM_DEBUG", "1", 1);
	shim_env_take();
	setenv("ODM_SOCKET", "/nonexistent/changed.sock", 1);
	setenv("ODM_DEBUG", "0", 1);
	cr_assert_str_eq(agent_client_socket_path(), "/nonexistent/changed.sock");
	cr_assert_not(shim_debug_on());
}

Test(shim_env, never_set_the_default_path)
{
	unsetenv("ODM_SOCKET");
	shim_env_take();
	cr_assert_str_eq(agent_client_socket_path(), ODM_IPC_DEFAULT_PATH);
	cr_assert_null(shim_env(SHIM_ENV_SOCKET));
	setenv("ODM_SOCKET", "", 1);
	cr_assert_str_eq(agent_client_socket_path(), ODM_IPC_DEFAULT_PATH);
}

/* not taken (a call before the constructor): the environment alone */
Test(shim_env, not_taken_the_environment_alone)
{
	setenv("ODM_SOCKET", "/nonexistent/now.sock", 1);
	cr_assert_str_eq(agent_client_socket_path(), "/nonexistent/now.sock");
	unsetenv("ODM_SOCKET");
	cr_assert_str_eq(agent_client_socket_path(), ODM_IPC_DEFAULT_PATH);
}

/* a value too long to keep whole is kept cut and still too long for a
 * Unix socket path: the agent is not looked for at a shorter path */
Test(shim_env, a_long_value_is_kept_too_long_for_a_socket_path)
{
	char big[400];

	memset(big, 'x', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	setenv("ODM_SOCKET", big, 1);
	shim_env_take();
	unsetenv("ODM_SOCKET");
	cr_assert_gt(strlen(agent_client_socket_path()), 200);
	cr_assert_eq(strncmp(agent_client_socket_path(), big, 200), 0);
	cr_assert_eq(ipc_connect(agent_client_socket_path(), 100), -ENAMETOOLONG);
}
