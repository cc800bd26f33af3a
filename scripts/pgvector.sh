#!/usr/bin/env bash
# Installs pgvector for the local PostgreSQL: from apt when the release packages it,
# otherwise built from Debian trixie's source package (bookworm has none). The .deb is
# cached in $CACHE/localrepo, where the Ansible test harness serves it from too.
. "$(dirname "$0")/lib.sh"
CACHE=${CACHE:-/var/cache/simplr}
V=$(pg_version)
PKG=postgresql-$V-pgvector
dpkg -s "$PKG" >/dev/null 2>&1 && exit 0
if apt-cache show "$PKG" >/dev/null 2>&1; then apt_install "$PKG"; exit 0; fi

mkdir -p "$CACHE/localrepo"
deb=$(ls "$CACHE"/localrepo/"$PKG"_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
  log "building $PKG from the trixie source package"
  echo "deb-src $(apt_mirror) trixie main" >/etc/apt/sources.list.d/simplr-trixie-src.list
  apt-get update -qq
  apt_install build-essential debhelper dpkg-dev fakeroot "postgresql-server-dev-$V" postgresql-server-dev-all
  build=$(mktemp -d); trap 'rm -rf "$build"' EXIT
  (cd "$build" && apt-get source -qq pgvector >/dev/null 2>&1 && cd pgvector-*/ \
    && pg_buildext updatecontrol \
    && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -d -us -uc -b -Pnocheck >"$build/log" 2>&1) \
    || { tail -30 "$build/log" >&2; exit 1; }
  cp "$build/$PKG"_*.deb "$CACHE/localrepo/"
  (cd "$CACHE/localrepo" && dpkg-scanpackages . >Packages 2>/dev/null)
  deb=$(ls "$CACHE"/localrepo/"$PKG"_*.deb | head -1)
fi
dpkg -i "$deb" >/dev/null
log "installed $(basename "$deb")"
