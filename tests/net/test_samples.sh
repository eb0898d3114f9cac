#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_samples.sh - the sample configurations make install ships run a real
# network: test_cha.sh (session continuity through a CHA across a move, and
# the rest of that test) with both agents started from
# odmagent/dist/anchor-cha.conf and odmagent/dist/odmagent.conf, only the
# run's addresses, identity, key file, paths and device names filled in
# (ODM_CONF=samples, tests/net/lib/agents.sh).
#
# Exit 0 pass, 1 fail, 77 skip (as test_cha.sh).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
LOG=$(mktemp "${TMPDIR:-/tmp}/odm-samples.XXXXXX")
trap 'rm -f "$LOG"' EXIT

rc=0
ODM_CONF=samples bash "$HERE/test_cha.sh" 2>&1 | tee "$LOG" || rc=${PIPESTATUS[0]}
((rc == 77)) && exit 77
if ! grep -q '^# agents: configurations from the samples ' "$LOG"; then
	echo "not ok - the agents did not start from the samples (ODM_CONF=samples ignored)"
	rc=1
fi
if ((rc == 0)); then
	echo "test_samples: all checks passed (test_cha with the sample configurations)"
else
	echo "test_samples: failed (test_cha exit $rc with the sample configurations)"
	exit 1
fi
