#!/usr/bin/env bash
# Benchmarks pulse.merge against the by-hand idempotent batch its users write
# today (copy target + batch into a tmp table, keep the latest row per key with
# row_number(), replace the original), on the same data in the same run.
#   bench/merge_bench.sh            # uses PG* variables if PGHOST is set,
#                                   # else starts a throwaway cluster
# Case 0 compares the first load of BENCH_FIRST rows (default 100000) with a
# hand-written INSERT ... ON CONFLICT, best of BENCH_ROUNDS (3) interleaved
# rounds; BENCH_FIRST_ONLY=1 stops after it.
# Sizes: BENCH_ROWS (default 1000000), BENCH_BIG (10000000), BENCH_BATCH (100000).
# Prints one line per case with seconds and the ratio by-hand / merge.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${BENCH_ROWS:-1000000}
big=${BENCH_BIG:-10000000}
batch=${BENCH_BATCH:-100000}
first=${BENCH_FIRST:-100000}
first_rounds=${BENCH_ROUNDS:-3}
per_day=$((rows / 10))          # 10 daily partitions for the small table

started_cluster=
if [ -z "${PGHOST:-}" ]; then
  make -s -f Makefile.pgxs >/dev/null
  state=$PWD/build/benchpg
  sock=/tmp/pulse-bench-$$
  tests/pgcluster.sh start "$state" "$sock" "$PWD" >/dev/null
  started_cluster=1
  export PGHOST=$sock PGPORT=5432 PGUSER=postgres
  trap 'tests/pgcluster.sh stop "$state" "$sock" "$PWD" >/dev/null' EXIT
fi
db=pulse_bench
psql -qX -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
q() { psql -qXAt -v ON_ERROR_STOP=1 -d "$db" "$@"; }
q -c "CREATE EXTENSION pulse"
now() { date +%s.%N; }
# secs SQL...: runs the statements in one psql session, prints elapsed seconds
out=$(mktemp)
secs() {
  local t0 t1
  t0=$(now); q "$@" >"$out"; t1=$(now)
  echo "$t1 - $t0" | bc -l | xargs printf '%.3f'
}

# A candle-like table: key (id, ts), version v; partitioned by day.
# make_table NAME DAYS: partitions for DAYS days from 2024-01-01, plus one
# spare day (the batch's new rows go to the last day).
managed=$(q -c "SELECT to_regproc('pulse.partition_by_time') IS NOT NULL")
make_table() {
  local name=$1 days=$2
  q -c "CREATE TABLE $name (id bigint NOT NULL, ts timestamptz NOT NULL, v bigint NOT NULL,
          price numeric, qty numeric, note text, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts)"
  if [ "$managed" = t ]; then
    # managed by pulse: partitions come from the registry (premake 0: only
    # the backfill range below), merge creates what a batch needs
    q -c "SELECT pulse.partition_by_time('$name', 'ts', '1 day', premake => 0)" >/dev/null
    q -c "SELECT pulse.ensure_partitions('$name', '2024-01-01', timestamptz '2024-01-01' + interval '1 day' * $days)" >/dev/null
  else
    q -c "SELECT format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L);', '${name}_' || d, '$name',
                        timestamptz '2024-01-01' + interval '1 day' * d, timestamptz '2024-01-01' + interval '1 day' * (d + 1))
            FROM generate_series(0, $days) d" | q >/dev/null
  fi
}
# rows spread evenly over DAYS days; id unique
fill_sql() { # N DAYS VERSION
  echo "SELECT g::bigint AS id, timestamptz '2024-01-01' + interval '1 day' * (g % $2) + interval '1 second' * (g % 86400) AS ts,
               $3::bigint AS v, (g % 1000) * 1.25 AS price, g * 0.001 AS qty, 'row ' || g AS note FROM generate_series(1, $1) g"
}
# the batch: half updates of existing rows in the last two days (version +1,
# new price), half new keys in the last day
batch_sql() { # TARGET_ROWS DAYS
  local n=$1 days=$2 half=$((batch / 2))
  echo "SELECT id::bigint AS id, timestamptz '2024-01-01' + interval '1 day' * (id % $days) + interval '1 second' * (id % 86400) AS ts,
               2::bigint AS v, (id % 1000) * 1.25 + 1 AS price, id * 0.001 AS qty, 'row ' || id AS note
          FROM (SELECT g * $days - r AS id FROM generate_series($n / $days - $half / 2 + 1, $n / $days) g,
                       (VALUES (1), (2)) AS v(r)) e
        UNION ALL
        SELECT g, timestamptz '2024-01-01' + interval '1 day' * ($days - 1) + interval '1 second' * (g % 86400),
               1, 9.5, 1, 'new ' || g FROM generate_series($n + 1, $n + $half) g"
}
# by-hand: tmp = target UNION ALL batch, keep the latest per key, replace
by_hand_sql() { # TARGET SOURCE
  cat <<SQL
BEGIN;
CREATE TABLE tmp_merge AS
  SELECT id, ts, v, price, qty, note FROM (
    SELECT *, row_number() OVER (PARTITION BY id, ts ORDER BY v DESC) AS rn
      FROM (SELECT * FROM $1 UNION ALL SELECT * FROM $2) u) x
   WHERE rn = 1;
TRUNCATE $1;
INSERT INTO $1 SELECT * FROM tmp_merge;
DROP TABLE tmp_merge;
COMMIT;
SQL
}
report() { # LABEL MERGE_SECS HAND_SECS
  printf '%-44s merge %8.3f s   by-hand %8.3f s   by-hand/merge %6.1fx\n' "$1" "$2" "$3" "$(echo "$3 / $2" | bc -l)"
}

echo "pulse.merge benchmark: rows=$rows big=$big batch=$batch managed_registry=$managed"
echo "server: $(q -c 'SHOW server_version'), fsync=$(q -c 'SHOW fsync'), shared_buffers=$(q -c 'SHOW shared_buffers')"

# --- 0. first load of $first rows into an empty managed table: pulse.merge
# against the INSERT ... ON CONFLICT one would write by hand for the same
# result (newest version wins), interleaved rounds, best of each; then the
# same merge again, which must write no WAL.
make_table m0 10
make_table h0 10
q -c "CREATE TABLE src0 AS $(fill_sql "$first" 10 1)"
q -c "ANALYZE src0"
hand_upsert="INSERT INTO h0 AS t SELECT * FROM src0 ON CONFLICT (id, ts) DO UPDATE
               SET v = excluded.v, price = excluded.price, qty = excluded.qty, note = excluded.note
             WHERE t.v <= excluded.v AND (t.price, t.qty, t.note) IS DISTINCT FROM (excluded.price, excluded.qty, excluded.note)"
best_m=; best_h=
for r in $(seq 1 "$first_rounds"); do
  q -c "TRUNCATE m0, h0" -c "CHECKPOINT"
  tm=$(secs -c "SELECT * FROM pulse.merge('m0', 'src0', '{id,ts}', 'v')")
  counts0=$(cat "$out")
  q -c "CHECKPOINT"
  th=$(secs -c "$hand_upsert")
  echo "   round $r: merge $tm s, INSERT ... ON CONFLICT $th s"
  best_m=$(printf '%s\n' $best_m $tm | sort -n | head -1); best_h=$(printf '%s\n' $best_h $th | sort -n | head -1)
done
printf '%-44s merge %8.3f s   INSERT..ON CONFLICT %8.3f s   ratio %5.2fx\n' "0. first load, $first rows (best of $first_rounds)" \
  "$best_m" "$best_h" "$(echo "$best_h / $best_m" | bc -l)"
echo "   merge counts (inserted|updated|unchanged): $counts0"
lsn0=$(q -c "SELECT pg_current_wal_insert_lsn()")
again0=$(q -c "SELECT * FROM pulse.merge('m0', 'src0', '{id,ts}', 'v')")
echo "   again: $again0; WAL written by the whole cluster: $(q -c "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$lsn0')") bytes"
q -c "SELECT '   tables equal: ' || ((SELECT count(*) FROM (SELECT * FROM m0 EXCEPT SELECT * FROM h0) d) = 0)"
q -c "DROP TABLE m0, h0, src0"
[ -n "${BENCH_FIRST_ONLY:-}" ] && { psql -qX -d postgres -c "DROP DATABASE $db" >/dev/null; rm -f "$out"; exit 0; }

# --- 1. first merge of $rows rows into an empty table; 2. the same again
make_table m1 10
make_table h1 10
q -c "CREATE TABLE src1 AS $(fill_sql "$rows" 10 1)"
q -c "ANALYZE src1"
m_first=$(secs -c "SELECT * FROM pulse.merge('m1', 'src1', '{id,ts}', 'v')")
counts_first=$(cat "$out")
h_first=$(secs -c "$(by_hand_sql h1 src1)")
q -c "VACUUM ANALYZE m1" -c "VACUUM ANALYZE h1"
report "1. first merge, $rows rows into empty" "$m_first" "$h_first"
echo "   merge counts (inserted|updated|unchanged): $counts_first"

lsn0=$(q -c "SELECT pg_current_wal_insert_lsn()")
m_again=$(secs -c "SELECT * FROM pulse.merge('m1', 'src1', '{id,ts}', 'v')")
counts=$(cat "$out")
wal=$(q -c "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$lsn0')")
h_again=$(secs -c "$(by_hand_sql h1 src1)")
report "2. same $rows rows again (no change)" "$m_again" "$h_again"
echo "   merge counts: $counts; WAL written by the whole cluster during the merge: $wal bytes"
q -c "SELECT 'tables equal: ' || ((SELECT count(*) FROM (SELECT * FROM m1 EXCEPT SELECT * FROM h1) d) = 0)"

# --- 3. a $batch-row batch into the $rows-row table
q -c "CREATE TABLE b1 AS $(batch_sql "$rows" 10)"
q -c "ANALYZE b1"
m_b1=$(secs -c "SELECT * FROM pulse.merge('m1', 'b1', '{id,ts}', 'v')")
counts=$(cat "$out")
h_b1=$(secs -c "$(by_hand_sql h1 b1)")
report "3. $batch-row batch into $rows rows" "$m_b1" "$h_b1"
echo "   merge counts: $counts; re-run: $(q -c "SELECT * FROM pulse.merge('m1', 'b1', '{id,ts}', 'v')")"
q -c "SELECT 'tables equal: ' || ((SELECT count(*) FROM (SELECT * FROM m1 EXCEPT SELECT * FROM h1) d) = 0)"
q -c "DROP TABLE m1, h1, src1"

# --- 4. the same batch shape into a $big-row table (same rows per day)
big_days=$((big / per_day))
make_table m2 "$big_days"
q -c "INSERT INTO m2 $(fill_sql "$big" "$big_days" 1)"
q -c "VACUUM ANALYZE m2"
make_table h2 "$big_days"
q -c "INSERT INTO h2 SELECT * FROM m2"
q -c "VACUUM ANALYZE h2"
q -c "CREATE TABLE b2 AS $(batch_sql "$big" "$big_days")"
q -c "ANALYZE b2"
m_b2=$(secs -c "SELECT * FROM pulse.merge('m2', 'b2', '{id,ts}', 'v')")
counts=$(cat "$out")
h_b2=$(secs -c "$(by_hand_sql h2 b2)")
report "4. $batch-row batch into $big rows" "$m_b2" "$h_b2"
echo "   merge counts: $counts"
echo "   merge cost, $big-row vs $rows-row table: $(echo "$m_b2 / $m_b1" | bc -l | xargs printf '%.2f')x (the batch is the same size)"
q -c "SELECT 'tables equal: ' || ((SELECT count(*) FROM (SELECT * FROM m2 EXCEPT SELECT * FROM h2) d) = 0)"

psql -qX -d postgres -c "DROP DATABASE $db" >/dev/null
rm -f "$out"
