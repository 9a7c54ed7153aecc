# Shared set-up for the candle loader integration tests (sourced, not a test):
# a private database with the extension, partitions for the test data when
# the partitioning code is not installed, and a replay server on 127.0.0.1.
set -uo pipefail
bin=${PULSE_LOAD:?}
src=${PULSE_SOURCE_DIR:?}
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# new_db NAME: a fresh database with the extension.
new_db() {
  db=$1
  dropdb --if-exists "$db" >/dev/null 2>&1
  createdb "$db" || fail "createdb $db"
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL' || fail "set-up of $db"
CREATE EXTENSION pulse;
-- Without the partitioning code (or before it premade anything), give the
-- test data a home; with it, apply_batch creates what backfills need.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'pulse.landing'::regclass) THEN
    CREATE TABLE pulse.landing_test PARTITION OF pulse.landing FOR VALUES FROM ('2000-01-01') TO ('2200-01-01');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'pulse.candles'::regclass)
     AND to_regprocedure('pulse.ensure_partitions(regclass,timestamptz,timestamptz)') IS NULL THEN
    CREATE TABLE pulse.candles_test PARTITION OF pulse.candles FOR VALUES FROM ('2000-01-01') TO ('2200-01-01');
  END IF;
END
$$;
SQL
  export PGDATABASE=$db
}

q() { psql -X -At -v ON_ERROR_STOP=1 -c "$1"; }

# start_server [server args...]: starts the replay server, sets $api.
start_server() {
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; }
  rm -f "$work/port"
  python3 "$src/tests/replay/server.py" --port-file "$work/port" "$@" >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
  [ -s "$work/port" ] || { cat "$work/server.log"; fail "replay server did not start"; }
  api="http://127.0.0.1:$(cat "$work/port")"
}

scenario() { curl -s -X POST --data-binary "$1" "$api/_replay/scenario" >/dev/null || fail "set scenario"; }
requests() { curl -s "$api/_replay/requests"; }

# load ARGS...: runs pulse-load candles, keeps stderr in $work/err, sets $rc.
load() {
  "$bin" candles "$@" 2>"$work/err"
  rc=$?
}
summary_field() { grep -o "$1 [0-9]*" "$work/err" | tail -1 | awk '{print $2}'; }
