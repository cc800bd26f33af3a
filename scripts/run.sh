#!/usr/bin/env bash
# `make run`: the web app (gunicorn), an RQ worker with the scheduler (ingest, default), the
# mail worker (its own, so login links never wait behind an ingest) and a local mail sink in
# the foreground, their logs prefixed; Ctrl-C stops them all. With LOCAL_MODEL (a .gguf
# path, or smollm2) a local llama.cpp server answers chat and writes summaries as well.
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
# Stop everything, then wait for it: the TERM that `kill 0` also sends this shell is
# ignored, so the script ends only once the workers have finished their warm shutdown.
trap 'trap "" INT TERM; trap - EXIT; kill 0 2>/dev/null; wait' INT TERM EXIT

local_model() {  # start the server and point the app's processes (started after) at it
  local model port=${LLM_PORT:-8081}
  model=$(bash scripts/local-model.sh path)
  export LLM_PROVIDER=openai LLM_MODEL=local OPENAI_BASE_URL=http://127.0.0.1:$port/v1
  OPENAI_API_KEY=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n'); export OPENAI_API_KEY
  # VERBOSE=false: without it llama.cpp prints the model's every tensor and timings here.
  prefixed llm 34 env MODEL="$model" MODEL_ALIAS=local HOST=127.0.0.1 PORT="$port" N_CTX=4096 VERBOSE=false \
    N_THREADS="$(nproc)" API_KEY="$OPENAI_API_KEY" "${LLM_VENV:-$ROOT/.venv-llm}/bin/python" -m llama_cpp.server
  for _ in $(seq 120); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.5; done
  LOCAL_MODEL_LINE="Local model ($(basename "$model")) at $OPENAI_BASE_URL answers chat."
}
LOCAL_MODEL_LINE="Chat answers by quoting your articles (make run LOCAL_MODEL=smollm2 for a model)."
[ -z "${LOCAL_MODEL:-}" ] || local_model
prefixed mail 35 "$VENV/bin/python" -m app mailsink --port "${SMTP_PORT:-8025}"
prefixed web 32 "$VENV/bin/gunicorn" -c python:app.gunicorn_conf --bind "127.0.0.1:$PORT" app.wsgi:app
prefixed worker 33 "$VENV/bin/python" -m app worker --with-scheduler
prefixed mailer 36 "$VENV/bin/python" -m app worker --queues mail --with-scheduler
sleep 2
cat <<TXT

  Simplr is running at $APP_BASE_URL  (health: $APP_BASE_URL/health)
  $LOCAL_MODEL_LINE
  Send a test email:      .venv/bin/simplr send-sample
  Import .eml / .mbox:    .venv/bin/simplr import path/to/message.eml
  Outgoing mail is printed above by the local sink (prefix "mail").
  Create a login:         .venv/bin/simplr users create you@example.com

TXT
wait
