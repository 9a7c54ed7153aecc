#!/usr/bin/env bash
# Ingest through pulse-load with rollups over pulse.tweets against the same
# load without them: N generated X API v2 stream lines (default 200,000,
# about 12 tweets a second; BENCH_SMALL=1: 50,000) loaded with
# `pulse-load tweets --source file` in its default micro-batches into two
# fresh databases, one with 3 rollups on pulse.tweets (tweets per minute and
# language: count, maintained from the batch's sums; a 10-minute window every
# minute: count, also incremental; per hour: count(DISTINCT author_id),
# recomputed), alternating twice. The built-in rollup and hashtag state are
# in both. Prints rows/s and the ratio with / without.
#   bench/rollups_ingest_bench.sh [build-dir]      (runs its own cluster)
#   BATCH_ROWS=1000 bench/rollups_ingest_bench.sh  (batches of 1,000 tweets)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=$(cd "${1:-build}" && pwd)
N=${N:-$([ -n "${BENCH_SMALL:-}" ] && echo 50000 || echo 200000)}
bin=$build/pulse-load
[ -x "$bin" ] || { echo "build first (cmake --build $build)"; exit 2; }
state=$build/benchpg-ringest
sock=/tmp/pulse-bench-ri-$$
work=$(mktemp -d)
trap 'tests/pgcluster.sh stop "$state" "$sock" "$src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
make -s -f Makefile.pgxs >/dev/null
tests/pgcluster.sh start "$state" "$sock" "$src" >/dev/null
export PGHOST=$sock PGPORT=5432 PGUSER=postgres
python3 - "$N" "$work/tweets.jsonl" <<'PY'
import json, sys, datetime, random
n = int(sys.argv[1]); rnd = random.Random(11)
base = 1724796000000000000
tags = ["Bitcoin", "BTC", "crypto", "ETH", "hodl", "DeFi"]
langs = ["en", "ko", "ja", "es", "und"]
with open(sys.argv[2], "w") as f:
    for k in range(n):
        i = base + k * 86 * (1 << 22)
        ms = (i >> 22) + 1288834974657
        ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        h = rnd.sample(tags, 2)
        d = {"id": str(i), "created_at": ts, "author_id": str(1000 + rnd.randrange(5000)), "lang": rnd.choice(langs),
             "text": "tweet %d about #%s, great news" % (k, h[0]),
             "entities": {"hashtags": [{"start": 16, "end": 24, "tag": h[0]}]}}
        f.write(json.dumps({"data": d, "matching_rules": [{"id": "1", "tag": "btc"}]}) + "\n")
PY
new_db() {
  dropdb --if-exists "$1" >/dev/null 2>&1; createdb "$1"
  psql -Xq -v ON_ERROR_STOP=1 -d "$1" -c 'CREATE EXTENSION pulse' >/dev/null
  if [ "$2" = with ]; then
    psql -Xq -v ON_ERROR_STOP=1 -d "$1" >/dev/null <<'SQL'
SELECT pulse.create_rollup('per_minute_lang', $$SELECT date_bin('1 minute', created_at, '1970-01-01') AS minute, lang, count(*) AS tweets FROM pulse.tweets GROUP BY 1, 2$$);
SELECT pulse.create_rollup('sliding_10m', $$SELECT pulse.hop(created_at, '10 minutes', '1 minute') AS w, count(*) AS tweets FROM pulse.tweets GROUP BY 1$$);
SELECT pulse.create_rollup('authors_hourly', $$SELECT date_bin('1 hour', created_at, '1970-01-01') AS hour, count(DISTINCT author_id) AS authors FROM pulse.tweets GROUP BY 1$$);
SQL
  fi
}
load() {  # db -> seconds
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" tweets --source file --file "$work/tweets.jsonl" --db "dbname=$1" ${BATCH_ROWS:+--batch-rows "$BATCH_ROWS"} --quiet \
    2>"$work/err.$1" || { cat "$work/err.$1"; exit 1; }
  t1=$(date +%s.%N)
  [ "$(psql -XAt -d "$1" -c 'SELECT count(*) FROM pulse.tweets')" = "$N" ] || { echo "incomplete load in $1"; exit 1; }
  echo "$t1 - $t0" | bc -l
}
declare -A secs=([with]=0 [without]=0)
for round in 1 2; do
  for kind in without with; do
    new_db "ri_$kind" "$kind"
    s=$(load "ri_$kind" )
    secs[$kind]=$(echo "${secs[$kind]} + $s" | bc -l)
    printf 'round %d, %-7s rollups: %6.2f s\n' "$round" "$kind" "$s"
  done
done
# the rollups hold what their queries give
bad=$(psql -XAt -d ri_with -c "SELECT (SELECT count(*) FROM ((SELECT minute, lang, tweets FROM per_minute_lang) EXCEPT
        (SELECT date_bin('1 minute', created_at, '1970-01-01'), lang, count(*) FROM pulse.tweets GROUP BY 1, 2)) a)
      + (SELECT count(*) FROM ((SELECT hour, authors FROM authors_hourly) EXCEPT
        (SELECT date_bin('1 hour', created_at, '1970-01-01'), count(DISTINCT author_id) FROM pulse.tweets GROUP BY 1)) b)")
[ "$bad" = 0 ] || { echo "FAIL: rollups differ from their queries ($bad rows)"; exit 1; }
batches=$(psql -XAt -d ri_with -c "SELECT max(batch_id) FROM pulse.checkpoints")
awk -v n="$N" -v w="${secs[with]}" -v wo="${secs[without]}" -v b="$batches" 'BEGIN {
  printf "%d tweets in %d batches, twice: with 3 rollups %.0f tweets/s, without %.0f tweets/s, ratio with / without %.2f\n",
         n, b, 2 * n / w, 2 * n / wo, wo / w }'
