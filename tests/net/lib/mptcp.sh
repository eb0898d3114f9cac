# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tests/net/lib/mptcp.sh - MPTCP on mn as the baseline ODM is measured
# against: a download from cn's MPTCP nginx whose subflows follow mn's moves
# with the kernel path manager. Source after topo.sh.
#
#   mptcp_download_start URL SHA_FILE  curl under mptcpize in the background
#                                      (MPTCP_PID), the current link as the
#                                      one subflow endpoint; the sha256 of the
#                                      bytes goes to SHA_FILE
#   mptcp_follow_move OLD_IF NEW_IF    after a move: an endpoint for the new
#                                      address, the old one removed
#   mptcp_stop                         flush the endpoints

mptcp_download_start() {
	local url=$1 sha=$2 ifc
	if [[ $(topo_mn_attached) == ar1 ]]; then ifc=$MN_IF1; else ifc=$MN_IF2; fi
	nsx mn ip mptcp limits set subflows 4 add_addr_accepted 4
	nsx mn ip mptcp endpoint flush
	nsx mn ip mptcp endpoint add "$(topo_mn_addr)" dev "$ifc" subflow
	# MPTCP may stall ~3 s with the kernel's default DAD: 10 s without progress
	nsx mn mptcpize run curl -sS -6 -o - --max-time 60 --speed-limit 1000 --speed-time 10 \
		"$url" 2>"$sha.err" | sha256sum >"$sha" &
	MPTCP_PID=$!
}

mptcp_follow_move() {
	local old_if=$1 new_if=$2 old_id
	# New address in, old one out: the kernel path manager opens a subflow
	# from the new address and closes the one from the old.
	nsx mn ip mptcp endpoint add "$(topo_mn_addr "$new_if")" dev "$new_if" subflow
	old_id=$(nsq mn ip mptcp endpoint show |
		awk -v d="$old_if" '$0 ~ "dev " d {for (i = 1; i < NF; i++) if ($i == "id") print $(i + 1)}')
	if [[ -n $old_id ]]; then nsx mn ip mptcp endpoint delete id "$old_id"; fi
}

mptcp_stop() { nsx mn ip mptcp endpoint flush; }
