#!/usr/bin/env bash
# Every sql/examples/*.sql runs with `psql -f` against a few loaded hours of
# the sample and returns rows; the variables (market, range, bucket) work,
# and lead_lag.sql finds the 3-minute lead the generator put in.
set -euo pipefail
src=${PULSE_SOURCE_DIR:?}
bin=${PULSE_LOAD:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# A few hours of the seeded sample, loaded through the replay server and
# pulse-load exactly as the demo loads it.
db=pulse_it_examples
dropdb --if-exists "$db" >/dev/null 2>&1
createdb "$db" || fail "createdb"
psql -Xq -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION pulse" || fail "CREATE EXTENSION"
python3 "$src/demo/generate.py" --seed 7 --start 2024-03-11T12:00:00Z --hours 3 --out "$tmp/sample" --quiet || fail "generate.py"
PGDATABASE=$db "$src/demo/load_sample.sh" "$tmp/sample" --bin "$bin" --timeout 60 >"$tmp/load.log" 2>&1 \
  || fail "load_sample.sh: $(tail -5 "$tmp/load.log")"

run() {  # run SCRIPT [psql args...]: CSV rows on stdout (all result sets)
  local f=$1; shift
  psql -X -q --csv -v ON_ERROR_STOP=1 -d "$db" "$@" -f "$src/sql/examples/$f" 2>"$tmp/err" ||
    fail "$f: $(cat "$tmp/err")"
}
n=0
for path in "$src"/sql/examples/*.sql; do
  f=$(basename "$path")
  rows=$(run "$f" | wc -l)
  [ "$rows" -ge 2 ] || fail "$f returned no rows"
  n=$((n + 1))
done
[ "$n" -ge 5 ] || fail "only $n example scripts"

range=(-v from=2024-03-11T12:00:00Z -v until=2024-03-11T15:00:00Z)
[ "$(run high_low.sql -v exchange=binance -v market=BTCUSDT -v bucket='15 minutes' "${range[@]}" | tail -n +2 | wc -l)" = 12 ] ||
  fail "high_low.sql: expected 12 quarter hours for BTCUSDT"
[ "$(run records_per_hour.sql "${range[@]}" | tail -n +2 | wc -l)" = 3 ] || fail "records_per_hour.sql: expected 3 hours"
out=$(run records_per_hour.sql "${range[@]}")
grep -qF 'upbit:KRW-BTC"": 60' <<<"$out" || fail "records_per_hour.sql: 60 upbit candles an hour"
[ "$(run most_retweeted.sql -v limit=3 "${range[@]}" | tail -n +2 | wc -l)" = 3 ] || fail "most_retweeted.sql: limit=3"
best=$(run lead_lag.sql -v max_lag=10 "${range[@]}" | sed -n 2p | cut -d, -f1)
[ "$best" = 3 ] || fail "lead_lag.sql: best lag $best, expected 3"
out=$(run tweets_vs_volume.sql -v exchange=binance -v market=BTCUSDT "${range[@]}")
grep -q '^2024-03-11 14:59:00+00,' <<<"$out" ||
  fail "tweets_vs_volume.sql: last minute of the range missing"
# The tweet counter is a rollup: its counts are those of the table, per
# keyword and minute, and a second run reuses it.
out=$(run tweet_counter.sql "${range[@]}")
grep -q '^2024-03-11 12:00:00+00,bitcoin,' <<<"$out" || fail "tweet_counter.sql: no bitcoin count for 12:00"
diff=$(psql -XAtq -d "$db" -c "SELECT count(*) FROM ((SELECT minute, keyword, tweets FROM tweet_counter)
  EXCEPT (SELECT date_bin('1 minute', created_at, '1970-01-01'), CASE WHEN text ~* 'bitcoin' OR 'bitcoin' = ANY (hashtags)
  THEN 'bitcoin' WHEN text ~* '\mbtc\M' OR 'btc' = ANY (hashtags) THEN 'btc' ELSE 'other' END, count(*) FROM pulse.tweets GROUP BY 1, 2)) d")
[ "$diff" = 0 ] || fail "tweet_counter.sql: $diff counts differ from the table"
run tweet_counter.sql "${range[@]}" >/dev/null
[ "$(psql -XAtq -d "$db" -c "SELECT count(*) FROM pulse.rollups WHERE name = 'tweet_counter'::regclass")" = 1 ] ||
  fail "tweet_counter.sql: rollup made twice or not at all"
dropdb "$db"
echo "ok: $n example scripts return rows"
