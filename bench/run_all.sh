#!/usr/bin/env bash
# Runs every benchmark of the project (each bench/*_bench.sh found), one
# after the other, each against its baseline measured in the same run, and
# keeps each one's output in build/bench-logs/NAME.log. Needs the build
# (cmake --build build). Benchmarks that start their own throwaway cluster do
# so; the one that needs a server (partition_bench) gets a throwaway cluster
# here unless PGHOST is set.
#   bench/run_all.sh                    full sizes (the recorded ones; takes about an hour,
#                                       rollups_bench and analytics_bench the longest)
#   BENCH_SMALL=1 bench/run_all.sh      about 10x smaller sizes (a few minutes; ratios noisier)
#   BENCH_ONLY=merge bench/run_all.sh   only the benchmarks whose name contains merge
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
[ -x build/pulse-load ] || { echo "build first: cmake -S . -B build && cmake --build build" >&2; exit 2; }
logs=$root/build/bench-logs
mkdir -p "$logs"

if [ -n "${BENCH_SMALL:-}" ]; then
  export BENCH_KLINES=${BENCH_KLINES:-20000}                       # candles_bench
  export BENCH_ROWS=${BENCH_ROWS:-100000} BENCH_BIG=${BENCH_BIG:-1000000} BENCH_BATCH=${BENCH_BATCH:-10000}  # merge_bench
  export N=${N:-100000} SECONDS_=${SECONDS_:-5}                     # tweets_bench, sentiment_bench
  # rollups_bench and trending_bench read BENCH_SMALL themselves
  analytics_rows=100000 partition_queries=10                        # partition_bench's data size is fixed
else
  analytics_rows=1000000 partition_queries=40
fi

# partition_bench talks to the server in PG*; give it a throwaway one.
with_server() {
  if [ -n "${PGHOST:-}" ]; then "$@"; return; fi
  local state=$root/build/benchpg-run-all sock=/tmp/pulse-bench-all-$$ rc
  make -s -f Makefile.pgxs >/dev/null
  tests/pgcluster.sh start "$state" "$sock" "$root" >/dev/null || return 1
  PGHOST=$sock PGPORT=5432 PGUSER=postgres "$@"; rc=$?
  tests/pgcluster.sh stop "$state" "$sock" "$root" >/dev/null
  return $rc
}

failed=() ran=()
for script in bench/*_bench.sh; do
  name=$(basename "$script" .sh)
  case "$name" in *"${BENCH_ONLY:-}"*) ;; *) continue ;; esac
  echo "== $name ($(date -u +%H:%M:%S) UTC)"
  case "$name" in
    analytics_bench) cmd=("$script" "$analytics_rows") ;;
    partition_bench) cmd=(with_server "$script" "$partition_queries") ;;
    tweets_bench)    cmd=("$script" build) ;;
    rollups_bench)   cmd=("$script") ;;   # its own throwaway cluster unless PGHOST is set
    sentiment_bench) cmd=("$script" build) ;;
    *)               cmd=("$script") ;;
  esac
  if "${cmd[@]}" 2>&1 | tee "$logs/$name.log"; [ "${PIPESTATUS[0]}" = 0 ]; then
    ran+=("$name")
  else
    failed+=("$name")
  fi
done
echo
echo "ran: ${ran[*]:-none}; logs in $logs"
[ ${#failed[@]} = 0 ] || { echo "FAILED: ${failed[*]}"; exit 1; }
