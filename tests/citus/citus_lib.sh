# Sourced by tests/citus/test_*.sh (not a test): strict mode, the loader and
# the source tree, a private work directory removed on exit, fail, q (on the
# coordinator), qn PORT (on one node), fresh_pulse (the extension made again
# on the coordinator, which Citus carries to the workers), node_restart.
# The cluster is tests/citus/cluster.sh's: the coordinator on PGHOST port
# 5432, workers on 5433 and 5434, database postgres on each.
set -uo pipefail
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
bin=${PULSE_LOAD:?}
src=${PULSE_SOURCE_DIR:?}
state=${PULSE_CITUS_STATE:?}
work=$(mktemp -d)
chmod 755 "$work"
bg_pids=()
fail() { echo "FAIL: $*"; exit 1; }
cleanup() {
  for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

q() { psql -X -Atq -v ON_ERROR_STOP=1 -c "$1"; }
qn() { local port=$1; shift; psql -X -Atq -v ON_ERROR_STOP=1 -p "$port" -c "$1"; }
# sqlstate SQL: the SQLSTATE the statement fails with (empty when it works)
sqlstate() {
  psql -X -Atq -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -c "$1" 2>&1 >/dev/null \
    | sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p' | head -n 1
}

# A fresh pulse on every node (and none of the previous test's tables).
fresh_pulse() {
  psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || fail "fresh pulse"
DROP EXTENSION IF EXISTS pulse CASCADE;
CREATE EXTENSION pulse;
SQL
  for port in 5433 5434; do
    [ "$(qn $port "SELECT extversion FROM pg_extension WHERE extname = 'pulse'")" = "$(q "SELECT extversion FROM pg_extension WHERE extname = 'pulse'")" ] \
      || fail "pulse not installed on the worker at port $port"
  done
}

# node_restart NAME: an immediate stop and a start of one node (coord, worker1, worker2).
node_restart() {
  "$src/tests/citus/cluster.sh" restart-node "$state" "$PGHOST" "$src" "$1" || fail "restart of $1"
}
