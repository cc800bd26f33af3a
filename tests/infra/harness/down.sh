#!/bin/bash
# Tears down what up.sh made, by our own PIDs only: the ACME server, the offsite and test
# containers (clean poweroff), apt-cacher-ng, the veth and netns, cgroup leftovers, the
# rootfs. SIMPLR_KEEP_NETWORK=1 tears down the test host alone (the recovery drill).
. "$(dirname "$0")/lib.sh"
set +e
if [ -z "${SIMPLR_KEEP_NETWORK:-}" ]; then
  bash "$HARNESS/acme.sh" stop
  bash "$HARNESS/offsite.sh" down
fi
ssh -F "$RUN/ssh_config" -O exit "$MACHINE" >/dev/null 2>&1
if [ -f "$RUN/nspawn.pid" ] && kill -0 "$(cat "$RUN/nspawn.pid")" 2>/dev/null; then
  kill -TERM "$(cat "$RUN/nspawn.pid")"   # nspawn turns this into a clean poweroff
  for _ in $(seq 1 150); do kill -0 "$(cat "$RUN/nspawn.pid")" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$(cat "$RUN/nspawn.pid")" 2>/dev/null && kill -KILL "$(cat "$RUN/nspawn.pid")"
fi
if [ -z "${SIMPLR_KEEP_NETWORK:-}" ]; then
  [ -f "$RUN/acng.pid" ] && kill "$(cat "$RUN/acng.pid")" 2>/dev/null
  ip link del "$VETH" 2>/dev/null
  ip netns del "$NETNS" 2>/dev/null
fi
rm -rf "/run/systemd/nspawn/propagate/$MACHINE"
find /sys/fs/cgroup -depth -type d \( -name payload -o -name supervisor \) -path "*$MACHINE*" -exec rmdir {} + 2>/dev/null
rm -f "$RUN/nspawn.pid" "$RUN/init.pid"
[ -n "${SIMPLR_KEEP_NETWORK:-}" ] || rm -f "$RUN/acng.pid"
if [ -z "${SIMPLR_KEEP_ROOT:-}" ]; then
  mountpoint -q "$RUN/root" && umount "$RUN/root"
  rm -rf "$RUN/root"
fi
true
