# Shared by the integration test libraries candles_lib.sh and tweets_lib.sh
# (sourced by them, not a test): strict mode, the loader and the source tree,
# a private work directory removed on exit (with the replay server in
# $server_pid stopped), fail, new_db and q.
set -uo pipefail
bin=${PULSE_LOAD:?}
src=${PULSE_SOURCE_DIR:?}
work=$(mktemp -d)
server_pid=""
# A lib may point fail_log at a log whose tail explains a failure.
fail_log=""
fail() { echo "FAIL: $*"; [ -n "$fail_log" ] && [ -f "$fail_log" ] && tail -5 "$fail_log"; exit 1; }
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# new_db NAME: a fresh database NAME with the extension (no partitions yet:
# the loader creates the current landing ones, batches the typed ones);
# exports PGDATABASE=NAME.
new_db() {
  db=$1
  dropdb --if-exists --force "$db" >/dev/null 2>&1
  createdb "$db" || fail "createdb $db"
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION pulse' >/dev/null \
    || fail "set-up of $db"
  export PGDATABASE=$db
}

q() { psql -X -Atq -v ON_ERROR_STOP=1 -c "$1"; }

# wait_loader PID WHAT ERRFILE [SECONDS]: waits for a loader and sets $rc to
# its exit status. One still running after SECONDS (default 300) is hung: what
# it and the database were doing is printed, it is killed, and the test
# fails, naming WHAT (rather than ctest's timeout, which shows nothing).
wait_loader() {
  local pid=$1 what=$2 errfile=$3 limit=${4:-300} i
  for ((i = 0; i < limit * 10; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      rc=$?
      return 0
    fi
    sleep 0.1
  done
  echo "HANG: $what: the loader (pid $pid) still runs after $limit s"
  echo "-- loader: $(grep '^State' /proc/"$pid"/status 2>/dev/null) wchan=$(cat /proc/"$pid"/wchan 2>/dev/null)"
  echo "-- loader stderr (last 20 lines):"
  tail -20 "$errfile" 2>/dev/null
  echo "-- loader threads:"
  for t in /proc/"$pid"/task/*; do echo "   $(basename "$t") $(cat "$t"/comm 2>/dev/null) wchan=$(cat "$t"/wchan 2>/dev/null)"; done
  if command -v gdb >/dev/null; then
    echo "-- loader backtraces:"
    timeout 60 gdb -p "$pid" -batch -nx -ex "set pagination off" -ex "thread apply all bt" 2>&1 | grep -E '^(Thread|#)' | head -80
  fi
  echo "-- database sessions:"
  PGOPTIONS="-c lock_timeout=5s" psql -X -c "SELECT pid, application_name, state, wait_event_type, wait_event, now() - xact_start AS xact_age, left(query, 100) AS query FROM pg_stat_activity WHERE datname = current_database()" 2>&1
  PGOPTIONS="-c lock_timeout=5s" psql -X -c "SELECT locktype, relation::regclass, objid, mode, pid FROM pg_locks WHERE NOT granted" 2>&1
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  fail "$what: hung"
}
