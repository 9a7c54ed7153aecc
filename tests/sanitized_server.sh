#!/usr/bin/env bash
# The sanitizer build's servers: pulse.so is built with ASan + UBSan, so the
# server that loads it runs with their runtimes preloaded (ASan must come
# first in the process's library list). PostgreSQL itself is not
# instrumented.
#   tests/sanitized_server.sh wrap INST_BINDIR
#     When PULSE_SERVER_PRELOAD (the runtimes, set by CMake with
#     PULSE_SANITIZE=ON) is not empty: replaces INST_BINDIR/postgres (a
#     private copy of the server) by a script that preloads them and runs the
#     real binary, so every postmaster started from that tree (pg_ctl, initdb,
#     restarts by the tests) has them. Reports go to the server's stderr, its
#     log; leak detection is off (memory contexts are freed wholesale, which
#     LSan takes for leaks); any error aborts the process, which the
#     postmaster logs as a crash. Without PULSE_SERVER_PRELOAD: nothing.
#   tests/sanitized_server.sh check SERVER_LOG...
#     Fails, printing them, if the logs hold any ASan or UBSan report.
set -euo pipefail

cmd=${1:?wrap|check}
case "$cmd" in
  wrap)
    bindir=${2:?inst bindir}
    [ -n "${PULSE_SERVER_PRELOAD:-}" ] || exit 0
    for lib in $PULSE_SERVER_PRELOAD; do
      [ -f "$lib" ] || { echo "sanitizer runtime not found: $lib" >&2; exit 1; }
    done
    [ -f "$bindir/postgres.real" ] || mv "$bindir/postgres" "$bindir/postgres.real"
    # exec -a: the server takes the wrapper for its own binary, so that
    # postmaster.opts names it and `pg_ctl restart` comes back through it.
    cat >"$bindir/postgres" <<WRAP
#!/bin/bash
# Written by tests/sanitized_server.sh: the server with the ASan + UBSan runtimes.
LD_PRELOAD="$PULSE_SERVER_PRELOAD\${LD_PRELOAD:+ \$LD_PRELOAD}"
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1"
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1"
export LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS
exec -a "\$0" "\$(dirname "\$0")/postgres.real" "\$@"
WRAP
    chmod 755 "$bindir/postgres"
    ;;
  check)
    shift
    bad=0
    for log in "$@"; do
      [ -f "$log" ] || continue
      if grep -qE "ERROR: AddressSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer" "$log"; then
        grep -nE -A40 "ERROR: AddressSanitizer|runtime error:" "$log" | head -200
        echo "FAIL: sanitizer report(s) in $log"
        bad=1
      fi
    done
    exit $bad
    ;;
  *) echo "usage: $0 wrap INST_BINDIR | check SERVER_LOG..." >&2; exit 2 ;;
esac
