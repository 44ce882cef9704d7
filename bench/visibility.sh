#!/bin/bash
# How soon a commit on one node is found by search on another (issue 16's bound: within 1 s): two
# nodes with their own index on one PostgreSQL database, 30 articles published on the first, each
# searched on the second until found.   BIN=target/release/muni bench/visibility.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-target/release/muni}"
WORK="$(mktemp -d)"
export JWT_SECRET="bench-secret-that-is-long-enough-for-hs256-0123456789"
export MUNI_DATA_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
export MUNI_ADMIN_EMAIL="admin@bench.test" MUNI_ADMIN_PASSWORD="bench-admin-password" RUST_LOG=warn
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS muni_vis WITH (FORCE)" -qc "CREATE DATABASE muni_vis"
export DATABASE_URL="${PG_ADMIN_URL%/*}/muni_vis?sslmode=disable"
MUNI_DATA_DIR="$WORK/a" "$BIN" seed demo >/dev/null
MUNI_PORT=8091 MUNI_DATA_DIR="$WORK/a" "$BIN" serve > "$WORK/a.log" 2>&1 & A=$!
MUNI_PORT=8092 MUNI_DATA_DIR="$WORK/b" "$BIN" serve > "$WORK/b.log" 2>&1 & B=$!
trap 'kill $A $B 2>/dev/null || true' EXIT
until curl -sf localhost:8091/readyz >/dev/null && curl -sf localhost:8092/readyz >/dev/null; do sleep 0.1; done
python3 bench/visibility.py
