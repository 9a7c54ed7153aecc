#!/usr/bin/env bash
# Two loaders writing overlapping candles at once (different streams, half
# their minutes shared) while pulse.run_maintenance() runs in a loop
# (premake, clustering of sealed partitions by copy + swap): no error, no
# deadlock, no duplicate, nothing lost.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/faults_lib.sh"
new_db pulse_it_faults_concurrent
# A database maintenance has run in (CREATE EXTENSION premakes nothing).
q "SELECT count(*) FROM pulse.run_maintenance()" >/dev/null || fail "first maintenance"
per=400
make_upbit_log "$work/a.jsonl" 30 $per 1577836800                   # minutes 0 .. 11999
make_upbit_log "$work/b.jsonl" 30 $per $((1577836800 + 60 * 6000))  # minutes 6000 .. 17999
union=18000

maint_log=$work/maint.log
(
  while [ ! -f "$work/stop" ]; do
    psql -X -q -At -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM pulse.run_maintenance()" >>"$maint_log" 2>&1 || echo "MAINT FAILED" >>"$maint_log"
    sleep 0.1
  done
) &
maint=$!
"$bin" candles --exchange upbit --market KRW-BTC --file "$work/a.jsonl" --stream a --batch-rows 150 --quiet 2>"$work/err_a" &
pa=$!
"$bin" candles --exchange upbit --market KRW-BTC --file "$work/b.jsonl" --stream b --batch-rows 150 --quiet 2>"$work/err_b" &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
touch "$work/stop"; wait $maint
[ "$ra" = 0 ] || { cat "$work/err_a"; fail "loader a exited $ra"; }
[ "$rb" = 0 ] || { cat "$work/err_b"; fail "loader b exited $rb"; }
grep -q "MAINT FAILED" "$maint_log" && { cat "$maint_log"; fail "run_maintenance failed during the loads"; }
grep -qi "deadlock\|error" "$work/err_a" "$work/err_b" "$maint_log" && { cat "$work/err_a" "$work/err_b" "$maint_log"; fail "an error or deadlock was logged"; }
[ "$(grep -c . "$maint_log")" -ge 2 ] || fail "maintenance did not run during the loads"
got=$(q "SELECT count(*), count(DISTINCT bucket_start) FROM pulse.candles")
[ "$got" = "$union|$union" ] || fail "candles (count|distinct) $got, expected $union|$union"
[ "$(q "SELECT count(*) FROM pulse.landing")" = $((2 * 30 * per)) ] || fail "landing holds $(q "SELECT count(*) FROM pulse.landing") rows, expected $((2 * 30 * per))"
[ "$(q "SELECT count(*) FROM pulse.rejects")" = 0 ] || fail "rejects during concurrent loads"
# Once the loads are done, maintenance leaves the candles clustered and whole.
q "SELECT count(*) FROM pulse.run_maintenance()" >/dev/null || fail "final maintenance"
[ "$(q "SELECT count(*) FROM pulse.candles")" = $union ] || fail "maintenance lost or doubled rows"
echo "ok: two overlapping loaders + maintenance loop: $union candles once, no error"
