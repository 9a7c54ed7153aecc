#!/usr/bin/env bash
# One market-day out of 90 days of minute candles for 20 markets (2,592,000
# rows): a table partitioned by day and clustered by (exchange, market) with
# pulse.partition_by_time + pulse.run_maintenance, against the same rows in
# one plain table with the comparable index (exchange, market, bucket_start).
# Rows are loaded in arrival order (time, markets interleaved), as loaders
# write them. Reports, per query, the execution time and the shared buffers
# touched (hit + read) from EXPLAIN (ANALYZE, BUFFERS), as plain/partitioned
# ratios. Talks to the server named by the usual PG* variables (the pulse
# extension must be installable there); uses its own database.
#   PGHOST=... PGPORT=... PGUSER=... bench/partition_bench.sh [queries]
set -euo pipefail
queries=${1:-40}
db=${PULSE_BENCH_DB:-pulse_partition_bench}
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql_ -d postgres -c "DROP DATABASE IF EXISTS '"$db"'" >/dev/null 2>&1 || true' EXIT

start=$(date +%s)
psql_ -d "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pulse;
CREATE TABLE bench_part (LIKE pulse.candles INCLUDING DEFAULTS, PRIMARY KEY (exchange, market, period, bucket_start))
  PARTITION BY RANGE (bucket_start);
CREATE TABLE bench_plain (LIKE pulse.candles INCLUDING DEFAULTS, PRIMARY KEY (exchange, market, period, bucket_start));
CREATE INDEX ON bench_plain (exchange, market, bucket_start);
SELECT pulse.partition_by_time('bench_part', 'bucket_start', '1 day', premake => 0,
                               cluster_by => '{exchange,market}') AS premade;
SELECT pulse.ensure_partitions('bench_part', '2024-01-01', '2024-03-31') AS backfilled;
-- arrival order: minute by minute, the 20 markets of each minute together
CREATE TEMP TABLE rows AS
SELECT 'upbit'::text AS exchange, 'KRW-M' || lpad(m::text, 2, '0') AS market, interval '1 minute' AS period,
       timestamptz '2024-01-01' + t * interval '1 minute' AS bucket_start,
       100 + (t % 97) + m AS open, 101 + (t % 97) + m AS high, 99 + (t % 97) + m AS low, 100.5 + (t % 97) + m AS close,
       ((t * 31 + m * 17) % 1000) / 10.0 AS volume, ((t * 31 + m * 17) % 1000) * 10.05 AS quote_volume,
       timestamptz '2024-01-01' + t * interval '1 minute' + interval '59 seconds' AS observed_at,
       now() AS ingested_at
  FROM generate_series(0, 90 * 1440 - 1) t, generate_series(1, 20) m
 ORDER BY t, m;
INSERT INTO bench_part SELECT * FROM rows;
INSERT INTO bench_plain SELECT * FROM rows;
SELECT created, clustered, note FROM pulse.run_maintenance('bench_part');
VACUUM ANALYZE bench_part;
VACUUM ANALYZE bench_plain;
SQL
echo "loaded and clustered in $(( $(date +%s) - start )) s"

psql_ -d "$db" -v queries="$queries" <<'SQL'
CREATE FUNCTION pg_temp.measure(tbl text, market text, day date, OUT ms float8, OUT buffers bigint)
LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE format('EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT count(*), sum(volume), max(high), min(low) FROM %I'
                 ' WHERE exchange = %L AND market = %L AND bucket_start >= %L AND bucket_start < %L',
                 tbl, 'upbit', market, day::timestamptz, (day + 1)::timestamptz) INTO plan;
  ms := (plan -> 0 ->> 'Execution Time')::float8;
  buffers := (plan -> 0 -> 'Plan' ->> 'Shared Hit Blocks')::bigint + (plan -> 0 -> 'Plan' ->> 'Shared Read Blocks')::bigint;
END $$;
-- the same random market-days for both tables, plain first then partitioned
-- (alternating would favour neither; both start from the same cache state
-- because each table is read once before timing)
SELECT setseed(0.42);
CREATE TEMP TABLE picks AS
SELECT i, 'KRW-M' || lpad((1 + floor(random() * 20))::int::text, 2, '0') AS market,
       date '2024-01-01' + floor(random() * 90)::int AS day
  FROM generate_series(1, :queries) i;
SELECT count(*) FROM bench_plain \g /dev/null
SELECT count(*) FROM bench_part \g /dev/null
CREATE TEMP TABLE results AS
SELECT p.i, pl.ms AS plain_ms, pl.buffers AS plain_buffers, pa.ms AS part_ms, pa.buffers AS part_buffers
  FROM picks p
 CROSS JOIN LATERAL pg_temp.measure('bench_plain', p.market, p.day) pl
 CROSS JOIN LATERAL pg_temp.measure('bench_part', p.market, p.day) pa;
\pset footer off
SELECT count(*) AS queries,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY plain_ms)::numeric, 3) AS plain_median_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY part_ms)::numeric, 3) AS part_median_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY plain_ms) /
              percentile_cont(0.5) WITHIN GROUP (ORDER BY part_ms))::numeric, 2) AS time_ratio,
       round(avg(plain_buffers), 1) AS plain_buffers,
       round(avg(part_buffers), 1) AS part_buffers,
       round(avg(plain_buffers) / avg(part_buffers), 2) AS buffer_ratio
  FROM results;
SELECT pg_size_pretty(pg_total_relation_size('bench_plain')) AS plain_size,
       (SELECT pg_size_pretty(sum(bytes)) FROM pulse.partitions WHERE parent = 'bench_part'::regclass) AS partitioned_size;
\echo 'one plan of each (same market-day):'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*), sum(volume) FROM bench_plain WHERE exchange = 'upbit' AND market = 'KRW-M07' AND bucket_start >= '2024-02-15' AND bucket_start < '2024-02-16';
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*), sum(volume) FROM bench_part WHERE exchange = 'upbit' AND market = 'KRW-M07' AND bucket_start >= '2024-02-15' AND bucket_start < '2024-02-16';
SQL
