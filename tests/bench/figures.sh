# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tests/bench/figures.sh - the rows of make bench's table, one line each.
#
# Any bench program adds a figure by printing one line (tab-separated):
#
#   figure <name> <odm> <baseline> <unit> <target>
#
#   name      what is measured, e.g. "getaddrinfo cold, cha record"
#   odm       the figure with ODM (a number), or not-measured for a figure
#             this run cannot have (its log says why; with a target, the
#             table says NOT MEASURED and make bench fails)
#   baseline  the same thing without ODM, measured side by side in the same
#             run (a number), or - when there is nothing to compare with
#   unit      of both numbers (us, ns, Mbit/s, BU/s, bytes, ...)
#   target    ratio<=X, ratio>=X (ratio = odm / baseline), odm<=X, odm>=X,
#             added<=X (odm - baseline), or - for a figure shown without a target
#
# and, for the chart of data received over time across a move:
#
#   series <label> <seconds> <value>
#
# Source this file, then pipe a program's output through bench_collect:
# its figure and series lines go to $BENCH_FIGURES, everything else is
# printed. tests/bench/table.py turns the file into the table and the PNG.

# bench_figure NAME ODM BASELINE UNIT TARGET - add one row from the shell.
bench_figure() {
	(($# == 5)) || { echo "bench_figure: 5 fields, not $#: $*" >&2; return 2; }
	printf 'figure\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_FIGURES"
}

# bench_collect - stdin's figure/series lines to $BENCH_FIGURES, the rest to stdout.
bench_collect() {
	local l
	while IFS= read -r l; do
		case $l in
		figure$'\t'* | series$'\t'*) printf '%s\n' "$l" >>"$BENCH_FIGURES" ;;
		*) printf '%s\n' "$l" ;;
		esac
	done
}
