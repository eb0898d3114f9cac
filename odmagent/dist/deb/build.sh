#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# build.sh - the Debian package of ODM, with Debian's own tools: make
# install into a staging tree, then the binary package's metadata, then
# dpkg-deb. Run by "make deb" after the build; prints the .deb's path last.
#
# usage: bash odmagent/dist/deb/build.sh BUILD VERSION
#
# What the package gets:
#   - every file of make install with PREFIX=/usr, LIBDIR=/usr/lib and
#     SYSCONFDIR=/etc (odmctl run finds libodm.so in /usr/lib), programs and
#     library stripped, man pages gzipped (Debian policy 12.1), the licence
#     as /usr/share/doc/odm/copyright (policy 12.5);
#   - Depends read from the binaries by dpkg-shlibdeps;
#   - the files under /etc as conffiles, so dpkg keeps an operator's edits;
#   - the maintainer scripts of this directory (they start no service), and
#     an ldconfig trigger for libodm.so.0.
set -euo pipefail

BUILD=${1:?usage: build.sh BUILD VERSION}
VERSION=${2:?usage: build.sh BUILD VERSION}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
for t in dpkg-deb dpkg-shlibdeps dpkg-architecture strip gzip; do
	command -v "$t" >/dev/null || {
		echo "deb: $t is missing (apt-get install dpkg-dev binutils)" >&2
		exit 1
	}
done
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
WORK=$BUILD/deb
PKG=$WORK/debian/odm
DEB=$BUILD/odm_${VERSION}_${ARCH}.deb

rm -rf "$WORK"
mkdir -p "$PKG/DEBIAN"
make -C "$ROOT" --no-print-directory -s BUILD="$BUILD" install DESTDIR="$PKG" PREFIX=/usr \
	LIBDIR=/usr/lib SYSCONFDIR=/etc >/dev/null

# Debian's layout: stripped objects, gzipped man pages, the licence as copyright.
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	"$PKG/usr/sbin/odmagent" "$PKG/usr/bin/odmctl" "$PKG/usr/lib/libodm.so.$VERSION"
find "$PKG/usr/share/man" -type f -exec gzip -9n {} +
mv "$PKG/usr/share/doc/odm/LICENSE" "$PKG/usr/share/doc/odm/copyright"

# Depends: the shared libraries the programs and libodm.so use.
mkdir -p "$WORK/debian"
printf 'Source: odm\n\nPackage: odm\nArchitecture: any\n' >"$WORK/debian/control"
depends=$(cd "$WORK" && dpkg-shlibdeps -O -e debian/odm/usr/sbin/odmagent \
	-e debian/odm/usr/bin/odmctl -e "debian/odm/usr/lib/libodm.so.$VERSION" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
[[ -n $depends ]] || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

size=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
sed -e '/^#/d' -e "s|@VERSION@|$VERSION|" -e "s|@ARCH@|$ARCH|" -e "s|@DEPENDS@|$depends|" \
	-e "s|@SIZE@|$size|" "$HERE/control.in" >"$PKG/DEBIAN/control"
(cd "$PKG" && find etc -type f | sed 's|^|/|' | sort) >"$PKG/DEBIAN/conffiles"
for s in postinst prerm postrm; do install -m 0755 "$HERE/$s" "$PKG/DEBIAN/$s"; done
sed '/^#/d' "$HERE/triggers" >"$PKG/DEBIAN/triggers"
chmod 0644 "$PKG/DEBIAN/triggers" "$PKG/DEBIAN/control" "$PKG/DEBIAN/conffiles"
(cd "$PKG" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort |
	xargs md5sum) >"$PKG/DEBIAN/md5sums"
chmod 0644 "$PKG/DEBIAN/md5sums"

dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" >/dev/null
echo "deb: odm $VERSION $ARCH, $(stat -c %s "$DEB") bytes, Installed-Size $size KiB"
echo "$DEB"
