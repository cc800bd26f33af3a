#!/bin/bash
# Boots a throwaway Debian 12 systemd host: its own network namespace joined to this
# machine by a veth pair, apt-cacher-ng on the host side (the machine's own mirror),
# the local pgvector repo bind-mounted read-only at /srv/localrepo, root SSH by key.
# Writes $RUN/ssh_config and $RUN/inventory.ini. Tear down with down.sh.
# SIMPLR_KEEP_NETWORK=1: the network, apt-cacher-ng, the ACME server and the offsite
# container are already up (a fresh host replaces a torn-down one: the recovery drill).
. "$(dirname "$0")/lib.sh"
ROOT=$RUN/root
mkdir -p "$RUN"
[ -f "$RUN/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C simplr-infra -f "$RUN/id_ed25519"

# A CA of the run's own and the host's certificate from it (the inventory installs it).
if [ ! -f "$RUN/tls/cert.pem" ] || ! openssl x509 -checkend 86400 -noout -in "$RUN/tls/cert.pem"; then
  rm -rf "$RUN/tls"; mkdir -p "$RUN/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=simplr-test-ca \
    -keyout "$RUN/tls/ca-key.pem" -out "$RUN/tls/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$MACHINE" \
    -keyout "$RUN/tls/key.pem" -out "$RUN/tls/host.csr" 2>/dev/null
  openssl x509 -req -in "$RUN/tls/host.csr" -CA "$RUN/tls/ca.pem" -CAkey "$RUN/tls/ca-key.pem" \
    -CAcreateserial -days 2 -extfile <(printf 'subjectAltName=DNS:%s,IP:%s' "$MACHINE" "$CT_IP") \
    -out "$RUN/tls/cert.pem" 2>/dev/null
fi

if [ -z "${SIMPLR_KEEP_NETWORK:-}" ]; then
  ip netns add "$NETNS"
  ip link add "$VETH" type veth peer name eth0 netns "$NETNS"
  ip addr add "$HOST_IP/30" dev "$VETH"; ip link set "$VETH" up
  ip -n "$NETNS" addr add "$CT_IP/30" dev eth0
  ip -n "$NETNS" link set eth0 up; ip -n "$NETNS" link set lo up

  mkdir -p "$RUN/acng-conf" "$RUN/acng-log"
  echo "Remap-debrep: file:deb_mirror*.gz /debian ; $(mirror)" >"$RUN/acng-conf/acng.conf"
  /usr/sbin/apt-cacher-ng -c "$RUN/acng-conf" ForeGround=0 CacheDir="$NSC/acng" LogDir="$RUN/acng-log" \
    PidFile="$RUN/acng.pid" BindAddress="$HOST_IP" Port=3142 SocketPath="$RUN/acng.sock"
fi

# The root file system lives on a tmpfs when memory allows: unpacking and throwing it
# away are then instant (deleting a provisioned tree on disk takes minutes).
mountpoint -q "$ROOT" && umount "$ROOT"
rm -rf "$ROOT"; mkdir -p "$ROOT"
if [ "$(awk '/MemAvailable/ {print int($2 / 1048576)}' /proc/meminfo)" -ge 8 ]; then
  mount -t tmpfs -o size="${SIMPLR_ROOT_SIZE:-6G}",mode=755 simplr-infra-root "$ROOT"
fi
zstd -dc "$(base_tarball)" | tar -C "$ROOT" -xf -
echo "$MACHINE" >"$ROOT/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 %s\n::1 localhost ip6-localhost ip6-loopback\n' "$MACHINE" >"$ROOT/etc/hosts"
rm -f "$ROOT/etc/resolv.conf"; echo 'nameserver 127.0.0.1' >"$ROOT/etc/resolv.conf"
: >"$ROOT/etc/machine-id"
# A download that stalls (the proxy fetching upstream) is retried, not waited on forever.
printf 'Acquire::http::Proxy "http://%s:3142";\nAcquire::http::Timeout "30";\nAcquire::Retries "5";\n' \
  "$HOST_IP" >"$ROOT/etc/apt/apt.conf.d/01proxy"
# Test-host speed-ups only: no fsync per file (the host is thrown away), no docs.
printf 'force-unsafe-io\npath-exclude=/usr/share/doc/*\npath-exclude=/usr/share/man/*\n' \
  >"$ROOT/etc/dpkg/dpkg.cfg.d/simplr-test"
mkdir -p "$ROOT/root/.ssh" "$ROOT/srv/localrepo"
install -m600 "$RUN/id_ed25519.pub" "$ROOT/root/.ssh/authorized_keys"

setsid systemd-nspawn -D "$ROOT" -M "$MACHINE" --register=no --keep-unit \
  --network-namespace-path="/run/netns/$NETNS" --bind-ro="$CACHE/localrepo:/srv/localrepo" \
  --capability=CAP_NET_ADMIN --resolv-conf=off --console=read-only -b >"$RUN/nspawn.log" 2>&1 </dev/null &
echo $! >"$RUN/nspawn.pid"
CPID=
for _ in $(seq 1 100); do
  CPID=$(pgrep -P "$(cat "$RUN/nspawn.pid")" -x systemd || true); [ -n "$CPID" ] && break; sleep 0.1
done
[ -n "$CPID" ] || { log "container did not start:"; tail -20 "$RUN/nspawn.log" >&2; exit 1; }
echo "$CPID" >"$RUN/init.pid"
st=
for _ in $(seq 1 300); do
  st=$(nsenter -t "$CPID" -a systemctl is-system-running 2>/dev/null || true)
  case "$st" in running|degraded) break;; esac; sleep 0.2
done
cat >"$RUN/ssh_config" <<CFG
Host $MACHINE
  HostName $CT_IP
  User root
  IdentityFile $RUN/id_ed25519
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  ControlMaster auto
  ControlPath $RUN/ssh-%C
  ControlPersist 300
CFG
for _ in $(seq 1 50); do ssh -F "$RUN/ssh_config" -o ConnectTimeout=2 "$MACHINE" true 2>/dev/null && break; sleep 0.2; done
# The ACME server certbot on the host gets its certificate from (needs the veth address),
# and the offsite backup server.
if [ -z "${SIMPLR_KEEP_NETWORK:-}" ]; then
  bash "$HARNESS/acme.sh" start
  bash "$HARNESS/offsite.sh" up
fi
log "host $MACHINE at $CT_IP is $st (ssh -F $RUN/ssh_config $MACHINE)"
