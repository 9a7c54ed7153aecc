#!/usr/bin/env bash
# Sliding correlation over the same 1M rows (ROWS frames of 60, 1440 and 10080
# rows): pulse.moving_corr_series (one pass over arrays), pulse.moving_corr as
# a window aggregate, PostgreSQL's corr(), DuckDB's corr() window (default
# threads and one), pandas' rolling corr, and PostgreSQL's window floor
# (count(*) over the same frame); accuracy of each against exact arithmetic on
# the first 5,000 60-row windows (level 1e9, a 1e12 spike leaving the frame).
# Then GROUP BY over 1M groups (moving_corr with its compact state, with the
# 0.1.0 wide state, corr(): time and hash-table memory), lagged_corr /
# lead_lag over a month of minutes, and one rollup with moving_corr per
# window (compact against wide state). Every ratio is measured in this run;
# times are medians of 3 unless marked (1 run).
#   bench/analytics_bench.sh [rows]   (default 1000000; needs the build)
# BENCH_CORR_MAX_FRAME (default 60): corr() runs only for frames up to it (it
# restarts every frame: ~2 minutes at 1440, ~15 at 10080 on 1M rows).
# DuckDB (@duckdb/node-api from npm) is installed into build/bench-duckdb by
# this script (node and npm needed); pandas from Debian.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-1000000}
corr_max=${BENCH_CORR_MAX_FRAME:-60}
state=${PULSE_BENCH_STATE:-$src/build/bench-analytics}
sock=/tmp/pulse-bench-$$
duck_version=1.5.6-r.1
# Debian's python3-pandas lives in the system interpreter (not a pyenv/venv one)
py=${PYTHON:-/usr/bin/python3}
"$py" -c 'import pandas' 2>/dev/null || {
  echo "pandas missing: apt-get install python3-pandas" >&2; exit 2; }
command -v node >/dev/null && command -v npm >/dev/null || {
  echo "node and npm missing: apt-get install nodejs npm" >&2; exit 2; }
duck=${BENCH_DUCKDB_DIR:-$src/build/bench-duckdb}
mkdir -p "$duck"
[ -d "$duck/node_modules/@duckdb/node-api" ] ||
  npm install --silent --no-audit --no-fund --prefix "$duck" "@duckdb/node-api@$duck_version" >/dev/null

make -s -C "$src" -f Makefile.pgxs >/dev/null
"$src/tests/pgcluster.sh" start "$state" "$sock" "$src" >/dev/null
work=$(mktemp -d); chmod 777 "$work"
trap '"$src/tests/pgcluster.sh" stop "$state" "$sock" "$src" >/dev/null || true; rm -rf "$sock" "$work"' EXIT
export PGHOST=$sock PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# ms of the last statement of a psql script, run in one session (\timing)
pg_ms() { psql -c "SET work_mem = '256MB'" -c '\timing on' "$@" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1; }
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
pg_median() { median3 "$(pg_ms "$@")" "$(pg_ms "$@")" "$(pg_ms "$@")"; }
ratio() { printf "%.2f" "$(echo "$1 / $2" | bc -l)"; }

psql -c "CREATE EXTENSION pulse" -c "SET work_mem = '256MB'" -c "
CREATE TABLE bench AS
SELECT i,
       CASE WHEN i % 250000 = 1000 THEN 1e12 ELSE 1e9 + 3 * sin(i) END::float8 AS x,
       CASE WHEN i % 250000 = 1000 THEN -1e12 ELSE -1e9 + 3 * sin(i) + cos(7 * i) END::float8 AS y
  FROM generate_series(1, $rows) i" -c "ALTER TABLE bench ADD PRIMARY KEY (i)" -c "VACUUM ANALYZE bench"
psql -c "SET extra_float_digits = 1" -c "\\copy bench TO '$work/bench.csv' CSV"
psql -c "SET work_mem = '256MB'" -c "CREATE TABLE bench_arrays (x float8[], y float8[])" \
     -c "ALTER TABLE bench_arrays ALTER x SET STORAGE EXTERNAL, ALTER y SET STORAGE EXTERNAL" \
     -c "INSERT INTO bench_arrays SELECT array_agg(x ORDER BY i), array_agg(y ORDER BY i) FROM bench"

cat > "$duck/duck.mjs" <<'JS'
// node duck.mjs WORK FRAME [write]: DuckDB's corr() window over the same
// rows, one timed run with its default threads and one with a single thread
// (each after a warm-up run); with `write`, also writes its values.
import { DuckDBInstance } from '@duckdb/node-api';
const [work, frame] = [process.argv[2], Number(process.argv[3])];
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run(`CREATE TABLE bench AS SELECT * FROM read_csv('${work}/bench.csv', header = false,
               columns = {'i': 'BIGINT', 'x': 'DOUBLE', 'y': 'DOUBLE'})`);
const threads = (await con.runAndReadAll("SELECT current_setting('threads')")).getRows()[0][0];
const q = `SELECT count(c) FROM (SELECT corr(x, y) OVER (ORDER BY i ROWS BETWEEN ${frame - 1} PRECEDING AND CURRENT ROW) AS c FROM bench)`;
async function once() {  // after a warm-up run
  await con.runAndReadAll(q);
  const t0 = performance.now();
  await con.runAndReadAll(q);
  return performance.now() - t0;
}
const def = await once();
await con.run('SET threads = 1');
const one = await once();
await con.run(`SET threads = ${threads}`);
if (process.argv[4] === 'write')
  await con.run(`COPY (SELECT corr(x, y) OVER (ORDER BY i ROWS BETWEEN ${frame - 1} PRECEDING AND CURRENT ROW) AS c
                   FROM bench ORDER BY i) TO '${work}/duck_${frame}.csv' (HEADER false)`);
console.log(`${def.toFixed(0)} ${one.toFixed(0)} ${threads}`);
JS

# Exact reference: every value is a multiple of 2^-23, so x * 2^23 is an exact
# integer and the sliding sums are Python integers.
cat > "$work/compare.py" <<'PY'
import sys, time
from decimal import Decimal, getcontext
import numpy as np, pandas as pd
work, w, have_corr = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
getcontext().prec = 60
df = pd.read_csv(f"{work}/bench.csv", header=None, names=["i", "x", "y"], float_precision="round_trip")
t0 = time.perf_counter()
pandas = df["x"].rolling(w, min_periods=2).corr(df["y"]).to_numpy()
pandas_ms = (time.perf_counter() - t0) * 1000
win = pd.read_csv(f"{work}/win_{w}.csv", header=None, names=["moving", "series", "corr"], float_precision="round_trip")
duck = pd.read_csv(f"{work}/duck_{w}.csv", header=None, names=["c"], float_precision="round_trip")["c"].to_numpy()
m, s = win["moving"].to_numpy(), win["series"].to_numpy()
same = int(np.sum((m == s) | (np.isnan(m) & np.isnan(s))))
has = ~np.isnan(m)
def off(v):  # max |v - moving_corr| where moving_corr has a value, rows off by > 1e-9 (NaN counts)
    d = np.abs(v[has] - m[has])
    return np.nanmax(d) if np.any(~np.isnan(d)) else float("nan"), int(np.sum(~(d <= 1e-9)))
print(f"FRAME {w} pandas_ms {pandas_ms:.0f} series_identical {same}/{len(m)}")
print(f"FRAME {w} vs moving_corr: duckdb max {off(duck)[0]:.2e} off>1e-9 {off(duck)[1]}; "
      f"pandas max {off(pandas)[0]:.2e} off>1e-9 {off(pandas)[1]}"
      + (f"; corr() max {off(win['corr'].to_numpy())[0]:.2e} off>1e-9 {off(win['corr'].to_numpy())[1]}" if have_corr else ""))
if w == 60:
    X = [int(v * 8388608) for v in df["x"][:5000 + w]]
    Y = [int(v * 8388608) for v in df["y"][:5000 + w]]
    worst = {}
    bad = {}
    sx = sy = sxx = syy = sxy = 0
    for k in range(5000):
        sx += X[k]; sy += Y[k]; sxx += X[k] ** 2; syy += Y[k] ** 2; sxy += X[k] * Y[k]
        if k >= w:
            j = k - w
            sx -= X[j]; sy -= Y[j]; sxx -= X[j] ** 2; syy -= Y[j] ** 2; sxy -= X[j] * Y[j]
        n = min(k + 1, w)
        cxx, cyy, cxy = n * sxx - sx * sx, n * syy - sy * sy, n * sxy - sx * sy
        if n < 2 or cxx == 0 or cyy == 0:
            continue
        exact = float(Decimal(cxy) / (Decimal(cxx) * Decimal(cyy)).sqrt())
        for name, v in (("moving_corr_series", s[k]), ("corr()", win["corr"][k] if have_corr else np.nan),
                        ("duckdb", duck[k]), ("pandas", pandas[k])):
            e = abs(v - exact) if not np.isnan(v) else float("inf")
            worst[name] = max(worst.get(name, 0.0), e)
            bad[name] = bad.get(name, 0) + (e > 1e-9)
    print("EXACT first 5000 windows of 60 rows: " +
          "; ".join(f"{k} worst {worst[k]:.1e}, off>1e-9 {bad[k]}" for k in worst if not (k == "corr()" and not have_corr)))
PY

echo "== sliding correlation, $rows rows, ms (medians of 3 interleaved runs; corr() and pandas 1 run)"
echo "   series: moving_corr_series from the table (two array_agg(... ORDER BY i)) + unnest; sorted: the same with"
echo "   one ORDER BY i subquery (the primary key's order) under plain array_agg; arrays: on arrays stored in a table;"
echo "   window: moving_corr OVER (ROWS ...); floor: count(*) over the same frame; d/X: DuckDB (default threads) / X"
printf '%-6s %8s %8s %8s %8s %8s %9s %8s %8s %8s %8s %8s %8s\n' frame series sorted arrays window floor corr duck_def duck_1 pandas 'd/series' 'd/arrays' 'd/window'
for w in 60 1440 10080; do
  frame="ROWS BETWEEN $(( w - 1 )) PRECEDING AND CURRENT ROW"
  series_q="SELECT count(c) FROM (SELECT array_agg(x ORDER BY i) AS x, array_agg(y ORDER BY i) AS y FROM bench) a,
            unnest(pulse.moving_corr_series(a.x, a.y, $w)) AS c"
  sorted_q="SELECT count(c) FROM (SELECT array_agg(x) AS x, array_agg(y) AS y FROM (SELECT x, y FROM bench ORDER BY i) o) a,
            unnest(pulse.moving_corr_series(a.x, a.y, $w)) AS c"
  # Pulse's and DuckDB's runs interleaved, so a busy machine slows both alike
  ts=(); to=(); ta=(); tm=(); tf=(); tdd=(); td1=()
  for k in 1 2 3; do
    ts+=("$(pg_ms -c "$series_q")")
    to+=("$(pg_ms -c "$sorted_q")")
    ta+=("$(pg_ms -c "SELECT count(c) FROM bench_arrays a, unnest(pulse.moving_corr_series(a.x, a.y, $w)) AS c")")
    tm+=("$(pg_ms -c "SELECT count(c) FROM (SELECT pulse.moving_corr(x, y) OVER (ORDER BY i $frame) AS c FROM bench) s")")
    tf+=("$(pg_ms -c "SELECT count(c) FROM (SELECT count(*) OVER (ORDER BY i $frame) AS c FROM bench) s")")
    read -r a b threads <<<"$(node "$duck/duck.mjs" "$work" "$w" $([ "$k" = 3 ] && echo write))"
    tdd+=("$a"); td1+=("$b")
  done
  s=$(median3 "${ts[@]}"); so=$(median3 "${to[@]}"); sa=$(median3 "${ta[@]}"); m=$(median3 "${tm[@]}")
  f=$(median3 "${tf[@]}"); dd=$(median3 "${tdd[@]}"); d1=$(median3 "${td1[@]}")
  c=-; corr_col="NULL::float8"
  if [ "$w" -le "$corr_max" ]; then
    c=$(pg_ms -c "SELECT count(c) FROM (SELECT corr(x, y) OVER (ORDER BY i $frame) AS c FROM bench) s")
    corr_col="corr(x, y) OVER w"
  fi
  copy_q="SELECT m.v, s.c, m.c
      FROM (SELECT i, pulse.moving_corr(x, y) OVER w AS v, $corr_col AS c FROM bench WINDOW w AS (ORDER BY i $frame)) m
      JOIN (SELECT u.c, u.k FROM (SELECT array_agg(x ORDER BY i) AS x, array_agg(y ORDER BY i) AS y FROM bench) a,
                   unnest(pulse.moving_corr_series(a.x, a.y, $w)) WITH ORDINALITY AS u(c, k)) s ON s.k = m.i
     ORDER BY m.i"
  psql -c "SET extra_float_digits = 1" -c "SET work_mem = '256MB'" \
       -c "\\copy ($(tr '\n' ' ' <<<"$copy_q")) TO '$work/win_$w.csv' CSV"
  out=$("$py" "$work/compare.py" "$work" "$w" "$([ "$c" = - ] && echo 0 || echo 1)")
  p=$(sed -n 's/.*pandas_ms \([0-9]*\).*/\1/p' <<<"$out" | head -1)
  printf '%-6s %8.0f %8.0f %8.0f %8.0f %8.0f %9s %8s %8s %8s %8s %8s %8s\n' "$w" "$s" "$so" "$sa" "$m" "$f" "$c" "$dd" "$d1" "$p" \
    "$(ratio "$dd" "$s")" "$(ratio "$dd" "$sa")" "$(ratio "$dd" "$m")"
  sed 's/^/    /' <<<"$out"
done
echo "    (DuckDB default threads: $threads)"

# ------------------------------------------------------------------ GROUP BY
# 2 rows per group (the bench's x, y: level 1e9, four 1e12 spikes), 1M groups
# at the default size; work_mem 1GB holds corr()'s and the compact state's
# hash table; Memory/Disk Usage are EXPLAIN ANALYZE's.
groups=$(( rows ))
psql -c "CREATE TABLE grp AS SELECT i % $groups AS g, x, y FROM bench, generate_series(0, 1) k ORDER BY random()" \
     -c "VACUUM ANALYZE grp"
gb_q() { echo "SELECT count(c) FROM (SELECT g, $1(x, y) AS c FROM grp GROUP BY g) s"; }
gb_ms() { pg_ms -c "SET work_mem = '1GB'" -c "SET max_parallel_workers_per_gather = 0" ${2:+-c "$2"} -c "$(gb_q "$1")"; }
gb_mem() {  # agg [setting] -> "memory_kB disk_kB batches" of EXPLAIN ANALYZE
  local m mem disk batches
  m=$(psql -c "SET work_mem = '1GB'" -c "SET max_parallel_workers_per_gather = 0" ${2:+-c "$2"} \
           -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $(gb_q "$1")" | tr '\n' ' ')
  mem=$(grep -o 'Memory Usage: [0-9]*kB' <<<"$m" | head -1 | tr -dc 0-9)
  disk=$(grep -o 'Disk Usage: [0-9]*kB' <<<"$m" | head -1 | tr -dc 0-9)
  batches=$(grep -o 'Batches: [0-9]*' <<<"$m" | head -1 | tr -dc 0-9)
  echo "${mem:-0} ${disk:-0} ${batches:-1}"
}
tc=(); tg=()
for k in 1 2 3; do  # interleaved
  tc+=("$(gb_ms corr)")
  tg+=("$(gb_ms pulse.moving_corr)")
done
gc_t=$(median3 "${tc[@]}"); gm_t=$(median3 "${tg[@]}")
gw_t=$(gb_ms pulse.moving_corr 'SET pulse.moving_corr_force_wide = on')
read -r gc_m gc_d gc_b <<<"$(gb_mem corr)"
read -r gm_m gm_d gm_b <<<"$(gb_mem pulse.moving_corr)"
read -r gw_m gw_d gw_b <<<"$(gb_mem pulse.moving_corr 'SET pulse.moving_corr_force_wide = on')"
echo "== GROUP BY g over $groups groups of 2 rows, work_mem 1GB, no parallel workers (ms: medians of 3 interleaved, wide 1 run; hash table)"
printf '%-34s %9s %12s %10s %8s\n' aggregate ms memory_kB disk_kB batches
printf '%-34s %9.0f %12s %10s %8s\n' "corr()" "$gc_t" "$gc_m" "$gc_d" "$gc_b"
printf '%-34s %9.0f %12s %10s %8s\n' "pulse.moving_corr (compact state)" "$gm_t" "$gm_m" "$gm_d" "$gm_b"
printf '%-34s %9.0f %12s %10s %8s\n' "pulse.moving_corr (wide, as 0.1.0)" "$gw_t" "$gw_m" "$gw_d" "$gw_b"
echo "    moving_corr / corr(): time $(ratio "$gm_t" "$gc_t"), memory $(ratio "$gm_m" "$gc_m"); wide / compact: time $(ratio "$gw_t" "$gm_t")"
# accuracy of plain aggregation on the spike data: groups of 60 consecutive
# rows (the first 5,000), against exact numeric sums of x * 2^23
psql -c "SET work_mem = '256MB'" -At -F ' ' -c "
SELECT 'GROUP BY accuracy, 5000 groups of 60 rows: moving_corr worst', to_char(max(abs(m - e)), '9.9EEEE'),
       'off>1e-9', count(*) FILTER (WHERE abs(m - e) > 1e-9),
       '; corr() worst', to_char(max(abs(c - e)), '9.9EEEE'), 'off>1e-9', count(*) FILTER (WHERE abs(c - e) > 1e-9)
  FROM (SELECT pulse.moving_corr(x, y) AS m, corr(x, y) AS c,
               ((count(*) * sum(xs * ys) - sum(xs) * sum(ys))
                / sqrt((count(*) * sum(xs * xs) - sum(xs) ^ 2) * (count(*) * sum(ys * ys) - sum(ys) ^ 2)))::float8 AS e
          FROM (SELECT (i - 1) / 60 AS g, x, y, (x * 8388608)::bigint::numeric AS xs, (y * 8388608)::bigint::numeric AS ys
                  FROM bench WHERE i <= 300000) b GROUP BY g) s"

# ---------------------------------------------------- lagged_corr / lead_lag
# A month of minutes (43,200 buckets): tweets per minute lead volume by 3.
echo "== lagged_corr / lead_lag over a month of minutes (43,200 buckets), lags -60..60"
psql -c "
CREATE TABLE month AS
SELECT m, ((m * 41 % 101) % 13 + 5 * (1 + sin(m / 720.0)))::int AS tweets,
       (10 + 2 * ((((m - 3) * 41 % 101) % 13)) + (m * 31 % 7) * 0.137)::float8 AS volume
  FROM generate_series(0, 43199) m;
CREATE TABLE month_arrays AS
SELECT array_agg(tweets::float8 ORDER BY m) AS x, array_agg(volume ORDER BY m) AS y FROM month;"
lc=$(pg_median -c "SELECT count(*) FROM month_arrays a, pulse.lagged_corr(a.x, a.y, 60)")
lc_sql=$(pg_ms -c "SELECT count(c) FROM (SELECT l, corr(a.tweets, b.volume) AS c FROM generate_series(-60, 60) l,
                   month a JOIN month b ON true WHERE b.m = a.m + l GROUP BY l) s")
# the same month in pulse.tweets / pulse.candles, end to end through activity()
psql -c "SET client_min_messages = warning" -c "
SELECT pulse.ensure_partitions('pulse.tweets', '2024-03-01', '2024-04-01');
SELECT pulse.ensure_partitions('pulse.candles', '2024-03-01', '2024-04-01');
INSERT INTO pulse.tweets (id, created_at, author_id, text, hashtags)
SELECT m::bigint * 100 + k, timestamptz '2024-03-01 00:00+00' + m * interval '1 minute' + k * interval '1 second',
       k, 'bitcoin tweet', '{btc}'
  FROM month, generate_series(1, tweets) k;
INSERT INTO pulse.candles (exchange, market, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
SELECT 'bench', 'LEAD-1', timestamptz '2024-03-01 00:00+00' + m * interval '1 minute', 100, 101, 99, 100, volume, 1000,
       timestamptz '2024-03-01 00:00+00' + m * interval '1 minute' + interval '59 seconds'
  FROM month;
SELECT pulse.declare_coverage('bench', 'tweets', '[2024-03-01 00:00+00, 2024-03-31 00:00+00)');
SELECT pulse.declare_coverage('bench', 'candles/bench/LEAD-1/1m', '[2024-03-01 00:00+00, 2024-03-31 00:00+00)');
ANALYZE pulse.tweets; ANALYZE pulse.candles;" >/dev/null
ll=$(pg_median -c "SELECT count(*) FROM pulse.lead_lag('bench', 'LEAD-1', '2024-03-01', '2024-03-31', 60)")
act=$(pg_median -c "SELECT count(*) FROM pulse.activity('bench', 'LEAD-1', '2024-03-01', '2024-03-31')")
best=$(psql -At -c "SELECT lag || ' (r = ' || round(corr::numeric, 3) || ', n = ' || n || ')'
                      FROM pulse.lead_lag('bench', 'LEAD-1', '2024-03-01', '2024-03-31', 60) ORDER BY corr DESC LIMIT 1")
echo "    pulse.lagged_corr on the arrays: $lc ms; the same by SQL (corr() over a self-join per lag, 1 run): $lc_sql ms; ratio $(ratio "$lc_sql" "$lc")"
echo "    pulse.lead_lag end to end: $ll ms, of which pulse.activity (the gap-filled month): $act ms; best lag $best"

# ------------------------------------------------------------------ rollups
# One rollup with moving_corr per 10-minute window sliding by 1 minute, 20
# groups, on a managed table of rows/2 events (one every 0.864 s): the
# initial build, then 20 batches of 1,000 new rows (each recomputes the
# windows they touch), with the compact state and with the wide one.
ev=$(( rows / 2 ))
rollup() {  # table setting -> "build_ms batch_ms(median of 20)"
  psql -c "SET client_min_messages = warning" -c "
CREATE TABLE $1 (id bigint NOT NULL, ts timestamptz NOT NULL, grp int NOT NULL, x float8, y float8,
                 PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('$1', 'ts', '1 day', premake => 0);
SELECT pulse.ensure_partitions('$1', '2024-01-01', '2024-01-01'::timestamptz + ($ev + 30000) * interval '864 ms');
INSERT INTO $1 SELECT g, '2024-01-01'::timestamptz + g * interval '864 ms', g * 7919 % 20,
                      1e9 + 3 * sin(g), -1e9 + 3 * sin(g) + cos(7 * g) FROM generate_series(1::bigint, $ev) g;
SELECT pulse.declare_coverage('bench', 'public.$1', tstzrange('2024-01-01', '2024-01-01'::timestamptz + $ev * interval '864 ms'));" >/dev/null
  local b
  b=$(pg_ms ${2:+-c "$2"} -c "SELECT pulse.create_rollup('${1}_corr', 'SELECT pulse.hop(ts, ''10 minutes'', ''1 minute'') AS w, grp,
                 pulse.moving_corr(x, y) AS r, count(*) AS n FROM $1 GROUP BY 1, 2')")
  local times=() k lo
  for k in $(seq 0 19); do
    lo=$(( ev + 1 + k * 1000 ))
    times+=("$(pg_ms ${2:+-c "$2"} -c "INSERT INTO $1 SELECT g, '2024-01-01'::timestamptz + g * interval '864 ms', g * 7919 % 20,
                   1e9 + 3 * sin(g), -1e9 + 3 * sin(g) + cos(7 * g) FROM generate_series($lo::bigint, $(( lo + 999 ))) g")")
  done
  echo "$b $(printf '%s\n' "${times[@]}" | sort -g | sed -n 10p)"
}
read -r rc_b rc_i <<<"$(rollup ev_compact)"
read -r rw_b rw_i <<<"$(rollup ev_wide 'SET pulse.moving_corr_force_wide = on')"
same=$(psql -At -c "SELECT count(*) || ' windows, ' || count(*) FILTER (WHERE a.r IS NOT DISTINCT FROM b.r) || ' identical'
                      FROM ev_compact_corr a JOIN ev_wide_corr b USING (w, grp)")
echo "== rollup: pulse.hop 10 min / 1 min, 20 groups, moving_corr per window, $ev rows, ms"
printf '%-28s %10s %22s\n' state initial_build "batch of 1,000 (median of 20)"
printf '%-28s %10.0f %22.1f\n' "compact (0.2.0)" "$rc_b" "$rc_i"
printf '%-28s %10.0f %22.1f\n' "wide (0.1.0's state)" "$rw_b" "$rw_i"
echo "    wide / compact: build $(ratio "$rw_b" "$rc_b"), batch $(ratio "$rw_i" "$rc_i"); results: $same"
