#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_genkey.sh - odmctl genkey: a fresh random key, written with mode 0600
# and never over an existing file (unless -f), and an identity line that
# odmagent -n accepts in a host's and in an anchor's configuration.
# No root, no network.
#
# usage: ODM_BUILD=build bash tests/cli/test_genkey.sh
TEST_NAME=test_genkey.sh
. "$(dirname "$0")/lib.sh"

# conf_ok ROLE LINE DESC - a configuration of ROLE with the identity LINE is valid
conf_ok() {
	local conf=$TMP/$1.conf
	{
		echo "role $1"
		echo "control $TMP/$1.sock"
		if [[ $1 == anchor ]]; then
			echo "address 2001:db8::1"
			echo "pool 2001:db8:1::/64"
		fi
		echo "$2"
	} >"$conf"
	expect 0 "$3" "$AGENT" -n -f "$conf"
}

# ---------------------------------------------------------------- the key in the line
expect 0 "genkey without -o" "$CTL" genkey --nai mn1@example.org --spi 300
LINE=$(grep '^identity ' "$TMP/out")
if [[ $LINE =~ ^identity\ mn1@example\.org\ spi\ 300\ key\ [0-9a-f]{32}$ ]]; then
	ok "the line names the NAI, the SPI and a 32-digit key"
else bad "the identity line: \"$LINE\""; fi
conf_ok mn "$LINE" "odmagent -n accepts the line in a host's configuration"
conf_ok anchor "$LINE" "odmagent -n accepts the line in an anchor's configuration"
expect 0 "genkey again" "$CTL" genkey --nai mn1@example.org --spi 300
LINE2=$(grep '^identity ' "$TMP/out")
check "two keys differ" test "$LINE" != "$LINE2"
expect 0 "genkey with no --spi" "$CTL" genkey --nai mn1@example.org
SPI=$(sed -n 's/^identity [^ ]* spi \([0-9]*\) .*/\1/p' "$TMP/out")
check "a random SPI is 256 or more ($SPI)" test "${SPI:-0}" -ge 256

# ---------------------------------------------------------------- the key in a file
mkdir "$TMP/keys"
KEY=$TMP/keys/mn1.key
expect 0 "genkey -o FILE under umask 000" bash -c 'umask 000; exec "$@"' _ \
	"$CTL" genkey -o "$KEY" --nai mn1@example.org
check "the key file has mode 0600" test "$(stat -c %a "$KEY")" = 600
check "the key file holds 32 hex digits and a newline" \
	grep -qxE '[0-9a-f]{32}' "$KEY"
check "the key file is 33 bytes" test "$(stat -c %s "$KEY")" = 33
LINE=$(grep '^identity ' "$TMP/out")
if [[ $LINE == "identity mn1@example.org spi "*" key-file $KEY" ]]; then
	ok "the line points at the key file by its absolute path"
else bad "the identity line: \"$LINE\""; fi
conf_ok mn "$LINE" "odmagent -n accepts the key-file line (host)"
conf_ok anchor "$LINE" "odmagent -n accepts the key-file line (anchor)"

SUM=$(sha256sum "$KEY")
expect 1 "genkey -o over an existing key" "$CTL" genkey -o "$KEY"
has err "exists" "the refusal says the file exists"
check "the existing key is untouched" test "$(sha256sum "$KEY")" = "$SUM"
ln -s "$TMP/keys/elsewhere" "$TMP/keys/link.key"
expect 1 "genkey -o onto a symbolic link" "$CTL" genkey -o "$TMP/keys/link.key"
check "nothing was written through the link" test ! -e "$TMP/keys/elsewhere"
expect 0 "genkey -f -o replaces the key" "$CTL" genkey -f -o "$KEY"
check "the replaced key differs" test "$(sha256sum "$KEY")" != "$SUM"
check "the replaced key has mode 0600" test "$(stat -c %a "$KEY")" = 600
check "no temporary file is left" test "$(find "$TMP/keys" -type f | wc -l)" = 1
expect 1 "genkey -o in a directory that does not exist" "$CTL" genkey -o "$TMP/no/dir/k"
has err "$TMP/no/dir/k" "the failing path is named"

# ---------------------------------------------------------------- bad values
expect 1 "an SPI below 256" "$CTL" genkey --spi 255
has err '"255"' "the SPI is named"
expect 1 "an SPI that is not a number" "$CTL" genkey --spi 3x
expect 1 "an NAI with a blank" "$CTL" genkey --nai "a b"
has err '"a b"' "the NAI is named"
expect 1 "an NAI of 255 characters" "$CTL" genkey --nai "$(printf 'n%.0s' {1..255})"
cli_done
