# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tests/net/lib/download.sh - a paced download of BIGFILE from cn by mn
# under the shim, and its verdict. Source after check.sh, topo.sh and
# agents.sh, with the agents up.
#
#   odm_download NAME RATE [SECS] - curl in the background (CURL_PID) into
#       $ODM_DIR/NAME.bin (OUT), paced at RATE by cn's nginx (?rate=), given
#       at most SECS seconds (60)
#   odm_download_ok NAME - checks that curl exited 0 and OUT's sha256 is
#       BIGFILE's
#   odm_got_mb FILE MB - FILE has at least MB MiB

odm_download() {
	OUT=$ODM_DIR/$1.bin
	odm_shim_bg curl -6 -sS --max-time "${3:-60}" -o "$OUT" \
		"http://cn.example.test${BIGFILE_URL_PATH}?rate=$2" >"$ODM_DIR/$1.log" 2>&1
	CURL_PID=$ODM_BG_PID
}

odm_download_ok() {
	local rc=0
	wait "$CURL_PID" || rc=$?
	check "$1: curl exits 0 (rc $rc)" test "$rc" -eq 0
	check "$1: the sha256 of the download matches" \
		test "$(topo_sha256 "$OUT")" = "$BIGFILE_SHA256"
}

odm_got_mb() { [[ -f $1 ]] && (($(stat -c %s "$1") >= $2 * 1024 * 1024)); }
