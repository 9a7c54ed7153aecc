#!/usr/bin/env bash
# Runs PostgreSQL's isolation tester on tests/isolation/specs/*.spec against
# the throwaway cluster (PGHOST/PGPORT/PGUSER come from CTest), in its own
# database. Output goes to the build dir.
set -euo pipefail
src=${PULSE_SOURCE_DIR:?}
out=${PULSE_BUILD_DIR:?}/isolation
rm -rf "$out"; mkdir -p "$out"
runner="${PG_PKGLIBDIR:?}/pgxs/src/test/isolation/pg_isolation_regress"
tests=()
for spec in "$src"/tests/isolation/specs/*.spec; do tests+=("$(basename "$spec" .spec)"); done
status=0
"$runner" --bindir="${PG_BINDIR:?}" --host="$PGHOST" --port="$PGPORT" --user="$PGUSER" \
  --inputdir="$src/tests/isolation" --outputdir="$out" --dbname=pulse_isolation \
  "${tests[@]}" || status=$?
if [ "$status" != 0 ] && [ -f "$out/regression.diffs" ]; then
  head -c 20000 "$out/regression.diffs"
fi
exit "$status"
