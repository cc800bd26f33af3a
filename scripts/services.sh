#!/usr/bin/env bash
# Starts (or stops) the local PostgreSQL cluster and Redis, with or without systemd as PID 1.
. "$(dirname "$0")/lib.sh"
V=$(pg_version)
start() {
  if is_systemd; then systemctl start postgresql redis-server; return; fi
  pg_lsclusters -h | awk -v v="$V" '$1==v && $2=="main" && $4=="online"' | grep -q . \
    || pg_ctlcluster "$V" main start
  redis-cli ping >/dev/null 2>&1 || redis-server /etc/redis/redis.conf --daemonize yes >/dev/null
  for _ in $(seq 50); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.1; done
}
stop() {
  if is_systemd; then systemctl stop postgresql redis-server; return; fi
  pg_ctlcluster "$V" main stop 2>/dev/null || true
  redis-cli shutdown nosave 2>/dev/null || true
}
"${1:-start}"
