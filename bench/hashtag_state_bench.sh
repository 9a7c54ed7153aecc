#!/usr/bin/env bash
# What the hashtag state costs ingest: N tweets (default 200,000 over two
# days, 0-3 tags each from the Zipf-like 2,000-tag vocabulary of
# trending_bench.sh) inserted into pulse.tweets in statements of B rows
# (default 1,000, as a loader's batches), once with the hashtag triggers
# (pulse.hashtags, the per-hour counts and the packed per-minute and
# per-period sets) and once with them disabled, in fresh databases,
# alternating twice. The built-in minute rollup runs in both. Prints
# tweets/s and the ratio with / without.
#   bench/hashtag_state_bench.sh [source-dir]   (runs its own cluster from that
#                                                checkout, default this one)
#   N=200000 B=100000 bench/hashtag_state_bench.sh   (day-sized statements)
set -euo pipefail
src=$(cd "${1:-$(dirname "$0")/..}" && pwd)
N=${N:-$([ -n "${BENCH_SMALL:-}" ] && echo 50000 || echo 200000)}
B=${B:-1000}
state=${PULSE_BENCH_STATE:-$(cd "$(dirname "$0")/.." && pwd)/build/bench-hashtag-state}
sock=/tmp/pulse-bench-hs-$$
work=$(mktemp -d)
make -s -C "$src" -f Makefile.pgxs >/dev/null
"$(dirname "$0")/../tests/pgcluster.sh" start "$state" "$sock" "$src" >/dev/null
trap '"$(dirname "$0")/../tests/pgcluster.sh" stop "$state" "$sock" "$src" >/dev/null || true; rm -rf "$sock" "$work"' EXIT
export PGHOST=$sock PGPORT=5432 PGUSER=postgres
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
for ((i = 0; i * B < N; i++)); do
  echo "INSERT INTO pulse.tweets (id, created_at, author_id, text, hashtags, is_retweet)
        SELECT g, t, a, 'tweet', h, g % 10 = 0 FROM src WHERE g >= $((i * B)) AND g < $(((i + 1) * B));"
done >"$work/batches.sql"
run() {  # with|without -> seconds for the inserts
  psql -d postgres -c "DROP DATABASE IF EXISTS hs" -c "CREATE DATABASE hs"
  psql -d hs -c "CREATE EXTENSION pulse" -c "SELECT pulse.ensure_partitions('pulse.tweets', '2024-05-01', '2024-05-10')" >/dev/null
  psql -d hs -c "CREATE TABLE src AS
    SELECT g, timestamptz '2024-05-01 00:00+00' + (g::float8 / 100000) * interval '1 day' AS t, (g * 7919) % 50000 AS a,
           ARRAY(SELECT 'tag' || floor(exp(random() * ln(2000)))::int FROM generate_series(1, (g * 31) % 4)) AS h
      FROM generate_series(0, $N - 1) g" -c "VACUUM ANALYZE src"
  if [ "$1" = without ]; then
    for t in hashtags_ins hashtags_upd hashtags_del hashtags_trunc; do psql -d hs -c "ALTER TABLE pulse.tweets DISABLE TRIGGER $t"; done
  fi
  local s e
  s=$(date +%s.%N)
  psql -d hs -f "$work/batches.sql"
  e=$(date +%s.%N)
  [ "$(psql -d hs -At -c "SELECT count(*) FROM pulse.tweets")" = "$N" ] || { echo "FAIL: not all tweets loaded"; exit 1; }
  if [ "$1" = with ]; then  # the state holds every tweet-tag pair
    [ "$(psql -d hs -At -c "SELECT sum(tweets) = (SELECT count(*) FROM src, LATERAL (SELECT DISTINCT u FROM unnest(h) u) x)
                              FROM pulse.hashtags")" = t ] || { echo "FAIL: hashtag state incomplete"; exit 1; }
  fi
  printf '%.2f' "$(echo "$e - $s" | bc)"
}
with=(); without=()
for round in 1 2; do
  with+=("$(run with)"); without+=("$(run without)")
done
tw=$(echo "${with[0]} + ${with[1]}" | bc); to=$(echo "${without[0]} + ${without[1]}" | bc)
echo "$N tweets in statements of $B rows, twice each: with the hashtag state ${with[*]} s, without ${without[*]} s"
echo "with: $(echo "2 * $N / $tw" | bc) tweets/s; without: $(echo "2 * $N / $to" | bc) tweets/s; ratio with / without: $(printf '%.2f' "$(echo "scale=4; $to / $tw" | bc)")"
