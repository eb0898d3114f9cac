#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_replay_udp.sh - test_replay.sh with "tunnel-encap udp": the anchor's
# replay after a move (bounded to the host's outage) works the same when
# the tunnel is UDP.
#
# Exit 0 pass, 1 fail, 77 skip (as test_replay.sh).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# (the userspace backend, the one that carries it, whatever ODM_TUNNEL the run has)
ODM_TUNNEL=user ODM_TUNNEL_ENCAP=udp exec bash "$HERE/test_replay.sh"
