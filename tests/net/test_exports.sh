#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_exports.sh - libodm.so exports only its libc hooks and the public API.
#
# Needs no root. The dynamic symbols of libodm.so (nm -D --defined-only) must
# be exactly:
#   - the functions declared in include/odm.h (the public API), and
#   - the interposed libc functions: non-static functions defined in
#     libodm/hook_*.c that libc.so.6 also defines.
# and it needs no library but libc.so.6 at load time (readelf -d). The
# public header compiles in strict C (c89, c99) and C++ (c++98 on).
# Any other exported symbol (ipc_call, ipc_connect, ... of the shared core)
# fails the test, and so does a hook or API function that is missing. Then a
# program whose library defines ipc_call() and which itself exports
# ipc_socket_path() is run with the shim preloaded: both stay its own, and
# the shim still talks to its (fake) agent (tests/shim/own_ipc*.c).
#
# Env: ODM_BUILD (build dir, default build). Exit 0 pass, 1 fail, 77 skip.
set -Eeuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${ODM_BUILD:-build}
[[ $BUILD = /* ]] || BUILD=$TOP/$BUILD
LIB=$BUILD/libodm.so
CC=${CC:-gcc}

. "$HERE/lib/check.sh"
trap 'check_on_err test_exports' ERR

[[ -f $LIB ]] || { echo "SKIP: $LIB not built (make BUILD=${ODM_BUILD:-build} $LIB)"; exit 77; }
for t in nm "$CC"; do
	command -v "$t" >/dev/null || { echo "SKIP: $t is not installed"; exit 77; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/odm-exports.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# Defined dynamic symbols of a shared object, one name a line, sorted.
dynsyms() {
	nm -D --defined-only "$1" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u
}

dynsyms "$LIB" >"$TMP/exported"
libc=$(ldd "$LIB" | awk '$1 == "libc.so.6" { print $3 }')
[[ -f $libc ]] || { echo "test_exports: libc.so.6 of $LIB not found"; exit 1; }
dynsyms "$libc" >"$TMP/libc"

# The public API: function names declared in odm.h, comments stripped by cpp.
"$CC" -fpreprocessed -dD -E -P "$TOP/include/odm.h" | grep -v '^[[:space:]]*#' |
	grep -oE '[A-Za-z_][A-Za-z0-9_]*[[:space:]]*\(' | tr -d ' (\t' | sort -u >"$TMP/api"
check "odm.h declares some API" test -s "$TMP/api"

# The hooks: functions defined at the start of a line in hook_*.c, minus the static ones.
cat "$TOP"/libodm/hook_*.c | grep -E '^[A-Za-z_].*[ *][A-Za-z_][A-Za-z0-9_]*\(' |
	grep -vE '(^|[[:space:]])(static|extern|typedef)[[:space:]]' | grep -v ';[[:space:]]*$' |
	sed -E 's/^.*[ *]([A-Za-z_][A-Za-z0-9_]*)\(.*/\1/' | sort -u >"$TMP/hookdefs"
comm -12 "$TMP/hookdefs" "$TMP/libc" >"$TMP/hooks"
check "hook_*.c defines interposed libc functions" test -s "$TMP/hooks"
check "every function defined in hook_*.c is a libc function" \
	diff -u "$TMP/hookdefs" "$TMP/hooks"

sort -u "$TMP/api" "$TMP/hooks" >"$TMP/expected"
extra=$(comm -23 "$TMP/exported" "$TMP/expected")
missing=$(comm -13 "$TMP/exported" "$TMP/expected")
[[ -z $extra ]] || echo "# exported but neither a hook nor odm.h API:" $extra
[[ -z $missing ]] || echo "# hook or odm.h API not exported:" $missing
check "libodm.so exports nothing beyond the hooks and the API" test -z "$extra"
check "libodm.so exports every hook and API function" test -z "$missing"
check "ipc_call is not exported" bash -c "! grep -qx ipc_call '$TMP/exported'"

# The public header as programs include it: strict C99 and C89, and C++
# from C++98 on (extern "C": the calls link to libodm's C names), each with
# warnings as errors. A program that uses every name it declares.
cat >"$TMP/use_odm.c" <<'USE'
#include <odm.h>
int use_odm(void);
int use_odm(void)
{
	struct odm_event ev;
	enum odm_addr_type t = ODM_TYPE_GRACEFUL_REPLACEMENT;
	sc_type st = FIXED_IPV6_ADDRESS;

	ev.kind = ODM_EVENT_GRACEFUL_REPLACEMENT;
	ev.deadline_ms = 0;
	return setsc(0, &ev.addr, st) + setsc_to(0, &ev.replacement, (sc_type)t, 0, 0, 0) +
	       getsc(0, &ev.addr, &st) + odm_type_parse(odm_type_name(odm_type_from_name("fixed"))) +
	       odm_events_fd() + odm_event_read(0, &ev) + (odm_version() != 0) + EAI_REQUIREDIPFAILED +
	       EAI_REQUIREDIPNOTSUPPORTED + IPV6_REQUIRE_SRC_ON_NET + (int)ev.deadline_ms + ev.kind;
}
USE
for std in c99 c89; do
	check "odm.h compiles as $std -pedantic-errors -Werror" \
		"$CC" -std="$std" -pedantic-errors -Wall -Wextra -Werror -I"$TOP/include" \
		-c -o "$TMP/use_odm_$std.o" "$TMP/use_odm.c"
done
if command -v "${CXX:-g++}" >/dev/null; then
	cp "$TMP/use_odm.c" "$TMP/use_odm.cc"
	for std in c++98 c++20; do
		check "odm.h compiles as $std -pedantic-errors -Werror" \
			"${CXX:-g++}" -std="$std" -pedantic-errors -Wall -Wextra -Werror \
			-I"$TOP/include" -c -o "$TMP/use_odm_$std.o" "$TMP/use_odm.cc"
	done
	check "in C++ its functions keep their C names (extern \"C\")" \
		bash -c "nm -u '$TMP/use_odm_c++98.o' | grep -qw setsc_to"
else
	echo "# no ${CXX:-g++}: odm.h not compiled as C++"
fi

# What libodm.so needs at load time: libc alone. Every program it is
# preloaded into pays before main() for each library it needs; c-ares and
# jansson are loaded on first use (libodm/lazylib.c). A sanitizer build
# needs its runtime too.
readelf -d "$LIB" | awk '$2 == "(NEEDED)" { gsub(/[][]/, "", $NF); print $NF }' >"$TMP/needed"
echo "# libodm.so needs:" $(cat "$TMP/needed")
check "libodm.so needs libc" grep -qx 'libc\.so\.6' "$TMP/needed"
check "libodm.so needs no other library at load time" \
	bash -c "! grep -vxE 'libc\.so\.6|lib(a|ub)san\.so\.[0-9]+' '$TMP/needed'"

# A program with names the shim uses inside (tests/shim/own_ipc_main.c): its
# library's ipc_call() and its own ipc_socket_path() stay its own under the
# shim, and the shim still reaches its agent (a fake one logs the hello).
# (A libodm.so built with ASan cannot be preloaded into a plain program.)
if grep -q libasan <<<"$(ldd "$LIB")"; then
	echo "# skipping the preload part: $LIB is built with AddressSanitizer"
	check_summary test_exports
	exit 0
fi
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
"$CC" -O1 -Wall -Wextra -Werror -fPIC -shared -o "$TMP/libownipc.so" "$TOP/tests/shim/own_ipc.c"
"$CC" -O1 -Wall -Wextra -Werror -rdynamic -o "$TMP/own_ipc" "$TOP/tests/shim/own_ipc_main.c" \
	-L"$TMP" -lownipc -Wl,-rpath,"$TMP"
printf 'ipc_call -> 4242\nipc_socket_path calls 0\n' >"$TMP/want"
"$TMP/own_ipc" >"$TMP/plain"
check "own_ipc without the shim" diff -u "$TMP/want" "$TMP/plain"

python3 "$TOP/tests/shim/fake_agent.py" "$TMP/agent.sock" "$TMP/agent.log" &
AGENT_PID=$!
trap 'kill "$AGENT_PID" 2>/dev/null || true; wait "$AGENT_PID" 2>/dev/null || true; rm -rf "$TMP"' EXIT
wait_for 5 test -S "$TMP/agent.sock"
ODM_SOCKET="$TMP/agent.sock" LD_PRELOAD="$LIB" "$TMP/own_ipc" >"$TMP/shim" 2>&1 || true
check "own_ipc with the shim preloaded keeps its own functions" diff -u "$TMP/want" "$TMP/shim"
check "the shim reached its agent meanwhile (a hello in the fake agent's log)" \
	grep -q '"op": "hello"' "$TMP/agent.log"

check_summary test_exports
