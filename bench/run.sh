#!/usr/bin/env bash
# The load benchmark: builds muni in release mode, fills a database per backend (SQLite and
# PostgreSQL) with generated content, starts the server, drives each workload with wrk from a
# second process on loopback, and prints requests/s, p50/p99 latency, errors, the server's peak RSS,
# and each read workload's throughput as a ratio of /healthz measured in the same run.
#
#   bench/run.sh                      # 100,000 articles, 10 s a workload, 64 connections
#   ARTICLES=20000 DURATION=5 BACKENDS=sqlite bench/run.sh
#   PHASES=metrics bench/run.sh       # only some phases: cached, uncached, metrics, media, writes, random
#   BIN=/tmp/muni-old PHASES=writes bench/run.sh   # another build (say, before a change) on the same workloads
#
# Results are also written as JSON (OUT, default bench/results/latest.json) to compare runs.
set -euo pipefail
cd "$(dirname "$0")/.."

ARTICLES="${ARTICLES:-100000}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
BACKENDS="${BACKENDS:-sqlite postgres}"
PORT="${PORT:-18900}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}"
OUT="${OUT:-bench/results/latest.json}"
PHASES="${PHASES:-cached uncached metrics media}"
WORK="$(mktemp -d)"
# Only a server still running: `kill 0` would signal the whole process group (the caller too).
trap 'if [ -n "${SERVER:-}" ]; then kill "$SERVER" 2>/dev/null || true; fi' EXIT
echo "raw outputs in $WORK" >&2

if ! command -v wrk >/dev/null; then
    echo "installing wrk" >&2
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
fi
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=target/release/muni
fi

export JWT_SECRET="bench-secret-that-is-long-enough-for-hs256-0123456789"
export MUNI_DATA_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
export MUNI_ADMIN_EMAIL="admin@bench.test" MUNI_ADMIN_PASSWORD="bench-admin-password"
export MUNI_PUBLIC_WRITE_RATE_PER_MINUTE=1000000000 MUNI_PORT="$PORT" RUST_LOG=warn MUNI_DATA_DIR="$WORK/data"

cat > "$WORK/feedback.lua" <<'LUA'
-- Each request a different submission, so that none is answered as a repeat of another.
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

# wrk stops with requests still queued in the server (64 slow searches are seconds of work): the
# next workload would wait behind them. A request no cache can answer (a page nobody asked for)
# queues behind them too, so its answer means the queue has drained.
drain() {
    curl -s -o /dev/null --max-time 60 "http://127.0.0.1:$PORT/api/v1/categories?per_page=1&page=$((RANDOM + 2))" || true
    sleep 1
}

: > "$WORK/results.tsv"
for backend in $BACKENDS; do
    case "$backend" in
        sqlite) export DATABASE_URL="sqlite://$WORK/bench.db" ;;
        postgres)
            pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
            DB="muni_bench_$$"
            psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB" -qc "CREATE DATABASE $DB"
            export DATABASE_URL="${PG_ADMIN_URL%/*}/$DB?sslmode=disable" ;;
        *) echo "unknown backend $backend" >&2; exit 2 ;;
    esac
    echo "== $backend: seeding $ARTICLES articles" >&2
    "$BIN" seed demo >/dev/null
    "$BIN" seed bench --articles "$ARTICLES" 2>/dev/null | tail -n1 >&2
    # The bulk load leaves PostgreSQL gigabytes of WAL to write back: a checkpoint now, so that the
    # workloads meet a database in its steady state rather than in that write-back.
    if [ "$backend" = postgres ]; then psql "$DATABASE_URL" -qc CHECKPOINT; fi

    started=$(date +%s%N)
    "$BIN" serve > "$WORK/server-$backend.log" 2>&1 &
    SERVER=$!
    until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.02; done
    ready_ms=$(( ($(date +%s%N) - started) / 1000000 ))
    base="http://127.0.0.1:$PORT"
    # Readers arrive at many articles: 5,000 slugs, drawn at random by the article workloads below.
    for page in $(seq 1 50); do
        curl -s "$base/api/v1/articles?per_page=100&page=$page&fields=slug" \
            | python3 -c 'import json,sys; [print(a["slug"]) for a in json.load(sys.stdin)["data"]]'
    done > "$WORK/slugs.txt"
    cat > "$WORK/random_article.lua" <<LUA
local slugs = {}
for line in io.lines("$WORK/slugs.txt") do slugs[#slugs + 1] = line end
function setup(thread) thread:set("seed", math.random(1, 1000000)) end
function init(args) math.randomseed(os.time() + (seed or 0)) end
request = function() return wrk.format("GET", "/api/v1/articles/" .. slugs[math.random(#slugs)]) end
LUA
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=

    # What counting requests for /metrics costs: /healthz and article reads (random slugs, the
    # response cache off, so each is the whole read) with the counting off, then on.
    if [[ " $PHASES " == *" metrics "* ]]; then
        for mode in off on; do
            MUNI_METRICS=$mode MUNI_CACHE_MB=0 "$BIN" serve > "$WORK/server-$backend-metrics-$mode.log" 2>&1 &
            SERVER=$!
            until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.02; done
            wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "$base/healthz" > "$WORK/$backend-healthz-metrics-$mode.txt" 2>&1 || true
            printf '%s\t%s\t%s\n' "$backend" "healthz_metrics_$mode" "$WORK/$backend-healthz-metrics-$mode.txt" >> "$WORK/results.tsv"
            wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$WORK/random_article.lua" "$base" > "$WORK/$backend-article-metrics-$mode.txt" 2>&1 || true
            printf '%s\t%s\t%s\n' "$backend" "article_random_metrics_$mode" "$WORK/$backend-article-metrics-$mode.txt" >> "$WORK/results.tsv"
            echo "   metrics $mode done" >&2
            kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
        done
    fi
    # The media library: 12-megapixel photos from upload to every variant stored, uploads of
    # distinct documents, and reads of image variants drawn at random (the response cache off).
    if [[ " $PHASES " == *" media "* ]]; then
        MUNI_CACHE_MB=0 "$BIN" serve > "$WORK/server-$backend-media.log" 2>&1 &
        SERVER=$!
        until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.02; done
        token=$(curl -s -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
            -d "{\"email\":\"$MUNI_ADMIN_EMAIL\",\"password\":\"$MUNI_ADMIN_PASSWORD\"}" \
            | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
        python3 -c 'import PIL' 2>/dev/null || python3 -m pip install --quiet --break-system-packages pillow >/dev/null 2>&1 || python3 -m pip install --quiet pillow
        mkdir -p "$WORK/photos" && python3 bench/photo.py "$WORK/photos" "${PHOTOS:-5}"
        : > "$WORK/$backend-photo-ms.txt"
        for photo in "$WORK"/photos/*.jpg; do
            t0=$(date +%s%N)
            id=$(curl -s -X POST "$base/api/v1/media?filename=$(basename "$photo")" -H "authorization: Bearer $token" \
                --data-binary "@$photo" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
            until curl -s "$base/api/v1/media/$id" -H "authorization: Bearer $token" | grep -q '"status":"ready"'; do sleep 0.02; done
            echo $(( ($(date +%s%N) - t0) / 1000000 )) >> "$WORK/$backend-photo-ms.txt"
        done
        photo_ms=$(sort -n "$WORK/$backend-photo-ms.txt" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        photo_kb=$(( $(stat -c %s "$WORK/photos/photo-0.jpg") / 1024 ))
        printf '%s\tmeta\tphoto_12mp_ready_ms=%s photo_12mp_kb=%s\n' "$backend" "$photo_ms" "$photo_kb" >> "$WORK/results.tsv"
        echo "   12 MP photo ready in $photo_ms ms (median of ${PHOTOS:-5})" >&2
        cat > "$WORK/upload.lua" <<LUA
-- Each request a different 64 KB PDF, so that none is the same bytes as another.
local counter = 0
function setup(thread) thread:set("tid", math.random(1, 1000000000)) end
request = function()
  counter = counter + 1
  local body = "%PDF-1.7\n% " .. tid .. "-" .. counter .. "\n" .. string.rep("%", 65536) .. "\n%%EOF\n"
  return wrk.format("POST", "/api/v1/media?filename=to-khai-" .. counter .. ".pdf",
    {["Authorization"] = "Bearer $token", ["Content-Type"] = "application/pdf"}, body)
end
LUA
        wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$WORK/upload.lua" "$base" > "$WORK/$backend-media-upload.txt" 2>&1 || true
        printf '%s\t%s\t%s\n' "$backend" "media_upload_64kb" "$WORK/$backend-media-upload.txt" >> "$WORK/results.tsv"
        echo "   media_upload done" >&2
        for page in 1 2 3; do
            curl -s "$base/api/v1/media?kind=image&per_page=100&page=$page" -H "authorization: Bearer $token" \
                | python3 -c 'import json,sys; [print(v["url"].split("127.0.0.1")[-1]) for m in json.load(sys.stdin)["data"] for v in m["variants"]]'
        done | sed 's#^http://[^/]*##' > "$WORK/variants.txt"
        cat > "$WORK/random_variant.lua" <<LUA
local urls = {}
for line in io.lines("$WORK/variants.txt") do urls[#urls + 1] = line end
function setup(thread) thread:set("seed", math.random(1, 1000000)) end
function init(args) math.randomseed(os.time() + (seed or 0)) end
request = function() return wrk.format("GET", urls[math.random(#urls)]) end
LUA
        echo "   $(wc -l < "$WORK/variants.txt") variant URLs" >&2
        wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$WORK/random_variant.lua" "$base" > "$WORK/$backend-media-read.txt" 2>&1 || true
        printf '%s\t%s\t%s\n' "$backend" "media_variant_random" "$WORK/$backend-media-read.txt" >> "$WORK/results.tsv"
        wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "$base/healthz" > "$WORK/$backend-healthz-media.txt" 2>&1 || true
        printf '%s\t%s\t%s\n' "$backend" "healthz" "$WORK/$backend-healthz-media.txt" >> "$WORK/results.tsv"
        echo "   media reads done" >&2
        kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
    fi
    if [[ " $PHASES " == *" writes "* ]]; then
        # Writes: citizens' submissions (group-committed), and staff edits of random articles, each
        # a new title (so each is a real change, with its audit entry and revision).
        "$BIN" serve > "$WORK/server-$backend-writes.log" 2>&1 &
        SERVER=$!
        until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.02; done
        base="http://127.0.0.1:$PORT"
        token=$(curl -s -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
            -d "{\"email\":\"$MUNI_ADMIN_EMAIL\",\"password\":\"$MUNI_ADMIN_PASSWORD\"}" \
            | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
        for page in $(seq 1 20); do
            curl -s "$base/api/v1/articles?per_page=100&page=$page&fields=id" \
                | python3 -c 'import json,sys; [print(a["id"]) for a in json.load(sys.stdin)["data"]]'
        done > "$WORK/ids.txt"
        cat > "$WORK/article_update.lua" <<LUA
local ids = {}
for line in io.lines("$WORK/ids.txt") do ids[#ids + 1] = line end
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
        for name in feedback_submit article_update; do
            script="$WORK/feedback.lua"; url="$base/api/v1/feedback"
            [ "$name" = article_update ] && { script="$WORK/article_update.lua"; url="$base"; }
            wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$script" "$url" > "$WORK/$backend-$name-writes.txt" 2>&1 || true
            printf '%s\t%s\t%s\n' "$backend" "${name}_writes" "$WORK/$backend-$name-writes.txt" >> "$WORK/results.tsv"
            echo "   ${name} (writes) done" >&2
            drain
        done
        wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "$base/healthz" > "$WORK/$backend-healthz-writes.txt" 2>&1 || true
        printf '%s\t%s\t%s\n' "$backend" "healthz" "$WORK/$backend-healthz-writes.txt" >> "$WORK/results.tsv"
        kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
    fi
    if [[ " $PHASES " == *" random "* ]]; then
        # Readers as they arrive, with the response cache off: a random article of all of them, a
        # random page 1-20 of a random category, a search for two neighbouring words of a random
        # title (without diacritics) through /search and through the articles list's `q` (the same
        # engine, answering with the list's items). A URL list per workload, so no cache could
        # stand in.
        rm -rf "$MUNI_DATA_DIR/search"
        started=$(date +%s%N)
        MUNI_CACHE_MB=0 RUST_LOG="warn,muni::search=info" "$BIN" serve > "$WORK/server-$backend-random.log" 2>&1 &
        SERVER=$!
        base="http://127.0.0.1:$PORT"
        until curl -sf "$base/readyz" >/dev/null; do sleep 0.02; done
        # The index is built at the first start: the database answers searches until it is.
        until curl -s "$base/api/v1/search?q=a&per_page=1" | grep -q '"source":"index"'; do sleep 0.1; done
        index_ms=$(( ($(date +%s%N) - started) / 1000000 ))
        python3 - "$base" "$WORK" <<'PY'
import json, random, sys, unicodedata, urllib.request
base, work = sys.argv[1], sys.argv[2]
get = lambda path: json.load(urllib.request.urlopen(base + path))
def fold(text):
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()
slugs, queries = [], []
total = get("/api/v1/articles?per_page=1&fields=id")["meta"]["total"]
pages = max(1, (total + 99) // 100)
for page in random.sample(range(1, pages + 1), min(pages, 60)):
    for a in get(f"/api/v1/articles?per_page=100&page={page}&fields=slug,title")["data"]:
        slugs.append(a["slug"])
        words = [w for w in "".join(c if c.isalnum() else " " for c in fold(a["title"])).split()]
        if len(words) >= 2:
            i = random.randrange(len(words) - 1)
            queries.append(f"{words[i]}%20{words[i + 1]}")
categories = [c["slug"] for c in get("/api/v1/categories?per_page=100")["data"] if c["slug"].startswith("bench-")]
with open(f"{work}/random_slugs.txt", "w") as f: f.write("\n".join(slugs) + "\n")
with open(f"{work}/random_queries.txt", "w") as f: f.write("\n".join(queries) + "\n")
with open(f"{work}/random_categories.txt", "w") as f: f.write("\n".join(categories) + "\n")
PY
        for name in article_random category_page_random search_random search_list_random; do
            case "$name" in
                article_random) list=random_slugs.txt; path='"/api/v1/articles/" .. pick' ;;
                category_page_random) list=random_categories.txt; path='"/api/v1/articles?category=" .. pick .. "&per_page=20&page=" .. math.random(20) .. "&fields=title,slug,summary,cover,published_at"' ;;
                search_random) list=random_queries.txt; path='"/api/v1/search?q=" .. pick' ;;
                search_list_random) list=random_queries.txt; path='"/api/v1/articles?q=" .. pick .. "&fields=title,slug,summary,published_at"' ;;
            esac
            cat > "$WORK/$name.lua" <<LUA
local items = {}
for line in io.lines("$WORK/$list") do if line ~= "" then items[#items + 1] = line end end
function setup(thread) thread:set("seed", math.random(1, 1000000)) end
function init(args) math.randomseed(os.time() + (seed or 0)) end
request = function()
  local pick = items[math.random(#items)]
  return wrk.format("GET", $path)
end
LUA
            wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$WORK/$name.lua" "$base" > "$WORK/$backend-$name.txt" 2>&1 || true
            printf '%s\t%s\t%s\n' "$backend" "$name" "$WORK/$backend-$name.txt" >> "$WORK/results.tsv"
            echo "   $name done" >&2
            drain
        done
        # One reader alone: what a search costs without a queue in front of it.
        wrk -t1 -c1 -d"${DURATION}s" --timeout 10s --latency -s "$WORK/search_random.lua" "$base" > "$WORK/$backend-search_random_1conn.txt" 2>&1 || true
        printf '%s\t%s\t%s\n' "$backend" "search_random_1conn" "$WORK/$backend-search_random_1conn.txt" >> "$WORK/results.tsv"
        wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "$base/healthz" > "$WORK/$backend-healthz-random.txt" 2>&1 || true
        printf '%s\t%s\t%s\n' "$backend" "healthz" "$WORK/$backend-healthz-random.txt" >> "$WORK/results.tsv"
        rss_anon_kb=$(awk '/RssAnon/{print $2}' "/proc/$SERVER/status")
        built=$(grep -o 'search index built: .*' "$WORK/server-$backend-random.log" | head -n1 | tr ' ' '_')
        printf '%s\tmeta\tindex_ready_ms=%s rss_anon_random_kb=%s index_built=%s\n' "$backend" "$index_ms" "$rss_anon_kb" "${built:-unknown}" >> "$WORK/results.tsv"
        kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
    fi
    if [[ " $PHASES " != *" cached "* && " $PHASES " != *" uncached "* ]]; then
        if [ "$backend" = postgres ]; then psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; fi
        continue
    fi

    started=$(date +%s%N)
    "$BIN" serve > "$WORK/server-$backend.log" 2>&1 &
    SERVER=$!
    until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.02; done
    ready_ms=$(( ($(date +%s%N) - started) / 1000000 ))
    base="http://127.0.0.1:$PORT"
    slug=$(curl -s "$base/api/v1/articles?per_page=1&fields=slug" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["slug"])')
    category=$(curl -s "$base/api/v1/categories?per_page=100" | python3 -c 'import json,sys; print([c["slug"] for c in json.load(sys.stdin)["data"] if c["slug"].startswith("bench-")][0])')
    week=$(python3 -c 'import datetime; y,w,_=datetime.date.today().isocalendar(); print(f"{y}-W{w:02d}")')
    declare -a workloads=(
        "healthz|$base/healthz"
        "article_list|$base/api/v1/articles?category=$category&per_page=20&fields=title,slug,summary,cover,published_at"
        "article_by_slug|$base/api/v1/articles/$slug"
        "search_plain|$base/api/v1/articles?q=dan%20van%20kheo&fields=title,slug,summary,published_at"
        "search_marked|$base/api/v1/articles?q=d%C3%A2n%20v%E1%BA%ADn%20kh%C3%A9o&fields=title,slug,summary,published_at"
        "procedure_by_code|$base/api/v1/procedures/1.001193"
        "events_week|$base/api/v1/events/week/$week"
        "events_ics|$base/api/v1/events.ics"
        "feedback_submit|$base/api/v1/feedback"
    )
    for entry in "${workloads[@]}"; do
        name="${entry%%|*}"; url="${entry#*|}"
        script=()
        [ "$name" = feedback_submit ] && script=(-s "$WORK/feedback.lua")
        wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "${script[@]}" "$url" > "$WORK/$backend-$name.txt" 2>&1 || true
        printf '%s\t%s\t%s\n' "$backend" "$name" "$WORK/$backend-$name.txt" >> "$WORK/results.tsv"
        echo "   $name done" >&2
        drain
    done
    # The server may still be draining the last writes: a few tries for the admin's token.
    token=""
    for _ in 1 2 3 4 5; do
        login=$(curl -s -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
            -d "{\"email\":\"$MUNI_ADMIN_EMAIL\",\"password\":\"$MUNI_ADMIN_PASSWORD\"}")
        token=$(printf '%s' "$login" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("access_token",""))' 2>/dev/null || true)
        [ -n "$token" ] && break
        echo "   login for the count failed: $login" >&2
        sleep 2
    done
    stored=$(curl -s -D - -o /dev/null "$base/api/v1/feedback?per_page=1" -H "authorization: Bearer $token" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-total-count"{print $2}')
    rss_kb=$(awk '/VmHWM/{print $2}' "/proc/$SERVER/status")
    printf '%s\tmeta\tready_ms=%s rss_kb=%s stored_feedback=%s\n' "$backend" "$ready_ms" "$rss_kb" "$stored" >> "$WORK/results.tsv"
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=

    # The same reads with the response cache turned off: what every request costs the database.
    MUNI_CACHE_MB=0 "$BIN" serve > "$WORK/server-$backend-uncached.log" 2>&1 &
    SERVER=$!
    until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.02; done
    for entry in "${workloads[@]}"; do
        name="${entry%%|*}"; url="${entry#*|}"
        case "$name" in article_*|search_*|procedure_*|events_*) ;; *) continue ;; esac
        wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "$url" > "$WORK/$backend-$name-uncached.txt" 2>&1 || true
        printf '%s\t%s\t%s\n' "$backend" "${name}_uncached" "$WORK/$backend-$name-uncached.txt" >> "$WORK/results.tsv"
        echo "   ${name}_uncached done" >&2
        drain
    done
    # A search alone, without a queue in front of it: what one reader waits for a page of results.
    for entry in "${workloads[@]}"; do
        name="${entry%%|*}"; url="${entry#*|}"
        case "$name" in search_*) ;; *) continue ;; esac
        wrk -t1 -c1 -d"${DURATION}s" --timeout 10s --latency "$url" > "$WORK/$backend-$name-single.txt" 2>&1 || true
        printf '%s\t%s\t%s\n' "$backend" "${name}_uncached_1conn" "$WORK/$backend-$name-single.txt" >> "$WORK/results.tsv"
        echo "   ${name}_uncached_1conn done" >&2
        drain
    done
    rss_uncached_kb=$(awk '/VmHWM/{print $2}' "/proc/$SERVER/status")
    printf '%s\tmeta\trss_uncached_kb=%s\n' "$backend" "$rss_uncached_kb" >> "$WORK/results.tsv"
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
    if [ "$backend" = postgres ]; then psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; fi
done

mkdir -p "$(dirname "$OUT")"
python3 bench/report.py "$WORK/results.tsv" "$OUT" "$ARTICLES" "$CONNECTIONS" "$DURATION"
