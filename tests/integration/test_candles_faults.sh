#!/usr/bin/env bash
# Remote faults: 429 with Retry-After is honoured, 5xx and a dropped
# connection are retried with backoff, gzip bodies are accepted, Upbit's
# Remaining-Req sec=0 slows the loader down, 418 stops with exit 3, and an
# unknown market is a configuration error (exit 2). The load still ends
# complete. Delays are scaled by PULSE_LOAD_TEST_TIME_SCALE.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/candles_lib.sh"
new_db pulse_it_candles_faults
start_server
export PULSE_LOAD_TEST_TIME_SCALE=0.2
range=(--since 2020-02-19T18:40:00Z --until 2020-02-20T11:20:00Z)

# gaps PATH: seconds between consecutive requests to PATH, one per line.
gaps() {
  requests | python3 -c "
import json, sys
rs = [r for r in json.load(sys.stdin) if r['path'] == '$1']
for a, b in zip(rs, rs[1:]):
    print('%s %s %.3f' % (a['status'], a['fault'], b['time'] - a['time']))"
}

scenario '[
  {"path": "^/v1/candles", "skip": 1, "count": 1, "fault": "status", "status": 429, "headers": {"Retry-After": "2"},
   "body": "{\"error\":{\"name\":\"too_many_requests\"}}"},
  {"path": "^/v1/candles", "skip": 2, "count": 2, "fault": "status", "status": 503},
  {"path": "^/v1/candles", "skip": 4, "count": 1, "fault": "drop"},
  {"path": "^/v1/candles", "skip": 5, "count": 1, "fault": "gzip"},
  {"path": "^/v1/candles", "skip": 6, "count": 1, "fault": "headers", "headers": {"Remaining-Req": "group=candles; min=1799; sec=0"}}
]'
load --exchange upbit --market KRW-BTC "${range[@]}" --api-url "$api" --quiet
[ "$rc" = 0 ] || { cat "$work/err"; fail "upbit with faults exited $rc"; }
[ "$(summary_field inserted)" = 1000 ] || { cat "$work/err"; fail "upbit with faults did not load all 1000"; }
[ "$(q "SELECT count(*) FROM pulse.candles WHERE exchange='upbit'")" = 1000 ] || fail "candles missing after faults"
gaps /v1/candles/minutes/1 >"$work/gaps"
# Retry-After: 2 s, scaled by 0.2 -> at least 0.4 s before the retry.
awk '$1 == 429 { found = 1; if ($3 < 0.38) exit 1 } END { exit !found }' "$work/gaps" || { cat "$work/gaps"; fail "429 Retry-After not honoured"; }
[ "$(awk '$1 == 503' "$work/gaps" | wc -l)" = 2 ] || { cat "$work/gaps"; fail "503s not retried"; }
grep -q "drop" "$work/gaps" || fail "the dropped connection was not retried"
# Remaining-Req sec=0 -> wait for the next second (1 s, scaled: 0.2 s).
awk '$2 == "headers" { found = 1; if ($3 < 0.18) exit 1 } END { exit !found }' "$work/gaps" || { cat "$work/gaps"; fail "Remaining-Req sec=0 did not slow down"; }
grep -q "retrying" "$work/err" || fail "retries were not logged"

# 418: stop at once with exit 3 and a clear line; what was read is committed.
new_db pulse_it_candles_faults
scenario '[{"path": "^/v1/candles", "skip": 2, "count": -1, "fault": "status", "status": 418, "headers": {"Retry-After": "120"}}]'
load --exchange upbit --market KRW-BTC "${range[@]}" --api-url "$api" --quiet --batch-rows 100
[ "$rc" = 3 ] || { cat "$work/err"; fail "418 exited $rc, expected 3"; }
grep -q "418" "$work/err" || fail "418 message unclear: $(cat "$work/err")"
[ "$(q "SELECT count(*) FROM pulse.candles")" = 400 ] || fail "pages read before the 418 were not committed"
[ "$(q "SELECT position->>'cursor' FROM pulse.checkpoints")" != "" ] || fail "no resumable checkpoint after 418"

# Binance 429 with Retry-After, then done.
scenario '[{"path": "^/api/v3/klines", "skip": 0, "count": 1, "fault": "status", "status": 429, "headers": {"Retry-After": "1"}, "body": "{\"code\":-1003}"}]'
load --exchange binance --market BTCUSDT --since 2021-06-24T18:32:00Z --until 2021-06-24T20:32:00Z --api-url "$api" --quiet
[ "$rc" = 0 ] && [ "$(summary_field inserted)" = 120 ] || { cat "$work/err"; fail "binance after 429"; }
gaps /api/v3/klines | awk '$1 == 429 { found = 1; if ($3 < 0.18) exit 1 } END { exit !found }' || fail "binance Retry-After not honoured"

# 5xx forever: gives up with exit 3 after capped retries (fast, scaled).
scenario '[{"path": "^/api/v3/klines", "count": -1, "fault": "status", "status": 500}]'
PULSE_LOAD_TEST_TIME_SCALE=0.001 load --exchange binance --market BTCUSDT --since 2021-06-24T18:32:00Z --until 2021-06-24T20:32:00Z --api-url "$api" --quiet
[ "$rc" = 3 ] || { cat "$work/err"; fail "endless 500 exited $rc, expected 3"; }

# An unknown symbol: the exchange's 400 -1121 is a configuration error.
scenario '[]'
load --exchange binance --market NOSUCHCOIN --api-url "$api" --quiet
[ "$rc" = 2 ] || { cat "$work/err"; fail "unknown binance symbol exited $rc, expected 2"; }
grep -q "Invalid symbol" "$work/err" || fail "unknown symbol message unclear"
# SIGINT while a request hangs: the transfer is cut, what was read is
# committed, exit 0 at once (not after the 30 s low-speed timeout).
new_db pulse_it_candles_faults
scenario '[{"path": "^/v1/candles", "skip": 1, "count": -1, "fault": "delay", "delay_ms": 20000}]'
"$bin" candles --exchange upbit --market KRW-BTC "${range[@]}" --api-url "$api" --quiet 2>"$work/err" &
pid=$!
for _ in $(seq 100); do
  [ "$(requests | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" -ge 1 ] && break
  sleep 0.05
done
sleep 0.5
t0=$(date +%s%N)
kill -INT $pid; wait_loader $pid "the loader after SIGINT" "$work/err"
elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" = 0 ] || { cat "$work/err"; fail "SIGINT during a hanging request exited $rc"; }
[ "$elapsed_ms" -lt 5000 ] || fail "SIGINT took ${elapsed_ms} ms to stop a hanging request"
[ "$(q "SELECT count(*) FROM pulse.candles")" = 200 ] || fail "the page read before SIGINT was not committed"
scenario '[]'

echo "ok: 429/Retry-After, 5xx, dropped connection, gzip, Remaining-Req, 418, unknown symbol"
