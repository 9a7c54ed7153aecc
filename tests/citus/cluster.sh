#!/usr/bin/env bash
# Starts and stops the throwaway 3-node Citus cluster of the Citus suite:
#   tests/citus/cluster.sh start|stop|restart-node STATE_DIR SOCKET_DIR SOURCE_DIR [CITUS_STAGE|NODE]
# (CITUS_STAGE: the staged Citus build, or a file holding its path.)
# A coordinator (port 5432) and two workers (5433, 5434) listen on Unix
# sockets in SOCKET_DIR only, each with its own data directory under
# STATE_DIR; all three run from one private copy of the server's install tree
# (STATE_DIR/inst, as tests/pgcluster.sh makes it) into which pulse and the
# staged Citus build (tests/citus/build_citus.sh) are installed, so neither
# ever reaches the system. Citus knows the nodes by (SOCKET_DIR, port): libpq
# takes a directory as a host name. `stop` fails if a backend crashed on any
# node (and, in the sanitizer build, on any ASan/UBSan report: see
# tests/pgcluster.sh). As root the servers run as the `postgres` system user.
set -euo pipefail

cmd=${1:?start|stop|restart-node}
state=${2:?state dir}
sock=${3:?socket dir}
src=${4:?source dir}
arg=${5:-}

pg_config=${PG_CONFIG:-pg_config}
bindir=$("$pg_config" --bindir)
pkglibdir=$("$pg_config" --pkglibdir)
sharedir=$("$pg_config" --sharedir)
inst="$state/inst"
nodes=(coord:5432 worker1:5433 worker2:5434)

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
psql_node() {  # port, then psql arguments
  local port=$1; shift
  "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres -d postgres "$@"
}

make_tree() {
  local stage=$1
  mkdir -p "$inst$bindir" "$inst$pkglibdir" "$(dirname "$inst$sharedir")"
  for exe in postgres initdb pg_ctl; do cp "$bindir/$exe" "$inst$bindir/"; done
  for f in "$pkglibdir"/*; do ln -s "$f" "$inst$pkglibdir/"; done
  rm -f "$inst$pkglibdir/pulse.so"
  cp -r "$sharedir" "$inst$sharedir"
  rm -f "$inst$sharedir"/extension/pulse* 2>/dev/null || true
  make -s -C "${PULSE_EXT_DIR:-$src}" -f "$src/Makefile.pgxs" install-test DESTDIR="$inst" >/dev/null
  "$src/tests/sanitized_server.sh" wrap "$inst$bindir"
  # Citus's files, from the staged `make install DESTDIR=` tree.
  (cd "$stage$pkglibdir" && find . -type f) | while read -r f; do
    mkdir -p "$(dirname "$inst$pkglibdir/$f")"
    rm -f "$inst$pkglibdir/$f"
    cp "$stage$pkglibdir/$f" "$inst$pkglibdir/$f"
  done
  cp "$stage$sharedir"/extension/* "$inst$sharedir/extension/"
}

init_node() {
  local name=$1 port=$2 data="$state/$1" log="$state/$1.log"
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$data"; touch "$log"; chown postgres: "$log"; fi
  as_owner "$inst$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 --no-sync >"$state/$name.initdb.log" 2>&1 || { cat "$state/$name.initdb.log"; exit 1; }
  cat >>"$data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$sock'
port = $port
fsync = off
synchronous_commit = off
full_page_writes = off
shared_preload_libraries = 'citus,pulse'
max_worker_processes = 32
max_prepared_transactions = 50
max_connections = 120
log_min_messages = warning
log_line_prefix = '%m [%p] %q%a '
timezone = 'UTC'
citus.local_hostname = '$sock'
citus.enable_statistics_collection = off
CONF
}

start_node() {
  local name=$1
  as_owner "$inst$bindir/pg_ctl" -D "$state/$name" -l "$state/$name.log" -w -t 60 start >/dev/null
}

stop_node() {
  local name=$1 mode=${2:-fast}
  if [ -f "$state/$name/postmaster.pid" ]; then
    as_owner "$inst$bindir/pg_ctl" -D "$state/$name" -m "$mode" -w stop >/dev/null 2>&1 || true
  fi
}

start() {
  local stage=${arg:?citus stage dir}
  if [ -f "$stage" ]; then stage=$(cat "$stage"); fi   # a file naming it (the build writes one)
  for n in "${nodes[@]}"; do stop_node "${n%%:*}"; done
  rm -rf "$state" "$sock"
  mkdir -p "$state" "$sock"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$sock"; fi
  make_tree "$stage"
  for n in "${nodes[@]}"; do init_node "${n%%:*}" "${n##*:}"; done
  for n in "${nodes[@]}"; do start_node "${n%%:*}"; done
  for n in "${nodes[@]}"; do psql_node "${n##*:}" -c 'CREATE EXTENSION citus'; done
  psql_node 5432 -o /dev/null <<SQL
SELECT citus_set_coordinator_host('$sock', 5432);
SELECT citus_add_node('$sock', 5433);
SELECT citus_add_node('$sock', 5434);
SQL
  echo "citus cluster up: PGHOST=$sock coordinator port 5432, workers 5433 5434 (logs: $state/*.log)"
}

stop() {
  local crashed=0
  for n in "${nodes[@]}"; do stop_node "${n%%:*}"; done
  for n in "${nodes[@]}"; do
    local log="$state/${n%%:*}.log"
    if [ ! -f "$log" ]; then echo "no server log at $log"; exit 1; fi
    if grep -E "terminated by signal|was terminated by exception|server process .* exited with exit code [^01]" "$log"; then
      echo "FAIL: a backend crashed on ${n%%:*} (see $log)"
      crashed=1
    fi
    "$src/tests/sanitized_server.sh" check "$log" || crashed=1
  done
  [ $crashed = 0 ] || exit 1
  echo "citus cluster stopped; no crashed backend${PULSE_SERVER_PRELOAD:+, no sanitizer report}"
}

# restart-node NAME: an immediate stop (as after a power cut: no checkpoint,
# crash recovery on start) and a start of one node.
restart_node() {
  local name=${arg:?node name}
  as_owner "$inst$bindir/pg_ctl" -D "$state/$name" -m immediate -w stop >/dev/null
  start_node "$name"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  restart-node) restart_node ;;
  *) echo "usage: $0 start|stop|restart-node STATE_DIR SOCKET_DIR SOURCE_DIR [CITUS_STAGE|NODE]" >&2; exit 2 ;;
esac
