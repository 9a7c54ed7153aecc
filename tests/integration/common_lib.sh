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
