#!/usr/bin/env bash
# pulse.moving_corr against corr() over the same sliding ROWS frames (60, 1440
# and 10080 rows) on 1M rows, and against pandas' rolling corr on the same
# data. Starts its own throwaway cluster (tests/pgcluster.sh) and prints wall
# times and ratios measured in this run; also the largest difference between
# the three results.
#   bench/analytics_bench.sh [rows]        (default 1000000; needs the build)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-1000000}
state=${PULSE_BENCH_STATE:-$src/build/bench-analytics}
sock=/tmp/pulse-bench-$$
# Debian's python3-pandas lives in the system interpreter (not a pyenv/venv one)
py=${PYTHON:-/usr/bin/python3}
"$py" -c 'import pandas' 2>/dev/null || {
  echo "pandas missing: apt-get install python3-pandas" >&2; exit 2; }

make -s -C "$src" -f Makefile.pgxs >/dev/null
"$src/tests/pgcluster.sh" start "$state" "$sock" "$src" >/dev/null
trap '"$src/tests/pgcluster.sh" stop "$state" "$sock" "$src" >/dev/null || true; rm -rf "$sock"' EXIT
export PGHOST=$sock PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
# the cluster runs as the postgres user when we are root: give it a dir it can write
work=$(mktemp -d); chmod 777 "$work"

psql -c "CREATE EXTENSION pulse" -c "SET work_mem = '256MB'" -c "
CREATE TABLE bench AS
SELECT i,
       CASE WHEN i % 250000 = 1000 THEN 1e12 ELSE 1e9 + 3 * sin(i) END::float8 AS x,
       CASE WHEN i % 250000 = 1000 THEN -1e12 ELSE -1e9 + 3 * sin(i) + cos(7 * i) END::float8 AS y
  FROM generate_series(1, $rows) i" -c "VACUUM ANALYZE bench"
psql -c "SET extra_float_digits = 1" -c "\\copy bench TO '$work/bench.csv' CSV"

ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
run_frame() {  # agg frame -> wall ms of a full scan that evaluates every row
  psql -c "SET work_mem = '256MB'" -c "SELECT count(c) FROM (SELECT $1(x, y) OVER (ORDER BY i ROWS BETWEEN $(( $2 - 1 )) PRECEDING AND CURRENT ROW) AS c FROM bench) s"
}

printf '%-8s %12s %12s %12s %10s %10s\n' frame corr_ms moving_ms pandas_ms corr/mov pandas/mov
for w in 60 1440 10080; do
  c=$(ms run_frame corr "$w")
  m=$(ms run_frame pulse.moving_corr "$w")
  psql -c "SET extra_float_digits = 1" -c "SET work_mem = '256MB'" -c "\\copy (SELECT pulse.moving_corr(x, y) OVER w, corr(x, y) OVER w FROM bench WINDOW w AS (ORDER BY i ROWS BETWEEN $(( w - 1 )) PRECEDING AND CURRENT ROW) ORDER BY i) TO '$work/pg_$w.csv' CSV"
  p=$("$py" - "$work" "$w" <<'PY'
import sys, time
import numpy as np, pandas as pd
work, w = sys.argv[1], int(sys.argv[2])
df = pd.read_csv(f"{work}/bench.csv", header=None, names=["i", "x", "y"])
t0 = time.perf_counter()
r = df["x"].rolling(w, min_periods=2).corr(df["y"])
ms = (time.perf_counter() - t0) * 1000
pg = pd.read_csv(f"{work}/pg_{w}.csv", header=None, names=["moving", "corr"])
both = pg["moving"].notna()
d_pandas = (r[both] - pg["moving"][both]).abs()
d_corr = (pg["corr"][both] - pg["moving"][both]).abs()
print(f"{ms:.0f} {d_corr.max():.2e} {d_pandas.max():.2e} {int(r[both].isna().sum())} {int((d_pandas > 1e-9).sum())}")
PY
)
  read -r pms dcorr dpandas pnan pbad <<<"$p"
  printf '%-8s %12s %12s %12s %10.2f %10.2f\n' "$w" "$c" "$m" "$pms" \
    "$(echo "$c / $m" | bc -l)" "$(echo "$pms / $m" | bc -l)"
  echo "         max |corr() - moving_corr| = $dcorr, max |pandas - moving_corr| = $dpandas," \
       "pandas NaN where moving_corr has a value: $pnan, pandas rows off by > 1e-9: $pbad"
done
rm -rf "$work"
