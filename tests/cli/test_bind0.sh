#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_bind0.sh - under the shim, in a process whose type takes an anchor's
# address (no agent needed: ODM_TYPE names it), a bind of a UDP socket to
# [::]:0 waits for its first send (getsockname says port 0 until then), and
# a TCP socket's goes to the kernel at once: a server reads its port right
# after its bind (Java's ServerSocket(0) fails "Not bound" on port 0, a
# "free port" helper returns 0). ODM_TYPE=non-persistent binds both at once.
#
# usage: ODM_BUILD=build bash tests/cli/test_bind0.sh
TEST_NAME=test_bind0.sh
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "no python3"
cat >"$TMP/bind0.py" <<'PY'
import socket
for name, kind in (("tcp", socket.SOCK_STREAM), ("udp", socket.SOCK_DGRAM)):
    s = socket.socket(socket.AF_INET6, kind)
    s.bind(("::", 0))
    print("%s port %s" % (name, "0" if s.getsockname()[1] == 0 else "set"))
    if kind == socket.SOCK_STREAM:
        s.listen(1)
        print("tcp listening port %s" % ("0" if s.getsockname()[1] == 0 else "set"))
PY
run() { env ODM_SOCKET="$TMP/no-agent.sock" LD_PRELOAD="$B/libodm.so" "$@" python3 "$TMP/bind0.py"; }
expect 0 "session-lasting: binds to [::]:0" run ODM_TYPE=session-lasting
has out "tcp port set" "a TCP socket's bind to [::]:0 takes its port at once"
has out "tcp listening port set" "and it listens on it"
has out "udp port 0" "a UDP socket's waits for its first send"
expect 0 "non-persistent: binds to [::]:0" run ODM_TYPE=non-persistent
has out "tcp port set" "non-persistent: TCP bound at once"
has out "udp port set" "non-persistent: UDP bound at once"
cli_done
