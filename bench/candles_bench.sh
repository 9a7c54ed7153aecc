#!/usr/bin/env bash
# End-to-end candle loading: `pulse-load candles --file` (split the responses,
# COPY into pulse.landing, pulse.apply_batch projecting and merging into
# pulse.candles, checkpoint, one transaction per batch) against two baselines
# of the same work, in the same run:
#  - by hand: COPY the same responses into a jsonb table, then one
#    INSERT ... SELECT ... ON CONFLICT projecting them into a plain typed
#    candles table with the same columns, key and daily partitions;
#  - a psycopg2 script (Debian's python3-psycopg2): json.loads each
#    response, execute_values in pages of 1000 rows into such a table with
#    the same ON CONFLICT, one transaction.
# The first pulse-load run makes its daily partitions (a backfill, reported
# on its own line); then BENCH_ROUNDS interleaved rounds (default 3) load
# into emptied tables whose partitions exist, as the baselines' do, and the
# best round of each side gives the ratios.
#   bench/candles_bench.sh      # uses PG* variables if PGHOST is set,
#                               # else starts a throwaway cluster
# Size: BENCH_KLINES (default 200000), in Binance responses of 1000 klines.
set -euo pipefail
cd "$(dirname "$0")/.."
klines=${BENCH_KLINES:-200000}
rounds=${BENCH_ROUNDS:-3}
py=${BENCH_PYTHON:-/usr/bin/python3}
"$py" -c "import psycopg2" || { echo "needs psycopg2 for $py (Debian: python3-psycopg2)" >&2; exit 2; }
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
  IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'pulse_internal.landing_chunks'::regclass) THEN
    CREATE TABLE pulse_internal.landing_bench PARTITION OF pulse_internal.landing_chunks FOR VALUES FROM ('2000-01-01') TO ('2200-01-01');
  END IF;
  IF to_regprocedure('pulse.ensure_partitions(regclass,timestamptz,timestamptz)') IS NULL THEN
    CREATE TABLE pulse.candles_bench PARTITION OF pulse.candles FOR VALUES FROM ('$lo') TO ('$hi');
  END IF;
END
\$\$;
-- The baselines' tables: the responses as jsonb, and candles with the same
-- columns, key and daily partitions as pulse.candles.
CREATE TABLE raw_responses (body jsonb NOT NULL);
CREATE TABLE base_candles (LIKE pulse.candles INCLUDING DEFAULTS) PARTITION BY RANGE (bucket_start);
ALTER TABLE base_candles ADD PRIMARY KEY (exchange, market, period, bucket_start);
CREATE TABLE py_candles (LIKE base_candles INCLUDING DEFAULTS) PARTITION BY RANGE (bucket_start);
ALTER TABLE py_candles ADD PRIMARY KEY (exchange, market, period, bucket_start);
SELECT format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', t || '_' || to_char(d, 'YYYYMMDD'), t, d, d + interval '1 day')
  FROM unnest(ARRAY['base_candles', 'py_candles']) AS t,
       generate_series(date_trunc('day', timestamptz '$lo'), timestamptz '$hi', interval '1 day') AS d
\gexec
SQL
q -c "CHECKPOINT"

loader_run() { # STREAM: everything pulse-load does in production, from the saved responses
  "$loader" candles --exchange binance --market BTCUSDT --file "$work/responses" --batch-rows 10000 --quiet --stream "$1" 2>"$work/load.err" ||
    { cat "$work/load.err"; exit 1; }
  local n; n=$(q -c "SELECT count(*) FROM pulse.candles")
  [ "$n" = "$klines" ] || { cat "$work/load.err"; echo "loader stored $n of $klines" >&2; exit 1; }
}
base_run() { # COPY the same responses, project with one INSERT ... SELECT ... ON CONFLICT
  q <<SQL
BEGIN;
\copy raw_responses (body) FROM '$work/responses'
INSERT INTO base_candles AS c (exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
SELECT 'binance', 'BTCUSDT', interval '1 minute',
       timestamptz 'epoch' + (k->>0)::bigint * interval '1 millisecond',
       (k->>1)::numeric, (k->>2)::numeric, (k->>3)::numeric, (k->>4)::numeric, (k->>5)::numeric, (k->>7)::numeric,
       timestamptz 'epoch' + ((k->>6)::bigint + 1) * interval '1 millisecond'
  FROM raw_responses r CROSS JOIN LATERAL jsonb_array_elements(r.body) k
ON CONFLICT (exchange, market, period, bucket_start) DO UPDATE
   SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
       volume = EXCLUDED.volume, quote_volume = EXCLUDED.quote_volume, observed_at = EXCLUDED.observed_at
 WHERE EXCLUDED.observed_at >= c.observed_at;
COMMIT;
SQL
}
py_run() { # the psycopg2 script: exact decimals (strings, or Decimal for JSON numbers), no float
  "$py" - "$work/responses" <<'PY'
import datetime, decimal, json, sys
import psycopg2
from psycopg2.extras import execute_values
epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
def ms(v):
    return epoch + datetime.timedelta(milliseconds=int(v))
def rows():
    with open(sys.argv[1]) as f:
        for line in f:
            for k in json.loads(line, parse_float=decimal.Decimal):
                yield (ms(k[0]), str(k[1]), str(k[2]), str(k[3]), str(k[4]), str(k[5]), str(k[7]), ms(int(k[6]) + 1))
conn = psycopg2.connect("")
with conn, conn.cursor() as cur:
    execute_values(cur, """
      INSERT INTO py_candles AS c (exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
      VALUES %s
      ON CONFLICT (exchange, market, period, bucket_start) DO UPDATE
         SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
             volume = EXCLUDED.volume, quote_volume = EXCLUDED.quote_volume, observed_at = EXCLUDED.observed_at
       WHERE EXCLUDED.observed_at >= c.observed_at""", rows(),
      template="('binance', 'BTCUSDT', interval '1 minute', %s, %s::numeric, %s::numeric, %s::numeric, %s::numeric, %s::numeric, %s::numeric, %s)",
      page_size=1000)
conn.close()
PY
}
timed() { local t0 t1; t0=$(now); "$@"; t1=$(now); echo "$t1 - $t0" | bc -l; }
same_as() { # TABLE: rows that differ from pulse.candles
  q -c "SELECT count(*) FROM (SELECT exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at FROM pulse.candles
                              EXCEPT SELECT exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at FROM $1) d"
}
empty_all() {
  q -c "TRUNCATE pulse.candles, pulse_internal.landing_chunks, pulse.checkpoints, pulse.rejects, raw_responses, base_candles, py_candles" -c "CHECKPOINT" >/dev/null
}

# --- the backfill: the loader's first run also makes the daily partitions
t_backfill=$(timed loader_run backfill)
lsn0=$(q -c "SELECT pg_current_wal_insert_lsn()")
t_rerun=$(timed loader_run rerun)
wal_rerun=$(q -c "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$lsn0')")
landing=$(q -c "SELECT count(*) FROM pulse.landing")

# --- interleaved rounds, partitions in place for all three
results=()
for r in $(seq 1 "$rounds"); do
  empty_all
  tl=$(timed loader_run "round$r")
  landed=$(q -c "SELECT count(*) || '/' || count(DISTINCT (stream, batch_id, seq)) FROM pulse.landing")
  [ "$landed" = "$klines/$klines" ] || { echo "landing holds $landed records, expected each of $klines once" >&2; exit 1; }
  q -c "CHECKPOINT" >/dev/null
  tb=$(timed base_run)
  q -c "CHECKPOINT" >/dev/null
  tp=$(timed py_run)
  for t in base_candles py_candles; do
    d=$(same_as $t); [ "$d" = 0 ] || { echo "loader and $t disagree on $d rows" >&2; exit 1; }
  done
  results+=("$tl $tb $tp")
done

python3 - "$klines" "$t_backfill" "$t_rerun" "$wal_rerun" "$landing" "${results[@]}" <<'PY'
import sys
n = int(sys.argv[1]); backfill, rerun, wal_rerun, landing = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rounds = [tuple(map(float, r.split())) for r in sys.argv[6:]]
print("candles: %d (Binance responses of 1000, pulse-load batches of 10000); %d rounds, best of each" % (n, len(rounds)))
for i, (l, b, p) in enumerate(rounds, 1):
    print("  round %d: pulse-load %.3f s, by hand %.3f s, psycopg2 %.3f s  (ratios %.2f, %.2f)" % (i, l, b, p, b / l, p / l))
l, b, p = min(r[0] for r in rounds), min(r[1] for r in rounds), min(r[2] for r in rounds)
print("pulse-load end to end       : %7.3f s  %9.0f candles/s" % (l, n / l))
print("by hand COPY+INSERT..SELECT : %7.3f s  %9.0f candles/s" % (b, n / b))
print("psycopg2 execute_values     : %7.3f s  %9.0f candles/s" % (p, n / p))
print("ratio pulse-load / by hand  : %.2f (throughput; 1.00 = as fast)" % (b / l))
print("ratio pulse-load / psycopg2 : %.2f" % (p / l))
print("pulse-load backfill, making its %s partitions: %7.3f s  %9.0f candles/s" % ("daily", backfill, n / backfill))
print("pulse-load re-run (all unchanged): %7.3f s  %9.0f candles/s, WAL %d bytes (landing %d records: each once per run)" % (rerun, n / rerun, wal_rerun, landing))
PY
