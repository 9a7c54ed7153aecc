#!/usr/bin/env bash
# The tweet projection alone (issue 17): M generated X API v2 stream lines
# (default 20,000, the shape bench/tweets_bench.sh loads) projected into the
# staging table pg_temp.pulse_tweet_stage by the SQL projection Pulse used
# before (kept as the oracle in tests/regress/sql/tweets_projection_oracle.sql)
# and by the C++ one (pulse_internal.twitter_v2_rows, what stage_twitter_v2
# runs over the batch's landing rows), ROUNDS (default 3) interleaved rounds
# in one session on a throwaway cluster, best of each, and their ratio; then
# end to end, N (default 200,000) such lines through `pulse-load tweets
# --source file` at default settings into a database where the tweet SQL is
# that of OLD (default f6d160f, the commit before the C++ projection: its
# 50_tweet_fields.sql and 55_tweets.sql run over the installed extension)
# and into one with the C++ projection, ROUNDS interleaved rounds on fresh
# databases, best of each, and their ratio.
# Usage: [M=..] [N=..] [ROUNDS=..] [OLD=..] bench/tweets_projection_bench.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=$(cd "${1:-build}" && pwd)
M=${M:-20000}
N=${N:-200000}
ROUNDS=${ROUNDS:-3}
OLD=${OLD:-f6d160f}
bin=$build/pulse-load
[ -x "$bin" ] || { echo "build first (cmake --build $build)"; exit 2; }
state=$build/benchproj
sock=/tmp/pulse-benchproj-$(echo "$build" | md5sum | cut -c1-8)
work=$(mktemp -d)
cleanup() {
  tests/pgcluster.sh stop "$state" "$sock" "$src" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
tests/pgcluster.sh start "$state" "$sock" "$src" >/dev/null
export PGHOST=$sock PGPORT=5432 PGUSER=postgres
dropdb --if-exists bench_proj >/dev/null 2>&1
createdb bench_proj
psql -Xq -v ON_ERROR_STOP=1 bench_proj -c 'CREATE EXTENSION pulse' >/dev/null

. bench/tweet_lines.sh
gen_lines "$M" "$work/lines.jsonl" 0

# The oracle's definitions: everything before its seed records.
sed '/^-- Seed records of both formats/,$d' tests/regress/sql/tweets_projection_oracle.sql >"$work/oracle.sql"
{
  echo '\set ON_ERROR_STOP 1'
  echo '\i '"$work/oracle.sql"
  echo "\\copy tweets_oracle.records (payload) FROM '$work/lines.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
  echo "UPDATE tweets_oracle.records SET seq = 1, received_at = '2024-09-01 00:00:00+00';"
  echo "ANALYZE tweets_oracle.records;"
  echo "SET jit = off;"
  echo "SELECT pulse_internal.tweets_stage();"
  cat <<'SQL'
CREATE FUNCTION pg_temp.ms(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  EXECUTE q;
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
CREATE TEMP TABLE timings (round int, projection text, ms float8, rows bigint);
SQL
  for r in $(seq 1 "$ROUNDS"); do
    for p in old new; do
      echo "INSERT INTO timings SELECT $r, '$p', pg_temp.ms('INSERT INTO pg_temp.pulse_tweet_stage SELECT * FROM tweets_oracle.${p}_v2()'), (SELECT count(*) FROM tweets_oracle.${p}_v2());"
    done
  done
  cat <<'SQL'
\pset footer off
SELECT round, projection, round(ms::numeric, 1) AS ms, rows FROM timings ORDER BY round, projection DESC;
SELECT format('projection of %s records: SQL (before) best %s ms, C++ (after) best %s ms, SQL / C++ %s',
              (SELECT count(*) FROM tweets_oracle.records),
              round(min(ms) FILTER (WHERE projection = 'old')::numeric, 1),
              round(min(ms) FILTER (WHERE projection = 'new')::numeric, 1),
              round((min(ms) FILTER (WHERE projection = 'old') / min(ms) FILTER (WHERE projection = 'new'))::numeric, 2)) AS result
  FROM timings;
SQL
} >"$work/run.sql"
psql -X -q bench_proj -f "$work/run.sql"

echo "== end to end: $N lines through pulse-load, SQL projection of $OLD vs the C++ projection, $ROUNDS rounds"
gen_lines "$N" "$work/big.jsonl"
git show "$OLD:sql/code/50_tweet_fields.sql" "$OLD:sql/code/55_tweets.sql" | sed "s|'MODULE_PATHNAME'|'\$libdir/pulse'|" >"$work/old.sql"
now() { date +%s.%N; }
declare -A best
for r in $(seq 1 "$ROUNDS"); do
  for p in old new; do
    dropdb --if-exists bench_e2e >/dev/null 2>&1
    createdb bench_e2e
    psql -Xq -v ON_ERROR_STOP=1 bench_e2e -c 'CREATE EXTENSION pulse' >/dev/null
    if [ "$p" = old ]; then psql -Xq -v ON_ERROR_STOP=1 bench_e2e -f "$work/old.sql" >/dev/null; fi
    psql -Xq bench_e2e -c CHECKPOINT
    t0=$(now)
    "$bin" tweets --source file --file "$work/big.jsonl" --db "dbname=bench_e2e" --quiet
    t1=$(now)
    rows=$(psql -XAt bench_e2e -c "SELECT count(*) FROM pulse.tweets")
    [ "$rows" = "$N" ] || { echo "loaded $rows of $N"; exit 1; }
    s=$(echo "$t1 - $t0" | bc -l)
    printf '   round %s, %s projection: %.1f s, %.0f tweets/s\n' "$r" "$p" "$s" "$(echo "$N / $s" | bc -l)"
    if [ -z "${best[$p]:-}" ] || [ "$(echo "$s < ${best[$p]}" | bc -l)" = 1 ]; then best[$p]=$s; fi
  done
done
printf 'end to end, %s tweets: SQL projection (%s) best %.0f tweets/s, C++ projection best %.0f tweets/s, C++ / SQL %.2f\n' \
  "$N" "$OLD" "$(echo "$N / ${best[old]}" | bc -l)" "$(echo "$N / ${best[new]}" | bc -l)" "$(echo "${best[old]} / ${best[new]}" | bc -l)"
