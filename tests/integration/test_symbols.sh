#!/usr/bin/env bash
# pulse.so is built with hidden visibility: it exports only the module magic,
# _PG_init and the SQL entry points (pg_finfo_* and their functions).
set -uo pipefail
so=${PULSE_SOURCE_DIR:?}/pulse.so
[ -f "$so" ] || { echo "FAIL: $so not built"; exit 1; }
exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRV]$/ {print $3}')
bad=$(grep -vE '^(Pg_magic_func|_PG_init|pg_finfo_[a-z0-9_]+|[a-z0-9_]+)$' <<<"$exported" || true)
cxx=$(grep -E '^_Z' <<<"$exported" || true)
if [ -n "$bad$cxx" ]; then echo "FAIL: unexpected exported symbols:"; echo "$bad$cxx"; exit 1; fi
for f in $(grep '^pg_finfo_' <<<"$exported" | sed 's/^pg_finfo_//'); do
  grep -qx "$f" <<<"$exported" || { echo "FAIL: pg_finfo_$f without $f"; exit 1; }
done
echo "ok: $(wc -l <<<"$exported") exported symbols, no C++ symbol"
