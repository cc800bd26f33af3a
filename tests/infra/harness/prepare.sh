#!/bin/bash
# Cached preparation of everything the infra tests need on this (Debian 12) machine:
# host tools, the bookworm base rootfs tarball, the pgvector .deb for PG 15 in a local
# apt repo. Idempotent; a warm run takes a second. The wheelhouse is built by the app
# role itself (controller side, cached by requirements hash).
. "$(dirname "$0")/lib.sh"
mkdir -p "$NSC/debs" "$NSC/acng" "$CACHE/localrepo"

need=()
for p in debootstrap systemd-container apt-cacher-ng zstd dpkg-dev iproute2 procps openssh-client openssl curl pebble; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "apt install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # apt-cacher-ng's package starts a system-wide daemon when it can; we run our own.
fi

BASE=$(base_tarball)
if [ ! -f "$BASE" ]; then
  M=$(mirror); SEC=$(security_mirror)
  log "debootstrap bookworm -> $BASE (a few minutes, once)"
  B=$(mktemp -d "$NSC/bootstrap.XXXX"); trap 'rm -rf "$B"' EXIT
  debootstrap --variant=minbase --cache-dir="$NSC/debs" --include="$BASE_INCLUDE" \
    bookworm "$B/root" "$M" >"$NSC/debootstrap.log" 2>&1 || { tail -20 "$NSC/debootstrap.log" >&2; exit 1; }
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$B/root/etc/hosts"
  { echo "deb $M bookworm main"; echo "deb $M bookworm-updates main"
    [ -z "$SEC" ] || echo "deb $SEC bookworm-security main"; } >"$B/root/etc/apt/sources.list"
  rm -f "$B"/root/var/cache/apt/archives/*.deb "$B"/root/var/lib/apt/lists/*_*
  tar -C "$B/root" -cf - . | zstd -q -T0 -3 -o "$BASE.tmp" && mv "$BASE.tmp" "$BASE"
  rm -rf "$B"; trap - EXIT
fi

if ! ls "$CACHE"/localrepo/postgresql-15-pgvector_*.deb >/dev/null 2>&1; then
  log "building postgresql-15-pgvector from Debian trixie's source package (once)"
  B=$(mktemp -d "$NSC/pgv.XXXX"); trap 'rm -rf "$B"' EXIT
  mkdir -p "$B/root"; zstd -dc "$BASE" | tar -C "$B/root" -xf -
  echo "deb-src $(mirror) trixie main" >"$B/root/etc/apt/sources.list.d/trixie-src.list"
  cp /etc/resolv.conf "$B/root/etc/resolv.conf"
  systemd-nspawn -q --register=no --keep-unit -D "$B/root" --pipe -- /bin/bash -ec '
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends build-essential debhelper dpkg-dev fakeroot \
      postgresql-server-dev-15 postgresql-server-dev-all >/dev/null
    mkdir /build && cd /build && apt-get source -qq pgvector >/dev/null 2>&1
    cd pgvector-*/ && pg_buildext updatecontrol
    DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -d -us -uc -b -Pnocheck >/build/log 2>&1' \
    || { tail -30 "$B/root/build/log" >&2 2>/dev/null; exit 1; }
  cp "$B"/root/build/postgresql-15-pgvector_*_amd64.deb "$CACHE/localrepo/"
  rm -rf "$B"; trap - EXIT
fi
if [ ! -s "$CACHE/localrepo/Packages" ] || [ "$(find "$CACHE/localrepo" -name '*.deb' -newer "$CACHE/localrepo/Packages" | wc -l)" -gt 0 ]; then
  (cd "$CACHE/localrepo" && dpkg-scanpackages . >Packages 2>/dev/null)
fi
log "prepared: $(basename "$BASE"), $(cd "$CACHE/localrepo" && ls ./*.deb | tr '\n' ' ')"
