#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_enable.sh - odmctl enable/disable SERVICE: a systemd drop-in that
# preloads libodm.so (absolute path, the soname link when there is one),
# ODM_TYPE with --type, idempotent, never touching a drop-in odmctl did not
# write, removed again by disable. Everything under --root in a temporary
# directory: no root, no systemd needed.
#
# usage: ODM_BUILD=build bash tests/cli/test_enable.sh
TEST_NAME=test_enable.sh
. "$(dirname "$0")/lib.sh"

R=$TMP/root
D=$R/etc/systemd/system/web.service.d
F=$D/odm.conf
LIB=$(cd "$B" && pwd)/libodm.so
[[ -e $LIB.0 ]] && LIB=$LIB.0 # the soname's link, when the build made one

expect 1 "enable under a --root that does not exist" "$CTL" enable --root "$R" web
has err "--root \"$R\": No such file or directory" "the missing root is named"
check "and nothing was made there" test ! -e "$R"
mkdir -p "$R"
expect 0 "enable web" "$CTL" enable --root "$R" web
has out "$F" "enable prints the drop-in's path"
has err "restart web.service" "enable says the service must be restarted"
check "the drop-in exists" test -f "$F"
check "the drop-in has mode 0644" test "$(stat -c %a "$F")" = 644
check "it is a [Service] section" grep -qx '\[Service\]' "$F"
check "it preloads $LIB" grep -qx "Environment=LD_PRELOAD=$LIB" "$F"
check "no ODM_TYPE without --type" bash -c "! grep -q ODM_TYPE '$F'"
expect 0 "enable web again, with --type (replaces it)" \
	"$CTL" enable --root "$R" --type session-lasting web.service
check "ODM_TYPE is set" grep -qx "Environment=ODM_TYPE=session-lasting" "$F"
check "still one LD_PRELOAD line" test "$(grep -c LD_PRELOAD "$F")" = 1
check "no temporary file is left" test "$(find "$D" -type f | wc -l)" = 1
expect 1 "enable with an unknown type" "$CTL" enable --root "$R" --type sticky web
has err '"sticky"' "the type is named"
check "no ODM_SOCKET without -s" bash -c "! grep -q ODM_SOCKET '$F'"
# -s reaches the service as it reaches run's program: its absolute path
# (a service starts in /), not left out
expect 0 "enable web with -s agent.sock (a relative path)" \
	env -C "$TMP" "$CTL" -s agent.sock enable --root "$R" web
check "ODM_SOCKET is the absolute path of -s" grep -qx "Environment=ODM_SOCKET=$TMP/agent.sock" "$F"
expect 1 "enable with -s naming a path with a blank" "$CTL" -s "$TMP/a b.sock" enable --root "$R" web
has err "-s \"$TMP/a b.sock\": a blank" "the path is named, and why"
check "the drop-in before it is kept" grep -qx "Environment=ODM_SOCKET=$TMP/agent.sock" "$F"
# a newline would end the Environment= line, the rest read as a directive
expect 1 "enable with -s naming a path with a newline" \
	"$CTL" -s "$TMP/a.sock"$'\n'"ExecStartPre=/bin/false" enable --root "$R" web
has err "control character cannot go into a unit file" "the newline is refused, and why"
check "nothing of it reached the drop-in" bash -c "! grep -q ExecStartPre '$F'"
# an absolute path the shim could not connect to (odm(7): 107 bytes at most)
long=$TMP/$(printf '%0*d' $((108 - ${#TMP} - 1)) 0)
expect 1 "enable with -s naming a path of 108 bytes" "$CTL" -s "$long" enable --root "$R" web
has err "the path is too long for a socket address (107 bytes at most)" "the length is refused"
expect 0 "enable with -s naming a path of 107 bytes" "$CTL" -s "${long%0}" enable --root "$R" web
check "that one is written" grep -qx "Environment=ODM_SOCKET=${long%0}" "$F"

# systemd itself reads the drop-in without a complaint
if command -v systemd-analyze >/dev/null; then
	printf '[Unit]\nDescription=test\n[Service]\nExecStart=/bin/true\n' \
		>"$R/etc/systemd/system/web.service"
	SYSTEMD_UNIT_PATH=$R/etc/systemd/system: systemd-analyze verify \
		"$R/etc/systemd/system/web.service" >"$TMP/verify" 2>&1 || true
	if grep -q 'odm\.conf' "$TMP/verify"; then bad "systemd-analyze verify: $(cat "$TMP/verify")"; else
		ok "systemd-analyze verify reads the drop-in without a complaint"
	fi
	rm "$R/etc/systemd/system/web.service"
else echo "# systemd-analyze not installed: the drop-in is not checked by systemd"; fi

# the soname link is preferred when it exists next to the library
mkdir "$TMP/lib"
cp "$B/libodm.so" "$TMP/lib/libodm.so"
ln -s libodm.so "$TMP/lib/libodm.so.0"
expect 0 "enable with a libodm.so.0 next to libodm.so" \
	env ODM_LIBODM="$TMP/lib/../lib/libodm.so" "$CTL" enable --root "$R" db
check "the drop-in names the soname link, path made absolute" \
	grep -qx "Environment=LD_PRELOAD=$TMP/lib/libodm.so.0" "$R/etc/systemd/system/db.service.d/odm.conf"

# ---------------------------------------------------------------- disable
expect 0 "disable web" "$CTL" disable --root "$R" web
check "the drop-in is gone" test ! -e "$F"
check "its empty directory is gone" test ! -e "$D"
expect 1 "disable web again" "$CTL" disable --root "$R" web
has err "not enabled" "disable says the service is not enabled"
echo "[Service]" >"$R/etc/systemd/system/db.service.d/other.conf"
expect 0 "disable db" "$CTL" disable --root "$R" db
check "a directory holding another drop-in stays" test -f "$R/etc/systemd/system/db.service.d/other.conf"

# ---------------------------------------------------------------- someone else's drop-in
mkdir -p "$D"
printf '[Service]\nEnvironment=LD_PRELOAD=/opt/other.so\n' >"$F"
SUM=$(sha256sum "$F")
expect 1 "enable over a drop-in odmctl did not write" "$CTL" enable --root "$R" web
has err "not written by odmctl" "enable says whose it is not"
expect 1 "disable of a drop-in odmctl did not write" "$CTL" disable --root "$R" web
check "that drop-in is untouched" test "$(sha256sum "$F")" = "$SUM"

# ---------------------------------------------------------------- bad names
for s in a/b .. -x ' ' 'a b' 'x;y' "$(printf 'n%.0s' {1..201})"; do
	expect 1 "enable -- \"${s:0:20}\"" "$CTL" enable --root "$R" -- "$s"
	has err "is not a service name" "the bad name is named"
done
for u in web.socket web.timer web.target; do
	expect 1 "enable $u (not a service)" "$CTL" enable --root "$R" "$u"
	has err "is a ${u#web.} unit, not a service" "the unit's type is named"
	check "no drop-in for $u.service" test ! -e "$R/etc/systemd/system/$u.service.d"
done
expect 1 "a relative --root" "$CTL" enable --root rel web
check "nothing was written outside the root" test ! -e rel
cli_done
