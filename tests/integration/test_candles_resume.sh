#!/usr/bin/env bash
# Exactly-once across failures: kill -9 in the middle of a backfill and a
# restart resumes at the checkpoint with no duplicate and no gap; SIGTERM
# commits what was read and exits 0; the database connection dropping in the
# middle is survived (batch kept and redone); --follow polls until SIGINT.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/candles_lib.sh"
export PULSE_REPLAY_UPBIT_COPIES=10   # 2000 candles, 10 pages of 200
start_server --delay-ms 150
range=(--exchange upbit --market KRW-BTC --since 2020-02-18T23:00:00Z --until 2020-02-20T11:20:00Z --api-url "$api" --batch-rows 200 --flush-interval 50 --quiet)
expected=2000
first_bucket="2020-02-19 02:00:00+00"

check_complete() {
  [ "$(q "SELECT count(*) FROM pulse.candles")" = $expected ] || fail "$1: $(q "SELECT count(*) FROM pulse.candles") candles, expected $expected"
  [ "$(q "SELECT count(DISTINCT bucket_start) FROM pulse.candles")" = $expected ] || fail "$1: duplicates"
  [ "$(q "SELECT min(bucket_start) FROM pulse.candles")" = "$first_bucket" ] || fail "$1: gap at the start"
  # No gap: consecutive minutes all the way.
  [ "$(q "SELECT count(*) FROM (SELECT bucket_start - lag(bucket_start) OVER (ORDER BY bucket_start) AS d FROM pulse.candles) s WHERE d <> interval '1 minute'")" = 0 ] \
    || fail "$1: a gap between candles"
  [ "$(q "SELECT position->>'mode' FROM pulse.checkpoints")" = done ] || fail "$1: checkpoint not done"
}

# --- kill -9 in the middle, then resume.
new_db pulse_it_candles_resume
"$bin" candles "${range[@]}" 2>"$work/err1" &
pid=$!
for _ in $(seq 100); do
  [ "$(q "SELECT count(*) FROM pulse.candles")" -ge 400 ] && break
  sleep 0.05
done
kill -9 $pid; wait $pid 2>/dev/null
partial=$(q "SELECT count(*) FROM pulse.candles")
[ "$partial" -ge 400 ] && [ "$partial" -lt $expected ] || fail "kill -9 did not land mid-run ($partial candles)"
cursor=$(q "SELECT position->>'cursor' FROM pulse.checkpoints")
[ -n "$cursor" ] || fail "no cursor in the checkpoint after kill -9"
# The cursor never runs ahead of what is committed: every candle from the
# cursor up to the newest is in the table (no gap a resume would skip). A batch
# cut by --flush-interval in the middle of a page commits part of the next page
# under the previous cursor, so older candles than the cursor may be there too;
# the resume re-reads them and they merge as unchanged.
[ "$(q "SELECT min(bucket_start) <= to_timestamp($cursor / 1000.0) FROM pulse.candles")" = t ] || fail "checkpoint cursor is ahead of the oldest committed candle"
[ "$(q "SELECT count(*) = extract(epoch FROM max(bucket_start) - to_timestamp($cursor / 1000.0)) / 60 + 1 FROM pulse.candles WHERE bucket_start >= to_timestamp($cursor / 1000.0)")" = t ] \
  || fail "candles between the checkpoint cursor and the newest are not all committed"
before=$(requests | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")
load "${range[@]}"
[ "$rc" = 0 ] || { cat "$work/err"; fail "resume exited $rc"; }
check_complete "after kill -9 and resume"
# The restart asked for the page below the checkpoint cursor first.
requests | python3 -c "
import json, sys, time, calendar
rs = json.load(sys.stdin)[$before:]
to = calendar.timegm(time.strptime(rs[0]['query']['to'], '%Y-%m-%dT%H:%M:%SZ')) * 1000
sys.exit(0 if to == $cursor else 1)" || fail "restart did not resume at the checkpoint cursor"
[ "$(summary_field records)" -le $((expected - partial + 200)) ] || fail "restart re-read more than one page"

# --- SIGTERM: stop reading, commit what was read, exit 0.
new_db pulse_it_candles_resume
"$bin" candles "${range[@]}" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do
  [ "$(q "SELECT count(*) FROM pulse.candles")" -ge 200 ] && break
  sleep 0.05
done
kill -TERM $pid; wait_loader $pid "the loader after SIGTERM" "$work/err"
[ "$rc" = 0 ] || { cat "$work/err"; fail "SIGTERM exited $rc"; }
read_n=$(summary_field records)
[ "$read_n" -lt $expected ] || fail "SIGTERM did not stop the run early"
[ "$(q "SELECT count(*) FROM pulse.candles")" = "$read_n" ] || fail "SIGTERM lost records: read $read_n, stored $(q "SELECT count(*) FROM pulse.candles")"
load "${range[@]}"
[ "$rc" = 0 ] || fail "resume after SIGTERM exited $rc"
check_complete "after SIGTERM and resume"

# --- The database drops the loader's connection twice in the middle.
new_db pulse_it_candles_resume
"$bin" candles "${range[@]}" 2>"$work/err" &
pid=$!
killed=0
for _ in $(seq 200); do
  n=$(q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE 'pulse-load%' AND datname = current_database()")
  [ "$n" -gt 0 ] && killed=$((killed + 1))
  [ $killed -ge 2 ] && break
  sleep 0.3
done
wait_loader $pid "the loader whose connection was dropped" "$work/err"
[ $killed -ge 2 ] || { tail -5 "$work/err"; fail "could not terminate the loader's connection twice ($killed times; loader exit $rc)"; }
[ "$rc" = 0 ] || { cat "$work/err"; fail "loader did not survive the connection drops (exit $rc)"; }
grep -q "will retry batch\|retrying" "$work/err" || fail "reconnects were not logged: $(cat "$work/err")"
check_complete "after connection drops"

# --- --follow polls the newest candles until SIGINT.
new_db pulse_it_candles_resume
PULSE_LOAD_TEST_TIME_SCALE=0.005 "$bin" candles --exchange upbit --market KRW-BTC --follow --api-url "$api" --quiet 2>"$work/err" &
pid=$!
sleep 2
kill -INT $pid; wait_loader $pid "--follow after SIGINT" "$work/err"
[ "$rc" = 0 ] || { cat "$work/err"; fail "--follow after SIGINT exited $rc"; }
polls=$(requests | python3 -c "import json,sys; print(sum(1 for r in json.load(sys.stdin) if r['query'].get('count') == '5'))")
[ "$polls" -ge 2 ] || fail "--follow polled $polls times"
[ "$(q "SELECT count(*) FROM pulse.candles")" = 5 ] || fail "--follow should hold the newest 5 candles"
[ "$(q "SELECT position->>'mode' FROM pulse.checkpoints")" = follow ] || fail "--follow checkpoint"
[ "$(summary_field unchanged)" -ge 5 ] || fail "re-read candles were not counted unchanged"
echo "ok: kill -9 resume, SIGTERM, connection drops, follow"
