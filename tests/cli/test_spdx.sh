#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_spdx.sh - the licence: LICENSE is the MIT licence, and every source
# file carries an SPDX-License-Identifier line near its top (the list and
# the comment syntax are tests/cli/spdx.sh's). Then spdx.sh add is tried on
# a scratch copy of the tree: afterwards the copy passes the check, every
# "#!" line is still first and every file is what it was plus that one
# line, and a second run changes nothing.
#
# usage: bash tests/cli/test_spdx.sh
# Exit 0 pass, 1 fail.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
trap 'echo "not ok - test_spdx.sh line $LINENO: $BASH_COMMAND" >&2' ERR

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fails=0
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; fails=$((fails + 1)); }

# ---------------------------------------------------------------- LICENSE
if head -n 1 "$ROOT/LICENSE" | grep -qx 'MIT License' &&
	grep -qx 'Copyright (c) 2026 The ODM authors' "$ROOT/LICENSE" &&
	grep -q 'THE SOFTWARE IS PROVIDED "AS IS"' "$ROOT/LICENSE"; then
	ok "LICENSE is the MIT licence of the ODM authors"
else
	bad "LICENSE is not the MIT licence with 'Copyright (c) 2026 The ODM authors'"
fi

# ---------------------------------------------------------------- the tree
n=$(bash "$HERE/spdx.sh" list "$ROOT" | wc -l)
((n > 100)) || bad "spdx.sh lists only $n files"
if bash "$HERE/spdx.sh" check "$ROOT" >"$TMP/check" 2>&1; then
	ok "all $n source files carry the SPDX line"
else
	bad "$(grep -c '^no SPDX' "$TMP/check") of $n source files lack the SPDX line" \
		"(bash tests/cli/spdx.sh add adds it):"
	sed -n '1,40s/^/#   /p' "$TMP/check"
fi

# ---------------------------------------------------------------- spdx.sh add
# A scratch copy of the files spdx.sh looks at, outside any git work tree.
mkdir "$TMP/before" "$TMP/after"
(cd "$ROOT" && bash "$HERE/spdx.sh" list "$ROOT") >"$TMP/list"
tar -C "$ROOT" -cf - -T "$TMP/list" | tar -C "$TMP/before" -xpf -
cp -a "$TMP/before/." "$TMP/after/"
# One file of each kind without the line, so the copy always has work to do.
printf '/*\n * x.c\n */\nint x;\n' >"$TMP/after/libodm/spdx_probe.c"
printf '#!/bin/sh\necho probe\n' >"$TMP/after/tests/spdx_probe.sh"
printf '.Dd $Mdocdate$\n.Dt PROBE 7\n' >"$TMP/after/man/spdx_probe.7"
printf '#!/usr/bin/env python3\nprint(1)\n' >"$TMP/after/tests/spdx_probe_noext"
chmod 0755 "$TMP/after/tests/spdx_probe.sh"
for f in libodm/spdx_probe.c tests/spdx_probe.sh man/spdx_probe.7 tests/spdx_probe_noext; do
	mkdir -p "$TMP/before/$(dirname "$f")"
	cp -p "$TMP/after/$f" "$TMP/before/$f"
done

bash "$HERE/spdx.sh" add "$TMP/after" >"$TMP/added"
if bash "$HERE/spdx.sh" check "$TMP/after" >"$TMP/check2" 2>&1; then
	ok "after spdx.sh add, the copy passes ($(wc -l <"$TMP/added") files changed)"
else
	bad "after spdx.sh add, the copy still fails: $(head -n 5 "$TMP/check2")"
fi
for f in libodm/spdx_probe.c tests/spdx_probe.sh man/spdx_probe.7 tests/spdx_probe_noext; do
	grep -qxF "added: $f" "$TMP/added" || bad "spdx.sh add skipped $f"
done

# Every file: the same as before but for one added line, the first, or the
# second after a "#!" line; executable bits kept.
changed_ok=1
while IFS= read -r f; do
	b=$TMP/before/$f a=$TMP/after/$f
	if cmp -s "$b" "$a"; then continue; fi
	IFS= read -r first <"$b" || true
	if [[ $first == '#!'* ]]; then
		expect=$(head -n 1 "$b"; sed -n 2p "$a"; tail -n +2 "$b")
		[[ $(sed -n 2p "$a") == *SPDX-License-Identifier:\ MIT* ]] || {
			bad "$f: line 2 is not the SPDX line after the #! line"; changed_ok=0; }
	else
		expect=$(head -n 1 "$a"; cat "$b")
		[[ $(head -n 1 "$a") == *SPDX-License-Identifier:\ MIT* ]] || {
			bad "$f: line 1 is not the SPDX line"; changed_ok=0; }
	fi
	if [[ $expect != "$(cat "$a")" ]]; then bad "$f: more changed than one line"; changed_ok=0; fi
	if [[ $(stat -c %a "$b") != "$(stat -c %a "$a")" ]]; then
		bad "$f: mode $(stat -c %a "$b") became $(stat -c %a "$a")"; changed_ok=0
	fi
done < <(sed 's|^\./||' "$TMP/added" | sed -n 's/^added: //p')
((changed_ok)) && ok "spdx.sh add changes one line per file, keeps #! first and the modes"

cp -a "$TMP/after" "$TMP/again"
bash "$HERE/spdx.sh" add "$TMP/again" >"$TMP/added2"
if [[ ! -s $TMP/added2 ]] && diff -r "$TMP/after" "$TMP/again" >/dev/null; then
	ok "a second spdx.sh add changes nothing"
else
	bad "a second spdx.sh add changed: $(head -n 3 "$TMP/added2")"
fi

if ((fails)); then echo "FAIL: test_spdx.sh: $fails failed"; exit 1; fi
echo "PASS: test_spdx.sh"
