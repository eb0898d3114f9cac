#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_man.sh - the man pages: mandoc -Tlint reports nothing on any of them
# (down to style; only "referenced manual not found" for a page outside
# ODM that this machine lacks, and a stale mandoc.db, are not the pages'
# fault), and none renders quotes run together (a nested enclosure); every
# option of the code's tables is documented and every documented option
# exists, odmagent --help and odmctl --help name every option, each odmctl
# command's usage line has the options of its entry in odmctl(8), and the
# event kinds agree (tests/cli/optcov.py); the example files of
# odmagent.conf(5) pass odmagent -n, with keys from odmctl genkey; the
# nftables rules of odmagent(8) pass nft -c; odm(7) names every function
# libodm.so exports beside odm.h's; the route, cha record and
# firewall device of the walk-through in odmagent(8) EXAMPLES are those of
# the packaged anchor.conf it starts; every function of odm.h is in a
# section 3 page; the event kinds of events.c are those odmctl(8) lists
# and those the agent emits.
#
# usage: ODM_BUILD=build bash tests/cli/test_man.sh
TEST_NAME=test_man.sh
. "$(dirname "$0")/lib.sh"
command -v mandoc >/dev/null || skip "mandoc is not installed (make deps installs it)"
command -v python3 >/dev/null || skip "python3 is not installed"

# ---------------------------------------------------------------- mandoc -Tlint
for page in "$ROOT"/man/*.[1-8]; do
	name=${page#"$ROOT"/}
	mandoc -Tlint -W style "$page" >"$TMP/lint" 2>&1 || true
	: >"$TMP/lint.bad"
	while IFS= read -r line; do
		case $line in
		*"outdated mandoc.db"*) continue ;;
		*"referenced manual not found: Xr "*)
			ref=${line##*Xr }
			ref=${ref% (*}
			set -- $ref
			# ODM's own pages must exist in man/; others may be missing here
			if [[ $1 == odm* || $1 == setsc ]] && [[ ! -e $ROOT/man/$1.$2 ]]; then
				echo "$line" >>"$TMP/lint.bad"
			fi
			continue
			;;
		esac
		echo "$line" >>"$TMP/lint.bad"
	done <"$TMP/lint"
	if [[ -s $TMP/lint.bad ]]; then
		bad "mandoc -Tlint $name: $(cat "$TMP/lint.bad")"
	else ok "mandoc -Tlint $name reports nothing"; fi
	# quotes run together ("fixed, "session-lasting, ..."""") are an
	# enclosure macro that swallowed the rest of its line (Qq a , Qq b),
	# which lint does not report
	if mandoc -Tascii "$page" | grep -n '""' >"$TMP/quotes"; then
		bad "$name renders quotes run together: $(head -n 3 "$TMP/quotes")"
	else ok "$name renders no quotes run together"; fi
done

# ---------------------------------------------------------------- options both ways
if python3 "$CLI_HERE/optcov.py" "$ROOT" "$AGENT" "$CTL" >"$TMP/optcov" 2>&1; then
	ok "option coverage: $(tail -n 1 "$TMP/optcov")"
else bad "option coverage: $(cat "$TMP/optcov")"; fi

# ---------------------------------------------------------------- the examples work
# literal BLOCK FILE DIR - write each .Bd -literal block of FILE to DIR/N
literal() {
	mkdir -p "$2"
	awk -v dir="$2" '
		/^\.Bd -literal/ { n++; inb = 1; next }
		/^\.Ed/ { inb = 0; next }
		inb { gsub(/\\&/, ""); gsub(/\\e/, "\\"); print > (dir "/" n) }
	' "$1"
}
literal "$ROOT/man/odmagent.conf.5" "$TMP/conf5"
mkdir "$TMP/etc"
for n in mn1 mn2; do
	"$CTL" genkey -o "$TMP/etc/$n.key" --nai "$n@example.org" >/dev/null
done
seen=0
for f in "$TMP"/conf5/*; do
	head -n 1 "$f" | grep -q '^# odmagent.conf of ' || continue
	seen=$((seen + 1))
	cp "$f" "$TMP/etc/odmagent.conf"
	what=$(head -n 1 "$f")
	expect 0 "odmagent -n accepts the example \"${what#\# odmagent.conf of }\"" \
		"$AGENT" -n -f "$TMP/etc/odmagent.conf"
done
check "odmagent.conf(5) has the four example files ($seen)" test "$seen" -eq 4

# ---------------------------------------------------------------- the exports, every one
# odm(7) "Linking with -lodm" names every function libodm.so exports that
# odm.h does not declare: the C library functions it interposes
if command -v nm >/dev/null; then
	linking=$(awk '/^\.Ss Linking with -lodm/ { on = 1; next } /^\.(Ss|Sh) / { on = 0 } on' \
		"$ROOT/man/odm.7")
	n=0
	for sym in $(nm -D --defined-only "$B/libodm.so" | awk '$2 == "T" || $2 == "W" { print $3 }'); do
		grep -qE "^[a-z].*[ *]$sym\(" "$ROOT/include/odm.h" && continue
		n=$((n + 1))
		if grep -qE "(Xr|Fn) $sym( |\$)" <<<"$linking"; then :; else
			bad "libodm.so exports $sym, which odm(7) \"Linking with -lodm\" does not name"
		fi
	done
	check "odm(7) names the $n interposed functions libodm.so exports" test "$n" -gt 0
else echo "# nm not installed: the exports are not compared with odm(7)"; fi

# ---------------------------------------------------------------- the API, every function
# each function odm.h declares is in the SYNOPSIS of a section 3 page
api=$(sed -n 's/^[a-z].*[ *]\([a-z_][a-z0-9_]*\)(.*/\1/p' "$ROOT/include/odm.h")
check "odm.h declares functions" test -n "$api"
for fn in $api; do
	if grep -qE "^\.(Fn|Fo) $fn( |\$)" "$ROOT"/man/*.3; then ok "$fn() has a man page"; else
		bad "$fn() is declared in odm.h but in no SYNOPSIS of man/*.3"; fi
done

# ---------------------------------------------------------------- the event kinds, every way
# the kinds a monitor may ask for (events_kinds of odmagent/events.c) are
# the kinds odmctl(8) EVENTS lists, and every kind the agent
# emits is one of them: a kind left out could not be asked for by name
kinds=$(sed -n '/^const char \*const events_kinds\[\] = {/,/^};/s/^\t"\([a-z-]*\)",$/\1/p' \
	"$ROOT/odmagent/events.c" | sort)
documented=$(sed -n 's/^\.It Li \([a-z-]*\) Ar .*/\1/p' "$ROOT/man/odmctl.8" | sort)
emitted=$(grep -ohE '(events_emit(_to)?|->emit)\([^,]+, "[a-z-]+"' "$ROOT"/odmagent/*.c |
	sed 's/.*"\([a-z-]*\)"$/\1/' | sort -u)
check "events.c lists event kinds" test -n "$kinds"
check "the agent's calls that emit an event were found" test -n "$emitted"
# a kind the pattern above cannot see (not a literal on the call's line)
# would escape the check: only the forwarders pass on a parameter "kind"
hidden=$(grep -nE '(events_emit(_to)?|->emit)\(' "$ROOT"/odmagent/*.c |
	grep -vE ':[0-9]+:void |(events_emit(_to)?|->emit)\([^,]+, ("[a-z-]+"|kind),' | sed "s|^$ROOT/||" || true)
check "every call that emits an event names its kind on its line${hidden:+: $hidden}" \
	test -z "$hidden"
check "the kinds of events.c are those of odmctl(8) EVENTS" test "$kinds" = "$documented"
for k in $emitted; do
	if grep -qx -- "$k" <<<"$kinds"; then ok "the emitted kind $k is listed"; else
		bad "the agent emits $k, which events_kinds of events.c does not list"; fi
done

literal "$ROOT/man/odmagent.8" "$TMP/agent8"
NFT=$(grep -l '^table inet' "$TMP"/agent8/* | head -n 1 || true)
check "odmagent(8) shows nftables rules" test -n "$NFT"
check "the rules pass next headers 41 and 135" grep -q 'meta l4proto { 41, 135 } accept' "$NFT"
if command -v nft >/dev/null && ((EUID == 0)); then
	expect 0 "nft -c accepts the rules of odmagent(8)" nft -c -f "$NFT"
else echo "# nft -c not run: needs nft and root"; fi

# the walk-through of odmagent(8) EXAMPLES starts the packaged anchor
# (/etc/odm/anchor.conf, from odmagent/dist/anchor-cha.conf): the route to
# its pool, the cha AAAA record and the firewall rules' tunnel device it
# shows are that file's
sample="$ROOT/odmagent/dist/anchor-cha.conf"
conf_of() { awk -v d="$1" '$1 == d { print $2 }' "$sample"; }
s_addr=$(conf_of address) s_pool=$(conf_of pool) s_dev=$(conf_of tunnel-device)
route=$(grep -h '^# ip -6 route add ' "$TMP"/agent8/* | head -n 1 || true)
aaaa=$(grep -h '^cha\.[a-z]* *AAAA ' "$TMP"/agent8/* | head -n 1 || true)
check "odmagent(8) EXAMPLES route the pool and publish a cha AAAA record" \
	test -n "$route" -a -n "$aaaa"
set -- $route
if [[ ${6:-} == "$s_pool" && ${8:-} == "$s_addr" ]]; then
	ok "the route of odmagent(8) EXAMPLES is the packaged anchor's pool via its address"
else bad "odmagent(8) EXAMPLES: \"$route\", but anchor-cha.conf has pool $s_pool, address $s_addr"; fi
if [[ ${aaaa##* } == "$s_addr" ]]; then
	ok "the cha AAAA record of odmagent(8) EXAMPLES names the packaged anchor's address"
else bad "odmagent(8) EXAMPLES: \"$aaaa\", but anchor-cha.conf has address $s_addr"; fi
devs=$(grep -o 'ifname "[^"]*"' "$NFT" | sort -u | sed 's/.*"\(.*\)"/\1/')
if [[ $devs == "$s_dev" ]]; then
	ok "the nftables rules of odmagent(8) name the packaged anchor's tunnel device ($s_dev)"
else bad "the nftables rules of odmagent(8) name $(echo $devs), anchor-cha.conf has tunnel-device $s_dev"; fi
cli_done
