#!/usr/bin/env bash
# Coverage of the candle loader (SPEC "Completeness and watermarks"), exact:
# a --since/--until backfill covers its range once its pages are in (a range
# the exchange has nothing for too: quiet is known), and after a failed page
# only what was fetched: the newest part for Upbit (pages newest first), the
# oldest for Binance; --follow covers from the oldest candle of a poll to the
# start of the open period, never the future; a --file its candles' periods
# (a bad candle is a reject and changes nothing), or --covers FROM..UNTIL, or
# nothing; a re-run leaves coverage untouched.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/candles_lib.sh"
new_db pulse_it_coverage_candles
start_server
export PULSE_LOAD_TEST_TIME_SCALE=0.002
covered() { q "SELECT covered FROM pulse.coverage WHERE source = '$1' AND subject = '$2'"; }
expect_covered() {  # STREAM SUBJECT MULTIRANGE
  [ "$(q "SELECT count(*) FROM pulse.coverage WHERE source = '$1' AND subject = '$2' AND covered = '$3'::tstzmultirange")" = 1 ] ||
    fail "$1 $2 covers $(covered "$1" "$2"), expected $3"
}
upbit=candles/upbit/KRW-BTC/1m
binance=candles/binance/BTCUSDT/1m

# --- Upbit backfill: three pages of 200, newest first.
load --exchange upbit --market KRW-BTC --since 2020-02-20T00:00Z --until 2020-02-20T10:00Z --api-url "$api" --stream cov_upbit --batch-rows 150 --quiet
[ "$rc" = 0 ] || { cat "$work/err"; fail "upbit backfill exited $rc"; }
expect_covered cov_upbit $upbit '{["2020-02-20 00:00:00+00","2020-02-20 10:00:00+00")}'
stamp=$(q "SELECT updated_at FROM pulse.coverage WHERE source = 'cov_upbit'")
# A re-run (its batches merge as unchanged) declares the same: nothing moves.
load --exchange upbit --market KRW-BTC --since 2020-02-20T00:00Z --until 2020-02-20T10:00Z --api-url "$api" --stream cov_upbit --quiet
[ "$rc" = 0 ] && [ "$(summary_field unchanged)" = 600 ] || { cat "$work/err"; fail "upbit re-run"; }
expect_covered cov_upbit $upbit '{["2020-02-20 00:00:00+00","2020-02-20 10:00:00+00")}'
[ "$(q "SELECT updated_at FROM pulse.coverage WHERE source = 'cov_upbit'")" = "$stamp" ] || fail "a re-run touched coverage"

# Where the exchange has nothing (before 2020-02-19 18:40, the replay's
# oldest candle) the range is covered all the same: nothing happened. A range
# with no candle at all is covered by a batch without records.
load --exchange upbit --market KRW-BTC --since 2020-02-19T00:00Z --until 2020-02-19T20:00Z --api-url "$api" --stream cov_upbit_old --quiet
[ "$rc" = 0 ] || { cat "$work/err"; fail "upbit old range exited $rc"; }
expect_covered cov_upbit_old $upbit '{["2020-02-19 00:00:00+00","2020-02-19 20:00:00+00")}'
load --exchange upbit --market KRW-BTC --since 2019-01-01 --until 2019-01-02 --api-url "$api" --stream cov_upbit_empty --quiet
[ "$rc" = 0 ] && [ "$(summary_field records)" = 0 ] || { cat "$work/err"; fail "upbit empty range"; }
expect_covered cov_upbit_empty $upbit '{["2019-01-01 00:00:00+00","2019-01-02 00:00:00+00")}'

# After the first page every request fails: only that page's part, the
# newest 200 minutes, is covered.
scenario '[{"path": "^/v1/candles", "skip": 1, "count": -1, "fault": "status", "status": 503}]'
load --exchange upbit --market KRW-BTC --since 2020-02-20T00:00Z --until 2020-02-20T10:00Z --api-url "$api" --stream cov_upbit_fail --quiet
[ "$rc" = 3 ] || { cat "$work/err"; fail "upbit with failing pages exited $rc, expected 3"; }
expect_covered cov_upbit_fail $upbit '{["2020-02-20 06:40:00+00","2020-02-20 10:00:00+00")}'
scenario '[]'

# --- Binance pages forward (1000 klines a page): all of it, or after a
# failed second page the first page's part.
load --exchange binance --market BTCUSDT --since 2021-06-24T18:32:00Z --until 2021-06-25T19:00:00Z --api-url "$api" --stream cov_binance --quiet
[ "$rc" = 0 ] || { cat "$work/err"; fail "binance backfill exited $rc"; }
expect_covered cov_binance $binance '{["2021-06-24 18:32:00+00","2021-06-25 19:00:00+00")}'
scenario '[{"path": "^/api/v3/klines", "skip": 1, "count": -1, "fault": "status", "status": 503}]'
load --exchange binance --market BTCUSDT --since 2021-06-24T18:32:00Z --until 2021-06-25T19:00:00Z --api-url "$api" --stream cov_binance_fail --quiet
[ "$rc" = 3 ] || { cat "$work/err"; fail "binance with a failing page exited $rc, expected 3"; }
expect_covered cov_binance_fail $binance '{["2021-06-24 18:32:00+00","2021-06-25 11:12:00+00")}'
scenario '[]'

# --- --follow: each poll reads the newest five klines (the replay's last is
# from 2021, nothing since), so it covers from the oldest of them to the
# start of the minute open at the poll, which is never after now.
before=$(q "SELECT date_trunc('minute', clock_timestamp())")
"$bin" candles --exchange binance --market BTCUSDT --follow --api-url "$api" --stream cov_follow --quiet 2>"$work/err" &
pid=$!
for _ in $(seq 300); do [ "$(q "SELECT count(*) FROM pulse.coverage WHERE source = 'cov_follow'")" = 1 ] && break; sleep 0.1; done
kill -TERM $pid; wait $pid || { cat "$work/err"; fail "follow exit"; }
[ "$(q "SELECT count(*) FROM pulse.coverage c, unnest(c.covered) r WHERE c.source = 'cov_follow'
         AND lower(r) = (SELECT max(bucket_start) - interval '4 minutes' FROM pulse.candles WHERE exchange = 'binance')
         AND upper(r) = date_trunc('minute', upper(r)) AND upper(r) >= '$before' AND upper(r) <= clock_timestamp()")" = 1 ] ||
  fail "follow covers $(covered cov_follow $binance) (started $before)"

# --- files: the periods of the first to the last candle; a bad candle is a
# reject and the span stays; --covers FROM..UNTIL or none instead.
fixture=$src/tests/fixtures/upbit/upbit_1m_20200220_170000-20200220_202000.json
python3 - "$fixture" >"$work/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d[100]["high_price"], d[100]["low_price"] = d[100]["low_price"], d[100]["high_price"] * 2  # high < low
print(json.dumps(d))
PY
load --exchange upbit --market KRW-BTC --file "$work/bad.json" --stream cov_file --quiet
[ "$rc" = 0 ] && [ "$(summary_field rejected)" = 1 ] || { cat "$work/err"; fail "file with a bad candle"; }
expect_covered cov_file $upbit '{["2020-02-20 08:00:00+00","2020-02-20 11:20:00+00")}'
load --exchange upbit --market KRW-BTC --file "$fixture" --stream cov_file_range --covers 2020-02-20T07:00Z..2020-02-20T12:00Z --quiet
[ "$rc" = 0 ] || { cat "$work/err"; fail "file --covers range"; }
expect_covered cov_file_range $upbit '{["2020-02-20 07:00:00+00","2020-02-20 12:00:00+00")}'
load --exchange upbit --market KRW-BTC --file "$fixture" --stream cov_file_none --covers none --quiet
[ "$rc" = 0 ] && [ "$(q "SELECT count(*) FROM pulse.coverage WHERE source = 'cov_file_none'")" = 0 ] || fail "--covers none"
load --exchange upbit --market KRW-BTC --since 2020-02-20 --covers none --api-url "$api"
[ "$rc" = 2 ] && grep -q "is for --file" "$work/err" || fail "--covers without --file: $(cat "$work/err")"
load --exchange upbit --market KRW-BTC --file "$fixture" --covers 2020-02-20T12:00Z..2020-02-20T07:00Z
[ "$rc" = 2 ] && grep -q "FROM before UNTIL" "$work/err" || fail "--covers backwards: $(cat "$work/err")"
echo "ok: backfills (whole, quiet, failed), --follow and files record exact coverage"
