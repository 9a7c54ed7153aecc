#!/usr/bin/env bash
# An immediate PostgreSQL restart (pg_ctl restart -m immediate: every backend
# killed, crash recovery) in the middle of a long file load: the loader keeps
# its batch, waits, reconnects and finishes; nothing lost, nothing doubled.
# Runs alone (RUN_SERIAL: test_faults_serial_*): a restart breaks every other
# session on the shared test cluster.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/faults_lib.sh"
state=${PULSE_TEST_STATE:?}
pg_ctl_as_owner() {
  local pgctl="$state/inst${PG_BINDIR:?}/pg_ctl"
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$pgctl" "$@"; else "$pgctl" "$@"; fi
}
new_db pulse_it_faults_restart
n=$((80 * 400))
make_upbit_log "$work/long.jsonl" 80 400
"$bin" candles --exchange upbit --market KRW-BTC --file "$work/long.jsonl" --batch-rows 200 --flush-interval 20 --quiet 2>"$work/err" &
pid=$!
for _ in $(seq 400); do
  [ "$(q "SELECT count(*) FROM pulse.candles")" -ge 1000 ] && break
  sleep 0.02
done
before=$(q "SELECT count(*) FROM pulse.candles")
[ "$before" -ge 1000 ] && [ "$before" -lt $n ] || fail "the restart would not land mid-load ($before of $n)"
kill -0 $pid 2>/dev/null || fail "the loader ended before the restart"
pg_ctl_as_owner -D "$state/data" -l "$state/postgres.log" -m immediate -w -t 60 restart >"$work/pgctl" 2>&1 \
  || { cat "$work/pgctl"; fail "pg_ctl restart failed"; }
# Wait for the loader (bounded: it must finish, not hang).
for _ in $(seq 1200); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && { kill -9 $pid; cat "$work/err"; fail "the loader did not finish within 120 s after the restart"; }
wait $pid; rc=$?
[ "$rc" = 0 ] || { cat "$work/err"; fail "the loader exited $rc after the restart"; }
grep -qi "retry" "$work/err" || fail "the loader did not say it was retrying: $(cat "$work/err")"
got=$(q "SELECT count(*), count(DISTINCT bucket_start) FROM pulse.candles")
[ "$got" = "$n|$n" ] || fail "typed rows (count|distinct) $got, expected $n|$n"
got=$(q "SELECT count(*), count(DISTINCT payload) FROM pulse.landing")
[ "$got" = "$n|$n" ] || fail "landing rows (count|distinct) $got, expected $n|$n"
grep -q "records $n, rejected 0;" "$work/err" || fail "summary: $(cat "$work/err")"
echo "ok: immediate restart after $before of $n candles; all $n once"
