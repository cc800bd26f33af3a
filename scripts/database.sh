#!/usr/bin/env bash
# Creates the app role and database (owned by it) with the vector extension, as the
# postgres superuser; the app role itself is not a superuser. Idempotent.
. "$(dirname "$0")/lib.sh"
DB=${1:-simplr}; ROLE=${DB_ROLE:-simplr}; PASS=${DB_PASSWORD:-simplr}
psql_su() { runuser -u postgres -- psql -qtAX "$@"; }
[ "$(psql_su -c "SELECT 1 FROM pg_roles WHERE rolname='$ROLE'")" = 1 ] \
  || psql_su -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASS'"
[ "$(psql_su -c "SELECT 1 FROM pg_database WHERE datname='$DB'")" = 1 ] \
  || psql_su -c "CREATE DATABASE $DB OWNER $ROLE"
psql_su -d "$DB" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS vector"
