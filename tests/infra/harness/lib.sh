# Sourced by the harness scripts: paths, cache keys and the machine's own apt mirror.
# shellcheck shell=bash
set -euo pipefail
HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HARNESS/../../.." && pwd)
CACHE=${SIMPLR_CACHE:-/var/cache/simplr}      # persistent between runs
NSC=$CACHE/nspawn                              # base image, debootstrap debs, apt-cacher-ng
RUN=${SIMPLR_RUN:-/tmp/simplr-infra}           # per-run state (rootfs, pids, keys)
MACHINE=${SIMPLR_MACHINE:-simplr-test}
NETNS=${SIMPLR_NETNS:-simplr-infra}
HOST_IP=${SIMPLR_HOST_IP:-10.213.37.1}
CT_IP=${SIMPLR_CT_IP:-10.213.37.2}
VETH=${SIMPLR_VETH:-simplr-h}

log() { printf '\033[1;34m[infra]\033[0m %s\n' "$*" >&2; }

# shellcheck source=../../../scripts/lib.sh
mirror() { (. "$REPO/scripts/lib.sh" && apt_mirror); }
security_mirror() {
  awk '/^URIs:/ && $2 ~ /security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null \
    || true
}

BASE_INCLUDE=systemd,systemd-sysv,dbus,libpam-systemd,python3,python3-apt,openssh-server,sudo,iproute2,ca-certificates,gnupg,locales
base_tarball() { echo "$NSC/base-$(echo "bookworm $BASE_INCLUDE v1" | sha256sum | cut -c1-12).tar.zst"; }
