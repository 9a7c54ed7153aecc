#!/usr/bin/env bash
# Bad input to `pulse-load candles` exits 2 with one clear line, before any
# connection is tried; an unreachable database exits 4 with one line; the
# summary and --log-format json lines are well formed.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/candles_lib.sh"

check() {
  local want=$1; shift
  local err status
  err=$("$bin" candles "$@" 2>&1 >/dev/null); status=$?
  [ "$status" = "$want" ] || fail "'$*' exited $status, expected $want: $err"
  [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "'$*' printed more than one line: $err"
  # usage errors are plain "pulse-load: ..."; once logging runs, lines carry a UTC timestamp
  [[ "$err" =~ ^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z\ )?pulse-load:\  ]] || fail "'$*' message lacks the program name: $err"
  printf '%s\n' "$err"
}
# The database is unreachable in all of these: usage errors win.
nodb="host=127.0.0.1 port=1 connect_timeout=2"
check 2 --db "$nodb" --exchange kraken --market BTCUSD | grep -q "unknown exchange" || fail "unknown exchange message"
check 2 --db "$nodb" --market KRW-BTC | grep -q "needs --exchange" || fail "missing exchange message"
check 2 --db "$nodb" --exchange upbit --market btc | grep -q 'unknown upbit market "btc"' || fail "bad upbit market message"
check 2 --db "$nodb" --exchange binance --market BTC-USDT | grep -q "unknown binance market" || fail "bad binance market message"
check 2 --db "$nodb" --exchange coinone --market KRWBTC | grep -q "unknown coinone market" || fail "bad coinone market message"
check 2 --db "$nodb" --exchange upbit --market KRW-BTC --since yesterday | grep -q -- "--since must be" || fail "malformed --since message"
check 2 --db "$nodb" --exchange upbit --market KRW-BTC --since 2021-02-30 >/dev/null
check 2 --db "$nodb" --exchange upbit --market KRW-BTC --since 2021-01-02 --until 2021-01-01 | grep -q "before --until" || fail "range message"
check 2 --db "$nodb" --exchange upbit --market KRW-BTC --period 2m | grep -q -- "--period" || fail "period message"
check 2 --db "$nodb" --exchange upbit --market KRW-BTC --batch-rows 0 >/dev/null
check 2 --db "$nodb" --exchange upbit --market KRW-BTC --log-format yaml >/dev/null
check 2 --db "$nodb" --exchange upbit --market KRW-BTC --api-url ftp://x >/dev/null
check 2 --db "$nodb" --exchange upbit --market KRW-BTC --file x --follow >/dev/null
check 2 --db "$nodb" --exchange upbit --market KRW-BTC --file /nonexistent/x.json | grep -q "cannot read --file" || fail "missing file message"
# Unreachable database: exit 4, one line naming the problem.
check 4 --db "$nodb" --exchange upbit --market KRW-BTC --file /dev/null | grep -q "cannot connect to the database" || fail "db message"

# A reachable database: summary in text and JSON.
new_db pulse_it_candles_cli
fixture=$src/tests/fixtures/upbit/upbit_1m_20200220_170000-20200220_202000.json
"$bin" candles --exchange upbit --market KRW-BTC --file - --log-format json <"$fixture" 2>"$work/json"
[ $? = 0 ] || { cat "$work/json"; fail "--file - failed"; }
python3 - "$work/json" <<'PY' || fail "--log-format json lines are not JSON objects"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "no output"
objs = [json.loads(l) for l in lines]
s = [o for o in objs if o.get("msg") == "summary"]
assert len(s) == 1 and s[0]["read"] == 200 and s[0]["inserted"] == 200, s
assert all("ts" in o and "level" in o for o in objs)
PY
"$bin" candles --exchange upbit --market KRW-BTC --file "$fixture" --stream other 2>"$work/text"
grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z pulse-load: summary: pages 1, records 200, rejected 0; rows inserted 0, updated 0, unchanged 200; batches 1, " "$work/text" \
  || fail "text summary: $(cat "$work/text")"
[ "$(q "SELECT count(*) FROM pulse.checkpoints WHERE stream IN ('candles:upbit:KRW-BTC:1m:stdin', 'other')")" = 2 ] || fail "stream names: $(q "SELECT string_agg(stream, ' ') FROM pulse.checkpoints")"
echo "ok: usage errors exit 2, unreachable database exits 4, summaries"
