#!/usr/bin/env bash
# The zones' include rules, checked on the sources:
# - every extension/core/ header includes core/no_postgres.h (the firewall);
# - extension/entry/ and tests/pulse_test/ include no PostgreSQL header
#   themselves: only standard headers and core/, entry/, pg/ ones (pg/
#   headers bring postgres.h and the fmgr glue).
set -uo pipefail
src=${1:?source dir}
status=0
for h in "$src"/extension/core/*.h; do
  [ "$(basename "$h")" = no_postgres.h ] && continue
  grep -q '^#include "core/no_postgres.h"' "$h" || { echo "FAIL: $h does not include core/no_postgres.h"; status=1; }
done
shopt -s nullglob
bad=$(grep -Hn '^\s*#\s*include' "$src"/extension/entry/* "$src"/tests/pulse_test/*.cpp /dev/null |
      grep -vE '#include (<[a-z_]+>|"(core|entry|pg)/[a-z_]+\.h")' || true)
if [ -n "$bad" ]; then echo "FAIL: entry/ includes outside core/, entry/, pg/ and the standard library:"; echo "$bad"; status=1; fi
[ $status = 0 ] && echo "ok: core headers behind the firewall; entry/ includes only core/, entry/, pg/"
exit $status
