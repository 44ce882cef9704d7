#!/usr/bin/env bash
# Writes, two builds head to head on PostgreSQL: each build seeds its own database, then the two
# alternate (A, B, A, B, ...), each run a fresh server: staff edits of random articles (each a new
# title) and citizens' submissions. This machine's figures drift between runs of one binary, so
# only alternating runs compare.
#
#   bench/ab-writes.sh /tmp/muni-before target/release/muni
#   ROUNDS=5 DURATION=20 ARTICLES=20000 bench/ab-writes.sh A B
set -euo pipefail
A="$1"; B="$2"
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-15}"; ARTICLES="${ARTICLES:-20000}"; CONNECTIONS="${CONNECTIONS:-64}"
PG="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}"
PORT="${PORT:-18950}"
export JWT_SECRET="bench-secret-that-is-long-enough-for-hs256-0123456789"
export MUNI_DATA_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
export MUNI_ADMIN_EMAIL="admin@bench.test" MUNI_ADMIN_PASSWORD="bench-admin-password"
export MUNI_PUBLIC_WRITE_RATE_PER_MINUTE=1000000000 MUNI_PORT="$PORT" RUST_LOG=warn
WORK="$(mktemp -d)"
# Only a server still running: `kill 0` would signal the whole process group (the caller too).
trap 'if [ -n "${SERVER:-}" ]; then kill "$SERVER" 2>/dev/null || true; fi' EXIT
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
base="http://127.0.0.1:$PORT"
url_of() { echo "${PG%/*}/muni_ab_$1_$$?sslmode=disable"; }

for v in a b; do
    bin=$A; [ "$v" = b ] && bin=$B
    psql "$PG" -qc "DROP DATABASE IF EXISTS muni_ab_${v}_$$" -qc "CREATE DATABASE muni_ab_${v}_$$"
    DATABASE_URL="$(url_of $v)" MUNI_DATA_DIR="$WORK/data-$v" "$bin" seed demo >/dev/null
    DATABASE_URL="$(url_of $v)" MUNI_DATA_DIR="$WORK/data-$v" "$bin" seed bench --articles "$ARTICLES" 2>/dev/null | tail -n1 >&2
    psql "$(url_of $v)" -qc CHECKPOINT
done

cat > "$WORK/feedback.lua" <<'LUA'
local counter = 0
local thread_id = 0
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) thread_id = tid or 0 end
request = function()
  counter = counter + 1
  local body = string.format('{"kind":"proposal","topic":"moi-truong","title":"Đề nghị số %d-%d","content":"Đề nghị bố trí thêm thùng rác ở ngõ %d, tổ dân phố %d.","submitter":{"type":"person","name":"Người gửi %d","phone":"0912%06d"},"consent":true,"consent_notice_version":"2026-01"}', thread_id, counter, counter, thread_id, counter, counter % 1000000)
  return wrk.format("POST", "/api/v1/feedback", {["Content-Type"] = "application/json"}, body)
end
LUA

rate() { awk '/Requests\/sec/ {print $2}'; }
for round in $(seq 1 "$ROUNDS"); do
    for v in a b; do
        bin=$A; [ "$v" = b ] && bin=$B
        DATABASE_URL="$(url_of $v)" MUNI_DATA_DIR="$WORK/data-$v" "$bin" serve > "$WORK/server-$v.log" 2>&1 &
        SERVER=$!
        until curl -sf "$base/readyz" >/dev/null; do sleep 0.05; done
        token=$(curl -s -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
            -d "{\"email\":\"$MUNI_ADMIN_EMAIL\",\"password\":\"$MUNI_ADMIN_PASSWORD\"}" \
            | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
        if [ ! -s "$WORK/ids-$v.txt" ]; then
            for page in $(seq 1 20); do
                curl -s "$base/api/v1/articles?per_page=100&page=$page&fields=id" \
                    | python3 -c 'import json,sys; [print(a["id"]) for a in json.load(sys.stdin)["data"]]'
            done > "$WORK/ids-$v.txt"
        fi
        cat > "$WORK/update-$v.lua" <<LUA
local ids = {}
for line in io.lines("$WORK/ids-$v.txt") do ids[#ids + 1] = line end
local counter = 0
function setup(thread) thread:set("seed", math.random(1, 1000000)) end
function init(args) math.randomseed(os.time() + (seed or 0)) end
request = function()
  counter = counter + 1
  local body = string.format('{"title":"Bài viết đã sửa %d-%d"}', math.random(1000000), counter)
  return wrk.format("PATCH", "/api/v1/articles/" .. ids[math.random(#ids)],
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $token"}, body)
end
LUA
        edits=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$WORK/update-$v.lua" "$base" | rate)
        submissions=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$WORK/feedback.lua" "$base/api/v1/feedback" | rate)
        echo "round $round ${v^^} edits $edits  submissions $submissions"
        kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
    done
done
for v in a b; do psql "$PG" -qc "DROP DATABASE IF EXISTS muni_ab_${v}_$$ WITH (FORCE)"; done
