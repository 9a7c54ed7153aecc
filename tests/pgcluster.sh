#!/usr/bin/env bash
# Starts and stops the throwaway PostgreSQL 15 cluster the test suites use.
#   tests/pgcluster.sh start|stop STATE_DIR SOCKET_DIR [SOURCE_DIR]
# The cluster runs from a private copy of the server's install tree under
# STATE_DIR (postgres finds share/ and lib/ relative to its own binary), so the
# extension under test is installed there and never into the system, and two
# checkouts can test at once. It listens only on a Unix socket. initdb refuses
# to run as root, so as root the server runs as the `postgres` system user.
# `stop` fails if any backend crashed during the run. PULSE_EXT_DIR: where
# pulse.so is built (default: the source tree); with PULSE_SERVER_PRELOAD
# (the sanitizer build) the server runs with ASan + UBSan preloaded
# (tests/sanitized_server.sh) and `stop` also fails on any of their reports.
set -euo pipefail

cmd=${1:?start|stop}
state=${2:?state dir}
sock=${3:?socket dir}
src=${4:-$(cd "$(dirname "$0")/.." && pwd)}

pg_config=${PG_CONFIG:-pg_config}
bindir=$("$pg_config" --bindir)
pkglibdir=$("$pg_config" --pkglibdir)
sharedir=$("$pg_config" --sharedir)
inst="$state/inst"
data="$state/data"
log="$state/postgres.log"
extdir=${PULSE_EXT_DIR:-$src}
port=5432

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  stop_quietly
  rm -rf "$state" "$sock"
  mkdir -p "$inst$bindir" "$inst$pkglibdir" "$(dirname "$inst$sharedir")" "$sock"
  for exe in postgres initdb pg_ctl; do cp "$bindir/$exe" "$inst$bindir/"; done
  for f in "$pkglibdir"/*; do ln -s "$f" "$inst$pkglibdir/"; done
  rm -f "$inst$pkglibdir/pulse.so"
  cp -r "$sharedir" "$inst$sharedir"
  rm -f "$inst$sharedir"/extension/pulse* 2>/dev/null || true
  make -s -C "$extdir" -f "$src/Makefile.pgxs" install-test DESTDIR="$inst" >/dev/null
  "$src/tests/sanitized_server.sh" wrap "$inst$bindir"

  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$data" "$sock"; touch "$log"; chown postgres: "$log"; fi
  as_owner "$inst$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 --no-sync >"$state/initdb.log" 2>&1 || { cat "$state/initdb.log"; exit 1; }
  cat >>"$data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$sock'
port = $port
fsync = off
synchronous_commit = off
full_page_writes = off
shared_preload_libraries = 'pulse'
max_worker_processes = 16
max_prepared_transactions = 10
log_min_messages = warning
log_line_prefix = '%m [%p] %q%a '
timezone = 'UTC'
CONF
  as_owner "$inst$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
  echo "cluster up: PGHOST=$sock PGPORT=$port PGUSER=postgres (log: $log)"
}

stop_quietly() {
  if [ -f "$data/postmaster.pid" ]; then
    as_owner "$inst$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

stop() {
  stop_quietly
  if [ ! -f "$log" ]; then echo "no server log at $log"; exit 1; fi
  if grep -E "terminated by signal|was terminated by exception|server process .* exited with exit code [^01]" "$log"; then
    echo "FAIL: a backend crashed during the run (see $log)"
    exit 1
  fi
  "$src/tests/sanitized_server.sh" check "$log"
  echo "cluster stopped; no crashed backend${PULSE_SERVER_PRELOAD:+ and no sanitizer report} in $log"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop STATE_DIR SOCKET_DIR [SOURCE_DIR]" >&2; exit 2 ;;
esac
