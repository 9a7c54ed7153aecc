#!/usr/bin/env bash
# The sanitizer build's server check (tests/sanitized_server.sh), proved on
# what it must catch:
#  1. `check` fails on a server log that holds an ASan or a UBSan report and
#     passes on one that holds none (every build).
#  2. In the sanitizer build (PULSE_SERVER_PRELOAD set): a private server
#     made from the test cluster's install tree (whose postgres is the
#     preloading wrapper) loads a module built with ASan that overflows a
#     heap block in _PG_init, then one built with UBSan that overflows a
#     signed int; each time the backend ends, and `check` fails on the
#     report in the log. (A private server: the shared cluster's stop check
#     must stay clean.)
. "$(dirname "$0")/common_lib.sh"
check=$src/tests/sanitized_server.sh

# --- 1. the check on written logs
printf '%s\n' 'LOG:  database system is ready to accept connections' >"$work/clean.log"
"$check" check "$work/clean.log" >/dev/null || fail "check failed on a clean log"
printf '%s\n' '==12==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6020' >"$work/asan.log"
"$check" check "$work/clean.log" "$work/asan.log" >/dev/null && fail "check passed an ASan report"
printf '%s\n' 'x.cpp:10:5: runtime error: signed integer overflow' >"$work/ubsan.log"
"$check" check "$work/ubsan.log" >/dev/null && fail "check passed a UBSan report"
echo "ok: check fails on ASan and UBSan reports, passes a clean log"

if [ -z "${PULSE_SERVER_PRELOAD:-}" ]; then
  echo "ok: not the sanitizer build: no preloaded server to try"
  exit 0
fi

# --- 2. a report from a backend of a preloaded server
bindir=${PG_BINDIR:?}
inst=${PULSE_TEST_STATE:?}/inst
pkglibdir=$(pg_config --pkglibdir)
srv=$work/srv
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_srv() {
  [ -f "$srv/data/postmaster.pid" ] && as_owner "$inst$bindir/pg_ctl" -D "$srv/data" -m immediate -w stop >/dev/null 2>&1
  rm -f "$inst$pkglibdir"/pulse_probe_*.so
  cleanup
}
trap stop_srv EXIT
# Two probe modules, each built with one of the two sanitizers of
# PULSE_SANITIZE_FLAGS (CMakeLists.txt): one overflows a heap block, one a
# signed int, in _PG_init.
cat >"$work/asan.c" <<'C'
#include "postgres.h"
#include "fmgr.h"
#include <stdlib.h>
PG_MODULE_MAGIC;
void _PG_init(void);
void _PG_init(void)
{
	char	   *p = malloc(8);
	volatile int i = 8;

	p[i] = 1;
	free(p);
}
C
cat >"$work/ubsan.c" <<'C'
#include "postgres.h"
#include "fmgr.h"
PG_MODULE_MAGIC;
void _PG_init(void);
volatile int pulse_probe_sink;
void _PG_init(void)
{
	volatile int big = 2147483647;

	pulse_probe_sink = big + 1;
}
C
cc -shared -fPIC -O0 -g -fsanitize=address -fno-omit-frame-pointer \
  -I"$(pg_config --includedir-server)" "$work/asan.c" -o "$inst$pkglibdir/pulse_probe_asan.so" \
  || fail "building the ASan probe module"
cc -shared -fPIC -O0 -g -fsanitize=undefined -fno-sanitize-recover=undefined \
  -I"$(pg_config --includedir-server)" "$work/ubsan.c" -o "$inst$pkglibdir/pulse_probe_ubsan.so" \
  || fail "building the UBSan probe module"
[ "$(id -u)" = 0 ] && chmod 755 "$work"
mkdir -p "$srv/sock"
[ "$(id -u)" = 0 ] && chown postgres: "$srv" "$srv/sock"
as_owner "$inst$bindir/initdb" -D "$srv/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync \
  >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log"; fail "initdb"; }
cat >>"$srv/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$srv/sock'
fsync = off
CONF
for probe in asan:heap-buffer-overflow ubsan:"signed integer overflow"; do
  name=${probe%%:*} want=${probe#*:}
  as_owner "$inst$bindir/pg_ctl" -D "$srv/data" -l "$srv/$name.log" -w -t 60 start >/dev/null \
    || { cat "$srv/$name.log"; fail "start"; }
  psql -X -q -h "$srv/sock" -U postgres -d postgres -c "LOAD 'pulse_probe_$name'" >/dev/null 2>&1 \
    && fail "LOAD of the $name probe succeeded: the server runs without the sanitizer runtimes"
  # immediate: a fast stop during the crash restart can wait 60 s for the checkpointer
  as_owner "$inst$bindir/pg_ctl" -D "$srv/data" -m immediate -w -t 60 stop >/dev/null || fail "stop"
  grep -qE "server process \(PID [0-9]+\) (was terminated by signal 6|exited with exit code 1)" "$srv/$name.log" \
    || fail "no failed backend in the log: $(tail -5 "$srv/$name.log")"
  "$check" check "$srv/$name.log" >"$work/check.out" && fail "check passed the server log with the $name report"
  grep -q "$want" "$work/check.out" || fail "check did not show the $name report: $(head -5 "$work/check.out")"
  echo "ok: a backend's $name report ($want) ends it and fails the check"
done
