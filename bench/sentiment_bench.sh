#!/usr/bin/env bash
# Sentiment benchmark (see bench/README.md for recorded numbers):
#  1. pulse.sentiment over N real-shaped tweet texts (default 1,000,000: the
#     demo's tweet templates in four languages with emoji, cashtags and
#     hashtags, the test set's hand-written tweets, mentions, URLs, retweet
#     prefixes; 20 to 280 characters), one backend, no parallel workers:
#     tweets/s, and against the same scan with length() instead;
#  2. the reference Python implementation (cjhutto/vaderSentiment, checked
#     out at VADER_REF; skipped when unset or absent) on the
#     first PY_N of the same texts (default 100,000: at its speed 1M takes
#     minutes), single-threaded: tweets/s and the ratio; its compound scores
#     are compared with pulse.sentiment's for every text it scored; both are
#     also timed in CPU time (a check on a shared machine);
#  3. ingest: the same texts as X API v2 lines through `pulse-load tweets
#     --source file` into a database as installed, and into one whose
#     pulse.sentiment is replaced by an inlined constant NULL (the projection
#     then does everything but VADER): the cost of sentiment in the
#     projection, runs alternated (without, with, without, with).
# Runs its own throwaway cluster. Usage: bench/sentiment_bench.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=$(cd "${1:-build}" && pwd)
N=${N:-1000000}
PY_N=${PY_N:-$(( N < 100000 ? N : 100000 ))}
INGEST_N=${INGEST_N:-$N}
VADER_REF=${VADER_REF:-}
bin=$build/pulse-load
[ -x "$bin" ] || { echo "build first (cmake --build $build)"; exit 2; }
state=$build/benchpg
sock=/tmp/pulse-bench-$(echo "$build" | md5sum | cut -c1-8)
work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
  tests/pgcluster.sh stop "$state" "$sock" "$src" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

tests/pgcluster.sh start "$state" "$sock" "$src" >/dev/null
export PGHOST=$sock PGPORT=5432 PGUSER=postgres
new_db() {
  dropdb --if-exists "$1" >/dev/null 2>&1
  createdb "$1"
  psql -Xq -v ON_ERROR_STOP=1 "$1" -c 'CREATE EXTENSION pulse' >/dev/null
}
now() { date +%s.%N; }
ms() { psql -XAtq -d bench_sent -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'; }

echo "== generating $N tweet texts"
python3 bench/sentiment_texts.py "$N" "$work/texts.txt" "$work/tweets.jsonl"
echo "   $(( $(stat -c %s "$work/texts.txt") / 1048576 )) MB of text, mean $(( $(stat -c %s "$work/texts.txt") / N )) bytes"

echo "== pulse.sentiment over $N texts (one backend)"
new_db bench_sent
psql -Xq -d bench_sent -c "CREATE UNLOGGED TABLE texts (n serial, t text)" \
  -c "\\copy texts (t) FROM '$work/texts.txt' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')" -c "VACUUM ANALYZE texts"
settings="SET max_parallel_workers_per_gather = 0; SET jit = off;"
ms "$settings SELECT sum(length(t)) FROM texts" >/dev/null   # warm the cache
scan_ms=$(ms "$settings SELECT sum(length(t)) FROM texts")
sent_ms=$(ms "$settings SELECT sum(pulse.sentiment(t)) FROM texts")
sent_ms2=$(ms "$settings SELECT sum(pulse.sentiment(t)) FROM texts")
sent_ms=$(echo "if ($sent_ms2 < $sent_ms) $sent_ms2 else $sent_ms" | bc -l)
net_ms=$(echo "$sent_ms - $scan_ms" | bc -l)
printf "pulse.sentiment: %.0f ms for %d texts = %.0f tweets/s (the scan with length() alone: %.0f ms; net of it %.0f tweets/s)\n" \
  "$sent_ms" "$N" "$(echo "$N * 1000 / $sent_ms" | bc -l)" "$scan_ms" "$(echo "$N * 1000 / $net_ms" | bc -l)"
# CPU time of the backend too (Linux /proc): on a shared machine the wall time
# above counts the time other work holds the CPU, and the comparison in CPU
# time, which counts neither side's waiting, is a check on the ratio.
cpu_ms() {  # query -> CPU milliseconds of the backend that ran it
  psql -XAtq -d bench_sent >/dev/null <<SQL
$settings
SELECT pg_backend_pid() AS pid \gset
\setenv BPID :pid
\! awk '{print \$14 + \$15}' /proc/\$BPID/stat > $work/cpu_before
$1;
\! awk '{print \$14 + \$15}' /proc/\$BPID/stat > $work/cpu_after
SQL
  echo "($(cat "$work/cpu_after") - $(cat "$work/cpu_before")) * 1000 / $(getconf CLK_TCK)" | bc -l
}
sent_cpu_ms=
if [ -r /proc/self/stat ]; then
  scan_cpu_ms=$(cpu_ms "SELECT sum(length(t)) FROM texts")
  sent_cpu_ms=$(cpu_ms "SELECT sum(pulse.sentiment(t)) FROM texts")
  printf "pulse.sentiment in CPU time of the backend: %.0f ms (the scan with length() alone: %.0f ms)\n" "$sent_cpu_ms" "$scan_cpu_ms"
fi
psql -XAtq -d bench_sent -c "COPY (SELECT n, pulse.sentiment(t) FROM texts WHERE n <= $PY_N ORDER BY n) TO STDOUT" >"$work/pulse_scores.tsv"

if [ -f "$VADER_REF/vaderSentiment/vaderSentiment.py" ]; then
  echo "== reference Python implementation over the first $PY_N texts"
  /usr/bin/python3 - "$VADER_REF" "$work/texts.txt" "$PY_N" "$work/pulse_scores.tsv" "$sent_ms" "$N" "$sent_cpu_ms" <<'PY'
import sys, time
ref, texts_path, py_n, pulse_path, sent_ms, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]), int(sys.argv[6])
sent_cpu_ms = float(sys.argv[7]) if sys.argv[7] else None
sys.path.insert(0, ref)
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
a = SentimentIntensityAnalyzer()
texts = []
with open(texts_path, encoding='utf-8') as f:
    for line in f:
        texts.append(line.rstrip('\n'))
        if len(texts) == py_n:
            break
t0, c0 = time.perf_counter(), time.process_time()
scores = [a.polarity_scores(t)['compound'] for t in texts]
dt, dcpu = time.perf_counter() - t0, time.process_time() - c0
pulse = [float(l.split('\t')[1]) for l in open(pulse_path)]
differ = sum(1 for x, y in zip(scores, pulse) if x != y)
py_rate = len(texts) / dt
pg_rate = n * 1000 / sent_ms
print(f'python reference: {dt:.1f} s for {len(texts)} texts = {py_rate:.0f} tweets/s (Python {sys.version.split()[0]})')
print(f'ratio pulse.sentiment / python: {pg_rate / py_rate:.1f}x; compound scores that differ: {differ} of {len(texts)}')
if sent_cpu_ms:
    print(f'in CPU time: python {dcpu:.1f} s ({1e6 * dcpu / len(texts):.1f} us a text), pulse.sentiment '
          f'{1e3 * sent_cpu_ms / n:.3f} us a text: ratio {(dcpu / len(texts)) / (sent_cpu_ms / 1e3 / n):.1f}x')
PY
else
  echo "== reference Python implementation: skipped (no checkout at VADER_REF=$VADER_REF)"
fi

echo "== ingest: pulse-load tweets --source file, $INGEST_N tweets, with and without sentiment"
head -n "$INGEST_N" "$work/tweets.jsonl" >"$work/ingest.jsonl"
load() {  # db -> seconds
  new_db "$1"
  if [ "$2" = without ]; then
    # The projection's only sentiment work is pulse.sentiment: an inlined
    # constant leaves every other step as it is.
    psql -Xq -d "$1" -c "CREATE OR REPLACE FUNCTION pulse.sentiment(text) RETURNS float8
                          LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT NULL::float8'"
  fi
  local t0 t1
  t0=$(now)
  "$bin" tweets --source file --file "$work/ingest.jsonl" --db "dbname=$1" --batch-rows 50000 \
    --batch-bytes $((64 << 20)) --quiet 2>"$work/load.err"
  t1=$(now)
  [ "$(psql -XAt -d "$1" -c "SELECT count(*) FROM pulse.tweets")" = "$INGEST_N" ] || { cat "$work/load.err"; exit 1; }
  echo "$t1 - $t0" | bc -l
}
declare -a with_s without_s
for run in 1 2; do
  without_s[$run]=$(load bench_without without)
  with_s[$run]=$(load bench_with with)
  printf "run %d: without sentiment %.1f s (%.0f tweets/s), with %.1f s (%.0f tweets/s), with/without throughput %.3f\n" \
    "$run" "${without_s[$run]}" "$(echo "$INGEST_N / ${without_s[$run]}" | bc -l)" \
    "${with_s[$run]}" "$(echo "$INGEST_N / ${with_s[$run]}" | bc -l)" "$(echo "${without_s[$run]} / ${with_s[$run]}" | bc -l)"
done
tot_with=$(echo "${with_s[1]} + ${with_s[2]}" | bc -l)
tot_without=$(echo "${without_s[1]} + ${without_s[2]}" | bc -l)
printf "ingest throughput with sentiment / without: %.3f (sentiment costs %.1f%% of ingest throughput)\n" \
  "$(echo "$tot_without / $tot_with" | bc -l)" "$(echo "(1 - $tot_without / $tot_with) * 100" | bc -l)"
psql -XAt -d bench_with -c "SELECT format('stored: %s tweets, %s with sentiment, mean %s', count(*), count(sentiment), round(avg(sentiment)::numeric, 4)) FROM pulse.tweets"
