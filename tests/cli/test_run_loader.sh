#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_run_loader.sh - "odmctl run" warns, and still starts the program,
# when the dynamic loader will not load libodm.so into it; and says nothing
# of it when the loader will. Each case runs a probe that reports whether
# libodm.so is among its loaded objects, so the warning is checked against
# what the loader did:
#   a statically linked probe (named by path, and found in PATH) is warned
#   of, and not also told the agent is out of reach; the dynamic one is not
#   warned of; a probe that carries Go's build ID note (as every Go program
#   does, with cgo or without) is warned of as a Go program;
#   as root (setpriv to nobody): a probe set-user-ID root, one set-group-ID
#   root, and one with file capabilities (setcap) are warned of when nobody
#   runs them, and not when root does; the set-user-ID one on a file system
#   mounted nosuid (a tmpfs in a mount namespace of its own) is not.
# The set-ID and capability cases need root; without it they are left out
# (said on a line of their own).
#
# usage: ODM_BUILD=build bash tests/cli/test_run_loader.sh
TEST_NAME=test_run_loader.sh
. "$(dirname "$0")/lib.sh"
CC=${CC:-cc}
command -v "$CC" >/dev/null || skip "no C compiler ($CC)"
chmod 0755 "$TMP"
cat >"$TMP/probe.c" <<'C'
#define _GNU_SOURCE
#include <link.h>
#include <stdio.h>
#include <string.h>
static int has_odm(struct dl_phdr_info *i, size_t size, void *found)
{
	(void)size;
	if (i->dlpi_name && strstr(i->dlpi_name, "libodm.so"))
		*(int *)found = 1;
	return 0;
}
int main(void)
{
	int found = 0;
	dl_iterate_phdr(has_odm, &found);
	puts(found ? "libodm loaded" : "libodm absent");
	return 0;
}
C
mkdir -m 0755 "$TMP/bin"
"$CC" -O2 -o "$TMP/bin/probe" "$TMP/probe.c"
if ! "$CC" -O2 -static -o "$TMP/bin/probe-static" "$TMP/probe.c" 2>"$TMP/cc.err"; then
	bad "cc -static: $(head -c 300 "$TMP/cc.err") (libc6-dev has libc.a)"
	cli_done
fi
# the set-user-ID cases below run it as nobody
if ((EUID == 0)) && command -v setpriv >/dev/null; then cli_for_others; fi
RUN=(env ODM_LIBODM="$B/libodm.so" "$CTL" -s "$TMP/none.sock" run --type session-lasting --)
LOADER_WARN="the dynamic loader"

expect 0 "a dynamic program runs" "${RUN[@]}" "$TMP/bin/probe"
has out "libodm loaded" "the loader loaded libodm.so into it"
lacks err "statically linked" "nothing said of static linking"
lacks err "$LOADER_WARN" "nothing said of the loader"

expect 0 "a statically linked program runs all the same" "${RUN[@]}" "$TMP/bin/probe-static"
has out "libodm absent" "no libodm.so in it"
has err "warning: $TMP/bin/probe-static is statically linked: no dynamic loader runs for it to load libodm.so" \
	"the warning names the program and the reason"
has err "libodm.so (odm(7), CAVEATS); $TMP/bin/probe-static gets plain addresses" "and says what it means"
lacks err "no agent" "not also what the shim, which will not run, would do without the agent"
expect 0 "found in PATH" env PATH="$TMP/bin:$PATH" "${RUN[@]}" probe-static
has err "warning: $TMP/bin/probe-static is statically linked" "the program found in PATH is named"
# Go's linker writes this note (owner "Go", type 4, the build ID) near the
# start of every Go program; the probe carries one of its own
{
	cat "$TMP/probe.c"
	cat <<'C'
__asm__(".section .note.go.buildid,\"a\",@note\n"
	".p2align 2\n.long 4\n.long 8\n.long 4\n"
	".ascii \"Go\\0\\0\"\n.ascii \"testbuid\"\n.previous\n");
C
} >"$TMP/probe-go.c"
"$CC" -O2 -o "$TMP/bin/probe-go" "$TMP/probe-go.c"
expect 0 "a Go program runs all the same" "${RUN[@]}" "$TMP/bin/probe-go"
has err "warning: $TMP/bin/probe-go is a Go program: the Go runtime makes its socket calls itself, not through the C library, with cgo or without (odm(7), CAVEATS); $TMP/bin/probe-go gets plain addresses" \
	"the warning names the program, says Go and what it means"
lacks err "no agent" "and only that"
printf '#!/bin/sh\necho script\n' >"$TMP/bin/script"
chmod 0755 "$TMP/bin/script"
expect 0 "a script" "${RUN[@]}" "$TMP/bin/script"
has out "script" "it ran"
lacks err "$LOADER_WARN" "nothing said of a script (its interpreter is what runs)"
lacks err "statically linked" "nor of static linking"

if ((EUID != 0)) || ! command -v setpriv >/dev/null; then
	echo "# not root or no setpriv: the set-user-ID, set-group-ID and capability cases are left out"
	cli_done
fi
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
"${NOBODY[@]}" test -x "$CTL" -a -r "$B/libodm.so" ||
	skip "user nobody cannot run $CTL (a build directory closed to others?)"

install -m 4755 -o 0 -g 0 "$TMP/bin/probe" "$TMP/bin/probe-suid"
expect 0 "nobody runs a set-user-ID root program" "${NOBODY[@]}" "${RUN[@]}" "$TMP/bin/probe-suid"
has out "libodm absent" "the loader did not load libodm.so into it"
has err "warning: $TMP/bin/probe-suid is set-user-ID (uid 0): the dynamic loader ignores LD_PRELOAD" \
	"the warning says set-user-ID, for whom, and why"
lacks err "no agent" "and not, besides, that its connects would fail without the agent"
expect 0 "root runs it" "${RUN[@]}" "$TMP/bin/probe-suid"
has out "libodm loaded" "the loader loaded libodm.so"
lacks err "$LOADER_WARN" "nothing said: it runs as its owner"

install -m 2755 -o 0 -g 0 "$TMP/bin/probe" "$TMP/bin/probe-sgid"
expect 0 "nobody runs a set-group-ID root program" "${NOBODY[@]}" "${RUN[@]}" "$TMP/bin/probe-sgid"
has out "libodm absent" "the loader did not load libodm.so into it"
has err "warning: $TMP/bin/probe-sgid is set-group-ID (gid 0)" "the warning says set-group-ID"

if command -v setcap >/dev/null; then
	install -m 0755 "$TMP/bin/probe" "$TMP/bin/probe-cap"
	setcap cap_net_raw=ep "$TMP/bin/probe-cap"
	expect 0 "nobody runs a program with file capabilities" "${NOBODY[@]}" "${RUN[@]}" "$TMP/bin/probe-cap"
	has out "libodm absent" "the loader did not load libodm.so into it"
	has err "warning: $TMP/bin/probe-cap has file capabilities (getcap(8)) that uid 65534 gains: the dynamic loader ignores LD_PRELOAD" \
		"the warning says file capabilities and the user"
	expect 0 "root runs it" "${RUN[@]}" "$TMP/bin/probe-cap"
	has out "libodm loaded" "the loader loaded libodm.so"
	lacks err "$LOADER_WARN" "nothing said: root gains nothing"
else
	echo "# no setcap (libcap2-bin): the file capability case is left out"
fi

if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	mkdir -m 0755 "$TMP/nosuid"
	expect 0 "nobody runs a set-user-ID root program on a nosuid file system" \
		unshare -m sh -c 'mount -t tmpfs -o nosuid,mode=0755 odm-test "$1" &&
			install -m 4755 -o 0 -g 0 "$2" "$1/probe-suid" && shift 2 && exec "$@"' sh \
		"$TMP/nosuid" "$TMP/bin/probe" "${NOBODY[@]}" "${RUN[@]}" "$TMP/nosuid/probe-suid"
	has out "libodm loaded" "the loader loaded libodm.so (the set-user-ID bit is ignored there)"
	lacks err "$LOADER_WARN" "and nothing was said"
else
	echo "# no mount namespace (unshare -m): the nosuid case is left out"
fi
cli_done
