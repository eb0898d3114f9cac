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
#   odm_downloads_from RATE HOST... - one such curl from each HOST (by its
#       name in the test zone) into $ODM_DIR/HOST.bin, in the background;
#       their pids in ODM_DL[HOST]
#   odm_downloads_ok LABEL HOST... - checks that each of those curls exited
#       0 and its file's sha256 is BIGFILE's

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

declare -A ODM_DL=()
odm_downloads_from() {
	local rate=$1 h
	shift
	for h; do
		odm_shim_bg curl -6 -sS --max-time 60 -o "$ODM_DIR/$h.bin" \
			"http://$h.$DNS_ZONE$BIGFILE_URL_PATH?rate=$rate" 2>"$ODM_DIR/$h.err"
		ODM_DL[$h]=$ODM_BG_PID
	done
}

odm_downloads_ok() {
	local label=$1 h rc
	shift
	for h; do
		rc=0
		wait "${ODM_DL[$h]}" || rc=$?
		check "${label}the download from $h completed (curl rc $rc)" test "$rc" -eq 0
		check "${label}with the right sha256" \
			test "$(topo_sha256 "$ODM_DIR/$h.bin")" = "$BIGFILE_SHA256"
	done
}
