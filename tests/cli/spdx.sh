#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# spdx.sh - the SPDX licence line of ODM's source files.
#
#   bash tests/cli/spdx.sh list  [ROOT]  the files that must carry the line
#   bash tests/cli/spdx.sh check [ROOT]  print each file without it; exit 1 if any
#   bash tests/cli/spdx.sh add   [ROOT]  add it where it is missing, as the
#                                        file's first line, or its second after
#                                        a "#!" line; run again, it changes nothing
#
# Which files: C (*.c, *.h) and the linker map (*.map), shell and Python
# (*.sh, *.py, and any file whose first line runs sh, bash or python),
# Makefile, man pages (man/*.[1-8]), configuration templates (*.in, *.conf)
# and everything under odmagent/dist/. Test vectors and fuzzing seeds are
# data, not source. ROOT is the repository (default: this script's); its
# git-tracked files and new files git does not ignore are listed, or, outside
# a git work tree, every file under ROOT but the build directories.
#
# The line is a comment in the file's own syntax, within its first 5 lines:
#   C and *.map  /* SPDX-License-Identifier: MIT */
#   man pages    .\" SPDX-License-Identifier: MIT
#   *.zone.in    ; SPDX-License-Identifier: MIT
#   the rest     # SPDX-License-Identifier: MIT
set -euo pipefail

ID='SPDX-License-Identifier: MIT'
mode=${1:-check}
ROOT=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"

all_files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -co --exclude-standard
	else
		find . \( -name .git -o -name 'build' -o -name 'build-*' \) -prune -o -type f -print |
			sed 's|^\./||'
	fi
}

# comment_for FILE - sets LINE to the licence line for FILE, or to nothing
# if it needs none (no subshell: the tree has hundreds of files)
comment_for() {
	local f=$1 first=''
	LINE=''
	case $f in
	tests/unit/vectors/* | tests/fuzz/seeds/*) return 0 ;;
	*.c | *.h | *.map) LINE="/* $ID */"; return 0 ;;
	man/*.[1-8]) LINE=".\\\" $ID"; return 0 ;;
	*.zone.in) LINE="; $ID"; return 0 ;;
	*.sh | *.py | Makefile | */Makefile | *.in | *.conf | odmagent/dist/*)
		LINE="# $ID"; return 0 ;;
	esac
	[[ -f $f ]] && IFS= read -r first <"$f" || true
	case $first in
	'#!'*sh* | '#!'*python*) LINE="# $ID" ;;
	esac
	return 0
}

# has_line FILE LINE - LINE is one of FILE's first 5 lines (read by the
# shell itself, no process per file)
has_line() {
	local l n=0
	while ((n < 5)) && { IFS= read -r l || [[ -n $l ]]; }; do
		[[ $l == "$2" ]] && return 0
		n=$((n + 1))
	done <"$1"
	return 1
}

add_line() {
	local f=$1 line=$2 tmp first=''
	IFS= read -r first <"$f" || true
	tmp=$(mktemp "$f.spdx.XXXXXX")
	if [[ $first == '#!'* ]]; then
		{ printf '%s\n%s\n' "$first" "$line"; tail -n +2 -- "$f"; } >"$tmp"
	else
		{ printf '%s\n' "$line"; cat -- "$f"; } >"$tmp"
	fi
	chmod --reference="$f" "$tmp"
	mv -- "$tmp" "$f"
}

missing=0
while IFS= read -r f; do
	[[ -f $f && ! -L $f ]] || continue
	comment_for "$f"
	line=$LINE
	[[ -n $line ]] || continue
	case $mode in
	list) echo "$f" ;;
	check)
		if ! has_line "$f" "$line"; then
			echo "no SPDX line: $f (want: $line)"
			missing=$((missing + 1))
		fi
		;;
	add) has_line "$f" "$line" || { add_line "$f" "$line"; echo "added: $f"; } ;;
	*) echo "usage: spdx.sh list|check|add [ROOT]" >&2; exit 2 ;;
	esac
done < <(all_files | LC_ALL=C sort)

if [[ $mode == check ]]; then
	if ((missing)); then echo "spdx: $missing files lack the line"; exit 1; fi
	echo "spdx: every source file carries the line"
fi
