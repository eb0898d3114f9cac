# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tests/net/lib/programs.sh - what the tests of real programs under the
# shim share. Source after check.sh and topo.sh, with the agents up for the
# last three.
#
#   have NAME CMD... - CMD (a tool, or a test of one) is here; else say NAME
#       is left out (# skip) and fail
#   have_all CMD... - every one of the commands is found
#   client_of WHO - the client address nginx on cn logged for the request
#       tagged who=WHO (the last one)
#   is_choa ADDR - ADDR is an address of the CHA's pool
#   all_choas "A B ..." - there is one at least, and each is a CHoA
#   one_choa "A..." - one address (one a line), a CHoA
#   fixed - mn's registered Fixed address ("" if none); has_fixed - there is one
#   sshd_files DIR - a host key, a user key (DIR/user) allowed in for root,
#       and DIR/sshd_config for an sshd on [::]:2222 that keeps all in DIR;
#       makes /run/sshd, sshd's privilege separation directory, if missing

have() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then return 0; fi
	echo "# skip $name: not installed"
	return 1
}
# every one of the commands named is there (command -v with several names
# succeeds when any one of them is found)
have_all() {
	local c
	for c; do command -v "$c" >/dev/null || return 1; done
}
client_of() {
	awk -v w="who=$1" 'index($0, w " ") || index($0, w "&") { a = $1 } END { print a }' \
		"$ODM_RUNDIR/cn/nginx-tcp/access.log"
}
is_choa() { [[ -n $1 ]] && in_prefix "$1" "$CHA_POOL"; }
all_choas() {
	local a
	[[ -n $1 ]] || return 1
	for a in $1; do is_choa "$a" || return 1; done
}
one_choa() { [[ $1 != *$'\n'* ]] && is_choa "$1"; }
fixed() {
	odm_status mn |
		json "' '.join(l['addr'] for l in j['leases'] if l['type'] == 'fixed' and l['state'] == 'registered')"
}
has_fixed() { [[ -n $(fixed) ]]; }
sshd_files() {
	local d=$1
	mkdir -p "$d" /run/sshd
	chmod 700 "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host"
	ssh-keygen -q -t ed25519 -N '' -f "$d/user"
	cp "$d/user.pub" "$d/authorized_keys"
	cat >"$d/sshd_config" <<-EOF
		Port 2222
		ListenAddress ::
		HostKey $d/host
		AuthorizedKeysFile $d/authorized_keys
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		PermitRootLogin prohibit-password
		StrictModes no
		PidFile $d/sshd.pid
		Subsystem sftp /usr/lib/openssh/sftp-server
		LogLevel VERBOSE
	EOF
}
