#!/usr/bin/env bash
# Tweets benchmark, issue 17 (see bench/README.md for recorded numbers). In
# one run, on one throwaway cluster:
#  1. throughput, default loader settings: N generated X API v2 stream lines
#     (default 200,000) from a file through `pulse-load tweets --source file`
#     (framing, validation, COPY into pulse.landing, projection, pulse.merge),
#     against (a) the hand-written baseline: COPY the lines into a temporary
#     jsonb table, then one INSERT ... SELECT ... ON CONFLICT projection into
#     a plain typed table, and (b) a psycopg2 script that projects in Python
#     and sends execute_values pages of 1,000 rows (INSERT ... ON CONFLICT);
#     WAL bytes per 1,000 tweets for each, the loader's peak RSS;
#  2. cost follows the batch: BATCH (default 20,000) newer tweets through
#     pulse-load into an empty pulse.tweets and into one holding BIG (default
#     1,000,000) older rows, two interleaved rounds, best of each;
#  3. latency: the X replay server streams tweets at RATE/s (default 1,000)
#     for SECONDS (default 10) to `pulse-load tweets --source stream` into the
#     database holding BIG rows, at the default flush interval and at 100 ms;
#     each tweet's latency is from the server's send time (stamped in its
#     text) to the commit of the transaction that made its row visible
#     (track_commit_timestamp), reported as p50 and p99.
# Usage: [N=..] [BIG=..] [BATCH=..] [RATE=..] [SECONDS_=..] bench/tweets_bench.sh [build-dir]
# Needs python3-psycopg2 (scripts/deps.sh installs it with the test packages).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=$(cd "${1:-build}" && pwd)
N=${N:-200000}
BIG=${BIG:-1000000}
BATCH=${BATCH:-20000}
RATE=${RATE:-1000}
SECONDS_=${SECONDS_:-10}
bin=$build/pulse-load
# Debian's python3-psycopg2 is installed for Debian's python3
py_pg=${PYTHON_PSYCOPG2:-/usr/bin/python3}
"$py_pg" -c 'import psycopg2' || { echo "needs python3-psycopg2 for $py_pg"; exit 2; }
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

. "$src/bench/tweet_lines.sh"

echo "== generating $N v2 stream lines"
gen_lines "$N" "$work/tweets.jsonl" 0
bytes=$(stat -c %s "$work/tweets.jsonl")
echo "   $(( bytes / 1048576 )) MB"

wal_lsn() { psql -XAt -d postgres -c "SELECT pg_current_wal_lsn()"; }
wal_since() { psql -XAt -d postgres -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$1')"; }
rate() { echo "$1 / $2" | bc -l; }
kb_per_k() { echo "$1 / $2" | bc -l; }   # bytes per tweet = KB per 1000 tweets (1000 B)

echo "== pulse-load tweets --source file (default settings)"
new_db bench_load
psql -Xq -d bench_load -c CHECKPOINT
w0=$(wal_lsn)
t0=$(now)
/usr/bin/time -f '%M' -o "$work/rss" "$bin" tweets --source file --file "$work/tweets.jsonl" \
  --db "dbname=bench_load" --quiet 2>"$work/load.err"
t1=$(now)
load_wal=$(wal_since "$w0")
rows=$(psql -XAt -d bench_load -c "SELECT count(*) FROM pulse.tweets")
[ "$rows" = "$N" ] || { echo "loaded $rows of $N"; cat "$work/load.err"; exit 1; }
lrows=$(psql -XAt -d bench_load -c "SELECT count(*) FROM pulse.landing")
[ "$lrows" = "$N" ] || { echo "landing holds $lrows records of $N"; exit 1; }
load_s=$(echo "$t1 - $t0" | bc -l)
load_rss=$(cat "$work/rss")

echo "== baseline: COPY into a temporary jsonb table + INSERT ... SELECT ... ON CONFLICT"
new_db bench_base
psql -Xq -d bench_base -c "CREATE TABLE tweets_by_hand (LIKE pulse.tweets INCLUDING DEFAULTS, PRIMARY KEY (id, created_at))" \
  -c CHECKPOINT
w0=$(wal_lsn)
t0=$(now)
# CSV with a quote and delimiter that never occur: each line is one jsonb value
psql -Xq -v ON_ERROR_STOP=1 -d bench_base <<SQL
CREATE TEMP TABLE raw_lines (payload jsonb);
\copy raw_lines FROM '$work/tweets.jsonl' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
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
base_wal=$(wal_since "$w0")
base_s=$(echo "$t1 - $t0" | bc -l)
rows=$(psql -XAt -d bench_base -c "SELECT count(*) FROM tweets_by_hand")
[ "$rows" = "$N" ] || { echo "baseline stored $rows of $N"; exit 1; }

echo "== psycopg2 execute_values, pages of 1,000 rows"
new_db bench_py
psql -Xq -d bench_py -c "CREATE TABLE tweets_by_py (LIKE pulse.tweets INCLUDING DEFAULTS, PRIMARY KEY (id, created_at))" \
  -c CHECKPOINT
w0=$(wal_lsn)
t0=$(now)
"$py_pg" - "$work/tweets.jsonl" <<'PY'
import json, sys, psycopg2, psycopg2.extras
conn = psycopg2.connect(dbname="bench_py")
cur = conn.cursor()
sql = ("INSERT INTO tweets_by_py (id, created_at, author_id, text, lang, hashtags, cashtags, mentions, is_retweet,"
       " retweeted_id, retweet_count, like_count, reply_count, quote_count, matched_rules, observed_at) VALUES %s"
       " ON CONFLICT (id, created_at) DO NOTHING")
tmpl = "(%s, %s::timestamptz, %s, %s, %s, %s, %s, %s, false, NULL, %s, %s, %s, %s, %s, now())"
page = []
def flush():
    psycopg2.extras.execute_values(cur, sql, page, template=tmpl, page_size=1000)
    page.clear()
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        p = json.loads(line); d = p["data"]; e = d.get("entities", {}); m = d.get("public_metrics", {})
        page.append((int(d["id"]), d["created_at"], int(d["author_id"]), d["text"], d.get("lang"),
                     [h["tag"].lower() for h in e.get("hashtags", [])],
                     [h["tag"].lower() for h in e.get("cashtags", [])],
                     [h["username"].lower() for h in e.get("mentions", [])],
                     m.get("retweet_count"), m.get("like_count"), m.get("reply_count"), m.get("quote_count"),
                     [r["tag"] for r in p.get("matching_rules", [])]))
        if len(page) == 1000:
            flush()
if page:
    flush()
conn.commit()
PY
t1=$(now)
py_wal=$(wal_since "$w0")
py_s=$(echo "$t1 - $t0" | bc -l)
rows=$(psql -XAt -d bench_py -c "SELECT count(*) FROM tweets_by_py")
[ "$rows" = "$N" ] || { echo "psycopg2 stored $rows of $N"; exit 1; }

printf "throughput: pulse-load %.0f tweets/s (%.1f s), by hand %.0f tweets/s (%.1f s), psycopg2 %.0f tweets/s (%.1f s)\n" \
  "$(rate "$N" "$load_s")" "$load_s" "$(rate "$N" "$base_s")" "$base_s" "$(rate "$N" "$py_s")" "$py_s"
printf "ratio: pulse-load / by hand %.2f, pulse-load / psycopg2 %.2f\n" \
  "$(echo "$base_s / $load_s" | bc -l)" "$(echo "$py_s / $load_s" | bc -l)"
printf "WAL per 1000 tweets: pulse-load %.0f kB, by hand %.0f kB, psycopg2 %.0f kB; pulse-load / by hand %.2f\n" \
  "$(kb_per_k "$load_wal" "$N")" "$(kb_per_k "$base_wal" "$N")" "$(kb_per_k "$py_wal" "$N")" "$(echo "$load_wal / $base_wal" | bc -l)"
printf "pulse-load peak RSS: %.1f MB\n" "$(echo "$load_rss / 1024" | bc -l)"

echo "== cost follows the batch: $BATCH tweets into an empty pulse.tweets and into one of $BIG rows"
# The batch: BATCH newer tweets (after the BIG stored ones), same generator.
gen_lines "$BATCH" "$work/batch.jsonl" $((BIG + 1000))
gen_lines "$BATCH" "$work/batch2.jsonl" $((BIG + BATCH + 2000))
new_db bench_big
# BIG older stored rows, made in SQL through pulse.merge (as a loader's
# projected batch would be), in pieces of 200,000.
psql -Xq -v ON_ERROR_STOP=1 -d bench_big <<SQL
SET client_min_messages = warning;
DO \$\$
DECLARE k bigint := 0;
BEGIN
  WHILE k < $BIG LOOP
    CREATE TEMP TABLE big_src ON COMMIT DROP AS
    SELECT i AS id, to_timestamp(((i >> 22) + 1288834974657) / 1000) AS created_at, 1000 + g % 5000 AS author_id,
           'stored tweet ' || g || ' about #bitcoin' AS text, 'en'::text AS lang,
           '{bitcoin}'::text[] AS hashtags, '{btc}'::text[] AS cashtags, '{}'::text[] AS mentions,
           false AS is_retweet, NULL::bigint AS retweeted_id, 0 AS retweet_count, 0 AS like_count,
           0 AS reply_count, 0 AS quote_count, '{btc}'::text[] AS matched_rules, now() AS observed_at,
           0.0::float8 AS sentiment
      FROM generate_series(k, least(k + 200000, $BIG) - 1) AS g,
           LATERAL (SELECT 1724796000000000000 + g * 86 * (1::bigint << 22) AS i) x;
    PERFORM pulse.merge('pulse.tweets', 'pg_temp.big_src', ARRAY['id', 'created_at']::name[], 'observed_at');
    DROP TABLE big_src;
    k := k + 200000;
  END LOOP;
END
\$\$;
VACUUM ANALYZE pulse.tweets;
SQL
big_rows=$(psql -XAt -d bench_big -c "SELECT count(*) FROM pulse.tweets")
[ "$big_rows" = "$BIG" ] || { echo "stored $big_rows of $BIG"; exit 1; }
batch_run() {  # db file -> seconds
  local a b
  a=$(now)
  "$bin" tweets --source file --file "$2" --db "dbname=$1" --quiet 2>"$work/batch-$1.err"
  b=$(now)
  echo "$b - $a" | bc -l
}
# Two interleaved rounds, best of each: into a fresh empty database, and into
# the big one (round 2 loads the next BATCH tweets, so it is new work too).
new_db bench_empty
empty_s=$(batch_run bench_empty "$work/batch.jsonl")
big_s=$(batch_run bench_big "$work/batch.jsonl")
new_db bench_empty
e2=$(batch_run bench_empty "$work/batch.jsonl")
b2=$(batch_run bench_big "$work/batch2.jsonl")
echo "   rounds: empty $empty_s s, $e2 s; big $big_s s, $b2 s"
empty_s=$(echo "if ($e2 < $empty_s) $e2 else $empty_s" | bc -l)
big_s=$(echo "if ($b2 < $big_s) $b2 else $big_s" | bc -l)
[ "$(psql -XAt -d bench_big -c "SELECT count(*) FROM pulse.tweets")" = "$((BIG + 2 * BATCH))" ] || { echo "batches not stored"; exit 1; }
printf "cost follows batch: %d tweets into empty %.0f tweets/s (%.2f s), into %d rows %.0f tweets/s (%.2f s), ratio %.2f\n" \
  "$BATCH" "$(rate "$BATCH" "$empty_s")" "$empty_s" "$BIG" "$(rate "$BATCH" "$big_s")" "$big_s" "$(echo "$empty_s / $big_s" | bc -l)"

export X_REPLAY_BEARER_TOKEN=bench-token PULSE_TWITTER_BEARER_TOKEN=bench-token
latency() {  # db id-base label [loader options]: stream, then p50/p99 of the stream's tweets
  local db=$1 base=$2 label=$3
  shift 3
  rm -f "$work/port"
  python3 - "$RATE" "$SECONDS_" "$base" >"$work/scenario.json" <<'PY'
import json, sys, datetime
rate = int(sys.argv[1]); n = rate * int(sys.argv[2])
base = int(sys.argv[3])
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
  local total=$((RATE * SECONDS_)) lpid
  "$bin" tweets --source stream --stream "latency-$base" --api-url "http://127.0.0.1:$(cat "$work/port")" \
    --db "dbname=$db" "$@" --quiet 2>"$work/stream.err" &
  lpid=$!
  for _ in $(seq $(( SECONDS_ * 10 + 300 ))); do
    [ "$(psql -XAt -d "$db" -c "SELECT count(*) FROM pulse.tweets WHERE id >= $base")" = "$total" ] && break
    sleep 0.1
  done
  kill -TERM $lpid; wait $lpid || true
  kill "$replay_pid" 2>/dev/null || true; wait "$replay_pid" 2>/dev/null || true; replay_pid=""
  psql -XAt -d "$db" -F ' ' <<SQL
SELECT format('latency ($label): %s tweets, p50 %s ms, p99 %s ms, max %s ms',
              count(*), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1),
              round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1), round(max(ms)::numeric, 1))
  FROM (SELECT extract(epoch FROM pg_xact_commit_timestamp(t.xmin)
                       - to_timestamp(substring(t.text FROM 'sent_at=([0-9.]+)')::float8)) * 1000 AS ms
          FROM pulse.tweets t WHERE t.id >= $base) x;
-- Where the tail comes from: the transactions holding the slowest tweets,
-- numbered in commit order.
SELECT format('   slowest commits: %s', string_agg(format('#%s of %s (%s tweets, %s-%s ms)', k, nb, n, lo, hi), ', ' ORDER BY hi DESC))
  FROM (SELECT k, count(*) OVER () AS nb, n, lo, hi FROM (
          SELECT row_number() OVER (ORDER BY min(c)) AS k, count(*) AS n,
                 round(min(ms)::numeric) AS lo, round(max(ms)::numeric) AS hi
            FROM (SELECT t.xmin AS x, pg_xact_commit_timestamp(t.xmin) AS c,
                         extract(epoch FROM pg_xact_commit_timestamp(t.xmin)
                                 - to_timestamp(substring(t.text FROM 'sent_at=([0-9.]+)')::float8)) * 1000 AS ms
                    FROM pulse.tweets t WHERE t.id >= $base) y
           GROUP BY x) z) w
 WHERE hi >= (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM pg_xact_commit_timestamp(t.xmin)
                      - to_timestamp(substring(t.text FROM 'sent_at=([0-9.]+)')::float8)) * 1000)
                FROM pulse.tweets t WHERE t.id >= $base);
SQL
}
# The set-up above wrote about 1 GB per 10M rows moments ago; with the test
# cluster's fsync = off the kernel writes it back on its own schedule, and
# COMMITs that fall in that writeback stall for 100-250 ms (seen in the
# server log of a run with log_min_duration_statement = 0). Flush it first,
# as a server that did not just load 10M rows would have: a checkpoint, then
# the kernel's dirty pages.
psql -XAq -d bench_big -c CHECKPOINT
sync
echo "== latency: replay stream at $RATE tweets/s for $SECONDS_ s into pulse.tweets holding $((BIG + 2 * BATCH)) rows"
latency bench_big 1824796000000000000 "default flush interval, $((BIG + 2 * BATCH)) rows stored"
latency bench_big 1834796000000000000 "--flush-interval 100, $((BIG + 2 * BATCH)) rows stored" --flush-interval 100
