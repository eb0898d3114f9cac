#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_deb.sh - the Debian package: make deb, then dpkg -i, dpkg -r and
# dpkg -P on this machine. Needs root and dpkg's tools; installs into / for
# the length of the test, so it refuses to run while a package "odm" is
# installed already (it would remove the operator's), and one run at a time
# holds /run/lock/odm-test-deb.lock.
#
#   1. The package's metadata: name, version (the Makefile's VERSION),
#      Depends read from the binaries (libuv1, libc-ares2, libjansson4,
#      libnl-3-200, libnl-route-3-200, libssl3, libbpf1, libc6), the /etc/odm files
#      as conffiles, maintainer scripts that start no service.
#   2. dpkg -i: the files are where the package says, odmagent -V and
#      odmctl --version give VERSION, man odmagent works, a program built
#      with pkg-config odm runs, odmctl run finds libodm.so, and
#      systemd-analyze verify accepts the installed units as they are.
#   3. dpkg -r: every file is gone but the conffiles (one edited); dpkg -P:
#      those too, and the package's directories, and what the agents leave
#      (made here as they would): /var/lib/odm and /run/odm.
#
# Env: ODM_BUILD (build dir, default build). Exit 0 pass, 1 fail, 77 skip.
# run-all: alone (it installs the package into / for its length)
set -Eeuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${ODM_BUILD:-build}
[[ $BUILD = /* ]] || BUILD=$TOP/$BUILD

. "$HERE/lib/check.sh"
trap 'check_on_err test_deb' ERR

net_need test_deb "dpkg -i installs the package into /" dpkg dpkg-deb dpkg-shlibdeps \
	dpkg-architecture strip make man pkg-config systemd-analyze flock
for f in odmagent odmctl libodm.so; do
	[[ -e $BUILD/$f ]] || { echo "SKIP: $BUILD/$f not built (make BUILD=$BUILD all)"; exit 77; }
done

# One run at a time on this machine (dpkg -i of one package into /).
exec 9>/run/lock/odm-test-deb.lock
flock -w 300 9 || { echo "FAIL: another test_deb holds /run/lock/odm-test-deb.lock"; exit 1; }

# dpkg's state of the package odm: empty when dpkg never heard of it
pkg_state() { dpkg-query -W -f='${db:Status-Status}' odm 2>/dev/null || true; }
not_installed() { [[ -z $(pkg_state) || $(pkg_state) == not-installed ]]; }
installed() { ! not_installed; }
if installed; then
	echo "SKIP: a package odm is installed on this machine ($(dpkg-query -W odm)); not touching it"
	exit 77
fi
for d in /etc/odm /var/lib/odm /usr/share/doc/odm; do
	[[ ! -e $d ]] || { echo "SKIP: $d exists already; the test could not tell it from the package's"; exit 77; }
done
had_run_odm=0
[[ -e /run/odm ]] && had_run_odm=1

TMP=$(mktemp -d "${TMPDIR:-/tmp}/odm-deb.XXXXXX")
ours=0
cleanup() {
	if ((ours)) && installed; then
		echo "# test_deb: purging the package it installed"
		dpkg -P odm >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

# dpkg_do ARGS... - dpkg, waiting up to 60 s for its lock (apt-get may be
# installing packages for another test at the same time)
dpkg_do() {
	local i
	for ((i = 0; i < 120; i++)); do
		if dpkg "$@" >"$TMP/dpkg.out" 2>&1; then return 0; fi
		grep -q 'lock' "$TMP/dpkg.out" || break
		sleep 0.5
	done
	cat "$TMP/dpkg.out"
	return 1
}

VERSION=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
ARCH=$(dpkg --print-architecture)
DEB=$BUILD/odm_${VERSION}_${ARCH}.deb
rm -f "$DEB"
make -C "$TOP" --no-print-directory -s BUILD="$BUILD" deb >"$TMP/make.log" 2>&1 ||
	{ cat "$TMP/make.log"; false; }
check "make deb made $(basename "$DEB")" test -s "$DEB"
size=$(stat -c %s "$DEB")
echo "# package: $size bytes, Installed-Size $(dpkg-deb -f "$DEB" Installed-Size) KiB"

# ---------------------------------------------------------------- 1. metadata
check "Package: odm" test "$(dpkg-deb -f "$DEB" Package)" = odm
check "Version: $VERSION" test "$(dpkg-deb -f "$DEB" Version)" = "$VERSION"
check "Architecture: $ARCH" test "$(dpkg-deb -f "$DEB" Architecture)" = "$ARCH"
depends=$(dpkg-deb -f "$DEB" Depends)
for p in libc6 libuv1 libc-ares2 libjansson4 libnl-3-200 libnl-route-3-200 libssl3 libbpf1; do
	check "Depends names $p" grep -qE "(^|, )$p( |,|$)" <<<"$depends"
done
mkdir "$TMP/ctl"
dpkg-deb -e "$DEB" "$TMP/ctl"
check "the conffiles are the /etc/odm files" test "$(xargs <"$TMP/ctl/conffiles")" = \
	"/etc/odm/anchor.conf /etc/odm/odmagent.conf /etc/odm/policy.conf"
check "no maintainer script enables or starts a service" test -z "$(grep -hE \
	'(systemctl|deb-systemd-invoke|deb-systemd-helper).*\<(start|enable|restart)\>|invoke-rc\.d|(^|[[:space:];])service [a-z]' \
	"$TMP/ctl"/postinst "$TMP/ctl"/prerm "$TMP/ctl"/postrm || true)"
check "ldconfig runs as a trigger" grep -qx 'activate-noawait ldconfig' "$TMP/ctl/triggers"
dpkg-deb -c "$DEB" | awk '{ p = $6; sub(/^\./, "", p); if (p != "/") print p }' |
	sed 's|/$||' >"$TMP/paths"
dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { p = $6; sub(/^\./, "", p); print p }' >"$TMP/files"

# What of the package's paths is there before (shared directories: /usr/lib ...)
while IFS= read -r p; do [[ -e $p || -L $p ]] && echo "$p"; done <"$TMP/paths" >"$TMP/before"

# ---------------------------------------------------------------- 2. dpkg -i
ours=1
dpkg_do -i "$DEB"
cp "$TMP/dpkg.out" "$TMP/install.out"
check "dpkg -i: installed" test "$(dpkg-query -W -f='${Status}' odm)" = "install ok installed"
missing=0
while IFS= read -r f; do [[ -e $f || -L $f ]] || { echo "# missing: $f"; missing=$((missing + 1)); }; done \
	<"$TMP/files"
check "all $(wc -l <"$TMP/files") files of the package are there" test "$missing" = 0
check "dpkg -L odm lists /usr/sbin/odmagent" grep -qx /usr/sbin/odmagent <(dpkg -L odm)
check "odmagent -V: odmagent $VERSION" test "$(/usr/sbin/odmagent -V)" = "odmagent $VERSION"
check "odmctl --version names $VERSION" grep -qw -- "$VERSION" <(/usr/bin/odmctl --version)
check "man -w odmagent: /usr/share/man/man8/odmagent.8.gz" \
	test "$(man -w odmagent)" = /usr/share/man/man8/odmagent.8.gz
check "man odmagent shows the page" grep -q 'odmagent' <(MANPAGER=cat MANWIDTH=80 man odmagent 2>/dev/null)
check "man 3 setsc shows the page" grep -q 'setsc' <(MANPAGER=cat MANWIDTH=80 man 3 setsc 2>/dev/null)
check "pkg-config --modversion odm: $VERSION" \
	test "$(env -u PKG_CONFIG_PATH pkg-config --modversion odm)" = "$VERSION"
printf '#include <stdio.h>\n#include <odm.h>\nint main(void) { puts(odm_version()); return 0; }\n' \
	>"$TMP/ver.c"
# shellcheck disable=SC2046 # the flags are words
"${CC:-gcc}" -Wall -Werror -o "$TMP/ver" "$TMP/ver.c" $(env -u PKG_CONFIG_PATH pkg-config --cflags --libs odm)
check "a program built with pkg-config odm runs: odm_version() is $VERSION" \
	test "$(env -u LD_LIBRARY_PATH "$TMP/ver")" = "$VERSION"
check "... with /usr/lib/libodm.so.0 (/lib with merged /usr)" grep -qE 'libodm\.so\.0 => (/usr)?/lib/libodm\.so\.0 ' \
	<(env -u LD_LIBRARY_PATH ldd "$TMP/ver")
pre=$(/usr/bin/odmctl -s "$TMP/no-agent.sock" run -- sh -c 'echo "$LD_PRELOAD"')
check "odmctl run preloads /usr/lib/libodm.so ($pre)" test "$(readlink -f "$pre")" = \
	"$(readlink -f /usr/lib/libodm.so)"
for u in odmagent.service odmagent-anchor.service; do
	rc=0
	systemd-analyze verify "/usr/lib/systemd/system/$u" >"$TMP/verify" 2>&1 || rc=$?
	if ((rc == 0)) && [[ ! -s $TMP/verify ]]; then
		ok "systemd-analyze verify of the installed $u: no complaint"
	else
		not_ok "systemd-analyze verify $u: exit $rc: $(head -c 600 "$TMP/verify")"
	fi
done
check "dpkg -i said nothing but dpkg's own lines" \
	test -z "$(grep -vE '^(Selecting|\(Reading|Preparing|Unpacking|Setting up|Processing triggers)' \
		"$TMP/install.out" || true)"

# ---------------------------------------------------------------- 3. dpkg -r, dpkg -P
echo "# edited by the operator" >>/etc/odm/odmagent.conf
# What a run of the agents leaves, for dpkg -P to clear: their state, and
# /run/odm (made by the units or the tmpfiles.d entry under systemd).
mkdir -p -m 0700 /var/lib/odm/anchor
echo '{}' >/var/lib/odm/mn.json
head -c 65536 /dev/zero >/var/lib/odm/.mn.json.reserve
((had_run_odm)) || mkdir -m 0755 /run/odm
dpkg_do -r odm
check "dpkg -r: config-files left" test "$(pkg_state)" = config-files
left=0
while IFS= read -r f; do
	[[ $f == /etc/odm/* ]] && continue
	[[ -e $f || -L $f ]] && { echo "# left by dpkg -r: $f"; left=$((left + 1)); }
done <"$TMP/files"
check "dpkg -r removes every file but the conffiles" test "$left" = 0
check "dpkg -r keeps the edited conffile" grep -qx '# edited by the operator' /etc/odm/odmagent.conf
dpkg_do -P odm
check "dpkg -P: the package is gone" not_installed
left=0
while IFS= read -r p; do
	if [[ -e $p || -L $p ]] && ! grep -qxF -- "$p" "$TMP/before"; then
		echo "# left by dpkg -P: $p"
		left=$((left + 1))
	fi
done <"$TMP/paths"
check "dpkg -P leaves no file or directory of the package" test "$left" = 0
check "dpkg -P removes /etc/odm, /var/lib/odm, /usr/share/doc/odm" \
	test ! -e /etc/odm -a ! -e /var/lib/odm -a ! -e /usr/share/doc/odm
if ((!had_run_odm)); then check "dpkg -P leaves no /run/odm" test ! -e /run/odm; fi
ours=0

check_summary test_deb
