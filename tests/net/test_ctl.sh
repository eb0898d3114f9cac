#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_ctl.sh - odmctl against real agents on the namespace test network:
# what each subcommand prints (text, and -j parsed as JSON without the
# protocol's id/ok) and its exit status when it works, when the agent
# refuses, when the address is unknown and when the agent is gone.
# tests/cli/test_cli.sh covers the same tool without root or network.
#
# ODM_BUILD selects the build (default: <repo>/build). Exit 0 pass, 1 fail,
# 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_ctl "network namespaces, TUN, raw sockets" ip nginx named radvd python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_ctl' ERR

# ($OUT and $ERR are set once topo_up has made ODM_RUNDIR)
# ctl_rc HOST ARGS... - odm_ctl's exit status; its output in $OUT and $ERR
ctl_rc() {
	local rc=0
	odm_ctl "$@" >"$OUT" 2>"$ERR" || rc=$?
	echo "$rc"
}
# clean_json - every line of $OUT is a JSON object without id or ok
clean_json() {
	/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines
for s in lines:
    o = json.loads(s)
    assert isinstance(o, dict) and "id" not in o and "ok" not in o, o
PY
}

topo_up
odm_agents_up
OUT=$ODM_RUNDIR/ctl-out ERR=$ODM_RUNDIR/ctl-err

# ---------------------------------------------------------------- working commands
check "hello exits 0" test "$(ctl_rc mn -j hello)" -eq 0
check "hello -j is one clean object" clean_json
check "hello names the role" test "$(json 'j["role"]' <"$OUT")" = mn
check "status exits 0 at the anchor" test "$(ctl_rc cha status)" -eq 0
check "status text has no id/ok" bash -c "! grep -qE '^(id|ok) ' '$OUT'"
RC=$(ctl_rc mn -j lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --proto tcp)
check "lease exits 0" test "$RC" -eq 0
check "lease -j is one clean object" clean_json
CHOA=$(json 'j["addr"]' <"$OUT")
check "the lease is a CHoA ($CHOA)" in_prefix "$CHOA" "$CHA_POOL"
check "leases exits 0" test "$(ctl_rc mn -j leases)" -eq 0
check "leases -j: clean objects, one per line" clean_json
check "leases -j lists $CHOA" grep -qF "\"addr\":\"$CHOA\"" "$OUT"
leases_text() { grep -qF "addr $CHOA" <<<"$("$ODM_BUILD/odmctl" -s "$MN_SOCK" leases)"; }
check "leases text lists $CHOA" leases_text

# ---------------------------------------------------------------- many leases
# status and leases answers longer than any request may be (about 250 bytes
# a lease, more in status): 60 leases (the anchor allows 64 an identity)
# make them longer than the 16 KiB a request may have
# A lease no socket uses ends 3 s after it was handed out: made ten at a
# time, and those that ended meanwhile (a sanitized agent on a loaded
# machine takes longer than that for sixty) are not looked for
FROM=$(wc -l <"$MN_AGENT_LOG")
for ((i = 0; i < 60; i += 10)); do
	pids=()
	for ((j = 0; j < 10; j++)); do
		odm_ctl mn lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --proto tcp --fresh >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
done
check "leases exits 0 with 61 leases" test "$(ctl_rc mn -j leases)" -eq 0
ENDED=$(tail -n +"$((FROM + 1))" "$MN_AGENT_LOG" | grep -cE "end: lease [0-9]+ .* ended" || true)
check "and lists them all ($(wc -l <"$OUT"), $ENDED ended meanwhile)" \
	test "$(($(wc -l <"$OUT") + ENDED))" -ge 61
check "status exits 0 with 61 leases" test "$(ctl_rc mn -j status)" -eq 0
check "and its answer is longer than a request may be ($(wc -c <"$OUT") bytes)" \
	test "$(wc -c <"$OUT")" -gt 16384
check "status exits 0 at the anchor with 61 bindings" test "$(ctl_rc cha -j status)" -eq 0
ENDED=$(tail -n +"$((FROM + 1))" "$MN_AGENT_LOG" | grep -cE "end: lease [0-9]+ .* ended" || true)
check "and lists them ($ENDED ended meanwhile)" \
	test "$(($(json 'len(j["bindings"])' <"$OUT") + ENDED))" -ge 61

# ---------------------------------------------------------------- failures exit 1
check "a type the agent does not offer: exit 1" \
	test "$(ctl_rc mn lease fixed "$CN_ADDR" --cha "$CHA_ADDR")" -eq 1
check "and its code is printed" grep -q REQUIREDIPNOTSUPPORTED "$ERR"
check "-j: the refusal as clean {error, message}" \
	test "$(ctl_rc mn -j lease fixed "$CN_ADDR" --cha "$CHA_ADDR")" -eq 1
check "-j: the refusal's object" clean_json
for bad in :: ::1 ff02::1 fe80::1 ::ffff:198.51.100.1; do
	check "a lease naming $bad as its anchor: exit 1" \
		test "$(ctl_rc mn lease session-lasting "$CN_ADDR" --cha "$bad" --proto tcp)" -eq 1
	check "and the address is named" grep -qF "$bad is not a global unicast" "$ERR"
done
check "release of an address with no lease: exit 1" test "$(ctl_rc mn release 2001:db8:9::9)" -eq 1
check "and the address is named" grep -q "no lease for 2001:db8:9::9" "$ERR"
# a lease no socket uses ends 3 s after its hand-out (HE_GRACE_MS): the first
# one may be gone by now on a loaded machine (it was once, under the
# sanitizers), so a fresh one is released at once
ctl_rc mn -j lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --proto tcp --fresh >/dev/null
FRESH=$(json 'j.get("addr", "")' <"$OUT")
check "release of a lease just made ($FRESH): exit 0" test "$(ctl_rc mn release "${FRESH:-::}")" -eq 0
check "leases at the anchor, which keeps none: exit 1" test "$(ctl_rc cha leases)" -eq 1
check "a usage error: exit 2" test "$(ctl_rc mn status extra)" -eq 2

# ---------------------------------------------------------------- agent gone
odm_agents_down
for c in hello status leases "release $CHOA"; do
	# shellcheck disable=SC2086 # the words of c are the arguments
	check "$c with the agent stopped: exit 1" test "$(ctl_rc mn $c)" -eq 1
	check "$c with the agent stopped says so" grep -q "cannot connect to $MN_SOCK" "$ERR"
done
check "no sanitizer report in the agents' logs (when built with SAN=1)" odm_agent_logs_clean

if ((FAILS)); then
	echo "--- mn agent log"; tail -n 40 "$MN_AGENT_LOG"
fi
check_summary test_ctl
