#!/usr/bin/env bash
# Runs PostgreSQL's isolation tester (pg_isolation_regress, shipped with the
# server dev package) on every tests/isolation/specs/*.spec against the
# throwaway cluster (PGHOST/PGPORT/PGUSER come from CTest). Output goes to the
# build dir; expected output is tests/isolation/expected/<spec>.out.
set -euo pipefail
src=${PULSE_SOURCE_DIR:?}
out=${PULSE_BUILD_DIR:?}/isolation
rm -rf "$out"; mkdir -p "$out"
if [ "$(id -u)" = 0 ]; then chmod 777 "$out"; fi
tester="${PG_PKGLIBDIR:?}/pgxs/src/test/isolation/pg_isolation_regress"
specs=()
for f in "$src"/tests/isolation/specs/*.spec; do
  specs+=("$(basename "$f" .spec)")
done
status=0
"$tester" --bindir="${PG_BINDIR:?}" --host="$PGHOST" --port="$PGPORT" --user="$PGUSER" \
  --inputdir="$src/tests/isolation" --outputdir="$out" \
  --dbname=pulse_isolation "${specs[@]}" || status=$?
if [ "$status" != 0 ] && [ -f "$out/regression.diffs" ]; then
  head -c 20000 "$out/regression.diffs"
fi
exit "$status"
