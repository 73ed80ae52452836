#!/usr/bin/env bash
# Starts the machine's PostgreSQL cluster and makes the test role `convene`
# (password `convene`, may create databases). Safe to run more than once.
set -euo pipefail
ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q "^$ver main"; then
  pg_createcluster "$ver" main >/dev/null
fi
pg_ctlcluster "$ver" main start 2>/dev/null || true
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q -h 127.0.0.1" && break
  sleep 1
done
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_roles WHERE rolname='convene'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE ROLE convene LOGIN PASSWORD 'convene' CREATEDB\""
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_database WHERE datname='convene'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE DATABASE convene OWNER convene\""
