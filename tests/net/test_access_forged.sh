#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_access_forged.sh - an access anchor takes a claim only from the
# address's own link. A claim is a BU from the address itself (CoA = home
# address); the MAC does not cover the source, which anyone can forge.
# Another subscriber of the same anchor (identity "other", a key of its own)
# sends, from cn2 across the core, a BU signed with its key that claims
# mn's native address on ar1's link with that address as its source, then
# "moves" it to its own address on cn2 (tests/net/lib/mhcraft.py):
#   - ar1 refuses the claim (it arrived from the core, not from the link:
#     logged) and then the move (155, nothing claimed): no binding, no /128
#     route into ar1's tunnel;
#   - cn's pings to mn's address still reach mn, and none reaches cn2
#     tunnelled (before the mend they all did: the address was the other
#     subscriber's).
# A neighbour on the same link forging the address is not told apart (that
# takes SEND, RFC 3971): anchor_mode_access.c says so.
#
# Exit 0 pass, 1 fail, 77 skip.
set -eEuo pipefail
trap 'check_on_err test_access_forged' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_access_forged "network namespaces, raw sockets" ip python3 tcpdump ping

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
OTHER=other@example.test OTHER_SPI=2000
MH=("/usr/bin/python3" "$HERE/lib/mhcraft.py")

topo_up
odm__dir
odm_keygen other
odm_mn_access_conf ar1 ar2
odm_agents_up
odm_anchor_up ar1 "$AR1_ADDR" "mode access" "access-prefix $AR1_PREFIX" \
	"identity $OTHER spi $OTHER_SPI key-file $ODM_DIR/other.key"
check "mn is on ar1's link with $MN_ADDR1" in_prefix "$MN_ADDR1" "$AR1_PREFIX"
check "ar1 holds no binding yet" test -z "$(odm_anchor_bindings ar1)"

nsx cn2 timeout 8 tcpdump -ni eth0 -c 1 "ip6 proto 41" >"$ODM_DIR/cn2.td" 2>&1 &
TD=$!
sleep 1
# the claim, signed by the other subscriber, from mn's address, sent across the core
nsx cn2 "${MH[@]}" --coa "$MN_ADDR1" --src "$MN_ADDR1" --cha "$AR1_ADDR" --dev eth0 \
	--nai "$OTHER" --spi "$OTHER_SPI" --keyfile "$ODM_DIR/other.key" --seq 10 --bid 1 \
	--hnp "$MN_ADDR1" --lifetime 1000 --service session-lasting --no-answer
check "ar1 logged the claim as from off the address's link" \
	wait_for 3 grep -q "$OTHER claims $MN_ADDR1 from off its link: refused" "$ODM_DIR/ar1-agent.log"
check "and holds no binding" test -z "$(odm_anchor_bindings ar1)"
# the "move" to the other subscriber's own address
OUT=$(nsx cn2 "${MH[@]}" --coa "$CN2_ADDR" --cha "$AR1_ADDR" --dev eth0 --nai "$OTHER" \
	--spi "$OTHER_SPI" --keyfile "$ODM_DIR/other.key" --seq 11 --bid 1 --hnp "$MN_ADDR1" \
	--lifetime 1000 --service session-lasting)
echo "move: $OUT"
check "the move is refused: 155 (nothing claimed)" grep -q "status=155 " <<<"$OUT"
check "ar1 still holds no binding" test -z "$(odm_anchor_bindings ar1)"
check "no route of mn's address into ar1's tunnel" \
	test -z "$(nsq ar1 ip -6 route show "$MN_ADDR1/128")"
check "cn's pings to mn's address reach mn" nsx cn ping -6 -c 3 -i 0.3 -W 1 "$MN_ADDR1"
wait "$TD" || true
check "none reached cn2 through ar1's tunnel" bash -c "! grep -q IP6 '$ODM_DIR/cn2.td'"
check "agents' logs are clean" odm_agent_logs_clean
check_summary test_access_forged
