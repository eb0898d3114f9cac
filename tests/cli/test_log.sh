#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_log.sh - where odmagent logs and how: on standard error, lines that
# start with an ISO 8601 UTC time with milliseconds; with "log syslog" in
# the configuration or -s, syslog(3) with ident odmagent[PID], facility
# daemon and the priority of each level (error 27, warn 28, info 30;
# debug would be 31), and nothing on standard error.
# The system logger is tests/cli/syslog_sink.py on /dev/log in a private
# mount namespace (a tmpfs over /dev there), the agent runs in a private
# network namespace: root is needed, else the syslog part is skipped.
# With root, -v is tried across a reload to "log-level warn".
#
# usage: ODM_BUILD=build bash tests/cli/test_log.sh
TEST_NAME=test_log.sh
. "$(dirname "$0")/lib.sh"

KEY=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
# conf NAME [LINE...] - a host configuration in $TMP/NAME.conf
conf() {
	local name=$1
	shift
	{
		echo "role mn"
		echo "control $TMP/$name.sock"
		echo "state-dir $TMP/$name.state"
		echo "identity mn1@example.org spi 300 key $KEY"
		printf '%s\n' "$@"
	} >"$TMP/$name.conf"
}
# no_caps CMD... - CMD without CAP_NET_ADMIN, so the agent stops at once
no_caps() {
	if ((EUID == 0)); then
		unshare -n setpriv --inh-caps=-all --bounding-set=-net_admin "$@"
	else
		"$@"
	fi
}
STAMP_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z odmagent\[[0-9]+\] '

# ---------------------------------------------------------------- standard error
conf plain
T0=$(date +%s)
expect 1 "an agent without CAP_NET_ADMIN stops" no_caps "$AGENT" -f "$TMP/plain.conf"
LINE=$(grep -m1 'cannot start' "$TMP/err" || true)
if [[ $LINE =~ $STAMP_RE'error: main: role mn cannot start' ]]; then
	ok "the line starts with an ISO 8601 time, the ident, the pid and the level"
else bad "the stderr line: \"$LINE\""; fi
T=$(date -ud "${LINE%% *}" +%s 2>/dev/null || echo 0)
check "its time is UTC and now ($T vs $T0)" test $((T - T0)) -ge -1 -a $((T - T0)) -le 5
empty out "nothing on standard output"

# ---------------------------------------------------------------- -v on reload
# -v logs at least at the info level, also after a SIGHUP that reads
# "log-level warn": the reload's own info line is still written.
if ((EUID == 0)) && unshare -n true 2>/dev/null; then
	conf verbose "log-level info"
	cat >"$TMP/verbose.sh" <<'SH'
set -eu
ip link set lo up
"$AGENT" -v -f "$TMP/verbose.conf" 2>"$TMP/verbose.err" &
agent=$!
for _ in $(seq 100); do grep -q 'role mn started' "$TMP/verbose.err" && break; sleep 0.05; done
sed -i 's/^log-level info$/log-level warn/' "$TMP/verbose.conf"
kill -HUP "$agent"
for _ in $(seq 40); do grep -q 'reloaded' "$TMP/verbose.err" && break; sleep 0.05; done
kill -TERM "$agent"
wait "$agent"
SH
	export TMP AGENT
	check "an agent run with -v starts, reloads and stops" unshare -n bash "$TMP/verbose.sh"
	check "-v: the reload to log-level warn is still logged at info" \
		grep -q "info: agent_reload: SIGHUP: $TMP/verbose.conf reloaded" "$TMP/verbose.err"
	check "-v: so is the stop after it" grep -q 'info: on_signal: Terminated: stopping' \
		"$TMP/verbose.err"
else echo "# -v on reload not tried: needs root and unshare -n"; fi

# ---------------------------------------------------------------- syslog
if ((EUID != 0)); then skip "the syslog part needs root (mount namespace); stderr part passed"; fi
unshare -m -n true 2>/dev/null || skip "unshare -m -n is not permitted here"
conf viaconf "log syslog" "log-level info"
conf viaflag
SINK=$TMP/syslog.txt
cat >"$TMP/inner.sh" <<'SH'
# runs in a private mount and network namespace: /dev/log is ours
set -eu
mount --make-rprivate /
mkdir "$TMP/realdev"
mount --rbind /dev "$TMP/realdev"
mount -t tmpfs -o mode=0755 odmdev /dev
for f in "$TMP"/realdev/*; do [ "${f##*/}" = log ] || ln -s "$f" /dev/; done
python3 "$CLI_HERE/syslog_sink.py" /dev/log "$SINK" "$TMP/ready" &
sink=$!
for _ in $(seq 100); do [ -s "$TMP/ready" ] && break; sleep 0.05; done
ip link set lo up
# 1. "log syslog" in the file: info lines, then a SIGHUP with a bad file (warn)
"$AGENT" -f "$TMP/viaconf.conf" 2>"$TMP/viaconf.err" &
agent=$!
for _ in $(seq 100); do grep -q 'role mn started' "$SINK" 2>/dev/null && break; sleep 0.05; done
cp "$TMP/viaconf.conf" "$TMP/viaconf.good"
echo "frobnicate yes" >>"$TMP/viaconf.conf"
kill -HUP "$agent"
for _ in $(seq 100); do grep -q 'configuration and policy kept' "$SINK" && break; sleep 0.05; done
kill -TERM "$agent"
wait "$agent" || echo "agent exit $?" >>"$TMP/viaconf.err"
# 2. -s and -d on the command line, without CAP_NET_ADMIN: debug and error
setpriv --inh-caps=-all --bounding-set=-net_admin "$AGENT" -s -d -f "$TMP/viaflag.conf" \
	2>"$TMP/viaflag.err" || echo "exit $?" >"$TMP/viaflag.rc"
sleep 0.2
kill -TERM "$sink"
wait "$sink" || true
SH
export TMP AGENT SINK CLI_HERE
check "the agent ran with /dev/log of its own" unshare -m -n bash "$TMP/inner.sh"
echo "  syslog got $(wc -l <"$SINK") messages"
[[ -z ${CLI_VERBOSE:-} ]] || sed 's/^/  | /' "$SINK"
# pri PRI PATTERN DESC - a message <PRI> from odmagent[pid] holding PATTERN
pri() {
	if grep -E "^<$1>.* odmagent\[[0-9]+\]: " "$SINK" | grep -qF -- "$2"; then ok "$3"; else
		bad "$3: no <$1> odmagent[PID] message with \"$2\": $(head -c 600 "$SINK")"
	fi
}
pri 30 "control_open: listening on $TMP/viaconf.sock" "log syslog: info at daemon.info (30)"
pri 30 "role mn started" "the start is logged at daemon.info"
pri 28 "configuration and policy kept as they were" "a bad reload is logged at daemon.warning (28)"
pri 30 "stopping" "SIGTERM is logged at daemon.info"
check "no message of the first agent on stderr" test ! -s "$TMP/viaconf.err"
check "-s without CAP_NET_ADMIN exits 1" grep -qx "exit 1" "$TMP/viaflag.rc"
pri 27 "main: role mn cannot start: odmagent lacks CAP_NET_ADMIN" \
	"-s: the missing privilege at daemon.err (27)"
check "-s: nothing on stderr" test ! -s "$TMP/viaflag.err"
if grep -E "^<(2[4-9]|3[01])>" "$SINK" | grep -vqE '^<[0-9]+>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} odmagent\['; then
	bad "a message without the syslog header: $(grep -vE ' odmagent\[' "$SINK" | head -n 3)"
else ok "every message has the syslog header and ident odmagent"; fi
cli_done
