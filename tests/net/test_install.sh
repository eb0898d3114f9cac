#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_install.sh - make install and make uninstall into a DESTDIR, as an
# operator or a packager would run them. Needs no network namespaces and no
# root; writes only under a temporary directory.
#
#   1. make install DESTDIR=D installs exactly the expected files:
#      libodm.so.VERSION with soname libodm.so.0 and its two links, odm.h,
#      odm.pc, every man page of man/ in its section, the programs, the
#      systemd units, the tmpfiles.d entry, the bash completion, the samples.
#   2. A program built with `pkg-config --cflags --libs odm` (PKG_CONFIG_PATH
#      and PKG_CONFIG_SYSROOT_DIR into D) links against D's library, and
#      runs: odm_version() is the Makefile's VERSION, and setsc() of a
#      Session-lasting address with no agent returns EAI_REQUIREDIPFAILED
#      at once (setsc(3): without a peer, only the agent knows an anchor).
#      Each program of examples/ builds with those flags alone.
#   3. The installed odmagent -V, odmctl --version and odmctl run use D.
#   4. systemd-analyze verify accepts both units (their programs and man
#      pages looked up in D), which hold only CAP_NET_ADMIN, CAP_NET_RAW and
#      CAP_BPF, and allow bpf(2) beside @system-service; systemd-tmpfiles
#      makes /run/odm from the tmpfiles.d entry. As root, a host agent run
#      with only its unit's capabilities (setpriv, in a private network
#      namespace) cannot see the program of a request by root's odmctl
#      (/proc/PID/exe, odm-policy(5)) and says so; with the drop-in the
#      unit's comment gives (CAP_SYS_PTRACE) it can.
#   5. Each sample configuration passes odmagent -n once a key is there.
#      odmagent.service's ExecReload= lines, run as systemctl reload runs
#      them, fail on a file that does not parse without signalling the
#      agent, and signal it with a good one.
#   6. The bash completion offers the commands and options of odmctl --help.
#   7. A second install keeps an edited /etc/odm file; make uninstall keeps
#      it too (and says so), and otherwise leaves nothing but directories;
#      run again once that file is gone, it removes ODM's own directories.
#
# Env: ODM_BUILD (build dir, default build). Exit 0 pass, 1 fail, 77 skip.
set -Eeuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${ODM_BUILD:-build}
[[ $BUILD = /* ]] || BUILD=$TOP/$BUILD
CC=${CC:-gcc}

. "$HERE/lib/check.sh"
trap 'check_on_err test_install' ERR

for t in make pkg-config "$CC" readelf systemd-analyze systemd-tmpfiles; do
	command -v "$t" >/dev/null ||
		{ echo "SKIP: $t is not installed (make deps installs it)"; exit 77; }
done
for f in odmagent odmctl libodm.so; do
	[[ -e $BUILD/$f ]] || { echo "SKIP: $BUILD/$f not built (make BUILD=$BUILD all)"; exit 77; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/odm-install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
D=$TMP/root
VERSION=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
[[ -n $VERSION ]]
P=/usr/local L=/usr/local/lib

m() { make -C "$TOP" --no-print-directory -s BUILD="$BUILD" DESTDIR="$D" "$@"; }

# ---------------------------------------------------------------- 1. the files
m install >"$TMP/install.log"
{
	printf '%s\n' etc/odm/odmagent.conf etc/odm/anchor.conf etc/odm/policy.conf \
		usr/local/bin/odmctl usr/local/sbin/odmagent usr/local/include/odm.h \
		usr/local/lib/libodm.so usr/local/lib/libodm.so.0 "usr/local/lib/libodm.so.$VERSION" \
		usr/local/lib/pkgconfig/odm.pc \
		usr/local/lib/systemd/system/odmagent.service \
		usr/local/lib/systemd/system/odmagent-anchor.service \
		usr/local/lib/tmpfiles.d/odm.conf \
		usr/local/share/bash-completion/completions/odmctl \
		usr/local/share/doc/odm/LICENSE
	for f in odmagent anchor-cha anchor-home anchor-access policy; do
		echo "usr/local/share/doc/odm/examples/$f.conf"
	done
	for f in "$TOP"/man/*.[1-8]; do
		n=${f##*/}
		echo "usr/local/share/man/man${n##*.}/$n"
	done
} | sort >"$TMP/want"
(cd "$D" && find . ! -type d | sed 's|^\./||' | sort) >"$TMP/got"
if diff -u "$TMP/want" "$TMP/got" >"$TMP/diff"; then
	ok "make install installs the $(wc -l <"$TMP/want") expected files, and nothing else"
else
	not_ok "make install: unexpected file list (- missing, + extra):"
	sed -n '3,$s/^/#   /p' "$TMP/diff"
fi
for man in odm.7 odmagent.8 odmagent.conf.5 odmctl.8 setsc.3; do
	check "man page $man in section ${man##*.}" test -f "$D$P/share/man/man${man##*.}/$man"
done
check "libodm.so.$VERSION has the soname libodm.so.0" \
	grep -q 'SONAME.*\[libodm\.so\.0\]' <(readelf -d "$D$L/libodm.so.$VERSION")
check "libodm.so.0 -> libodm.so.$VERSION" test "$(readlink "$D$L/libodm.so.0")" = "libodm.so.$VERSION"
check "libodm.so -> libodm.so.0" test "$(readlink "$D$L/libodm.so")" = libodm.so.0
check "odm.h is the tree's" cmp -s "$TOP/include/odm.h" "$D$P/include/odm.h"
check "/etc/odm/anchor.conf is the CHA sample" \
	cmp -s "$TOP/odmagent/dist/anchor-cha.conf" "$D/etc/odm/anchor.conf"

# ---------------------------------------------------------------- 2. pkg-config
export PKG_CONFIG_PATH=$D$L/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_LIBDIR=$D$L/pkgconfig
check "pkg-config --modversion odm is $VERSION" test "$(pkg-config --modversion odm)" = "$VERSION"
flags=$(pkg-config --cflags --libs odm | xargs)
check "pkg-config's flags point into DESTDIR: $flags" \
	test "$flags" = "-I$D$P/include -L$D$L -lodm"
cat >"$TMP/prog.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <odm.h>
int main(void)
{
	struct in6_addr a;
	struct timespec t0, t1;
	int fd = socket(AF_INET6, SOCK_STREAM, 0), rc;

	if (fd < 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = setsc(fd, &a, SESSION_LASTING_IPV6_ADDRESS);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("version %s\nsetsc %s\nms %ld\n", odm_version(),
	       rc == EAI_REQUIREDIPNOTSUPPORTED ? "EAI_REQUIREDIPNOTSUPPORTED" :
	       rc == EAI_REQUIREDIPFAILED ? "EAI_REQUIREDIPFAILED" : rc == 0 ? "0" : "other",
	       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return 0;
}
C
# shellcheck disable=SC2086 # the flags are words
"$CC" -Wall -Wextra -Werror -o "$TMP/prog" "$TMP/prog.c" $flags
check "the program needs libodm.so.0" grep -q 'NEEDED.*\[libodm\.so\.0\]' <(readelf -d "$TMP/prog")
# the programs of examples/, which setsc(3) and odm_events(3) point to, as a
# user builds one: with those flags alone, not the Makefile's -D_GNU_SOURCE
for ex in "$TOP"/examples/*.c; do
	# shellcheck disable=SC2086 # the flags are words
	check "examples/${ex##*/} builds with pkg-config's flags alone (-Wall -Wextra -Werror)" \
		"$CC" -Wall -Wextra -Werror -o "$TMP/example" "$ex" $flags
done
ODM_SOCKET=$TMP/no-agent.sock LD_LIBRARY_PATH=$D$L "$TMP/prog" >"$TMP/prog.out"
check "it loads libodm.so.0 from DESTDIR" \
	grep -qF "$D$L/libodm.so.0" <(ODM_SOCKET=$TMP/no-agent.sock LD_LIBRARY_PATH=$D$L ldd "$TMP/prog")
check "odm_version() is $VERSION" grep -qx "version $VERSION" "$TMP/prog.out"
# setsc(3): Session-lasting without a peer comes from the host's own
# anchors, which only the agent knows: with no agent, the network cannot
# provide it.
check "setsc(Session-lasting) with no agent: EAI_REQUIREDIPFAILED" \
	grep -qx 'setsc EAI_REQUIREDIPFAILED' "$TMP/prog.out"
ms=$(sed -n 's/^ms //p' "$TMP/prog.out")
check "... in ${ms} ms, under 100 ms" test "$ms" -lt 100
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR

# ---------------------------------------------------------------- 3. programs
check "installed odmagent -V: odmagent $VERSION" \
	test "$("$D$P/sbin/odmagent" -V)" = "odmagent $VERSION"
check "installed odmctl --version names $VERSION" grep -qw -- "$VERSION" <("$D$P/bin/odmctl" --version)
pre=$("$D$P/bin/odmctl" -s "$TMP/no-agent.sock" run -- sh -c 'echo "$LD_PRELOAD"')
check "installed odmctl run preloads the installed library ($pre)" \
	test "$(readlink -f "$pre")" = "$(readlink -f "$D$L/libodm.so")"

# ---------------------------------------------------------------- 4. units
# verify looks up ExecStart= programs and Documentation= man pages on this
# machine: point them into D, and change nothing else.
for u in odmagent.service odmagent-anchor.service; do
	f=$D$L/systemd/system/$u
	mkdir -p "$TMP/units"
	sed "s|=$P/sbin/|=$D$P/sbin/|g" "$f" >"$TMP/units/$u"
	rc=0
	MANPATH=$D$P/share/man systemd-analyze verify "$TMP/units/$u" >"$TMP/verify" 2>&1 || rc=$?
	if ((rc == 0)) && [[ ! -s $TMP/verify ]]; then
		ok "systemd-analyze verify $u: no complaint"
	else
		not_ok "systemd-analyze verify $u: exit $rc: $(head -c 600 "$TMP/verify")"
	fi

	check "$u: only CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF" \
		test "$(grep '^CapabilityBoundingSet=' "$f")" = "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_BPF"
	check "$u: bpf(2) allowed beside @system-service (the bpf tunnel backend)" \
		grep -qx 'SystemCallFilter=bpf' "$f"
	for k in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
		RuntimeDirectory=odm RuntimeDirectoryPreserve=yes; do
		check "$u: $k" grep -qx "$k" "$f"
	done
	conf=$(sed -n 's|^ExecStart=.* -f ||p' "$f")
	check "$u runs $conf" test -f "$D$conf"
done
check "odmagent.service keeps its state in /var/lib/odm" \
	grep -qx 'StateDirectory=odm' "$D$L/systemd/system/odmagent.service"
check "the anchor's StateDirectory is its sample's state-dir" test \
	"/var/lib/$(sed -n 's/^StateDirectory=//p' "$D$L/systemd/system/odmagent-anchor.service")" = \
	"$(awk '$1 == "state-dir" { print $2 }' "$D/etc/odm/anchor.conf")"
systemd-tmpfiles --root="$TMP/tmpfs" --create "$D$L/tmpfiles.d/odm.conf" >"$TMP/tmpfiles" 2>&1
check "systemd-tmpfiles makes /run/odm, mode 0755" test "$(stat -c %a "$TMP/tmpfs/run/odm")" = 755
check "the control sockets of both samples are in /run/odm" test "$(awk '$1 == "control" { print $2 }' \
	"$D/etc/odm/odmagent.conf" "$D/etc/odm/anchor.conf" | xargs -n1 dirname | sort -u)" = /run/odm

# A host agent with only its unit's capabilities, and a policy that allows
# Fixed only to odmctl: root's odmctl holds capabilities the agent lacks, so
# the agent cannot read its /proc/PID/exe, says so when the policy comes in
# force, and the policy refuses the request. With the drop-in the unit's
# comment gives for exe rules (CAP_SYS_PTRACE, odmagent(8) Privileges), the
# request reaches the agent's own refusal (no home anchor) instead.
if ((EUID == 0)) && command -v setpriv >/dev/null && unshare -n true 2>/dev/null; then
	u=$D$L/systemd/system/odmagent.service
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$u")
	dropin=$(sed -n 's/^#  *CapabilityBoundingSet=//p' "$u")
	X=$TMP/exe
	mkdir -m 0700 "$X"
	printf 'allow non-persistent\nrule exe %s allow non-persistent,fixed\n' \
		"$(realpath "$D$P/bin/odmctl")" >"$X/policy"
	printf 'role mn\ncontrol %s/a.sock\nstate-dir %s/state\npolicy-file %s/policy\n' \
		"$X" "$X" "$X" >"$X/a.conf"
	(umask 077 && printf 'identity mn1@example.org spi 300 key %s\n' \
		"$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >>"$X/a.conf")
	cat >"$X/run.sh" <<'SH'
ip link set lo up
setpriv "--bounding-set=-all,+${CAPS//,/,+}" "$AGENT" -f "$X/a.conf" 2>"$X/agent.log" &
agent=$!
for _ in $(seq 100); do grep -q 'role mn started' "$X/agent.log" && break; sleep 0.05; done
"$CTL" -s "$X/a.sock" lease fixed 2001:db8::1 >"$X/lease.out" 2>&1
kill -TERM "$agent"
wait "$agent"
SH
	# exe_try CAPS... - the agent with those capabilities asked by root's odmctl
	exe_try() {
		CAPS=$(echo "$*" | tr 'A-Z ' 'a-z,' | sed 's/cap_//g') AGENT=$D$P/sbin/odmagent \
			CTL=$D$P/bin/odmctl X=$X unshare -n bash "$X/run.sh" || true
	}
	exe_try $caps
	check "odmagent.service's capabilities ($caps): the exe rule does not see root's odmctl: $(head -c 300 "$X/lease.out")" \
		grep -q 'policy: fixed is not allowed for uid 0' "$X/lease.out"
	check "... and the agent says why, naming the rule's line" \
		grep -q "policy $X/policy:2: an exe rule, but without CAP_SYS_PTRACE" "$X/agent.log"
	check "the unit's comment gives a drop-in for exe rules: CAP_SYS_PTRACE ($dropin)" \
		test "$dropin" = CAP_SYS_PTRACE
	exe_try $caps $dropin
	check "with that drop-in, the agent sees the request's program: $(head -c 300 "$X/lease.out")" \
		grep -q 'not offered without a home anchor' "$X/lease.out"
	check "... and says nothing of CAP_SYS_PTRACE" \
		test "$(grep -c 'without CAP_SYS_PTRACE' "$X/agent.log" || true)" = 0
else echo "# the unit's capabilities not tried on an agent: needs root, setpriv and unshare -n"; fi

# ---------------------------------------------------------------- 5. samples
mkdir -p "$TMP/conf"
cp "$D$P"/share/doc/odm/examples/*.conf "$TMP/conf/"
(umask 077 && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/conf/mn.key")
cp -p "$TMP/conf/mn.key" "$TMP/conf/mn1.key"
# agent_check CONF - odmagent -n on CONF; its words on stdout if it refuses
agent_check() {
	"$D$P/sbin/odmagent" -n -f "$1" >"$TMP/n.out" 2>&1 || { cat "$TMP/n.out"; return 1; }
}
for s in odmagent anchor-cha anchor-home anchor-access; do
	check "sample $s.conf: odmagent -n accepts it" agent_check "$TMP/conf/$s.conf"
done
check "sample anchor-home.conf is mode home" grep -qx 'mode home' "$TMP/conf/anchor-home.conf"
check "sample anchor-access.conf is mode access" grep -qx 'mode access' "$TMP/conf/anchor-access.conf"

# systemctl reload runs a unit's ExecReload= lines in order, each only if the
# one before succeeded. A host file that does not parse must fail the reload
# (the agent would keep its old configuration and say so only in its log),
# and leave the agent unsignalled; a good one signals it. reload_unit CONF
# runs odmagent.service's lines so, the agent a shell that notes its SIGHUP.
reload_unit() {
	local line pid rc=0
	rm -f "$TMP/hup" "$TMP/ready"
	# its traps set before it says ready; each ends its sleep too
	bash -c 'sleep 30 & s=$!
		trap "kill $s; touch \"$1\"; exit 0" HUP
		trap "kill $s; exit 0" TERM
		touch "$2"; wait' - "$TMP/hup" "$TMP/ready" &
	pid=$!
	wait_for 10 test -e "$TMP/ready" || return 1
	while IFS= read -r line; do
		line=${line//\$MAINPID/$pid}
		line=${line//$P\/sbin\//$D$P/sbin/}
		line=${line//\/etc\/odm\/odmagent.conf/$1}
		eval "$line" >"$TMP/reload.out" 2>&1 || { rc=1; break; }
	done < <(sed -n 's/^ExecReload=//p' "$D$L/systemd/system/odmagent.service")
	# a HUP sent ends it, noted; else it is stopped, unsignalled
	((rc)) || wait_for 10 test -e "$TMP/hup" || true
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return $rc
}
cp -p "$TMP/conf/odmagent.conf" "$TMP/conf/typo.conf"
echo "lifetim 300" >>"$TMP/conf/typo.conf"
check "odmagent.service: systemctl reload of a good file signals the agent" \
	eval 'reload_unit "$TMP/conf/odmagent.conf" && test -e "$TMP/hup"'
check "odmagent.service: systemctl reload of a file that does not parse fails, naming the word" \
	eval '! reload_unit "$TMP/conf/typo.conf" && grep -q "lifetim: unknown directive" "$TMP/reload.out"'
check "odmagent.service: ... and does not signal the agent" test ! -e "$TMP/hup"

# ---------------------------------------------------------------- 6. completion
# What odmctl --help lists: the first word of each line after "commands".
help_cmds=$("$D$P/bin/odmctl" --help | sed '1,/^commands/d' | awk 'NF { print $1 }' | sort | xargs)
help_opts=$("$D$P/bin/odmctl" --help | grep -oE -- '(^|[ ,])--?[a-zA-Z-]+' | tr -d ' ,' | sort -u | xargs)
# complete WORD... - what the completion offers for the last word
complete_words() {
	PATH="$D$P/bin:$PATH" bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_odmctl; printf "%s\n" "${COMPREPLY[@]}"' _ \
		"$D$P/share/bash-completion/completions/odmctl" odmctl "$@" | sort -u | xargs
}
check "odmctl --help lists the commands of this release ($help_cmds)" \
	test "$(comm -13 <(echo "$help_cmds" | tr ' ' '\n') \
		<(printf '%s\n' hello lease leases release run status) | xargs)" = ""
check "completion of a command: those of odmctl --help" test "$(complete_words '')" = "$help_cmds"
check "completion of an option: those of odmctl --help ($help_opts)" \
	test "$(complete_words -)" = "$help_opts"
check "completion of lease's TYPE" \
	test "$(complete_words lease '')" = "fixed graceful-replacement non-persistent session-lasting"
check "completion of run --type s" test "$(complete_words run --type s)" = "session-lasting"
check "completion of lease --proto" test "$(complete_words lease 2001:db8::1 --proto '')" = "tcp udp"
check "completion of policy's subcommands" test "$(complete_words policy '')" = "add del show test"
check "completion of policy test's options" \
	test "$(complete_words policy test -)" = "--exe --gid --type --uid"
check "completion of policy test --type s" \
	test "$(complete_words policy test --uid 0 --type s)" = "session-lasting"

# ---------------------------------------------------------------- 7. again, uninstall
echo "# edited by the operator" >>"$D/etc/odm/odmagent.conf"
cp "$D/etc/odm/odmagent.conf" "$TMP/edited.conf"
m install >"$TMP/install2.log"
check "a second install keeps an edited /etc/odm/odmagent.conf" \
	cmp -s "$TMP/edited.conf" "$D/etc/odm/odmagent.conf"
m uninstall >"$TMP/uninstall.log" 2>&1
check "make uninstall keeps the edited configuration" cmp -s "$TMP/edited.conf" "$D/etc/odm/odmagent.conf"
check "... and says so" grep -q "etc/odm/odmagent.conf differs from the sample: kept" "$TMP/uninstall.log"
rm "$D/etc/odm/odmagent.conf"
check "make uninstall again succeeds" m uninstall
(cd "$D" && find . ! -type d | sed 's|^\./||') >"$TMP/left"
if [[ ! -s $TMP/left ]]; then
	ok "make uninstall leaves nothing but directories"
else
	not_ok "make uninstall left $(wc -l <"$TMP/left") files: $(head -n 5 "$TMP/left" | xargs)"
fi
check "make uninstall removes ODM's own directories" \
	test ! -e "$D$P/share/doc/odm" -a ! -e "$D/etc/odm"

check_summary test_install
