#!/usr/bin/env bash
# Pulse on Citus against a single node, on the same machine in the same run
# (README "Scaling out"; issue "Past one machine"). A 3-node Citus cluster
# (tests/citus/cluster.sh: a coordinator and two workers) holds two
# databases: `postgres`, where pulse.distribute(SHARDS) makes the tables
# distributed, and `single`, plain Pulse on the coordinator's server. The
# same N tweets (X API v2 lines over one day, 0-3 tags, 5,000 authors) are
# loaded into each with `pulse-load tweets --source file` (single node first,
# then distributed, then both again: 2 rounds, each into fresh tables), and a
# day of 1-minute candles; then pulse.lead_lag over the day (max_lag 30,
# 1-minute buckets) runs 7 times in each, the median of the last 5 kept.
# Prints tweets/s and ratios (distributed / single: above 1 is faster), and
# the CPU seconds each node's server spent on the distributed loads (the
# postmaster's reaped children plus live backends, from /proc), which the
# scale model in bench/README.md uses.
#   bench/citus_bench.sh [build-dir]     (default build/, which must have built
#                                         the citus target and pulse-load)
#   N=20000 SHARDS=32 bench/citus_bench.sh
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
N=${N:-$([ -n "${BENCH_SMALL:-}" ] && echo 20000 || echo 100000)}
SHARDS=${SHARDS:-32}
[ -f "$build/citus-stage.txt" ] || { echo "no Citus build in $build (cmake --build $build --target citus)"; exit 1; }
bin="$build/pulse-load"
state="$build/bench-citus"
sock=/tmp/pulse-bench-citus-$$
work=$(mktemp -d)
chmod 755 "$work"
"$src/tests/citus/cluster.sh" start "$state" "$sock" "$src" "$build/citus-stage.txt" >/dev/null
trap '"$src/tests/citus/cluster.sh" stop "$state" "$sock" "$src" >/dev/null || true; rm -rf "$sock" "$work"' EXIT
export PGHOST=$sock PGPORT=5432 PGUSER=postgres PGOPTIONS="-c client_min_messages=warning"
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

python3 - "$work/tweets.jsonl" "$N" <<'PY'
import json, sys, datetime, random
rnd = random.Random(1)
path, n = sys.argv[1], int(sys.argv[2])
tags = ["tag%d" % i for i in range(500)]
base_ms = 1724803200000  # 2024-08-28T00:00:00Z
with open(path, "w") as f:
    for k in range(n):
        ms = base_ms + (k * 86400000) // n
        i = ((ms - 1288834974657) << 22) + k % 4096
        ts = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        t = sorted(set(tags[min(int(rnd.paretovariate(1.2)) - 1, 499)] for _ in range(rnd.choice([0, 1, 1, 2, 3]))))
        f.write(json.dumps({"data": {"id": str(i), "text": "btc tweet %d %s" % (k, " ".join("#" + x for x in t)),
                                     "created_at": ts, "author_id": str(k % 5000),
                                     "entities": {"hashtags": [{"tag": x} for x in t]},
                                     "public_metrics": {"retweet_count": k % 17, "like_count": k % 31,
                                                        "reply_count": 0, "quote_count": 0}}}) + "\n")
PY

cpu() {  # port -> CPU seconds of that node's server so far (reaped children + live processes)
  local pm tick total=0 p
  pm=$(head -1 "$state/$1/postmaster.pid")
  tick=$(getconf CLK_TCK)
  # postmaster: own utime+stime (14, 15) and its reaped children's (16, 17)
  total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
  for p in $(pgrep -P "$pm"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "scale=2; $total / $tick" | bc
}

fresh() {  # db
  psql -d "$1" -c "DROP EXTENSION IF EXISTS pulse CASCADE" -c "CREATE EXTENSION pulse"
  if [ "$1" = postgres ]; then psql -d postgres -c "SELECT pulse.distribute($SHARDS)" >/dev/null; fi
}
load() {  # db -> seconds
  local s e
  s=$(date +%s.%N)
  PGDATABASE=$1 "$bin" tweets --source file --file "$work/tweets.jsonl" --quiet 2>>"$work/err" \
    || { tail -3 "$work/err"; echo "FAIL: pulse-load into $1"; exit 1; }
  e=$(date +%s.%N)
  [ "$(psql -d "$1" -At -c "SELECT count(*) FROM pulse.tweets")" = "$N" ] || { echo "FAIL: not all tweets in $1"; exit 1; }
  printf '%.2f' "$(echo "$e - $s" | bc)"
}

psql -d postgres -c "DROP DATABASE IF EXISTS single" -c "CREATE DATABASE single"
single=(); dist=(); c0=(); c1=()
for round in 1 2; do
  fresh single
  single+=("$(load single)")
  fresh postgres
  for port in 5432 5433 5434; do c0[$port]=$(cpu "$(case $port in 5432) echo coord;; 5433) echo worker1;; *) echo worker2;; esac)"); done
  dist+=("$(load postgres)")
  for port in 5432 5433 5434; do
    node=$(case $port in 5432) echo coord;; 5433) echo worker1;; *) echo worker2;; esac)
    c1[$port]=$(echo "${c1[$port]:-0} + $(cpu $node) - ${c0[$port]}" | bc)
  done
done
ts=$(echo "${single[0]} + ${single[1]}" | bc); td=$(echo "${dist[0]} + ${dist[1]}" | bc)
echo "ingest of $N tweets through pulse-load, 2 rounds: single node ${single[*]} s, distributed ($SHARDS shards, 2 workers) ${dist[*]} s"
echo "single: $(echo "2 * $N / $ts" | bc) tweets/s; distributed: $(echo "2 * $N / $td" | bc) tweets/s; ratio distributed / single: $(printf '%.2f' "$(echo "scale=4; $ts / $td" | bc)")"
echo "CPU seconds on the distributed loads (both rounds): coordinator ${c1[5432]}, worker1 ${c1[5433]}, worker2 ${c1[5434]}"

# A day of candles and coverage in both, then lead_lag over the day.
for db in single postgres; do
  psql -d $db -c "SELECT pulse.ensure_partitions('pulse.candles', '2024-08-28', '2024-08-29')" >/dev/null
  psql -d $db -c "INSERT INTO pulse.candles (exchange, market, period, bucket_start, open, high, low, close, volume, observed_at)
      SELECT 'binance', 'BTCUSDT', '1 minute', m, 1, 2, 0.5, 1.5, 10 + (extract(epoch FROM m)::bigint % 997), m + interval '1 minute'
        FROM generate_series(timestamptz '2024-08-28 00:00+00', '2024-08-28 23:59+00', '1 minute') m" \
    -c "SELECT pulse.declare_coverage('bench', 'tweets', '[2024-08-28 00:00+00, 2024-08-29 00:00+00)'),
               pulse.declare_coverage('bench', pulse_internal.candle_subject('binance', 'BTCUSDT', '1 minute'),
                                      '[2024-08-28 00:00+00, 2024-08-29 00:00+00)')" -c "ANALYZE" >/dev/null
done
q="SELECT count(*), sum(corr) FROM pulse.lead_lag('binance', 'BTCUSDT', '2024-08-28 00:00+00', '2024-08-29 00:00+00', 30);"
median() {  # db -> ms (median of the last 5 of 7)
  { echo '\timing on'; for _ in 1 2 3 4 5 6 7; do echo "$q"; done; } | psql -d "$1" -At 2>&1 \
    | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -5 | sort -n | sed -n 3p
}
a=$(psql -d single -At -c "$q"); b=$(psql -d postgres -At -c "$q")
[ "$a" = "$b" ] || { echo "FAIL: lead_lag differs: single $a, distributed $b"; exit 1; }
ms=$(median single); md=$(median postgres)
echo "one-day lead_lag (61 lags, 1,440 buckets): single node $ms ms, distributed $md ms; ratio single / distributed: $(printf '%.2f' "$(echo "scale=4; $ms / $md" | bc)")"
