#!/usr/bin/env bash
# pulse.so is built with hidden visibility: it exports only the module magic,
# _PG_init and the SQL entry points (pg_finfo_* and their functions). The
# test-only probes (pulse_test_*) are in pulse_test.so, never in pulse.so.
# The modules are the build's (PULSE_EXT_DIR: the sanitizer build's own).
set -uo pipefail
ext=${PULSE_EXT_DIR:-${PULSE_SOURCE_DIR:?}}

exported() { nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRV]$/ {print $3}'; }

check_module() {
  local so=$1 exported bad cxx
  [ -f "$so" ] || { echo "FAIL: $so not built"; exit 1; }
  exported=$(exported "$so")
  bad=$(grep -vE '^(Pg_magic_func|_PG_init|pg_finfo_[a-z0-9_]+|[a-z0-9_]+)$' <<<"$exported" || true)
  cxx=$(grep -E '^_Z' <<<"$exported" || true)
  if [ -n "$bad$cxx" ]; then echo "FAIL: unexpected exported symbols in $so:"; echo "$bad$cxx"; exit 1; fi
  for f in $(grep '^pg_finfo_' <<<"$exported" | sed 's/^pg_finfo_//'); do
    grep -qx "$f" <<<"$exported" || { echo "FAIL: pg_finfo_$f without $f in $so"; exit 1; }
  done
  echo "ok: $(basename "$so"): $(wc -l <<<"$exported") exported symbols, no C++ symbol"
}

check_module "$ext/pulse.so"
check_module "$ext/pulse_test.so"
leak=$(exported "$ext/pulse.so" | grep -E 'pulse_test' || true)
[ -z "$leak" ] || { echo "FAIL: test probes exported by pulse.so:"; echo "$leak"; exit 1; }
probes=$(exported "$ext/pulse_test.so" | grep -vE '^(Pg_magic_func|(pg_finfo_)?pulse_test_[a-z0-9_]+)$' || true)
[ -z "$probes" ] || { echo "FAIL: pulse_test.so exports more than its probes:"; echo "$probes"; exit 1; }
echo "ok: no test probe in pulse.so"
