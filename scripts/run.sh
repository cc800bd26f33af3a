#!/usr/bin/env bash
# `make run`: the web app (gunicorn), an RQ worker with the scheduler (ingest, default), the
# mail worker (its own, so login links never wait behind an ingest) and a local mail sink in
# the foreground, their logs prefixed; Ctrl-C stops them all.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$ROOT/var/metrics}
rm -rf "$PROMETHEUS_MULTIPROC_DIR"; mkdir -p "$PROMETHEUS_MULTIPROC_DIR" var/storage
PORT=${PORT:-8000}
export APP_BASE_URL=${APP_BASE_URL:-http://127.0.0.1:$PORT}

prefixed() {  # name color cmd...: run cmd with each output line prefixed
  local name=$1 color=$2; shift 2
  "$@" 2>&1 | sed -u "s/^/$(printf '\033[%sm%-7s|\033[0m ' "$color" "$name")/" &
}
trap 'trap - INT TERM EXIT; kill 0 2>/dev/null; wait' INT TERM EXIT
prefixed mail 35 "$VENV/bin/python" -m app mailsink --port "${SMTP_PORT:-8025}"
prefixed web 32 "$VENV/bin/gunicorn" -c python:app.gunicorn_conf --bind "127.0.0.1:$PORT" app.wsgi:app
prefixed worker 33 "$VENV/bin/python" -m app worker --with-scheduler
prefixed mailer 36 "$VENV/bin/python" -m app worker --queues mail --with-scheduler
sleep 2
cat <<TXT

  Simplr is running at $APP_BASE_URL  (health: $APP_BASE_URL/health)
  Send a test email:      .venv/bin/simplr send-sample
  Import .eml / .mbox:    .venv/bin/simplr import path/to/message.eml
  Outgoing mail is printed above by the local sink (prefix "mail").
  Create a login:         .venv/bin/simplr users create you@example.com

TXT
wait
