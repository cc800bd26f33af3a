#!/bin/bash
# offsite.sh up|down - a second container, simplr-offsite, playing the offsite backup
# server: sshd on port 2222 in the test host's network namespace (the two share one
# network stack, not a disk), a restic repository directory, root login by the harness
# key and by the backup key ($RUN/offsite_key) the test inventory gives the app host.
# It outlives the test host when down.sh/up.sh run with SIMPLR_KEEP_NETWORK=1 (the
# disaster-recovery drill rebuilds the host and restores from here).
. "$(dirname "$0")/lib.sh"
ROOT=$RUN/offsite-root
PIDFILE=$RUN/offsite-nspawn.pid
OFFSITE=simplr-offsite

up() {
  [ -f "$RUN/offsite_key" ] || ssh-keygen -q -t ed25519 -N '' -C simplr-backup -f "$RUN/offsite_key"
  rm -rf "$ROOT"; mkdir -p "$ROOT"
  zstd -dc "$(base_tarball)" | tar -C "$ROOT" -xf -
  echo "$OFFSITE" >"$ROOT/etc/hostname"
  : >"$ROOT/etc/machine-id"
  printf 'Port 2222\nPasswordAuthentication no\n' >"$ROOT/etc/ssh/sshd_config.d/offsite.conf"
  mkdir -p "$ROOT/root/.ssh" "$ROOT/srv/restic"
  cat "$RUN/id_ed25519.pub" "$RUN/offsite_key.pub" >"$ROOT/root/.ssh/authorized_keys"
  chmod 600 "$ROOT/root/.ssh/authorized_keys"
  setsid systemd-nspawn -D "$ROOT" -M "$OFFSITE" --register=no --keep-unit \
    --network-namespace-path="/run/netns/$NETNS" --resolv-conf=off --console=read-only -b \
    >"$RUN/offsite-nspawn.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 150); do
    ssh -p 2222 -i "$RUN/offsite_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -o LogLevel=ERROR -o ConnectTimeout=2 "root@$CT_IP" true 2>/dev/null && return 0
    sleep 0.2
  done
  log "offsite container did not come up:"; tail -20 "$RUN/offsite-nspawn.log" >&2; return 1
}

down() {
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    kill -TERM "$(cat "$PIDFILE")"
    for _ in $(seq 1 150); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null && kill -KILL "$(cat "$PIDFILE")"
  fi
  rm -f "$PIDFILE"
  find /sys/fs/cgroup -depth -type d \( -name payload -o -name supervisor \) -path "*$OFFSITE*" \
    -exec rmdir {} + 2>/dev/null
  rm -rf "$ROOT"
  true
}

case ${1:-} in
  up) up ;;
  down) set +e; down ;;
  *) echo "usage: offsite.sh up|down" >&2; exit 2 ;;
esac
