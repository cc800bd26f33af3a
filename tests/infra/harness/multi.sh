#!/bin/bash
# multi.sh up|down|kill NAME|start NAME - several throwaway Debian 12 systemd hosts on one
# private LAN, for the multi-host tests (edge+web, a second web, a worker, a PostgreSQL
# primary and its replica). Each host boots (systemd-nspawn) in a network namespace of its
# own - its own loopback, ports and firewall - joined by a veth to a bridge in this
# machine's namespace. The bridge address is every host's default route and apt proxy:
# the single-host harness's apt-cacher-ng ($HOST_IP:3142) when that one is up, else our
# own on the bridge address. Root SSH by key; the pgvector repo read-only at /srv/localrepo.
#   up          boots every host at once; waits until each is running and answers ssh.
#               Writes $MRUN/ssh_config (a Host block per host) and $MRUN/hosts.json.
#   down        clean poweroff, then removes what up made; idempotent.
#   kill NAME   the host dies abruptly: its link goes down (peers hear silence, not
#               resets) and its processes get SIGKILL.
#   start NAME  a replacement machine: fresh rootfs and network stack, same name and IP.
# Env, read by `up` and remembered in $MRUN/config for the other commands:
#   SIMPLR_MULTI_HOSTS      names, in address order (simplr-edge simplr-web2 simplr-worker
#                           simplr-db simplr-replica)
#   SIMPLR_MULTI_NET        a /24 prefix: the bridge is .1, the hosts .11, .12, ... (10.213.38)
#   SIMPLR_MULTI_BRIDGE     the bridge, also the prefix of the host-side veths (simplr-br)
#   SIMPLR_MULTI_RUN        run dir (/tmp/simplr-multi)
#   SIMPLR_MULTI_ROOT_SIZE  tmpfs size of each host's root (4G)
# A second instance needs its own hosts, net, bridge and run dir.
. "$(dirname "$0")/lib.sh"
MRUN=${SIMPLR_MULTI_RUN:-/tmp/simplr-multi}
BASE=$(base_tarball)
NSPAWN=$(command -v systemd-nspawn || echo /usr/bin/systemd-nspawn)
ACNG=/usr/sbin/apt-cacher-ng

# The running instance is defined by its run dir: down/kill/start use what up was given.
if [ "${1:-}" != up ] && [ -f "$MRUN/config" ]; then
  # shellcheck source=/dev/null # written by up: declare -p HOSTS NET BR ROOT_SIZE PROXY
  . "$MRUN/config"
else
  read -r -a HOSTS <<<"${SIMPLR_MULTI_HOSTS:-simplr-edge simplr-web2 simplr-worker simplr-db simplr-replica}"
  NET=${SIMPLR_MULTI_NET:-10.213.38}
  BR=${SIMPLR_MULTI_BRIDGE:-simplr-br}
  ROOT_SIZE=${SIMPLR_MULTI_ROOT_SIZE:-4G}
  PROXY=
fi
GW=$NET.1

die() { log "$*"; exit 1; }

index_of() {
  local i
  for i in "${!HOSTS[@]}"; do [ "${HOSTS[$i]}" = "$1" ] && { echo "$i"; return 0; }; done
  die "unknown host $1 (hosts: ${HOSTS[*]})"
}
ip_of() { echo "$NET.$((11 + $(index_of "$1")))"; }
# Interface names stop at 15 characters, so the host-side veth is named by position.
veth_of() { echo "$BR-$(($(index_of "$1") + 1))"; }
# A fixed MAC per address: a replacement host answers at once, where a new MAC would
# wait out the peers' stale ARP entries (seconds of silence after `start`).
mac_of() { local a b c d; IFS=. read -r a b c d <<<"$1"; printf '02:00:%02x:%02x:%02x:%02x' "$a" "$b" "$c" "$d"; }
hostdir() { echo "$MRUN/$1"; }

# Our process from a PID file, or nothing: the PID may belong to someone else by now.
own_pid() {
  local file=$1 exe=$2 pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ] && echo "$pid"
}
nspawn_pid() { own_pid "$(hostdir "$1")/nspawn.pid" "$NSPAWN"; }
# Every process inside the host: by definition those in its network namespace.
host_pids() { ip netns pids "$1" 2>/dev/null || true; }

# --- network -----------------------------------------------------------------------------

bridge_up() {
  ip link add "$BR" type bridge
  ip link set "$BR" address "$(mac_of "$GW")"   # else it takes a port's, changing as they come and go
  ip addr add "$GW/24" dev "$BR"
  ip link set "$BR" up
}

host_net_up() {
  local name=$1 veth ip
  veth=$(veth_of "$name"); ip=$(ip_of "$name")
  ip netns add "$name"
  ip link add "$veth" type veth peer name eth0 netns "$name"
  ip link set "$veth" alias "$name" master "$BR" up
  ip -n "$name" link set eth0 address "$(mac_of "$ip")"
  ip -n "$name" addr add "$ip/24" dev eth0
  ip -n "$name" link set lo up
  ip -n "$name" link set eth0 up
  ip -n "$name" route add default via "$GW"   # the proxy may be another local address of ours
}

# Deleting the namespace takes the veth pair with it (its processes must be gone first).
host_net_down() {
  ip netns del "$1" 2>/dev/null
  ip link del "$(veth_of "$1")" 2>/dev/null
  true
}

# --- apt proxy ---------------------------------------------------------------------------

# Something accepts connections at ADDR:PORT: TRIES attempts (50), a tenth of a second apart.
listening() {
  for _ in $(seq 1 "${3:-50}"); do
    timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null && return 0; sleep 0.1
  done
  return 1
}

# The single-host harness's apt-cacher-ng, when it runs: the hosts reach any local address
# of this namespace through their gateway. Else our own, as up.sh starts it, on the bridge.
proxy_up() {
  if [ -n "$(ip -o addr show to "$HOST_IP/32")" ] && listening "$HOST_IP" 3142 1; then
    PROXY=$HOST_IP
    log "apt proxy: the single-host harness's apt-cacher-ng at $HOST_IP:3142"
  else
    mkdir -p "$MRUN/acng-conf" "$MRUN/acng-log"
    echo "Remap-debrep: file:deb_mirror*.gz /debian ; $(mirror)" >"$MRUN/acng-conf/acng.conf"
    "$ACNG" -c "$MRUN/acng-conf" ForeGround=0 CacheDir="$NSC/acng" LogDir="$MRUN/acng-log" \
      PidFile="$MRUN/acng.pid" BindAddress="$GW" Port=3142 SocketPath="$MRUN/acng.sock" \
      </dev/null >>"$MRUN/acng-log/start.log" 2>&1
    listening "$GW" 3142 || { tail -5 "$MRUN"/acng-log/*.err "$MRUN/acng-log/start.log" >&2; die "apt-cacher-ng did not start"; }
    PROXY=$GW
    log "apt proxy: our own apt-cacher-ng at $GW:3142"
  fi
  declare -p PROXY >>"$MRUN/config"
}

proxy_down() {
  local pid pids
  # By its pid file, and by its command line naming our run dir: an interrupted run can
  # leave one whose pid file is gone.
  pids=$(own_pid "$MRUN/acng.pid" "$ACNG"; pgrep -f "^$ACNG -c $MRUN/acng-conf " || true)
  for pid in $pids; do
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  rm -f "$MRUN/acng.pid" "$MRUN/acng.sock"
  true
}

# --- hosts -------------------------------------------------------------------------------

# A tmpfs root makes unpacking and throwing away instant, when memory allows: as up.sh,
# 8 GB free for one host, and 2 GB more for each further host booting now.
want_tmpfs() {
  [ "$(awk '/MemAvailable/ {print int($2 / 1048576)}' /proc/meminfo)" -ge $((6 + 2 * $1)) ]
}

make_root() {
  local name=$1 tmpfs=$2 root h
  root=$(hostdir "$name")/root
  mkdir -p "$root"
  [ -z "$tmpfs" ] || mount -t tmpfs -o size="$ROOT_SIZE",mode=755 "simplr-multi-$name" "$root"
  zstd -dc "$BASE" | tar -C "$root" -xf -
  echo "$name" >"$root/etc/hostname"
  # Every host by name; no 127.0.1.1 line, so a host's own name is its LAN address.
  { printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n'
    for h in "${HOSTS[@]}"; do printf '%s %s\n' "$(ip_of "$h")" "$h"; done; } >"$root/etc/hosts"
  rm -f "$root/etc/resolv.conf"; echo 'nameserver 127.0.0.1' >"$root/etc/resolv.conf"
  : >"$root/etc/machine-id"
  # A download that stalls (the proxy fetching upstream) is retried, not waited on forever.
  printf 'Acquire::http::Proxy "http://%s:3142";\nAcquire::http::Timeout "30";\nAcquire::Retries "5";\n' \
    "$PROXY" >"$root/etc/apt/apt.conf.d/01proxy"
  # Test-host speed-ups only: no fsync per file (the host is thrown away), no docs.
  printf 'force-unsafe-io\npath-exclude=/usr/share/doc/*\npath-exclude=/usr/share/man/*\n' \
    >"$root/etc/dpkg/dpkg.cfg.d/simplr-test"
  mkdir -p "$root/root/.ssh" "$root/srv/localrepo"
  install -m600 "$MRUN/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
}

# The cgroups nspawn starts in: in the cgroup2 hierarchy and in systemd's v1 one (hybrid
# or legacy machines), each the cgroup this process is in there, plus our own leaf.
cgroup_dirs() {
  local name=$1 mnt
  mnt=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
  [ -z "$mnt" ] || echo "$mnt$(sed -n 's|^0::/*|/|p' /proc/self/cgroup)"
  mnt=$(awk '$3 == "cgroup" && $4 ~ /(^|,)name=systemd(,|$)/ {print $2; exit}' /proc/self/mounts)
  [ -z "$mnt" ] || echo "$mnt$(sed -n 's|^[0-9]*:name=systemd:/*|/|p' /proc/self/cgroup)"
}

# With --keep-unit nspawn puts the container in payload/ under the cgroup it starts in:
# hosts started from one shell would share it, and each host's systemd would count the
# others' processes in its own units (all five sshd in one system.slice/ssh.service).
# So each starts from a cgroup of its own (recorded for remove_host).
join_own_cgroup() {
  local name=$1 d
  for d in $(cgroup_dirs "$name"); do
    d=${d%/}/simplr-multi-$name
    mkdir -p "$d"; echo "$BASHPID" >"$d/cgroup.procs"
    echo "$d" >>"$(hostdir "$name")/cgroups"
  done
}

launch() {
  local name=$1 dir
  dir=$(hostdir "$name")
  ( join_own_cgroup "$name"
    exec setsid "$NSPAWN" -D "$dir/root" -M "$name" --register=no --keep-unit \
      --network-namespace-path="/run/netns/$name" --bind-ro="$CACHE/localrepo:/srv/localrepo" \
      --capability=CAP_NET_ADMIN --resolv-conf=off --console=read-only -b
  ) >"$MRUN/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/nspawn.pid"
}

# Until systemd inside is running (or degraded) and sshd answers; 3 minutes at most,
# as five hosts booting at once share the CPUs.
wait_ready() {
  local name=$1 npid cpid='' st='' deadline=$((SECONDS + 180))
  npid=$(cat "$(hostdir "$name")/nspawn.pid")
  while [ -z "$cpid" ] && [ $SECONDS -lt $deadline ]; do
    kill -0 "$npid" 2>/dev/null || break
    cpid=$(pgrep -P "$npid" -x systemd || true); [ -n "$cpid" ] || sleep 0.1
  done
  [ -n "$cpid" ] || { tail -20 "$MRUN/logs/$name.log" >&2; die "$name: the container did not start"; }
  while [ $SECONDS -lt $deadline ]; do
    st=$(nsenter -t "$cpid" -a systemctl is-system-running 2>/dev/null || true)
    case "$st" in running|degraded) break;; esac; sleep 0.2
  done
  case "$st" in running|degraded) ;; *) die "$name: systemd is still '$st' after 3 minutes";; esac
  while [ $SECONDS -lt $deadline ]; do
    ssh -F "$MRUN/ssh_config" -o ConnectTimeout=2 "$name" true 2>/dev/null && { log "$name at $(ip_of "$name") is $st"; return 0; }
    sleep 0.2
  done
  die "$name: no ssh at $(ip_of "$name")"
}

boot() {
  local name=$1 tmpfs=$2
  make_root "$name" "$tmpfs"
  launch "$name"
  wait_ready "$name"
}

# Clean poweroff of the given hosts at once (nspawn turns TERM into one), KILL after 30 s;
# then whatever is left in their namespaces.
stop_hosts() {
  local name pid left deadline=$((SECONDS + 30))
  for name in "$@"; do
    ssh -F "$MRUN/ssh_config" -O exit "$name" >/dev/null 2>&1 || true
    if pid=$(nspawn_pid "$name"); then kill -TERM "$pid"; fi
  done
  while [ $SECONDS -lt $deadline ]; do
    left=
    for name in "$@"; do nspawn_pid "$name" >/dev/null && left=1; done
    [ -n "$left" ] || break; sleep 0.2
  done
  for name in "$@"; do
    if pid=$(nspawn_pid "$name"); then log "$name did not power off in 30 s: KILL"; kill -KILL "$pid"; fi
    # shellcheck disable=SC2046 # one PID a word
    [ -z "$(host_pids "$name")" ] || kill -KILL $(host_pids "$name") 2>/dev/null || true
  done
  true
}

# A killed host leaves its cgroup tree behind; a cgroup goes once its last process is reaped.
remove_cgroups() {
  local list d left dirs=()
  list=$(hostdir "$1")/cgroups
  [ -f "$list" ] || return 0
  mapfile -t dirs < <(sort -u "$list")
  for _ in $(seq 1 50); do
    left=''
    for d in "${dirs[@]}"; do
      [ -d "$d" ] || continue
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [ ! -d "$d" ] || left+=" $d"
    done
    [ -n "$left" ] || return 0
    sleep 0.1
  done
  log "$1: cgroups left behind:$left"
}

# What stays of a stopped host: its network, cgroups nspawn left, its root.
remove_host() {
  local name=$1 dir
  dir=$(hostdir "$name")
  for _ in $(seq 1 50); do [ -z "$(host_pids "$name")" ] && break; sleep 0.1; done
  host_net_down "$name"
  rm -rf "/run/systemd/nspawn/propagate/$name"
  remove_cgroups "$name"
  mountpoint -q "$dir/root" && umount "$dir/root"
  rm -rf "$dir"
  true
}

# ServerAlive: a session to a killed host fails within 15 s instead of hanging on.
write_ssh_config() {
  local h
  for h in "${HOSTS[@]}"; do
    cat <<CFG
Host $h
  HostName $(ip_of "$h")
  User root
  IdentityFile $MRUN/id_ed25519
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  ControlMaster auto
  ControlPath $MRUN/ssh-%C
  ControlPersist 300
  ServerAliveInterval 5
  ServerAliveCountMax 3
CFG
  done >"$MRUN/ssh_config"
}

write_hosts_json() {
  local h sep=
  { printf '{'
    for h in "${HOSTS[@]}"; do printf '%s"%s": "%s"' "$sep" "$h" "$(ip_of "$h")"; sep=', '; done
    printf '}\n'; } >"$MRUN/hosts.json"
}

# Bridged traffic between the hosts passes this machine's FORWARD hook when br_netfilter
# is loaded; a firewall that drops there (Docker's does) would cut the LAN silently.
check_lan() {
  local h first=${HOSTS[0]}
  for h in "${HOSTS[@]:1}"; do
    ip netns exec "$first" timeout 3 bash -c "exec 3<>/dev/tcp/$(ip_of "$h")/22" 2>/dev/null \
      || die "$first cannot reach $h's ssh over the bridge (a FORWARD rule dropping bridged traffic?)"
  done
}

# --- commands ----------------------------------------------------------------------------

up() {
  local h i pids=() failed='' start=$SECONDS tmpfs=''
  [ -f "$BASE" ] || die "no base image $BASE (run prepare.sh)"
  [ ${#BR} -le 12 ] || die "bridge name $BR: 12 characters at most (veths are $BR-N)"
  [ ! -e "$MRUN/config" ] || die "already up, or left over from a failed run: multi.sh down first"
  ! ip link show "$BR" >/dev/null 2>&1 || die "bridge $BR exists: multi.sh down first"
  for h in "${HOSTS[@]}"; do
    [ ! -e "/run/netns/$h" ] || die "network namespace $h exists: multi.sh down first"
  done
  # Every booted host's systemd and services take inotify instances from root's budget,
  # 128 by default on Debian: with the single-host harness up as well, units fail to start.
  [ "$(sysctl -n fs.inotify.max_user_instances)" -ge 1024 ] || sysctl -qw fs.inotify.max_user_instances=1024
  mkdir -p "$MRUN/logs"
  declare -p HOSTS NET BR ROOT_SIZE >"$MRUN/config"   # first: down can always clean up
  [ -f "$MRUN/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C simplr-multi -f "$MRUN/id_ed25519"
  bridge_up
  for h in "${HOSTS[@]}"; do host_net_up "$h"; done
  proxy_up
  write_ssh_config
  write_hosts_json
  want_tmpfs ${#HOSTS[@]} && tmpfs=1
  [ -n "$tmpfs" ] || log "little memory available: the roots go on disk under $MRUN"
  for h in "${HOSTS[@]}"; do boot "$h" "$tmpfs" & pids+=($!); done
  # Interrupted, the boots stop too: none launches a host after the down that follows.
  trap 'kill "${pids[@]}" 2>/dev/null; exit 130' INT TERM
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed+=" ${HOSTS[$i]}"; done
  [ -z "$failed" ] || die "did not come up:$failed (logs in $MRUN/logs; multi.sh down cleans up)"
  check_lan
  log "${#HOSTS[@]} hosts up in $((SECONDS - start)) s on $BR ($GW/24): ssh -F $MRUN/ssh_config NAME"
}

down() {
  local h
  stop_hosts "${HOSTS[@]}"
  for h in "${HOSTS[@]}"; do remove_host "$h"; done
  proxy_down
  ip link del "$BR" 2>/dev/null
  rm -f "$MRUN/config" "$MRUN/ssh_config" "$MRUN/hosts.json" "$MRUN"/ssh-*
  true
}

# The link goes down first: dying processes close their sockets, and peers must not
# hear the resets and FINs a real power cut never sends.
kill_host() {
  local name=$1 pid
  ip link set "$(veth_of "$name")" down
  ssh -F "$MRUN/ssh_config" -O exit "$name" >/dev/null 2>&1 || true
  # shellcheck disable=SC2046 # one PID a word
  [ -z "$(host_pids "$name")" ] || kill -KILL $(host_pids "$name") 2>/dev/null || true
  if pid=$(nspawn_pid "$name"); then kill -KILL "$pid"; fi
  log "$name killed: its link is down, its processes are gone"
}

start_host() {
  local name=$1 tmpfs=
  { [ -f "$MRUN/config" ] && ip link show "$BR" >/dev/null 2>&1; } || die "not up (multi.sh up first)"
  stop_hosts "$name"
  remove_host "$name"
  host_net_up "$name"   # a fresh network stack: the old one kept the dead host's firewall
  want_tmpfs 1 && tmpfs=1
  boot "$name" "$tmpfs"
}

case ${1:-} in
  up) up ;;
  down) set +e; down ;;
  kill) [ -n "${2:-}" ] || die "usage: multi.sh kill NAME"; index_of "$2" >/dev/null; kill_host "$2" ;;
  start) [ -n "${2:-}" ] || die "usage: multi.sh start NAME"; index_of "$2" >/dev/null; start_host "$2" ;;
  *) echo "usage: multi.sh up|down|kill NAME|start NAME" >&2; exit 2 ;;
esac
