#!/usr/bin/env bash
# Tweets benchmark (see bench/README.md for recorded numbers):
#  1. throughput: N generated X API v2 stream lines (default 1,000,000) from a
#     file through `pulse-load tweets --source file` (framing, validation,
#     COPY into pulse.landing, projection, pulse.merge), against the by-hand
#     baseline of the same work: COPY the lines into a jsonb table, then one
#     INSERT ... SELECT projection into a tweets table;
#  2. latency: the X replay server streams tweets at RATE/s (default 1,000)
#     for SECONDS (default 10) to `pulse-load tweets --source stream`; each
#     tweet's latency is from the server's send time (stamped in its text) to
#     the commit of the transaction that made its row visible
#     (track_commit_timestamp), reported as p50 and p99.
# Runs its own throwaway cluster. Usage: bench/tweets_bench.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=$(cd "${1:-build}" && pwd)
N=${N:-1000000}
RATE=${RATE:-1000}
SECONDS_=${SECONDS_:-10}
bin=$build/pulse-load
[ -x "$bin" ] || { echo "build first (cmake --build $build)"; exit 2; }
state=$build/benchpg
sock=/tmp/pulse-bench-$(echo "$build" | md5sum | cut -c1-8)
work=$(mktemp -d)
replay_pid=""
cleanup() {
  [ -n "$replay_pid" ] && kill "$replay_pid" 2>/dev/null || true
  tests/pgcluster.sh stop "$state" "$sock" "$src" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

tests/pgcluster.sh start "$state" "$sock" "$src" >/dev/null
bindir=$(pg_config --bindir)
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
echo "track_commit_timestamp = on" >>"$state/data/postgresql.conf"
as_owner "$state/inst$bindir/pg_ctl" -D "$state/data" -l "$state/postgres.log" -w restart >/dev/null
export PGHOST=$sock PGPORT=5432 PGUSER=postgres

new_db() {  # a fresh database with the extension (merge creates the partitions)
  dropdb --if-exists "$1" >/dev/null 2>&1
  createdb "$1"
  psql -Xq -v ON_ERROR_STOP=1 "$1" -c 'CREATE EXTENSION pulse' >/dev/null
}
now() { date +%s.%N; }

echo "== generating $N v2 stream lines"
python3 - "$N" "$work/tweets.jsonl" <<'PY'
import json, sys, datetime, random
n = int(sys.argv[1]); rnd = random.Random(7)
base = 1724796000000000000
tags = ["Bitcoin", "BTC", "crypto", "ETH", "hodl", "DeFi"]
with open(sys.argv[2], "w") as f:
    for k in range(n):
        i = base + k * 86 * (1 << 22)           # about 12 per second over a day
        ms = (i >> 22) + 1288834974657
        ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        h = rnd.sample(tags, 2)
        d = {"id": str(i), "created_at": ts, "author_id": str(1000 + k % 5000), "lang": "en",
             "text": "tweet %d about #%s and $%s with @user%d" % (k, h[0], h[1].upper(), k % 97),
             "entities": {"hashtags": [{"start": 16, "end": 24, "tag": h[0]}], "cashtags": [{"tag": h[1].upper()}],
                          "mentions": [{"username": "user%d" % (k % 97)}]},
             "public_metrics": {"retweet_count": k % 13, "reply_count": k % 3, "like_count": k % 101, "quote_count": k % 2}}
        f.write(json.dumps({"data": d, "matching_rules": [{"id": "1", "tag": "btc"}]}) + "\n")
PY
bytes=$(stat -c %s "$work/tweets.jsonl")
echo "   $(( bytes / 1048576 )) MB"

echo "== pulse-load tweets --source file"
new_db bench_load
t0=$(now)
"$bin" tweets --source file --file "$work/tweets.jsonl" --db "dbname=bench_load" --batch-rows 50000 \
  --batch-bytes $((64 << 20)) --quiet 2>"$work/load.err"
t1=$(now)
rows=$(psql -XAt -d bench_load -c "SELECT count(*) FROM pulse.tweets")
[ "$rows" = "$N" ] || { echo "loaded $rows of $N"; cat "$work/load.err"; exit 1; }
load_s=$(echo "$t1 - $t0" | bc -l)
tail -1 "$work/load.err"

echo "== baseline: COPY into a jsonb table + projection query"
new_db bench_base
psql -Xq -d bench_base -c "CREATE TABLE raw_lines (payload jsonb)" \
  -c "CREATE TABLE tweets_by_hand (LIKE pulse.tweets INCLUDING DEFAULTS, PRIMARY KEY (id, created_at))"
t0=$(now)
# CSV with a quote and delimiter that never occur: each line is one jsonb value
psql -Xq -d bench_base -c "\\copy raw_lines FROM '$work/tweets.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
psql -Xq -d bench_base <<'SQL'
INSERT INTO tweets_by_hand (id, created_at, author_id, text, lang, hashtags, cashtags, mentions, is_retweet,
                            retweeted_id, retweet_count, like_count, reply_count, quote_count, matched_rules, observed_at)
SELECT (d->>'id')::bigint, (d->>'created_at')::timestamptz, (d->>'author_id')::bigint, d->>'text', d->>'lang',
       ARRAY(SELECT lower(h->>'tag') FROM jsonb_array_elements(d->'entities'->'hashtags') h),
       ARRAY(SELECT lower(h->>'tag') FROM jsonb_array_elements(d->'entities'->'cashtags') h),
       ARRAY(SELECT lower(h->>'username') FROM jsonb_array_elements(d->'entities'->'mentions') h),
       false, NULL,
       (d->'public_metrics'->>'retweet_count')::int, (d->'public_metrics'->>'like_count')::int,
       (d->'public_metrics'->>'reply_count')::int, (d->'public_metrics'->>'quote_count')::int,
       ARRAY(SELECT r->>'tag' FROM jsonb_array_elements(payload->'matching_rules') r), now()
  FROM raw_lines, LATERAL (SELECT payload->'data' AS d) x
ON CONFLICT (id, created_at) DO NOTHING;
SQL
t1=$(now)
base_s=$(echo "$t1 - $t0" | bc -l)
rows=$(psql -XAt -d bench_base -c "SELECT count(*) FROM tweets_by_hand")
[ "$rows" = "$N" ] || { echo "baseline stored $rows of $N"; exit 1; }

printf "throughput: pulse-load %.0f tweets/s (%.1f s), by hand %.0f tweets/s (%.1f s), ratio %.2f\n" \
  "$(echo "$N / $load_s" | bc -l)" "$load_s" "$(echo "$N / $base_s" | bc -l)" "$base_s" "$(echo "$base_s / $load_s" | bc -l)"

echo "== latency: replay stream at $RATE tweets/s for $SECONDS_ s"
new_db bench_latency
export X_REPLAY_BEARER_TOKEN=bench-token PULSE_TWITTER_BEARER_TOKEN=bench-token
python3 - "$RATE" "$SECONDS_" >"$work/scenario.json" <<'PY'
import json, sys, datetime
rate = int(sys.argv[1]); n = rate * int(sys.argv[2])
base = 1824796000000000000
out = []
for k in range(n):
    i = base + k * (1 << 22)
    ms = (i >> 22) + 1288834974657
    ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    out.append({"id": str(i), "created_at": ts, "author_id": "1", "text": "#btc", "lang": "en"})
print(json.dumps({"stream": [{"rate_lines": [out], "then": "hold", "keepalive": False}], "stream_rate": rate}))
PY
python3 tests/replay/x_api.py "$work/scenario.json" "$work/port" "$work/replay.log" &
replay_pid=$!
for _ in $(seq 100); do [ -f "$work/port" ] && break; sleep 0.05; done
total=$((RATE * SECONDS_))
"$bin" tweets --source stream --api-url "http://127.0.0.1:$(cat "$work/port")" --db "dbname=bench_latency" \
  --flush-interval 100 --quiet 2>"$work/stream.err" &
lpid=$!
for _ in $(seq $(( SECONDS_ * 10 + 300 ))); do
  [ "$(psql -XAt -d bench_latency -c "SELECT count(*) FROM pulse.tweets")" = "$total" ] && break
  sleep 0.1
done
kill -TERM $lpid; wait $lpid || true
psql -XAt -d bench_latency -F ' ' <<'SQL'
SELECT format('latency: %s tweets, p50 %s ms, p99 %s ms, max %s ms',
              count(*), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1),
              round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1), round(max(ms)::numeric, 1))
  FROM (SELECT extract(epoch FROM pg_xact_commit_timestamp(t.xmin)
                       - to_timestamp(substring(t.text FROM 'sent_at=([0-9.]+)')::float8)) * 1000 AS ms
          FROM pulse.tweets t) x;
SQL
