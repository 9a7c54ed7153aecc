#!/usr/bin/env bash
# End-to-end candle loading: `pulse-load candles --file` (split the responses,
# COPY into pulse.landing, pulse.apply_batch projecting and merging into
# pulse.candles, checkpoint, one transaction per batch) against the
# hand-written baseline of the same work: COPY the same responses into a
# jsonb table, then one INSERT ... SELECT projecting them into a candles
# table with the same columns and primary key. Both in the same run.
#   bench/candles_bench.sh      # uses PG* variables if PGHOST is set,
#                               # else starts a throwaway cluster
# Size: BENCH_KLINES (default 200000), in Binance responses of 1000 klines.
# Prints candles/s for each side and the ratio loader / baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
klines=${BENCH_KLINES:-200000}
loader=${PULSE_LOAD:-build/pulse-load}
[ -x "$loader" ] || { echo "build pulse-load first (cmake --build build)" >&2; exit 2; }

if [ -z "${PGHOST:-}" ]; then
  make -s -f Makefile.pgxs >/dev/null
  state=$PWD/build/benchpg-candles
  sock=/tmp/pulse-bench-candles-$$
  tests/pgcluster.sh start "$state" "$sock" "$PWD" >/dev/null
  export PGHOST=$sock PGPORT=5432 PGUSER=postgres
  trap 'tests/pgcluster.sh stop "$state" "$sock" "$PWD" >/dev/null' EXIT
fi
db=pulse_bench_candles
psql -qX -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
export PGDATABASE=$db
q() { psql -qXAt -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${state:-}" ] && tests/pgcluster.sh stop "$state" "$sock" "$PWD" >/dev/null' EXIT

# The responses: Binance klines in pages of 1000, one response per line,
# decimals as strings, derived from the recorded kline.
python3 - "$klines" tests/fixtures/binance/klines_symbol_interval_limit_ok.json >"$work/responses" <<'PY'
import json, sys
n = int(sys.argv[1])
k = json.loads(json.load(open(sys.argv[2]))[0]["response"]["body"], parse_int=str)[0]
t0 = int(k[0])
out = []
for page in range(0, n, 1000):
    rows = []
    for i in range(page, min(page + 1000, n)):
        t = t0 + i * 60000
        c = i % 997
        rows.append('[%d,"%d.%08d","%d.%08d","%d.%08d","%d.%08d","%d.%08d",%d,"%d.%08d",%d,"0.41391700","14492.85555020","0"]' % (
            t, 34970 + c, i % 10**8, 35047 + c, (i * 7) % 10**8, 34800 + c, (i * 3) % 10**8, 35000 + c, (i * 5) % 10**8,
            c % 5, (i * 11) % 10**8, t + 59999, 14686 + c, (i * 13) % 10**8, 37 + c))
    out.append("[" + ",".join(rows) + "]")
print("\n".join(out))
PY
lo=$(q -d postgres -c "SELECT to_timestamp(1624559520)")
hi=$(q -d postgres -c "SELECT to_timestamp(1624559520) + interval '1 minute' * $klines + interval '1 day'")

q -c "CREATE EXTENSION pulse" -c "SET client_min_messages = warning" >/dev/null
q >/dev/null <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'pulse.landing'::regclass) THEN
    CREATE TABLE pulse.landing_bench PARTITION OF pulse.landing FOR VALUES FROM ('2000-01-01') TO ('2200-01-01');
  END IF;
  IF to_regprocedure('pulse.ensure_partitions(regclass,timestamptz,timestamptz)') IS NULL THEN
    CREATE TABLE pulse.candles_bench PARTITION OF pulse.candles FOR VALUES FROM ('$lo') TO ('$hi');
  END IF;
END
\$\$;
-- The baseline's tables: the responses as jsonb, and candles with the same
-- columns, key and partitioning as pulse.candles.
CREATE TABLE raw_responses (body jsonb NOT NULL);
CREATE TABLE base_candles (LIKE pulse.candles INCLUDING DEFAULTS) PARTITION BY RANGE (bucket_start);
ALTER TABLE base_candles ADD PRIMARY KEY (exchange, market, period, bucket_start);
CREATE TABLE base_candles_all PARTITION OF base_candles FOR VALUES FROM ('$lo') TO ('$hi');
SQL
q -c "CHECKPOINT"

# --- pulse-load: everything it does in production, from the saved responses.
t0=$(now)
"$loader" candles --exchange binance --market BTCUSDT --file "$work/responses" --batch-rows 10000 --quiet 2>"$work/load.err"
t1=$(now)
loaded=$(q -c "SELECT count(*) FROM pulse.candles")
[ "$loaded" = "$klines" ] || { cat "$work/load.err"; echo "loader stored $loaded of $klines" >&2; exit 1; }
q -c "CHECKPOINT"

# --- baseline: COPY the same responses, project with one INSERT ... SELECT.
t2=$(now)
q <<SQL
BEGIN;
\copy raw_responses (body) FROM '$work/responses'
INSERT INTO base_candles (exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
SELECT 'binance', 'BTCUSDT', interval '1 minute',
       timestamptz 'epoch' + (k->>0)::bigint * interval '1 millisecond',
       (k->>1)::numeric, (k->>2)::numeric, (k->>3)::numeric, (k->>4)::numeric, (k->>5)::numeric, (k->>7)::numeric,
       timestamptz 'epoch' + ((k->>6)::bigint + 1) * interval '1 millisecond'
  FROM raw_responses r CROSS JOIN LATERAL jsonb_array_elements(r.body) k;
COMMIT;
SQL
t3=$(now)
[ "$(q -c "SELECT count(*) FROM base_candles")" = "$klines" ] || { echo "baseline stored a different count" >&2; exit 1; }
same=$(q -c "SELECT count(*) FROM (SELECT exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at FROM pulse.candles
                                   EXCEPT SELECT exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at FROM base_candles) d")
[ "$same" = 0 ] || { echo "loader and baseline disagree on $same rows" >&2; exit 1; }

# --- a re-run of the loader (everything unchanged: reads, lands, writes no candle)
t4=$(now)
"$loader" candles --exchange binance --market BTCUSDT --file "$work/responses" --batch-rows 10000 --quiet --stream rerun 2>"$work/rerun.err"
t5=$(now)

python3 - "$klines" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" <<'PY'
import sys
n = int(sys.argv[1]); t0, t1, t2, t3, t4, t5 = map(float, sys.argv[2:])
load, base, rerun = t1 - t0, t3 - t2, t5 - t4
print("candles: %d (Binance responses of 1000, batches of 10000)" % n)
print("pulse-load end to end : %7.3f s  %9.0f candles/s" % (load, n / load))
print("baseline COPY+INSERT  : %7.3f s  %9.0f candles/s" % (base, n / base))
print("ratio loader/baseline : %.2f (throughput; 1.00 = as fast as the hand-written baseline)" % (base / load))
print("pulse-load re-run     : %7.3f s  %9.0f candles/s (all unchanged)" % (rerun, n / rerun))
PY
tail -1 "$work/load.err"
tail -1 "$work/rerun.err"
