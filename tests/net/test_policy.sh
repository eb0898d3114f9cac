#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_policy.sh - the host agent's policy file (odm-policy(5)) on the
# namespace test network (topo.sh + agents.sh), judged by the kernel's
# credentials of each requester:
#   1. two unmodified programs under LD_PRELOAD (curl and python3, no
#      ODM_TYPE) get different default types: curl a CHoA, python3 plain;
#   2. a uid the policy allows only Non-persistent (nobody) is refused
#      Session-lasting with setsc_to() (EAI_REQUIREDIPNOTSUPPORTED) and with
#      ODM_TYPE, and Fixed on the control socket, and no BU is sent;
#   3. a client that lies about its uid and program in the request, or in
#      its argv[0], is still judged by its kernel credentials;
#   4. a uid at its lease quota is refused a new lease (REQUIREDIPFAILED) but
#      may share one it holds, while root still gets leases;
#   5. odmctl policy show/test/add/del: add and del (root only) rewrite the
#      file, keeping its comments, and change the default for new sockets;
#   6. odmctl reload and SIGHUP change the default for new sockets while a
#      download started before completes (sha256); a bad file on reload
#      changes nothing and odmctl prints why (exit 1).
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -Eeuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_policy "network namespaces, TUN, other uids" ip python3 setpriv curl named radvd \
	nginx openssl
getent group nogroup >/dev/null || { echo "SKIP: no group nogroup"; exit 77; }

. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_policy' ERR

SETSC=$ODM_BUILD/examples/setsc_fetch
[[ -x $SETSC ]] || { echo "SKIP: $SETSC not built (make)"; exit 77; }

# A 32 MiB file paced at 4 MiB/s: a download of about 8 s to reload under.
export TOPO_BIGFILE_MB=32
export ODM_CTL_GROUP=nogroup
topo_up
POLDIR=$ODM_RUNDIR/policy
mkdir -p "$POLDIR"
export ODM_POLICY_FILE=$POLDIR/odm.policy
cat >"$ODM_POLICY_FILE" <<'EOF'
# test_policy.sh: curl gets Session-lasting by default, everyone else plain
default non-persistent
allow session-lasting
quota 2

rule uid 65534 allow non-persistent
rule exe /usr/bin/curl default session-lasting
rule uid 0 allow all quota none
EOF
cp "$ODM_POLICY_FILE" "$POLDIR/original"
odm_agents_up

BIN=$ODM_RUNDIR/ctl
cat >"$BIN/srcaddr.py" <<'EOF'
# connect to HOST PORT over IPv6 and print the source address the socket got
import socket, sys
fam, kind, proto, _, sa = socket.getaddrinfo(sys.argv[1], int(sys.argv[2]),
                                             socket.AF_INET6, socket.SOCK_STREAM)[0]
s = socket.socket(fam, kind, proto)
s.connect(sa)
print(s.getsockname()[0])
EOF
# lease requests straight on the control socket, one per argument (JSON
# fields added to op and id), on one connection; one reply per line
cat >"$BIN/rawlease.py" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rb")
for i, extra in enumerate(sys.argv[2:]):
    req = {"op": "lease", "id": i + 1}
    req.update(json.loads(extra))
    s.sendall(json.dumps(req).encode() + b"\n")
    print(f.readline().decode().strip(), flush=True)
EOF
chmod 0644 "$BIN/srcaddr.py" "$BIN/rawlease.py"

# as UID CMD... - CMD on mn as UID, group nogroup, no other groups
# shim UID CMD... - CMD as UID under libodm.so, no ODM_TYPE (policy decides)
shim() {
	local uid=$1
	shift
	odm_as "$uid" env -u ODM_TYPE LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" "$@"
}
curl_src() { shim "$1" curl -6 -s -o /dev/null -w '%{local_ip}' "http://cn.example.test:$HTTP_PORT/"; }
py_src() { shim "$1" /usr/bin/python3 "$BIN/srcaddr.py" cn.example.test "$HTTP_PORT"; }
raw() {
	local uid=$1
	shift
	odm_as "$uid" /usr/bin/python3 "$BIN/rawlease.py" "$MN_SOCK" "$@"
}
LEASE_SL='"type":"session-lasting","dst":"'$CN_ADDR'","cha":"'$CHA_ADDR'","proto":"tcp"'

# ---------------------------------------------------------------- 1. defaults per program
MNA=$(topo_mn_addr)
SRC=$(curl_src 0)
check "curl (no ODM_TYPE) gets a CHoA by default ($SRC in $CHA_POOL)" in_prefix "${SRC:-::}" "$CHA_POOL"
SRC=$(py_src 0)
check "python3 (no ODM_TYPE) gets the plain address by default ($SRC = $MNA)" test "$SRC" = "$MNA"
check "the agent started with the policy file" grep -q "policy $ODM_POLICY_FILE: 3 rule(s)" "$MN_AGENT_LOG"

# ---------------------------------------------------------------- 2. a uid without permission
BU0=$(odm_reg_counter bu_sent)
L0=$(odm_lease_count)
RC=0
odm_as 65534 env -u LD_PRELOAD ODM_SOCKET="$MN_SOCK" "$SETSC" -x -t session-lasting \
	cn.example.test "$HTTP_PORT" / 2>"$ODM_DIR/nobody-setsc.err" || RC=$?
cat "$ODM_DIR/nobody-setsc.err"
check "nobody: setsc_to(Session-lasting) is refused (rc $RC)" test "$RC" -eq 3
check "with EAI_REQUIREDIPNOTSUPPORTED" grep -q '^setsc session-lasting -> EAI_REQUIREDIPNOTSUPPORTED' \
	"$ODM_DIR/nobody-setsc.err"
RC=0
odm_as 65534 env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" ODM_TYPE=session-lasting \
	curl -6 -s -o /dev/null "http://cn.example.test:$HTTP_PORT/" || RC=$?
check "nobody: curl with ODM_TYPE=session-lasting cannot connect (curl rc $RC)" test "$RC" -ne 0
raw 65534 "{$LEASE_SL}" '{"type":"fixed","dst":"'$CN_ADDR'","proto":"tcp"}' >"$ODM_DIR/nobody-raw.out"
cat "$ODM_DIR/nobody-raw.out"
check "nobody: a lease request for session-lasting is REQUIREDIPNOTSUPPORTED by policy" \
	grep -q '"error":"REQUIREDIPNOTSUPPORTED".*policy: session-lasting is not allowed for uid 65534 (rule 1, line 6)' \
	<(sed -n 1p "$ODM_DIR/nobody-raw.out")
check "nobody: and Fixed likewise" \
	grep -q '"error":"REQUIREDIPNOTSUPPORTED".*policy: fixed is not allowed for uid 65534' \
	<(sed -n 2p "$ODM_DIR/nobody-raw.out")
check "no BU was sent for any of them (bu_sent $BU0)" test "$(odm_reg_counter bu_sent)" -eq "$BU0"
check "and no lease was made" test "$(odm_lease_count)" -le "$L0"
# A daemon that drops root after its first lease is judged as it is now:
# its socket leased as root stays open (the process holds that lease), yet
# its next connect, as nobody, is refused like nobody's.
cat >"$BIN/dropper.py" <<'EOF2'
import errno, os, socket, sys
dst = socket.getaddrinfo(sys.argv[1], int(sys.argv[2]), socket.AF_INET6, socket.SOCK_STREAM)[0][4]
a = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
a.settimeout(5)
a.connect(dst)
print("as root:", a.getsockname()[0], flush=True)
os.setgroups([]); os.setgid(65534); os.setuid(65534)
b = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
b.settimeout(5)
e = b.connect_ex(dst)
print("as nobody:", errno.errorcode.get(e, e), flush=True)
EOF2
nsq mn env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" ODM_TYPE=session-lasting \
	/usr/bin/python3 "$BIN/dropper.py" cn.example.test "$HTTP_PORT" >"$ODM_DIR/dropper.out" 2>&1 || true
cat "$ODM_DIR/dropper.out"
check "a daemon's socket as root gets a CHoA" \
	in_prefix "$(sed -n 's/^as root: //p' "$ODM_DIR/dropper.out")" "$CHA_POOL"
check "after setuid(65534) its next Session-lasting connect is refused (EADDRNOTAVAIL)" \
	grep -qx 'as nobody: EADDRNOTAVAIL' "$ODM_DIR/dropper.out"

# ---------------------------------------------------------------- 3. lies
raw 65534 "{$LEASE_SL,\"uid\":0,\"exe\":\"/usr/bin/curl\"}" >"$ODM_DIR/liar.out"
cat "$ODM_DIR/liar.out"
check "a client saying it is uid 0 running curl is judged as nobody" \
	grep -q '"error":"REQUIREDIPNOTSUPPORTED".*for uid 65534' "$ODM_DIR/liar.out"
check "the agent noted the claim" grep -q 'uid 65534 pid [0-9]* claims to be uid 0' "$MN_AGENT_LOG"
check "and the program it claimed" grep -q 'claims to run /usr/bin/curl: judged as /usr/bin/python3' \
	"$MN_AGENT_LOG"
# argv[0] says curl, the kernel says python3
SRC=$(odm_as 0 env -u ODM_TYPE LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
	bash -c 'exec -a /usr/bin/curl /usr/bin/python3 "$@"' x "$BIN/srcaddr.py" cn.example.test "$HTTP_PORT")
check "python3 started as /usr/bin/curl (argv[0]) still gets python3's default ($SRC = $MNA)" \
	test "$SRC" = "$MNA"

# ---------------------------------------------------------------- 4. quota
FRESH="{$LEASE_SL,\"fresh\":true}"
raw 1000 "$FRESH" "$FRESH" "$FRESH" "{$LEASE_SL}" >"$ODM_DIR/quota.out"
cat "$ODM_DIR/quota.out"
q_ok() { sed -n "${1}p" "$ODM_DIR/quota.out" | json 'j["ok"] and "addr" in j'; }
check "uid 1000: a first fresh lease" test "$(q_ok 1)" = True
check "uid 1000: a second fresh lease" test "$(q_ok 2)" = True
check "uid 1000: a third is over the quota of 2 (REQUIREDIPFAILED)" \
	grep -q '"error":"REQUIREDIPFAILED".*policy: quota of 2 leases reached (global quota, line 4)' \
	<(sed -n 3p "$ODM_DIR/quota.out")
check "uid 1000: at its quota it may still share a lease it holds" test "$(q_ok 4)" = True
raw 0 "$FRESH" >"$ODM_DIR/quota-root.out"
cat "$ODM_DIR/quota-root.out"
check "root still gets a fresh lease" test "$(json 'j["ok"]' <"$ODM_DIR/quota-root.out")" = True

# ---------------------------------------------------------------- 5. odmctl policy
odm_ctl mn -j policy show >"$ODM_DIR/show.json"
check "policy show -j: the file and 3 rules" \
	test "$(json 'j["file"] + " " + str(len(j["rules"]))' <"$ODM_DIR/show.json")" = "$ODM_POLICY_FILE 3"
check "policy show -j: rule 2 is curl's, on line 7" \
	test "$(json 'j["rules"][1]["exe"] + " " + str(j["rules"][1]["line"])' <"$ODM_DIR/show.json")" = "/usr/bin/curl 7"
odm_ctl mn policy show >"$ODM_DIR/show.txt"
cat "$ODM_DIR/show.txt"
check "policy show: one line per rule, numbered, with its line and text" \
	grep -qx '  2  line 7  rule exe /usr/bin/curl default session-lasting' "$ODM_DIR/show.txt"
check "policy show: the globals" grep -qx 'quota 2' "$ODM_DIR/show.txt"
check "policy show: its lines in order, none empty ($(head -5 "$ODM_DIR/show.txt" | cut -d' ' -f1 | xargs))" \
	test "$(head -5 "$ODM_DIR/show.txt" | cut -d' ' -f1 | xargs)" = "file default allow quota rules"
odm_ctl mn -j policy test --uid 65534 --type fixed >"$ODM_DIR/test.json"
check "policy test: nobody may not have fixed (rule 1)" \
	test "$(json '"%s %s" % (j["allowed"], j["rule"])' <"$ODM_DIR/test.json")" = "False 1"
odm_ctl mn -j policy test --uid 1000 --exe /usr/bin/curl >"$ODM_DIR/test.json"
check "policy test: uid 1000's curl gets session-lasting by default" \
	test "$(json 'j["type"]' <"$ODM_DIR/test.json")" = session-lasting
# as text, the allow set and the quota are written as policy show writes them
odm_ctl mn policy test --uid 1000 --exe /usr/bin/curl >"$ODM_DIR/test.txt"
check "policy test: its allow set and quota as policy show has them ($(grep -E '^(allow|quota) ' \
	"$ODM_DIR/test.txt" | xargs))" test "$(grep -E '^(allow|quota) ' "$ODM_DIR/test.txt" | xargs)" = \
	"allow session-lasting,non-persistent quota 2"
odm_ctl mn policy test --uid 0 >"$ODM_DIR/test0.txt"
check "policy test: root's rule has no quota, written as policy show does ($(grep '^quota ' "$ODM_DIR/test0.txt"))" \
	grep -qx 'quota none' "$ODM_DIR/test0.txt"
RC=0
odm_as 65534 "$ODM_BUILD/odmctl" -s "$MN_SOCK" policy add uid 65534 allow all 2>"$ODM_DIR/eperm.err" || RC=$?
check "policy add as nobody fails (exit $RC)" test "$RC" -eq 1
check "with EPERM" grep -q 'EPERM: only root may change the policy' "$ODM_DIR/eperm.err"
RC=0
"$ODM_BUILD/odmctl" -s "$MN_SOCK" policy add uid x 2>"$ODM_DIR/badrule.err" || RC=$?
check "policy add of a bad rule fails (exit $RC)" test "$RC" -eq 1
check "its error names the new rule, not a line of the file" \
	grep -q 'EINVAL: new rule: x: expected a number' "$ODM_DIR/badrule.err"
check "and the file is unchanged" cmp "$ODM_POLICY_FILE" "$POLDIR/original"
# "at" is the number of the rule to insert before: 0 names none (odmctl
# refuses --at 0 itself), rather than meaning "after the last"
R0=$(nsq mn python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"{\"id\": 1, \"op\": \"policy-add\", \"rule\": \"uid 4343\", \"at\": 0}\n")
print(s.makefile().readline().strip())' "$MN_SOCK")
check "policy-add with \"at\": 0 is refused, naming it ($R0)" \
	grep -q '"EINVAL".*field \\"at\\": no rule 0' <<<"$R0"
check "and the file is unchanged" cmp "$ODM_POLICY_FILE" "$POLDIR/original"
odm_ctl mn policy add --at 1 exe '/usr/bin/python3*' default session-lasting
check "policy add wrote the rule before rule 1, keeping the comment" \
	diff <(printf '%s\n' "rule exe /usr/bin/python3* default session-lasting") \
	<(grep -n '' "$ODM_POLICY_FILE" | sed -n 's/^6://p')
check "the comment is still there" grep -q '^# test_policy.sh' "$ODM_POLICY_FILE"
SRC=$(py_src 0)
check "now python3 gets a CHoA by default ($SRC in $CHA_POOL)" in_prefix "${SRC:-::}" "$CHA_POOL"
odm_ctl mn policy del 1
check "policy del 1 gives back the original file" cmp "$ODM_POLICY_FILE" "$POLDIR/original"
# a group rule sees supplementary groups (/proc/PID/status), not only the primary one
odm_ctl mn policy add gid 4242 default session-lasting
SRC=$(ip netns exec "$NS_MN" setpriv --reuid=1001 --regid=nogroup --groups=4242 env -u ODM_TYPE \
	LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" /usr/bin/python3 "$BIN/srcaddr.py" \
	cn.example.test "$HTTP_PORT")
check "uid 1001 with the supplementary group 4242 gets a CHoA by default ($SRC in $CHA_POOL)" \
	in_prefix "${SRC:-::}" "$CHA_POOL"
SRC=$(py_src 1001)
check "without it, the plain address ($SRC = $MNA)" test "$SRC" = "$MNA"
odm_ctl mn policy del 4
check "policy del 4 gives back the original file" cmp "$ODM_POLICY_FILE" "$POLDIR/original"

# ---------------------------------------------------------------- 6. reload during a download
shim 0 curl -6 -s -w '%{local_ip}' -o "$ODM_DIR/big.out" \
	"http://cn.example.test:$HTTP_PORT${BIGFILE_URL_PATH}?rate=4m" >"$ODM_DIR/big.src" &
BIG_PID=$!
# the download's source address, from the kernel's socket table
big_src() {
	ip netns exec "$NS_MN" ss -Htn state established dst "[$CN_ADDR]:$HTTP_PORT" |
		awk '{ a = $3; sub(/\]:[0-9]+$/, "", a); sub(/^\[/, "", a); print a; exit }'
}
started() { [[ -s $ODM_DIR/big.out && -n $(big_src) ]]; }
check "the download has started" wait_for 10 started
BIGSRC=$(big_src)
lease_held() { grep -qx True <<<"$(odm_status mn | json '"'"$BIGSRC"'" in [l["addr"] for l in j["leases"]]')"; }
check "its socket is bound to a lease ($BIGSRC)" lease_held
sed -i 's|^rule exe /usr/bin/curl default session-lasting|rule exe /usr/bin/curl default non-persistent|' \
	"$ODM_POLICY_FILE"
odm_ctl mn reload
SRC=$(curl_src 0)
check "after odmctl reload a new curl gets the plain address ($SRC = $MNA)" test "$SRC" = "$MNA"
# a bad file changes nothing
cp "$ODM_POLICY_FILE" "$POLDIR/good"
echo "rule exe curl" >>"$ODM_POLICY_FILE"
RC=0
odm_ctl mn reload 2>"$ODM_DIR/reload.err" || RC=$?
cat "$ODM_DIR/reload.err"
check "odmctl reload of a bad policy fails (exit $RC)" test "$RC" -eq 1
check "and says where and why" grep -qF "$ODM_POLICY_FILE:9: curl: expected an absolute path" \
	"$ODM_DIR/reload.err"
check "the agent logged it kept the old policy" \
	grep -q 'reload: .*odm.policy:9: curl: .*configuration and policy kept as they were' "$MN_AGENT_LOG"
check "the policy in force still has 3 rules" \
	test "$(odm_ctl mn -j policy show | json 'len(j["rules"])')" = 3
# SIGHUP: back to Session-lasting for curl
sed 's|^rule exe /usr/bin/curl default non-persistent|rule exe /usr/bin/curl default session-lasting|' \
	"$POLDIR/good" >"$ODM_POLICY_FILE"
grep -q '^rule exe /usr/bin/curl default session-lasting' "$ODM_POLICY_FILE"
kill -HUP "$MN_AGENT_PID"
curl_default() { grep -qx session-lasting <<<"$(odm_ctl mn -j policy test --uid 0 --exe /usr/bin/curl | json 'j["type"]')"; }
check "after SIGHUP the policy says session-lasting for curl again" wait_for 5 curl_default
SRC=$(curl_src 0)
check "and a new curl gets a CHoA ($SRC in $CHA_POOL)" in_prefix "${SRC:-::}" "$CHA_POOL"
check "the download is still running after both reloads" kill -0 "$BIG_PID"
check "and its lease is still held ($BIGSRC)" lease_held
BRC=0
wait "$BIG_PID" || BRC=$?
check "the download started before the reloads completes (rc $BRC)" test "$BRC" -eq 0
check "over a CHoA ($BIGSRC in $CHA_POOL)" in_prefix "${BIGSRC:-::}" "$CHA_POOL"
check "the one curl reported ($(cat "$ODM_DIR/big.src"))" test "$(cat "$ODM_DIR/big.src")" = "$BIGSRC"
SUM=$(topo_sha256 "$ODM_DIR/big.out")
check "its sha256 matches ($SUM)" test "$SUM" = "$BIGFILE_SHA256"
rm -f "$ODM_DIR/big.out"
# a clean stop frees the policy: with agents built with SAN=1 (ODM_BUILD
# holding a sanitized odmagent next to a plain libodm.so), LeakSanitizer
# reports what was left at exit in the log
topo_kill "$MN_AGENT_PID"
MN_AGENT_PID=''
check "no sanitizer report in the agents' logs" odm_agent_logs_clean

check_summary test_policy
