#!/bin/bash
# A real ACME server for the test host, on this machine's end of the veth (up.sh calls
# `start` once the veth exists, down.sh calls `stop`):
#   pebble                https://$HOST_IP:14000/dir (management API on :15000); its own
#                         HTTPS certificate comes from the run's CA in $RUN/tls, which the
#                         test inventory hands to certbot as its CA bundle.
#   pebble-challtestsrv   the DNS server pebble asks: every name is the test host, so
#                         pebble validates HTTP-01 for real against the host's port 80.
# PIDs in $RUN/{pebble,challtestsrv}.pid, config and logs in $RUN/acme/.
#   acme.sh start|stop
. "$(dirname "$0")/lib.sh"
ACME=$RUN/acme
DIR_URL=https://$HOST_IP:14000/dir

# From the current CA, for $HOST_IP, and good for another hour at least.
listener_cert_ok() {
  openssl verify -CAfile "$RUN/tls/ca.pem" "$ACME/cert.pem" >/dev/null 2>&1 \
    && openssl x509 -checkend 3600 -noout -in "$ACME/cert.pem" >/dev/null \
    && [[ "$(openssl x509 -checkip "$HOST_IP" -noout -in "$ACME/cert.pem")" == *" does match "* ]]
}

# pebble's HTTPS certificate, for the address the host dials; made again when it is
# missing, about to expire, for another address, or from an older CA of a previous run.
listener_cert() {
  openssl x509 -checkend 0 -noout -in "$RUN/tls/ca.pem" >/dev/null 2>&1 \
    || { log "no valid CA in $RUN/tls (up.sh makes it; remove $RUN/tls if it has expired)"; exit 1; }
  listener_cert_ok && return 0
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$HOST_IP" \
    -keyout "$ACME/key.pem" -out "$ACME/pebble.csr" 2>/dev/null
  openssl x509 -req -in "$ACME/pebble.csr" -CA "$RUN/tls/ca.pem" -CAkey "$RUN/tls/ca-key.pem" \
    -CAcreateserial -days 2 -extfile <(printf 'subjectAltName=IP:%s' "$HOST_IP") \
    -out "$ACME/cert.pem" 2>/dev/null
}

# httpPort/tlsPort: where pebble's validation dials the host (nginx's own ports).
write_config() {
  cat >"$ACME/pebble-config.json" <<JSON
{
  "pebble": {
    "listenAddress": "$HOST_IP:14000",
    "managementListenAddress": "$HOST_IP:15000",
    "certificate": "$ACME/cert.pem",
    "privateKey": "$ACME/key.pem",
    "httpPort": 80,
    "tlsPort": 443,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
JSON
}

# Runs a daemon in its own session (a signal to up.sh's process group spares it).
spawn() {
  local name=$1; shift
  setsid "$@" >"$ACME/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

# Our process from its PID file, or nothing: the PID may belong to someone else by now.
own_pid() {
  local name=$1 exe=$2 pid
  [ -f "$RUN/$name.pid" ] || return 1
  pid=$(cat "$RUN/$name.pid")
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ] && echo "$pid"
}

stop_one() {
  local name=$1 exe=$2 pid
  if pid=$(own_pid "$name" "$exe"); then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$RUN/$name.pid"
}

stop() {
  stop_one pebble "$(command -v pebble || echo /usr/bin/pebble)"
  stop_one challtestsrv "$(command -v pebble-challtestsrv || echo /usr/bin/pebble-challtestsrv)"
}

# The empty flags turn off challtestsrv's own challenge servers (nginx answers those)
# and its AAAA answers (::1 by default: pebble would validate against this machine).
start_dns() {
  spawn challtestsrv pebble-challtestsrv -dns01 "$HOST_IP:8053" -management "$HOST_IP:8055" \
    -http01 "" -https01 "" -tlsalpn01 "" -defaultIPv4 "$CT_IP" -defaultIPv6 ""
}

# NOSLEEP: no random pause before each validation. NONCEREJECT=0: pebble would otherwise
# refuse 5% of good nonces on purpose, which certbot does not always retry.
start_pebble() {
  spawn pebble env PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
    pebble -config "$ACME/pebble-config.json" -dnsserver "$HOST_IP:8053"
}

wait_ready() {
  for _ in $(seq 1 100); do
    curl -sf --max-time 2 --cacert "$RUN/tls/ca.pem" -o /dev/null "$DIR_URL" && return 0
    sleep 0.1
  done
  log "pebble did not answer at $DIR_URL:"
  tail -n 20 "$ACME"/*.log >&2
  stop
  exit 1
}

start() {
  command -v pebble >/dev/null || { log "pebble is not installed (prepare.sh installs it)"; exit 1; }
  stop  # a leftover of an interrupted run would hold the ports
  mkdir -p "$ACME"
  listener_cert
  write_config
  start_dns
  start_pebble
  wait_ready
  log "ACME server $DIR_URL (DNS $HOST_IP:8053 answers $CT_IP)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
