#!/usr/bin/env bash
# Installs what `make run` needs on a Debian 12 / Ubuntu host (as root), idempotently:
# PostgreSQL + pgvector, Redis, a venv with requirements.txt, the database, migrations.
. "$(dirname "$0")/lib.sh"
apt_install postgresql postgresql-contrib redis-server python3-venv python3-dev build-essential ca-certificates
bash "$ROOT/scripts/pgvector.sh"
bash "$ROOT/scripts/services.sh" start

if [ ! -x "$VENV/bin/python" ]; then log "creating $VENV"; /usr/bin/python3 -m venv "$VENV"; fi
hash=$(cat "$ROOT"/requirements*.txt | sha256sum | cut -c1-16)
stamp="$VENV/.req-$hash-${REQS:-requirements.txt}"
if [ ! -f "$stamp" ] && [ ! -f "$VENV/.req-$hash-requirements-dev.txt" ]; then
  log "pip install -r ${REQS:-requirements.txt}"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$ROOT/${REQS:-requirements.txt}" \
    2> >(grep -v "is neither a file nor a directory" >&2)
  find "$VENV" -maxdepth 1 -name '.req-*' ! -name ".req-$hash-*" -delete; touch "$stamp"
fi
printf '#!/bin/sh\ncd "%s" && exec "%s/bin/python" -m app "$@"\n' "$ROOT" "$VENV" >"$VENV/bin/simplr"
chmod +x "$VENV/bin/simplr"

bash "$ROOT/scripts/database.sh" "${SIMPLR_DB:-simplr}"
[ -z "${LOCAL_MODEL:-}" ] || bash "$ROOT/scripts/local-model.sh" setup
