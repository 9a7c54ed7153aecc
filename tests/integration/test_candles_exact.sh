#!/usr/bin/env bash
# Candles load with every decimal exactly as the API printed it (Upbit's
# recorded page, Binance's recorded kline, Coinone's documented shape); a
# second run writes nothing; malformed records end up in pulse.rejects with
# the bytes as received while the load goes on.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/candles_lib.sh"
new_db pulse_it_candles_exact
start_server
upbit_fixture=$src/tests/fixtures/upbit/upbit_1m_20200220_170000-20200220_202000.json
binance_fixture=$src/tests/fixtures/binance/klines_symbol_interval_limit_ok.json

# --- Upbit: the recorded page through --file, then the API backfill.
load --exchange upbit --market KRW-BTC --file "$upbit_fixture" --quiet
[ "$rc" = 0 ] || { cat "$work/err"; fail "upbit --file exited $rc"; }
[ "$(summary_field inserted)" = 200 ] || { cat "$work/err"; fail "upbit --file did not insert 200"; }

# Every numeric, as text, equals the fixture's own spelling (11509000.0 stays
# 11509000.0, 30279009.54681 stays 30279009.54681).
python3 - "$upbit_fixture" >"$work/expected_upbit" <<'PY'
import json, sys
recs = json.load(open(sys.argv[1]), parse_float=str, parse_int=str)
for r in sorted(recs, key=lambda r: r["candle_date_time_utc"]):
    print("|".join([r["candle_date_time_utc"].replace("T", " ") + "+00", r["opening_price"], r["high_price"],
                    r["low_price"], r["trade_price"], r["candle_acc_trade_volume"], r["candle_acc_trade_price"],
                    r["timestamp"]]))
PY
q "SELECT bucket_start, open, high, low, close, volume, quote_volume, (extract(epoch FROM observed_at) * 1000)::bigint
   FROM pulse.candles WHERE exchange = 'upbit' ORDER BY bucket_start" >"$work/got_upbit"
diff "$work/expected_upbit" "$work/got_upbit" >/dev/null || { diff "$work/expected_upbit" "$work/got_upbit" | head; fail "upbit decimals differ from the fixture"; }
[ "$(q "SELECT count(*) FROM pulse.candles WHERE exchange='upbit' AND market='KRW-BTC' AND period='1 minute'")" = 200 ] \
  || fail "upbit rows lack the market as given or the period"

xmin_before=$(q "SELECT string_agg(xmin::text, ',' ORDER BY bucket_start) FROM pulse.candles WHERE exchange='upbit'")
# The same range through the API (the recorded page plus shifted copies).
load --exchange upbit --market KRW-BTC --since 2020-02-19T18:40:00Z --until 2020-02-20T11:20:00Z --api-url "$api" --batch-rows 300 --quiet
[ "$rc" = 0 ] || { cat "$work/err"; fail "upbit backfill exited $rc"; }
[ "$(summary_field records)" = 1000 ] || { cat "$work/err"; fail "upbit backfill did not read 1000"; }
[ "$(summary_field inserted)" = 800 ] || { cat "$work/err"; fail "upbit backfill: expected 800 new"; }
[ "$(summary_field unchanged)" = 200 ] || { cat "$work/err"; fail "upbit backfill: the recorded 200 should be unchanged"; }
xmin_after=$(q "SELECT string_agg(xmin::text, ',' ORDER BY bucket_start) FROM pulse.candles WHERE exchange='upbit' AND bucket_start >= '2020-02-20 08:00+00'")
[ "$xmin_before" = "$xmin_after" ] || fail "unchanged upbit rows were rewritten"
paging=$(requests | python3 -c "import json,sys; print(sum(1 for r in json.load(sys.stdin) if r['path']=='/v1/candles/minutes/1'))")
[ "$paging" -ge 5 ] || fail "upbit backfill made $paging requests, expected paging (>= 5)"

# A re-run writes nothing.
xmin_all=$(q "SELECT string_agg(xmin::text, ',' ORDER BY bucket_start) FROM pulse.candles")
load --exchange upbit --market KRW-BTC --since 2020-02-19T18:40:00Z --until 2020-02-20T11:20:00Z --api-url "$api" --quiet --stream rerun
[ "$rc" = 0 ] && [ "$(summary_field unchanged)" = 1000 ] && [ "$(summary_field inserted)" = 0 ] && [ "$(summary_field updated)" = 0 ] \
  || { cat "$work/err"; fail "upbit re-run was not all unchanged"; }
[ "$xmin_all" = "$(q "SELECT string_agg(xmin::text, ',' ORDER BY bucket_start) FROM pulse.candles")" ] || fail "re-run rewrote rows"

# --- Binance: the recorded kline, exact, plus paging forward (limit 1000).
load --exchange binance --market BTCUSDT --since 2021-06-24T18:32:00Z --until 2021-06-25T19:00:00Z --api-url "$api" --quiet
[ "$rc" = 0 ] || { cat "$work/err"; fail "binance backfill exited $rc"; }
[ "$(summary_field inserted)" = 1468 ] || { cat "$work/err"; fail "binance backfill: expected 1468 klines"; }
python3 - "$binance_fixture" >"$work/expected_binance" <<'PY'
import json, sys
body = json.load(open(sys.argv[1]))[0]["response"]["body"]
k = json.loads(body, parse_int=str)[0]
print("|".join([k[0], k[1], k[2], k[3], k[4], k[5], k[7], k[6]]))
PY
q "SELECT (extract(epoch FROM bucket_start) * 1000)::bigint, open, high, low, close, volume, quote_volume,
          (extract(epoch FROM observed_at) * 1000)::bigint - 1
   FROM pulse.candles WHERE exchange = 'binance' AND bucket_start = to_timestamp(1624559520)" >"$work/got_binance"
diff "$work/expected_binance" "$work/got_binance" || fail "binance decimals differ from the fixture"
[ "$(q "SELECT count(*) FROM pulse.candles WHERE exchange='binance' AND open::text !~ '\.[0-9]{8}\$'")" = 0 ] \
  || fail "binance decimals lost their 8-digit scale"

# --- Coinone: strings to numeric, paging backwards with is_last.
load --exchange coinone --market KRW-BTC --since 2023-06-14T00:00:00Z --until 2023-06-15T00:10:00Z --api-url "$api" --quiet
[ "$rc" = 0 ] && [ "$(summary_field inserted)" = 600 ] || { cat "$work/err"; fail "coinone backfill"; }
[ "$(q "SELECT quote_volume::text FROM pulse.candles WHERE exchange='coinone' AND bucket_start = to_timestamp(1686787200)")" = 4321012.3456 ] \
  || fail "coinone quote_volume not exact"

# --- Malformed records: rejected with their bytes, the rest loaded.
printf '[{"market":"KRW-BTC","candle_date_time_utc":"2020-02-21T00:00:00","opening_price":1.5,"high_price":2,"low_price":1,"trade_price":1.25,"timestamp":1582243259000,"candle_acc_trade_price":100.123456789012345678901234567890,"candle_acc_trade_volume":3,"unit":1},\n {"market":"KRW-BTC","opening_price":"abc"}, 42]' >"$work/mixed.json"
load --exchange upbit --market KRW-BTC --file "$work/mixed.json" --quiet
[ "$rc" = 0 ] && [ "$(summary_field inserted)" = 1 ] && [ "$(summary_field rejected)" = 2 ] || { cat "$work/err"; fail "mixed file"; }
[ "$(q "SELECT quote_volume FROM pulse.candles WHERE bucket_start = '2020-02-21 00:00+00' AND exchange='upbit'")" = 100.123456789012345678901234567890 ] \
  || fail "a 30-digit decimal lost digits"
printf '[{"market":"KRW-BTC", \xff\x00 broken' >"$work/broken.json"
load --exchange upbit --market KRW-BTC --file "$work/broken.json" --quiet
# A replayed file is not paged: the body is kept as a reject and the run ends normally.
[ "$rc" = 0 ] && [ "$(summary_field rejected)" = 1 ] || { cat "$work/err"; fail "broken file: exit $rc"; }
want=$(md5sum <"$work/broken.json" | cut -d' ' -f1)
[ "$(q "SELECT md5(raw) FROM pulse.rejects WHERE reason LIKE 'response is not a JSON array%' ORDER BY id DESC LIMIT 1")" = "$want" ] \
  || fail "rejected bytes are not the bytes received"
[ "$(q "SELECT count(*) FROM pulse.rejects WHERE format = 'upbit'")" = 3 ] || fail "expected 3 upbit rejects"
# A number jsonb cannot hold (beyond numeric's range) passes the loader's
# JSON check but not PostgreSQL: that record is rejected, its batch lands.
printf '[{"market":"KRW-BTC","candle_date_time_utc":"2020-02-22T00:00:00","opening_price":1e200000,"high_price":2,"low_price":1,"trade_price":1,"timestamp":1582329600000,"candle_acc_trade_price":1,"candle_acc_trade_volume":1,"unit":1},{"market":"KRW-BTC","candle_date_time_utc":"2020-02-22T00:01:00","opening_price":1,"high_price":2,"low_price":1,"trade_price":1,"timestamp":1582329660000,"candle_acc_trade_price":1,"candle_acc_trade_volume":1,"unit":1}]' >"$work/huge.json"
load --exchange upbit --market KRW-BTC --file "$work/huge.json" --quiet
[ "$rc" = 0 ] && [ "$(summary_field inserted)" = 1 ] && [ "$(summary_field rejected)" = 1 ] || { cat "$work/err"; fail "out-of-range number"; }
[ "$(q "SELECT count(*) FROM pulse.rejects WHERE reason LIKE '%overflows numeric%' AND convert_from(raw, 'UTF8') LIKE '%1e200000%'")" = 1 ] \
  || fail "out-of-range record not in rejects"

# The loader needs no more than pulse_writer's rights.
psql -X -q -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS pulse_it_writer" -c "CREATE ROLE pulse_it_writer LOGIN IN ROLE pulse_writer" || fail "create writer role"
PGUSER=pulse_it_writer load --exchange binance --market BTCUSDT --since 2021-06-25T19:00:00Z --until 2021-06-25T20:00:00Z --api-url "$api" --quiet --stream as_writer
[ "$rc" = 0 ] && [ "$(summary_field inserted)" = 60 ] || { cat "$work/err"; fail "loading as a pulse_writer member"; }
PGUSER=pulse_it_writer psql -X -At -c "SELECT count(*) FROM pulse.candles" >/dev/null 2>&1 && fail "pulse_writer can read pulse.candles"
q "DROP OWNED BY pulse_it_writer; DROP ROLE pulse_it_writer" >/dev/null
echo "ok: exact decimals, idempotent re-run, rejects, writer rights"
